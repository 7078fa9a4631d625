//! From a directory (or the files a user names) to an [`Input`]: the files
//! [`locate`] finds, then, round by round, every file the model refers to
//! that is not read yet — env files, included and extended compose files,
//! Dockerfiles and the build-context files they copy into nginx, the files
//! and directories bind-mounted into nginx — until nothing new is wanted.
//! The rounds run the pure loader ([`wanted`]) on what has been read, so
//! the CLI (the disk) and the service (an upload) read exactly the same
//! files, and every path in the input is relative to the project
//! directory, whatever the spelling of the command line.

use super::locate::{self, Found, LocateError, Located, Request, join, rebase};
use super::source::{Entry, FileSource, ReadError};
use crate::input::{Input, InputFile, Options, TopologyInput};
use std::collections::{BTreeMap, BTreeSet};

/// Caps on what discovery reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most files read in all.
    pub max_files: usize,
    /// Most bytes read in all.
    pub max_bytes: u64,
    /// Most rounds of "read what the model wants".
    pub max_rounds: usize,
    /// Deepest directory walked below a wanted directory.
    pub max_depth: usize,
    /// Most names listed in build contexts.
    pub max_listed: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_files: 2_000,
            max_bytes: 64 * 1024 * 1024,
            max_rounds: 8,
            max_depth: 8,
            max_listed: 20_000,
        }
    }
}

/// A file or directory the model refers to, relative to the project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Want {
    /// One file (an env file, a Dockerfile).
    File(String),
    /// A compose file another one includes or extends: it joins the
    /// topology documents, as compose loads it with the project.
    Compose(String),
    /// A file, or every file below a directory, that says how the
    /// repository builds its images (CI workflows, `skaffold.yaml`, the
    /// Makefile, compose files beside manifests); beside named manifests,
    /// also in the directories above the project's (see [`Named::run_dir`]).
    BuildLinks(String),
    /// A file, or every file below a directory (a bind mount's source).
    Tree(String),
    /// The names of every file below a directory, not their contents (a
    /// build context, so that its Dockerfile's `COPY` is known to succeed).
    Listing(String),
}

/// How a file came to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A compose file or a Kubernetes manifest.
    Topology,
    /// An env file read for interpolation (`.env`, `--env-file`).
    EnvFile,
    /// An nginx file named on the command line.
    Nginx,
    /// A file the model referred to (env_file, Dockerfile, mount source …).
    Referenced,
}

/// One file read, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFile {
    /// Path relative to the project directory.
    pub path: String,
    /// Its role.
    pub role: Role,
    /// Why it was read, for `--explain-inputs`.
    pub why: String,
}

/// What discovery found and read.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The input to validate.
    pub input: Input,
    /// Every file read, in reading order.
    pub files: Vec<ReadFile>,
    /// Remarks (several candidate files, charts left unrendered …).
    pub notes: Vec<String>,
    /// The project directory relative to where discovery ran.
    pub dir: String,
    /// Whether the model of [`Discovered::input`] has a container that
    /// runs nginx (known from discovery's last round, which loaded it).
    pub runs_nginx: bool,
}

/// Why discovery could not produce an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoverError {
    /// Nothing found, or found but not readable as it is.
    #[error(transparent)]
    Locate(LocateError),
    /// A file that had to be read could not be.
    #[error(transparent)]
    Read(ReadError),
    /// More files or bytes than the limits allow.
    #[error("{0}")]
    TooMuch(String),
}

/// What the user named besides the directory.
#[derive(Debug, Clone, Default)]
pub struct Named {
    /// Compose/env/profile settings and the process environment.
    pub request: Request,
    /// Topology files named explicitly when they are not compose files
    /// (Kubernetes manifests, a native model, a live dump); `-` is stdin,
    /// given in `stdin`.
    pub topology: Vec<String>,
    /// nginx files or directories named explicitly.
    pub nginx: Vec<String>,
    /// The main nginx file, when named.
    pub nginx_main: Option<String>,
    /// The format of the named topology files, when given.
    pub format: Option<crate::topology::Format>,
    /// The content of standard input, when a path is `-`.
    pub stdin: Option<Vec<u8>>,
    /// Options to carry into the input (nginx service, profiles …).
    pub options: Options,
    /// Where upcheck runs (the CLI's working directory, an upload's
    /// root), relative to the source root: beside named Kubernetes
    /// manifests below it (`--topology k8s/a.yaml`), link sources (the
    /// Makefile, the compose file, CI workflows) are looked for in every
    /// directory up to there.
    pub run_dir: Option<String>,
}

/// Most directories above the project directory looked into for link
/// sources.
const MAX_LINK_LEVELS: usize = 4;

/// The directories link sources are read from, relative to the project
/// directory `dir`: itself and, beside named manifests, each directory
/// above it up to where upcheck runs — at most [`MAX_LINK_LEVELS`], and
/// none above a repository's root (a directory holding `.git`).
fn link_dirs(src: &dyn FileSource, dir: &str, run_dir: Option<&str>) -> Vec<String> {
    let mut out = vec![String::new()];
    let levels = run_dir
        .map(|r| rebase(dir, r))
        .filter(|r| r.split('/').all(|s| s == ".."))
        .map_or(0, |r| r.split('/').count());
    for _ in 0..levels.min(MAX_LINK_LEVELS) {
        let here = out.last().cloned().unwrap_or_default();
        if src.entry(&join(dir, &join(&here, ".git"))).is_some() {
            break;
        }
        out.push(join(&here, ".."));
    }
    out
}

struct Reader<'a> {
    src: &'a dyn FileSource,
    limits: Limits,
    /// Project directory, relative to the source root.
    dir: String,
    have: BTreeMap<String, Vec<u8>>,
    listed: BTreeSet<String>,
    complete: BTreeSet<String>,
    files: Vec<ReadFile>,
    bytes: u64,
    /// Compose files read because another one includes or extends them.
    included: Vec<String>,
    /// Wanted files that are not there.
    absent: BTreeSet<String>,
}

impl Reader<'_> {
    /// Reads `path` (relative to the source root) once; `false` when it
    /// was read before.
    fn read(&mut self, path: &str, role: Role, why: &str) -> Result<bool, DiscoverError> {
        let rel = rebase(&self.dir, path);
        if self.have.contains_key(&rel) {
            return Ok(false);
        }
        if self.files.len() >= self.limits.max_files {
            return Err(DiscoverError::TooMuch(format!(
                "more than {} files to read; name the files with --topology and --nginx",
                self.limits.max_files
            )));
        }
        let bytes = self.src.read(path).map_err(DiscoverError::Read)?;
        self.bytes += bytes.len() as u64;
        if self.bytes > self.limits.max_bytes {
            return Err(DiscoverError::TooMuch(format!(
                "more than {} bytes to read; name the files with --topology and --nginx",
                self.limits.max_bytes
            )));
        }
        self.have.insert(rel.clone(), bytes);
        self.files.push(ReadFile {
            path: rel,
            role,
            why: why.to_string(),
        });
        Ok(true)
    }

    /// Lists every file below a directory (depth-capped, `.git` and
    /// `node_modules` left out), without reading them.
    fn list_tree(&mut self, path: &str) -> Result<bool, DiscoverError> {
        let before = self.listed.len();
        self.complete.insert(rebase(&self.dir, path));
        let mut stack = vec![(path.to_string(), 0usize)];
        while let Some((p, depth)) = stack.pop() {
            match self.src.entry(&p) {
                Some(Entry::File) => {
                    if self.listed.len() >= self.limits.max_listed {
                        return Err(DiscoverError::TooMuch(format!(
                            "more than {} files in build contexts",
                            self.limits.max_listed
                        )));
                    }
                    self.listed.insert(rebase(&self.dir, &p));
                }
                Some(Entry::Dir) if depth <= self.limits.max_depth => {
                    let mut names = self.src.list(&p);
                    names.retain(|n| n != ".git" && n != "node_modules");
                    stack.extend(names.iter().rev().map(|n| (join(&p, n), depth + 1)));
                }
                _ => {}
            }
        }
        Ok(self.listed.len() > before)
    }

    /// Reads a file, or every regular file below a directory (sorted,
    /// hidden entries skipped, depth-capped); missing is fine.
    fn read_tree(&mut self, path: &str, role: Role, why: &str) -> Result<bool, DiscoverError> {
        let mut added = false;
        let mut stack = vec![(path.to_string(), 0usize)];
        while let Some((p, depth)) = stack.pop() {
            match self.src.entry(&p) {
                Some(Entry::File) => added |= self.read(&p, role, why)?,
                Some(Entry::Dir) if depth <= self.limits.max_depth => {
                    let mut names = self.src.list(&p);
                    names.retain(|n| !n.starts_with('.'));
                    stack.extend(names.iter().rev().map(|n| (join(&p, n), depth + 1)));
                }
                _ => {}
            }
        }
        Ok(added)
    }
}

/// Runs discovery over `src`, rooted where the user runs upcheck.
///
/// A compose file found by its default name that runs no nginx, beside
/// Kubernetes manifests that do (a compose file for the app's local
/// development, the deployment in manifests), gives way to the manifests,
/// with a note; the compose file is then read for how images are built.
/// Naming files, a service or nginx files keeps the compose project.
pub fn discover(
    src: &dyn FileSource,
    named: &Named,
    limits: Limits,
) -> Result<Discovered, DiscoverError> {
    let located = if named.topology.is_empty() {
        Some(locate::locate(src, &named.request).map_err(DiscoverError::Locate)?)
    } else {
        None
    };
    let compose = match &located {
        Some(Located::Compose {
            files,
            defaulted: true,
            ..
        }) if named.nginx.is_empty() && named.options.nginx_service.is_none() => {
            files.first().map(|f| f.path.clone())
        }
        _ => None,
    };
    let found = discover_located(src, named, limits, located)?;
    let Some(compose) = compose.filter(|_| !found.runs_nginx) else {
        return Ok(found);
    };
    let Ok(manifests @ Located::Kubernetes { .. }) = locate::kubernetes(src) else {
        return Ok(found);
    };
    match discover_located(src, named, limits, Some(manifests)) {
        Ok(mut k) if k.runs_nginx => {
            k.notes.push(format!(
                "`{compose}` runs no nginx and the Kubernetes manifests here do: validating the manifests (`{compose}` is read for how images are built)"
            ));
            k.notes.sort();
            k.input.notes = k.notes.clone();
            Ok(k)
        }
        _ => Ok(found),
    }
}

/// Whether the model of `input` has a container that runs nginx (after
/// discovery stopped at its round limit, when no round loaded this input).
fn runs_nginx(input: &Input) -> bool {
    crate::validate::load_model(input).is_ok_and(|(_, topo)| !topo.nginx_sites().is_empty())
}

/// Discovery from what [`locate::locate`] found (`None`: the topology files
/// the user named).
fn discover_located(
    src: &dyn FileSource,
    named: &Named,
    limits: Limits,
    located: Option<Located>,
) -> Result<Discovered, DiscoverError> {
    let explicit_topology = located.is_none();
    let (dir, topology, env_files, env, mut notes) = match located {
        Some(Located::Compose {
            dir,
            files,
            env_files,
            env,
            notes,
            ..
        }) => (dir, files, env_files, env, notes),
        Some(Located::Kubernetes { files, unrendered }) => {
            let notes = unrendered
                .iter()
                .map(|u| format!("{} not read; to check it: {}", u.dir, u.command()))
                .collect();
            (
                String::new(),
                files,
                Vec::new(),
                named.request.env.clone(),
                notes,
            )
        }
        None => {
            let files: Vec<Found> = named.topology.iter().map(|p| Found::given(p)).collect();
            // Compose's rule: the project directory is the first file's.
            let dir = files
                .iter()
                .find(|f| f.path != "-")
                .map(|f| crate::nginx::include::dirname(&f.path).to_string())
                .unwrap_or_default();
            let located = locate::locate(
                src,
                &Request {
                    compose_files: files.iter().map(|f| f.path.clone()).collect(),
                    ..named.request.clone()
                },
            );
            let (env_files, env) = match located {
                Ok(Located::Compose { env_files, env, .. }) => (env_files, env),
                _ => (Vec::new(), named.request.env.clone()),
            };
            (dir, files, env_files, env, Vec::new())
        }
    };
    let mut r = Reader {
        src,
        limits,
        dir: dir.clone(),
        have: BTreeMap::new(),
        listed: BTreeSet::new(),
        complete: BTreeSet::new(),
        files: Vec::new(),
        bytes: 0,
        included: Vec::new(),
        absent: BTreeSet::new(),
    };
    let mut topology_paths = Vec::new();
    for f in &topology {
        if f.path == "-" {
            let bytes = named.stdin.clone().unwrap_or_default();
            r.have.insert("-".into(), bytes);
            r.files.push(ReadFile {
                path: "-".into(),
                role: Role::Topology,
                why: "standard input".into(),
            });
            topology_paths.push("-".to_string());
        } else {
            r.read(&f.path, Role::Topology, &f.why)?;
            topology_paths.push(rebase(&dir, &f.path));
        }
    }
    for f in &env_files {
        r.read(&f.path, Role::EnvFile, &f.why)?;
    }
    let mut nginx_paths = Vec::new();
    for p in &named.nginx {
        let before = r.files.len();
        if p == "-" {
            r.have
                .insert("-".into(), named.stdin.clone().unwrap_or_default());
            r.files.push(ReadFile {
                path: "-".into(),
                role: Role::Nginx,
                why: "standard input".into(),
            });
        } else if src.entry(p).is_none() {
            return Err(DiscoverError::Read(ReadError::NotFound(p.clone())));
        } else {
            r.read_tree(p, Role::Nginx, "named on the command line")?;
        }
        nginx_paths.extend(r.files[before..].iter().map(|f| f.path.clone()));
    }
    let build = |r: &Reader| -> Input {
        let mut options = named.options.clone();
        options.env = env.clone();
        if options.project_dir.is_none() {
            options.project_dir = project_dir_name(src, &dir);
        }
        let topology_paths: Vec<&String> = topology_paths.iter().chain(&r.included).collect();
        let topology_set: BTreeSet<&str> = topology_paths.iter().map(|p| p.as_str()).collect();
        let nginx_set: BTreeSet<&str> = nginx_paths.iter().map(String::as_str).collect();
        Input {
            nginx: nginx_paths
                .iter()
                .map(|p| InputFile::new(p.clone(), r.have[p].clone()))
                .collect(),
            nginx_main: named.nginx_main.clone(),
            topology: topology_paths
                .iter()
                .map(|&p| TopologyInput {
                    file: InputFile::new(p.clone(), r.have[p].clone()),
                    format: named.format,
                })
                .collect(),
            files: r
                .have
                .iter()
                .filter(|(p, _)| {
                    !topology_set.contains(p.as_str()) && !nginx_set.contains(p.as_str())
                })
                .map(|(p, c)| InputFile::new(p.clone(), c.clone()))
                .collect(),
            listed: r
                .listed
                .iter()
                .filter(|p| !r.have.contains_key(*p))
                .cloned()
                .collect(),
            complete: r.complete.iter().cloned().collect(),
            absent: r.absent.iter().cloned().collect(),
            notes: Vec::new(),
            options,
        }
    };
    // Named manifests live below the repository's root, where it says how
    // it builds its images; a named compose file is its own project.
    let named_compose = explicit_topology
        && topology.first().is_some_and(|f| {
            let file = crate::source::SourceFile::new(
                f.path.clone(),
                r.have
                    .get(&rebase(&dir, &f.path))
                    .cloned()
                    .unwrap_or_default(),
            );
            crate::topology::detect(&file) == Some(crate::topology::Format::Compose)
        });
    let link_dirs = if explicit_topology && !named_compose {
        link_dirs(src, &dir, named.run_dir.as_deref())
    } else {
        vec![String::new()]
    };
    for _ in 0..limits.max_rounds {
        let input = build(&r);
        let mut added = false;
        // The model of what has been read: what it refers to, and whether
        // it runs nginx (for [`discover`], when this is the last round).
        let (wants, runs_nginx) = match crate::validate::load_model(&input) {
            Ok((_, topo)) => (super::wanted(&topo), !topo.nginx_sites().is_empty()),
            Err(_) => (Vec::new(), false),
        };
        for w in wants {
            let (Want::File(p)
            | Want::Compose(p)
            | Want::BuildLinks(p)
            | Want::Tree(p)
            | Want::Listing(p)) = &w;
            let at = join(&dir, p);
            added |= match w {
                Want::File(_) if src.entry(&at) == Some(Entry::File) => {
                    r.read(&at, Role::Referenced, "referred to by the model")?
                }
                Want::Compose(_) if src.entry(&at) == Some(Entry::File) => {
                    let new = r.read(
                        &at,
                        Role::Topology,
                        "included or extended by a compose file",
                    )?;
                    if new {
                        r.included.push(rebase(&dir, &at));
                    }
                    new
                }
                Want::Tree(_) => {
                    r.read_tree(&at, Role::Referenced, "copied or mounted into nginx")?
                }
                Want::BuildLinks(_) => {
                    let mut new = false;
                    for l in &link_dirs {
                        new |= r.read_tree(
                            &join(&dir, &join(l, p)),
                            Role::Referenced,
                            "says how the repository builds images",
                        )?;
                    }
                    new
                }
                Want::Listing(_) => r.list_tree(&at)?,
                Want::File(_) | Want::Compose(_) => {
                    if src.entry(&at).is_none() {
                        r.absent.insert(rebase(&dir, &at));
                    }
                    false
                }
            };
        }
        if !added {
            notes.sort();
            let mut input = input;
            input.notes = notes.clone();
            return Ok(Discovered {
                input,
                files: r.files,
                notes,
                dir,
                runs_nginx,
            });
        }
    }
    notes.push(format!(
        "stopped reading referenced files after {} rounds",
        limits.max_rounds
    ));
    let mut input = build(&r);
    input.notes = notes.clone();
    Ok(Discovered {
        runs_nginx: runs_nginx(&input),
        input,
        files: r.files,
        notes,
        dir,
    })
}

/// The project directory's own name (the default compose project name).
fn project_dir_name(src: &dyn FileSource, dir: &str) -> Option<String> {
    src.dir_name(dir)
}

//! Which files a project is: what `docker compose` would read when run in
//! a directory (its compose file by compose's own name precedence, the
//! override file beside it, `COMPOSE_FILE`, the `.env` files and the
//! `COMPOSE_*` variables they set, the project name), or, where there is no
//! compose file, the Kubernetes manifests of the directory — refusing an
//! unrendered Helm chart or kustomize base with the command that renders
//! it. The rules are those of compose-go's `cli/options.go` and docker
//! compose's `pkg/compose/loader.go` (../shared/reference/projects-as-shipped.md §1–2).

use super::source::{Entry, FileSource};
use crate::nginx::include::{dirname, normalize};
use std::collections::BTreeMap;

/// Compose's default file names, in compose-go's order of preference.
pub const COMPOSE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The override file names, searched beside the main file only.
pub const OVERRIDE_NAMES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Most parent directories walked up looking for a compose file.
const MAX_PARENTS: usize = 64;
/// Most entries looked at while collecting Kubernetes manifests.
const MAX_SCAN: usize = 20_000;
/// Deepest directory looked into for manifests.
const MAX_SCAN_DEPTH: usize = 8;
/// Directories never looked into for manifests.
const SKIP_DIRS: &[&str] = &["node_modules", "vendor", "target", "dist", "build"];

/// What the user asked for, besides the directory.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Compose files given explicitly (`--topology`, like `-f`), relative
    /// to the directory discovery runs in.
    pub compose_files: Vec<String>,
    /// Env files given explicitly (`--env-file`): they replace the default `.env`.
    pub env_files: Vec<String>,
    /// The process environment (it wins over every file, as in compose).
    pub env: BTreeMap<String, String>,
}

/// A file discovery chose, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Path relative to the directory discovery ran in.
    pub path: String,
    /// Why it was chosen (`default compose file`, `COMPOSE_FILE`, …).
    pub why: String,
}

impl Found {
    /// `path`, chosen because `why`.
    pub(crate) fn new(path: impl Into<String>, why: impl Into<String>) -> Found {
        Found {
            path: path.into(),
            why: why.into(),
        }
    }

    /// A file named on the command line, normalised (`-`, stdin, as it is).
    pub(crate) fn given(path: &str) -> Found {
        let path = if path == "-" {
            path.to_string()
        } else {
            normalize(path)
        };
        Found::new(path, "named on the command line")
    }
}

/// A Kubernetes project that cannot be read as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrendered {
    /// The directory holding `Chart.yaml` or `kustomization.yaml`.
    pub dir: String,
    /// `helm` or `kustomize`.
    pub tool: &'static str,
}

impl Unrendered {
    /// The command that renders it, piped into upcheck.
    pub fn command(&self) -> String {
        let dir = if self.dir.is_empty() { "." } else { &self.dir };
        match self.tool {
            "helm" => format!("helm template {dir} | upcheck validate --topology -"),
            _ => format!("kubectl kustomize {dir} | upcheck validate --topology -"),
        }
    }
}

/// What a directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// A compose project.
    Compose {
        /// The project directory, relative to where discovery ran (`""`
        /// for the same directory, `..` when a parent holds the files).
        dir: String,
        /// Compose files in `-f` order (main, then override).
        files: Vec<Found>,
        /// Env files read for interpolation, in precedence order (first wins).
        env_files: Vec<Found>,
        /// The environment compose interpolates with: the process
        /// environment, then the env files' values for keys it lacks.
        env: BTreeMap<String, String>,
        /// Things worth telling the user (several candidate files …).
        notes: Vec<String>,
        /// Found by compose's default names in this directory: neither
        /// named (`-f`, `COMPOSE_FILE`) nor in a parent directory.
        defaulted: bool,
    },
    /// Kubernetes manifests.
    Kubernetes {
        /// The manifest files, sorted.
        files: Vec<Found>,
        /// Charts and kustomizations left unread (render them to use them).
        unrendered: Vec<Unrendered>,
    },
}

/// Why discovery found nothing it can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocateError {
    /// No compose file here or above, and no manifests here.
    #[error(
        "no compose file (compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml) here or in a parent directory, and no Kubernetes manifests here; name the files with --topology and --nginx"
    )]
    Nothing,
    /// Only unrendered Helm charts or kustomize bases.
    #[error("{}", render_first(.0))]
    Unrendered(Vec<Unrendered>),
    /// A file named by `COMPOSE_FILE`, `--topology` or `--env-file` does not exist.
    #[error("{path}: no such file (named by {named_by})")]
    Missing {
        /// The path.
        path: String,
        /// Who named it.
        named_by: String,
    },
}

/// The message of [`LocateError::Unrendered`]: the command that renders each.
fn render_first(list: &[Unrendered]) -> String {
    let mut out = "only unrendered Kubernetes sources here; render them first:".to_string();
    for u in list {
        out.push_str("\n  ");
        out.push_str(&u.command());
    }
    out
}

/// Joins a directory and a relative path, lexically.
pub fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') || dir.is_empty() {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
}

pub use crate::nginx::include::rebase;

/// Reads `KEY=VALUE` lines of an env file for the `COMPOSE_*` variables and
/// interpolation (compose-go's dotenv rules), expanding from `lookup`.
fn env_file_vars(
    src: &dyn FileSource,
    path: &str,
    lookup: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    match src.read(path) {
        Ok(bytes) => {
            crate::topology::compose::dotenv_values(&String::from_utf8_lossy(&bytes), lookup)
        }
        Err(_) => BTreeMap::new(),
    }
}

/// Nothing when `path`, named by `named_by` (`--env-file`, `--topology`,
/// `COMPOSE_FILE`), is a file in `src`; [`LocateError::Missing`] otherwise.
fn must_exist(src: &dyn FileSource, path: &str, named_by: &str) -> Result<(), LocateError> {
    if src.entry(path) == Some(Entry::File) {
        return Ok(());
    }
    Err(LocateError::Missing {
        path: path.to_string(),
        named_by: named_by.into(),
    })
}

/// Finds the project in `src` (rooted where discovery runs).
pub fn locate(src: &dyn FileSource, req: &Request) -> Result<Located, LocateError> {
    let mut notes = Vec::new();
    let mut env = req.env.clone();
    // The first env files: `--env-file`/`COMPOSE_ENV_FILES`, else the
    // `.env` of the directory of the first `-f` file, else of this one.
    let first_dir = req
        .compose_files
        .first()
        .map(|f| dirname(&normalize(f)).to_string())
        .unwrap_or_default();
    let explicit_env: Vec<String> = if !req.env_files.is_empty() {
        req.env_files.clone()
    } else {
        env.get("COMPOSE_ENV_FILES")
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    };
    let disable = env
        .get("COMPOSE_DISABLE_ENV_FILE")
        .is_some_and(|v| matches!(v.as_str(), "1" | "t" | "T" | "true" | "TRUE" | "True"));
    let mut env_files: Vec<Found> = Vec::new();
    if !explicit_env.is_empty() {
        for p in &explicit_env {
            must_exist(src, p, "--env-file")?;
            env_files.push(Found::new(normalize(p), "--env-file"));
        }
    } else if !disable {
        let dotenv = join(&first_dir, ".env");
        if src.entry(&dotenv) == Some(Entry::File) {
            env_files.push(Found::new(dotenv, "the project's .env"));
        }
    }
    // Later env files override earlier ones; the process environment wins.
    let mut file_vars: BTreeMap<String, String> = BTreeMap::new();
    for f in &env_files {
        let mut lookup = env.clone();
        lookup.extend(file_vars.clone());
        file_vars.extend(env_file_vars(src, &f.path, &lookup));
    }
    for (k, v) in file_vars {
        env.entry(k).or_insert(v);
    }

    // Compose files: `-f`, else `COMPOSE_FILE`, else the default names here
    // or in the nearest parent that has one.
    let mut files: Vec<Found> = Vec::new();
    if !req.compose_files.is_empty() {
        for f in &req.compose_files {
            if f != "-" {
                must_exist(src, f, "--topology")?;
            }
            files.push(Found::given(f));
        }
    } else if let Some(list) = env.get("COMPOSE_FILE").filter(|v| !v.is_empty()) {
        let sep = env
            .get("COMPOSE_PATH_SEPARATOR")
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| ":".into());
        for f in list.split(sep.as_str()).filter(|f| !f.is_empty()) {
            must_exist(src, f, "COMPOSE_FILE")?;
            files.push(Found::new(normalize(f), "COMPOSE_FILE"));
        }
    } else {
        let mut dir = String::new();
        for _ in 0..MAX_PARENTS {
            let here: Vec<&str> = COMPOSE_NAMES
                .iter()
                .copied()
                .filter(|n| src.entry(&join(&dir, n)) == Some(Entry::File))
                .collect();
            if let Some(first) = here.first() {
                if here.len() > 1 {
                    notes.push(format!(
                        "found several compose files in {}: {}; using {first}, as docker compose does",
                        if dir.is_empty() { "." } else { &dir },
                        here.join(", ")
                    ));
                }
                let why = if dir.is_empty() {
                    "default compose file"
                } else {
                    "default compose file, found in a parent directory"
                };
                files.push(Found::new(join(&dir, first), why));
                let overrides: Vec<&str> = OVERRIDE_NAMES
                    .iter()
                    .copied()
                    .filter(|n| src.entry(&join(&dir, n)) == Some(Entry::File))
                    .collect();
                if let Some(o) = overrides.first() {
                    let why = "override file beside the compose file";
                    files.push(Found::new(join(&dir, o), why));
                }
                break;
            }
            let up = join(&dir, "..");
            if src.entry(&up) != Some(Entry::Dir) {
                break;
            }
            dir = up;
        }
    }
    if files.is_empty() {
        return kubernetes(src);
    }
    let defaulted = req.compose_files.is_empty()
        && !env.contains_key("COMPOSE_FILE")
        && dirname(&files[0].path).is_empty();
    let dir = if files[0].path == "-" {
        String::new()
    } else {
        dirname(&files[0].path).to_string()
    };
    // The project directory's `.env` adds what the first pass lacked.
    let dotenv = join(&dir, ".env");
    if explicit_env.is_empty()
        && !disable
        && !env_files.iter().any(|f| f.path == dotenv)
        && src.entry(&dotenv) == Some(Entry::File)
    {
        for (k, v) in env_file_vars(src, &dotenv, &env) {
            env.entry(k).or_insert(v);
        }
        env_files.push(Found::new(dotenv, "the project's .env"));
    }
    Ok(Located::Compose {
        dir,
        files,
        env_files,
        env,
        notes,
        defaulted,
    })
}

/// The Kubernetes manifests below the directory, leaving out (and
/// naming) Helm charts and kustomize bases, which need rendering.
pub(crate) fn kubernetes(src: &dyn FileSource) -> Result<Located, LocateError> {
    let mut files = Vec::new();
    let mut unrendered = Vec::new();
    let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
    let mut seen = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let names = src.list(&dir);
        seen += names.len();
        if seen > MAX_SCAN {
            break;
        }
        if names.iter().any(|n| n == "Chart.yaml") {
            unrendered.push(Unrendered { dir, tool: "helm" });
            continue;
        }
        if names.iter().any(|n| {
            matches!(
                n.as_str(),
                "kustomization.yaml" | "kustomization.yml" | "Kustomization"
            )
        }) {
            unrendered.push(Unrendered {
                dir,
                tool: "kustomize",
            });
            continue;
        }
        let mut subdirs = Vec::new();
        for n in names {
            if n.starts_with('.') {
                continue;
            }
            let p = join(&dir, &n);
            match src.entry(&p) {
                Some(Entry::Dir) if depth < MAX_SCAN_DEPTH && !SKIP_DIRS.contains(&n.as_str()) => {
                    subdirs.push((p, depth + 1))
                }
                Some(Entry::File) if is_manifest(src, &p) => {
                    files.push(Found::new(p, "Kubernetes manifest"))
                }
                _ => {}
            }
        }
        // Depth-first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    unrendered.sort_by(|a, b| a.dir.cmp(&b.dir));
    match (files.is_empty(), unrendered.is_empty()) {
        (true, true) => Err(LocateError::Nothing),
        (true, false) => Err(LocateError::Unrendered(unrendered)),
        _ => Ok(Located::Kubernetes { files, unrendered }),
    }
}

/// A YAML or JSON file whose content reads as Kubernetes objects.
fn is_manifest(src: &dyn FileSource, path: &str) -> bool {
    let yaml = [".yaml", ".yml", ".json"].iter().any(|e| path.ends_with(e));
    if !yaml {
        return false;
    }
    let Ok(bytes) = src.read(path) else {
        return false;
    };
    let file = crate::source::SourceFile::new(path, bytes);
    crate::topology::detect(&file) == Some(crate::topology::Format::Kubernetes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::source::MemorySource;

    fn src(files: &[(&str, &str)]) -> MemorySource {
        MemorySource::new(
            files
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
        )
    }

    /// What `files` locate to with the default request.
    fn located(files: &[(&str, &str)]) -> Located {
        locate(&src(files), &Request::default()).unwrap()
    }

    fn compose(l: &Located) -> (&str, Vec<&str>, &BTreeMap<String, String>) {
        match l {
            Located::Compose {
                dir, files, env, ..
            } => (dir, files.iter().map(|f| f.path.as_str()).collect(), env),
            other => panic!("not compose: {other:?}"),
        }
    }

    #[test]
    fn compose_names_are_tried_in_compose_go_order_with_the_override() {
        let l = located(&[
            ("docker-compose.yaml", "services: {}"),
            ("docker-compose.yml", "services: {}"),
            ("compose.override.yaml", "services: {}"),
            ("docker-compose.override.yml", "services: {}"),
        ]);
        let (dir, files, _) = compose(&l);
        assert_eq!(dir, "");
        // `.yml` before `.yaml` for the legacy name; the first override wins.
        assert_eq!(files, ["docker-compose.yml", "compose.override.yaml"]);
        let Located::Compose { notes, .. } = &l else {
            unreachable!()
        };
        assert!(notes[0].contains("several compose files"), "{notes:?}");
    }

    #[test]
    fn compose_file_and_project_name_come_from_the_dotenv() {
        let l = located(&[
            (
                ".env",
                "COMPOSE_FILE=deploy/a.yml:deploy/b.yml\nAPI_PORT=8000\n",
            ),
            ("deploy/a.yml", "services: {}"),
            ("deploy/b.yml", "services: {}"),
            ("deploy/.env", "API_PORT=9000\nONLY_HERE=1\n"),
        ]);
        let (dir, files, env) = compose(&l);
        assert_eq!(dir, "deploy");
        assert_eq!(files, ["deploy/a.yml", "deploy/b.yml"]);
        // The first .env wins; the project directory's adds what it lacks.
        assert_eq!(env["API_PORT"], "8000");
        assert_eq!(env["ONLY_HERE"], "1");
    }

    #[test]
    fn the_process_environment_wins_over_env_files() {
        let s = src(&[
            (".env", "API_PORT=8000\n"),
            ("compose.yaml", "services: {}"),
        ]);
        let req = Request {
            env: BTreeMap::from([("API_PORT".to_string(), "7000".to_string())]),
            ..Default::default()
        };
        let l = locate(&s, &req).unwrap();
        assert_eq!(compose(&l).2["API_PORT"], "7000");
    }

    #[test]
    fn an_explicit_file_sets_the_project_directory() {
        let s = src(&[("sub/compose.yaml", "services: {}"), ("sub/.env", "A=1\n")]);
        let req = Request {
            compose_files: vec!["./sub/compose.yaml".into()],
            ..Default::default()
        };
        let l = locate(&s, &req).unwrap();
        let (dir, files, env) = compose(&l);
        assert_eq!((dir, files), ("sub", vec!["sub/compose.yaml"]));
        assert_eq!(env["A"], "1");
        let missing = Request {
            compose_files: vec!["nope.yaml".into()],
            ..Default::default()
        };
        assert!(matches!(
            locate(&s, &missing),
            Err(LocateError::Missing { .. })
        ));
    }

    #[test]
    fn manifests_are_read_and_charts_are_named_with_their_render_command() {
        let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n";
        let l = located(&[
            ("k8s/app.yaml", deploy),
            ("k8s/notes.yaml", "just: text\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: x\n"),
            ("chart/templates/d.yaml", deploy),
            ("overlay/kustomization.yaml", "resources: []\n"),
        ]);
        let Located::Kubernetes { files, unrendered } = l else {
            panic!()
        };
        assert_eq!(
            files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["k8s/app.yaml"]
        );
        assert_eq!(unrendered.len(), 2);
        assert_eq!(
            unrendered[0].command(),
            "helm template chart | upcheck validate --topology -"
        );
        let only_chart = src(&[("Chart.yaml", "name: x\n"), ("templates/d.yaml", deploy)]);
        let e = locate(&only_chart, &Request::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("helm template . | upcheck validate --topology -"),
            "{e}"
        );
        assert_eq!(
            locate(&src(&[("README", "")]), &Request::default()),
            Err(LocateError::Nothing)
        );
    }
}

//! Images the project builds: a container whose image comes from a
//! Dockerfile (compose `build:`) gets what that Dockerfile says — its base
//! image (so `FROM nginx` makes an nginx), ENV, ENTRYPOINT and CMD (merged
//! with the written entrypoint and command as Docker and the CRI merge
//! them), EXPOSE, and the files COPY/ADD place (so an nginx configuration
//! copied into the image is the one nginx reads). The Dockerfile and its
//! build context come from the project's files ([`LoadOptions::files`] and
//! [`LoadOptions::listed`]); what is missing becomes a [`Reference`] for
//! discovery to read, and a located diagnostic.

use super::model::{DeclaredPort, EnvVar, PortKind, Protocol, Topology};
use super::{DiagSeverity, LoadOptions, TopologyDiagnostic};
use crate::nginx::include::normalize;
use crate::project::dockerfile::{
    self, BaseImageConfig, BaseImages, EvalOptions, FileSource as FromSource, MemoryContext,
    Runtime, RuntimeOverride, Setting,
};
use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;
use std::collections::BTreeMap;

/// How an image is built: compose's `build:` (or a build linked to the
/// container's image), with every path relative to the project directory.
#[derive(Debug, Clone, Serialize)]
pub struct Build {
    /// The build context directory (`""` for the project directory).
    pub context: String,
    /// The Dockerfile's path (joined to the context).
    pub dockerfile: String,
    /// `dockerfile_inline`: the Dockerfile's text, written in the topology.
    #[serde(skip)]
    pub inline: Option<(String, Span)>,
    /// `target`: the stage built (the last when `None`).
    pub target: Option<String>,
    /// `args`: build arguments.
    pub args: BTreeMap<String, String>,
    /// Where the build is described.
    pub span: Option<Span>,
    /// How the build was linked to this container (`compose build:` …).
    pub via: String,
    /// Who runs the container (how empty overrides read).
    #[serde(skip)]
    pub runtime: Runtime,
    /// Linked to a container that names its own image (a Kubernetes
    /// container, a compose service without `build:`): the container
    /// keeps that name, where a compose build runs its base image's.
    #[serde(skip)]
    pub linked: bool,
    /// What the Dockerfile yields, once evaluated.
    pub image: Option<BuiltImage>,
    /// The image the built stage starts from, when the Dockerfile's stages
    /// were read but it could not be built (`image` is then `None`).
    #[serde(skip)]
    pub unbuilt_from: Option<String>,
}

impl Build {
    /// A build of `context` with `dockerfile` (relative to the context;
    /// `Dockerfile` when `None`), described at `span`, linked `via`.
    pub fn new(
        context: &str,
        dockerfile: Option<&str>,
        span: Option<Span>,
        via: impl Into<String>,
        runtime: Runtime,
    ) -> Build {
        let context = normalize(context);
        let dockerfile = join(&context, dockerfile.unwrap_or("Dockerfile"));
        Build {
            context,
            dockerfile,
            inline: None,
            target: None,
            args: BTreeMap::new(),
            span,
            via: via.into(),
            runtime,
            linked: false,
            image: None,
            unbuilt_from: None,
        }
    }

    /// True when the Dockerfile's built stage starts from an nginx image
    /// but could not be built as written: the container would run nginx,
    /// with a configuration no one can read.
    pub fn unbuilt_nginx(&self) -> bool {
        self.unbuilt_from
            .as_deref()
            .is_some_and(super::is_nginx_image)
    }
}

/// What a Dockerfile yields for one container.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltImage {
    /// The base image at the root of the built stage (`nginx:1.25`).
    pub base: String,
    /// The image's ENTRYPOINT (`None`: not set).
    pub entrypoint: Option<Vec<String>>,
    /// The image's CMD (`None`: not set).
    pub cmd: Option<Vec<String>>,
    /// Whether ENTRYPOINT and CMD are known (false when they come from a
    /// base image whose configuration is not known).
    pub argv_known: bool,
    /// The files COPY/ADD place, by absolute path in the image.
    pub files: Vec<ImageFile>,
    /// The Dockerfile, when it is a file of the project.
    #[serde(skip)]
    pub dockerfile: Option<FileId>,
}

/// A file an image holds because its Dockerfile put it there.
#[derive(Debug, Clone, Serialize)]
pub struct ImageFile {
    /// Absolute path in the image.
    pub path: String,
    /// Where its bytes come from.
    pub source: ImageFileSource,
    /// The COPY/ADD that placed it.
    pub span: Option<Span>,
}

/// Where the bytes of an [`ImageFile`] come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImageFileSource {
    /// A project file (path relative to the project directory).
    Project {
        /// Its path.
        path: String,
    },
    /// A heredoc in the Dockerfile.
    Inline {
        /// The content.
        content: String,
        /// The body in the Dockerfile.
        span: Option<Span>,
    },
    /// Something the model cannot see (another stage's RUN output, a
    /// registry image, a URL), or a project file that was not supplied.
    Unknown {
        /// What it is.
        what: String,
    },
}

/// A project file or directory the model refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Reference {
    /// Its path, relative to the project directory.
    pub path: String,
    /// What it is to the model.
    pub kind: ReferenceKind,
}

impl Reference {
    /// A `kind` reference to `path` (relative to the project directory).
    pub fn new(kind: ReferenceKind, path: impl Into<String>) -> Reference {
        Reference {
            path: path.into(),
            kind,
        }
    }
}

/// What a referenced path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// An env file (`env_file:`).
    EnvFile,
    /// A compose file another one includes or extends.
    ComposeFile,
    /// A Dockerfile.
    Dockerfile,
    /// A build's ignore file (`.dockerignore`, `<Dockerfile>.dockerignore`).
    IgnoreFile,
    /// A script the container runs (`CMD ["/app/start.sh"]`), copied in
    /// by its Dockerfile: what it does before nginx starts matters.
    Script,
    /// Where the repository says how it builds its images (CI workflows,
    /// `skaffold.yaml`, the Makefile, compose files beside Kubernetes
    /// manifests): read to link an `image:` to its Dockerfile.
    BuildLinks,
    /// A build context: its listing is needed, not its contents.
    Context,
    /// A file an nginx image copies from its build context to where nginx
    /// reads configuration: its contents are needed.
    NginxFile,
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() || rel.starts_with('/') {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
}

/// `path` inside `dir`, as a path relative to `dir`.
fn inside<'p>(dir: &str, path: &'p str) -> Option<&'p str> {
    if dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// What is known of well-known base images (shared/reference/images-and-servers.md).
struct KnownImages;

impl BaseImages for KnownImages {
    fn config(&self, reference: &str) -> Option<BaseImageConfig> {
        let name = image_name(reference);
        let words = |w: &[&str]| Some(w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let nginx = || BaseImageConfig {
            entrypoint: words(&["/docker-entrypoint.sh"]),
            cmd: words(&["nginx", "-g", "daemon off;"]),
            exposed: vec![(80, "tcp".into())],
            stop_signal: Some("SIGQUIT".into()),
            ..Default::default()
        };
        Some(match name {
            "nginx" => nginx(),
            "nginx-unprivileged" => BaseImageConfig {
                exposed: vec![(8080, "tcp".into())],
                user: Some("101".into()),
                ..nginx()
            },
            "openresty" => BaseImageConfig {
                cmd: words(&["/usr/bin/openresty", "-g", "daemon off;"]),
                exposed: vec![(80, "tcp".into())],
                stop_signal: Some("SIGQUIT".into()),
                ..Default::default()
            },
            // Language and OS bases: what matters is their ENTRYPOINT (none,
            // or a wrapper that runs its arguments) and default CMD.
            "python" | "pypy" => cmd_only(&["python3"]),
            "node" => BaseImageConfig {
                entrypoint: words(&["docker-entrypoint.sh"]),
                cmd: words(&["node"]),
                ..Default::default()
            },
            "php" => {
                let tag = reference.rsplit_once(':').map_or("", |t| t.1);
                if tag.contains("fpm") {
                    BaseImageConfig {
                        entrypoint: words(&["docker-php-entrypoint"]),
                        cmd: words(&["php-fpm"]),
                        exposed: vec![(9000, "tcp".into())],
                        ..Default::default()
                    }
                } else if tag.contains("apache") {
                    BaseImageConfig {
                        entrypoint: words(&["docker-php-entrypoint"]),
                        cmd: words(&["apache2-foreground"]),
                        exposed: vec![(80, "tcp".into())],
                        ..Default::default()
                    }
                } else {
                    BaseImageConfig {
                        entrypoint: words(&["docker-php-entrypoint"]),
                        cmd: words(&["php", "-a"]),
                        ..Default::default()
                    }
                }
            }
            "ruby" => cmd_only(&["irb"]),
            "golang" | "rust" | "debian" | "ubuntu" | "buildpack-deps" => cmd_only(&["bash"]),
            "alpine" | "busybox" => cmd_only(&["/bin/sh"]),
            // .NET 8 and later listen on all interfaces, port 8080.
            "aspnet" | "runtime" | "runtime-deps" if reference.contains("dotnet") => {
                BaseImageConfig {
                    env: vec![("ASPNETCORE_HTTP_PORTS".into(), "8080".into())],
                    ..Default::default()
                }
            }
            _ => return None,
        })
    }

    fn is_dir(&self, reference: &str, path: &str) -> Option<bool> {
        let nginx_dirs = [
            "/etc/nginx",
            "/etc/nginx/conf.d",
            "/etc/nginx/templates",
            "/usr/share/nginx/html",
        ];
        match image_name(reference) {
            "nginx" | "nginx-unprivileged" | "openresty" => {
                Some(nginx_dirs.contains(&path.trim_end_matches('/')))
            }
            _ => None,
        }
    }
}

/// A base image with no ENTRYPOINT and this CMD.
fn cmd_only(cmd: &[&str]) -> BaseImageConfig {
    BaseImageConfig {
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
}

/// The repository name of an image reference (`nginxinc/nginx-unprivileged:1.27` → `nginx-unprivileged`).
fn image_name(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// Evaluates the Dockerfile of every container that is built, and applies
/// what it says to the container.
pub(crate) fn apply(sources: &SourceMap, opts: &LoadOptions, topo: &mut Topology) {
    let mut refs = Vec::new();
    let mut diags = Vec::new();
    for unit in &mut topo.units {
        for c in &mut unit.containers {
            let Some(build) = c.build.as_mut() else {
                continue;
            };
            refs.push(Reference::new(
                ReferenceKind::Context,
                build.context.clone(),
            ));
            let who = c.service.clone().unwrap_or(c.name.clone());
            let (text, file) = match &build.inline {
                Some((text, _)) => (text.clone(), None),
                None => {
                    refs.push(Reference::new(
                        ReferenceKind::Dockerfile,
                        build.dockerfile.clone(),
                    ));
                    // BuildKit falls back to `dockerfile` for the default
                    // name (`build: .` of a repository that spells it so).
                    let default_name = build.dockerfile == "Dockerfile"
                        || build.dockerfile.ends_with("/Dockerfile");
                    let lower = join(&build.context, "dockerfile");
                    let found = opts
                        .files
                        .get(&build.dockerfile)
                        .or_else(|| default_name.then(|| opts.files.get(&lower)).flatten());
                    match found {
                        Some(&id) => (sources.get(id).text().into_owned(), Some(id)),
                        None => {
                            if default_name {
                                refs.push(Reference::new(ReferenceKind::Dockerfile, lower));
                            }
                            diags.push(TopologyDiagnostic::new(
                                DiagSeverity::Info,
                                format!(
                                    "the Dockerfile `{}` that builds `{who}` was not supplied; what its image runs is unknown",
                                    build.dockerfile
                                ),
                                build.span,
                            ));
                            continue;
                        }
                    }
                }
            };
            let ignore_rel = inside(&build.context, &build.dockerfile)
                .unwrap_or(&build.dockerfile)
                .to_string();
            let ignore = dockerfile::ignore_file_candidates(&ignore_rel)
                .iter()
                .map(|p| join(&build.context, p))
                .find_map(|p| {
                    refs.push(Reference::new(ReferenceKind::IgnoreFile, p.clone()));
                    opts.files
                        .get(&p)
                        .map(|&id| sources.get(id).text().into_owned())
                });
            let context = MemoryContext::new(
                opts.files
                    .keys()
                    .chain(&opts.listed)
                    .filter_map(|p| inside(&build.context, p)),
            );
            let mut eval = EvalOptions::new()
                .base_images(&KnownImages)
                .partial_context(!opts.complete.contains(&build.context));
            if let Some(t) = &build.target {
                eval = eval.target(t.clone());
            }
            for (k, v) in &build.args {
                eval = eval.build_arg(k.clone(), v.clone());
            }
            if let Some(text) = ignore {
                eval = eval.dockerignore(text);
            }
            let parsed = dockerfile::parse(text.as_bytes());
            let at = |s: dockerfile::ByteSpan| match (file, &build.inline) {
                (Some(f), _) => Some(s.in_file(f)),
                (None, Some((_, span))) => Some(*span),
                _ => build.span,
            };
            let image = match dockerfile::evaluate(&parsed, &eval, &context) {
                Ok(i) => i,
                Err(e) => {
                    diags.push(TopologyDiagnostic::new(
                        DiagSeverity::Warning,
                        format!(
                            "`{}` cannot be built as written ({}); what the image of `{who}` runs is unknown",
                            build.dockerfile, e.message
                        ),
                        e.span.and_then(at).or(build.span),
                    ));
                    build.unbuilt_from = e.built_from;
                    continue;
                }
            };
            let base = match &image.base {
                dockerfile::BaseRef::Image(r) => r.clone(),
                dockerfile::BaseRef::Scratch => "scratch".into(),
            };
            let known = |s: &Setting<Vec<String>>| !matches!(s, Setting::Unknown);
            let argv_known = known(&image.entrypoint) && known(&image.cmd);
            // The image's ENV comes first: the topology's environment wins.
            let mut env: Vec<EnvVar> = image
                .env
                .iter()
                .filter(|v| v.name != "PATH")
                .map(|v| EnvVar {
                    name: v.name.clone(),
                    value: Some(v.value.clone()),
                    span: v.span.and_then(at),
                })
                .collect();
            env.append(&mut c.env);
            c.env = env;
            for p in &image.exposed {
                let protocol = match p.proto.as_str() {
                    "udp" => Protocol::Udp,
                    "sctp" => Protocol::Sctp,
                    _ => Protocol::Tcp,
                };
                c.ports.push(DeclaredPort::new(
                    PortKind::ImageExposed,
                    p.port,
                    protocol,
                    p.span.and_then(at),
                ));
            }
            let nginx_image = super::is_nginx_image(&base);
            // The scripts the container may run: an executable path first
            // on its command line, or the file a shell is handed.
            let ep = if c.entrypoint_set {
                Some(c.entrypoint.clone())
            } else {
                image.entrypoint.value().cloned()
            };
            let cmd = if c.command_set {
                Some(c.command.clone())
            } else {
                image.cmd.value().cloned()
            };
            let scripts: Vec<String> = [ep, cmd]
                .into_iter()
                .flatten()
                .filter_map(|w| script_path(&w))
                .collect();
            let mut files = Vec::new();
            for f in &image.files {
                let source = match &f.source {
                    FromSource::Context { path } => {
                        let p = join(&build.context, path);
                        if opts.files.contains_key(&p) {
                            ImageFileSource::Project { path: p }
                        } else {
                            if nginx_image && is_nginx_config_path(&f.path) {
                                // Discovery reads what nginx will read.
                                refs.push(Reference::new(ReferenceKind::NginxFile, p.clone()));
                            } else if nginx_image && scripts.contains(&f.path) {
                                refs.push(Reference::new(ReferenceKind::Script, p.clone()));
                            }
                            ImageFileSource::Unknown {
                                what: format!("`{p}`, not supplied"),
                            }
                        }
                    }
                    FromSource::Heredoc { content, body, .. } => ImageFileSource::Inline {
                        content: content.clone(),
                        span: at(*body),
                    },
                    FromSource::Stage { stage, path } => ImageFileSource::Unknown {
                        what: format!("`{path}` of stage `{stage}`"),
                    },
                    FromSource::Image { reference, path } => ImageFileSource::Unknown {
                        what: format!("`{path}` of image `{reference}`"),
                    },
                    other => ImageFileSource::Unknown {
                        what: format!("{other:?}"),
                    },
                };
                files.push(ImageFile {
                    path: f.path.clone(),
                    source,
                    span: at(f.instruction),
                });
            }
            if c.image.is_none() || !build.linked {
                c.image = Some(base.clone());
            }
            build.image = Some(BuiltImage {
                base,
                entrypoint: image.entrypoint.value().cloned(),
                cmd: image.cmd.value().cloned(),
                argv_known,
                files,
                dockerfile: file,
            });
        }
    }
    refs.sort();
    refs.dedup();
    topo.references.extend(refs);
    topo.diagnostics.extend(diags);
}

/// The script a command line runs: its first word when that is a path
/// (`/app/start.sh`), or the file a shell runs (`sh /app/start.sh`, not
/// `sh -c …`).
fn script_path(words: &[String]) -> Option<String> {
    use super::shell::{SHELLS, basename};
    let first = words.first()?;
    if SHELLS.contains(&basename(first)) {
        let next = words.get(1)?;
        return (!next.starts_with('-')).then(|| next.clone());
    }
    (first.starts_with('/') && !first.starts_with("/bin/") && !first.starts_with("/usr/"))
        .then(|| first.clone())
}

/// Where an nginx image keeps what nginx reads: its prefixes, and
/// configuration-looking files anywhere (`nginx -c` may point elsewhere).
fn is_nginx_config_path(path: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "/etc/nginx/",
        "/usr/local/openresty/nginx/conf/",
        "/opt/bitnami/nginx/conf/",
    ];
    const SUFFIXES: &[&str] = &[
        ".conf",
        ".template",
        ".stream-template",
        "_params",
        "mime.types",
    ];
    PREFIXES.iter().any(|p| path.starts_with(p)) || SUFFIXES.iter().any(|s| path.ends_with(s))
}

/// The argv of a container built from `image`, under the written overrides.
pub(crate) fn process(
    b: &Build,
    image: &BuiltImage,
    entrypoint: Option<Vec<String>>,
    command: Option<Vec<String>>,
) -> Vec<String> {
    dockerfile::process_argv(
        b.runtime,
        image.entrypoint.as_deref(),
        image.cmd.as_deref(),
        &RuntimeOverride::new(entrypoint, command),
    )
}

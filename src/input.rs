//! What a validation is asked about: the nginx files, the topology
//! documents and the options. The CLI and the HTTP service both build an
//! [`Input`]; [`crate::validate`] does the rest.

use crate::topology::Format;
use std::collections::BTreeMap;

/// One submitted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Path as the user names it (`nginx.conf`, `conf.d/default.conf`,
    /// `/etc/nginx/nginx.conf`).
    pub path: String,
    /// Raw content.
    pub content: Vec<u8>,
}

impl InputFile {
    /// A file from a path and its content.
    pub fn new(path: impl Into<String>, content: impl Into<Vec<u8>>) -> InputFile {
        InputFile {
            path: path.into(),
            content: content.into(),
        }
    }
}

/// One topology document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyInput {
    /// The file.
    pub file: InputFile,
    /// Its format; detected from the content when `None`.
    pub format: Option<Format>,
}

/// Options of a validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The compose service, container or Kubernetes container that runs
    /// nginx; detected (nginx/openresty images) when `None`.
    pub nginx_service: Option<String>,
    /// Compose project name.
    pub project: Option<String>,
    /// Kubernetes namespace for objects that name none.
    pub namespace: Option<String>,
    /// Variables for `${VAR}` interpolation.
    pub env: BTreeMap<String, String>,
    /// Subnets of compose networks by name (`default` → `192.168.48.0/20`).
    pub subnets: BTreeMap<String, String>,
    /// Kubernetes pod CIDR.
    pub pod_cidr: Option<String>,
    /// Kubernetes service CIDR.
    pub service_cidr: Option<String>,
    /// Cluster DNS Service IP.
    pub dns_ip: Option<String>,
    /// Cluster DNS domain.
    pub cluster_domain: Option<String>,
    /// Starting context of the nginx main file (detected when `None`).
    pub nginx_context: Option<String>,
    /// Active compose profiles: services whose `profiles` name none of
    /// them do not exist (`COMPOSE_PROFILES` in `env` adds to them).
    pub profiles: Vec<String>,
    /// Env files (`KEY=VALUE` lines), by path relative to the compose
    /// files as they are submitted: a service's `env_file` that names one
    /// gets its variables, and a `.env` beside the first compose file sets
    /// interpolation defaults (`env` wins over it), as compose reads them.
    pub env_files: Vec<InputFile>,
    /// The name of the project directory (compose's default project name,
    /// normalised as compose does); the first compose file's directory
    /// when `None`.
    pub project_dir: Option<String>,
    /// Which rules report, and how loud (`upcheck.toml`, `--select`,
    /// `--ignore`, `--severity`, the API's `options.rules`).
    pub rules: crate::rules::settings::RuleSettings,
    /// Caps on the work and the answer (see [`crate::budget`]).
    pub budgets: crate::budget::Budgets,
    /// When the validation must stop ([`InputError::TimedOut`] past it);
    /// none by default.
    pub deadline: crate::budget::Deadline,
}

/// Everything a validation needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// The nginx configuration files. May be empty when the topology
    /// carries the configuration (a Kubernetes ConfigMap).
    pub nginx: Vec<InputFile>,
    /// Which nginx file is the main one. When `None`: a file named
    /// `nginx.conf`, else every `*.conf` is a `conf.d` snippet included
    /// inside `http`, as the official nginx image does.
    pub nginx_main: Option<String>,
    /// The topology documents.
    pub topology: Vec<TopologyInput>,
    /// Every other file of the project, by path relative to the project
    /// directory: env files, Dockerfiles and the build-context files they
    /// copy, the files bind-mounted into containers. The model reads them
    /// where it refers to them.
    pub files: Vec<InputFile>,
    /// Paths that exist in the project but were not read, relative to the
    /// project directory (the rest of a build context, so that a
    /// Dockerfile's `COPY` of them is known to succeed).
    pub listed: Vec<String>,
    /// Directories whose every file is in `files` or `listed` (build
    /// contexts discovery walked): a Dockerfile `COPY` of a path missing
    /// there fails, as it would in the build. Elsewhere a missing path is
    /// taken as not supplied.
    pub complete: Vec<String>,
    /// Paths the project was searched for and does not have (relative to
    /// the project directory): discovery looked on disk, or in a whole
    /// project uploaded. A required file compose finds missing there stops
    /// the project; elsewhere a missing file is taken as not supplied.
    pub absent: Vec<String>,
    /// What discovery has to say about what it read or left (a Helm chart
    /// not rendered, and the command that renders it): shown in the
    /// report's input summary.
    pub notes: Vec<String>,
    /// Options.
    pub options: Options,
}

impl Input {
    /// The checks that come before anything is read: no two files share a
    /// path, the named main file was submitted, and there is a topology.
    pub fn check(&self) -> Result<(), InputError> {
        let mut seen = std::collections::HashSet::new();
        for f in self
            .nginx
            .iter()
            .chain(self.topology.iter().map(|t| &t.file))
        {
            if !seen.insert(f.path.as_str()) {
                return Err(InputError::DuplicatePath(f.path.clone()));
            }
        }
        if let Some(m) = &self.nginx_main {
            let want = crate::nginx::include::normalize(m);
            let found = self
                .nginx
                .iter()
                .any(|f| crate::nginx::include::normalize(&f.path) == want);
            if !found {
                return Err(InputError::MainNotFound(m.clone()));
            }
        }
        if self.topology.is_empty() {
            return Err(InputError::NoTopology);
        }
        self.options
            .rules
            .check()
            .map_err(|e| InputError::BadOption {
                option: "rules",
                message: e.to_string(),
            })
    }
}

/// A request that cannot be validated at all (as opposed to inputs that
/// are read and found wanting, which are findings).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// No topology document.
    #[error(
        "no topology: submit a compose file, Kubernetes manifests, a native model or a live dump"
    )]
    NoTopology,
    /// `nginx_main` names a file that was not submitted.
    #[error("the main nginx file `{0}` is not among the submitted files")]
    MainNotFound(String),
    /// Two submitted files have the same path.
    #[error("two files have the same path `{0}`")]
    DuplicatePath(String),
    /// The validation ran past [`Options::deadline`] and was stopped.
    #[error("the validation ran past its deadline and was stopped")]
    TimedOut,
    /// An option has an invalid value.
    #[error("option `{option}`: {message}")]
    BadOption {
        /// Which option.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
}

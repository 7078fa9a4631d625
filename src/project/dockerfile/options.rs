//! How evaluation is asked for and how it fails: the options (target,
//! build args, ignore file, what is known of base images, budget) and the
//! error type.

use std::collections::BTreeMap;

use super::ByteSpan;
use super::image::Healthcheck;

/// What is known of base images, for the loader to supply (well-known
/// images such as `nginx`); everything is optional.
pub trait BaseImages {
    /// The config of image `reference` (as written after ARG expansion).
    fn config(&self, reference: &str) -> Option<BaseImageConfig>;
    /// Whether `path` is a directory in image `reference` (`None`: unknown).
    fn is_dir(&self, reference: &str, path: &str) -> Option<bool>;
}

/// The config of a base image, as far as it is known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseImageConfig {
    /// Environment, in order.
    pub env: Vec<(String, String)>,
    /// WORKDIR.
    pub workdir: Option<String>,
    /// USER.
    pub user: Option<String>,
    /// ENTRYPOINT.
    pub entrypoint: Option<Vec<String>>,
    /// CMD.
    pub cmd: Option<Vec<String>>,
    /// SHELL.
    pub shell: Option<Vec<String>>,
    /// Exposed ports as `(port, proto)`.
    pub exposed: Vec<(u16, String)>,
    /// STOPSIGNAL.
    pub stop_signal: Option<String>,
    /// HEALTHCHECK.
    pub healthcheck: Option<Healthcheck>,
}

/// Caps on the work one evaluation may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Instructions dispatched (ONBUILD triggers included).
    pub max_instructions: usize,
    /// Stages in the Dockerfile.
    pub max_stages: usize,
    /// Paths placed in one stage's filesystem model.
    pub max_files: usize,
    /// Bytes of one expanded value.
    pub max_value_len: usize,
    /// Build-context entries listed while resolving COPY sources.
    pub max_context_entries: usize,
    /// Listed context entries times `.dockerignore` patterns checked.
    pub max_ignore_checks: usize,
    /// Ports added by EXPOSE (ranges count each port).
    pub max_ports: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            max_instructions: 10_000,
            max_stages: 128,
            max_files: 20_000,
            max_value_len: 256 * 1024,
            max_context_entries: 200_000,
            max_ignore_checks: 20_000_000,
            max_ports: 70_000,
        }
    }
}

/// Which cap of the [`Budget`] was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// [`Budget::max_instructions`].
    Instructions,
    /// [`Budget::max_stages`].
    Stages,
    /// [`Budget::max_files`].
    Files,
    /// [`Budget::max_value_len`].
    ValueLength,
    /// [`Budget::max_context_entries`].
    ContextEntries,
    /// [`Budget::max_ignore_checks`].
    IgnoreChecks,
    /// [`Budget::max_ports`].
    Ports,
}

/// How to evaluate: which stage, with which build args, seeing what.
#[derive(Clone, Default)]
pub struct EvalOptions<'a> {
    /// The stage to build (compose `build.target`); `None`: the last.
    pub target: Option<String>,
    /// Build args (compose `build.args`), applied to declared ARGs only.
    pub build_args: BTreeMap<String, String>,
    /// The text of the ignore file that applies (see
    /// [`super::ignore_file_candidates`]).
    pub dockerignore: Option<String>,
    /// What is known of base images.
    pub base_images: Option<&'a dyn BaseImages>,
    /// The target platform as `os/arch[/variant]`; default `linux/amd64`.
    pub platform: Option<String>,
    /// Caps.
    pub budget: Budget,
    /// The context holds only some of its files (an upload of the files
    /// that matter): a COPY source that is not there is taken to exist,
    /// with unknown contents, instead of failing the build.
    pub partial_context: bool,
}

impl<'a> EvalOptions<'a> {
    /// Defaults: last stage, no build args, no ignore file.
    pub fn new() -> EvalOptions<'a> {
        EvalOptions::default()
    }
    /// Builds stage `name`.
    pub fn target(mut self, name: impl Into<String>) -> Self {
        self.target = Some(name.into());
        self
    }
    /// Sets build arg `key`.
    pub fn build_arg(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.build_args.insert(key.into(), value.into());
        self
    }
    /// Uses this ignore file text.
    pub fn dockerignore(mut self, text: impl Into<String>) -> Self {
        self.dockerignore = Some(text.into());
        self
    }
    /// Uses this knowledge of base images.
    pub fn base_images(mut self, b: &'a dyn BaseImages) -> Self {
        self.base_images = Some(b);
        self
    }
    #[cfg(test)]
    /// Builds for platform `os/arch[/variant]` (the `TARGET*`/`BUILD*` args).
    pub fn platform(mut self, p: impl Into<String>) -> Self {
        self.platform = Some(p.into());
        self
    }
    #[cfg(test)]
    /// Uses these caps.
    pub fn budget(mut self, b: Budget) -> Self {
        self.budget = b;
        self
    }
    /// Takes the context as partial (see [`EvalOptions::partial_context`]).
    pub fn partial_context(mut self, partial: bool) -> Self {
        self.partial_context = partial;
        self
    }
}

/// Why evaluation stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvalErrorKind {
    /// The Dockerfile does not parse (the first parse error is given).
    Parse,
    /// The ignore file does not parse.
    IgnoreFile,
    /// `target` names no stage.
    TargetNotFound,
    /// A COPY/ADD source is not in the build context (or is ignored).
    SourceNotFound,
    /// BuildKit would refuse the build for another reason.
    Build,
    /// A cap of the budget was reached.
    Budget(Limit),
}

/// An evaluation failure, worded like BuildKit's where it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    /// What kind.
    pub kind: EvalErrorKind,
    /// For a person.
    pub message: String,
    /// Where in the Dockerfile, when it is about a line.
    pub span: Option<ByteSpan>,
    /// The image the target stage is built from, following stages built on
    /// stages (`nginx:1.27`), when the error came after the stage graph was
    /// read: what the image would have run, had it built.
    pub built_from: Option<String>,
}

impl EvalError {
    /// An error of `kind` at `span`.
    pub fn new(
        kind: EvalErrorKind,
        span: Option<ByteSpan>,
        message: impl Into<String>,
    ) -> EvalError {
        EvalError {
            kind,
            message: message.into(),
            span,
            built_from: None,
        }
    }
    pub(super) fn build(span: ByteSpan, m: impl Into<String>) -> EvalError {
        EvalError::new(EvalErrorKind::Build, Some(span), m)
    }
    pub(super) fn budget(limit: Limit, span: ByteSpan) -> EvalError {
        EvalError::new(
            EvalErrorKind::Budget(limit),
            Some(span),
            format!("budget exceeded: {limit:?}"),
        )
    }
}

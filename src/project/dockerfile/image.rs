//! What evaluation yields: the config and files of the image one stage
//! builds, each value saying where it came from (an instruction's span,
//! the base image's known config, or an unknown base image).

use std::time::Duration;

use super::ByteSpan;
#[cfg(test)]
use super::argv::{Runtime, RuntimeOverride, process_argv};

/// Where a config value of the image comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting<T> {
    /// Set by the instruction at `span` (in this stage or a base stage).
    Set {
        /// The value.
        value: T,
        /// The instruction that set it.
        span: ByteSpan,
    },
    /// Inherited from the base image's config, as [`super::BaseImages`] knows it.
    Base(T),
    /// Inherited from a base image whose config is not known.
    Unknown,
    /// Not set at all (a `scratch` base, or CMD cleared by ENTRYPOINT).
    Unset,
}

impl<T> Setting<T> {
    /// A value set by the instruction at `span`.
    pub fn set(value: T, span: ByteSpan) -> Setting<T> {
        Setting::Set { value, span }
    }

    /// The value, when known and set.
    pub fn value(&self) -> Option<&T> {
        match self {
            Setting::Set { value, .. } | Setting::Base(value) => Some(value),
            Setting::Unknown | Setting::Unset => None,
        }
    }
}

/// The image a stage chain starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BaseRef {
    /// A registry image, as written after ARG expansion (`nginx:1.25`).
    Image(String),
    /// `FROM scratch`: an empty image.
    Scratch,
}

/// One environment variable of the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value after expansion.
    pub value: String,
    /// The ENV pair that set it; `None` when it comes from the base image
    /// (or is BuildKit's default `PATH`).
    pub span: Option<ByteSpan>,
}

/// An `EXPOSE`d port (metadata only: it opens nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExposedPort {
    /// The port.
    pub port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub proto: String,
    /// The EXPOSE word; `None` when inherited from the base image.
    pub span: Option<ByteSpan>,
}

/// The test of a HEALTHCHECK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthTest {
    /// `HEALTHCHECK NONE`: an inherited check is removed.
    None,
    /// Exec form, run as is (Docker's `["CMD", …]`).
    Cmd(Vec<String>),
    /// Shell form, run by the container's default shell (`["CMD-SHELL", s]`).
    CmdShell(String),
}

/// A HEALTHCHECK with its options (zero means the engine default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Healthcheck {
    /// What runs, inside the container.
    pub test: HealthTest,
    /// `--interval`.
    pub interval: Duration,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--start-period`.
    pub start_period: Duration,
    /// `--start-interval`.
    pub start_interval: Duration,
    /// `--retries`.
    pub retries: u32,
}

/// What a placed path holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A file or directory tree whose contents are not known (the output
    /// of another stage's RUN, an image path, a URL, a git repository, an
    /// extracted archive).
    Opaque,
}

/// Where the bytes of a placed path come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileSource {
    /// A file of the build context (context-relative path).
    Context {
        /// The path in the build context.
        path: String,
    },
    /// An inline heredoc (`COPY <<EOF /path`).
    Heredoc {
        /// The heredoc's name.
        name: String,
        /// The body in the Dockerfile.
        body: ByteSpan,
        /// The content after tab stripping and expansion.
        content: String,
    },
    /// A path of another stage not known to this model (made by its RUN
    /// or present in its base image).
    Stage {
        /// The stage name, or its index as written.
        stage: String,
        /// The absolute path in that stage.
        path: String,
    },
    /// `COPY --from=<image>`: a path of a registry image.
    Image {
        /// The image reference.
        reference: String,
        /// The absolute path in that image.
        path: String,
    },
    /// `ADD <url>`: downloaded at build time.
    Url {
        /// The URL.
        url: String,
    },
    /// `ADD <git ref>`: a cloned repository.
    Git {
        /// The repository reference.
        url: String,
    },
    /// `ADD <archive>`: a local tar archive, extracted.
    Archive {
        /// The archive's path in the build context.
        path: String,
    },
}

/// A path the Dockerfile places in the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    /// The absolute path in the image.
    pub path: String,
    /// A file, or an opaque tree.
    pub kind: FileKind,
    /// Where its bytes come from.
    pub source: FileSource,
    /// The COPY/ADD instruction that placed it.
    pub instruction: ByteSpan,
    /// `--chown`, expanded.
    pub chown: Option<String>,
    /// `--chmod`, expanded.
    pub chmod: Option<String>,
    /// The path it would have instead if the destination turns out to be a
    /// directory of the base image (whose filesystem is not known).
    pub if_dest_is_dir: Option<String>,
}

impl FileEntry {
    /// An entry at `path` from `source`, placed by `instruction`.
    pub fn new(
        path: impl Into<String>,
        kind: FileKind,
        source: FileSource,
        instruction: ByteSpan,
    ) -> FileEntry {
        FileEntry {
            path: path.into(),
            kind,
            source,
            instruction,
            chown: None,
            chmod: None,
            if_dest_is_dir: None,
        }
    }
}

/// What a note is about; code branches on this, never on the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoteKind {
    /// A variable the Dockerfile does not set, which an unknown base image
    /// may set (the value used was empty).
    VariableFromBase,
    /// A relative WORKDIR on top of an unknown base WORKDIR (taken as `/`).
    WorkdirOnUnknownBase,
    /// Several sources copied to a destination without a trailing `/`:
    /// each overwrites the last (the reference says it must end in `/`).
    SeveralSourcesToFile,
    /// A COPY destination may be a directory of the unknown base image.
    DestinationMayBeDirectory,
    /// A directory COPY leaves out files `.dockerignore` excludes.
    IgnoredFilesLeftOut,
    /// Contents that come from outside the model (stage RUN output, an
    /// image, a URL, git, an archive).
    OpaqueContents,
    /// A parser warning (an empty continuation line).
    Parser,
}

/// A remark on the evaluation: an assumption or a BuildKit warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// What about.
    pub kind: NoteKind,
    /// For a person.
    pub message: String,
    /// Where in the Dockerfile.
    pub span: ByteSpan,
}

impl Note {
    /// A note of `kind` at `span`.
    pub fn new(kind: NoteKind, span: ByteSpan, message: impl Into<String>) -> Note {
        Note {
            kind,
            message: message.into(),
            span,
        }
    }
}

/// The image one stage of a Dockerfile builds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The index of the built (target) stage.
    pub stage: usize,
    /// Its name, when it has one.
    pub stage_name: Option<String>,
    /// The base image at the root of its stage chain (`FROM stage`
    /// continues the stage).
    pub base: BaseRef,
    /// The `FROM` that names [`Image::base`].
    pub base_span: ByteSpan,
    /// The environment, in order.
    pub env: Vec<EnvVar>,
    /// Whether [`Image::env`] is complete (false when the base image's
    /// environment is not known).
    pub env_complete: bool,
    /// WORKDIR.
    pub workdir: Setting<String>,
    /// USER.
    pub user: Setting<String>,
    /// EXPOSE (ranges expanded).
    pub exposed: Vec<ExposedPort>,
    /// Whether [`Image::exposed`] is complete.
    pub exposed_complete: bool,
    /// ENTRYPOINT, as stored in the image (shell form already wrapped).
    pub entrypoint: Setting<Vec<String>>,
    /// CMD, likewise.
    pub cmd: Setting<Vec<String>>,
    /// SHELL.
    pub shell: Setting<Vec<String>>,
    /// HEALTHCHECK.
    pub healthcheck: Setting<Healthcheck>,
    /// STOPSIGNAL.
    pub stop_signal: Setting<String>,
    /// VOLUME paths.
    pub volumes: Vec<String>,
    /// LABELs.
    pub labels: Vec<(String, String)>,
    /// The paths COPY/ADD place, sorted by path.
    pub files: Vec<FileEntry>,
    /// Assumptions and warnings.
    pub notes: Vec<Note>,
    /// The stages evaluated (the target and what it needs), in order.
    pub stages: Vec<usize>,
}

impl Image {
    #[cfg(test)]
    /// The value of environment variable `name`, when set.
    pub fn env_var(&self, name: &str) -> Option<&EnvVar> {
        self.env.iter().find(|v| v.name == name)
    }

    #[cfg(test)]
    /// The file placed at `path`, when known.
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The argv the container runs under `runtime` with `over` (compose
    /// `entrypoint`/`command`, Kubernetes `command`/`args`), or `None`
    /// when it depends on an unknown base image's ENTRYPOINT/CMD. The
    /// evaluation tests read ENTRYPOINT and CMD through it; the pipeline
    /// merges them in `topology::build` with the same [`process_argv`].
    #[cfg(test)]
    pub fn process(&self, runtime: Runtime, over: &RuntimeOverride) -> Option<Vec<String>> {
        let needed = |s: &Setting<Vec<String>>| -> Option<Option<Vec<String>>> {
            match s {
                Setting::Unknown => None,
                s => Some(s.value().cloned()),
            }
        };
        let entry_overridden = over.entrypoint.as_ref().is_some_and(|e| !e.is_empty())
            || (runtime == Runtime::Docker && over.entrypoint.is_some());
        let cmd_overridden = over.command.as_ref().is_some_and(|c| !c.is_empty())
            || over.entrypoint.as_ref().is_some_and(|e| !e.is_empty());
        let ep = if entry_overridden {
            Some(None)
        } else {
            needed(&self.entrypoint)
        }?;
        let cmd = if cmd_overridden {
            Some(None)
        } else {
            needed(&self.cmd)
        }?;
        Some(process_argv(runtime, ep.as_deref(), cmd.as_deref(), over))
    }
}

//! Dockerfiles as BuildKit reads them: a parser that keeps a byte span for
//! every instruction, keyword, flag and argument, and an evaluator that
//! computes what the image built from one stage contains and runs (base
//! image, ENV, WORKDIR, USER, EXPOSE, ENTRYPOINT/CMD, HEALTHCHECK, STOPSIGNAL
//! and the files COPY/ADD place), without building anything.
//!
//! Why a hand-written parser: none of the Rust crates reproduces BuildKit
//! (projects-as-shipped.md §5.10). `dockerfile-parser` has no heredocs and no
//! `# escape`, and takes `['a']` for exec form; `dockerfile-parser-rs` splits
//! `CMD ["nginx","-g","daemon off;"]` wrongly, loses the shell/exec
//! distinction and the legacy `ENV k v`, and has no spans;
//! tree-sitter grammars give a syntax tree without BuildKit's semantics
//! (exec-form JSON decision, word splitting, variable expansion, ARG scope,
//! stage graph, CMD reset). Each step here follows the BuildKit function it
//! names (`frontend/dockerfile/parser`, `instructions`, `shell/lex.go`,
//! `dockerfile2llb/convert*.go` @ 73ed6825), including its error wording.
//!
//! Robustness: parsing and evaluation never panic, use no recursion driven
//! by the input, and are linear in the input size (the `${v//p/r}` family,
//! which is not, runs on a step budget); evaluation carries an explicit
//! [`Budget`] and reports [`Limit`] when one is reached.
//!
//! Not modelled: what RUN does to the filesystem (a `COPY --from` of such
//! a stage is marked opaque), named build contexts (compose
//! `additional_contexts`), `RUN --mount=from=` as a stage dependency,
//! Windows images, symlinks in the context, ADD archives detected by
//! content (names are used), and the build checks of `# check=`.
//!
//! Layout, in pipeline order: `lex` (physical lines, directives,
//! continuations, heredoc bodies) → `words`, `json` (BuildKit's argument
//! splitters) → `instructions` (typed [`Args`], flags, errors; types in
//! `ast`) → `eval` (stage graph, [`evaluate`]; options in `options`) →
//! `dispatch` (one instruction's effect) and `copy` (COPY/ADD onto a model
//! of the image filesystem, through `context`) → `image` (the result) →
//! `argv` (runtime overrides of ENTRYPOINT/CMD). Shared below them:
//! `shlex` (BuildKit's variable expansion), `pattern` (shell, glob and
//! `.dockerignore` patterns), `values` (durations, signals, ports).

mod argv;
mod ast;
mod context;
mod copy;
mod dispatch;
mod eval;
mod image;
mod instructions;
mod json;
mod lex;
mod options;
mod pattern;
mod shlex;
mod values;
mod words;

#[cfg(test)]
mod tests;

pub use argv::{Runtime, RuntimeOverride, process_argv};
pub use ast::Instruction;
pub use context::{BuildContext, MemoryContext, ignore_file_candidates};
pub use eval::evaluate;
pub use image::{BaseRef, FileSource, Setting};
pub use options::{BaseImageConfig, BaseImages, EvalOptions};
// What the tests below name besides.
#[cfg(test)]
use ast::{Args, CommandLine, Heredoc, Keyword, Word};
#[cfg(test)]
use context::{DockerIgnore, EntryKind};
#[cfg(test)]
use image::{ExposedPort, FileKind, HealthTest, Image, Note, NoteKind};
#[cfg(test)]
use options::{Budget, EvalError, EvalErrorKind, Limit};

use crate::source::{FileId, Span};

/// A byte range in the text of one Dockerfile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteSpan {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl ByteSpan {
    /// The range `start..end` (clamped so that `start <= end`).
    pub fn new(start: usize, end: usize) -> ByteSpan {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        ByteSpan { start, end }
    }

    #[cfg(test)]
    /// The byte range as a `Range<usize>`.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both.
    pub fn to(self, other: ByteSpan) -> ByteSpan {
        ByteSpan {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The same range placed in `file`, for findings and fixes.
    pub fn in_file(self, file: FileId) -> Span {
        Span::new(file, self.start as usize, self.end as usize)
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// BuildKit refuses the Dockerfile.
    Error,
    /// BuildKit builds it but warns (or a build check would).
    Warning,
}

/// What a diagnostic is about; code branches on this, never on the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// The Dockerfile is empty or has no instruction or no stage.
    Empty,
    /// A line is longer than BuildKit's 64 KiB scanner allows.
    LineTooLong,
    /// A parser directive is repeated or has an invalid value.
    Directive,
    /// A heredoc marker that is malformed or has no terminator line.
    Heredoc,
    /// A blank line inside a line continuation (a warning today).
    EmptyContinuation,
    /// An instruction name BuildKit does not know.
    UnknownInstruction,
    /// An instruction before the first `FROM` that is not `ARG`.
    NoStage,
    /// A `--flag` the instruction does not take, repeated, or without value.
    Flag,
    /// Arguments of the wrong number or shape.
    Arguments,
    /// An exec-form JSON array with a non-string element.
    JsonArray,
}

/// A problem found while parsing, with the span it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub kind: DiagnosticKind,
    /// The message, worded like BuildKit's where it has one.
    pub message: String,
    /// Where in the Dockerfile.
    pub span: ByteSpan,
}

impl Diagnostic {
    /// An error of `kind` at `span`.
    pub fn error(kind: DiagnosticKind, span: ByteSpan, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            kind,
            message: message.into(),
            span,
        }
    }

    /// A warning of `kind` at `span`.
    pub fn warning(kind: DiagnosticKind, span: ByteSpan, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(kind, span, message)
        }
    }
}

/// A parser directive from the leading comment block (`# syntax=…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The key, lower-cased: `syntax`, `escape` or `check`.
    pub name: String,
    /// The value as written, surrounding blanks trimmed.
    pub value: String,
    /// The whole directive line.
    pub span: ByteSpan,
}

/// One parsed Dockerfile.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The instructions in file order (comments and blank lines dropped).
    pub instructions: Vec<Instruction>,
    /// The parser directives.
    pub directives: Vec<Directive>,
    /// The escape character: `\` unless `# escape=` chose `` ` ``.
    pub escape: char,
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// Whether BuildKit would refuse this Dockerfile at parse time.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The first error, if any.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
    }
}

/// Parses the text of one Dockerfile (bytes; invalid UTF-8 is kept as
/// BuildKit keeps it and shown as U+FFFD in values). Never fails: problems
/// are [`Diagnostic`]s in the result.
pub fn parse(text: impl AsRef<[u8]>) -> Parsed {
    lex::parse(text.as_ref())
}

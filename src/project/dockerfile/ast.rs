//! The parsed form of one instruction: its keyword, `--flags`, typed
//! arguments and heredocs, each with the byte span it was read from.
//! Texts are what BuildKit's parser hands to evaluation: quotes and escapes
//! are still in words that BuildKit expands later (ENV, ARG, COPY paths…),
//! and exec-form elements are already JSON-decoded.

use std::time::Duration;

use super::ByteSpan;

/// A piece of argument text and where it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The text, as BuildKit's parser passes it on.
    pub text: String,
    /// Its bytes in the Dockerfile (for a word joined from continued
    /// lines, from its first to its last byte).
    pub span: ByteSpan,
}

impl Word {
    /// A word with its text and span.
    pub fn new(text: impl Into<String>, span: ByteSpan) -> Word {
        Word {
            text: text.into(),
            span,
        }
    }
}

/// A `--name[=value]` flag before the arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The name without the dashes.
    pub name: String,
    /// The value after `=`, quotes removed; `None` without `=`.
    pub value: Option<String>,
    /// The whole flag.
    pub span: ByteSpan,
}

/// A here-document attached to a RUN/COPY/ADD line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// The terminator word, quotes removed.
    pub name: String,
    /// The file descriptor prefix (`3<<EOF`), 0 when absent.
    pub fd: u32,
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// No part of the marker was quoted: `$VAR` in the body is expanded.
    pub expand: bool,
    /// The `<<WORD` marker on the instruction line.
    pub marker: ByteSpan,
    /// The body lines, terminator excluded.
    pub body: ByteSpan,
    /// The body text (tabs not yet stripped).
    pub content: String,
    /// The terminator line.
    pub terminator: ByteSpan,
}

/// The instruction name, case-insensitively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Keyword {
    /// `FROM`
    From,
    /// `ARG`
    Arg,
    /// `ENV`
    Env,
    /// `LABEL`
    Label,
    /// `RUN`
    Run,
    /// `CMD`
    Cmd,
    /// `ENTRYPOINT`
    Entrypoint,
    /// `SHELL`
    Shell,
    /// `COPY`
    Copy,
    /// `ADD`
    Add,
    /// `WORKDIR`
    Workdir,
    /// `USER`
    User,
    /// `EXPOSE`
    Expose,
    /// `VOLUME`
    Volume,
    /// `STOPSIGNAL`
    StopSignal,
    /// `HEALTHCHECK`
    Healthcheck,
    /// `ONBUILD`
    Onbuild,
    /// `MAINTAINER`
    Maintainer,
    /// Anything else (BuildKit refuses it: `unknown instruction`).
    Unknown,
}

impl Keyword {
    /// The keyword for a name in any case.
    pub fn from_name(name: &str) -> Keyword {
        const ALL: [(&str, Keyword); 18] = [
            ("from", Keyword::From),
            ("arg", Keyword::Arg),
            ("env", Keyword::Env),
            ("label", Keyword::Label),
            ("run", Keyword::Run),
            ("cmd", Keyword::Cmd),
            ("entrypoint", Keyword::Entrypoint),
            ("shell", Keyword::Shell),
            ("copy", Keyword::Copy),
            ("add", Keyword::Add),
            ("workdir", Keyword::Workdir),
            ("user", Keyword::User),
            ("expose", Keyword::Expose),
            ("volume", Keyword::Volume),
            ("stopsignal", Keyword::StopSignal),
            ("healthcheck", Keyword::Healthcheck),
            ("onbuild", Keyword::Onbuild),
            ("maintainer", Keyword::Maintainer),
        ];
        ALL.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(Keyword::Unknown, |&(_, k)| k)
    }
}

/// How a RUN/CMD/ENTRYPOINT/HEALTHCHECK command is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandLine {
    /// A JSON array of strings: run as is, no shell, no expansion.
    Exec(Vec<Word>),
    /// Anything else: the whole text is handed to the shell (`SHELL`).
    Shell(Word),
}

/// `ARG name[=default]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgDecl {
    /// The name.
    pub name: Word,
    /// The default as written (quotes kept, expanded at evaluation).
    pub default: Option<Word>,
}

/// One `key=value` of ENV or LABEL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    /// The key as written.
    pub key: Word,
    /// The value as written (quotes kept, expanded at evaluation).
    pub value: Word,
    /// The legacy `ENV key value` form (one pair, value up to the end).
    pub legacy: bool,
}

/// Sources and destination of COPY/ADD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyArgs {
    /// The sources (a source that is a heredoc marker names a heredoc).
    pub sources: Vec<Word>,
    /// The destination.
    pub dest: Word,
    /// Written as a JSON array.
    pub json: bool,
}

/// HEALTHCHECK's test and options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthArgs {
    /// The command, or `None` for `HEALTHCHECK NONE`.
    pub command: Option<CommandLine>,
    /// `--interval` (0 when absent: the engine default).
    pub interval: Duration,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--start-period`.
    pub start_period: Duration,
    /// `--start-interval`.
    pub start_interval: Duration,
    /// `--retries` (0 when absent).
    pub retries: u32,
}

/// The typed arguments of an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Args {
    /// `FROM image [AS name]`.
    From {
        /// The image or stage reference as written (expanded later).
        image: Word,
        /// The stage name, lower-cased.
        name: Option<Word>,
    },
    /// `ARG a[=x] b…`.
    Arg(Vec<ArgDecl>),
    /// `ENV k=v …` or `ENV k v`.
    Env(Vec<KeyValue>),
    /// `LABEL k=v …`.
    Label(Vec<KeyValue>),
    /// `RUN …`.
    Run(CommandLine),
    /// `CMD …`.
    Cmd(CommandLine),
    /// `ENTRYPOINT …`.
    Entrypoint(CommandLine),
    /// `SHELL ["exe", "arg"…]`.
    Shell(Vec<Word>),
    /// `COPY …`.
    Copy(CopyArgs),
    /// `ADD …`.
    Add(CopyArgs),
    /// `WORKDIR path`.
    Workdir(Word),
    /// `USER user[:group]`.
    User(Word),
    /// `EXPOSE port[/proto] …`.
    Expose(Vec<Word>),
    /// `VOLUME …`.
    Volume(Vec<Word>),
    /// `STOPSIGNAL sig`.
    StopSignal(Word),
    /// `HEALTHCHECK …`.
    Healthcheck(HealthArgs),
    /// `ONBUILD <instruction>`: the trigger, and the errors BuildKit would
    /// report when a child build runs it.
    Onbuild(Box<Instruction>, Vec<super::Diagnostic>),
    /// `MAINTAINER text`.
    Maintainer(Word),
    /// An unknown instruction: its argument text.
    Unknown(Word),
    /// The arguments did not parse (see the diagnostics).
    Invalid,
}

/// One instruction of a Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// From the keyword to the end of its last line (continuations and
    /// heredoc bodies included).
    pub span: ByteSpan,
    /// The keyword as written.
    pub keyword: Word,
    /// Which instruction.
    pub kind: Keyword,
    /// The `--flags` before the arguments.
    pub flags: Vec<Flag>,
    /// The typed arguments.
    pub args: Args,
    /// Here-documents, in marker order.
    pub heredocs: Vec<Heredoc>,
}

impl Instruction {
    /// The flag `name`, when given (the last one for repeatable flags).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// Every value of a repeatable flag (`--exclude`).
    pub fn flag_values(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|f| f.name == name)
            .filter_map(|f| f.value.as_deref())
            .collect()
    }
}

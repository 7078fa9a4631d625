//! One logical line to a typed [`Instruction`]: BuildKit's `splitCommand`,
//! the per-instruction line parsers (`parser/line_parsers.go`) and the
//! checks of `instructions/parse.go` and `bflag.go` (argument counts,
//! allowed `--flags`, heredoc destinations), with BuildKit's messages.

use std::ops::Range;

use super::ast::{
    ArgDecl, Args, CommandLine, CopyArgs, Flag, HealthArgs, Instruction, KeyValue, Keyword, Word,
};
use super::json::{Exec, parse_exec};
use super::lex::{Logical, heredoc_marker};
use super::words::{byte_is_space, extract_flags, parse_words, split_ws, split2_ws, trim};
use super::{Diagnostic, DiagnosticKind as K, values};

/// An instruction with its diagnostics, and whether heredoc bodies follow
/// it (RUN/COPY/ADD, also under ONBUILD, not in JSON form).
pub(super) struct Built {
    pub instruction: Instruction,
    pub diagnostics: Vec<Diagnostic>,
    pub heredocs: bool,
}

/// Builds the instruction of a joined logical line.
pub(super) fn build(lg: &Logical, escape: char) -> Built {
    build_range(lg, trim(&lg.text, 0..lg.text.len()), escape)
}

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Bool,
    Str,
    Strings,
}

/// The result of `parseMaybeJSON`.
enum Maybe {
    Exec(Vec<Word>),
    Shell(Word),
    NotStrings,
}

struct Cx<'a> {
    lg: &'a Logical,
    keyword: &'a str,
    flags: &'a [Flag],
    escape: char,
    diags: Vec<Diagnostic>,
    whole: Range<usize>,
}

impl Cx<'_> {
    fn text(&self, r: Range<usize>) -> String {
        String::from_utf8_lossy(&self.lg.text[r]).into_owned()
    }
    fn word(&self, r: Range<usize>) -> Word {
        Word::new(self.text(r.clone()), self.lg.span(r))
    }
    fn err(&mut self, kind: K, r: Range<usize>, m: impl Into<String>) -> Args {
        self.diags.push(Diagnostic::error(kind, self.lg.span(r), m));
        Args::Invalid
    }
    fn args_err(&mut self, m: impl Into<String>) -> Args {
        self.err(K::Arguments, self.whole.clone(), m)
    }
    fn upper(&self) -> String {
        self.keyword.to_ascii_uppercase()
    }

    /// BuildKit's `BFlags.Parse` for the flags an instruction defines; the
    /// first problem is reported and `false` returned.
    fn check_flags(&mut self, allowed: &[(&str, Ty)]) -> bool {
        let mut used: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for f in self.flags {
            let shown = format!("--{}", f.name);
            let Some(&(_, ty)) = allowed.iter().find(|(n, _)| *n == f.name) else {
                return self.flag_err(f, format!("unknown flag: {shown}"));
            };
            if !used.insert(&f.name) && ty != Ty::Strings {
                return self.flag_err(f, format!("duplicate flag specified: {shown}"));
            }

            match (ty, f.value.as_deref()) {
                (Ty::Bool, Some("")) | (Ty::Str | Ty::Strings, None) => {
                    return self.flag_err(f, format!("missing a value on flag: {shown}"));
                }
                (Ty::Bool, Some(v))
                    if !matches!(v.to_ascii_lowercase().as_str(), "true" | "false") =>
                {
                    return self.flag_err(
                        f,
                        format!("expecting boolean value for flag {shown}, not: {v}"),
                    );
                }
                _ => {}
            }
        }
        true
    }

    fn flag_err(&mut self, f: &Flag, m: String) -> bool {
        self.diags.push(Diagnostic::error(K::Flag, f.span, m));
        false
    }

    /// `parseMaybeJSON`.
    fn maybe_json(&self, r: Range<usize>) -> Maybe {
        match parse_exec(&self.lg.text, r.clone()) {
            Exec::Strings(items) => Maybe::Exec(
                items
                    .into_iter()
                    .map(|(s, r)| Word::new(s, self.lg.span(r)))
                    .collect(),
            ),
            Exec::NotStrings => Maybe::NotStrings,
            Exec::NotJson => Maybe::Shell(self.word(r)),
        }
    }

    /// `parseMaybeJSONToList`: the words and whether they were JSON.
    fn json_or_words(&mut self, r: Range<usize>) -> Option<(Vec<Word>, bool)> {
        match self.maybe_json(r.clone()) {
            Maybe::Exec(w) => Some((w, true)),
            Maybe::NotStrings => {
                self.not_strings(r);
                None
            }
            Maybe::Shell(_) => Some((
                split_ws(&self.lg.text, r)
                    .into_iter()
                    .map(|r| self.word(r))
                    .collect(),
                false,
            )),
        }
    }

    fn not_strings(&mut self, r: Range<usize>) -> Args {
        self.err(
            K::JsonArray,
            r,
            "when using JSON array syntax, arrays must be comprised of strings only",
        )
    }

    /// A command line (RUN, CMD, ENTRYPOINT): exec or shell form.
    fn command_line(&mut self, r: Range<usize>) -> Result<(CommandLine, bool), Args> {
        match self.maybe_json(r.clone()) {
            Maybe::Exec(w) => Ok((CommandLine::Exec(w), true)),
            Maybe::Shell(w) => Ok((CommandLine::Shell(w), false)),
            Maybe::NotStrings => Err(self.not_strings(r)),
        }
    }

    /// `parseNameVal` (ENV, LABEL): new `k=v …` or legacy `k v` form.
    fn name_vals(&mut self, r: Range<usize>) -> Result<Vec<KeyValue>, Args> {
        let b = &self.lg.text;
        let words = parse_words(b, r.clone(), self.escape);
        let Some(first) = words.first() else {
            return Ok(Vec::new());
        };
        if !first.text.contains('=') {
            let (k, v) = split2_ws(b, r);
            let Some(v) = v else {
                return Err(self.args_err(format!("{} must have two arguments", self.upper())));
            };
            return Ok(vec![KeyValue {
                key: self.word(k),
                value: self.word(v),
                legacy: true,
            }]);
        }
        let mut out = Vec::new();
        for w in words {
            let Some((k, v)) = w.text.split_once('=') else {
                let m = format!(
                    "Syntax error - can't find = in {}. Must be of the form: name=value",
                    super::shlex::go_quote(&w.text)
                );
                return Err(self.err(K::Arguments, w.range, m));
            };
            let eq = (w.range.start + k.len()).min(w.range.end);
            out.push(KeyValue {
                key: Word::new(k, self.lg.span(w.range.start..eq)),
                value: Word::new(v, self.lg.span((eq + 1).min(w.range.end)..w.range.end)),
                legacy: false,
            });
        }
        Ok(out)
    }
}

fn build_range(lg: &Logical, r: Range<usize>, escape: char) -> Built {
    let b = &lg.text;
    let (cmd, rest) = split2_ws(b, r.clone());
    let keyword = Word::new(
        String::from_utf8_lossy(&b[cmd.clone()]).into_owned(),
        lg.span(cmd),
    );
    let kind = Keyword::from_name(&keyword.text);
    let (flag_words, args_start) = match rest {
        Some(rr) => extract_flags(b, rr, escape),
        None => (Vec::new(), r.end),
    };
    let flags: Vec<Flag> = flag_words
        .into_iter()
        .map(|w| {
            let body = w.text.strip_prefix("--").unwrap_or(&w.text);
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (body.to_owned(), None),
            };
            Flag {
                name,
                value,
                span: lg.span(w.range),
            }
        })
        .collect();
    let a = trim(b, args_start.min(r.end)..r.end);
    let mut cx = Cx {
        lg,
        keyword: &keyword.text,
        flags: &flags,
        escape,
        diags: Vec::new(),
        whole: r.clone(),
    };
    let mut heredocs = false;
    let args = match kind {
        Keyword::From => from(&mut cx, a),
        Keyword::Arg => arg(&mut cx, a),
        Keyword::Env | Keyword::Label => match cx.name_vals(a) {
            Ok(kvs) if kvs.is_empty() && cx.check_flags(&[]) => {
                cx.args_err(format!("{} requires at least one argument", cx.upper()))
            }
            Ok(kvs) if cx.check_flags(&[]) => {
                if kvs.iter().any(|kv| kv.key.text.is_empty()) {
                    cx.args_err(format!("{} names can not be blank", cx.upper()))
                } else if kind == Keyword::Env {
                    Args::Env(kvs)
                } else {
                    Args::Label(kvs)
                }
            }
            Ok(_) => Args::Invalid,
            Err(e) => e,
        },
        Keyword::Run | Keyword::Cmd | Keyword::Entrypoint => match cx.command_line(a) {
            Ok((line, json)) => {
                let allowed: &[(&str, Ty)] = if kind == Keyword::Run {
                    &[
                        ("mount", Ty::Strings),
                        ("network", Ty::Str),
                        ("security", Ty::Str),
                        ("device", Ty::Strings),
                    ]
                } else {
                    &[]
                };
                heredocs = kind == Keyword::Run && !json;
                if !cx.check_flags(allowed) {
                    Args::Invalid
                } else if kind == Keyword::Run {
                    Args::Run(line)
                } else if kind == Keyword::Cmd {
                    Args::Cmd(line)
                } else {
                    Args::Entrypoint(line)
                }
            }
            Err(e) => e,
        },
        Keyword::Shell => match cx.maybe_json(a.clone()) {
            Maybe::NotStrings => cx.not_strings(a),
            _ if !cx.check_flags(&[]) => Args::Invalid,
            Maybe::Exec(w) if !w.is_empty() => Args::Shell(w),
            Maybe::Shell(w) if !w.text.is_empty() => {
                cx.args_err("SHELL requires the arguments to be in JSON form")
            }
            _ => cx.args_err("SHELL requires at least one argument"),
        },
        Keyword::Copy | Keyword::Add => {
            let (args, json) = copy(&mut cx, kind, a);
            heredocs = !json;
            args
        }
        Keyword::Workdir | Keyword::User | Keyword::StopSignal | Keyword::Maintainer => {
            if a.is_empty() {
                cx.args_err(format!("{} requires exactly one argument", cx.upper()))
            } else if kind != Keyword::StopSignal && !cx.check_flags(&[]) {
                Args::Invalid
            } else {
                let w = cx.word(a);
                match kind {
                    Keyword::Workdir => Args::Workdir(w),
                    Keyword::User => Args::User(w),
                    Keyword::StopSignal => Args::StopSignal(w),
                    _ => Args::Maintainer(w),
                }
            }
        }
        Keyword::Expose => {
            let words: Vec<Word> = split_ws(b, a).into_iter().map(|r| cx.word(r)).collect();
            if words.is_empty() {
                cx.args_err("EXPOSE requires at least one argument")
            } else if cx.check_flags(&[]) {
                Args::Expose(words)
            } else {
                Args::Invalid
            }
        }
        Keyword::Volume => match cx.json_or_words(a) {
            None => Args::Invalid,
            Some((w, _)) if w.is_empty() => cx.args_err("VOLUME requires at least one argument"),
            Some(_) if !cx.check_flags(&[]) => Args::Invalid,
            Some((w, _)) if w.iter().any(|w| w.text.trim().is_empty()) => {
                cx.args_err("VOLUME specified can not be an empty string")
            }
            Some((w, _)) => Args::Volume(w),
        },
        Keyword::Healthcheck => healthcheck(&mut cx, a),
        Keyword::Onbuild => {
            let (args, h) = onbuild(&mut cx, a, escape);
            heredocs = h;
            args
        }
        Keyword::Unknown => {
            let m = format!("unknown instruction: {}", keyword.text);
            cx.diags
                .push(Diagnostic::error(K::UnknownInstruction, keyword.span, m));
            Args::Unknown(cx.word(a))
        }
    };
    let diagnostics = std::mem::take(&mut cx.diags);
    Built {
        instruction: Instruction {
            span: lg.span(r),
            keyword,
            kind,
            flags,
            args,
            heredocs: Vec::new(),
        },
        diagnostics,
        heredocs,
    }
}

/// `FROM [--platform=…] image [AS name]`.
fn from(cx: &mut Cx<'_>, a: Range<usize>) -> Args {
    let words = split_ws(&cx.lg.text, a);
    let name = match words.as_slice() {
        [_] => None,
        [_, as_, n] if cx.text(as_.clone()).eq_ignore_ascii_case("as") => {
            let raw = cx.text(n.clone());
            let lower = raw.to_lowercase();
            let valid = lower.starts_with(|c: char| c.is_ascii_lowercase())
                && lower
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
            if !valid {
                let m = format!(
                    "invalid name for build stage: {}, name can't start with a number or contain symbols",
                    super::shlex::go_quote(&raw)
                );
                return cx.err(K::Arguments, n.clone(), m);
            }
            Some(Word::new(lower, cx.lg.span(n.clone())))
        }
        _ => return cx.args_err("FROM requires either one or three arguments"),
    };
    if !cx.check_flags(&[("platform", Ty::Str)]) {
        return Args::Invalid;
    }
    Args::From {
        image: cx.word(words[0].clone()),
        name,
    }
}

/// `ARG name[=default] …` (`parseNameOrNameVal`, then `parseArg`).
fn arg(cx: &mut Cx<'_>, a: Range<usize>) -> Args {
    let words = parse_words(&cx.lg.text, a, cx.escape);
    if words.is_empty() {
        return cx.args_err("ARG requires at least one argument");
    }
    let mut decls = Vec::new();
    for w in words {
        match w.text.split_once('=') {
            Some(("", _)) => return cx.args_err("ARG names can not be blank"),
            Some((k, v)) => {
                let eq = (w.range.start + k.len()).min(w.range.end);
                decls.push(ArgDecl {
                    name: Word::new(k, cx.lg.span(w.range.start..eq)),
                    default: Some(Word::new(
                        v,
                        cx.lg.span((eq + 1).min(w.range.end)..w.range.end),
                    )),
                });
            }
            None => decls.push(ArgDecl {
                name: Word::new(w.text, cx.lg.span(w.range)),
                default: None,
            }),
        }
    }
    Args::Arg(decls)
}

/// COPY/ADD sources and destination; returns whether it was JSON.
fn copy(cx: &mut Cx<'_>, kind: Keyword, a: Range<usize>) -> (Args, bool) {
    let Some((mut words, json)) = cx.json_or_words(a) else {
        return (Args::Invalid, true);
    };
    let name = cx.upper();
    if words.len() < 2 {
        let m = format!(
            "{name} requires at least two arguments, but only one was provided. Destination could not be determined"
        );
        return (cx.args_err(m), json);
    }
    let allowed: &[(&str, Ty)] = if kind == Keyword::Add {
        &[
            ("chown", Ty::Str),
            ("chmod", Ty::Str),
            ("link", Ty::Bool),
            ("keep-git-dir", Ty::Bool),
            ("checksum", Ty::Str),
            ("unpack", Ty::Bool),
            ("exclude", Ty::Strings),
        ]
    } else {
        &[
            ("chown", Ty::Str),
            ("from", Ty::Str),
            ("chmod", Ty::Str),
            ("link", Ty::Bool),
            ("exclude", Ty::Strings),
            ("parents", Ty::Bool),
        ]
    };
    if !cx.check_flags(allowed) {
        return (Args::Invalid, json);
    }
    let dest = words
        .pop()
        .unwrap_or_else(|| Word::new("", cx.lg.span(cx.whole.clone())));
    if let Ok(Some(_)) = heredoc_marker(&dest.text) {
        let m = format!("{name} cannot accept a heredoc as a destination");
        cx.diags.push(Diagnostic::error(K::Arguments, dest.span, m));
        return (Args::Invalid, json);
    }
    let args = CopyArgs {
        sources: words,
        dest,
        json,
    };
    (
        if kind == Keyword::Add {
            Args::Add(args)
        } else {
            Args::Copy(args)
        },
        json,
    )
}

/// HEALTHCHECK (`parseHealthConfig`, then `parseHealthcheck`).
fn healthcheck(cx: &mut Cx<'_>, a: Range<usize>) -> Args {
    let b = &cx.lg.text;
    if a.is_empty() {
        return cx.args_err("HEALTHCHECK requires at least one argument");
    }
    let sep = (a.start..a.end)
        .find(|&i| byte_is_space(b[i]))
        .unwrap_or(a.end);
    let next = (sep..a.end)
        .find(|&i| !byte_is_space(b[i]))
        .unwrap_or(a.end);
    let typ = cx.text(a.start..sep).to_ascii_uppercase();
    let command = match cx.maybe_json(next..a.end) {
        Maybe::NotStrings => return cx.not_strings(next..a.end),
        Maybe::Exec(w) => CommandLine::Exec(w),
        Maybe::Shell(w) => CommandLine::Shell(w),
    };
    let empty = match &command {
        CommandLine::Exec(w) => w.is_empty(),
        CommandLine::Shell(w) => w.text.is_empty(),
    };
    let mut h = HealthArgs {
        command: None,
        interval: Default::default(),
        timeout: Default::default(),
        start_period: Default::default(),
        start_interval: Default::default(),
        retries: 0,
    };
    if typ == "NONE" {
        if !empty {
            return cx.args_err("HEALTHCHECK NONE takes no arguments");
        }
        return Args::Healthcheck(h);
    }
    let names = [
        "interval",
        "timeout",
        "start-period",
        "start-interval",
        "retries",
    ];
    if !cx.check_flags(&names.map(|n| (n, Ty::Str))) {
        return Args::Invalid;
    }
    if typ != "CMD" {
        return cx.args_err(format!("Unknown type \"{typ}\" in HEALTHCHECK (try CMD)"));
    }
    if empty {
        return cx.args_err("Missing command after HEALTHCHECK CMD");
    }
    let value = |n: &str| {
        cx.flags
            .iter()
            .rev()
            .find(|f| f.name == n)
            .and_then(|f| f.value.clone())
    };
    let parsed = (|| -> Result<(), String> {
        h.interval = values::interval("interval", value("interval").as_deref())?;
        h.timeout = values::interval("timeout", value("timeout").as_deref())?;
        h.start_period = values::interval("start-period", value("start-period").as_deref())?;
        h.start_interval = values::interval("start-interval", value("start-interval").as_deref())?;
        if let Some(r) = value("retries").filter(|r| !r.is_empty()) {
            let n: i64 = r
                .parse()
                .map_err(|_| format!("strconv.ParseInt: parsing \"{r}\": invalid syntax"))?;
            if n < 0 {
                return Err(format!("--retries cannot be negative ({n})"));
            }
            h.retries = u32::try_from(n)
                .map_err(|_| format!("strconv.ParseInt: parsing \"{r}\": value out of range"))?;
        }
        Ok(())
    })();
    match parsed {
        Ok(()) => {
            h.command = Some(command);
            Args::Healthcheck(h)
        }
        Err(m) => cx.args_err(m),
    }
}

/// ONBUILD: the trigger is built one level deep only (`ONBUILD ONBUILD` is
/// refused before its argument is looked at), so nesting cannot recurse.
fn onbuild(cx: &mut Cx<'_>, a: Range<usize>, escape: char) -> (Args, bool) {
    if a.is_empty() {
        return (cx.args_err("ONBUILD requires at least one argument"), false);
    }
    if !cx.check_flags(&[]) {
        return (Args::Invalid, false);
    }
    let (inner, _) = split2_ws(&cx.lg.text, a.clone());
    let trigger = cx.text(inner).to_ascii_uppercase();
    match trigger.as_str() {
        "ONBUILD" => {
            return (
                cx.args_err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
                false,
            );
        }
        "MAINTAINER" | "FROM" => {
            return (
                cx.args_err(format!("{trigger} isn't allowed as an ONBUILD trigger")),
                false,
            );
        }
        _ => {}
    }
    let built = build_range(cx.lg, a, escape);
    (
        Args::Onbuild(Box::new(built.instruction), built.diagnostics),
        built.heredocs,
    )
}

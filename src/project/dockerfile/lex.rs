//! The line layer of BuildKit's parser (`parser/parser.go` `Parse`,
//! `parser/directives.go`): physical lines, the UTF-8 BOM, the 64 KiB line
//! limit, parser directives in the leading comment block, comments, line
//! continuations (comment lines inside are dropped, blank lines skipped
//! with a warning) and heredoc bodies. Each logical instruction is joined
//! into one text with a map back to the source bytes, then handed to
//! [`super::instructions`].

use std::ops::Range;

use super::ast::{Heredoc, Keyword};
use super::shlex::{LexError, Lexer, NoEnv};
use super::words::trim_left;
use super::{ByteSpan, Diagnostic, DiagnosticKind, Directive, Parsed};

/// BuildKit's scanner refuses a line of this many bytes or more.
const MAX_LINE: usize = 64 * 1024;

/// One instruction's lines joined (continuation characters removed), with
/// the source offset of each joined piece.
pub(super) struct Logical {
    pub text: Vec<u8>,
    /// `(offset in text, offset in source)` at the start of each piece.
    segs: Vec<(usize, usize)>,
}

impl Logical {
    fn push(&mut self, src: &[u8], r: Range<usize>) {
        if !r.is_empty() {
            self.segs.push((self.text.len(), r.start));
            self.text.extend_from_slice(&src[r]);
        }
    }

    /// The source offset of text offset `i` (`i < text.len()`).
    fn source_of(&self, i: usize) -> usize {
        let k = self
            .segs
            .partition_point(|&(t, _)| t <= i)
            .saturating_sub(1);
        let (t, s) = self.segs.get(k).copied().unwrap_or((0, 0));
        s + (i - t)
    }

    /// The source span of the text range `r`.
    pub fn span(&self, r: Range<usize>) -> ByteSpan {
        if self.text.is_empty() {
            return ByteSpan::default();
        }
        let start = self.source_of(r.start.min(self.text.len() - 1));
        if r.start >= self.text.len() {
            let end = self.source_of(self.text.len() - 1) + 1;
            return ByteSpan::new(end, end);
        }
        if r.end <= r.start {
            return ByteSpan::new(start, start);
        }
        ByteSpan::new(start, self.source_of(r.end - 1) + 1)
    }
}

/// Physical lines of the source.
struct Lines<'a> {
    src: &'a [u8],
    pos: usize,
}

/// One physical line: its content without the trailing `\r`s and `\n`.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
}

impl<'a> Lines<'a> {
    /// The next line; `Err` with its span when it is too long.
    fn next(&mut self) -> Option<Result<Line, ByteSpan>> {
        if self.pos >= self.src.len() {
            return None;
        }
        let start = self.pos;
        let nl = memchr::memchr(b'\n', &self.src[start..]).map(|i| start + i);
        let raw_end = nl.unwrap_or(self.src.len());
        let next = nl.map_or(self.src.len(), |i| i + 1);
        self.pos = next;
        if raw_end - start >= MAX_LINE {
            return Some(Err(ByteSpan::new(start, raw_end)));
        }
        let mut end = raw_end;
        while end > start && matches!(self.src[end - 1], b'\r' | b'\n') {
            end -= 1;
        }
        Some(Ok(Line { start, end }))
    }
}

/// The leading block of parser directives.
struct Directives {
    done: bool,
}

impl Directives {
    /// BuildKit's `DirectiveParser.ParseLine` on a left-trimmed line.
    fn line(&mut self, src: &[u8], r: Range<usize>, out: &mut Parsed) -> Result<(), Diagnostic> {
        if self.done {
            return Ok(());
        }
        let span = ByteSpan::new(r.start, r.end);
        if src.get(r.start) != Some(&b'#') || r.is_empty() {
            self.done = true;
            return Ok(());
        }
        let body = trim_left(src, r.start + 1..r.end);
        let text = String::from_utf8_lossy(&src[body]);
        let Some((key, value)) = split_directive(&text) else {
            self.done = true;
            return Ok(());
        };
        let key = key.to_ascii_lowercase();
        if !matches!(key.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(());
        }
        if out.directives.iter().any(|d| d.name == key) {
            return Err(Diagnostic::error(
                DiagnosticKind::Directive,
                span,
                format!("only one {key} parser directive can be used"),
            ));
        }
        if key == "escape" {
            match value {
                "\\" => out.escape = '\\',
                "`" => out.escape = '`',
                v => {
                    return Err(Diagnostic::error(
                        DiagnosticKind::Directive,
                        span,
                        format!("invalid escape token '{v}' does not match ` or \\"),
                    ));
                }
            }
        }
        out.directives.push(Directive {
            name: key,
            value: value.to_owned(),
            span,
        });
        Ok(())
    }
}

/// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (Go `\s` is `[\t\n\f\r ]`).
fn split_directive(s: &str) -> Option<(&str, &str)> {
    let re_space = |c: char| matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ');
    let key_end = s
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(s.len());
    let key = &s[..key_end];
    if !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let rest = s[key_end..]
        .trim_start_matches(re_space)
        .strip_prefix('=')?;
    let value = rest.trim_matches(re_space);
    (!value.is_empty()).then_some((key, value))
}

fn is_comment(src: &[u8], r: Range<usize>) -> bool {
    let t = trim_left(src, r);
    src.get(t.start) == Some(&b'#') && !t.is_empty()
}

/// BuildKit's continuation regex: the escape character as the last
/// non-blank, not itself escaped. Returns the kept range and whether the
/// line continues.
fn trim_continuation(src: &[u8], r: Range<usize>, escape: u8) -> (Range<usize>, bool) {
    let mut j = r.end;
    while j > r.start && matches!(src[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    if j == r.start || src[j - 1] != escape {
        return (r, false);
    }
    let esc = j - 1;
    if esc == r.start || src[esc - 1] != escape {
        (r.start..esc, true)
    } else {
        (r, false)
    }
}

/// A `<<WORD` heredoc marker, read as `parser.ParseHeredoc` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Marker {
    /// The terminator, quotes removed.
    pub name: String,
    /// The `3<<` file descriptor, 0 when absent.
    pub fd: u32,
    /// `<<-`.
    pub chomp: bool,
    /// No quotes in the word: the body is expanded.
    pub expand: bool,
}

/// The marker a word is (`parser.ParseHeredoc`): `Ok(None)` when it is
/// not one, `Err` with BuildKit's message when its quoting is broken.
pub(super) fn heredoc_marker(word: &str) -> Result<Option<Marker>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(rest) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let fd = word[..digits].parse::<u32>().unwrap_or(0);
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.trim_start_matches(['\t', '\n', '\x0c', '\r', ' ']);
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let mut lx = Lexer::new('\\', usize::MAX);
    lx.skip_unset_env = true;
    let err = |e: LexError| match e {
        LexError::Syntax(m) => m,
        LexError::Budget => "heredoc marker too long".to_owned(),
    };
    let words = lx.process(rest, &NoEnv).map_err(err)?.words;
    let [name] = words.as_slice() else {
        return Ok(None);
    };
    lx.raw_quotes = true;
    let raw = lx.process(rest, &NoEnv).map_err(err)?.words;
    if raw.len() != words.len() {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    }
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let expand = quotes(name) == quotes(&raw[0]);
    Ok(Some(Marker {
        name: name.clone(),
        fd,
        chomp,
        expand,
    }))
}

/// The heredoc markers of a line (`heredocsFromLine`), with a best-effort
/// source range for each: the marker's text found after the previous one,
/// else the next `<<`. After one miss (a word the lexer rewrote, such as
/// invalid UTF-8) only `<<` is searched, so the searches stay linear.
fn markers(text: &[u8]) -> Result<Vec<(Marker, Range<usize>)>, String> {
    let line = String::from_utf8_lossy(text);
    let mut lx = Lexer::new('\\', usize::MAX);
    lx.raw_quotes = true;
    lx.raw_escapes = true;
    lx.skip_unset_env = true;
    let Ok(p) = lx.process(&line, &NoEnv) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut cursor = 0;
    let mut exact = true;
    for w in p.words {
        if let Some(m) = heredoc_marker(&w)? {
            let hay = &text[cursor.min(text.len())..];
            let found = exact.then(|| find(hay, w.as_bytes())).flatten();
            exact = found.is_some();
            let at = found
                .map(|i| (cursor + i, cursor + i + w.len()))
                .or_else(|| find(hay, b"<<").map(|i| (cursor + i, cursor + i + 2)));
            let (s, e) = at.unwrap_or((cursor, cursor));
            cursor = e;
            out.push((m, s..e.min(text.len())));
        }
    }
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Parses one Dockerfile (see [`super::parse`]).
pub(super) fn parse(src: &[u8]) -> Parsed {
    let mut out = Parsed {
        escape: '\\',
        ..Parsed::default()
    };
    if src.is_empty() {
        out.diagnostics.push(Diagnostic::error(
            DiagnosticKind::Empty,
            ByteSpan::default(),
            "the Dockerfile cannot be empty",
        ));
        return out;
    }
    if u32::try_from(src.len()).is_err() {
        out.diagnostics.push(Diagnostic::error(
            DiagnosticKind::LineTooLong,
            ByteSpan::default(),
            "Dockerfile larger than 4 GiB",
        ));
        return out;
    }
    if let Err(d) = parse_lines(src, &mut out) {
        out.diagnostics.push(d);
        return out;
    }
    check_stages(&mut out, src.len());
    out
}

fn too_long(span: ByteSpan) -> Diagnostic {
    Diagnostic::error(
        DiagnosticKind::LineTooLong,
        span,
        format!(
            "dockerfile line greater than max allowed size of {}",
            MAX_LINE - 1
        ),
    )
}

/// The main loop; `Err` for the problems that stop BuildKit's scanner.
fn parse_lines(src: &[u8], out: &mut Parsed) -> Result<(), Diagnostic> {
    let mut lines = Lines { src, pos: 0 };
    let mut dirs = Directives { done: false };
    let mut first = true;
    while let Some(line) = lines.next() {
        let line = line.map_err(too_long)?;
        let mut start = line.start;
        if first && src[start..line.end].starts_with(b"\xEF\xBB\xBF") {
            start += 3;
        }
        first = false;
        let r = trim_left(src, start..line.end);
        dirs.line(src, r.clone(), out)?;
        if is_comment(src, r.clone()) || r.is_empty() {
            continue;
        }
        let escape = out.escape as u8;
        let mut logical = Logical {
            text: Vec::new(),
            segs: Vec::new(),
        };
        let (kept, mut more) = trim_continuation(src, r.clone(), escape);
        logical.push(src, kept);
        let mut end = line.end;
        let mut empty_continuation = false;
        while more {
            let Some(next) = lines.next() else { break };
            let next = next.map_err(too_long)?;
            end = next.end;
            let nr = next.start..next.end;
            if is_comment(src, nr.clone()) {
                continue;
            }
            if trim_left(src, nr.clone()).is_empty() {
                empty_continuation = true;
                continue;
            }
            let (kept, m) = trim_continuation(src, nr, escape);
            logical.push(src, kept);
            more = m;
        }
        let span = ByteSpan::new(r.start, end);
        if empty_continuation {
            let shown = String::from_utf8_lossy(&logical.text);
            out.diagnostics.push(Diagnostic::warning(
                DiagnosticKind::EmptyContinuation,
                span,
                format!("Empty continuation line found in: {shown}"),
            ));
        }
        let built = super::instructions::build(&logical, out.escape);
        let mut instr = built.instruction;
        out.diagnostics.extend(built.diagnostics);
        if built.heredocs && memchr::memmem::find(&logical.text, b"<<").is_some() {
            let found = markers(&logical.text)
                .map_err(|m| Diagnostic::error(DiagnosticKind::Heredoc, span, m))?;
            for (m, at) in found {
                let doc = read_heredoc(&mut lines, src, m, logical.span(at), span)?;
                end = doc.terminator.end as usize;
                instr.heredocs.push(doc);
            }
        }
        instr.span = ByteSpan::new(r.start, end);
        out.instructions.push(instr);
    }
    Ok(())
}

/// Reads body lines up to the terminator (after tab stripping for `<<-`);
/// the body keeps its newlines.
fn read_heredoc(
    lines: &mut Lines<'_>,
    src: &[u8],
    m: Marker,
    marker: ByteSpan,
    at: ByteSpan,
) -> Result<Heredoc, Diagnostic> {
    let body_start = lines.pos;
    loop {
        let Some(line) = lines.next() else {
            return Err(Diagnostic::error(
                DiagnosticKind::Heredoc,
                ByteSpan::new(at.start as usize, src.len()),
                "unterminated heredoc",
            ));
        };
        let line = line.map_err(too_long)?;
        let mut t = line.start;
        if m.chomp {
            while t < line.end && src[t] == b'\t' {
                t += 1;
            }
        }
        if &src[t..line.end] == m.name.as_bytes() {
            return Ok(Heredoc {
                name: m.name,
                fd: m.fd,
                chomp: m.chomp,
                expand: m.expand,
                marker,
                body: ByteSpan::new(body_start, line.start),
                content: String::from_utf8_lossy(&src[body_start..line.start]).into_owned(),
                terminator: ByteSpan::new(line.start, line.end),
            });
        }
    }
}

/// `instructions.Parse`: only ARG may come before the first FROM, and
/// there must be a stage.
fn check_stages(out: &mut Parsed, len: usize) {
    if out.instructions.is_empty() {
        if !out.has_errors() {
            out.diagnostics.push(Diagnostic::error(
                DiagnosticKind::Empty,
                ByteSpan::new(len, len),
                "file with no instructions",
            ));
        }
        return;
    }
    let mut seen_from = false;
    let mut extra = Vec::new();
    for i in &out.instructions {
        match i.kind {
            Keyword::From => seen_from = true,
            Keyword::Arg | Keyword::Unknown => {}
            _ if !seen_from => extra.push(Diagnostic::error(
                DiagnosticKind::NoStage,
                i.span,
                "no build stage in current context",
            )),
            _ => {}
        }
    }
    if !seen_from && extra.is_empty() && !out.has_errors() {
        let s = out.instructions[0].span;
        extra.push(Diagnostic::error(
            DiagnosticKind::Empty,
            s,
            "dockerfile contains no stages to build",
        ));
    }
    out.diagnostics.extend(extra);
}

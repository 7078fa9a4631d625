//! crossplane's JSON shape (`status / errors / config[] / parsed[] /
//! directive / line / args / includes / block / comment`), so tools built
//! for `crossplane parse` read our output unchanged. Our additions use names
//! crossplane does not: `column` on errors, `pos` (the directive's span) and
//! `args_pos` (each argument's span and quoting) on directives, and
//! `warnings` for problems that are not errors.

use super::{Config, Diagnostic, Directive, Node, ParsedFile, Severity};
use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;
use std::collections::HashMap;

/// What to include in the payload.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Inline included files into one `config[0]` (crossplane `--combine`).
    pub combine: bool,
    /// Emit `#` comments as `{"directive": "#", "comment": …}`.
    pub comments: bool,
    /// Add our position fields (`pos`, `args_pos`, `column`, `warnings`).
    pub positions: bool,
    /// Includes were not followed (crossplane `--single-file`): no `includes` key.
    pub single_file: bool,
}

/// A span as line/column pairs plus byte offsets.
#[derive(Debug, Clone, Serialize)]
pub struct Pos {
    /// Start line (1-based).
    pub line: u32,
    /// Start column (1-based, characters).
    pub column: u32,
    /// End line.
    pub end_line: u32,
    /// End column (exclusive).
    pub end_column: u32,
    /// Start byte offset.
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
}

impl Pos {
    /// Positions of a span.
    pub fn of(sources: &SourceMap, span: Span) -> Pos {
        let s = sources.start(span);
        let e = sources.end(span);
        Pos {
            line: s.line,
            column: s.column,
            end_line: e.line,
            end_column: e.column,
            start: span.start,
            end: span.end,
        }
    }
}

/// Renders a parsed configuration as crossplane's payload, as a JSON
/// value (for callers that inspect it; [`Payload`] streams the same
/// document without building it).
pub fn payload(config: &Config, sources: &SourceMap, opts: Options) -> serde_json::Value {
    serde_json::from_slice(&Payload::new(config, sources, opts).to_vec())
        .expect("the payload is JSON")
}

/// crossplane's payload as a borrowed view: [`Payload::write`] writes the
/// document straight from the tree, with no intermediate value.
pub struct Payload<'a> {
    config: &'a Config,
    sources: &'a SourceMap,
    opts: Options,
    /// Index of each file in `config[]`.
    index: HashMap<FileId, usize>,
    /// Each file's diagnostics, in order.
    by_file: HashMap<FileId, Vec<&'a Diagnostic>>,
    /// The last line looked up (file, line).
    cursor: std::cell::Cell<(FileId, u32)>,
}

impl<'a> Payload<'a> {
    /// The view of `config` with `opts`.
    pub fn new(config: &'a Config, sources: &'a SourceMap, opts: Options) -> Payload<'a> {
        let index = config
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.file, i))
            .collect();
        let mut by_file: HashMap<FileId, Vec<&Diagnostic>> = HashMap::new();
        for d in &config.diagnostics {
            by_file.entry(d.span.file).or_default().push(d);
        }
        Payload {
            config,
            sources,
            opts,
            index,
            by_file,
            cursor: std::cell::Cell::new((FileId(u32::MAX), 0)),
        }
    }

    /// The 1-based line of a span's start: statements are written in
    /// source order, so the line index is walked on from the last one.
    fn line(&self, span: Span) -> u32 {
        let (file, last) = self.cursor.get();
        let f = self.sources.get(span.file);
        let line = if file == span.file {
            f.line_after(span.start as usize, last)
        } else {
            f.line_of(span.start as usize)
        };
        self.cursor.set((span.file, line));
        line
    }

    /// The diagnostics of the parsed files, in file order, that are (or
    /// are not) errors.
    fn problems(&self, errors: bool) -> impl Iterator<Item = &'a Diagnostic> + '_ {
        self.config
            .files
            .iter()
            .flat_map(|f| self.by_file.get(&f.file).into_iter().flatten().copied())
            .filter(move |d| (d.severity == Severity::Error) == errors)
    }

    fn failed(&self) -> bool {
        self.problems(true).next().is_some()
    }
}

impl Payload<'_> {
    /// Appends the payload as compact JSON: straight from the tree, keys
    /// as literals, and strings copied as they are unless they hold a
    /// byte JSON must escape (serde_json's escaper, which looks at every
    /// byte, was a third of `upcheck parse`'s time).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"status\":");
        string(out, status(self.failed()));
        out.extend_from_slice(b",\"errors\":");
        self.problems_json(out, None, true, true);
        if self.opts.positions && self.problems(false).next().is_some() {
            out.extend_from_slice(b",\"warnings\":");
            self.problems_json(out, None, false, true);
        }
        out.extend_from_slice(b",\"config\":[");
        let files = &self.config.files;
        if self.opts.combine && !files.is_empty() {
            self.entry(out, &files[0], true);
        } else {
            for (i, f) in files.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b",");
                }
                self.entry(out, f, false);
            }
        }
        out.extend_from_slice(b"]}")
    }

    /// The payload as bytes of compact JSON.
    pub fn to_vec(&self) -> Vec<u8> {
        // About 1.7 bytes of JSON per byte of configuration.
        let input: usize = (self.config.files.iter())
            .map(|f| self.sources.get(f.file).bytes.len())
            .sum();
        let mut out = Vec::with_capacity(input / 4 * 7);
        self.write(&mut out);
        out
    }

    /// One `config[]` entry; `combined`: the single entry of `--combine`,
    /// with every file's errors and no warnings.
    fn entry(&self, out: &mut Vec<u8>, file: &ParsedFile, combined: bool) {
        out.extend_from_slice(b"{\"file\":");
        string(out, &file.path);
        out.extend_from_slice(b",\"status\":");
        if combined {
            string(out, status(self.failed()));
            out.extend_from_slice(b",\"errors\":");
            self.problems_json(out, None, true, false);
        } else {
            let mine = self.by_file.get(&file.file).map_or(&[][..], Vec::as_slice);
            string(
                out,
                status(mine.iter().any(|d| d.severity == Severity::Error)),
            );
            out.extend_from_slice(b",\"errors\":");
            self.problems_json(out, Some(mine), true, false);
            if self.opts.positions && mine.iter().any(|d| d.severity != Severity::Error) {
                out.extend_from_slice(b",\"warnings\":");
                self.problems_json(out, Some(mine), false, false);
            }
        }
        out.extend_from_slice(b",\"parsed\":[");
        self.nodes(out, &file.block.nodes, file.file, &[file.file], &mut true);
        out.extend_from_slice(b"]}")
    }

    /// A list of `{file, error, line[, column]}` problems: one file's
    /// diagnostics (`only`), or every parsed file's.
    fn problems_json(
        &self,
        out: &mut Vec<u8>,
        only: Option<&[&Diagnostic]>,
        errors: bool,
        with_file: bool,
    ) {
        out.extend_from_slice(b"[");
        let mut first = true;
        let mut each = |d: &Diagnostic| {
            if !std::mem::take(&mut first) {
                out.extend_from_slice(b",");
            }
            self.problem(out, d, with_file)
        };
        match only {
            Some(mine) => {
                for d in mine
                    .iter()
                    .filter(|d| (d.severity == Severity::Error) == errors)
                {
                    each(d);
                }
            }
            None => {
                for d in self.problems(errors) {
                    each(d);
                }
            }
        }
        out.extend_from_slice(b"]")
    }

    fn problem(&self, out: &mut Vec<u8>, d: &Diagnostic, with_file: bool) {
        let path = &self.sources.get(d.span.file).path;
        let line = self.sources.line(d.span);
        out.extend_from_slice(b"{");
        if with_file {
            out.extend_from_slice(b"\"file\":");
            string(out, path);
            out.extend_from_slice(b",");
        }
        out.extend_from_slice(b"\"error\":");
        string(out, &format!("{} in {}:{}", d.message, path, line));
        out.extend_from_slice(b",\"line\":");
        number(out, line);
        if self.opts.positions {
            out.extend_from_slice(b",\"column\":");
            number(out, self.sources.start(d.span).column);
        }
        out.extend_from_slice(b"}")
    }

    /// The statements of a block, each after a comma unless `first`;
    /// `--combine` inlines includes (`stack`: the files being inlined,
    /// outermost first, to skip cycles).
    fn nodes(
        &self,
        out: &mut Vec<u8>,
        nodes: &[Node],
        file: FileId,
        stack: &[FileId],
        first: &mut bool,
    ) {
        for node in nodes {
            match node {
                Node::Comment(c) => {
                    if self.opts.comments {
                        sep(out, first);
                        self.comment(out, &c.text, c.span, file);
                    }
                }
                Node::Directive(d) => {
                    if d.rejected {
                        // crossplane drops a statement its analyzer rejects.
                        continue;
                    }
                    // `include` inside `map`/`geo`/`types` bodies is followed
                    // by nginx too (their handlers call `ngx_conf_include`).
                    if self.opts.combine && d.name == "include" {
                        for inc in &d.includes {
                            if stack.contains(inc) {
                                continue;
                            }
                            if let Some(pf) = self.config.file(*inc) {
                                let mut inner = stack.to_vec();
                                inner.push(*inc);
                                self.nodes(out, &pf.block.nodes, *inc, &inner, first);
                            }
                        }
                        continue;
                    }
                    sep(out, first);
                    self.directive(out, d, file, stack);
                    if self.opts.comments {
                        for c in &d.inner_comments {
                            // crossplane emits comments found between
                            // arguments after the statement, on its line.
                            out.extend_from_slice(b",");
                            self.comment(out, &c.text, d.name_span, file);
                        }
                    }
                }
            }
        }
    }

    /// A statement's `{`, and with `--combine` the file it comes from.
    fn open_statement(&self, out: &mut Vec<u8>, file: FileId) {
        out.push(b'{');
        if self.opts.combine {
            out.extend_from_slice(b"\"file\":");
            string(out, &self.sources.get(file).path);
            out.push(b',');
        }
    }

    fn comment(&self, out: &mut Vec<u8>, text: &str, at: Span, file: FileId) {
        self.open_statement(out, file);
        out.extend_from_slice(b"\"directive\":\"#\",\"line\":");
        number(out, self.line(at));
        out.extend_from_slice(b",\"args\":[],\"comment\":");
        string(out, text);
        out.extend_from_slice(b"}")
    }

    fn directive(&self, out: &mut Vec<u8>, d: &Directive, file: FileId, stack: &[FileId]) {
        self.open_statement(out, file);
        out.extend_from_slice(b"\"directive\":");
        string(out, d.name.as_str());
        out.extend_from_slice(b",\"line\":");
        number(out, self.line(d.name_span));
        out.extend_from_slice(b",\"args\":[");
        for (i, a) in d.args.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b",");
            }
            string(out, a.value.as_str());
        }
        out.extend_from_slice(b"]");
        if d.name == "include" && !self.opts.combine && !self.opts.single_file {
            out.extend_from_slice(b",\"includes\":[");
            let indexes = d.includes.iter().filter_map(|f| self.index.get(f));
            for (i, n) in indexes.enumerate() {
                if i > 0 {
                    out.extend_from_slice(b",");
                }
                number(out, *n as u32);
            }
            out.extend_from_slice(b"]");
        }
        if let Some(b) = &d.block {
            out.extend_from_slice(b",\"block\":[");
            self.nodes(out, &b.nodes, file, stack, &mut true);
            out.extend_from_slice(b"]");
        }
        if self.opts.positions {
            out.extend_from_slice(b",\"pos\":{");
            pos_fields(out, &Pos::of(self.sources, d.span));
            out.extend_from_slice(b"},\"args_pos\":[");
            for (i, a) in d.args.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b",");
                }
                out.extend_from_slice(b"{");
                pos_fields(out, &Pos::of(self.sources, a.span));
                out.extend_from_slice(b",\"quote\":");
                string(out, a.quote.name());
                out.extend_from_slice(b"}");
            }
            out.extend_from_slice(b"]");
        }
        out.extend_from_slice(b"}")
    }
}

/// A comma before every element but the first.
fn sep(out: &mut Vec<u8>, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

fn status(failed: bool) -> &'static str {
    if failed { "failed" } else { "ok" }
}

/// A [`Pos`]'s fields, without braces.
fn pos_fields(out: &mut Vec<u8>, p: &Pos) {
    for (i, (key, n)) in [
        ("line", p.line),
        ("column", p.column),
        ("end_line", p.end_line),
        ("end_column", p.end_column),
        ("start", p.start),
        ("end", p.end),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            out.extend_from_slice(b",");
        }
        out.extend_from_slice(b"\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        number(out, n);
    }
}

fn number(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes())
}

/// A JSON string. Most nginx words need no escape: eight bytes at a time
/// say so (bytes under 0x20, `"` and `\\` are the ones JSON escapes), and
/// the bytes are copied; the rest go through serde_json's escaper.
fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if needs_escape(bytes) {
        serde_json::to_writer(out, s).expect("a Vec takes every byte");
    } else {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    }
}

/// Whether any byte is under 0x20, `"` or `\\` (SWAR: a word's bytes at once).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of `v` is zero, or (for `below`) under `n`: its high bit set.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes(c.try_into().expect("eight bytes"));
        if below(v, 0x20) | zero(v ^ (ONES * u64::from(b'"'))) | zero(v ^ (ONES * u64::from(b'\\')))
            != 0
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::{ParseOptions, parse};
    use crate::source::SourceFile;

    #[test]
    fn strings_are_copied_unless_json_must_escape_them() {
        // Every byte JSON escapes, at every place of an eight-byte word and
        // in the tail, and the bytes just around them.
        for b in 0u8..=0x7f {
            for at in 0..19 {
                let mut v = vec![b'a'; 19];
                v[at] = b;
                let s = std::str::from_utf8(&v).unwrap();
                let mut out = Vec::new();
                string(&mut out, s);
                assert_eq!(out, serde_json::to_vec(s).unwrap(), "{b:#x} at {at}");
                assert_eq!(
                    needs_escape(&v),
                    b < 0x20 || b == b'"' || b == b'\\',
                    "{b:#x}"
                );
            }
        }
        for s in [
            "plain",
            "",
            "ünïcode €",
            "a\"b",
            "back\\slash",
            "tab\tnl\n",
            "\u{1}\u{1f}",
            "\u{7f}",
        ] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn combine_inlines_includes_inside_map_bodies() {
        let (mut sources, main) = crate::testing::one_file(
            "nginx.conf",
            "http {\n  map $host $pool {\n    default a;\n    include hosts.map;\n  }\n}\n",
        );
        sources.add(SourceFile::new("hosts.map", "x.example b;\n"));
        let config = parse(&sources, main, &ParseOptions::default());
        let opts = Options {
            combine: true,
            ..Default::default()
        };
        let out = payload(&config, &sources, opts);
        let map = &out["config"][0]["parsed"][0]["block"][0];
        assert_eq!(map["directive"], "map");
        let names: Vec<&str> = map["block"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["directive"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["default", "x.example"]);
        assert_eq!(map["block"][1]["file"], "hosts.map");
    }
}

//! crossplane's JSON shape (`status / errors / config[] / parsed[] /
//! directive / line / args / includes / block / comment`), so tools built
//! for `crossplane parse` read our output unchanged. Our additions use names
//! crossplane does not: `column` on errors, `pos` (the directive's span) and
//! `args_pos` (each argument's span and quoting) on directives, and
//! `warnings` for problems that are not errors.

use super::Arg;
use super::parser::Sink;
use super::{
    Comment, Config, Ctx, Diagnostic, Directive, Node, ParseOptions, ParsedFile, Severity,
    detect_context_of, include,
};
use crate::source::{FileId, SourceMap, Span};
use compact_str::CompactString;
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

/// Renders a parsed configuration as crossplane's payload, as a JSON
/// value (for callers that inspect it; [`Payload`] streams the same
/// document without building it).
pub fn payload(config: &Config, sources: &SourceMap, opts: Options) -> serde_json::Value {
    use serde::Deserialize;
    let bytes = Payload::new(config, sources, opts).to_vec();
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    // Two JSON levels per block (its object and its `block` array): the
    // parser's depth bound (`ParseOptions::max_depth`, 256) keeps the
    // document under ~520 levels, past serde_json's default of 128.
    de.disable_recursion_limit();
    serde_json::Value::deserialize(&mut de).expect("the payload is JSON")
}

/// crossplane's payload as a borrowed view: [`Payload::write`] writes the
/// document straight from the tree, with no intermediate value.
pub struct Payload<'a> {
    config: &'a Config,
    w: Writer<'a>,
    /// Each file's diagnostics, in order.
    by_file: HashMap<FileId, Vec<&'a Diagnostic>>,
    /// For [`stream`], which writes the only file's `parsed` array itself
    /// (its tree was never built): the array is left empty and this says
    /// where in the output it goes.
    body_at: Option<std::cell::Cell<usize>>,
}

/// Writes statements: the one writer of both the tree's walk and [`stream`].
struct Writer<'a> {
    sources: &'a SourceMap,
    opts: Options,
    /// Index of each file in `config[]`.
    index: HashMap<FileId, usize>,
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
            w: Writer::new(sources, opts, index),
            by_file,
            body_at: None,
        }
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

impl<'a> Writer<'a> {
    fn new(sources: &'a SourceMap, opts: Options, index: HashMap<FileId, usize>) -> Writer<'a> {
        Writer {
            sources,
            opts,
            index,
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
        if self.w.opts.positions && self.problems(false).next().is_some() {
            out.extend_from_slice(b",\"warnings\":");
            self.problems_json(out, None, false, true);
        }
        out.extend_from_slice(b",\"config\":[");
        let files = &self.config.files;
        if self.w.opts.combine && !files.is_empty() {
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
            .map(|f| self.w.sources.get(f.file).bytes.len())
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
            if self.w.opts.positions && mine.iter().any(|d| d.severity != Severity::Error) {
                out.extend_from_slice(b",\"warnings\":");
                self.problems_json(out, Some(mine), false, false);
            }
        }
        out.extend_from_slice(b",\"parsed\":[");
        match &self.body_at {
            Some(at) => at.set(out.len()),
            None => self.nodes(out, &file.block.nodes, file.file, &[file.file], &mut true),
        }
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
        let sources = self.w.sources;
        let path = &sources.get(d.span.file).path;
        let line = sources.line(d.span);
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
        if self.w.opts.positions {
            out.extend_from_slice(b",\"column\":");
            number(out, sources.start(d.span).column);
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
        let w = &self.w;
        for node in nodes {
            match node {
                Node::Comment(c) => w.comment(out, c, file, first),
                Node::Directive(d) => {
                    if d.rejected {
                        // crossplane drops a statement its analyzer rejects.
                        continue;
                    }
                    // `include` inside `map`/`geo`/`types` bodies is followed
                    // by nginx too (their handlers call `ngx_conf_include`).
                    if w.opts.combine && d.name == "include" {
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
                    w.open_directive(out, d, file, first);
                    if let Some(b) = &d.block {
                        out.extend_from_slice(b",\"block\":[");
                        self.nodes(out, &b.nodes, file, stack, &mut true);
                        out.extend_from_slice(b"]");
                    }
                    w.end_directive(out, d, file);
                }
            }
        }
    }
}

impl Writer<'_> {
    /// A statement's `{`, and with `--combine` the file it comes from.
    fn open_statement(&self, out: &mut Vec<u8>, file: FileId) {
        out.push(b'{');
        if self.opts.combine {
            out.extend_from_slice(b"\"file\":");
            string(out, &self.sources.get(file).path);
            out.push(b',');
        }
    }

    /// A comment on its own, when comments are asked for.
    fn comment(&self, out: &mut Vec<u8>, c: &Comment, file: FileId, first: &mut bool) {
        if self.opts.comments {
            sep(out, first);
            self.comment_at(out, &c.text, c.span, file);
        }
    }

    fn comment_at(&self, out: &mut Vec<u8>, text: &str, at: Span, file: FileId) {
        self.open_statement(out, file);
        out.extend_from_slice(b"\"directive\":\"#\",\"line\":");
        number(out, self.line(at));
        out.extend_from_slice(b",\"args\":[],\"comment\":");
        string(out, text);
        out.extend_from_slice(b"}")
    }

    /// A directive up to its block: `{"directive", "line", "args"` and the
    /// `includes`, after a comma unless `first`.
    fn open_directive(&self, out: &mut Vec<u8>, d: &Directive, file: FileId, first: &mut bool) {
        sep(out, first);
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
    }

    /// A directive after its block: our positions, its `}`, then the
    /// comments written between its arguments, which crossplane emits after
    /// the statement, on its line.
    fn end_directive(&self, out: &mut Vec<u8>, d: &Directive, file: FileId) {
        if self.opts.positions {
            out.extend_from_slice(b",\"pos\":{");
            pos_fields(out, self.sources, d.span);
            out.extend_from_slice(b"},\"args_pos\":[");
            for (i, a) in d.args.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b",");
                }
                out.extend_from_slice(b"{");
                pos_fields(out, self.sources, a.span);
                out.extend_from_slice(b",\"quote\":");
                string(out, a.quote.name());
                out.extend_from_slice(b"}");
            }
            out.extend_from_slice(b"]");
        }
        out.extend_from_slice(b"}");
        if self.opts.comments {
            for c in &d.inner_comments {
                out.extend_from_slice(b",");
                self.comment_at(out, &c.text, d.name_span, file);
            }
        }
    }
}

/// `upcheck parse`'s payload written as the parser reads the statements,
/// with no tree: the same bytes as [`Payload::to_vec`] over
/// [`super::parse`]'s tree, without the tree's memory. It is kept in pieces
/// (the statements are written before the problems that precede them in
/// the document), so that the large one is never copied.
pub struct Streamed {
    /// The document before, in and after the `parsed` array.
    pieces: [Vec<u8>; 3],
    /// True when the configuration has errors (`"status": "failed"`).
    pub failed: bool,
}

impl Streamed {
    /// The document's pieces, in order.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.pieces.iter().map(Vec::as_slice)
    }

    /// The whole document.
    pub fn to_vec(&self) -> Vec<u8> {
        self.pieces.concat()
    }
}

/// Parses `main` with `parse` and writes its payload on the fly. `None`
/// when the tree is needed: with `combine` or `positions` (they look at
/// other files and at block ends), or when `main` includes another file
/// (the expansion budget cuts the tree); then [`Payload`] over
/// [`super::parse`] gives it.
pub fn stream(
    sources: &SourceMap,
    main: FileId,
    parse: &ParseOptions,
    opts: Options,
) -> Option<Streamed> {
    if opts.combine || opts.positions {
        return None;
    }
    let guess = parse.context.unwrap_or(Ctx::Main);
    let mut sink = Stream::new(Writer::new(sources, opts, HashMap::new()), sources, main);
    let mut diagnostics = include::parse_main_into(sources, main, guess, parse, &mut sink)?;
    let mut ctx = guess;
    if parse.context.is_none()
        && let Some(better) = detect_context_of(sink.top.iter().map(|n| n.as_str()))
        && better != guess
    {
        sink.reset();
        diagnostics = include::parse_main_into(sources, main, better, parse, &mut sink)?;
        ctx = better;
    }
    let file = ParsedFile {
        file: main,
        path: sources.get(main).path.clone(),
        ctx,
        block: Default::default(),
    };
    let config = Config {
        files: vec![file],
        diagnostics,
        context: ctx,
    };
    // The document around an empty `parsed` array, cut where it goes.
    let mut payload = Payload::new(&config, sources, opts);
    payload.body_at = Some(std::cell::Cell::new(0));
    let mut head = Vec::new();
    payload.write(&mut head);
    let tail = head.split_off(payload.body_at.map_or(0, |at| at.get()));
    Some(Streamed {
        pieces: [head, sink.out, tail],
        failed: config.has_errors(),
    })
}

/// The [`Sink`] that writes the `parsed` array of one file as the parser
/// reads it.
struct Stream<'a> {
    w: Writer<'a>,
    file: FileId,
    out: Vec<u8>,
    /// True right after a `[`: the next statement needs no comma.
    first: bool,
    /// The open blocks' directives; `None` for one dropped with its block
    /// (a rejected directive, or any block inside one).
    open: Vec<Option<Directive>>,
    /// The names of the top-level statements, for [`detect_context_of`].
    top: Vec<CompactString>,
    /// An argument list written out, emptied for the next statement.
    spare: Vec<Arg>,
}

impl<'a> Stream<'a> {
    fn new(w: Writer<'a>, sources: &SourceMap, file: FileId) -> Stream<'a> {
        // About 1.7 bytes of JSON per byte of configuration.
        let input = sources.get(file).bytes.len();
        Stream {
            w,
            file,
            out: Vec::with_capacity(input / 4 * 7),
            first: true,
            open: Vec::new(),
            top: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// True inside a block that is not written.
    fn dropped(&self) -> bool {
        self.open.last().is_some_and(Option::is_none)
    }

    fn note_top(&mut self, d: &Directive) {
        if self.open.is_empty() {
            self.top.push(d.name.clone());
        }
    }

    /// Keeps `d`'s argument list for the next statement.
    fn recycle(&mut self, d: Directive) {
        self.spare = d.args;
        self.spare.clear();
    }
}

impl Sink for Stream<'_> {
    const KEEPS: bool = false;

    fn spare(&mut self) -> Vec<Arg> {
        std::mem::take(&mut self.spare)
    }

    fn comment(&mut self, c: Comment) {
        if !self.dropped() {
            self.w
                .comment(&mut self.out, &c, self.file, &mut self.first);
        }
    }

    fn statement(&mut self, d: Directive) {
        self.note_top(&d);
        if !self.dropped() && !d.rejected {
            self.w
                .open_directive(&mut self.out, &d, self.file, &mut self.first);
            self.w.end_directive(&mut self.out, &d, self.file);
        }
        self.recycle(d);
    }

    fn open(&mut self, d: Directive) {
        self.note_top(&d);
        if self.dropped() || d.rejected {
            // crossplane drops a statement its analyzer rejects, block and all.
            self.open.push(None);
            return;
        }
        self.w
            .open_directive(&mut self.out, &d, self.file, &mut self.first);
        self.out.extend_from_slice(b",\"block\":[");
        self.first = true;
        self.open.push(Some(d));
    }

    fn close(&mut self, _close: Option<Span>) {
        if let Some(Some(d)) = self.open.pop() {
            self.out.extend_from_slice(b"]");
            self.w.end_directive(&mut self.out, &d, self.file);
            self.first = false;
            self.recycle(d);
        }
    }

    fn reset(&mut self) {
        self.out.clear();
        self.first = true;
        self.open.clear();
        self.top.clear();
        self.w.cursor.set((FileId(u32::MAX), 0));
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

/// A span's position fields, without braces: its start and end as line
/// and column (1-based, columns in characters, the end exclusive), then
/// as byte offsets.
fn pos_fields(out: &mut Vec<u8>, sources: &SourceMap, span: Span) {
    let (s, e) = (sources.start(span), sources.end(span));
    for (i, (key, n)) in [
        ("line", s.line),
        ("column", s.column),
        ("end_line", e.line),
        ("end_column", e.column),
        ("start", span.start),
        ("end", span.end),
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

/// A JSON string. Most nginx words need no escape (bytes under 0x20, `"`
/// and `\\` are the ones JSON escapes): eight bytes at a time say so, and
/// the bytes are copied; the rest go through serde_json's escaper.
fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if any_needs_escape(bytes) {
        serde_json::to_writer(out, s).expect("a Vec takes every byte");
    } else {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    }
}

/// Whether any byte needs a JSON escape: by eight-byte words, the last
/// one overlapping the one before (short strings byte by byte).
fn any_needs_escape(bytes: &[u8]) -> bool {
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().expect("eight bytes"));
    if bytes.len() < 8 {
        return bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
    }
    let mut chunks = bytes.chunks_exact(8);
    chunks.by_ref().any(|c| needs_escape(word(c)))
        || (!chunks.remainder().is_empty() && needs_escape(word(&bytes[bytes.len() - 8..])))
}

/// Whether any byte of the word is under 0x20, `"` or `\\` (SWAR: the
/// eight bytes at once).
fn needs_escape(v: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of `v` is zero, or (for `below`) under `n`: its high bit set.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGH;
    below(v, 0x20) | zero(v ^ (ONES * u64::from(b'"'))) | zero(v ^ (ONES * u64::from(b'\\'))) != 0
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
        crate::testing::each_byte_everywhere(0..=0x7f, b'a', |b, at, v| {
            let s = std::str::from_utf8(v).unwrap();
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{b:#x} at {at}");
            let word = <[u8; 8]>::try_from(&v[..8]).unwrap();
            assert_eq!(
                needs_escape(u64::from_ne_bytes(word)),
                at < 8 && (b < 0x20 || b == b'"' || b == b'\\'),
                "{b:#x} at {at}"
            );
        });
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
    fn the_deepest_configuration_the_parser_takes_is_a_payload_value() {
        // Past serde_json's default of 128 levels (64 blocks), up to the
        // parser's own bound; a fuzzed input found the panic.
        let depth = ParseOptions::default().max_depth - 1;
        let text = format!("{}{}", "a {".repeat(depth), "}".repeat(depth));
        let (sources, main) = crate::testing::one_file("nginx.conf", text);
        let config = parse(&sources, main, &ParseOptions::default());
        let out = payload(&config, &sources, Options::default());
        let mut node = &out["config"][0]["parsed"][0];
        let mut seen = 0;
        while node["directive"] == "a" {
            seen += 1;
            node = &node["block"][0];
        }
        assert_eq!(seen, depth);
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

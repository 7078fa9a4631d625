//! crossplane's JSON shape (`status / errors / config[] / parsed[] /
//! directive / line / args / includes / block / comment`), so tools built
//! for `crossplane parse` read our output unchanged. Our additions use names
//! crossplane does not: `column` on errors, `pos` (the directive's span) and
//! `args_pos` (each argument's span and quoting) on directives, and
//! `warnings` for problems that are not errors.

use super::{Arg, Config, Diagnostic, Directive, Node, ParsedFile, Severity};
use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
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
    serde_json::to_value(Payload::new(config, sources, opts)).expect("plain data serializes")
}

/// crossplane's payload as a borrowed view: serializing it writes the
/// document straight from the tree, with no intermediate value.
pub struct Payload<'a> {
    config: &'a Config,
    sources: &'a SourceMap,
    opts: Options,
    /// Index of each file in `config[]`.
    index: HashMap<FileId, usize>,
    /// Each file's diagnostics, in order.
    by_file: HashMap<FileId, Vec<&'a Diagnostic>>,
    /// The last line looked up (file, offset, line): statements are
    /// written in source order, so the next one's line is usually found by
    /// counting the newlines in between.
    cursor: std::cell::Cell<(FileId, u32, u32)>,
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
            cursor: std::cell::Cell::new((FileId(u32::MAX), 0, 0)),
        }
    }

    /// The 1-based line of a span's start.
    fn line(&self, span: Span) -> u32 {
        let (file, offset, line) = self.cursor.get();
        let bytes = &self.sources.get(span.file).bytes;
        let line =
            if file == span.file && offset <= span.start && span.start as usize <= bytes.len() {
                line + memchr::memchr_iter(b'\n', &bytes[offset as usize..span.start as usize])
                    .count() as u32
            } else {
                self.sources.line(span)
            };
        self.cursor.set((span.file, span.start, line));
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

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("status", status(self.failed()))?;
        m.serialize_entry("errors", &Problems::new(self, true, true))?;
        if self.opts.positions && self.problems(false).next().is_some() {
            m.serialize_entry("warnings", &Problems::new(self, false, true))?;
        }
        m.serialize_entry("config", &Configs(self))?;
        m.end()
    }
}

fn status(failed: bool) -> &'static str {
    if failed { "failed" } else { "ok" }
}

/// `config[]`: one entry per file, or the main file with everything
/// inlined (`--combine`).
struct Configs<'p, 'a>(&'p Payload<'a>);

impl Serialize for Configs<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let files = &p.config.files;
        if p.opts.combine && !files.is_empty() {
            let mut seq = s.serialize_seq(Some(1))?;
            seq.serialize_element(&Entry {
                p,
                file: &files[0],
                combined: true,
            })?;
            return seq.end();
        }
        let mut seq = s.serialize_seq(Some(files.len()))?;
        for f in files {
            seq.serialize_element(&Entry {
                p,
                file: f,
                combined: false,
            })?;
        }
        seq.end()
    }
}

/// One `config[]` entry.
struct Entry<'p, 'a> {
    p: &'p Payload<'a>,
    file: &'a ParsedFile,
    /// The single entry of `--combine`: every file's errors, no warnings.
    combined: bool,
}

impl Serialize for Entry<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.p;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &self.file.path)?;
        if self.combined {
            m.serialize_entry("status", status(p.failed()))?;
            m.serialize_entry("errors", &Problems::new(p, true, false))?;
        } else {
            let mine = p
                .by_file
                .get(&self.file.file)
                .map_or(&[][..], Vec::as_slice);
            let failed = mine.iter().any(|d| d.severity == Severity::Error);
            m.serialize_entry("status", status(failed))?;
            m.serialize_entry("errors", &Problems::of_file(p, mine, true))?;
            if p.opts.positions && mine.iter().any(|d| d.severity != Severity::Error) {
                m.serialize_entry("warnings", &Problems::of_file(p, mine, false))?;
            }
        }
        m.serialize_entry(
            "parsed",
            &Nodes {
                p,
                nodes: &self.file.block.nodes,
                file: self.file.file,
                stack: &[self.file.file],
            },
        )?;
        m.end()
    }
}

/// A list of `{file, error, line[, column]}` problems.
struct Problems<'p, 'a> {
    p: &'p Payload<'a>,
    /// One file's diagnostics, or `None` for every parsed file's.
    only: Option<&'p [&'a Diagnostic]>,
    errors: bool,
    with_file: bool,
}

impl<'p, 'a> Problems<'p, 'a> {
    fn new(p: &'p Payload<'a>, errors: bool, with_file: bool) -> Self {
        Problems {
            p,
            only: None,
            errors,
            with_file,
        }
    }

    fn of_file(p: &'p Payload<'a>, mine: &'p [&'a Diagnostic], errors: bool) -> Self {
        Problems {
            p,
            only: Some(mine),
            errors,
            with_file: false,
        }
    }
}

impl Serialize for Problems<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let p = self.p;
        let mut each = |d: &Diagnostic| -> Result<(), S::Error> {
            seq.serialize_element(&Problem {
                p,
                d,
                with_file: self.with_file,
            })
        };
        match self.only {
            Some(mine) => {
                for d in mine
                    .iter()
                    .filter(|d| (d.severity == Severity::Error) == self.errors)
                {
                    each(d)?;
                }
            }
            None => {
                for d in p.problems(self.errors) {
                    each(d)?;
                }
            }
        }
        seq.end()
    }
}

struct Problem<'p, 'a> {
    p: &'p Payload<'a>,
    d: &'p Diagnostic,
    with_file: bool,
}

impl Serialize for Problem<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let path = &self.p.sources.get(self.d.span.file).path;
        let line = self.p.sources.line(self.d.span);
        let mut m = s.serialize_map(None)?;
        if self.with_file {
            m.serialize_entry("file", path)?;
        }
        m.serialize_entry(
            "error",
            &format_args!("{} in {}:{}", self.d.message, path, line),
        )?;
        m.serialize_entry("line", &line)?;
        if self.p.opts.positions {
            m.serialize_entry("column", &self.p.sources.start(self.d.span).column)?;
        }
        m.end()
    }
}

/// The statements of a block, with `--combine` inlining includes.
struct Nodes<'p, 'a> {
    p: &'p Payload<'a>,
    nodes: &'a [Node],
    file: FileId,
    /// The files being inlined, outermost first (to skip cycles).
    stack: &'p [FileId],
}

impl Serialize for Nodes<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        self.elements(&mut seq)?;
        seq.end()
    }
}

impl Nodes<'_, '_> {
    fn elements<Q: SerializeSeq>(&self, seq: &mut Q) -> Result<(), Q::Error> {
        let p = self.p;
        for node in self.nodes {
            match node {
                Node::Comment(c) => {
                    if p.opts.comments {
                        seq.serialize_element(&CommentView {
                            p,
                            text: &c.text,
                            at: c.span,
                            file: self.file,
                        })?;
                    }
                }
                Node::Directive(d) => {
                    if d.rejected {
                        // crossplane drops a statement its analyzer rejects.
                        continue;
                    }
                    // `include` inside `map`/`geo`/`types` bodies is followed
                    // by nginx too (their handlers call `ngx_conf_include`).
                    if p.opts.combine && d.name == "include" {
                        for inc in &d.includes {
                            if self.stack.contains(inc) {
                                continue;
                            }
                            if let Some(pf) = p.config.file(*inc) {
                                let mut stack = self.stack.to_vec();
                                stack.push(*inc);
                                Nodes {
                                    p,
                                    nodes: &pf.block.nodes,
                                    file: *inc,
                                    stack: &stack,
                                }
                                .elements(seq)?;
                            }
                        }
                        continue;
                    }
                    seq.serialize_element(&DirectiveView {
                        p,
                        d,
                        file: self.file,
                        stack: self.stack,
                    })?;
                    if p.opts.comments {
                        for c in &d.inner_comments {
                            // crossplane emits comments found between
                            // arguments after the statement, on its line.
                            seq.serialize_element(&CommentView {
                                p,
                                text: &c.text,
                                at: d.name_span,
                                file: self.file,
                            })?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

struct CommentView<'p, 'a> {
    p: &'p Payload<'a>,
    text: &'a str,
    at: Span,
    file: FileId,
}

impl Serialize for CommentView<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.p;
        let mut m = s.serialize_map(None)?;
        if p.opts.combine {
            m.serialize_entry("file", &p.sources.get(self.file).path)?;
        }
        m.serialize_entry("directive", "#")?;
        m.serialize_entry("line", &p.line(self.at))?;
        m.serialize_entry("args", &[(); 0])?;
        m.serialize_entry("comment", self.text)?;
        m.end()
    }
}

struct DirectiveView<'p, 'a> {
    p: &'p Payload<'a>,
    d: &'a Directive,
    file: FileId,
    stack: &'p [FileId],
}

impl Serialize for DirectiveView<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (p, d) = (self.p, self.d);
        let mut m = s.serialize_map(None)?;
        if p.opts.combine {
            m.serialize_entry("file", &p.sources.get(self.file).path)?;
        }
        m.serialize_entry("directive", d.name.as_str())?;
        m.serialize_entry("line", &p.line(d.name_span))?;
        m.serialize_entry("args", &Args(&d.args))?;
        if d.name == "include" && !p.opts.combine && !p.opts.single_file {
            let includes: Vec<usize> = d
                .includes
                .iter()
                .filter_map(|f| p.index.get(f).copied())
                .collect();
            m.serialize_entry("includes", &includes)?;
        }
        if let Some(b) = &d.block {
            m.serialize_entry(
                "block",
                &Nodes {
                    p,
                    nodes: &b.nodes,
                    file: self.file,
                    stack: self.stack,
                },
            )?;
        }
        if p.opts.positions {
            m.serialize_entry("pos", &Pos::of(p.sources, d.span))?;
            let args: Vec<ArgPos> = d
                .args
                .iter()
                .map(|a| ArgPos {
                    pos: Pos::of(p.sources, a.span),
                    quote: a.quote,
                })
                .collect();
            m.serialize_entry("args_pos", &args)?;
        }
        m.end()
    }
}

/// The argument values, as strings.
struct Args<'a>(&'a [Arg]);

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|a| a.value.as_str()))
    }
}

/// An argument's position and quoting (`args_pos[]`).
#[derive(Serialize)]
struct ArgPos {
    #[serde(flatten)]
    pos: Pos,
    quote: super::Quote,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::{ParseOptions, parse};
    use crate::source::SourceFile;

    #[test]
    fn combine_inlines_includes_inside_map_bodies() {
        let mut sources = SourceMap::new();
        let main = sources.add(SourceFile::new(
            "nginx.conf",
            "http {\n  map $host $pool {\n    default a;\n    include hosts.map;\n  }\n}\n",
        ));
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

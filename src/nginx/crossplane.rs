//! crossplane's JSON shape (`status / errors / config[] / parsed[] /
//! directive / line / args / includes / block / comment`), so tools built
//! for `crossplane parse` read our output unchanged. Our additions use names
//! crossplane does not: `column` on errors, `pos` (the directive's span) and
//! `args_pos` (each argument's span and quoting) on directives, and
//! `warnings` for problems that are not errors.

use super::{Config, Directive, Node, Severity};
use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;
use serde_json::{Map, Value, json};
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

/// Renders a parsed configuration as crossplane's payload.
pub fn payload(config: &Config, sources: &SourceMap, opts: Options) -> Value {
    let index: HashMap<FileId, usize> = config
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.file, i))
        .collect();
    let r = Renderer {
        config,
        sources,
        opts,
        index: &index,
    };
    let mut all_errors = Vec::new();
    let mut all_warnings = Vec::new();
    let mut configs = Vec::new();
    for f in &config.files {
        let (errors, warnings) = r.file_errors(f.file);
        all_errors.extend(errors.iter().cloned());
        all_warnings.extend(warnings.iter().cloned());
        let file_errors: Vec<Value> = errors.into_iter().map(strip_file).collect();
        let mut entry = Map::new();
        entry.insert("file".into(), json!(f.path));
        entry.insert(
            "status".into(),
            json!(if file_errors.is_empty() {
                "ok"
            } else {
                "failed"
            }),
        );
        entry.insert("errors".into(), Value::Array(file_errors));
        if opts.positions && !warnings.is_empty() {
            entry.insert(
                "warnings".into(),
                Value::Array(warnings.into_iter().map(strip_file).collect()),
            );
        }
        let mut stack = vec![f.file];
        entry.insert(
            "parsed".into(),
            Value::Array(r.block(&f.block.nodes, f.file, &mut stack)),
        );
        configs.push(Value::Object(entry));
    }
    if opts.combine && !configs.is_empty() {
        let failed = !all_errors.is_empty();
        let main = config.files[0].path.clone();
        let mut stack = vec![config.files[0].file];
        let parsed = r.block(
            &config.files[0].block.nodes,
            config.files[0].file,
            &mut stack,
        );
        let mut entry = Map::new();
        entry.insert("file".into(), json!(main));
        entry.insert("status".into(), json!(if failed { "failed" } else { "ok" }));
        entry.insert(
            "errors".into(),
            Value::Array(all_errors.iter().cloned().map(strip_file).collect()),
        );
        entry.insert("parsed".into(), Value::Array(parsed));
        configs = vec![Value::Object(entry)];
    }
    let mut out = Map::new();
    out.insert(
        "status".into(),
        json!(if all_errors.is_empty() {
            "ok"
        } else {
            "failed"
        }),
    );
    out.insert("errors".into(), Value::Array(all_errors));
    if opts.positions && !all_warnings.is_empty() {
        out.insert("warnings".into(), Value::Array(all_warnings));
    }
    out.insert("config".into(), Value::Array(configs));
    Value::Object(out)
}

fn strip_file(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.remove("file");
    }
    v
}

struct Renderer<'a> {
    config: &'a Config,
    sources: &'a SourceMap,
    opts: Options,
    index: &'a HashMap<FileId, usize>,
}

impl Renderer<'_> {
    /// Errors and warnings of one file, as `{file, error, line[, column]}`.
    fn file_errors(&self, file: FileId) -> (Vec<Value>, Vec<Value>) {
        let path = &self.sources.get(file).path;
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for d in self
            .config
            .diagnostics
            .iter()
            .filter(|d| d.span.file == file)
        {
            let p = self.sources.start(d.span);
            let mut m = Map::new();
            m.insert("file".into(), json!(path));
            m.insert(
                "error".into(),
                json!(format!("{} in {}:{}", d.message, path, p.line)),
            );
            m.insert("line".into(), json!(p.line));
            if self.opts.positions {
                m.insert("column".into(), json!(p.column));
            }
            match d.severity {
                Severity::Error => errors.push(Value::Object(m)),
                Severity::Warning | Severity::Info => warnings.push(Value::Object(m)),
            }
        }
        (errors, warnings)
    }

    fn block(&self, nodes: &[Node], file: FileId, stack: &mut Vec<FileId>) -> Vec<Value> {
        let mut out = Vec::new();
        for node in nodes {
            match node {
                Node::Comment(c) => {
                    if self.opts.comments {
                        out.push(self.comment(&c.text, c.span, file));
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
                                stack.push(*inc);
                                out.extend(self.block(&pf.block.nodes, *inc, stack));
                                stack.pop();
                            }
                        }
                        continue;
                    }
                    out.push(self.directive(d, file, stack));
                    if self.opts.comments {
                        for c in &d.inner_comments {
                            // crossplane emits comments found between
                            // arguments after the statement, on its line.
                            out.push(self.comment(&c.text, d.name_span, file));
                        }
                    }
                }
            }
        }
        out
    }

    fn comment(&self, text: &str, at: Span, file: FileId) -> Value {
        let mut m = Map::new();
        if self.opts.combine {
            m.insert("file".into(), json!(self.sources.get(file).path));
        }
        m.insert("directive".into(), json!("#"));
        m.insert("line".into(), json!(self.sources.start(at).line));
        m.insert("args".into(), json!([]));
        m.insert("comment".into(), json!(text));
        Value::Object(m)
    }

    fn directive(&self, d: &Directive, file: FileId, stack: &mut Vec<FileId>) -> Value {
        let mut m = Map::new();
        if self.opts.combine {
            m.insert("file".into(), json!(self.sources.get(file).path));
        }
        m.insert("directive".into(), json!(d.name));
        m.insert("line".into(), json!(self.sources.start(d.name_span).line));
        m.insert(
            "args".into(),
            Value::Array(d.args.iter().map(|a| json!(a.value)).collect()),
        );
        if d.name == "include" && !self.opts.combine && !self.opts.single_file {
            m.insert(
                "includes".into(),
                Value::Array(
                    d.includes
                        .iter()
                        .filter_map(|f| self.index.get(f))
                        .map(|i| json!(i))
                        .collect(),
                ),
            );
        }
        if let Some(b) = &d.block {
            m.insert(
                "block".into(),
                Value::Array(self.block(&b.nodes, file, stack)),
            );
        }
        if self.opts.positions {
            m.insert(
                "pos".into(),
                serde_json::to_value(Pos::of(self.sources, d.span)).expect("plain struct"),
            );
            let args: Vec<Value> = d
                .args
                .iter()
                .map(|a| {
                    let mut v =
                        serde_json::to_value(Pos::of(self.sources, a.span)).expect("plain struct");
                    v["quote"] = serde_json::to_value(a.quote).expect("enum");
                    v
                })
                .collect();
            m.insert("args_pos".into(), Value::Array(args));
        }
        Value::Object(m)
    }
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

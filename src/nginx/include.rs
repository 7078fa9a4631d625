//! `include` inside the bundle: relative patterns are joined to the main
//! file's directory (nginx's prefix when started with `-c`), globs are
//! expanded against the submitted paths and sorted, a missing file is an
//! error at the include, and include cycles are detected. Nothing outside
//! the bundle is ever opened.

use super::parser::{IncludeResolver, Sink, Tree, parse_file};
use super::{Config, Ctx, Diagnostic, Directive, ParseOptions, ParsedFile, Severity};
use crate::source::{FileId, SourceMap, Span};
use std::collections::{HashMap, HashSet};

/// Deepest chain of includes followed.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 64;

/// Files the official nginx image ships in `/etc/nginx` that configurations
/// include without submitting them.
const IMAGE_FILES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "scgi_params",
    "uwsgi_params",
    "koi-utf",
    "koi-win",
    "win-utf",
];

/// `path` relative to `dir` (both relative to the same root, normalised):
/// `rebase("sub", "sub/a.env")` is `a.env`, `rebase("sub", "b.env")` is `../b.env`.
pub fn rebase(dir: &str, path: &str) -> String {
    let path = normalize(path);
    let dir = normalize(dir);
    if path.starts_with('/') != dir.starts_with('/') {
        return path;
    }
    let d: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let common = d.iter().zip(&p).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; d.len() - common];
    out.extend(&p[common..]);
    out.join("/")
}

/// Lexically normalises a path: drops `.` and empty segments, folds `..`.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(p) if *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The directory part of a path (`""` for a bare file name).
pub fn dirname(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

fn has_magic(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

/// The bundle path an `include` argument names, for a configuration whose
/// main file is `main_path`: absolute as written, relative ones joined to the
/// main file's directory (nginx's prefix when started with `-c`).
pub fn include_path(main_path: &str, arg: &str) -> String {
    let main_dir = dirname(main_path);
    if arg.starts_with('/') || main_dir.is_empty() {
        normalize(arg)
    } else {
        normalize(&format!("{main_dir}/{arg}"))
    }
}

struct Resolver<'a> {
    sources: &'a SourceMap,
    by_path: HashMap<String, FileId>,
    main_path: String,
    /// Files to parse, in the order they were first included (config order).
    queue: Vec<(FileId, Ctx)>,
    queued: HashSet<FileId>,
    edges: Vec<(FileId, FileId, Span)>,
    edge_set: HashSet<(FileId, FileId, Span)>,
}

impl<'a> Resolver<'a> {
    /// The resolver of a parse of `main` (read in `ctx`) and what it includes.
    fn new(sources: &'a SourceMap, main: FileId, ctx: Ctx, opts: &ParseOptions) -> Resolver<'a> {
        // Where nginx sees each file: its container path when the caller
        // placed the files (mounts), else the path as submitted.
        let seen_at = |id: FileId| -> String {
            opts.paths
                .get(&id)
                .cloned()
                .unwrap_or_else(|| sources.get(id).path.clone())
        };
        Resolver {
            sources,
            by_path: sources
                .iter()
                .filter(|(id, _)| opts.paths.is_empty() || opts.paths.contains_key(id))
                .map(|(id, _)| (normalize(&seen_at(id)), id))
                .collect(),
            main_path: normalize(&seen_at(main)),
            queue: vec![(main, ctx)],
            queued: HashSet::from([main]),
            edges: Vec::new(),
            edge_set: HashSet::new(),
        }
    }

    fn enqueue(&mut self, id: FileId, ctx: Ctx) {
        if self.queued.insert(id) {
            self.queue.push((id, ctx));
        }
    }
}

impl IncludeResolver for Resolver<'_> {
    fn resolve(&mut self, from: FileId, d: &Directive, ctx: Ctx) -> (Vec<FileId>, Vec<Diagnostic>) {
        let arg = &d.args[0];
        let pattern = include_path(&self.main_path, &arg.value);
        let mut diags = Vec::new();
        let mut found: Vec<(String, FileId)> = Vec::new();
        if has_magic(&pattern) {
            match glob::Pattern::new(&pattern) {
                Ok(pat) => {
                    let opts = glob::MatchOptions {
                        case_sensitive: true,
                        require_literal_separator: true,
                        require_literal_leading_dot: true,
                    };
                    found = self
                        .by_path
                        .iter()
                        .filter(|(p, _)| pat.matches_with(p, opts))
                        .map(|(p, id)| (p.clone(), *id))
                        .collect();
                    found.sort();
                }
                Err(e) => diags.push(Diagnostic {
                    severity: Severity::Error,
                    message: format!("invalid include pattern \"{}\": {}", arg.value, e.msg),
                    span: arg.span,
                }),
            }
        } else if let Some(id) = self.by_path.get(&pattern) {
            found.push((pattern.clone(), *id));
        } else {
            let base = pattern.rsplit('/').next().unwrap_or(&pattern);
            let image_dir = !pattern.starts_with('/') || dirname(&pattern) == "/etc/nginx";
            if image_dir && IMAGE_FILES.contains(&base) {
                diags.push(Diagnostic {
                    severity: Severity::Info,
                    message: format!(
                        "\"{}\" is not among the submitted files; assuming the one the nginx image ships",
                        arg.value
                    ),
                    span: arg.span,
                });
            } else {
                diags.push(Diagnostic {
                    severity: Severity::Error,
                    message: format!("open() \"{pattern}\" failed (2: No such file or directory)"),
                    span: arg.span,
                });
            }
        }
        let ids: Vec<FileId> = found.into_iter().map(|(_, id)| id).collect();
        for id in &ids {
            self.enqueue(*id, ctx);
            if self.edge_set.insert((from, *id, arg.span)) {
                self.edges.push((from, *id, arg.span));
            }
        }
        (ids, diags)
    }
}

/// Parses `main` in `ctx` and every file it includes, each once, in the
/// context of its first include (as crossplane does).
pub(crate) fn parse_bundle(
    sources: &SourceMap,
    main: FileId,
    ctx: Ctx,
    opts: &ParseOptions,
) -> Config {
    let mut r = Resolver::new(sources, main, ctx, opts);
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    let mut i = 0;
    while i < r.queue.len() && !opts.deadline.passed() {
        let (id, fctx) = r.queue[i];
        let src = r.sources.get(id);
        let mut tree = Tree::default();
        diagnostics.extend(parse_file(id, &src.bytes, fctx, opts, &mut r, &mut tree));
        files.push(ParsedFile {
            file: id,
            path: src.path.clone(),
            ctx: fctx,
            block: tree.into_block(),
        });
        i += 1;
    }
    diagnostics.extend(find_cycles(main, &r.edges, sources));
    // Without an include there is nothing to expand.
    if !r.edges.is_empty() {
        diagnostics.extend(super::expand::bound(
            &mut files,
            opts.max_expanded_directives,
        ));
    }
    let order: HashMap<FileId, usize> =
        files.iter().enumerate().map(|(i, f)| (f.file, i)).collect();
    diagnostics.sort_by_key(|d| (order.get(&d.span.file).copied(), d.span.start, d.span.end));
    Config {
        files,
        diagnostics,
        context: ctx,
    }
}

/// The main file alone parsed into `sink`, with its diagnostics in order,
/// when it pulls in no other file; `None` when it does (or the deadline has
/// passed): following includes takes [`parse_bundle`]'s tree, which the
/// expansion budget cuts.
pub(crate) fn parse_main_into(
    sources: &SourceMap,
    main: FileId,
    ctx: Ctx,
    opts: &ParseOptions,
    sink: &mut impl Sink,
) -> Option<Vec<Diagnostic>> {
    if opts.deadline.passed() {
        return None;
    }
    let mut r = Resolver::new(sources, main, ctx, opts);
    let diagnostics = parse_file(main, &sources.get(main).bytes, ctx, opts, &mut r, sink);
    r.edges.is_empty().then_some(diagnostics)
}

/// Reports each include that closes a cycle, and chains deeper than
/// [`MAX_INCLUDE_DEPTH`]. Iterative depth-first search.
fn find_cycles(
    main: FileId,
    edges: &[(FileId, FileId, Span)],
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut reported: HashSet<Span> = HashSet::new();
    let mut adjacency: HashMap<FileId, Vec<(FileId, Span)>> = HashMap::new();
    for (from, to, span) in edges {
        adjacency.entry(*from).or_default().push((*to, *span));
    }
    // Stack of (file, index of the next outgoing edge to try).
    let mut stack: Vec<(FileId, usize)> = vec![(main, 0)];
    let mut on_stack: HashSet<FileId> = HashSet::from([main]);
    let mut done: HashSet<FileId> = HashSet::new();
    while let Some((file, next)) = stack.last().copied() {
        let outgoing = adjacency.get(&file).map(Vec::as_slice).unwrap_or(&[]);
        if next >= outgoing.len() {
            stack.pop();
            on_stack.remove(&file);
            done.insert(file);
            continue;
        }
        stack.last_mut().expect("non-empty").1 += 1;
        let (to, span) = outgoing[next];
        if on_stack.contains(&to) {
            let pos = stack.iter().position(|(f, _)| *f == to).expect("on stack");
            if reported.insert(span) {
                let mut chain: Vec<&str> = stack[pos..]
                    .iter()
                    .map(|(f, _)| sources.get(*f).path.as_str())
                    .collect();
                chain.push(sources.get(to).path.as_str());
                out.push(Diagnostic {
                    severity: Severity::Error,
                    message: format!("include cycle: {}", chain.join(" -> ")),
                    span,
                });
            }
        } else if stack.len() > MAX_INCLUDE_DEPTH {
            if reported.insert(span) {
                out.push(Diagnostic {
                    severity: Severity::Error,
                    message: format!("includes nested more than {MAX_INCLUDE_DEPTH} levels deep"),
                    span,
                });
            }
        } else if !done.contains(&to) {
            stack.push((to, 0));
            on_stack.insert(to);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(normalize("./conf.d/../a.conf"), "a.conf");
        assert_eq!(
            normalize("/etc/nginx/./conf.d//x.conf"),
            "/etc/nginx/conf.d/x.conf"
        );
        assert_eq!(normalize("../x"), "../x");
        assert_eq!(dirname("nginx.conf"), "");
        assert_eq!(dirname("/etc/nginx/nginx.conf"), "/etc/nginx");
    }

    #[test]
    fn rebase_makes_paths_relative_to_a_directory() {
        let rows = [
            ("sub", "sub/a.env", "a.env"),
            ("sub", "b.env", "../b.env"),
            ("", "x/y", "x/y"),
            ("", "backend", "backend"),
            ("..", "../compose.yaml", "compose.yaml"),
            ("a/b", "a/c/d", "../c/d"),
            ("/srv/app", "/srv/app", ""),
            ("/srv/app", "/srv/app/nginx/a.conf", "nginx/a.conf"),
            ("/srv/app", "/srv/other.env", "../other.env"),
            // An absolute path stays absolute under a relative directory.
            ("app", "/etc/hosts", "/etc/hosts"),
        ];
        for (dir, path, want) in rows {
            assert_eq!(rebase(dir, path), want, "rebase({dir:?}, {path:?})");
        }
    }
}

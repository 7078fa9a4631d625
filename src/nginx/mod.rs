//! The nginx configuration language: tokenize like nginx, build a tree with
//! exact spans, follow `include` inside the submitted bundle only, and check
//! directives against nginx's table. [`parse`] is the entry point;
//! [`crossplane`] renders the result in crossplane's JSON shape and
//! [`upstreams`] lists every upstream the configuration names.

pub(crate) mod ast;
pub(crate) mod cmdline;
pub(crate) mod context;
pub mod crossplane;
pub mod directives;
mod expand;
pub mod include;
mod parser;
pub(crate) mod token;
pub mod upstreams;

pub use ast::{Arg, Block, Comment, Directive, Node, Quote};
pub use context::Ctx;

use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;

/// How bad a parse problem is: the one severity scale of upcheck.
pub use crate::finding::Severity;

/// A located parse problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How bad.
    pub severity: Severity,
    /// nginx's wording where nginx has a message.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// Options for [`parse`].
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// The context the main file starts in; `None` detects it from the
    /// file's top-level directives (a file of `server { }` blocks is an
    /// `http`-level snippet, as `conf.d/*.conf` files of the nginx image are).
    pub context: Option<Ctx>,
    /// Keep `#` comments in the tree.
    pub comments: bool,
    /// Check directives against nginx's table (context, arguments, block).
    pub check_directives: bool,
    /// Do not follow `include`.
    pub single_file: bool,
    /// Deepest block nesting accepted before a located error.
    pub max_depth: usize,
    /// Most directives with every `include` expanded (each included file
    /// counted once per include that reads it, plus one per file); the
    /// include that crosses it is not followed and is a located error.
    /// Default [`crate::budget::MAX_EXPANDED_DIRECTIVES`].
    pub max_expanded_directives: usize,
    /// Where nginx sees each file (its path inside the container). When not
    /// empty, only these files exist for `include`, at these paths.
    pub paths: std::collections::HashMap<FileId, String>,
    /// Past it, no more included files are parsed (the caller gives up on
    /// the result).
    pub deadline: crate::budget::Deadline,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            context: None,
            comments: false,
            check_directives: true,
            single_file: false,
            max_depth: 256,
            max_expanded_directives: crate::budget::MAX_EXPANDED_DIRECTIVES,
            paths: std::collections::HashMap::new(),
            deadline: crate::budget::Deadline::NONE,
        }
    }
}

/// One parsed file of the configuration.
#[derive(Debug, Clone, Serialize)]
pub struct ParsedFile {
    /// The source file.
    pub file: FileId,
    /// Its path as submitted.
    pub path: String,
    /// The context it was parsed in (that of its first `include`).
    pub ctx: Ctx,
    /// Its statements.
    pub block: Block,
}

/// A parsed configuration: the main file and every file it includes.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The main file first, then included files in the order met.
    pub files: Vec<ParsedFile>,
    /// Every problem, in file order then position.
    pub diagnostics: Vec<Diagnostic>,
    /// The context the main file was parsed in.
    pub context: Ctx,
}

impl Config {
    /// True when any error was found (the configuration would not load).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The parsed file for a source file, if it is part of this configuration.
    pub fn file(&self, id: FileId) -> Option<&ParsedFile> {
        self.files.iter().find(|f| f.file == id)
    }

    /// The bundle path (or glob) named by every `include` of every file,
    /// as [`include::include_path`] resolves it. The CLI uses this to read
    /// the files a configuration includes before parsing it again.
    pub fn include_paths(&self, sources: &SourceMap) -> Vec<String> {
        let main_path = self
            .files
            .first()
            .map(|f| include::normalize(&sources.get(f.file).path))
            .unwrap_or_default();
        let mut out = Vec::new();
        let mut stack: Vec<&Block> = self.files.iter().map(|f| &f.block).collect();
        while let Some(b) = stack.pop() {
            for d in b.directives() {
                if d.name == "include"
                    && !d.rejected
                    && let Some(a) = d.args.first()
                {
                    out.push(include::include_path(&main_path, &a.value));
                }
                if let Some(inner) = &d.block {
                    stack.push(inner);
                }
            }
        }
        out
    }

    /// Visits every directive as nginx would see it, following `include`
    /// into the included files, with the chain of enclosing block directives
    /// (across files). Parameters of `map`-like blocks are not visited.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Directive, &[&'a Directive], Ctx)) {
        let Some(main) = self.files.first() else {
            return;
        };
        let mut ancestors = Vec::new();
        let mut files = vec![main.file];
        self.walk_block(&main.block, main.ctx, &mut ancestors, &mut files, visit);
    }

    fn walk_block<'a>(
        &'a self,
        block: &'a Block,
        ctx: Ctx,
        ancestors: &mut Vec<&'a Directive>,
        files: &mut Vec<FileId>,
        visit: &mut dyn FnMut(&'a Directive, &[&'a Directive], Ctx),
    ) {
        for d in block.directives() {
            if d.is_parameter {
                continue;
            }
            visit(d, ancestors, ctx);
            for inc in &d.includes {
                // A cycle was reported at parse time; do not follow it here.
                if files.contains(inc) || files.len() > include::MAX_INCLUDE_DEPTH {
                    continue;
                }
                if let Some(pf) = self.file(*inc) {
                    files.push(*inc);
                    self.walk_block(&pf.block, ctx, ancestors, files, visit);
                    files.pop();
                }
            }
            if let Some(b) = &d.block {
                ancestors.push(d);
                self.walk_block(b, ctx.enter(&d.name), ancestors, files, visit);
                ancestors.pop();
            }
        }
    }
}

/// Parses the configuration whose main file is `main`; `include` resolves
/// only against the files of `sources`. Never fails: problems are located
/// diagnostics in the result.
pub fn parse(sources: &SourceMap, main: FileId, opts: &ParseOptions) -> Config {
    let ctx = opts.context.unwrap_or(Ctx::Main);
    let config = include::parse_bundle(sources, main, ctx, opts);
    if opts.context.is_some() {
        return config;
    }
    match detect_context(&config) {
        Some(better) if better != ctx => include::parse_bundle(sources, main, better, opts),
        _ => config,
    }
}

/// For a main file parsed as `main` whose top level holds directives nginx
/// only allows deeper (`server`, `location`, `proxy_pass`…), the shallowest
/// http context in which they are allowed.
fn detect_context(config: &Config) -> Option<Ctx> {
    let main = config.files.first()?;
    detect_context_of(main.block.directives().map(|d| d.name.as_str()))
}

/// [`detect_context`] from the names of the main file's top-level statements.
pub(crate) fn detect_context_of<'a>(names: impl Iterator<Item = &'a str>) -> Option<Ctx> {
    let names: Vec<&str> = names.filter(|n| context::masks(n).is_some()).collect();
    let fits = |ctx: Ctx| {
        names
            .iter()
            .filter(|n| context::allowed_in(n, ctx) == Some(true))
            .count()
    };
    if names.is_empty() || fits(Ctx::Main) == names.len() {
        return None;
    }
    let candidates = [Ctx::Main, Ctx::Http, Ctx::HttpServer, Ctx::HttpLocation];
    if let Some(c) = candidates.iter().find(|c| fits(**c) == names.len()) {
        return Some(*c);
    }
    // Mixed levels: take the context that accepts the most of them.
    candidates
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (fits(**c), std::cmp::Reverse(*i)))
        .map(|(_, c)| *c)
}

#[cfg(test)]
mod tests;

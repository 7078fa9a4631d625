//! The scan: a first walk over the configuration that records what the
//! whole of it defines (servers with their names and listens, upstream
//! groups, `set` / `map` / `geo` / `split_clients` values, resolvers), and
//! the helpers that find a directive's enclosing blocks.

use super::listen::read_listen;
use super::located::Located;
use super::model::{
    Extraction, Listen, LocationInfo, Module, Note, NoteKind, ServerInfo, UpstreamGroup,
    ValueOrigin, Zone,
};
use super::resolver::read_resolver;
use super::variables::{VarDef, block_values};
use crate::nginx::{Arg, Config, Ctx, Directive};
use crate::source::{SourceMap, Span};
use std::collections::HashMap;

/// A `server { }` block as the scan found it.
pub(super) struct ServerScan {
    pub(super) span: Span,
    pub(super) name_span: Span,
    pub(super) module: Module,
    pub(super) names: Vec<String>,
    pub(super) listens: Vec<usize>,
}

/// What the whole configuration defines, indexed for the extraction.
#[derive(Default)]
pub(super) struct Scan<'a> {
    pub(super) servers: Vec<ServerScan>,
    pub(super) server_by_span: HashMap<Span, usize>,
    /// `set` directives by the span of their scope (server or location).
    pub(super) sets: HashMap<Span, Vec<(String, VarDef<'a>)>>,
    /// `map` / `geo` / `split_clients` values by module and variable.
    pub(super) globals: HashMap<(Module, String), Vec<VarDef<'a>>>,
    /// Resolver indices by the span of the block they stand in (`None`: top level).
    pub(super) resolver_by_scope: HashMap<(Module, Option<Span>), usize>,
    pub(super) group_by_span: HashMap<Span, usize>,
    /// First group of each (module, lowercased name).
    pub(super) group_by_name: HashMap<(Module, String), usize>,
}

/// Walks the directives of the http and stream modules that the parser
/// accepted, in configuration order, with the module of each. The scan and
/// the extraction both walk this way, so the n-th `resolver` one meets is
/// the n-th the other met.
pub(super) fn walk<'a>(
    config: &'a Config,
    mut visit: impl FnMut(&'a Directive, &[&'a Directive], Ctx, Module),
) {
    config.walk(&mut |d, ancestors, ctx| {
        if d.rejected {
            return;
        }
        if let Some(module) = Module::of(ctx) {
            visit(d, ancestors, ctx, module);
        }
    });
}

/// Records what the whole configuration defines; listens and resolvers go
/// straight into `ex`, groups too (their members come later).
pub(super) fn scan<'a>(config: &'a Config, sources: &SourceMap, ex: &mut Extraction) -> Scan<'a> {
    let mut sc = Scan::default();
    walk(config, |d, ancestors, ctx, module| match d.name.as_str() {
        "server" if d.block.is_some() && matches!(ctx, Ctx::Http | Ctx::Stream) => {
            sc.server_by_span.insert(d.span, sc.servers.len());
            sc.servers.push(ServerScan {
                span: d.span,
                name_span: d.name_span,
                module,
                names: Vec::new(),
                listens: Vec::new(),
            });
        }
        "server_name" => {
            if let Some(i) = sc.server_of(ancestors) {
                sc.servers[i]
                    .names
                    .extend(d.arg_values().map(str::to_string));
            }
        }
        "listen" => {
            let Some(i) = sc.server_of(ancestors) else {
                return;
            };
            if let Some(l) = read_listen(d, module, sources, &sc.servers[i]) {
                sc.servers[i].listens.push(ex.listens.len());
                ex.listens.push(l);
            }
        }
        "upstream" if d.block.is_some() && matches!(ctx, Ctx::Http | Ctx::Stream) => {
            let Some(arg) = d.args.first() else {
                return;
            };
            let mut notes = Vec::new();
            let key = (module, arg.value.as_str().to_ascii_lowercase());
            if sc.group_by_name.contains_key(&key) {
                notes.push(Note::new(
                    NoteKind::DuplicateUpstream,
                    format!("duplicate upstream \"{}\"", arg.value),
                    arg.span,
                ));
            }
            sc.group_by_span.insert(d.span, ex.groups.len());
            sc.group_by_name.entry(key).or_insert(ex.groups.len());
            ex.groups.push(UpstreamGroup {
                name: arg.value.to_string(),
                name_span: arg.span,
                module,
                span: d.span,
                servers: Vec::new(),
                references: Vec::new(),
                zone: None,
                balancer: None,
                resolver: None,
                notes,
            });
        }
        "zone" | "hash" | "ip_hash" | "least_conn" | "least_time" | "random"
            if matches!(ctx, Ctx::HttpUpstream | Ctx::StreamUpstream) =>
        {
            let Some(g) = sc.group_of(ancestors) else {
                return;
            };
            let g = &mut ex.groups[g];
            if d.name == "zone" {
                if let Some(name) = d.args.first() {
                    g.zone = Some(Zone {
                        name: name.value.to_string(),
                        size: d.args.get(1).map(|a| a.value.to_string()),
                        span: d.span,
                    });
                }
            } else {
                g.balancer = Some(d.name.to_string());
            }
        }
        "set" => {
            let (Some(var), Some(value)) = (d.args.first(), d.args.get(1)) else {
                return;
            };
            let Some(name) = var.value.strip_prefix('$') else {
                return;
            };
            let Some(scope) = ancestors.iter().rev().find(|a| a.name != "if") else {
                return;
            };
            sc.sets.entry(scope.span).or_default().push((
                name.to_ascii_lowercase(),
                VarDef {
                    origin: ValueOrigin::Set,
                    key: None,
                    value,
                    entry_span: d.span,
                },
            ));
        }
        "map" | "geo" | "split_clients" if d.block.is_some() => {
            let origin = match d.name.as_str() {
                "map" => ValueOrigin::Map,
                "geo" => ValueOrigin::Geo,
                _ => ValueOrigin::SplitClients,
            };
            let var = match (origin, d.args.as_slice()) {
                (ValueOrigin::Geo, [v]) => v,
                (_, [_, v]) => v,
                _ => return,
            };
            let Some(name) = var.value.strip_prefix('$') else {
                return;
            };
            let mut defs = Vec::new();
            block_values(config, d, origin, &mut defs, 0);
            sc.globals
                .entry((module, name.to_ascii_lowercase()))
                .or_default()
                .extend(defs);
        }
        "resolver" => {
            let scope = ancestors.last().map(|a| a.span);
            let index = ex.resolvers.len();
            ex.resolvers.push(read_resolver(d, module, ctx, sources));
            sc.resolver_by_scope.entry((module, scope)).or_insert(index);
        }
        _ => {}
    });
    // nginx gives an http server without `listen` one on *:80 (root) or *:8000.
    for s in &mut sc.servers {
        if s.module == Module::Http && s.listens.is_empty() {
            s.listens.push(ex.listens.len());
            ex.listens.push(Listen::implicit(s));
        }
    }
    // Server names may come after the listens: fill them in now.
    for s in &sc.servers {
        for &l in &s.listens {
            ex.listens[l].server_names = s.names.clone();
        }
    }
    sc
}

impl Scan<'_> {
    /// The server around a directive (index in [`Scan::servers`]).
    pub(super) fn server_of(&self, ancestors: &[&Directive]) -> Option<usize> {
        let s = nearest(ancestors, "server")?;
        self.server_by_span.get(&s.span).copied()
    }

    /// The upstream group around a directive (index in [`Extraction::groups`]).
    pub(super) fn group_of(&self, ancestors: &[&Directive]) -> Option<usize> {
        let u = nearest(ancestors, "upstream")?;
        self.group_by_span.get(&u.span).copied()
    }
}

/// The `server { }` around a directive, as the extraction reports it.
pub(super) fn server_info(sc: &Scan, ancestors: &[&Directive]) -> Option<ServerInfo> {
    let s = &sc.servers[sc.server_of(ancestors)?];
    Some(ServerInfo {
        server_names: s.names.clone(),
        listens: s.listens.clone(),
        span: s.span,
    })
}

/// The innermost enclosing block named `name`.
pub(super) fn nearest<'a>(ancestors: &[&'a Directive], name: &str) -> Option<&'a Directive> {
    ancestors
        .iter()
        .rev()
        .find(|d| d.name == name && d.block.is_some())
        .copied()
}

/// A `location { }` block's modifier and path, with the path's exact span.
pub(super) fn location_info(d: &Directive, sources: &SourceMap) -> Option<LocationInfo> {
    let (modifier, arg) = match d.args.as_slice() {
        [m, p] => (Some(m.value.to_string()), p),
        [p] => (None, p),
        _ => return None,
    };
    let (modifier, skip) = match modifier {
        Some(m) => (Some(m), 0),
        None => {
            let v = arg.value.as_str();
            let m = ["^~", "~*", "=", "~"]
                .into_iter()
                .find(|m| v.starts_with(m) && v.len() > m.len());
            (m.map(str::to_string), m.map_or(0, str::len))
        }
    };
    let (path, path_span) = match plain_arg(arg, sources) {
        // Written as is: the path is a slice of the value and of its span.
        // (`skip` is 0 or the length of an ASCII prefix of the value.)
        Some(v) => {
            let span = (skip < v.len()).then(|| {
                Span::new(
                    arg.span.file,
                    arg.span.start as usize + skip,
                    arg.span.end as usize,
                )
            });
            (v[skip..].to_string(), span)
        }
        None => {
            let loc = Located::from_arg(arg, sources);
            (loc.text(skip..loc.len()), loc.span(skip..loc.len()))
        }
    };
    Some(LocationInfo {
        named: modifier.is_none() && path.starts_with('@'),
        modifier,
        path_span: path_span.unwrap_or(arg.span),
        path,
        span: d.span,
    })
}

/// The argument's value when its source bytes are exactly the value (no
/// backslash, nothing replaced by lossy decoding): then byte `i` of the
/// value was written at `arg.span.start + i`, as [`Located::from_arg`]
/// would record it, without building per-byte origins.
fn plain_arg<'a>(arg: &'a Arg, sources: &SourceMap) -> Option<&'a str> {
    let raw = sources.get(arg.span.file).bytes.get(arg.span.range())?;
    (raw == arg.value.as_bytes() && !raw.contains(&b'\\')).then_some(arg.value.as_str())
}

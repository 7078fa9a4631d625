//! Every upstream the configuration names, typed and located: the target of
//! each `proxy_pass` / `fastcgi_pass` / `uwsgi_pass` / `scgi_pass` /
//! `grpc_pass` / `memcached_pass` (http and stream), each `server` of an
//! `upstream { }` group with its parameters, every `listen` and every
//! `resolver`. Targets are parsed the way nginx's `ngx_parse_url` parses them
//! (scheme prefixes, default ports, `unix:` sockets, `[ipv6]`, the URI part),
//! upstream group names are matched case-insensitively per module, and
//! targets built from variables carry the static values `set`, `map`, `geo`
//! and `split_clients` can give them. Every host, port and path has the
//! exact byte span it was written at, so a fix can replace just that text.
//! [`extract`] is the entry point.

mod groups;
mod listen;
mod located;
mod model;
mod params;
mod resolver;
mod scan;
#[cfg(test)]
mod tests;
mod url;
mod variables;

pub use model::{
    Candidate, Extraction, GroupTarget, HostKind, HostTarget, Listen, ListenAddress, ListenInet,
    LocationInfo, Module, Note, NoteKind, Param, Resolution, Resolver, ResolverAddress, ServerInfo,
    ServerParams, Target, TimeValue, UnixTarget, UpstreamDirective, UpstreamGroup, UpstreamRef,
    UrlParts, ValueOrigin, ValueSource, VariableTarget, VariableUse, Zone,
};

use crate::nginx::{Config, Ctx};
use crate::source::{SourceMap, Span};
use groups::link_groups;
use located::Located;
use params::read_server_params;
use resolver::resolver_for;
use scan::{location_info, nearest, scan, server_info, walk};
use url::{Address, read_address};
use variables::{Env, scheme_values};

fn pass_kind(name: &str, module: Module) -> Option<UpstreamDirective> {
    use UpstreamDirective::*;
    Some(match (name, module) {
        ("proxy_pass", Module::Http) => Proxy,
        ("proxy_pass", Module::Stream) => StreamProxy,
        ("fastcgi_pass", Module::Http) => Fastcgi,
        ("uwsgi_pass", Module::Http) => Uwsgi,
        ("scgi_pass", Module::Http) => Scgi,
        ("grpc_pass", Module::Http) => Grpc,
        ("memcached_pass", Module::Http) => Memcached,
        _ => return None,
    })
}

/// Lists every upstream reference, upstream group, listen and resolver of
/// `config`, following its includes. Directives the parser rejected and the
/// parameter lines of `map`-like blocks are skipped.
pub fn extract(config: &Config, sources: &SourceMap) -> Extraction {
    extract_until(config, sources, crate::budget::Deadline::NONE)
}

/// [`extract`], giving up past `deadline`: the directives walked after it
/// are skipped, and the caller discards the partial extraction.
pub fn extract_until(
    config: &Config,
    sources: &SourceMap,
    deadline: crate::budget::Deadline,
) -> Extraction {
    let mut ex = Extraction::default();
    let sc = scan(config, sources, &mut ex);
    let mut resolvers_seen = 0;
    let mut seen = 0u32;
    let mut late = false;
    walk(config, |d, ancestors, ctx, module| {
        // The walk cannot stop; past the deadline each step is a no-op.
        seen = seen.wrapping_add(1);
        if late || (seen.is_multiple_of(256) && deadline.passed()) {
            late = true;
            return;
        }
        if d.name == "resolver" {
            // Same walk order and filter as the scan that listed them.
            if let Some(res) = ex.resolvers.get_mut(resolvers_seen) {
                res.server = server_info(&sc, ancestors);
                res.location =
                    nearest(ancestors, "location").and_then(|l| location_info(l, sources));
                res.group = nearest(ancestors, "upstream")
                    .and_then(|u| u.args.first().map(|a| a.value.to_string()));
            }
            resolvers_seen += 1;
            return;
        }
        if d.name == "upstream" && d.block.is_some() {
            if let Some(&g) = sc.group_by_span.get(&d.span) {
                let mut chain = ancestors.to_vec();
                chain.push(d);
                ex.groups[g].resolver = resolver_for(&sc, module, &chain);
            }
            return;
        }
        let upstream_server = d.name == "server"
            && d.block.is_none()
            && matches!(ctx, Ctx::HttpUpstream | Ctx::StreamUpstream);
        let directive = if upstream_server {
            UpstreamDirective::UpstreamServer
        } else {
            match pass_kind(&d.name, module) {
                Some(k) => k,
                None => return,
            }
        };
        let Some(arg) = d.args.first() else {
            return;
        };
        let server = server_info(&sc, ancestors);
        let location_dir = nearest(ancestors, "location");
        let location = location_dir.and_then(|l| location_info(l, sources));
        let group_index = if upstream_server {
            sc.group_of(ancestors)
        } else {
            None
        };
        let mut r = UpstreamRef {
            directive,
            module,
            context: ctx,
            target: Target::Unix(UnixTarget {
                path: String::new(),
                path_span: arg.span,
            }),
            url: UrlParts::schemeless(None),
            span: arg.span,
            directive_span: d.span,
            server,
            location,
            group: group_index.map(|g| ex.groups[g].name.clone()),
            group_index,
            params: None,
            conditional: ancestors
                .iter()
                .any(|a| a.name == "if" || a.name == "limit_except"),
            resolution: Resolution::None,
            resolver: resolver_for(&sc, module, ancestors),
            notes: Vec::new(),
        };
        if upstream_server {
            let (params, notes) = read_server_params(&d.args[1..]);
            r.params = Some(params);
            r.notes.extend(notes);
        }
        let loc = Located::from_arg(arg, sources);
        let has_vars = !upstream_server && arg.value.contains('$');
        if !has_vars {
            let a = read_address(&loc, directive, module);
            apply_address(&mut r, &a);
            if let Some((kind, message, span)) = a.problem {
                r.notes
                    .push(Note::new(kind, message, span.unwrap_or(arg.span)));
            }
            r.target = a
                .target
                .unwrap_or_else(|| Target::Host(HostTarget::name(arg.value.as_str(), arg.span)));
        } else {
            let tpl = loc.clone().with_vars_marked();
            let a = read_address(&tpl, directive, module);
            apply_address(&mut r, &a);
            let mut scopes: Vec<Span> = Vec::new();
            if let Some(s) = nearest(ancestors, "server") {
                scopes.push(s.span);
            }
            if let Some(l) = location_dir {
                scopes.push(l.span);
            }
            let scheme_values = scheme_values(&r.server, &ex.listens);
            let env = Env {
                sources,
                scan: &sc,
                module,
                scopes,
                scheme_values,
            };
            r.target = Target::Variable(env.target(arg, &loc, &tpl, directive));
        }
        ex.upstreams.push(r);
    });
    for (i, u) in ex.upstreams.iter().enumerate() {
        if let Some(g) = u.group_index {
            ex.groups[g].servers.push(i);
        }
    }
    link_groups(&mut ex);
    ex
}

fn apply_address(r: &mut UpstreamRef, a: &Address) {
    r.url = a.url.clone();
}

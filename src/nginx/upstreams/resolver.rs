//! `resolver` directives: their name servers, `valid=`, `ipv4=` / `ipv6=`,
//! and which resolver is in effect for a directive.

use super::located::Located;
use super::model::{HostTarget, Module, Note, NoteKind, Resolver, ResolverAddress};
use super::params::time_value;
use super::scan::Scan;
use super::url::parse_url;
use crate::nginx::{Ctx, Directive};
use crate::source::SourceMap;

/// Reads a `resolver`: its name servers (port 53 unless written),
/// `valid=`, `ipv4=` / `ipv6=`, and notes for what nginx rejects.
pub(super) fn read_resolver(
    d: &Directive,
    module: Module,
    ctx: Ctx,
    sources: &SourceMap,
) -> Resolver {
    let mut r = Resolver {
        module,
        context: ctx,
        addresses: Vec::new(),
        valid: None,
        ipv4: true,
        ipv6: true,
        span: d.span,
        server: None,
        location: None,
        group: None,
        notes: Vec::new(),
    };
    for arg in &d.args {
        let v = arg.value.as_str();
        if let Some(t) = v.strip_prefix("valid=") {
            r.valid = Some(time_value(t));
            continue;
        }
        if let Some(f) = v.strip_prefix("ipv4=").or_else(|| v.strip_prefix("ipv6=")) {
            let on = match f {
                "on" => true,
                "off" => false,
                _ => {
                    r.notes.push(Note::new(
                        NoteKind::InvalidParameter,
                        format!("invalid parameter: {v}"),
                        arg.span,
                    ));
                    continue;
                }
            };
            if v.starts_with("ipv4") {
                r.ipv4 = on;
            } else {
                r.ipv6 = on;
            }
            continue;
        }
        if v.starts_with("status_zone=") {
            continue;
        }
        let loc = Located::from_arg(arg, sources);
        let url = parse_url(&loc.bytes, 0..loc.len(), false, false);
        if let Some((kind, msg)) = url.err {
            r.notes.push(Note::new(
                kind,
                format!("{msg} in resolver \"{v}\""),
                arg.span,
            ));
        }
        if url.unix {
            continue;
        }
        let host_span = loc.span(url.host.clone()).unwrap_or(arg.span);
        r.addresses.push(ResolverAddress {
            at: HostTarget::read(&loc, &url, host_span),
            effective_port: url.port_value.unwrap_or(53),
        });
    }
    if !r.ipv4 && !r.ipv6 {
        r.notes.push(Note::new(
            NoteKind::InvalidParameter,
            "\"ipv4\" and \"ipv6\" cannot both be \"off\"",
            d.span,
        ));
    }
    r
}

/// The `resolver` in effect for a directive: the one of the innermost
/// enclosing block that has one, else the module's top level.
pub(super) fn resolver_for(sc: &Scan, module: Module, ancestors: &[&Directive]) -> Option<usize> {
    ancestors
        .iter()
        .rev()
        .map(|a| Some(a.span))
        .chain(std::iter::once(None))
        .find_map(|scope| sc.resolver_by_scope.get(&(module, scope)).copied())
}

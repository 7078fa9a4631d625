//! Upstream groups: a host name that names an `upstream { }` group of the
//! same module becomes a group target, each reference gets its resolution,
//! and each group lists the references that use it.

use super::model::{
    Extraction, GroupTarget, HostKind, HostTarget, Module, Note, NoteKind, Resolution, Target,
    UpstreamDirective,
};
use std::collections::HashMap;

/// The group a host name refers to in `module`, matched case-insensitively
/// (the first definition wins over duplicates).
fn find_group(
    groups: &HashMap<(Module, String), usize>,
    module: Module,
    host: &HostTarget,
) -> Option<usize> {
    if host.kind == HostKind::Ipv6 {
        return None;
    }
    groups
        .get(&(module, host.host.to_ascii_lowercase()))
        .copied()
}

/// Turns host targets naming an upstream group into group targets, records
/// `may not have port`, sets each reference's resolution, and lists each
/// group's references.
pub(super) fn link_groups(ex: &mut Extraction) {
    let mut groups: HashMap<(Module, String), usize> = HashMap::new();
    for (i, g) in ex.groups.iter().enumerate() {
        groups
            .entry((g.module, g.name.to_ascii_lowercase()))
            .or_insert(i);
    }
    let groups = &groups;
    let mut refs: Vec<(usize, usize)> = Vec::new();
    let mut ref_set: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    let mut link = |g: usize, i: usize| {
        if ref_set.insert((g, i)) {
            refs.push((g, i));
        }
    };
    for (i, u) in ex.upstreams.iter_mut().enumerate() {
        if u.directive == UpstreamDirective::UpstreamServer {
            u.resolution = if !names_a_host(&u.target) {
                Resolution::None
            } else if u.params.as_ref().is_some_and(|p| p.resolve) {
                Resolution::Runtime
            } else {
                Resolution::Startup
            };
            continue;
        }
        match &mut u.target {
            Target::Host(h) => {
                if let Some(g) = find_group(groups, u.module, h) {
                    match (h.port, h.port_span) {
                        (None, None) => {
                            link(g, i);
                            u.target = group_target(h, g);
                        }
                        (Some(port), Some(span)) => u.notes.push(Note::new(
                            NoteKind::GroupMayNotHavePort,
                            format!("upstream \"{}\" may not have port {port}", h.host),
                            span,
                        )),
                        // An invalid port: nginx stops at that first.
                        _ => {}
                    }
                }
            }
            Target::Variable(v) => {
                for c in &mut v.static_values {
                    if let Some(Target::Host(h)) = &c.target
                        && h.port.is_none()
                        && h.port_span.is_none()
                        && let Some(g) = find_group(groups, u.module, h)
                    {
                        link(g, i);
                        c.target = Some(group_target(h, g));
                    }
                }
            }
            _ => {}
        }
        u.resolution = match &u.target {
            t if names_a_host(t) => Resolution::Startup,
            Target::Variable(_) => Resolution::Runtime,
            _ => Resolution::None,
        };
    }
    for (g, i) in refs {
        ex.groups[g].references.push(i);
    }
}

/// The group target a host name that names group `group` becomes.
fn group_target(h: &HostTarget, group: usize) -> Target {
    Target::Group(GroupTarget {
        name: h.host.clone(),
        name_span: h.host_span,
        group,
    })
}

/// True for a host target whose host is a name nginx looks up (not an IP).
fn names_a_host(t: &Target) -> bool {
    matches!(t, Target::Host(h) if matches!(h.kind, HostKind::Name | HostKind::Localhost))
}

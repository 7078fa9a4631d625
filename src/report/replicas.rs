//! Replicas of one nginx workload serve the same configuration from
//! identical pods (or compose containers): the report lists each upstream
//! once per workload, not once per replica, and its trace names the
//! replicas. Replicas whose resolutions differ in status (they should
//! not, but a live dump can say otherwise) stay separate entries.

use crate::network::{Resolution, Status};
use crate::topology::{Site, Topology, UnitKind};
use std::collections::HashMap;

/// What makes two nginx sites replicas of one template: the workload (or
/// compose service) and the container in it. A unit of another kind is
/// its own template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Template<'a> {
    Workload(&'a str, &'a str, &'a str, usize),
    Service(&'a str, usize),
    Unit(usize, usize),
}

fn template(topo: &Topology, site: Site) -> Template<'_> {
    match &topo.units[site.unit.0].kind {
        UnitKind::Pod {
            workload_kind,
            workload,
            namespace,
            ..
        } if workload_kind != "Pod" => {
            Template::Workload(workload_kind, workload, namespace, site.container)
        }
        UnitKind::ComposeService { service, .. } => Template::Service(service, site.container),
        _ => Template::Unit(site.unit.0, site.container),
    }
}

/// The resolutions to list, each with the indices of the replicas it
/// stands for (in report order; linear in the resolutions).
pub(crate) fn grouped(topo: &Topology, resolutions: &[Resolution]) -> Vec<(usize, Vec<usize>)> {
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut seen: HashMap<(usize, Template<'_>, Status), usize> = HashMap::new();
    for (i, r) in resolutions.iter().enumerate() {
        let key = (r.upstream, template(topo, r.site), r.status);
        match seen.get(&key) {
            Some(&g) => out[g].1.push(i),
            None => {
                seen.insert(key, out.len());
                out.push((i, Vec::new()));
            }
        }
    }
    out
}

/// The trace line that names the replicas an entry stands for (at most 8
/// by name).
pub(crate) fn line(topo: &Topology, resolutions: &[Resolution], replicas: &[usize]) -> String {
    let names: Vec<String> = replicas
        .iter()
        .take(8)
        .map(|&i| format!("`{}`", topo.units[resolutions[i].site.unit.0].name))
        .collect();
    let more = replicas.len().saturating_sub(8);
    format!(
        "the same from {} more replica{} of this nginx: {}{}",
        replicas.len(),
        if replicas.len() == 1 { "" } else { "s" },
        names.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

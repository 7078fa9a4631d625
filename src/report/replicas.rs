//! Replicas of one nginx workload serve the same configuration from
//! identical pods (or compose containers): the report lists each upstream
//! once per workload, not once per replica, and its trace names the
//! replicas. Replicas whose resolutions differ in status (they should
//! not, but a live dump can say otherwise) stay separate entries.

use crate::network::{Resolution, Status};
use crate::topology::Template;
use crate::topology::Topology;
use std::collections::HashMap;

/// The resolutions to list, each with the indices of the replicas it
/// stands for (in report order; linear in the resolutions).
pub(crate) fn grouped(topo: &Topology, resolutions: &[Resolution]) -> Vec<(usize, Vec<usize>)> {
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut seen: HashMap<(usize, Template<'_>, Status), usize> = HashMap::new();
    for (i, r) in resolutions.iter().enumerate() {
        let key = (r.upstream, topo.template(r.site), r.status);
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

//! What explains a name that did not resolve (another network, another
//! namespace, a workload name, a short name, a resolver that is not the
//! platform's DNS) and the close names that do resolve, for suggestions.

use super::Resolver;
use crate::topology::names::{self, NameSource};
use crate::topology::*;
use serde::Serialize;
use std::collections::HashMap;

/// How many names near-name suggestions ("did you mean") may compare an
/// unknown name with, over one validation: far above a real project (a few
/// unknown names against a few hundred names), and a few tenths of a second
/// at the most. Past it, unknown names get no suggestions and their trace
/// says why.
pub const NEAR_NAME_COMPARISONS: usize = 500_000;

/// A fact that explains why a name did not resolve.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hint {
    /// The name exists on a network nginx does not join.
    OnOtherNetwork {
        /// The unit answering to the name.
        unit: UnitId,
        /// The network it is on.
        network: NetworkId,
    },
    /// A Service of that name exists in another namespace.
    OtherNamespace {
        /// The Service.
        service: ServiceId,
    },
    /// A workload or pod has that name (Services, not workloads, have DNS names).
    WorkloadName {
        /// A unit of the workload.
        unit: UnitId,
    },
    /// The name is a short Service name, which nginx's `resolver` does not expand.
    ShortServiceName {
        /// The Service it would mean.
        service: ServiceId,
    },
    /// The name is that of another container of nginx's own pod: the
    /// containers share the pod's network namespace, and no DNS has the
    /// name.
    ContainerOfOwnPod {
        /// The container, in nginx's unit.
        container: usize,
    },
    /// nginx's `resolver` cannot answer names of this platform.
    ResolverNotPlatformDns {
        /// Index in [`Extraction::resolvers`](crate::nginx::upstreams::Extraction::resolvers).
        resolver: usize,
    },
}

impl<'a> Resolver<'a> {
    /// Why a name may have missed: on another network, another namespace, a workload name.
    pub(super) fn hints(&self, name: &str, runtime_resolver: Option<usize>) -> Vec<Hint> {
        let mut hints = Vec::new();
        let index = self
            .shared
            .hint_index
            .get_or_init(|| HintIndex::of(self.topo));
        let first = name.split('.').next().unwrap_or(name);
        let (name, first) = (name.to_ascii_lowercase(), first.to_ascii_lowercase());
        let own = self.nginx();
        for &(unit, network) in index.dns.get(&name).into_iter().flatten() {
            if !own.addresses.iter().any(|x| x.network == network) {
                hints.push(Hint::OnOtherNetwork { unit, network });
            }
        }
        // A sibling container's name, as a compose service name would be
        // written: in a pod the containers share one network namespace.
        let sibling = (self.topo.platform == Platform::Kubernetes && !name.contains('.'))
            .then(|| {
                own.containers.iter().enumerate().position(|(ci, c)| {
                    ci != self.site.container && c.name.eq_ignore_ascii_case(&name)
                })
            })
            .flatten();
        if let Some(container) = sibling {
            hints.push(Hint::ContainerOfOwnPod { container });
        }
        if self.topo.platform == Platform::Kubernetes {
            let my_ns = own.namespace();
            let services = index.services.get(&first);
            for &service in services.into_iter().flatten() {
                if runtime_resolver.is_some() {
                    hints.push(Hint::ShortServiceName { service });
                } else if self.topo.services[service.0].namespace != my_ns {
                    hints.push(Hint::OtherNamespace { service });
                }
            }
            // nginx's own pod is no workload to put a Service in front of
            // when a sibling container answers to the name.
            let workload = index
                .workloads
                .get(&first)
                .into_iter()
                .flatten()
                .find(|u| sibling.is_none() || **u != self.site.unit);
            if let (Some(&unit), None) = (workload, services) {
                hints.push(Hint::WorkloadName { unit });
            }
        }
        hints
    }

    /// Names that resolve and are close to `name` (edit distance), best
    /// first; `None`, said in the trace, once the validation's
    /// [`NEAR_NAME_COMPARISONS`] are spent (each unknown name is compared
    /// with every name in the table, so many unknown names in a large world
    /// would cost their product).
    pub(super) fn near_names(
        &self,
        name: &str,
        table: &[names::NameEntry],
        trace: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        // The same unknown name is often written many times: compute once.
        let key = (name.to_string(), table.len());
        if let Some(hit) = self.near_cache.borrow().get(&key) {
            return Some(hit.clone());
        }
        // A name and its short form per entry, at the most.
        let cost = 2 * table.len();
        let left = self.shared.near_budget.get();
        if cost > left {
            trace.push(format!(
                "no close names are suggested for `{name}`: this validation has made the {NEAR_NAME_COMPARISONS} name comparisons it may"
            ));
            return None;
        }
        self.shared.near_budget.set(left - cost);
        let found = self.compute_near_names(name, table);
        self.near_cache.borrow_mut().insert(key, found.clone());
        Some(found)
    }

    fn compute_near_names(&self, name: &str, table: &[names::NameEntry]) -> Vec<String> {
        let mut scored: Vec<(usize, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for e in table {
            if matches!(e.source, NameSource::Localhost) {
                continue;
            }
            // Offer the short form of cluster names too.
            let short = e.name.split('.').next().unwrap_or(&e.name).to_string();
            // The short form is the very name that missed (no search list
            // expands it, as under `dnsPolicy: Default`): offer the full one.
            if short != e.name && short.eq_ignore_ascii_case(name) {
                if seen.insert(e.name.clone()) {
                    scored.push((0, e.name.clone()));
                }
                continue;
            }
            for cand in [e.name.clone(), short] {
                if !seen.insert(cand.clone()) {
                    continue;
                }
                let limit = (name.len().max(cand.len()) / 3).max(2);
                // The distance is at least the length difference: skip the
                // computation for names that cannot be close.
                if name.len().abs_diff(cand.len()) > limit {
                    continue;
                }
                let d = strsim::damerau_levenshtein(name, &cand.to_ascii_lowercase());
                if d <= limit {
                    scored.push((d, cand));
                }
            }
        }
        scored.sort();
        scored.into_iter().map(|(_, n)| n).take(3).collect()
    }
}

/// The topology's names by lowercased name, for [`Resolver::hints`]: built
/// once per resolver, so that each name that misses costs a lookup, not a
/// walk over every unit and Service.
pub(super) struct HintIndex {
    /// Each DNS name of a unit's address: the unit and that address's
    /// network, in unit then address order.
    dns: HashMap<String, Vec<(UnitId, NetworkId)>>,
    /// Services by name, in order.
    services: HashMap<String, Vec<ServiceId>>,
    /// Pods by workload name and by pod name, in order.
    workloads: HashMap<String, Vec<UnitId>>,
}

impl HintIndex {
    fn of(topo: &Topology) -> HintIndex {
        let mut index = HintIndex {
            dns: HashMap::new(),
            services: HashMap::new(),
            workloads: HashMap::new(),
        };
        for (i, u) in topo.units.iter().enumerate() {
            for a in &u.addresses {
                let mut names: Vec<String> =
                    a.dns_names.iter().map(|n| n.to_ascii_lowercase()).collect();
                // One hint per address, however often it spells the name.
                names.sort_unstable();
                names.dedup();
                for n in names {
                    index.dns.entry(n).or_default().push((UnitId(i), a.network));
                }
            }
            if let UnitKind::Pod { workload, .. } = &u.kind {
                let (w, n) = (workload.to_ascii_lowercase(), u.name.to_ascii_lowercase());
                if w != n {
                    index.workloads.entry(n).or_default().push(UnitId(i));
                }
                index.workloads.entry(w).or_default().push(UnitId(i));
            }
        }
        for (i, s) in topo.services.iter().enumerate() {
            let by = index.services.entry(s.name.to_ascii_lowercase());
            by.or_default().push(ServiceId(i));
        }
        index
    }
}

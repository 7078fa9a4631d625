//! What explains a name that did not resolve (another network, another
//! namespace, a workload name, a short name, a resolver that is not the
//! platform's DNS) and the close names that do resolve, for suggestions.

use super::Resolver;
use crate::topology::names::{self, NameSource};
use crate::topology::*;
use serde::Serialize;

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
        let first = name.split('.').next().unwrap_or(name);
        for (i, u) in self.topo.units.iter().enumerate() {
            for a in &u.addresses {
                if a.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name))
                    && !self
                        .nginx()
                        .addresses
                        .iter()
                        .any(|x| x.network == a.network)
                {
                    hints.push(Hint::OnOtherNetwork {
                        unit: UnitId(i),
                        network: a.network,
                    });
                }
            }
        }
        // A sibling container's name, as a compose service name would be
        // written: in a pod the containers share one network namespace.
        let own = self.nginx();
        let sibling = (self.topo.platform == Platform::Kubernetes && !name.contains('.'))
            .then(|| {
                own.containers.iter().enumerate().position(|(ci, c)| {
                    ci != self.site.container && c.name.eq_ignore_ascii_case(name)
                })
            })
            .flatten();
        if let Some(container) = sibling {
            hints.push(Hint::ContainerOfOwnPod { container });
        }
        if self.topo.platform == Platform::Kubernetes {
            let my_ns = match &self.nginx().kind {
                UnitKind::Pod { namespace, .. } => namespace.clone(),
                _ => "default".into(),
            };
            for (i, s) in self.topo.services.iter().enumerate() {
                if s.name.eq_ignore_ascii_case(first) {
                    if runtime_resolver.is_some() {
                        hints.push(Hint::ShortServiceName {
                            service: ServiceId(i),
                        });
                    } else if s.namespace != my_ns {
                        hints.push(Hint::OtherNamespace {
                            service: ServiceId(i),
                        });
                    }
                }
            }
            for (i, u) in self.topo.units.iter().enumerate() {
                // nginx's own pod is no workload to put a Service in front
                // of when a sibling container answers to the name.
                if sibling.is_some() && i == self.site.unit.0 {
                    continue;
                }
                if let UnitKind::Pod { workload, .. } = &u.kind
                    && (workload.eq_ignore_ascii_case(first) || u.name.eq_ignore_ascii_case(first))
                    && !self
                        .topo
                        .services
                        .iter()
                        .any(|s| s.name.eq_ignore_ascii_case(first))
                {
                    hints.push(Hint::WorkloadName { unit: UnitId(i) });
                    break;
                }
            }
        }
        hints
    }

    /// Names that resolve and are close to `name` (edit distance), best first.
    pub(super) fn near_names(&self, name: &str, table: &[names::NameEntry]) -> Vec<String> {
        // The same unknown name is often written many times: compute once.
        let key = (name.to_string(), table.len());
        if let Some(hit) = self.near_cache.borrow().get(&key) {
            return hit.clone();
        }
        let found = self.compute_near_names(name, table);
        self.near_cache.borrow_mut().insert(key, found.clone());
        found
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

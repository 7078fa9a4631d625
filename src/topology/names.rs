//! What each unit can resolve, as its libc would at nginx start-up:
//! `localhost`, `/etc/hosts` extras, compose links, Docker's embedded DNS on
//! the user-defined networks the unit shares with others, and Kubernetes
//! Service and pod records. The resolver uses the same tables; reports print
//! them.

use super::model::*;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where a name comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum NameSource {
    /// The `localhost` lines of `/etc/hosts`.
    Localhost,
    /// The unit's own hostname in `/etc/hosts`.
    OwnHostname,
    /// An `extra_hosts` / `hostAliases` line.
    ExtraHost,
    /// A compose `links:` alias.
    Link,
    /// Docker's embedded DNS (127.0.0.11) on a user-defined network.
    DockerDns {
        /// The network the name is answered on.
        network: String,
    },
    /// A Kubernetes Service record (A/AAAA).
    Service {
        /// `name.namespace`.
        service: String,
    },
    /// A pod record under a headless Service (`pod.service.ns.svc.domain`:
    /// a StatefulSet pod, or a pod whose `hostname`/`subdomain` name it).
    PodRecord,
}

/// One name and what it resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameEntry {
    /// The name as it would be asked for (Kubernetes names fully qualified).
    pub name: String,
    /// Addresses returned.
    pub addresses: Vec<IpAddr>,
    /// The units behind the addresses (for a ClusterIP: the selected pods).
    pub units: Vec<UnitId>,
    /// Where the answer comes from.
    pub source: NameSource,
}

/// Every name unit `id` can resolve through libc.
pub fn table(topo: &Topology, id: UnitId) -> Vec<NameEntry> {
    let unit = &topo.units[id.0];
    let mut out = vec![NameEntry {
        name: "localhost".into(),
        addresses: vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
        units: vec![id],
        source: NameSource::Localhost,
    }];
    if let Some(h) = &unit.hostname {
        let ip = unit.addresses.iter().find_map(|a| a.ip);
        out.push(NameEntry {
            name: h.clone(),
            addresses: ip.into_iter().collect(),
            units: vec![id],
            source: NameSource::OwnHostname,
        });
    }
    for h in &unit.extra_hosts {
        out.push(NameEntry {
            name: h.name.clone(),
            addresses: host_ip(topo, unit, &h.ip).into_iter().collect(),
            units: Vec::new(),
            source: NameSource::ExtraHost,
        });
    }
    match topo.platform {
        Platform::Compose => compose_names(topo, id, &mut out),
        Platform::Kubernetes => kubernetes_names(topo, &mut out),
    }
    out
}

fn host_ip(topo: &Topology, unit: &Unit, ip: &str) -> Option<IpAddr> {
    if ip == "host-gateway" {
        // Docker maps host-gateway to the default bridge gateway.
        return Some(IpAddr::V4(Ipv4Addr::new(172, 17, 0, 1)));
    }
    let _ = (topo, unit);
    ip.trim_matches(|c| c == '[' || c == ']').parse().ok()
}

fn compose_names(topo: &Topology, id: UnitId, out: &mut Vec<NameEntry>) {
    let unit = &topo.units[id.0];
    for link in &unit.links {
        let targets: Vec<(UnitId, IpAddr)> = topo
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| {
                u.containers
                    .iter()
                    .any(|c| c.service.as_deref() == Some(link.service.as_str()))
            })
            .filter_map(|(i, u)| shared_ip(topo, unit, u).map(|ip| (UnitId(i), ip)))
            .collect();
        out.push(NameEntry {
            name: link.alias.clone(),
            addresses: targets.iter().map(|t| t.1).collect(),
            units: targets.iter().map(|t| t.0).collect(),
            source: NameSource::Link,
        });
    }
    for a in &unit.addresses {
        let net = &topo.networks[a.network.0];
        if !net.kind.has_dns() {
            continue;
        }
        // One entry per name, in first-seen order, with every unit behind it.
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut entries: Vec<NameEntry> = Vec::new();
        for (i, other) in topo.units.iter().enumerate() {
            for oa in other.addresses.iter().filter(|oa| oa.network == a.network) {
                for n in &oa.dns_names {
                    let k = *index.entry(n.clone()).or_insert_with(|| {
                        entries.push(NameEntry {
                            name: n.clone(),
                            addresses: Vec::new(),
                            units: Vec::new(),
                            source: NameSource::DockerDns {
                                network: net.name.clone(),
                            },
                        });
                        entries.len() - 1
                    });
                    // `addresses` and `units` stay index-aligned.
                    if let Some(ip) = oa.ip {
                        entries[k].addresses.push(ip);
                        entries[k].units.push(UnitId(i));
                    }
                }
            }
        }
        out.extend(entries);
    }
}

/// An address of `target` on a user-defined network `from` is also on.
pub fn shared_ip(topo: &Topology, from: &Unit, target: &Unit) -> Option<IpAddr> {
    target.addresses.iter().find_map(|ta| {
        let shared = from.addresses.iter().any(|fa| fa.network == ta.network)
            && topo.networks[ta.network.0].kind != NetworkKind::Host;
        if shared { ta.ip } else { None }
    })
}

fn kubernetes_names(topo: &Topology, out: &mut Vec<NameEntry>) {
    let domain = topo.cluster_domain();
    for s in &topo.services {
        let fqdn = format!("{}.{}.svc.{domain}", s.name, s.namespace);
        let pod_ips: Vec<IpAddr> = s
            .selected
            .iter()
            .filter_map(|u| topo.units[u.0].addresses.iter().find_map(|a| a.ip))
            .collect();
        let mut units = s.selected.clone();
        let addresses = match s.kind {
            ServiceKind::Headless => {
                let mut ips = pod_ips;
                slice_records(topo, s, &mut ips, &mut units);
                ips
            }
            ServiceKind::ExternalName(_) => Vec::new(),
            _ => s.cluster_ip.into_iter().collect(),
        };
        out.push(NameEntry {
            name: fqdn.clone(),
            addresses,
            units,
            source: NameSource::Service {
                service: format!("{}.{}", s.name, s.namespace),
            },
        });
        if s.kind == ServiceKind::Headless {
            for u in &s.selected {
                let unit = &topo.units[u.0];
                let mut records: Vec<String> = Vec::new();
                if let UnitKind::Pod { workload_kind, .. } = &unit.kind
                    && workload_kind == "StatefulSet"
                {
                    records.push(format!("{}.{fqdn}", unit.name));
                }
                // `hostname` + `subdomain` naming this Service.
                let suffix = format!(".{fqdn}");
                for n in unit.addresses.iter().flat_map(|a| &a.dns_names) {
                    if n.ends_with(&suffix) && !records.contains(n) {
                        records.push(n.clone());
                    }
                }
                for name in records {
                    out.push(NameEntry {
                        name,
                        addresses: unit.addresses.iter().filter_map(|a| a.ip).collect(),
                        units: vec![*u],
                        source: NameSource::PodRecord,
                    });
                }
            }
        }
    }
}

/// The records cluster DNS adds for a headless Service's slices: the
/// first address of each ready endpoint (CoreDNS skips the others). Those
/// that land in a unit (its address, or a pod its `targetRef` names whose
/// address the manifests leave open) come first, aligned with `units`;
/// the rest after, with no unit.
fn slice_records(topo: &Topology, s: &Service, ips: &mut Vec<IpAddr>, units: &mut Vec<UnitId>) {
    let mut beyond = Vec::new();
    let ready = s
        .slices
        .iter()
        .flat_map(|x| &x.endpoints)
        .filter(|e| e.ready)
        .filter_map(|e| e.ip.map(|ip| (ip, e.pod)));
    for (ip, pod) in ready {
        let holder = topo
            .units
            .iter()
            .position(|u| u.addresses.iter().any(|a| a.ip == Some(ip)))
            .map(UnitId)
            .or_else(|| {
                pod.filter(|p| {
                    topo.units[p.0]
                        .addresses
                        .iter()
                        .any(|a| a.origin == AddressOrigin::Modelled)
                })
            });
        match holder {
            Some(u) => {
                ips.push(ip);
                units.push(u);
            }
            None => beyond.push(ip),
        }
    }
    ips.extend(beyond);
}

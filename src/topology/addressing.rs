//! The address plan, modelled like the real allocators
//! (shared/reference/networking.md §1.5, §2.6):
//!
//! - Docker: `docker0` is 172.17.0.0/16; user-defined networks take the
//!   default pools in order — 172.18.0.0/16, 172.19.0.0/16, then
//!   172.20–172.31 as /16s, then 192.168.0.0/16 cut into /20s. Networks get
//!   their subnets in order of name (explicit `ipam` subnets are kept and
//!   their ranges skipped); the gateway is `.1`; containers get `.2`, `.3`, …
//!   in creation order (the loader lists units dependencies first), and a
//!   declared `ipv4_address` is kept.
//! - Kubernetes: pods from 10.244.0.0/16 (`.2` up, in manifest order),
//!   ClusterIPs from 10.96.0.0/12 (`.1` is `kubernetes`, `.10` is kube-dns,
//!   the rest in manifest order from `.2`), cluster domain `cluster.local`.
//!
//! Everything is overridable, and addresses already set (declared or
//! observed) are kept. Real allocators avoid prefixes in use on the host,
//! so modelled addresses are labelled as such in every report.

use super::model::*;
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

/// Overrides of the modelled plan (all optional).
#[derive(Debug, Clone, Default)]
pub struct PlanOverrides {
    /// Subnet for a compose network, by its key (`default`) or full name.
    pub subnets: BTreeMap<String, Ipv4Net>,
    /// Docker's default address pools as `(base, prefix length of each subnet)`.
    pub compose_pools: Option<Vec<(Ipv4Net, u8)>>,
    /// Kubernetes pod CIDR.
    pub pod_cidr: Option<Ipv4Net>,
    /// Kubernetes service CIDR.
    pub service_cidr: Option<Ipv4Net>,
    /// Cluster DNS Service IP.
    pub dns_ip: Option<Ipv4Addr>,
    /// Cluster DNS domain.
    pub cluster_domain: Option<String>,
}

/// Docker's built-in default pools (moby `ipamutils`), after docker0's 172.17/16.
pub fn default_compose_pools() -> Vec<(Ipv4Net, u8)> {
    let n = |s: &str| s.parse::<Ipv4Net>().expect("constant CIDR");
    vec![
        (n("172.18.0.0/16"), 16),
        (n("172.19.0.0/16"), 16),
        (n("172.20.0.0/14"), 16),
        (n("172.24.0.0/14"), 16),
        (n("172.28.0.0/14"), 16),
        (n("192.168.0.0/16"), 20),
    ]
}

/// The docker0 subnet of the default bridge network.
pub const DOCKER0: &str = "172.17.0.0/16";
/// Docker's embedded DNS server address on user-defined networks.
pub const DOCKER_DNS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);
/// The modelled address of the node/host for host-network units.
pub const NODE_IP: Ipv4Addr = Ipv4Addr::new(172, 18, 0, 2);

/// Assigns subnets, gateways, unit addresses, ClusterIPs and DNS servers
/// that the description leaves open.
pub fn assign(topo: &mut Topology, o: &PlanOverrides) {
    match topo.platform {
        Platform::Compose => assign_compose(topo, o),
        Platform::Kubernetes => assign_kubernetes(topo, o),
    }
}

fn assign_compose(topo: &mut Topology, o: &PlanOverrides) {
    // Subnets: declared and overridden first, then pools for the rest.
    let mut taken: Vec<Ipv4Net> = vec![DOCKER0.parse().expect("constant")];
    for n in &mut topo.networks {
        if let Some(s) = o.subnets.get(&n.key).or_else(|| o.subnets.get(&n.name)) {
            n.subnet = Some(s.to_string());
            n.origin = AddressOrigin::Declared;
            n.gateway = None;
        }
        if n.kind == NetworkKind::DefaultBridge && n.subnet.is_none() {
            n.subnet = Some(DOCKER0.into());
            n.origin = AddressOrigin::Modelled;
        }
        if let Some(net) = n.subnet.as_deref().and_then(|s| s.parse::<Ipv4Net>().ok()) {
            taken.push(net);
        }
    }
    let pools = o
        .compose_pools
        .clone()
        .unwrap_or_else(default_compose_pools);
    let mut candidates = pools
        .iter()
        .flat_map(|(base, len)| base.subnets(*len).into_iter().flatten());
    let mut order: Vec<usize> = (0..topo.networks.len()).collect();
    order.sort_by(|a, b| topo.networks[*a].name.cmp(&topo.networks[*b].name));
    for i in order {
        let n = &mut topo.networks[i];
        if n.subnet.is_some() || !matches!(n.kind, NetworkKind::Bridge | NetworkKind::Other) {
            continue;
        }
        if let Some(net) = candidates.find(|c| !taken.iter().any(|t| overlaps(t, c))) {
            taken.push(net);
            n.subnet = Some(net.to_string());
            n.origin = AddressOrigin::Modelled;
        }
    }
    for n in &mut topo.networks {
        if n.gateway.is_none()
            && let Some(net) = n.subnet.as_deref().and_then(|s| s.parse::<Ipv4Net>().ok())
        {
            n.gateway = Some(IpAddr::V4(nth(&net, 1)));
        }
    }
    // Unit addresses, in creation order, per network.
    let mut used: Vec<HashSet<Ipv4Addr>> = topo
        .networks
        .iter()
        .map(|n| n.gateway.iter().filter_map(v4).collect())
        .collect();
    for u in &topo.units {
        for a in &u.addresses {
            if let Some(ip) = a.ip.as_ref().and_then(v4) {
                used[a.network.0].insert(ip);
            }
        }
    }
    let mut cursor: Vec<u32> = vec![2; topo.networks.len()];
    for u in &mut topo.units {
        let on_user_network = u
            .addresses
            .iter()
            .any(|a| topo.networks[a.network.0].kind.has_dns());
        for a in &mut u.addresses {
            if a.ip.is_some() {
                continue;
            }
            let Some(net) = topo.networks[a.network.0]
                .subnet
                .as_deref()
                .and_then(|s| s.parse::<Ipv4Net>().ok())
            else {
                continue;
            };
            // Hosts are .1 … one before the broadcast address.
            let last = ((1u64 << (32 - net.prefix_len())) - 2) as u32;
            let (c, used) = (&mut cursor[a.network.0], &mut used[a.network.0]);
            if let Some(ip) = take(&net, c, last, used) {
                a.ip = Some(IpAddr::V4(ip));
                a.origin = AddressOrigin::Modelled;
            }
        }
        if on_user_network && u.dns.nameservers.is_empty() {
            u.dns.nameservers.push(IpAddr::V4(DOCKER_DNS));
        }
        if u.dns.ndots == 0 {
            u.dns.ndots = 1;
        }
    }
}

fn assign_kubernetes(topo: &mut Topology, o: &PlanOverrides) {
    let pod_cidr = o
        .pod_cidr
        .unwrap_or_else(|| "10.244.0.0/16".parse().expect("constant"));
    let service_cidr = o
        .service_cidr
        .unwrap_or_else(|| "10.96.0.0/12".parse().expect("constant"));
    let dns_ip = o.dns_ip.unwrap_or_else(|| nth(&service_cidr, 10));
    let domain = o
        .cluster_domain
        .clone()
        .unwrap_or_else(|| DEFAULT_CLUSTER_DOMAIN.into());
    topo.cluster = Some(Cluster {
        domain,
        pod_cidr: pod_cidr.to_string(),
        service_cidr: service_cidr.to_string(),
        dns_ip: IpAddr::V4(dns_ip),
    });
    for n in &mut topo.networks {
        if n.kind == NetworkKind::Pod && n.subnet.is_none() {
            n.subnet = Some(pod_cidr.to_string());
            n.origin = AddressOrigin::Modelled;
        }
    }
    let mut used_pod: HashSet<Ipv4Addr> = topo
        .units
        .iter()
        .flat_map(|u| {
            u.addresses
                .iter()
                .filter_map(|a| a.ip.as_ref().and_then(v4))
        })
        .collect();
    let mut next_pod = 2u32;
    for u in &mut topo.units {
        for a in &mut u.addresses {
            if a.ip.is_some() {
                continue;
            }
            if u.host_network {
                a.ip = Some(IpAddr::V4(NODE_IP));
                a.origin = AddressOrigin::Modelled;
                continue;
            }
            if let Some(ip) = take(&pod_cidr, &mut next_pod, u32::MAX, &mut used_pod) {
                a.ip = Some(IpAddr::V4(ip));
                a.origin = AddressOrigin::Modelled;
            }
        }
        if !u.dns.search.is_empty() && u.dns.nameservers.is_empty() {
            u.dns.nameservers.push(IpAddr::V4(dns_ip));
        }
    }
    let mut used_svc: HashSet<Ipv4Addr> = [nth(&service_cidr, 1), dns_ip].into_iter().collect();
    used_svc.extend(
        topo.services
            .iter()
            .filter_map(|s| s.cluster_ip.as_ref().and_then(v4)),
    );
    let mut next_svc = 2u32;
    for s in &mut topo.services {
        let wants_ip = matches!(
            s.kind,
            ServiceKind::ClusterIp | ServiceKind::NodePort | ServiceKind::LoadBalancer
        );
        if !wants_ip || s.cluster_ip.is_some() {
            continue;
        }
        if let Some(ip) = take(&service_cidr, &mut next_svc, u32::MAX, &mut used_svc) {
            s.cluster_ip = Some(IpAddr::V4(ip));
            s.ip_origin = AddressOrigin::Modelled;
        }
    }
}

fn v4(ip: &IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(v) => Some(*v),
        IpAddr::V6(_) => None,
    }
}

/// The first address of `net` from the `*next`-th on (up to the `last`-th)
/// that is not `used`, marked used; `*next` stops at it.
fn take(
    net: &Ipv4Net,
    next: &mut u32,
    last: u32,
    used: &mut HashSet<Ipv4Addr>,
) -> Option<Ipv4Addr> {
    while *next <= last && used.contains(&nth(net, *next)) {
        *next += 1;
    }
    let ip = (*next <= last).then(|| nth(net, *next))?;
    used.insert(ip);
    Some(ip)
}

/// The `i`-th address of a subnet (0 is the network address).
fn nth(net: &Ipv4Net, i: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(net.network()).wrapping_add(i))
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_follow_dockers_order() {
        let subnets: Vec<String> = default_compose_pools()
            .iter()
            .flat_map(|(b, l)| b.subnets(*l).unwrap())
            .map(|n| n.to_string())
            .take(16)
            .collect();
        assert_eq!(subnets[0], "172.18.0.0/16");
        assert_eq!(subnets[13], "172.31.0.0/16");
        assert_eq!(subnets[14], "192.168.0.0/20");
        assert_eq!(subnets[15], "192.168.16.0/20");
    }
}

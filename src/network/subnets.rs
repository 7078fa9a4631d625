//! The compose networks' gateways and subnets, indexed once per
//! validation: which network's gateway an address is, and which
//! project-owned subnet holds an address no unit holds. Each was a walk
//! over every network, parsing each subnet, for each connection: 2 000
//! networks joined by nginx and its backend, with 10 000 upstreams, spent
//! 1 s there.

use crate::topology::{AddressOrigin, NetworkId, NetworkKind, Topology};
use ipnet::IpNet;
use std::collections::HashMap;
use std::net::IpAddr;

/// An owned subnet's network and gateway.
type Owned = (NetworkId, Option<IpAddr>);

/// The index (see the module docs).
pub(super) struct Subnets {
    /// The first network whose gateway (else its subnet's first host) is
    /// the address.
    gateways: HashMap<IpAddr, NetworkId>,
    /// Owned subnets by prefix length and network address, each with its
    /// network and gateway, in network order.
    owned: HashMap<(u8, IpAddr), Vec<Owned>>,
    /// The prefix lengths of `owned`, each once.
    prefixes: Vec<u8>,
}

impl Subnets {
    /// Indexes the networks of `topo`, parsing each subnet once.
    pub(super) fn of(topo: &Topology) -> Subnets {
        let mut index = Subnets {
            gateways: HashMap::new(),
            owned: HashMap::new(),
            prefixes: Vec::new(),
        };
        for (i, n) in topo.networks.iter().enumerate() {
            let net: Option<IpNet> = n.subnet.as_deref().and_then(|s| s.parse().ok());
            let gateway = n.gateway.or_else(|| net.and_then(|net| net.hosts().next()));
            if let Some(g) = gateway {
                index.gateways.entry(g).or_insert(NetworkId(i));
            }
            // Only this project's containers join a declared network, with
            // its subnet written in the files or observed; a modelled
            // subnet is a guess.
            let owned = n.kind == NetworkKind::Bridge
                && !n.external
                && matches!(n.origin, AddressOrigin::Declared | AddressOrigin::Observed);
            if let (true, Some(net)) = (owned, net) {
                let key = (net.prefix_len(), net.network());
                index
                    .owned
                    .entry(key)
                    .or_default()
                    .push((NetworkId(i), gateway));
                if !index.prefixes.contains(&net.prefix_len()) {
                    index.prefixes.push(net.prefix_len());
                }
            }
        }
        index
    }

    /// The network whose gateway `ip` is.
    pub(super) fn gateway_of(&self, ip: IpAddr) -> Option<NetworkId> {
        self.gateways.get(&ip).copied()
    }

    /// The first owned network whose subnet holds `ip` as an address
    /// other than its network address and gateway: one lookup per prefix
    /// length in use (at most 129), not a walk over the networks.
    pub(super) fn holding(&self, ip: IpAddr) -> Option<NetworkId> {
        let mut first: Option<NetworkId> = None;
        for &p in &self.prefixes {
            let Ok(net) = IpNet::new(ip, p) else {
                continue;
            };
            if net.network() == ip {
                continue;
            }
            for &(id, gateway) in self.owned.get(&(p, net.network())).into_iter().flatten() {
                if gateway != Some(ip) && first.is_none_or(|f| id < f) {
                    first = Some(id);
                }
            }
        }
        first
    }
}

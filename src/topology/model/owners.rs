//! Who holds an IP address: the units' addresses and the Services' cluster
//! IPs indexed once, so that an upstream written as an address costs a
//! lookup instead of a walk over every unit.

use super::{ServiceId, Topology, UnitId};
use std::collections::HashMap;
use std::net::IpAddr;

/// The holders of the topology's addresses. Where two hold the same
/// address, the first in unit (or Service) order does, as a search in that
/// order would find it.
#[derive(Debug, Default)]
pub struct Owners {
    units: HashMap<IpAddr, (UnitId, usize)>,
    services: HashMap<IpAddr, ServiceId>,
}

impl Owners {
    /// Indexes every unit address and Service cluster IP of `topo`.
    pub fn of(topo: &Topology) -> Owners {
        let mut owners = Owners::default();
        for (u, unit) in topo.units.iter().enumerate() {
            for (a, addr) in unit.addresses.iter().enumerate() {
                if let Some(ip) = addr.ip {
                    owners.units.entry(ip).or_insert((UnitId(u), a));
                }
            }
        }
        for (s, service) in topo.services.iter().enumerate() {
            if let Some(ip) = service.cluster_ip {
                owners.services.entry(ip).or_insert(ServiceId(s));
            }
        }
        owners
    }

    /// The unit holding `ip`, and the index of that address among its own.
    pub fn unit(&self, ip: IpAddr) -> Option<(UnitId, usize)> {
        self.units.get(&ip).copied()
    }

    /// The Service whose cluster IP `ip` is.
    pub fn service(&self, ip: IpAddr) -> Option<ServiceId> {
        self.services.get(&ip).copied()
    }
}

//! A Service's endpoints as kube-proxy reads them: EndpointSlices
//! (`discovery.k8s.io/v1`) labelled `kubernetes.io/service-name`, and the
//! legacy v1 `Endpoints` of a selector-less Service, which the
//! EndpointSliceMirroring controller turns into slices. kube-proxy reads
//! only slices; a legacy `Endpoints` object matters through that mirror.
//!
//! The loader decides which slices a Service uses
//! (`kubernetes/endpoints.rs`); the resolver follows them
//! (`network/endpoints.rs`).

use super::model::{Protocol, ServicePort, UnitId};
use crate::source::Span;
use serde::Serialize;
use std::net::IpAddr;

/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// The label naming what manages an EndpointSlice.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
/// `managed-by` of the slices the EndpointSlice controller derives from a
/// Service's selector.
pub const SLICE_CONTROLLER: &str = "endpointslice-controller.k8s.io";
/// `managed-by` of the slices mirrored from a legacy `Endpoints` object.
pub const MIRROR_CONTROLLER: &str = "endpointslicemirroring-controller.k8s.io";

/// The kind of addresses an EndpointSlice carries (`addressType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AddressType {
    /// IPv4 addresses.
    #[serde(rename = "IPv4")]
    Ipv4,
    /// IPv6 addresses.
    #[serde(rename = "IPv6")]
    Ipv6,
    /// Domain names, which kube-proxy does not program.
    #[serde(rename = "FQDN")]
    Fqdn,
}

impl AddressType {
    /// The type of an IP address.
    pub fn of(ip: IpAddr) -> AddressType {
        match ip {
            IpAddr::V4(_) => AddressType::Ipv4,
            IpAddr::V6(_) => AddressType::Ipv6,
        }
    }

    /// As the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::Ipv4 => "IPv4",
            AddressType::Ipv6 => "IPv6",
            AddressType::Fqdn => "FQDN",
        }
    }
}

/// The object a slice was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SliceSource {
    /// An EndpointSlice.
    EndpointSlice,
    /// A subset of a legacy v1 `Endpoints`, as the mirroring controller
    /// turns it into a slice.
    Endpoints,
}

/// A port of a slice: the port its endpoints take the traffic of the
/// Service port with the same name and protocol on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointPort {
    /// The name (`""` when absent, as the API defaults it).
    pub name: String,
    /// The port; kube-proxy ignores an entry without one.
    pub port: Option<u16>,
    /// Protocol (TCP by default).
    pub protocol: Protocol,
    /// Where the entry is written.
    pub span: Option<Span>,
}

/// One endpoint of a slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Its first address as written (kube-proxy looks at no other).
    pub address: String,
    /// The address, when it is an IP address of the slice's type.
    pub ip: Option<IpAddr>,
    /// `conditions.ready` (absent: ready).
    pub ready: bool,
    /// `conditions.serving` (absent: serving).
    pub serving: bool,
    /// `conditions.terminating` (absent: not terminating).
    pub terminating: bool,
    /// The modelled pod its `targetRef` names.
    pub pod: Option<UnitId>,
    /// Where the address is written.
    pub span: Option<Span>,
}

/// An EndpointSlice a Service uses (or a legacy `Endpoints` subset
/// mirrored into one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointSlice {
    /// The object's name.
    pub name: String,
    /// What it was read from.
    pub source: SliceSource,
    /// `addressType`.
    pub address_type: AddressType,
    /// Ports.
    pub ports: Vec<EndpointPort>,
    /// Endpoints.
    pub endpoints: Vec<Endpoint>,
    /// Where the object's name is written.
    pub span: Option<Span>,
}

impl EndpointSlice {
    /// `EndpointSlice `legacy-1``, as messages name it.
    pub fn label(&self) -> String {
        match self.source {
            SliceSource::EndpointSlice => format!("EndpointSlice `{}`", self.name),
            SliceSource::Endpoints => format!("Endpoints `{}`", self.name),
        }
    }

    /// The port kube-proxy sends the Service port `sp` to on this slice's
    /// endpoints: the entry of the same name and protocol (with a port).
    pub fn port_for(&self, sp: &ServicePort) -> Option<&EndpointPort> {
        let name = sp.name.as_deref().unwrap_or("");
        self.ports
            .iter()
            .find(|p| p.name == name && p.protocol == sp.protocol && p.port.is_some())
    }

    /// The endpoints kube-proxy sends traffic to: the ready ones, or when
    /// none is ready, those serving while terminating
    /// (`pkg/proxy/topology.go`, `CategorizeEndpoints`). Across a
    /// Service's slices the fallback applies to all of them at once, see
    /// [`usable_endpoints`].
    fn ready(&self) -> impl Iterator<Item = (usize, &Endpoint)> {
        self.endpoints.iter().enumerate().filter(|(_, e)| e.ready)
    }
}

/// The endpoints kube-proxy uses for Service port `sp` across `slices`:
/// `(slice, endpoint, port)` for every IP endpoint of a slice with a port
/// for it, the ready ones, or if none is ready those serving while
/// terminating. Slices kube-proxy does not program for a ClusterIP of
/// `family` are left out: FQDN ones, and those of the other family.
pub fn usable_endpoints(
    slices: &[EndpointSlice],
    sp: &ServicePort,
    family: Option<AddressType>,
) -> Vec<(usize, usize, u16)> {
    let with_port = || {
        slices.iter().enumerate().filter_map(move |(i, s)| {
            let p = s.port_for(sp)?.port?;
            let programmed =
                s.address_type != AddressType::Fqdn && family.is_none_or(|f| f == s.address_type);
            programmed.then_some((i, s, p))
        })
    };
    let ready: Vec<(usize, usize, u16)> = with_port()
        .flat_map(|(i, s, p)| s.ready().map(move |(k, _)| (i, k, p)))
        .collect();
    if !ready.is_empty() {
        return ready;
    }
    with_port()
        .flat_map(|(i, s, p)| {
            s.endpoints
                .iter()
                .enumerate()
                .filter(|(_, e)| e.serving && e.terminating)
                .map(move |(k, _)| (i, k, p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::TargetPort;

    fn port(name: Option<&str>, n: u16) -> ServicePort {
        ServicePort {
            name: name.map(str::to_string),
            port: n,
            target_port: TargetPort::Number(n),
            node_port: None,
            protocol: Protocol::Tcp,
            span: None,
            target_span: None,
        }
    }

    fn ep(address: &str, ready: bool, serving: bool, terminating: bool) -> Endpoint {
        Endpoint {
            address: address.into(),
            ip: address.parse().ok(),
            ready,
            serving,
            terminating,
            pod: None,
            span: None,
        }
    }

    fn slice(kind: AddressType, ports: &[(&str, u16)], endpoints: Vec<Endpoint>) -> EndpointSlice {
        EndpointSlice {
            name: "s".into(),
            source: SliceSource::EndpointSlice,
            address_type: kind,
            ports: ports
                .iter()
                .map(|(n, p)| EndpointPort {
                    name: n.to_string(),
                    port: Some(*p),
                    protocol: Protocol::Tcp,
                    span: None,
                })
                .collect(),
            endpoints,
            span: None,
        }
    }

    #[test]
    fn a_service_port_takes_the_slice_port_of_its_name() {
        let s = slice(
            AddressType::Ipv4,
            &[("http", 8080), ("", 9090)],
            vec![ep("10.0.0.1", true, true, false)],
        );
        assert_eq!(
            usable_endpoints(std::slice::from_ref(&s), &port(Some("http"), 80), None),
            [(0, 0, 8080)]
        );
        assert_eq!(
            usable_endpoints(std::slice::from_ref(&s), &port(None, 80), None),
            [(0, 0, 9090)]
        );
        assert!(usable_endpoints(&[s], &port(Some("https"), 443), None).is_empty());
    }

    /// What an unnamed service port 80 can use of one slice of `kind`
    /// whose endpoints serve on an unnamed port 80.
    fn usable_on_80(kind: AddressType, endpoints: Vec<Endpoint>) -> Vec<(usize, usize, u16)> {
        usable_endpoints(
            &[slice(kind, &[("", 80)], endpoints)],
            &port(None, 80),
            None,
        )
    }

    #[test]
    fn not_ready_endpoints_serve_only_when_terminating_ones_are_all_there_is() {
        let not_ready = ep("10.0.0.1", false, false, false);
        let terminating = ep("10.0.0.3", false, true, true);
        let ready = ep("10.0.0.2", true, true, false);
        assert_eq!(
            usable_on_80(
                AddressType::Ipv4,
                vec![not_ready.clone(), ready, terminating.clone()]
            ),
            [(0, 1, 80)]
        );
        assert_eq!(
            usable_on_80(AddressType::Ipv4, vec![not_ready, terminating]),
            [(0, 1, 80)]
        );
    }

    #[test]
    fn fqdn_slices_are_not_programmed() {
        let db = ep("db.example.com", true, true, false);
        assert!(usable_on_80(AddressType::Fqdn, vec![db]).is_empty());
    }
}

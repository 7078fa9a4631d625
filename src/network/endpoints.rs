//! Through a Service's EndpointSlices (and legacy `Endpoints` mirrored into
//! slices), as kube-proxy programs them (`pkg/proxy/endpointslicecache.go`):
//! the Service port goes to the slice port of the same name and protocol,
//! on the first address of each ready endpoint (or, with none ready, of
//! each endpoint serving while terminating). An address that is a unit of
//! the topology lands there; an endpoint whose `targetRef` names a pod
//! whose address the manifests leave open is taken to be that pod; any
//! other address is outside the described topology, and so is a slice
//! kube-proxy does not program (FQDN, the other address family).

use super::connect::{Hit, Outcome};
use super::{Resolver, join_ports};
use crate::topology::*;
use std::net::IpAddr;

/// The first failure met (or the outcome kept), with the pod port and the
/// slice it was met through.
pub(super) type Kept = Option<(Outcome, Option<u16>, Option<usize>)>;

impl Resolver<'_> {
    /// Follows Service `s`'s port `port` to each of the `usable` slice
    /// endpoints (`(slice, endpoint, port)`): the first failure goes into
    /// `kept`; a listener, when nothing failed, into `hit`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn through_slices(
        &self,
        s: ServiceId,
        usable: &[(usize, usize, u16)],
        port: u16,
        hit: &mut Hit,
        kept: &mut Kept,
        own: &[crate::source::Span],
        trace: &mut Vec<String>,
    ) {
        let svc = &self.topo.services[s.0];
        for &(i, k, p) in usable {
            let slice = &svc.slices[i];
            let e = &slice.endpoints[k];
            let outside = Outcome::EndpointOutside {
                service: s,
                slice: i,
                endpoint: Some(k),
            };
            let o = match self.endpoint_unit(svc, slice, e, trace) {
                None => outside,
                Some((u, ip)) => {
                    trace.push(format!(
                        "Service `{}` forwards port {port} to port {p} of `{}` ({})",
                        svc.name,
                        self.unit(u).name,
                        slice.label()
                    ));
                    match self.policed(u, p, trace) {
                        Some(o) => o,
                        None => self.listener_at(u, ip, p, own, trace),
                    }
                }
            };
            if !matches!(o, Outcome::Listening { .. }) {
                kept.get_or_insert((o, Some(p), Some(i)));
            } else if kept.is_none() {
                hit.outcome = o;
                hit.pod_port = Some(p);
                hit.slice = Some(i);
            }
        }
    }

    /// The unit an endpoint's address lands in, and the address to judge
    /// its listeners by; `None` (with the reason in the trace) when it is
    /// outside the described topology.
    fn endpoint_unit(
        &self,
        svc: &Service,
        slice: &EndpointSlice,
        e: &Endpoint,
        trace: &mut Vec<String>,
    ) -> Option<(UnitId, IpAddr)> {
        let ip = e.ip?;
        let named = e.pod.map(|p| &self.unit(p).name);
        if let Some(u) = self.unit_with_ip(ip) {
            let also = match named {
                Some(n) if *n != self.unit(u).name => format!(
                    " (its `targetRef` names pod `{n}`, but kube-proxy sends the traffic to the address)"
                ),
                _ => String::new(),
            };
            trace.push(format!(
                "endpoint `{ip}` of {} is the address of `{}`{also}",
                slice.label(),
                self.unit(u).name
            ));
            return Some((u, ip));
        }
        if let Some(other) = self.service_with_ip(ip).map(|s| &self.topo.services[s.0]) {
            trace.push(format!(
                "endpoint `{ip}` of {} is the ClusterIP of Service `{}`, and kube-proxy does not take a virtual IP as a destination: cannot check",
                slice.label(),
                other.name
            ));
            return None;
        }
        if let Some(p) = e.pod {
            let pod = self.unit(p);
            let addr = pod.addresses.iter().find(|a| a.ip.is_some());
            if let Some(a) = addr.filter(|a| a.origin == AddressOrigin::Modelled) {
                trace.push(format!(
                    "endpoint `{ip}` of {} names pod `{}` by `targetRef`; the manifests do not fix that pod's address (modelled as `{}`), so `{ip}` is taken to be it (assumed)",
                    slice.label(),
                    pod.name,
                    a.ip.expect("found with one")
                ));
                return Some((p, a.ip.expect("found with one")));
            }
            trace.push(format!(
                "endpoint `{ip}` of {} names pod `{}` by `targetRef`, whose address is `{}`: kube-proxy sends the traffic to `{ip}`, which is outside the described topology: cannot check",
                slice.label(),
                pod.name,
                addr.and_then(|a| a.ip).map_or("?".into(), |ip| ip.to_string())
            ));
            return None;
        }
        trace.push(format!(
            "endpoint `{ip}` of {} (Service `{}`) is outside the described topology: cannot check",
            slice.label(),
            svc.name
        ));
        None
    }

    /// Why Service `s` has no endpoint for its port `sp`, in the trace,
    /// and the outcome: no endpoints (kube-proxy rejects the connection),
    /// or a slice the model does not follow.
    pub(super) fn no_endpoints(
        &self,
        s: ServiceId,
        sp: &ServicePort,
        trace: &mut Vec<String>,
    ) -> Outcome {
        let svc = &self.topo.services[s.0];
        let family = svc.cluster_ip.map(AddressType::of);
        // A slice kube-proxy skips that would otherwise serve this port.
        let skipped = svc.slices.iter().position(|x| {
            let serves = x.port_for(sp).is_some() && x.endpoints.iter().any(|e| e.ready);
            let programmed =
                x.address_type != AddressType::Fqdn && family.is_none_or(|f| f == x.address_type);
            serves && !programmed
        });
        if let Some(i) = skipped {
            let x = &svc.slices[i];
            trace.push(if x.address_type == AddressType::Fqdn {
                format!(
                    "{} of Service `{}` has `addressType: FQDN`, which kube-proxy does not program (IPv4 and IPv6 only); whether another proxy (a service mesh, a CNI that replaces kube-proxy) uses it is not in the manifests: cannot check",
                    x.label(),
                    svc.name
                )
            } else {
                format!(
                    "{} of Service `{}` holds {} addresses and the ClusterIP is {}: kube-proxy programs a ClusterIP with endpoints of its own family, and dual-stack Services are not modelled: cannot check",
                    x.label(),
                    svc.name,
                    x.address_type.as_str(),
                    family.map_or("?", AddressType::as_str)
                )
            });
            return Outcome::EndpointOutside {
                service: s,
                slice: i,
                endpoint: None,
            };
        }
        if svc.selector.is_none() && svc.slices.is_empty() && !svc.slices_read {
            trace.push(format!(
                "Service `{}` has no selector, and the input carries no EndpointSlice (a native model, or a kubectl dump without `endpointslices`): its endpoints are managed elsewhere: cannot check",
                svc.name
            ));
            return Outcome::Outside;
        }
        let name = sp.name.as_deref().unwrap_or("");
        let mut why: Vec<String> = Vec::new();
        for x in &svc.slices {
            match x.port_for(sp) {
                None => {
                    let ports: Vec<u16> = x.ports.iter().filter_map(|p| p.port).collect();
                    why.push(format!(
                        "{} has no port named `{name}` over {} (its ports: {})",
                        x.label(),
                        format!("{:?}", sp.protocol).to_uppercase(),
                        join_ports(&ports)
                    ));
                }
                Some(_) if x.endpoints.is_empty() => {
                    why.push(format!("{} lists no endpoints", x.label()));
                }
                Some(_) => why.push(format!("no endpoint of {} is ready", x.label())),
            }
        }
        trace.push(match (&svc.selector, why.is_empty()) {
            (Some(_), true) => format!("Service `{}` selects no pods: it has no endpoints", svc.name),
            (Some(_), false) => format!(
                "Service `{}` selects no pods and {}: it has no endpoints",
                svc.name,
                why.join("; ")
            ),
            (None, true) => format!(
                "Service `{}` has no selector, and no EndpointSlice or `Endpoints` in the manifests is for it: it has no endpoints, and kube-proxy rejects the connection",
                svc.name
            ),
            (None, false) => format!(
                "Service `{}` has no selector, and {}: it has no endpoints for port {}, and kube-proxy rejects the connection",
                svc.name,
                why.join("; "),
                sp.port
            ),
        });
        Outcome::NoEndpoints { service: s }
    }
}

use super::{Check, Context, Finding, HostUse, port_finding, service_finding};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::network::Hit;
use crate::network::Outcome;
use crate::network::target_text;
use crate::topology::{EndpointSlice, Service, ServiceId, ServiceKind, ServicePort, TargetPort};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams that reach the right container or pod on a port
    /// where, by everything the files say, nothing listens.
    ///
    /// ## Why is this bad?
    /// The connection is refused and nginx answers `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```nginx
    /// # compose: api runs `gunicorn -b 0.0.0.0:8000`
    /// location / { proxy_pass http://api:8080; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://api:8000; }
    /// ```
    ///
    /// Through a Kubernetes ClusterIP Service the port nginx writes is the
    /// Service `port`; the mismatch is then the Service's `targetPort`,
    /// and the finding points there, once per Service port. (A headless
    /// Service addressed on its `port` is headless-service-port.)
    ///
    /// ## Fix safety
    /// Unsafe: offered when exactly one port is known to listen there,
    /// which is probably, not certainly, the one meant; through a Service
    /// the fix edits its `targetPort`.
    pub PortNotListening { code: "UC2004", name: "port-not-listening", severity: Error, fix: Sometimes }
}

impl Check for PortNotListening {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // Service ports already reported, with the finding's index in `out`
        // (many upstreams may share one).
        let mut service_ports: std::collections::HashMap<(ServiceId, u16), usize> =
            std::collections::HashMap::new();
        for HostUse { r, up, h } in cx.primary_hosts() {
            let Some(port) = r.port else { continue };
            for hit in &r.hits {
                let Outcome::NothingListens { unit, known } = &hit.outcome else {
                    continue;
                };
                if *unit == r.site.unit {
                    continue; // loopback-upstream-nothing-listens
                }
                let u = &cx.topology.units[unit.0];
                if super::published_port_used::published_elsewhere(u, port).is_some() {
                    continue; // published-port-used
                }
                if super::headless_service_port::untranslated(cx.topology, hit).is_some() {
                    continue; // headless-service-port
                }
                if let Some(service) = hit.service
                    && cx.topology.services[service.0].kind != ServiceKind::Headless
                {
                    match service_ports.get(&(service, port)) {
                        Some(&i) => {
                            let f: &mut Finding = &mut out[i];
                            f.related.push(super::through_service(
                                cx,
                                up,
                                &cx.topology.services[service.0].name,
                                true,
                            ));
                        }
                        None => {
                            if let Some(f) =
                                self.through_service(cx, r.upstream, service, port, hit)
                            {
                                service_ports.insert((service, port), out.len());
                                out.push(f);
                            }
                        }
                    }
                    break;
                }
                let at = hit.pod_port.unwrap_or(port);
                let message = format!(
                    "nothing in `{}` listens on port {at} (listening: {}), so `{}` is refused",
                    u.name,
                    crate::network::join_ports(known),
                    target_text(up)
                );
                let mut f = port_finding(self, r, h, message);
                if known.len() == 1
                    && hit.service.is_none()
                    && let Some(ps) = h.port_span
                {
                    f.fixes.push(Fix::unsafe_edits(
                        format!("Use port {} instead of {port}", known[0]),
                        [Edit::replace(ps, known[0].to_string())],
                    ));
                }
                out.push(f);
                break;
            }
        }
    }
}

impl PortNotListening {
    /// A ClusterIP Service forwards `port` to a pod port where nothing
    /// listens: located at the Service's `targetPort`.
    fn through_service(
        &self,
        cx: &Context,
        upstream: usize,
        service: ServiceId,
        port: u16,
        hit: &Hit,
    ) -> Option<Finding> {
        let Outcome::NothingListens { unit, known } = &hit.outcome else {
            return None;
        };
        let svc = &cx.topology.services[service.0];
        let sp = svc.ports.iter().find(|p| p.port == port)?;
        let at = hit.pod_port.unwrap_or(port);
        let up = &cx.extraction.upstreams[upstream];
        let target = match &sp.target_port {
            TargetPort::Number(n) => n.to_string(),
            TargetPort::Name(n) => format!("`{n}` ({at})"),
        };
        let listening = crate::network::join_ports(known);
        if let Some(x) = hit.slice.map(|i| &svc.slices[i]) {
            return Some(self.through_slice(cx, upstream, svc, x, sp, hit));
        }
        let message = format!(
            "Service `{}` forwards port {port} to targetPort {target}, but nothing in `{}` listens on {at} (listening: {listening}), so `{}` is refused",
            svc.name,
            cx.topology.units[unit.0].name,
            target_text(up)
        );
        let span = sp.target_span.or(sp.span);
        let mut f = service_finding(cx, self, &svc.name, &[upstream], message, span);
        if let ([only], Some(ts)) = (&known[..], sp.target_span) {
            f.fixes.push(Fix::unsafe_edits(
                format!("Target port {only} instead of {at}"),
                [Edit::replace(ts, only.to_string())],
            ));
        }
        Some(f)
    }
}

impl PortNotListening {
    /// A Service's EndpointSlice (or legacy `Endpoints`) sends `port` to
    /// a port where nothing listens: located at the slice's port.
    fn through_slice(
        &self,
        cx: &Context,
        upstream: usize,
        svc: &Service,
        x: &EndpointSlice,
        sp: &ServicePort,
        hit: &Hit,
    ) -> Finding {
        let Outcome::NothingListens { unit, known } = &hit.outcome else {
            unreachable!("checked by the caller")
        };
        let at = hit.pod_port.unwrap_or(sp.port);
        let up = &cx.extraction.upstreams[upstream];
        let message = format!(
            "Service `{}` sends port {} to port {at} through {}, but nothing in `{}` listens on {at} (listening: {}), so `{}` is refused",
            svc.name,
            sp.port,
            x.label(),
            cx.topology.units[unit.0].name,
            crate::network::join_ports(known),
            target_text(up)
        );
        let ps = x.port_for(sp).and_then(|p| p.span);
        let mut f = service_finding(cx, self, &svc.name, &[upstream], message, ps.or(x.span));
        if let ([only], Some(ps)) = (&known[..], ps) {
            f.fixes.push(Fix::unsafe_edits(
                format!("Use port {only} instead of {at} in {}", x.label()),
                [Edit::replace(ps, only.to_string())],
            ));
        }
        f
    }
}

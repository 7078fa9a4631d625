//! Kubernetes Services of a native topology: type, ClusterIP, ports (read
//! by the manifests' parser) and selector; the pods they select are matched
//! once every unit is known.

use super::*;
use crate::topology::kubernetes::PortKeys;
use std::net::IpAddr;

impl Loader<'_> {
    /// Reads `services[i]` of the document (a Kubernetes platform).
    pub(super) fn service(&mut self, s: &Node, i: usize) {
        let at = format!("services[{i}]");
        let Some((name, name_span)) = self.name_of("", s, &at) else {
            return;
        };
        let namespace = self
            .r
            .str("", s, &at, "namespace")
            .map(|n| n.0.to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.default_namespace());
        let o = format!("service {namespace}/{name}");
        let o = o.as_str();
        if self
            .services
            .iter()
            .any(|s| s.name == name && s.namespace == namespace)
        {
            self.twice(name_span, &format!("service `{namespace}/{name}`"));
            return;
        }
        let mut kind = match self.r.choice(
            o,
            s,
            "",
            "type",
            &[
                "cluster_ip",
                "headless",
                "node_port",
                "load_balancer",
                "external_name",
                "ClusterIP",
                "NodePort",
                "LoadBalancer",
                "ExternalName",
            ],
        ) {
            Some(("headless", _)) => ServiceKind::Headless,
            Some(("node_port" | "NodePort", _)) => ServiceKind::NodePort,
            Some(("load_balancer" | "LoadBalancer", _)) => ServiceKind::LoadBalancer,
            Some(("external_name" | "ExternalName", span)) => {
                let written = ("external_name", span);
                kubernetes::external_name(&mut self.r, o, s, "", "external_name", written)
            }
            _ => ServiceKind::ClusterIp,
        };
        let mut cluster_ip = None;
        match self.r.str(o, s, "", "cluster_ip") {
            None | Some(("", _)) => {}
            Some(("None", span)) => match kind {
                ServiceKind::ClusterIp | ServiceKind::Headless => kind = ServiceKind::Headless,
                _ => self.r.warn(
                    span,
                    format!(
                        "`{o}`: `cluster_ip: None` (headless) is only valid for type cluster_ip"
                    ),
                ),
            },
            Some((ip, span)) => match ip.parse::<IpAddr>() {
                Ok(_) if matches!(kind, ServiceKind::Headless | ServiceKind::ExternalName(_)) => {
                    self.r.warn(
                        span,
                        format!(
                            "`{o}`: a {} Service has no ClusterIP; `cluster_ip` ignored",
                            match kind {
                                ServiceKind::Headless => "headless",
                                _ => "external_name",
                            }
                        ),
                    )
                }
                Ok(ip) => cluster_ip = Some(ip),
                Err(_) => self.r.warn(
                    span,
                    format!("`{o}`: `cluster_ip` should be an IP address or `None`, not `{ip}`"),
                ),
            },
        }
        let ports = kubernetes::service_ports(&mut self.r, o, s, "", PortKeys::NATIVE);
        let selector_span = s.key("selector").map(|k| k.span);
        let selector = self
            .r
            .labels(o, s, "", "selector")
            .map(|l| l.0)
            .unwrap_or_default();
        self.services.push(Service {
            name: name.to_string(),
            namespace,
            kind,
            cluster_ip,
            ip_origin: if cluster_ip.is_some() {
                AddressOrigin::Declared
            } else {
                AddressOrigin::Modelled
            },
            // An empty selector selects nothing: endpoints are managed elsewhere.
            selector: (!selector.is_empty()).then_some(selector),
            ports,
            selected: Vec::new(),
            span: Some(name_span),
            selector_span,
            node_local: false,
            slices: Vec::new(),
            slices_read: false,
        });
    }
}

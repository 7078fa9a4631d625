//! Services: type, ClusterIP (headless or not), ports (a parser shared
//! with the native model), the selector and the pods it selects, and the
//! headless Service a StatefulSet's `serviceName` needs.

use super::*;
use crate::topology::read::join;
use std::collections::HashMap;
use std::net::IpAddr;

impl Loader<'_> {
    /// Reads a Service and selects its pods (every workload is read first).
    pub(super) fn service(&mut self, o: &Obj) {
        let label = o.label();
        let l = label.as_str();
        let spec = self.r.map(l, o.node, "", "spec");
        if spec.is_none() {
            self.r.warn(o.name_span, format!("`{l}` has no `spec`"));
        }
        let null = Node {
            value: yaml::Value::Null,
            span: o.name_span,
        };
        let spec = spec.unwrap_or(&null);
        let mut kind = match self.r.str(l, spec, "spec", "type") {
            None | Some(("ClusterIP", _)) => ServiceKind::ClusterIp,
            Some(("NodePort", _)) => ServiceKind::NodePort,
            Some(("LoadBalancer", _)) => ServiceKind::LoadBalancer,
            Some((t @ "ExternalName", span)) => {
                external_name(&mut self.r, l, spec, "spec", "externalName", (t, span))
            }
            Some((other, span)) => {
                self.r.warn(
                    span,
                    format!(
                        "`{l}`: `spec.type` should be ClusterIP, NodePort, LoadBalancer or ExternalName, not `{other}`"
                    ),
                );
                ServiceKind::ClusterIp
            }
        };
        let mut cluster_ip = None;
        let mut ip_origin = AddressOrigin::Modelled;
        match self.r.str(l, spec, "spec", "clusterIP") {
            None | Some(("", _)) => {}
            Some(("None", span)) => match kind {
                ServiceKind::ClusterIp => kind = ServiceKind::Headless,
                ServiceKind::ExternalName(_) => {}
                _ => self.r.warn(
                    span,
                    format!("`{l}`: `clusterIP: None` (headless) is only valid for type ClusterIP"),
                ),
            },
            Some((ip, span)) => match ip.parse::<IpAddr>() {
                Ok(ip) if !matches!(kind, ServiceKind::ExternalName(_)) => {
                    cluster_ip = Some(ip);
                    ip_origin = AddressOrigin::Declared;
                }
                Ok(_) => {}
                Err(_) => self.r.warn(
                    span,
                    format!("`{l}`: `spec.clusterIP` should be an IP address or None, not `{ip}`"),
                ),
            },
        }
        let ports = service_ports(&mut self.r, l, spec, "spec", PortKeys::MANIFEST);
        let node_local = self
            .r
            .str(l, spec, "spec", "internalTrafficPolicy")
            .map(|p| p.0)
            == Some("Local");
        let selector = self.r.labels(l, spec, "spec", "selector");
        let selector_span = selector.as_ref().map(|s| s.1);
        // An empty selector selects nothing: endpoints are managed elsewhere.
        let selector = selector.map(|s| s.0).filter(|s| !s.is_empty());
        let selected = match (&selector, &kind) {
            (_, ServiceKind::ExternalName(_)) | (None, _) => Vec::new(),
            (Some(sel), _) => self.selected(&o.namespace, sel),
        };
        self.topo.services.push(Service {
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            kind,
            cluster_ip,
            ip_origin,
            selector,
            ports,
            selected,
            span: Some(o.name_span),
            selector_span,
            node_local,
            slices: Vec::new(),
            slices_read: true,
        });
    }

    /// A StatefulSet's pods get DNS names (`web-0.web`) only through the
    /// headless Service its `serviceName` names.
    pub(super) fn check_governing_services(&mut self) {
        for (ns, name, span, label) in std::mem::take(&mut self.governing) {
            let svc = self
                .topo
                .services
                .iter()
                .find(|s| s.namespace == ns && s.name == name);
            let message = match svc {
                None => format!(
                    "`{label}`: `spec.serviceName` names Service `{name}`, which is not in the manifests; pod names like `…-0.{name}` resolve only through it"
                ),
                Some(s) if s.kind != ServiceKind::Headless => format!(
                    "`{label}`: Service `{name}` named by `spec.serviceName` is not headless (`clusterIP: None`), so pod names like `…-0.{name}` do not resolve"
                ),
                Some(_) => continue,
            };
            self.r.push(DiagSeverity::Info, Some(span), message);
        }
    }
}

/// How a format names the fields of a Service port.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PortKeys {
    /// Where traffic goes in the pods.
    pub(crate) target_port: &'static str,
    /// The port on every node.
    pub(crate) node_port: &'static str,
}

impl PortKeys {
    /// A manifest's `targetPort` and `nodePort`.
    pub(crate) const MANIFEST: PortKeys = PortKeys {
        target_port: "targetPort",
        node_port: "nodePort",
    };
    /// The native topology's `target_port` and `node_port`.
    pub(crate) const NATIVE: PortKeys = PortKeys {
        target_port: "target_port",
        node_port: "node_port",
    };
}

/// An ExternalName Service: the name in field `key` (under `at`); without
/// it, a warning at the type (`written` as it was, and where) and an
/// empty name.
pub(crate) fn external_name(
    r: &mut Reader,
    obj: &str,
    parent: &Node,
    at: &str,
    key: &str,
    written: (&str, Span),
) -> ServiceKind {
    let name = r.str(obj, parent, at, key).map(|n| n.0.to_string());
    if name.is_none() {
        let (t, span) = written;
        let path = join(at, key);
        r.warn(span, format!("`{obj}` is of type {t} but has no `{path}`"));
    }
    ServiceKind::ExternalName(name.unwrap_or_default())
}

/// A Service's `ports` (under `at`, the node holding them): `port`,
/// `targetPort` (a number, or a name the pods declare; `port` when
/// absent), `nodePort`, `name` and `protocol`. Entries without a port
/// are warned about and skipped.
pub(crate) fn service_ports(
    r: &mut Reader,
    obj: &str,
    parent: &Node,
    at: &str,
    keys: PortKeys,
) -> Vec<ServicePort> {
    r.map_items(obj, parent, at, "ports", |r, pat, p| {
        let (port, span) = r.required_port(obj, p, pat, "port")?;
        let (target_port, target_span) = match Reader::child(p, keys.target_port) {
            None => (TargetPort::Number(port), None),
            Some(t) => match t.as_str() {
                Some(name) if name.parse::<i64>().is_err() => {
                    (TargetPort::Name(name.to_string()), Some(t.span))
                }
                _ => match r.port_of(obj, t, &join(pat, keys.target_port)) {
                    Some((n, span)) => (TargetPort::Number(n), Some(span)),
                    None => (TargetPort::Number(port), Some(t.span)),
                },
            },
        };
        let node_port = r.port(obj, p, pat, keys.node_port).map(|n| n.0);
        Some(ServicePort {
            name: r.str(obj, p, pat, "name").map(|n| n.0.to_string()),
            port,
            target_port,
            node_port,
            protocol: r.protocol(obj, p, pat),
            span: Some(span),
            target_span,
        })
    })
}

/// The pods of each namespace by label, for selectors: built once the
/// workloads are read, so that a Service (or a NetworkPolicy) costs the pods
/// that carry one of its labels, not a walk over every pod.
#[derive(Default)]
pub(crate) struct PodIndex {
    /// Pods by (namespace, label key, label value), in unit order.
    by_label: HashMap<(String, String, String), Vec<UnitId>>,
    /// Pods by namespace, in unit order (what an empty selector selects).
    by_namespace: HashMap<String, Vec<UnitId>>,
}

impl PodIndex {
    pub(crate) fn of(units: &[Unit]) -> PodIndex {
        let mut index = PodIndex::default();
        for (i, u) in units.iter().enumerate() {
            let UnitKind::Pod { namespace, .. } = &u.kind else {
                continue;
            };
            let ns = index.by_namespace.entry(namespace.clone()).or_default();
            ns.push(UnitId(i));
            for (k, v) in &u.labels {
                let key = (namespace.clone(), k.clone(), v.clone());
                index.by_label.entry(key).or_default().push(UnitId(i));
            }
        }
        index
    }

    /// The pods of `namespace` whose labels match every pair of `selector`,
    /// in unit order.
    pub(crate) fn selected(
        &self,
        units: &[Unit],
        namespace: &str,
        selector: &BTreeMap<String, String>,
    ) -> Vec<UnitId> {
        let mut lists = Vec::with_capacity(selector.len());
        for (k, v) in selector {
            let key = (namespace.to_string(), k.clone(), v.clone());
            match self.by_label.get(&key) {
                Some(pods) => lists.push(pods),
                None => return Vec::new(),
            }
        }
        let Some(fewest) = lists.iter().min_by_key(|l| l.len()) else {
            return self
                .by_namespace
                .get(namespace)
                .cloned()
                .unwrap_or_default();
        };
        fewest
            .iter()
            .copied()
            .filter(|u| {
                selector
                    .iter()
                    .all(|(k, v)| units[u.0].labels.get(k) == Some(v))
            })
            .collect()
    }
}

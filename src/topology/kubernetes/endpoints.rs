//! EndpointSlices and legacy `Endpoints`, attached to the Services
//! kube-proxy uses them for (Services docs, "Custom EndpointSlices";
//! EndpointSlices docs; KEP-0752 "EndpointSliceMirroring Controller"):
//!
//! - a slice belongs to the Service its `kubernetes.io/service-name` label
//!   names, in its namespace; kube-proxy merges every such slice, whoever
//!   made it, so a hand-made slice serves beside a selector too. The slices
//!   the EndpointSlice controller makes from a selector
//!   (`managed-by: endpointslice-controller.k8s.io`, in a live dump) are
//!   what the selector gives, which the model already has;
//! - a legacy `Endpoints` object counts only as the mirroring controller
//!   copies it into slices: for a selector-less Service of the same name,
//!   unless labelled `endpointslice.kubernetes.io/skip-mirror: "true"` or
//!   already mirrored (a live dump holds both); its `notReadyAddresses`
//!   become endpoints that are not ready;
//! - an ExternalName Service is a DNS alias, which nothing proxies.

use super::*;
use crate::topology::endpoints::*;
use crate::topology::read::{anchor, join};

/// The API's cap on the endpoints of one slice (and of one `Endpoints`).
const MAX_ENDPOINTS: usize = 1000;

/// A slice read, before it is attached to its Service.
pub(super) struct Read {
    namespace: String,
    service: String,
    managed_by: Option<String>,
    /// A legacy `Endpoints` labelled `skip-mirror: "true"`.
    skip_mirror: bool,
    /// The object carries a `uid` or `resourceVersion`: it was read from
    /// the cluster, not written by hand.
    live: bool,
    slice: EndpointSlice,
}

impl Loader<'_> {
    /// An object's `metadata` and its labels (none when it has none).
    fn meta_labels<'n>(
        &mut self,
        l: &str,
        o: &Obj<'n>,
    ) -> (Option<&'n Node>, std::collections::BTreeMap<String, String>) {
        let meta = self.r.map(l, o.node, "", "metadata");
        let labels = meta
            .and_then(|m| self.r.labels(l, m, "metadata", "labels"))
            .map(|x| x.0)
            .unwrap_or_default();
        (meta, labels)
    }

    /// Reads an EndpointSlice; `None` when it names no Service or cannot
    /// be used at all (warned about).
    pub(super) fn endpoint_slice(&mut self, o: &Obj) -> Option<Read> {
        let label = o.label();
        let l = label.as_str();
        let (meta, labels) = self.meta_labels(l, o);
        let Some(service) = labels.get(SERVICE_NAME_LABEL).filter(|s| !s.is_empty()) else {
            self.r.info(
                o.name_span,
                format!("`{l}` has no `{SERVICE_NAME_LABEL}` label, so no Service uses it"),
            );
            return None;
        };
        let address_type = match self.r.str(l, o.node, "", "addressType") {
            Some(("IPv4", _)) => AddressType::Ipv4,
            Some(("IPv6", _)) => AddressType::Ipv6,
            Some(("FQDN", _)) => AddressType::Fqdn,
            Some((other, span)) => {
                self.r.warn(
                    span,
                    format!("`{l}`: `addressType` should be IPv4, IPv6 or FQDN, not `{other}`; the API refuses the slice"),
                );
                return None;
            }
            None => {
                self.r.warn(
                    o.name_span,
                    format!("`{l}` has no `addressType`; the API refuses the slice"),
                );
                return None;
            }
        };
        let ports = self.endpoint_ports(l, o.node, "", false);
        let mut endpoints = Vec::new();
        let list = self.r.seq(l, o.node, "", "endpoints");
        self.over_cap(l, "endpoints", list.len(), o.name_span);
        for (i, e) in list.iter().take(MAX_ENDPOINTS).enumerate() {
            let at = format!("endpoints[{i}]");
            if !self.r.is_map(l, e, &at) {
                continue;
            }
            let addresses = self.r.strings(l, e, &at, "addresses");
            let Some((address, span)) = addresses.into_iter().next() else {
                self.r.lacks(l, e, &at, "addresses");
                continue;
            };
            let ip = match address_type {
                AddressType::Fqdn => None,
                t => {
                    let path = format!("{at}.addresses[0]");
                    match self.r.parse_ip(l, &path, &address, span) {
                        Some(ip) if AddressType::of(ip) == t => Some(ip),
                        Some(_) => {
                            self.r.warn(
                                span,
                                format!(
                                    "`{l}`: `{path}` is not an {} address, as `addressType` says; the API refuses the slice",
                                    t.as_str()
                                ),
                            );
                            continue;
                        }
                        None => continue,
                    }
                }
            };
            let (ready, serving, terminating) = match self.r.map(l, e, &at, "conditions") {
                Some(c) => {
                    let cat = format!("{at}.conditions");
                    let ready = self.r.bool(l, c, &cat, "ready").unwrap_or(true);
                    (
                        ready,
                        self.r.bool(l, c, &cat, "serving").unwrap_or(true),
                        self.r.bool(l, c, &cat, "terminating").unwrap_or(false),
                    )
                }
                None => (true, true, false),
            };
            let pod = self.target_pod(l, e, &at, &o.namespace);
            endpoints.push(Endpoint {
                address,
                ip,
                ready,
                serving,
                terminating,
                pod,
                span: Some(span),
            });
        }
        let live =
            meta.is_some_and(|m| m.get("uid").is_some() || m.get("resourceVersion").is_some());
        Some(Read {
            namespace: o.namespace.clone(),
            service: service.clone(),
            managed_by: labels.get(MANAGED_BY_LABEL).cloned(),
            skip_mirror: false,
            live,
            slice: EndpointSlice {
                name: o.name.clone(),
                source: SliceSource::EndpointSlice,
                address_type,
                ports,
                endpoints,
                span: Some(o.name_span),
            },
        })
    }

    /// Reads a legacy `Endpoints`: each subset as the mirroring controller
    /// turns it into slices, one per address family.
    pub(super) fn legacy_endpoints(&mut self, o: &Obj) -> Vec<Read> {
        let label = o.label();
        let l = label.as_str();
        let (meta, labels) = self.meta_labels(l, o);
        let skip_mirror = labels
            .get("endpointslice.kubernetes.io/skip-mirror")
            .is_some_and(|v| v == "true");
        let live =
            meta.is_some_and(|m| m.get("uid").is_some() || m.get("resourceVersion").is_some());
        let mut out = Vec::new();
        let mut budget = MAX_ENDPOINTS;
        for (i, s) in self.r.seq(l, o.node, "", "subsets").iter().enumerate() {
            let at = format!("subsets[{i}]");
            if !self.r.is_map(l, s, &at) {
                continue;
            }
            let ports = self.endpoint_ports(l, s, &at, true);
            let mut by_family: Vec<EndpointSlice> = Vec::new();
            for (key, ready) in [("addresses", true), ("notReadyAddresses", false)] {
                let list = self.r.seq(l, s, &at, key);
                for (k, a) in list.iter().enumerate() {
                    let aat = format!("{at}.{key}[{k}]");
                    if !self.r.is_map(l, a, &aat) {
                        continue;
                    }
                    let Some((ip, span)) = self.r.ip(l, a, &aat, "ip") else {
                        if Reader::child(a, "ip").is_none() {
                            self.r.lacks(l, a, &aat, "ip");
                        }
                        continue;
                    };
                    if budget == 0 {
                        self.over_cap(l, "addresses", MAX_ENDPOINTS + 1, o.name_span);
                        break;
                    }
                    budget -= 1;
                    let pod = self.target_pod(l, a, &aat, &o.namespace);
                    let t = AddressType::of(ip);
                    let slice = match by_family.iter().position(|x| x.address_type == t) {
                        Some(x) => &mut by_family[x],
                        None => {
                            by_family.push(EndpointSlice {
                                name: o.name.clone(),
                                source: SliceSource::Endpoints,
                                address_type: t,
                                ports: ports.clone(),
                                endpoints: Vec::new(),
                                span: Some(o.name_span),
                            });
                            by_family.last_mut().expect("just pushed")
                        }
                    };
                    slice.endpoints.push(Endpoint {
                        address: ip.to_string(),
                        ip: Some(ip),
                        ready,
                        serving: ready,
                        terminating: false,
                        pod,
                        span: Some(span),
                    });
                }
            }
            out.extend(by_family.into_iter().map(|slice| Read {
                namespace: o.namespace.clone(),
                service: o.name.clone(),
                managed_by: None,
                skip_mirror,
                live,
                slice,
            }));
        }
        out
    }

    /// The `ports` of a slice (or of an `Endpoints` subset, under `at`):
    /// `name` (`""` when absent), `port`, `protocol`.
    fn endpoint_ports(
        &mut self,
        l: &str,
        parent: &Node,
        at: &str,
        legacy: bool,
    ) -> Vec<EndpointPort> {
        self.r.map_items(l, parent, at, "ports", |r, pat, p| {
            // A slice's port may be absent ("all ports", which kube-proxy
            // ignores); an `Endpoints` port may not.
            let port = if legacy {
                r.required_port(l, p, pat, "port")
            } else {
                r.port(l, p, pat, "port")
            };
            let name = r.str(l, p, pat, "name").map(|n| n.0.to_string());
            Some(EndpointPort {
                name: name.unwrap_or_default(),
                port: port.map(|x| x.0),
                protocol: r.protocol(l, p, pat),
                span: Some(port.map_or_else(|| anchor(p), |x| x.1)),
            })
        })
    }

    /// The modelled pod an endpoint's `targetRef` names.
    fn target_pod(&mut self, l: &str, e: &Node, at: &str, namespace: &str) -> Option<UnitId> {
        let t = self.r.map(l, e, at, "targetRef")?;
        let tat = join(at, "targetRef");
        if self.r.str(l, t, &tat, "kind").is_some_and(|k| k.0 != "Pod") {
            return None;
        }
        let (name, _) = self.r.str(l, t, &tat, "name")?;
        let ns = self
            .r
            .str(l, t, &tat, "namespace")
            .map_or(namespace, |n| n.0);
        let qualified = format!("{ns}/{name}");
        self.topo
            .units
            .iter()
            .position(|u| {
                matches!(&u.kind, UnitKind::Pod { namespace: n, .. } if n == ns)
                    && (u.name == name || u.name == qualified)
            })
            .map(UnitId)
    }

    fn over_cap(&mut self, l: &str, what: &str, n: usize, span: Span) {
        if n > MAX_ENDPOINTS {
            self.r.warn(
                span,
                format!("`{l}` has more than {MAX_ENDPOINTS} {what}, which the API refuses; only the first {MAX_ENDPOINTS} are read"),
            );
        }
    }

    /// Gives each Service the slices kube-proxy uses for it (module doc).
    pub(super) fn attach_slices(&mut self, reads: Vec<Read>) {
        let find = |topo: &Topology, ns: &str, name: &str| {
            topo.services
                .iter()
                .position(|s| s.namespace == ns && s.name == name)
        };
        // Services whose legacy `Endpoints` a live dump shows mirrored.
        let mirrored: Vec<usize> = reads
            .iter()
            .filter(|r| r.managed_by.as_deref() == Some(MIRROR_CONTROLLER))
            .filter_map(|r| find(&self.topo, &r.namespace, &r.service))
            .collect();
        for r in reads {
            let kind = match r.slice.source {
                SliceSource::EndpointSlice => "EndpointSlice",
                SliceSource::Endpoints => "Endpoints",
            };
            let l = format!("`{kind} {}`", r.slice.name);
            let span = r.slice.span.expect("read from a manifest");
            let Some(i) = find(&self.topo, &r.namespace, &r.service) else {
                if !r.live {
                    let by = match r.slice.source {
                        SliceSource::EndpointSlice => {
                            format!("its `{SERVICE_NAME_LABEL}` label names")
                        }
                        SliceSource::Endpoints => "it is named after".into(),
                    };
                    self.r.info(
                        span,
                        format!(
                            "{l}: {by} Service `{}`, which is not in the manifests; nothing uses it",
                            r.service
                        ),
                    );
                }
                continue;
            };
            let svc = &self.topo.services[i];
            let name = &svc.name;
            let why_not = match (r.slice.source, &svc.kind, svc.selector.is_some()) {
                (_, ServiceKind::ExternalName(_), _) => Some(format!(
                    "Service `{name}` is an ExternalName, which cluster DNS answers with a CNAME and nothing proxies"
                )),
                // What the selector gives, which the model has.
                (SliceSource::EndpointSlice, _, true)
                    if r.managed_by.as_deref() == Some(SLICE_CONTROLLER) =>
                {
                    continue;
                }
                (SliceSource::EndpointSlice, _, _) => None,
                (SliceSource::Endpoints, _, true) => Some(format!(
                    "Service `{name}` has a selector: the EndpointSliceMirroring controller copies only the `Endpoints` of selector-less Services, and kube-proxy reads only EndpointSlices"
                )),
                (SliceSource::Endpoints, _, false) if r.skip_mirror => Some(format!(
                    "it is labelled `endpointslice.kubernetes.io/skip-mirror: \"true\"`, so no EndpointSlice mirrors it for Service `{name}`, and kube-proxy reads only EndpointSlices"
                )),
                (SliceSource::Endpoints, _, false) if mirrored.contains(&i) => continue,
                (SliceSource::Endpoints, _, false) => None,
            };
            match why_not {
                Some(why) if !r.live => self.r.info(span, format!("{l} is not used: {why}")),
                Some(_) => {}
                None => self.topo.services[i].slices.push(r.slice),
            }
        }
    }
}

//! Networks: top-level `networks:` declarations (name, driver, external,
//! `ipam` subnet and gateway), a service's `networks` attachments, the
//! implicit networks services use (`default`, `bridge`, `host`), and each
//! replica's addresses with the names Docker's embedded DNS answers.

use super::definitions;
use super::loader::{FileLoader, Part};
use super::service::{NetMode, Peer, ServiceDef};
use crate::source::Span;
use crate::topology::read::{entries, loc};
use crate::topology::yaml::{Node, Value};
use crate::topology::{Address, AddressOrigin, Network, NetworkId, NetworkKind, PortKind};
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

/// A service's attachment to a network, by the network's key.
#[derive(Debug, Clone)]
pub(super) struct Attach {
    pub(super) key: String,
    pub(super) span: Span,
    pub(super) aliases: Vec<String>,
    pub(super) ipv4: Option<(IpAddr, Span)>,
}

impl Attach {
    /// An attachment to network `key` with no aliases and no fixed address.
    pub(super) fn new(key: impl Into<String>, span: Span) -> Attach {
        Attach {
            key: key.into(),
            span,
            aliases: Vec::new(),
            ipv4: None,
        }
    }
}

/// A top-level network as declared (or the implicit default).
#[derive(Debug, Clone)]
pub(super) struct NetDecl {
    pub(super) name: String,
    pub(super) kind: NetworkKind,
    pub(super) subnet: Option<String>,
    pub(super) gateway: Option<IpAddr>,
    pub(super) internal: bool,
    pub(super) external: bool,
    pub(super) span: Option<Span>,
}

impl NetDecl {
    /// A network of this name and kind, neither internal nor external, with
    /// no declared subnet.
    fn new(name: String, kind: NetworkKind, span: Option<Span>) -> NetDecl {
        NetDecl {
            name,
            kind,
            subnet: None,
            gateway: None,
            internal: false,
            external: false,
            span,
        }
    }
}

impl FileLoader<'_> {
    /// Top-level `networks:` plus nothing implicit (see [`Self::build`]).
    pub(super) fn top_networks(&mut self, doc: &Node) -> BTreeMap<String, NetDecl> {
        let mut out = BTreeMap::new();
        let Some(v) = self.section(doc, "networks") else {
            return out;
        };
        for (k, name, decl) in definitions(v) {
            let d = self.network_decl(name, k, decl);
            out.insert(name.to_string(), d);
        }
        out
    }

    fn network_decl(&mut self, key: &str, key_node: &Node, decl: &Node) -> NetDecl {
        let mut d = NetDecl::new(String::new(), NetworkKind::Bridge, Some(key_node.span));
        self.r
            .map_at_key(&format!("network `{key}`"), key_node, decl);
        let mut name = None;
        let mut driver = None;
        for (k, field, v) in entries(decl) {
            let what = format!("`{field}` of network `{key}`");
            match field {
                "name" => name = self.scalar(&what, k, v).map(|t| t.s),
                "external" => match &v.value {
                    // Legacy `external: {name: x}`.
                    Value::Map(_) => {
                        d.external = true;
                        if let Some((nk, nv)) = v.key("name").zip(v.get("name")) {
                            name = self
                                .scalar(&format!("`external.name` of network `{key}`"), nk, nv)
                                .map(|t| t.s);
                        }
                    }
                    _ => d.external = self.boolean(&what, k, v).unwrap_or(false),
                },
                "internal" => d.internal = self.boolean(&what, k, v).unwrap_or(false),
                "driver" => driver = self.scalar(&what, k, v).map(|t| t.s),
                "ipam" => self.ipam(key, k, v, &mut d),
                _ => {}
            }
        }
        d.name = match name {
            Some(n) => n,
            None if d.external => key.to_string(),
            None => format!("{}_{key}", self.project),
        };
        d.kind = match driver.as_deref() {
            Some("bridge") => NetworkKind::Bridge,
            Some("host") => NetworkKind::Host,
            Some(_) => NetworkKind::Other,
            None if d.external && d.name == "host" => NetworkKind::Host,
            None if d.external && d.name == "bridge" => NetworkKind::DefaultBridge,
            None if d.external => NetworkKind::Other,
            None => NetworkKind::Bridge,
        };
        d
    }

    fn ipam(&mut self, net: &str, key: &Node, v: &Node, d: &mut NetDecl) {
        if !self
            .r
            .map_at_key(&format!("`ipam` of network `{net}`"), key, v)
        {
            return;
        }
        let Some((ck, config)) = v.key("config").zip(v.get("config")) else {
            return;
        };
        for item in self
            .r
            .seq_at_key(&format!("`ipam.config` of network `{net}`"), ck, config)
        {
            if !item.is_map() {
                self.r.warn(
                    loc(item, ck),
                    format!(
                        "an item of `ipam.config` of network `{net}` must be a mapping, not {}",
                        item.type_name()
                    ),
                );
                continue;
            }
            let Some((sk, sv)) = item.key("subnet").zip(item.get("subnet")) else {
                continue;
            };
            let Some(subnet) = self.scalar(&format!("`subnet` of network `{net}`"), sk, sv) else {
                continue;
            };
            let s = subnet.s.trim();
            if s.contains(':') {
                continue; // IPv6: not modelled.
            }
            if s.parse::<Ipv4Net>().is_err() {
                self.r.warn(
                    subnet.inner(),
                    format!("`subnet` `{s}` of network `{net}` is not an IPv4 CIDR such as `172.28.0.0/16`"),
                );
                continue;
            }
            if d.subnet.is_some() {
                continue;
            }
            d.subnet = Some(s.to_string());
            if let Some((gk, gv)) = item.key("gateway").zip(item.get("gateway"))
                && let Some(g) = self.scalar(&format!("`gateway` of network `{net}`"), gk, gv)
            {
                match g.s.trim().parse::<IpAddr>() {
                    Ok(ip) => d.gateway = Some(ip),
                    Err(_) => self.r.warn(
                        g.inner(),
                        format!(
                            "`gateway` `{}` of network `{net}` is not an IP address",
                            g.s
                        ),
                    ),
                }
            }
        }
    }

    /// A service's `networks`, in list or mapping form (`aliases`,
    /// `ipv4_address`).
    pub(super) fn service_networks(
        &mut self,
        svc: &str,
        what: &str,
        key: &Node,
        v: &Node,
    ) -> Vec<Attach> {
        let mut out = Vec::new();
        match &v.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(t) = self.scalar(&format!("an item of {what}"), key, item) {
                        out.push(Attach::new(t.s.clone(), t.inner()));
                    }
                }
            }
            Value::Map(_) => {
                for (k, net, cfg) in entries(v) {
                    let mut a = Attach::new(net, k.span);
                    self.r
                        .map_at_key(&format!("network `{net}` of service `{svc}`"), k, cfg);
                    for (fk, field, fv) in entries(cfg) {
                        let what = format!("`networks.{net}.{field}` of service `{svc}`");
                        match field {
                            "aliases" => {
                                for item in self.r.seq_at_key(&what, fk, fv) {
                                    if let Some(t) =
                                        self.scalar(&format!("an item of {what}"), fk, item)
                                    {
                                        a.aliases.push(t.s);
                                    }
                                }
                            }
                            "ipv4_address" => {
                                if let Some(t) = self.scalar(&what, fk, fv) {
                                    match t.s.trim().parse::<IpAddr>() {
                                        Ok(ip @ IpAddr::V4(_)) => a.ipv4 = Some((ip, t.inner())),
                                        _ => self.r.warn(
                                            t.inner(),
                                            format!("{what} `{}` is not an IPv4 address", t.s),
                                        ),
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    out.push(a);
                }
            }
            Value::Null => {}
            _ => self.r.wrong_at_key(what, "a list or a mapping", key, v),
        }
        out
    }

    /// The document's networks, sorted by key: the declared ones plus those
    /// services use implicitly (`default`, `bridge`, `host`).
    pub(super) fn networks(
        &mut self,
        part: &mut Part,
        defs: &[ServiceDef],
        net_decls: &BTreeMap<String, NetDecl>,
    ) -> HashMap<String, (NetworkId, NetworkKind)> {
        let project = self.project.to_string();
        let mut nets: BTreeMap<String, NetDecl> = net_decls.clone();
        for d in defs {
            let implicit = match &d.network_mode {
                Some((NetMode::Bridge, _)) => Some((
                    "bridge".to_string(),
                    "bridge".to_string(),
                    NetworkKind::DefaultBridge,
                )),
                Some((NetMode::Host, _)) => {
                    Some(("host".to_string(), "host".to_string(), NetworkKind::Host))
                }
                Some((NetMode::Other(n), _)) => Some((n.clone(), n.clone(), NetworkKind::Other)),
                Some(_) => None,
                None => {
                    let uses_default = match &d.networks {
                        None => true,
                        Some((_, a)) => a.is_empty() || a.iter().any(|a| a.key == "default"),
                    };
                    uses_default.then(|| {
                        (
                            "default".to_string(),
                            format!("{project}_default"),
                            NetworkKind::Bridge,
                        )
                    })
                }
            };
            if let Some((key, name, kind)) = implicit {
                if let Some((NetMode::Other(n), span)) = &d.network_mode {
                    self.r.warn(
                        *span,
                        format!("`network_mode` `{n}` of service `{}` is not a mode compose knows; treated as a network created outside this project", d.name),
                    );
                }
                nets.entry(key).or_insert(NetDecl {
                    external: kind == NetworkKind::Other,
                    ..NetDecl::new(name, kind, None)
                });
            }
        }
        let mut net_ids: HashMap<String, (NetworkId, NetworkKind)> = HashMap::new();
        for (key, d) in &nets {
            net_ids.insert(key.clone(), (NetworkId(part.networks.len()), d.kind));
            let network = Network::new(key.clone(), d.name.clone(), d.kind, d.span)
                .addressed(d.subnet.clone(), d.gateway, AddressOrigin::Declared)
                .scope(d.internal, d.external);
            part.networks.push(network);
        }

        net_ids
    }

    /// Warnings for what Docker refuses on a container that joins another's
    /// network namespace (`validateNetContainerMode`).
    pub(super) fn joined_conflicts(&mut self, d: &ServiceDef) {
        let mode = d.network_mode.as_ref().map(|(m, _)| match m {
            NetMode::Join(Peer::Service(s)) => format!("service:{s}"),
            NetMode::Join(Peer::Container(c)) => format!("container:{c}"),
            _ => String::new(),
        });
        let mode = mode.unwrap_or_default();
        let mut conflict = |span: Option<Span>, what: &str| {
            if let Some(span) = span {
                self.r.warn(
                    span,
                    format!(
                        "service `{}` shares the network namespace of `{mode}`; Docker refuses `{what}` there (conflicting options), set it on the service that owns the namespace",
                        d.name
                    ),
                );
            }
        };
        let published = d.ports.items.iter().any(|p| p.kind == PortKind::Published);
        conflict(published.then_some(d.ports.key).flatten(), "ports");
        conflict(d.hostname.as_ref().map(|h| h.1), "hostname");
        conflict(d.links.written(), "links");
        conflict(d.extra_hosts.written(), "extra_hosts");
    }

    /// The attachments of one replica, with the names Docker's embedded DNS
    /// answers for it on each network.
    pub(super) fn addresses(
        &mut self,
        d: &ServiceDef,
        container: &str,
        net_ids: &HashMap<String, (NetworkId, NetworkKind)>,
        net_decls: &BTreeMap<String, NetDecl>,
    ) -> Vec<Address> {
        let attaches: Vec<Attach> = match &d.network_mode {
            Some((NetMode::None, _)) | Some((NetMode::Host, _)) => return Vec::new(),
            Some((NetMode::Bridge, span)) => vec![Attach::new("bridge", *span)],
            Some((NetMode::Other(n), span)) => vec![Attach::new(n.clone(), *span)],
            Some(_) => Vec::new(),
            None => match &d.networks {
                Some((_, a)) if !a.is_empty() => a.clone(),
                _ => vec![Attach::new("default", d.key_span)],
            },
        };
        let implicit_default =
            !matches!(&d.networks, Some((_, a)) if !a.is_empty()) && d.network_mode.is_none();
        let mut out: Vec<Address> = Vec::new();
        for a in attaches {
            let Some(&(network, kind)) = net_ids.get(&a.key) else {
                continue;
            };
            if out.iter().any(|x| x.network == network) {
                continue;
            }
            let decl = net_decls.get(&a.key);
            let dns_names = if matches!(kind, NetworkKind::DefaultBridge | NetworkKind::Host) {
                Vec::new()
            } else {
                let mut names = vec![d.name.clone(), container.to_string()];
                names.extend(a.aliases.iter().cloned());
                if let Some((h, _)) = &d.hostname {
                    names.push(h.clone());
                }
                let mut seen = HashSet::new();
                names.retain(|n| seen.insert(n.clone()));
                names
            };
            if let Some((ip, span)) = a.ipv4
                && let Some(n) = decl.filter(|n| !n.external)
            {
                match n.subnet.as_deref().and_then(|s| s.parse::<Ipv4Net>().ok()) {
                    None => self.r.error(
                        span,
                        format!("`ipv4_address` of service `{}` needs network `{}` to declare `ipam.config[].subnet`: user specified IP address is supported only when connecting to networks with user configured subnets", d.name, a.key),
                    ),
                    Some(net) if !matches!(ip, IpAddr::V4(v) if net.contains(&v)) => self.r.error(
                        span,
                        format!("`ipv4_address` `{ip}` of service `{}` is outside subnet `{net}` of network `{}`", d.name, a.key),
                    ),
                    Some(_) => {}
                }
            }
            let address = Address::modelled(network)
                .ip(a.ipv4.map(|ip| ip.0), AddressOrigin::Declared)
                .names(dns_names)
                .at((!implicit_default).then_some(a.span));
            out.push(address);
        }
        out
    }
}

//! upcheck's own JSON topology (`docs/topology-schema.md`, version 1): the
//! model's concepts stated directly — networks, units (network namespaces)
//! with their addresses, names and containers, listeners, ports, mounts,
//! Kubernetes Services, volumes and carried files — for the developer
//! portal and for orchestrators upcheck does not read.
//!
//! What the file states is kept as stated: listeners are
//! [`ProvenanceKind::Declared`] / [`Certainty::Stated`], and subnets and
//! addresses written in the file are [`AddressOrigin::Declared`]; what it
//! leaves open is modelled by the shared steps (listener inference, the
//! address plan). The tree is walked by hand like the other loaders: a wrong
//! type in one field is a located warning, unknown fields are ignored, a
//! missing or unsupported schema version is a located error.
//!
//! The tree is read with [`super::read::Reader`] in its JSON dialect.

use super::addressing::PlanOverrides;
use super::kubernetes::PortKeys;
use super::read::{Dialect, Reader, anchor, field};
use super::yaml::{self, Node, Value};
use super::*;
use ipnet::{IpNet, Ipv4Net};
use std::collections::HashMap;
use std::net::IpAddr;

/// The schema version this upcheck reads (`"upcheck": 1`).
pub const VERSION: i64 = 1;

/// Loads native topology files. The first readable file decides the
/// platform; later files add to it (a file of the other platform is an
/// error and is skipped). `cluster` settings of the file fill the address
/// plan where the caller's options leave it open.
pub fn load(
    sources: &SourceMap,
    files: &[FileId],
    opts: &LoadOptions,
    plan: &mut PlanOverrides,
) -> Topology {
    let mut ld = Loader {
        opts,
        r: Reader::new(Dialect::JSON),
        topo: None,
        networks: HashMap::new(),
        volume_units: Vec::new(),
        services: Vec::new(),
        pod_network: None,
        host_network: None,
    };
    for &f in files {
        let src = sources.get(f);
        match parse_json(f, src) {
            Ok(docs) if docs.is_empty() => ld.r.error(
                Span::new(f, 0, 0),
                format!(
                    "`{}` is empty; a native topology is a JSON object",
                    src.path
                ),
            ),
            Ok(docs) => {
                for d in &docs {
                    ld.document(d, plan);
                }
            }
            Err((msg, span)) => {
                ld.r.error(span, format!("cannot read `{}` as JSON: {msg}", src.path))
            }
        }
    }
    ld.finish()
}

/// Parses a JSON document into the span-carrying tree. Text that starts
/// like JSON is first checked by a JSON parser, so a syntax error (a
/// trailing comma, a missing value, nesting past its limit of 128) is
/// reported where it is rather than where YAML gives up; the tree itself
/// comes from [`yaml::parse_documents`] (JSON is YAML), which also rejects
/// duplicate keys. Text that does not start like JSON is read as YAML.
pub(super) fn parse_json(file: FileId, src: &SourceFile) -> Result<Vec<Node>, (String, Span)> {
    let text = String::from_utf8_lossy(&src.bytes);
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text)
        && std::str::from_utf8(&src.bytes).is_ok()
    {
        // serde_json counts lines from 1 and columns in bytes from 1.
        let line_start: usize = text
            .split_inclusive('\n')
            .take(e.line().saturating_sub(1))
            .map(str::len)
            .sum();
        let at = (line_start + e.column().saturating_sub(1)).min(src.bytes.len());
        let mut msg = e.to_string();
        if let Some(i) = msg.find(" at line ") {
            msg.truncate(i);
        }
        return Err((msg, Span::new(file, at, at)));
    }
    yaml::parse_documents(file, src)
}

// ---------------------------------------------------------------------------
// The loader

struct Loader<'a> {
    opts: &'a LoadOptions,
    r: Reader,
    topo: Option<Topology>,
    /// Networks by name and by key.
    networks: HashMap<String, NetworkId>,
    /// The unit each volume belongs to, by name, with the span of the name.
    volume_units: Vec<Option<(String, Span)>>,
    /// Services, read before every unit is known (selectors match at the end).
    services: Vec<Service>,
    pod_network: Option<NetworkId>,
    host_network: Option<NetworkId>,
}

const PLATFORMS: &[&str] = &["compose", "kubernetes"];

impl Loader<'_> {
    fn finish(mut self) -> Topology {
        let mut topo = self.topo.take().unwrap_or_else(|| empty(Platform::Compose));
        // Volumes that belong to a unit (Kubernetes pod volumes).
        for (i, owner) in self.volume_units.iter().enumerate() {
            if let Some((name, span)) = owner {
                match topo.units.iter().position(|u| &u.name == name) {
                    Some(u) => topo.volumes[i].unit = Some(UnitId(u)),
                    None => self.r.warn(
                        *span,
                        format!(
                            "`volume {}`: `unit` names unit `{name}`, which is not in `units`",
                            topo.volumes[i].name
                        ),
                    ),
                }
            }
        }
        for mut s in self.services {
            if let (Some(sel), false) =
                (&s.selector, matches!(s.kind, ServiceKind::ExternalName(_)))
            {
                s.selected = kubernetes::selected(&topo.units, &s.namespace, sel);
            }
            topo.services.push(s);
        }
        topo.diagnostics = self.r.sorted();
        topo
    }

    /// The non-empty `name` of the entry at `at`; an entry that is not an
    /// object or has no name is reported and skipped (`None`).
    fn name_of<'n>(&mut self, obj: &str, n: &'n Node, at: &str) -> Option<(&'n str, Span)> {
        if !self.r.is_map(obj, n, at) {
            return None;
        }
        let name = self
            .r
            .str(obj, n, at, "name")
            .filter(|(s, _)| !s.is_empty());
        if name.is_none() {
            self.r.error(
                anchor(n),
                format!("{} has no `name`; skipped", field(obj, at)),
            );
        }
        name
    }

    fn default_namespace(&self) -> String {
        self.opts
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into())
    }

    /// One top-level document.
    fn document(&mut self, doc: &Node, plan: &mut PlanOverrides) {
        if !doc.is_map() {
            self.r.error(
                anchor(doc),
                format!(
                    "a native topology should be a JSON object with `\"upcheck\": {VERSION}`, not {}",
                    doc.type_name()
                ),
            );
            return;
        }
        match doc.get("upcheck") {
            None => {
                self.r.error(
                    anchor(doc),
                    format!(
                        "not a native topology: `\"upcheck\": {VERSION}` (the schema version) is missing"
                    ),
                );
                return;
            }
            Some(v) => match v.value {
                Value::Int(VERSION) => {}
                Value::Int(n) => {
                    self.r.error(
                        v.span,
                        format!(
                            "native topology schema version {n} is not supported; this upcheck reads version {VERSION}"
                        ),
                    );
                    return;
                }
                _ => {
                    self.r.error(
                        v.span,
                        format!(
                            "`upcheck` should be the schema version, the number {VERSION}, not {}",
                            v.type_name()
                        ),
                    );
                    return;
                }
            },
        }
        let platform = match self.r.choice("", doc, "", "platform", PLATFORMS) {
            Some(("kubernetes", _)) => Platform::Kubernetes,
            Some(_) => Platform::Compose,
            None => {
                if Reader::child(doc, "platform").is_none() {
                    self.r.error(
                        anchor(doc),
                        "`platform` is missing: say `\"compose\"` or `\"kubernetes\"`".into(),
                    );
                } else {
                    self.r.error(
                        doc.get("platform").map_or(anchor(doc), |p| p.span),
                        "the document is skipped: its `platform` is not known".into(),
                    );
                }
                return;
            }
        };
        match &self.topo {
            Some(t) if t.platform != platform => {
                let at = doc.get("platform").map_or(anchor(doc), |p| p.span);
                self.r.error(
                    at,
                    format!(
                        "this document is {platform:?} but the topology is already {:?}; submit one kind of topology at a time",
                        t.platform
                    ),
                );
                return;
            }
            Some(_) => {}
            None => self.topo = Some(empty(platform)),
        }
        if let Some((p, _)) = self.r.str("", doc, "", "project") {
            let topo = self.topo.as_mut().expect("set above");
            if topo.project.is_none() && !p.is_empty() {
                topo.project = Some(p.to_string());
            }
        }
        if platform == Platform::Compose && self.topo.as_ref().is_some_and(|t| t.project.is_none())
        {
            self.topo.as_mut().expect("set").project = self.opts.project.clone();
        }
        if let Some(c) = self.r.map("", doc, "", "cluster") {
            self.cluster(c, platform, plan);
        }
        for (i, n) in self.r.seq("", doc, "", "networks").iter().enumerate() {
            self.network(n, i, platform);
        }
        for (i, v) in self.r.seq("", doc, "", "volumes").iter().enumerate() {
            self.volume(v, i);
        }
        // A declared pod network decides the pod CIDR unless the caller did.
        if let Some(id) = self.pod_network {
            let topo = self.topo.as_ref().expect("set");
            if plan.pod_cidr.is_none()
                && let Some(net) = topo.networks[id.0]
                    .subnet
                    .as_deref()
                    .and_then(|s| s.parse::<Ipv4Net>().ok())
            {
                plan.pod_cidr = Some(net);
            }
        }
        let domain = plan
            .cluster_domain
            .clone()
            .unwrap_or_else(|| "cluster.local".into());
        for (i, u) in self.r.seq("", doc, "", "units").iter().enumerate() {
            self.unit(u, i, platform, &domain);
        }
        for (i, s) in self.r.seq("", doc, "", "services").iter().enumerate() {
            if platform == Platform::Compose {
                self.r.warn(
                    anchor(s),
                    format!("`services[{i}]`: Services are Kubernetes objects; ignored on the compose platform"),
                );
                continue;
            }
            self.service(s, i);
        }
        for (i, f) in self.r.seq("", doc, "", "files").iter().enumerate() {
            self.file(f, i);
        }
    }

    fn cluster(&mut self, c: &Node, platform: Platform, plan: &mut PlanOverrides) {
        let o = "cluster";
        if platform == Platform::Compose {
            self.r.warn(
                anchor(c),
                "`cluster` describes a Kubernetes cluster; ignored on the compose platform".into(),
            );
            return;
        }
        let cidr = |r: &mut Reader, key: &str| -> Option<Ipv4Net> {
            let (s, span) = r.str(o, c, "", key)?;
            match s.parse::<Ipv4Net>() {
                Ok(n) => Some(n.trunc()),
                Err(_) => {
                    r.warn(
                        span,
                        format!("`cluster.{key}` should be an IPv4 CIDR such as `10.244.0.0/16`, not `{s}`"),
                    );
                    None
                }
            }
        };
        if let Some(n) = cidr(&mut self.r, "pod_cidr")
            && plan.pod_cidr.is_none()
        {
            plan.pod_cidr = Some(n);
        }
        if let Some(n) = cidr(&mut self.r, "service_cidr")
            && plan.service_cidr.is_none()
        {
            plan.service_cidr = Some(n);
        }
        match self.r.ip(o, c, "", "dns_ip") {
            Some((IpAddr::V4(ip), _)) if plan.dns_ip.is_none() => plan.dns_ip = Some(ip),
            Some((IpAddr::V6(_), span)) => self.r.warn(
                span,
                "`cluster.dns_ip` should be an IPv4 address (the address plan is IPv4)".into(),
            ),
            _ => {}
        }
        if let Some((d, _)) = self.r.str(o, c, "", "domain")
            && plan.cluster_domain.is_none()
            && !d.is_empty()
        {
            plan.cluster_domain = Some(d.trim_end_matches('.').to_string());
        }
    }

    fn network(&mut self, n: &Node, i: usize, platform: Platform) {
        let at = format!("networks[{i}]");
        let Some((name, name_span)) = self.name_of("", n, &at) else {
            return;
        };
        let o = format!("network {name}");
        let key = self
            .r
            .str(&o, n, "", "key")
            .map(|k| k.0.to_string())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| name.to_string());
        if self.networks.contains_key(name) || self.networks.contains_key(&key) {
            self.r.warn(
                name_span,
                format!("network `{name}` is declared twice; the first declaration is kept"),
            );
            return;
        }
        let default_kind = match platform {
            Platform::Compose => NetworkKind::Bridge,
            Platform::Kubernetes => NetworkKind::Pod,
        };
        let kind = match self.r.choice(
            &o,
            n,
            "",
            "kind",
            &["bridge", "default_bridge", "host", "pod", "other"],
        ) {
            Some(("bridge", _)) => NetworkKind::Bridge,
            Some(("default_bridge", _)) => NetworkKind::DefaultBridge,
            Some(("host", _)) => NetworkKind::Host,
            Some(("pod", _)) => NetworkKind::Pod,
            Some(_) => NetworkKind::Other,
            None => default_kind,
        };
        let subnet =
            self.r
                .str(&o, n, "", "subnet")
                .and_then(|(s, span)| match s.parse::<IpNet>() {
                    Ok(net) => {
                        if net.trunc() != net {
                            self.r.warn(
                                span,
                                format!(
                                    "`{o}`: `subnet` `{s}` has host bits set; read as `{}`",
                                    net.trunc()
                                ),
                            );
                        }
                        Some(net.trunc().to_string())
                    }
                    Err(_) => {
                        self.r.warn(
                        span,
                        format!(
                            "`{o}`: `subnet` should be a CIDR such as `192.168.48.0/20`, not `{s}`"
                        ),
                    );
                        None
                    }
                });
        let gateway = self.r.ip(&o, n, "", "gateway").map(|g| g.0);
        if let (Some(gw), Some(sub)) = (
            gateway,
            subnet.as_deref().and_then(|s| s.parse::<IpNet>().ok()),
        ) && !sub.contains(&gw)
        {
            let span = n.get("gateway").map_or(name_span, |g| g.span);
            self.r.warn(
                span,
                format!("`{o}`: `gateway` {gw} is outside subnet {sub}"),
            );
        }
        let internal = self.r.bool(&o, n, "", "internal").unwrap_or(false);
        let external = self.r.bool(&o, n, "", "external").unwrap_or(false);
        let topo = self.topo.as_mut().expect("platform known");
        let id = NetworkId(topo.networks.len());
        topo.networks.push(Network {
            key: key.clone(),
            name: name.to_string(),
            kind,
            origin: if subnet.is_some() {
                AddressOrigin::Declared
            } else {
                AddressOrigin::Modelled
            },
            subnet,
            gateway,
            internal,
            external,
            span: Some(name_span),
        });
        self.networks.insert(name.to_string(), id);
        self.networks.insert(key, id);
        match kind {
            NetworkKind::Pod => {
                self.pod_network.get_or_insert(id);
            }
            NetworkKind::Host => {
                self.host_network.get_or_insert(id);
            }
            _ => {}
        }
    }

    fn volume(&mut self, v: &Node, i: usize) {
        let at = format!("volumes[{i}]");
        let Some((name, name_span)) = self.name_of("", v, &at) else {
            return;
        };
        let o = format!("volume {name}");
        let unit = self
            .r
            .str(&o, v, "", "unit")
            .map(|(u, s)| (u.to_string(), s));
        let topo = self.topo.as_ref().expect("platform known");
        let dup = topo.volumes.iter().enumerate().any(|(j, x)| {
            x.name == name
                && self.volume_units[j].as_ref().map(|u| &u.0) == unit.as_ref().map(|u| &u.0)
        });
        if dup {
            self.r.warn(
                name_span,
                format!("volume `{name}` is declared twice; the first declaration is kept"),
            );
            return;
        }
        let source = self.r.str(&o, v, "", "source").map(|s| s.0.to_string());
        let kind = match self.r.choice(
            &o,
            v,
            "",
            "kind",
            &[
                "named",
                "bind",
                "anonymous",
                "empty_dir",
                "config_map",
                "secret",
                "tmpfs",
                "other",
            ],
        ) {
            None | Some(("named", _)) => VolumeKind::Named,
            Some(("bind", _)) => VolumeKind::Bind(source.unwrap_or_else(|| name.to_string())),
            Some(("anonymous", _)) => VolumeKind::Anonymous,
            Some(("empty_dir", _)) => VolumeKind::EmptyDir,
            Some(("config_map", _)) => {
                VolumeKind::ConfigMap(source.unwrap_or_else(|| name.to_string()))
            }
            Some(("secret", _)) => VolumeKind::Secret(source.unwrap_or_else(|| name.to_string())),
            Some(("tmpfs", _)) => VolumeKind::Tmpfs,
            Some(_) => VolumeKind::Other,
        };
        let topo = self.topo.as_mut().expect("platform known");
        topo.volumes.push(Volume {
            name: name.to_string(),
            kind,
            unit: None,
            span: Some(name_span),
        });
        self.volume_units.push(unit);
    }

    fn unit(&mut self, u: &Node, i: usize, platform: Platform, domain: &str) {
        let at = format!("units[{i}]");
        let Some((name, name_span)) = self.name_of("", u, &at) else {
            return;
        };
        let o = format!("unit {name}");
        if self
            .topo
            .as_ref()
            .is_some_and(|t| t.units.iter().any(|x| x.name == name))
        {
            self.r.warn(
                name_span,
                format!("unit `{name}` is declared twice; the first declaration is kept"),
            );
            return;
        }
        let host_network = self.r.bool(&o, u, "", "host_network").unwrap_or(false);
        let namespace = self
            .r
            .str(&o, u, "", "namespace")
            .map(|n| n.0.to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.default_namespace());
        let kinds: &[&str] = match platform {
            Platform::Compose => &["service", "container", "host"],
            Platform::Kubernetes => &["pod", "host"],
        };
        let kind_name = self.r.choice(&o, u, "", "kind", kinds).map(|k| k.0);
        let service_name = self
            .r
            .str(&o, u, "", "service")
            .map(|s| s.0.to_string())
            .unwrap_or_else(|| name.to_string());
        let kind = match (platform, kind_name) {
            (_, Some("host")) => UnitKind::Host,
            (Platform::Compose, Some("container")) => UnitKind::DockerContainer,
            (Platform::Compose, _) => UnitKind::ComposeService {
                service: service_name.clone(),
                replica: self.count(&o, u, "replica", 1),
            },
            (Platform::Kubernetes, _) => UnitKind::Pod {
                workload_kind: self
                    .r
                    .str(&o, u, "", "workload_kind")
                    .map_or_else(|| "Pod".to_string(), |w| w.0.to_string()),
                workload: self
                    .r
                    .str(&o, u, "", "workload")
                    .map_or_else(|| name.to_string(), |w| w.0.to_string()),
                namespace: namespace.clone(),
                index: self.count(&o, u, "index", 0),
            },
        };
        let labels = self
            .r
            .labels(&o, u, "", "labels")
            .map(|l| l.0)
            .unwrap_or_default();
        let addresses = self.addresses(&o, u, platform, host_network);
        let no_network = platform == Platform::Compose && addresses.is_empty() && !host_network;
        let hostname = match self.r.str(&o, u, "", "hostname") {
            Some((h, _)) => Some(h.to_string()),
            None if host_network => None,
            None => Some(name.to_string()),
        };
        let mut extra_hosts = Vec::new();
        for (j, h) in self.r.seq(&o, u, "", "extra_hosts").iter().enumerate() {
            let hat = format!("extra_hosts[{j}]");
            let host = self.r.str(&o, h, &hat, "name");
            let ip = self.r.str(&o, h, &hat, "ip");
            match (host, ip) {
                (Some((n, span)), Some((ip, _))) => {
                    if ip != "host-gateway"
                        && ip
                            .trim_matches(|c| c == '[' || c == ']')
                            .parse::<IpAddr>()
                            .is_err()
                    {
                        self.r.warn(
                            span,
                            format!("`{o}`: `{hat}.ip` should be an IP address or `host-gateway`, not `{ip}`"),
                        );
                    }
                    extra_hosts.push(HostEntry {
                        name: n.to_string(),
                        ip: ip.to_string(),
                        span: Some(span),
                    });
                }
                _ => self
                    .r
                    .warn(anchor(h), format!("`{o}`: `{hat}` needs `name` and `ip`")),
            }
        }
        let mut links = Vec::new();
        for (j, l) in self.r.seq(&o, u, "", "links").iter().enumerate() {
            let lat = format!("links[{j}]");
            let Some((svc, span)) = self.r.str(&o, l, &lat, "service") else {
                self.r
                    .warn(anchor(l), format!("`{o}`: `{lat}` needs `service`"));
                continue;
            };
            let alias = self
                .r
                .str(&o, l, &lat, "alias")
                .map_or_else(|| svc.to_string(), |a| a.0.to_string());
            links.push(Link {
                service: svc.to_string(),
                alias,
                span: Some(span),
            });
        }
        let dns = self.dns(&o, u, platform, host_network, &namespace, domain);
        let default_service = match &kind {
            UnitKind::ComposeService { service, .. } => Some(service.clone()),
            _ => None,
        };
        let mut containers = Vec::new();
        for (j, c) in self.r.seq(&o, u, "", "containers").iter().enumerate() {
            if let Some(c) = self.container(c, j, name, platform, default_service.as_deref()) {
                if containers.iter().any(|x: &Container| x.name == c.name) {
                    self.r.warn(
                        c.span.unwrap_or(name_span),
                        format!("`{o}`: container `{}` is declared twice", c.name),
                    );
                    continue;
                }
                containers.push(c);
            }
        }
        if containers.is_empty() {
            self.r.warn(
                name_span,
                format!("`{o}` has no containers: nothing runs in it"),
            );
        }
        let topo = self.topo.as_mut().expect("platform known");
        topo.units.push(Unit {
            name: name.to_string(),
            kind,
            containers,
            addresses,
            labels,
            hostname,
            host_network,
            no_network,
            extra_hosts,
            links,
            dns,
            span: Some(name_span),
        });
    }

    /// A non-negative count such as `replica` or `index`.
    fn count(&mut self, o: &str, u: &Node, key: &str, default: u32) -> u32 {
        match self.r.int(o, u, "", key) {
            None => default,
            Some((n, span)) => u32::try_from(n).unwrap_or_else(|_| {
                self.r.warn(
                    span,
                    format!("`{o}`: `{key}` should be a non-negative number, not {n}"),
                );
                default
            }),
        }
    }

    fn addresses(
        &mut self,
        o: &str,
        u: &Node,
        platform: Platform,
        host_network: bool,
    ) -> Vec<Address> {
        let mut out: Vec<Address> = Vec::new();
        for (j, a) in self.r.seq(o, u, "", "networks").iter().enumerate() {
            let aat = format!("networks[{j}]");
            if !self.r.is_map(o, a, &aat) {
                continue;
            }
            let Some((net, span)) = self.r.str(o, a, &aat, "network") else {
                self.r.lacks(o, a, &aat, "network");
                continue;
            };
            let Some(&id) = self.networks.get(net) else {
                self.r.error(
                    span,
                    format!("`{o}` joins network `{net}`, which is not in `networks`"),
                );
                continue;
            };
            if out.iter().any(|x| x.network == id) {
                self.r.warn(
                    span,
                    format!("`{o}` joins network `{net}` twice; the first is kept"),
                );
                continue;
            }
            let ip = self.r.ip(o, a, &aat, "ip");
            if let Some((ip, ip_span)) = ip {
                let topo = self.topo.as_ref().expect("platform known");
                let n = &topo.networks[id.0];
                if let Some(sub) = n.subnet.as_deref().and_then(|s| s.parse::<IpNet>().ok())
                    && !sub.contains(&ip)
                {
                    self.r.warn(
                        ip_span,
                        format!("`{o}`: address {ip} is outside subnet {sub} of network `{net}`"),
                    );
                }
            }
            let names = self
                .r
                .strings(o, a, &aat, "names")
                .into_iter()
                .map(|n| n.0)
                .fold(Vec::new(), |mut acc: Vec<String>, n| {
                    if !acc.contains(&n) {
                        acc.push(n);
                    }
                    acc
                });
            out.push(Address {
                network: id,
                ip: ip.map(|i| i.0),
                origin: if ip.is_some() {
                    AddressOrigin::Declared
                } else {
                    AddressOrigin::Modelled
                },
                dns_names: names,
                span: Some(span),
            });
        }
        if out.is_empty() && (host_network || platform == Platform::Kubernetes) {
            let id = if host_network {
                self.implicit_network(NetworkKind::Host)
            } else {
                self.implicit_network(NetworkKind::Pod)
            };
            out.push(Address {
                network: id,
                ip: None,
                origin: AddressOrigin::Modelled,
                dns_names: Vec::new(),
                span: None,
            });
        }
        out
    }

    /// The pod or host network, created when the file declares none.
    fn implicit_network(&mut self, kind: NetworkKind) -> NetworkId {
        let slot = if kind == NetworkKind::Host {
            &mut self.host_network
        } else {
            &mut self.pod_network
        };
        if let Some(id) = slot {
            return *id;
        }
        let topo = self.topo.as_mut().expect("platform known");
        let network = kubernetes::modelled_network(kind);
        let id = NetworkId(topo.networks.len());
        *slot = Some(id);
        self.networks.entry(network.key.clone()).or_insert(id);
        topo.networks.push(network);
        id
    }

    fn dns(
        &mut self,
        o: &str,
        u: &Node,
        platform: Platform,
        host_network: bool,
        namespace: &str,
        domain: &str,
    ) -> DnsConfig {
        let mut dns = if platform == Platform::Kubernetes && !host_network {
            kubernetes::cluster_dns(namespace, domain)
        } else {
            DnsConfig::default()
        };
        let Some(d) = self.r.map(o, u, "", "dns") else {
            return dns;
        };
        if Reader::child(d, "nameservers").is_some() {
            dns.nameservers.clear();
            for (j, n) in self.r.seq(o, d, "dns", "nameservers").iter().enumerate() {
                let path = format!("dns.nameservers[{j}]");
                if let Some((s, span)) = self.r.str_of(o, n, &path)
                    && let Some(ip) = self.r.parse_ip(o, &path, s, span)
                {
                    dns.nameservers.push(ip);
                }
            }
        }
        if Reader::child(d, "search").is_some() {
            dns.search = self
                .r
                .strings(o, d, "dns", "search")
                .into_iter()
                .map(|s| s.0)
                .collect();
        }
        if let Some((n, span)) = self.r.int(o, d, "dns", "ndots") {
            match u8::try_from(n) {
                Ok(n) if n <= 15 => dns.ndots = n,
                _ => self
                    .r
                    .warn(span, format!("`{o}`: `dns.ndots` should be 0-15, not {n}")),
            }
        }
        dns
    }

    fn container(
        &mut self,
        c: &Node,
        j: usize,
        unit: &str,
        platform: Platform,
        default_service: Option<&str>,
    ) -> Option<Container> {
        let uo = format!("unit {unit}");
        let cat = format!("containers[{j}]");
        let (name, name_span) = self.name_of(&uo, c, &cat)?;
        let o = format!("container {unit}/{name}");
        let o = o.as_str();
        let role = match self
            .r
            .choice(o, c, "", "role", &["main", "init", "sidecar"])
        {
            Some(("init", _)) => ContainerRole::Init,
            Some(("sidecar", _)) => ContainerRole::Sidecar,
            _ => ContainerRole::Main,
        };
        let service = self
            .r
            .str(o, c, "", "service")
            .map(|s| s.0.to_string())
            .or_else(|| default_service.map(str::to_string));
        let image = self.r.str(o, c, "", "image").map(|i| i.0.to_string());
        let entrypoint = self.argv(o, c, "entrypoint");
        let command = self.argv(o, c, "command");
        let env = self
            .r
            .string_map(o, c, "", "env")
            .into_iter()
            .map(|(name, value, span)| EnvVar {
                name,
                value,
                span: Some(span),
            })
            .collect();
        let mut ports = Vec::new();
        for (k, p) in self.r.seq(o, c, "", "ports").iter().enumerate() {
            if let Some(p) = self.declared_port(o, p, k, platform) {
                ports.push(p);
            }
        }
        let mut listeners = Vec::new();
        for (k, l) in self.r.seq(o, c, "", "listeners").iter().enumerate() {
            if let Some(l) = self.listener(o, l, k) {
                listeners.push(l);
            }
        }
        let mut mounts = Vec::new();
        for (k, m) in self.r.seq(o, c, "", "mounts").iter().enumerate() {
            let mat = format!("mounts[{k}]");
            let vol = self.r.str(o, m, &mat, "volume");
            let target = self.r.str(o, m, &mat, "target");
            let (Some((vol, vspan)), Some((target, tspan))) = (vol, target) else {
                self.r.warn(
                    anchor(m),
                    format!("`{o}`: `{mat}` needs `volume` and `target`"),
                );
                continue;
            };
            let topo = self.topo.as_ref().expect("platform known");
            // The unit's own volume of that name first, then a shared one.
            let owned =
                |i: &usize| self.volume_units[*i].as_ref().map(|u| u.0.as_str()) == Some(unit);
            let shared = |i: &usize| self.volume_units[*i].is_none();
            let named = || (0..topo.volumes.len()).filter(|i| topo.volumes[*i].name == vol);
            let Some(volume) = named().find(owned).or_else(|| named().find(shared)) else {
                self.r.warn(
                    vspan,
                    format!("`{o}`: `{mat}` mounts volume `{vol}`, which is not in `volumes`"),
                );
                continue;
            };
            if !target.starts_with('/') {
                self.r.warn(
                    tspan,
                    format!("`{o}`: `{mat}.target` should be an absolute path, not `{target}`"),
                );
            }
            mounts.push(Mount {
                volume,
                target: target.to_string(),
                read_only: self.r.bool(o, m, &mat, "read_only").unwrap_or(false),
                sub_path: self
                    .r
                    .str(o, m, &mat, "sub_path")
                    .map(|s| s.0.to_string())
                    .filter(|s| !s.is_empty()),
                span: Some(tspan),
            });
        }
        Some(Container {
            name: name.to_string(),
            service,
            image,
            role,
            entrypoint,
            command,
            env,
            ports,
            listeners,
            mounts,
            is_nginx: false,
            span: Some(name_span),
        })
    }

    /// An argv list (`["gunicorn", "-b", "0.0.0.0:8000", "app:app"]`).
    fn argv(&mut self, o: &str, c: &Node, key: &str) -> Vec<String> {
        if let Some(n) = Reader::child(c, key)
            && n.as_str().is_some()
        {
            self.r.warn(
                n.span,
                format!("`{o}`: `{key}` should be a list of arguments (argv), not a string"),
            );
            return Vec::new();
        }
        self.r.texts(o, c, "", key)
    }

    fn declared_port(
        &mut self,
        o: &str,
        p: &Node,
        k: usize,
        platform: Platform,
    ) -> Option<DeclaredPort> {
        let pat = format!("ports[{k}]");
        if !self.r.is_map(o, p, &pat) {
            return None;
        }
        let (port, span) = self.r.required_port(o, p, &pat, "port")?;
        let host = self.r.port(o, p, &pat, "host_port");
        let kind = match self.r.choice(
            o,
            p,
            &pat,
            "kind",
            &["published", "exposed", "container_port", "image_exposed"],
        ) {
            Some(("published", _)) => PortKind::Published,
            Some(("exposed", _)) => PortKind::Exposed,
            Some(("container_port", _)) => PortKind::ContainerPort,
            Some(_) => PortKind::ImageExposed,
            None if host.is_some() && platform == Platform::Compose => PortKind::Published,
            None if platform == Platform::Compose => PortKind::Exposed,
            None => PortKind::ContainerPort,
        };
        Some(DeclaredPort {
            kind,
            container_port: port,
            host_port: host.map(|h| h.0),
            host_ip: self.r.str(o, p, &pat, "host_ip").map(|h| h.0.to_string()),
            protocol: self.r.protocol(o, p, &pat),
            name: self.r.str(o, p, &pat, "name").map(|n| n.0.to_string()),
            span: Some(span),
            host_span: host.map(|h| h.1),
        })
    }

    fn listener(&mut self, o: &str, l: &Node, k: usize) -> Option<Listener> {
        let lat = format!("listeners[{k}]");
        if !self.r.is_map(o, l, &lat) {
            return None;
        }
        let port = self.r.port(o, l, &lat, "port");
        let unix = self.r.str(o, l, &lat, "unix");
        let ipv6_only = self.r.bool(o, l, &lat, "ipv6_only").unwrap_or(false);
        let bind = self.r.str(o, l, &lat, "bind").and_then(|(b, span)| {
            let parsed = match b {
                "*" => Some(Bind::Any),
                "0.0.0.0" => Some(Bind::AnyV4),
                "::" | "[::]" if ipv6_only => Some(Bind::AnyV6),
                "::" | "[::]" => Some(Bind::Any),
                other => other
                    .trim_matches(|c| c == '[' || c == ']')
                    .parse::<IpAddr>()
                    .ok()
                    .map(Bind::Ip),
            };
            if parsed.is_none() {
                self.r.warn(
                    span,
                    format!("`{o}`: `{lat}.bind` should be an IP address, `0.0.0.0`, `::` or `*`, not `{b}`"),
                );
            }
            parsed
        });
        let (port, bind, span) = match (port, unix) {
            (Some(_), Some((_, span))) => {
                self.r.warn(
                    span,
                    format!("`{o}`: `{lat}` has both `port` and `unix`; say one"),
                );
                return None;
            }
            (None, None) => {
                if Reader::child(l, "port").is_none() {
                    self.r.warn(
                        anchor(l),
                        format!("`{o}`: `{lat}` needs `port` (a TCP/UDP listener) or `unix` (a socket path)"),
                    );
                }
                return None;
            }
            (Some((p, span)), None) => (Some(p), bind, span),
            (None, Some((path, span))) => {
                if bind.is_some() {
                    self.r.warn(
                        span,
                        format!("`{o}`: `{lat}.bind` does not apply to a unix socket; ignored"),
                    );
                }
                (None, Some(Bind::Unix(path.to_string())), span)
            }
        };
        let app_protocol = match self.r.choice(
            o,
            l,
            &lat,
            "speaks",
            &["http", "uwsgi", "fastcgi", "grpc", "raw"],
        ) {
            Some(("http", _)) => Some(AppProtocol::Http),
            Some(("uwsgi", _)) => Some(AppProtocol::Uwsgi),
            Some(("fastcgi", _)) => Some(AppProtocol::Fastcgi),
            Some(("grpc", _)) => Some(AppProtocol::Grpc),
            Some(_) => Some(AppProtocol::Raw),
            None => None,
        };
        let protocol = self.r.protocol(o, l, &lat);
        let note = self.r.str(o, l, &lat, "note").map(|n| n.0.to_string());
        let mut listener = Listener {
            port,
            protocol,
            bind,
            app_protocol,
            provenance: Provenance {
                kind: ProvenanceKind::Declared,
                detail: String::new(),
                span: Some(span),
            },
            certainty: Certainty::Stated,
        };
        listener.provenance.detail = match note {
            Some(n) => format!("declared {}: {n}", render::listener_text(&listener)),
            None => format!("declared {}", render::listener_text(&listener)),
        };
        Some(listener)
    }

    fn service(&mut self, s: &Node, i: usize) {
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
            self.r.warn(
                name_span,
                format!(
                    "service `{namespace}/{name}` is declared twice; the first declaration is kept"
                ),
            );
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
                match self.r.str(o, s, "", "external_name") {
                    Some((n, _)) => ServiceKind::ExternalName(n.to_string()),
                    None => {
                        self.r.warn(
                            span,
                            format!("`{o}` is of type external_name but has no `external_name`"),
                        );
                        ServiceKind::ExternalName(String::new())
                    }
                }
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
        });
    }

    fn file(&mut self, f: &Node, i: usize) {
        let at = format!("files[{i}]");
        if !self.r.is_map("", f, &at) {
            return;
        }
        let unit = self.r.str("", f, &at, "unit");
        let container = self.r.str("", f, &at, "container");
        let path = self.r.str("", f, &at, "path");
        let content = Reader::child(f, "content");
        let (Some((unit, uspan)), Some((container, cspan)), Some((path, pspan)), Some(content)) =
            (unit, container, path, content)
        else {
            self.r.warn(
                anchor(f),
                format!("`{at}` needs `unit`, `container`, `path` and `content`"),
            );
            return;
        };
        let Some((content, content_span)) = self.r.str_of("", content, &format!("{at}.content"))
        else {
            return;
        };
        if !path.starts_with('/') {
            self.r.warn(
                pspan,
                format!("`{at}.path` should be an absolute path in the container, not `{path}`"),
            );
        }
        let topo = self.topo.as_mut().expect("platform known");
        let Some(u) = topo.units.iter().position(|x| x.name == unit) else {
            self.r.warn(
                uspan,
                format!("`{at}`: unit `{unit}` is not in `units`; the file is not placed"),
            );
            return;
        };
        let Some(c) = topo.units[u]
            .containers
            .iter()
            .position(|x| x.name == container)
        else {
            self.r.warn(
                cspan,
                format!(
                    "`{at}`: unit `{unit}` has no container `{container}`; the file is not placed"
                ),
            );
            return;
        };
        topo.mounted_files.push(MountedFile {
            unit: UnitId(u),
            container: c,
            path: path.to_string(),
            content: content.to_string(),
            span: Some(content_span),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> (Topology, SourceMap) {
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::new("topology.json", text));
        let topo = super::super::load(
            &sources,
            &[Document {
                file,
                format: Some(Format::Native),
            }],
            &LoadOptions::default(),
        );
        (topo, sources)
    }

    fn messages(t: &Topology) -> Vec<String> {
        t.diagnostics.iter().map(|d| d.message.clone()).collect()
    }

    const SEED: &str = r#"{
  "upcheck": 1,
  "platform": "compose",
  "project": "seed",
  "networks": [{"name": "seed_default", "key": "default", "subnet": "192.168.48.0/20"}],
  "units": [
    {"name": "model-test02", "service": "model_test",
     "networks": [{"network": "default", "ip": "192.168.48.2", "names": ["model_test", "model-test02"]}],
     "containers": [{"name": "model-test02", "image": "model-test:latest",
       "command": ["flask", "run", "--host=0.0.0.0", "--port=6001"],
       "listeners": [{"port": 6001, "bind": "0.0.0.0", "speaks": "http"}]}]},
    {"name": "nginx-test02", "service": "nginx",
     "networks": [{"network": "default", "ip": "192.168.48.3", "names": ["nginx", "nginx-test02"]}],
     "containers": [{"name": "nginx-test02", "image": "nginx:1.27",
       "ports": [{"port": 9001, "host_port": 9001}]}]}
  ]
}"#;

    #[test]
    fn the_seed_loads_as_stated() {
        let (t, _) = load_text(SEED);
        assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
        assert_eq!(t.platform, Platform::Compose);
        assert_eq!(t.project.as_deref(), Some("seed"));
        assert_eq!(t.networks[0].origin, AddressOrigin::Declared);
        assert_eq!(t.networks[0].gateway, Some("192.168.48.1".parse().unwrap()));
        let model = &t.units[0];
        assert_eq!(
            model.kind,
            UnitKind::ComposeService {
                service: "model_test".into(),
                replica: 1
            }
        );
        assert_eq!(model.containers[0].service.as_deref(), Some("model_test"));
        assert_eq!(model.addresses[0].origin, AddressOrigin::Declared);
        // The command says the same as the declaration; listener
        // inference keeps one listener for the port.
        let l = &model.containers[0].listeners;
        let l6001 = l.iter().find(|l| l.port == Some(6001)).expect("listener");
        assert_eq!(l6001.bind, Some(Bind::AnyV4));
        assert_eq!(l6001.certainty, Certainty::Stated);
        assert_eq!(l6001.app_protocol, Some(AppProtocol::Http));
        assert!(t.units[1].containers[0].is_nginx);
        let rows = render::address_table(&t);
        assert_eq!(rows[1].ip, Some("192.168.48.3".parse().unwrap()));
        assert_eq!(rows[1].prefix_len, Some(20));
        assert_eq!(rows[1].origin, AddressOrigin::Declared);
    }

    #[test]
    fn open_addresses_are_modelled() {
        let text = r#"{"upcheck": 1, "platform": "compose",
          "networks": [{"name": "app_default"}],
          "units": [{"name": "web", "networks": [{"network": "app_default", "names": ["web"]}],
                     "containers": [{"name": "web"}]},
                    {"name": "lonely", "containers": [{"name": "lonely"}]}]}"#;
        let (t, _) = load_text(text);
        assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
        assert_eq!(t.networks[0].subnet.as_deref(), Some("172.18.0.0/16"));
        assert_eq!(t.networks[0].origin, AddressOrigin::Modelled);
        assert_eq!(
            t.units[0].addresses[0].ip,
            Some("172.18.0.2".parse().unwrap())
        );
        assert_eq!(t.units[0].addresses[0].origin, AddressOrigin::Modelled);
        assert!(t.units[1].no_network);
    }

    #[test]
    fn kubernetes_pods_join_the_pod_network_and_services_select_them() {
        let text = r#"{"upcheck": 1, "platform": "kubernetes",
          "cluster": {"pod_cidr": "10.42.0.0/16", "service_cidr": "10.43.0.0/16", "dns_ip": "10.43.0.10"},
          "units": [{"name": "model-test-0", "labels": {"app": "model-test"},
                     "containers": [{"name": "nginx", "image": "nginx:1.27"},
                                    {"name": "model", "ports": [{"port": 6001, "name": "http"}],
                                     "listeners": [{"port": 6001, "bind": "0.0.0.0"}]}]}],
          "services": [{"name": "model-test", "selector": {"app": "model-test"},
                        "ports": [{"port": 80, "target_port": "http"}]},
                       {"name": "db", "type": "ExternalName", "external_name": "db.example.com"}]}"#;
        let (t, _) = load_text(text);
        assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
        let pod = &t.units[0];
        assert_eq!(pod.addresses[0].ip, Some("10.42.0.2".parse().unwrap()));
        assert_eq!(pod.dns.search[0], "default.svc.cluster.local");
        assert_eq!(
            pod.dns.nameservers,
            ["10.43.0.10".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(t.services[0].selected, [UnitId(0)]);
        let declared = &pod.containers[1].listeners[0];
        assert_eq!(declared.provenance.kind, ProvenanceKind::Declared);
        assert_eq!(declared.certainty, Certainty::Stated);
        assert_eq!(declared.bind, Some(Bind::AnyV4));
        assert_eq!(
            t.services[0].ports[0].target_port,
            TargetPort::Name("http".into())
        );
        assert_eq!(t.services[0].cluster_ip, Some("10.43.0.2".parse().unwrap()));
        assert_eq!(
            t.services[1].kind,
            ServiceKind::ExternalName("db.example.com".into())
        );
    }

    #[test]
    fn versions_and_platforms_are_checked() {
        let (t, s) = load_text(r#"{"upcheck": 2, "platform": "compose", "units": []}"#);
        assert_eq!(t.diagnostics.len(), 1);
        assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
        assert!(t.diagnostics[0].message.contains("version 2"));
        let at = s.start(t.diagnostics[0].span.unwrap());
        assert_eq!((at.line, at.column), (1, 13));
        let (t, _) = load_text(r#"{"units": []}"#);
        assert!(messages(&t)[0].contains("is missing"), "{:?}", messages(&t));
        let (t, _) = load_text(r#"{"upcheck": "1", "platform": "compose"}"#);
        assert!(
            messages(&t)[0].contains("not a string"),
            "{:?}",
            messages(&t)
        );
        let (t, _) = load_text(r#"{"upcheck": 1, "platform": "nomad"}"#);
        assert_eq!(t.diagnostics.len(), 2);
        assert!(t.units.is_empty());
    }

    #[test]
    fn wrong_types_are_located_warnings_and_the_rest_loads() {
        let text = "{\"upcheck\": 1, \"platform\": \"compose\",\n \"networks\": [{\"name\": \"n\", \"internal\": \"yes\"}],\n \"units\": [{\"name\": \"a\", \"networks\": [{\"network\": \"n\", \"ip\": \"300.1.1.1\"}],\n   \"containers\": [{\"name\": \"a\", \"command\": \"gunicorn app\", \"listeners\": [{\"port\": \"8000\"}, {\"port\": 70000}, {}]}]},\n  42]}";
        let (t, s) = load_text(text);
        let m = messages(&t);
        assert!(
            m.iter()
                .any(|x| x == "`network n`: `internal` should be a boolean, not a string"),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x.contains("`networks[0].ip` should be an IP address"))
        );
        assert!(
            m.iter()
                .any(|x| x.contains("should be a list of arguments"))
        );
        assert!(
            m.iter()
                .any(|x| x.contains("`listeners[0].port` should be a number, not a string"))
        );
        assert!(m.iter().any(|x| x.contains("not 70000")));
        assert!(m.iter().any(|x| x.contains("`listeners[2]` needs `port`")));
        assert!(
            m.iter()
                .any(|x| x == "`units[1]` should be an object, not an integer")
        );
        assert!(t.diagnostics.iter().all(|d| d.span.is_some()));
        let first = s.start(t.diagnostics[0].span.unwrap());
        assert_eq!(first.line, 2);
        assert_eq!(t.units.len(), 1);
        let l = &t.units[0].containers[0].listeners;
        assert!(l.iter().any(|l| l.port == Some(8000)));
    }

    #[test]
    fn broken_json_is_a_located_error() {
        let (t, s) = load_text("{\"upcheck\": 1,\n \"platform\": \"compose\",,}");
        assert_eq!(t.diagnostics.len(), 1);
        assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
        let at = s.start(t.diagnostics[0].span.unwrap());
        assert_eq!((at.line, at.column), (2, 24));
        let (t, s) =
            load_text(r#"{"upcheck": 1, "platform": "compose", "units": [{"name": "a"},]}"#);
        assert_eq!(t.diagnostics.len(), 1, "{:?}", messages(&t));
        assert_eq!(s.start(t.diagnostics[0].span.unwrap()).column, 63);
        let (t, _) = load_text(r#"{"upcheck": 1, "upcheck": 1, "platform": "compose"}"#);
        assert!(messages(&t)[0].contains("duplicate"), "{:?}", messages(&t));
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let (t, _) = load_text(&deep);
        assert_eq!(t.diagnostics.len(), 1, "{:?}", messages(&t));
    }

    #[test]
    fn volumes_mounts_and_files() {
        let text = r#"{"upcheck": 1, "platform": "kubernetes",
          "volumes": [{"name": "sock", "kind": "empty_dir", "unit": "app-0"},
                      {"name": "conf", "kind": "config_map", "source": "nginx-conf", "unit": "app-0"}],
          "units": [{"name": "app-0", "containers": [
              {"name": "nginx", "image": "nginx", "mounts": [{"volume": "sock", "target": "/sock"},
                                                             {"volume": "conf", "target": "/etc/nginx/conf.d", "read_only": true}]},
              {"name": "app", "mounts": [{"volume": "sock", "target": "/run/app"}],
               "listeners": [{"unix": "/run/app/app.sock", "speaks": "uwsgi"}]}]}],
          "files": [{"unit": "app-0", "container": "nginx", "path": "/etc/nginx/conf.d/default.conf",
                     "content": "server { listen 80; location / { uwsgi_pass unix:/sock/app.sock; } }"}]}"#;
        let (t, _) = load_text(text);
        assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
        assert_eq!(t.volumes[0].unit, Some(UnitId(0)));
        assert_eq!(
            t.volumes[1].kind,
            VolumeKind::ConfigMap("nginx-conf".into())
        );
        let app = &t.units[0].containers[1];
        assert_eq!(app.mounts[0].volume, 0);
        assert_eq!(
            app.listeners[0].bind,
            Some(Bind::Unix("/run/app/app.sock".into()))
        );
        assert_eq!(t.mounted_files.len(), 1);
        assert_eq!(t.mounted_files[0].container, 0);
    }

    /// The ```json blocks of a markdown text.
    fn json_blocks(md: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur: Option<String> = None;
        for line in md.lines() {
            match (&mut cur, line.trim_end()) {
                (None, "```json") => cur = Some(String::new()),
                (Some(_), "```") => out.extend(cur.take()),
                (Some(b), l) => {
                    b.push_str(l);
                    b.push('\n');
                }
                _ => {}
            }
        }
        out
    }

    /// A small JSON Schema check (the keywords docs/topology.schema.json
    /// uses), strict about undocumented fields so the docs, the schema and
    /// the examples agree.
    fn check(
        root: &serde_json::Value,
        schema: &serde_json::Value,
        v: &serde_json::Value,
        at: &str,
    ) -> Vec<String> {
        use serde_json::Value as J;
        let mut errs = Vec::new();
        if let Some(r) = schema.get("$ref").and_then(J::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            return check(root, &root["$defs"][name], v, at);
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            errs.push(format!("{at}: should be {c}"));
        }
        if let Some(e) = schema.get("enum").and_then(J::as_array)
            && !e.contains(v)
        {
            errs.push(format!("{at}: {v} is not one of {e:?}"));
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                J::String(s) => vec![s.as_str()],
                J::Array(a) => a.iter().filter_map(J::as_str).collect(),
                _ => Vec::new(),
            };
            let ok = types.iter().any(|t| match *t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "null" => v.is_null(),
                _ => false,
            });
            if !ok {
                errs.push(format!("{at}: should be {types:?}"));
                return errs;
            }
        }
        if let (Some(min), Some(n)) = (schema.get("minimum").and_then(J::as_i64), v.as_i64())
            && n < min
        {
            errs.push(format!("{at}: below {min}"));
        }
        if let (Some(max), Some(n)) = (schema.get("maximum").and_then(J::as_i64), v.as_i64())
            && n > max
        {
            errs.push(format!("{at}: above {max}"));
        }
        if let Some(one) = schema.get("oneOf").and_then(J::as_array) {
            let passing = one
                .iter()
                .filter(|s| check(root, s, v, at).is_empty())
                .count();
            if passing != 1 {
                errs.push(format!("{at}: matches {passing} of oneOf"));
            }
        }
        if let Some(not) = schema.get("not")
            && check(root, not, v, at).is_empty()
        {
            errs.push(format!("{at}: matches `not`"));
        }
        if let Some(obj) = v.as_object() {
            for r in schema
                .get("required")
                .and_then(J::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(k) = r.as_str()
                    && !obj.contains_key(k)
                {
                    errs.push(format!("{at}: `{k}` is required"));
                }
            }
            let props = schema.get("properties").and_then(J::as_object);
            let extra = schema.get("additionalProperties");
            for (k, x) in obj {
                match (props.and_then(|p| p.get(k)), extra) {
                    (Some(s), _) | (None, Some(s)) => {
                        errs.extend(check(root, s, x, &format!("{at}.{k}")))
                    }
                    (None, None) if props.is_some() => {
                        errs.push(format!("{at}: `{k}` is not in the schema"))
                    }
                    _ => {}
                }
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
            for (i, x) in arr.iter().enumerate() {
                errs.extend(check(root, items, x, &format!("{at}[{i}]")));
            }
        }
        errs
    }

    const SCHEMA_MD: &str = include_str!("../../docs/topology-schema.md");
    const SCHEMA_JSON: &str = include_str!("../../docs/topology.schema.json");

    #[test]
    fn the_documented_examples_load_without_diagnostics() {
        let blocks = json_blocks(SCHEMA_MD);
        assert_eq!(blocks.len(), 2, "one example per platform");
        let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).expect("schema is JSON");
        let mut platforms = Vec::new();
        for b in &blocks {
            let (t, _) = load_text(b);
            assert!(t.diagnostics.is_empty(), "{:?}\n{b}", messages(&t));
            assert!(!t.units.is_empty());
            platforms.push(t.platform);
            let v: serde_json::Value = serde_json::from_str(b).expect("example is JSON");
            let errs = check(&schema, &schema, &v, "$");
            assert!(errs.is_empty(), "{errs:?}");
        }
        assert_eq!(platforms, [Platform::Compose, Platform::Kubernetes]);
        // The compose example is the seed's picture.
        let (t, _) = load_text(&blocks[0]);
        let rows = render::address_table(&t);
        let ip = |u: &str| rows.iter().find(|r| r.unit == u).and_then(|r| r.ip);
        assert_eq!(ip("nginx-test02"), Some("192.168.48.3".parse().unwrap()));
        assert_eq!(ip("model-test02"), Some("192.168.48.2".parse().unwrap()));
    }

    #[test]
    fn the_schema_accepts_the_valid_fixtures_and_rejects_the_broken_ones() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).expect("schema is JSON");
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/topology/native");
        let mut seen = 0;
        for e in std::fs::read_dir(dir).expect("fixtures") {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&path).expect("readable");
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                assert!(name.starts_with("broken"), "{name} is not JSON");
                continue;
            };
            let errs = check(&schema, &schema, &v, "$");
            let (t, _) = load_text(&text);
            let clean = t
                .diagnostics
                .iter()
                .all(|d| d.severity == DiagSeverity::Info);
            assert_eq!(
                errs.is_empty(),
                clean,
                "{name}: schema {errs:?}, loader {:?}",
                messages(&t)
            );
            seen += 1;
        }
        assert!(seen >= 6, "{seen}");
    }

    #[test]
    fn every_schema_field_is_documented_in_the_markdown() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).expect("schema is JSON");
        let props = |p: &serde_json::Value| -> Vec<String> {
            p.get("properties")
                .and_then(|x| x.as_object())
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        let top = props(&schema);
        for k in [
            "upcheck", "platform", "project", "cluster", "networks", "volumes", "units",
            "services", "files",
        ] {
            assert!(top.contains(&k.to_string()), "{k}");
            assert!(SCHEMA_MD.contains(&format!("`{k}`")), "{k} in the markdown");
        }
        for def in [
            "network",
            "volume",
            "unit",
            "attachment",
            "container",
            "declared_port",
            "listener",
            "mount",
            "service",
            "file",
        ] {
            for k in props(&schema["$defs"][def]) {
                assert!(
                    SCHEMA_MD.contains(&format!("`{k}`")),
                    "{def}.{k} is not documented in the markdown"
                );
            }
        }
    }
}

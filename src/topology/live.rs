//! Live dumps: what a running system says about itself.
//!
//! - `docker inspect` output (a JSON array of containers, or one container
//!   object from `--format '{{json .}}'`) becomes a compose-platform
//!   topology: one unit per container (a [`UnitKind::ComposeService`] when
//!   the `com.docker.compose.*` labels are there, else a
//!   [`UnitKind::DockerContainer`]), `container:<id>` network modes joining
//!   the owner's unit, `host` mode containers in one host unit; networks
//!   with the subnet and gateway the containers report; addresses
//!   [`AddressOrigin::Observed`] with the names Docker's DNS answers
//!   (`DNSNames`, `Aliases`, the container name); `ExposedPorts` as
//!   [`PortKind::ImageExposed`], port bindings as published ports; mounts as
//!   volumes (the same volume `Name` or bind `Source` is one shared volume).
//! - `kubectl get pods,svc,cm -o json` output (a `List` whose items carry
//!   `status`) is read by the Kubernetes loader unchanged — pods, Services
//!   and ConfigMaps are ordinary manifests there — and the live facts are
//!   laid over it: pod IPs (`status.podIP`) and ClusterIPs become
//!   [`AddressOrigin::Observed`], a pod's owner (`metadata.ownerReferences`)
//!   names its workload (a ReplicaSet with a `pod-template-hash` is read as
//!   its Deployment; StatefulSet pods keep their ordinal), an observed
//!   `kube-system/kube-dns` ClusterIP becomes the cluster DNS address, and
//!   when the dump lists live pods (`kubectl get all`), the pod templates of
//!   the workloads beside them are not modelled a second time.
//!
//! Observed addresses are kept by the address plan; what the dump does not
//! say (a stopped container, a pending pod) is modelled and labelled so.

use super::addressing::PlanOverrides;
use super::read::{Dialect, Reader, anchor, join};
use super::yaml::{self, Node, Value};
use super::*;
use ipnet::{IpNet, Ipv4Net};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// Containers read from one set of `docker inspect` dumps, at most.
pub const MAX_CONTAINERS: usize = 2000;

// ---------------------------------------------------------------------------
// docker inspect

/// Loads `docker inspect` output into a compose-platform topology.
pub fn load_docker(sources: &SourceMap, files: &[FileId], opts: &LoadOptions) -> Topology {
    let mut r = Reader::new(Dialect::JSON);
    let mut docs: Vec<Node> = Vec::new();
    for &f in files {
        let src = sources.get(f);
        match native::parse_json(f, src) {
            Ok(d) if d.is_empty() => r.error(
                Span::new(f, 0, 0),
                format!(
                    "`{}` is empty; `docker inspect` output is a JSON array of containers",
                    src.path
                ),
            ),
            Ok(d) => docs.extend(d),
            Err((msg, span)) => r.error(span, format!("cannot read `{}` as JSON: {msg}", src.path)),
        }
    }
    let mut items: Vec<&Node> = Vec::new();
    for d in &docs {
        match &d.value {
            Value::Seq(list) => items.extend(list.iter()),
            Value::Map(_) => items.push(d),
            _ => r.error(
                anchor(d),
                format!(
                    "`docker inspect` output should be a JSON array of containers, not {}",
                    d.type_name()
                ),
            ),
        }
    }
    let mut ld = Docker {
        r,
        topo: empty(Platform::Compose),
        networks: HashMap::new(),
        volumes: HashMap::new(),
        projects: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut inspected = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if inspected.len() >= MAX_CONTAINERS {
            ld.r.warn(
                anchor(item),
                format!("more than {MAX_CONTAINERS} containers; the rest are not modelled"),
            );
            break;
        }
        let Some(c) = ld.container(item, i) else {
            continue;
        };
        if !seen.insert(c.id.clone()) {
            ld.r.info(
                c.span,
                format!(
                    "container `{}` is listed again; the first listing is kept",
                    c.container.name
                ),
            );
            continue;
        }
        inspected.push(c);
    }
    ld.place(inspected);
    let mut topo = ld.topo;
    topo.project = match ld.projects.as_slice() {
        [] => opts.project.clone(),
        [p, ..] => Some(p.clone()),
    };
    if ld.projects.len() > 1 {
        ld.r.push(
            DiagSeverity::Info,
            None,
            format!(
                "the containers belong to several compose projects ({}); they share only the networks they have in common",
                ld.projects.join(", ")
            ),
        );
    }
    topo.diagnostics = ld.r.sorted();
    topo
}

/// The first 12 characters of a container ID, as `docker ps` shows it.
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// How a container's network namespace is set up (`HostConfig.NetworkMode`).
enum Mode {
    /// Its own namespace on these networks.
    Own,
    /// The host's.
    Host,
    /// None at all.
    None,
    /// Another container's: `container:<id or name>`.
    Join(String, Span),
}

/// One network attachment read from `NetworkSettings.Networks`.
struct Attachment {
    network: String,
    ip: Option<IpAddr>,
    names: Vec<String>,
    span: Span,
    /// Per-network links: `(target, alias, span)`.
    links: Vec<(String, String, Span)>,
}

/// One container, read but not yet placed into a unit.
struct Inspected {
    id: String,
    container: Container,
    project: Option<String>,
    replica: Option<u32>,
    mode: Mode,
    hostname: Option<String>,
    attachments: Vec<Attachment>,
    extra_hosts: Vec<HostEntry>,
    /// Legacy links (`HostConfig.Links`): `(target, alias, span)`.
    legacy_links: Vec<(String, String, Span)>,
    dns: DnsConfig,
    custom_dns: Vec<IpAddr>,
    running: Option<(String, Span)>,
    span: Span,
}

struct Docker {
    r: Reader,
    topo: Topology,
    /// Networks by name.
    networks: HashMap<String, NetworkId>,
    /// Volumes by identity (`volume:<name>`, `bind:<source>`).
    volumes: HashMap<String, usize>,
    projects: Vec<String>,
}

impl Docker {
    /// Reads one container object.
    fn container(&mut self, item: &Node, i: usize) -> Option<Inspected> {
        let at = format!("[{i}]");
        if !item.is_map() {
            self.r.wrong("", &at, item, "a container object");
            return None;
        }
        if item.get("Config").is_none() && item.get("NetworkSettings").is_none() {
            let hint = if item.get("IPAM").is_some() || item.get("Containers").is_some() {
                " (this looks like `docker network inspect`; submit `docker inspect` of the containers)"
            } else {
                ""
            };
            self.r.warn(
                anchor(item),
                format!(
                    "`{at}` is not a container (no `Config` or `NetworkSettings`); skipped{hint}"
                ),
            );
            return None;
        }
        let id = self
            .r
            .str("", item, &at, "Id")
            .map(|s| s.0.to_string())
            .unwrap_or_else(|| format!("#{i}"));
        let (name, name_span) = match self.r.str("", item, &at, "Name") {
            Some((n, s)) if !n.trim_start_matches('/').is_empty() => {
                (n.trim_start_matches('/').to_string(), s)
            }
            _ => (short(&id).to_string(), anchor(item)),
        };
        let o = format!("container {name}");
        let o = o.as_str();
        let config = self.r.map(o, item, "", "Config");
        let host = self.r.map(o, item, "", "HostConfig");
        let settings = self.r.map(o, item, "", "NetworkSettings");
        let labels = config
            .and_then(|c| self.r.labels(o, c, "Config", "Labels"))
            .map(|l| l.0)
            .unwrap_or_default();
        let project = labels.get("com.docker.compose.project").cloned();
        let service = labels.get("com.docker.compose.service").cloned();
        let replica = labels
            .get("com.docker.compose.container-number")
            .and_then(|n| n.parse::<u32>().ok());
        if let Some(p) = &project
            && !self.projects.contains(p)
        {
            self.projects.push(p.clone());
        }
        let mut c = Container {
            name: name.clone(),
            service,
            image: None,
            role: ContainerRole::Main,
            entrypoint: Vec::new(),
            command: Vec::new(),
            env: Vec::new(),
            ports: Vec::new(),
            listeners: Vec::new(),
            mounts: Vec::new(),
            is_nginx: false,
            span: Some(name_span),
        };
        let mut hostname = None;
        if let Some(cfg) = config {
            c.image = self
                .r
                .str(o, cfg, "Config", "Image")
                .map(|s| s.0.to_string());
            c.entrypoint = self.argv(o, cfg, "Entrypoint");
            c.command = self.argv(o, cfg, "Cmd");
            for (j, e) in self.r.seq(o, cfg, "Config", "Env").iter().enumerate() {
                if let Some((s, span)) = self.r.str_of(o, e, &format!("Config.Env[{j}]")) {
                    let (k, v) = match s.split_once('=') {
                        Some((k, v)) => (k, Some(v.to_string())),
                        None => (s, None),
                    };
                    c.env.retain(|x| x.name != k);
                    c.env.push(EnvVar {
                        name: k.to_string(),
                        value: v,
                        span: Some(span),
                    });
                }
            }
            hostname = self
                .r
                .str(o, cfg, "Config", "Hostname")
                .map(|h| h.0.to_string())
                .filter(|h| !h.is_empty());
        }
        // Published ports: what the daemon bound (NetworkSettings.Ports) and
        // what was asked for (HostConfig.PortBindings), without repeats.
        let bindings = [
            settings.map(|s| (s, "NetworkSettings", "Ports")),
            host.map(|h| (h, "HostConfig", "PortBindings")),
        ];
        for (parent, at, key) in bindings.into_iter().flatten() {
            let Some(ports) = self.r.map(o, parent, at, key) else {
                continue;
            };
            let path = join(at, key);
            for (k, v) in ports.entries() {
                let Some((port, protocol)) = self.port_key(o, k, v.span, &path) else {
                    continue;
                };
                for (j, b) in v.items().iter().enumerate() {
                    let bat = format!("{path}.{k}[{j}]");
                    // Docker writes the host port as a string (`"9001"`).
                    let hp = match self.r.str(o, b, &bat, "HostPort") {
                        None | Some(("", _)) => None,
                        Some((h, span)) => match h.parse::<u16>() {
                            Ok(p) if p > 0 => Some((p, span)),
                            _ => {
                                self.r.warn(
                                    span,
                                    format!(
                                        "`{o}`: `{bat}.HostPort` should be a port number, not `{h}`"
                                    ),
                                );
                                None
                            }
                        },
                    };
                    let host_ip = self
                        .r
                        .str(o, b, &bat, "HostIp")
                        .map(|h| h.0)
                        .filter(|h| !matches!(*h, "" | "0.0.0.0" | "::"))
                        .map(str::to_string);
                    let dup = c.ports.iter().any(|p| {
                        p.kind == PortKind::Published
                            && p.container_port == port
                            && p.protocol == protocol
                            && p.host_port == hp.map(|h| h.0)
                            && p.host_ip == host_ip
                    });
                    if !dup {
                        c.ports.push(DeclaredPort {
                            kind: PortKind::Published,
                            container_port: port,
                            host_port: hp.map(|h| h.0),
                            host_ip,
                            protocol,
                            name: None,
                            span: Some(ports.key(k).map_or(v.span, |n| n.span)),
                            host_span: hp.map(|h| h.1),
                        });
                    }
                }
            }
        }
        // Ports the image (or `expose`) declares, after the published ones
        // so a port's listener names its host side.
        if let Some(cfg) = config
            && let Some(ports) = self.r.map(o, cfg, "Config", "ExposedPorts")
        {
            for (k, v) in ports.entries() {
                if let Some((port, protocol)) = self.port_key(o, k, v.span, "Config.ExposedPorts") {
                    let key_span = ports.key(k).map_or(v.span, |n| n.span);
                    c.ports.push(DeclaredPort {
                        kind: PortKind::ImageExposed,
                        container_port: port,
                        host_port: None,
                        host_ip: None,
                        protocol,
                        name: None,
                        span: Some(key_span),
                        host_span: None,
                    });
                }
            }
        }
        let mut mode = Mode::Own;
        let mut extra_hosts = Vec::new();
        let mut legacy_links = Vec::new();
        let mut dns = DnsConfig::default();
        let mut custom_dns = Vec::new();
        if let Some(h) = host {
            match self.r.str(o, h, "HostConfig", "NetworkMode") {
                Some(("host", _)) => mode = Mode::Host,
                Some(("none", _)) => mode = Mode::None,
                Some((m, span)) if m.starts_with("container:") => {
                    mode = Mode::Join(m["container:".len()..].to_string(), span)
                }
                _ => {}
            }
            for (j, e) in self
                .r
                .seq(o, h, "HostConfig", "ExtraHosts")
                .iter()
                .enumerate()
            {
                let path = format!("HostConfig.ExtraHosts[{j}]");
                let Some((s, span)) = self.r.str_of(o, e, &path) else {
                    continue;
                };
                let split = if s.contains('=') {
                    s.split_once('=')
                } else {
                    s.split_once(':')
                };
                match split {
                    Some((n, ip)) if !n.is_empty() && !ip.is_empty() => {
                        extra_hosts.push(HostEntry {
                            name: n.to_string(),
                            ip: ip.to_string(),
                            span: Some(span),
                        })
                    }
                    _ => self.r.warn(
                        span,
                        format!("`{o}`: `{path}` should be `name:ip`, not `{s}`"),
                    ),
                }
            }
            for (j, l) in self.r.seq(o, h, "HostConfig", "Links").iter().enumerate() {
                let path = format!("HostConfig.Links[{j}]");
                if let Some((s, span)) = self.r.str_of(o, l, &path) {
                    // `/target:/self/alias`
                    match s.split_once(':') {
                        Some((target, alias)) => legacy_links.push((
                            target.trim_start_matches('/').to_string(),
                            alias.rsplit('/').next().unwrap_or(alias).to_string(),
                            span,
                        )),
                        None => legacy_links.push((
                            s.trim_start_matches('/').to_string(),
                            s.trim_start_matches('/').to_string(),
                            span,
                        )),
                    }
                }
            }
            for (j, n) in self.r.seq(o, h, "HostConfig", "Dns").iter().enumerate() {
                let path = format!("HostConfig.Dns[{j}]");
                if let Some((s, span)) = self.r.str_of(o, n, &path)
                    && let Some(ip) = self.r.parse_ip(o, &path, s, span)
                {
                    custom_dns.push(ip);
                }
            }
            dns.search = self
                .r
                .strings(o, h, "HostConfig", "DnsSearch")
                .into_iter()
                .map(|s| s.0)
                .collect();
            for (opt, _) in self.r.strings(o, h, "HostConfig", "DnsOptions") {
                if let Some(n) = opt
                    .strip_prefix("ndots:")
                    .and_then(|n| n.parse::<u8>().ok())
                {
                    dns.ndots = n.min(15);
                }
            }
        }
        let mut attachments = Vec::new();
        if let Some(s) = settings
            && let Some(nets) = self.r.map(o, s, "NetworkSettings", "Networks")
        {
            for (net, e) in nets.entries() {
                if net == "none" || !e.is_map() && !e.is_null() {
                    if !e.is_map() && !e.is_null() {
                        self.r
                            .wrong_map(o, &format!("NetworkSettings.Networks.{net}"), e);
                    }
                    continue;
                }
                let key_span = nets.key(net).map_or(e.span, |k| k.span);
                if let Some(a) = self.attachment(o, net, e, key_span, &name, project.as_deref()) {
                    attachments.push(a);
                }
            }
        }
        let running = item.get("State").and_then(|s| {
            let status = s.get("Status").and_then(Node::as_str);
            let running = s.get("Running").and_then(Node::as_bool);
            match (status, running) {
                (Some("running"), _) | (None, Some(true)) | (None, None) => None,
                (Some(st), _) => Some((st.to_string(), s.get("Status").map_or(s.span, |n| n.span))),
                (None, Some(false)) => Some(("stopped".to_string(), anchor(s))),
            }
        });
        let mounts = match item.get("Mounts") {
            Some(m) if !m.is_null() => self.mounts(o, item),
            _ => host.map(|h| self.binds(o, h)).unwrap_or_default(),
        };
        c.mounts = mounts;
        Some(Inspected {
            id,
            container: c,
            project,
            replica,
            mode,
            hostname,
            attachments,
            extra_hosts,
            legacy_links,
            dns,
            custom_dns,
            running,
            span: name_span,
        })
    }

    /// `Entrypoint` / `Cmd`: a list of strings.
    fn argv(&mut self, o: &str, cfg: &Node, key: &str) -> Vec<String> {
        self.r
            .strings(o, cfg, "Config", key)
            .into_iter()
            .map(|s| s.0)
            .collect()
    }

    /// `"80/tcp"` into a port and protocol.
    fn port_key(&mut self, o: &str, k: &str, span: Span, path: &str) -> Option<(u16, Protocol)> {
        let (p, proto) = k.split_once('/').unwrap_or((k, "tcp"));
        let protocol = match proto {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "sctp" => Protocol::Sctp,
            _ => {
                self.r.warn(
                    span,
                    format!("`{o}`: `{path}` has a port `{k}` of unknown protocol; skipped"),
                );
                return None;
            }
        };
        match p.parse::<u16>() {
            Ok(n) if n > 0 => Some((n, protocol)),
            _ => {
                self.r.warn(
                    span,
                    format!("`{o}`: `{path}` has a key `{k}` that is not `port/protocol`; skipped"),
                );
                None
            }
        }
    }

    fn attachment(
        &mut self,
        o: &str,
        net: &str,
        e: &Node,
        key_span: Span,
        container: &str,
        project: Option<&str>,
    ) -> Option<Attachment> {
        let at = format!("NetworkSettings.Networks.{net}");
        let ip = match self.r.str(o, e, &at, "IPAddress") {
            Some(("", _)) | None => None,
            Some((s, span)) => self.r.parse_ip(o, &join(&at, "IPAddress"), s, span),
        };
        let prefix = self.r.int(o, e, &at, "IPPrefixLen").map(|p| p.0);
        let gateway = match self.r.str(o, e, &at, "Gateway") {
            Some(("", _)) | None => None,
            Some((s, _)) => s.parse::<IpAddr>().ok(),
        };
        let kind = match net {
            "bridge" => NetworkKind::DefaultBridge,
            "host" => NetworkKind::Host,
            _ => NetworkKind::Bridge,
        };
        let subnet = match (ip, prefix) {
            (Some(ip), Some(len)) if len > 0 => u8::try_from(len)
                .ok()
                .and_then(|l| IpNet::new(ip, l).ok())
                .map(|n| n.trunc().to_string()),
            _ => None,
        };
        // Compose names its networks `<project>_<key>`.
        let key = project
            .and_then(|p| net.strip_prefix(p)?.strip_prefix('_'))
            .filter(|k| !k.is_empty())
            .unwrap_or(net);
        let id = self.network(net, key, kind, subnet.clone(), gateway, key_span);
        let n = &self.topo.networks[id.0];
        if let (Some(observed), Some(known)) = (&subnet, &n.subnet)
            && observed != known
        {
            let known = known.clone();
            self.r.warn(
                e.get("IPPrefixLen").map_or(key_span, |p| p.span),
                format!(
                    "`{o}`: network `{net}` is {observed} here but {known} for another container; the first is kept"
                ),
            );
        }
        let mut names = Vec::new();
        if kind.has_dns() {
            names.push(container.to_string());
            for key in ["DNSNames", "Aliases"] {
                for (a, _) in self.r.strings(o, e, &at, key) {
                    if !names.contains(&a) {
                        names.push(a);
                    }
                }
            }
        }
        let mut links = Vec::new();
        for (s, span) in self.r.strings(o, e, &at, "Links") {
            let (target, alias) = s.split_once(':').unwrap_or((&s, &s));
            links.push((target.to_string(), alias.to_string(), span));
        }
        Some(Attachment {
            network: net.to_string(),
            ip,
            names,
            span: key_span,
            links,
        })
    }

    /// The network named `name`, created on first sight.
    fn network(
        &mut self,
        name: &str,
        key: &str,
        kind: NetworkKind,
        subnet: Option<String>,
        gateway: Option<IpAddr>,
        span: Span,
    ) -> NetworkId {
        if let Some(&id) = self.networks.get(name) {
            let n = &mut self.topo.networks[id.0];
            if n.subnet.is_none() && subnet.is_some() {
                n.subnet = subnet;
                n.origin = AddressOrigin::Observed;
            }
            if n.gateway.is_none() {
                n.gateway = gateway;
            }
            return id;
        }
        let id = NetworkId(self.topo.networks.len());
        self.topo.networks.push(Network {
            key: key.to_string(),
            name: name.to_string(),
            kind,
            origin: if subnet.is_some() {
                AddressOrigin::Observed
            } else {
                AddressOrigin::Modelled
            },
            subnet,
            gateway,
            internal: false,
            external: false,
            span: Some(span),
        });
        self.networks.insert(name.to_string(), id);
        id
    }

    /// `Mounts`: volumes by name, binds by source; tmpfs per container.
    fn mounts(&mut self, o: &str, item: &Node) -> Vec<Mount> {
        let mut out = Vec::new();
        for (j, m) in self.r.seq(o, item, "", "Mounts").iter().enumerate() {
            let at = format!("Mounts[{j}]");
            if !self.r.is_map(o, m, &at) {
                continue;
            }
            let ty = self
                .r
                .str(o, m, &at, "Type")
                .map(|t| t.0)
                .unwrap_or("volume");
            let Some((target, tspan)) = self.r.str(o, m, &at, "Destination") else {
                self.r.lacks(o, m, &at, "Destination");
                continue;
            };
            let name = self.r.str(o, m, &at, "Name").map(|n| n.0);
            let source = self.r.str(o, m, &at, "Source").map(|n| n.0);
            let (key, vname, kind) = match (ty, name, source) {
                ("volume", Some(n), _) => (
                    format!("volume:{n}"),
                    n.to_string(),
                    if n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()) {
                        VolumeKind::Anonymous
                    } else {
                        VolumeKind::Named
                    },
                ),
                ("bind", _, Some(s)) => (
                    format!("bind:{s}"),
                    s.to_string(),
                    VolumeKind::Bind(s.to_string()),
                ),
                ("tmpfs", _, _) => (
                    format!("tmpfs:{o}:{target}"),
                    format!("tmpfs:{target}"),
                    VolumeKind::Tmpfs,
                ),
                (other, n, s) => {
                    let id = n.or(s).unwrap_or(target);
                    (format!("{other}:{id}"), id.to_string(), VolumeKind::Other)
                }
            };
            let volume = self.volume(key, vname, kind, anchor(m));
            let rw = self.r.bool(o, m, &at, "RW").unwrap_or(true);
            out.push(Mount {
                volume,
                target: target.to_string(),
                read_only: !rw,
                sub_path: None,
                span: Some(tspan),
            });
        }
        out
    }

    /// `HostConfig.Binds` (`source:target[:options]`), when `Mounts` is absent.
    fn binds(&mut self, o: &str, h: &Node) -> Vec<Mount> {
        let mut out = Vec::new();
        for (s, span) in self.r.strings(o, h, "HostConfig", "Binds") {
            let mut parts = s.splitn(3, ':');
            let (Some(src), Some(target)) = (parts.next(), parts.next()) else {
                self.r.warn(
                    span,
                    format!("`{o}`: `HostConfig.Binds` entry `{s}` should be `source:target`"),
                );
                continue;
            };
            let options = parts.next().unwrap_or("");
            let (key, kind) = if src.starts_with('/') {
                (format!("bind:{src}"), VolumeKind::Bind(src.to_string()))
            } else {
                (format!("volume:{src}"), VolumeKind::Named)
            };
            let volume = self.volume(key, src.to_string(), kind, span);
            out.push(Mount {
                volume,
                target: target.to_string(),
                read_only: options.split(',').any(|x| x == "ro"),
                sub_path: None,
                span: Some(span),
            });
        }
        out
    }

    fn volume(&mut self, key: String, name: String, kind: VolumeKind, span: Span) -> usize {
        *self.volumes.entry(key).or_insert_with(|| {
            self.topo.volumes.push(Volume {
                name,
                kind,
                unit: None,
                span: Some(span),
            });
            self.topo.volumes.len() - 1
        })
    }

    /// Puts the containers into units: own namespaces first, then the
    /// containers that join another's (`container:<id>`), then links.
    fn place(&mut self, inspected: Vec<Inspected>) {
        let mut unit_of: Vec<Option<usize>> = vec![None; inspected.len()];
        let mut host_unit: Option<usize> = None;
        for (i, c) in inspected.iter().enumerate() {
            if let Some((status, span)) = &c.running {
                self.r.info(
                    *span,
                    format!(
                        "container `{}` is {status}, not running: it has no address now and serves nothing until it starts",
                        c.container.name
                    ),
                );
            }
            match &c.mode {
                Mode::Join(..) => continue,
                Mode::Host => {
                    let u = *host_unit.get_or_insert_with(|| {
                        let net =
                            self.network("host", "host", NetworkKind::Host, None, None, c.span);
                        self.topo.units.push(Unit {
                            name: "host".into(),
                            kind: UnitKind::Host,
                            containers: Vec::new(),
                            addresses: vec![Address {
                                network: net,
                                ip: None,
                                origin: AddressOrigin::Modelled,
                                dns_names: Vec::new(),
                                span: None,
                            }],
                            labels: BTreeMap::new(),
                            hostname: None,
                            host_network: true,
                            no_network: false,
                            extra_hosts: Vec::new(),
                            links: Vec::new(),
                            dns: DnsConfig::default(),
                            span: Some(c.span),
                        });
                        self.topo.units.len() - 1
                    });
                    let unit = &mut self.topo.units[u];
                    unit.containers.push(c.container.clone());
                    unit.extra_hosts.extend(c.extra_hosts.iter().cloned());
                    unit_of[i] = Some(u);
                }
                Mode::Own | Mode::None => {
                    let addresses = if matches!(c.mode, Mode::None) {
                        Vec::new()
                    } else {
                        c.attachments
                            .iter()
                            .map(|a| {
                                let network = self.networks[&a.network];
                                Address {
                                    network,
                                    ip: a.ip,
                                    origin: if a.ip.is_some() {
                                        AddressOrigin::Observed
                                    } else {
                                        AddressOrigin::Modelled
                                    },
                                    dns_names: a.names.clone(),
                                    span: Some(a.span),
                                }
                            })
                            .collect()
                    };
                    let kind = match (&c.project, &c.container.service) {
                        (Some(_), Some(s)) => UnitKind::ComposeService {
                            service: s.clone(),
                            replica: c.replica.unwrap_or(1),
                        },
                        _ => UnitKind::DockerContainer,
                    };
                    let on_user_network = addresses
                        .iter()
                        .any(|a| self.topo.networks[a.network.0].kind.has_dns());
                    let mut dns = c.dns.clone();
                    if !on_user_network {
                        // On the default bridge, `--dns` servers are the
                        // container's resolv.conf; on user-defined networks
                        // the embedded DNS (127.0.0.11) forwards to them.
                        dns.nameservers = c.custom_dns.clone();
                    }
                    self.topo.units.push(Unit {
                        name: c.container.name.clone(),
                        kind,
                        containers: vec![c.container.clone()],
                        addresses,
                        labels: BTreeMap::new(),
                        hostname: c
                            .hostname
                            .clone()
                            .or_else(|| Some(short(&c.id).to_string())),
                        host_network: false,
                        no_network: matches!(c.mode, Mode::None),
                        extra_hosts: c.extra_hosts.clone(),
                        links: Vec::new(),
                        dns,
                        span: Some(c.span),
                    });
                    unit_of[i] = Some(self.topo.units.len() - 1);
                }
            }
        }
        // `container:<id|name>`, possibly through a chain of joiners.
        let find = |target: &str| -> Option<usize> {
            inspected.iter().position(|c| {
                c.id == target
                    || c.container.name == target
                    || target.len() >= 12 && c.id.starts_with(target)
            })
        };
        for (i, c) in inspected.iter().enumerate() {
            let Mode::Join(target, span) = &c.mode else {
                continue;
            };
            let mut at = find(target);
            let mut hops = 0;
            while let Some(j) = at {
                if unit_of[j].is_some() || hops > inspected.len() {
                    break;
                }
                at = match &inspected[j].mode {
                    Mode::Join(t, _) => find(t),
                    _ => None,
                };
                hops += 1;
            }
            match at.and_then(|j| unit_of[j]) {
                Some(u) => {
                    self.topo.units[u].containers.push(c.container.clone());
                    unit_of[i] = Some(u);
                }
                None => {
                    self.r.warn(
                        *span,
                        format!(
                            "container `{}` joins the network namespace of container `{}`, which is not in the dump; its addresses are unknown",
                            c.container.name,
                            short(target)
                        ),
                    );
                    self.topo.units.push(Unit {
                        name: c.container.name.clone(),
                        kind: UnitKind::DockerContainer,
                        containers: vec![c.container.clone()],
                        addresses: Vec::new(),
                        labels: BTreeMap::new(),
                        hostname: c.hostname.clone(),
                        host_network: false,
                        no_network: false,
                        extra_hosts: c.extra_hosts.clone(),
                        links: Vec::new(),
                        dns: c.dns.clone(),
                        span: Some(c.span),
                    });
                    unit_of[i] = Some(self.topo.units.len() - 1);
                }
            }
        }
        // Links, now that every unit has its addresses.
        for (i, c) in inspected.iter().enumerate() {
            let Some(u) = unit_of[i] else { continue };
            let per_network = c
                .attachments
                .iter()
                .flat_map(|a| a.links.iter().map(move |l| (l, Some(a.network.as_str()))));
            let legacy = c.legacy_links.iter().map(|l| (l, None));
            for ((target, alias, span), network) in legacy.chain(per_network) {
                let Some(t) = find(target.trim_start_matches('/')) else {
                    self.r.warn(
                        *span,
                        format!(
                            "container `{}` links to `{target}`, which is not in the dump",
                            c.container.name
                        ),
                    );
                    continue;
                };
                let tu = unit_of[t];
                let ip = tu.and_then(|tu| {
                    let other = &self.topo.units[tu];
                    match network {
                        Some(n) => {
                            let id = self.networks.get(n)?;
                            other.addresses.iter().find(|a| a.network == *id)?.ip
                        }
                        None => names::shared_ip(&self.topo, &self.topo.units[u], other),
                    }
                });
                match (network, &inspected[t].container.service) {
                    // On a user-defined network the alias is answered by
                    // Docker's DNS, for this container only.
                    (Some(_), Some(service)) if inspected[t].project.is_some() => {
                        self.topo.units[u].links.push(Link {
                            service: service.clone(),
                            alias: alias.clone(),
                            span: Some(*span),
                        })
                    }
                    _ => {
                        // Legacy links are /etc/hosts lines.
                        let Some(ip) = ip else { continue };
                        let unit = &mut self.topo.units[u];
                        for n in [alias, &inspected[t].container.name] {
                            if !unit.extra_hosts.iter().any(|h| &h.name == n) {
                                unit.extra_hosts.push(HostEntry {
                                    name: n.clone(),
                                    ip: ip.to_string(),
                                    span: Some(*span),
                                });
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// kubectl get -o json

/// What a live object says beyond its manifest.
struct LivePod {
    /// It carries `status` or a `uid` (a live object, not a manifest).
    live: bool,
    ip: Option<(IpAddr, Span)>,
    phase: Option<String>,
    owner: Option<(String, String)>,
    span: Span,
}

/// Loads `kubectl get pods,svc,cm -o json` output: the Kubernetes loader
/// reads the objects, then the observed addresses and owners are laid over
/// them. An observed `kube-system/kube-dns` ClusterIP becomes the cluster
/// DNS address of `plan` unless the caller set one.
pub fn load_kubectl(
    sources: &SourceMap,
    files: &[FileId],
    opts: &LoadOptions,
    plan: &mut PlanOverrides,
) -> Topology {
    let mut topo = kubernetes::load(sources, files, opts);
    let mut r = Reader::new(Dialect::JSON);
    let default_ns = opts.namespace.clone().unwrap_or_else(|| "default".into());
    let mut pods: HashMap<(String, String), LivePod> = HashMap::new();
    let mut services: HashMap<(String, String), Span> = HashMap::new();
    let mut any_status = false;
    for &f in files {
        // Errors were reported by the Kubernetes loader.
        let Ok(docs) = yaml::parse_documents(f, sources.get(f)) else {
            continue;
        };
        let mut items: Vec<&Node> = Vec::new();
        for d in &docs {
            collect(d, 0, &mut items);
        }
        for item in items {
            let kind = item.get("kind").and_then(Node::as_str);
            let meta = item.get("metadata");
            let Some((name, name_span)) = meta
                .and_then(|m| m.get("name"))
                .and_then(|n| n.as_str().map(|s| (s, n.span)))
            else {
                continue;
            };
            let ns = meta
                .and_then(|m| m.get("namespace"))
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or(&default_ns)
                .to_string();
            let status = Reader::child(item, "status");
            let live = status.is_some()
                || meta
                    .is_some_and(|m| m.get("uid").is_some() || m.get("resourceVersion").is_some());
            any_status |= status.is_some();
            match kind {
                Some("Pod") => {
                    let label = format!("Pod {name}");
                    let ip = status.and_then(|s| {
                        let (ip, span) = r.str(&label, s, "status", "podIP")?;
                        r.parse_ip(&label, "status.podIP", ip, span)
                            .map(|ip| (ip, span))
                    });
                    let phase = status
                        .and_then(|s| r.str(&label, s, "status", "phase"))
                        .map(|p| p.0.to_string());
                    let owner = meta.and_then(|m| owner(&mut r, &label, m));
                    pods.insert(
                        (ns, name.to_string()),
                        LivePod {
                            live,
                            ip,
                            phase,
                            owner,
                            span: name_span,
                        },
                    );
                }
                Some("Service") if live => {
                    services.insert((ns, name.to_string()), name_span);
                }
                _ => {}
            }
        }
    }
    if !any_status && !topo.units.is_empty() {
        r.push(
            DiagSeverity::Info,
            None,
            "the kubectl dump has no `status`: no address was observed (was it `kubectl get -o json` of live objects?)".into(),
        );
    }
    // `kubectl get all` lists Deployments, ReplicaSets, StatefulSets… beside
    // their pods: the live pods are what runs, so the pods modelled from
    // workload templates are not added again.
    let live_pods = pods.values().any(|p| p.live);
    let from_templates: Vec<String> = topo
        .units
        .iter()
        .filter_map(|u| match &u.kind {
            UnitKind::Pod {
                workload_kind,
                workload,
                namespace,
                ..
            } if workload_kind != "Pod" => Some(format!("{workload_kind} {namespace}/{workload}")),
            _ => None,
        })
        .fold(Vec::new(), |mut acc, w| {
            if !acc.contains(&w) {
                acc.push(w);
            }
            acc
        });
    if live_pods && !from_templates.is_empty() {
        let keep: Vec<bool> = topo
            .units
            .iter()
            .map(|u| {
                matches!(&u.kind, UnitKind::Pod { workload_kind, .. } if workload_kind == "Pod")
                    || !matches!(u.kind, UnitKind::Pod { .. })
            })
            .collect();
        retain_units(&mut topo, &keep);
        r.push(
            DiagSeverity::Info,
            None,
            format!(
                "the dump lists live pods, so the pod templates of {} are not modelled as well",
                from_templates.join(", ")
            ),
        );
    }
    let mut outside_pods: Option<(IpAddr, Span)> = None;
    let pod_cidr = plan
        .pod_cidr
        .unwrap_or_else(|| "10.244.0.0/16".parse().expect("constant"));
    for u in &mut topo.units {
        let UnitKind::Pod {
            workload_kind,
            workload,
            namespace,
            index,
        } = &mut u.kind
        else {
            continue;
        };
        if workload_kind != "Pod" {
            continue;
        }
        let Some(live) = pods.get(&(namespace.clone(), workload.clone())) else {
            continue;
        };
        if let Some((kind, owner)) = &live.owner {
            if kind == "StatefulSet"
                && let Some(n) = workload
                    .strip_prefix(owner.as_str())
                    .and_then(|s| s.strip_prefix('-'))
                    .and_then(|s| s.parse::<u32>().ok())
            {
                *index = n;
            }
            *workload_kind = kind.clone();
            *workload = owner.clone();
        }
        match live.ip {
            Some((ip, span)) => {
                for a in &mut u.addresses {
                    a.ip = Some(ip);
                    a.origin = AddressOrigin::Observed;
                    a.span = Some(span);
                }
                if let IpAddr::V4(v4) = ip
                    && !u.host_network
                    && !pod_cidr.contains(&v4)
                    && outside_pods.is_none()
                {
                    outside_pods = Some((ip, span));
                }
            }
            None => r.info(
                live.span,
                format!(
                    "pod `{}` is {} and has no IP yet; its address is modelled",
                    u.name,
                    live.phase.as_deref().unwrap_or("not running")
                ),
            ),
        }
    }
    if let Some((ip, span)) = outside_pods {
        r.info(
            span,
            format!(
                "observed pod address {ip} is outside the modelled pod CIDR {pod_cidr}; pass the cluster's pod CIDR to label the plan correctly"
            ),
        );
    }
    for s in &mut topo.services {
        if s.cluster_ip.is_some() && services.contains_key(&(s.namespace.clone(), s.name.clone())) {
            s.ip_origin = AddressOrigin::Observed;
        }
    }
    let kube_dns = topo.services.iter().find(|s| {
        s.namespace == "kube-system"
            && s.name == "kube-dns"
            && s.ip_origin == AddressOrigin::Observed
    });
    if let Some(IpAddr::V4(ip)) = kube_dns.and_then(|s| s.cluster_ip)
        && plan.dns_ip.is_none()
    {
        plan.dns_ip = Some(ip);
    }
    let service_cidr: Ipv4Net = plan
        .service_cidr
        .unwrap_or_else(|| "10.96.0.0/12".parse().expect("constant"));
    if let Some(s) = topo.services.iter().find(|s| {
        s.ip_origin == AddressOrigin::Observed
            && matches!(s.cluster_ip, Some(IpAddr::V4(v)) if !service_cidr.contains(&v))
    }) && let Some(ip) = s.cluster_ip
    {
        r.push(
            DiagSeverity::Info,
            s.span,
            format!(
                "observed ClusterIP {ip} of `{}/{}` is outside the modelled service CIDR {service_cidr}; pass the cluster's service CIDR to label the plan correctly",
                s.namespace, s.name
            ),
        );
    }
    topo.diagnostics.extend(r.sorted());
    topo
}

/// Keeps the units marked in `keep`, with the volumes and files that belong
/// to them, renumbering every reference.
fn retain_units(topo: &mut Topology, keep: &[bool]) {
    let mut unit_map = vec![None; keep.len()];
    let mut next = 0;
    for (i, k) in keep.iter().enumerate() {
        if *k {
            unit_map[i] = Some(UnitId(next));
            next += 1;
        }
    }
    let volumes = std::mem::take(&mut topo.volumes);
    let mut volume_map = vec![None; volumes.len()];
    for (i, mut v) in volumes.into_iter().enumerate() {
        if let Some(u) = v.unit {
            match unit_map[u.0] {
                Some(n) => v.unit = Some(n),
                None => continue,
            }
        }
        volume_map[i] = Some(topo.volumes.len());
        topo.volumes.push(v);
    }
    let units = std::mem::take(&mut topo.units);
    for (mut u, k) in units.into_iter().zip(keep) {
        if !*k {
            continue;
        }
        for c in &mut u.containers {
            c.mounts.retain_mut(|m| match volume_map[m.volume] {
                Some(n) => {
                    m.volume = n;
                    true
                }
                None => false,
            });
        }
        topo.units.push(u);
    }
    topo.mounted_files.retain_mut(|f| match unit_map[f.unit.0] {
        Some(n) => {
            f.unit = n;
            true
        }
        None => false,
    });
    for s in &mut topo.services {
        s.selected = s.selected.iter().filter_map(|u| unit_map[u.0]).collect();
    }
}

/// Items of a document: itself, `List` items, top-level array elements.
fn collect<'a>(doc: &'a Node, depth: usize, out: &mut Vec<&'a Node>) {
    if depth > 4 {
        return;
    }
    match &doc.value {
        Value::Seq(items) if depth == 0 => {
            for i in items {
                collect(i, depth + 1, out);
            }
        }
        Value::Map(_) => {
            let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
            if kind == "List" || kind.ends_with("List") && doc.get("items").is_some() {
                for i in doc.get("items").map(Node::items).unwrap_or(&[]) {
                    collect(i, depth + 1, out);
                }
            } else {
                out.push(doc);
            }
        }
        _ => {}
    }
}

/// The workload that owns a pod: its controller owner, with a ReplicaSet
/// made by a Deployment read as that Deployment.
fn owner(r: &mut Reader, label: &str, meta: &Node) -> Option<(String, String)> {
    let owners = r.seq(label, meta, "metadata", "ownerReferences");
    let o = owners
        .iter()
        .find(|o| o.get("controller").and_then(Node::as_bool) == Some(true))
        .or(owners.first())?;
    let kind = o.get("kind").and_then(Node::as_str)?;
    let name = o.get("name").and_then(Node::as_str)?;
    if kind == "ReplicaSet" {
        let hash = meta
            .get("labels")
            .and_then(|l| l.get("pod-template-hash"))
            .and_then(Node::as_str);
        if let Some(dep) = hash.and_then(|h| name.strip_suffix(h)?.strip_suffix('-')) {
            return Some(("Deployment".into(), dep.to_string()));
        }
    }
    Some((kind.to_string(), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::render::address_table;

    fn load_as(text: &str, format: Format) -> (Topology, SourceMap) {
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::new("dump.json", text));
        let topo = super::super::load(
            &sources,
            &[Document {
                file,
                format: Some(format),
            }],
            &LoadOptions::default(),
        );
        (topo, sources)
    }

    fn messages(t: &Topology) -> Vec<String> {
        t.diagnostics.iter().map(|d| d.message.clone()).collect()
    }

    /// The seed's two containers as `docker inspect` shows them.
    const SEED: &str = r#"[
  {"Id": "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2",
   "Name": "/nginx-test02",
   "State": {"Status": "running", "Running": true},
   "Config": {"Hostname": "a1b2c3d4e5f6", "Image": "nginx:1.27",
              "Cmd": ["nginx", "-g", "daemon off;"], "Entrypoint": ["/docker-entrypoint.sh"],
              "Env": ["PATH=/usr/local/sbin:/usr/bin", "NGINX_VERSION=1.27.0"],
              "ExposedPorts": {"80/tcp": {}, "9001/tcp": {}},
              "Labels": {"com.docker.compose.project": "seed", "com.docker.compose.service": "nginx",
                         "com.docker.compose.container-number": "1"}},
   "HostConfig": {"NetworkMode": "seed_default", "PortBindings": {"9001/tcp": [{"HostIp": "", "HostPort": "9001"}]},
                  "ExtraHosts": ["host.docker.internal:host-gateway"]},
   "Mounts": [{"Type": "bind", "Source": "/srv/seed/default.conf", "Destination": "/etc/nginx/conf.d/default.conf", "RW": false}],
   "NetworkSettings": {"Ports": {"80/tcp": null, "9001/tcp": [{"HostIp": "0.0.0.0", "HostPort": "9001"}, {"HostIp": "::", "HostPort": "9001"}]},
     "Networks": {"seed_default": {"Aliases": ["nginx-test02", "nginx"], "DNSNames": ["nginx-test02", "nginx", "a1b2c3d4e5f6"],
        "NetworkID": "f00d", "Gateway": "192.168.48.1", "IPAddress": "192.168.48.3", "IPPrefixLen": 20}}}},
  {"Id": "0fedcba987650fedcba987650fedcba987650fedcba987650fedcba98765abcd",
   "Name": "/model-test02",
   "State": {"Status": "running", "Running": true},
   "Config": {"Hostname": "0fedcba98765", "Image": "model-test:latest",
              "Cmd": ["flask", "run", "--host=0.0.0.0", "--port=6001"], "Entrypoint": null,
              "Env": ["PYTHON_PIP_VERSION=20.2.3"], "ExposedPorts": {"6001/tcp": {}},
              "Labels": {"com.docker.compose.project": "seed", "com.docker.compose.service": "model_test",
                         "com.docker.compose.container-number": "1"}},
   "HostConfig": {"NetworkMode": "seed_default"},
   "Mounts": [],
   "NetworkSettings": {"Ports": {"6001/tcp": null},
     "Networks": {"seed_default": {"Aliases": ["model-test02", "model_test"], "DNSNames": null,
        "Gateway": "192.168.48.1", "IPAddress": "192.168.48.2", "IPPrefixLen": 20}}}}
]"#;

    #[test]
    fn the_seed_is_observed_at_its_addresses() {
        let (t, _) = load_as(SEED, Format::DockerInspect);
        assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
        assert_eq!(t.project.as_deref(), Some("seed"));
        assert_eq!(t.networks.len(), 1);
        let n = &t.networks[0];
        assert_eq!(n.subnet.as_deref(), Some("192.168.48.0/20"));
        assert_eq!(n.origin, AddressOrigin::Observed);
        assert_eq!(n.gateway, Some("192.168.48.1".parse().unwrap()));
        let rows = address_table(&t);
        let row = |u: &str| rows.iter().find(|r| r.unit == u).expect("row");
        assert_eq!(
            row("nginx-test02").ip,
            Some("192.168.48.3".parse().unwrap())
        );
        assert_eq!(row("nginx-test02").origin, AddressOrigin::Observed);
        assert_eq!(row("nginx-test02").prefix_len, Some(20));
        assert_eq!(
            row("model-test02").ip,
            Some("192.168.48.2".parse().unwrap())
        );
        assert_eq!(row("model-test02").origin, AddressOrigin::Observed);
        let model = &t.units[1];
        assert_eq!(
            model.kind,
            UnitKind::ComposeService {
                service: "model_test".into(),
                replica: 1
            }
        );
        assert_eq!(model.addresses[0].dns_names, ["model-test02", "model_test"]);
        let c = &model.containers[0];
        assert_eq!(c.command, ["flask", "run", "--host=0.0.0.0", "--port=6001"]);
        assert!(
            c.ports
                .iter()
                .any(|p| p.kind == PortKind::ImageExposed && p.container_port == 6001)
        );
        let nginx = &t.units[0].containers[0];
        assert!(nginx.is_nginx);
        let published: Vec<_> = nginx
            .ports
            .iter()
            .filter(|p| p.kind == PortKind::Published)
            .collect();
        assert_eq!(published.len(), 1, "{published:?}");
        assert_eq!(published[0].host_port, Some(9001));
        assert!(nginx.mounts[0].read_only);
        assert_eq!(t.units[0].extra_hosts[0].ip, "host-gateway");
        assert_eq!(
            t.units[0].dns.nameservers,
            ["127.0.0.11".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn container_network_mode_joins_the_owner_and_volumes_are_shared() {
        let text = r#"[
 {"Id": "1111111111111111", "Name": "/sidecar",
  "Config": {"Image": "busybox"}, "HostConfig": {"NetworkMode": "container:2222222222222222"},
  "Mounts": [{"Type": "volume", "Name": "sock", "Destination": "/sock", "RW": true}],
  "NetworkSettings": {"Networks": {}}},
 {"Id": "2222222222222222", "Name": "/app",
  "Config": {"Image": "python:3.12"}, "HostConfig": {"NetworkMode": "bridge"},
  "Mounts": [{"Type": "volume", "Name": "sock", "Destination": "/run/app", "RW": true}],
  "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.4", "IPPrefixLen": 16, "Gateway": "172.17.0.1"}}}},
 {"Id": "3333333333333333", "Name": "/stopped", "State": {"Status": "exited", "Running": false},
  "Config": {"Image": "redis"}, "HostConfig": {"NetworkMode": "bridge"},
  "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "", "IPPrefixLen": 0}}}}
]"#;
        let (t, _) = load_as(text, Format::DockerInspect);
        assert_eq!(t.units.len(), 2, "{:?}", t.units);
        let app = &t.units[0];
        assert_eq!(app.name, "app");
        assert_eq!(app.kind, UnitKind::DockerContainer);
        assert_eq!(app.containers.len(), 2);
        assert_eq!(app.containers[1].name, "sidecar");
        assert_eq!(t.networks[0].kind, NetworkKind::DefaultBridge);
        assert!(app.addresses[0].dns_names.is_empty());
        assert_eq!(t.volumes.len(), 1);
        assert_eq!(
            app.containers[0].mounts[0].volume,
            app.containers[1].mounts[0].volume
        );
        let stopped = &t.units[1];
        assert_eq!(stopped.addresses[0].origin, AddressOrigin::Modelled);
        assert!(messages(&t).iter().any(|m| m.contains("is exited")));
    }

    #[test]
    fn broken_dumps_are_located_errors() {
        let (t, s) = load_as("[{\"Id\": \"x\",\n \"Config\": }]", Format::DockerInspect);
        assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
        assert_eq!(s.start(t.diagnostics[0].span.unwrap()).line, 2);
        let (t, _) = load_as(
            "[1, {\"Name\": \"/x\", \"Config\": {\"Cmd\": 5, \"Env\": \"A=1\"}}]",
            Format::DockerInspect,
        );
        let m = messages(&t);
        assert!(
            m.iter()
                .any(|x| x == "`[0]` should be a container object, not an integer"),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x == "`container x`: `Config.Cmd` should be a list, not an integer"),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x == "`container x`: `Config.Env` should be a list, not a string"),
            "{m:?}"
        );
        assert_eq!(t.units.len(), 1);
    }

    const KUBECTL: &str = r#"{"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
 "items": [
  {"apiVersion": "v1", "kind": "Pod",
   "metadata": {"name": "web-7d9f8b6c4-x2x9z", "namespace": "default", "uid": "u1",
                "labels": {"app": "web", "pod-template-hash": "7d9f8b6c4"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f8b6c4", "controller": true}]},
   "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
   "status": {"phase": "Running", "hostIP": "172.18.0.2", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}]}},
  {"apiVersion": "v1", "kind": "Pod",
   "metadata": {"name": "db-0", "namespace": "default", "uid": "u2", "labels": {"app": "db"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": true}]},
   "spec": {"containers": [{"name": "postgres", "image": "postgres:16"}]},
   "status": {"phase": "Pending"}},
  {"apiVersion": "v1", "kind": "Service",
   "metadata": {"name": "web", "namespace": "default", "uid": "u3"},
   "spec": {"clusterIP": "10.96.120.7", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]},
   "status": {"loadBalancer": {}}},
  {"apiVersion": "v1", "kind": "Service",
   "metadata": {"name": "kube-dns", "namespace": "kube-system", "uid": "u4"},
   "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"}, "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]},
   "status": {"loadBalancer": {}}}
 ]}"#;

    #[test]
    fn kubectl_pod_ips_and_cluster_ips_are_observed() {
        let (t, _) = load_as(KUBECTL, Format::Kubectl);
        let web = t
            .units
            .iter()
            .find(|u| u.name == "web-7d9f8b6c4-x2x9z")
            .unwrap();
        assert_eq!(
            web.kind,
            UnitKind::Pod {
                workload_kind: "Deployment".into(),
                workload: "web".into(),
                namespace: "default".into(),
                index: 0
            }
        );
        let rows = address_table(&t);
        let row = rows
            .iter()
            .find(|r| r.unit == "web-7d9f8b6c4-x2x9z")
            .unwrap();
        assert_eq!(row.ip, Some("10.244.0.5".parse().unwrap()));
        assert_eq!(row.origin, AddressOrigin::Observed);
        let db = t.units.iter().find(|u| u.name == "db-0").unwrap();
        assert!(
            matches!(&db.kind, UnitKind::Pod { workload_kind, .. } if workload_kind == "StatefulSet")
        );
        assert_eq!(db.addresses[0].origin, AddressOrigin::Modelled);
        assert_ne!(db.addresses[0].ip, Some("10.244.0.5".parse().unwrap()));
        let svc = &t.services[0];
        assert_eq!(svc.cluster_ip, Some("10.96.120.7".parse().unwrap()));
        assert_eq!(svc.ip_origin, AddressOrigin::Observed);
        assert_eq!(svc.selected.len(), 1);
        assert!(
            messages(&t).iter().any(|m| m.contains("Pending")),
            "{:?}",
            messages(&t)
        );
    }

    #[test]
    fn an_observed_kube_dns_is_the_cluster_dns() {
        let text = KUBECTL.replace("10.96.0.10", "10.43.0.10");
        let (t, _) = load_as(&text, Format::Kubectl);
        assert_eq!(
            t.cluster.as_ref().unwrap().dns_ip,
            "10.43.0.10".parse::<IpAddr>().unwrap()
        );
        let web = t.units.iter().find(|u| u.name.starts_with("web-")).unwrap();
        assert_eq!(
            web.dns.nameservers,
            ["10.43.0.10".parse::<IpAddr>().unwrap()]
        );
        assert!(
            messages(&t)
                .iter()
                .any(|m| m.contains("outside the modelled service CIDR"))
        );
    }

    #[test]
    fn kubectl_get_all_models_the_live_pods_not_the_templates() {
        let deployment = r#"{"apiVersion": "apps/v1", "kind": "Deployment",
   "metadata": {"name": "web", "namespace": "default", "uid": "d1"},
   "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}],
                                  "volumes": [{"name": "cache", "emptyDir": {}}]}}},
   "status": {"replicas": 1}},
  "#;
        let text = KUBECTL.replacen("\"items\": [", &format!("\"items\": [{deployment}"), 1);
        let (t, _) = load_as(&text, Format::Kubectl);
        let names: Vec<&str> = t.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["web-7d9f8b6c4-x2x9z", "db-0"]);
        assert!(t.volumes.is_empty(), "{:?}", t.volumes);
        assert_eq!(t.services[0].selected, [UnitId(0)]);
        assert!(
            messages(&t)
                .iter()
                .any(|m| m.contains("pod templates of Deployment default/web"))
        );
    }
}

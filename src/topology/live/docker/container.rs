//! One inspected container object: its config (image, argv, env,
//! hostname), published and exposed ports, host config (network mode,
//! extra hosts, legacy links, DNS), network attachments and mounts.

use super::*;
use crate::topology::read::join;
use ipnet::IpNet;

impl Docker {
    /// Reads one container object.
    pub(super) fn container(&mut self, item: &Node, i: usize) -> Option<Inspected> {
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
        let mut c = Container::new(name.clone(), None, Some(name_span)).service(service);
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
                        let span = ports.key(k).map_or(v.span, |n| n.span);
                        let port =
                            DeclaredPort::new(PortKind::Published, port, protocol, Some(span))
                                .published(hp.map(|h| h.0), host_ip, hp.map(|h| h.1));
                        c.ports.push(port);
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
                    let kind = PortKind::ImageExposed;
                    c.ports
                        .push(DeclaredPort::new(kind, port, protocol, Some(key_span)));
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
            let Some((target, tspan)) = self.r.required_str(o, m, &at, "Destination") else {
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
}

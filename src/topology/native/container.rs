//! Containers: role, image, argv, env, declared ports, declared listeners
//! (TCP/UDP ports or unix sockets, with what they speak) and mounts.

use super::*;
use std::net::IpAddr;

impl Loader<'_> {
    /// Reads `containers[j]` of unit `unit`; `None` when it is skipped.
    pub(super) fn container(
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
        let container = Container::new(name, image, Some(name_span))
            .service(service)
            .role(role)
            .runs(entrypoint, command, env)
            .ports(ports)
            .listeners(listeners)
            .mounts(mounts);
        Some(container)
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
        let host_ip = self.r.str(o, p, &pat, "host_ip").map(|h| h.0.to_string());
        let protocol = self.r.protocol(o, p, &pat);
        let name = self.r.str(o, p, &pat, "name").map(|n| n.0.to_string());
        let port = DeclaredPort::new(kind, port, protocol, Some(span))
            .published(host.map(|h| h.0), host_ip, host.map(|h| h.1))
            .named(name);
        Some(port)
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
        let provenance = Provenance::new(ProvenanceKind::Declared, "", Some(span));
        let mut listener = Listener::new(port, provenance, Certainty::Stated)
            .over(protocol)
            .bound(bind)
            .speaks(app_protocol);
        listener.provenance.detail = match note {
            Some(n) => format!("declared {}: {n}", listener),
            None => format!("declared {}", listener),
        };
        Some(listener)
    }
}

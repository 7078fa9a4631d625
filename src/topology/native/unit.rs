//! Units (network namespaces): their kind per platform, labels, host
//! entries, links, containers; the volumes they mount and the files
//! carried into their containers.

use super::*;
use std::net::IpAddr;

impl Loader<'_> {
    /// Reads `volumes[i]` of the document.
    pub(super) fn volume(&mut self, v: &Node, i: usize) {
        let Some((name, name_span)) = self.listed("volumes", v, i) else {
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
            self.twice(name_span, &format!("volume `{name}`"));
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
        topo.volumes.push(Volume::new(name, kind, name_span));
        self.volume_units.push(unit);
    }

    /// Reads `units[i]` of the document.
    pub(super) fn unit(&mut self, u: &Node, i: usize, platform: Platform, domain: &str) {
        let Some((name, name_span)) = self.listed("units", u, i) else {
            return;
        };
        let o = format!("unit {name}");
        if self
            .topo
            .as_ref()
            .is_some_and(|t| t.units.iter().any(|x| x.name == name))
        {
            self.twice(name_span, &format!("unit `{name}`"));
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
        let unit = Unit::new(name, kind, Some(name_span))
            .containers(containers)
            .addresses(addresses)
            .labels(labels)
            .hostname(hostname)
            .host_network(host_network)
            .no_network(no_network)
            .extra_hosts(extra_hosts)
            .links(links)
            .dns(dns);
        topo.units.push(unit);
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

    /// Reads `files[i]`: a file carried into a container of a unit.
    pub(super) fn file(&mut self, f: &Node, i: usize) {
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

//! `docker inspect` output into a compose-platform topology: the dump's
//! containers are read (`container.rs`), then placed into units: one per
//! own network namespace, `container:<id>` joiners into their owner's,
//! `host` mode containers into one host unit; networks and volumes are
//! shared by name, and links become DNS aliases or `/etc/hosts` lines.

mod container;

use super::*;
use crate::topology::read::{Dialect, Reader, anchor};
use crate::topology::yaml::{Node, Value};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

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

/// The loader's state: the topology so far, networks and volumes by
/// identity, and the compose projects seen.
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
        let network = Network::new(key, name, kind, Some(span)).addressed(
            subnet,
            gateway,
            AddressOrigin::Observed,
        );
        self.topo.networks.push(network);
        self.networks.insert(name.to_string(), id);
        id
    }

    fn volume(&mut self, key: String, name: String, kind: VolumeKind, span: Span) -> usize {
        *self.volumes.entry(key).or_insert_with(|| {
            self.topo.volumes.push(Volume::new(name, kind, span));
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
                        let host = Unit::host(Address::modelled(net), Some(c.span));
                        self.topo.units.push(host);
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
                                Address::modelled(self.networks[&a.network])
                                    .ip(a.ip, AddressOrigin::Observed)
                                    .names(a.names.clone())
                                    .at(Some(a.span))
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
                    let hostname = c
                        .hostname
                        .clone()
                        .or_else(|| Some(short(&c.id).to_string()));
                    let unit = Unit::new(c.container.name.clone(), kind, Some(c.span))
                        .containers(vec![c.container.clone()])
                        .addresses(addresses)
                        .hostname(hostname)
                        .no_network(matches!(c.mode, Mode::None))
                        .extra_hosts(c.extra_hosts.clone())
                        .dns(dns);
                    self.topo.units.push(unit);
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
                    let kind = UnitKind::DockerContainer;
                    let unit = Unit::new(c.container.name.clone(), kind, Some(c.span))
                        .containers(vec![c.container.clone()])
                        .hostname(c.hostname.clone())
                        .extra_hosts(c.extra_hosts.clone())
                        .dns(c.dns.clone());
                    self.topo.units.push(unit);
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

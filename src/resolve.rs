//! Resolves every upstream from nginx's own network namespace, the way
//! nginx would (shared/reference/networking.md §0 and §3):
//!
//! 1. the host: an `upstream { }` group first; static names once at
//!    start-up through libc (`/etc/hosts` with `extra_hosts`, links, Docker's
//!    embedded DNS only on user-defined networks nginx shares with the
//!    target, the Kubernetes search list with `ndots:5`); names built from
//!    variables through nginx's own `resolver` (no hosts file, no search
//!    list); IP literals against the address plan; loopback to nginx's own
//!    unit; `unix:` sockets through mounts shared with the listening container;
//! 2. the port: the target must listen on it at an address nginx can reach
//!    (`0.0.0.0`/`::` or its own IP; `127.0.0.1` only from the same unit);
//!    a Kubernetes Service maps `port` → `targetPort` (named ports too) →
//!    every selected pod; a headless Service goes straight to pod ports.
//!
//! Each resolution records structured facts (for rules) and a trace of
//! plain sentences (for people), and ends in a [`Status`].

use crate::nginx::upstreams::{
    Extraction, HostKind, HostTarget, Resolution as When, Target, UpstreamRef,
};
use crate::topology::names::{self, NameSource};
use crate::topology::*;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The outcome for one upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// nginx connects and something listens there.
    Reachable,
    /// nginx cannot connect, or refuses to start because of it.
    Unreachable,
    /// We cannot tell (e.g. the backend's port is nowhere stated).
    Unverifiable,
}

/// The nginx container a resolution is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Site {
    /// Its unit (network namespace).
    pub unit: UnitId,
    /// Its container index in the unit.
    pub container: usize,
}

/// How the host part was looked up.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lookup {
    /// An `upstream { }` group; its members are resolved on their own.
    Group {
        /// Index in [`Extraction::groups`].
        group: usize,
    },
    /// An IP literal.
    Ip {
        /// The address.
        ip: IpAddr,
    },
    /// A name that resolved.
    Name {
        /// The name as asked.
        name: String,
        /// The name that matched (after the search list).
        matched: String,
        /// How it was answered.
        via: NameSource,
        /// When nginx resolves it.
        runtime: bool,
    },
    /// A name that did not resolve.
    NotFound {
        /// The name.
        name: String,
        /// Looked up by nginx's `resolver` at request time (else libc at start-up).
        runtime: bool,
        /// Why, when there is more to say than "no such name".
        why: Option<String>,
        /// Close names that do resolve (for a suggestion).
        near: Vec<String>,
        /// Other facts that explain the miss.
        hints: Vec<Hint>,
    },
    /// A unix-domain socket path.
    Unix {
        /// The path as nginx sees it.
        path: String,
    },
    /// A target built from variables that needs nginx's `resolver`, but none is set.
    NoResolver,
    /// A target whose address depends on the request.
    Dynamic,
    /// Nothing to look up (an invalid target; nginx's own error covers it).
    Invalid,
}

/// A fact that explains why a name did not resolve.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hint {
    /// The name exists on a network nginx does not join.
    OnOtherNetwork {
        /// The unit answering to the name.
        unit: UnitId,
        /// The network it is on.
        network: NetworkId,
    },
    /// A Service of that name exists in another namespace.
    OtherNamespace {
        /// The Service.
        service: ServiceId,
    },
    /// A workload or pod has that name (Services, not workloads, have DNS names).
    WorkloadName {
        /// A unit of the workload.
        unit: UnitId,
    },
    /// The name is a short Service name, which nginx's `resolver` does not expand.
    ShortServiceName {
        /// The Service it would mean.
        service: ServiceId,
    },
    /// nginx's `resolver` cannot answer names of this platform.
    ResolverNotPlatformDns {
        /// Index in [`Extraction::resolvers`].
        resolver: usize,
    },
}

/// What happened at one address the host resolved to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// A listener accepts the connection.
    Listening {
        /// The unit listening.
        unit: UnitId,
        /// Its container.
        container: usize,
        /// The listener index in the container.
        listener: usize,
    },
    /// The only listener on the port is bound to loopback in another unit.
    LoopbackOnly {
        /// The unit.
        unit: UnitId,
        /// Its container.
        container: usize,
        /// The listener index.
        listener: usize,
    },
    /// The listener is bound to one address family and nginx connects with the other.
    WrongFamily {
        /// The unit.
        unit: UnitId,
        /// Its container.
        container: usize,
        /// The listener index.
        listener: usize,
    },
    /// What listens in the unit is known, and nothing is on this port.
    NothingListens {
        /// The unit.
        unit: UnitId,
        /// Ports known to listen there.
        known: Vec<u16>,
    },
    /// Nothing is known about what listens in the unit.
    Unknown {
        /// The unit.
        unit: UnitId,
    },
    /// nginx connects to a `listen` of the very `server { }` the request
    /// is in (for a group member: of a server that uses the group): a proxy
    /// loop. A `listen` of another server block is [`Outcome::Listening`].
    SelfLoop {
        /// nginx's container in its unit.
        container: usize,
        /// The listener index (one of nginx's own `listen`s).
        listener: usize,
    },
    /// The ClusterIP Service has no such port.
    NoServicePort {
        /// The Service.
        service: ServiceId,
    },
    /// The Service's named `targetPort` matches no containerPort of a pod.
    TargetPortUnresolved {
        /// The Service.
        service: ServiceId,
        /// The name.
        name: String,
    },
    /// The Service selects no pods.
    NoEndpoints {
        /// The Service.
        service: ServiceId,
    },
    /// The address is on no network nginx joins.
    NoRoute {
        /// The unit owning the address.
        unit: UnitId,
    },
    /// The address is outside the modelled world.
    Outside,
    /// No socket file at that path is shared with nginx.
    SocketNotShared {
        /// A unit listening on a socket of that name elsewhere.
        listener_unit: Option<UnitId>,
    },
}

/// One address reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The address connected to.
    pub ip: Option<IpAddr>,
    /// The port connected to.
    pub port: Option<u16>,
    /// The Service behind a ClusterIP (or headless name).
    pub service: Option<ServiceId>,
    /// The port in the pod after `targetPort`.
    pub pod_port: Option<u16>,
    /// What happened.
    pub outcome: Outcome,
}

/// The resolution of one upstream from one nginx container.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    /// Index in [`Extraction::upstreams`].
    pub upstream: usize,
    /// The nginx container.
    pub site: Site,
    /// The verdict for this upstream.
    pub status: Status,
    /// One line saying why, for unreachable and unverifiable upstreams.
    pub reason: Option<String>,
    /// The host lookup.
    pub lookup: Lookup,
    /// Each address reached and what happened there.
    pub hits: Vec<Hit>,
    /// The port nginx connects to.
    pub port: Option<u16>,
    /// Steps in plain sentences.
    pub trace: Vec<String>,
}

/// Resolves every upstream from every nginx site. Group references come
/// after their members, so their status can use the members'.
pub fn resolve_all(topo: &Topology, ex: &Extraction, sites: &[Site]) -> Vec<Resolution> {
    let mut out = Vec::new();
    for site in sites {
        let r = Resolver {
            topo,
            ex,
            site: *site,
            table: names::table(topo, site.unit),
            by_name: Default::default(),
            near_cache: Default::default(),
        };
        let mut r = r;
        for (i, e) in r.table.iter().enumerate() {
            r.by_name
                .entry(e.name.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
        let mut mine: Vec<Resolution> = (0..ex.upstreams.len()).map(|i| r.resolve(i)).collect();
        // Groups aggregate their members.
        for i in 0..mine.len() {
            if let Lookup::Group { group } = mine[i].lookup {
                let members: Vec<&Resolution> = ex.groups[group]
                    .servers
                    .iter()
                    .filter(|m| !ex.upstreams[**m].params.as_ref().is_some_and(|p| p.down))
                    .map(|m| &mine[*m])
                    .collect();
                let (status, reason) = aggregate(&members, &ex.groups[group].name);
                let count = |s: Status| members.iter().filter(|m| m.status == s).count();
                let line = format!(
                    "upstream group `{}`: {} reachable, {} unreachable, {} unverifiable member(s); nginx fails over between them",
                    ex.groups[group].name,
                    count(Status::Reachable),
                    count(Status::Unreachable),
                    count(Status::Unverifiable)
                );
                mine[i].status = status;
                mine[i].reason = reason;
                mine[i].trace.push(line);
            }
        }
        out.extend(mine);
    }
    out
}

fn aggregate(members: &[&Resolution], name: &str) -> (Status, Option<String>) {
    if members.is_empty() {
        return (
            Status::Unreachable,
            Some(format!("upstream group `{name}` has no usable server")),
        );
    }
    // A server whose name does not resolve at start-up stops nginx: the
    // group never serves, whatever its other servers do.
    if let Some(m) = members.iter().find(|m| {
        matches!(&m.lookup, Lookup::NotFound { runtime: false, .. })
            || m.reason
                .as_deref()
                .is_some_and(|r| r.starts_with("no port in upstream"))
    }) {
        return (
            Status::Unreachable,
            Some(format!(
                "upstream group `{name}` cannot load: {}",
                m.reason
                    .clone()
                    .unwrap_or_else(|| "a server is invalid".into())
            )),
        );
    }
    if members.iter().any(|m| m.status == Status::Reachable) {
        (Status::Reachable, None)
    } else if members.iter().any(|m| m.status == Status::Unverifiable) {
        (
            Status::Unverifiable,
            Some(format!(
                "no server of upstream group `{name}` is known to be reachable"
            )),
        )
    } else {
        (
            Status::Unreachable,
            Some(format!("no server of upstream group `{name}` is reachable")),
        )
    }
}

struct Resolver<'a> {
    topo: &'a Topology,
    ex: &'a Extraction,
    site: Site,
    /// What nginx's unit resolves (computed once per site).
    table: Vec<names::NameEntry>,
    /// Entries of `table` by lowercased name.
    by_name: std::collections::HashMap<String, Vec<usize>>,
    /// Near-name suggestions already computed, by (name, table size).
    near_cache: std::cell::RefCell<std::collections::HashMap<(String, usize), Vec<String>>>,
}

/// An address a name resolved to, with what owns it.
#[derive(Debug, Clone, Copy)]
struct Addr {
    ip: IpAddr,
    unit: Option<UnitId>,
    service: Option<ServiceId>,
}

impl<'a> Resolver<'a> {
    fn unit(&self, id: UnitId) -> &'a Unit {
        &self.topo.units[id.0]
    }

    fn nginx(&self) -> &'a Unit {
        self.unit(self.site.unit)
    }

    fn resolve(&self, i: usize) -> Resolution {
        let up = &self.ex.upstreams[i];
        let mut trace = Vec::new();
        let mut res = Resolution {
            upstream: i,
            site: self.site,
            status: Status::Unverifiable,
            reason: None,
            lookup: Lookup::Invalid,
            hits: Vec::new(),
            port: None,
            trace: Vec::new(),
        };
        match &up.target {
            Target::Group(g) => {
                res.lookup = Lookup::Group { group: g.group };
                trace.push(format!(
                    "`{}` names upstream group `{}`, not a host: nginx balances over its servers",
                    g.name, self.ex.groups[g.group].name
                ));
                res.status = Status::Reachable;
            }
            Target::Unix(u) => {
                res.lookup = Lookup::Unix {
                    path: u.path.clone(),
                };
                self.unix(&u.path, &mut res, &mut trace);
            }
            Target::Host(h) => {
                if !up.notes.is_empty() {
                    trace.push(format!("nginx rejects this line: {}", up.notes[0].message));
                    res.status = Status::Unreachable;
                    res.reason = Some(up.notes[0].message.clone());
                    res.trace = trace;
                    return res;
                }
                let port = h.port.or(up.default_port);
                res.port = port;
                let runtime = up.resolution == When::Runtime;
                self.host(up, h, port, runtime, &mut res, &mut trace);
            }
            Target::Variable(v) => {
                let resolvable: Vec<&Target> = v
                    .static_values
                    .iter()
                    .filter_map(|c| c.target.as_ref())
                    .collect();
                if resolvable.is_empty() || !v.complete {
                    res.lookup = Lookup::Dynamic;
                    trace.push(format!(
                        "`{}` depends on the request; its address cannot be known in advance",
                        v.raw
                    ));
                    res.status = Status::Unverifiable;
                    res.reason = Some(format!("`{}` depends on the request", v.raw));
                } else {
                    // Every static value is a candidate; nginx resolves each
                    // at request time through its `resolver`.
                    let mut sub = Vec::new();
                    for c in &v.static_values {
                        let Some(t) = &c.target else { continue };
                        let mut r = res.clone();
                        let mut t2 = Vec::new();
                        t2.push(format!("`{}` can be `{}`", v.raw, c.value));
                        match t {
                            Target::Host(h) => {
                                let port = h.port.or(c.default_port);
                                r.port = port;
                                let is_ip = matches!(h.kind, HostKind::Ipv4 | HostKind::Ipv6);
                                self.host(up, h, port, !is_ip, &mut r, &mut t2);
                            }
                            Target::Unix(u) => self.unix(&u.path, &mut r, &mut t2),
                            Target::Group(g) => {
                                r.lookup = Lookup::Group { group: g.group };
                                r.status = Status::Reachable;
                                t2.push(format!("`{}` names upstream group `{}`", g.name, g.name));
                            }
                            Target::Variable(_) => {}
                        }
                        r.trace = t2;
                        sub.push(r);
                    }
                    // The worst candidate decides: any value may be used.
                    let worst = sub
                        .iter()
                        .max_by_key(|r| match r.status {
                            Status::Reachable => 0,
                            Status::Unverifiable => 1,
                            Status::Unreachable => 2,
                        })
                        .cloned();
                    if let Some(w) = worst {
                        for s in &sub {
                            trace.extend(s.trace.iter().cloned());
                        }
                        res = Resolution {
                            trace: Vec::new(),
                            ..w
                        };
                    }
                }
            }
        }
        res.trace.splice(0..0, trace);
        self.finish_reason(up, &mut res);
        res
    }

    fn finish_reason(&self, up: &UpstreamRef, res: &mut Resolution) {
        if res.status == Status::Reachable || res.reason.is_some() {
            return;
        }
        let target = target_text(up);
        res.reason = Some(match (&res.lookup, res.hits.first().map(|h| &h.outcome)) {
            (
                Lookup::NotFound {
                    name,
                    runtime: false,
                    ..
                },
                _,
            ) => {
                format!("host not found in upstream \"{name}\": nginx will not start")
            }
            (Lookup::NotFound { name, .. }, _) => format!("`{name}` could not be resolved"),
            (Lookup::NoResolver, _) => format!("no resolver defined to resolve `{target}`"),
            (_, Some(Outcome::Unknown { unit })) => {
                format!("nothing says what listens in `{}`", self.unit(*unit).name)
            }
            (_, Some(o)) => format!("`{target}`: {}", self.outcome_text(o, res.port)),
            _ => format!("`{target}` cannot be checked"),
        });
    }

    fn outcome_text(&self, o: &Outcome, port: Option<u16>) -> String {
        let p = port.map_or_else(|| "?".into(), |p| p.to_string());
        match o {
            Outcome::Listening { unit, .. } => {
                format!("`{}` listens on {p}", self.unit(*unit).name)
            }
            Outcome::LoopbackOnly { unit, .. } => format!(
                "`{}` listens on port {p} only on its own loopback",
                self.unit(*unit).name
            ),
            Outcome::WrongFamily { unit, .. } => format!(
                "`{}` listens on port {p} in the other address family",
                self.unit(*unit).name
            ),
            Outcome::NothingListens { unit, known } => format!(
                "nothing listens on port {p} in `{}` (listening: {})",
                self.unit(*unit).name,
                join_ports(known)
            ),
            Outcome::Unknown { unit } => {
                format!("nothing says what listens in `{}`", self.unit(*unit).name)
            }
            Outcome::SelfLoop { .. } => "nginx would connect to itself (a proxy loop)".into(),
            Outcome::NoServicePort { service } => {
                let s = &self.topo.services[service.0];
                format!(
                    "Service `{}` has no port {p} (ports: {})",
                    s.name,
                    join_ports(&s.ports.iter().map(|x| x.port).collect::<Vec<_>>())
                )
            }
            Outcome::TargetPortUnresolved { service, name } => format!(
                "no pod of Service `{}` has a containerPort named `{name}`",
                self.topo.services[service.0].name
            ),
            Outcome::NoEndpoints { service } => format!(
                "Service `{}` selects no pods",
                self.topo.services[service.0].name
            ),
            Outcome::NoRoute { unit } => {
                format!("`{}` is on no network nginx joins", self.unit(*unit).name)
            }
            Outcome::Outside => "the address is outside the described topology".into(),
            Outcome::SocketNotShared { .. } => {
                "the socket is not on a volume nginx shares with the server".into()
            }
        }
    }

    // ----- host names -----

    fn host(
        &self,
        up: &UpstreamRef,
        h: &HostTarget,
        port: Option<u16>,
        runtime: bool,
        res: &mut Resolution,
        trace: &mut Vec<String>,
    ) {
        let addrs: Vec<Addr> = match h.kind {
            HostKind::Ipv4 | HostKind::Ipv6 | HostKind::Wildcard => {
                let Ok(ip) = h.host.parse::<IpAddr>() else {
                    res.lookup = Lookup::Invalid;
                    res.status = Status::Unreachable;
                    return;
                };
                res.lookup = Lookup::Ip { ip };
                vec![self.owner_of(ip, trace)]
            }
            HostKind::Localhost | HostKind::Name if !runtime => {
                match self.libc_lookup(&h.host, trace) {
                    Ok((addrs, lookup)) => {
                        res.lookup = lookup;
                        addrs
                    }
                    Err(nf) => {
                        res.lookup = nf;
                        res.status = Status::Unreachable;
                        return;
                    }
                }
            }
            HostKind::Localhost | HostKind::Name => match self.runtime_lookup(up, &h.host, trace) {
                Ok((addrs, lookup)) => {
                    res.lookup = lookup;
                    addrs
                }
                Err(l) => {
                    res.status = Status::Unreachable;
                    res.lookup = l;
                    return;
                }
            },
        };
        let Some(port) = port else {
            trace.push(format!(
                "`{}` names no port and `{}` has no default: nginx says `no port in upstream`",
                h.host,
                up.directive.name()
            ));
            res.status = Status::Unreachable;
            res.reason = Some(format!("no port in upstream \"{}\"", h.host));
            return;
        };
        let own = self.own_listens(up);
        for a in addrs {
            let hit = self.connect(a, port, &own, trace);
            res.hits.push(hit);
        }
        res.status = status_of(&res.hits);
    }

    /// Who owns an IP address nginx connects to.
    fn owner_of(&self, ip: IpAddr, trace: &mut Vec<String>) -> Addr {
        if ip.is_loopback() {
            trace.push(format!(
                "`{ip}` is the loopback of nginx's own network namespace (`{}`)",
                self.nginx().name
            ));
            return Addr {
                ip,
                unit: Some(self.site.unit),
                service: None,
            };
        }
        for (i, u) in self.topo.units.iter().enumerate() {
            if u.addresses.iter().any(|a| a.ip == Some(ip)) {
                trace.push(format!("`{ip}` is the address of `{}`", u.name));
                return Addr {
                    ip,
                    unit: Some(UnitId(i)),
                    service: None,
                };
            }
        }
        for (i, s) in self.topo.services.iter().enumerate() {
            if s.cluster_ip == Some(ip) {
                trace.push(format!("`{ip}` is the ClusterIP of Service `{}`", s.name));
                return Addr {
                    ip,
                    unit: None,
                    service: Some(ServiceId(i)),
                };
            }
        }
        trace.push(format!("`{ip}` belongs to nothing in the topology"));
        Addr {
            ip,
            unit: None,
            service: None,
        }
    }

    fn localhost(&self, trace: &mut Vec<String>) -> Vec<Addr> {
        // nginx asks getaddrinfo with AI_ADDRCONFIG: glibc returns `::1`
        // from /etc/hosts only when the namespace has a non-loopback IPv6
        // address (an IPv6-enabled network); musl (Alpine images) whenever
        // `::1` is routable, i.e. on the loopback (Docker Engine 26+,
        // Kubernetes pods). Both addresses are then tried in turn.
        let ipv6 = self
            .nginx()
            .addresses
            .iter()
            .any(|a| a.ip.is_some_and(|ip| ip.is_ipv6() && !ip.is_loopback()));
        let musl = self.nginx().containers[self.site.container]
            .image
            .as_deref()
            .filter(|i| i.to_ascii_lowercase().contains("alpine"));
        let mut ips = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
        if ipv6 {
            ips.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
            trace.push(format!(
                "`localhost` is 127.0.0.1 and ::1 (nginx's namespace `{}` has IPv6, so getaddrinfo returns both): nginx's own network namespace, both addresses in turn",
                self.nginx().name
            ));
        } else if let Some(image) = musl {
            ips.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
            trace.push(format!(
                "`localhost` is 127.0.0.1 and ::1 (nginx's image `{image}` uses musl, whose getaddrinfo keeps ::1 when the loopback has it): nginx's own network namespace (`{}`), both addresses in turn",
                self.nginx().name
            ));
        } else {
            trace.push(format!(
                "`localhost` is 127.0.0.1 in nginx's own network namespace (`{}`); ::1 is left out by getaddrinfo's AI_ADDRCONFIG, as the namespace has no IPv6 address",
                self.nginx().name
            ));
        }
        ips.into_iter()
            .map(|ip| Addr {
                ip,
                unit: Some(self.site.unit),
                service: None,
            })
            .collect()
    }

    /// getaddrinfo from nginx's unit: /etc/hosts, then DNS with the search list.
    fn libc_lookup(
        &self,
        name: &str,
        trace: &mut Vec<String>,
    ) -> Result<(Vec<Addr>, Lookup), Lookup> {
        let lname = name.trim_end_matches('.').to_ascii_lowercase();
        if lname == "localhost" {
            return Ok((
                self.localhost(trace),
                Lookup::Name {
                    name: name.into(),
                    matched: "localhost".into(),
                    via: NameSource::Localhost,
                    runtime: false,
                },
            ));
        }
        let table = &self.table;
        let candidates = self.search_candidates(&lname);
        for cand in &candidates {
            let hits = self.lookup_exact(cand);
            if let Some(first) = hits.first() {
                let mut addrs = Vec::new();
                for e in &hits {
                    let svc = match &e.source {
                        NameSource::Service { service } => self.service_by_key(service),
                        _ => None,
                    };
                    let headless =
                        svc.is_some_and(|s| self.topo.services[s.0].kind == ServiceKind::Headless);
                    for (k, ip) in e.addresses.iter().enumerate() {
                        let unit = if svc.is_some() && !headless {
                            None
                        } else {
                            e.units.get(k).copied().or_else(|| self.unit_with_ip(*ip))
                        };
                        addrs.push(Addr {
                            ip: *ip,
                            unit,
                            service: svc,
                        });
                    }
                }
                trace.push(format!(
                    "`{name}` resolves at start-up{} through {} to {}",
                    if cand != &lname {
                        format!(" (as `{cand}`)")
                    } else {
                        String::new()
                    },
                    source_text(&first.source),
                    if addrs.is_empty() {
                        "no address".into()
                    } else {
                        addrs
                            .iter()
                            .map(|a| a.ip.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
                if addrs.is_empty() {
                    return Err(Lookup::NotFound {
                        name: name.into(),
                        runtime: false,
                        why: Some("the name has no address".into()),
                        near: Vec::new(),
                        hints: Vec::new(),
                    });
                }
                return Ok((
                    addrs,
                    Lookup::Name {
                        name: name.into(),
                        matched: cand.clone(),
                        via: first.source.clone(),
                        runtime: false,
                    },
                ));
            }
        }
        let hints = self.hints(&lname, None);
        let near = self.near_names(&lname, table);
        trace.push(format!(
            "`{name}` does not resolve from `{}`: nginx stops with `host not found in upstream`",
            self.nginx().name
        ));
        Err(Lookup::NotFound {
            name: name.into(),
            runtime: false,
            why: None,
            near,
            hints,
        })
    }

    /// The names getaddrinfo tries, in order, from nginx's resolv.conf.
    fn search_candidates(&self, name: &str) -> Vec<String> {
        let dns = &self.nginx().dns;
        if dns.search.is_empty() {
            return vec![name.to_string()];
        }
        let dots = name.matches('.').count();
        let with_search: Vec<String> = dns.search.iter().map(|s| format!("{name}.{s}")).collect();
        if dots >= usize::from(dns.ndots.max(1)) {
            std::iter::once(name.to_string())
                .chain(with_search)
                .collect()
        } else {
            with_search
                .into_iter()
                .chain(std::iter::once(name.to_string()))
                .collect()
        }
    }

    /// nginx's own resolver at request time: names sent verbatim.
    fn runtime_lookup(
        &self,
        up: &UpstreamRef,
        name: &str,
        trace: &mut Vec<String>,
    ) -> Result<(Vec<Addr>, Lookup), Lookup> {
        let Some(ri) = up.resolver else {
            trace.push(format!(
                "`{name}` must be resolved at request time, but no `resolver` is set: nginx answers 502 (`no resolver defined to resolve {name}`)"
            ));
            return Err(Lookup::NoResolver);
        };
        let r = &self.ex.resolvers[ri];
        let lname = name.trim_end_matches('.').to_ascii_lowercase();
        if !self.resolver_is_platform_dns(ri) {
            let servers: Vec<&str> = r.addresses.iter().map(|a| a.host.as_str()).collect();
            trace.push(format!(
                "`{name}` is resolved at request time by `resolver {}`, which is not this platform's DNS ({}): it cannot answer",
                servers.join(" "),
                self.platform_dns_text()
            ));
            return Err(Lookup::NotFound {
                name: name.into(),
                runtime: true,
                why: Some("the resolver is not the platform's DNS".into()),
                near: Vec::new(),
                hints: vec![Hint::ResolverNotPlatformDns { resolver: ri }],
            });
        }
        // Only DNS answers: no /etc/hosts, no search list.
        let from_dns = |e: &names::NameEntry| {
            matches!(
                e.source,
                NameSource::DockerDns { .. } | NameSource::Service { .. } | NameSource::PodRecord
            )
        };
        let hits: Vec<&names::NameEntry> = self
            .lookup_exact(&lname)
            .into_iter()
            .filter(|e| from_dns(e))
            .collect();
        if hits.is_empty() {
            let hints = self.hints(&lname, Some(ri));
            trace.push(format!(
                "`{name}` is resolved at request time by nginx's `resolver`, which uses no search list and no /etc/hosts: no such name"
            ));
            return Err(Lookup::NotFound {
                name: name.into(),
                runtime: true,
                why: None,
                near: {
                    let table: Vec<names::NameEntry> =
                        self.table.iter().filter(|e| from_dns(e)).cloned().collect();
                    self.near_names(&lname, &table)
                },
                hints,
            });
        }
        let mut addrs = Vec::new();
        for e in &hits {
            let svc = match &e.source {
                NameSource::Service { service } => self.service_by_key(service),
                _ => None,
            };
            let headless =
                svc.is_some_and(|s| self.topo.services[s.0].kind == ServiceKind::Headless);
            for (k, ip) in e.addresses.iter().enumerate() {
                addrs.push(Addr {
                    ip: *ip,
                    unit: if svc.is_some() && !headless {
                        None
                    } else {
                        e.units.get(k).copied().or_else(|| self.unit_with_ip(*ip))
                    },
                    service: svc,
                });
            }
        }
        trace.push(format!(
            "`{name}` resolves at request time through nginx's `resolver` ({}) to {}",
            source_text(&hits[0].source),
            addrs
                .iter()
                .map(|a| a.ip.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok((
            addrs,
            Lookup::Name {
                name: name.into(),
                matched: lname,
                via: hits[0].source.clone(),
                runtime: true,
            },
        ))
    }

    /// True when a `resolver` points at the DNS that knows this platform's names.
    pub fn resolver_is_platform_dns(&self, ri: usize) -> bool {
        let r = &self.ex.resolvers[ri];
        r.addresses.iter().any(|a| match self.topo.platform {
            Platform::Compose => {
                a.host == "127.0.0.11"
                    && self
                        .nginx()
                        .addresses
                        .iter()
                        .any(|x| self.topo.networks[x.network.0].kind.has_dns())
            }
            Platform::Kubernetes => {
                let dns = self.topo.cluster.as_ref().map(|c| c.dns_ip);
                a.host.parse::<IpAddr>().ok() == dns
                    || a.host.starts_with("kube-dns.kube-system")
                    || a.host.starts_with("coredns.kube-system")
            }
        })
    }

    fn platform_dns_text(&self) -> String {
        match self.topo.platform {
            Platform::Compose => "Docker's embedded DNS is 127.0.0.11".into(),
            Platform::Kubernetes => format!(
                "cluster DNS is {}",
                self.topo
                    .cluster
                    .as_ref()
                    .map_or_else(|| "kube-dns".into(), |c| c.dns_ip.to_string())
            ),
        }
    }

    fn service_by_key(&self, key: &str) -> Option<ServiceId> {
        self.topo
            .services
            .iter()
            .position(|s| format!("{}.{}", s.name, s.namespace) == key)
            .map(ServiceId)
    }

    fn unit_with_ip(&self, ip: IpAddr) -> Option<UnitId> {
        self.topo
            .units
            .iter()
            .position(|u| u.addresses.iter().any(|a| a.ip == Some(ip)))
            .map(UnitId)
    }

    /// Why a name may have missed: on another network, another namespace, a workload name.
    fn hints(&self, name: &str, runtime_resolver: Option<usize>) -> Vec<Hint> {
        let mut hints = Vec::new();
        let first = name.split('.').next().unwrap_or(name);
        for (i, u) in self.topo.units.iter().enumerate() {
            for a in &u.addresses {
                if a.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name))
                    && !self
                        .nginx()
                        .addresses
                        .iter()
                        .any(|x| x.network == a.network)
                {
                    hints.push(Hint::OnOtherNetwork {
                        unit: UnitId(i),
                        network: a.network,
                    });
                }
            }
        }
        if self.topo.platform == Platform::Kubernetes {
            let my_ns = match &self.nginx().kind {
                UnitKind::Pod { namespace, .. } => namespace.clone(),
                _ => "default".into(),
            };
            for (i, s) in self.topo.services.iter().enumerate() {
                if s.name.eq_ignore_ascii_case(first) {
                    if runtime_resolver.is_some() {
                        hints.push(Hint::ShortServiceName {
                            service: ServiceId(i),
                        });
                    } else if s.namespace != my_ns {
                        hints.push(Hint::OtherNamespace {
                            service: ServiceId(i),
                        });
                    }
                }
            }
            for (i, u) in self.topo.units.iter().enumerate() {
                if let UnitKind::Pod { workload, .. } = &u.kind
                    && (workload.eq_ignore_ascii_case(first) || u.name.eq_ignore_ascii_case(first))
                    && !self
                        .topo
                        .services
                        .iter()
                        .any(|s| s.name.eq_ignore_ascii_case(first))
                {
                    hints.push(Hint::WorkloadName { unit: UnitId(i) });
                    break;
                }
            }
        }
        hints
    }

    /// The table's entries for exactly this name (case-insensitive).
    fn lookup_exact(&self, name: &str) -> Vec<&names::NameEntry> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|ix| ix.iter().map(|i| &self.table[*i]).collect())
            .unwrap_or_default()
    }

    /// Names that resolve and are close to `name` (edit distance), best first.
    fn near_names(&self, name: &str, table: &[names::NameEntry]) -> Vec<String> {
        // The same unknown name is often written many times: compute once.
        let key = (name.to_string(), table.len());
        if let Some(hit) = self.near_cache.borrow().get(&key) {
            return hit.clone();
        }
        let found = self.compute_near_names(name, table);
        self.near_cache.borrow_mut().insert(key, found.clone());
        found
    }

    fn compute_near_names(&self, name: &str, table: &[names::NameEntry]) -> Vec<String> {
        let mut scored: Vec<(usize, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for e in table {
            if matches!(e.source, NameSource::Localhost) {
                continue;
            }
            // Offer the short form of cluster names too.
            let short = e.name.split('.').next().unwrap_or(&e.name).to_string();
            for cand in [e.name.clone(), short] {
                if !seen.insert(cand.clone()) {
                    continue;
                }
                let limit = (name.len().max(cand.len()) / 3).max(2);
                // The distance is at least the length difference: skip the
                // computation for names that cannot be close.
                if name.len().abs_diff(cand.len()) > limit {
                    continue;
                }
                let d = strsim::damerau_levenshtein(name, &cand.to_ascii_lowercase());
                if d <= limit {
                    scored.push((d, cand));
                }
            }
        }
        scored.sort();
        scored.into_iter().map(|(_, n)| n).take(3).collect()
    }

    // ----- ports -----

    /// The `listen`s of the server blocks a request for `up` comes in on:
    /// its own `server { }`, or for a group member every server using the group.
    fn own_listens(&self, up: &UpstreamRef) -> Vec<crate::source::Span> {
        let servers: Vec<&crate::nginx::upstreams::ServerInfo> = match up.group_index {
            Some(g) => self.ex.groups[g]
                .references
                .iter()
                .filter_map(|r| self.ex.upstreams[*r].server.as_ref())
                .collect(),
            None => up.server.iter().collect(),
        };
        servers
            .iter()
            .flat_map(|s| s.listens.iter().map(|i| self.ex.listens[*i].span))
            .collect()
    }

    fn connect(
        &self,
        a: Addr,
        port: u16,
        own: &[crate::source::Span],
        trace: &mut Vec<String>,
    ) -> Hit {
        let mut hit = Hit {
            ip: Some(a.ip),
            port: Some(port),
            service: a.service,
            pod_port: None,
            outcome: Outcome::Outside,
        };
        if let Some(s) = a.service {
            let svc = &self.topo.services[s.0];
            if svc.kind == ServiceKind::Headless {
                if let Some(u) = a.unit {
                    hit.pod_port = Some(port);
                    hit.outcome = self.listener_at(u, a.ip, port, own, trace);
                }
                return hit;
            }
            return self.via_service(s, port, hit, own, trace);
        }
        let Some(u) = a.unit else {
            trace.push(format!(
                "`{}` is outside the described topology: cannot check port {port}",
                a.ip
            ));
            return hit;
        };
        if u != self.site.unit && !a.ip.is_loopback() && !self.shares_network(u, a.ip) {
            trace.push(format!(
                "`{}` ({}) is on no network nginx joins: no route",
                a.ip,
                self.unit(u).name
            ));
            hit.outcome = Outcome::NoRoute { unit: u };
            return hit;
        }
        hit.outcome = self.listener_at(u, a.ip, port, own, trace);
        hit
    }

    fn shares_network(&self, u: UnitId, ip: IpAddr) -> bool {
        let target = self.unit(u);
        let Some(addr) = target.addresses.iter().find(|x| x.ip == Some(ip)) else {
            return true;
        };
        if self.nginx().host_network || target.host_network {
            return true;
        }
        let net = &self.topo.networks[addr.network.0];
        if net.kind == NetworkKind::Pod {
            return true;
        }
        self.nginx()
            .addresses
            .iter()
            .any(|x| x.network == addr.network)
    }

    fn via_service(
        &self,
        s: ServiceId,
        port: u16,
        mut hit: Hit,
        own: &[crate::source::Span],
        trace: &mut Vec<String>,
    ) -> Hit {
        let svc = &self.topo.services[s.0];
        if let ServiceKind::ExternalName(ext) = &svc.kind {
            trace.push(format!(
                "Service `{}` is an ExternalName for `{ext}`, outside the cluster: cannot check",
                svc.name
            ));
            hit.outcome = Outcome::Outside;
            return hit;
        }
        let Some(sp) = svc.ports.iter().find(|p| p.port == port) else {
            trace.push(format!(
                "Service `{}` has no port {port} (its ports: {}): the connection goes nowhere",
                svc.name,
                join_ports(&svc.ports.iter().map(|p| p.port).collect::<Vec<_>>())
            ));
            hit.outcome = Outcome::NoServicePort { service: s };
            return hit;
        };
        if svc.selected.is_empty() {
            trace.push(format!(
                "Service `{}` {}: it has no endpoints",
                svc.name,
                if svc.selector.is_some() {
                    "selects no pods"
                } else {
                    "has no selector (endpoints are managed elsewhere)"
                }
            ));
            hit.outcome = if svc.selector.is_some() {
                Outcome::NoEndpoints { service: s }
            } else {
                Outcome::Outside
            };
            return hit;
        }
        // Every selected pod must answer; report the first failure.
        let mut outcome = None;
        for u in &svc.selected {
            let target = match &sp.target_port {
                TargetPort::Number(n) => Some(*n),
                TargetPort::Name(name) => self.named_port(*u, name),
            };
            let Some(tp) = target else {
                let TargetPort::Name(name) = &sp.target_port else {
                    unreachable!("numbers always resolve")
                };
                trace.push(format!(
                    "Service `{}` port {port} targets `{name}`, but pod `{}` has no containerPort of that name",
                    svc.name,
                    self.unit(*u).name
                ));
                outcome.get_or_insert(Outcome::TargetPortUnresolved {
                    service: s,
                    name: name.clone(),
                });
                continue;
            };
            hit.pod_port = Some(tp);
            trace.push(format!(
                "Service `{}` forwards port {port} to port {tp} of pod `{}`",
                svc.name,
                self.unit(*u).name
            ));
            let pod_ip = self.unit(*u).addresses.iter().find_map(|a| a.ip);
            let o = self.listener_at(*u, pod_ip.unwrap_or(hit.ip.expect("set")), tp, own, trace);
            if !matches!(o, Outcome::Listening { .. }) {
                outcome.get_or_insert(o);
            } else if outcome.is_none() {
                hit.outcome = o;
            }
        }
        if let Some(o) = outcome {
            hit.outcome = o;
        }
        hit
    }

    fn named_port(&self, u: UnitId, name: &str) -> Option<u16> {
        self.unit(u)
            .containers
            .iter()
            .flat_map(|c| &c.ports)
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port)
    }

    /// Whether a listener is evidence of a socket: in an nginx container
    /// only nginx's own `listen`s are (its `expose`/`ports` describe them).
    fn counts(&self, c: &Container, l: &Listener) -> bool {
        if c.is_nginx {
            return self.ex.listens.is_empty()
                || self
                    .ex
                    .listens
                    .iter()
                    .any(|x| Some(x.span) == l.provenance.span);
        }
        c.really_listens(l)
    }

    /// What answers at `ip:port` inside unit `u`; `own` are the `listen`s
    /// of the server blocks the request is in (a loop if it lands there).
    fn listener_at(
        &self,
        u: UnitId,
        ip: IpAddr,
        port: u16,
        own: &[crate::source::Span],
        trace: &mut Vec<String>,
    ) -> Outcome {
        let unit = self.unit(u);
        let same_unit = u == self.site.unit;
        let mut candidates: Vec<(usize, usize, &Listener)> = Vec::new();
        for (ci, c) in unit.containers.iter().enumerate() {
            if c.role == ContainerRole::Init {
                continue;
            }
            for (li, l) in c.listeners.iter().enumerate() {
                if l.port == Some(port) && l.protocol == Protocol::Tcp && self.counts(c, l) {
                    candidates.push((ci, li, l));
                }
            }
        }
        if candidates.is_empty() {
            let known: Vec<u16> = {
                let mut k: Vec<u16> = unit
                    .containers
                    .iter()
                    .filter(|c| c.role != ContainerRole::Init)
                    .flat_map(|c| {
                        c.listeners
                            .iter()
                            .filter(|l| self.counts(c, l))
                            .filter_map(|l| l.port)
                    })
                    .collect();
                k.sort();
                k.dedup();
                k
            };
            let any_known = unit
                .containers
                .iter()
                .any(|c| c.role != ContainerRole::Init && !c.listeners.is_empty());
            if !any_known {
                trace.push(format!(
                    "nothing says what listens in `{}`: port {port} cannot be checked",
                    unit.name
                ));
                return Outcome::Unknown { unit: u };
            }
            trace.push(format!(
                "nothing in `{}` listens on port {port} (listening: {})",
                unit.name,
                join_ports(&known)
            ));
            return Outcome::NothingListens { unit: u, known };
        }
        let mut fallback = None;
        let mut looped = None;
        for (ci, li, l) in &candidates {
            let c = &unit.containers[*ci];
            let nginx_itself = same_unit && *ci == self.site.container && c.is_nginx;
            let ok = match &l.bind {
                None | Some(Bind::Any) => true,
                Some(Bind::AnyV4) => ip.is_ipv4(),
                Some(Bind::AnyV6) => ip.is_ipv6(),
                Some(Bind::Ip(b)) => {
                    if same_unit {
                        *b == ip
                            || (b.is_loopback() && ip.is_loopback() && b.is_ipv4() == ip.is_ipv4())
                    } else {
                        *b == ip
                    }
                }
                Some(Bind::Unix(_)) => false,
            };
            if ok {
                let own_listen = l.provenance.span.is_some_and(|s| own.contains(&s));
                if nginx_itself && own_listen {
                    looped.get_or_insert((*ci, *li));
                    continue;
                }
                trace.push(format!(
                    "`{}` (container `{}`) listens on {} ({}, {})",
                    unit.name,
                    c.name,
                    crate::topology::render::listener_text(l),
                    l.provenance.detail,
                    format!("{:?}", l.certainty).to_lowercase()
                ));
                return Outcome::Listening {
                    unit: u,
                    container: *ci,
                    listener: *li,
                };
            }
            let wrong_family = match &l.bind {
                Some(Bind::AnyV4) => ip.is_ipv6(),
                Some(Bind::AnyV6) => ip.is_ipv4(),
                Some(Bind::Ip(b)) => same_unit && b.is_loopback() && ip.is_loopback(),
                _ => false,
            };
            if wrong_family {
                fallback.get_or_insert((
                    Outcome::WrongFamily {
                        unit: u,
                        container: *ci,
                        listener: *li,
                    },
                    format!(
                        "`{}` listens on {} only, not on {ip}",
                        unit.name,
                        crate::topology::render::listener_text(l)
                    ),
                ));
            } else if l.bind.as_ref().is_some_and(Bind::is_loopback) {
                fallback.get_or_insert((
                    Outcome::LoopbackOnly {
                        unit: u,
                        container: *ci,
                        listener: *li,
                    },
                    format!(
                        "`{}` listens on {} — its own loopback, which nginx in `{}` cannot reach ({})",
                        unit.name,
                        crate::topology::render::listener_text(l),
                        self.nginx().name,
                        l.provenance.detail
                    ),
                ));
            }
        }
        if let Some((container, listener)) = looped {
            trace.push(format!(
                "port {port} of `{}` is a `listen` of the same nginx server block: a proxy loop",
                unit.name
            ));
            return Outcome::SelfLoop {
                container,
                listener,
            };
        }
        match fallback {
            Some((o, line)) => {
                trace.push(line);
                o
            }
            None => {
                trace.push(format!("nothing in `{}` accepts {ip}:{port}", unit.name));
                Outcome::NothingListens {
                    unit: u,
                    known: vec![port],
                }
            }
        }
    }

    // ----- unix sockets -----

    fn unix(&self, path: &str, res: &mut Resolution, trace: &mut Vec<String>) {
        let nginx_c = &self.nginx().containers[self.site.container];
        // Where the path lives for nginx: a mounted volume, or its own filesystem.
        let mount = nginx_c
            .mounts
            .iter()
            .filter(|m| path_under(path, &m.target))
            .max_by_key(|m| m.target.len());
        let mut elsewhere = None;
        for (ui, u) in self.topo.units.iter().enumerate() {
            for (ci, c) in u.containers.iter().enumerate() {
                for (li, l) in c.listeners.iter().enumerate() {
                    let Some(Bind::Unix(lp)) = &l.bind else {
                        continue;
                    };
                    let same_file = if ui == self.site.unit.0 && ci == self.site.container {
                        lp == path
                    } else if let Some(m) = mount {
                        c.mounts.iter().any(|cm| {
                            cm.volume == m.volume
                                && path_under(lp, &cm.target)
                                && rel(lp, &cm.target) == rel(path, &m.target)
                        })
                    } else {
                        false
                    };
                    if same_file {
                        trace.push(format!(
                            "`{path}` is the socket `{lp}` of `{}` (container `{}`), on a volume both mount",
                            u.name, c.name
                        ));
                        res.hits.push(socket_hit(Outcome::Listening {
                            unit: UnitId(ui),
                            container: ci,
                            listener: li,
                        }));
                        res.status = Status::Reachable;
                        return;
                    }
                    if lp == path || file_name(lp) == file_name(path) {
                        elsewhere.get_or_insert(UnitId(ui));
                    }
                }
            }
        }
        let line = match (mount, elsewhere) {
            (None, Some(u)) => format!(
                "`{path}` is on nginx's own filesystem; the socket is created in `{}`, which does not share it",
                self.unit(u).name
            ),
            (Some(m), Some(u)) => format!(
                "`{path}` is on volume `{}`, but the socket is created in `{}` outside it",
                self.topo.volumes[m.volume].name,
                self.unit(u).name
            ),
            (None, None) => {
                format!("nothing creates `{path}` and no volume shares it with nginx")
            }
            (Some(m), None) => {
                trace.push(format!(
                    "`{path}` is on volume `{}`; nothing says which server creates the socket",
                    self.topo.volumes[m.volume].name
                ));
                res.status = Status::Unverifiable;
                res.reason = Some(format!("nothing says what creates `{path}`"));
                return;
            }
        };
        trace.push(line);
        res.hits.push(socket_hit(Outcome::SocketNotShared {
            listener_unit: elsewhere,
        }));
        res.status = Status::Unreachable;
    }
}

/// A hit on a unix socket: no address, no port.
fn socket_hit(outcome: Outcome) -> Hit {
    Hit {
        ip: None,
        port: None,
        service: None,
        pod_port: None,
        outcome,
    }
}

fn path_under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || path.starts_with(&format!("{dir}/"))
}

fn rel<'p>(path: &'p str, dir: &str) -> &'p str {
    path[dir.trim_end_matches('/').len()..].trim_start_matches('/')
}

fn file_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

fn status_of(hits: &[Hit]) -> Status {
    if hits
        .iter()
        .any(|h| matches!(h.outcome, Outcome::Listening { .. }))
    {
        // nginx fails over between the addresses of a name.
        Status::Reachable
    } else if hits
        .iter()
        .any(|h| matches!(h.outcome, Outcome::Unknown { .. } | Outcome::Outside))
    {
        Status::Unverifiable
    } else {
        Status::Unreachable
    }
}

fn join_ports(p: &[u16]) -> String {
    if p.is_empty() {
        "none".into()
    } else {
        p.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn source_text(s: &NameSource) -> String {
    match s {
        NameSource::Localhost => "/etc/hosts (localhost)".into(),
        NameSource::OwnHostname => "/etc/hosts (its own hostname)".into(),
        NameSource::ExtraHost => "/etc/hosts (extra_hosts)".into(),
        NameSource::Link => "a compose link".into(),
        NameSource::DockerDns { network } => {
            format!("Docker's embedded DNS on network `{network}`")
        }
        NameSource::Service { service } => format!("cluster DNS (Service `{service}`)"),
        NameSource::PodRecord => "cluster DNS (StatefulSet pod record)".into(),
    }
}

/// The target as written, for messages.
pub fn target_text(up: &UpstreamRef) -> String {
    match &up.target {
        Target::Host(h) => match h.port {
            Some(p) if h.kind == HostKind::Ipv6 => format!("[{}]:{p}", h.host),
            Some(p) => format!("{}:{p}", h.host),
            None => h.host.clone(),
        },
        Target::Unix(u) => format!("unix:{}", u.path),
        Target::Group(g) => g.name.clone(),
        Target::Variable(v) => v.raw.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::run;

    const APP: &str = "  app:\n    image: python:3.12-slim\n    command: gunicorn -b 0.0.0.0:8000 app:app\n    ports: [\"80:80\"]\n";
    const CONF: &str = "server { listen 80; location / { proxy_pass http://localhost:8000; } }";

    fn trace(nginx_image: &str) -> Vec<String> {
        let compose = format!(
            "services:\n{APP}  nginx:\n    image: {nginx_image}\n    network_mode: \"service:app\"\n"
        );
        run(CONF, &compose).upstreams[0].trace.clone()
    }

    #[test]
    fn localhost_is_ipv4_only_for_glibc_nginx_on_an_ipv4_network() {
        let t = trace("nginx:1.27");
        assert!(t.iter().any(|l| l.contains("::1 is left out")), "{t:?}");
    }

    #[test]
    fn localhost_keeps_ipv6_loopback_for_musl_nginx() {
        let t = trace("nginx:1.27-alpine");
        assert!(t.iter().any(|l| l.contains("uses musl")), "{t:?}");
    }

    #[test]
    fn a_listen_of_another_server_block_is_not_a_loop() {
        let compose = format!("services:\n{APP}  nginx:\n    image: nginx:1.27\n");
        let conf = "server { listen 80; location / { proxy_pass http://127.0.0.1:8080; } }\nserver { listen 127.0.0.1:8080; root /srv; }";
        let r = run(conf, &compose);
        assert_eq!(
            r.upstreams[0].status,
            super::Status::Reachable,
            "{:?}",
            r.upstreams[0].trace
        );
        let conf = "server { listen 80; location / { proxy_pass http://127.0.0.1:80; } }";
        let r = run(conf, &compose);
        assert_eq!(r.upstreams[0].status, super::Status::Unreachable);
        assert!(
            r.upstreams[0]
                .trace
                .iter()
                .any(|l| l.contains("proxy loop"))
        );
    }

    #[test]
    fn ports_nginx_publishes_are_not_listeners_of_their_own() {
        // `ports: 6001:6001` on nginx says nothing listens there but nginx's config.
        let compose = format!(
            "services:\n{APP}  nginx:\n    image: nginx:1.27\n    ports: [\"6001:6001\"]\n"
        );
        let conf = "server { listen 80; location / { proxy_pass http://127.0.0.1:6001; } }";
        let r = run(conf, &compose);
        assert_eq!(
            r.upstreams[0].status,
            super::Status::Unreachable,
            "{:?}",
            r.upstreams[0].trace
        );
    }
}

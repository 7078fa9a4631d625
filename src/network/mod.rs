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

mod connect;
mod endpoints;
mod group;
mod hints;
mod listening;
mod lookup;
mod plan;
mod subnets;
#[cfg(test)]
mod tests;
mod unix;

pub use connect::{Hit, Outcome};
pub use hints::{Hint, NEAR_NAME_COMPARISONS};
pub use lookup::Lookup;
pub use plan::{Plan, plan};

use crate::nginx::upstreams::{
    Extraction, HostKind, HostTarget, Resolution as When, Target, UpstreamRef,
};
use crate::topology::names;
use crate::topology::*;
use connect::status_of;
use serde::Serialize;
use std::net::IpAddr;

/// The outcome for one upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(as = UpstreamStatus))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// nginx connects and something listens there.
    Reachable,
    /// nginx cannot connect, or refuses to start because of it.
    Unreachable,
    /// We cannot tell (e.g. the backend's port is nowhere stated).
    Unverifiable,
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
    /// What makes nginx refuse its configuration because of this upstream,
    /// decided where the resolution finds it.
    pub load_error: Option<LoadError>,
}

impl Resolution {
    /// True when nginx refuses to load because of what this resolution
    /// found (a line nginx rejects outright is in the upstream's notes).
    pub fn stops_nginx(&self) -> bool {
        self.load_error.is_some()
    }
}

/// Why nginx refuses to load its configuration because of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadError {
    /// A name nginx resolves at start-up does not resolve (`host not found
    /// in upstream`).
    HostNotFound,
    /// The target names no port and its directive has no default (`no port
    /// in upstream`).
    NoPort,
}

/// Resolves every upstream from every nginx site. Group references come
/// after their members, so their status can use the members'. Past
/// `max_addresses` connections, resolving stops, and the error says where
/// (the caller refuses the input). Past the deadline it stops too, and the
/// caller discards what was resolved.
pub fn resolve_all(
    topo: &Topology,
    ex: &Extraction,
    sites: &[Site],
    max_addresses: usize,
    deadline: crate::budget::Deadline,
) -> Result<Vec<Resolution>, TopologyDiagnostic> {
    let mut out = Vec::new();
    let shared = Shared::of(topo, ex);
    for site in sites {
        let r = Resolver::new(topo, ex, *site, &shared);
        let mut mine: Vec<Resolution> = Vec::with_capacity(ex.upstreams.len());
        for i in 0..ex.upstreams.len() {
            if deadline.passed() {
                return Ok(out);
            }
            let before = shared.connections.get();
            mine.push(r.resolve(i));
            let now = shared.connections.get();
            if now > max_addresses {
                return Err(too_many_addresses(&r, i, now - before, max_addresses));
            }
        }
        // Groups aggregate their members, once per group however many
        // references it has.
        let mut aggregated: std::collections::HashMap<usize, group::GroupOutcome> =
            std::collections::HashMap::new();
        for i in 0..mine.len() {
            if let Lookup::Group { group } = mine[i].lookup {
                let g = aggregated
                    .entry(group)
                    .or_insert_with(|| group::outcome(ex, &mine, group))
                    .clone();
                mine[i].status = g.status;
                mine[i].reason = g.reason;
                mine[i].trace.extend(g.trace);
            }
        }
        out.extend(mine);
    }
    Ok(out)
}

/// The error for the upstream `i` that took the connections past
/// `max_addresses` (it made `made` of them).
fn too_many_addresses(r: &Resolver, i: usize, made: usize, max: usize) -> TopologyDiagnostic {
    let up = &r.ex.upstreams[i];
    TopologyDiagnostic::new(
        DiagSeverity::Error,
        format!(
            "`{}` from `{}` connects to {made} address{}, and with the upstreams before it that is more than the {max} addresses upcheck connects to (max_addresses), so none is resolved",
            target_text(up),
            r.nginx().name,
            if made == 1 { "" } else { "es" },
        ),
        Some(up.span),
    )
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
    /// The `listen`s a request for a member of each group comes in on.
    group_listens: std::cell::RefCell<std::collections::HashMap<usize, Vec<crate::source::Span>>>,
    /// What the table holds that nginx's `resolver` answers (DNS, not
    /// /etc/hosts), built once, when a run-time name first misses.
    dns_table: std::cell::OnceCell<Vec<names::NameEntry>>,
    /// The networks nginx's unit joins.
    joined: std::collections::HashSet<NetworkId>,
    /// What every site asks of the topology alike.
    shared: &'a Shared<'a>,
}

/// What the resolvers of every site ask of the topology, which does not
/// depend on the site: found or indexed once per validation (each index
/// when first needed), so that an upstream costs a lookup, not a walk over
/// every unit; and the near-name comparisons they share.
struct Shared<'a> {
    topo: &'a Topology,
    /// The docker host's own namespace (compose `network_mode: host`), when
    /// a service runs there.
    docker_host: Option<UnitId>,
    /// Comparisons left for near-name suggestions.
    near_budget: std::cell::Cell<usize>,
    /// What cluster DNS answers for.
    cluster_zones: std::cell::OnceCell<lookup::ClusterZones<'a>>,
    /// The topology's names, for hints.
    hint_index: std::cell::OnceCell<hints::HintIndex>,
    /// Who holds each address.
    owners: std::cell::OnceCell<Owners>,
    /// Services by their `name.namespace`.
    service_keys: std::cell::OnceCell<std::collections::HashMap<String, ServiceId>>,
    /// The configuration resolved.
    ex: &'a Extraction,
    /// What listens in each unit.
    listening: std::cell::OnceCell<listening::Listening>,
    /// The compose networks' gateways and owned subnets.
    subnets: std::cell::OnceCell<subnets::Subnets>,
    /// Connections made so far (listeners looked for at an address).
    connections: std::cell::Cell<usize>,
}

impl<'a> Shared<'a> {
    fn of(topo: &'a Topology, ex: &'a Extraction) -> Shared<'a> {
        Shared {
            topo,
            ex,
            listening: Default::default(),
            subnets: Default::default(),
            connections: Default::default(),
            docker_host: connect::docker_host(topo),
            near_budget: std::cell::Cell::new(hints::NEAR_NAME_COMPARISONS),
            cluster_zones: Default::default(),
            hint_index: Default::default(),
            owners: Default::default(),
            service_keys: Default::default(),
        }
    }

    /// Who holds each address.
    fn owners(&self) -> &Owners {
        self.owners.get_or_init(|| Owners::of(self.topo))
    }

    /// The compose networks' gateways and owned subnets.
    fn subnets(&self) -> &subnets::Subnets {
        self.subnets.get_or_init(|| subnets::Subnets::of(self.topo))
    }

    /// What listens in each unit.
    fn listening(&self) -> &listening::Listening {
        (self.listening).get_or_init(|| listening::Listening::of(self.topo, self.ex))
    }
}

/// An address a name resolved to, with what owns it.
#[derive(Debug, Clone, Copy)]
struct Addr {
    ip: IpAddr,
    unit: Option<UnitId>,
    service: Option<ServiceId>,
}

impl Addr {
    /// An address of a unit (not of a Service).
    fn in_unit(ip: IpAddr, unit: UnitId) -> Addr {
        Addr {
            ip,
            unit: Some(unit),
            service: None,
        }
    }
}

impl<'a> Resolver<'a> {
    /// A resolver for one nginx site, with what its unit resolves indexed by name.
    fn new(
        topo: &'a Topology,
        ex: &'a Extraction,
        site: Site,
        shared: &'a Shared<'a>,
    ) -> Resolver<'a> {
        let mut r = Resolver {
            topo,
            ex,
            site,
            table: names::table(topo, site.unit),
            by_name: Default::default(),
            near_cache: Default::default(),
            group_listens: Default::default(),
            dns_table: Default::default(),
            joined: (topo.units[site.unit.0].addresses.iter())
                .map(|a| a.network)
                .collect(),
            shared,
        };
        for (i, e) in r.table.iter().enumerate() {
            r.by_name
                .entry(e.name.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
        r
    }

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
            load_error: None,
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
                let port = h.port.or(up.url.default_port);
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
        // One address after another can end in the same words (`nothing
        // says what listens in …` for 127.0.0.1, then for ::1): once is enough.
        res.trace.dedup();
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
            (Lookup::Beyond { outside, .. }, _) => {
                format!("`{outside}` is left to DNS beyond the topology, which may answer it")
            }
            (_, Some(Outcome::Unknown { unit })) => {
                let u = self.unit(*unit);
                let port = res.hits.first().and_then(|h| h.pod_port.or(h.port));
                let health = u.listeners().any(|(_, l)| {
                    l.port.is_some()
                        && l.port == port
                        && l.provenance.kind == ProvenanceKind::Healthcheck
                        && l.bind.is_none()
                });
                match port.filter(|_| health) {
                    Some(p) => format!(
                        "a health check shows port {p} answering inside `{}`, but not whether it binds beyond the loopback",
                        u.name
                    ),
                    None => format!("nothing says what listens in `{}`", u.name),
                }
            }
            // Through a port published on the docker host, what answers
            // (or not) is the container port it forwards to.
            (_, Some(o)) => {
                let forwarded = res
                    .hits
                    .first()
                    .filter(|h| h.service.is_none())
                    .and_then(|h| h.pod_port);
                format!(
                    "`{target}`: {}",
                    self.outcome_text(o, forwarded.or(res.port))
                )
            }
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
            Outcome::NoServicePort { service }
                if port.is_some_and(|p| {
                    self.topo.services[service.0]
                        .ports
                        .iter()
                        .any(|x| x.port == p)
                }) =>
            {
                format!(
                    "Service `{}` forwards port {p} only over UDP or SCTP, and nginx connects over TCP",
                    self.topo.services[service.0].name
                )
            }
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
            Outcome::NoEndpoints { service } => {
                let svc = &self.topo.services[service.0];
                match svc.selector {
                    Some(_) => format!("Service `{}` selects no pods", svc.name),
                    None => format!(
                        "Service `{}` has no selector and no ready endpoint for port {p} in an EndpointSlice or `Endpoints`",
                        svc.name
                    ),
                }
            }
            Outcome::EndpointOutside {
                service,
                slice,
                endpoint,
            } => {
                let svc = &self.topo.services[service.0];
                let x = &svc.slices[*slice];
                match (endpoint, x.address_type) {
                    (Some(k), _) => format!(
                        "endpoint `{}` of {} (Service `{}`) is outside the described topology",
                        x.endpoints[*k].address,
                        x.label(),
                        svc.name
                    ),
                    (None, AddressType::Fqdn) => format!(
                        "{} of Service `{}` holds domain names (`addressType: FQDN`), which kube-proxy does not program",
                        x.label(),
                        svc.name
                    ),
                    (None, t) => format!(
                        "{} of Service `{}` holds {} addresses, the other family from its ClusterIP",
                        x.label(),
                        svc.name,
                        t.as_str()
                    ),
                }
            }
            Outcome::NoRoute { unit } => {
                format!("`{}` is on no network nginx joins", self.unit(*unit).name)
            }
            Outcome::Unheld { network } => format!(
                "no container holds the address on network `{}`",
                self.topo.networks[network.0].name
            ),
            Outcome::Outside => "the address is outside the described topology".into(),
            Outcome::SocketNotShared { .. } => {
                "the socket is not on a volume nginx shares with the server".into()
            }
        }
    }

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
            HostKind::Localhost | HostKind::Name => {
                let found = if runtime {
                    self.runtime_lookup(up, &h.host, trace)
                } else {
                    self.libc_lookup(&h.host, trace)
                };
                match found {
                    Ok((addrs, lookup)) => {
                        res.lookup = lookup;
                        addrs
                    }
                    Err(missed @ Lookup::Beyond { .. }) => {
                        res.lookup = missed;
                        res.status = Status::Unverifiable;
                        return;
                    }
                    Err(missed) => {
                        // A name libc misses at start-up stops nginx.
                        if !runtime {
                            res.load_error = Some(LoadError::HostNotFound);
                        }
                        res.lookup = missed;
                        res.status = Status::Unreachable;
                        return;
                    }
                }
            }
        };
        let Some(port) = port else {
            trace.push(format!(
                "`{}` names no port and `{}` has no default: nginx says `no port in upstream`",
                h.host,
                up.directive.name()
            ));
            res.status = Status::Unreachable;
            res.load_error = Some(LoadError::NoPort);
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
}

/// Most ports [`join_ports`] names; it counts the rest.
pub const MAX_PORTS_LISTED: usize = 10;

/// Ports for a message: "80, 443", "none", or the first
/// [`MAX_PORTS_LISTED`] and "and 9990 more" (a unit listening on 10 000
/// ports named all of them in each of 10 000 traces: 1.2 GB of report).
pub fn join_ports(p: &[u16]) -> String {
    if p.is_empty() {
        return "none".into();
    }
    crate::words::first_of(p.iter().map(u16::to_string), p.len(), MAX_PORTS_LISTED)
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

//! Connecting to an address: a ClusterIP Service through `port` →
//! `targetPort` to its pods, a headless name straight to a pod, and who
//! listens at `ip:port` in a unit (bind address, family, loopback, proxy
//! loops into nginx's own `listen`s).

use super::{Addr, Resolver, Status, join_ports};
use crate::nginx::upstreams::UpstreamRef;
use crate::topology::*;
use serde::Serialize;
use std::net::IpAddr;

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
        /// Ports known to listen there (shared by every connection to
        /// the unit).
        known: std::sync::Arc<[u16]>,
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
    /// The address is in the subnet of a network this project owns, but
    /// no unit holds it (nor is it the network's gateway): nothing answers
    /// the ARP request and the connection times out.
    Unheld {
        /// The network whose subnet holds the address.
        network: NetworkId,
    },
    /// The address is outside the modelled world.
    Outside,
    /// A Service's endpoints lead where the model does not follow: an
    /// endpoint address outside the described topology, or a slice
    /// kube-proxy does not program for the ClusterIP (FQDN, the other
    /// address family).
    EndpointOutside {
        /// The Service.
        service: ServiceId,
        /// The slice, in the Service's `slices`.
        slice: usize,
        /// The endpoint in the slice; `None` for the whole slice.
        endpoint: Option<usize>,
    },
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
    /// The port in the pod after `targetPort`, or in the container a port
    /// published on the docker host forwards to.
    pub pod_port: Option<u16>,
    /// The slice (in the Service's `slices`) the outcome was met through,
    /// when an EndpointSlice or `Endpoints` led there rather than the
    /// Service's selector.
    pub slice: Option<usize>,
    /// What happened.
    pub outcome: Outcome,
}

impl<'a> Resolver<'a> {
    /// The `listen`s of the server blocks a request for `up` comes in on:
    /// its own `server { }`, or for a group member every server using the group.
    /// A group's are gathered once per group and deduplicated, as every
    /// member of a group used by many locations would otherwise gather
    /// them again (members × references).
    pub(super) fn own_listens(&self, up: &UpstreamRef) -> Vec<crate::source::Span> {
        let of = |s: &crate::nginx::upstreams::ServerInfo| -> Vec<crate::source::Span> {
            s.listens.iter().map(|i| self.ex.listens[*i].span).collect()
        };
        let Some(g) = up.group_index else {
            return up.server.iter().flat_map(of).collect();
        };
        self.group_listens
            .borrow_mut()
            .entry(g)
            .or_insert_with(|| {
                let mut spans: Vec<crate::source::Span> = self.ex.groups[g]
                    .references
                    .iter()
                    .filter_map(|r| self.ex.upstreams[*r].server.as_ref())
                    .flat_map(of)
                    .collect();
                spans.sort_by_key(|s| (s.file, s.start, s.end));
                spans.dedup();
                spans
            })
            .clone()
    }

    pub(super) fn connect(
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
            slice: None,
            outcome: Outcome::Outside,
        };
        if let Some(s) = a.service {
            let svc = &self.topo.services[s.0];
            if svc.kind == ServiceKind::Headless {
                match a.unit {
                    Some(u) => {
                        hit.pod_port = Some(port);
                        hit.outcome = self.listener_at(u, a.ip, port, own, trace);
                    }
                    None => trace.push(format!(
                        "`{}`, an endpoint of headless Service `{}`, is outside the described topology: cannot check port {port}",
                        a.ip, svc.name
                    )),
                }
                return hit;
            }
            return self.via_service(s, port, hit, own, trace);
        }
        // The gateway of a compose network is the docker host's bridge: the
        // host's own namespace, when the topology runs a service there.
        let host_gateway = a.unit.is_none() && self.gateway_of(a.ip).is_some();
        let host = self.shared.docker_host.filter(|_| host_gateway);
        if let (Some(h), Some(n)) = (host, self.gateway_of(a.ip).filter(|_| host_gateway)) {
            trace.push(format!(
                "`{}` is the gateway of network `{}`: the docker host's own address, in its network namespace (`{}`)",
                a.ip,
                self.topo.networks[n.0].name,
                self.unit(h).name
            ));
        }
        let Some(u) = a.unit.or(host) else {
            if let Some(n) = self.unheld_in(a.ip) {
                trace.push(format!(
                    "`{}` is in subnet {} of network `{}`, which only this project's containers join, and none of them holds it: the connection times out",
                    a.ip,
                    self.topo.networks[n.0].subnet.as_deref().unwrap_or("?"),
                    self.topo.networks[n.0].name
                ));
                hit.outcome = Outcome::Unheld { network: n };
                return hit;
            }
            if let Some(n) = self.gateway_of(a.ip) {
                if let Some(o) = self.published(a.ip, port, &mut hit, own, trace) {
                    hit.outcome = o;
                    return hit;
                }
                trace.push(format!(
                    "`{}` is the gateway of network `{}`: the docker host, whose listeners are outside the described topology: cannot check port {port}",
                    a.ip, self.topo.networks[n.0].name
                ));
                return hit;
            }
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
        if let Some(o) = self.policed(u, port, trace) {
            hit.outcome = o;
            return hit;
        }
        if Some(u) == self.shared.docker_host {
            hit.outcome = self.on_docker_host(u, a.ip, port, &mut hit, own, trace);
            return hit;
        }
        hit.outcome = self.listener_at(u, a.ip, port, own, trace);
        hit
    }

    /// What answers at `ip:port` on the docker host: a program of a
    /// service in the host's namespace, else the port another service
    /// publishes there (docker-proxy, or the DNAT rule, forwards it to
    /// the container). A container's own port is in its own namespace,
    /// not on the host, unless it is published.
    fn on_docker_host(
        &self,
        u: UnitId,
        ip: IpAddr,
        port: u16,
        hit: &mut Hit,
        own: &[crate::source::Span],
        trace: &mut Vec<String>,
    ) -> Outcome {
        let mut mine = Vec::new();
        let outcome = self.listener_at(u, ip, port, own, &mut mine);
        if !matches!(
            outcome,
            Outcome::NothingListens { .. } | Outcome::Unknown { .. }
        ) {
            trace.append(&mut mine);
            return outcome;
        }
        if let Some(o) = self.published(ip, port, hit, own, trace) {
            return o;
        }
        trace.append(&mut mine);
        self.not_on_host(ip, port, trace);
        outcome
    }

    /// Why a port of a service is not on the docker host at `ip:port`:
    /// published on another host address only, or a container port in
    /// the container's own namespace (published elsewhere, or not at all).
    fn not_on_host(&self, ip: IpAddr, port: u16, trace: &mut Vec<String>) {
        for u in self.topo.units.iter().filter(|u| u.kind != UnitKind::Host) {
            let ports = u.containers.iter().flat_map(|c| &c.ports);
            let published =
                |p: &&DeclaredPort| p.kind == PortKind::Published && p.protocol == Protocol::Tcp;
            if let Some(p) = ports
                .clone()
                .filter(published)
                .find(|p| p.host_port == Some(port))
            {
                trace.push(format!(
                    "`{}` publishes port {port} on `{}` only, not on `{ip}`",
                    u.name,
                    p.host_ip.as_deref().unwrap_or("?")
                ));
                continue;
            }
            // Whether the command states the listeners is asked once per
            // container, not once per listener.
            let listens = u.containers.iter().any(|c| {
                let states = c.command_states();
                (c.listeners.iter())
                    .any(|l| l.port == Some(port) && Container::listens_given(l, states))
            });
            if !listens {
                continue;
            }
            let as_host: Vec<u16> = ports
                .filter(published)
                .filter(|p| p.container_port == port)
                .filter_map(|p| p.host_port)
                .collect();
            trace.push(if as_host.is_empty() {
                format!(
                    "`{}` listens on port {port} in its own network namespace and does not publish it: the docker host does not have it",
                    u.name
                )
            } else {
                format!(
                    "`{}` listens on port {port} in its own network namespace; the docker host has it as port {}",
                    u.name,
                    join_ports(&as_host)
                )
            });
        }
    }

    /// A port published on the docker host at `ip:port` (`ports:` with
    /// its bind: every host address by default, or the one `host_ip`
    /// names), followed to the container port it forwards to. `None` when
    /// no service publishes it there.
    fn published(
        &self,
        ip: IpAddr,
        port: u16,
        hit: &mut Hit,
        own: &[crate::source::Span],
        trace: &mut Vec<String>,
    ) -> Option<Outcome> {
        let (pu, p) = self.topo.units.iter().enumerate().find_map(|(i, u)| {
            let p = u.containers.iter().flat_map(|c| &c.ports).find(|p| {
                p.kind == PortKind::Published
                    && p.host_port == Some(port)
                    && p.protocol == Protocol::Tcp
                    && publishes_on(p.host_ip.as_deref(), ip)
            })?;
            (u.kind != UnitKind::Host && !u.no_network).then_some((UnitId(i), p))
        })?;
        let unit = self.unit(pu);
        let to = unit.addresses.iter().find_map(|a| a.ip)?;
        let bind = p
            .host_ip
            .as_deref()
            .map_or_else(String::new, |h| format!("{h}:"));
        trace.push(format!(
            "port {port} of the docker host is published by `{}` (`ports: {bind}{port}:{}`): docker-proxy forwards `{ip}:{port}` to `{to}:{}`, the container's address",
            unit.name, p.container_port, p.container_port
        ));
        hit.pod_port = Some(p.container_port);
        Some(self.listener_at(pu, to, p.container_port, own, trace))
    }

    /// A connection from nginx's pod to port `port` of pod `u` that a
    /// NetworkPolicy may stop: an egress policy on nginx's pod (not
    /// modelled), or ingress policies on `u` none of whose rules admits
    /// nginx's pod by label on that port. Nothing can be said then
    /// ([`Outcome::Outside`]): whether the CNI enforces policies is not
    /// in the manifests either.
    pub(super) fn policed(&self, u: UnitId, port: u16, trace: &mut Vec<String>) -> Option<Outcome> {
        if u == self.site.unit {
            return None;
        }
        let (from, to) = (self.nginx(), self.unit(u));
        if let Some(p) = from.policies.iter().find(|p| p.egress) {
            trace.push(format!(
                "NetworkPolicy `{}` restricts the egress of nginx's pod `{}`, which is not modelled: cannot check",
                p.name, from.name
            ));
            return Some(Outcome::Outside);
        }
        let ingress: Vec<&PodPolicy> = to.policies.iter().filter(|p| p.ingress.is_some()).collect();
        if ingress.is_empty() {
            return None;
        }
        let admits = |p: &PodPolicy, r: &IngressRule| {
            let peer = match &r.from {
                None => true,
                Some(peers) => {
                    from.namespace() == p.namespace
                        && peers
                            .iter()
                            .any(|m| m.iter().all(|(k, v)| from.labels.get(k) == Some(v)))
                }
            };
            peer && (r.ports.is_empty() || r.ports.iter().any(|tp| tp.in_unit(to) == Some(port)))
        };
        if let Some(p) = ingress
            .iter()
            .find(|p| p.ingress.iter().flatten().any(|r| admits(p, r)))
        {
            trace.push(format!(
                "NetworkPolicy `{}` admits nginx's pod `{}` to `{}` on port {port}",
                p.name, from.name, to.name
            ));
            return None;
        }
        let names: Vec<String> = ingress.iter().map(|p| format!("`{}`", p.name)).collect();
        trace.push(format!(
            "NetworkPolicy {} selects pod `{}` and no rule upcheck can read admits nginx's pod `{}` on port {port}: whether the traffic passes is not modelled: cannot check",
            names.join(", "),
            to.name,
            from.name
        ));
        Some(Outcome::Outside)
    }

    /// The project-owned network whose subnet holds `ip` when no unit
    /// does: a compose network the files declare (not `external`, so only
    /// this project's containers join it) with its subnet written in the
    /// files or observed. A modelled subnet is a guess and the gateway is
    /// the host, so neither says anything.
    fn unheld_in(&self, ip: IpAddr) -> Option<NetworkId> {
        if self.topo.platform != Platform::Compose {
            return None;
        }
        self.shared.subnets().holding(ip)
    }

    /// The compose network whose gateway (the docker host's bridge) `ip` is.
    fn gateway_of(&self, ip: IpAddr) -> Option<NetworkId> {
        if self.topo.platform != Platform::Compose {
            return None;
        }
        self.shared.subnets().gateway_of(ip)
    }

    fn shares_network(&self, u: UnitId, ip: IpAddr) -> bool {
        let target = self.unit(u);
        // The address's holder is indexed; a unit holding an address a
        // unit before it holds too is searched.
        let addr = match self.shared.owners().unit(ip) {
            Some((holder, a)) if holder == u => target.addresses.get(a),
            _ => target.addresses.iter().find(|x| x.ip == Some(ip)),
        };
        let Some(addr) = addr else {
            return true;
        };
        if self.nginx().host_network || target.host_network {
            return true;
        }
        let net = &self.topo.networks[addr.network.0];
        if net.kind == NetworkKind::Pod {
            return true;
        }
        self.joined.contains(&addr.network)
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
        // nginx connects over TCP (as everywhere in this model): a port the
        // Service forwards only over UDP or SCTP takes no TCP connection.
        let Some(sp) = svc
            .ports
            .iter()
            .find(|p| p.port == port && p.protocol == Protocol::Tcp)
        else {
            if svc.ports.iter().any(|p| p.port == port) {
                trace.push(format!(
                    "Service `{}` forwards port {port} only over UDP or SCTP, and nginx connects over TCP: the connection goes nowhere",
                    svc.name
                ));
                hit.outcome = Outcome::NoServicePort { service: s };
                return hit;
            }
            trace.push(format!(
                "Service `{}` has no port {port} (its ports: {}): the connection goes nowhere",
                svc.name,
                join_ports(&svc.ports.iter().map(|p| p.port).collect::<Vec<_>>())
            ));
            hit.outcome = Outcome::NoServicePort { service: s };
            return hit;
        };
        let usable = usable_endpoints(&svc.slices, sp, svc.cluster_ip.map(AddressType::of));
        if svc.node_local && (!svc.selected.is_empty() || !usable.is_empty()) {
            trace.push(format!(
                "Service `{}` has `internalTrafficPolicy: Local`: nginx's traffic goes only to its pods on nginx's own node, and which node runs which pod is not modelled: cannot check",
                svc.name
            ));
            hit.outcome = Outcome::Outside;
            return hit;
        }
        if svc.selected.is_empty() && usable.is_empty() {
            hit.outcome = self.no_endpoints(s, sp, trace);
            return hit;
        }
        // Every selected pod must answer; report the first failure.
        let mut outcome = None;
        for u in &svc.selected {
            let target = sp.target_port.in_unit(self.unit(*u));
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
            let o = match self.policed(*u, tp, trace) {
                Some(o) => o,
                None => {
                    self.listener_at(*u, pod_ip.unwrap_or(hit.ip.expect("set")), tp, own, trace)
                }
            };
            if !matches!(o, Outcome::Listening { .. }) {
                outcome.get_or_insert(o);
            } else if outcome.is_none() {
                hit.outcome = o;
            }
        }
        let mut outcome = outcome.map(|o| (o, hit.pod_port, None));
        self.through_slices(s, &usable, port, &mut hit, &mut outcome, own, trace);
        if let Some((o, pod_port, slice)) = outcome {
            hit.outcome = o;
            hit.pod_port = pod_port;
            hit.slice = slice;
        }
        hit
    }

    /// Whether a listener is known only from `expose:` or an image's
    /// `EXPOSE`. Those are documentation: they name the port the program
    /// is said to use, nothing listens because of them. Such a port is
    /// assumed to answer (and the trace says so), but a container known
    /// only that way is not known to listen nowhere else. A declaration
    /// never carries a bind, so one with a bind merged in from what the
    /// container runs (a command, an environment value) is backed by it.
    pub(super) fn documentation_only(l: &Listener) -> bool {
        matches!(
            l.provenance.kind,
            ProvenanceKind::Expose | ProvenanceKind::Observed
        ) && l.bind.is_none()
    }

    /// Whether a listener is known only from a health check run inside
    /// its container: the port answers on the container's own loopback;
    /// where the program binds (loopback only, or every address) is not
    /// known.
    pub(super) fn loopback_known_only(l: &Listener) -> bool {
        l.provenance.kind == ProvenanceKind::Healthcheck && l.bind.is_none()
    }

    /// What answers at `ip:port` inside unit `u`; `own` are the `listen`s
    /// of the server blocks the request is in (a loop if it lands there).
    pub(super) fn listener_at(
        &self,
        u: UnitId,
        ip: IpAddr,
        port: u16,
        own: &[crate::source::Span],
        trace: &mut Vec<String>,
    ) -> Outcome {
        let made = &self.shared.connections;
        made.set(made.get() + 1);
        let unit = self.unit(u);
        let same_unit = u == self.site.unit;
        let listening = self.shared.listening();
        let candidates: Vec<(usize, usize, &Listener)> = (listening.on(u, port).iter())
            .map(|&(ci, li)| (ci, li, &unit.containers[ci].listeners[li]))
            .collect();
        if candidates.is_empty() {
            let known = listening.ports(u).clone();
            // A container of this namespace (not nginx itself) of which
            // nothing is known may be the one listening: a host network
            // shared with an unrecognised program, a pod's unknown sidecar.
            // A container whose ports are known only from `expose:` or
            // `EXPOSE` may listen anywhere else too; a port it publishes
            // or a containerPort is a statement about what listens.
            let running = || {
                (unit.containers.iter().enumerate()).filter(|(_, c)| c.role != ContainerRole::Init)
            };
            let nginx_itself = |ci: usize| same_unit && ci == self.site.container;
            let unknown_other =
                running().any(|(ci, _)| !listening.states(u, ci) && !nginx_itself(ci));
            let any_known = running().any(|(ci, _)| listening.states(u, ci));
            if !any_known || unknown_other {
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
        let mut bind_unknown = None;
        for (ci, li, l) in &candidates {
            let c = &unit.containers[*ci];
            let nginx_itself = same_unit && *ci == self.site.container && c.is_nginx;
            let ok = match &l.bind {
                None if Self::loopback_known_only(l) => {
                    if !(same_unit && ip.is_loopback()) {
                        bind_unknown.get_or_insert((*ci, l));
                    }
                    same_unit && ip.is_loopback()
                }
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
                trace.push(if Self::documentation_only(l) {
                    format!(
                        "`{}` (container `{}`) listens on {} ({}; assumed: `expose` and `EXPOSE` document a port, they start no listener)",
                        unit.name, c.name, l, l.provenance.detail
                    )
                } else {
                    format!(
                        "`{}` (container `{}`) listens on {} ({}, {})",
                        unit.name,
                        c.name,
                        l,
                        l.provenance.detail,
                        format!("{:?}", l.certainty).to_lowercase()
                    )
                });
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
                    format!("`{}` listens on {} only, not on {ip}", unit.name, l),
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
                        l,
                        self.nginx().name,
                        l.provenance.detail
                    ),
                ));
            }
        }
        if let (None, None, Some((ci, l))) = (&fallback, looped, bind_unknown) {
            trace.push(format!(
                "`{}` (container `{}`) answers on port {port} in its own network namespace ({}, inferred), but nothing says whether it binds beyond the loopback: {ip}:{port} cannot be checked",
                unit.name, unit.containers[ci].name, l.provenance.detail
            ));
            return Outcome::Unknown { unit: u };
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
                    known: std::sync::Arc::from([port]),
                }
            }
        }
    }
}

/// Whether a port published with `host_ip` (none: every address of the
/// host, both families) answers on the host's address `ip`.
fn publishes_on(host_ip: Option<&str>, ip: IpAddr) -> bool {
    let Some(h) = host_ip.map(|h| h.trim_matches(['[', ']'])) else {
        return true;
    };
    match h.parse::<IpAddr>() {
        Ok(b) if b.is_unspecified() => b.is_ipv4() == ip.is_ipv4(),
        Ok(b) => b == ip,
        Err(_) => h.is_empty(),
    }
}

/// The status the addresses of one name give.
pub(super) fn status_of(hits: &[Hit]) -> Status {
    if hits
        .iter()
        .any(|h| matches!(h.outcome, Outcome::Listening { .. }))
    {
        // nginx fails over between the addresses of a name.
        Status::Reachable
    } else if hits.iter().any(|h| {
        matches!(
            h.outcome,
            Outcome::Unknown { .. } | Outcome::Outside | Outcome::EndpointOutside { .. }
        )
    }) {
        Status::Unverifiable
    } else {
        Status::Unreachable
    }
}

/// The docker host's own network namespace (compose `network_mode: host`),
/// when a service runs there.
pub(super) fn docker_host(topo: &Topology) -> Option<UnitId> {
    if topo.platform != Platform::Compose {
        return None;
    }
    topo.units
        .iter()
        .position(|u| u.kind == UnitKind::Host)
        .map(UnitId)
}

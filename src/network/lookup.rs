//! Name lookup from nginx's unit: libc's getaddrinfo at start-up
//! (`/etc/hosts`, `localhost`, the resolv.conf search list with `ndots`)
//! or nginx's own `resolver` at request time (DNS only, names verbatim),
//! and who owns an IP address.

use super::hints::Hint;
use super::{Addr, Resolver};
use crate::nginx::upstreams::UpstreamRef;
use crate::topology::names::{self, NameSource};
use crate::topology::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How many ExternalName CNAMEs a lookup follows (CoreDNS stops sooner).
const CNAME_HOPS: usize = 8;

/// How the host part was looked up.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lookup {
    /// An `upstream { }` group; its members are resolved on their own.
    Group {
        /// Index in [`Extraction::groups`](crate::nginx::upstreams::Extraction::groups).
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
    /// A name the topology does not hold and cannot rule out: DNS beyond
    /// it (the servers Docker's DNS forwards to, a search domain, a public
    /// resolver, an ExternalName's outside target) may answer it.
    Beyond {
        /// The name as asked.
        name: String,
        /// The name outside the topology that decides (after CNAMEs).
        outside: String,
        /// Looked up by nginx's `resolver` at request time.
        runtime: bool,
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

impl<'a> Resolver<'a> {
    /// Who owns an IP address nginx connects to.
    pub(super) fn owner_of(&self, ip: IpAddr, trace: &mut Vec<String>) -> Addr {
        if ip.is_loopback() {
            trace.push(format!(
                "`{ip}` is the loopback of nginx's own network namespace (`{}`)",
                self.nginx().name
            ));
            return Addr::in_unit(ip, self.site.unit);
        }
        let owners = self.shared.owners();
        if let Some((unit, _)) = owners.unit(ip) {
            trace.push(format!(
                "`{ip}` is the address of `{}`",
                self.unit(unit).name
            ));
            return Addr::in_unit(ip, unit);
        }
        if let Some(service) = owners.service(ip) {
            let s = &self.topo.services[service.0];
            trace.push(format!("`{ip}` is the ClusterIP of Service `{}`", s.name));
            return Addr {
                ip,
                unit: None,
                service: Some(service),
            };
        }
        trace.push(format!("no unit or Service of the topology has `{ip}`"));
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
            .map(|ip| Addr::in_unit(ip, self.site.unit))
            .collect()
    }

    /// getaddrinfo from nginx's unit: /etc/hosts, then DNS with the search list.
    pub(super) fn libc_lookup(
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
        // A pod that does not ask cluster DNS (dnsPolicy Default, or
        // hostNetwork without ClusterFirstWithHostNet) asks the node's
        // resolver, which the topology does not describe.
        let cluster_dns = match (&self.topo.platform, &self.topo.cluster) {
            (Platform::Kubernetes, Some(c)) => self.nginx().dns.nameservers.contains(&c.dns_ip),
            _ => true,
        };
        for cand in &candidates {
            let mut exact = self.lookup_exact(cand);
            if !cluster_dns {
                let before = exact.len();
                exact.retain(|e| {
                    !matches!(e.source, NameSource::Service { .. } | NameSource::PodRecord)
                });
                if exact.is_empty() && before > 0 {
                    trace.push(format!(
                        "`{cand}` is a cluster DNS name, but nginx's pod `{}` does not use cluster DNS (its dnsPolicy gives it the node's resolver)",
                        self.nginx().name
                    ));
                    return Err(self.beyond(name, cand, false, trace));
                }
            }
            let hits = match self.follow_cnames(exact, trace) {
                Ok(h) => h,
                Err(outside) => return Err(self.beyond(name, &outside, false, trace)),
            };
            if let Some(first) = hits.first() {
                let addrs = self.addresses(&hits);
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
                        ip_list(&addrs)
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
        let near = self.near_names(&lname, table, trace);
        // A close name makes a typo likelier than a name from outside; with
        // the comparisons spent, not knowing, it stays a name that fails.
        if hints.is_empty()
            && near.as_ref().is_some_and(Vec::is_empty)
            && let Some(outside) = candidates.iter().find(|c| self.outside_topology(c))
        {
            return Err(self.beyond(name, outside, false, trace));
        }
        trace.push(format!(
            "`{name}` does not resolve from `{}`: nginx stops with `host not found in upstream`",
            self.nginx().name
        ));
        Err(Lookup::NotFound {
            name: name.into(),
            runtime: false,
            why: None,
            near: near.unwrap_or_default(),
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
    pub(super) fn runtime_lookup(
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
        let unknown = |lname: &str| {
            self.lookup_exact(lname).is_empty()
                && self.outside_topology(lname)
                && self.hints(lname, Some(ri)).is_empty()
        };
        if unknown(&lname) {
            return Err(self.beyond(name, &lname, true, trace));
        }
        if !self.resolver_is_platform_dns(ri) {
            let servers: Vec<&str> = r.addresses.iter().map(|a| a.at.host.as_str()).collect();
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
        let hits: Vec<&names::NameEntry> = self
            .lookup_exact(&lname)
            .into_iter()
            .filter(|e| from_dns(e))
            .collect();
        let hits = match self.follow_cnames(hits, trace) {
            Ok(h) => h,
            Err(outside) => return Err(self.beyond(name, &outside, true, trace)),
        };
        if hits.is_empty() {
            let hints = self.hints(&lname, Some(ri));
            trace.push(format!(
                "`{name}` is resolved at request time by nginx's `resolver`, which uses no search list and no /etc/hosts: no such name"
            ));
            let table = self
                .dns_table
                .get_or_init(|| self.table.iter().filter(|e| from_dns(e)).cloned().collect());
            let near = self.near_names(&lname, table, trace);
            return Err(Lookup::NotFound {
                name: name.into(),
                runtime: true,
                why: None,
                near: near.unwrap_or_default(),
                hints,
            });
        }
        let addrs = self.addresses(&hits);
        trace.push(format!(
            "`{name}` resolves at request time through nginx's `resolver` ({}) to {}",
            source_text(&hits[0].source),
            ip_list(&addrs)
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

    /// A name's entries with every ExternalName Service followed as cluster
    /// DNS answers it: a CNAME to its `externalName`, which the client then
    /// looks up as written (no search list). A target the topology holds
    /// (another Service's full name) gives that Service's entries; one it
    /// does not is returned as `Err`. At most [`CNAME_HOPS`] hops.
    fn follow_cnames<'b>(
        &'b self,
        mut hits: Vec<&'b names::NameEntry>,
        trace: &mut Vec<String>,
    ) -> Result<Vec<&'b names::NameEntry>, String> {
        for _ in 0..CNAME_HOPS {
            let Some(target) = hits.iter().find_map(|e| match &e.source {
                NameSource::Service { service } => {
                    self.service_by_key(service)
                        .and_then(|s| match &self.topo.services[s.0].kind {
                            ServiceKind::ExternalName(t) => Some((service.clone(), t.clone())),
                            _ => None,
                        })
                }
                _ => None,
            }) else {
                return Ok(hits);
            };
            let (service, name) = target;
            let lname = name.trim_end_matches('.').to_ascii_lowercase();
            let next: Vec<&names::NameEntry> = self
                .lookup_exact(&lname)
                .into_iter()
                .filter(|e| matches!(e.source, NameSource::Service { .. } | NameSource::PodRecord))
                .collect();
            if next.is_empty() {
                trace.push(format!(
                    "Service `{service}` is an ExternalName: cluster DNS answers a CNAME to `{name}`, which is not a name of the cluster"
                ));
                return Err(lname);
            }
            trace.push(format!(
                "Service `{service}` is an ExternalName: cluster DNS answers a CNAME to `{name}`, which it answers in turn"
            ));
            hits = next;
        }
        Err(hits.first().map(|e| e.name.clone()).unwrap_or_default())
    }

    /// Whether DNS beyond the topology may answer `name`: a name of more
    /// than one label that no platform zone upcheck models holds. Docker's
    /// DNS forwards what it does not know; cluster DNS is authoritative for
    /// its domain and its namespaces, and forwards the rest. A single label
    /// is a project name written wrong, not a public one.
    pub(super) fn outside_topology(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        let Some((_, last)) = name.rsplit_once('.') else {
            return false;
        };
        match self.topo.platform {
            Platform::Compose => true,
            Platform::Kubernetes => {
                let domain = self.topo.cluster_domain();
                let zones = self
                    .shared
                    .cluster_zones
                    .get_or_init(|| ClusterZones::of(self.topo));
                let in_cluster = name
                    .strip_suffix(domain)
                    .is_some_and(|head| head.ends_with('.'))
                    || last == "svc"
                    || zones.namespaces.contains(last)
                    // A pod's own `hostname.subdomain` is the cluster's even
                    // when no headless Service gives it a record.
                    || zones.heads.contains(name);
                !in_cluster
            }
        }
    }

    /// The miss of a name the topology cannot rule out.
    fn beyond(&self, name: &str, outside: &str, runtime: bool, trace: &mut Vec<String>) -> Lookup {
        trace.push(format!(
            "`{outside}` is left to DNS beyond the topology (not modelled), which may answer it: cannot check"
        ));
        Lookup::Beyond {
            name: name.into(),
            outside: outside.into(),
            runtime,
        }
    }

    /// The addresses a name's entries give, each with what owns it: a
    /// ClusterIP belongs to its Service, any other address to its unit.
    fn addresses(&self, hits: &[&names::NameEntry]) -> Vec<Addr> {
        let mut addrs = Vec::new();
        for e in hits {
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
                // An /etc/hosts line may name a ClusterIP (`hostAliases`).
                let service =
                    svc.or_else(|| unit.is_none().then(|| self.service_with_ip(*ip)).flatten());
                addrs.push(Addr {
                    ip: *ip,
                    unit,
                    service,
                });
            }
        }
        addrs
    }

    /// True when a `resolver` points at the DNS that knows this platform's names.
    pub fn resolver_is_platform_dns(&self, ri: usize) -> bool {
        let r = &self.ex.resolvers[ri];
        r.addresses.iter().any(|a| match self.topo.platform {
            Platform::Compose => {
                a.at.host == "127.0.0.11"
                    && self
                        .nginx()
                        .addresses
                        .iter()
                        .any(|x| self.topo.networks[x.network.0].kind.has_dns())
            }
            Platform::Kubernetes => {
                let dns = self.topo.cluster.as_ref().map(|c| c.dns_ip);
                a.at.host.parse::<IpAddr>().ok() == dns
                    || a.at.host.starts_with("kube-dns.kube-system")
                    || a.at.host.starts_with("coredns.kube-system")
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

    /// The Service a name entry's `name.namespace` key names (the first, as
    /// a search in order would find).
    fn service_by_key(&self, key: &str) -> Option<ServiceId> {
        let keys = self.shared.service_keys.get_or_init(|| {
            let mut keys = HashMap::new();
            for (i, s) in self.topo.services.iter().enumerate() {
                let key = format!("{}.{}", s.name, s.namespace);
                keys.entry(key).or_insert(ServiceId(i));
            }
            keys
        });
        keys.get(key).copied()
    }

    /// The unit that holds `ip`.
    pub(super) fn unit_with_ip(&self, ip: IpAddr) -> Option<UnitId> {
        self.shared.owners().unit(ip).map(|(u, _)| u)
    }

    /// The Service whose cluster IP `ip` is.
    pub(super) fn service_with_ip(&self, ip: IpAddr) -> Option<ServiceId> {
        self.shared.owners().service(ip)
    }

    /// The table's entries for exactly this name (case-insensitive).
    fn lookup_exact(&self, name: &str) -> Vec<&names::NameEntry> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|ix| ix.iter().map(|i| &self.table[*i]).collect())
            .unwrap_or_default()
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
        NameSource::PodRecord => "cluster DNS (a pod record under its headless Service)".into(),
    }
}

/// The addresses, comma-separated, for the trace.
fn ip_list(addrs: &[Addr]) -> String {
    addrs
        .iter()
        .map(|a| a.ip.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Only DNS answers nginx's `resolver`: no /etc/hosts, no search list.
fn from_dns(e: &names::NameEntry) -> bool {
    matches!(
        e.source,
        NameSource::DockerDns { .. } | NameSource::Service { .. } | NameSource::PodRecord
    )
}

/// What cluster DNS is authoritative for beyond its domain, gathered once
/// per resolver: asking the topology each time would cost every upstream
/// a walk over every unit.
pub(super) struct ClusterZones<'a> {
    /// Every namespace a Service or a pod is in.
    namespaces: HashSet<&'a str>,
    /// Every leading part of a pod's DNS name that ends before a dot
    /// (`web-0`, `web-0.web`, … of `web-0.web.default.svc.cluster.local`).
    heads: HashSet<&'a str>,
}

impl<'a> ClusterZones<'a> {
    fn of(topo: &'a Topology) -> ClusterZones<'a> {
        let mut zones = ClusterZones {
            namespaces: topo.services.iter().map(|s| s.namespace.as_str()).collect(),
            heads: HashSet::new(),
        };
        for u in &topo.units {
            zones.namespaces.insert(u.namespace());
            for n in u.addresses.iter().flat_map(|a| &a.dns_names) {
                zones
                    .heads
                    .extend(n.match_indices('.').map(|(i, _)| &n[..i]));
            }
        }
        zones
    }
}

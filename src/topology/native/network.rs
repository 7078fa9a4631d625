//! Networks and a unit's place on them: declared networks (kind, subnet,
//! gateway), the pod or host network when none is declared, a unit's
//! addresses and names on each network, and its resolver (`dns`).

use super::*;
use ipnet::IpNet;

impl Loader<'_> {
    /// Reads `networks[i]` of the document.
    pub(super) fn network(&mut self, n: &Node, i: usize, platform: Platform) {
        let Some((name, name_span)) = self.listed("networks", n, i) else {
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
            self.twice(name_span, &format!("network `{name}`"));
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
        let network = Network::new(key.clone(), name, kind, Some(name_span))
            .addressed(subnet, gateway, AddressOrigin::Declared)
            .scope(internal, external);
        topo.networks.push(network);
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

    /// A unit's `networks`: its address and names on each network.
    pub(super) fn addresses(
        &mut self,
        o: &str,
        u: &Node,
        platform: Platform,
        host_network: bool,
    ) -> Vec<Address> {
        let mut out: Vec<Address> = Vec::new();
        for (j, a) in self.r.seq(o, u, "", "networks").iter().enumerate() {
            let aat = format!("networks[{j}]");
            let Some((net, span)) = self.r.required_str(o, a, &aat, "network") else {
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
            let address = Address::modelled(id)
                .ip(ip.map(|i| i.0), AddressOrigin::Declared)
                .names(names)
                .at(Some(span));
            out.push(address);
        }
        if out.is_empty() && (host_network || platform == Platform::Kubernetes) {
            let id = if host_network {
                self.implicit_network(NetworkKind::Host)
            } else {
                self.implicit_network(NetworkKind::Pod)
            };
            out.push(Address::modelled(id));
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
        let network = Network::modelled(kind);
        let id = NetworkId(topo.networks.len());
        *slot = Some(id);
        self.networks.entry(network.key.clone()).or_insert(id);
        topo.networks.push(network);
        id
    }

    /// A unit's resolver: the platform's default, changed by `dns`.
    pub(super) fn dns(
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
}

use super::{Check, Context, Finding, HostUse, first_outcome, pick, upstream_finding};
use crate::network::{Lookup, Outcome, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams written as the IP address of a container that is on
    /// no network the nginx container joins.
    ///
    /// ## Why is this bad?
    /// Docker isolates bridge networks from each other: a container can
    /// reach only the networks it is attached to. nginx's packets to an
    /// address on another network go out through its default gateway and
    /// are dropped: `connect() failed (110: Connection timed out)` after
    /// `proxy_connect_timeout` (60 s by default), then `504 Gateway
    /// Time-out`.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   nginx: { image: nginx, networks: [front] }   # proxy_pass http://172.21.0.2:8000
    ///   api:   { image: api,   networks: { back: { ipv4_address: 172.21.0.2 } } }
    /// ```
    ///
    /// Use instead: join nginx to `back` and use the service name
    /// (`proxy_pass http://api:8000`).
    pub AddressNotRoutable { code: "UC2017", name: "address-not-routable", severity: Error, fix: None }
}

impl Check for AddressNotRoutable {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let topo = cx.topology;
        for HostUse { r, up, h } in cx.primary_hosts() {
            let Lookup::Ip { ip } = &r.lookup else {
                continue;
            };
            let Some(unit) = first_outcome(r, pick!(Outcome::NoRoute { unit } => *unit)) else {
                continue;
            };
            let u = &topo.units[unit.0];
            let addr = u.addresses.iter().find(|a| a.ip == Some(*ip));
            let net = addr.map(|a| &topo.networks[a.network.0]);
            let msg = format!(
                "`{}` is `{}`'s address on network `{}`, which nginx does not join (it joins {}): the connection times out",
                target_text(up),
                u.name,
                net.map_or("?", |n| n.key.as_str()),
                super::joined_networks(topo, r.site.unit)
            );
            out.push(
                upstream_finding(self, r, msg, Some(h.host_span)).related_at(
                    addr.and_then(|a| a.span),
                    format!("`{}` joins the network here", u.name),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_none, proxy_pass, run, run_one};

    const COMPOSE: &str = "services:\n  nginx:\n    image: nginx:1.27\n    networks: [front]\n  api:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n    networks:\n      back:\n        ipv4_address: 172.30.0.10\nnetworks:\n  front: {}\n  back:\n    ipam:\n      config:\n        - subnet: 172.30.0.0/24\n";

    #[test]
    fn address_on_a_network_nginx_does_not_join() {
        run_one(&proxy_pass(80, "172.30.0.10:8000"), COMPOSE, "UC2017");
    }

    #[test]
    fn address_on_a_shared_network_is_routable() {
        let shared = COMPOSE.replace("networks: [front]", "networks: [front, back]");
        let r = run(&proxy_pass(80, "172.30.0.10:8000"), &shared);
        assert_none(&r, &["UC2017"]);
    }
}

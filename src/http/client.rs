//! Who the client is, for the per-client rate limit. Behind a proxy every
//! request comes from the proxy's address, so the client is read from the
//! header the proxy writes (`X-Forwarded-For`, or RFC 7239 `Forwarded`) —
//! but only when the TCP peer is a proxy the operator trusts
//! (`--trusted-proxy`): anyone else could write any address there.
//!
//! The header is a chain, one address per hop, each appended by the hop
//! that received the request. Read from the right, every trusted proxy is
//! skipped; the first address that is not a trusted proxy is the client
//! (what a client wrote itself sits further left and is never reached).
//! When that entry is not an address (`unknown`, an obfuscated name), the
//! proxy that wrote it stands for the client.
//!
//! Only one header is read, the one the proxies write: a proxy appends to
//! its own header and passes any other through untouched, so reading the
//! other would let a client choose its address.

use ipnet::IpNet;
use std::net::IpAddr;

/// Hops read from the right at most; a longer chain stops there, at the
/// last proxy reached.
const MAX_HOPS: usize = 32;

/// The header the trusted proxies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx's
    /// `$proxy_add_x_forwarded_for`, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1`.
    Forwarded,
}

impl ForwardedHeader {
    /// Parses `x-forwarded-for` or `forwarded`.
    pub fn parse(s: &str) -> Result<ForwardedHeader, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            _ => Err(format!("`{s}` is x-forwarded-for or forwarded")),
        }
    }

    fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }
}

/// The proxies whose forwarding header is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Proxies in `nets`, writing `header`. No nets: no header is read.
    pub fn new(nets: Vec<IpNet>, header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies { nets, header }
    }

    /// Parses a CIDR (`10.0.0.0/8`, `fd00::/8`) or one address (`10.0.0.5`).
    pub fn parse_net(s: &str) -> Result<IpNet, String> {
        let s = s.trim();
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| format!("`{s}` is not an address or a CIDR such as 10.0.0.0/8"))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client of a request from `peer` with these headers.
    pub fn client(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> IpAddr {
        let mut hop = peer.to_canonical();
        if !self.trusts(hop) {
            return hop;
        }
        let header = self.header;
        // Every line of the header, in order, as one list.
        let lines: Vec<&str> = headers
            .get_all(header.name())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let entries = lines.iter().rev().flat_map(|l| l.rsplit(','));
        for entry in entries.take(MAX_HOPS) {
            let addr = match header {
                ForwardedHeader::XForwardedFor => node(entry),
                ForwardedHeader::Forwarded => forwarded_for(entry).and_then(node),
            };
            let Some(addr) = addr else {
                // Not an address: the proxy that wrote it is the client.
                return hop;
            };
            hop = addr.to_canonical();
            if !self.trusts(hop) {
                return hop;
            }
        }
        // Every hop is a trusted proxy (or the chain is longer than read):
        // the last one reached.
        hop
    }
}

/// The `for=` parameter of one `Forwarded` element.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
    })
}

/// An address as a node: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
/// `[2001:db8::1]:8080`, optionally quoted.
fn node(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = s.rsplit_once(':')?;
    port.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn proxies(nets: &[&str], header: ForwardedHeader) -> TrustedProxies {
        let nets = nets.iter().map(|n| TrustedProxies::parse_net(n).unwrap());
        TrustedProxies::new(nets.collect(), header)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(p.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        // No trusted proxies: headers are never read.
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let p = proxies(
            &["10.0.0.0/8", "192.168.1.1"],
            ForwardedHeader::XForwardedFor,
        );
        // The client wrote 6.6.6.6 itself; nginx appended what it saw.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(p.client(ip("192.168.1.1"), &h), ip("198.51.100.7"));
        // Several header lines are one list, in order.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.8:4711"),
        ]);
        assert_eq!(p.client(ip("10.9.9.9"), &h), ip("198.51.100.8"));
        // Only trusted hops: the leftmost one reached.
        let h = headers(&[("x-forwarded-for", "10.0.0.7, 10.0.0.8")]);
        assert_eq!(p.client(ip("10.0.0.9"), &h), ip("10.0.0.7"));
        // No header: the proxy itself.
        assert_eq!(p.client(ip("10.0.0.9"), &HeaderMap::new()), ip("10.0.0.9"));
        // Garbage where the client should be: the proxy that wrote it.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, unknown, 10.0.0.5")]);
        assert_eq!(p.client(ip("10.0.0.9"), &h), ip("10.0.0.5"));
    }

    #[test]
    fn forwarded_is_read_only_when_configured() {
        let h = headers(&[
            (
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https;by=10.0.0.1",
            ),
            ("x-forwarded-for", "7.7.7.7"),
        ]);
        let rfc = proxies(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        assert_eq!(rfc.client(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let xff = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        assert_eq!(xff.client(ip("10.0.0.1"), &h), ip("7.7.7.7"));
        let h = headers(&[("forwarded", "for=_hidden, for=10.0.0.2")]);
        assert_eq!(rfc.client(ip("10.0.0.1"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_nets() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(p.client(ip("::ffff:10.0.0.1"), &h), ip("198.51.100.7"));
        assert_eq!(p.client(ip("::ffff:203.0.113.1"), &h), ip("203.0.113.1"));
    }

    #[test]
    fn long_chains_are_read_from_the_right_up_to_a_bound() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let chain = vec!["10.0.0.3"; 1000].join(", ");
        let h = headers(&[("x-forwarded-for", &format!("1.2.3.4, {chain}"))]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.3"));
    }

    #[test]
    fn nets_and_headers_parse() {
        assert!(TrustedProxies::parse_net("10.0.0.0/8").is_ok());
        assert!(TrustedProxies::parse_net("fd00::/8").is_ok());
        assert_eq!(
            TrustedProxies::parse_net("10.0.0.5").unwrap(),
            "10.0.0.5/32".parse::<IpNet>().unwrap()
        );
        assert!(TrustedProxies::parse_net("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse_net("proxy").is_err());
        assert_eq!(
            ForwardedHeader::parse("Forwarded"),
            Ok(ForwardedHeader::Forwarded)
        );
        assert!(ForwardedHeader::parse("x-real-ip").is_err());
    }
}

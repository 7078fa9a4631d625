//! Upstream URL parsing after nginx's `ngx_parse_url` (schemes, default
//! ports, `unix:` sockets, `[ipv6]`, the URI part), and the reading of one
//! `*_pass` / `server` address from located text into a [`Target`].

use super::located::Located;
use super::model::{
    HostKind, HostTarget, Module, NoteKind, Target, UnixTarget, UpstreamDirective, UrlParts,
};
use crate::source::Span;
use std::ops::Range;

/// `ngx_parse_url`'s reading of an address, as byte ranges.
#[derive(Debug, Clone, Default)]
pub(super) struct ParsedUrl {
    pub(super) unix: bool,
    pub(super) ipv6: bool,
    /// The host (IPv6 without brackets) or the unix path.
    pub(super) host: Range<usize>,
    pub(super) port: Option<Range<usize>>,
    pub(super) port_value: Option<u16>,
    /// A `listen` of a bare port.
    pub(super) port_only: bool,
    pub(super) uri: Option<Range<usize>>,
    pub(super) err: Option<(NoteKind, &'static str)>,
}

/// nginx's `ngx_atoi` for a port: digits only, 1..=65535.
fn parse_port(b: &[u8]) -> Option<u16> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) || b.len() > 5 {
        return None;
    }
    let n: u32 = std::str::from_utf8(b).ok()?.parse().ok()?;
    (1..=65535).contains(&n).then_some(n as u16)
}

fn find(v: &[u8], r: Range<usize>, c: u8) -> Option<usize> {
    v[r.clone()]
        .iter()
        .position(|&x| x == c)
        .map(|p| r.start + p)
}

/// Parses `v[r]` as `ngx_parse_url` does with `uri_part` and `listen` set as given.
pub(super) fn parse_url(v: &[u8], r: Range<usize>, uri_part: bool, listen: bool) -> ParsedUrl {
    let s = &v[r.clone()];
    let mut u = ParsedUrl::default();
    if s.len() >= 5 && s[..5].eq_ignore_ascii_case(b"unix:") {
        u.unix = true;
        u.host = r.start + 5..r.end;
        if uri_part && let Some(colon) = find(v, u.host.clone(), b':') {
            u.uri = Some(colon + 1..r.end);
            u.host.end = colon;
        }
        if u.host.is_empty() {
            u.err = Some((
                NoteKind::InvalidAddress,
                "no path in the unix domain socket",
            ));
        }
        return u;
    }
    if s.first() == Some(&b'[') {
        u.ipv6 = true;
        let host_start = r.start + 1;
        let Some(close) = find(v, host_start..r.end, b']') else {
            u.host = host_start..r.end;
            u.err = Some((NoteKind::InvalidAddress, "invalid host"));
            return u;
        };
        u.host = host_start..close;
        let mut last = r.end;
        let after = close + 1;
        if let Some(slash) = find(v, after..last, b'/') {
            if listen || !uri_part {
                u.err = Some((NoteKind::InvalidAddress, "invalid host"));
            }
            u.uri = Some(slash..r.end);
            last = slash;
        }
        if after < last && v[after] == b':' {
            u.port = Some(after + 1..last);
            u.port_value = parse_port(&v[after + 1..last]);
            if u.port_value.is_none() && u.err.is_none() {
                u.err = Some((NoteKind::InvalidPort, "invalid port"));
            }
        }
        if u.host.is_empty() {
            u.err.get_or_insert((NoteKind::InvalidAddress, "no host"));
        } else if std::str::from_utf8(&v[u.host.clone()])
            .ok()
            .and_then(|h| h.parse::<std::net::Ipv6Addr>().ok())
            .is_none()
        {
            u.err
                .get_or_insert((NoteKind::InvalidAddress, "invalid IPv6 address"));
        }
        return u;
    }
    let mut last = r.end;
    let mut port = find(v, r.clone(), b':');
    let mut uri = find(v, r.clone(), b'/');
    if let Some(q) = find(v, r.clone(), b'?')
        && uri.is_none_or(|p| q < p)
    {
        uri = Some(q);
    }
    if let Some(p) = uri {
        if listen || !uri_part {
            u.err = Some((NoteKind::InvalidAddress, "invalid host"));
        }
        u.uri = Some(p..r.end);
        last = p;
        if port.is_some_and(|c| p < c) {
            port = None;
        }
    }
    if let Some(c) = port {
        u.port = Some(c + 1..last);
        u.port_value = parse_port(&v[c + 1..last]);
        if u.port_value.is_none() && u.err.is_none() {
            u.err = Some((NoteKind::InvalidPort, "invalid port"));
        }
        last = c;
    } else if uri.is_none() && listen && !s.is_empty() && s.iter().all(u8::is_ascii_digit) {
        u.port_only = true;
        u.port = Some(r.clone());
        u.port_value = parse_port(s);
        if u.port_value.is_none() {
            u.err = Some((NoteKind::InvalidPort, "invalid port"));
        }
        u.host = r.start..r.start;
        return u;
    }
    u.host = r.start..last;
    if u.host.is_empty() && u.err.is_none() {
        u.err = Some((NoteKind::InvalidAddress, "no host"));
    }
    u
}

/// nginx's `ngx_inet_addr`: four dot-separated decimal octets.
pub(super) fn is_ipv4(h: &str) -> bool {
    let mut dots = 0;
    let mut octet = 0u32;
    for c in h.bytes() {
        match c {
            b'0'..=b'9' => {
                octet = octet * 10 + u32::from(c - b'0');
                if octet > 255 {
                    return false;
                }
            }
            b'.' => {
                dots += 1;
                octet = 0;
            }
            _ => return false,
        }
    }
    dots == 3
}

/// How a host is written: IPv6, IPv4, `localhost` or a name.
pub(super) fn host_kind(host: &str, ipv6: bool) -> HostKind {
    if ipv6 {
        HostKind::Ipv6
    } else if is_ipv4(host) {
        HostKind::Ipv4
    } else if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        HostKind::Localhost
    } else {
        HostKind::Name
    }
}

/// What one address (a literal argument or one expanded candidate) says.
pub(super) struct Address {
    pub(super) target: Option<Target>,
    pub(super) url: UrlParts,
    /// Kind, nginx message, and where.
    pub(super) problem: Option<(NoteKind, String, Option<Span>)>,
    /// Why the target is unknown, when it is.
    pub(super) unknown: Option<String>,
}

/// Reads an address for `directive` from located text, as nginx would. The
/// target is `None` when part of the address is an unexpanded variable or
/// its text was not written in one piece.
pub(super) fn read_address(loc: &Located, directive: UpstreamDirective, module: Module) -> Address {
    let view = loc.view();
    let mut a = Address {
        target: None,
        url: UrlParts::schemeless(directive.schemeless_default_port(module)),
        problem: None,
        unknown: None,
    };
    let schemes = directive.schemes();
    let mut rest = 0;
    let sep = view.windows(3).position(|w| w == b"://");
    let matched = schemes.iter().find(|(name, _, _)| {
        view.len() >= name.len() + 3
            && view[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && &view[name.len()..name.len() + 3] == b"://"
    });
    if let Some((name, tls, port)) = matched {
        a.url.scheme = Some((*name).to_string());
        a.url.scheme_span = loc.span(0..name.len());
        a.url.tls = *tls;
        a.url.default_port = *port;
        rest = name.len() + 3;
    } else if let Some(p) = sep.filter(|p| loc.dynamic(&(0..*p))) {
        // `$scheme://…` with no static value: scheme, TLS and default port unknown.
        a.url.default_port = None;
        rest = p + 3;
    } else if directive == UpstreamDirective::Proxy {
        a.url.default_port = None;
        if loc.dynamic(&(0..view.len().min(1))) {
            a.unknown = Some("the whole URL comes from a variable".into());
            return a;
        }
        a.problem = Some((
            NoteKind::InvalidUrlPrefix,
            format!(
                "invalid URL prefix in \"{}\"",
                String::from_utf8_lossy(&loc.bytes)
            ),
            loc.span(0..loc.len()),
        ));
        if let Some(p) = sep {
            rest = p + 3;
        }
    }
    let url = parse_url(
        &view,
        rest..view.len(),
        directive == UpstreamDirective::Proxy,
        false,
    );
    if let Some(u) = &url.uri {
        a.url.uri = Some(loc.text(u.clone()));
        a.url.uri_span = loc.span(u.clone());
    }
    let host_dynamic = loc.dynamic(&url.host)
        || (url.host.is_empty() && loc.dynamic(&(rest..view.len().min(rest + 1))));
    let port_dynamic = url.port.as_ref().is_some_and(|p| loc.dynamic(p));
    if host_dynamic || port_dynamic {
        a.unknown = Some(if host_dynamic {
            "the host comes from a variable without a static value".into()
        } else {
            "the port comes from a variable without a static value".into()
        });
        return a;
    }
    if let Some((kind, msg)) = url.err
        && a.problem.is_none()
    {
        let at = match kind {
            NoteKind::InvalidPort => url.port.clone().and_then(|p| loc.span(p)),
            _ => loc.span(url.host.clone()),
        };
        a.problem = Some((
            kind,
            format!(
                "{msg} in upstream \"{}\"",
                String::from_utf8_lossy(&loc.bytes[rest..])
            ),
            at.or_else(|| loc.span(0..loc.len())),
        ));
    }
    let host_span = loc.span(url.host.clone()).or_else(|| {
        if url.host.is_empty() {
            loc.point(url.host.start)
        } else {
            None
        }
    });
    let Some(host_span) = host_span else {
        a.unknown = Some("the address is assembled from several values".into());
        return a;
    };
    if url.unix {
        // A socket has no port to default.
        a.url.default_port = None;
    }
    a.target = Some(if url.unix {
        Target::Unix(UnixTarget {
            path: loc.text(url.host.clone()),
            path_span: host_span,
        })
    } else {
        Target::Host(HostTarget::read(loc, &url, host_span))
    });
    a
}

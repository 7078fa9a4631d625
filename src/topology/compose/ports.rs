//! Service `ports` (short `[[ip:]host:]container[/proto]` and long
//! syntax, ranges) and `expose`, read into declared ports with compose's
//! errors located at the part of the value that is wrong.

use super::interpolate::Text;
use super::loader::FileLoader;
use crate::source::Span;
use crate::topology::read::entries;
use crate::topology::yaml::{Node, Value};
use crate::topology::{DeclaredPort, PortKind, Protocol};
use std::net::IpAddr;
use std::ops::Range;

/// A port or port range as written.
fn parse_range(s: &str) -> Option<(u32, u32)> {
    let num = |t: &str| -> Option<u32> {
        if t.is_empty() || t.len() > 10 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            (a <= b).then_some((a, b))
        }
        None => num(s).map(|a| (a, a)),
    }
}

/// A container port or range: within 1-65535.
fn container_range(s: &str) -> Option<(u32, u32)> {
    parse_range(s).filter(|(a, b)| *a >= 1 && *b <= 65535)
}

/// A host port or range: at most 65535 (`0` lets Docker choose).
fn host_range(s: &str) -> Option<(u32, u32)> {
    parse_range(s).filter(|(_, b)| *b <= 65535)
}

/// Ports `c0..=c1` of `kind`, declared at `span`, with nothing on the host
/// side.
fn port_range(
    kind: PortKind,
    (c0, c1): (u32, u32),
    protocol: Protocol,
    span: Span,
) -> impl Iterator<Item = DeclaredPort> {
    (c0..=c1).map(move |c| DeclaredPort::new(kind, c as u16, protocol, Some(span)))
}

/// Published ports `c0..=c1`: a host range as long as the container range
/// maps port by port (host port `0` is left to Docker); any other leaves
/// the host ports to Docker.
fn published(
    (c0, c1): (u32, u32),
    host: Option<(u32, u32)>,
    host_ip: Option<String>,
    name: Option<String>,
    protocol: Protocol,
    span: Span,
    host_span: Option<Span>,
) -> Vec<DeclaredPort> {
    port_range(PortKind::Published, (c0, c1), protocol, span)
        .map(|p| {
            let c = u32::from(p.container_port);
            let host_port = host.and_then(|(h0, h1)| {
                (h1 - h0 == c1 - c0)
                    .then_some((h0 + c - c0) as u16)
                    .filter(|p| *p != 0)
            });
            p.published(host_port, host_ip.clone(), host_span)
                .named(name.clone())
        })
        .collect()
}

/// `tcp` (the default), `udp` or `sctp`, in any case.
fn parse_protocol(s: &str) -> Option<Protocol> {
    match s.to_ascii_lowercase().as_str() {
        "" | "tcp" => Some(Protocol::Tcp),
        "udp" => Some(Protocol::Udp),
        "sctp" => Some(Protocol::Sctp),
        _ => None,
    }
}

impl FileLoader<'_> {
    /// One item of `ports`, in short or long syntax (a range gives several).
    pub(super) fn port(&mut self, svc: &str, item: &Node) -> Vec<DeclaredPort> {
        match &item.value {
            Value::Map(_) => self.long_port(svc, item),
            Value::Str(_) | Value::Int(_) => match self.text(item) {
                Some(t) => self.short_port(svc, &t),
                None => Vec::new(),
            },
            _ => {
                self.r.warn(
                    item.span,
                    format!("an item of `ports` of service `{svc}` must be a string, a number or a mapping, not {}", item.type_name()),
                );
                Vec::new()
            }
        }
    }

    /// `[[ip:]host:]container[/proto]`, ranges allowed (go-connections `ParsePortSpec`).
    fn short_port(&mut self, svc: &str, t: &Text) -> Vec<DeclaredPort> {
        let s = t.s.as_str();
        let bad = |this: &mut Self, r: Range<usize>, what: &str| {
            this.r.error(
                t.sub(r.clone()),
                format!("invalid {what} `{}` in `ports` of service `{svc}`", &s[r]),
            );
        };
        if s.trim().is_empty() {
            self.r
                .error(t.span, format!("empty port in `ports` of service `{svc}`"));
            return Vec::new();
        }
        let (spec_end, protocol) = match s.find('/') {
            Some(i) => {
                let pe = s[i + 1..].find('/').map_or(s.len(), |j| i + 1 + j);
                match parse_protocol(&s[i + 1..pe]) {
                    Some(p) => (i, p),
                    None => {
                        bad(self, i + 1..pe, "proto");
                        return Vec::new();
                    }
                }
            }
            None => (s.len(), Protocol::Tcp),
        };
        let colons: Vec<usize> = s[..spec_end].match_indices(':').map(|(i, _)| i).collect();
        let container = colons.last().map_or(0, |c| c + 1)..spec_end;
        let host = match colons.len() {
            0 => None,
            1 => Some(0..colons[0]),
            n => Some(colons[n - 2] + 1..colons[n - 1]),
        };
        let ip = (colons.len() >= 2).then(|| 0..colons[colons.len() - 2]);
        let Some((c0, c1)) = container_range(&s[container.clone()]) else {
            if container.is_empty() {
                self.r.error(
                    t.inner(),
                    format!("no port specified: `{s}` in `ports` of service `{svc}`"),
                );
            } else {
                bad(self, container, "containerPort");
            }
            return Vec::new();
        };
        let host_ip = match ip {
            Some(r) => {
                let raw = &s[r.clone()];
                let bare = raw
                    .strip_prefix('[')
                    .and_then(|x| x.strip_suffix(']'))
                    .unwrap_or(raw);
                if bare.parse::<IpAddr>().is_err() {
                    bad(self, r, "IP address");
                    return Vec::new();
                }
                Some(bare.to_string())
            }
            None => None,
        };
        let host_ports = match &host {
            Some(r) if !r.is_empty() => match host_range(&s[r.clone()]) {
                Some(h) => Some(h),
                None => {
                    bad(self, r.clone(), "hostPort");
                    return Vec::new();
                }
            },
            _ => None,
        };
        if let Some((h0, h1)) = host_ports
            && h1 - h0 != c1 - c0
            && c1 > c0
        {
            self.r.error(
                t.inner(),
                format!("invalid ranges specified for container and host ports: `{s}` in `ports` of service `{svc}`"),
            );
            return Vec::new();
        }
        let span = t.sub(container);
        let host_span = host.filter(|r| !r.is_empty()).map(|r| t.sub(r));
        published(
            (c0, c1),
            host_ports,
            host_ip,
            None,
            protocol,
            span,
            host_span,
        )
    }

    fn long_port(&mut self, svc: &str, item: &Node) -> Vec<DeclaredPort> {
        let what = |f: &str| format!("`ports.{f}` of service `{svc}`");
        let mut target = None;
        let mut published_at = None;
        let mut host_ip = None;
        let mut protocol = Protocol::Tcp;
        let mut name = None;
        for (k, field, v) in entries(item) {
            match field {
                "target" => target = self.scalar(&what(field), k, v),
                "published" => published_at = self.scalar(&what(field), k, v),
                "host_ip" => host_ip = self.scalar(&what(field), k, v).map(|t| t.s),
                "name" => name = self.scalar(&what(field), k, v).map(|t| t.s),
                "protocol" => {
                    if let Some(t) = self.scalar(&what(field), k, v) {
                        match parse_protocol(&t.s) {
                            Some(p) => protocol = p,
                            None => {
                                self.r.error(
                                    t.inner(),
                                    format!(
                                        "invalid proto `{}` in `ports` of service `{svc}`",
                                        t.s
                                    ),
                                );
                                return Vec::new();
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let Some(target) = target else {
            let at = item.key("target").map_or(item.span, |k| k.span);
            let at = if at.start == at.end {
                entries(item).next().map_or(at, |(k, _, _)| k.span)
            } else {
                at
            };
            self.r.error(
                at,
                format!("`target` is required in `ports` of service `{svc}`"),
            );
            return Vec::new();
        };
        let Some((c0, c1)) = container_range(target.s.trim()) else {
            self.r.error(
                target.inner(),
                format!(
                    "invalid containerPort `{}` in `ports` of service `{svc}`",
                    target.s
                ),
            );
            return Vec::new();
        };
        let host_ports = match &published_at {
            Some(p) if !p.s.trim().is_empty() => match host_range(p.s.trim()) {
                Some(h) => Some(h),
                None => {
                    self.r.error(
                        p.inner(),
                        format!("invalid hostPort `{}` in `ports` of service `{svc}`", p.s),
                    );
                    return Vec::new();
                }
            },
            _ => None,
        };
        if let Some(ip) = &host_ip
            && ip.parse::<IpAddr>().is_err()
        {
            self.r.error(
                item.get("host_ip").map_or(item.span, |n| n.span),
                format!("invalid IP address `{ip}` in `ports` of service `{svc}`"),
            );
            return Vec::new();
        }
        let span = target.inner();
        let host_span = published_at.as_ref().map(Text::inner);
        published(
            (c0, c1),
            host_ports,
            host_ip,
            name,
            protocol,
            span,
            host_span,
        )
    }

    /// `expose:` items: `3000`, `"3000-3005"`, `"3000/udp"`.
    pub(super) fn expose(&mut self, svc: &str, item: &Node) -> Vec<DeclaredPort> {
        let Some(t) = self.text(item) else {
            self.r.warn(
                item.span,
                format!(
                    "an item of `expose` of service `{svc}` must be a string or a number, not {}",
                    item.type_name()
                ),
            );
            return Vec::new();
        };
        let s = t.s.as_str();
        let (end, protocol) = match s.find('/') {
            Some(i) => match parse_protocol(&s[i + 1..]) {
                Some(p) => (i, p),
                None => {
                    self.r.error(
                        t.sub(i + 1..s.len()),
                        format!(
                            "invalid proto `{}` in `expose` of service `{svc}`",
                            &s[i + 1..]
                        ),
                    );
                    return Vec::new();
                }
            },
            None => (s.len(), Protocol::Tcp),
        };
        let Some((a, b)) = container_range(&s[..end]) else {
            self.r.error(
                t.sub(0..end),
                format!(
                    "invalid port `{}` in `expose` of service `{svc}`",
                    &s[..end]
                ),
            );
            return Vec::new();
        };
        port_range(PortKind::Exposed, (a, b), protocol, t.sub(0..end)).collect()
    }
}

//! Healthchecks as evidence of a port: a compose `healthcheck.test` or a
//! Kubernetes `exec` probe runs inside the container, so a command in it
//! that connects to the container's own loopback (`curl -f
//! http://localhost:8000/health`, `wget -qO- http://127.0.0.1:3000`,
//! `nc -z localhost 5432`, bash's `/dev/tcp/127.0.0.1/80`) shows that a
//! program answers on that port in the container's own network namespace.
//! It says nothing of the bind address: a program bound to 127.0.0.1 passes
//! the same check. Such a listener is inferred, and the resolver lets it
//! answer only on the namespace's own loopback.

use super::super::model::{Certainty, Listener, Provenance, ProvenanceKind};
use crate::source::Span;

/// How many ports one check can name (a command is short; this caps a
/// pathological one).
const MAX_PORTS: usize = 8;

/// The listeners a health check command (`text`, the command as written,
/// its words joined) shows, each told as `what` (`healthcheck`,
/// `livenessProbe exec`) and located at `span`.
pub(crate) fn listeners(text: &str, what: &str, span: Option<Span>) -> Vec<Listener> {
    let shown = shorten(text);
    loopback_ports(text)
        .into_iter()
        .map(|port| {
            let detail = format!(
                "{what} `{shown}` connects to port {port} on the container's own loopback: something answers there, its bind address unknown"
            );
            let provenance = Provenance::new(ProvenanceKind::Healthcheck, detail, span);
            Listener::new(Some(port), provenance, Certainty::Inferred)
        })
        .collect()
}

/// The command, cut to a readable length on a character boundary.
fn shorten(text: &str) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match t.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t,
    }
}

/// True for the names of the container's own loopback (what `curl` and
/// `nc` connect to there; `0.0.0.0` is the local host on Linux).
fn is_loopback(host: &str) -> bool {
    let h = host.trim_matches(['[', ']']).trim_end_matches('.');
    h.eq_ignore_ascii_case("localhost")
        || h == "0.0.0.0"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The ports a command connects to on the loopback, in order, without
/// repeats: `scheme://host[:port]` URLs (http 80, https 443 by default),
/// `nc`/`ncat`/`netcat` with a loopback host and a port, `/dev/tcp/host/port`.
pub(crate) fn loopback_ports(text: &str) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    let mut push = |p: u16| {
        if p != 0 && !out.contains(&p) && out.len() < MAX_PORTS {
            out.push(p);
        }
    };
    // URLs.
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let scheme: String = rest[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '+')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
            .to_ascii_lowercase();
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || "'\"`,;)|&".contains(c)
            })
            .unwrap_or(after.len());
        let authority = after[..end].rsplit('@').next().unwrap_or("");
        if let Some((host, port)) = split_host_port(authority) {
            let default = match scheme.as_str() {
                "http" | "ws" | "grpc" => Some(80),
                "https" | "wss" => Some(443),
                _ => None,
            };
            if is_loopback(host)
                && let Some(p) = port.map_or(default, |p| p.parse().ok())
            {
                push(p);
            }
        }
        rest = &after[end..];
    }
    // /dev/tcp/host/port (bash).
    let mut rest = text;
    while let Some(i) = rest.find("/dev/tcp/") {
        let after = &rest[i + "/dev/tcp/".len()..];
        let mut parts = after.splitn(2, '/');
        let host = parts.next().unwrap_or("");
        let port: String = parts
            .next()
            .unwrap_or("")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if is_loopback(host)
            && let Ok(p) = port.parse()
        {
            push(p);
        }
        rest = after;
    }
    // nc [options] host port.
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || "'\";|&()".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let tool = w.rsplit('/').next().unwrap_or(w);
        if !matches!(tool, "nc" | "ncat" | "netcat") {
            continue;
        }
        let args = &words[i + 1..];
        let Some(h) = args
            .iter()
            .take_while(|a| !matches!(a.rsplit('/').next(), Some("nc" | "ncat" | "netcat")))
            .position(|a| is_loopback(a))
        else {
            continue;
        };
        if let Some(p) = args.get(h + 1).and_then(|p| p.parse().ok()) {
            push(p);
        }
    }
    out
}

/// `host:port`, `host`, `[v6]:port`, `[v6]` → host and the port text.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.is_empty() {
        return None;
    }
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, rest) = v6.split_once(']')?;
        return Some((host, rest.strip_prefix(':')));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h, Some(p))),
        Some(_) => None,
        None => Some((authority, None)),
    }
}

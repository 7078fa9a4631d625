//! Programs outside the catalogue. A server upcheck has no recognizer for
//! still often says where it listens in one of a few spellings most
//! programs share: a listen flag (`--listen=0.0.0.0:8080`,
//! `--http-address=:4180`, `--admin-listen=127.0.0.1:8081`, `--port 3000`)
//! or a variable of its environment (`PORT=3000`, `FLASK_SERVER_PORT=9091`,
//! `LISTEN_ADDR=0.0.0.0:8080`, `UNIX_SOCK_PATH=/run/app.sock`).
//!
//! These are read only when no recognizer knew the program and no image
//! default applies: a flag or variable a known server reads belongs to its
//! recognizer. Every listener found here is `inferred`, and its provenance
//! names the spelling it came from, so a report tells it from a stated one.
//!
//! Guards against taking a client's setting for a listener:
//! - an address must name a bind — every interface (`0.0.0.0`, `::`, `*`,
//!   an empty host) or loopback — never a host name such as `backend:9091`,
//!   which is where the program connects, nor another machine's IP;
//! - a bare port counts only under a name that says the program serves on
//!   it (`PORT`, `*_SERVER_PORT`, `*_LISTEN_PORT`, `*_HTTP_PORT`,
//!   `APP_PORT`, `WEB_PORT`, `API_PORT`, `--port`, `--http-port`);
//! - a name that speaks of a peer (`DATABASE_…`, `REDIS_…`, `UPSTREAM_…`,
//!   `--db-port`) never counts, whatever its value.

use super::{Ctx, Env};
use crate::topology::infer::command::Cmd;
use crate::topology::infer::options::{bind_text, parse_port, split_hostport};
use crate::topology::model::{Bind, Certainty, Listener, Protocol, Provenance, ProvenanceKind};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Name endings (after `_` or `-` separators are unified to `_`) that say
/// the program serves on the port that follows. A bare `PORT` counts only
/// as the whole name (see [`WHOLE_NAMES`]): `EMAIL_PORT` is a peer's.
const PORT_NAMES: &[&str] = &[
    "SERVER_PORT",
    "LISTEN_PORT",
    "HTTP_PORT",
    "APP_PORT",
    "WEB_PORT",
    "API_PORT",
    "BIND_PORT",
];

/// Name endings that say the value is the address the program binds.
const ADDRESS_NAMES: &[&str] = &[
    "LISTEN",
    "LISTEN_ADDR",
    "LISTEN_ADDRESS",
    "BIND",
    "BIND_ADDR",
    "BIND_ADDRESS",
    "HTTP_ADDR",
    "HTTP_ADDRESS",
    "SERVER_ADDR",
    "SERVER_ADDRESS",
];

/// Names that count only whole: `PORT`, `--port`, `ADDR`, `--address`.
const WHOLE_NAMES: &[(&str, Says)] = &[
    ("PORT", Says::Port),
    ("ADDR", Says::Address),
    ("ADDRESS", Says::Address),
];

/// Words in a name that make it a setting about a peer, not a listener.
const PEER_WORDS: &[&str] = &[
    "DB",
    "DATABASE",
    "POSTGRES",
    "PG",
    "MYSQL",
    "MARIADB",
    "MONGO",
    "MONGODB",
    "REDIS",
    "RABBIT",
    "RABBITMQ",
    "AMQP",
    "KAFKA",
    "NATS",
    "ELASTIC",
    "ELASTICSEARCH",
    "SMTP",
    "MAIL",
    "MEMCACHE",
    "MEMCACHED",
    "UPSTREAM",
    "BACKEND",
    "TARGET",
    "REMOTE",
    "PROXY",
    "CLIENT",
    "PEER",
    "DNS",
];

/// What a name says its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Says {
    /// A port the program serves on.
    Port,
    /// The address (or unix socket) the program binds.
    Address,
    /// A unix socket path the program creates.
    Socket,
}

/// What a flag or variable name says, once dashes, dots and case are
/// unified (`--web.listen-address` → `WEB_LISTEN_ADDRESS`).
fn says(name: &str) -> Option<Says> {
    let norm: String = name
        .trim_start_matches('-')
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    let words: Vec<&str> = norm.split('_').filter(|w| !w.is_empty()).collect();
    if words.is_empty() || words.iter().any(|w| PEER_WORDS.contains(w)) {
        return None;
    }
    let ends = |list: &[&str]| {
        list.iter().any(|e| {
            let tail: Vec<&str> = e.split('_').collect();
            words.ends_with(&tail)
        })
    };
    if let Some((_, what)) = WHOLE_NAMES.iter().find(|(n, _)| *n == norm) {
        Some(*what)
    } else if words.iter().any(|w| w.starts_with("SOCK")) {
        Some(Says::Socket)
    } else if ends(PORT_NAMES) {
        Some(Says::Port)
    } else if ends(ADDRESS_NAMES) {
        Some(Says::Address)
    } else {
        None
    }
}

/// A listen address: every interface or loopback, with a port; or a unix
/// socket path. `None` for a peer's address or what does not parse.
fn bind_address(value: &str) -> Option<(Option<Bind>, Option<u16>)> {
    let v = value.trim();
    let v = ["http://", "https://", "tcp://"]
        .iter()
        .find_map(|s| v.strip_prefix(s))
        .unwrap_or(v);
    if let Some(path) = v.strip_prefix("unix:") {
        return socket_path(path).map(|p| (Some(Bind::Unix(p)), None));
    }
    if v.starts_with('/') {
        return socket_path(v).map(|p| (Some(Bind::Unix(p)), None));
    }
    let (host, port) = split_hostport(v.trim_end_matches('/'));
    let port = parse_port(port.as_deref()?)?;
    let h = host.trim_start_matches('[').trim_end_matches(']');
    let bind = match h {
        "" | "::" | "*" | "+" => Bind::Any,
        "0.0.0.0" => Bind::AnyV4,
        "localhost" => Bind::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        _ => match h.parse::<IpAddr>().ok()? {
            ip @ (IpAddr::V4(Ipv4Addr::LOCALHOST) | IpAddr::V6(Ipv6Addr::LOCALHOST)) => {
                Bind::Ip(ip)
            }
            ip if ip.is_unspecified() => Bind::Any,
            _ => return None,
        },
    };
    Some((Some(bind), Some(port)))
}

/// An absolute path, as a unix socket's.
fn socket_path(p: &str) -> Option<String> {
    (p.starts_with('/') && p.len() > 1 && !p.ends_with('/')).then(|| p.to_owned())
}

/// What one name and value say: the bind (when stated) and the port, or a
/// unix socket.
fn listener_of(name: &str, value: &str) -> Option<(Option<Bind>, Option<u16>)> {
    match says(name)? {
        Says::Port => parse_port(value).map(|p| (None, Some(p))),
        Says::Address => bind_address(value),
        Says::Socket => socket_path(value.trim()).map(|p| (Some(Bind::Unix(p)), None)),
    }
}

impl Ctx {
    /// The listeners a program outside the catalogue states by a listen flag
    /// on `cmds`, or else by a variable of `env`. Call only when no
    /// recognizer and no image default placed one.
    pub(super) fn outside_catalogue(&mut self, cmds: &[Cmd], env: &Env) {
        for cmd in cmds {
            let args = cmd.args();
            let mut i = 0;
            while i < args.len() {
                let a = &args[i];
                i += 1;
                if !a.starts_with("--") {
                    continue;
                }
                let (name, value) = match a.split_once('=') {
                    Some((n, v)) => (n, v.to_owned()),
                    None => match args.get(i) {
                        Some(v) if !v.starts_with('-') => {
                            i += 1;
                            (a.as_str(), v.clone())
                        }
                        _ => continue,
                    },
                };
                if let Some((bind, port)) = listener_of(name, &value) {
                    let detail = format!(
                        "{} — `{name}` of a program upcheck does not know{}",
                        cmd.text(),
                        unstated(&bind)
                    );
                    let provenance = Provenance::new(ProvenanceKind::Command, detail, None);
                    self.out.push(inferred(port, bind, provenance));
                }
            }
        }
        if !self.out.is_empty() {
            return;
        }
        for (name, val) in env {
            let Some(value) = val.value.as_deref() else {
                continue;
            };
            if let Some((bind, port)) = listener_of(name, value) {
                let detail = format!(
                    "{name}={value} — a setting of a program upcheck does not know{}",
                    unstated(&bind)
                );
                let provenance = Provenance::new(ProvenanceKind::Env, detail, val.span);
                self.out.push(inferred(port, bind, provenance));
            }
        }
    }
}

/// The caveat a listener without a stated bind carries.
fn unstated(bind: &Option<Bind>) -> String {
    match bind {
        None => "; the address it binds is not stated".to_owned(),
        Some(_) => format!("; it binds {}", bind_text(bind)),
    }
}

/// An inferred stream listener.
fn inferred(port: Option<u16>, bind: Option<Bind>, provenance: Provenance) -> Listener {
    Listener::new(port, provenance, Certainty::Inferred)
        .over(Protocol::Tcp)
        .bound(bind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_serve_and_names_that_connect() {
        assert_eq!(says("PORT"), Some(Says::Port));
        assert_eq!(says("FLASK_SERVER_PORT"), Some(Says::Port));
        assert_eq!(says("--http-port"), Some(Says::Port));
        assert_eq!(says("--web.listen-address"), Some(Says::Address));
        assert_eq!(says("--admin-listen"), Some(Says::Address));
        assert_eq!(says("UNIX_SOCK_PATH"), Some(Says::Socket));
        assert_eq!(says("--port"), Some(Says::Port));
        assert_eq!(says("DATABASE_PORT"), None);
        assert_eq!(says("EMAIL_PORT"), None);
        assert_eq!(says("METRICS_PORT"), None);
        assert_eq!(says("REDIS_ADDR"), None);
        assert_eq!(says("--db-port"), None);
        assert_eq!(says("PORTAL_TITLE"), None);
        assert_eq!(says("TIMEOUT"), None);
    }

    #[test]
    fn only_binds_are_listen_addresses() {
        assert_eq!(
            bind_address("0.0.0.0:8080"),
            Some((Some(Bind::AnyV4), Some(8080)))
        );
        assert_eq!(bind_address(":4180"), Some((Some(Bind::Any), Some(4180))));
        assert_eq!(
            bind_address("http://127.0.0.1:8081"),
            Some((Some(Bind::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))), Some(8081)))
        );
        assert_eq!(
            bind_address("unix:/run/app.sock"),
            Some((Some(Bind::Unix("/run/app.sock".into())), None))
        );
        // Where the program connects, not where it listens.
        assert_eq!(bind_address("backend:9091"), None);
        assert_eq!(bind_address("10.0.0.5:80"), None);
        assert_eq!(bind_address("0.0.0.0"), None);
    }
}

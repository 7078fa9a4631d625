//! Options and addresses: reading a server's flags (`--bind X`,
//! `--bind=X`, `-bX`), `host:port` forms, ports, and the bind a host
//! name or address means.

use super::super::model::Bind;
use std::net::{IpAddr, Ipv4Addr};

/// Values of an option, in order: `--bind X`, `--bind=X`, `-b X`, `-bX`.
pub(super) fn opt_values(args: &[String], longs: &[&str], shorts: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if longs.contains(&a) || shorts.contains(&a) {
            if let Some(v) = args.get(i + 1) {
                out.push(v.clone());
            }
            i += 2;
            continue;
        }
        if let Some(v) = longs
            .iter()
            .find_map(|l| a.strip_prefix(l).and_then(|r| r.strip_prefix('=')))
        {
            out.push(v.to_string());
        } else if let Some(v) = shorts.iter().find_map(|s| {
            a.strip_prefix(s)
                .filter(|r| !r.is_empty() && !a.starts_with("--"))
                .map(|r| r.strip_prefix('=').unwrap_or(r))
        }) {
            out.push(v.to_string());
        }
        i += 1;
    }
    out
}

/// The last value of an option (the one the server keeps).
pub(super) fn opt_last(args: &[String], longs: &[&str], shorts: &[&str]) -> Option<String> {
    opt_values(args, longs, shorts).pop()
}

/// The first argument that is not an option, stepping over the value of
/// each option in `with_value` (`runserver --settings s 0:8000`).
pub(super) fn first_positional<'a>(args: &'a [String], with_value: &[&str]) -> Option<&'a str> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if with_value.contains(&a) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            return Some(a);
        }
        i += 1;
    }
    None
}

/// Whether any of `names` is given (`--name=value` counts for long names).
pub(super) fn has_flag(args: &[String], names: &[&str]) -> bool {
    args.iter().any(|a| {
        names
            .iter()
            .any(|n| a == n || (n.starts_with("--") && a.starts_with(&format!("{n}="))))
    })
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, `host`, `:port`; a bare IPv6
/// address is a host.
pub(super) fn split_hostport(s: &str) -> (String, Option<String>) {
    if let Some(r) = s.strip_prefix('[')
        && let Some((h, rest)) = r.split_once(']')
    {
        return (h.to_string(), rest.strip_prefix(':').map(str::to_string));
    }
    match s.matches(':').count() {
        1 => {
            let (h, p) = s.split_once(':').expect("one colon");
            (h.to_string(), Some(p.to_string()))
        }
        _ => (s.to_string(), None),
    }
}

/// A port number; `0` and what does not parse are not ports.
pub(super) fn parse_port(p: &str) -> Option<u16> {
    p.trim().parse::<u16>().ok().filter(|p| *p != 0)
}

/// The written port, or `default` when none is written; `None` when what
/// is written is not a port.
pub(super) fn port_or(written: Option<&str>, default: u16) -> Option<u16> {
    match written {
        Some(p) => parse_port(p),
        None => Some(default),
    }
}

/// `127.0.0.1`.
pub(super) fn loopback() -> Bind {
    Bind::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// A bind as a sentence names it (`all interfaces`, `[::1]`).
pub(super) fn bind_text(b: &Option<Bind>) -> String {
    match b {
        None => "an unknown address".into(),
        Some(Bind::Any) => "all interfaces".into(),
        Some(Bind::AnyV4) => "0.0.0.0".into(),
        Some(Bind::AnyV6) => "[::]".into(),
        Some(Bind::Ip(IpAddr::V6(ip))) => format!("[{ip}]"),
        Some(Bind::Ip(ip)) => ip.to_string(),
        Some(Bind::Unix(p)) => format!("unix:{p}"),
    }
}

/// A comma-separated host list (`a, b`) as binds; `*` is every interface.
pub(super) fn host_list(l: &str) -> Vec<Option<Bind>> {
    l.split(',').map(str::trim).map(bind_of_host).collect()
}

/// The bind a listen host means: empty or `0.0.0.0` every IPv4 address,
/// `::`/`*`/`+` every address, `localhost` loopback; `None` for a name.
pub(super) fn bind_of_host(host: &str) -> Option<Bind> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    match h {
        "" | "0.0.0.0" | "0" => Some(Bind::AnyV4),
        "::" | "*" | "+" => Some(Bind::Any),
        "localhost" => Some(Bind::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))),
        _ => h.parse::<IpAddr>().ok().map(Bind::Ip),
    }
}

//! Small value syntaxes BuildKit checks with Go library functions: Go
//! durations (`time.ParseDuration`, for HEALTHCHECK), signals
//! (`moby/sys/signal.ParseSignal`, for STOPSIGNAL) and EXPOSE port specs
//! (`dockerfile2llb/convert_expose.go`).

use std::time::Duration;

/// Go's `time.ParseDuration`, as signed nanoseconds; the error is Go's.
pub(super) fn go_duration(s: &str) -> Result<i128, String> {
    let quoted = super::shlex::go_quote(s);
    let invalid = || format!("time: invalid duration {quoted}");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let int_len = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.len() - a.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                a.split_at(n)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(invalid());
        }
        let unit_len = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {quoted}"));
        }
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {quoted}",
                    super::shlex::go_quote(unit)
                ));
            }
        };
        let num: f64 = format!("{}.{}", if int.is_empty() { "0" } else { int }, frac)
            .trim_end_matches('.')
            .parse()
            .map_err(|_| invalid())?;
        total += num * scale;
        if total > i64::MAX as f64 {
            return Err(invalid());
        }
        rest = next;
    }
    let ns = total as i128;
    Ok(if neg { -ns } else { ns })
}

/// A HEALTHCHECK interval flag (`parseOptInterval`): empty or zero is
/// unset, below 1ms is an error.
pub(super) fn interval(name: &str, value: Option<&str>) -> Result<Duration, String> {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Ok(Duration::ZERO);
    };
    let ns = go_duration(v)?;
    if ns == 0 {
        return Ok(Duration::ZERO);
    }
    if ns < 1_000_000 {
        return Err(format!("Interval \"{name}\" cannot be less than 1ms"));
    }
    Ok(Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX)))
}

/// Linux signal names known to `moby/sys/signal`.
const SIGNALS: [&str; 34] = [
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
];

/// Whether STOPSIGNAL accepts `s` (`signal.ParseSignal`): a non-zero
/// number, or a name with or without `SIG`, `RTMIN+n`/`RTMAX-n` included.
pub(super) fn valid_signal(s: &str) -> bool {
    if let Ok(n) = s.parse::<i64>() {
        return n != 0;
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if SIGNALS.contains(&name) || name == "RTMIN" || name == "RTMAX" {
        return true;
    }
    let offset = |p: &str| name.strip_prefix(p).and_then(|n| n.parse::<u8>().ok());
    offset("RTMIN+").is_some_and(|n| (1..=15).contains(&n))
        || offset("RTMAX-").is_some_and(|n| (1..=14).contains(&n))
}

/// One EXPOSE spec (`[ip:][host:]port[-port][/proto]`) as `(first, last,
/// proto)`; host parts parse and are dropped, as BuildKit does.
pub(super) fn port_spec(raw: &str) -> Result<(u16, u16, String), String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let (ip, host, container) = match parts.as_slice() {
        [c] => ("".to_owned(), "", *c),
        [h, c] => ("".to_owned(), *h, *c),
        [rest @ .., h, c] => (rest.join(":"), *h, *c),
        [] => ("".to_owned(), "", ""),
    };
    let wrap = |e: String| format!("invalid port: \"{raw}\": {e}");
    let (port, proto) = container.split_once('/').unwrap_or((container, ""));
    if port.is_empty() {
        return Err(wrap("no port specified".to_owned()));
    }
    let proto = match proto.to_ascii_lowercase().as_str() {
        "" => "tcp".to_owned(),
        "tcp" | "udp" | "sctp" => proto.to_ascii_lowercase(),
        _ => return Err(wrap(format!("invalid proto: {proto}"))),
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    let (lo, hi) = port_range(port).map_err(|_| format!("invalid containerPort: {port}"))?;
    if !host.is_empty() {
        let (hlo, hhi) = port_range(host).map_err(|_| format!("invalid hostPort: {host}"))?;
        if hi - lo != hhi - hlo && hi != lo {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {port} and {host}"
            ));
        }
    }
    Ok((lo, hi, proto))
}

fn port_range(s: &str) -> Result<(u16, u16), ()> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let lo: u16 = a.parse().map_err(|_| ())?;
    let hi: u16 = if a == b {
        lo
    } else {
        b.parse().map_err(|_| ())?
    };
    if hi < lo {
        return Err(());
    }
    Ok((lo, hi))
}

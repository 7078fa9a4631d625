//! Parameters as written (`name` / `name=value`), the typed parameters of
//! an `upstream { server … }` entry, and nginx's time values (`30s`, `1m30s`).

use super::model::{Note, NoteKind, Param, ServerParams, TimeValue};
use crate::nginx::Arg;

pub(super) fn params_of(args: &[Arg]) -> Vec<Param> {
    args.iter()
        .map(|a| {
            let (name, value) = match a.value.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (a.value.to_string(), None),
            };
            Param {
                name,
                value,
                span: a.span,
            }
        })
        .collect()
}

pub(super) fn read_server_params(args: &[Arg]) -> (ServerParams, Vec<Note>) {
    let mut p = ServerParams {
        raw: params_of(args),
        ..Default::default()
    };
    let mut notes = Vec::new();
    let raw = p.raw.clone();
    for x in &raw {
        let num = || x.value.as_deref().and_then(|v| v.parse::<u32>().ok());
        let ok = match (x.name.as_str(), x.value.as_deref()) {
            ("weight", Some(_)) => {
                p.weight = num();
                p.weight.is_some_and(|w| w > 0)
            }
            ("max_conns", Some(_)) => {
                p.max_conns = num();
                p.max_conns.is_some()
            }
            ("max_fails", Some(_)) => {
                p.max_fails = num();
                p.max_fails.is_some()
            }
            ("fail_timeout", Some(v)) => {
                let t = time_value(v);
                let ok = t.ms.is_some();
                p.fail_timeout = Some(t);
                ok
            }
            ("slow_start", Some(v)) => {
                let t = time_value(v);
                let ok = t.ms.is_some();
                p.slow_start = Some(t);
                ok
            }
            ("service", Some(v)) => {
                p.service = Some(v.to_string());
                true
            }
            ("route", Some(v)) => {
                p.route = Some(v.to_string());
                true
            }
            ("backup", None) => {
                p.backup = true;
                true
            }
            ("down", None) => {
                p.down = true;
                true
            }
            ("resolve", None) => {
                p.resolve = true;
                true
            }
            ("drain", None) => {
                p.drain = true;
                true
            }
            _ => false,
        };
        if !ok {
            let text = match &x.value {
                Some(v) => format!("{}={v}", x.name),
                None => x.name.clone(),
            };
            notes.push(Note {
                kind: NoteKind::InvalidParameter,
                message: format!("invalid parameter \"{text}\""),
                span: x.span,
            });
        }
    }
    (p, notes)
}

/// nginx's `ngx_parse_time` with seconds as the default unit, in milliseconds.
pub(super) fn parse_time_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut any = false;
    while i < b.len() {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return None;
        }
        let n: u64 = s[start..i].parse().ok()?;
        let unit: u64 = if b[i..].starts_with(b"ms") {
            i += 2;
            1
        } else {
            let u = match b.get(i) {
                None => 1000,
                Some(b's') => 1000,
                Some(b'm') => 60_000,
                Some(b'h') => 3_600_000,
                Some(b'd') => 86_400_000,
                Some(b'w') => 7 * 86_400_000,
                Some(b'M') => 30 * 86_400_000,
                Some(b'y') => 365 * 86_400_000,
                Some(_) => return None,
            };
            if i < b.len() {
                i += 1;
            }
            u
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
    }
    any.then_some(total)
}

pub(super) fn time_value(s: &str) -> TimeValue {
    TimeValue {
        raw: s.to_string(),
        ms: parse_time_ms(s),
    }
}

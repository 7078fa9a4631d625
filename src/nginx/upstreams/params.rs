//! Parameters as written (`name` / `name=value`), the typed parameters of
//! an `upstream { server … }` entry, and nginx's time values (`30s`, `1m30s`).

use super::model::{Note, NoteKind, Param, ServerParams, TimeValue};
use crate::nginx::Arg;

/// Each argument as a parameter: `name` or `name=value`.
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

/// The typed parameters of an `upstream { server … }` entry, with a note
/// for each one nginx rejects.
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
            ("weight", Some(_)) => store(&mut p.weight, num(), |w| *w > 0),
            ("max_conns", Some(_)) => store(&mut p.max_conns, num(), |_| true),
            ("max_fails", Some(_)) => store(&mut p.max_fails, num(), |_| true),
            ("fail_timeout", Some(v)) => store(&mut p.fail_timeout, Some(time_value(v)), valid),
            ("slow_start", Some(v)) => store(&mut p.slow_start, Some(time_value(v)), valid),
            ("service", Some(v)) => store(&mut p.service, Some(v.to_string()), |_| true),
            ("route", Some(v)) => store(&mut p.route, Some(v.to_string()), |_| true),
            ("backup", None) => set(&mut p.backup),
            ("down", None) => set(&mut p.down),
            ("resolve", None) => set(&mut p.resolve),
            ("drain", None) => set(&mut p.drain),
            _ => false,
        };
        if !ok {
            let text = match &x.value {
                Some(v) => format!("{}={v}", x.name),
                None => x.name.clone(),
            };
            notes.push(Note::new(
                NoteKind::InvalidParameter,
                format!("invalid parameter \"{text}\""),
                x.span,
            ));
        }
    }
    (p, notes)
}

/// Stores a parameter's value; true when nginx accepts it (it is present
/// and `accepts` says so).
fn store<T>(field: &mut Option<T>, value: Option<T>, accepts: impl FnOnce(&T) -> bool) -> bool {
    let ok = value.as_ref().is_some_and(accepts);
    *field = value;
    ok
}

/// Sets a flag parameter, which nginx always accepts.
fn set(flag: &mut bool) -> bool {
    *flag = true;
    true
}

/// True for a time nginx can parse.
fn valid(t: &TimeValue) -> bool {
    t.ms.is_some()
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

/// A time value as written, with its milliseconds when nginx accepts it.
pub(super) fn time_value(s: &str) -> TimeValue {
    TimeValue {
        raw: s.to_string(),
        ms: parse_time_ms(s),
    }
}

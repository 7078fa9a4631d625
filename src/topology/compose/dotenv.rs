//! Env files, read like compose-go's `dotenv`: the parser of `KEY=VALUE`
//! files (quotes, escapes, `export`, comments, `${VAR}` from the environment
//! and from earlier lines) and the assembly step that reads one with its
//! errors located in it.

use super::assembly::Assembly;
use super::files::EnvFileText;
use super::interpolate::{Meter, Problem, interpolate};
use crate::source::Span;
use std::collections::BTreeMap;
use std::ops::Range;

/// An env file's variables, its errors (message, byte range), and the
/// value that crossed the expansion budget.
pub(super) type Parsed = (
    Vec<DotVar>,
    Vec<(String, Range<usize>)>,
    Option<Range<usize>>,
);

/// One variable of an env file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DotVar {
    pub(super) name: String,
    /// `None` for a bare `KEY` whose value the environment does not give.
    pub(super) value: Option<String>,
    /// `KEY=value`, up to the end of the value (its closing quote left out).
    pub(super) span: Range<usize>,
}

/// Parses an env file like compose-go's dotenv: `KEY=VALUE` and
/// `KEY: VALUE`, `export`, comments, single quotes (literal), double quotes
/// (escapes, several lines), inline ` #` comments after unquoted values,
/// `${VAR}` expanded from `lookup` then from the variables above, and a bare
/// `KEY` taken from `lookup`. `raw` (`format: raw`) takes values as written.
/// Errors are (message, byte range); substitutions are bounded by `meter`,
/// and the last item is the value that crossed its byte budget, if one did
/// here.
pub(super) fn parse_dotenv(
    text: &str,
    lookup: &BTreeMap<String, String>,
    raw: bool,
    meter: &Meter,
) -> Parsed {
    let b = text.as_bytes();
    let mut vars: Vec<DotVar> = Vec::new();
    let mut errors = Vec::new();
    let mut crossed = None;
    let mut defined: BTreeMap<String, String> = BTreeMap::new();
    let mut i = 0;
    let line_end = |from: usize| {
        b[from..]
            .iter()
            .position(|c| *c == b'\n')
            .map_or(b.len(), |p| from + p)
    };
    while i < b.len() {
        if matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
            continue;
        }
        if b[i] == b'#' {
            i = line_end(i);
            continue;
        }
        let start = i;
        if text[i..].starts_with("export") && matches!(b.get(i + 6), Some(b' ' | b'\t')) {
            i += 6;
            while matches!(b.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
        }
        let key_start = i;
        let mut sep = None;
        let mut bad = None;
        while i < b.len() {
            match b[i] {
                b'=' | b':' => {
                    sep = Some(i);
                    break;
                }
                b'\n' => break,
                b' ' | b'\t' | b'\r' => {}
                c if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'[' | b']') => {
                }
                _ => {
                    bad.get_or_insert(i);
                }
            }
            i += 1;
        }
        let key = text[key_start..sep.unwrap_or(i)].trim().to_string();
        if let Some(at) = bad {
            let end = line_end(at);
            let c = text[at..].chars().next().unwrap_or('?');
            errors.push((
                format!("unexpected character `{c}` in variable name `{key}`"),
                at..at + c.len_utf8(),
            ));
            i = end;
            continue;
        }
        if key.is_empty() {
            i = line_end(i);
            continue;
        }
        let Some(sep) = sep else {
            // A bare `KEY`: its value comes from the environment.
            vars.push(DotVar {
                value: lookup.get(&key).cloned(),
                name: key,
                span: start..start + text[start..i].trim_end().len(),
            });
            continue;
        };
        i = sep + 1;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let quote = b
            .get(i)
            .copied()
            .filter(|q| !raw && matches!(q, b'"' | b'\''));
        let (value, value_end, next) = match quote {
            None => {
                let end = line_end(i);
                let mut v = &text[i..end];
                if !raw && let Some(c) = v.find(" #") {
                    v = &v[..c];
                }
                let v = v.trim_end();
                let value = if raw {
                    v.to_string()
                } else {
                    let at = i..i + v.len();
                    expand(v, lookup, &defined, meter, at, &mut errors, &mut crossed)
                };
                (value, i + v.len(), end)
            }
            Some(q) => {
                let mut j = i + 1;
                let mut close = None;
                while j < b.len() {
                    if b[j] == q && b[j - 1] != b'\\' {
                        close = Some(j);
                        break;
                    }
                    j += 1;
                }
                let Some(close) = close else {
                    errors.push((
                        format!("unterminated quoted value of `{key}`"),
                        i..line_end(i),
                    ));
                    break;
                };
                let inner = &text[i + 1..close];
                let value = if q == b'"' {
                    let at = i + 1..close;
                    expand(
                        &unescape(inner),
                        lookup,
                        &defined,
                        meter,
                        at,
                        &mut errors,
                        &mut crossed,
                    )
                } else {
                    inner.to_string()
                };
                (value, close, close + 1)
            }
        };
        defined.insert(key.clone(), value.clone());
        vars.push(DotVar {
            name: key,
            value: Some(value),
            span: start..value_end,
        });
        i = next;
    }
    (vars, errors, crossed)
}

/// `${VAR}` in an env file value (written at `at`): the environment first,
/// then the variables defined above in the file; unset ones are empty. A
/// default nested past the depth budget is an error there; the value that
/// crosses the byte budget is `crossed`.
fn expand(
    s: &str,
    lookup: &BTreeMap<String, String>,
    defined: &BTreeMap<String, String>,
    meter: &Meter,
    at: Range<usize>,
    errors: &mut Vec<(String, Range<usize>)>,
    crossed: &mut Option<Range<usize>>,
) -> String {
    if !s.contains('$') {
        return s.to_string();
    }
    let map = vec![(at.start as u32, at.end as u32); s.len()];
    let mut problems = Vec::new();
    let (out, _) = interpolate(&(lookup, defined), s, &map, meter, &mut problems);
    for (p, _) in problems {
        match p {
            Problem::TooDeep(max) => errors.push((
                format!("`${{…}}` nested more than {max} deep; upcheck reads at most {max} levels of defaults (max_interpolation_depth)"),
                at.clone(),
            )),
            Problem::TooLarge(_) => {
                crossed.get_or_insert(at.clone());
            }
            Problem::Unset(_) | Problem::Required(..) | Problem::Invalid => {}
        }
    }
    out
}

/// The escapes of a double-quoted env file value.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(e @ ('"' | '\\' | '\'')) => out.push(e),
            Some('$') => {
                // Kept escaped for interpolation (`$$`).
                out.push_str("$$");
            }
            _ => {
                out.push('\\');
                continue;
            }
        }
        it.next();
    }
    out
}

impl Assembly<'_> {
    /// The variables of an env file (its problems reported in it when it
    /// is in the source map).
    pub(super) fn read_env_file(
        &mut self,
        f: &EnvFileText,
        lookup: &BTreeMap<String, String>,
        raw: bool,
    ) -> Vec<DotVar> {
        let (vars, errors, crossed) = parse_dotenv(&f.text, lookup, raw, &self.files.meter);
        if let Some(file) = f.file {
            for (message, r) in errors {
                self.r.error(Span::new(file, r.start, r.end), message);
            }
            if let Some(r) = crossed {
                self.files.meter.place(Span::new(file, r.start, r.end));
            }
        }
        vars
    }
}

/// The values of an env file as compose-go's dotenv reads them, expanding
/// `${VAR}` from `lookup` (for discovery's `COMPOSE_*` variables and
/// interpolation defaults); malformed lines are skipped.
pub(crate) fn dotenv_values(
    text: &str,
    lookup: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let (vars, _, _) = parse_dotenv(text, lookup, false, &Meter::default());
    vars.into_iter()
        .filter_map(|v| Some((v.name, v.value?)))
        .collect()
}

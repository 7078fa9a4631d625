//! Scalars with byte-exact spans, and `${VAR}` interpolation: `Text` (a
//! value with the source bytes of each of its bytes), the decoding of flow
//! scalars back to their source bytes, compose-go's `template.Substitute`,
//! the typed values read after interpolation (strings, booleans, counts),
//! and the one pass that reports interpolation problems.

use super::loader::FileLoader;
use crate::budget::Budgets;
use crate::source::{FileId, Span};
use crate::topology::yaml::{Node, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::ops::Range;

/// A scalar's text after interpolation, with the source bytes each byte of
/// it came from, so a part of it (the container port of `"8080:80"`) can be
/// pointed at exactly.
#[derive(Debug, Clone)]
pub(super) struct Text {
    pub(super) s: String,
    pub(super) span: Span,
    /// Per byte of `s`: the source byte range it came from.
    pub(super) map: Vec<(u32, u32)>,
}

impl Text {
    /// The source span of bytes `r` of the text (the whole scalar when the
    /// text cannot be mapped back, e.g. a block scalar).
    pub(super) fn sub(&self, r: Range<usize>) -> Span {
        let (start, end) = cover(&self.map, r).unwrap_or((self.span.start, self.span.end));
        Span {
            file: self.span.file,
            start,
            end,
        }
    }

    /// The span of the text without its quotes.
    pub(super) fn inner(&self) -> Span {
        if self.s.is_empty() {
            self.span
        } else {
            self.sub(0..self.s.len())
        }
    }
}

/// The source range covered by bytes `r` of a mapped text.
fn cover(map: &[(u32, u32)], r: Range<usize>) -> Option<(u32, u32)> {
    if r.start < r.end && r.end <= map.len() {
        let slice = &map[r];
        let start = slice.iter().map(|m| m.0).min()?;
        let end = slice.iter().map(|m| m.1).max()?;
        Some((start, end))
    } else if r.start == r.end && r.start < map.len() {
        Some((map[r.start].0, map[r.start].0))
    } else if r.start == r.end && r.start == map.len() && !map.is_empty() {
        let e = map[map.len() - 1].1;
        Some((e, e))
    } else {
        None
    }
}

/// Decodes a flow scalar's source text (plain, `'single'` or `"double"`
/// quoted, on one line) into its value and, per value byte, the source
/// bytes it came from. `None` for anything else (block scalars, folded
/// lines), which callers then point at as a whole.
pub(super) fn decode_raw(text: &str, span: Span) -> Option<(String, Vec<(u32, u32)>)> {
    let raw = text.get(span.range())?;
    let base = span.start;
    if raw.contains('\n') || raw.is_empty() {
        return (raw.is_empty()).then(|| (String::new(), Vec::new()));
    }
    let mut out = String::new();
    let mut map = Vec::new();
    let mut push = |out: &mut String, c: char, from: usize, to: usize| {
        out.push(c);
        for _ in 0..c.len_utf8() {
            map.push((base + from as u32, base + to as u32));
        }
    };
    let bytes = raw.as_bytes();
    match bytes[0] {
        b'\'' if raw.len() >= 2 && raw.ends_with('\'') => {
            let inner = &raw[1..raw.len() - 1];
            let mut it = inner.char_indices().peekable();
            while let Some((i, c)) = it.next() {
                if c == '\'' {
                    if it.peek().map(|p| p.1) == Some('\'') {
                        it.next();
                        push(&mut out, '\'', i + 1, i + 3);
                        continue;
                    }
                    return None;
                }
                push(&mut out, c, i + 1, i + 1 + c.len_utf8());
            }
        }
        b'"' if raw.len() >= 2 && raw.ends_with('"') => {
            let inner = &raw[1..raw.len() - 1];
            let mut it = inner.char_indices();
            while let Some((i, c)) = it.next() {
                if c != '\\' {
                    push(&mut out, c, i + 1, i + 1 + c.len_utf8());
                    continue;
                }
                let (_, e) = it.next()?;
                let simple = match e {
                    '0' => Some('\0'),
                    'a' => Some('\x07'),
                    'b' => Some('\x08'),
                    't' | '\t' => Some('\t'),
                    'n' => Some('\n'),
                    'v' => Some('\x0b'),
                    'f' => Some('\x0c'),
                    'r' => Some('\r'),
                    'e' => Some('\x1b'),
                    ' ' => Some(' '),
                    '"' => Some('"'),
                    '/' => Some('/'),
                    '\\' => Some('\\'),
                    _ => None,
                };
                if let Some(d) = simple {
                    push(&mut out, d, i + 1, i + 3);
                    continue;
                }
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => return None,
                };
                let hex = inner.get(i + 2..i + 2 + digits)?;
                let d = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                for _ in 0..digits {
                    it.next();
                }
                push(&mut out, d, i + 1, i + 3 + digits);
            }
        }
        b'\'' | b'"' | b'|' | b'>' | b'&' | b'*' | b'!' => return None,
        _ => {
            for (i, c) in raw.char_indices() {
                push(&mut out, c, i, i + c.len_utf8());
            }
        }
    }
    Some((out, map))
}

/// A problem met while interpolating.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Problem {
    /// `${X}` with `X` unset: an empty string is substituted.
    Unset(String),
    /// `${X:?msg}` / `${X?msg}` with `X` missing.
    Required(String, String),
    /// A `$` that starts no valid expression.
    Invalid,
    /// A `${…}` whose default or alternative nests deeper than the budget:
    /// its argument is not read.
    TooDeep(usize),
    /// The substitution that crossed the project's expansion budget: it
    /// and every later one are left empty.
    TooLarge(usize),
}

/// The variables interpolation reads.
pub(super) trait Lookup {
    /// The value of `name`, if set.
    fn get(&self, name: &str) -> Option<&str>;
}

impl Lookup for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        BTreeMap::get(self, name).map(String::as_str)
    }
}

/// Two sets of variables, the first winning (the environment over an env
/// file's earlier lines), without copying either.
impl Lookup for (&BTreeMap<String, String>, &BTreeMap<String, String>) {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .or_else(|| self.1.get(name))
            .map(String::as_str)
    }
}

/// What interpolation may cost in one project, shared by every value read
/// (see [`crate::budget::Budgets::max_interpolation_depth`] and
/// [`max_expanded_bytes`](crate::budget::Budgets::max_expanded_bytes)).
#[derive(Debug)]
pub(super) struct Meter {
    max_depth: usize,
    limit: usize,
    used: Cell<usize>,
    over: Cell<bool>,
    /// Where the byte budget was crossed, once a caller has located it.
    crossed: Cell<Option<Span>>,
}

impl Default for Meter {
    fn default() -> Meter {
        Meter::new(&Budgets::default())
    }
}

impl Meter {
    /// A meter for the budgets of one validation.
    pub(super) fn new(b: &Budgets) -> Meter {
        Meter {
            max_depth: b.max_interpolation_depth,
            limit: b.max_expanded_bytes,
            used: Cell::new(0),
            over: Cell::new(false),
            crossed: Cell::new(None),
        }
    }

    /// The byte budget.
    pub(super) fn limit(&self) -> usize {
        self.limit
    }

    /// Takes `n` bytes of the budget; false (and over from then on) when
    /// they do not fit.
    fn take(&self, n: usize) -> bool {
        if self.over.get() {
            return false;
        }
        let used = self.used.get().saturating_add(n);
        if used > self.limit {
            self.over.set(true);
            return false;
        }
        self.used.set(used);
        true
    }

    /// Records where the budget was crossed, when `problems` (met in a
    /// value of `file`) say it was there; the first place recorded stays.
    pub(super) fn locate(&self, problems: &[(Problem, (u32, u32))], file: FileId) {
        if let Some((_, (start, end))) = problems
            .iter()
            .find(|(p, _)| matches!(p, Problem::TooLarge(_)))
        {
            self.place(Span {
                file,
                start: *start,
                end: *end,
            });
        }
    }

    /// Records `at` as where the budget was crossed, unless a place is
    /// already recorded.
    pub(super) fn place(&self, at: Span) {
        if self.crossed.get().is_none() {
            self.crossed.set(Some(at));
        }
    }

    /// Takes `n` bytes that a value expanded to outside of `${…}` (an env
    /// file read into a service); false, with `at` recorded as where the
    /// budget was crossed, when they do not fit.
    pub(super) fn charge(&self, n: usize, at: Span) -> bool {
        let fresh = !self.over.get();
        let ok = self.take(n);
        if !ok && fresh {
            self.place(at);
        }
        ok
    }

    /// `Some` once the byte budget was crossed: where, if located.
    pub(super) fn crossed(&self) -> Option<Option<Span>> {
        self.over.get().then(|| self.crossed.get())
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn name_len(b: &[u8]) -> usize {
    match b.first() {
        Some(c) if is_name_start(*c) => {
            1 + b[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
        }
        _ => 0,
    }
}

/// compose-go `getFirstBraceClosingIndex` for every `${` of `b` at once:
/// (the offset of each `${`, the offset of the `}` closing it), in order.
/// Each `}` closes the innermost open `${`, so one pass with a stack gives
/// what scanning from each `${` would, in linear time.
fn closing_braces(b: &[u8]) -> Vec<(usize, Option<usize>)> {
    let mut out: Vec<(usize, Option<usize>)> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'}' {
            if let Some(o) = open.pop() {
                out[o].1 = Some(i);
            }
        } else if b[i..].starts_with(b"${") {
            open.push(out.len());
            out.push((i, None));
            i += 1;
        }
        i += 1;
    }
    out
}

/// Interpolates `s` (whose bytes came from `map`) like compose-go's
/// `template.Substitute`: `$$`, `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`,
/// `${VAR:?e}`, `${VAR?e}`, `${VAR:+r}`, `${VAR+r}`, nested defaults.
/// Substituted values map to the whole `${…}`; a default's own text keeps
/// its exact source bytes. Nesting and substituted bytes are bounded by
/// `meter`.
pub(super) fn interpolate(
    env: &impl Lookup,
    s: &str,
    map: &[(u32, u32)],
    meter: &Meter,
    problems: &mut Vec<(Problem, (u32, u32))>,
) -> (String, Vec<(u32, u32)>) {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut omap: Vec<(u32, u32)> = Vec::with_capacity(s.len());
    let mut cx = Interp {
        env,
        s,
        map,
        meter,
        problems,
        closes: None,
    };
    cx.run(0..s.len(), 0, &mut out, &mut omap);
    let s = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    (s, omap)
}

/// Interpolated bytes, and per byte the source bytes it came from.
type Mapped = (Vec<u8>, Vec<(u32, u32)>);

/// One interpolation: the value, its map, and the braces matched once.
struct Interp<'a, L> {
    env: &'a L,
    s: &'a str,
    map: &'a [(u32, u32)],
    meter: &'a Meter,
    problems: &'a mut Vec<(Problem, (u32, u32))>,
    closes: Option<Vec<(usize, Option<usize>)>>,
}

impl<L: Lookup> Interp<'_, L> {
    /// The `}` closing the `${` at `at`.
    fn close(&mut self, at: usize) -> Option<usize> {
        let s = self.s;
        let closes = self
            .closes
            .get_or_insert_with(|| closing_braces(s.as_bytes()));
        let i = closes.binary_search_by_key(&at, |c| c.0).ok()?;
        closes[i].1
    }

    fn whole(&self, r: Range<usize>) -> (u32, u32) {
        cover(self.map, r).unwrap_or((0, 0))
    }

    /// Appends a variable's value, within the byte budget.
    fn push_value(
        &mut self,
        v: &str,
        at: (u32, u32),
        out: &mut Vec<u8>,
        omap: &mut Vec<(u32, u32)>,
    ) {
        if v.is_empty() {
            return;
        }
        let fresh = self.meter.crossed().is_none();
        if self.meter.take(v.len()) {
            out.extend_from_slice(v.as_bytes());
            omap.extend(std::iter::repeat_n(at, v.len()));
        } else if fresh {
            self.problems
                .push((Problem::TooLarge(self.meter.limit), at));
        }
    }

    /// Interpolates bytes `range` of the value at nesting `depth` into `out`.
    fn run(
        &mut self,
        range: Range<usize>,
        depth: usize,
        out: &mut Vec<u8>,
        omap: &mut Vec<(u32, u32)>,
    ) {
        let s = self.s;
        let b = s.as_bytes();
        let mut i = range.start;
        let end_all = range.end;
        while i < end_all {
            if b[i] != b'$' {
                // Copy the run up to the next `$` at once.
                let next = b[i..end_all]
                    .iter()
                    .position(|c| *c == b'$')
                    .map_or(end_all, |p| i + p);
                out.extend_from_slice(&b[i..next]);
                omap.extend_from_slice(&self.map[i..next]);
                i = next;
                continue;
            }
            let next = b.get(i + 1).copied().filter(|_| i + 1 < end_all);
            if next == Some(b'$') {
                out.push(b'$');
                omap.push(self.whole(i..i + 2));
                i += 2;
                continue;
            }
            if next.is_some_and(is_name_start) {
                let n = name_len(&b[i + 1..end_all]);
                let end = i + 1 + n;
                let at = self.whole(i..end);
                match self.env.get(&s[i + 1..end]) {
                    Some(v) => self.push_value(v, at, out, omap),
                    None => self
                        .problems
                        .push((Problem::Unset(s[i + 1..end].to_string()), at)),
                }
                i = end;
                continue;
            }
            let braced = if next == Some(b'{') {
                self.close(i).filter(|c| *c < end_all).and_then(|close| {
                    let inner = i + 2..close;
                    let n = name_len(&b[inner.clone()]);
                    if n == 0 {
                        return None;
                    }
                    let rest = &s[inner.start + n..inner.end];
                    let op = [":-", ":?", ":+", "-", "?", "+"]
                        .into_iter()
                        .find(|op| rest.starts_with(op));
                    if op.is_none() && !rest.is_empty() {
                        return None;
                    }
                    Some((close, n, op.unwrap_or("")))
                })
            } else {
                None
            };
            let Some((close, n, op)) = braced else {
                self.problems.push((Problem::Invalid, self.whole(i..i + 1)));
                out.push(b'$');
                omap.push(self.map[i]);
                i += 1;
                continue;
            };
            let end = close + 1;
            let at = self.whole(i..end);
            let name = &s[i + 2..i + 2 + n];
            let arg = i + 2 + n + op.len()..close;
            let value = self.env.get(name);
            let set = value.is_some();
            let non_empty = value.is_some_and(|v| !v.is_empty());
            let use_arg = match op {
                "" => {
                    if !set {
                        self.problems.push((Problem::Unset(name.to_string()), at));
                    }
                    self.push_value(value.unwrap_or(""), at, out, omap);
                    false
                }
                ":-" | "-" => {
                    let has = if op == ":-" { non_empty } else { set };
                    if has {
                        self.push_value(value.unwrap_or(""), at, out, omap);
                    }
                    !has
                }
                ":?" | "?" => {
                    let has = if op == ":?" { non_empty } else { set };
                    if has {
                        self.push_value(value.unwrap_or(""), at, out, omap);
                    } else if let Some((msg, _)) = self.nested(arg.clone(), depth, at) {
                        let msg = String::from_utf8_lossy(&msg).into_owned();
                        self.problems
                            .push((Problem::Required(name.to_string(), msg), at));
                    }
                    false
                }
                _ => {
                    // `:+` / `+`: the replacement when set (and non-empty).
                    let has = if op == ":+" { non_empty } else { set };
                    if !has {
                        self.push_value(value.unwrap_or(""), at, out, omap);
                    }
                    has
                }
            };
            if use_arg && let Some((a, amap)) = self.nested(arg, depth, at) {
                out.extend_from_slice(&a);
                omap.extend(amap);
            }
            i = end;
        }
    }

    /// The argument of a `${…}` (a default, an alternative, a message)
    /// interpolated one level deeper; `None` past the depth budget.
    fn nested(&mut self, arg: Range<usize>, depth: usize, at: (u32, u32)) -> Option<Mapped> {
        if depth + 1 > self.meter.max_depth {
            self.problems
                .push((Problem::TooDeep(self.meter.max_depth), at));
            return None;
        }
        // Grown as needed: a nest of defaults would otherwise reserve the
        // whole value at every level.
        let (mut out, mut omap) = (Vec::new(), Vec::new());
        self.run(arg, depth + 1, &mut out, &mut omap);
        Some((out, omap))
    }
}

impl FileLoader<'_> {
    /// Per value byte, its source bytes (or the whole node when the
    /// source text does not decode to the value).
    fn source_map(&self, n: &Node, value: &str) -> Vec<(u32, u32)> {
        match decode_raw(self.files.text(n.span.file), n.span) {
            Some((decoded, map)) if decoded == value => map,
            _ => vec![(n.span.start, n.span.end); value.len()],
        }
    }

    /// A scalar as interpolated text (`None` for null and collections).
    pub(super) fn text(&self, n: &Node) -> Option<Text> {
        match &n.value {
            Value::Str(s) => {
                let map = self.source_map(n, s);
                let env = &self.files.ctx(n.span.file).env;
                let mut problems = Vec::new();
                let (s, map) = interpolate(env, s, &map, &self.files.meter, &mut problems);
                self.files.meter.locate(&problems, n.span.file);
                Some(Text {
                    s,
                    span: n.span,
                    map,
                })
            }
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let s = n.scalar_text()?;
                let map = self.source_map(n, &s);
                Some(Text {
                    s,
                    span: n.span,
                    map,
                })
            }
            _ => None,
        }
    }

    // Typed values, cast after interpolation as compose-go casts them.

    /// A top-level section of the document (`volumes`, `networks`) when it
    /// is a mapping.
    pub(super) fn section<'n>(&mut self, doc: &'n Node, name: &str) -> Option<&'n Node> {
        let v = doc.get(name)?;
        let key = doc.key(name).unwrap_or(doc);
        self.r
            .map_at_key(&format!("top-level `{name}`"), key, v)
            .then_some(v)
    }

    /// A scalar field: text, nothing for null, a warning for a collection.
    pub(super) fn scalar(&mut self, what: &str, key: &Node, v: &Node) -> Option<Text> {
        if v.is_null() {
            return None;
        }
        let t = self.text(v);
        if t.is_none() {
            self.r.wrong_at_key(what, "a string", key, v);
        }
        t
    }

    /// A boolean field.
    pub(super) fn boolean(&mut self, what: &str, key: &Node, v: &Node) -> Option<bool> {
        match &v.value {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            Value::Str(_) => match self.text(v)?.s.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => {
                    self.r.wrong_at_key(what, "a boolean", key, v);
                    None
                }
            },
            _ => {
                self.r.wrong_at_key(what, "a boolean", key, v);
                None
            }
        }
    }

    /// A non-negative integer field.
    pub(super) fn count(&mut self, what: &str, key: &Node, v: &Node) -> Option<u32> {
        if v.is_null() {
            return None;
        }
        let n = match &v.value {
            Value::Int(i) => Some(*i),
            Value::Str(_) => self.text(v).and_then(|t| t.s.trim().parse().ok()),
            _ => None,
        };
        match n {
            Some(n) if n >= 0 => Some(n.min(u32::MAX as i64) as u32),
            _ => {
                self.r.wrong_at_key(what, "a non-negative integer", key, v);
                None
            }
        }
    }

    /// Walks every string value to report interpolation problems once.
    /// (See [`can_move_a_listener`] for which unset variables warn.)
    pub(super) fn check_interpolation(&mut self, n: &Node, path: &mut Vec<String>) {
        match &n.value {
            Value::Str(s) => {
                // An alias (or a merge-key copy, which carries the alias's
                // span) is checked where its anchor is written.
                let alias = self
                    .files
                    .text(n.span.file)
                    .get(n.span.range())
                    .is_some_and(|r| r.starts_with('*'));
                if !s.contains('$') || alias {
                    return;
                }
                let map = self.source_map(n, s);
                let mut problems = Vec::new();
                let meter = &self.files.meter;
                interpolate(
                    &self.files.ctx(n.span.file).env,
                    s,
                    &map,
                    meter,
                    &mut problems,
                );
                meter.locate(&problems, n.span.file);
                for (p, (start, end)) in problems {
                    let span = Span {
                        file: n.span.file,
                        start,
                        end,
                    };
                    match p {
                        // Compose warns too; it matters to reachability
                        // only where the value can move a listener or a
                        // name (a password in `environment` cannot).
                        Problem::Unset(name) if !can_move_a_listener(path, s) => self.r.info(
                            span,
                            format!("variable `{name}` is not set; substituting an empty string"),
                        ),
                        Problem::Unset(name) => self.r.warn(
                            span,
                            format!("variable `{name}` is not set; substituting an empty string"),
                        ),
                        Problem::Required(name, msg) => {
                            let msg = if msg.is_empty() {
                                format!("required variable `{name}` is missing a value")
                            } else {
                                format!("required variable `{name}` is missing a value: {msg}")
                            };
                            self.r.error(span, msg)
                        }
                        Problem::Invalid => self.r.error(
                            span,
                            format!(
                                "invalid interpolation format for `{}`: this `$` starts no variable; you may need to escape any `$` with another `$`",
                                path.join(".")
                            ),
                        ),
                        Problem::TooDeep(max) => self.r.error(
                            span,
                            format!(
                                "`${{…}}` nested more than {max} deep in `{}`; upcheck reads at most {max} levels of defaults (max_interpolation_depth)",
                                path.join(".")
                            ),
                        ),
                        // Reported once for the project, where it was
                        // crossed (see `compose::load`).
                        Problem::TooLarge(_) => {}
                    }
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    self.check_interpolation(item, path);
                    path.pop();
                }
            }
            Value::Map(e) => {
                for (k, v) in e {
                    path.push(k.scalar_text().unwrap_or_default());
                    self.check_interpolation(v, path);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

/// Whether a value at `path` (its text `value`) can change where a service
/// listens or how it is reached: not a label, a logging or healthcheck
/// setting, nor an `environment` entry or build `args` entry whose name no
/// listener reads
/// (`MYSQL_PASSWORD`), as far as upcheck's listener inference and common
/// naming (`*PORT*`, `*HOST*`, `*ADDR*`, `*BIND*`, `*LISTEN*`, `*URL*`,
/// `*SOCKET*`) tell.
pub(super) fn can_move_a_listener(path: &[String], value: &str) -> bool {
    if path
        .iter()
        .any(|p| matches!(p.as_str(), "labels" | "logging" | "healthcheck"))
    {
        return false;
    }
    // `environment` entries, and build `args` (which reach the image only
    // through its Dockerfile's ARG), by the variable's name.
    let Some(i) = path.iter().position(|p| p == "environment" || p == "args") else {
        return true;
    };
    let name = match path.get(i + 1) {
        Some(k) if k.parse::<usize>().is_err() => k.as_str(),
        // The list form: `NAME=value`.
        _ => value.split('=').next().unwrap_or(value),
    };
    crate::topology::infer::reads_env(name)
}

//! Typed reads of the YAML/JSON value tree ([`Node`]) with located
//! warnings, for every loader (compose, Kubernetes manifests, the native
//! model, the live dumps), all of which walk the tree by hand. A field of
//! the wrong type is a warning that names the object and the field
//! ("`` `Deployment web`: `spec.replicas` should be an integer, not a list ``")
//! and reads as absent, so the rest still loads; a `null` field is absent.
//!
//! The formats word a few facts differently (a YAML manifest has mappings
//! and integers, a JSON document objects and numbers; Kubernetes spells
//! protocols `TCP`; compose says a field *must be* of a type, as compose-go
//! does, and repeats nodes through merge keys and anchors, so each of its
//! diagnostics is kept once). A [`Dialect`], chosen when the [`Reader`] is
//! made, carries those differences, so each loader keeps its own messages.
//!
//! Kubernetes, native and the live dumps name a field by object and path
//! (`obj`, `at`, `key`); compose walks `key: value` entries and names a
//! value with a whole phrase (`what`: "`` `image` of service `web` ``"),
//! read by the `*_at_key` forms, which point at the value or its key
//! ([`loc`]).

use super::yaml::{Node, Value};
use super::{DiagSeverity, Protocol, TopologyDiagnostic};
use crate::source::Span;
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

/// How a format's messages name what a field should be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    /// A mapping: `a mapping` or `an object`.
    pub(crate) map: &'static str,
    /// An integer: `an integer` or `a number`.
    pub(crate) int: &'static str,
    /// How a `protocol` field is spelled.
    pub(crate) protocol: Spelling,
    /// How a message says what a field's type should be: `should be` or
    /// `must be`.
    pub(crate) verb: &'static str,
    /// Each diagnostic (severity, message, span) is kept once: the tree
    /// repeats nodes (compose's merge keys, anchors and `extends`).
    pub(crate) once: bool,
}

/// How a format spells the values of a `protocol` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// `TCP`, `UDP` or `SCTP`, exactly, as the Kubernetes API spells them.
    Api,
    /// `tcp`, `udp` or `sctp`, in any case, as upcheck's own choices are.
    Choice,
}

impl Dialect {
    /// Kubernetes manifests (YAML, or JSON read as YAML).
    pub(crate) const MANIFEST: Dialect = Dialect {
        map: "a mapping",
        int: "an integer",
        protocol: Spelling::Api,
        verb: "should be",
        once: false,
    };
    /// upcheck's native JSON topology and the live dumps.
    pub(crate) const JSON: Dialect = Dialect {
        map: "an object",
        int: "a number",
        protocol: Spelling::Choice,
        verb: "should be",
        once: false,
    };
    /// compose files, worded like compose-go.
    pub(crate) const COMPOSE: Dialect = Dialect {
        map: "a mapping",
        int: "an integer",
        protocol: Spelling::Choice,
        verb: "must be",
        once: true,
    };
}

/// A span to point at for a node: block mappings and lists may have empty
/// spans, so point at their first key or item instead.
pub(crate) fn anchor(n: &Node) -> Span {
    match &n.value {
        Value::Map(e) => e.first().map(|(k, _)| k.span).unwrap_or(n.span),
        Value::Seq(items) => items.first().map(anchor).unwrap_or(n.span),
        _ => n.span,
    }
}

/// Where to point at a value read at `key`: a scalar itself, or its key
/// for collections and nulls (whose spans are zero-width or a lone bracket).
pub(crate) fn loc(value: &Node, key: &Node) -> Span {
    let scalar = !matches!(value.value, Value::Seq(_) | Value::Map(_) | Value::Null);
    if scalar && value.span.start < value.span.end {
        value.span
    } else {
        key.span
    }
}

/// From a key to its value (`KEY: value`), or the key alone when the value
/// was merged in from another file.
pub(crate) fn key_to(key: Span, value: Span) -> Span {
    if value.file == key.file {
        key.to(value)
    } else {
        key
    }
}

/// A mapping's entries with their key nodes (string keys only).
pub(crate) fn entries(n: &Node) -> impl Iterator<Item = (&Node, &str, &Node)> {
    let e: &[(Node, Node)] = match &n.value {
        Value::Map(e) => e,
        _ => &[],
    };
    e.iter().filter_map(|(k, v)| k.as_str().map(|s| (k, s, v)))
}

/// The items of a list, a lone value as one item, nothing for null.
pub(crate) fn items_or_one(n: &Node) -> Vec<&Node> {
    match &n.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        _ => vec![n],
    }
}

/// `at.key`, or `key` at the top.
pub(crate) fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// "`` `unit web`: `path` ``", or "`` `path` ``" for a top-level field, as
/// messages name a field.
pub(crate) fn field(obj: &str, path: &str) -> String {
    if obj.is_empty() {
        format!("`{path}`")
    } else {
        format!("`{obj}`: `{path}`")
    }
}

/// Typed reads of a [`Node`] tree and the diagnostics they (and the loader
/// using them) report. Readers take `obj` (how messages name the object,
/// `""` for none), the `parent` node, `at` (the parent's path, `""` at the
/// top) and the `key`; the `*_of` forms read a node already in hand at `path`.
#[derive(Debug)]
pub(crate) struct Reader {
    dialect: Dialect,
    list: Vec<TopologyDiagnostic>,
    /// The diagnostics recorded, when the dialect keeps each once.
    seen: HashSet<(DiagSeverity, String, Option<Span>)>,
}

impl Reader {
    /// A reader with no diagnostics yet, wording messages in `dialect`.
    pub(crate) fn new(dialect: Dialect) -> Reader {
        Reader {
            dialect,
            list: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Records a diagnostic (once, if the dialect says so).
    pub(crate) fn push(&mut self, severity: DiagSeverity, span: Option<Span>, message: String) {
        if self.dialect.once && !self.seen.insert((severity, message.clone(), span)) {
            return;
        }
        self.list
            .push(TopologyDiagnostic::new(severity, message, span));
    }

    /// Records a located error.
    pub(crate) fn error(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Error, Some(span), message);
    }

    /// Records a located warning.
    pub(crate) fn warn(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Warning, Some(span), message);
    }

    /// Records a located note.
    pub(crate) fn info(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Info, Some(span), message);
    }

    /// The diagnostics in the order they were recorded.
    pub(crate) fn diagnostics(self) -> Vec<TopologyDiagnostic> {
        self.list
    }

    /// The diagnostics in reading order, as a compiler reports them.
    pub(crate) fn sorted(mut self) -> Vec<TopologyDiagnostic> {
        self.list.sort_by_key(|d| {
            d.span
                .map_or((u32::MAX, 0, 0), |s| (s.file.0, s.start, s.end))
        });
        self.list
    }

    /// Warns, at `span`, that `what` is `found` where it should be
    /// `expected`.
    fn mistyped(&mut self, span: Span, what: &str, expected: &str, found: &str) {
        let verb = self.dialect.verb;
        self.warn(span, format!("{what} {verb} {expected}, not {found}"));
    }

    /// Warns that `path` of `obj` has the wrong type.
    pub(crate) fn wrong(&mut self, obj: &str, path: &str, node: &Node, expected: &str) {
        self.mistyped(anchor(node), &field(obj, path), expected, node.type_name());
    }

    /// Warns that `what`, the value `v` of `key`, is not `expected`.
    pub(crate) fn wrong_at_key(&mut self, what: &str, expected: &str, key: &Node, v: &Node) {
        self.mistyped(loc(v, key), what, expected, v.type_name());
    }

    /// True for a mapping value of `key`; a warning for anything but a
    /// mapping or null.
    pub(crate) fn map_at_key(&mut self, what: &str, key: &Node, v: &Node) -> bool {
        if !v.is_map() && !v.is_null() {
            self.wrong_at_key(what, self.dialect.map, key, v);
        }
        v.is_map()
    }

    /// A list value's items: nothing for null, a warning for anything else.
    pub(crate) fn seq_at_key<'n>(&mut self, what: &str, key: &Node, v: &'n Node) -> &'n [Node] {
        match &v.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.wrong_at_key(what, "a list", key, v);
                &[]
            }
        }
    }

    /// Warns that `path` of `obj` should be a mapping (an object).
    pub(crate) fn wrong_map(&mut self, obj: &str, path: &str, node: &Node) {
        self.wrong(obj, path, node, self.dialect.map);
    }

    /// True for a mapping node (a list item); another type is a warning.
    pub(crate) fn is_map(&mut self, obj: &str, n: &Node, path: &str) -> bool {
        if !n.is_map() {
            self.wrong_map(obj, path, n);
        }
        n.is_map()
    }

    /// A present, non-null child.
    pub(crate) fn child<'n>(parent: &'n Node, key: &str) -> Option<&'n Node> {
        parent.get(key).filter(|n| !n.is_null())
    }

    /// The field `key` of `parent` (at `at`), when present and not null,
    /// read by `of`, one of the `*_of` node readers, at the field's path.
    fn read<'n, T>(
        &mut self,
        obj: &str,
        parent: &'n Node,
        at: &str,
        key: &str,
        of: impl FnOnce(&mut Self, &str, &'n Node, &str) -> Option<T>,
    ) -> Option<T> {
        let n = Self::child(parent, key)?;
        of(self, obj, n, &join(at, key))
    }

    /// A mapping field; another type is a warning and `None`.
    pub(crate) fn map<'n>(
        &mut self,
        obj: &str,
        parent: &'n Node,
        at: &str,
        key: &str,
    ) -> Option<&'n Node> {
        let n = Self::child(parent, key)?;
        if n.is_map() {
            Some(n)
        } else {
            self.wrong_map(obj, &join(at, key), n);
            None
        }
    }

    /// A list field's items; another type is a warning and no items.
    pub(crate) fn seq<'n>(
        &mut self,
        obj: &str,
        parent: &'n Node,
        at: &str,
        key: &str,
    ) -> &'n [Node] {
        let Some(n) = Self::child(parent, key) else {
            return &[];
        };
        if matches!(n.value, Value::Seq(_)) {
            n.items()
        } else {
            self.wrong(obj, &join(at, key), n, "a list");
            &[]
        }
    }

    /// A list field of mappings, each read by `item` (given the item's
    /// path, `at.key[i]`), in order, keeping what it returns; an item of
    /// another type is a warning and skipped, and so is a field that is
    /// not a list (as [`Reader::seq`]).
    pub(crate) fn map_items<'n, T>(
        &mut self,
        obj: &str,
        parent: &'n Node,
        at: &str,
        key: &str,
        mut item: impl FnMut(&mut Self, &str, &'n Node) -> Option<T>,
    ) -> Vec<T> {
        let list = join(at, key);
        let mut out = Vec::new();
        for (i, n) in self.seq(obj, parent, at, key).iter().enumerate() {
            let path = format!("{list}[{i}]");
            if self.is_map(obj, n, &path) {
                out.extend(item(self, &path, n));
            }
        }
        out
    }

    /// A string field; another type is a warning and `None`.
    pub(crate) fn str<'n>(
        &mut self,
        obj: &str,
        parent: &'n Node,
        at: &str,
        key: &str,
    ) -> Option<(&'n str, Span)> {
        self.read(obj, parent, at, key, Self::str_of)
    }

    /// A string field that the item at `at` needs: without it (absent or
    /// of another type) the item is warned about as lacking `key`, or as
    /// not a mapping.
    pub(crate) fn required_str<'n>(
        &mut self,
        obj: &str,
        item: &'n Node,
        at: &str,
        key: &str,
    ) -> Option<(&'n str, Span)> {
        let s = self.str(obj, item, at, key);
        if s.is_none() {
            self.lacks(obj, item, at, key);
        }
        s
    }

    /// A string node; another type is a warning and `None`.
    pub(crate) fn str_of<'n>(
        &mut self,
        obj: &str,
        n: &'n Node,
        path: &str,
    ) -> Option<(&'n str, Span)> {
        match n.as_str() {
            Some(s) => Some((s, n.span)),
            None => {
                self.wrong(obj, path, n, "a string");
                None
            }
        }
    }

    /// A string field where another scalar was written (`value: 8080`):
    /// warned about, then read as text, as the author meant.
    pub(crate) fn text(
        &mut self,
        obj: &str,
        parent: &Node,
        at: &str,
        key: &str,
    ) -> Option<(String, Span)> {
        self.read(obj, parent, at, key, Self::text_of)
    }

    /// A string node, or another scalar warned about and read as text.
    pub(crate) fn text_of(&mut self, obj: &str, n: &Node, path: &str) -> Option<(String, Span)> {
        if let Some(s) = n.as_str() {
            return Some((s.to_string(), n.span));
        }
        match n.scalar_text() {
            Some(t) => {
                let found = format!("{} (quote it)", n.type_name());
                self.mistyped(n.span, &field(obj, path), "a string", &found);
                Some((t, n.span))
            }
            None => {
                self.wrong(obj, path, n, "a string");
                None
            }
        }
    }

    /// An integer field; a string of digits is warned about and read.
    pub(crate) fn int(
        &mut self,
        obj: &str,
        parent: &Node,
        at: &str,
        key: &str,
    ) -> Option<(i64, Span)> {
        self.read(obj, parent, at, key, Self::int_of)
    }

    /// An integer node; a string of digits is warned about and read.
    pub(crate) fn int_of(&mut self, obj: &str, n: &Node, path: &str) -> Option<(i64, Span)> {
        match (&n.value, n.as_int()) {
            (Value::Int(i), _) => Some((*i, n.span)),
            (_, Some(i)) => {
                self.mistyped(n.span, &field(obj, path), self.dialect.int, "a string");
                Some((i, n.span))
            }
            _ => {
                self.wrong(obj, path, n, self.dialect.int);
                None
            }
        }
    }

    /// A boolean field; another type is a warning and `None`.
    pub(crate) fn bool(&mut self, obj: &str, parent: &Node, at: &str, key: &str) -> Option<bool> {
        let n = Self::child(parent, key)?;
        match n.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong(obj, &join(at, key), n, "a boolean");
                None
            }
        }
    }

    /// A port number field (1-65535).
    pub(crate) fn port(
        &mut self,
        obj: &str,
        parent: &Node,
        at: &str,
        key: &str,
    ) -> Option<(u16, Span)> {
        self.read(obj, parent, at, key, Self::port_of)
    }

    /// A port number node (1-65535).
    pub(crate) fn port_of(&mut self, obj: &str, n: &Node, path: &str) -> Option<(u16, Span)> {
        let (i, span) = self.int_of(obj, n, path)?;
        match u16::try_from(i) {
            Ok(p) if p > 0 => Some((p, span)),
            _ => {
                let expected = "a port number (1-65535)";
                self.mistyped(span, &field(obj, path), expected, &i.to_string());
                None
            }
        }
    }

    /// Warns that the item at `at` has no `key` (or is not a mapping).
    pub(crate) fn lacks(&mut self, obj: &str, item: &Node, at: &str, key: &str) {
        if item.is_map() {
            self.warn(anchor(item), format!("{} has no `{key}`", field(obj, at)));
        } else {
            self.wrong_map(obj, at, item);
        }
    }

    /// A port field that the item at `at` needs (a list entry's `port`):
    /// absent is a warning that the item has no `key`.
    pub(crate) fn required_port(
        &mut self,
        obj: &str,
        item: &Node,
        at: &str,
        key: &str,
    ) -> Option<(u16, Span)> {
        let port = self.port(obj, item, at, key);
        if port.is_none() && Self::child(item, key).is_none() {
            self.lacks(obj, item, at, key);
        }
        port
    }

    /// An IP address field (brackets around an IPv6 address are allowed).
    pub(crate) fn ip(
        &mut self,
        obj: &str,
        parent: &Node,
        at: &str,
        key: &str,
    ) -> Option<(IpAddr, Span)> {
        let (s, span) = self.str(obj, parent, at, key)?;
        match s.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
            Ok(ip) => Some((ip, span)),
            Err(_) => {
                self.not_ip(obj, &join(at, key), s, span);
                None
            }
        }
    }

    /// `s`, read at `path`, as an IP address; else a warning and `None`.
    pub(crate) fn parse_ip(
        &mut self,
        obj: &str,
        path: &str,
        s: &str,
        span: Span,
    ) -> Option<IpAddr> {
        let ip = s.parse::<IpAddr>().ok();
        if ip.is_none() {
            self.not_ip(obj, path, s, span);
        }
        ip
    }

    fn not_ip(&mut self, obj: &str, path: &str, s: &str, span: Span) {
        self.mistyped(span, &field(obj, path), "an IP address", &format!("`{s}`"));
    }

    /// A `protocol` field, spelled as the dialect spells it; absent or
    /// unknown (warned about) is TCP.
    pub(crate) fn protocol(&mut self, obj: &str, parent: &Node, at: &str) -> Protocol {
        let Some((p, span)) = self.str(obj, parent, at, "protocol") else {
            return Protocol::Tcp;
        };
        let (known, expected) = match self.dialect.protocol {
            Spelling::Api => (
                ["TCP", "UDP", "SCTP"].iter().position(|c| *c == p),
                "TCP, UDP or SCTP",
            ),
            Spelling::Choice => (
                ["tcp", "udp", "sctp"]
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(p)),
                "one of `tcp`, `udp`, `sctp`",
            ),
        };
        match known {
            Some(1) => Protocol::Udp,
            Some(2) => Protocol::Sctp,
            Some(_) => Protocol::Tcp,
            None => {
                let what = field(obj, &join(at, "protocol"));
                self.mistyped(span, &what, expected, &format!("`{p}`"));
                Protocol::Tcp
            }
        }
    }

    /// A list of strings (items of another type are warned about and skipped).
    pub(crate) fn strings(
        &mut self,
        obj: &str,
        parent: &Node,
        at: &str,
        key: &str,
    ) -> Vec<(String, Span)> {
        let path = join(at, key);
        self.seq(obj, parent, at, key)
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                self.str_of(obj, n, &format!("{path}[{i}]"))
                    .map(|(s, sp)| (s.to_string(), sp))
            })
            .collect()
    }

    /// A list of strings where other scalars are warned about and read as
    /// text (an argv such as `command: [sh, -c, 1]`).
    pub(crate) fn texts(&mut self, obj: &str, parent: &Node, at: &str, key: &str) -> Vec<String> {
        let path = join(at, key);
        self.seq(obj, parent, at, key)
            .iter()
            .enumerate()
            .filter_map(|(i, n)| self.text_of(obj, n, &format!("{path}[{i}]")).map(|t| t.0))
            .collect()
    }

    /// A mapping of strings (labels, a selector, an environment), each
    /// key once with its last value; `null` values are `None` (unknown),
    /// other scalars are warned about and read as text.
    pub(crate) fn string_map(
        &mut self,
        obj: &str,
        parent: &Node,
        at: &str,
        key: &str,
    ) -> Vec<(String, Option<String>, Span)> {
        match self.map(obj, parent, at, key) {
            Some(n) => self.string_entries(obj, n, &join(at, key)),
            None => Vec::new(),
        }
    }

    /// Labels or a selector (`map[string]string`, `null` read as empty)
    /// with the span of the key, as block mappings have no span of their
    /// own; `None` when absent or not a mapping.
    pub(crate) fn labels(
        &mut self,
        obj: &str,
        parent: &Node,
        at: &str,
        key: &str,
    ) -> Option<(BTreeMap<String, String>, Span)> {
        let n = self.map(obj, parent, at, key)?;
        let labels = self
            .string_entries(obj, n, &join(at, key))
            .into_iter()
            .map(|(k, v, _)| (k, v.unwrap_or_default()))
            .collect();
        let key_span = parent.key(key).map(|k| k.span).unwrap_or(n.span);
        Some((labels, key_span))
    }

    fn string_entries(
        &mut self,
        obj: &str,
        n: &Node,
        path: &str,
    ) -> Vec<(String, Option<String>, Span)> {
        let mut out: Vec<(String, Option<String>, Span)> = Vec::new();
        for (k, v) in n.entries() {
            let value = if v.is_null() {
                Some((None, v.span))
            } else {
                self.text_of(obj, v, &format!("{path}.{k}"))
                    .map(|(t, s)| (Some(t), s))
            };
            if let Some((value, span)) = value {
                out.retain(|e| e.0 != k);
                out.push((k.to_string(), value, span));
            }
        }
        out
    }

    /// One of `choices` (case-insensitive), else a warning and `None`.
    pub(crate) fn choice<'c>(
        &mut self,
        obj: &str,
        parent: &Node,
        at: &str,
        key: &str,
        choices: &[&'c str],
    ) -> Option<(&'c str, Span)> {
        let (s, span) = self.str(obj, parent, at, key)?;
        match choices.iter().find(|c| c.eq_ignore_ascii_case(s)) {
            Some(c) => Some((c, span)),
            None => {
                let listed: Vec<String> = choices.iter().map(|c| format!("`{c}`")).collect();
                let expected = format!("one of {}", listed.join(", "));
                self.mistyped(
                    span,
                    &field(obj, &join(at, key)),
                    &expected,
                    &format!("`{s}`"),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceMap};

    /// The messages `read` produces on `text` in `dialect`.
    fn messages(dialect: Dialect, text: &str, read: impl Fn(&mut Reader, &Node)) -> Vec<String> {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new("t.yaml", text));
        let docs = super::super::yaml::parse_documents(f, sources.get(f)).expect("yaml");
        let mut r = Reader::new(dialect);
        read(&mut r, &docs[0]);
        r.diagnostics().into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn each_dialect_keeps_its_words() {
        let text = "spec: {template: 1, replicas: '3', protocol: tcp}\n";
        let read = |r: &mut Reader, doc: &Node| {
            let spec = r.map("Deployment web", doc, "", "spec").expect("a map");
            assert!(r.map("Deployment web", spec, "spec", "template").is_none());
            assert_eq!(
                r.int("Deployment web", spec, "spec", "replicas")
                    .map(|i| i.0),
                Some(3)
            );
            r.protocol("Deployment web", spec, "spec");
        };
        assert_eq!(
            messages(Dialect::MANIFEST, text, read),
            [
                "`Deployment web`: `spec.template` should be a mapping, not an integer",
                "`Deployment web`: `spec.replicas` should be an integer, not a string",
                "`Deployment web`: `spec.protocol` should be TCP, UDP or SCTP, not `tcp`",
            ]
        );
        assert_eq!(
            messages(Dialect::JSON, text, read),
            [
                "`Deployment web`: `spec.template` should be an object, not an integer",
                "`Deployment web`: `spec.replicas` should be a number, not a string",
            ]
        );
    }

    #[test]
    fn compose_words_a_value_at_its_key_once() {
        let text = "image: [nginx]\nports: {a: 1}\n";
        let got = messages(Dialect::COMPOSE, text, |r, doc| {
            for (key, name, v) in entries(doc) {
                let what = format!("`{name}` of service `web`");
                // Read twice, as a merge key or an anchor repeats a node.
                for _ in 0..2 {
                    match name {
                        "image" => r.wrong_at_key(&what, "a string", key, v),
                        _ => assert!(r.seq_at_key(&what, key, v).is_empty()),
                    }
                }
            }
        });
        assert_eq!(
            got,
            [
                "`image` of service `web` must be a string, not a list",
                "`ports` of service `web` must be a list, not a mapping",
            ]
        );
    }

    #[test]
    fn top_level_fields_are_named_alone_and_null_is_absent() {
        let text = "platform: 1\nproject: null\nlabels: {b: 2, a: null}\n";
        let got = messages(Dialect::JSON, text, |r, doc| {
            assert!(r.str("", doc, "", "platform").is_none());
            assert!(r.str("", doc, "", "project").is_none());
            let labels = r.labels("unit web", doc, "", "labels").expect("labels");
            assert_eq!(
                labels.0.into_iter().collect::<Vec<_>>(),
                [
                    ("a".to_string(), String::new()),
                    ("b".to_string(), "2".to_string())
                ]
            );
        });
        assert_eq!(
            got,
            [
                "`platform` should be a string, not an integer",
                "`unit web`: `labels.b` should be a string, not an integer (quote it)",
            ]
        );
    }
}

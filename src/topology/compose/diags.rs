//! Located diagnostics and the typed-field reader of the compose loader:
//! `Diags` (deduplicated, since merge keys and anchors repeat the same node),
//! `entries` and `loc` (a mapping's keyed entries, where to point at a value),
//! and the `FileLoader` readers of scalar, list, boolean and count fields,
//! which warn about a wrong type at the field and let the rest load.

use super::interpolate::Text;
use super::loader::FileLoader;
use crate::source::Span;
use crate::topology::yaml::{Node, Value};
use crate::topology::{DiagSeverity, TopologyDiagnostic};
use std::collections::HashSet;

/// Diagnostics, deduplicated (merge keys and anchors repeat the same node).
#[derive(Default)]
pub(super) struct Diags {
    pub(super) list: Vec<TopologyDiagnostic>,
    seen: HashSet<(u8, String, Option<Span>)>,
}

impl Diags {
    fn push(&mut self, severity: DiagSeverity, span: Option<Span>, message: String) {
        if self.seen.insert((severity as u8, message.clone(), span)) {
            self.list.push(TopologyDiagnostic {
                severity,
                message,
                span,
            });
        }
    }

    /// An error at `span`.
    pub(super) fn error(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Error, Some(span), message);
    }

    /// A warning at `span`.
    pub(super) fn warn(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Warning, Some(span), message);
    }

    /// A note at `span`.
    pub(super) fn info(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Info, Some(span), message);
    }
}

/// A mapping's entries with their key nodes (string keys only).
pub(super) fn entries(n: &Node) -> impl Iterator<Item = (&Node, &str, &Node)> {
    let e: &[(Node, Node)] = match &n.value {
        Value::Map(e) => e,
        _ => &[],
    };
    e.iter().filter_map(|(k, v)| k.as_str().map(|s| (k, s, v)))
}

/// The entries of a section that define something: `x-` extension keys
/// left out.
pub(super) fn definitions(n: &Node) -> impl Iterator<Item = (&Node, &str, &Node)> {
    entries(n).filter(|(_, name, _)| !name.starts_with("x-"))
}

/// The items of a list, a lone value as one item, nothing for null.
pub(super) fn items_or_one(n: &Node) -> Vec<&Node> {
    match &n.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        _ => vec![n],
    }
}

/// From a key to its value (`KEY: value`), or the key alone when the value
/// was merged in from another file.
pub(super) fn key_to(key: Span, value: Span) -> Span {
    if value.file == key.file {
        key.to(value)
    } else {
        key
    }
}

/// Where to point at a value: a scalar itself, or its key for collections
/// and nulls (whose spans are zero-width or a lone bracket).
pub(super) fn loc(value: &Node, key: &Node) -> Span {
    let scalar = !matches!(value.value, Value::Seq(_) | Value::Map(_) | Value::Null);
    if scalar && value.span.start < value.span.end {
        value.span
    } else {
        key.span
    }
}

impl FileLoader<'_> {
    /// The warning that field `what` (the value `v` of `key`) is not of the
    /// `expected` type: `… must be a list, not a string`.
    pub(super) fn wrong_type(&mut self, what: &str, expected: &str, key: &Node, v: &Node) {
        self.diags.warn(
            loc(v, key),
            format!("{what} must be {expected}, not {}", v.type_name()),
        );
    }

    /// True for a mapping field; a warning for anything but a mapping or
    /// null.
    pub(super) fn mapping(&mut self, what: &str, key: &Node, v: &Node) -> bool {
        if !v.is_map() && !v.is_null() {
            self.wrong_type(what, "a mapping", key, v);
        }
        v.is_map()
    }

    /// A top-level section of the document (`volumes`, `networks`) when it
    /// is a mapping.
    pub(super) fn section<'n>(&mut self, doc: &'n Node, name: &str) -> Option<&'n Node> {
        let v = doc.get(name)?;
        let key = doc.key(name).unwrap_or(doc);
        self.mapping(&format!("top-level `{name}`"), key, v)
            .then_some(v)
    }

    /// A scalar field: text, nothing for null, a warning for a collection.
    pub(super) fn scalar(&mut self, what: &str, key: &Node, v: &Node) -> Option<Text> {
        if v.is_null() {
            return None;
        }
        let t = self.text(v);
        if t.is_none() {
            self.wrong_type(what, "a string", key, v);
        }
        t
    }

    /// A list field's items: nothing for null, a warning for anything else.
    pub(super) fn list<'n>(&mut self, what: &str, key: &Node, v: &'n Node) -> &'n [Node] {
        match &v.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.wrong_type(what, "a list", key, v);
                &[]
            }
        }
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
                    self.wrong_type(what, "a boolean", key, v);
                    None
                }
            },
            _ => {
                self.wrong_type(what, "a boolean", key, v);
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
                self.wrong_type(what, "a non-negative integer", key, v);
                None
            }
        }
    }
}

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

    pub(super) fn error(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Error, Some(span), message);
    }

    pub(super) fn warn(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Warning, Some(span), message);
    }

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
    /// A scalar field: text, nothing for null, a warning for a collection.
    pub(super) fn scalar(&mut self, what: &str, key: &Node, v: &Node) -> Option<Text> {
        if v.is_null() {
            return None;
        }
        let t = self.text(v);
        if t.is_none() {
            self.diags.warn(
                loc(v, key),
                format!("{what} must be a string, not {}", v.type_name()),
            );
        }
        t
    }

    /// A list field's items: nothing for null, a warning for anything else.
    pub(super) fn list<'n>(&mut self, what: &str, key: &Node, v: &'n Node) -> &'n [Node] {
        match &v.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.diags.warn(
                    loc(v, key),
                    format!("{what} must be a list, not {}", v.type_name()),
                );
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
                    self.diags.warn(
                        loc(v, key),
                        format!("{what} must be a boolean, not a string"),
                    );
                    None
                }
            },
            _ => {
                self.diags.warn(
                    loc(v, key),
                    format!("{what} must be a boolean, not {}", v.type_name()),
                );
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
                self.diags.warn(
                    loc(v, key),
                    format!(
                        "{what} must be a non-negative integer, not {}",
                        v.type_name()
                    ),
                );
                None
            }
        }
    }
}

//! YAML (and JSON, which YAML reads) into a tree where every node keeps its
//! byte span, parsed by serde-saphyr with its budgets on: alias bombs,
//! deep nesting and huge documents become located errors, not a crash.
//!
//! Loaders walk this tree by hand instead of deserializing into structs, so
//! a wrong type in one field is a located warning about that field while
//! the rest of the document still loads.

use crate::source::{FileId, SourceFile, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// Deepest nesting accepted in a YAML document.
pub const MAX_DEPTH: usize = 128;

/// A YAML value with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it is written (byte range of the value in its file).
    pub span: Span,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order (merge keys already applied).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node of `key` in a mapping (to point at a key).
    pub fn key(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(k, _)| k)
    }

    /// The entry (key node, value) of `key` in a mapping.
    fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key)),
            _ => None,
        }
    }

    /// Mapping entries with string keys (other keys are skipped).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node)> {
        let entries: &[(Node, Node)] = match &self.value {
            Value::Map(e) => e,
            _ => &[],
        };
        entries
            .iter()
            .filter_map(|(k, v)| k.scalar_string().map(|s| (s, v)))
    }

    /// Sequence items (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(v) => v,
            _ => &[],
        }
    }

    /// True for a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The string, if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string key as text (only string scalars).
    fn scalar_string(&self) -> Option<&str> {
        self.as_str()
    }

    /// Any scalar as text (`8080`, `true`, `web`), as YAML users expect
    /// numbers and strings to be interchangeable in places like ports.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The integer, accepting a string of digits too.
    pub fn as_int(&self) -> Option<i64> {
        match &self.value {
            Value::Int(i) => Some(*i),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// Parses one or more YAML documents of `file` (`---` separated). Empty
/// documents are dropped. On error, the message and where it is.
pub fn parse_documents(file: FileId, source: &SourceFile) -> Result<Vec<Node>, (String, Span)> {
    let text = match std::str::from_utf8(&source.bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            return Err((
                format!("file is not valid UTF-8 (byte 0x{:02x})", source.bytes[at]),
                Span::new(file, at, at + 1),
            ));
        }
    };
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    // YAML 1.2 booleans only (`true`/`false`), as compose-go and kubectl
    // read them: `y`, `on`, `no` stay strings.
    options.strict_booleans = true;
    let docs: Vec<Spanned<Raw>> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| {
            let (start, end) = e
                .location()
                .and_then(|l| {
                    let s = l.span();
                    let start = s.byte_offset()? as usize;
                    Some((start, start + s.byte_len().unwrap_or(0) as usize))
                })
                .unwrap_or((0, 0));
            let mut msg = e.to_string();
            // saphyr appends " at line X column Y"; positions are ours to render.
            if let Some(i) = msg.find(" at line ") {
                msg.truncate(i);
            }
            (msg, Span::new(file, start, end.max(start)))
        })?;
    let mut out = Vec::new();
    for d in docs {
        let node = convert(file, d, 0).map_err(|span| {
            (
                format!("YAML nested more than {MAX_DEPTH} levels deep"),
                span,
            )
        })?;
        if !node.is_null() {
            out.push(node);
        }
    }
    Ok(out)
}

fn span_of(file: FileId, loc: &serde_saphyr::Location) -> Span {
    let s = loc.span();
    let start = s.byte_offset().unwrap_or(0) as usize;
    let len = s.byte_len().unwrap_or(0) as usize;
    Span::new(file, start, start + len)
}

fn convert(file: FileId, raw: Spanned<Raw>, depth: usize) -> Result<Node, Span> {
    let span = span_of(file, &raw.referenced);
    if depth > MAX_DEPTH {
        return Err(span);
    }
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| convert(file, i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| Ok((convert(file, k, depth + 1)?, convert(file, v, depth + 1)?)))
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Node { value, span })
}

/// What serde-saphyr hands us: the same shape as [`Value`], each child
/// wrapped in `Spanned` so its location survives.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Spanned<Raw>, Spanned<Raw>>()? {
            entries.push((k, v));
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Node>, (String, Span)> {
        let f = SourceFile::new("x.yaml", text);
        parse_documents(FileId(0), &f)
    }

    #[test]
    fn values_keep_byte_spans() {
        let text = "services:\n  web:\n    ports: [\"8080:80\", 9000]\n";
        let docs = parse(text).unwrap();
        let ports = docs[0]
            .get("services")
            .unwrap()
            .get("web")
            .unwrap()
            .get("ports")
            .unwrap();
        let p0 = &ports.items()[0];
        assert_eq!(p0.as_str(), Some("8080:80"));
        assert_eq!(&text[p0.span.range()], "\"8080:80\"");
        let p1 = &ports.items()[1];
        assert_eq!(p1.as_int(), Some(9000));
        assert_eq!(&text[p1.span.range()], "9000");
    }

    #[test]
    fn multi_documents_and_merge_keys() {
        let text = "a: 1\n---\nx: &b {p: 1, q: 2}\ny:\n  <<: *b\n  q: 3\n---\n";
        let docs = parse(text).unwrap();
        assert_eq!(docs.len(), 2);
        let y = docs[1].get("y").unwrap();
        assert_eq!(y.get("p").and_then(Node::as_int), Some(1));
        assert_eq!(y.get("q").and_then(Node::as_int), Some(3));
    }

    #[test]
    fn alias_bombs_are_errors_not_crashes() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text +=
                &format!("a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n");
        }
        assert!(parse(&text).is_err());
        let mut quad = String::from("big: &big [");
        quad += &vec!["x"; 10_000].join(",");
        quad += "]\nrefs: [";
        quad += &vec!["*big"; 10_000].join(",");
        quad += "]\n";
        assert!(parse(&quad).is_err());
    }

    #[test]
    fn duplicate_keys_and_deep_nesting_are_located_errors() {
        let (msg, span) = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(msg.contains("duplicate"), "{msg}");
        assert_eq!(span.start, 10);
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse(&deep).is_err());
    }
}

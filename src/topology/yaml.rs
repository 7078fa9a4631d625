//! YAML (and JSON, which YAML reads) into a tree where every node keeps its
//! byte span, parsed by serde-saphyr with its budgets on: alias bombs,
//! deep nesting and huge documents become located errors, not a crash.
//!
//! The budget is the size of the tree aliases expand to, not how often
//! aliases are used: real compose files merge a few `x-` blocks into every
//! service (`<<: *common`), hundreds of times, which saphyr's alias/anchor
//! ratio heuristic refuses. What a bomb does is grow the tree far beyond its
//! text, so the tree being built is charged as it grows (every node plus
//! its scalar bytes, and its depth) and building stops at the first node
//! over [`expansion_budget`], a bound linear in the text; the events
//! aliases replay are bounded the same way ([`replay_budget`]).
//!
//! Loaders walk this tree by hand instead of deserializing into structs, so
//! a wrong type in one field is a located warning about that field while
//! the rest of the document still loads.

use crate::source::{FileId, SourceFile, Span};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::cell::Cell;
use std::fmt;

/// Deepest nesting accepted in a YAML document, aliases expanded.
pub const MAX_DEPTH: usize = 64;

/// What one node costs in the expanded size, beside its scalar's bytes:
/// roughly what it takes in memory.
const NODE_COST: usize = 32;

/// Most expanded size any one YAML text may build (about a million nodes).
const MAX_EXPANSION: usize = 32 << 20;

/// The expanded size a YAML text of `len` bytes may build: 256 KiB plus
/// 32 per byte of text, capped by [`MAX_EXPANSION`]. A text without
/// aliases costs at most 17 per byte (a node takes at least 2 bytes, as in
/// `[1,2,3]`), so it always fits; a real file, its text plus the `x-`
/// blocks merged into each service, fits many times over (a block-style
/// compose file costs about 4 per byte); a bomb is refused after work
/// linear in its text.
pub(crate) fn expansion_budget(len: usize) -> usize {
    len.saturating_mul(32)
        .saturating_add(256 << 10)
        .min(MAX_EXPANSION)
}

/// Most events aliases may replay for a text of `len` bytes: one per 4
/// bytes, at least 16 384. Merging a few `x-` blocks into every service
/// replays far fewer (the 300 KB test file: under 6 000); saphyr stops a
/// replay past this before our tree is charged, which is where a bomb of
/// many small nodes spends its time.
fn replay_budget(len: usize) -> usize {
    (len / 4).max(16 << 10)
}

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
    // Aliases are budgeted by what they expand to (see the module doc),
    // not by their count against the anchors'.
    let mut budget = serde_saphyr::Budget::default();
    budget.enforce_alias_anchor_ratio = false;
    budget.max_depth = MAX_DEPTH;
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = replay_budget(text.len());
    let _charging = Expansion::start(expansion_budget(text.len()));
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
            (message(&e), Span::new(file, start, end.max(start)))
        })?;
    Ok(docs
        .into_iter()
        .map(|d| convert(file, d))
        .filter(|n| !n.is_null())
        .collect())
}

/// A parse error in our words where it is a budget (branching on the
/// breach, not its text); saphyr's own message otherwise.
fn message(e: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    // The error inside an alias's or a snippet's wrapper is the one to tell.
    let mut inner = e;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    match inner {
        E::Budget {
            breach: B::Depth { .. },
            ..
        }
        | E::AliasReplayStackDepthExceeded { .. } => {
            format!("YAML nested more than {MAX_DEPTH} levels deep")
        }
        E::AliasReplayLimitExceeded { .. } | E::AliasExpansionLimitExceeded { .. } => {
            TOO_LARGE_EXPANDED.to_string()
        }
        E::Budget { breach, .. } => match breach {
            B::Nodes { nodes } => format!("YAML has too many nodes ({nodes})"),
            B::Events { events } => format!("YAML has too many parser events ({events})"),
            B::Documents { documents } => {
                format!("YAML has too many documents ({documents})")
            }
            B::ScalarBytes { .. } => "YAML has too much text in its values".to_string(),
            B::Aliases { aliases } => format!("YAML has too many aliases ({aliases})"),
            B::Anchors { anchors } => format!("YAML has too many anchors ({anchors})"),
            B::MergeKeys { merge_keys } => {
                format!("YAML has too many merge keys ({merge_keys})")
            }
            other => format!("YAML over a size limit ({other:?})"),
        },
        _ => {
            let mut msg = inner.to_string();
            // saphyr appends " at line X column Y"; positions are ours to render.
            if let Some(i) = msg.find(" at line ") {
                msg.truncate(i);
            }
            msg
        }
    }
}

/// Why a document whose aliases expand past its budget is refused.
const TOO_LARGE_EXPANDED: &str =
    "YAML expands to too large a document (aliases repeat more than this file's size allows)";

fn span_of(file: FileId, loc: &serde_saphyr::Location) -> Span {
    let s = loc.span();
    let start = s.byte_offset().unwrap_or(0) as usize;
    let len = s.byte_len().unwrap_or(0) as usize;
    Span::new(file, start, start + len)
}

/// Converts what saphyr built into a [`Node`]; its depth was bounded to
/// [`MAX_DEPTH`] while it was built.
fn convert(file: FileId, raw: Spanned<Raw>) -> Node {
    let span = span_of(file, &raw.referenced);
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|i| convert(file, i)).collect()),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert(file, k), convert(file, v)))
                .collect(),
        ),
    };
    Node { value, span }
}

thread_local! {
    /// The expanded size left to the parse running on this thread, and the
    /// depth of the collection being built. serde's visitors carry no state,
    /// so the parse holds these here for its duration ([`Expansion`]).
    static EXPANSION: Cell<(usize, usize)> = const { Cell::new((usize::MAX, 0)) };
}

/// The expansion budget of one parse, on this thread for as long as the
/// guard lives.
struct Expansion;

impl Expansion {
    fn start(budget: usize) -> Expansion {
        EXPANSION.set((budget, 0));
        Expansion
    }

    /// Charges one node and `bytes` of its scalar.
    fn charge<E: de::Error>(bytes: usize) -> Result<(), E> {
        let (left, depth) = EXPANSION.get();
        match left.checked_sub(NODE_COST + bytes) {
            Some(left) => {
                EXPANSION.set((left, depth));
                Ok(())
            }
            None => Err(E::custom(TOO_LARGE_EXPANDED)),
        }
    }

    /// Charges a collection and enters it.
    fn enter<E: de::Error>() -> Result<(), E> {
        Expansion::charge::<E>(0)?;
        let (left, depth) = EXPANSION.get();
        if depth >= MAX_DEPTH {
            return Err(E::custom(format!(
                "YAML nested more than {MAX_DEPTH} levels deep"
            )));
        }
        EXPANSION.set((left, depth + 1));
        Ok(())
    }

    /// Leaves the collection being built.
    fn leave() {
        let (left, depth) = EXPANSION.get();
        EXPANSION.set((left, depth.saturating_sub(1)));
    }
}

impl Drop for Expansion {
    fn drop(&mut self) {
        EXPANSION.set((usize::MAX, 0));
    }
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
        Expansion::charge(0)?;
        Ok(Raw::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Expansion::charge(0)?;
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Expansion::charge(0)?;
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Expansion::charge(0)?;
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Expansion::charge(0)?;
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Raw, E> {
        Expansion::charge(0)?;
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
        Expansion::charge(0)?;
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Expansion::charge(0)?;
        Ok(Raw::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Expansion::charge(v.len())?;
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Expansion::charge(v.len())?;
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Raw, E> {
        Expansion::charge(v.len())?;
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        Expansion::enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Expansion::leave();
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        Expansion::enter()?;
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Spanned<Raw>, Spanned<Raw>>()? {
            entries.push((k, v));
        }
        Expansion::leave();
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
    fn a_real_sized_file_with_many_aliases_loads() {
        let text = crate::topology::testing::real_sized_compose(60);
        assert!(text.len() >= 300_000, "{}", text.len());
        assert!(text.matches('*').count() >= 150);
        let docs = parse(&text).unwrap();
        let services = docs[0].get("services").unwrap();
        assert_eq!(services.entries().count(), 60);
        for (name, s) in services.entries() {
            assert_eq!(
                s.get("restart").and_then(Node::as_str),
                Some("unless-stopped"),
                "{name}"
            );
            let env = s.get("environment").unwrap();
            assert_eq!(env.get("TZ").and_then(Node::as_str), Some("Europe/Berlin"));
        }
    }

    /// Where an error points, as `line:column` (1-based).
    fn line_col(text: &str, span: Span) -> (u32, u32) {
        let p = SourceFile::new("x.yaml", text).position(span.start as usize);
        (p.line, p.column)
    }

    #[test]
    fn alias_bombs_are_located_errors_not_crashes() {
        // Billion laughs: 9^10 scalars from 10 lines.
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text +=
                &format!("a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n");
        }
        let (msg, span) = parse(&text).unwrap_err();
        assert!(msg.contains("expands to too large"), "{msg}");
        assert!(line_col(&text, span).0 > 1, "{:?}", line_col(&text, span));
        // Quadratic: a 10 000-item list referenced 10 000 times.
        let mut quad = String::from("big: &big [");
        quad += &vec!["x"; 10_000].join(",");
        quad += "]\nrefs: [";
        quad += &vec!["*big"; 10_000].join(",");
        quad += "]\n";
        let (msg, span) = parse(&quad).unwrap_err();
        assert!(msg.contains("expands to too large"), "{msg}");
        assert_eq!(line_col(&quad, span).0, 2);
        // Quadratic in bytes: one 100 KB scalar referenced 2 000 times.
        let big = format!(
            "big: &big \"{}\"\nrefs: [{}]\n",
            "x".repeat(100_000),
            vec!["*big"; 2_000].join(",")
        );
        let (msg, span) = parse(&big).unwrap_err();
        assert!(msg.contains("expands to too large"), "{msg}");
        assert_eq!(line_col(&big, span).0, 2);
    }

    /// Runs `f` on a thread with a stack big enough for [`MAX_DEPTH`] in
    /// an unoptimised build: there saphyr and the visitor take about 60 KB
    /// a level (a test thread has 2 MiB); an optimised build takes under
    /// 4 KB a level (measured: 128 levels fit in 512 KiB).
    fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|s| {
            let t = std::thread::Builder::new().stack_size(64 << 20);
            t.spawn_scoped(s, f).unwrap().join().unwrap()
        })
    }

    #[test]
    fn aliases_that_nest_too_deep_are_located_errors() {
        // Each anchor nests one level; aliases stack them 100 deep.
        let mut text = String::from("l0: &l0 [x]\n");
        for i in 1..100 {
            text += &format!("l{i}: &l{i} [*l{}]\n", i - 1);
        }
        let (msg, span) = on_big_stack(|| parse(&text)).unwrap_err();
        assert!(msg.contains("nested more than 64 levels"), "{msg}");
        assert!(line_col(&text, span).0 > 60, "{:?}", line_col(&text, span));
        // Written out, 64 levels are fine and 65 are not.
        let deep = |n| "[".repeat(n) + &"]".repeat(n);
        assert!(on_big_stack(|| parse(&deep(MAX_DEPTH))).is_ok());
        assert!(on_big_stack(|| parse(&deep(MAX_DEPTH + 1))).is_err());
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

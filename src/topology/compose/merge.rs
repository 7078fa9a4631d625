//! compose's merge rules (compose-spec 13-merge.md; compose-go
//! `override/merge.go` and `override/uncity.go`): which paths replace, append
//! or merge, which lists stay unique and by what key, the `!reset` and
//! `!override` tags, and the merge of one file's value onto an earlier one.

use super::assembly::Assembly;
use super::volumes::volume_target;
use crate::source::Span;
use crate::topology::yaml::{Node, Value};
use std::collections::HashMap;

/// A tag written before a value; the YAML parser drops tags, so they are
/// read back from the source text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Tag {
    /// `!reset`: the value is removed from what earlier files set.
    Reset,
    /// `!override`: the value replaces what earlier files set, unmerged.
    Override,
}

/// The tag written before node `n` in `text`, if any.
pub(super) fn tag_of(text: &str, n: &Node) -> Option<Tag> {
    let before = text.get(..n.span.start as usize)?;
    let trimmed = before.trim_end_matches([' ', '\t', '\r', '\n']);
    [("!reset", Tag::Reset), ("!override", Tag::Override)]
        .into_iter()
        .find_map(|(word, tag)| {
            let rest = trimmed.strip_suffix(word)?;
            (rest.is_empty() || rest.ends_with([' ', '\t', '\n', ':', '-', ',', '[', '{']))
                .then_some(tag)
        })
}

/// How a path of the model merges.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    /// The later value replaces the earlier (`command`, `entrypoint`).
    Replace,
    /// Both become sequences (a mapping `K: V` becomes the item `K=V`),
    /// appended, then made unique.
    Sequence(Uniq),
    /// `extra_hosts`: appended, leaving out items already there.
    ExtraHosts,
    /// Both become mappings (a list item `x` becomes the key `x`), merged.
    Mapping,
    /// Sequences appended, then made unique.
    Append(Uniq),
    /// `ipam.config`: merged by subnet.
    Ipam,
    /// Mappings merge, sequences append, scalars are replaced.
    Default,
}

/// What makes two items of a sequence the same entry (the later one then
/// takes the earlier one's place).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Uniq {
    Exact,
    /// The part before `=` (environment, labels).
    KeyValue,
    /// An env file's path.
    EnvFile,
    /// Host IP, published port, target port and protocol.
    Port,
    /// A mount's target.
    Target,
}

fn rule(path: &[String]) -> Rule {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        ["services", _, "command" | "entrypoint"] | ["services", _, "healthcheck", "test"] => {
            Rule::Replace
        }
        [
            "services",
            _,
            "environment" | "labels" | "annotations" | "sysctls",
        ]
        | [
            "services",
            _,
            "build",
            "args" | "labels" | "additional_contexts",
        ]
        | ["services", _, "deploy", "labels"] => Rule::Sequence(Uniq::KeyValue),
        ["services", _, "env_file" | "label_file"] => Rule::Sequence(Uniq::EnvFile),
        ["services", _, "tmpfs" | "dns" | "dns_opt" | "dns_search"] => {
            Rule::Sequence(Uniq::KeyValue)
        }
        ["services", _, "extra_hosts"] => Rule::ExtraHosts,
        ["services", _, "depends_on" | "networks"] => Rule::Mapping,
        ["services", _, "ports"] => Rule::Append(Uniq::Port),
        ["services", _, "volumes" | "devices" | "secrets" | "configs"] => {
            Rule::Append(Uniq::Target)
        }
        [
            "services",
            _,
            "expose" | "links" | "profiles" | "cap_add" | "cap_drop",
        ]
        | ["services", _, "networks", _, "aliases" | "link_local_ips"] => Rule::Append(Uniq::Exact),
        ["networks", _, "ipam", "config"] => Rule::Ipam,
        _ => Rule::Default,
    }
}

/// Values equal whatever their spans (compose's `reflect.DeepEqual`).
pub(super) fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| same_value(k, k2) && same_value(v, v2))
                })
        }
        (x, y) => x == y,
    }
}

/// `build:` in its long form: a string is the context.
fn build_map(n: &Node) -> Node {
    match n.as_str() {
        Some(_) => {
            let key = Node {
                value: Value::Str("context".into()),
                span: n.span,
            };
            map_node(vec![(key, n.clone())], n.span)
        }
        None => n.clone(),
    }
}

/// A mapping node of `entries`.
pub(super) fn map_node(entries: Vec<(Node, Node)>, span: Span) -> Node {
    Node {
        value: Value::Map(entries),
        span,
    }
}

/// A sequence node of `items`.
fn seq_node(items: Vec<Node>, span: Span) -> Node {
    Node {
        value: Value::Seq(items),
        span,
    }
}

/// A mapping's entry (by string key) for editing.
pub(super) fn entry_mut<'n>(n: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut n.value {
        Value::Map(e) => e
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// Removes a mapping's entry (by string key) and returns it.
pub(super) fn remove_entry(n: &mut Node, key: &str) -> Option<(Node, Node)> {
    match &mut n.value {
        Value::Map(e) => {
            let i = e.iter().position(|(k, _)| k.as_str() == Some(key))?;
            Some(e.remove(i))
        }
        _ => None,
    }
}

impl Assembly<'_> {
    fn tag(&self, n: &Node) -> Option<Tag> {
        tag_of(self.files.text(n.span.file), n)
    }

    /// `over` (a later file's value at `path`) merged onto `base`; true
    /// when `over` replaced `base` rather than merging into it.
    pub(super) fn merge(
        &mut self,
        base: &Node,
        over: &Node,
        path: &mut Vec<String>,
    ) -> (Node, bool) {
        let rule = rule(path);
        if rule == Rule::Replace {
            return (self.normalize(over, path), true);
        }
        if over.is_null() {
            return (base.clone(), false);
        }
        if base.is_null() {
            return (self.normalize(over, path), true);
        }
        // compose-go makes `build: ./dir` `{context: ./dir}` before merging
        // (transform/build.go), so an override's `target:` keeps the context.
        if let ["services", _, "build"] = path.iter().map(String::as_str).collect::<Vec<_>>()[..]
            && (base.as_str().is_some() || over.as_str().is_some())
        {
            return (
                self.merge_map(&build_map(base), &build_map(over), path),
                false,
            );
        }
        match rule {
            Rule::Sequence(u) => {
                // `K: !reset …` removes `K`.
                let resets: Vec<String> = match &over.value {
                    Value::Map(e) => e
                        .iter()
                        .filter(|(_, v)| self.tag(v) == Some(Tag::Reset))
                        .filter_map(|(k, _)| k.scalar_text())
                        .collect(),
                    _ => Vec::new(),
                };
                let mut items = self.to_seq(base);
                items.extend(self.to_seq(over));
                items.retain(|i| {
                    resets.is_empty()
                        || !self
                            .uniq_key(i, Uniq::KeyValue)
                            .is_some_and(|k| resets.contains(&k))
                });
                (seq_node(self.unique(items, u), base.span), false)
            }
            Rule::ExtraHosts => {
                let mut items = self.to_seq(base);
                for o in self.to_seq(over) {
                    let key = self.host_key(&o);
                    if !items.iter().any(|b| self.host_key(b) == key) {
                        items.push(o);
                    }
                }
                (seq_node(items, base.span), false)
            }
            Rule::Mapping => {
                let (b, o) = (self.to_map(base), self.to_map(over));
                (self.merge_map(&b, &o, path), false)
            }
            Rule::Ipam => match (&base.value, &over.value) {
                (Value::Seq(b), Value::Seq(o)) => {
                    let mut items = b.clone();
                    for item in o {
                        let subnet = item.get("subnet").and_then(|s| self.plain(s));
                        let same = items.iter().position(|i| {
                            subnet.is_some()
                                && i.get("subnet").and_then(|s| self.plain(s)) == subnet
                        });
                        match same {
                            Some(i) if items[i].is_map() && item.is_map() => {
                                items[i] = self.merge_map(&items[i].clone(), item, path);
                            }
                            _ => items.push(item.clone()),
                        }
                    }
                    (seq_node(items, base.span), false)
                }
                _ => self.mismatch(base, over, path),
            },
            Rule::Append(u) => match (&base.value, &over.value) {
                (Value::Seq(b), Value::Seq(o)) => {
                    let items: Vec<Node> = b.iter().chain(o).cloned().collect();
                    (seq_node(self.unique(items, u), base.span), false)
                }
                _ => self.mismatch(base, over, path),
            },
            Rule::Replace | Rule::Default => match (&base.value, &over.value) {
                (Value::Map(_), Value::Map(_)) => (self.merge_map(base, over, path), false),
                (Value::Seq(b), Value::Seq(o)) => {
                    let items = b.iter().chain(o).cloned().collect();
                    (seq_node(items, base.span), false)
                }
                (Value::Map(_) | Value::Seq(_), _) | (_, Value::Map(_) | Value::Seq(_)) => {
                    self.mismatch(base, over, path)
                }
                _ => (over.clone(), true),
            },
        }
    }

    /// compose-go refuses to merge a mapping or list with another type.
    fn mismatch(&mut self, base: &Node, over: &Node, path: &[String]) -> (Node, bool) {
        let scalar = !matches!(over.value, Value::Seq(_) | Value::Map(_) | Value::Null);
        let at = match self.keys.last() {
            Some(k) if !scalar || over.span.start == over.span.end => *k,
            _ => over.span,
        };
        self.r.error(
            at,
            format!(
                "cannot override `{}`: it is {} in one file and {} in a later one",
                path.join("."),
                base.type_name(),
                over.type_name()
            ),
        );
        (self.normalize(over, &mut path.to_vec()), true)
    }

    fn merge_map(&mut self, base: &Node, over: &Node, path: &mut Vec<String>) -> Node {
        let mut entries: Vec<Option<(Node, Node)>> = match &base.value {
            Value::Map(e) => e.iter().cloned().map(Some).collect(),
            _ => Vec::new(),
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, (k, _)) in entries.iter().flatten().enumerate() {
            index
                .entry(k.scalar_text().unwrap_or_default())
                .or_insert(i);
        }
        let over_entries: &[(Node, Node)] = match &over.value {
            Value::Map(e) => e,
            _ => &[],
        };
        for (k, v) in over_entries {
            let name = k.scalar_text().unwrap_or_default();
            let pos = index.get(&name).copied().filter(|i| entries[*i].is_some());
            path.push(name.clone());
            self.keys.push(k.span);
            match (self.tag(v), pos) {
                (Some(Tag::Reset), Some(i)) => entries[i] = None,
                // Kept until every file is merged (then stripped): it
                // resets what a later merge onto this one brings.
                (Some(Tag::Reset), None) => {
                    index.insert(name, entries.len());
                    entries.push(Some((k.clone(), v.clone())));
                }
                (Some(Tag::Override), Some(i)) => {
                    entries[i] = Some((k.clone(), self.normalize(v, path)));
                }
                (_, None) => {
                    index.insert(name, entries.len());
                    entries.push(Some((k.clone(), self.normalize(v, path))));
                }
                (None, Some(i)) => {
                    let (bk, bv) = entries[i].take().expect("a live entry");
                    let (merged, replaced) = self.merge(&bv, v, path);
                    let key = if replaced { k.clone() } else { bk };
                    entries[i] = Some((key, merged));
                }
            }
            self.keys.pop();
            path.pop();
        }
        map_node(entries.into_iter().flatten().collect(), base.span)
    }

    /// One file's value on its own, with the lists that compose keeps
    /// unique made unique (`!reset` entries stay until [`Self::strip`]).
    pub(super) fn normalize(&mut self, n: &Node, path: &mut Vec<String>) -> Node {
        match &n.value {
            Value::Map(e) => {
                let mut out = Vec::with_capacity(e.len());
                for (k, v) in e {
                    path.push(k.scalar_text().unwrap_or_default());
                    out.push((k.clone(), self.normalize(v, path)));
                    path.pop();
                }
                map_node(out, n.span)
            }
            Value::Seq(items) => match rule(path) {
                Rule::Append(u) | Rule::Sequence(u) => {
                    seq_node(self.unique(items.clone(), u), n.span)
                }
                _ => n.clone(),
            },
            _ => n.clone(),
        }
    }

    /// The merged model without the `!reset` entries left in it.
    pub(super) fn strip(&self, n: &mut Node) {
        if let Value::Map(e) = &mut n.value {
            e.retain(|(_, v)| tag_of(self.files.text(v.span.file), v) != Some(Tag::Reset));
            for (_, v) in e.iter_mut() {
                self.strip(v);
            }
        }
    }

    /// A list value as items: a mapping's entries become one-entry
    /// mappings (read like `K=V` items), a scalar a one-item list.
    fn to_seq(&self, n: &Node) -> Vec<Node> {
        match &n.value {
            Value::Seq(items) => items.clone(),
            Value::Map(e) => e
                .iter()
                .map(|(k, v)| {
                    let span = if k.span.file == v.span.file && v.span.end > k.span.start {
                        k.span.to(v.span)
                    } else {
                        k.span
                    };
                    map_node(vec![(k.clone(), v.clone())], span)
                })
                .collect(),
            Value::Null => Vec::new(),
            _ => vec![n.clone()],
        }
    }

    /// A mapping value as a mapping: each list item `x` becomes `x:`.
    fn to_map(&self, n: &Node) -> Node {
        match &n.value {
            Value::Seq(items) => {
                let entries = items
                    .iter()
                    .filter_map(|i| {
                        let s = i.scalar_text()?;
                        let key = Node {
                            value: Value::Str(s),
                            span: i.span,
                        };
                        let null = Node {
                            value: Value::Null,
                            span: i.span,
                        };
                        Some((key, null))
                    })
                    .collect();
                map_node(entries, n.span)
            }
            _ => n.clone(),
        }
    }

    /// Items with a later item in an earlier one's place when they are the
    /// same entry.
    fn unique(&self, items: Vec<Node>, u: Uniq) -> Vec<Node> {
        let mut out: Vec<Node> = Vec::with_capacity(items.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for item in items {
            match self.uniq_key(&item, u) {
                Some(key) => match seen.get(&key) {
                    Some(&j) => out[j] = item,
                    None => {
                        seen.insert(key, out.len());
                        out.push(item);
                    }
                },
                None => out.push(item),
            }
        }
        out
    }

    fn uniq_key(&self, n: &Node, u: Uniq) -> Option<String> {
        let one_entry = |n: &Node| match &n.value {
            Value::Map(e) if e.len() == 1 => Some(e[0].clone()),
            _ => None,
        };
        match u {
            Uniq::Exact => self.plain(n),
            Uniq::KeyValue => match one_entry(n) {
                Some((k, _)) => k.scalar_text(),
                None => self
                    .plain(n)
                    .map(|s| s.split_once('=').map_or(s.clone(), |(k, _)| k.to_string())),
            },
            Uniq::EnvFile => match &n.value {
                Value::Map(_) => n.get("path").and_then(|p| self.plain(p)),
                _ => self.plain(n),
            },
            Uniq::Port => match &n.value {
                Value::Map(_) => {
                    let f = |k: &str| n.get(k).and_then(|v| self.plain(v)).unwrap_or_default();
                    let proto = Some(f("protocol"))
                        .filter(|p| !p.is_empty())
                        .unwrap_or_else(|| "tcp".into());
                    Some(format!(
                        "{}|{}|{}|{}",
                        f("host_ip"),
                        f("published"),
                        f("target"),
                        proto.to_ascii_lowercase()
                    ))
                }
                _ => {
                    let s = self.plain(n)?;
                    let (spec, proto) = s.split_once('/').unwrap_or((&s, "tcp"));
                    let mut parts: Vec<&str> = spec.rsplitn(3, ':').collect();
                    parts.resize(3, "");
                    let ip = parts[2].trim_start_matches('[').trim_end_matches(']');
                    Some(format!(
                        "{ip}|{}|{}|{}",
                        parts[1],
                        parts[0],
                        proto.to_ascii_lowercase()
                    ))
                }
            },
            Uniq::Target => match &n.value {
                Value::Map(_) => n.get("target").and_then(|t| self.plain(t)),
                _ => {
                    let s = self.plain(n)?;
                    Some(volume_target(&s).to_string())
                }
            },
        }
    }

    /// An `extra_hosts` item as `host=ip` text, to leave out duplicates.
    fn host_key(&self, n: &Node) -> Option<String> {
        match &n.value {
            Value::Map(e) => e.first().map(|(k, v)| {
                format!(
                    "{}={}",
                    k.scalar_text().unwrap_or_default(),
                    self.plain(v).unwrap_or_default()
                )
            }),
            _ => self.plain(n),
        }
    }
}

//! Volumes: top-level `volumes:` declarations and a service's `volumes`
//! (short `[source:]target[:mode]` and long syntax) read into named, bind,
//! anonymous and tmpfs uses, with bind sources normalised against the project
//! directory; `volumes_from` sources.

use super::definitions;
use super::files::rebase_path;
use super::interpolate::Text;
use super::loader::FileLoader;
use super::service::Peer;
use crate::source::Span;
use crate::topology::read::{entries, loc};
use crate::topology::yaml::{Node, Value};
use std::ops::Range;

/// The fields of a short volume spec (`[source:]target[:mode]`): split on
/// `:`, except a Windows drive letter's.
fn volume_fields(s: &str) -> Vec<Range<usize>> {
    let mut fields: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c != ':' {
            continue;
        }
        let buffer = &s[start..i];
        if buffer.len() == 1 && buffer.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        fields.push(start..i);
        start = i + 1;
    }
    fields.push(start..s.len());
    fields
}

/// The target of a short volume spec (`[source:]target[:mode]`).
pub(super) fn volume_target(s: &str) -> &str {
    let fields = volume_fields(s);
    let target = fields.get(1).unwrap_or(&fields[0]);
    &s[target.clone()]
}

/// How a service uses a volume, as written.
#[derive(Debug, Clone)]
pub(super) enum VolUse {
    Named {
        name: String,
        name_span: Span,
        target: String,
        read_only: bool,
        sub_path: Option<String>,
        span: Span,
    },
    Bind {
        source: String,
        target: String,
        read_only: bool,
        span: Span,
    },
    Anonymous {
        target: String,
        span: Span,
    },
    Tmpfs {
        target: String,
        span: Span,
    },
    Other {
        target: String,
        span: Span,
    },
}

/// A `volumes_from` entry.
#[derive(Debug, Clone)]
pub(super) struct VolFrom {
    /// Whose volumes it takes: a service's or a container's.
    pub(super) source: Peer,
    pub(super) read_only: bool,
    pub(super) span: Span,
}

/// Lexically normalises a bind source relative to the project directory:
/// `./a/../sock/` → `./sock`, `/srv//x/.` → `/srv/x`, `~` kept.
pub(super) fn normalize_bind(source: &str) -> String {
    let (prefix, rest) = if let Some(r) = source.strip_prefix('/') {
        ("/", r)
    } else if source == "~" || source.starts_with("~/") {
        ("~/", source.get(2..).unwrap_or(""))
    } else {
        ("./", source)
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in rest.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if prefix != "/" {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match prefix {
        "/" => format!("/{joined}"),
        "~/" if joined.is_empty() => "~".to_string(),
        "./" if joined.is_empty() => ".".to_string(),
        "./" if joined.starts_with("..") => joined,
        p => format!("{p}{joined}"),
    }
}

/// compose-go `isFilePath`: a volume source that is a host path.
pub(super) fn is_file_path(source: &str) -> bool {
    let b = source.as_bytes();
    match b.first() {
        None => false,
        Some(b'.' | b'/' | b'~') => true,
        Some(c) => {
            c.is_ascii_alphabetic()
                && b.get(1) == Some(&b':')
                && matches!(b.get(2), Some(b'\\' | b'/'))
        }
    }
}

impl FileLoader<'_> {
    /// Top-level `volumes:`: name → where declared.
    pub(super) fn top_volumes(&mut self, doc: &Node) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        let Some(v) = self.section(doc, "volumes") else {
            return out;
        };
        for (k, name, decl) in definitions(v) {
            self.r.map_at_key(&format!("volume `{name}`"), k, decl);
            out.push((name.to_string(), k.span));
        }
        out
    }

    /// One item of a service's `volumes`, in short or long syntax.
    pub(super) fn volume_use(&mut self, svc: &str, item: &Node) -> Option<VolUse> {
        match &item.value {
            Value::Map(_) => self.long_volume(svc, item),
            Value::Str(_) => {
                let t = self.text(item)?;
                self.short_volume(svc, &t)
            }
            _ => {
                self.r.warn(
                    item.span,
                    format!("an item of `volumes` of service `{svc}` must be a string or a mapping, not {}", item.type_name()),
                );
                None
            }
        }
    }

    /// compose-go `ParseVolume`: `[source:]target[:mode]`.
    fn short_volume(&mut self, svc: &str, t: &Text) -> Option<VolUse> {
        let s = t.s.as_str();
        let span = t.inner();
        if s.is_empty() {
            self.r.error(
                span,
                format!("invalid empty volume spec in `volumes` of service `{svc}`"),
            );
            return None;
        }
        if s.len() <= 2 {
            return Some(VolUse::Anonymous {
                target: s.to_string(),
                span,
            });
        }
        let fields = volume_fields(s);
        if fields.iter().any(|r| r.is_empty()) {
            self.r.error(
                span,
                format!("invalid volume spec `{s}` in `volumes` of service `{svc}`: empty section between colons"),
            );
            return None;
        }
        if fields.len() > 3 {
            self.r.error(
                span,
                format!(
                    "invalid volume spec `{s}` in `volumes` of service `{svc}`: too many colons"
                ),
            );
            return None;
        }
        if fields.len() == 1 {
            return Some(VolUse::Anonymous {
                target: s.to_string(),
                span,
            });
        }
        let source = &s[fields[0].clone()];
        let target = s[fields[1].clone()].to_string();
        let read_only = fields
            .get(2)
            .is_some_and(|m| s[m.clone()].split(',').any(|o| o == "ro"));
        Some(if is_file_path(source) {
            VolUse::Bind {
                source: normalize_bind(&rebase_path(&self.files.ctx(t.span.file).rebase, source)),
                target,
                read_only,
                span,
            }
        } else {
            VolUse::Named {
                name: source.to_string(),
                name_span: t.sub(fields[0].clone()),
                target,
                read_only,
                sub_path: None,
                span,
            }
        })
    }

    fn long_volume(&mut self, svc: &str, item: &Node) -> Option<VolUse> {
        let what = |f: &str| format!("`volumes.{f}` of service `{svc}`");
        let span = entries(item).next().map_or(item.span, |(k, _, _)| k.span);
        let span = entries(item).fold(span, |s, (k, _, v)| s.to(k.span).to(loc(v, k)));
        let mut kind = None;
        let mut source = None;
        let mut target = None;
        let mut read_only = false;
        let mut sub_path = None;
        for (k, field, v) in entries(item) {
            match field {
                "type" => kind = self.scalar(&what(field), k, v).map(|t| t.s),
                "source" => source = self.scalar(&what(field), k, v),
                "target" => target = self.scalar(&what(field), k, v).map(|t| t.s),
                "read_only" => read_only = self.boolean(&what(field), k, v).unwrap_or(false),
                "volume" => {
                    if let Some((sk, sv)) = v.key("subpath").zip(v.get("subpath")) {
                        sub_path = self.scalar(&what("volume.subpath"), sk, sv).map(|t| t.s);
                    }
                }
                _ => {}
            }
        }
        let Some(target) = target else {
            self.r.error(
                span,
                format!("`target` is required in `volumes` of service `{svc}`"),
            );
            return None;
        };
        let kind = match kind {
            Some(k) => k,
            None => {
                let guess = match &source {
                    Some(s) if is_file_path(&s.s) => "bind",
                    _ => "volume",
                };
                self.r.warn(
                    span,
                    format!(
                        "`type` is required in `volumes` of service `{svc}`; assuming `{guess}`"
                    ),
                );
                guess.to_string()
            }
        };
        Some(match kind.as_str() {
            "volume" => match source {
                Some(s) if !s.s.is_empty() => VolUse::Named {
                    name: s.s.clone(),
                    name_span: s.inner(),
                    target,
                    read_only,
                    sub_path,
                    span,
                },
                _ => VolUse::Anonymous { target, span },
            },
            "bind" => {
                match source {
                    Some(s) if !s.s.is_empty() => VolUse::Bind {
                        source: normalize_bind(&rebase_path(
                            &self.files.ctx(s.span.file).rebase,
                            &s.s,
                        )),
                        target,
                        read_only,
                        span,
                    },
                    _ => {
                        self.r.error(span, format!("`source` is required for a bind mount in `volumes` of service `{svc}`"));
                        return None;
                    }
                }
            }
            "tmpfs" => VolUse::Tmpfs { target, span },
            _ => VolUse::Other { target, span },
        })
    }
}

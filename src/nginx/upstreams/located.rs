//! Located text: bytes with the source range each one was read from, so
//! that a host, port or path assembled from an argument (or from the values
//! of its variables) keeps the exact span it was written at.

use crate::nginx::{Arg, Quote};
use crate::source::{FileId, SourceMap, Span};
use std::ops::Range;

/// One byte's origin: file and raw byte range (an escape is two raw bytes).
type Origin = Option<(FileId, u32, u32)>;

/// Text assembled from pieces of the sources, remembering where each byte
/// was written; variables left unexpanded are listed with their ranges.
#[derive(Debug, Clone, Default)]
pub(super) struct Located {
    pub(super) bytes: Vec<u8>,
    pub(super) origins: Vec<Origin>,
    /// Unexpanded variables: byte range and lowercased name.
    pub(super) vars: Vec<(Range<usize>, String)>,
}

impl Located {
    /// An argument's value with exact raw positions, unescaped as nginx does.
    pub(super) fn from_arg(arg: &Arg, sources: &SourceMap) -> Located {
        let file = sources.get(arg.span.file);
        let raw = file.bytes.get(arg.span.range()).unwrap_or(&[]);
        let base = arg.span.start;
        let mut out = Located {
            bytes: Vec::with_capacity(raw.len()),
            origins: Vec::with_capacity(raw.len()),
            vars: Vec::new(),
        };
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'\\' && arg.quote != Quote::Lua {
                let v = match raw.get(i + 1) {
                    Some(&c @ (b'"' | b'\'' | b'\\')) => Some(c),
                    Some(b't') => Some(b'\t'),
                    Some(b'r') => Some(b'\r'),
                    Some(b'n') => Some(b'\n'),
                    _ => None,
                };
                if let Some(v) = v {
                    out.push_byte(
                        v,
                        Some((arg.span.file, base + i as u32, base + i as u32 + 2)),
                    );
                    i += 2;
                    continue;
                }
            }
            out.push_byte(
                raw[i],
                Some((arg.span.file, base + i as u32, base + i as u32 + 1)),
            );
            i += 1;
        }
        if String::from_utf8_lossy(&out.bytes) != arg.value {
            // The tree disagrees with the bytes (should not happen): trust
            // the value and give up on positions.
            return Located::literal(&arg.value);
        }
        out
    }

    /// Text that was never written anywhere (a builtin value).
    pub(super) fn literal(s: &str) -> Located {
        Located {
            bytes: s.as_bytes().to_vec(),
            origins: vec![None; s.len()],
            vars: Vec::new(),
        }
    }

    fn push_byte(&mut self, b: u8, origin: Origin) {
        self.bytes.push(b);
        self.origins.push(origin);
    }

    pub(super) fn push(&mut self, other: &Located) {
        let shift = self.bytes.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.origins.extend_from_slice(&other.origins);
        self.vars.extend(
            other
                .vars
                .iter()
                .map(|(r, n)| (r.start + shift..r.end + shift, n.clone())),
        );
    }

    pub(super) fn slice(&self, r: Range<usize>) -> Located {
        Located {
            bytes: self.bytes[r.clone()].to_vec(),
            origins: self.origins[r.clone()].to_vec(),
            vars: self
                .vars
                .iter()
                .filter(|(v, _)| v.start >= r.start && v.end <= r.end)
                .map(|(v, n)| (v.start - r.start..v.end - r.start, n.clone()))
                .collect(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(super) fn text(&self, r: Range<usize>) -> String {
        String::from_utf8_lossy(&self.bytes[r]).into_owned()
    }

    /// The exact source span of `r`, when its bytes were written
    /// contiguously in one file.
    pub(super) fn span(&self, r: Range<usize>) -> Option<Span> {
        if r.start >= r.end || r.end > self.origins.len() {
            return None;
        }
        let (file, start, mut end) = self.origins[r.start]?;
        for o in &self.origins[r.start + 1..r.end] {
            let (f, s, e) = (*o)?;
            if f != file || s != end {
                return None;
            }
            end = e;
        }
        Some(Span { file, start, end })
    }

    /// An empty span just before byte `at` (or after the last one).
    pub(super) fn point(&self, at: usize) -> Option<Span> {
        if let Some(Some((f, s, _))) = self.origins.get(at) {
            return Some(Span::new(*f, *s as usize, *s as usize));
        }
        let (f, _, e) = (*self.origins.get(at.checked_sub(1)?)?)?;
        Some(Span::new(f, e as usize, e as usize))
    }

    /// True when any unexpanded variable overlaps `r`.
    pub(super) fn dynamic(&self, r: &Range<usize>) -> bool {
        self.vars
            .iter()
            .any(|(v, _)| v.start < r.end && r.start < v.end)
    }

    /// The bytes as the URL parser should scan them: an unexpanded variable
    /// becomes opaque bytes, except that `$request_uri`, `$uri` and
    /// `$document_uri` start with `/` and `$is_args` with `?`, as they do at
    /// run time.
    pub(super) fn view(&self) -> Vec<u8> {
        let mut v = self.bytes.clone();
        for (r, name) in &self.vars {
            for b in &mut v[r.clone()] {
                *b = 0x01;
            }
            let first = match name.as_str() {
                "request_uri" | "uri" | "document_uri" => b'/',
                "is_args" => b'?',
                _ => 0x01,
            };
            if r.start < r.end {
                v[r.start] = first;
            }
        }
        v
    }

    /// The located text with every `$var` in it listed as unexpanded.
    pub(super) fn with_vars_marked(mut self) -> Located {
        self.vars = find_vars(&self.bytes)
            .into_iter()
            .map(|(r, n)| (r, n.to_ascii_lowercase()))
            .collect();
        self
    }
}

/// The `$name` / `${name}` / `$1` references in a value, as nginx's script
/// compiler finds them.
pub(super) fn find_vars(b: &[u8]) -> Vec<(Range<usize>, String)> {
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let j = i + 1;
        if b.get(j) == Some(&b'{') {
            if let Some(p) = b[j + 1..].iter().position(|&c| c == b'}') {
                let name = &b[j + 1..j + 1 + p];
                if !name.is_empty() {
                    out.push((i..j + p + 2, String::from_utf8_lossy(name).into_owned()));
                }
                i = j + p + 2;
                continue;
            }
            i = j;
            continue;
        }
        if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            out.push((i..j + 1, (b[j] as char).to_string()));
            i = j + 1;
            continue;
        }
        let mut k = j;
        while k < b.len() && is_name(b[k]) {
            k += 1;
        }
        if k > j {
            out.push((i..k, String::from_utf8_lossy(&b[j..k]).into_owned()));
        }
        i = k.max(j);
    }
    out
}

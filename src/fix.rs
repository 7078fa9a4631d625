//! Fixes are data: a title, an honest applicability, and byte-range edits
//! to any input file (the nginx config or the compose/Kubernetes file).
//! The library never applies them on its own; [`apply`] and [`diff`] are
//! for callers (the CLI's `--fix`, tests, the portal's preview).

use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;

/// How safe a fix is to apply without a human looking (ruff's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Certainly right and behaviour-preserving apart from the bug it fixes.
    Safe,
    /// Probably right, but changes behaviour or guesses (e.g. a nearest name).
    Unsafe,
    /// Shown for a person to adapt; not meant to be applied as is.
    DisplayOnly,
}

/// Replace bytes `start..end` of `file` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// The file to change.
    pub file: FileId,
    /// First byte replaced.
    pub start: u32,
    /// One past the last byte replaced (`start == end` inserts).
    pub end: u32,
    /// New text.
    pub replacement: String,
}

/// A proposed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// Imperative title: ``Replace `127.0.0.1` with `model_test` ``.
    pub title: String,
    /// How safe.
    pub applicability: Applicability,
    /// The edits, possibly across several files.
    pub edits: Vec<Edit>,
}

impl Edit {
    /// Replaces exactly `span` with `text`.
    pub fn replace(span: Span, text: impl Into<String>) -> Edit {
        Edit {
            file: span.file,
            start: span.start,
            end: span.end,
            replacement: text.into(),
        }
    }

    /// Inserts `text` at byte `at` of `file`.
    pub fn insert(file: FileId, at: u32, text: impl Into<String>) -> Edit {
        Edit {
            file,
            start: at,
            end: at,
            replacement: text.into(),
        }
    }

    /// Replaces bytes `start..end` of `file` with `text`.
    pub fn range(file: FileId, start: u32, end: u32, text: impl Into<String>) -> Edit {
        Edit {
            file,
            start,
            end,
            replacement: text.into(),
        }
    }

    /// The replaced range.
    pub fn span(&self) -> Span {
        Span {
            file: self.file,
            start: self.start,
            end: self.end,
        }
    }
}

impl Fix {
    /// A fix with a computed applicability.
    pub fn new(
        applicability: Applicability,
        title: impl Into<String>,
        edits: impl IntoIterator<Item = Edit>,
    ) -> Fix {
        Fix {
            title: title.into(),
            applicability,
            edits: edits.into_iter().collect(),
        }
    }

    /// A fix that is certainly right ([`Applicability::Safe`]).
    pub fn safe(title: impl Into<String>, edits: impl IntoIterator<Item = Edit>) -> Fix {
        Fix::new(Applicability::Safe, title, edits)
    }

    /// A fix that changes behaviour or guesses ([`Applicability::Unsafe`]).
    pub fn unsafe_edits(title: impl Into<String>, edits: impl IntoIterator<Item = Edit>) -> Fix {
        Fix::new(Applicability::Unsafe, title, edits)
    }

    /// A fix for a person to adapt ([`Applicability::DisplayOnly`]).
    pub fn display_only(title: impl Into<String>, edits: impl IntoIterator<Item = Edit>) -> Fix {
        Fix::new(Applicability::DisplayOnly, title, edits)
    }
}

/// The content of every file a fix touches, after applying it.
/// Overlapping edits are rejected.
pub fn apply(sources: &SourceMap, fix: &Fix) -> Result<Vec<(FileId, Vec<u8>)>, String> {
    let mut files: Vec<FileId> = fix.edits.iter().map(|e| e.file).collect();
    files.sort();
    files.dedup();
    let mut out = Vec::new();
    for f in files {
        let mut edits: Vec<&Edit> = fix.edits.iter().filter(|e| e.file == f).collect();
        edits.sort_by_key(|e| (e.start, e.end));
        for w in edits.windows(2) {
            if w[1].start < w[0].end {
                return Err(format!("overlapping edits in {}", sources.get(f).path));
            }
        }
        let src = &sources.get(f).bytes;
        let mut text = Vec::with_capacity(src.len());
        let mut at = 0usize;
        for e in edits {
            let (s, t) = (e.start as usize, e.end as usize);
            if s < at || t > src.len() || s > t {
                return Err(format!("edit out of range in {}", sources.get(f).path));
            }
            text.extend_from_slice(&src[at..s]);
            text.extend_from_slice(e.replacement.as_bytes());
            at = t;
        }
        text.extend_from_slice(&src[at..]);
        out.push((f, text));
    }
    Ok(out)
}

/// Lines of context around each change in [`diff`].
const CONTEXT: usize = 2;

/// A unified diff of what a fix changes, one section per file. Only the
/// lines around the edits are compared, so the cost does not grow with the
/// size of the file.
pub fn diff(sources: &SourceMap, fix: &Fix) -> String {
    // The same checks as `apply`, without copying whole files.
    for e in &fix.edits {
        let len = sources.get(e.file).bytes.len() as u32;
        if e.start > e.end || e.end > len {
            return String::new();
        }
    }
    // Overlaps, in n·log n: sorted by place, an edit can only overlap the
    // one before it.
    let mut sorted: Vec<&Edit> = fix.edits.iter().collect();
    sorted.sort_by_key(|e| (e.file, e.start, e.end));
    if sorted
        .windows(2)
        .any(|w| w[0].file == w[1].file && w[1].start < w[0].end && w[0].start < w[1].end)
    {
        return String::new();
    }
    let mut files: Vec<FileId> = fix.edits.iter().map(|e| e.file).collect();
    files.sort();
    files.dedup();
    let mut out = String::new();
    for f in files {
        let src = &sources.get(f).bytes;
        let mut edits: Vec<&Edit> = fix.edits.iter().filter(|e| e.file == f).collect();
        edits.sort_by_key(|e| (e.start, e.end));
        let first = edits[0].start as usize;
        let last = edits.iter().map(|e| e.end as usize).max().unwrap_or(first);
        // Widen to whole lines plus context.
        let mut ws = src[..first]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
        for _ in 0..CONTEXT {
            if ws == 0 {
                break;
            }
            ws = src[..ws - 1]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |p| p + 1);
        }
        let mut we = src[last..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(src.len(), |p| last + p + 1);
        for _ in 0..CONTEXT {
            if we >= src.len() {
                break;
            }
            we = src[we..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(src.len(), |p| we + p + 1);
        }
        let mut new = Vec::with_capacity(we - ws);
        let mut at = ws;
        for e in &edits {
            new.extend_from_slice(&src[at..e.start as usize]);
            new.extend_from_slice(e.replacement.as_bytes());
            at = e.end as usize;
        }
        new.extend_from_slice(&src[at..we]);
        let offset = sources.get(f).position(ws).line as usize - 1;
        let old = String::from_utf8_lossy(&src[ws..we]);
        let new = String::from_utf8_lossy(&new);
        let path = &sources.get(f).path;
        let slash = if path.starts_with('/') { "" } else { "/" };
        let d = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        let text = d
            .unified_diff()
            .context_radius(CONTEXT)
            .header(&format!("a{slash}{path}"), &format!("b{slash}{path}"))
            .to_string();
        for line in text.lines() {
            out.push_str(&shift_hunk_header(line, offset));
            out.push('\n');
        }
    }
    out
}

/// Adds `offset` to the line numbers of a `@@ -a,b +c,d @@` header.
fn shift_hunk_header(line: &str, offset: usize) -> String {
    let Some(rest) = line.strip_prefix("@@ -") else {
        return line.to_string();
    };
    let Some((ranges, tail)) = rest.split_once(" @@") else {
        return line.to_string();
    };
    let shift = |r: &str| -> String {
        let (start, len) = r.split_once(',').map_or((r, None), |(a, b)| (a, Some(b)));
        let start: usize = start.parse().unwrap_or(0);
        let start = if start == 0 { 0 } else { start + offset };
        match len {
            Some(l) => format!("{start},{l}"),
            None => start.to_string(),
        }
    };
    match ranges.split_once(" +") {
        Some((old, new)) => format!("@@ -{} +{} @@{tail}", shift(old), shift(new)),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::one_file;

    #[test]
    fn edits_apply_and_render_as_a_diff() {
        let (s, f) = one_file(
            "default.conf",
            "location / {\n    proxy_pass http://127.0.0.1:6001;\n}\n",
        );
        let fix = Fix::safe(
            "Replace `127.0.0.1` with `model_test`",
            [Edit::replace(Span::new(f, 35, 44), "model_test")],
        );
        let out = apply(&s, &fix).unwrap();
        assert_eq!(
            String::from_utf8(out[0].1.clone()).unwrap(),
            "location / {\n    proxy_pass http://model_test:6001;\n}\n"
        );
        let d = diff(&s, &fix);
        assert!(d.contains("-    proxy_pass http://127.0.0.1:6001;"), "{d}");
        assert!(d.contains("+    proxy_pass http://model_test:6001;"), "{d}");
        assert!(
            d.starts_with("--- a/default.conf\n+++ b/default.conf\n"),
            "{d}"
        );
    }

    #[test]
    fn hunk_headers_count_lines_of_the_whole_file() {
        let text: String = (1..=50).map(|i| format!("line {i};\n")).collect();
        let (s, f) = one_file("big.conf", text.clone());
        let at = text.find("line 30;").unwrap();
        let fix = Fix::safe("t", [Edit::replace(Span::new(f, at, at + 7), "LINE 30")]);
        let d = diff(&s, &fix);
        assert!(d.contains("@@ -28,5 +28,5 @@"), "{d}");
        assert!(d.contains("-line 30;\n+LINE 30;"), "{d}");
    }

    #[test]
    fn overlapping_edits_are_refused() {
        let (s, f) = one_file("a", "abcdef");
        let e = |start, end| Edit::replace(Span::new(f, start, end), "x");
        let fix = Fix::safe("t", [e(1, 3), e(2, 4)]);
        assert!(apply(&s, &fix).is_err());
    }
}

//! Fixes are data: a title, an honest applicability, and byte-range edits
//! to any input file (the nginx config or the compose/Kubernetes file).
//! The library never applies them on its own; [`apply`] and [`diff`] are
//! for callers (the CLI's `--fix`, tests, the portal's preview).

use crate::source::{FileId, SourceMap};
use serde::Serialize;

/// How safe a fix is to apply without a human looking (ruff's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

/// A unified diff of what a fix changes, one section per file.
pub fn diff(sources: &SourceMap, fix: &Fix) -> String {
    let Ok(changed) = apply(sources, fix) else {
        return String::new();
    };
    let mut out = String::new();
    for (f, new) in changed {
        let path = &sources.get(f).path;
        let old = String::from_utf8_lossy(&sources.get(f).bytes);
        let new = String::from_utf8_lossy(&new);
        let d = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        out.push_str(
            &d.unified_diff()
                .context_radius(2)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    #[test]
    fn edits_apply_and_render_as_a_diff() {
        let mut s = SourceMap::new();
        let f = s.add(SourceFile::new(
            "default.conf",
            "location / {\n    proxy_pass http://127.0.0.1:6001;\n}\n",
        ));
        let fix = Fix {
            title: "Replace `127.0.0.1` with `model_test`".into(),
            applicability: Applicability::Safe,
            edits: vec![Edit {
                file: f,
                start: 35,
                end: 44,
                replacement: "model_test".into(),
            }],
        };
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
    fn overlapping_edits_are_refused() {
        let mut s = SourceMap::new();
        let f = s.add(SourceFile::new("a", "abcdef"));
        let e = |start, end| Edit {
            file: f,
            start,
            end,
            replacement: "x".into(),
        };
        let fix = Fix {
            title: "t".into(),
            applicability: Applicability::Safe,
            edits: vec![e(1, 3), e(2, 4)],
        };
        assert!(apply(&s, &fix).is_err());
    }
}

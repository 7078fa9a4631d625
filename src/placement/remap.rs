//! Mapping spans and edits of placed files back to the files as written:
//! a rendered template's range to the template or to the environment
//! entry whose value was substituted, a ConfigMap's data to its manifest.

use super::{Origin, Placement};
use crate::fix::Edit;
use crate::source::{FileId, SourceMap, Span};

impl Placement {
    /// Maps a span of a rendered file back to the template (a span inside a
    /// substituted value maps to its placeholder). Other spans are unchanged.
    pub fn remap(&self, span: Span) -> Span {
        // A template carried in a ConfigMap maps twice: rendered file →
        // template → manifest.
        let mut s = self.remap_once(span);
        for _ in 0..4 {
            if !self.rendered.contains_key(&s.file) || s == span {
                break;
            }
            s = self.remap_once(s);
        }
        s
    }

    fn remap_once(&self, span: Span) -> Span {
        let Some(segs) = self.rendered.get(&span.file) else {
            return span;
        };
        let map = |off: u32, is_end: bool| -> Option<(FileId, u32)> {
            let seg = segs.iter().find(|s| {
                if is_end {
                    s.start < off && off <= s.end
                } else {
                    s.start <= off && off < s.end
                }
            })?;
            Some(match &seg.origin {
                Origin::Template(t) => (t.file, t.start + (off - seg.start)),
                Origin::Var { placeholder, .. } => (
                    placeholder.file,
                    if is_end {
                        placeholder.end
                    } else {
                        placeholder.start
                    },
                ),
            })
        };
        match (
            map(span.start, false),
            map(span.end.max(span.start + 1), true),
        ) {
            (Some((f, s)), Some((_, e))) => Span {
                file: f,
                start: s,
                end: e.max(s),
            },
            (Some((f, s)), None) => Span {
                file: f,
                start: s,
                end: s,
            },
            _ => span,
        }
    }

    /// Maps an edit of a rendered file: inside a substituted value it edits
    /// the environment entry's value; elsewhere the template.
    pub fn remap_edit(&self, sources: &SourceMap, e: &crate::fix::Edit) -> crate::fix::Edit {
        let Some(segs) = self.rendered.get(&e.file) else {
            return e.clone();
        };
        if let Some(seg) = segs
            .iter()
            .find(|s| s.start <= e.start && e.end <= s.end && s.start < s.end)
            && let Origin::Var { value: Some(v), .. } = &seg.origin
        {
            let rendered = &sources.get(e.file).bytes[seg.start as usize..seg.end as usize];
            if sources.get(v.file).bytes.get(v.range()) == Some(rendered) {
                return Edit::range(
                    v.file,
                    v.start + (e.start - seg.start),
                    v.start + (e.end - seg.start),
                    e.replacement.clone(),
                );
            }
        }
        let span = self.remap(Span {
            file: e.file,
            start: e.start,
            end: e.end,
        });
        Edit::range(span.file, span.start, span.end, e.replacement.clone())
    }

    /// Maps a finding's places and its fixes' edits back to the files as
    /// written (templates, env entries, manifests).
    pub fn remap_finding(&self, sources: &SourceMap, f: &mut crate::finding::Finding) {
        f.span = f.span.map(|s| self.remap(s));
        for r in &mut f.related {
            r.span = self.remap(r.span);
        }
        for fix in &mut f.fixes {
            for e in &mut fix.edits {
                *e = self.remap_edit(sources, e);
            }
        }
    }
}

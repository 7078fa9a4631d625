//! Text for a terminal: the verdict line, each finding rustc-style (the
//! offending line underlined, related places as secondary annotations, the
//! fix as a title and a unified diff, the rule's docs page), then the
//! upstream table with every trace, then the address table. Plain by
//! default (no colour) so snapshots stay stable; [`render_styled`] adds
//! ANSI colour for a terminal.

use super::{FindingReport, Location, Report};
use crate::finding::Severity;
use crate::source::SourceFile;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::borrow::Cow;

/// The text report, without colour.
pub fn render(r: &Report) -> String {
    render_with(r, &Renderer::plain())
}

/// The text report with ANSI colour, for a terminal.
pub fn render_styled(r: &Report) -> String {
    render_with(r, &Renderer::styled())
}

fn render_with(r: &Report, renderer: &Renderer) -> String {
    let mut out = verdict_line(r);
    out.push('\n');
    let mut findings: Vec<&FindingReport> = r
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    // Infos go last; errors and warnings keep the report's order (by position).
    findings.sort_by_key(|f| f.severity == Severity::Info);
    for f in findings {
        out.push('\n');
        out.push_str(&finding(r, f, renderer));
        out.push('\n');
    }
    let omitted = r.summary.findings_omitted;
    if omitted > 0 {
        out.push_str(&format!(
            "\n… and {} not listed (the report's findings budget is spent)\n",
            plural(omitted, "more finding")
        ));
    }
    if r.summary.trace_lines_omitted > 0 {
        out.push_str(&format!(
            "\n… {} left out (the report's trace budget is spent)\n",
            plural(r.summary.trace_lines_omitted, "trace line")
        ));
    }
    if !r.upstreams.is_empty() {
        out.push('\n');
        out.push_str(&upstream_table(r));
    }
    if !r.addresses.is_empty() {
        out.push('\n');
        out.push_str(&address_table(r));
    }
    if !r.input.notes.is_empty() {
        out.push('\n');
        for n in &r.input.notes {
            out.push_str(&format!("note: {n}\n"));
        }
    }
    // Blank context lines of diffs leave trailing spaces; drop them.
    let mut trimmed = String::with_capacity(out.len());
    for line in out.lines() {
        trimmed.push_str(line.trim_end());
        trimmed.push('\n');
    }
    trimmed
}

/// `upcheck: fail — 1 upstream: 0 reachable, 1 unreachable, 0 unverifiable; 1 error, 0 warnings, 0 infos`.
pub fn verdict_line(r: &Report) -> String {
    if let Some(why) = &r.refusal {
        return format!("upcheck: error — could not read the input: {}", why.message);
    }
    let s = &r.summary;
    let mut line = format!(
        "upcheck: {} — {}: {} reachable, {} unreachable, {} unverifiable; {}, {}, {}",
        r.verdict.as_str(),
        plural(s.upstreams, "upstream"),
        s.reachable,
        s.unreachable,
        s.unverifiable,
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.infos, "info"),
    );
    if !s.nginx_starts {
        line.push_str("; nginx would not start");
    }
    if s.suppressed > 0 {
        line.push_str(&format!(
            "; {} (`# upcheck: ignore`)",
            plural(s.suppressed, "suppressed finding")
        ));
    }
    line
}

pub(crate) use crate::words::plural;

/// One finding: title, snippets, fixes and the docs link.
fn finding(r: &Report, f: &FindingReport, renderer: &Renderer) -> String {
    let level = match f.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let mut group = Group::with_title(level.primary_title(f.message.as_str()).id(f.code.as_str()));
    // One snippet per file: the primary file first, then the others in the
    // order their related locations appear.
    let mut files: Vec<&str> = Vec::new();
    if let Some(l) = &f.location {
        files.push(&l.file);
    }
    for x in &f.related {
        if !files.contains(&x.location.file.as_str()) {
            files.push(&x.location.file);
        }
    }
    let mut unplaced: Vec<String> = Vec::new();
    for path in files {
        let Some(file) = r.sources.find(path).map(|id| r.sources.get(id)) else {
            if let Some(l) = f.location.as_ref().filter(|l| l.file == path) {
                unplaced.push(format!("at {}:{}:{}", l.file, l.line, l.column));
            }
            for x in f.related.iter().filter(|x| x.location.file == path) {
                unplaced.push(format!(
                    "{}:{}:{}: {}",
                    path, x.location.line, x.location.column, x.message
                ));
            }
            continue;
        };
        // Only the lines from the first annotation to the last go to the
        // renderer, so a finding costs its own lines, not the whole file.
        let here: Vec<(&Location, Option<&str>)> = f
            .location
            .iter()
            .filter(|l| l.file == path)
            .map(|l| (l, None))
            .chain(
                f.related
                    .iter()
                    .filter(|x| x.location.file == path)
                    .map(|x| (&x.location, Some(x.message.as_str()))),
            )
            .collect();
        let w = Window::around(file, here.iter().map(|(l, _)| *l));
        let mut snippet = Snippet::source(w.text.clone())
            .path(path.to_string())
            .line_start(w.line);
        for (l, label) in here {
            let span = w.range(l);
            snippet = snippet.annotation(match label {
                None => AnnotationKind::Primary.span(span),
                Some(m) => AnnotationKind::Context.span(span).label(m.to_string()),
            });
        }
        group = group.element(snippet);
    }
    for u in unplaced {
        group = group.element(Level::NOTE.message(u));
    }
    for x in &f.fixes {
        let applicability = serde_json::to_value(x.applicability)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut m = format!("{} ({applicability} fix)", x.title);
        if !x.diff.is_empty() {
            m.push('\n');
            m.push_str(x.diff.trim_end());
        }
        group = group.element(Level::HELP.message(m));
    }
    if let Some(t) = f.location.as_ref().and_then(|l| l.rendered_from.as_deref()) {
        group = group.element(Level::NOTE.with_name("rendered from").message(t));
    }
    group = group.element(Level::NOTE.with_name("docs").message(f.docs.as_str()));
    renderer.render(&[group])
}

/// The whole lines of a file that hold some locations, as text for the
/// renderer (decoded lossily: offsets shift only for invalid UTF-8).
struct Window<'a> {
    file: &'a SourceFile,
    /// First byte of the first line.
    start: usize,
    /// One past the last byte of the last line.
    end: usize,
    /// The lines' text.
    text: Cow<'a, str>,
    /// The first line's number.
    line: usize,
}

impl<'a> Window<'a> {
    fn around<'l>(
        file: &'a SourceFile,
        locations: impl Iterator<Item = &'l Location>,
    ) -> Window<'a> {
        let len = file.bytes.len();
        let (mut lo, mut hi) = (len, 0);
        for l in locations {
            lo = lo.min((l.start as usize).min(len));
            hi = hi.max((l.end as usize).min(len));
        }
        lo = lo.min(hi);
        let start = memchr::memrchr(b'\n', &file.bytes[..lo]).map_or(0, |p| p + 1);
        let end = memchr::memchr(b'\n', &file.bytes[hi..]).map_or(len, |p| hi + p + 1);
        Window {
            file,
            start,
            end,
            text: String::from_utf8_lossy(&file.bytes[start..end]),
            line: file.position(start).line as usize,
        }
    }

    /// The byte range of a location in [`Window::text`].
    fn range(&self, l: &Location) -> std::ops::Range<usize> {
        let bytes = &self.file.bytes;
        let clamp = |o: u32| (o as usize).clamp(self.start, self.end);
        let (s, e) = (clamp(l.start), clamp(l.end));
        let (s, e) = (s.min(e), e.max(s));
        let (s, e) = match self.text {
            // Offsets hold as they are unless invalid UTF-8 was replaced.
            Cow::Borrowed(_) => (s - self.start, e - self.start),
            Cow::Owned(_) => {
                let map = |o: usize| String::from_utf8_lossy(&bytes[self.start..o]).len();
                (map(s), map(e))
            }
        };
        let text = &self.text;
        // Never cut a character in two (the renderer slices the text).
        let floor = |mut o: usize| {
            o = o.min(text.len());
            while !text.is_char_boundary(o) {
                o -= 1;
            }
            o
        };
        floor(s)..floor(e)
    }
}

/// The upstream table: status, upstream, where, nginx container; each
/// trace indented below its row.
fn upstream_table(r: &Report) -> String {
    let rows: Vec<[String; 4]> = r
        .upstreams
        .iter()
        .map(|u| {
            let status = serde_json::to_value(u.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let mut target = format!("{} {}", u.directive, u.target);
            if let Some(g) = u.group.as_ref().filter(|_| u.directive == "server") {
                target.push_str(&format!(" (upstream {g})"));
            }
            let at = format!("{}:{}", u.location.file, u.location.line);
            [status, target, at, u.nginx.clone()]
        })
        .collect();
    let traces: Vec<&Vec<String>> = r.upstreams.iter().map(|u| &u.trace).collect();
    let header = ["status", "upstream", "at", "nginx"].map(String::from);
    let mut out = String::from("upstreams:\n");
    out.push_str(&table(&header, &rows, |i, line| {
        for step in traces[i] {
            line.push_str(&format!("      - {step}\n"));
        }
    }));
    out
}

/// The address table: unit, network, address/prefix, origin.
fn address_table(r: &Report) -> String {
    let rows: Vec<[String; 4]> = r
        .addresses
        .iter()
        .map(|a| {
            let ip = match (a.ip, a.prefix_len) {
                (Some(ip), Some(p)) => format!("{ip}/{p}"),
                (Some(ip), None) => ip.to_string(),
                (None, _) => "-".to_string(),
            };
            let origin = serde_json::to_value(a.origin)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let unit = if a.containers.len() > 1 || a.containers.first() != Some(&a.unit) {
                format!("{} ({})", a.unit, a.containers.join(", "))
            } else {
                a.unit.clone()
            };
            [unit, a.network.clone(), ip, origin]
        })
        .collect();
    let header = ["unit", "network", "address", "origin"].map(String::from);
    let mut out = String::from("addresses:\n");
    out.push_str(&table(&header, &rows, |_, _| {}));
    out
}

/// Left-aligned columns, two spaces apart, indented by two; `after` may
/// append lines below each row.
fn table<const N: usize>(
    header: &[String; N],
    rows: &[[String; N]],
    mut after: impl FnMut(usize, &mut String),
) -> String {
    let width = |s: &String| s.chars().count();
    let mut widths = header.each_ref().map(width);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &[String; N]| {
        let mut l = String::from("  ");
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            l.push_str(cell);
            if i + 1 < N {
                l.push_str(&" ".repeat(w - width(cell) + 2));
            }
        }
        l.truncate(l.trim_end().len());
        l.push('\n');
        l
    };
    let mut out = line(header);
    for (i, row) in rows.iter().enumerate() {
        out.push_str(&line(row));
        after(i, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sarif::fixtures;

    #[test]
    fn a_finding_without_a_location_has_a_title_and_docs_only() {
        let r = fixtures::report("compose.yaml", b"services: {}\n", None);
        insta::assert_snapshot!(render(&r), @r"
        upcheck: fail — 0 upstreams: 0 reachable, 0 unreachable, 0 unverifiable; 1 error, 0 warnings, 0 infos

        error[UC0005]: no container runs nginx
         |
         = docs: docs/rules/UC0005.md
        ");
    }

    #[test]
    fn a_span_inside_a_character_does_not_panic() {
        let r = fixtures::report("default.conf", "цц = x;\n".as_bytes(), Some((1, 3)));
        assert!(render(&r).contains("error[UC0005]"));
    }

    #[test]
    fn spans_after_invalid_utf8_still_underline_the_right_text() {
        // `\xff` becomes U+FFFD (three bytes) in the text shown; the caret
        // must still sit under `app`.
        let src = b"# \xff\nproxy_pass http://app;\n";
        let start = src.windows(3).position(|w| w == b"app").unwrap() as u32;
        let r = fixtures::report("default.conf", src, Some((start, start + 3)));
        let out = render(&r);
        let lines: Vec<&str> = out.lines().collect();
        let code = lines.iter().position(|l| l.contains("proxy_pass")).unwrap();
        let caret = lines[code + 1];
        assert_eq!(lines[code].find("app"), caret.find("^^^"), "{out}");
    }
}

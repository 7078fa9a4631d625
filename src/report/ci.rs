//! Renderers for CI systems, each in the form its system reads:
//! - [`github`]: GitHub Actions workflow commands (`::error file=…,line=…,
//!   col=…::message`), one per finding that counts, so each shows on the
//!   line it is about in a pull request;
//! - [`gitlab`]: GitLab Code Quality JSON (a `codequality` report artifact);
//! - [`junit`]: JUnit XML for CI dashboards: one test case per upstream
//!   (failed when unreachable, skipped when unverifiable) and one per
//!   finding of another kind.
//!
//! Suppressed findings are left out of all three; a refused input is one
//! error with its reason.

use super::{FindingReport, Report, Verdict};
use crate::finding::Severity;
use crate::network::Status;

/// The findings a CI system is told about.
fn counted(r: &Report) -> impl Iterator<Item = &FindingReport> {
    r.findings.iter().filter(|f| f.suppressed.is_none())
}

// ------------------------------------------------------------------ GitHub

/// A workflow command's data: `%`, CR and LF escaped.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations, then the verdict as a notice.
pub fn github(r: &Report) -> String {
    let mut out = String::new();
    if let Some(why) = &r.refusal {
        out.push_str(&format!(
            "::error title=upcheck could not read the input::{}\n",
            gh_data(&why.message)
        ));
        return out;
    }
    for f in counted(r) {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(l) = &f.location {
            props.push(format!("file={}", gh_property(&l.file)));
            props.push(format!("line={}", l.line));
            props.push(format!("col={}", l.column));
            props.push(format!("endLine={}", l.end_line));
            if l.end_line == l.line {
                props.push(format!("endColumn={}", l.end_column));
            }
        }
        props.push(format!(
            "title={}",
            gh_property(&format!("{} {}", f.code, f.name))
        ));
        let mut message = f.message.clone();
        if let Some(fix) = f.fixes.first() {
            message.push_str(&format!("\nhelp: {}", fix.title));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            gh_data(&message)
        ));
    }
    out.push_str(&format!(
        "::notice title=upcheck::{}\n",
        gh_data(&super::text::verdict_line(r))
    ));
    out
}

// ------------------------------------------------------------------ GitLab

/// GitLab Code Quality: a JSON array of issues.
pub fn gitlab(r: &Report) -> String {
    let mut issues = Vec::new();
    if let Some(why) = &r.refusal {
        let file = why.location.as_ref().map_or("", |l| l.file.as_str());
        let line = why.location.as_ref().map_or(1, |l| l.line);
        issues.push(serde_json::json!({
            "description": format!("upcheck could not read the input: {}", why.message),
            "check_name": why.code.clone().unwrap_or_else(|| "refusal".into()),
            "fingerprint": format!("refusal-{}", why.code.clone().unwrap_or_default()),
            "severity": "blocker",
            "location": {"path": file, "lines": {"begin": line}},
        }));
    }
    for f in counted(r).filter(|_| r.refusal.is_none()) {
        let (path, line) = f
            .location
            .as_ref()
            .map_or((String::new(), 1), |l| (l.file.clone(), l.line));
        issues.push(serde_json::json!({
            "description": format!("{} {}: {}", f.code, f.name, f.message),
            "check_name": f.code,
            // The hash code scanning's alerts are kept by (rule, file,
            // line text, flagged text; no line number).
            "fingerprint": format!("{:016x}", super::fingerprint::hash(&r.sources, f)),
            "severity": match f.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
                Severity::Info => "info",
            },
            "location": {"path": path, "lines": {"begin": line}},
        }));
    }
    serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into())
}

// ------------------------------------------------------------------- JUnit

/// Text escaped for XML and HTML (attributes too); control characters
/// XML 1.0 has no place for become U+FFFD.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// One `<testcase>`.
struct Case {
    name: String,
    class: String,
    /// `failure` or `skipped`, with its message and body.
    outcome: Option<(&'static str, String, String)>,
}

/// JUnit XML: a test suite named `upcheck`.
pub fn junit(r: &Report) -> String {
    let mut cases = Vec::new();
    if let Some(why) = &r.refusal {
        cases.push(Case {
            name: "input".into(),
            class: "upcheck".into(),
            outcome: Some((
                "failure",
                "upcheck could not read the input".into(),
                why.message.clone(),
            )),
        });
    }
    for u in &r.upstreams {
        let why = u.reason.clone().unwrap_or_default();
        let outcome = match u.status {
            Status::Reachable => None,
            Status::Unreachable => Some(("failure", format!("{} is unreachable", u.target), why)),
            Status::Unverifiable => {
                Some(("skipped", format!("{} cannot be checked", u.target), why))
            }
        };
        cases.push(Case {
            name: format!(
                "{} {} ({}:{})",
                u.directive, u.target, u.location.file, u.location.line
            ),
            class: format!("upcheck.upstreams.{}", u.nginx),
            outcome,
        });
    }
    // Findings about something other than one upstream (nginx will not
    // start, a topology problem, a port not published) get a case each.
    for f in counted(r).filter(|f| f.upstream.is_none() && f.severity != Severity::Info) {
        let at = f
            .location
            .as_ref()
            .map(|l| format!(" ({}:{})", l.file, l.line))
            .unwrap_or_default();
        let kind = if f.severity == Severity::Error {
            "failure"
        } else {
            "skipped"
        };
        cases.push(Case {
            name: format!("{} {}{at}", f.code, f.name),
            class: "upcheck.findings".into(),
            outcome: Some((kind, f.message.clone(), f.message.clone())),
        });
    }
    if cases.is_empty() {
        cases.push(Case {
            name: "verdict".into(),
            class: "upcheck".into(),
            outcome: None,
        });
    }
    let count = |k: &str| {
        cases
            .iter()
            .filter(|c| c.outcome.as_ref().is_some_and(|o| o.0 == k))
            .count()
    };
    let (failures, skipped) = (count("failure"), count("skipped"));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"upcheck\" tests=\"{n}\" failures=\"{failures}\" skipped=\"{skipped}\">\n  <testsuite name=\"upcheck: {}\" tests=\"{n}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\">\n",
        match r.verdict {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        },
        n = cases.len(),
    ));
    for c in cases {
        let head = format!(
            "    <testcase name=\"{}\" classname=\"{}\"",
            escape_markup(&c.name),
            escape_markup(&c.class)
        );
        match c.outcome {
            None => out.push_str(&format!("{head}/>\n")),
            Some((kind, message, body)) => out.push_str(&format!(
                "{head}>\n      <{kind} message=\"{}\">{}</{kind}>\n    </testcase>\n",
                escape_markup(&message),
                escape_markup(&body)
            )),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_github_reads_as_syntax() {
        assert_eq!(gh_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(gh_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn xml_text_is_escaped_and_control_characters_replaced() {
        assert_eq!(
            escape_markup("<a href=\"x\">&'\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{fffd}"
        );
    }
}

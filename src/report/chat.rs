//! What a chat message says about a report, whatever the chat's markup:
//! the verdict and its counts, the top findings, and the first fix as a
//! diff. Markdown ([`super::markdown`]), Slack's Block Kit
//! ([`super::slack`]) and Mattermost ([`super::mattermost`]) each write
//! this one summary in their own markup.

use super::{FindingReport, FixReport, Report, Verdict};
use crate::finding::Severity;

/// Most findings listed in a message.
pub(crate) const TOP: usize = 5;

/// A report, cut down to a chat message.
pub(crate) struct Chat<'a> {
    /// The verdict.
    pub verdict: Verdict,
    /// Why the input could not be read (verdict `error`).
    pub refusal: Option<&'a str>,
    /// `1 upstream: 0 reachable, 1 unreachable, 0 unverifiable`.
    pub counts: String,
    /// Whether nginx would start.
    pub nginx_starts: bool,
    /// The top findings (errors and warnings, not suppressed).
    pub shown: Vec<&'a FindingReport>,
    /// How many more there are.
    pub more: usize,
    /// The first fix of a shown finding that has a diff.
    pub fix: Option<&'a FixReport>,
    /// Where each shown finding's rule is documented, when known.
    pub docs: Vec<Option<String>>,
}

impl<'a> Chat<'a> {
    /// The summary of `r`; `docs` names a rule's page when one is served.
    pub fn of(r: &'a Report, docs: impl Fn(&str) -> Option<String>) -> Chat<'a> {
        let listed: Vec<&FindingReport> = (r.findings.iter())
            .filter(|f| f.severity != Severity::Info && f.suppressed.is_none())
            .collect();
        let shown: Vec<&FindingReport> = listed.iter().copied().take(TOP).collect();
        let s = &r.summary;
        Chat {
            verdict: r.verdict,
            refusal: r.refusal.as_ref().map(|why| why.message.as_str()),
            counts: format!(
                "{}: {} reachable, {} unreachable, {} unverifiable",
                super::text::plural(s.upstreams, "upstream"),
                s.reachable,
                s.unreachable,
                s.unverifiable
            ),
            nginx_starts: s.nginx_starts,
            more: listed.len() - shown.len(),
            fix: (shown.iter())
                .flat_map(|f| f.fixes.iter())
                .find(|x| !x.diff.is_empty()),
            docs: shown.iter().map(|f| docs(&f.code)).collect(),
            shown,
        }
    }

    /// The verdict's icon.
    pub fn icon(&self) -> &'static str {
        match self.verdict {
            Verdict::Pass => "✅",
            Verdict::Warn => "⚠️",
            Verdict::Fail => "❌",
            Verdict::Error => "🛑",
        }
    }
}

/// `file:line` of a finding, when it has a place.
pub(crate) fn place(f: &FindingReport) -> Option<String> {
    f.location
        .as_ref()
        .map(|l| format!("{}:{}", l.file, l.line))
}

//! Markdown for a chat message: the verdict line, the top findings, and
//! the first fix as a diff. Short on purpose.

use super::{Report, Verdict};
use crate::finding::Severity;

/// Most findings listed in a message.
const TOP: usize = 5;

/// The chat message.
pub fn render(r: &Report) -> String {
    let icon = match r.verdict {
        Verdict::Pass => "✅",
        Verdict::Warn => "⚠️",
        Verdict::Fail => "❌",
        Verdict::Error => "🛑",
    };
    if let Some(why) = &r.refusal {
        return format!(
            "{icon} **upcheck: error** — could not read the input: {}\n",
            why.message
        );
    }
    let s = &r.summary;
    let mut out = format!(
        "{icon} **upcheck: {}** — {}: {} reachable, {} unreachable, {} unverifiable{}\n",
        r.verdict.as_str(),
        super::text::plural(s.upstreams, "upstream"),
        s.reachable,
        s.unreachable,
        s.unverifiable,
        if s.nginx_starts {
            ""
        } else {
            "; **nginx would not start**"
        }
    );
    let shown: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info && f.suppressed.is_none())
        .take(TOP)
        .collect();
    if !shown.is_empty() {
        out.push('\n');
    }
    for f in &shown {
        let at = f
            .location
            .as_ref()
            .map(|l| format!(" `{}:{}`", l.file, l.line))
            .unwrap_or_default();
        out.push_str(&format!(
            "- **{}** `{}`{at}: {}\n",
            match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            },
            f.code,
            f.message
        ));
    }
    let more = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info && f.suppressed.is_none())
        .count();
    if more > TOP {
        out.push_str(&format!("- … and {} more\n", more - TOP));
    }
    if let Some(fix) = shown
        .iter()
        .flat_map(|f| f.fixes.iter())
        .find(|x| !x.diff.is_empty())
    {
        out.push_str(&format!(
            "\n**Fix:** {}\n```diff\n{}```\n",
            fix.title, fix.diff
        ));
    }
    out
}

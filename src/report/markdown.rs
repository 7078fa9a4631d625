//! Markdown for a chat message: the verdict line, the top findings, and
//! the first fix as a diff ([`super::chat`] decides what). Short on purpose.

use super::Report;
use super::chat::{Chat, place};

/// The chat message.
pub fn render(r: &Report) -> String {
    let c = Chat::of(r, |_| None);
    let icon = c.icon();
    if let Some(why) = c.refusal {
        return format!("{icon} **upcheck: error** — could not read the input: {why}\n");
    }
    let mut out = format!(
        "{icon} **upcheck: {}** — {}{}\n",
        c.verdict.as_str(),
        c.counts,
        if c.nginx_starts {
            ""
        } else {
            "; **nginx would not start**"
        }
    );
    if !c.shown.is_empty() {
        out.push('\n');
    }
    for f in &c.shown {
        let at = place(f).map(|p| format!(" `{p}`")).unwrap_or_default();
        out.push_str(&format!(
            "- **{}** `{}`{at}: {}\n",
            f.severity.as_str(),
            f.code,
            f.message
        ));
    }
    if c.more > 0 {
        out.push_str(&format!("- … and {} more\n", c.more));
    }
    if let Some(fix) = c.fix {
        out.push_str(&format!(
            "\n**Fix:** {}\n```diff\n{}```\n",
            fix.title, fix.diff
        ));
    }
    out
}

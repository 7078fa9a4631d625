//! Slack's Block Kit (`?format=slack`): the [`super::chat`] summary as
//! `mrkdwn` sections, within Slack's limits (at most 50 blocks, 3,000
//! characters in a section's text), with `&`, `<` and `>` escaped as
//! Slack asks. `text` is the notification's plain fallback.
//! <https://api.slack.com/reference/block-kit/blocks>,
//! <https://api.slack.com/reference/surfaces/formatting#escaping>

use super::chat::{Chat, place};
use super::{Report, links::Links};
use serde_json::{Value, json};

/// Characters in one section's text.
pub(crate) const SECTION_CHARS: usize = 3000;
/// Blocks in one message.
pub(crate) const MAX_BLOCKS: usize = 50;

/// The message as Block Kit JSON.
pub fn render(r: &Report, links: &Links) -> String {
    message(r, links).to_string()
}

/// The message as a JSON value: `{"text": …, "blocks": […]}`.
pub(crate) fn message(r: &Report, links: &Links) -> Value {
    let c = Chat::of(r, |code| links.docs.as_ref().map(|d| d.rule(code)));
    let icon = c.icon();
    let (fallback, headline) = match c.refusal {
        Some(why) => (
            format!("{icon} upcheck: error — could not read the input: {why}"),
            format!(
                "{icon} *upcheck: error* — could not read the input: {}",
                escape(why)
            ),
        ),
        None => {
            let starts = if c.nginx_starts {
                ""
            } else {
                "; nginx would not start"
            };
            (
                format!(
                    "{icon} upcheck: {} — {}{starts}",
                    c.verdict.as_str(),
                    c.counts
                ),
                format!(
                    "{icon} *upcheck: {}* — {}{}",
                    c.verdict.as_str(),
                    escape(&c.counts),
                    if c.nginx_starts {
                        ""
                    } else {
                        "; *nginx would not start*"
                    }
                ),
            )
        }
    };
    let mut blocks = vec![section(&headline)];
    if !c.shown.is_empty() {
        blocks.push(json!({"type": "divider"}));
    }
    for (f, docs) in c.shown.iter().zip(&c.docs) {
        let code = match docs {
            Some(url) => format!("<{url}|{}>", f.code),
            None => format!("`{}`", f.code),
        };
        let at = place(f)
            .map(|p| format!(" `{}`", escape(&p)))
            .unwrap_or_default();
        blocks.push(section(&format!(
            "*{}* {code}{at}: {}",
            f.severity.as_str(),
            escape(&f.message)
        )));
    }
    if c.more > 0 {
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": format!("… and {} more", c.more)}]
        }));
    }
    if let Some(fix) = c.fix {
        blocks.push(section(&format!(
            "*Fix:* {}\n```{}```",
            escape(&fix.title),
            escape(&fix.diff)
        )));
    }
    // The link to the stored report is the last block, whatever is cut.
    let link = links.permalink.as_ref().map(|url| {
        json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": format!("<{url}|Full report>")}]
        })
    });
    blocks.truncate(MAX_BLOCKS - usize::from(link.is_some()));
    blocks.extend(link);
    json!({"text": fallback, "blocks": blocks})
}

/// A `mrkdwn` section, its text cut to Slack's limit.
pub(crate) fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_CHARS)}})
}

/// `text` in at most `max` characters, ending in `…` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text[at..].chars().nth(1).is_some() => format!("{}…", &text[..at]),
        _ => text.to_string(),
    }
}

/// Slack's three control characters, escaped.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_to_the_limit_with_an_ellipsis() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut("ééééé", 4).chars().count(), 4);
        let long = "x".repeat(5000);
        assert_eq!(cut(&long, SECTION_CHARS).chars().count(), SECTION_CHARS);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}

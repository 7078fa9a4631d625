//! Mattermost (`?format=mattermost`): the [`super::chat`] summary as a
//! Markdown `text` and one message attachment per finding (coloured by
//! severity, with its place and rule), plus one for the first fix.
//! <https://developers.mattermost.com/integrate/reference/message-attachments/>

use super::chat::{Chat, place};
use super::{Report, links::Links};
use crate::finding::Severity;
use serde_json::{Value, json};

/// The message as JSON.
pub fn render(r: &Report, links: &Links) -> String {
    message(r, links).to_string()
}

/// The message: `{"text": …, "attachments": […]}`.
pub(crate) fn message(r: &Report, links: &Links) -> Value {
    let c = Chat::of(r, |code| links.docs.as_ref().map(|d| d.rule(code)));
    let icon = c.icon();
    let text = match c.refusal {
        Some(why) => format!("{icon} **upcheck: error** — could not read the input: {why}"),
        None => format!(
            "{icon} **upcheck: {}** — {}{}",
            c.verdict.as_str(),
            c.counts,
            if c.nginx_starts {
                ""
            } else {
                "; **nginx would not start**"
            }
        ),
    };
    let mut attachments: Vec<Value> = Vec::new();
    for (f, docs) in c.shown.iter().zip(&c.docs) {
        let mut a = json!({
            "fallback": format!("{} {}: {}", f.severity.as_str(), f.code, f.message),
            "color": match f.severity {
                Severity::Error => "#d0021b",
                Severity::Warning => "#f5a623",
                Severity::Info => "#4a90e2",
            },
            "title": format!("{} {}", f.code, f.name),
            "text": f.message,
            "fields": [
                {"short": true, "title": "Severity", "value": f.severity.as_str()},
                {"short": true, "title": "Where", "value": place(f).unwrap_or_else(|| "-".into())},
            ],
        });
        if let Some(url) = docs {
            a["title_link"] = json!(url);
        }
        attachments.push(a);
    }
    if c.more > 0 {
        attachments.push(json!({
            "fallback": format!("… and {} more", c.more),
            "text": format!("… and {} more", c.more),
        }));
    }
    if let Some(fix) = c.fix {
        attachments.push(json!({
            "fallback": format!("Fix: {}", fix.title),
            "color": "#2f80ed",
            "title": format!("Fix: {}", fix.title),
            "text": format!("```diff\n{}```", fix.diff),
        }));
    }
    let text = match &links.permalink {
        Some(url) => format!("{text} · [Full report]({url})"),
        None => text,
    };
    json!({"text": text, "attachments": attachments})
}

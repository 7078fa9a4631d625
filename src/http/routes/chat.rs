//! Slash commands: `POST /chat/slack` and `POST /chat/mattermost`.
//!
//! A slash command posts a form (`application/x-www-form-urlencoded`)
//! holding the command's text, and nothing else: no files. So it answers
//! what text can ask, at once (well inside Slack's 3-second budget, no
//! validation runs): usage help, a rule's explanation (`/upcheck explain
//! UC2001`), the list of rules, a stored report's verdict and link
//! (`/upcheck report ID`, when the service keeps reports), and how a bot
//! posts a project's files to
//! `POST /validate/slack` or `/validate/mattermost` and posts the answer
//! (examples/chatops/ has one).
//!
//! - Slack: the request is verified as Slack asks, `v0=` HMAC-SHA256 of
//!   `v0:{timestamp}:{body}` with the app's signing secret
//!   (`--slack-signing-secret`), the timestamp within 5 minutes; else 401.
//!   <https://api.slack.com/authentication/verifying-requests-from-slack>
//! - Mattermost: the form's `token` must be one of `--mattermost-token`;
//!   else 401. <https://developers.mattermost.com/integrate/slash-commands/custom/>
//!
//! Without the secret (or tokens) the route is off: 404.

use crate::http::body::UrlEncoded;
use crate::http::error::{ApiError, Kind};
use crate::http::openapi::{ChatErrors, MattermostAnswer, SlackAnswer, SlashCommand};
use crate::http::state::AppState;
use crate::http::store::ReportId;
use crate::report::Format;
use crate::report::slack::{escape, section};
use crate::rules::registry;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// How far a Slack request's timestamp may be from now.
const SLACK_WINDOW_SECS: u64 = 5 * 60;

/// A Slack slash command.
#[utoipa::path(
    post,
    path = "/chat/slack",
    tag = "chat",
    operation_id = "chat_slack",
    params(
        ("x-slack-signature" = String, Header, description = "`v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the app's signing secret."),
        ("x-slack-request-timestamp" = String, Header, description = "Unix seconds; at most 5 minutes from the service's clock."),
    ),
    request_body(content = SlashCommand, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An ephemeral answer in Block Kit.", body = SlackAnswer),
        ChatErrors,
    )
)]
pub async fn slack(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlEncoded(body): UrlEncoded,
) -> Result<Json<Value>, ApiError> {
    let Some(secret) = state.chat.slack_signing_secret.as_deref() else {
        return Err(off("Slack", "--slack-signing-secret"));
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    verify_slack(
        secret.as_bytes(),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        now,
    )
    .map_err(|why| ApiError::new(Kind::Unauthorized, why))?;
    let answer = answer(&state, &text_of(&body), Format::Slack).await;
    Ok(Json(json!({
        "response_type": "ephemeral",
        "text": answer.plain,
        "blocks": [section(&answer.slack)],
    })))
}

/// A Mattermost slash command.
#[utoipa::path(
    post,
    path = "/chat/mattermost",
    tag = "chat",
    operation_id = "chat_mattermost",
    request_body(content = SlashCommand, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An ephemeral answer in Markdown.", body = MattermostAnswer),
        ChatErrors,
    )
)]
pub async fn mattermost(
    State(state): State<AppState>,
    UrlEncoded(body): UrlEncoded,
) -> Result<Json<Value>, ApiError> {
    if state.chat.mattermost_tokens.is_empty() {
        return Err(off("Mattermost", "--mattermost-token"));
    }
    let token = field(&body, "token").unwrap_or_default();
    if !state.chat.mattermost_token(token.as_bytes()) {
        return Err(ApiError::new(
            Kind::Unauthorized,
            "the command's token is not one this service was given (--mattermost-token)",
        ));
    }
    let answer = answer(&state, &text_of(&body), Format::Mattermost).await;
    Ok(Json(json!({
        "response_type": "ephemeral",
        "text": answer.markdown,
    })))
}

fn off(chat: &str, flag: &str) -> ApiError {
    ApiError::new(
        Kind::NotFound,
        format!("{chat} slash commands are not enabled here: start upcheck serve with {flag}"),
    )
}

/// A form field's value, decoded.
fn field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The command's text, trimmed.
fn text_of(body: &[u8]) -> String {
    field(body, "text").unwrap_or_default().trim().to_string()
}

/// Checks Slack's signature of a request made at `timestamp`, `now`
/// being the service's clock (Unix seconds).
pub(crate) fn verify_slack(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: u64,
) -> Result<(), String> {
    use hmac::{Hmac, Mac};
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err("X-Slack-Request-Timestamp and X-Slack-Signature are required".into());
    };
    let at: u64 = ts
        .trim()
        .parse()
        .map_err(|_| "X-Slack-Request-Timestamp is not Unix seconds".to_string())?;
    if now.abs_diff(at) > SLACK_WINDOW_SECS {
        return Err("the request's timestamp is more than 5 minutes from now".into());
    }
    let given = sig
        .strip_prefix("v0=")
        .and_then(hex)
        .ok_or_else(|| "X-Slack-Signature is not `v0=` and hex".to_string())?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(b"v0:");
    mac.update(ts.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    // Constant time.
    mac.verify_slice(&given)
        .map_err(|_| "the signature does not match the body and the signing secret".into())
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// An answer in each chat's markup.
struct Answer {
    /// Plain text (Slack's notification fallback).
    plain: String,
    /// Slack `mrkdwn`.
    slack: String,
    /// Markdown (Mattermost).
    markdown: String,
}

impl Answer {
    /// The same words in each markup: `bold` is the one styled part.
    fn new(bold: &str, rest: &str) -> Answer {
        Answer {
            plain: format!("{bold}{rest}"),
            slack: format!("*{}*{}", escape(bold), escape(rest)),
            markdown: format!("**{bold}**{rest}"),
        }
    }
}

/// What the command's text asks for.
async fn answer(state: &AppState, text: &str, chat: Format) -> Answer {
    let mut words = text.split_whitespace();
    match (words.next(), words.next()) {
        (Some("explain"), Some(code)) => explain(state, code),
        (Some("rules"), None) => {
            let list: Vec<String> = registry::RULES
                .iter()
                .map(|r| format!("`{}` {}", r.meta().code, r.meta().name))
                .collect();
            Answer::new("upcheck rules", &format!("\n{}", list.join("\n")))
        }
        (Some("report"), Some(id)) => report(state, id).await,
        (None | Some("help"), None) => help(state, chat),
        _ => {
            let mut a = help(state, chat);
            let head = format!("`{text}` is not a command I know.\n");
            a.plain = format!("{head}{}", a.plain);
            a.slack = format!("{}{}", escape(&head), a.slack);
            a.markdown = format!("{head}{}", a.markdown);
            a
        }
    }
}

fn help(state: &AppState, chat: Format) -> Answer {
    let (path, report) = match state.store {
        Some(_) => (
            format!("/validate/{}?store=true", chat.name()),
            "• `/upcheck report ID`: a stored report's verdict and its link\n",
        ),
        None => (format!("/validate/{}", chat.name()), ""),
    };
    Answer::new(
        "upcheck",
        &format!(
            " checks that nginx reaches its upstreams in the world it is deployed to.\n\
             • `/upcheck explain UC2001`: what a rule finds and why it matters\n\
             • `/upcheck rules`: every rule\n{report}\
             A slash command carries text only. To check a project, post its files to \
             `POST {path}` (`curl -F project=@repo.tar.gz …{path}`) and post the answer to \
             the channel: examples/chatops/bot.py does both."
        ),
    )
}

/// A stored report's verdict, counts, first findings and link. The id is
/// the capability: whoever may run the command and holds the id reads
/// this much, never the request.
async fn report(state: &AppState, written: &str) -> Answer {
    let Some(store) = &state.store else {
        return Answer::new(
            "upcheck",
            ": this service keeps no reports, so there is no report to look up. A bot that \
             posts files gets the whole answer back (see `/upcheck help`).",
        );
    };
    // A pasted link works as well as the bare id.
    let id = written
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let Some(id) = ReportId::parse(id) else {
        return Answer::new(
            "upcheck",
            &format!(": `{written}` is not a report id (32 hexadecimal digits)"),
        );
    };
    let stored = match store.get(&id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Answer::new(
                "upcheck",
                &format!(
                    ": no report has the id {id}: it never existed, it expired, or it was deleted"
                ),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "the report store failed");
            return Answer::new("upcheck", ": the report store cannot be reached; try again");
        }
    };
    let report: Value = serde_json::from_slice(&stored.entry.report).unwrap_or(Value::Null);
    let count = |k: &str| report["summary"][k].as_u64().unwrap_or(0);
    let mut rest = format!(
        " — {} upstreams: {} reachable, {} unreachable, {} unverifiable",
        count("upstreams"),
        count("reachable"),
        count("unreachable"),
        count("unverifiable"),
    );
    let findings = report["findings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for f in findings.iter().take(3) {
        rest.push_str(&format!(
            "\n• {} {}",
            f["code"].as_str().unwrap_or("?"),
            f["message"].as_str().unwrap_or(""),
        ));
    }
    if findings.len() > 3 {
        rest.push_str(&format!("\n… and {} more", findings.len() - 3));
    }
    rest.push('\n');
    rest.push_str(&state.public(&id.path()).unwrap_or_else(|| id.path()));
    Answer::new(&format!("upcheck: {}", stored.entry.verdict), &rest)
}

fn explain(state: &AppState, written: &str) -> Answer {
    let Some(rule) = registry::by_code_or_name(written) else {
        return Answer::new(
            "upcheck",
            &format!(": no rule is called `{written}`; `/upcheck rules` lists them"),
        );
    };
    let m = rule.meta();
    let link = state
        .links
        .docs
        .as_ref()
        .map(|d| format!("\n{}", d.rule(m.code)))
        .unwrap_or_default();
    Answer::new(
        &format!("{} {}", m.code, m.name),
        &format!(" ({}): {}{link}", m.severity.as_str(), m.summary()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], ts: &str, body: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(format!("v0:{ts}:").as_bytes());
        mac.update(body);
        let bytes = mac.finalize().into_bytes();
        format!(
            "v0={}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    }

    #[test]
    fn slack_signatures_are_checked_with_the_secret_body_and_time() {
        // Slack's documented example request.
        let secret = b"8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let good = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(sign(secret, "1531420618", body), good);
        let at = 1531420618;
        assert_eq!(
            verify_slack(secret, Some("1531420618"), Some(good), body, at + 60),
            Ok(())
        );
        assert!(verify_slack(secret, Some("1531420618"), Some(good), body, at + 301).is_err());
        assert!(verify_slack(b"another secret", Some("1531420618"), Some(good), body, at).is_err());
        assert!(verify_slack(secret, Some("1531420618"), Some(good), b"text=x", at).is_err());
        assert!(verify_slack(secret, None, Some(good), body, at).is_err());
        assert!(verify_slack(secret, Some("1531420618"), Some("v1=ab"), body, at).is_err());
    }

    #[test]
    fn form_fields_are_decoded() {
        assert_eq!(text_of(b"a=1&text=explain+UC2001%20"), "explain UC2001");
        assert_eq!(field(b"token=a%2Bb", "token").as_deref(), Some("a+b"));
    }
}

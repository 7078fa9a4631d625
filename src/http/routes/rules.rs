//! `GET /rules` and `GET /rules/{code}`: the rule registry, the same one
//! that generates `docs/rules/`, `upcheck explain` and SARIF rule metadata.

use crate::finding::Severity;
use crate::http::error::{ApiError, Kind};
use crate::http::openapi::{NotAcceptable, NotFound};
use crate::rules::FixAvailability;
use crate::rules::docs::{range_of, rule_doc_markdown, similar};
use crate::rules::registry::{RETIRED, RULES, by_code};
use crate::rules::{Meta, docs::docs_body};
use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One rule in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleSummary {
    /// Stable code (`UC2001`).
    #[schema(example = "UC2001")]
    pub code: String,
    /// kebab-case name of the problem.
    pub name: String,
    /// Default severity.
    pub severity: Severity,
    /// Fix availability.
    pub fix: FixAvailability,
    /// The first sentence of "What it does".
    pub summary: String,
    /// What the code's range covers (`reachability and ports`).
    pub range: String,
    /// This rule's resource (`/rules/UC2001`).
    pub href: String,
}

/// A retired code and why; codes are never reused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetiredRule {
    /// The code.
    pub code: String,
    /// Why it was retired.
    pub reason: String,
}

/// Every rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleList {
    /// Rules in code order.
    pub rules: Vec<RuleSummary>,
    /// Retired codes.
    pub retired: Vec<RetiredRule>,
}

/// One rule with its documentation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleDoc {
    /// The rule's summary fields.
    #[serde(flatten)]
    pub rule: RuleSummary,
    /// Where the rule is defined (`src/rules/x.rs#L12`).
    pub source: String,
    /// The documentation in Markdown (What it does / Why is this bad? /
    /// Example / Use instead / Fix safety).
    pub docs: String,
}

fn summary_of(m: &Meta) -> RuleSummary {
    RuleSummary {
        code: m.code.to_string(),
        name: m.name.to_string(),
        severity: m.severity,
        fix: m.fix,
        summary: m.summary(),
        range: range_of(m.code).unwrap_or("unassigned").to_string(),
        href: format!("/rules/{}", m.code),
    }
}

/// List every rule.
#[utoipa::path(
    get,
    path = "/rules",
    tag = "rules",
    operation_id = "list_rules",
    responses(
        (status = 200, description = "Every rule, in code order, and the retired codes.", body = RuleList),
        (status = 406, response = NotAcceptable),
    )
)]
pub async fn list(_json: super::AcceptsJson) -> Json<RuleList> {
    Json(RuleList {
        rules: RULES.iter().map(|r| summary_of(r.meta())).collect(),
        retired: RETIRED
            .iter()
            .map(|(code, reason)| RetiredRule {
                code: code.to_string(),
                reason: reason.to_string(),
            })
            .collect(),
    })
}

/// One rule: its metadata and documentation.
///
/// `Accept: text/markdown` gives the rule's documentation page instead
/// (the same page as `docs/rules/<CODE>.md`), and `Accept: text/html` (a
/// browser following SARIF's `helpUri`) the same page as HTML.
#[utoipa::path(
    get,
    path = "/rules/{code}",
    tag = "rules",
    operation_id = "get_rule",
    params(("code" = String, Path, description = "The rule's code (`UC2001`), any case.", example = "UC2001")),
    responses(
        (status = 200, description = "The rule.", content(
            (RuleDoc = "application/json"),
            (String = "text/markdown"),
            (String = "text/html"),
        )),
        (status = 404, response = NotFound),
        (status = 406, response = NotAcceptable),
    )
)]
pub async fn get(
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let offer = super::negotiate(
        &headers,
        &["application/json", "text/markdown", "text/html"],
    )?;
    let code = code.map(|Path(c)| c).map_err(|_| {
        ApiError::new(Kind::RuleNotFound, "the rule code is not valid text").field("code")
    })?;
    let Some(rule) = by_code(&code) else {
        // Codes are ASCII; anything else cannot be near one.
        let candidates = if code.is_ascii() {
            similar(&code)
        } else {
            Vec::new()
        };
        let near: Vec<String> = candidates
            .iter()
            .map(|m| format!("{} ({})", m.code, m.name))
            .collect();
        let retired = RETIRED
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(&code))
            .map(|(c, why)| format!("; {c} is retired: {why}"))
            .unwrap_or_default();
        let hint = if near.is_empty() {
            "; GET /rules lists every rule".to_string()
        } else {
            format!("; did you mean {}?", near.join(", "))
        };
        return Err(ApiError::new(
            Kind::RuleNotFound,
            format!(
                "no rule has the code `{}`{retired}{hint}",
                code.escape_debug()
            ),
        )
        .field("code"));
    };
    let m = rule.meta();
    let page = match offer {
        1 => Some((rule_doc_markdown(m), "text/markdown; charset=utf-8")),
        2 => Some((super::rule_page::html(m), "text/html; charset=utf-8")),
        _ => None,
    };
    if let Some((body, media)) = page {
        let mut res = body.into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
        res.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
        return Ok(res);
    }
    let mut res = Json(RuleDoc {
        rule: summary_of(m),
        source: m.source.to_string(),
        docs: docs_body(m),
    })
    .into_response();
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(res)
}

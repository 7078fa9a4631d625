//! The layers around the routes, outermost first:
//!
//! - [`observe`] (every route): the request id (taken from a valid
//!   `x-request-id` or made, echoed in the response and in problems), a
//!   tracing span and one log line per request (never the body), the
//!   request metrics, security headers, and a problem body for any error
//!   response that lacks one (a 405 from the router, say);
//! - [`require_token`], [`rate_limit`], [`time_limit`] (`/validate` and
//!   `/parse` only): 401 without a valid bearer token, 429 past the
//!   per-client rate, and 503 past the request timeout.
//!
//! The handlers take a validation slot with [`take_slot`] once the body
//! has been read (503 with `Retry-After` when every slot is busy, or when
//! the bytes already under validation leave no room for the body's), so a
//! client that trickles its body holds no slot.

use super::error::{ApiError, InternalCause, Kind, PROBLEM_JSON, Problem};
use super::state::{AppState, names};
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;
use tower_http::request_id::{MakeRequestId, MakeRequestUuid};
use tracing::Instrument;

/// The request id header.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A validation slot and the work bytes of its request, held until the
/// work they admitted has finished.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    _work: OwnedSemaphorePermit,
}

/// Whether a client-sent request id is safe to keep and echo.
fn valid_request_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    (1..=128).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
}

/// Request id, logging, metrics, security headers and problem bodies.
pub async fn observe(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response<Body> {
    let started = Instant::now();
    let _in_flight = state.begin_request();
    let id = match req.headers().get(&REQUEST_ID) {
        Some(v) if valid_request_id(v) => v.clone(),
        _ => MakeRequestUuid
            .make_request_id(&req)
            .map(|r| r.header_value().clone())
            .unwrap_or_else(|| HeaderValue::from_static("unknown")),
    };
    let id_text = id.to_str().unwrap_or("unknown").to_string();
    req.headers_mut().insert(REQUEST_ID.clone(), id.clone());
    // Bounded label values: any other method counts as `other`.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_string(),
        _ => "other".to_string(),
    };
    let path = req.uri().path().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let span =
        tracing::info_span!("request", request_id = %id_text, method = %method, route = %route);
    let mut res = next.run(req).instrument(span.clone()).await;

    finish_problem(&mut res, &path, &id_text);
    security_headers(&path, res.headers_mut());
    res.headers_mut().insert(REQUEST_ID.clone(), id);

    let status = res.status();
    let elapsed = started.elapsed();
    let status_label = status.as_u16().to_string();
    state.metrics.record(|| {
        let labels = [
            ("route", route.clone()),
            ("method", method.clone()),
            ("status", status_label),
        ];
        metrics::counter!(names::REQUESTS, &labels).increment(1);
        metrics::histogram!(names::DURATION, &labels).record(elapsed.as_secs_f64());
    });
    let latency_ms = latency_ms(elapsed);
    span.in_scope(|| {
        if let Some(InternalCause(cause)) = res.extensions().get::<InternalCause>() {
            tracing::error!(status = status.as_u16(), latency_ms, path = %path, cause = %cause, "request failed");
        } else if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), latency_ms, path = %path, "request refused");
        } else {
            tracing::info!(status = status.as_u16(), latency_ms, path = %path, "request");
        }
    });
    res
}

/// Adds the request's path and id to a problem, and gives any other error
/// response a problem body (keeping its headers, `Allow` for instance).
fn finish_problem(res: &mut Response<Body>, path: &str, id: &str) {
    let status = res.status();
    let mut problem = match res.extensions_mut().remove::<Problem>() {
        Some(p) => p,
        None if status.is_client_error() || status.is_server_error() => {
            // Bodies of their own (readiness's JSON) stay; empty ones and
            // axum's plain-text rejections become problems.
            let bare = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
            if !bare {
                return;
            }
            fallback_problem(status)
        }
        None => return,
    };
    problem.instance = Some(path.to_string());
    problem.request_id = Some(id.to_string());
    let body = serde_json::to_vec(&problem).expect("problems serialize");
    res.headers_mut().remove(header::CONTENT_LENGTH);
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    *res.body_mut() = Body::from(body);
}

/// The problem for an error response the service did not build itself.
pub(crate) fn fallback_problem(status: StatusCode) -> Problem {
    let kind = match status {
        StatusCode::NOT_FOUND => Some(Kind::NotFound),
        StatusCode::METHOD_NOT_ALLOWED => Some(Kind::MethodNotAllowed),
        StatusCode::NOT_ACCEPTABLE => Some(Kind::NotAcceptable),
        StatusCode::PAYLOAD_TOO_LARGE => Some(Kind::BodyTooLarge),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Some(Kind::UnsupportedMediaType),
        StatusCode::INTERNAL_SERVER_ERROR => Some(Kind::Internal),
        _ => None,
    };
    let reason = status.canonical_reason().unwrap_or("Error");
    match kind {
        Some(k) => ApiError::new(k, reason.to_lowercase()).problem(),
        // RFC 9457 §4.2.1: `about:blank` when no more specific type applies.
        None => Problem {
            kind: "about:blank".to_string(),
            title: reason.to_string(),
            status: status.as_u16(),
            detail: reason.to_lowercase(),
            instance: None,
            request_id: None,
            field: None,
            location: None,
            limit: None,
            report: None,
        },
    }
}

/// Content-Security-Policy of the Swagger UI page: its own scripts and
/// styles only (Swagger UI sets inline styles), no framing.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// Content-Security-Policy of every other response: nothing may load.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Sets the security headers of a response to `path` (an empty path gets
/// the API's). The portal's page is also the HTML answer of a stored
/// report, `/reports/{id}`.
pub(crate) fn security_headers(path: &str, h: &mut axum::http::HeaderMap) {
    let html =
        (h.get(header::CONTENT_TYPE)).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let csp =
        if path == "/" || path.starts_with("/portal/") || (html && path.starts_with("/reports/")) {
            super::portal::PORTAL_CSP
        } else if path == "/docs" || path.starts_with("/docs/") {
            DOCS_CSP
        } else {
            API_CSP
        };
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// 401 unless the request carries one of the configured bearer tokens.
pub async fn require_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response<Body> {
    if let Err(e) = state.check_token(req.headers()) {
        return e.into_response();
    }
    next.run(req).await
}

/// 429 with `Retry-After` past the per-client rate: by the peer address,
/// or behind a trusted proxy by the address its forwarding header gives
/// ([`super::client`]).
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response<Body> {
    if state.rate.enabled() {
        let client = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| state.proxies.client(c.0.ip(), req.headers()).to_string())
            .unwrap_or_else(|| "unknown".to_string());
        if let Err(wait) = state.rate.check(&client) {
            let n = state.limits.rate_per_minute;
            return ApiError::new(
                Kind::RateLimited,
                format!("more than {n} requests per minute from this client; retry in {wait} s"),
            )
            .limit(u64::from(n))
            .retry_after(wait)
            .into_response();
        }
    }
    next.run(req).await
}

/// Bounds the time of a `/validate` or `/parse` request, body upload
/// included (503 past the timeout).
pub async fn time_limit(State(state): State<AppState>, req: Request, next: Next) -> Response<Body> {
    let limit = state.limits.request_timeout;
    // The work the request starts stops at the same moment (see
    // `routes::validate`), so its slot is not held past the answer.
    let mut req = req;
    req.extensions_mut()
        .insert(crate::budget::Deadline::after(limit));
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::new(
            Kind::Timeout,
            format!("the request took longer than {} ms", limit.as_millis()),
        )
        .into_response(),
    }
}

/// Takes a validation slot and `bytes` of work (the request's
/// [`crate::http::body::Payload::work_bytes`]), or sheds the request (503
/// with `Retry-After`) when every slot is busy or the bytes under
/// validation leave too little room ([`Limits::max_work_bytes`]).
/// Handlers call it once the body has been read.
///
/// [`Limits::max_work_bytes`]: super::state::Limits::max_work_bytes
pub fn take_slot(state: &AppState, bytes: u64) -> Result<Slot, ApiError> {
    let busy = |detail: String, limit: u64| {
        ApiError::new(Kind::Overloaded, detail)
            .limit(limit)
            .retry_after(1)
    };
    let Ok(permit) = state.slots.clone().try_acquire_owned() else {
        let n = state.limits.max_concurrency;
        return Err(busy(
            format!("all {n} validation slots are busy; retry shortly"),
            n as u64,
        ));
    };
    let weight = state.limits.work_weight(bytes);
    match state.work.clone().try_acquire_many_owned(weight) {
        Ok(work) => Ok(Slot {
            _permit: permit,
            _work: work,
        }),
        Err(_) => {
            let max = state.limits.max_work_bytes;
            Err(busy(
                format!(
                    "the requests being validated hold too much of the {max} bytes validated \
                     at once (max_work_bytes) for this one's {bytes}; retry shortly"
                ),
                max as u64,
            ))
        }
    }
}

/// The response for a panicking handler: a 500 problem; the panic message
/// goes to the log only.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".to_string());
    ApiError::internal(format!("handler panicked: {msg}")).into_response()
}

/// A request's latency for the log, in whole microseconds: `1.241`, never
/// `1.2415429999999998`.
fn latency_ms(elapsed: Duration) -> f64 {
    elapsed.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tame_request_ids_are_kept() {
        assert!(valid_request_id(&HeaderValue::from_static("abc-123_x.y:z")));
        assert!(!valid_request_id(&HeaderValue::from_static("")));
        assert!(!valid_request_id(&HeaderValue::from_static("a b")));
        assert!(!valid_request_id(
            &HeaderValue::from_str(&"a".repeat(129)).unwrap()
        ));
    }

    #[test]
    fn unknown_error_statuses_get_about_blank_problems() {
        let p = fallback_problem(StatusCode::IM_A_TEAPOT);
        assert_eq!(p.kind, "about:blank");
        assert_eq!(p.status, 418);
        let p = fallback_problem(StatusCode::METHOD_NOT_ALLOWED);
        assert!(p.kind.ends_with("/method-not-allowed"));
    }

    #[test]
    fn the_logged_latency_has_at_most_three_decimals() {
        let d = Duration::from_nanos(1_241_542_999);
        assert_eq!(latency_ms(d).to_string(), "1241.542");
        assert_eq!(
            latency_ms(Duration::from_nanos(1_241_543)).to_string(),
            "1.241"
        );
    }
}

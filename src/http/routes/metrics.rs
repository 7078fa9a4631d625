//! `GET /metrics`: Prometheus text exposition — requests and latency by
//! route, method and status, requests in flight, open connections and why
//! the server closed some, verdicts, findings by rule code, the build
//! (`upcheck_build_info{version}`), and the process's CPU, memory, file
//! descriptors and start time (`process_*`), these from the first scrape.

use crate::http::state::{AppState, names};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The media type of Prometheus' text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.",
        body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let in_flight = state.requests_in_flight() as f64;
    state
        .metrics
        .record(|| metrics::gauge!(names::IN_FLIGHT).set(in_flight));
    let mut res = state.metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROMETHEUS_TEXT),
    );
    res
}

//! `/reports/{id}`: the permalinks of reports kept with
//! `POST /validate?store=true` ([`crate::http::store`]). The JSON report as
//! it was answered, its picture, the request it answered, and for a
//! browser the portal showing it. Where bearer tokens are configured,
//! reading or deleting a report needs one (the portal's page itself holds
//! no report and is open). A server without storage answers 404.

use crate::http::error::{ApiError, Kind};
use crate::http::openapi::ReportErrors;
use crate::http::state::AppState;
use crate::http::store::{ReportId, Store, Stored};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::{Duration, UNIX_EPOCH};

/// The stored report a `/reports/{id}/…` path names, found after the token
/// check.
pub struct Found(Stored);

impl FromRequestParts<AppState> for Found {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Found, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(Kind::ReportNotFound, "no report id in the path"))?;
        find(state, &parts.headers, &id).await.map(Found)
    }
}

/// The stored report `id` names, after the token check.
async fn find(state: &AppState, headers: &HeaderMap, id: &str) -> Result<Stored, ApiError> {
    let (store, id) = lookup(state, id)?;
    state.check_token(headers)?;
    store.get(&id).await?.ok_or_else(|| not_found(&id))
}

/// The store and a well-formed id; 404 when the server keeps no reports or
/// the id cannot be one.
fn lookup(state: &AppState, id: &str) -> Result<(Store, ReportId), ApiError> {
    let store = state.store.clone().ok_or_else(|| {
        ApiError::new(
            Kind::ReportNotFound,
            "this server keeps no reports (it runs without --data-dir or --database-url)",
        )
    })?;
    let id = ReportId::parse(id).ok_or_else(|| {
        ApiError::new(
            Kind::ReportNotFound,
            "a report id is 32 lowercase hexadecimal digits",
        )
    })?;
    Ok((store, id))
}

fn not_found(id: &ReportId) -> ApiError {
    ApiError::new(
        Kind::ReportNotFound,
        format!("no report has the id {id}: it never existed, it expired, or it was deleted"),
    )
}

/// The headers every stored answer carries: not cached anywhere (a report
/// can quote a configuration), and when it expires.
fn stored_response(body: Vec<u8>, content_type: &str, expires_at: i64) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    let expires = UNIX_EPOCH + Duration::from_secs(u64::try_from(expires_at).unwrap_or(0));
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(expires)) {
        h.insert(header::EXPIRES, v);
    }
    res
}

/// A stored report.
///
/// The report `POST /validate?store=true` answered, as JSON, byte for
/// byte; `Accept: text/html` (a browser opening the link) gives the
/// portal, which shows it. The report's picture is at
/// `/reports/{id}/diagram.svg` and the request it answered at
/// `/reports/{id}/request`. Reports expire after the server's
/// `--report-ttl` (30 days by default); `Expires` says when.
#[utoipa::path(
    get,
    path = "/reports/{id}",
    tag = "reports",
    operation_id = "get_report",
    params(("id" = String, Path, description = "The id `POST /validate?store=true` answered in `Location`: 32 hexadecimal digits.")),
    responses(
        (status = 200, description = "The stored report (JSON, as `POST /validate` answered it), or the portal showing it (HTML).",
            headers(
                ("x-upcheck-verdict" = String, description = "pass, warn or fail"),
                ("expires" = String, description = "When the report expires (HTTP date)."),
            ),
            content(
                (crate::http::openapi::JsonAnswer = "application/json"),
                (String = "text/html"),
            )
        ),
        ReportErrors,
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if super::negotiate(&headers, &["application/json", "text/html"])? == 1 {
        // The page holds no report; its script fetches the JSON (with the
        // token, when one is needed).
        lookup(&state, &id)?;
        return Ok(crate::http::portal::index().await.into_response());
    }
    let stored = find(&state, &headers, &id).await?;
    let verdict = HeaderValue::from_str(&stored.entry.verdict);
    let mut res = stored_response(stored.entry.report, "application/json", stored.expires_at);
    if let Ok(v) = verdict {
        res.headers_mut().insert("x-upcheck-verdict", v);
    }
    Ok(res)
}

/// A stored report's picture.
///
/// The SVG drawing of the modelled world and every upstream's path, as
/// `POST /validate/svg` answered for the same request.
#[utoipa::path(
    get,
    path = "/reports/{id}/diagram.svg",
    tag = "reports",
    operation_id = "get_report_diagram",
    params(("id" = String, Path, description = "The report's id.")),
    responses(
        (status = 200, description = "The picture.", content((String = "image/svg+xml"))),
        ReportErrors,
    ),
    security(("bearer" = []))
)]
pub async fn diagram(headers: HeaderMap, Found(stored): Found) -> Result<Response, ApiError> {
    super::negotiate(&headers, &["image/svg+xml"])?;
    Ok(stored_response(
        stored.entry.diagram,
        "image/svg+xml",
        stored.expires_at,
    ))
}

/// The request a stored report answered.
///
/// The body `POST /validate?store=true` received, byte for byte, with its
/// `Content-Type` (JSON, or a multipart form with its boundary): send it
/// again to validate the same input.
#[utoipa::path(
    get,
    path = "/reports/{id}/request",
    tag = "reports",
    operation_id = "get_report_request",
    params(("id" = String, Path, description = "The report's id.")),
    responses(
        (status = 200, description = "The request body as it was sent.",
            content(
                (crate::http::request::ValidateRequest = "application/json"),
                (String = "multipart/form-data"),
            )
        ),
        ReportErrors,
    ),
    security(("bearer" = []))
)]
pub async fn request(Found(stored): Found) -> Response {
    stored_response(
        stored.entry.request,
        &stored.entry.request_type,
        stored.expires_at,
    )
}

/// Delete a stored report.
///
/// The report, its picture and its request are gone at once; its link
/// answers 404 from then on.
#[utoipa::path(
    delete,
    path = "/reports/{id}",
    tag = "reports",
    operation_id = "delete_report",
    params(("id" = String, Path, description = "The report's id.")),
    responses(
        (status = 204, description = "Deleted."),
        ReportErrors,
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let (store, id) = lookup(&state, &id)?;
    state.check_token(&headers)?;
    if store.delete(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

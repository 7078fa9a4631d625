//! One module per resource; each exports the handlers that
//! [`super::router`] registers through `routes!`, with their OpenAPI
//! operation beside them.

pub(crate) mod chat;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod parse;
pub(crate) mod reports;
pub(crate) mod rule_page;
pub(crate) mod rules;
pub(crate) mod validate;

use super::error::{ApiError, Kind};
use super::negotiate;
use axum::http::{HeaderMap, header};

/// The offer the client's `Accept` header prefers, or a 406 problem
/// listing what the route can produce.
pub fn negotiate(headers: &HeaderMap, offers: &[&str]) -> Result<usize, ApiError> {
    let accept = headers
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    negotiate::choose(accept, offers).ok_or_else(|| {
        ApiError::new(
            Kind::NotAcceptable,
            format!("this resource is available as {}", offers.join(", ")),
        )
        .field("accept")
    })
}

/// Requires that the client accepts `application/json` (406 otherwise),
/// checked before the body is read.
#[derive(Debug, Clone, Copy)]
pub struct AcceptsJson;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AcceptsJson {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        negotiate(&parts.headers, &["application/json"]).map(|_| AcceptsJson)
    }
}

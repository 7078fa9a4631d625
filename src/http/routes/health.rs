//! `GET /healthz` (the process answers) and `GET /readyz` (it takes work:
//! false from the moment shutdown starts, so load balancers drain it
//! during the grace period). Both stay open when tokens are required.

use crate::http::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// A health answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `shutting-down`.
    #[schema(example = "ok")]
    pub status: String,
    /// The service version.
    pub version: String,
}

fn health(status: &str) -> Json<Health> {
    Json(Health {
        status: status.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "healthz",
    responses((status = 200, description = "Alive.", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    health("ok")
}

/// Readiness: the service takes work (503 while shutting down).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready.", body = Health),
        (status = 503, description = "Shutting down.", body = Health),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    if state.is_ready() {
        (StatusCode::OK, health("ready"))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, health("shutting-down"))
    }
}

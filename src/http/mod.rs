//! The HTTP service (`upcheck serve`, feature `server`): a thin shell over
//! [`crate::validate`]. Requests become an [`Input`](crate::input::Input),
//! the library answers, the report is rendered in the negotiated format.
//!
//! - [`router`] builds the whole service from an [`AppState`]; tests drive
//!   it in process with `oneshot`.
//! - [`serve`] binds, prints the bound address, serves until SIGTERM or
//!   SIGINT, then finishes in-flight requests within the grace period; its
//!   accept loop (`src/http/server/`) caps connections and times slow
//!   clients out.
//! - Every API route is registered through utoipa-axum's `routes!`, so the
//!   OpenAPI document ([`openapi::openapi`]) cannot miss one.
//! - Errors are [`ApiError`]s, rendered as `application/problem+json`.
//!
//! Routes: `POST /validate` (and `/validate/{format}`), `POST /parse`,
//! `POST /chat/slack`, `POST /chat/mattermost`, `GET`/`DELETE
//! /reports/{id}` (with `/diagram.svg` and `/request`), `GET /rules`,
//! `GET /rules/{code}`, `GET /openapi.json`, `GET /docs` (Swagger UI,
//! embedded), `GET /healthz`, `GET /readyz`, `GET /metrics`.

pub(crate) mod body;
pub mod client;
pub(crate) mod error;
pub(crate) mod middleware;
pub(crate) mod negotiate;
pub mod openapi;
pub(crate) mod portal;
pub(crate) mod process;
pub mod request;
pub(crate) mod routes;
mod server;
pub(crate) mod state;
pub mod store;

pub use client::{ForwardedHeader, TrustedProxies};
pub use error::{ApiError, Kind, Problem};
pub use server::{Shutdown, serve, serve_on, shutdown_signal};
pub use state::{AppState, ChatSecrets, Config, ConnectionLimits, Limits};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes that do work: bearer tokens, rate, slots and timeout apply.
fn work_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::validate::validate))
        // One operation per format; documented by `openapi::per_format`.
        .route(
            "/validate/{format}",
            axum::routing::post(routes::validate::validate_as),
        )
        .routes(routes!(routes::parse::parse))
}

/// Slash commands: checked by their own secret, rate-limited and timed.
fn chat_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::chat::slack))
        .routes(routes!(routes::chat::mattermost))
}

/// Stored reports: their handlers check tokens themselves (the page a
/// browser gets is open; the report is not); rate-limited.
fn report_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::reports::get, routes::reports::delete))
        .routes(routes!(routes::reports::diagram))
        .routes(routes!(routes::reports::request))
}

/// The routes that stay open: rules, health, metrics, this document.
fn open_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::rules::list))
        .routes(routes!(routes::rules::get))
        .routes(routes!(routes::health::healthz))
        .routes(routes!(routes::health::readyz))
        .routes(routes!(routes::metrics::metrics))
        .routes(routes!(openapi::serve_spec))
}

/// Every API route with the document describing it.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(work_routes())
        .merge(chat_routes())
        .merge(report_routes())
        .merge(open_routes())
}

/// The whole service for a state.
pub fn router(state: AppState) -> Router {
    use axum::middleware::from_fn_with_state;
    let (work, _) = work_routes().split_for_parts();
    let work = work
        .route_layer(from_fn_with_state(state.clone(), middleware::time_limit))
        .route_layer(from_fn_with_state(state.clone(), middleware::rate_limit))
        .route_layer(from_fn_with_state(state.clone(), middleware::require_token));
    let (chat, _) = chat_routes().split_for_parts();
    let chat = chat
        .route_layer(from_fn_with_state(state.clone(), middleware::time_limit))
        .route_layer(from_fn_with_state(state.clone(), middleware::rate_limit));
    let (reports, _) = report_routes().split_for_parts();
    let reports = reports.route_layer(from_fn_with_state(state.clone(), middleware::rate_limit));
    let (open, _) = open_routes().split_for_parts();
    let docs: Router<AppState> = utoipa_swagger_ui::SwaggerUi::new("/docs")
        .config(utoipa_swagger_ui::Config::from("/openapi.json"))
        .into();
    let mut app = Router::new()
        .merge(work)
        .merge(chat)
        .merge(reports)
        .merge(open)
        .merge(docs)
        .merge(portal::router())
        .fallback(not_found)
        // Bodies are bounded by `Limits::max_body` where they are read,
        // and end with a 408 when they stop arriving.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyTimeoutLayer::new(state.limits.body_timeout))
        .layer(CatchPanicLayer::custom(middleware::panic_response));
    if let Some(cors) = cors_layer(&state.cors_origins) {
        app = app.layer(cors);
    }
    app.layer(from_fn_with_state(state.clone(), middleware::observe))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(
        Kind::NotFound,
        "no such resource; GET /openapi.json lists every route",
    )
}

/// CORS for the listed origins (`*` allows any); `None` when none are listed.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                header::ACCEPT,
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("x-upcheck-verdict"),
                header::RETRY_AFTER,
                header::LOCATION,
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global tracing subscriber on stderr, filtered by `filter`
/// (`info`, `upcheck=debug,tower_http=warn`, …). Call once per process.
pub fn init_tracing(format: LogFormat, filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}

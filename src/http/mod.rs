//! The HTTP service (`upcheck serve`, feature `server`): a thin shell over
//! [`crate::validate`]. Requests become an [`Input`](crate::input::Input),
//! the library answers, the report is rendered in the negotiated format.
//!
//! - [`router`] builds the whole service from an [`AppState`]; tests drive
//!   it in process with `oneshot`.
//! - [`serve`] binds, prints the bound address, serves until SIGTERM or
//!   SIGINT, then finishes in-flight requests within the grace period.
//! - Every API route is registered through utoipa-axum's `routes!`, so the
//!   OpenAPI document ([`openapi::openapi`]) cannot miss one.
//! - Errors are [`ApiError`]s, rendered as `application/problem+json`.
//!
//! Routes: `POST /validate`, `POST /parse`, `GET /rules`,
//! `GET /rules/{code}`, `GET /openapi.json`, `GET /docs` (Swagger UI,
//! embedded), `GET /healthz`, `GET /readyz`, `GET /metrics`.

pub mod body;
pub mod error;
pub mod middleware;
pub mod negotiate;
pub mod openapi;
pub mod portal;
pub mod request;
pub mod routes;
pub mod state;

pub use error::{ApiError, Kind, Problem};
pub use state::{AppState, Config, Limits};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes that do work: bearer tokens, rate, slots and timeout apply.
fn work_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::validate::validate))
        .routes(routes!(routes::parse::parse))
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
        .merge(open_routes())
}

/// The whole service for a state.
pub fn router(state: AppState) -> Router {
    use axum::middleware::from_fn_with_state;
    let (work, _) = work_routes().split_for_parts();
    let work = work
        .route_layer(from_fn_with_state(state.clone(), middleware::shed_and_time))
        .route_layer(from_fn_with_state(state.clone(), middleware::rate_limit))
        .route_layer(from_fn_with_state(state.clone(), middleware::require_token));
    let (open, _) = open_routes().split_for_parts();
    let docs: Router<AppState> = utoipa_swagger_ui::SwaggerUi::new("/docs")
        .config(utoipa_swagger_ui::Config::from("/openapi.json"))
        .into();
    let mut app = Router::new()
        .merge(work)
        .merge(open)
        .merge(docs)
        .merge(portal::router())
        .fallback(not_found)
        // Bodies are bounded by `Limits::max_body` where they are read.
        .layer(DefaultBodyLimit::disable())
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
            .allow_methods([Method::GET, Method::POST])
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

/// Binds `cfg.listen`, prints `upcheck listening on http://ADDR` on
/// stdout, and serves until SIGTERM or SIGINT.
pub async fn serve(cfg: Config) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "upcheck listening on http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, "listening");
    let state = AppState::new(&cfg);
    serve_on(listener, state, shutdown_signal(), cfg.grace_period).await
}

/// Serves on a bound listener until `shutdown` completes; then readiness
/// turns false, new connections are refused, and in-flight requests get
/// `grace` to finish before the rest are dropped.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let upkeep = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                state.metrics.upkeep();
            }
        })
    };
    let mut graceful_rx = stop_rx.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = graceful_rx.wait_for(|stopped| *stopped).await;
    });
    let mut server = std::pin::pin!(server.into_future());
    let result = tokio::select! {
        r = &mut server => r,
        () = shutdown => {
            state.set_ready(false);
            tracing::info!(grace_ms = grace.as_millis() as u64, "shutting down; finishing in-flight requests");
            let _ = stop_tx.send(true);
            match tokio::time::timeout(grace, &mut server).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::warn!("grace period over; dropping the requests still running");
                    Ok(())
                }
            }
        }
    };
    upkeep.abort();
    drop(stop_rx);
    result
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}

//! The developer portal at `/`: one page, its script and style, and the
//! examples it offers, all embedded in the binary (no CDN; works offline).
//! It calls `POST /validate` like any other client.

use super::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

const INDEX: &str = include_str!("portal/index.html");
const SCRIPT: &str = include_str!("portal/portal.js");
const STYLE: &str = include_str!("portal/portal.css");

/// Content-Security-Policy of the portal: its own script, style and API only.
pub const PORTAL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The portal's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/portal/portal.js", get(script))
        .route("/portal/portal.css", get(style))
        .route("/portal/examples.json", get(examples))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
}

/// The portal's icon (SVG; browsers asking for `/favicon.ico` get it too).
const FAVICON: &str = include_str!("portal/favicon.svg");

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}

/// The portal's page (also the HTML answer of `/reports/{id}`).
pub(crate) async fn index() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX)
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

async fn examples() -> impl IntoResponse {
    let f = |path: &str, content: &str| json!({"path": path, "content": content});
    axum::Json(json!({
        "seed-compose-loopback": {
            "title": "The seed in compose: proxy_pass http://127.0.0.1:6001 (fails)",
            "nginx": [f("default.conf", include_str!("../../examples/seed-compose/default.conf"))],
            "topology": [f("docker-compose.yml", include_str!("../../examples/seed-compose/docker-compose.yml"))],
        },
        "seed-compose-fixed": {
            "title": "The seed in compose: proxy_pass http://model_test:6001 (passes)",
            "nginx": [f("default.conf", include_str!("../../examples/seed-compose-fixed/default.conf"))],
            "topology": [f("docker-compose.yml", include_str!("../../examples/seed-compose-fixed/docker-compose.yml"))],
        },
        "seed-kubernetes-one-pod": {
            "title": "The seed in Kubernetes: nginx and flask in one pod, 127.0.0.1:6001 (passes)",
            "nginx": [],
            "topology": [f("one-pod.yaml", include_str!("../../examples/seed-kubernetes/one-pod.yaml"))],
        },
        "seed-kubernetes-two-pods": {
            "title": "The seed in Kubernetes: split into two pods, 127.0.0.1:6001 (fails)",
            "nginx": [],
            "topology": [f("two-pods.yaml", include_str!("../../examples/seed-kubernetes/two-pods.yaml"))],
        },
    }))
}

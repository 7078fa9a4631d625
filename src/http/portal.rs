//! The developer portal at `/`: one page, its script and style, and the
//! examples it offers, all embedded in the binary (no CDN; works offline).
//! It calls `POST /validate` like any other client.

use super::state::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

const INDEX: &str = include_str!("portal/index.html");

/// Content-Security-Policy of the portal: its own script, style and API
/// only; pictures from this service or from the page's own blob URLs (the
/// SVG of a result, shown as an `<img>`, so none of its content runs).
pub const PORTAL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A file the page loads: its path under `/portal/`, media type, how long
/// a browser may keep it, and its content.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    cache: &'static str,
    content: &'static str,
}

/// The page's own scripts and style are small and change with the page, so
/// a browser fetches them with each load (`no-cache`) and they stay in step
/// with `index.html`. The vendored editor (about 350 KB) changes only with
/// its pinned versions, so it is kept for a day, as the icon is; `portal.js`
/// keeps the plain textareas if an older copy does not fit.
const ASSETS: &[Asset] = &[
    Asset::page("portal.js", include_str!("portal/portal.js")),
    Asset::page("render.js", include_str!("portal/render.js")),
    Asset::page("editors.js", include_str!("portal/editors.js")),
    Asset::page("project.js", include_str!("portal/project.js")),
    Asset::page("share.js", include_str!("portal/share.js")),
    Asset {
        name: "portal.css",
        media_type: "text/css; charset=utf-8",
        cache: "no-cache",
        content: include_str!("portal/portal.css"),
    },
    Asset {
        name: "vendor/codemirror.js",
        media_type: "text/javascript; charset=utf-8",
        cache: "public, max-age=86400",
        content: include_str!("portal/vendor/codemirror.js"),
    },
];

impl Asset {
    /// One of the page's own scripts.
    const fn page(name: &'static str, content: &'static str) -> Asset {
        Asset {
            name,
            media_type: "text/javascript; charset=utf-8",
            cache: "no-cache",
            content,
        }
    }
}

/// The portal's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/portal/examples.json", get(examples))
        .route("/portal/{*name}", get(asset))
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
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX,
    )
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.media_type),
                (header::CACHE_CONTROL, a.cache),
            ],
            a.content,
        )
            .into_response(),
        None => super::not_found().await.into_response(),
    }
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

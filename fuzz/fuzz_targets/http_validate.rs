//! The HTTP request path: arbitrary bytes as a `POST /validate` body,
//! through the in-process router with the service's default limits and
//! budgets (a 5 s request timeout, so cancelled work ends well inside
//! libFuzzer's `-timeout`). The first byte picks the body's media type:
//! even, JSON; odd, a multipart form with the boundary `fuzz-b0undary`.
//! Every request must get an answer (no panic) that is not a 500.
#![no_main]
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Duration;
use tower::ServiceExt;
use upcheck::http::{AppState, Config, router};

/// The boundary of the multipart bodies.
const BOUNDARY: &str = "fuzz-b0undary";

struct Service {
    rt: tokio::runtime::Runtime,
    app: axum::Router,
}

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let mut cfg = Config::default();
        cfg.limits.request_timeout = Duration::from_secs(5);
        let app = rt.block_on(async { router(AppState::new(&cfg)) });
        Service { rt, app }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let media = if kind % 2 == 0 {
        "application/json".to_string()
    } else {
        format!("multipart/form-data; boundary={BOUNDARY}")
    };
    let req = Request::post("/validate")
        .header(header::CONTENT_TYPE, media)
        .body(Body::from(body.to_vec()))
        .expect("a request");
    let s = service();
    let status = s.rt.block_on(async {
        let res = s.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let _ = res.into_body().collect().await;
        status
    });
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "an internal error");
});

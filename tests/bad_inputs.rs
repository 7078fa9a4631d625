//! The bad-input suite over the HTTP API (issue 8, item 3): each case in
//! `tests/bad_inputs/cases.rs` is sent to the in-process router and must
//! get what a user should get — a 4xx `application/problem+json` when the
//! request is wrong, or a `200` report with a non-`pass` verdict and a
//! finding when a file inside a well-formed request is bad — and the
//! service must still answer `/healthz` afterwards. Nothing is timed here;
//! `cargo bench --bench bad_inputs` prints how long each case takes.

#[path = "bad_inputs/cases.rs"]
mod cases;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cases::{Case, Expect};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::atomic::Ordering;
use tower::ServiceExt;
use upcheck::http::{AppState, Config, router};

struct Answer {
    status: StatusCode,
    content_type: String,
    verdict_header: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(600)]).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

async fn send(app: &axum::Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let header = |name| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(header::CONTENT_TYPE.as_str()).unwrap_or_default();
    let verdict_header = header("x-upcheck-verdict");
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        content_type,
        verdict_header,
        body,
    }
}

/// Checks one answer against what the case expects; `Err` says why not.
fn check(case: &Case, a: &Answer) -> Result<(), String> {
    let why = |msg: String| Err(format!("{}: {msg}\n{}", case.name, a.text()));
    match case.expect {
        Expect::Problem(status, slug) => {
            if a.status.as_u16() != status {
                return why(format!("status {} (expected {status})", a.status));
            }
            if a.content_type != "application/problem+json" {
                return why(format!("content type {:?}", a.content_type));
            }
            let p = a.json();
            if p["type"] != format!("https://upcheck.dev/problems/{slug}") {
                return why(format!("problem type {} (expected {slug})", p["type"]));
            }
            if p["status"] != status || p["detail"].as_str().is_none_or(str::is_empty) {
                return why("status or detail missing in the problem".into());
            }
        }
        Expect::Finding(code) => {
            // The refusing rules (input upcheck cannot read, no nginx) are a
            // 422 carrying the report; every other finding is a verdict.
            let refusing = matches!(code, "UC0003" | "UC0005");
            let (status, media) = if refusing {
                (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json")
            } else {
                (StatusCode::OK, "application/json")
            };
            if a.status != status {
                return why(format!("status {} (expected {status})", a.status));
            }
            if a.content_type != media {
                return why(format!("content type {:?}", a.content_type));
            }
            let mut r = a.json();
            if refusing {
                if r["type"] != "https://upcheck.dev/problems/input-refused" {
                    return why(format!("problem type {}", r["type"]));
                }
                r = r["report"].take();
                if r["verdict"] != "error" {
                    return why(format!("verdict {} (expected error)", r["verdict"]));
                }
            }
            if r["verdict"] == "pass" || a.verdict_header.as_deref() == Some("pass") {
                return why("verdict pass".into());
            }
            let codes: Vec<&str> = r["findings"]
                .as_array()
                .map(|f| f.iter().filter_map(|f| f["code"].as_str()).collect())
                .unwrap_or_default();
            if !codes.contains(&code) {
                return why(format!("findings {codes:?} lack {code}"));
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_gets_a_problem_or_a_failing_report_and_the_service_survives() {
    let app = router(AppState::new(&Config::default()));
    let mut failures = Vec::new();
    for case in cases::cases() {
        let a = send(&app, (case.request)()).await;
        if let Err(e) = check(&case, &a) {
            failures.push(e);
        }
        let h = send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
        if h.status != StatusCode::OK {
            failures.push(format!(
                "{}: /healthz answered {} afterwards",
                case.name, h.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // A good request still gets its usual answer.
    let good = Request::post("/validate")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({
                "files": [{"path": "default.conf", "content": cases::SEED_CONF}],
                "documents": [{"content": cases::SEED_COMPOSE}],
            })
            .to_string(),
        ))
        .unwrap();
    let a = send(&app, good).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["findings"][0]["code"], "UC2001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_stream_is_refused_without_reading_it_all() {
    let app = router(AppState::new(&Config::default()));
    let case = cases::cases()
        .into_iter()
        .find(|c| c.name.starts_with("100 MB body streamed"))
        .unwrap();
    let a = send(&app, (case.request)()).await;
    check(&case, &a).unwrap();
    // Give the feeder a moment to notice the body was dropped.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let taken = cases::STREAMED.load(Ordering::SeqCst);
    let limit = Config::default().limits.max_body;
    assert!(
        taken <= limit + 4 * 1024 * 1024,
        "the server took {taken} bytes of a {} byte body (limit {limit})",
        cases::HUGE
    );
}

/// The budgets' hostile inputs say what they left out: the expansion
/// error names the include that crossed it, and the report counts the
/// findings and trace lines it did not list.
#[tokio::test]
async fn budgets_are_located_and_counted() {
    let app = router(AppState::new(&Config::default()));
    let by_name = |name: &str| {
        cases::cases()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case {name}"))
    };
    let a = send(
        &app,
        (by_name("include fan-out past the expansion budget").request)(),
    )
    .await;
    // Refused by the resolutions budget, located at the first upstream
    // past it; the report in the problem still names the include that
    // crossed the expansion budget.
    let r = a.json();
    assert!(
        r["detail"].as_str().unwrap().contains("(max_resolutions)"),
        "{r}"
    );
    assert!(r["location"]["file"].as_str().is_some(), "{r}");
    let finding = |text: &str| {
        r["report"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["message"].as_str().unwrap().contains(text))
            .cloned()
            .unwrap_or_else(|| panic!("no finding saying {text:?}: {}", a.text()))
    };
    let f = finding("with its includes expanded");
    assert!(
        f["location"]["file"].as_str().unwrap().starts_with("c/"),
        "{f}"
    );
    // 100 replicas of an nginx with 20 000 upstreams: one is resolved,
    // and the others are said to be left out, at the nginx service.
    let a = send(
        &app,
        (by_name("100 nginx replicas of 20 000 upstreams (resolutions budget)").request)(),
    )
    .await;
    let r = a.json();
    assert_eq!(r["summary"]["upstreams"], 20_000, "{}", a.text());
    let left_out = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "UC0004")
        .unwrap_or_else(|| panic!("no UC0004: {}", a.text()));
    assert!(
        left_out["message"]
            .as_str()
            .unwrap()
            .contains("`default-nginx-2` and 98 more replicas are left out"),
        "{left_out}"
    );
    assert_eq!(left_out["location"]["file"], "docker-compose.yml");
    let a = send(
        &app,
        (by_name("20 000 errors past the findings budget").request)(),
    )
    .await;
    let r = a.json();
    let s = &r["summary"];
    let counted: u64 = ["errors", "warnings", "infos"]
        .iter()
        .map(|k| s[k].as_u64().unwrap())
        .sum();
    assert!(s["errors"].as_u64().unwrap() >= 20_000, "{s}");
    assert_eq!(
        s["findings_omitted"].as_u64().unwrap() + r["findings"].as_array().unwrap().len() as u64,
        counted
    );
    let a = send(
        &app,
        (by_name("20 000-server group past the trace budget").request)(),
    )
    .await;
    let r = a.json();
    assert!(
        r["summary"]["trace_lines_omitted"].as_u64().unwrap() > 0,
        "{}",
        a.text()
    );
    // Compact JSON unless `?pretty`.
    assert!(!a.body.starts_with(b"{\n"));
    // The topology budgets refuse the document where they were crossed.
    for (name, budget, file) in [
        (
            "compose environment with ${X:- nested 5 000 deep",
            "max_interpolation_depth",
            "docker-compose.yml",
        ),
        (
            "compose environment with ${X:? nested 5 000 deep",
            "max_interpolation_depth",
            "docker-compose.yml",
        ),
        (
            "compose image with ${X- nested 5 000 deep",
            "max_interpolation_depth",
            "docker-compose.yml",
        ),
        (
            "compose image with ${X:+ nested 5 000 deep, X set",
            "max_interpolation_depth",
            "docker-compose.yml",
        ),
        (
            "50 KB options.env value referenced 20 000 times",
            "max_expanded_bytes",
            "docker-compose.yml",
        ),
        (
            "env file doubling its variables 40 times",
            "max_expanded_bytes",
            "app.env",
        ),
        (
            "8 000 services of 100 replicas past the units budget",
            "max_units",
            "docker-compose.yml",
        ),
    ] {
        let a = send(&app, (by_name(name).request)()).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            a.text()
        );
        let r = a.json()["report"].take();
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "UC0003" && f["message"].as_str().unwrap().contains(budget))
            .unwrap_or_else(|| panic!("{name}: no {budget} error in {}", r["findings"]));
        assert_eq!(f["location"]["file"], file, "{name}: {f}");
        assert!(f["location"]["line"].as_u64().unwrap() > 0, "{name}: {f}");
    }
}

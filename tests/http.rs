//! The HTTP service end to end: every endpoint, status and content type in
//! process (`router(state).oneshot(..)`), one real socket on port 0, the
//! committed OpenAPI document against the served one, and the README's
//! `curl` examples against a real `upcheck serve` process.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tower::ServiceExt;
use upcheck::http::{AppState, Config, router};
use upcheck::report::Format;

const SEED_CONF: &str = include_str!("../examples/seed-compose/default.conf");
const SEED_COMPOSE: &str = include_str!("../examples/seed-compose/docker-compose.yml");

fn test_state() -> AppState {
    AppState::new(&Config::default())
}

fn state_with(f: impl FnOnce(&mut Config)) -> AppState {
    let mut cfg = Config::default();
    f(&mut cfg);
    AppState::new(&cfg)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The body as a problem, checked for the shape every problem has.
    fn problem(&self, status: u16, slug: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        assert_eq!(self.content_type(), "application/problem+json");
        let p = self.json();
        assert_eq!(
            p["type"],
            format!("https://upcheck.dev/problems/{slug}"),
            "{p}"
        );
        assert_eq!(p["status"], status);
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(p["detail"].as_str().is_some_and(|t| !t.is_empty()));
        assert_eq!(
            p["request_id"].as_str(),
            self.header("x-request-id"),
            "problems carry the request id"
        );
        assert!(p["instance"].as_str().is_some_and(|i| i.starts_with('/')));
        p
    }
}

async fn send_to(app: Router, req: Request<Body>) -> Answer {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

async fn send(req: Request<Body>) -> Answer {
    send_to(router(test_state()), req).await
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post_json(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn seed_json() -> Value {
    json!({
        "files": [{"path": "default.conf", "content": SEED_CONF}],
        "documents": [{"path": "docker-compose.yml", "content": SEED_COMPOSE}],
    })
}

/// A multipart body: (field, file name, content).
fn multipart(uri: &str, parts: &[(&str, Option<&str>, &str)]) -> Request<Body> {
    let boundary = "upcheck-test-boundary-7d1f";
    let mut body = String::new();
    for (name, filename, content) in parts {
        body.push_str(&format!("--{boundary}\r\n"));
        match filename {
            Some(f) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )),
            None => body.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")),
        }
        body.push_str(content);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    Request::post(uri)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

fn seed_form(uri: &str) -> Request<Body> {
    multipart(
        uri,
        &[
            ("nginx", Some("default.conf"), SEED_CONF),
            ("topology", Some("docker-compose.yml"), SEED_COMPOSE),
        ],
    )
}

fn with_header(mut req: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    req.headers_mut().insert(name, value.parse().unwrap());
    req
}

// ---------------------------------------------------------------- /validate

#[tokio::test]
async fn validate_json_answers_a_failing_verdict_with_200_and_the_report() {
    let a = send(post_json("/validate", &seed_json())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.content_type(), "application/json");
    assert_eq!(a.header("x-upcheck-verdict"), Some("fail"));
    let r = a.json();
    assert_eq!(r["verdict"], "fail");
    assert_eq!(r["findings"][0]["code"], "UC2001", "{r}");
    assert_eq!(r["upstreams"][0]["status"], "unreachable");
    assert!(
        r["findings"][0]["fixes"][0]["diff"]
            .as_str()
            .unwrap()
            .contains("+        proxy_pass http://model_test:6001;")
    );
}

#[tokio::test]
async fn validate_accepts_one_nginx_string_and_options() {
    let body = json!({
        "nginx": "server { listen 80; location / { proxy_pass http://app:6001; } }",
        "documents": [{"content": "services:\n  nginx:\n    image: nginx\n    ports: [\"80:80\"]\n  app:\n    image: python\n    command: flask run --host=0.0.0.0 --port=6001\n", "format": "compose"}],
        "options": {"nginx_service": "nginx", "project": "demo", "env": {"TAG": "1"}, "subnets": {"default": "10.1.0.0/24"}}
    });
    let a = send(post_json("/validate", &body)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let r = a.json();
    assert_eq!(r["verdict"], "pass", "{r}");
    assert_eq!(a.header("x-upcheck-verdict"), Some("pass"));
    let files: Vec<&str> = r["input"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"nginx.conf") && files.contains(&"topology.yaml"),
        "{files:?}"
    );
}

#[tokio::test]
async fn validate_multipart_gives_the_same_verdict_with_file_names_as_paths() {
    let a = send(seed_form("/validate")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let r = a.json();
    assert_eq!(r["verdict"], "fail");
    assert_eq!(r["findings"][0]["location"]["file"], "default.conf");
    assert_eq!(r["findings"][0]["location"]["line"], 10);
}

/// `curl -F 'nginx=@conf/default.conf;filename=conf/default.conf'` keeps
/// the directory: the report and SARIF name the file as the repository
/// does, relative to `%SRCROOT%`, and `helpUri` links the configured docs.
#[tokio::test]
async fn validate_multipart_keeps_directories_in_file_names_and_sarif_links_the_docs() {
    let compose = SEED_COMPOSE.replace("./default.conf:", "./conf/default.conf:");
    let app = router(state_with(|c| {
        c.docs_url =
            Some(upcheck::report::DocsUrl::served_by("https://upcheck.example.com").unwrap())
    }));
    let a = send_to(
        app,
        multipart(
            "/validate?format=sarif",
            &[
                ("nginx", Some("conf/default.conf"), SEED_CONF),
                ("topology", Some("docker-compose.yml"), &compose),
            ],
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let run = &a.json()["runs"][0];
    let found = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(found["uri"], "conf/default.conf", "{run}");
    assert_eq!(found["uriBaseId"], "%SRCROOT%");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    let rule = &run["tool"]["driver"]["rules"][0];
    assert_eq!(
        rule["helpUri"],
        format!(
            "https://upcheck.example.com/rules/{}",
            rule["id"].as_str().unwrap()
        )
    );
    // Without a docs URL there is no link at all, never a placeholder.
    let plain = send(seed_form("/validate?format=sarif")).await.json();
    let rules = plain["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .clone();
    assert!(rules.iter().all(|r| r.get("helpUri").is_none()));
}

#[tokio::test]
async fn validate_multipart_takes_options_as_form_fields() {
    let a = send(multipart(
        "/validate",
        &[
            ("nginx", Some("default.conf"), SEED_CONF),
            ("topology", Some("docker-compose.yml"), SEED_COMPOSE),
            ("topology_format", None, "compose"),
            ("nginx_service", None, "nginx"),
            ("env", None, "TAG=1.27"),
            ("subnets", None, "default=192.168.48.0/20"),
        ],
    ))
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["verdict"], "fail");
}

#[tokio::test]
async fn the_report_format_follows_accept_or_the_format_parameter() {
    let cases = [
        (None, None, "application/json"),
        (Some("*/*"), None, "application/json"),
        (
            Some("application/sarif+json"),
            None,
            "application/sarif+json",
        ),
        (Some("text/markdown"), None, "text/markdown; charset=utf-8"),
        (Some("text/plain"), None, "text/plain; charset=utf-8"),
        (
            Some("text/*;q=0.5, application/json;q=0.1"),
            None,
            "text/markdown; charset=utf-8",
        ),
        (Some("text/html"), Some("sarif"), "application/sarif+json"),
        (None, Some("markdown"), "text/markdown; charset=utf-8"),
        (None, Some("text"), "text/plain; charset=utf-8"),
        (None, Some("json"), "application/json"),
        (
            Some("application/xml"),
            None,
            "application/xml; charset=utf-8",
        ),
        (None, Some("junit"), "application/xml; charset=utf-8"),
        (None, Some("github"), "text/plain; charset=utf-8"),
        (None, Some("gitlab"), "application/json"),
        (None, Some("slack"), "application/json"),
        (None, Some("mattermost"), "application/json"),
        (None, Some("svg"), "image/svg+xml; charset=utf-8"),
    ];
    for (accept, format, want) in cases {
        let uri = match format {
            Some(f) => format!("/validate?format={f}"),
            None => "/validate".to_string(),
        };
        let mut req = post_json(&uri, &seed_json());
        if let Some(a) = accept {
            req = with_header(req, "accept", a);
        }
        let a = send(req).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{accept:?} {format:?}: {}",
            a.text()
        );
        assert_eq!(a.content_type(), want, "{accept:?} {format:?}");
        assert_eq!(a.header("vary"), Some("accept"));
        let text = a.text();
        match want {
            "application/sarif+json" => {
                let s = a.json();
                assert_eq!(s["version"], "2.1.0");
                assert_eq!(s["runs"][0]["results"][0]["ruleId"], "UC2001", "{s}");
            }
            "application/json" if format == Some("gitlab") => {
                assert_eq!(a.json()[0]["check_name"], "UC2001", "{text}")
            }
            "application/json" if format == Some("slack") => {
                let m = a.json();
                assert!(m["text"].as_str().unwrap().contains("upcheck: fail"), "{m}");
                assert!(
                    m["blocks"][2]["text"]["text"]
                        .as_str()
                        .unwrap()
                        .contains("`UC2001`"),
                    "{m}"
                );
            }
            "application/json" if format == Some("mattermost") => {
                let m = a.json();
                assert!(
                    m["text"].as_str().unwrap().contains("**upcheck: fail**"),
                    "{m}"
                );
                assert_eq!(m["attachments"][0]["color"], "#d0021b", "{m}");
            }
            "application/json" => assert_eq!(a.json()["verdict"], "fail"),
            "text/markdown; charset=utf-8" => assert!(text.contains("**upcheck: fail**"), "{text}"),
            "application/xml; charset=utf-8" => {
                assert!(text.contains("<testsuite name=\"upcheck: fail\""), "{text}")
            }
            "image/svg+xml; charset=utf-8" => {
                assert!(
                    text.contains("<svg") && text.contains("nothing listens"),
                    "{text}"
                )
            }
            _ if format == Some("github") => {
                assert!(
                    text.starts_with("::error file=default.conf,line="),
                    "{text}"
                )
            }
            _ => assert!(text.starts_with("upcheck: fail"), "{text}"),
        }
    }
}

#[tokio::test]
async fn each_format_has_its_own_path_answering_the_same_as_the_parameter() {
    for f in Format::ALL {
        let by_param = send(post_json(
            &format!("/validate?format={}", f.name()),
            &seed_json(),
        ))
        .await;
        // `Accept` is not read: the path names the format.
        let by_path = send(with_header(
            post_json(&format!("/validate/{}", f.name()), &seed_json()),
            "accept",
            "text/html",
        ))
        .await;
        assert_eq!(by_path.status, StatusCode::OK, "{}", by_path.text());
        assert_eq!(by_path.content_type(), by_param.content_type(), "{f:?}");
        assert_eq!(by_path.header("x-upcheck-verdict"), Some("fail"));
        assert_eq!(by_path.text(), by_param.text(), "{f:?}");
    }
    // A form works there too, and `?pretty` indents the JSON.
    let a = send(seed_form("/validate/sarif")).await;
    assert_eq!(a.json()["runs"][0]["results"][0]["ruleId"], "UC2001");
    let a = send(post_json("/validate/json?pretty", &seed_json())).await;
    assert!(a.text().starts_with("{\n  \""), "{}", a.text());
    let p = send(post_json("/validate/html", &seed_json()))
        .await
        .problem(404, "not-found");
    assert!(p["detail"].as_str().unwrap().contains("sarif"), "{p}");
    // An unreadable input is the same 422 as on `/validate`.
    let mut body = seed_json();
    body["documents"][0]["content"] = json!("services: [");
    let a = send(post_json("/validate/markdown", &body)).await;
    assert_eq!(
        a.problem(422, "input-refused")["report"]["verdict"],
        "error"
    );
}

#[tokio::test]
async fn an_unacceptable_accept_is_406_and_a_bad_format_400() {
    let a = send(with_header(
        post_json("/validate", &seed_json()),
        "accept",
        "text/html",
    ))
    .await;
    let p = a.problem(406, "not-acceptable");
    assert_eq!(p["field"], "accept");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("application/sarif+json")
    );
    let a = send(post_json("/validate?format=xml", &seed_json())).await;
    assert_eq!(a.problem(400, "invalid-parameter")["field"], "format");
}

#[tokio::test]
async fn malformed_json_is_400_and_a_wrong_shape_422_naming_the_field() {
    let req = Request::post("/validate")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"documents\": [}"))
        .unwrap();
    let p = send(req).await.problem(400, "malformed-json");
    assert!(p["detail"].as_str().unwrap().contains("line 1"), "{p}");

    let mut body = seed_json();
    body["documents"][0]["format"] = json!("swarm");
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "invalid-request");
    assert_eq!(p["field"], "/documents/0/format");

    let mut body = seed_json();
    body["optoins"] = json!({});
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "invalid-request");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `optoins`"),
        "{p}"
    );

    let mut body = seed_json();
    body["files"][0]["path"] = json!("");
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "invalid-request");
    assert_eq!(p["field"], "/files/0/path");
}

#[tokio::test]
async fn a_wrong_or_missing_content_type_is_415() {
    let req = Request::post("/validate")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("server {}"))
        .unwrap();
    let p = send(req).await.problem(415, "unsupported-media-type");
    assert_eq!(p["field"], "content-type");
    let req = Request::post("/validate").body(Body::from("{}")).unwrap();
    send(req).await.problem(415, "unsupported-media-type");
}

#[tokio::test]
async fn input_errors_are_422_problems_naming_the_field() {
    // (A compose file that mounts the nginx files places them itself; this
    // one mounts nothing, so `main` decides.)
    let plain = "services:\n  nginx:\n    image: nginx:1.27\n";
    let body = json!({"files": [{"path": "default.conf", "content": SEED_CONF}],
                      "documents": [{"content": plain}], "main": "nginx.conf"});
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "invalid-input");
    assert_eq!(p["field"], "/main");
    assert!(p["detail"].as_str().unwrap().contains("`nginx.conf`"));

    let mut body = seed_json();
    body["documents"][0]["path"] = json!("default.conf");
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "invalid-input");
    assert_eq!(p["field"], "/documents/0/path");

    let mut body = seed_json();
    body["documents"] = json!([]);
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "invalid-input");
    assert_eq!(p["field"], "/documents");

    let mut body = seed_json();
    body["options"] = json!({"pod_cidr": "10.0.0.0/99"});
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "invalid-input");
    assert_eq!(p["field"], "/options/pod_cidr");

    // The same errors from a form name the form field.
    let a = send(multipart(
        "/validate",
        &[
            ("nginx", Some("default.conf"), SEED_CONF),
            ("topology", Some("docker-compose.yml"), plain),
            ("main", None, "nginx.conf"),
        ],
    ))
    .await;
    assert_eq!(a.problem(422, "invalid-input")["field"], "main");
    let a = send(multipart(
        "/validate",
        &[("nginx", Some("default.conf"), SEED_CONF)],
    ))
    .await;
    assert_eq!(a.problem(422, "invalid-input")["field"], "topology");
    let a = send(multipart("/validate", &[("nginx", None, SEED_CONF)])).await;
    assert_eq!(a.problem(422, "invalid-request")["field"], "nginx");
    let a = send(multipart("/validate", &[("colour", None, "blue")])).await;
    assert_eq!(a.problem(422, "invalid-request")["field"], "colour");
}

#[tokio::test]
async fn an_input_the_engine_cannot_read_is_422_with_the_refused_report_inside() {
    // A topology that is no format upcheck reads: not a verdict on the
    // configuration, so not a 200, and never `fail`.
    let body = json!({"nginx": SEED_CONF,
                      "documents": [{"path": "stack.yml", "content": "just: [a, list\n"}]});
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "input-refused");
    assert_eq!(p["report"]["verdict"], "error", "{p}");
    let refusal = &p["report"]["refusal"];
    assert_eq!(refusal["code"], "UC0003", "{p}");
    assert_eq!(p["detail"], refusal["message"]);
    assert_eq!(p["location"]["file"], "stack.yml", "{p}");
    // Whatever format was asked for, the refusal is the problem document.
    let a = send(with_header(
        post_json("/validate?format=sarif", &body),
        "accept",
        "application/sarif+json",
    ))
    .await;
    a.problem(422, "input-refused");
}

#[tokio::test]
async fn manifests_whose_nginx_configmap_is_in_none_of_them_are_refused_at_the_mount() {
    // No nginx file, and nginx's conf.d is a ConfigMap made by `kubectl
    // create configmap`: nothing to judge, so no pass over nothing.
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    \
                    - name: nginx\n      image: nginx:1.27\n      volumeMounts:\n        \
                    - mountPath: /etc/nginx/conf.d\n          name: conf\n  volumes:\n    \
                    - name: conf\n      configMap:\n        name: nginx\n";
    let body = json!({"documents": [{"path": "pod.yaml", "content": manifest}]});
    let p = send(post_json("/validate", &body))
        .await
        .problem(422, "input-refused");
    assert_eq!(p["report"]["refusal"]["code"], "UC0009", "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("ConfigMap `nginx`"),
        "{p}"
    );
    assert_eq!(p["location"]["file"], "pod.yaml", "{p}");
    assert_eq!(p["location"]["line"], 10, "{p}");
}

#[tokio::test]
async fn a_broken_form_is_400() {
    let req = Request::post("/validate")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=xyz")
        .body(Body::from(
            "--xyz\r\nContent-Disposition: form-data; name=\"nginx\"\r\n\r\nunterminated",
        ))
        .unwrap();
    send(req).await.problem(400, "malformed-multipart");
}

// ------------------------------------------------------------------ limits

#[tokio::test]
async fn bodies_over_the_limit_are_413_declared_or_streamed() {
    let app = router(state_with(|c| c.limits.max_body = 64));
    let big = "x".repeat(200);
    let a = send_to(app.clone(), post_json("/validate", &json!({"nginx": big}))).await;
    let p = a.problem(413, "body-too-large");
    assert_eq!(p["limit"], 64);
    // No Content-Length: the limit stops the read.
    let (mut tx, rx) = http_body_util::channel::Channel::<Bytes>::new(4);
    let req = Request::post("/validate")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::new(rx))
        .unwrap();
    let feeder = tokio::spawn(async move {
        for _ in 0..10 {
            if tx.send_data(Bytes::from("x".repeat(50))).await.is_err() {
                break;
            }
        }
    });
    send_to(app, req).await.problem(413, "body-too-large");
    feeder.abort();
}

#[tokio::test]
async fn too_many_files_and_deep_nesting_are_422() {
    let app = router(state_with(|c| {
        c.limits.max_files = 2;
        c.limits.max_depth = 4;
    }));
    let files: Vec<Value> = (0..3)
        .map(|i| json!({"path": format!("f{i}.conf"), "content": ""}))
        .collect();
    let body = json!({"files": files, "documents": [{"content": SEED_COMPOSE}]});
    let p = send_to(app.clone(), post_json("/validate", &body))
        .await
        .problem(422, "too-many-files");
    assert_eq!(
        (p["field"].as_str(), p["limit"].as_u64()),
        (Some("/files"), Some(2))
    );

    let deep = "a {b {c {d {e { } } } } }";
    let body = json!({"files": [{"path": "deep.conf", "content": deep}], "documents": [{"content": SEED_COMPOSE}]});
    let p = send_to(app.clone(), post_json("/validate", &body))
        .await
        .problem(422, "nesting-too-deep");
    assert_eq!(p["field"], "/files/0/content");
    assert_eq!(
        p["location"],
        json!({"file": "deep.conf", "line": 1, "column": 15})
    );

    let body = json!({"nginx": "x", "documents": [{"content": "y"}], "options": {"env": {"A": "b"}}, "main": [[[[[["x"]]]]]]});
    let p = send_to(app, post_json("/validate", &body))
        .await
        .problem(422, "nesting-too-deep");
    assert_eq!(p["limit"], 4);
}

/// Polls `cond` every 5 ms for up to 10 s.
async fn wait_until(cond: impl Fn() -> bool) {
    for _ in 0..2000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition not met within 10 s");
}

/// A request body that never ends, to hold a validation slot.
fn endless_request(uri: &str) -> (http_body_util::channel::Sender<Bytes>, Request<Body>) {
    let (tx, rx) = http_body_util::channel::Channel::<Bytes>::new(1);
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::new(rx))
        .unwrap();
    (tx, req)
}

#[tokio::test]
async fn a_busy_service_sheds_load_with_503_and_retry_after() {
    let state = state_with(|c| c.limits.max_concurrency = 1);
    let app = router(state.clone());
    let held = state.slots.clone().try_acquire_owned().unwrap();
    let a = send_to(
        app.clone(),
        post_json("/parse", &json!({"nginx": "events {}"})),
    )
    .await;
    let p = a.problem(503, "overloaded");
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(p["limit"], 1);
    // Health stays up while the work routes are full.
    assert_eq!(
        send_to(app.clone(), get("/healthz")).await.status,
        StatusCode::OK
    );
    drop(held);
    let a = send_to(app, post_json("/parse", &json!({"nginx": "events {}"}))).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "the slot is free again: {}",
        a.text()
    );
}

/// Work is admitted by its bytes, not only counted: while the work in
/// progress holds most of `max_work_bytes`, a small request still runs and
/// a large one is shed as when every slot is busy (503, `Retry-After`, the
/// budget as `limit`); alone, a request larger than the whole budget runs.
#[tokio::test]
async fn work_is_admitted_by_its_bytes_not_only_by_its_count() {
    let state = state_with(|c| c.limits.max_work_bytes = 64 * 1024);
    let app = router(state.clone());
    let with_comment = |bytes: usize| {
        let mut body = seed_json();
        body["files"][0]["content"] = json!(format!("{SEED_CONF}#{}\n", "x".repeat(bytes)));
        body
    };
    let held = state
        .work
        .clone()
        .try_acquire_many_owned(state.limits.work_weight(56 * 1024))
        .unwrap();
    let small = send_to(app.clone(), post_json("/validate", &seed_json())).await;
    assert_eq!(small.status, StatusCode::OK, "{}", small.text());
    let large = send_to(app.clone(), post_json("/validate", &with_comment(20_000))).await;
    let p = large.problem(503, "overloaded");
    assert_eq!(large.header("retry-after"), Some("1"));
    assert_eq!(p["limit"], 64 * 1024);
    assert!(
        p["detail"].as_str().unwrap().contains("max_work_bytes"),
        "{p}"
    );
    drop(held);
    let larger_than_the_budget =
        send_to(app.clone(), post_json("/validate", &with_comment(100_000))).await;
    assert_eq!(
        larger_than_the_budget.status,
        StatusCode::OK,
        "{}",
        larger_than_the_budget.text()
    );
    assert_eq!(
        state.work.available_permits(),
        64,
        "every byte is given back"
    );
}

#[tokio::test]
async fn bodies_still_arriving_hold_no_validation_slot() {
    let state = state_with(|c| c.limits.max_concurrency = 2);
    let app = router(state.clone());
    let uploads: Vec<_> = (0..16)
        .map(|_| {
            let (tx, req) = endless_request("/validate");
            (tx, tokio::spawn(send_to(app.clone(), req)))
        })
        .collect();
    wait_until(|| state.requests_in_flight() >= 16).await;
    assert_eq!(state.slots.available_permits(), 2);
    let a = send_to(app.clone(), post_json("/validate", &seed_json())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    for (_, task) in uploads {
        task.abort();
    }
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_408_and_closes() {
    let app = router(state_with(|c| {
        c.limits.body_timeout = Duration::from_millis(50)
    }));
    let (_tx, slow) = endless_request("/validate");
    let a = send_to(app, slow).await;
    let p = a.problem(408, "body-timeout");
    assert_eq!(p["limit"], 50);
    assert_eq!(a.header("connection"), Some("close"));
}

#[tokio::test]
async fn a_request_past_the_timeout_is_503() {
    let app = router(state_with(|c| {
        c.limits.request_timeout = Duration::from_millis(50)
    }));
    let (_tx, slow) = endless_request("/validate");
    let a = send_to(app, slow).await;
    let p = a.problem(503, "timeout");
    assert!(p["detail"].as_str().unwrap().contains("50 ms"));
}

/// The work of a timed-out request stops at its deadline: the worker finds
/// it passed (here, after the test hook's delay) and gives up instead of
/// validating, the cancellation is counted, and its slot goes to the next
/// request, which is timed out in turn rather than shed as overloaded.
#[tokio::test]
async fn a_validation_past_the_timeout_is_stopped_and_frees_its_slot() {
    let state = state_with(|c| {
        c.limits.request_timeout = Duration::from_millis(100);
        c.limits.max_concurrency = 1;
        c.work_delay = Some(Duration::from_millis(300));
    });
    let app = router(state.clone());
    let cancelled = |state: &AppState| {
        state
            .metrics
            .render()
            .lines()
            .find_map(|l| l.strip_prefix("upcheck_validations_cancelled_total "))
            .map_or(0, |n| n.trim().parse::<u64>().unwrap())
    };
    for round in 1..=2 {
        let a = send_to(app.clone(), post_json("/validate", &seed_json())).await;
        a.problem(503, "timeout");
        wait_until(|| state.slots.available_permits() == 1).await;
        assert_eq!(
            cancelled(&state),
            round,
            "the validation was stopped, not finished"
        );
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let app = router(state_with(|c| c.limits.rate_per_minute = 2));
    for _ in 0..2 {
        let a = send_to(
            app.clone(),
            post_json("/parse", &json!({"nginx": "events {}"})),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK);
    }
    let a = send_to(
        app.clone(),
        post_json("/parse", &json!({"nginx": "events {}"})),
    )
    .await;
    a.problem(429, "rate-limited");
    let wait: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait));
    assert_eq!(
        send_to(app, get("/rules")).await.status,
        StatusCode::OK,
        "rules are not limited"
    );
}

/// A request from `peer` with an `X-Forwarded-For` header, as the accept
/// loop hands it to the router.
fn from_peer(peer: &str, xff: Option<&str>) -> Request<Body> {
    let mut req = post_json("/parse", &json!({"nginx": "events {}"}));
    let addr: std::net::SocketAddr = peer.parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    match xff {
        Some(v) => with_header(req, "x-forwarded-for", v),
        None => req,
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_rate_limit_keys_on_the_forwarded_client() {
    let app = router(state_with(|c| {
        c.limits.rate_per_minute = 1;
        c.proxies = upcheck::http::TrustedProxies::new(
            vec!["10.0.0.0/8".parse().unwrap()],
            upcheck::http::ForwardedHeader::XForwardedFor,
        );
    }));
    let status = |req| {
        let app = app.clone();
        async move { send_to(app, req).await.status.as_u16() }
    };
    // Two clients behind one proxy have a bucket each.
    assert_eq!(
        status(from_peer("10.0.0.2:5000", Some("198.51.100.1"))).await,
        200
    );
    assert_eq!(
        status(from_peer("10.0.0.2:5001", Some("198.51.100.2"))).await,
        200
    );
    assert_eq!(
        status(from_peer("10.0.0.3:5002", Some("198.51.100.1"))).await,
        429
    );
    // A client cannot pick a fresh address by writing the header itself:
    // the proxy appends what it saw, and that is what counts.
    assert_eq!(
        status(from_peer(
            "10.0.0.2:5003",
            Some("203.0.113.50, 198.51.100.2")
        ))
        .await,
        429
    );
    // From a peer that is not a trusted proxy, the header is ignored.
    assert_eq!(
        status(from_peer("192.0.2.7:6000", Some("198.51.100.9"))).await,
        200
    );
    assert_eq!(
        status(from_peer("192.0.2.7:6001", Some("198.51.100.10"))).await,
        429
    );
}

// -------------------------------------------------------------------- auth

#[tokio::test]
async fn tokens_guard_validate_and_parse_only() {
    let app = router(state_with(|c| {
        c.tokens = vec!["s3cret".into(), "other".into()]
    }));
    for req in [
        post_json("/validate", &seed_json()),
        post_json("/parse", &json!({"nginx": "events {}"})),
    ] {
        let a = send_to(app.clone(), req).await;
        let p = a.problem(401, "unauthorized");
        assert_eq!(p["field"], "authorization");
        assert_eq!(
            a.header("www-authenticate"),
            Some("Bearer realm=\"upcheck\"")
        );
    }
    let wrong = with_header(
        post_json("/validate", &seed_json()),
        "authorization",
        "Bearer nope",
    );
    let p = send_to(app.clone(), wrong)
        .await
        .problem(401, "unauthorized");
    assert!(p["detail"].as_str().unwrap().contains("not valid"));
    let right = with_header(
        post_json("/validate", &seed_json()),
        "authorization",
        "Bearer other",
    );
    assert_eq!(send_to(app.clone(), right).await.status, StatusCode::OK);
    // 401 comes before the body is looked at.
    let unread = Request::post("/validate").body(Body::from("junk")).unwrap();
    send_to(app.clone(), unread)
        .await
        .problem(401, "unauthorized");
    for open in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/rules",
        "/rules/UC2001",
        "/openapi.json",
        "/docs/",
    ] {
        let a = send_to(app.clone(), get(open)).await;
        assert_eq!(a.status, StatusCode::OK, "{open} stays open");
    }
}

// ------------------------------------------------------------------ /parse

#[tokio::test]
async fn parse_answers_crossplane_json_for_json_and_forms() {
    let a = send(post_json("/parse", &json!({"nginx": SEED_CONF}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.content_type(), "application/json");
    let p = a.json();
    assert_eq!(p["status"], "ok");
    assert_eq!(p["config"][0]["file"], "nginx.conf");
    assert_eq!(p["config"][0]["parsed"][0]["directive"], "server");
    assert!(
        p["config"][0]["parsed"][0]["pos"].is_object(),
        "positions by default"
    );

    let body = json!({
        "files": [
            {"path": "nginx.conf", "content": "events {}\nhttp { include conf.d/*.conf; }\n"},
            {"path": "conf.d/a.conf", "content": "server { listen 80 }\n"}
        ],
        "options": {"no_positions": true, "combine": true}
    });
    let p = send(post_json("/parse", &body)).await.json();
    assert_eq!(p["status"], "failed", "a parse error is data: {p}");
    assert!(p["config"][0]["parsed"][0].get("pos").is_none());
    assert!(
        p["errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("conf.d/a.conf")
    );

    let a = send(multipart(
        "/parse",
        &[
            ("nginx", Some("default.conf"), SEED_CONF),
            ("context", None, "http"),
        ],
    ))
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["config"][0]["file"], "default.conf");

    let p = send(post_json(
        "/parse",
        &json!({"files": [{"path": "a.conf", "content": ""}], "main": "b.conf"}),
    ))
    .await
    .problem(422, "invalid-input");
    assert_eq!(p["field"], "/main");
    send(post_json("/parse", &json!({})))
        .await
        .problem(422, "invalid-input");
    send(with_header(
        post_json("/parse", &json!({"nginx": "x;"})),
        "accept",
        "text/plain",
    ))
    .await
    .problem(406, "not-acceptable");
}

// ------------------------------------------------------------------ /rules

#[tokio::test]
async fn rules_list_every_rule_with_a_link() {
    let a = send(get("/rules")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type(), "application/json");
    let l = a.json();
    let rules = l["rules"].as_array().unwrap();
    assert_eq!(rules.len(), upcheck::rules::registry::RULES.len());
    let r = rules.iter().find(|r| r["code"] == "UC2001").unwrap();
    assert_eq!(r["href"], "/rules/UC2001");
    assert!(["error", "warning", "info"].contains(&r["severity"].as_str().unwrap()));
    assert!(!r["summary"].as_str().unwrap().is_empty());
    assert!(l["retired"].is_array());
    send(with_header(get("/rules"), "accept", "image/png"))
        .await
        .problem(406, "not-acceptable");
}

#[tokio::test]
async fn one_rule_as_json_or_as_its_markdown_page() {
    let a = send(get("/rules/uc2001")).await;
    assert_eq!(a.status, StatusCode::OK, "codes match in any case");
    let r = a.json();
    assert_eq!(r["code"], "UC2001");
    assert!(r["docs"].as_str().unwrap().contains("## What it does"));
    assert!(r["source"].as_str().unwrap().starts_with("src/rules/"));

    let a = send(with_header(get("/rules/UC2001"), "accept", "text/markdown")).await;
    assert_eq!(a.content_type(), "text/markdown; charset=utf-8");
    assert!(a.text().starts_with("# UC2001: "), "{}", a.text());

    // A browser following SARIF's helpUri gets the page as HTML.
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let a = send(with_header(get("/rules/UC2001"), "accept", browser)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type(), "text/html; charset=utf-8");
    let page = a.text();
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(page.contains("<h1>UC2001: loopback-upstream-nothing-listens</h1>"));
    assert!(page.contains("<h2>Why is this bad?</h2>"));
    assert!(page.contains("<pre><code class=\"language-nginx\">"));
    assert_eq!(a.header("vary"), Some("accept"));
}

#[tokio::test]
async fn an_unknown_rule_is_404_with_suggestions() {
    let p = send(get("/rules/UC2O01"))
        .await
        .problem(404, "rule-not-found");
    assert_eq!(p["field"], "code");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("did you mean UC2001"),
        "{p}"
    );
    // Not ASCII: no suggestion, no panic.
    send(get("/rules/%C3%80%C2%AC%3A"))
        .await
        .problem(404, "rule-not-found");
}

// -------------------------------------------------------------- operations

#[tokio::test]
async fn health_and_readiness() {
    let state = test_state();
    let a = send_to(router(state.clone()), get("/healthz")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["status"], "ok");
    assert_eq!(
        send_to(router(state.clone()), get("/readyz")).await.json()["status"],
        "ready"
    );
    state.set_ready(false);
    let a = send_to(router(state), get("/readyz")).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(a.json()["status"], "shutting-down");
}

#[tokio::test]
async fn metrics_count_requests_verdicts_and_rule_hits() {
    let state = test_state();
    let app = router(state.clone());
    assert_eq!(
        send_to(app.clone(), post_json("/validate", &seed_json()))
            .await
            .status,
        StatusCode::OK
    );
    send_to(app.clone(), get("/nope")).await;
    let a = send_to(app, get("/metrics")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    let m = a.text();
    for want in [
        "upcheck_http_requests_total{route=\"/validate\",method=\"POST\",status=\"200\"} 1",
        "upcheck_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1",
        "upcheck_http_request_duration_seconds_bucket{route=\"/validate\",method=\"POST\",status=\"200\",le=\"+Inf\"} 1",
        "upcheck_verdicts_total{verdict=\"fail\"} 1",
        "upcheck_rule_hits_total{code=\"UC2001\"} 1",
    ] {
        assert!(m.contains(want), "missing {want} in\n{m}");
    }
}

/// A fresh service's first scrape already says which build runs and how
/// the process is doing, and lists every verdict at zero.
#[tokio::test]
async fn the_first_scrape_has_build_info_and_process_metrics() {
    let a = send(get("/metrics")).await;
    assert_eq!(a.status, StatusCode::OK);
    let m = a.text();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        m.contains(&format!("upcheck_build_info{{version=\"{version}\"}} 1\n")),
        "{m}"
    );
    assert!(
        m.contains("upcheck_verdicts_total{verdict=\"fail\"} 0\n"),
        "{m}"
    );
    #[cfg(target_os = "linux")]
    for (name, kind) in [
        ("process_cpu_seconds_total", "counter"),
        ("process_resident_memory_bytes", "gauge"),
        ("process_virtual_memory_bytes", "gauge"),
        ("process_open_fds", "gauge"),
        ("process_max_fds", "gauge"),
        ("process_start_time_seconds", "gauge"),
    ] {
        assert!(
            m.contains(&format!("# TYPE {name} {kind}\n{name} ")),
            "{name} in\n{m}"
        );
    }
    // Every sample line is `name{labels} value` with a number.
    for line in m.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}

#[tokio::test]
async fn request_ids_are_echoed_when_tame_and_made_otherwise() {
    let a = send(with_header(get("/healthz"), "x-request-id", "ci-run-42")).await;
    assert_eq!(a.header("x-request-id"), Some("ci-run-42"));
    let a = send(with_header(get("/nope"), "x-request-id", "ci-run-43")).await;
    assert_eq!(a.problem(404, "not-found")["request_id"], "ci-run-43");
    let a = send(with_header(
        get("/healthz"),
        "x-request-id",
        "no spaces <allowed>",
    ))
    .await;
    let made = a.header("x-request-id").unwrap();
    assert_eq!(made.len(), 36, "a UUID: {made}");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let p = send(get("/parse/extra")).await.problem(404, "not-found");
    assert_eq!(p["instance"], "/parse/extra");
    let a = send(get("/validate")).await;
    a.problem(405, "method-not-allowed");
    assert_eq!(a.header("allow"), Some("POST"));
    let a = send(Request::delete("/rules").body(Body::empty()).unwrap()).await;
    a.problem(405, "method-not-allowed");
}

#[tokio::test]
async fn security_headers_on_every_response_and_a_csp_for_the_docs() {
    for uri in ["/healthz", "/nope", "/docs/"] {
        let a = send(get(uri)).await;
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"), "{uri}");
        assert_eq!(a.header("x-frame-options"), Some("DENY"));
        assert_eq!(a.header("referrer-policy"), Some("no-referrer"));
        let csp = a.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(
            csp.contains("script-src 'self'"),
            uri == "/docs/",
            "{uri}: {csp}"
        );
    }
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary() {
    let a = send(get("/docs")).await;
    assert!(a.status.is_redirection());
    let a = send(get("/docs/")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type().starts_with("text/html"));
    let page = a.text();
    assert!(!page.contains("https://"), "no CDN: {page}");
    let a = send(get("/docs/swagger-ui-bundle.js")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.len() > 100_000);
    let a = send(get("/docs/swagger-initializer.js")).await;
    assert!(a.text().contains("/openapi.json"));
}

#[tokio::test]
async fn cors_allows_only_the_listed_origins() {
    let app = router(state_with(|c| {
        c.cors_origins = vec!["https://portal.example.com".into()]
    }));
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/validate")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .body(Body::empty())
            .unwrap()
    };
    let a = send_to(app.clone(), preflight("https://portal.example.com")).await;
    assert!(a.status.is_success(), "{}", a.status);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://portal.example.com")
    );
    let a = send_to(app.clone(), preflight("https://evil.example.com")).await;
    assert_eq!(a.header("access-control-allow-origin"), None);
    let a = send_to(
        app,
        with_header(
            post_json("/validate", &seed_json()),
            "origin",
            "https://portal.example.com",
        ),
    )
    .await;
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://portal.example.com")
    );
    assert!(
        a.header("access-control-expose-headers")
            .unwrap()
            .contains("x-upcheck-verdict")
    );
    let a = send(with_header(
        get("/healthz"),
        "origin",
        "https://portal.example.com",
    ))
    .await;
    assert_eq!(
        a.header("access-control-allow-origin"),
        None,
        "no CORS unless configured"
    );
}

// ------------------------------------------------------------------ OpenAPI

fn committed_spec_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json")
}

#[tokio::test]
async fn the_committed_openapi_document_is_the_served_one() {
    let a = send(get("/openapi.json")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type(), "application/json");
    let served = a.text();
    let path = committed_spec_path();
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &served).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served,
        "openapi/openapi.json differs from the served document; run `UPDATE_OPENAPI=1 cargo test --test http` and commit the result"
    );
}

#[test]
fn the_openapi_document_lists_every_status_and_carries_the_seed() {
    let doc: Value = serde_json::from_str(upcheck::http::openapi::spec_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut routes: Vec<&str> = paths.keys().map(String::as_str).collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            "/chat/mattermost",
            "/chat/slack",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/parse",
            "/readyz",
            "/reports/{id}",
            "/reports/{id}/diagram.svg",
            "/reports/{id}/request",
            "/rules",
            "/rules/{code}",
            "/validate",
            "/validate/github",
            "/validate/gitlab",
            "/validate/json",
            "/validate/junit",
            "/validate/markdown",
            "/validate/mattermost",
            "/validate/sarif",
            "/validate/slack",
            "/validate/svg",
            "/validate/text",
        ]
    );
    // One media type per format path, so a generated client knows what it
    // parses; the rest of the operation is /validate's.
    for f in Format::ALL {
        let post = &paths[&format!("/validate/{}", f.name())]["post"];
        let media: Vec<&String> = post["responses"]["200"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(media, [f.media_type()], "{f:?}");
        assert_eq!(post["operationId"], format!("validate_{}", f.name()));
        assert_eq!(
            post["requestBody"],
            paths["/validate"]["post"]["requestBody"]
        );
        assert_eq!(
            post["responses"]["422"],
            paths["/validate"]["post"]["responses"]["422"]
        );
    }
    let submission = [
        "200", "400", "401", "406", "408", "413", "415", "422", "429", "500", "503",
    ];
    // Only /validate stores reports: 201 and a full store (507) are its own.
    let validate = [
        "200", "201", "400", "401", "406", "408", "413", "415", "422", "429", "500", "503", "507",
    ];
    for (op, expected) in [("/validate", &validate[..]), ("/parse", &submission[..])] {
        let post = &paths[op]["post"];
        let statuses: Vec<&str> = post["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(statuses, expected, "{op}");
        assert_eq!(post["security"], json!([{"bearer": []}]));
        let form = &post["requestBody"]["content"]["multipart/form-data"];
        assert!(form.is_object(), "{op} takes a form");
    }
    let example =
        &paths["/validate"]["post"]["requestBody"]["content"]["application/json"]["example"];
    assert_eq!(example["nginx"], SEED_CONF);
    assert_eq!(example["documents"][0]["content"], SEED_COMPOSE);
    let ok = &paths["/validate"]["post"]["responses"]["200"]["content"];
    for media in [
        "application/json",
        "application/sarif+json",
        "text/markdown",
        "text/plain",
    ] {
        assert!(ok[media].is_object(), "{media}");
    }
    let responses = &doc["components"]["responses"];
    for (name, slug) in [
        ("Unprocessable", "too-many-files"),
        ("Unavailable", "overloaded"),
        ("PayloadTooLarge", "body-too-large"),
        ("RequestTimeout", "body-timeout"),
        ("BadRequest", "malformed-request"),
        ("HeadersTooLarge", "headers-too-large"),
    ] {
        let examples = &responses[name]["content"]["application/problem+json"]["examples"];
        assert!(examples[slug].is_object(), "{name} documents {slug}");
    }
    // The patterns the service enforces are the ones documented.
    let cidr = &doc["components"]["schemas"]["Cidr"]["pattern"];
    assert_eq!(cidr, upcheck::http::request::CIDR_PATTERN);
    assert_eq!(
        doc["components"]["schemas"]["Ipv4"]["pattern"],
        upcheck::http::request::IPV4_PATTERN
    );
}

#[tokio::test]
async fn the_report_has_every_field_the_document_requires() {
    let doc: Value = serde_json::from_str(upcheck::http::openapi::spec_json()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let r = send(post_json("/validate", &seed_json())).await.json();
    let check = |schema: &str, v: &Value| {
        for f in schemas[schema]["required"].as_array().unwrap() {
            assert!(
                v.get(f.as_str().unwrap()).is_some(),
                "{schema}.{f} missing in {v}"
            );
        }
    };
    check("Report", &r);
    check("Summary", &r["summary"]);
    check("Upstream", &r["upstreams"][0]);
    check("Finding", &r["findings"][0]);
    check("Fix", &r["findings"][0]["fixes"][0]);
    check("Location", &r["findings"][0]["location"]);
}

// -------------------------------------------------------------- real socket

/// GET over a plain TCP connection, HTTP/1.1 by hand: (status, headers+body).
fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_socket_on_port_0_serves_and_shuts_down_gracefully() {
    use std::io::{Read, Write};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = test_state();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(upcheck::http::serve_on(
        listener,
        state.clone(),
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));
    let (status, raw) = tokio::task::spawn_blocking(move || http_get(addr, "/healthz"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{raw}");
    assert!(raw.to_ascii_lowercase().contains("x-request-id: "), "{raw}");
    assert!(raw.contains("\"status\":\"ok\""), "{raw}");

    // A request in flight when shutdown starts: headers and half the body.
    let body = json!({"nginx": "events {}"}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let (first, rest) = (first.to_string(), rest.to_string());
    let mut inflight = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "POST /parse HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
            body.len()
        )
        .unwrap();
        s
    })
    .await
    .unwrap();
    // The request is in flight while its body is read.
    wait_until(|| state.requests_in_flight() > 0).await;
    stop.send(()).unwrap();
    wait_until(|| !state.is_ready()).await;
    let refused = tokio::task::spawn_blocking(move || {
        (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            std::net::TcpStream::connect(addr).is_err()
        })
    })
    .await
    .unwrap();
    assert!(refused, "no new connections once shutdown starts");
    let answer = tokio::task::spawn_blocking(move || {
        inflight.write_all(rest.as_bytes()).unwrap();
        let mut out = String::new();
        inflight.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the in-flight request finished: {answer}"
    );
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops once in-flight requests are done")
        .unwrap()
        .unwrap();
}

/// `upcheck healthcheck` probes where `serve` listens: `UPCHECK_LISTEN` or
/// `--listen`, an unspecified address on loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_probes_the_address_serve_listens_on() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(upcheck::http::serve_on(
        listener,
        test_state(),
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));
    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let probe = |args: Vec<String>, listen: Option<String>| {
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_upcheck"));
            cmd.arg("healthcheck").args(args).env_clear();
            if let Some(l) = listen {
                cmd.env("UPCHECK_LISTEN", l);
            }
            cmd.output().unwrap().status.code()
        })
    };
    let env = |a: &str| Some(a.to_string());
    assert_eq!(
        probe(vec![], env(&format!("127.0.0.1:{port}")))
            .await
            .unwrap(),
        Some(0)
    );
    assert_eq!(
        probe(vec![], env(&format!("0.0.0.0:{port}")))
            .await
            .unwrap(),
        Some(0)
    );
    let flag = vec!["--listen".to_string(), format!("0.0.0.0:{port}")];
    assert_eq!(
        probe(flag, env(&format!("127.0.0.1:{closed}")))
            .await
            .unwrap(),
        Some(0)
    );
    assert_eq!(
        probe(vec![], env(&format!("0.0.0.0:{closed}")))
            .await
            .unwrap(),
        Some(1)
    );
    let url = vec![
        "--url".to_string(),
        format!("http://127.0.0.1:{port}/healthz"),
    ];
    assert_eq!(
        probe(url, env(&format!("127.0.0.1:{closed}")))
            .await
            .unwrap(),
        Some(0)
    );
    // Port 0 names no port to probe.
    assert_eq!(probe(vec![], env("127.0.0.1:0")).await.unwrap(), Some(2));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn validate_takes_env_files_and_profiles_as_options() {
    // gunicorn binds 127.0.0.1:8000 unless PORT is set: the env file decides.
    let compose = "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n  api:\n    image: python:3.12\n    command: gunicorn app:app\n    env_file: app.env\n  debug:\n    image: python:3.12\n    profiles: [dev]\n";
    let body = |env_files: Value, profiles: Value| {
        serde_json::json!({
            "nginx": "server { listen 80; location / { proxy_pass http://api:8000; } }",
            "documents": [{"path": "docker-compose.yml", "content": compose}],
            "options": {"nginx_service": "nginx", "env_files": env_files, "profiles": profiles},
        })
    };
    let with = send(post_json(
        "/validate",
        &body(
            serde_json::json!([{"path": "app.env", "content": "PORT=8000\n"}]),
            serde_json::json!(["dev"]),
        ),
    ))
    .await;
    assert_eq!(with.status, StatusCode::OK, "{}", with.text());
    assert_eq!(with.json()["verdict"], "pass", "{}", with.text());
    let without = send(post_json(
        "/validate",
        &body(serde_json::json!([]), serde_json::json!([])),
    ))
    .await;
    assert_eq!(without.status, StatusCode::OK);
    let r = without.json();
    assert_eq!(r["verdict"], "fail", "{r}");
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "UC2003"),
        "{r}"
    );
}

fn slash(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// Slack's signature of `body` sent at `ts` (Unix seconds).
fn slack_signed(secret: &str, ts: u64, body: &str) -> Request<Body> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    let sig: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let req = with_header(
        slash("/chat/slack", body),
        "x-slack-signature",
        &format!("v0={sig}"),
    );
    with_header(req, "x-slack-request-timestamp", &ts.to_string())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_signed_slack_slash_command_gets_block_kit_and_a_bad_signature_401() {
    let secret = "slack-signing-secret-for-tests";
    let app = || {
        router(state_with(|c| {
            c.chat.slack_signing_secret = Some(secret.into());
        }))
    };
    let body = "token=legacy&command=%2Fupcheck&text=explain+UC2001&user_id=U1";
    let a = send_to(app(), slack_signed(secret, now(), body)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let m = a.json();
    assert_eq!(m["response_type"], "ephemeral");
    let text = m["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("*UC2001 loopback-upstream-nothing-listens*"),
        "{text}"
    );
    // Help, for an empty command, names the per-format path to post files to.
    let a = send_to(app(), slack_signed(secret, now(), "text=")).await;
    assert!(
        a.json()["text"]
            .as_str()
            .unwrap()
            .contains("/validate/slack")
    );
    // Signed with another secret, tampered with, or too old: 401.
    let a = send_to(app(), slack_signed("another", now(), body)).await;
    a.problem(401, "unauthorized");
    let mut req = slack_signed(secret, now(), body);
    *req.body_mut() = Body::from(body.replace("UC2001", "UC2002"));
    send_to(app(), req).await.problem(401, "unauthorized");
    let a = send_to(app(), slack_signed(secret, now() - 600, body)).await;
    assert!(
        a.problem(401, "unauthorized")["detail"]
            .as_str()
            .unwrap()
            .contains("5 minutes")
    );
    // Not a form: 415. Without a signing secret the route is off: 404.
    let a = send_to(app(), post_json("/chat/slack", &json!({"text": "help"}))).await;
    a.problem(415, "unsupported-media-type");
    let a = send(slack_signed(secret, now(), body)).await;
    assert!(
        a.problem(404, "not-found")["detail"]
            .as_str()
            .unwrap()
            .contains("--slack-signing-secret")
    );
}

#[tokio::test]
async fn a_mattermost_slash_command_needs_its_token() {
    let app = || {
        router(state_with(|c| {
            c.chat.mattermost_tokens = vec!["mm-token-1".into(), "mm-token-2".into()];
        }))
    };
    let a = send_to(
        app(),
        slash("/chat/mattermost", "token=mm-token-2&text=rules"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let m = a.json();
    assert_eq!(m["response_type"], "ephemeral");
    let text = m["text"].as_str().unwrap();
    assert!(
        text.starts_with("**upcheck rules**") && text.contains("`UC2001`"),
        "{text}"
    );
    let a = send_to(
        app(),
        slash("/chat/mattermost", "token=mm-token-3&text=rules"),
    )
    .await;
    a.problem(401, "unauthorized");
    let a = send_to(app(), slash("/chat/mattermost", "text=rules")).await;
    a.problem(401, "unauthorized");
    let a = send_to(
        app(),
        slash("/chat/mattermost", "token=mm-token-1&text=frobnicate"),
    )
    .await;
    assert!(
        a.json()["text"]
            .as_str()
            .unwrap()
            .contains("`frobnicate` is not a command")
    );
    send(slash("/chat/mattermost", "token=x"))
        .await
        .problem(404, "not-found");
}

#[tokio::test]
async fn the_portal_serves_its_modules_and_the_vendored_editor_from_the_binary() {
    for (path, cache) in [
        ("/portal/portal.js", "no-cache"),
        ("/portal/render.js", "no-cache"),
        ("/portal/editors.js", "no-cache"),
        ("/portal/project.js", "no-cache"),
        ("/portal/vendor/codemirror.js", "public, max-age=86400"),
    ] {
        let a = send(get(path)).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.content_type(), "text/javascript; charset=utf-8", "{path}");
        assert_eq!(a.header("cache-control"), Some(cache), "{path}");
        assert!(
            a.header("content-security-policy")
                .is_some_and(|csp| csp.contains("style-src 'self';")),
            "{path}: the portal's policy, no inline style"
        );
    }
    let editor = send(get("/portal/vendor/codemirror.js")).await;
    let text = std::str::from_utf8(&editor.body).unwrap();
    assert!(text.starts_with("/*! The upcheck portal's code editor"));
    assert!(text.contains("@codemirror/view@") && text.contains("MIT License"));
    assert!(text.contains("export{"), "an ES module");
    let page = send(get("/")).await;
    let html = std::str::from_utf8(&page.body).unwrap();
    assert!(html.contains(r#"<script type="module" src="/portal/portal.js">"#));
    assert_eq!(
        send(get("/portal/nothing.js")).await.status,
        StatusCode::NOT_FOUND
    );
}

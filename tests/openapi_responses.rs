//! Every answer obeys the OpenAPI document the service serves: each
//! scenario under `tests/scenarios/` is POSTed to `/validate` as JSON in
//! every report format, and the answer is checked against what the served
//! document declares for its status and media type, with a JSON Schema
//! validator (`$ref`s resolved against the document's components).
//!
//! The report's schemas stay open to additions for clients, but here every
//! object schema that lists its properties is closed
//! (`additionalProperties: false`), so a field an answer carries and the
//! document does not declare fails the test.

mod common;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};
use std::path::Path;
use tower::ServiceExt;
use upcheck::http::{AppState, Config, router};
use upcheck::input::Input;

/// The served document.
async fn served_spec() -> Value {
    let (status, _, body) = send(Request::get("/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_slice(&body).expect("the served document is JSON")
}

async fn send(req: Request<Body>) -> (StatusCode, String, Bytes) {
    let res = router(AppState::new(&Config::default()))
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status();
    let ct = (res.headers().get(header::CONTENT_TYPE))
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, ct, body)
}

/// A scenario's input as the JSON body of `POST /validate`.
fn json_body(input: &Input) -> Value {
    let file = |path: &str, content: &[u8]| json!({"path": path, "content": String::from_utf8(content.to_vec()).expect("UTF-8 input")});
    let o = &input.options;
    let mut options = Map::new();
    for (k, v) in [
        ("nginx_service", &o.nginx_service),
        ("project", &o.project),
        ("namespace", &o.namespace),
    ] {
        if let Some(v) = v {
            options.insert(k.into(), json!(v));
        }
    }
    options.insert("env".into(), json!(o.env));
    options.insert("subnets".into(), json!(o.subnets));
    options.insert("profiles".into(), json!(o.profiles));
    let env_files: Vec<Value> = (o.env_files.iter())
        .map(|f| file(&f.path, &f.content))
        .collect();
    options.insert("env_files".into(), Value::Array(env_files));
    let mut body = json!({
        "files": input.nginx.iter().map(|f| file(&f.path, &f.content)).collect::<Vec<_>>(),
        "documents": input.topology.iter().map(|t| file(&t.file.path, &t.file.content)).collect::<Vec<_>>(),
        "options": options,
    });
    if let Some(main) = &input.nginx_main {
        body["main"] = json!(main);
    }
    // nginx's files inside the manifests (a ConfigMap): no `files` at all.
    if input.nginx.is_empty() {
        body.as_object_mut().unwrap().remove("files");
    }
    body
}

/// Closes every object schema that lists its properties, so an
/// undeclared field is an error.
fn close(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            m.values_mut().for_each(close);
        }
        Value::Array(a) => a.iter_mut().for_each(close),
        _ => {}
    }
}

/// Follows a `$ref` to `#/components/...` within the document.
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.strip_prefix('#').expect("a local reference"))
            .unwrap_or_else(|| panic!("dangling reference {r}")),
        None => v,
    }
}

/// The answers `POST /validate` declares, by status then media type, each
/// a validator with the document's components (closed) beside it.
struct Declared {
    doc: Value,
    components: Value,
}

impl Declared {
    fn new(doc: Value) -> Declared {
        let mut components = doc["components"].clone();
        close(&mut components);
        Declared { doc, components }
    }

    /// The schema declared for `status` and `media` (without parameters).
    fn schema(&self, path: &str, status: StatusCode, media: &str) -> Result<Value, String> {
        let op = &self.doc["paths"][path]["post"];
        let res = &op["responses"][status.as_str()];
        if res.is_null() {
            return Err(format!("status {status} is not declared"));
        }
        let content = &deref(&self.doc, res)["content"];
        let Some(media_doc) = content.get(media) else {
            let declared: Vec<&String> = content
                .as_object()
                .into_iter()
                .flatten()
                .map(|e| e.0)
                .collect();
            return Err(format!("{status} declares {declared:?}, not `{media}`"));
        };
        let mut schema = media_doc["schema"].clone();
        let m = schema.as_object_mut().expect("a schema object");
        m.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        m.insert("components".into(), self.components.clone());
        Ok(schema)
    }

    /// Errors of an answer against what is declared for it.
    fn check(&self, status: StatusCode, content_type: &str, body: &[u8]) -> Vec<String> {
        self.check_at("/validate", status, content_type, body)
    }

    /// Errors of an answer of the operation at `path`.
    fn check_at(
        &self,
        path: &str,
        status: StatusCode,
        content_type: &str,
        body: &[u8],
    ) -> Vec<String> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        let schema = match self.schema(path, status, media) {
            Ok(s) => s,
            Err(e) => return vec![e],
        };
        let instance = if media.ends_with("json") {
            match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => return vec![format!("`{media}` but not JSON: {e}")],
            }
        } else {
            match std::str::from_utf8(body) {
                Ok(s) => Value::String(s.into()),
                Err(e) => return vec![format!("`{media}` but not UTF-8: {e}")],
            }
        };
        let validator = jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|e| panic!("the schema of {status} {media} compiles: {e}"));
        validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

const FORMATS: [&str; 10] = [
    "json",
    "sarif",
    "markdown",
    "text",
    "github",
    "gitlab",
    "junit",
    "slack",
    "mattermost",
    "svg",
];

#[tokio::test]
async fn every_scenario_answers_as_the_served_document_declares_in_every_format() {
    let declared = Declared::new(served_spec().await);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let scenarios = common::subdirs(&root);
    assert!(
        scenarios.len() >= 4,
        "no scenarios under {}",
        root.display()
    );
    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeSet::new();
    for dir in &scenarios {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let body = json_body(&common::case_input(dir)).to_string();
        for format in FORMATS {
            let req = Request::post(format!("/validate?format={format}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            let (status, ct, answer) = send(req).await;
            statuses.insert(status.as_u16());
            for e in declared.check(status, &ct, &answer) {
                failures.push(format!("{name} ?format={format} ({status} {ct}): {e}"));
            }
            // The format's own path declares one media type: the same
            // answer must obey it.
            let path = format!("/validate/{format}");
            let req = Request::post(&path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            let (status_p, ct_p, answer_p) = send(req).await;
            if status_p != status || (status == StatusCode::OK && answer_p != answer) {
                failures.push(format!("{name} {path}: not the answer of ?format={format}"));
            }
            for e in declared.check_at(&path, status_p, &ct_p, &answer_p) {
                failures.push(format!("{name} {path} ({status_p} {ct_p}): {e}"));
            }
            if format == "sarif" && status == StatusCode::OK {
                let log: Value = serde_json::from_slice(&answer).unwrap_or_default();
                if log["version"] != "2.1.0" {
                    failures.push(format!("{name}: SARIF version {}", log["version"]));
                }
            }
            if format == "json" && status == StatusCode::OK {
                let r: Value = serde_json::from_slice(&answer).unwrap();
                if r["verdict"].as_str().is_none() {
                    failures.push(format!("{name}: a JSON report without a verdict"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} answers disobey the served document:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(statuses.contains(&200), "no scenario was answered 200");
}

#[tokio::test]
async fn negotiated_answers_carry_the_declared_media_types() {
    let declared = Declared::new(served_spec().await);
    let body = json_body(&common::case_input(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/seed-compose-loopback"),
    ))
    .to_string();
    for (accept, media) in [
        ("application/json", "application/json"),
        ("application/sarif+json", "application/sarif+json"),
        ("text/markdown", "text/markdown"),
        ("text/plain", "text/plain"),
        ("application/xml", "application/xml"),
    ] {
        let req = Request::post("/validate")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, accept)
            .body(Body::from(body.clone()))
            .unwrap();
        let (status, ct, answer) = send(req).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ct.split(';').next().unwrap(), media, "Accept: {accept}");
        let errors = declared.check(status, &ct, &answer);
        assert!(errors.is_empty(), "Accept: {accept}: {errors:#?}");
        if !media.ends_with("json") {
            let schema = declared.schema("/validate", status, media).unwrap();
            assert_eq!(schema["type"], "string", "{media} is declared as a string");
        }
    }
}

#[tokio::test]
async fn a_field_the_document_does_not_declare_fails_the_check() {
    let declared = Declared::new(served_spec().await);
    let body = json_body(&common::case_input(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/seed-compose-loopback"),
    ));
    let (status, ct, answer) = send(
        Request::post("/validate?format=json")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let report: Value = serde_json::from_slice(&answer).unwrap();
    assert!(declared.check(status, &ct, &answer).is_empty());
    // An undeclared field at each level the report nests objects in.
    for pointer in [
        "",
        "/summary",
        "/upstreams/0",
        "/upstreams/0/location",
        "/findings/0",
        "/findings/0/fixes/0",
        "/findings/0/fixes/0/edits/0/location",
        "/addresses/0",
        "/input",
        "/input/files/0",
    ] {
        let mut bad = report.clone();
        let target = bad
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("the seed's report has {pointer}"));
        target
            .as_object_mut()
            .unwrap()
            .insert("undeclared".into(), json!(1));
        let errors = declared.check(status, &ct, bad.to_string().as_bytes());
        assert!(
            !errors.is_empty(),
            "an undeclared field at `{pointer}` passed the check"
        );
    }
    // And a field the document requires, missing.
    let mut bad = report.clone();
    bad["upstreams"][0].as_object_mut().unwrap().remove("nginx");
    assert!(
        !declared
            .check(status, &ct, bad.to_string().as_bytes())
            .is_empty()
    );
}

#[tokio::test]
async fn a_refused_input_answers_the_declared_problem_with_the_report_inside() {
    let declared = Declared::new(served_spec().await);
    let body = json!({
        "nginx": "events {}\nhttp { server { location / { proxy_pass http://app:80; } } }\n",
        "documents": [{"path": "stack.yml", "content": "just: [a, list\n"}],
    });
    for format in FORMATS {
        let (status, ct, answer) = send(
            Request::post(format!("/validate?format={format}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "?format={format}");
        let errors = declared.check(status, &ct, &answer);
        assert!(errors.is_empty(), "?format={format}: {errors:#?}");
        let p: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(p["report"]["verdict"], "error", "{p}");
    }
}

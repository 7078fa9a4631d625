//! The bad inputs of the HTTP API, shared by `tests/bad_inputs.rs` (which
//! asserts what each gets) and `benches/bad_inputs.rs` (which times them).
//!
//! Each case is a request builder and what a user should get back: a 4xx
//! problem when the request itself is wrong (size, media type, JSON, shape,
//! limits), or a `200` report whose verdict is not `pass` with a finding
//! when the request is well formed but a file in it is bad (an alias bomb
//! inside a compose document is a UC0003 finding, an include cycle a UC0001).

#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const SEED_CONF: &str = include_str!("../../examples/seed-compose/default.conf");
pub const SEED_COMPOSE: &str = include_str!("../../examples/seed-compose/docker-compose.yml");

/// What a user should get for a case.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// An `application/problem+json` with this status and type slug.
    Problem(u16, &'static str),
    /// A `200` JSON report, verdict not `pass`, with a finding of this code.
    Finding(&'static str),
}

pub struct Case {
    pub name: &'static str,
    pub expect: Expect,
    /// Builds the request; call it inside a Tokio runtime (the streamed
    /// body spawns its feeder).
    pub request: fn() -> Request<Body>,
}

/// Bytes the 100 MB streamed body handed to the server before it stopped.
pub static STREAMED: AtomicUsize = AtomicUsize::new(0);
/// The size of the streamed body, had it been read to the end.
pub const HUGE: usize = 100 * 1024 * 1024;

fn raw(content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::post("/validate");
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(body.into()).unwrap()
}

fn json_req(v: &Value) -> Request<Body> {
    raw(Some("application/json"), v.to_string())
}

/// The seed nginx config against a compose document.
fn with_compose(compose: &str) -> Request<Body> {
    conf_and_compose(SEED_CONF, compose)
}

/// A `default.conf` against a compose document.
fn conf_and_compose(conf: &str, compose: &str) -> Request<Body> {
    json_req(&json!({
        "files": [{"path": "default.conf", "content": conf}],
        "documents": [{"path": "docker-compose.yml", "content": compose}],
    }))
}

/// nginx files against the seed compose document.
fn with_nginx(files: &[(&str, &str)]) -> Request<Body> {
    let files: Vec<Value> = files
        .iter()
        .map(|(p, c)| json!({"path": p, "content": c}))
        .collect();
    json_req(&json!({
        "files": files,
        "documents": [{"path": "docker-compose.yml", "content": SEED_COMPOSE}],
    }))
}

const BOUNDARY: &str = "upcheck-bad-input-b0undary";

fn form(parts: &[(&str, &str, &[u8])]) -> Request<Body> {
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    raw(
        Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
        body,
    )
}

/// A project upload whose tar.gz holds one 64 MiB file of zeros (about
/// 64 KB compressed), built once.
pub fn gzip_bomb() -> Vec<u8> {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| {
        use std::io::{Read, Write};
        let size = 64 << 20;
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o644);
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::best(),
        ));
        tar.append_data(&mut h, "docker-compose.yml", std::io::repeat(0).take(size))
            .unwrap();
        let mut gz = tar.into_inner().unwrap();
        gz.flush().unwrap();
        gz.finish().unwrap()
    })
    .clone()
}

/// A project upload whose tar holds an entry climbing out with `..`.
pub fn climbing_tar() -> Vec<u8> {
    let mut h = tar::Header::new_old();
    let name = b"../../etc/cron.d/x";
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_size(0);
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, &[][..]).unwrap();
    b.into_inner().unwrap()
}

/// Deterministic pseudo-random bytes (xorshift), half of them not UTF-8.
pub fn garbage(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Billion laughs: nine levels of nine aliases each, 9^9 strings expanded.
pub fn billion_laughs() -> String {
    let mut y = String::from(
        "x-lol0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..=9 {
        let prev = format!("*l{}", i - 1);
        let items = [prev.as_str(); 9].join(",");
        y.push_str(&format!("x-lol{i}: &l{i} [{items}]\n"));
    }
    y.push_str(SEED_COMPOSE);
    y
}

/// A quadratic bomb: one 2 000-item anchor referenced 2 000 times
/// (4 million nodes from a 30 KB document).
pub fn quadratic_aliases() -> String {
    let items = vec!["x"; 2000].join(",");
    let refs = vec!["*big"; 2000].join(",");
    format!("x-big: &big [{items}]\nx-refs: [{refs}]\n{SEED_COMPOSE}")
}

/// An include fan-out: 20 × `include c/*.conf`, 20 files each with 20 ×
/// `include d/*.conf`, 20 files each with an upstream block (23 KB that
/// expands to 160 000 upstream blocks).
pub fn include_fan_out() -> Vec<(String, String)> {
    let mut files = vec![(
        "nginx.conf".to_string(),
        format!(
            "events {{}}\nhttp {{\n{}    server {{ listen 80; location / {{ proxy_pass http://model_test:6001; }} }}\n}}\n",
            "    include c/*.conf;\n".repeat(20)
        ),
    )];
    for i in 0..20 {
        files.push((format!("c/{i}.conf"), "include d/*.conf;\n".repeat(20)));
        files.push((
            format!("d/{i}.conf"),
            format!("upstream u{i} {{ server model_test:6001; }}\n"),
        ));
    }
    files
}

/// `n` statements nginx rejects (`proxy_pass` outside a location): one
/// error finding each, past the report's findings budget.
pub fn rejected_directives(n: usize) -> String {
    let mut conf = String::from("server { listen 80; }\n");
    for i in 0..n {
        conf.push_str(&format!(
            "proxy_pass http://model_test:{};\n",
            1 + i % 60_000
        ));
    }
    conf
}

/// One upstream group of `n` servers, every other one on a port nothing
/// listens on: a trace per server, past the report's trace budget.
pub fn big_group(n: usize) -> String {
    let mut conf = String::from("upstream pool {\n");
    for i in 0..n {
        let port = if i % 2 == 0 { 6001 } else { 6002 };
        conf.push_str(&format!("  server model_test:{port};\n"));
    }
    conf.push_str("}\nserver { listen 80; location / { proxy_pass http://pool; } }\n");
    conf
}

/// The seed compose document with `${X<op>` nested 5 000 deep (30 KB) in
/// one of its values: the environment of `model_test`, or its image.
pub fn deep_interpolation(op: &str, field: &str) -> String {
    let deep = format!("{}v{}", format!("${{X{op}").repeat(5000), "}".repeat(5000));
    let value = match field {
        "image" => format!("    image: \"{deep}\"\n"),
        _ => format!("    environment:\n      - DEEP={deep}\n"),
    };
    SEED_COMPOSE.replacen("  model_test:\n", &format!("  model_test:\n{value}"), 1)
}

/// A compose document whose one value references a 50 KB variable 20 000
/// times (1 GB substituted, 120 KB written), and the variable.
pub fn env_amplification() -> (String, String) {
    let refs = "${BIG}".repeat(20_000);
    let compose = SEED_COMPOSE.replacen(
        "  model_test:\n",
        &format!("  model_test:\n    environment:\n      - AMPLIFIED={refs}\n"),
        1,
    );
    (compose, "b".repeat(50_000))
}

/// The seed compose document with `n` more services of `replicas` replicas
/// each (8 000 × 100 modelled 800 000 units).
pub fn replicas_bomb(n: usize, replicas: u32) -> String {
    let mut more = String::new();
    for i in 0..n {
        more.push_str(&format!(
            "  r{i}:\n    image: app\n    deploy: {{replicas: {replicas}}}\n"
        ));
    }
    SEED_COMPOSE.replacen("\nnetworks:\n", &format!("\n{more}networks:\n"), 1)
}

/// `replicas` replicas of an nginx with `n` upstreams (`location`s to
/// a flask service on a port it does not listen on, 36 bytes each): every
/// upstream is resolved from every replica, so 100 × 20 000 took 8 s and
/// 2.3 GB before the resolutions budget.
pub fn replicated_nginx(n: usize, replicas: u32) -> (String, String) {
    let mut conf = String::from("server {\nlisten 80;\n");
    for i in 0..n {
        conf.push_str(&format!("location /{i}{{proxy_pass http://m:1;}}\n"));
    }
    conf.push_str("}\n");
    let compose = format!(
        "services:\n  m:\n    image: python:3\n    command: flask run --host=0.0.0.0 --port=6001\n  nginx:\n    image: nginx:1.27\n    deploy: {{replicas: {replicas}}}\n    volumes: [\"./default.conf:/etc/nginx/conf.d/default.conf:ro\"]\n"
    );
    (conf, compose)
}

/// `n` server blocks, each listening on `listen(i)` and proxying to
/// 127.0.0.1:`target(i)`.
pub fn loopback_servers(n: usize, listen: fn(usize) -> String, target: fn(usize) -> u16) -> String {
    (0..n)
        .map(|i| {
            format!(
                "server {{ listen {}; location / {{ proxy_pass http://127.0.0.1:{}; }} }}\n",
                listen(i),
                target(i)
            )
        })
        .collect()
}

/// nginx and a backend that both join `networks` networks, and `n`
/// upstreams to the backend: each connection asked every network whether
/// its address was that network's gateway, or in its subnet.
pub fn many_networks(networks: usize, n: usize) -> (String, String) {
    let names: Vec<String> = (0..networks).map(|i| format!("n{i}")).collect();
    let joined = names.join(", ");
    let mut compose = format!(
        "services:\n  nginx:\n    image: nginx:1.27\n    networks: [{joined}]\n  app:\n    image: python:3\n    command: python -m http.server 80\n    networks: [{joined}]\nnetworks:\n"
    );
    for name in &names {
        compose.push_str(&format!("  {name}: {{}}\n"));
    }
    let mut conf = String::from("server {\nlisten 80;\n");
    for i in 0..n {
        conf.push_str(&format!("location /{i}{{proxy_pass http://app:80;}}\n"));
    }
    conf.push_str("}\n");
    (conf, compose)
}

/// `n` upstreams to a headless Service selecting the pods of `workloads`
/// Deployments of 64 pods (manifests, nginx's configuration in a
/// ConfigMap): every upstream connects to every pod, 32 million
/// connections for 10 000 upstreams and 50 workloads (68 s and 12 GB
/// before the addresses budget).
pub fn headless_fan_out(workloads: usize, n: usize) -> String {
    let mut conf = String::from("    server {\n    listen 80;\n");
    for i in 0..n {
        conf.push_str(&format!(
            "    location /{i}{{proxy_pass http://api:8000;}}\n"
        ));
    }
    conf.push_str("    }\n");
    let mut out = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: conf}}\ndata:\n  default.conf: |\n{conf}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: nginx}}\nspec:\n  selector: {{matchLabels: {{app: nginx}}}}\n  template:\n    metadata: {{labels: {{app: nginx}}}}\n    spec:\n      containers: [{{name: nginx, image: \"nginx:1.27\", volumeMounts: [{{name: conf, mountPath: /etc/nginx/conf.d}}]}}]\n      volumes: [{{name: conf, configMap: {{name: conf}}}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: api}}\nspec:\n  clusterIP: None\n  selector: {{app: api}}\n  ports: [{{port: 8000}}]\n"
    );
    for w in 0..workloads {
        out.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api{w}}}\nspec:\n  replicas: 64\n  selector: {{matchLabels: {{app: api}}}}\n  template:\n    metadata: {{labels: {{app: api}}}}\n    spec:\n      containers: [{{name: api, image: \"python:3\", command: [gunicorn, -b, \"0.0.0.0:8000\", \"app:app\"], ports: [{{containerPort: 8000}}]}}]\n"
        ));
    }
    out
}

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "compose environment with ${X:- nested 5 000 deep",
            expect: Expect::Finding("UC0003"),
            request: || with_compose(&deep_interpolation(":-", "environment")),
        },
        Case {
            name: "compose environment with ${X:? nested 5 000 deep",
            expect: Expect::Finding("UC0003"),
            request: || with_compose(&deep_interpolation(":?", "environment")),
        },
        Case {
            name: "compose image with ${X- nested 5 000 deep",
            expect: Expect::Finding("UC0003"),
            request: || with_compose(&deep_interpolation("-", "image")),
        },
        Case {
            name: "compose image with ${X:+ nested 5 000 deep, X set",
            expect: Expect::Finding("UC0003"),
            request: || {
                json_req(&json!({
                    "files": [{"path": "default.conf", "content": SEED_CONF}],
                    "documents": [{"path": "docker-compose.yml", "content": deep_interpolation(":+", "image")}],
                    "options": {"env": {"X": "x"}},
                }))
            },
        },
        Case {
            name: "50 KB options.env value referenced 20 000 times",
            expect: Expect::Finding("UC0003"),
            request: || {
                let (compose, big) = env_amplification();
                json_req(&json!({
                    "files": [{"path": "default.conf", "content": SEED_CONF}],
                    "documents": [{"path": "docker-compose.yml", "content": compose}],
                    "options": {"env": {"BIG": big}},
                }))
            },
        },
        Case {
            name: "env file doubling its variables 40 times",
            expect: Expect::Finding("UC0003"),
            request: || {
                let mut env = String::from("A0=xxxxxxxxxxxxxxxx\n");
                for i in 1..=40 {
                    env.push_str(&format!("A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
                }
                let compose = SEED_COMPOSE.replacen(
                    "  model_test:\n",
                    "  model_test:\n    env_file: app.env\n",
                    1,
                );
                json_req(&json!({
                    "files": [{"path": "default.conf", "content": SEED_CONF}],
                    "documents": [{"path": "docker-compose.yml", "content": compose}],
                    "options": {"env_files": [{"path": "app.env", "content": env}]},
                }))
            },
        },
        Case {
            name: "8 000 services of 100 replicas past the units budget",
            expect: Expect::Finding("UC0003"),
            request: || with_compose(&replicas_bomb(8000, 100)),
        },
        Case {
            name: "a Kubernetes env chain doubling its value 40 times",
            expect: Expect::Finding("UC0003"),
            request: || {
                let mut m = String::from(
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: app\n    args: [\"$(V39)\"]\n    env:\n    - {name: V0, value: \"0123456789abcdef\"}\n",
                );
                for i in 1..40 {
                    m.push_str(&format!(
                        "    - {{name: V{i}, value: \"$(V{p})$(V{p})\"}}\n",
                        p = i - 1
                    ));
                }
                json_req(&json!({
                    "files": [{"path": "default.conf", "content": SEED_CONF}],
                    "documents": [{"path": "pod.yaml", "content": m}],
                }))
            },
        },
        Case {
            name: "include fan-out past the expansion budget",
            // What the include budget lets through is still 63 000
            // upstreams: past the resolutions budget, the input is refused
            // (its report says both).
            expect: Expect::Problem(422, "input-refused"),
            request: || {
                let files = include_fan_out();
                let refs: Vec<(&str, &str)> = files
                    .iter()
                    .map(|(p, c)| (p.as_str(), c.as_str()))
                    .collect();
                with_nginx(&refs)
            },
        },
        Case {
            name: "20 000 errors past the findings budget",
            expect: Expect::Finding("UC0001"),
            request: || with_nginx(&[("default.conf", &rejected_directives(20_000))]),
        },
        Case {
            name: "20 000-server group past the trace budget",
            expect: Expect::Finding("UC2014"),
            request: || with_nginx(&[("default.conf", &big_group(20_000))]),
        },
        Case {
            name: "10 000 typos of 5 000 service names",
            expect: Expect::Finding("UC1001"),
            request: || {
                let (conf, compose) = typos(5_000, 10_000);
                conf_and_compose(&conf, &compose)
            },
        },
        Case {
            name: "14 000 addresses no unit holds, 5 000 services",
            expect: Expect::Finding("UC2012"),
            request: || {
                let (_, compose) = typos(5_000, 0);
                let mut conf = String::from("server {\n    listen 80;\n");
                for i in 0..14_000 {
                    conf.push_str(&format!(
                        "    location /l{i}/ {{ proxy_pass http://10.99.{}.{}:6379; }}\n",
                        i / 250,
                        i % 250 + 1
                    ));
                }
                conf.push_str("}\n");
                conf_and_compose(&conf, &compose)
            },
        },
        Case {
            name: "20 000 listens against a published range of 20 001 ports",
            expect: Expect::Finding("UC2012"),
            request: || {
                let compose = "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"40000-60000:40000-60000\"]\n";
                let conf: String = (1000..21_000)
                    .map(|p| format!("server {{ listen {p}; }}\n"))
                    .collect();
                conf_and_compose(&conf, compose)
            },
        },
        Case {
            name: "yaml billion laughs in a compose document",
            expect: Expect::Finding("UC0003"),
            request: || with_compose(&billion_laughs()),
        },
        Case {
            name: "yaml quadratic alias bomb in a compose document",
            expect: Expect::Finding("UC0003"),
            request: || with_compose(&quadratic_aliases()),
        },
        Case {
            name: "gzip bomb uploaded as a project (64 MiB in 64 KB)",
            expect: Expect::Problem(422, "invalid-input"),
            request: || form(&[("project", "project.tar.gz", &gzip_bomb())]),
        },
        Case {
            name: "project archive with a `..` entry",
            expect: Expect::Problem(422, "invalid-input"),
            request: || form(&[("project", "project.tar", &climbing_tar())]),
        },
        Case {
            name: "100 000 nested braces in nginx",
            expect: Expect::Problem(422, "nesting-too-deep"),
            request: || {
                let deep = format!("{}{}", "a {".repeat(100_000), "}".repeat(100_000));
                with_nginx(&[("default.conf", &deep)])
            },
        },
        Case {
            name: "100 000 unclosed braces in nginx",
            expect: Expect::Problem(422, "nesting-too-deep"),
            request: || with_nginx(&[("default.conf", &"{".repeat(100_000))]),
        },
        Case {
            name: "100 000 nested JSON arrays",
            expect: Expect::Problem(422, "nesting-too-deep"),
            request: || {
                let deep = format!(
                    "{{\"main\": {}{}}}",
                    "[".repeat(100_000),
                    "]".repeat(100_000)
                );
                raw(Some("application/json"), deep)
            },
        },
        Case {
            name: "100 MB body declared in Content-Length",
            expect: Expect::Problem(413, "body-too-large"),
            request: || {
                let mut r = raw(Some("application/json"), "{}");
                r.headers_mut()
                    .insert(header::CONTENT_LENGTH, HUGE.to_string().parse().unwrap());
                r
            },
        },
        Case {
            name: "100 MB body streamed without a length",
            expect: Expect::Problem(413, "body-too-large"),
            request: || {
                STREAMED.store(0, Ordering::SeqCst);
                let (mut tx, rx) = http_body_util::channel::Channel::<Bytes>::new(1);
                tokio::spawn(async move {
                    let chunk = Bytes::from(vec![b' '; 1024 * 1024]);
                    for _ in 0..HUGE / chunk.len() {
                        if tx.send_data(chunk.clone()).await.is_err() {
                            break;
                        }
                        STREAMED.fetch_add(chunk.len(), Ordering::SeqCst);
                    }
                });
                raw(Some("application/json"), Body::new(rx))
            },
        },
        Case {
            name: "invalid UTF-8 in a JSON body",
            expect: Expect::Problem(400, "malformed-json"),
            request: || {
                let mut body = b"{\"nginx\": \"server { listen 80; } ".to_vec();
                body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
                body.extend_from_slice(b"\", \"documents\": [{\"content\": \"services: {}\"}]}");
                raw(Some("application/json"), body)
            },
        },
        Case {
            name: "invalid UTF-8 in an uploaded nginx file",
            expect: Expect::Finding("UC0001"),
            request: || {
                let mut conf = SEED_CONF.as_bytes().to_vec();
                conf.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, b'\n']);
                form(&[
                    ("nginx", "default.conf", &conf),
                    ("topology", "docker-compose.yml", SEED_COMPOSE.as_bytes()),
                ])
            },
        },
        Case {
            name: "binary garbage as JSON",
            expect: Expect::Problem(400, "malformed-json"),
            request: || raw(Some("application/json"), garbage(64 * 1024)),
        },
        Case {
            name: "binary garbage as a multipart body",
            expect: Expect::Problem(400, "malformed-multipart"),
            request: || {
                raw(
                    Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
                    garbage(64 * 1024),
                )
            },
        },
        Case {
            name: "binary garbage as uploaded files",
            expect: Expect::Finding("UC0003"),
            request: || {
                // (Without braces: with them, the garbage nests blocks
                // deeper than the limit and gets a 422 instead.)
                let mut g = garbage(64 * 1024);
                g.retain(|b| *b != b'{' && *b != b'}');
                form(&[
                    ("nginx", "default.conf", &g),
                    ("topology", "docker-compose.yml", &g),
                ])
            },
        },
        Case {
            name: "text/plain content type",
            expect: Expect::Problem(415, "unsupported-media-type"),
            request: || raw(Some("text/plain"), "server { listen 80; }"),
        },
        Case {
            name: "application/yaml content type",
            expect: Expect::Problem(415, "unsupported-media-type"),
            request: || raw(Some("application/yaml"), SEED_COMPOSE),
        },
        Case {
            name: "no content type",
            expect: Expect::Problem(415, "unsupported-media-type"),
            request: || raw(None, "{}"),
        },
        Case {
            name: "multipart without a boundary",
            expect: Expect::Problem(400, "malformed-multipart"),
            request: || raw(Some("multipart/form-data"), "--x\r\n\r\n--x--\r\n"),
        },
        Case {
            name: "10 000 files in one JSON bundle",
            expect: Expect::Problem(422, "too-many-files"),
            request: || {
                let files: Vec<Value> = (0..10_000)
                    .map(|i| json!({"path": format!("conf.d/f{i}.conf"), "content": "# empty\n"}))
                    .collect();
                json_req(&json!({"files": files, "documents": [{"content": SEED_COMPOSE}]}))
            },
        },
        Case {
            name: "10 000 files in one multipart form",
            expect: Expect::Problem(422, "too-many-files"),
            request: || {
                // Lean parts (one-letter boundary, no part content type), so
                // the form stays under the 1 MiB body limit.
                let mut body = String::new();
                for i in 0..10_000 {
                    body.push_str(&format!(
                        "--b\r\nContent-Disposition: form-data; name=\"nginx\"; filename=\"f{i}\"\r\n\r\n\r\n"
                    ));
                }
                body.push_str(&format!(
                    "--b\r\nContent-Disposition: form-data; name=\"topology\"; filename=\"c.yml\"\r\n\r\n{SEED_COMPOSE}\r\n--b--\r\n"
                ));
                assert!(body.len() < 1024 * 1024, "{} bytes", body.len());
                raw(Some("multipart/form-data; boundary=b"), body)
            },
        },
        Case {
            name: "an include cycle",
            expect: Expect::Finding("UC0001"),
            request: || {
                with_nginx(&[
                    ("nginx.conf", "events {}\nhttp { include a.conf; }\n"),
                    ("a.conf", "include b.conf;\n"),
                    ("b.conf", "include a.conf;\n"),
                ])
            },
        },
        Case {
            name: "a file that includes itself",
            expect: Expect::Finding("UC0001"),
            request: || with_nginx(&[("nginx.conf", "events {}\nhttp { include nginx.conf; }\n")]),
        },
        Case {
            name: "nginx ports out of range",
            expect: Expect::Finding("UC2000"),
            request: || {
                with_nginx(&[(
                    "default.conf",
                    "server { listen 99999; location / { proxy_pass http://model_test:70000; } }\n",
                )])
            },
        },
        Case {
            name: "compose ports out of range",
            expect: Expect::Finding("UC0003"),
            request: || {
                with_compose(
                    &SEED_COMPOSE
                        .replace("\"9001:9001\"", "\"9001:99999\"")
                        .replace("\"6001\"", "\"65536\""),
                )
            },
        },
        Case {
            name: "100 nginx replicas of 20 000 upstreams (resolutions budget)",
            expect: Expect::Finding("UC0004"),
            request: || {
                let (conf, compose) = replicated_nginx(20_000, 100);
                conf_and_compose(&conf, &compose)
            },
        },
        Case {
            name: "one nginx of 36 000 upstreams (resolutions budget)",
            expect: Expect::Problem(422, "input-refused"),
            request: || with_nginx(&[("default.conf", &big_group(36_000))]),
        },
        Case {
            name: "10 000 server blocks on port 80 proxying to it",
            expect: Expect::Finding("UC2012"),
            request: || {
                let conf = loopback_servers(10_000, |i| format!("80; server_name s{i}"), |_| 80);
                with_nginx(&[("default.conf", &conf)])
            },
        },
        Case {
            name: "10 000 ports listening, 10 000 connections where none does",
            expect: Expect::Finding("UC2001"),
            request: || {
                let conf =
                    loopback_servers(10_000, |i| (1000 + i).to_string(), |i| 30000 + i as u16);
                with_nginx(&[("default.conf", &conf)])
            },
        },
        Case {
            name: "2 000 networks joined by nginx and its backend, 5 000 upstreams",
            expect: Expect::Finding("UC2012"),
            request: || {
                let (conf, compose) = many_networks(2_000, 5_000);
                conf_and_compose(&conf, &compose)
            },
        },
        Case {
            name: "10 000 upstreams to a headless Service of 3 200 pods (addresses budget)",
            expect: Expect::Problem(422, "input-refused"),
            request: || {
                json_req(&json!({
                    "documents": [{"path": "k8s.yaml", "content": headless_fan_out(50, 10_000)}],
                }))
            },
        },
        Case {
            name: "a Compose v1 file of 45 000 top-level services (1 MB)",
            // Refused for its format, listing five and counting the rest;
            // each key is looked at once (looking each up again by name
            // took 17 s at this size).
            expect: Expect::Problem(422, "input-refused"),
            request: || {
                let v1: String = (0..45_000)
                    .map(|i| format!("s{i}:\n  image: x\n"))
                    .collect();
                json_req(&json!({
                    "files": [{"path": "default.conf", "content": "events {}"}],
                    "documents": [{"path": "docker-compose.yml", "content": v1}],
                }))
            },
        },
        Case {
            name: "999 submitted nginx files that nothing includes (the files limit)",
            // One warning each (UC0010), found with set lookups, not a scan
            // of every placed file per file.
            expect: Expect::Finding("UC0010"),
            request: || {
                let mut files =
                    vec![json!({"path": "nginx.conf", "content": "events {}\nhttp {}\n"})];
                files.extend((0..999).map(|i| {
                    json!({"path": format!("sites/s{i}.conf"), "content": "server { listen 80; }\n"})
                }));
                json_req(&json!({
                    "files": files,
                    "documents": [{"path": "docker-compose.yml", "content": "services:\n  web:\n    image: nginx\n"}],
                }))
            },
        },
        Case {
            name: "an empty body",
            expect: Expect::Problem(400, "malformed-json"),
            request: || raw(Some("application/json"), ""),
        },
        Case {
            name: "an empty JSON object",
            // `documents` may be left out for a `project`: with neither,
            // there is no topology to validate.
            expect: Expect::Problem(422, "invalid-input"),
            request: || json_req(&json!({})),
        },
        Case {
            name: "empty nginx and compose contents",
            expect: Expect::Problem(422, "invalid-request"),
            request: || json_req(&json!({"nginx": "", "documents": [{"content": ""}]})),
        },
        Case {
            name: "an empty multipart form",
            expect: Expect::Problem(422, "invalid-input"),
            request: || form(&[]),
        },
        Case {
            name: "JSON with duplicate keys",
            expect: Expect::Problem(422, "invalid-request"),
            request: || {
                raw(
                    Some("application/json"),
                    format!(
                        "{{\"nginx\": \"events {{}}\", \"nginx\": \"events {{}}\", \"documents\": [{{\"content\": {}}}]}}",
                        serde_json::to_string(SEED_COMPOSE).unwrap()
                    ),
                )
            },
        },
    ]
}

/// `upstreams` proxy_pass to `t00000`…, each a letter off one of
/// `services` services `s00000`… and two off many: every name misses and
/// is close to many (near-name suggestions, hints).
fn typos(services: usize, upstreams: usize) -> (String, String) {
    let mut compose = String::from("services:\n  nginx:\n    image: nginx:1.27\n");
    for i in 0..services {
        compose.push_str(&format!("  s{i:05}:\n    image: redis:7\n"));
    }
    let mut conf = String::from("server {\n    listen 80;\n");
    for i in 0..upstreams {
        conf.push_str(&format!(
            "    location /l{i}/ {{ proxy_pass http://t{i:05}:6379; }}\n"
        ));
    }
    conf.push_str("}\n");
    (conf, compose)
}

//! Report permalinks end to end, against real `upcheck serve` processes:
//! `POST /validate?store=true` answers 201 with `Location: /reports/{id}`,
//! and the report, its picture and its request come back from there until
//! they are deleted. The same suite runs on SQLite (a data directory) and
//! on a real PostgreSQL server: a throwaway cluster made with Debian's
//! `initdb` and `pg_ctl` on a free port, which two service processes share
//! as replicas would. Without PostgreSQL (`apt-get install postgresql`)
//! that half is ignored with the reason.

mod real;

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn main() {
    real::main(vec![
        real::always("sqlite_reports_round_trip", sqlite_reports_round_trip),
        real::always(
            "a_slash_command_looks_a_stored_report_up",
            a_slash_command_looks_a_stored_report_up,
        ),
        real::always(
            "tokens_guard_stored_reports_but_not_the_page",
            tokens_guard_stored_reports_but_not_the_page,
        ),
        real::always(
            "a_server_without_storage_refuses_to_store",
            a_server_without_storage_refuses_to_store,
        ),
        real::always("caps_and_expiry_are_kept", caps_and_expiry_are_kept),
        real::always(
            "a_database_that_cannot_be_reached_stops_the_start_without_its_password",
            a_database_that_cannot_be_reached_stops_the_start_without_its_password,
        ),
        real::needs(
            "postgres_reports_round_trip_and_replicas_share_them",
            postgres_missing,
            postgres_reports_round_trip_and_replicas_share_them,
        ),
    ]);
}

/// An answer: status, headers (names lowercased), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request with `Connection: close`, read to the end.
fn http(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 4 + n..];
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The seed in compose (fails: `127.0.0.1:6001` is nginx's own loopback).
fn seed_json() -> Vec<u8> {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    serde_json::to_vec(&serde_json::json!({
        "nginx": read("examples/seed-compose/default.conf"),
        "documents": [{"path": "docker-compose.yml", "content": read("examples/seed-compose/docker-compose.yml")}],
    }))
    .unwrap()
}

/// The fixed seed as a multipart form of a project's files.
fn fixed_form() -> (String, Vec<u8>) {
    let boundary = "upcheck-test-boundary-7d1";
    let mut body = Vec::new();
    for (path, file) in [
        ("default.conf", "examples/seed-compose-fixed/default.conf"),
        (
            "docker-compose.yml",
            "examples/seed-compose-fixed/docker-compose.yml",
        ),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"project\"; filename=\"{path}\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&std::fs::read(root().join(file)).unwrap());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

const JSON: (&str, &str) = ("content-type", "application/json");
const PUBLIC: &str = "https://upcheck.example.com";

/// A fresh directory under the system's temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("upcheck-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A service that is killed when the test ends, however it ends.
struct Service(Child, String);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(args: &[&str]) -> Service {
    let (child, base) = real::upcheck_serve(args, Stdio::null());
    Service(child, base)
}

/// A service keeping reports in `dir` (SQLite), with `args` added.
fn serve_in(dir: &Path, args: &[&str]) -> Service {
    let mut all = vec!["--data-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    serve(&all)
}

/// Stores the seed; the answer and the report's path.
fn store_seed(base: &str, auth: &[(&str, &str)]) -> (Answer, String) {
    let mut headers = vec![JSON];
    headers.extend_from_slice(auth);
    let a = http(base, "POST", "/validate?store=true", &headers, &seed_json());
    assert_eq!(a.status, 201, "{}", a.text());
    let path = a.header("location").expect("a Location header").to_string();
    let id = path.strip_prefix("/reports/").expect("/reports/{id}");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{path}"
    );
    (a, path)
}

/// What every backend must do.
fn suite(a: &str) {
    // Stored: the answer is the report, and the permalink gives it back byte for byte.
    let (stored, path) = store_seed(a, &[]);
    assert_eq!(stored.json()["verdict"], "fail");
    let got = http(a, "GET", &path, &[], b"");
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.body, stored.body, "the stored report is the answer");
    assert_eq!(got.header("x-upcheck-verdict"), Some("fail"));
    assert_eq!(got.header("cache-control"), Some("private, no-store"));
    assert!(got.header("expires").is_some_and(|e| e.ends_with("GMT")));

    // Its picture shows the failing path with its reason.
    let svg = http(a, "GET", &format!("{path}/diagram.svg"), &[], b"");
    assert_eq!(svg.status, 200);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    let svg = svg.text();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{svg:.200}"
    );
    assert!(svg.contains("6001"), "the failing upstream is drawn");

    // Its request, sent again, gives the same verdict.
    let req = http(a, "GET", &format!("{path}/request"), &[], b"");
    assert_eq!(req.status, 200);
    assert_eq!(req.body, seed_json());
    assert_eq!(req.header("content-type"), Some("application/json"));
    let again = http(a, "POST", "/validate", &[JSON], &req.body);
    assert_eq!(again.json()["verdict"], "fail");

    // A browser gets the portal.
    let page = http(a, "GET", &path, &[("accept", "text/html")], b"");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().contains("portal.js"));

    // A project uploaded as a form is stored as sent: its boundary too.
    let (form_type, form) = fixed_form();
    let up = http(
        a,
        "POST",
        "/validate?store=true",
        &[("content-type", &form_type)],
        &form,
    );
    assert_eq!(up.status, 201, "{}", up.text());
    assert_eq!(up.json()["verdict"], "pass");
    let up_path = up.header("location").unwrap().to_string();
    let req = http(a, "GET", &format!("{up_path}/request"), &[], b"");
    assert_eq!(req.header("content-type"), Some(form_type.as_str()));
    let again = http(
        a,
        "POST",
        "/validate",
        &[("content-type", &form_type)],
        &req.body,
    );
    assert_eq!(again.json()["verdict"], "pass");

    // A chat-shaped answer links the stored report at the public URL.
    let slack = http(
        a,
        "POST",
        "/validate/slack?store=true",
        &[JSON],
        &seed_json(),
    );
    assert_eq!(slack.status, 201);
    let slack_path = slack.header("location").unwrap().to_string();
    let blocks = slack.json()["blocks"].as_array().unwrap().clone();
    let last = blocks.last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(last, format!("<{PUBLIC}{slack_path}|Full report>"));

    // Deleted: gone, and gone again.
    assert_eq!(http(a, "DELETE", &path, &[], b"").status, 204);
    let gone = http(a, "GET", &path, &[], b"");
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.json()["type"],
        "https://upcheck.dev/problems/report-not-found"
    );
    assert_eq!(http(a, "DELETE", &path, &[], b"").status, 404);
    assert_eq!(
        http(a, "GET", &format!("{path}/diagram.svg"), &[], b"").status,
        404
    );
    // Never existed; not an id at all.
    let never = format!("/reports/{}", "0".repeat(32));
    assert_eq!(http(a, "GET", &never, &[], b"").status, 404);
    assert_eq!(http(a, "GET", "/reports/..%2Fetc", &[], b"").status, 404);
}

fn sqlite_reports_round_trip() {
    let dir = scratch("permalinks-sqlite");
    let s = serve_in(&dir, &["--public-url", PUBLIC]);
    suite(&s.1);
    assert!(
        dir.join("reports.db").is_file(),
        "the database is in the data directory"
    );
}

fn tokens_guard_stored_reports_but_not_the_page() {
    let dir = scratch("permalinks-tokens");
    let s = serve_in(&dir, &["--tokens", "s3cret"]);
    let auth = ("authorization", "Bearer s3cret");
    let (_, path) = store_seed(&s.1, &[auth]);
    for p in [
        path.clone(),
        format!("{path}/diagram.svg"),
        format!("{path}/request"),
    ] {
        assert_eq!(http(&s.1, "GET", &p, &[], b"").status, 401, "{p}");
        let wrong = http(&s.1, "GET", &p, &[("authorization", "Bearer nope")], b"");
        assert_eq!(wrong.status, 401, "{p}");
        assert_eq!(http(&s.1, "GET", &p, &[auth], b"").status, 200, "{p}");
    }
    let page = http(&s.1, "GET", &path, &[("accept", "text/html")], b"");
    assert_eq!(page.status, 200, "the page holds no report");
    assert_eq!(http(&s.1, "DELETE", &path, &[], b"").status, 401);
    assert_eq!(http(&s.1, "DELETE", &path, &[auth], b"").status, 204);
}

fn a_server_without_storage_refuses_to_store() {
    let s = serve(&[]);
    let a = http(&s.1, "POST", "/validate?store=true", &[JSON], &seed_json());
    assert_eq!(a.status, 400, "{}", a.text());
    assert_eq!(a.json()["type"], "https://upcheck.dev/problems/storage-off");
    assert_eq!(a.json()["field"], "store");
    let bad = http(&s.1, "POST", "/validate?store=maybe", &[JSON], &seed_json());
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["field"], "store");
    // Without `store`, nothing changes: 200 and no Location.
    let plain = http(&s.1, "POST", "/validate", &[JSON], &seed_json());
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("location"), None);
    let id = format!("/reports/{}", "a".repeat(32));
    assert_eq!(http(&s.1, "GET", &id, &[], b"").status, 404);
}

fn caps_and_expiry_are_kept() {
    let dir = scratch("permalinks-caps");
    let s = serve_in(&dir, &["--max-stored-report", "2K"]);
    let big = http(&s.1, "POST", "/validate?store=true", &[JSON], &seed_json());
    assert_eq!(big.status, 413, "{}", big.text());
    assert_eq!(
        big.json()["type"],
        "https://upcheck.dev/problems/report-too-large-to-store"
    );
    assert_eq!(big.json()["limit"], 2048);
    drop(s);
    let s = serve_in(&dir, &["--report-ttl", "1s"]);
    let (_, path) = store_seed(&s.1, &[]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(
        http(&s.1, "GET", &path, &[], b"").status,
        404,
        "an expired report is not answered"
    );
}

/// Debian's PostgreSQL binaries: the newest `/usr/lib/postgresql/N/bin`.
fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn postgres_missing() -> Option<String> {
    if pg_bin().is_none() {
        return Some("PostgreSQL is not installed (apt-get install postgresql)".into());
    }
    if is_root() && real::program("runuser", "--version").is_some() {
        return Some("as root, PostgreSQL runs as its own user, which needs runuser".into());
    }
    None
}

/// A throwaway PostgreSQL cluster on a free loopback port, stopped and
/// removed on drop. As root it runs as Debian's `postgres` user (the
/// server refuses root).
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).output().unwrap()
    }

    fn start() -> Cluster {
        let bin = pg_bin().unwrap();
        let dir = scratch("permalinks-pg");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = Cluster { bin, dir, port };
        let data = c.dir.join("data");
        let out = c.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "upcheck",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            c.dir.display()
        );
        let log = c.dir.join("log");
        let out = c.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        c
    }

    fn url(&self) -> String {
        format!("postgres://upcheck@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.run(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn postgres_reports_round_trip_and_replicas_share_them() {
    let pg = Cluster::start();
    let url = pg.url();
    let a = serve(&["--database-url", &url, "--public-url", PUBLIC]);
    suite(&a.1);
    // A second replica on the same database sees what the first stored,
    // and what it deletes is gone for the first.
    let b = serve(&["--database-url", &url, "--public-url", PUBLIC]);
    let (stored, path) = store_seed(&a.1, &[]);
    let seen = http(&b.1, "GET", &path, &[], b"");
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.body, stored.body);
    let (_, from_b) = store_seed(&b.1, &[]);
    assert_eq!(http(&a.1, "GET", &from_b, &[], b"").status, 200);
    assert_eq!(http(&b.1, "DELETE", &path, &[], b"").status, 204);
    assert_eq!(http(&a.1, "GET", &path, &[], b"").status, 404);
}

fn a_slash_command_looks_a_stored_report_up() {
    let dir = scratch("permalinks-chat");
    let s = serve_in(&dir, &["--public-url", PUBLIC, "--mattermost-token", "tok"]);
    let (_, path) = store_seed(&s.1, &[]);
    let form = ("content-type", "application/x-www-form-urlencoded");
    let ask = |text: &str| {
        let encoded: String = form_encode(text);
        let body = format!("token=tok&text={encoded}");
        let a = http(&s.1, "POST", "/chat/mattermost", &[form], body.as_bytes());
        assert_eq!(a.status, 200, "{}", a.text());
        a.json()["text"].as_str().unwrap().to_string()
    };
    let id = path.trim_start_matches("/reports/");
    for written in [id.to_string(), format!("{PUBLIC}{path}")] {
        let text = ask(&format!("report {written}"));
        assert!(text.starts_with("**upcheck: fail**"), "{text}");
        assert!(text.contains("1 unreachable"), "{text}");
        assert!(text.contains("UC2001"), "{text}");
        assert!(text.ends_with(&format!("{PUBLIC}{path}")), "{text}");
    }
    assert!(ask(&format!("report {}", "0".repeat(32))).contains("no report has the id"));
    assert!(ask("report nope").contains("is not a report id"));
    assert!(
        ask("help").contains("/upcheck report ID"),
        "help mentions look-ups"
    );
}

/// `application/x-www-form-urlencoded` for a field value.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn a_database_that_cannot_be_reached_stops_the_start_without_its_password() {
    // Port 1 on loopback: nothing listens, the connection is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
        .arg("postgres://u:s3cret@127.0.0.1:1/upcheck")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot open the report store postgres://u:***@127.0.0.1:1/upcheck"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    assert!(out.stdout.is_empty(), "it never listened");
}

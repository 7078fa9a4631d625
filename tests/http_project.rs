//! A whole project uploaded to `POST /validate`: one form part per file,
//! a tar.gz, a tar, a zip or a JSON `project` list give the report that
//! `upcheck validate DIR` gives on the same directory; entries that are
//! not plain files below the root, and archives that expand past the
//! budget, are refused with a 422 naming them.

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use tower::ServiceExt;
use upcheck::http::{AppState, Config, router};

/// Every file below `dir` (dot files included), by `/`-separated path.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A small project as repositories ship one: nginx built from a
/// Dockerfile that copies its configuration, the port in `.env`.
fn shipped_project() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(write_shipped_project).clone()
}

fn write_shipped_project() -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("upcheck-upload-{}", std::process::id()))
        .join("shop");
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(".env", "API_PORT=8000\n");
    write(
        "docker-compose.yml",
        "services:\n  api:\n    image: python:3.12-slim\n    command: gunicorn --bind 0.0.0.0:${API_PORT} app:app\n  \
         web:\n    build: ./nginx\n    ports:\n      - \"80:80\"\n",
    );
    write(
        "nginx/Dockerfile",
        "FROM nginx:1.27-alpine\nCOPY default.conf /etc/nginx/conf.d/default.conf\n",
    );
    write(
        "nginx/default.conf",
        "server {\n    listen 80;\n    location / {\n        proxy_pass http://api:8000;\n    }\n}\n",
    );
    dir
}

/// The examples and the shipped project: directories the CLI reads.
fn projects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    vec![
        root.join("seed-compose"),
        root.join("seed-compose-fixed"),
        root.join("seed-kubernetes"),
        shipped_project(),
    ]
}

/// `upcheck validate DIR --format json`.
fn cli_report(dir: &Path) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .args(["validate", &dir.to_string_lossy(), "--format", "json"])
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROFILES")
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// What a user compares: the verdict, the findings, the upstreams, the
/// project and platform.
fn verdict_and_findings(r: &Value) -> Value {
    json!({
        "verdict": r["verdict"],
        "summary": r["summary"],
        "findings": r["findings"],
        "upstreams": r["upstreams"],
        "project": r["input"]["project"],
        "platform": r["input"]["platform"],
    })
}

/// A multipart body: (field, file name, content).
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Request<Body> {
    let boundary = "upcheck-project-boundary-51c3";
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match filename {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post("/validate")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn send_with(cfg: &Config, req: Request<Body>) -> (StatusCode, Value) {
    let res = router(AppState::new(cfg)).oneshot(req).await.unwrap();
    let status = res.status();
    let body: Bytes = res.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    (status, v)
}

async fn send(req: Request<Body>) -> (StatusCode, Value) {
    send_with(&Config::default(), req).await
}

/// The report of an answer: the body of a 200, the `report` of a refusal.
fn report_of(status: StatusCode, v: &Value) -> Value {
    match status.as_u16() {
        200 => v.clone(),
        422 if v["type"] == "https://upcheck.dev/problems/input-refused" => v["report"].clone(),
        _ => panic!("{status}: {v}"),
    }
}

/// The project's files, each below `name/` (the directory's name is the
/// compose project name, as for the CLI).
fn named(dir: &Path) -> (String, Vec<(String, Vec<u8>)>) {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    (name, files_of(dir))
}

fn tar_of(files: &[(String, Vec<u8>)], prefix: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, format!("{prefix}{path}"), &data[..])
            .unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip_of(files: &[(String, Vec<u8>)], prefix: &str) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, data) in files {
        z.start_file(format!("{prefix}{path}"), opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[tokio::test]
async fn an_uploaded_project_gets_the_verdict_of_upcheck_validate_dir() {
    for dir in projects() {
        let cli = verdict_and_findings(&cli_report(&dir));
        let (name, files) = named(&dir);
        let paths: Vec<String> = files.iter().map(|(p, _)| format!("{name}/{p}")).collect();
        // One part per file, the file name its path.
        let parts: Vec<(&str, Option<&str>, &[u8])> = files
            .iter()
            .zip(&paths)
            .map(|((_, data), path)| ("project", Some(path.as_str()), &data[..]))
            .collect();
        let (status, v) = send(form(&parts)).await;
        let multipart = verdict_and_findings(&report_of(status, &v));
        assert_eq!(multipart, cli, "{}: one part per file", dir.display());
        // An archive of the directory, as `tar czf - -C parent name` makes.
        let tar = tar_of(&files, &format!("./{name}/"));
        for (archive, bytes) in [
            ("project.tar.gz", gzip(&tar)),
            ("project.tar", tar.clone()),
            ("project.zip", zip_of(&files, &format!("{name}/"))),
        ] {
            let (status, v) = send(form(&[("project", Some(archive), &bytes)])).await;
            assert_eq!(
                verdict_and_findings(&report_of(status, &v)),
                cli,
                "{}: {archive}",
                dir.display()
            );
        }
    }
}

#[tokio::test]
async fn an_archive_of_the_directory_contents_is_named_by_the_project_field() {
    // `tar czf - -C dir .`: no top-level directory, so the compose project
    // name comes from the `project` text field.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed-compose");
    let cli = verdict_and_findings(&cli_report(&dir));
    let archive = gzip(&tar_of(&files_of(&dir), "./"));
    let (status, v) = send(form(&[
        ("project", Some("repo.tar.gz"), &archive),
        ("project", None, b"seed-compose"),
    ]))
    .await;
    assert_eq!(verdict_and_findings(&report_of(status, &v)), cli);
    // Without a name it is compose's `default`.
    let (status, v) = send(form(&[("project", Some("repo.tar.gz"), &archive)])).await;
    assert_eq!(report_of(status, &v)["input"]["project"], "default");
}

#[tokio::test]
async fn a_json_project_list_is_the_same_upload() {
    let dir = shipped_project();
    let cli = verdict_and_findings(&cli_report(&dir));
    let (name, files) = named(&dir);
    let project: Vec<Value> = files
        .iter()
        .map(|(p, c)| json!({"path": format!("{name}/{p}"), "content": String::from_utf8_lossy(c)}))
        .collect();
    let req = Request::post("/validate")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "project": project }).to_string()))
        .unwrap();
    let (status, v) = send(req).await;
    assert_eq!(verdict_and_findings(&report_of(status, &v)), cli);
}

#[tokio::test]
async fn named_files_are_taken_as_the_clis_flags_take_them() {
    // `upcheck validate DIR --nginx DIR/override.conf` against the project
    // uploaded with `-F nginx=@override.conf` beside it.
    let dir = shipped_project().with_file_name("shop-override");
    let (_, files) = named(&shipped_project());
    let conf = b"server { listen 80; location / { proxy_pass http://api:9999; } }".to_vec();
    for (p, data) in files
        .iter()
        .chain([&("override.conf".to_string(), conf.clone())])
    {
        let at = dir.join(p);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, data).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .arg("validate")
        .arg(&dir)
        .arg("--nginx")
        .arg(dir.join("override.conf"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let cli = verdict_and_findings(&serde_json::from_slice(&out.stdout).unwrap());
    let paths: Vec<String> = files
        .iter()
        .map(|(p, _)| format!("shop-override/{p}"))
        .collect();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = files
        .iter()
        .zip(&paths)
        .map(|((_, d), p)| ("project", Some(p.as_str()), &d[..]))
        .collect();
    parts.push(("nginx", Some("override.conf"), &conf));
    let (status, v) = send(form(&parts)).await;
    let r = report_of(status, &v);
    assert_eq!(verdict_and_findings(&r), cli);
    assert!(
        r["input"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "override.conf"),
        "{r}"
    );
}

#[tokio::test]
async fn an_upload_with_nothing_to_validate_is_refused_with_the_report() {
    let (status, v) = send(form(&[("project", Some("README.md"), b"# hello\n")])).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["type"], "https://upcheck.dev/problems/input-refused");
    assert_eq!(v["report"]["verdict"], "error");
    assert_eq!(v["report"]["refusal"]["message"], v["detail"]);
}

/// A 422 problem about the `project` field whose detail names `entry`.
fn refused_entry(status: StatusCode, v: &Value, entry: &str) {
    assert_eq!(status, 422, "{v}");
    assert_eq!(
        v["type"], "https://upcheck.dev/problems/invalid-input",
        "{v}"
    );
    assert_eq!(v["field"], "project", "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("`{entry}`")), "{detail}");
}

/// A tar whose one entry has a raw name, type and link target.
fn raw_tar(name: &str, kind: tar::EntryType, link: Option<&str>) -> Vec<u8> {
    let mut h = tar::Header::new_old();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(0);
    if let Some(l) = link {
        h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
    }
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, &[][..]).unwrap();
    b.into_inner().unwrap()
}

#[tokio::test]
async fn entries_outside_the_root_links_and_devices_are_refused_by_name() {
    use tar::EntryType as T;
    let cases = [
        ("../escape.yml", T::Regular, None, "../escape.yml"),
        (
            "app/../../etc/passwd",
            T::Regular,
            None,
            "app/../../etc/passwd",
        ),
        ("/etc/passwd", T::Regular, None, "/etc/passwd"),
        ("conf", T::Symlink, Some("/etc"), "conf"),
        ("hard", T::Link, Some("docker-compose.yml"), "hard"),
        ("zero", T::Char, None, "zero"),
        ("pipe", T::Fifo, None, "pipe"),
    ];
    for (name, kind, link, entry) in cases {
        let bytes = gzip(&raw_tar(name, kind, link));
        let (status, v) = send(form(&[("project", Some("bad.tgz"), &bytes)])).await;
        refused_entry(status, &v, entry);
    }
    // A zip's symbolic link, and its `..` entry.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    z.add_symlink("conf.d", "/etc/nginx", opts).unwrap();
    let link = z.finish().unwrap().into_inner();
    let (status, v) = send(form(&[("project", Some("bad.zip"), &link)])).await;
    refused_entry(status, &v, "conf.d");
    let escape = zip_of(&[("../../x.yml".into(), b"a: 1".to_vec())], "");
    let (status, v) = send(form(&[("project", Some("bad.zip"), &escape)])).await;
    refused_entry(status, &v, "../../x.yml");
    // A part's own file name follows the same rule.
    let (status, v) = send(form(&[(
        "project",
        Some("../compose.yaml"),
        b"services: {}",
    )]))
    .await;
    refused_entry(status, &v, "../compose.yaml");
}

#[tokio::test]
async fn archives_that_expand_past_the_budget_are_refused_without_expanding() {
    // A 64 KiB body limit: the budget is 512 KiB. 16 MiB of zeros
    // compress to a few KB.
    let mut cfg = Config::default();
    cfg.limits.max_body = 64 * 1024;
    let budget = cfg.limits.max_expanded();
    let zeros = vec![0u8; 16 << 20];
    let bomb = gzip(&tar_of(&[("big.yml".into(), zeros.clone())], ""));
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let (status, v) = send_with(&cfg, form(&[("project", Some("bomb.tar.gz"), &bomb)])).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["field"], "project");
    assert_eq!(v["limit"], budget, "{v}");
    // Many files, each small, add up to the same budget.
    let many: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| (format!("f{i}.yml"), vec![b'#'; 16 * 1024]))
        .collect();
    let archive = gzip(&tar_of(&many, ""));
    let (status, v) = send_with(&cfg, form(&[("project", Some("x.tgz"), &archive)])).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["limit"], budget, "{v}");
    // The same in a zip.
    let zbomb = zip_of(&[("big.yml".into(), zeros)], "");
    assert!(zbomb.len() < 64 * 1024, "{}", zbomb.len());
    let (status, v) = send_with(&cfg, form(&[("project", Some("bomb.zip"), &zbomb)])).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["limit"], budget, "{v}");
}

#[tokio::test]
async fn more_entries_than_the_file_limit_are_refused() {
    let mut cfg = Config::default();
    cfg.limits.max_files = 10;
    let files: Vec<(String, Vec<u8>)> = (0..11)
        .map(|i| (format!("f{i}.txt"), b"x".to_vec()))
        .collect();
    for (name, bytes) in [
        ("many.tar.gz", gzip(&tar_of(&files, ""))),
        ("many.zip", zip_of(&files, "")),
    ] {
        let (status, v) = send_with(&cfg, form(&[("project", Some(name), &bytes)])).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["type"], "https://upcheck.dev/problems/too-many-files");
        assert_eq!(v["limit"], 10);
    }
    let (status, v) = send(form(&[("project", Some("x.zip"), b"not a zip at all")])).await;
    assert_eq!(status, 422, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("`x.zip`"), "{v}");
}

/// `documents` name the compose files of an uploaded project, as
/// `upcheck validate -f a.yaml -f b.yaml` does, with or without a
/// directory above them.
#[tokio::test]
async fn documents_name_the_compose_files_of_an_upload_as_dash_f_does() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/compose-override-breaks-port");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .current_dir(&dir)
        .args([
            "validate",
            "-f",
            "compose.base.yaml",
            "-f",
            "compose.prod.yaml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["verdict"], "fail", "{cli}");
    let conf = std::fs::read_to_string(dir.join("conf.d/default.conf")).unwrap();
    for prefix in ["", "compose-override-breaks-port/"] {
        let doc = |name: &str| json!({"path": format!("{prefix}{name}"), "content": std::fs::read_to_string(dir.join(name)).unwrap()});
        let body = json!({
            "project": [{"path": format!("{prefix}conf.d/default.conf"), "content": conf}],
            "documents": [doc("compose.base.yaml"), doc("compose.prod.yaml")],
        });
        let req = Request::post("/validate")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, v) = send(req).await;
        let r = report_of(status, &v);
        assert_eq!(r["verdict"], cli["verdict"], "{prefix:?}: {r}");
        assert_eq!(r["summary"], cli["summary"], "{prefix:?}");
        if !prefix.is_empty() {
            // Below a directory named as the CLI's, the project name too.
            assert_eq!(r["findings"], cli["findings"], "{prefix:?}");
        }
    }
}

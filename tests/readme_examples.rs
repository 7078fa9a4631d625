//! The README's curl examples, run as written against a real `upcheck
//! serve`: every ```sh block of the "## HTTP API" section that calls curl
//! (JSON, SARIF, Markdown and the CI recipe), then a graceful SIGTERM and a
//! look at the JSON log. Without curl it is reported ignored with the
//! reason, and fails instead when `UPCHECK_REQUIRE_REAL=1`.

mod real;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn main() {
    real::main(vec![real::needs(
        "the_readme_curl_examples_work_against_upcheck_serve",
        || real::program("curl", "--version"),
        the_readme_curl_examples_work_against_upcheck_serve,
    )]);
}

/// The ```sh blocks of the README's "## HTTP API" section that run curl.
fn readme_curl_blocks() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("\n## HTTP API\n")
        .expect("README has an HTTP API section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let section = &rest[..end];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "```sh" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            let block = block.join("\n");
            if block.contains("curl ") {
                blocks.push(block);
            }
        }
    }
    blocks
}

fn the_readme_curl_examples_work_against_upcheck_serve() {
    let blocks = readme_curl_blocks();
    assert!(
        blocks.len() >= 4,
        "the README shows JSON, SARIF, Markdown and CI examples"
    );

    // Run in a scratch directory holding a link to the examples, so files
    // the commands write stay out of the repository; the service keeps its
    // stored reports there too.
    let scratch = std::env::temp_dir().join(format!("upcheck-readme-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let data = scratch.join("data");
    let (mut child, base) = real::upcheck_serve(
        &["--log-format", "json", "--data-dir", data.to_str().unwrap()],
        Stdio::piped(),
    );

    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let link = scratch.join("examples");
    if !link.exists() {
        std::os::unix::fs::symlink(&examples, &link).unwrap();
    }
    let mut failures = Vec::new();
    for block in &blocks {
        let script = block.replace("http://localhost:8080", &base);
        let out = Command::new("bash")
            .args(["-c", &script])
            .current_dir(&scratch)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let code = out.status.code().unwrap_or(-1);
        let ci = block.contains("x-upcheck-verdict");
        let ok = if block.contains("store=true") {
            // The permalink, then the stored report fetched from it.
            let (loc, rest) = stdout.split_once('\n').unwrap_or_default();
            code == 0
                && loc.starts_with("/reports/")
                && serde_json::from_str::<Value>(rest).is_ok_and(|v| v["verdict"] == "fail")
        } else if ci {
            // The seed fails: the CI recipe exits 1 and prints the report.
            code == 1 && stdout.contains("error[UC2001]")
        } else if block.contains("application/sarif+json") {
            code == 0
                && serde_json::from_str::<Value>(&stdout).is_ok_and(|v| v["version"] == "2.1.0")
        } else if block.contains("format=markdown") {
            code == 0 && stdout.contains("**upcheck: fail**")
        } else {
            code == 0
                && serde_json::from_str::<Value>(&stdout).is_ok_and(|v| v["verdict"] == "fail")
        };
        if !ok {
            failures.push(format!(
                "exit {code}\n{script}\n--- stdout\n{stdout}\n--- stderr\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }

    // SIGTERM: a graceful stop, exit 0.
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "upcheck serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        failures.is_empty(),
        "README examples failed:\n{}",
        failures.join("\n\n")
    );
    assert!(status.success(), "exit after SIGTERM: {status}\n{log}");
    assert!(log.contains("SIGTERM received"), "{log}");
    // JSON logs, one object per line, with the request id and no body.
    let line = log
        .lines()
        .find(|l| l.contains("\"route\":\"/validate\""))
        .unwrap_or_else(|| panic!("no request log line in\n{log}"));
    let v: Value = serde_json::from_str(line).unwrap();
    assert!(
        v["span"]["request_id"].is_string() || v["request_id"].is_string(),
        "{line}"
    );
    assert!(!log.contains("proxy_pass"), "bodies are never logged");
}

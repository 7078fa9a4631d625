//! The developer portal in a real browser: Debian's headless Chromium,
//! driven by playwright-core (tests/portal/run.mjs), against a real
//! `upcheck serve`. Loads the page, runs the seed example in compose (fail,
//! with the fix to `model_test:6001`) and in one pod (pass), using the
//! keyboard, and saves a screenshot to target/portal.png. Without node,
//! Chromium or playwright-core (`npm install --prefix tests/portal`) it
//! skips with one loud line, and fails when UPCHECK_REQUIRE_REAL=1.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn skip(reason: &str) {
    if std::env::var("UPCHECK_REQUIRE_REAL").as_deref() == Ok("1") {
        panic!("portal_browser cannot run: {reason}");
    }
    eprintln!(
        "SKIPPED portal_browser: {reason} (set UPCHECK_REQUIRE_REAL=1 to make this a failure)"
    );
}

#[test]
fn the_portal_runs_the_seed_example_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return skip("Chromium is not installed (apt-get install chromium)");
    }
    if Command::new("node").arg("--version").output().is_err() {
        return skip("node is not installed");
    }
    if !root
        .join("tests/portal/node_modules/playwright-core")
        .exists()
    {
        return skip("playwright-core is not installed (npm install --prefix tests/portal)");
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("upcheck serve starts");
    let mut line = String::new();
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut addr = None;
    for _ in 0..20 {
        line.clear();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(a) = line
            .split_whitespace()
            .map(|w| w.trim_start_matches("http://"))
            .find(|w| w.starts_with("127.0.0.1:"))
        {
            addr = Some(a.trim_end_matches(['.', ',', '/']).to_string());
            break;
        }
    }
    let Some(addr) = addr else {
        let _ = server.kill();
        panic!("upcheck serve did not print its address (last line: {line:?})");
    };
    let shot = root.join("target/portal.png");
    let status = Command::new("node")
        .arg(root.join("tests/portal/run.mjs"))
        .arg(format!("http://{addr}"))
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .status();
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        status.expect("node runs").success(),
        "the browser test failed (see its output above)"
    );
    assert!(shot.exists(), "a screenshot was saved");
}

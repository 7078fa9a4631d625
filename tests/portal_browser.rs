//! The developer portal in a real browser: Debian's headless Chromium,
//! driven by playwright-core (tests/portal/run.mjs), against a real
//! `upcheck serve`. The code editor loads, with line numbers and the
//! finding underlined; the seed example in compose fails, its "Apply fix"
//! edits the editor to `model_test:6001` and validates again (pass); the
//! picture appears; axe-core finds no serious or critical violation; a
//! folder and an archive of the seed get the verdict `upcheck validate DIR`
//! gives; without the editor module the text areas still work; and
//! screenshots are saved to target/portal.png and target/portal-phone.png.
//! Without node, Chromium, playwright-core or axe-core (`npm ci --prefix
//! tests/portal`) it is reported ignored with the reason, and fails when
//! UPCHECK_REQUIRE_REAL=1.

mod real;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn main() {
    real::main(vec![real::needs(
        "the_portal_runs_the_seed_example_in_chromium",
        missing,
        the_portal_runs_the_seed_example_in_chromium,
    )]);
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// What this machine lacks for the test, if anything.
fn missing() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !Path::new(&chromium()).exists() {
        return Some("Chromium is not installed (apt-get install chromium)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    for package in ["playwright-core", "axe-core"] {
        if !root
            .join("tests/portal/node_modules")
            .join(package)
            .exists()
        {
            return Some(format!(
                "{package} is not installed (npm ci --prefix tests/portal)"
            ));
        }
    }
    None
}

fn the_portal_runs_the_seed_example_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = chromium();
    // A data directory, so "Validate and share" can keep its report.
    let data = std::env::temp_dir().join(format!("upcheck-portal-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut server = Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
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
    let phone = root.join("target/portal-phone.png");
    let _ = std::fs::remove_file(&shot);
    let _ = std::fs::remove_file(&phone);
    let status = Command::new("node")
        .arg(root.join("tests/portal/run.mjs"))
        .arg(format!("http://{addr}"))
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .env("UPCHECK_BIN", env!("CARGO_BIN_EXE_upcheck"))
        .status();
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        status.expect("node runs").success(),
        "the browser test failed (see its output above)"
    );
    assert!(shot.exists(), "a screenshot was saved");
    assert!(phone.exists(), "a phone screenshot was saved");
}

//! Tests that need something of the machine — root and network namespaces,
//! real nginx, crossplane, Chromium, curl — in a `harness = false` test
//! binary (libtest-mimic), so that plain `cargo test` shows one that cannot
//! run here as *ignored, with the reason*, never as a silent `ok`. With
//! `UPCHECK_REQUIRE_REAL=1` (as `.ci/run` sets) a missing prerequisite is a
//! failure instead.

#![allow(dead_code)]

use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// Whether a missing prerequisite fails the test (`UPCHECK_REQUIRE_REAL=1`).
pub fn required() -> bool {
    std::env::var("UPCHECK_REQUIRE_REAL").as_deref() == Ok("1")
}

/// A test that runs only where `missing` finds nothing missing: ignored
/// with its reason otherwise (a failure when [`required`]). `run` fails by
/// panicking, like a `#[test]`.
pub fn needs(
    name: &str,
    missing: impl FnOnce() -> Option<String> + Send + 'static,
    run: impl FnOnce() + Send + 'static,
) -> Trial {
    Trial::ignorable_test(name, move || match missing() {
        Some(reason) if required() => Err(Failed::from(format!(
            "{reason}, and UPCHECK_REQUIRE_REAL=1 makes that a failure"
        ))),
        Some(reason) => Ok(Completion::ignored_with(reason)),
        None => {
            run();
            Ok(Completion::Completed)
        }
    })
}

/// A test with no prerequisite.
pub fn always(name: &str, run: impl FnOnce() + Send + 'static) -> Trial {
    Trial::test(name, move || {
        run();
        Ok(())
    })
}

/// Runs the trials as `cargo test` runs a test binary, and exits.
pub fn main(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// `None` when `program --version` (or `arg`) runs, else why not.
pub fn program(program: &str, arg: &str) -> Option<String> {
    let ok = std::process::Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    (!ok).then(|| format!("`{program}` is not installed"))
}

/// `upcheck serve` on a free loopback port with `args` added, stderr to
/// `stderr`: the child and its base URL (`http://127.0.0.1:PORT`), read
/// from the line it prints first.
pub fn upcheck_serve(args: &[&str], stderr: std::process::Stdio) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .trim()
        .strip_prefix("upcheck listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    (child, base)
}

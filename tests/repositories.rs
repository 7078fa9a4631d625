//! Real repositories as their authors ship them: `tests/repositories/<name>/`
//! holds a public project's files at their repository paths (compose files,
//! `.env` and env files, Dockerfiles and what they copy, nginx
//! configurations, manifests, committed Helm renders), a `README.md` citing
//! the repository and commit and reasoning out what real nginx does, and
//! `expected.json`:
//!
//! ```json
//! {"description": "one sentence", "verdict": "pass|warn|fail|error",
//!  "nginx_starts": true,
//!  "upstreams": [{"target": "<as written>", "status": "reachable|unreachable|unverifiable"}],
//!  "codes": ["UC2001"],
//!  "args": ["-f", "docker-compose.prod.yml"],
//!  "stdin": "rendered.yaml"}
//! ```
//!
//! Each is run the way a user runs upcheck: the binary, `upcheck validate`
//! in the project's root with no flags (only `args`, the ones the project's
//! own instructions give, such as compose's `-f`; `stdin` is piped to
//! `--topology -` for a render), an empty environment, the JSON report on
//! standard output and the exit code (0 pass or warn, 1 fail, 2 error).
//! `codes` is the exact set of findings of severity error or warning.
//!
//! The second test runs every repository again spelled other ways — an
//! absolute path from another working directory, a relative path from the
//! parent, through a symlink — and requires the same report.

mod common;

use common::ProjectRun;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repositories")
}

fn repositories() -> Vec<PathBuf> {
    common::subdirs(&root())
}

fn expected(dir: &Path) -> Value {
    let path = dir.join("expected.json");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `upcheck validate [DIR] ARGS --format json` in `cwd` with an empty
/// environment; the exit code and the report.
fn upcheck(cwd: &Path, dir: Option<&str>, run: &ProjectRun) -> (i32, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_upcheck"));
    cmd.current_dir(cwd).env_clear().arg("validate");
    if let Some(d) = dir {
        cmd.arg(d);
    }
    cmd.args(&run.args).args(["--format", "json"]);
    match &run.stdin {
        Some(f) => {
            cmd.args(["--topology", "-"]);
            cmd.stdin(std::fs::File::open(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())));
        }
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    let out = cmd.output().expect("run upcheck");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: not a JSON report ({e}); stderr: {}",
            cwd.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

/// Distinct upstreams (one per configuration line, whatever the number of
/// nginx replicas): target and status (`a|b` when replicas disagree).
fn upstreams(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(u64, String, BTreeSet<String>, String)> = Vec::new();
    for u in report["upstreams"].as_array().into_iter().flatten() {
        let id = u["id"].as_u64().unwrap_or_default();
        let status = u["status"].as_str().unwrap_or_default().to_string();
        match out.iter_mut().find(|o| o.0 == id) {
            Some(o) => {
                o.2.insert(status);
            }
            None => out.push((
                id,
                u["target"].as_str().unwrap_or_default().to_string(),
                BTreeSet::from([status]),
                u["reason"].as_str().unwrap_or_default().to_string(),
            )),
        }
    }
    out.into_iter()
        .map(|(_, t, s, r)| (t, s.into_iter().collect::<Vec<_>>().join("|"), r))
        .collect()
}

/// The upstreams whose listener upcheck cannot see although nginx reaches
/// them (`"unseen": {"targets": […], "why": "…"}`: a port in application
/// code, say): they must be reported unverifiable, never reachable or
/// unreachable, which makes a passing repository's verdict `warn`.
fn unseen(exp: &Value) -> BTreeSet<String> {
    let u = &exp["unseen"];
    if u.is_null() {
        return BTreeSet::new();
    }
    assert!(
        u["why"].as_str().is_some_and(|w| !w.is_empty()),
        "expected.json: `unseen` needs a `why`"
    );
    u["targets"]
        .as_array()
        .expect("expected.json: unseen.targets")
        .iter()
        .map(|t| t.as_str().expect("targets are strings").to_string())
        .collect()
}

/// Every difference between a repository's expectation and the report.
fn compare(exp: &Value, code: i32, report: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let unseen = unseen(exp);
    let real = exp["verdict"].as_str().expect("expected.json: verdict");
    // A working repository reads `warn` where upcheck cannot see a
    // listener (`unseen`) or has a warning of its own to give (`codes`: an
    // unset variable the author's `.env.example` was meant to fill).
    let has_codes = exp["codes"].as_array().is_some_and(|c| !c.is_empty());
    let verdict = if real == "pass" && (!unseen.is_empty() || has_codes) {
        "warn"
    } else {
        real
    };
    if report["verdict"] != verdict {
        diffs.push(format!(
            "verdict: expected {verdict}, got {}{}",
            report["verdict"],
            report["refusal"]["message"]
                .as_str()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ));
    }
    let want_code = match verdict {
        "pass" | "warn" => 0,
        "fail" => 1,
        _ => 2,
    };
    if code != want_code {
        diffs.push(format!("exit code: expected {want_code}, got {code}"));
    }
    if let Some(starts) = exp["nginx_starts"].as_bool()
        && report["summary"]["nginx_starts"] != starts
    {
        diffs.push(format!("nginx_starts: expected {starts}"));
    }
    let mut actual = upstreams(report);
    for u in exp["upstreams"]
        .as_array()
        .expect("expected.json: upstreams")
    {
        let target = u["target"].as_str().expect("upstream target");
        let mut status = u["status"].as_str().expect("upstream status");
        if unseen.contains(target) {
            status = "unverifiable";
        }
        // Every line that names this target (a config may repeat one).
        let (same, rest): (Vec<_>, Vec<_>) = actual.into_iter().partition(|a| a.0 == target);
        actual = rest;
        if same.is_empty() {
            diffs.push(format!("upstream `{target}` is not in the report"));
        }
        for (_, got, reason) in same {
            if got != status {
                diffs.push(format!(
                    "upstream `{target}`: expected {status}, got {got} ({reason})"
                ));
            }
        }
    }
    for (target, got, _) in actual {
        diffs.push(format!(
            "upstream `{target}` ({got}) is in the report but not in expected.json"
        ));
    }
    let mut want: BTreeSet<&str> = exp["codes"]
        .as_array()
        .expect("expected.json: codes")
        .iter()
        .map(|c| c.as_str().expect("codes are strings"))
        .collect();
    if !unseen.is_empty() {
        want.insert("UC2016");
    }
    let mut found = BTreeSet::new();
    for f in report["findings"].as_array().into_iter().flatten() {
        let sev = f["severity"].as_str().unwrap_or_default();
        if sev == "error" || sev == "warning" {
            let c = f["code"].as_str().unwrap_or_default();
            found.insert(c);
            if !want.contains(c) {
                diffs.push(format!("unexpected {sev} {c}: {}", f["message"]));
            }
        }
    }
    for c in want.difference(&found) {
        diffs.push(format!("missing finding {c}"));
    }
    diffs
}

#[test]
fn every_repository_gives_real_nginxs_verdict_with_no_flags() {
    let dirs = repositories();
    assert!(
        dirs.len() >= 25,
        "issue 13 asks for at least 25 repositories; {} here",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        if !readme.contains("github.com/") {
            failures.push(format!(
                "{name}: README.md must cite the repository and commit"
            ));
        }
        let exp = expected(dir);
        let run = ProjectRun::of(dir);
        let (code, report) = upcheck(dir, None, &run);
        let diffs = compare(&exp, code, &report);
        if !diffs.is_empty() {
            failures.push(format!("{name}:\n  {}", diffs.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// What must not depend on how the project's path was spelled.
fn essence(report: &Value) -> Value {
    let findings: Vec<Value> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            serde_json::json!([
                f["code"],
                f["message"],
                f["location"]["file"],
                f["location"]["line"],
                f["location"]["column"]
            ])
        })
        .collect();
    serde_json::json!({
        "verdict": report["verdict"],
        "summary": report["summary"],
        "upstreams": upstreams(report),
        "findings": findings,
        "project": report["input"]["project"],
        "files": report["input"]["files"],
    })
}

#[test]
fn a_repository_gives_the_same_report_however_its_path_is_spelled() {
    let scratch = std::env::temp_dir().join(format!("upcheck-spellings-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut failures = Vec::new();
    for dir in repositories() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let run = ProjectRun::of(&dir);
        let (_, here) = upcheck(&dir, None, &run);
        let base = essence(&here);
        // A symlink keeps the project's name, as compose uses the link's.
        let link = scratch.join(&name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let spellings: [(&str, PathBuf, String); 4] = [
            ("`.`", dir.clone(), ".".to_string()),
            (
                "an absolute path from /",
                PathBuf::from("/"),
                dir.display().to_string(),
            ),
            ("a relative path from the parent", root(), name.clone()),
            ("a symlink", scratch.clone(), name.clone()),
        ];
        for (how, cwd, arg) in spellings {
            // `-f FILE` is relative to the working directory, as compose's.
            let mut run = ProjectRun::of(&dir);
            if cwd != dir {
                let mut args = Vec::new();
                let mut it = run.args.iter();
                while let Some(a) = it.next() {
                    args.push(a.clone());
                    if a == "-f" || a == "--env-file" {
                        let f = it.next().expect("a path after the flag");
                        args.push(Path::new(&arg).join(f).display().to_string());
                    }
                }
                run.args = args;
            }
            let (_, other) = upcheck(&cwd, Some(&arg), &run);
            if essence(&other) != base {
                failures.push(format!(
                    "{name}: {how} differs:\n  here:  {}\n  there: {}",
                    base,
                    essence(&other)
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

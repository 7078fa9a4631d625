//! The CLI as a user runs it: exit codes (0 pass or warn, 1 fail, 2 input
//! that cannot be read or usage) and the report in every format, including
//! the report of a refused input (verdict `error`), which CI must be able
//! to tell from a failing one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn upcheck(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .current_dir(dir)
        .args(args)
        .env_clear()
        .output()
        .expect("the binary runs")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str, files: &[(&str, &str)]) -> TempDir {
        let dir = std::env::temp_dir().join(format!("upcheck-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, content) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn a_failing_deployment_exits_1_and_a_passing_one_0() {
    let fail = upcheck(
        &examples().join("seed-compose"),
        &[
            "validate",
            "--nginx",
            "default.conf",
            "--topology",
            "docker-compose.yml",
        ],
    );
    assert_eq!(
        fail.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&fail.stdout)
    );
    let pass = upcheck(
        &examples().join("seed-compose-fixed"),
        &[
            "validate",
            "--nginx",
            "default.conf",
            "--topology",
            "docker-compose.yml",
        ],
    );
    assert_eq!(
        pass.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&pass.stdout)
    );
}

#[test]
fn an_unreadable_topology_is_a_refusal_in_every_format() {
    let d = TempDir::new(
        "unreadable",
        &[
            (
                "default.conf",
                "server { location / { proxy_pass http://app:80; } }\n",
            ),
            ("docker-compose.yml", "services:\n  web: [unclosed\n"),
        ],
    );
    let args = |f: &'static str| {
        [
            "validate",
            "--nginx",
            "default.conf",
            "--topology",
            "docker-compose.yml",
            "--format",
            f,
        ]
    };
    let j = upcheck(&d.0, &args("json"));
    assert_eq!(j.status.code(), Some(2));
    let v = json(&j);
    assert_eq!(v["verdict"], "error");
    assert_eq!(v["refusal"]["code"], "UC0003");
    assert_eq!(v["refusal"]["location"]["file"], "docker-compose.yml");

    let s = upcheck(&d.0, &args("sarif"));
    assert_eq!(s.status.code(), Some(2));
    let v = json(&s);
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let note = &inv["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert!(
        note["message"]["text"].as_str().unwrap().len() > 10,
        "{note}"
    );

    for f in ["text", "markdown"] {
        let o = upcheck(&d.0, &args(f));
        assert_eq!(o.status.code(), Some(2), "{f}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("upcheck: error") || out.contains("**upcheck: error**"),
            "{f}: {out}"
        );
        assert!(
            !out.contains("fail"),
            "{f}: a refusal is not a failure: {out}"
        );
    }
}

#[test]
fn no_nginx_is_a_refusal_not_a_failure() {
    let d = TempDir::new(
        "no-nginx",
        &[(
            "compose.yaml",
            "services:\n  app:\n    image: python:3.12\n",
        )],
    );
    let o = upcheck(
        &d.0,
        &["validate", "--topology", "compose.yaml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(json(&o)["verdict"], "error");
}

#[test]
fn a_file_that_cannot_be_read_still_gives_a_report() {
    let d = TempDir::new("missing", &[("default.conf", "server {}\n")]);
    let o = upcheck(
        &d.0,
        &[
            "validate",
            "--nginx",
            "default.conf",
            "--topology",
            "nope.yml",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], false);
}

/// Manifests beside a Helm chart: the manifests are checked, and the report
/// (text and JSON) says the chart was left out and which command renders it.
#[test]
fn a_chart_left_unrendered_is_named_in_the_report_with_its_command() {
    let pod = std::fs::read_to_string(examples().join("seed-kubernetes/one-pod.yaml")).unwrap();
    let dir = TempDir::new(
        "chart-note",
        &[
            ("k8s/one-pod.yaml", pod.as_str()),
            (
                "chart/Chart.yaml",
                "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            ),
            ("chart/templates/deploy.yaml", "kind: {{ .Values.kind }}\n"),
        ],
    );
    let out = upcheck(&dir.0, &["validate", "--format", "json"]);
    let r = json(&out);
    let notes = r["input"]["notes"].as_array().cloned().unwrap_or_default();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.contains("helm template chart"))),
        "{}",
        r["input"]
    );
    let text = upcheck(&dir.0, &["validate"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("note: chart not read; to check it: helm template chart"),
        "{text}"
    );
}

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

// ------------------------------------------- rule settings and suppressions

/// The seed, whose loopback upstream fails (UC2001, an error).
fn seed_files(conf_extra: &str) -> Vec<(&'static str, String)> {
    let conf = std::fs::read_to_string(examples().join("seed-compose/default.conf")).unwrap();
    let compose =
        std::fs::read_to_string(examples().join("seed-compose/docker-compose.yml")).unwrap();
    vec![
        (
            "default.conf",
            conf.replace("proxy_pass http://127.0.0.1:6001;", conf_extra),
        ),
        ("docker-compose.yml", compose),
    ]
}

fn temp(name: &str, files: &[(&'static str, String)]) -> TempDir {
    let owned: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    TempDir::new(name, &owned)
}

#[test]
fn select_ignore_and_severity_change_the_verdict_and_exit_code() {
    let d = temp("select", &seed_files("proxy_pass http://127.0.0.1:6001;"));
    let run = |args: &[&str]| {
        let mut all = vec!["validate", "--format", "json"];
        all.extend_from_slice(args);
        let o = upcheck(&d.0, &all);
        (
            o.status.code(),
            json(&o)["verdict"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(run(&[]), (Some(1), "fail".into()));
    // Lowered to a warning: the verdict says warn and the exit code is 0 ...
    assert_eq!(
        run(&["--severity", "UC2001=warning"]),
        (Some(0), "warn".into())
    );
    // ... unless warnings fail too.
    assert_eq!(
        run(&["--severity", "UC2001=warning", "--fail-on", "warning"]),
        (Some(1), "warn".into())
    );
    // A rule turned off does not run: the safety net still reports the
    // unreachable upstream, so an ignore cannot hide a dead upstream by
    // accident.
    let o = upcheck(
        &d.0,
        &["validate", "--format", "json", "--ignore", "UC2001"],
    );
    let r = json(&o);
    assert_eq!(o.status.code(), Some(1));
    let codes: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"UC2000") && !codes.contains(&"UC2001"),
        "{codes:?}"
    );
    // Only the input rules: nothing about reachability is said.
    assert_eq!(run(&["--select", "UC0"]), (Some(0), "pass".into()));
    // A selector that names no rule is a usage error, never a silent pass.
    let o = upcheck(&d.0, &["validate", "--ignore", "UC2O01"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`UC2O01` in `ignore` names no rule"));
}

#[test]
fn a_suppression_comment_silences_one_finding_and_says_so() {
    let line = "proxy_pass http://127.0.0.1:6001;  # upcheck: ignore[UC2001] the model runs as a sidecar in staging";
    let d = temp("suppress", &seed_files(line));
    let o = upcheck(&d.0, &["validate", "--format", "json"]);
    let r = json(&o);
    assert_eq!(o.status.code(), Some(0), "{r}");
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["summary"]["suppressed"], 1);
    assert_eq!(r["summary"]["errors"], 0);
    let findings = r["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["code"] == "UC2001")
        .expect("listed");
    assert_eq!(f["suppressed"], "the model runs as a sidecar in staging");
    // SARIF marks it as suppressed in source, so code scanning dismisses it.
    let o = upcheck(&d.0, &["validate", "--format", "sarif"]);
    let sarif = json(&o);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let result = results
        .iter()
        .find(|x| x["ruleId"] == "UC2001")
        .expect("listed");
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    // The text report leaves it out and counts it.
    let o = upcheck(&d.0, &["validate"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("1 suppressed finding"), "{text}");
    assert!(!text.contains("error[UC2001]"), "{text}");
}

#[test]
fn upcheck_toml_is_found_upward_and_flags_override_it() {
    let mut files = seed_files("proxy_pass http://127.0.0.1:6001;");
    files = files
        .into_iter()
        .map(|(p, c)| {
            (
                if p == "default.conf" {
                    "deploy/default.conf"
                } else {
                    "deploy/docker-compose.yml"
                },
                c,
            )
        })
        .collect();
    files.push((
        "upcheck.toml",
        "fail-on = \"warning\"\n[severity]\nUC2001 = \"warning\"\n".to_owned(),
    ));
    let d = temp("toml", &files);
    let deploy = d.0.join("deploy");
    let o = upcheck(&deploy, &["validate", "--format", "json"]);
    assert_eq!(json(&o)["verdict"], "warn");
    assert_eq!(o.status.code(), Some(1), "fail-on = warning from the file");
    let o = upcheck(
        &deploy,
        &["validate", "--format", "json", "--fail-on", "error"],
    );
    assert_eq!(o.status.code(), Some(0), "the flag wins");
    let o = upcheck(&deploy, &["validate", "--format", "json", "--isolated"]);
    assert_eq!(json(&o)["verdict"], "fail", "no file read");
    // `upcheck config` says what applies and where it came from.
    let o = upcheck(&deploy, &["config", "--fail-on", "info"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("upcheck.toml"), "{text}");
    assert!(
        text.contains("fail-on = info") && text.contains("# flag"),
        "{text}"
    );
    assert!(text.contains("severity.UC2001 = warning"), "{text}");
    // A mistake in the file is located, and the input is refused.
    std::fs::write(d.0.join("upcheck.toml"), "fail-on = \"loud\"\n").unwrap();
    let o = upcheck(&deploy, &["validate"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("upcheck.toml line 1, column 11"), "{err}");
}

/// One struct carries the rule settings for the file, the flags and the
/// API: every field it has is a key `upcheck.toml` takes, a flag of
/// `upcheck validate`, and a key of the API's `options.rules`.
#[test]
fn the_file_the_flags_and_the_api_take_the_same_rule_settings() {
    use upcheck::finding::Severity;
    use upcheck::rules::settings::RuleSettings;
    let all = RuleSettings {
        select: vec!["UC2".into()],
        ignore: vec!["UC2012".into()],
        severity: [("UC2014".to_owned(), Severity::Warning)].into(),
    };
    let v = serde_json::to_value(&all).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "every field is set above: {keys:?}");
    // The API's JSON form round-trips.
    let back: RuleSettings = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, all);
    let help = upcheck(Path::new("."), &["validate", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    let d = TempDir::new("same", &[]);
    for key in keys {
        assert!(
            help.contains(&format!("--{key} ")),
            "no --{key} flag:\n{help}"
        );
        let toml = match &v[key] {
            serde_json::Value::Array(a) => {
                format!("{key} = {}\n", serde_json::Value::Array(a.clone()))
            }
            serde_json::Value::Object(o) => {
                let (k, s) = o.iter().next().unwrap();
                format!("[{key}]\n{k} = {s}\n")
            }
            other => panic!("{other}"),
        };
        std::fs::write(d.0.join("upcheck.toml"), &toml).unwrap();
        let o = upcheck(&d.0, &["config"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "upcheck.toml `{toml}`: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

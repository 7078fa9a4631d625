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
fn the_project_name_is_taken_as_docker_compose_spells_it() {
    // `docker compose -p NAME -f FILE up`, copied from a README, works as is.
    let seed = examples().join("seed-compose");
    for flag in ["-p", "--project-name", "--project"] {
        let o = upcheck(
            &seed,
            &[
                "validate",
                flag,
                "shop",
                "-f",
                "docker-compose.yml",
                "--format",
                "json",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{flag}: {o:?}");
        assert_eq!(json(&o)["input"]["project"], "shop", "{flag}");
    }
}

#[test]
fn a_build_context_whose_dockerfile_is_spelt_lowercase_is_built_as_buildkit_builds_it() {
    // `build: .` and a file named `dockerfile`: BuildKit falls back to it
    // when `Dockerfile` is missing, so nginx runs what it copies.
    let d = TempDir::new(
        "lowercase-dockerfile",
        &[
            (
                "docker-compose.yml",
                "services:\n  proxy:\n    build: .\n    ports: [\"80:80\"]\n  app:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n",
            ),
            (
                "dockerfile",
                "FROM nginx:1.27\nCOPY default.conf /etc/nginx/conf.d/default.conf\n",
            ),
            (
                "default.conf",
                "server {\n    listen 80;\n    location / { proxy_pass http://app:8000; }\n}\n",
            ),
        ],
    );
    let o = upcheck(&d.0, &["validate", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let r = json(&o);
    assert_eq!(r["upstreams"][0]["status"], "reachable", "{r}");
    assert_eq!(r["upstreams"][0]["location"]["file"], "default.conf", "{r}");
}

#[test]
fn a_compose_file_without_nginx_gives_way_to_manifests_that_run_it() {
    // The compose file runs the app for local development; the deployment,
    // nginx included, is in the manifests beside it.
    let d = TempDir::new(
        "compose-beside-manifests",
        &[
            (
                "docker-compose.yml",
                "services:\n  app:\n    build: .\n    ports: [\"3000:3000\"]\n",
            ),
            (
                "k8s.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\ndata:\n  default.conf: |\n    server { listen 80; location / { proxy_pass http://localhost:3000; } }\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n    - {name: nginx, image: \"nginx:1.27\", volumeMounts: [{name: conf, mountPath: /etc/nginx/conf.d}]}\n    - {name: app, image: \"app:1\", ports: [{containerPort: 3000}]}\n  volumes: [{name: conf, configMap: {name: conf}}]\n",
            ),
        ],
    );
    let o = upcheck(&d.0, &["validate", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let r = json(&o);
    assert_eq!(r["input"]["platform"], "kubernetes", "{r}");
    assert_eq!(r["upstreams"][0]["status"], "reachable", "{r}");
    // Naming the compose file keeps it: it runs no nginx, a refusal.
    let o = upcheck(
        &d.0,
        &["validate", "-f", "docker-compose.yml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert_eq!(json(&o)["input"]["platform"], "compose");
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

/// An nginx image built from a Dockerfile that cannot be built (its COPY
/// names a file the context lacks, as MoAboDaif/calculator-app@e08d3fc ships
/// `frontend/`): the refusal names the build as the reason, not that no
/// image is nginx's.
#[test]
fn an_unbuildable_nginx_image_is_named_as_the_reason_nothing_runs_nginx() {
    let d = TempDir::new(
        "unbuilt-nginx",
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    build: ./web\n    ports: [\"8080:80\"]\n  api:\n    image: python:3.12\n",
            ),
            (
                "web/Dockerfile",
                "FROM node:20 AS builder\nRUN npm run build\nFROM builder AS assets\nFROM nginx:stable-alpine\nCOPY nginx.conf /etc/nginx/conf.d/default.conf\nCOPY --from=assets /app/build /usr/share/nginx/html\n",
            ),
        ],
    );
    let o = upcheck(&d.0, &["validate", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["verdict"], "error");
    assert_eq!(v["refusal"]["code"], "UC0005");
    let message = v["refusal"]["message"].as_str().unwrap();
    for part in [
        "`web`",
        "`web/Dockerfile`",
        "`nginx:stable-alpine`",
        "cannot be built",
    ] {
        assert!(message.contains(part), "{part} is not in: {message}");
    }
    let codes: Vec<&str> = (v["findings"].as_array().unwrap().iter())
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"UC0004"), "{codes:?}");
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

// ------------------------------------------------------------ --fix, --diff

#[test]
fn fix_turns_the_seed_into_a_pass_and_diff_changes_nothing() {
    let d = temp("fix-seed", &seed_files("proxy_pass http://127.0.0.1:6001;"));
    let before = std::fs::read_to_string(d.0.join("default.conf")).unwrap();
    let o = upcheck(&d.0, &["validate", "--diff"]);
    assert_eq!(o.status.code(), Some(1), "there is something to fix");
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(
        diff.contains("+        proxy_pass http://model_test:6001;"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(d.0.join("default.conf")).unwrap(),
        before
    );
    let o = upcheck(&d.0, &["validate", "--fix", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(json(&o)["verdict"], "pass");
    assert!(String::from_utf8_lossy(&o.stderr).contains("fixed 1 finding"));
    let after = std::fs::read_to_string(d.0.join("default.conf")).unwrap();
    assert!(
        after.contains("proxy_pass http://model_test:6001;"),
        "{after}"
    );
    // Idempotent: nothing left to write.
    let o = upcheck(&d.0, &["validate", "--fix"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("fixed 0 findings"));
    assert_eq!(
        std::fs::read_to_string(d.0.join("default.conf")).unwrap(),
        after
    );
    let o = upcheck(&d.0, &["validate", "--diff"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn fix_never_writes_outside_the_project() {
    let d = TempDir::new(
        "fix-outside",
        &[
            (
                "outside.conf",
                "server { listen 80; location / { proxy_pass http://127.0.0.1:6001; } }\n",
            ),
            (
                "project/docker-compose.yml",
                "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n  model_test:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:6001 app:app\n",
            ),
        ],
    );
    let project = d.0.join("project");
    let o = upcheck(
        &project,
        &["validate", "--nginx", "../outside.conf", "--fix"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("outside the project directory"), "{err}");
    let outside = std::fs::read_to_string(d.0.join("outside.conf")).unwrap();
    assert!(outside.contains("127.0.0.1:6001"), "untouched: {outside}");
}

/// Every `bad-*` rule fixture, through the CLI on a temporary copy: `--fix
/// --unsafe-fixes` exits with a verdict (never 2), and afterwards `--diff`
/// finds nothing more to apply.
#[test]
fn every_fixture_s_fixes_apply_through_the_cli_and_converge() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut cases = Vec::new();
    for rule in std::fs::read_dir(&rules).unwrap().flatten() {
        for case in std::fs::read_dir(rule.path()).unwrap().flatten() {
            let name = case.file_name().to_string_lossy().to_string();
            // Refusals (input upcheck cannot read) have nothing to fix.
            let code = rule.file_name().to_string_lossy()[..6].to_owned();
            let refusal =
                upcheck::rules::registry::by_code(&code).is_some_and(|r| r.meta().refusal);
            if name.starts_with("bad") && !refusal && !case.path().join("options.json").exists() {
                cases.push(case.path());
            }
        }
    }
    cases.sort();
    assert!(cases.len() > 40, "{} cases", cases.len());
    let mut problems = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let d = TempDir::new(&format!("fixture-{i}"), &[]);
        let (mut nginx, mut topology, mut env) = (Vec::new(), Vec::new(), Vec::new());
        // The files as the library's fixture reader classes them.
        let mut stack = vec![case.clone()];
        while let Some(dir) = stack.pop() {
            for f in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = f.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path
                    .strip_prefix(case)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                let name = f.file_name().to_string_lossy().to_string();
                if name.ends_with(".md") {
                    continue;
                }
                let to = d.0.join(&rel);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(&path, to).unwrap();
                if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
                    topology.push(rel);
                } else if name == ".env" || name.ends_with(".env") {
                    env.push(rel);
                } else {
                    nginx.push(rel);
                }
            }
        }
        let mut args: Vec<String> = vec!["validate".into()];
        if !nginx.is_empty() {
            args.push("--nginx".into());
            args.extend(nginx);
        }
        args.push("--topology".into());
        args.extend(topology);
        for e in env {
            args.extend(["--env-file".into(), e]);
        }
        let run = |extra: &[&str]| {
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            all.extend_from_slice(extra);
            upcheck(&d.0, &all)
        };
        let label = case.strip_prefix(&rules).unwrap().display().to_string();
        let fixed = run(&["--fix", "--unsafe-fixes"]);
        if fixed.status.code() == Some(2) {
            problems.push(format!(
                "{label}: --fix exits 2: {}",
                String::from_utf8_lossy(&fixed.stderr)
            ));
            continue;
        }
        let diff = run(&["--diff", "--unsafe-fixes"]);
        if diff.status.code() != Some(0) {
            problems.push(format!(
                "{label}: after --fix, --diff still has\n{}",
                String::from_utf8_lossy(&diff.stdout)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ------------------------------------------------------------ CI formats

#[test]
fn ci_formats_say_each_finding_where_ci_shows_it() {
    let seed = examples().join("seed-compose");
    let o = upcheck(&seed, &["validate", "-o", "github"]);
    assert_eq!(o.status.code(), Some(1));
    let gh = String::from_utf8_lossy(&o.stdout);
    assert!(
        gh.lines().any(|l| l.starts_with(
            "::error file=default.conf,line=10,col=27,endLine=10,endColumn=36,title=UC2001 loopback-upstream-nothing-listens::"
        )),
        "{gh}"
    );
    assert!(
        gh.contains("%0Ahelp: Replace `127.0.0.1` with `model_test`"),
        "{gh}"
    );
    let o = upcheck(&seed, &["validate", "--output-format", "gitlab"]);
    let issues = json(&o);
    let uc2001 = issues
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check_name"] == "UC2001")
        .expect("the seed's finding");
    assert_eq!(uc2001["severity"], "major");
    assert_eq!(uc2001["location"]["path"], "default.conf");
    assert_eq!(uc2001["location"]["lines"]["begin"], 10);
    assert_eq!(uc2001["fingerprint"].as_str().unwrap().len(), 16);
    // The fingerprint follows the line's text, not its number.
    let d = temp(
        "fingerprint",
        &seed_files("proxy_pass http://127.0.0.1:6001;"),
    );
    let conf = std::fs::read_to_string(d.0.join("default.conf")).unwrap();
    std::fs::write(
        d.0.join("default.conf"),
        format!("# a comment above\n{conf}"),
    )
    .unwrap();
    let moved = json(&upcheck(&d.0, &["validate", "-o", "gitlab"]));
    let moved = moved
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check_name"] == "UC2001")
        .unwrap()
        .clone();
    assert_eq!(moved["location"]["lines"]["begin"], 11);
    assert_eq!(moved["fingerprint"], uc2001["fingerprint"]);
    let o = upcheck(&seed, &["validate", "-o", "junit"]);
    let xml = String::from_utf8_lossy(&o.stdout);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testsuite name=\"upcheck: fail\" tests=\"1\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"http://127.0.0.1:6001 is unreachable\">"),
        "{xml}"
    );
}

#[test]
fn completions_and_the_manual_page_come_from_the_parser() {
    let o = upcheck(Path::new("."), &["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    let script = String::from_utf8_lossy(&o.stdout);
    assert!(
        script.contains("--fail-on") && script.contains("--unsafe-fixes"),
        "{script}"
    );
    let o = upcheck(Path::new("."), &["man"]);
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(
        page.starts_with(".ie") && page.contains(".TH upcheck 1"),
        "{page}"
    );
}

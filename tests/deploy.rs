//! The project's own deployment is its first customer: upcheck validates
//! `deploy/compose` and `deploy/kubernetes` and must pass, and the
//! Dockerfile has the properties the README promises (no Docker engine
//! runs here, so its text is checked).

use std::path::{Path, PathBuf};
use upcheck::Verdict;
use upcheck::input::{Input, InputFile, TopologyInput};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn file(rel: &str) -> InputFile {
    InputFile::new(rel, std::fs::read(root().join(rel)).expect(rel))
}

fn assert_pass(input: &Input) {
    let r = upcheck::validate(input).expect("valid input");
    assert_eq!(
        r.verdict,
        Verdict::Pass,
        "{}",
        upcheck::report::render(&r, upcheck::report::Format::Text)
    );
    assert!(r.summary.upstreams > 0);
    assert_eq!(r.summary.reachable, r.summary.upstreams);
}

#[test]
fn compose_deployment_passes() {
    assert_pass(&Input {
        nginx: vec![file("deploy/compose/nginx.conf")],
        topology: vec![TopologyInput {
            file: file("deploy/compose/docker-compose.yml"),
            format: None,
        }],
        ..Default::default()
    });
}

#[test]
fn kubernetes_deployment_passes_from_manifests_alone() {
    let mut topology = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(root().join("deploy/kubernetes"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    for n in names {
        topology.push(TopologyInput {
            file: file(&format!("deploy/kubernetes/{n}")),
            format: None,
        });
    }
    assert_pass(&Input {
        topology,
        ..Default::default()
    });
}

#[test]
fn dockerfile_is_multi_stage_non_root_and_exposes_the_service_port() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert!(froms.len() >= 2, "multi-stage: {froms:?}");
    assert!(
        froms.last().unwrap().contains("scratch") || froms.last().unwrap().contains("distroless")
    );
    let user = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("USER "))
        .expect("a USER line");
    assert!(
        !user.contains("root") && !user.ends_with(" 0") && !user.contains(" 0:"),
        "{user}"
    );
    let expose = lines
        .iter()
        .find(|l| l.starts_with("EXPOSE "))
        .expect("EXPOSE");
    // The service's default listen port.
    assert_eq!(expose.trim_start_matches("EXPOSE ").trim(), "8080");
    assert!(lines.iter().any(|l| l.starts_with("HEALTHCHECK")));
    // The probe follows UPCHECK_LISTEN rather than a URL of its own.
    assert!(text.contains("CMD [\"/usr/local/bin/upcheck\", \"healthcheck\"]"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ENTRYPOINT [\"/usr/local/bin/upcheck\"]"))
    );
    assert!(
        text.contains("--locked"),
        "release build from the committed Cargo.lock"
    );
}

fn yaml(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(rel)).expect(rel);
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The GitHub Action builds the image from this repository's Dockerfile
/// (no published image), and its script runs the same `upcheck validate`
/// a user would, with the inputs it documents.
#[test]
fn the_github_action_builds_the_repositorys_dockerfile() {
    let a = yaml("action.yml");
    assert_eq!(a["runs"]["using"], "composite");
    let steps = a["runs"]["steps"].as_array().unwrap();
    let script: String = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        script.contains("docker build") && script.contains("$GITHUB_ACTION_PATH/Dockerfile"),
        "{script}"
    );
    assert!(script.contains("validate --fail-on"), "{script}");
    for input in ["path", "fail-on", "sarif-file", "args"] {
        assert!(
            a["inputs"][input]["description"].is_string(),
            "input {input}"
        );
    }
    // Every `inputs.X` the steps read is declared.
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for used in text.split("inputs.").skip(1) {
        let name: String = used
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(a["inputs"][&name].is_object(), "undeclared input `{name}`");
    }
}

/// The pre-commit hook runs `upcheck validate` in the repository root, as
/// pre-commit's rust language builds it.
#[test]
fn the_pre_commit_hook_runs_validate_on_the_files_it_reads() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let h = &hooks[0];
    assert_eq!(h["id"], "upcheck");
    assert_eq!(h["language"], "rust");
    assert_eq!(h["entry"], "upcheck validate");
    assert_eq!(h["pass_filenames"], false);
    // pre-commit matches `files` with Python's re.search; this pattern
    // means the same in the regex crate.
    let re = regex::Regex::new(h["files"].as_str().unwrap()).unwrap();
    let files = |f: &str| re.is_match(f);
    for f in [
        "nginx/default.conf",
        "docker-compose.yml",
        "k8s/app.yaml",
        "Dockerfile",
        ".env",
        "upcheck.toml",
    ] {
        assert!(files(f), "the hook should run when {f} changes");
    }
    assert!(!files("src/main.rs"));
}

/// The manifests' YAML documents, as JSON values.
fn documents(rel: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Prometheus can scrape /metrics: the NetworkPolicy admits a pod labelled
/// `app.kubernetes.io/name=prometheus` in the `monitoring` namespace (the
/// README documents both) to the port upcheck listens on, beside nginx.
#[test]
fn the_network_policy_admits_nginx_and_a_labelled_prometheus() {
    let docs = documents("deploy/kubernetes/upcheck.yaml");
    let policy = docs
        .iter()
        .find(|d| d["kind"] == "NetworkPolicy")
        .expect("a NetworkPolicy");
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let port = &container["ports"][0]["containerPort"];
    let rules = policy["spec"]["ingress"].as_array().unwrap();
    let admits = |peer: &serde_json::Value| {
        rules.iter().any(|r| {
            r["ports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| &p["port"] == port)
                && r["from"].as_array().unwrap().iter().any(|f| f == peer)
        })
    };
    assert!(admits(&serde_json::json!({
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "upcheck-nginx"}}
    })));
    assert!(admits(&serde_json::json!({
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    })));
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("app.kubernetes.io/name=prometheus") && readme.contains("`monitoring`")
    );
}

/// Behind the shipped nginx the rate limit sees each client: nginx passes
/// the client address and upcheck trusts the proxy that sends it.
#[test]
fn nginx_forwards_the_client_address_to_a_upcheck_that_trusts_it() {
    let xff = "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;";
    let compose_conf = std::fs::read_to_string(root().join("deploy/compose/nginx.conf")).unwrap();
    assert!(compose_conf.contains(xff));
    let compose = documents("deploy/compose/docker-compose.yml");
    let env = &compose[0]["services"]["upcheck"]["environment"];
    assert!(
        env["UPCHECK_TRUSTED_PROXIES"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    let k8s_nginx = documents("deploy/kubernetes/nginx.yaml");
    let conf = k8s_nginx
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .map(|d| d["data"]["default.conf"].as_str().unwrap().to_string())
        .unwrap();
    assert!(conf.contains(xff));
    let docs = documents("deploy/kubernetes/upcheck.yaml");
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "UPCHECK_TRUSTED_PROXIES")
    );
}

#[test]
fn compose_with_report_storage_still_passes_and_points_upcheck_at_postgres() {
    let input = Input {
        nginx: vec![file("deploy/compose/nginx.conf")],
        topology: [
            "deploy/compose/docker-compose.yml",
            "deploy/compose/storage.yml",
        ]
        .into_iter()
        .map(|f| TopologyInput {
            file: file(f),
            format: None,
        })
        .collect(),
        ..Default::default()
    };
    assert_pass(&input);
    let storage: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root().join("deploy/compose/storage.yml")).unwrap(),
    )
    .unwrap();
    let url = storage["services"]["upcheck"]["environment"]["UPCHECK_DATABASE_URL"]
        .as_str()
        .unwrap();
    assert!(url.starts_with("postgres://"), "{url}");
    let host = url.split('@').nth(1).unwrap().split(':').next().unwrap();
    assert!(
        storage["services"][host].is_object(),
        "the URL names the compose service `{host}`"
    );
}

#[test]
fn the_sqlite_overlay_runs_one_replica_with_its_data_dir_on_the_claim() {
    let read = |p: &str| -> serde_json::Value {
        serde_saphyr::from_str(&std::fs::read_to_string(root().join(p)).expect(p)).expect(p)
    };
    let k = read("deploy/kubernetes/sqlite/kustomization.yaml");
    for r in k["resources"].as_array().unwrap() {
        let path = root()
            .join("deploy/kubernetes/sqlite")
            .join(r.as_str().unwrap());
        assert!(path.is_file(), "{}", path.display());
    }
    let d = read("deploy/kubernetes/sqlite/deployment.yaml");
    let pvc = read("deploy/kubernetes/sqlite/pvc.yaml");
    assert_eq!(d["spec"]["replicas"], 1, "SQLite has one writer");
    assert_eq!(d["spec"]["strategy"]["type"], "Recreate");
    let pod = &d["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    let dir = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "UPCHECK_DATA_DIR")
        .unwrap()["value"]
        .clone();
    let mount = &c["volumeMounts"][0];
    assert_eq!(mount["mountPath"], dir);
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .unwrap();
    assert_eq!(
        volume["persistentVolumeClaim"]["claimName"],
        pvc["metadata"]["name"]
    );
    // The base's container is the one patched.
    let base = std::fs::read_to_string(root().join("deploy/kubernetes/upcheck.yaml")).unwrap();
    assert!(base.contains(&format!("- name: {}", c["name"].as_str().unwrap())));
    assert!(base.contains("name: upcheck-database") && base.contains("optional: true"));
}

/// Every `UPCHECK_*` variable the deployment files set is one `upcheck
/// serve` reads: a misspelt one is ignored without a word, and the bound
/// it was meant to set (memory, say) silently goes back to its default.
#[test]
fn every_variable_the_deployment_sets_is_one_serve_reads() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .args(["serve", "--help"])
        .output()
        .expect("upcheck serve --help");
    let help = String::from_utf8(help.stdout).unwrap();
    let mut files = vec![root().join("Dockerfile")];
    for dir in ["deploy/compose", "deploy/kubernetes"] {
        files.extend(
            std::fs::read_dir(root().join(dir))
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path()),
        );
    }
    let mut seen = 0;
    for path in files.iter().filter(|p| p.is_file()) {
        let text = std::fs::read_to_string(path).unwrap();
        for (at, _) in text.match_indices("UPCHECK_") {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            seen += 1;
            assert!(
                // `[env: NAME=value]`, or `[env: NAME]` for a hidden value.
                [format!("[env: {name}="), format!("[env: {name}]")]
                    .iter()
                    .any(|k| help.contains(k)),
                "{} sets {name}, which `upcheck serve` does not read",
                path.display()
            );
        }
    }
    assert!(seen >= 5, "the deployment sets its variables: {seen}");
}

//! Kubernetes manifests name images, not build contexts: `upcheck
//! validate` in a project whose manifests run an image the repository
//! builds itself — in a Makefile target, or as a compose service's
//! `build:` with the same `image:` — reads that Dockerfile, so an nginx
//! built `FROM nginx` with its configuration `COPY`'d in is found, and the
//! verdict is the one real nginx gives.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// A fresh directory under the system's temp dir, removed on drop.
struct Project(PathBuf);

impl Project {
    fn new(name: &str, files: &[(&str, &str)]) -> Project {
        let dir = std::env::temp_dir().join(format!("upcheck-links-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, content) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        Project(dir)
    }

    /// `upcheck validate ARGS --format json` in the project's root, with
    /// an empty environment: the exit code and the report.
    fn validate(&self, args: &[&str]) -> (i32, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_upcheck"))
            .current_dir(&self.0)
            .env_clear()
            .arg("validate")
            .args(args)
            .args(["--format", "json"])
            .output()
            .expect("the binary runs");
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not a JSON report ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), report)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PROXY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: proxy}
spec:
  selector: {matchLabels: {app: proxy}}
  template:
    metadata: {labels: {app: proxy}}
    spec:
      containers:
        - name: proxy
          image: ghcr.io/acme/proxy:v1.4.0
          ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: proxy}
spec:
  selector: {app: proxy}
  ports: [{port: 80, targetPort: 80}]
";

const API: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: python:3.12
          command: [gunicorn, --bind, 0.0.0.0:8000, app:app]
          ports: [{containerPort: 8000}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 8000, targetPort: 8000}]
";

const MAKEFILE: &str = "\
REGISTRY ?= ghcr.io/acme
PROXY_IMAGE ?= $(REGISTRY)/proxy
VERSION := $(shell git describe --tags)

.PHONY: images
images: ## Build the images
\t$(CONTAINER_TOOL) build -t $(PROXY_IMAGE):$(VERSION) -f docker/proxy.Dockerfile proxy

CONTAINER_TOOL ?= docker
";

const DOCKERFILE: &str = "\
FROM node:20 AS assets
RUN npm run build
FROM nginx:1.27-alpine
COPY nginx.conf /etc/nginx/conf.d/default.conf
";

fn nginx_conf(upstream: &str) -> String {
    format!(
        "server {{\n    listen 80;\n    location / {{\n        proxy_pass http://{upstream};\n    }}\n}}\n"
    )
}

fn files(report: &Value) -> Vec<(String, String, String)> {
    report["input"]["files"]
        .as_array()
        .expect("input files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["role"].as_str().unwrap_or_default().to_string(),
                f["container_path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn upstreams(report: &Value) -> Vec<(String, String)> {
    report["upstreams"]
        .as_array()
        .expect("upstreams")
        .iter()
        .map(|u| {
            (
                u["target"].as_str().unwrap_or_default().to_string(),
                u["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The message of the note naming the link.
fn link_note(report: &Value) -> String {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["message"].as_str())
        .find(|m| m.contains("which this repository builds"))
        .unwrap_or_else(|| panic!("no link note: {report:#}"))
        .to_string()
}

fn with_makefile(name: &str, upstream: &str) -> Project {
    Project::new(
        name,
        &[
            ("k8s/proxy.yaml", PROXY),
            ("k8s/api.yaml", API),
            ("Makefile", MAKEFILE),
            ("docker/proxy.Dockerfile", DOCKERFILE),
            ("proxy/nginx.conf", &nginx_conf(upstream)),
        ],
    )
}

#[test]
fn a_makefile_target_links_the_manifest_to_the_nginx_it_builds() {
    let p = with_makefile("make-pass", "api:8000");
    let (code, report) = p.validate(&[]);
    assert_eq!(
        (code, report["verdict"].as_str()),
        (0, Some("pass")),
        "{report:#}"
    );
    assert_eq!(
        upstreams(&report),
        [("http://api:8000".into(), "reachable".into())]
    );
    let files = files(&report);
    assert!(
        files.contains(&("Makefile".into(), "project".into(), String::new())),
        "{files:?}"
    );
    // The configuration the Dockerfile copies is where the image has it.
    assert!(
        files.contains(&(
            "proxy/nginx.conf".into(),
            "nginx-included".into(),
            "/etc/nginx/conf.d/default.conf".into()
        )),
        "{files:?}"
    );
    assert_eq!(
        link_note(&report),
        "`proxy` runs `ghcr.io/acme/proxy:v1.4.0`, which this repository builds from `docker/proxy.Dockerfile` (context `proxy`) in `Makefile` (target `images`), as `ghcr.io/acme/proxy:*` (another tag of that image): read as that Dockerfile says; a registry's copy may be an older build"
    );
}

#[test]
fn the_linked_configuration_decides_the_verdict() {
    // The Service `api` forwards 8000: port 9000 is refused.
    let (code, report) = with_makefile("make-fail", "api:9000").validate(&[]);
    assert_eq!(
        (code, report["verdict"].as_str()),
        (1, Some("fail")),
        "{report:#}"
    );
    assert_eq!(
        upstreams(&report),
        [("http://api:9000".into(), "unreachable".into())]
    );
    // No link, no nginx: the image's name says nothing of what it runs.
    let p = Project::new(
        "no-link",
        &[
            ("k8s/proxy.yaml", PROXY),
            ("k8s/api.yaml", API),
            ("docker/proxy.Dockerfile", DOCKERFILE),
            ("proxy/nginx.conf", &nginx_conf("api:8000")),
        ],
    );
    let (code, report) = p.validate(&[]);
    assert_eq!(
        (code, report["verdict"].as_str()),
        (2, Some("error")),
        "{report:#}"
    );
}

#[test]
fn a_compose_build_links_manifests_named_below_the_repository_root() {
    let compose = "\
services:
  proxy:
    build:
      context: ./proxy
      dockerfile: ../docker/proxy.Dockerfile
    image: ghcr.io/acme/proxy:v1.4.0
    ports: [\"8080:80\"]
";
    let p = Project::new(
        "compose",
        &[
            ("k8s/proxy.yaml", PROXY),
            ("k8s/api.yaml", API),
            ("docker-compose.yml", compose),
            ("docker/proxy.Dockerfile", DOCKERFILE),
            ("proxy/nginx.conf", &nginx_conf("api:8000")),
        ],
    );
    let (code, report) = p.validate(&["--topology", "k8s/proxy.yaml", "k8s/api.yaml"]);
    assert_eq!(
        (code, report["verdict"].as_str()),
        (0, Some("pass")),
        "{report:#}"
    );
    assert_eq!(report["input"]["platform"], "kubernetes");
    // The compose file is read as a link source, not as the topology.
    let files = files(&report);
    assert!(
        files.contains(&(
            "../docker-compose.yml".into(),
            "project".into(),
            String::new()
        )),
        "{files:?}"
    );
    assert_eq!(
        link_note(&report),
        "`proxy` runs `ghcr.io/acme/proxy:v1.4.0`, which this repository builds from `../docker/proxy.Dockerfile` (context `../proxy`) in `../docker-compose.yml` (service `proxy`), under that very name and tag: read as that Dockerfile says; a registry's copy may be an older build"
    );
    // With no flags, the compose file is the project, as docker compose
    // reads it (there nginx finds no `api`).
    let (_, report) = p.validate(&[]);
    assert_eq!(report["input"]["platform"], "compose");
}

#[test]
fn link_sources_are_looked_for_up_to_the_repository_root_only() {
    let layout = |git: bool| {
        let mut files = vec![
            ("repo/k8s/proxy.yaml", PROXY.to_string()),
            ("repo/k8s/api.yaml", API.to_string()),
            (
                "Makefile",
                "images:\n\tdocker build -t ghcr.io/acme/proxy -f repo/docker/proxy.Dockerfile repo/proxy\n"
                    .to_string(),
            ),
            ("repo/docker/proxy.Dockerfile", DOCKERFILE.to_string()),
            ("repo/proxy/nginx.conf", nginx_conf("api:8000")),
        ];
        if git {
            files.push(("repo/.git/HEAD", "ref: refs/heads/main\n".to_string()));
        }
        let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
        Project::new(if git { "git-root" } else { "no-git" }, &files)
    };
    let args = ["--topology", "repo/k8s/proxy.yaml", "repo/k8s/api.yaml"];
    // Two levels up from the manifests, where upcheck runs: read.
    let (code, report) = layout(false).validate(&args);
    assert_eq!(
        (code, report["verdict"].as_str()),
        (0, Some("pass")),
        "{report:#}"
    );
    assert!(link_note(&report).contains("in `../../Makefile` (target `images`)"));
    // Above the directory holding `.git`: not the repository's, not read.
    let (code, report) = layout(true).validate(&args);
    assert_eq!(code, 2, "{report:#}");
}

//! Links through the whole load: a Kubernetes manifest (or a compose
//! file) with the project's other files beside it.

use super::*;
use crate::source::SourceFile;
use crate::topology::{Container, Document, load};

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: IMAGE\n";

const NGINX_DOCKERFILE: &str = "FROM nginx:1.27 AS runtime\nCOPY nginx.conf /etc/nginx/conf.d/default.conf\nFROM alpine AS debug\n";

/// Loads `topology` (at `path`) with `files` as the project's other files.
fn load_project(path: &str, topology: &str, files: &[(&str, &str)]) -> Topology {
    load_in(LoadOptions::default(), path, topology, files)
}

/// [`load_project`] with `opts`.
fn load_in(mut opts: LoadOptions, path: &str, topology: &str, files: &[(&str, &str)]) -> Topology {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new(path, topology));
    for (p, t) in files {
        let id = sources.add(SourceFile::new(*p, *t));
        opts.files.insert(p.to_string(), id);
    }
    load(&sources, &[Document { file, format: None }], &opts)
}

fn running(image: &str, files: &[(&str, &str)]) -> Topology {
    load_project("k8s/web.yaml", &DEPLOY.replace("IMAGE", image), files)
}

fn web(t: &Topology) -> &Container {
    t.units
        .iter()
        .flat_map(|u| &u.containers)
        .find(|c| c.name == "web" || c.service.as_deref() == Some("web"))
        .expect("the web container")
}

fn note(t: &Topology) -> &str {
    t.diagnostics
        .iter()
        .find(|d| d.message.contains("which this repository builds"))
        .map(|d| d.message.as_str())
        .unwrap_or_else(|| panic!("no link note: {:#?}", t.diagnostics))
}

const COMPOSE: &str = "services:\n  web:\n    build:\n      context: ./web\n      dockerfile: prod.Dockerfile\n      target: runtime\n      args:\n        PORT: \"8080\"\n    image: acme/web:1.2\n  db:\n    image: postgres:16\n";

#[test]
fn a_compose_build_with_the_same_image_gives_a_kubernetes_container_its_dockerfile() {
    let t = running(
        "acme/web:1.2",
        &[
            ("docker-compose.yml", COMPOSE),
            ("web/prod.Dockerfile", NGINX_DOCKERFILE),
            (
                "web/nginx.conf",
                "server { location / { proxy_pass http://api:8000; } }\n",
            ),
        ],
    );
    let c = web(&t);
    let b = c.build.as_deref().expect("linked");
    assert_eq!(
        (
            b.context.as_str(),
            b.dockerfile.as_str(),
            b.target.as_deref()
        ),
        ("web", "web/prod.Dockerfile", Some("runtime"))
    );
    assert_eq!(b.args["PORT"], "8080");
    assert_eq!(b.via, "`docker-compose.yml` (service `web`)");
    // The target stage's base makes it an nginx; the image keeps its name.
    assert!(c.is_nginx);
    assert_eq!(c.image.as_deref(), Some("acme/web:1.2"));
    let copied = &b.image.as_ref().expect("evaluated").files[0];
    assert_eq!(copied.path, "/etc/nginx/conf.d/default.conf");
    assert_eq!(
        note(&t),
        "`web` runs `acme/web:1.2`, which this repository builds from `web/prod.Dockerfile` (context `web`, target `runtime`) in `docker-compose.yml` (service `web`), under that very name and tag: read as that Dockerfile says; a registry's copy may be an older build"
    );
}

#[test]
fn another_tag_links_too_and_says_so() {
    let t = running(
        "docker.io/acme/web:prod",
        &[
            ("docker-compose.yml", COMPOSE),
            ("web/prod.Dockerfile", NGINX_DOCKERFILE),
        ],
    );
    assert!(web(&t).build.is_some());
    crate::testing::assert_contains(note(&t), ", as `acme/web:1.2` (another tag of that image):");
}

#[test]
fn compose_reads_its_env_file_and_override_and_names_unnamed_builds() {
    let compose = "name: shop\nservices:\n  web:\n    build: ./web\n    image: ${REGISTRY}/web:${TAG:-dev}\n  worker:\n    build: ./worker\n";
    let files: &[(&str, &str)] = &[
        ("compose.yaml", compose),
        (
            "compose.override.yaml",
            "services:\n  web:\n    build:\n      target: runtime\n",
        ),
        (".env", "REGISTRY=ghcr.io/acme\n"),
        ("web/Dockerfile", NGINX_DOCKERFILE),
    ];
    let t = running("ghcr.io/acme/web:dev", files);
    let b = web(&t).build.as_deref().expect("linked");
    assert_eq!(
        (b.dockerfile.as_str(), b.target.as_deref()),
        ("web/Dockerfile", Some("runtime"))
    );
    crate::testing::assert_contains(note(&t), "under that very name and tag");
    // Compose names a build without `image:` `<project>-<service>`.
    let t = running("shop-worker", files);
    assert_eq!(
        web(&t).build.as_deref().map(|b| b.context.as_str()),
        Some("worker")
    );
    crate::testing::assert_contains(note(&t), "compose's default image name");
}

#[test]
fn the_surest_build_wins_and_the_others_are_named() {
    let make =
        "IMG ?= acme/web\nimage:\n\tdocker build -t $(IMG):$(shell git rev-parse HEAD) web\n";
    let files: &[(&str, &str)] = &[
        ("Makefile", make),
        ("docker-compose.yml", COMPOSE),
        ("web/Dockerfile", NGINX_DOCKERFILE),
        ("web/prod.Dockerfile", NGINX_DOCKERFILE),
    ];
    let t = running("acme/web:1.2", files);
    assert_eq!(
        web(&t).build.as_deref().unwrap().dockerfile,
        "web/prod.Dockerfile"
    );
    assert!(
        note(&t).ends_with("; other builds of that name differ: `web/Dockerfile` (context `web`) in `Makefile` (target `image`)"),
        "{}",
        note(&t)
    );
    // With only the Makefile: another tag (one it cannot resolve).
    let t = running("acme/web:1.2", &files[..1]);
    crate::testing::assert_contains(note(&t), "as `acme/web:*` (another tag of that image)");
}

#[test]
fn a_name_made_of_unresolved_parts_links_nothing() {
    let make = "image:\n\tdocker build -t $(IMG) web\n";
    let t = running(
        "nginx:1.27",
        &[("Makefile", make), ("web/Dockerfile", NGINX_DOCKERFILE)],
    );
    assert!(web(&t).build.is_none());
    assert!(
        !t.diagnostics
            .iter()
            .any(|d| d.message.contains("which this repository builds"))
    );
}

#[test]
fn compose_files_are_link_sources_only_beside_another_kind_of_topology() {
    let refs = |t: &Topology| -> Vec<String> {
        t.references
            .iter()
            .filter(|r| r.kind == ReferenceKind::BuildLinks)
            .map(|r| r.path.clone())
            .collect()
    };
    let k8s = running("acme/web:1.2", &[]);
    let wanted = refs(&k8s);
    for p in [
        "Makefile",
        "skaffold.yaml",
        ".github/workflows",
        "compose.yaml",
        "docker-compose.yml",
    ] {
        assert!(wanted.iter().any(|w| w == p), "{p} in {wanted:?}");
    }
    // `.env` only once a compose file is there to use it.
    assert!(!wanted.iter().any(|w| w == ".env"));
    let with = running("acme/web:1.2", &[("docker-compose.yml", COMPOSE)]);
    assert!(refs(&with).iter().any(|w| w == ".env"));
    // A compose topology: the Makefile links, other compose files do not.
    let topo = "services:\n  web:\n    image: acme/web:1.2\n";
    let t = load_project(
        "compose.yaml",
        topo,
        &[
            ("docker-compose.yml", COMPOSE),
            ("Makefile", "i:\n\tdocker build -t acme/web api\n"),
            ("api/Dockerfile", "FROM python:3.12\n"),
        ],
    );
    assert!(!refs(&t).iter().any(|w| w.contains("compose")));
    assert_eq!(
        web(&t).build.as_deref().map(|b| b.context.as_str()),
        Some("api")
    );
}

#[test]
fn a_compose_file_above_the_manifests_builds_relative_to_its_own_directory() {
    let compose = "services:\n  web:\n    build: ./web\n    image: acme/web:1.2\n  worker:\n    build: ./worker\n";
    let files: &[(&str, &str)] = &[
        ("../docker-compose.yml", compose),
        ("../web/Dockerfile", "FROM nginx:1.27\n"),
    ];
    // The project directory is `k8s`; the compose project is the one above.
    let opts = LoadOptions {
        project_dir: Some("k8s".into()),
        ..LoadOptions::default()
    };
    let deploy = |image: &str| DEPLOY.replace("IMAGE", image);
    let t = load_in(opts.clone(), "web.yaml", &deploy("acme/web:1.2"), files);
    let b = web(&t).build.as_deref().expect("linked");
    assert_eq!(
        (b.context.as_str(), b.dockerfile.as_str()),
        ("../web", "../web/Dockerfile")
    );
    assert_eq!(b.via, "`../docker-compose.yml` (service `web`)");
    assert!(web(&t).is_nginx);
    // Its project name is not the manifests' directory's: without `name:`,
    // the default image name of `worker` is unknown.
    let t = load_in(opts, "web.yaml", &deploy("k8s-worker"), files);
    assert!(web(&t).build.is_none());
}

//! Topology: the world nginx will live in. [`load`] reads compose files,
//! Kubernetes manifests, a native JSON model or a live dump (`docker
//! inspect`, `kubectl get -o json`) into one [`Topology`] model of network
//! namespaces, networks, addresses, listeners, names, Services and volumes.
//!
//! Each loader builds units and containers from its format; then the
//! shared steps run in order: listener inference ([`infer`]), the
//! address plan ([`addressing`]), and finding nginx ([`find_nginx`]).

pub mod addressing;
pub mod build;
pub(crate) mod compose;
pub(crate) mod endpoints;
pub(crate) mod infer;
pub(crate) mod kubernetes;
pub(crate) mod links;
pub(crate) mod live;
pub(crate) mod model;
pub(crate) mod names;
pub(crate) mod native;
pub(crate) mod read;
pub(crate) mod shell;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod yaml;

pub use endpoints::*;
pub use model::*;

use crate::source::{FileId, SourceFile, SourceMap, Span};
use serde::Serialize;
use std::collections::BTreeMap;

/// The format of a topology document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema), schema(as = TopologyFormat))]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A docker compose file.
    Compose,
    /// Kubernetes manifests (YAML or JSON, multi-document, `kind: List`).
    Kubernetes,
    /// upcheck's own JSON model.
    Native,
    /// `docker inspect` output (a JSON array of containers).
    DockerInspect,
    /// `kubectl get pods,svc,cm -o json` output.
    Kubectl,
}

impl Format {
    /// The format's name, as the API and the report spell it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Compose => "compose",
            Format::Kubernetes => "kubernetes",
            Format::Native => "native",
            Format::DockerInspect => "docker-inspect",
            Format::Kubectl => "kubectl",
        }
    }

    /// Parses a format name as used on the command line and in requests.
    pub fn from_name(s: &str) -> Option<Format> {
        Some(match s {
            "compose" | "docker-compose" => Format::Compose,
            "kubernetes" | "k8s" => Format::Kubernetes,
            "native" => Format::Native,
            "docker-inspect" => Format::DockerInspect,
            "kubectl" => Format::Kubectl,
            _ => return None,
        })
    }
}

/// One topology input file and its format (detected when `None`).
#[derive(Debug, Clone, Copy)]
pub struct Document {
    /// The file in the source map.
    pub file: FileId,
    /// Its format, if the caller knows it.
    pub format: Option<Format>,
}

/// Options for [`load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Compose project name (else top-level `name:`, else the directory of
    /// the first compose file, else `default`).
    pub project: Option<String>,
    /// Kubernetes namespace for objects that name none (else `default`).
    pub namespace: Option<String>,
    /// Variables for `${VAR}` interpolation in compose files.
    pub env: BTreeMap<String, String>,
    /// Overrides of the modelled address plan.
    pub plan: addressing::PlanOverrides,
    /// The nginx service or container, when automatic detection should not decide.
    pub nginx: Option<String>,
    /// Active compose profiles (`--profile`; `COMPOSE_PROFILES` in `env`
    /// or the project's `.env` adds to them; `*` activates every profile).
    pub profiles: Vec<String>,
    /// The project's other files in the source map, by path relative to
    /// the project directory: env files (read where a compose service's
    /// `env_file` names them, and the project's `.env` for interpolation),
    /// Dockerfiles and the build-context files they copy, mount sources.
    /// Env files submitted as topology documents are read the same way.
    pub files: BTreeMap<String, FileId>,
    /// Paths known to exist in the project whose content was not read
    /// (the rest of a build context), relative to the project directory.
    pub listed: std::collections::BTreeSet<String>,
    /// Directories whose every file is in `files` or `listed`.
    pub complete: std::collections::BTreeSet<String>,
    /// The project directory's name: compose's default project name.
    pub project_dir: Option<String>,
    /// Paths known not to exist in the project (see
    /// [`crate::input::Input::absent`]).
    pub absent: std::collections::BTreeSet<String>,
    /// Caps on interpolation and on the units modelled.
    pub budgets: crate::budget::Budgets,
    /// Past it, loaders stop reading more objects (the caller gives up on
    /// the result).
    pub deadline: crate::budget::Deadline,
}

impl LoadOptions {
    /// The load options an input's options ask for; an unparsable CIDR
    /// or address is a [`InputError::BadOption`].
    pub fn from_options(
        o: &crate::input::Options,
    ) -> Result<LoadOptions, crate::input::InputError> {
        use crate::input::InputError;
        let bad = |option: &'static str, v: &str| InputError::BadOption {
            option,
            message: format!("`{v}` is not an IPv4 CIDR"),
        };
        let mut plan = addressing::PlanOverrides::default();
        for (k, v) in &o.subnets {
            plan.subnets
                .insert(k.clone(), v.parse().map_err(|_| bad("subnets", v))?);
        }
        if let Some(v) = &o.pod_cidr {
            plan.pod_cidr = Some(v.parse().map_err(|_| bad("pod_cidr", v))?);
        }
        if let Some(v) = &o.service_cidr {
            plan.service_cidr = Some(v.parse().map_err(|_| bad("service_cidr", v))?);
        }
        if let Some(v) = &o.dns_ip {
            plan.dns_ip = Some(v.parse().map_err(|_| InputError::BadOption {
                option: "dns_ip",
                message: format!("`{v}` is not an IPv4 address"),
            })?);
        }
        plan.cluster_domain = o.cluster_domain.clone();
        Ok(LoadOptions {
            project: o.project.clone(),
            namespace: o.namespace.clone(),
            env: o.env.clone(),
            plan,
            nginx: o.nginx_service.clone(),
            profiles: o.profiles.clone(),
            files: BTreeMap::new(),
            listed: Default::default(),
            complete: Default::default(),
            absent: Default::default(),
            project_dir: o.project_dir.clone(),
            budgets: o.budgets,
            deadline: o.deadline,
        })
    }
}

/// Detects the format of a document from its content (and name).
pub fn detect(source: &SourceFile) -> Option<Format> {
    let text = String::from_utf8_lossy(&source.bytes);
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(trimmed).ok()?;
        return detect_json(&v);
    }
    let top_keys = top_level_keys(&text);
    let has = |k: &str| top_keys.contains(&k);
    if has("apiVersion") && has("kind") {
        Some(Format::Kubernetes)
    } else if has("services") || has("include") && !has("kind") {
        Some(Format::Compose)
    } else {
        None
    }
}

/// The keys of each YAML document's top-level mapping, read line by line:
/// a document's top level is the indentation of its first line of content
/// (YAML lets a whole document be indented, so that need not be column 0),
/// and documents end at `---` or `...`.
fn top_level_keys(text: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    let mut root = None;
    for line in text.lines() {
        if ["---", "..."].iter().any(|m| line.starts_with(m)) || line.starts_with('%') {
            root = None;
            continue;
        }
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') || content.starts_with('\t') {
            continue;
        }
        let indent = line.len() - content.len();
        if *root.get_or_insert(indent) != indent {
            continue;
        }
        if let Some((k, _)) = content.split_once(':') {
            keys.push(k.trim().trim_matches('"').trim_matches('\''));
        }
    }
    keys
}

fn detect_json(v: &serde_json::Value) -> Option<Format> {
    match v {
        serde_json::Value::Array(items) => {
            let first = items.first()?;
            if first.get("NetworkSettings").is_some() || first.get("Config").is_some() {
                Some(Format::DockerInspect)
            } else if first.get("apiVersion").is_some() {
                Some(Format::Kubernetes)
            } else {
                None
            }
        }
        serde_json::Value::Object(m) => {
            if m.contains_key("upcheck") || m.contains_key("units") {
                Some(Format::Native)
            } else if m.get("kind").and_then(|k| k.as_str()) == Some("List") {
                let live = m
                    .get("items")
                    .and_then(|i| i.as_array())
                    .is_some_and(|items| items.iter().any(|i| i.get("status").is_some()));
                Some(if live {
                    Format::Kubectl
                } else {
                    Format::Kubernetes
                })
            } else if m.contains_key("apiVersion") {
                // One live object (`kubectl get pod x -o json`) carries its status.
                let live = m.contains_key("status")
                    && m.get("metadata").and_then(|md| md.get("uid")).is_some();
                Some(if live {
                    Format::Kubectl
                } else {
                    Format::Kubernetes
                })
            } else if m.contains_key("services") {
                Some(Format::Compose)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Loads topology documents into one model. Never fails: a document that
/// cannot be read becomes an error diagnostic (and the verdict can never
/// be `pass`).
pub fn load(sources: &SourceMap, docs: &[Document], opts: &LoadOptions) -> Topology {
    let mut by_format: BTreeMap<u8, (Format, Vec<FileId>)> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    // Env files go with compose files (their `env_file`s and `.env`).
    let mut env_files = Vec::new();
    for d in docs {
        let src = sources.get(d.file);
        match d.format.or_else(|| detect(src)) {
            Some(f) => by_format
                .entry(f as u8)
                .or_insert((f, Vec::new()))
                .1
                .push(d.file),
            None if compose::looks_like_env_file(src) => env_files.push(d.file),
            None => {
                let (message, at) = compose::legacy_v1_refusal(d.file, src).unwrap_or_else(|| {
                    (
                        format!(
                            "cannot tell the format of `{}` (compose, kubernetes, native, docker-inspect, kubectl); name it explicitly",
                            src.path
                        ),
                        Span::new(d.file, 0, 0),
                    )
                });
                diagnostics.push(TopologyDiagnostic::new(
                    DiagSeverity::Error,
                    message,
                    Some(at),
                ));
            }
        }
    }
    match by_format.get_mut(&(Format::Compose as u8)) {
        Some((_, files)) => files.extend(env_files),
        None => diagnostics.extend(env_files.into_iter().map(|f| {
            TopologyDiagnostic::new(
                DiagSeverity::Error,
                format!(
                    "`{}` is an env file, but no compose file is submitted to use it",
                    sources.get(f).path
                ),
                Some(Span::new(f, 0, 0)),
            )
        })),
    }
    let mut groups = by_format.into_values();
    // Native files and kubectl dumps may state parts of the address plan
    // (cluster CIDRs, an observed kube-dns); the caller's options win.
    let mut plan = opts.plan.clone();
    let mut topo = match groups.next() {
        Some((Format::Compose, files)) => compose::load(sources, &files, opts),
        Some((Format::Kubernetes, files)) => kubernetes::load(sources, &files, opts),
        Some((Format::Native, files)) => native::load(sources, &files, opts, &mut plan),
        Some((Format::DockerInspect, files)) => live::load_docker(sources, &files, opts),
        Some((Format::Kubectl, files)) => live::load_kubectl(sources, &files, opts, &mut plan),
        None => empty(Platform::Compose),
    };
    for (f, files) in groups {
        topo.diagnostics.push(TopologyDiagnostic::new(
            DiagSeverity::Error,
            format!(
                "`{}` is {f:?} but the topology is already {:?}; submit one kind of topology at a time",
                sources.get(files[0]).path,
                topo.platform
            ),
            Some(Span::new(files[0], 0, 0)),
        ));
    }
    topo.diagnostics.splice(0..0, diagnostics);
    links::apply(sources, opts, &mut topo);
    build::apply(sources, opts, &mut topo);
    for unit in &mut topo.units {
        for c in &mut unit.containers {
            infer::fill(c);
        }
    }
    addressing::assign(&mut topo, &plan);
    find_nginx(&mut topo, opts.nginx.as_deref());
    topo
}

/// An empty topology of a platform.
pub fn empty(platform: Platform) -> Topology {
    Topology {
        platform,
        project: None,
        units: Vec::new(),
        networks: Vec::new(),
        services: Vec::new(),
        volumes: Vec::new(),
        mounted_files: Vec::new(),
        cluster: None,
        diagnostics: Vec::new(),
        references: Vec::new(),
        blockers: Vec::new(),
    }
}

/// Marks the containers that run nginx: the one named by the caller, else
/// every container whose image is nginx or openresty (any registry, tag or
/// variant such as `nginxinc/nginx-unprivileged`), else one that mounts
/// files under `/etc/nginx`.
pub fn find_nginx(topo: &mut Topology, name: Option<&str>) {
    if let Some(name) = name {
        let mut found = false;
        for u in &mut topo.units {
            let unit_match = u.name == name;
            let single = u.containers.len() == 1;
            for c in &mut u.containers {
                let hit =
                    unit_match && single || c.name == name || c.service.as_deref() == Some(name);
                c.is_nginx = hit;
                found |= hit;
            }
        }
        if !found {
            let known = topo.container_names();
            topo.diagnostics.push(TopologyDiagnostic::new(
                DiagSeverity::Error,
                format!(
                    "no service or container named `{name}` to run nginx (known: {})",
                    known.join(", ")
                ),
                None,
            ));
        }
        return;
    }
    let mut any = false;
    for u in &mut topo.units {
        for c in &mut u.containers {
            // The image named, or the base of the one the project builds.
            let base = c
                .build
                .as_ref()
                .and_then(|b| b.image.as_ref())
                .map(|i| i.base.as_str());
            c.is_nginx =
                c.image.as_deref().is_some_and(is_nginx_image) || base.is_some_and(is_nginx_image);
            any |= c.is_nginx;
        }
    }
    if any {
        return;
    }
    for u in &mut topo.units {
        for c in &mut u.containers {
            c.is_nginx = c.mounts.iter().any(|m| m.target.starts_with("/etc/nginx"));
        }
    }
}

/// True for images that run nginx: `nginx`, `nginx:1.27-alpine`,
/// `docker.io/library/nginx`, `nginxinc/nginx-unprivileged`, `openresty/openresty`,
/// `bitnami/nginx`.
pub fn is_nginx_image(image: &str) -> bool {
    let without_tag = image.split('@').next().unwrap_or(image);
    let last = without_tag.rsplit('/').next().unwrap_or(without_tag);
    let name = last.split(':').next().unwrap_or(last);
    (name.starts_with("nginx") || name.starts_with("openresty")) && !name.contains("exporter")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_images_are_recognised() {
        for i in [
            "nginx",
            "nginx:1.27-alpine",
            "docker.io/library/nginx:stable",
            "nginxinc/nginx-unprivileged:1.27",
            "openresty/openresty:alpine",
            "bitnami/nginx@sha256:abc",
        ] {
            assert!(is_nginx_image(i), "{i}");
        }
        for i in ["python:3.12", "nginx/nginx-prometheus-exporter", "redis"] {
            assert!(!is_nginx_image(i), "{i}");
        }
    }

    #[test]
    fn formats_are_detected_from_content() {
        let f = |t: &str| detect(&SourceFile::new("x", t));
        assert_eq!(
            f("services:\n  web:\n    image: nginx\n"),
            Some(Format::Compose)
        );
        assert_eq!(
            f("apiVersion: v1\nkind: Service\n"),
            Some(Format::Kubernetes)
        );
        assert_eq!(
            f("[{\"Id\": \"x\", \"NetworkSettings\": {}}]"),
            Some(Format::DockerInspect)
        );
        assert_eq!(
            f("{\"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", \"status\": {}}]}"),
            Some(Format::Kubectl)
        );
        assert_eq!(f("{\"upcheck\": 1, \"units\": []}"), Some(Format::Native));
        assert_eq!(f("hello: world\n"), None);
    }

    #[test]
    fn a_document_indented_as_a_whole_is_detected_like_any_other() {
        let f = |t: &str| detect(&SourceFile::new("x", t));
        let compose = "  # indented by the template that wrote it\n  services:\n    web:\n      image: nginx\n";
        assert_eq!(f(compose), Some(Format::Compose));
        // It loads as the same project would unindented.
        let opts = LoadOptions::default();
        let (t, _) = testing::load_one("app/compose.yaml", compose, None, &opts);
        assert_eq!(testing::names(&t), ["app-web-1"]);
        assert!(t.diagnostics.is_empty(), "{:?}", testing::diags(&t));
        let k8s = "---\n  apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n";
        assert_eq!(f(k8s), Some(Format::Kubernetes));
        // Each document has its own top level; a nested key is not one.
        assert_eq!(
            f("  apiVersion: v1\n  kind: Service\n---\napiVersion: v1\nkind: Pod\n"),
            Some(Format::Kubernetes)
        );
        assert_eq!(f("x-web:\n  services: []\n"), None);
        assert_eq!(f("  config:\n    kind: x\n    apiVersion: y\n"), None);
    }
}

//! Images the repository builds elsewhere than in the topology: a compose
//! service or a Kubernetes container that names an image (`image:
//! ghcr.io/acme/web:latest`) with no `build:` gets the Dockerfile that the
//! repository's own CI builds under that name. The links read, in order:
//! - a GitHub Actions workflow step `uses: docker/build-push-action` (its
//!   `with.context`, `with.file`, `with.tags`), or a `run:` script's
//!   `docker build`/`docker buildx build -t NAME [-f FILE] DIR`;
//! - `skaffold.yaml`'s `build.artifacts[]` (`image`, `context`,
//!   `docker.dockerfile`).
//!
//! A tag's `${{ … }}` expressions match any one path segment
//! (`ghcr.io/${{ github.repository_owner }}/web` matches
//! `ghcr.io/acme/web`); tags are not compared, since a workflow pushes
//! several. The link names the file and step it came from (`via`), so the
//! report says how the Dockerfile was found; it is only as certain as
//! "this repository builds an image of that name".

use super::build::{Build, Reference, ReferenceKind};
use super::model::Topology;
use super::shell;
use super::yaml::{Node, parse_documents};
use super::{DiagSeverity, TopologyDiagnostic};
use crate::nginx::include::normalize;
use crate::project::dockerfile::Runtime;
use crate::source::SourceMap;
use std::collections::BTreeMap;

/// Where the workflows and skaffold's file are, relative to the project.
pub const WORKFLOW_DIR: &str = ".github/workflows";
/// skaffold's configuration file.
pub const SKAFFOLD: &str = "skaffold.yaml";

/// Most links read from one project (a bound on the work per container).
const MAX_LINKS: usize = 256;

/// One image the repository builds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ImageBuild {
    /// The image's repository, split on `/` (`${{ … }}` segments are
    /// wildcards), without tag or digest.
    repository: Vec<String>,
    /// The build context, relative to the project directory.
    context: String,
    /// The Dockerfile, relative to the project directory.
    dockerfile: String,
    /// Where the link was read, for people.
    via: String,
}

/// Whether a topology needs links: a container names an image and has no
/// build.
pub fn wanted(topo: &Topology) -> bool {
    topo.units
        .iter()
        .flat_map(|u| &u.containers)
        .any(|c| c.build.is_none() && c.image.is_some())
}

/// Links every container that names an image the repository builds, and
/// lists what it read so discovery reads the workflows and skaffold.yaml.
pub(crate) fn apply(
    sources: &SourceMap,
    files: &BTreeMap<String, crate::source::FileId>,
    topo: &mut Topology,
) {
    if !wanted(topo) {
        return;
    }
    topo.references
        .push(Reference::new(ReferenceKind::Workflows, WORKFLOW_DIR));
    topo.references
        .push(Reference::new(ReferenceKind::Workflows, SKAFFOLD));
    let mut builds = Vec::new();
    for (path, id) in files {
        if builds.len() >= MAX_LINKS {
            break;
        }
        let in_workflows = path
            .strip_prefix(WORKFLOW_DIR)
            .is_some_and(|r| r.starts_with('/'))
            && (path.ends_with(".yml") || path.ends_with(".yaml"));
        if !in_workflows && path != SKAFFOLD {
            continue;
        }
        let Ok(docs) = parse_documents(*id, sources.get(*id)) else {
            continue;
        };
        for doc in &docs {
            if path == SKAFFOLD {
                skaffold(doc, path, &mut builds);
            } else {
                workflow(doc, path, &mut builds);
            }
        }
    }
    builds.truncate(MAX_LINKS);
    let mut notes = Vec::new();
    let runtime = match topo.platform {
        super::Platform::Kubernetes => Runtime::Kubernetes,
        _ => Runtime::Docker,
    };
    for unit in &mut topo.units {
        for c in &mut unit.containers {
            if c.build.is_some() {
                continue;
            }
            let Some(image) = c.image.as_deref() else {
                continue;
            };
            let wanted = repository(image);
            let Some(b) = builds.iter().find(|b| matches(&b.repository, &wanted)) else {
                continue;
            };
            let mut build = Build::new(&b.context, None, c.span, b.via.clone(), runtime);
            build.dockerfile = b.dockerfile.clone();
            c.build = Some(Box::new(build));
            notes.push(TopologyDiagnostic {
                severity: DiagSeverity::Info,
                message: format!(
                    "`{}` runs `{image}`, which this repository builds from `{}` (context `{}`) in {}: read as that Dockerfile says; a registry's copy may be an older build",
                    c.service.as_deref().unwrap_or(&c.name),
                    b.dockerfile,
                    if b.context.is_empty() { "." } else { &b.context },
                    b.via
                ),
                span: c.span,
            });
        }
    }
    topo.diagnostics.extend(notes);
}

/// The repository of an image reference, split on `/`: no tag, no digest.
fn repository(image: &str) -> Vec<String> {
    let no_digest = image.split('@').next().unwrap_or(image);
    // A `:` after the last `/` starts the tag (a registry's port comes
    // before a `/`).
    let name = match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    };
    let mut segs: Vec<String> = name.split('/').map(str::to_string).collect();
    // Docker Hub's implicit names: `nginx` is `docker.io/library/nginx`.
    if segs.len() == 1 {
        segs.insert(0, "library".into());
    }
    if !segs[0].contains('.') && !segs[0].contains(':') && segs[0] != "localhost" {
        segs.insert(0, "docker.io".into());
    }
    segs
}

/// Whether a built repository (with `${{ … }}` wildcards) is `wanted`.
fn matches(built: &[String], wanted: &[String]) -> bool {
    built.len() == wanted.len()
        && built
            .iter()
            .zip(wanted)
            .all(|(b, w)| b == w || (b.contains("${{") && b.contains("}}")))
}

/// The tags of a step: a list, or a string of lines or commas.
fn tags(n: &Node) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |s: &str| {
        out.extend(
            s.split(['\n', ','])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        )
    };
    match n.items() {
        [] => {
            if let Some(s) = n.as_str() {
                add(s)
            }
        }
        items => items.iter().filter_map(Node::as_str).for_each(&mut add),
    }
    out
}

fn push(builds: &mut Vec<ImageBuild>, tag: &str, context: &str, file: Option<&str>, via: String) {
    let context = normalize(context.trim_start_matches("./"));
    let context = if context == "." {
        String::new()
    } else {
        context
    };
    let dockerfile = match file {
        Some(f) => normalize(f.trim_start_matches("./")),
        None if context.is_empty() => "Dockerfile".into(),
        None => format!("{context}/Dockerfile"),
    };
    builds.push(ImageBuild {
        repository: repository(tag),
        context,
        dockerfile,
        via,
    });
}

/// The builds of a GitHub Actions workflow.
fn workflow(doc: &Node, path: &str, builds: &mut Vec<ImageBuild>) {
    let Some(jobs) = doc.get("jobs") else { return };
    for (job, j) in jobs.entries() {
        for (i, step) in j
            .get("steps")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let via = format!("`{path}` (job `{job}`, step {})", i + 1);
            let uses = step.get("uses").and_then(Node::as_str).unwrap_or_default();
            if uses.starts_with("docker/build-push-action") {
                let Some(with) = step.get("with") else {
                    continue;
                };
                let context = with.get("context").and_then(Node::as_str).unwrap_or(".");
                let file = with.get("file").and_then(Node::as_str);
                for t in with.get("tags").map(tags).unwrap_or_default() {
                    push(builds, &t, context, file, via.clone());
                }
            } else if let Some(run) = step.get("run").and_then(Node::as_str) {
                for cmd in shell::commands(run).unwrap_or_default() {
                    docker_build(&cmd.words, &via, builds);
                }
            }
        }
    }
}

/// `docker build` / `docker buildx build` / `podman build` with `-t`.
fn docker_build(words: &[String], via: &str, builds: &mut Vec<ImageBuild>) {
    let start = match words {
        [d, b, ..] if (d == "docker" || d == "podman") && b == "build" => 2,
        [d, x, b, ..] if d == "docker" && x == "buildx" && b == "build" => 3,
        _ => return,
    };
    let (mut tags, mut file, mut context) = (Vec::new(), None, None);
    let mut it = words[start..].iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "-t" | "--tag" => tags.extend(it.next().cloned()),
            "-f" | "--file" => file = it.next().cloned(),
            _ if w.starts_with("--tag=") => tags.push(w["--tag=".len()..].to_string()),
            _ if w.starts_with("--file=") => file = Some(w["--file=".len()..].to_string()),
            // Options with a value this reader does not need.
            "--build-arg" | "--target" | "--platform" | "--label" | "--cache-from" | "--secret"
            | "--output" | "-o" => {
                it.next();
            }
            _ if w.starts_with('-') => {}
            _ => context = Some(w.clone()),
        }
    }
    let Some(context) = context else { return };
    for t in tags {
        push(builds, &t, &context, file.as_deref(), via.to_string());
    }
}

/// The artifacts of a `skaffold.yaml`.
fn skaffold(doc: &Node, path: &str, builds: &mut Vec<ImageBuild>) {
    let artifacts = doc
        .get("build")
        .and_then(|b| b.get("artifacts"))
        .map(Node::items)
        .unwrap_or_default();
    for a in artifacts {
        let Some(image) = a.get("image").and_then(Node::as_str) else {
            continue;
        };
        let context = a.get("context").and_then(Node::as_str).unwrap_or(".");
        let file = a
            .get("docker")
            .and_then(|d| d.get("dockerfile"))
            .and_then(Node::as_str)
            .map(|f| {
                // skaffold's dockerfile is relative to the context.
                let c = normalize(context.trim_start_matches("./"));
                if c == "." || c.is_empty() {
                    f.to_string()
                } else {
                    format!("{c}/{f}")
                }
            });
        push(
            builds,
            image,
            context,
            file.as_deref(),
            format!("`{path}` (artifact `{image}`)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_compared_without_tags_and_with_docker_hub_names() {
        assert_eq!(repository("nginx:1.27"), ["docker.io", "library", "nginx"]);
        assert_eq!(
            repository("ghcr.io/acme/web:latest"),
            ["ghcr.io", "acme", "web"]
        );
        assert_eq!(
            repository("localhost:5000/web@sha256:abc"),
            ["localhost:5000", "web"]
        );
        let built = repository("ghcr.io/${{ github.repository_owner }}/web:${{ env.TAG }}");
        assert!(matches(&built, &repository("ghcr.io/acme/web:latest")));
        assert!(!matches(&built, &repository("ghcr.io/acme/api:latest")));
        assert!(!matches(&built, &repository("docker.io/acme/web")));
    }

    #[test]
    fn docker_build_commands_give_tag_context_and_file() {
        let mut b = Vec::new();
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        docker_build(
            &w("docker build -t acme/web:1 -f docker/web.Dockerfile --build-arg X=1 ."),
            "ci",
            &mut b,
        );
        docker_build(&w("docker buildx build --tag=acme/api ./api"), "ci", &mut b);
        docker_build(&w("docker run -t acme/web"), "ci", &mut b);
        assert_eq!(b.len(), 2);
        assert_eq!(
            (
                b[0].repository.join("/"),
                b[0].context.as_str(),
                b[0].dockerfile.as_str()
            ),
            (
                "docker.io/acme/web".to_string(),
                "",
                "docker/web.Dockerfile"
            )
        );
        assert_eq!(
            (
                b[1].repository.join("/"),
                b[1].context.as_str(),
                b[1].dockerfile.as_str()
            ),
            ("docker.io/acme/api".to_string(), "api", "api/Dockerfile")
        );
    }
}

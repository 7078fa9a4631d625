//! Images the repository builds elsewhere than in the topology: a compose
//! service or a Kubernetes container that names an image (`image:
//! ghcr.io/acme/web:latest`) with no `build:` gets the Dockerfile the
//! repository builds under that name. The link sources, in this order:
//! - `skaffold.yaml`'s artifacts and GitHub Actions workflows
//!   (`docker/build-push-action`, `docker build` in `run:`), in [`workflow`];
//! - when the topology is not compose (Kubernetes manifests), the
//!   project's compose file and its override: a service's `build:` with its
//!   `image:`, read by the compose loader, in [`compose`];
//! - the Makefile: a recipe's `docker build -t NAME [-f FILE] DIR`, make
//!   variables expanded, in [`make`].
//!
//! Names are compared without their tag ([`name`]): what a source cannot
//! resolve (`${{ … }}`, a make variable set on the command line) matches
//! any text within one segment. When several builds match, the surest
//! wins (same name and tag, then another tag, then a name with unresolved
//! parts), then the first in the order above. The note on the container
//! names the file and step, target or service the link came from, how
//! sure it is, and any other build of that name that disagrees; it is
//! only as certain as "this repository builds an image of that name".

mod command;
mod compose;
mod make;
mod name;

pub(crate) use name::is_registry;
mod workflow;

use super::build::{Build, Reference, ReferenceKind};
use super::model::Topology;
use super::yaml::parse_documents;
use super::{DiagSeverity, LoadOptions, Platform, TopologyDiagnostic};
use crate::project::dockerfile::Runtime;
use crate::project::locate::{COMPOSE_NAMES, OVERRIDE_NAMES};
use crate::source::{FileId, SourceMap};
use name::{Certainty, HOLE, Pattern, with_holes};
use std::collections::BTreeMap;

/// Where the workflows are, relative to the project.
pub const WORKFLOW_DIR: &str = ".github/workflows";
/// skaffold's configuration file.
pub const SKAFFOLD: &str = "skaffold.yaml";
/// The names GNU make looks for, in its order.
pub const MAKEFILES: &[&str] = &["GNUmakefile", "makefile", "Makefile"];

/// Most builds read from one project (a bound on the work per container).
const MAX_LINKS: usize = 256;
/// Most disagreeing builds named in a note.
const MAX_OTHERS: usize = 3;

/// One image the repository builds.
#[derive(Debug, Clone)]
pub(super) struct ImageBuild {
    /// The name as the source wrote it (make's unresolved parts as holes).
    written: String,
    /// The name to compare.
    pattern: Pattern,
    /// The build (`via` says where it was read), paths relative to the
    /// project directory.
    build: Build,
}

impl ImageBuild {
    /// A build of `context` whose Dockerfile is `dockerfile` (relative to
    /// the project; `context/Dockerfile` when `None`), tagged `written`.
    fn new(written: &str, context: &str, dockerfile: Option<&str>, via: String) -> ImageBuild {
        let mut build = Build::new(context, None, None, via, Runtime::Docker);
        if let Some(f) = dockerfile {
            build.dockerfile = f.to_string();
        }
        ImageBuild::from_build(written, build)
    }

    /// A build read whole (a compose service's), tagged `written`.
    fn from_build(written: &str, build: Build) -> ImageBuild {
        ImageBuild {
            written: written.to_string(),
            pattern: Pattern::parse(&with_holes(written)),
            build,
        }
    }

    /// The Dockerfile, context and target, for people.
    fn describe(&self) -> String {
        let b = &self.build;
        let context = if b.context.is_empty() {
            "."
        } else {
            &b.context
        };
        let target = b
            .target
            .as_ref()
            .map(|t| format!(", target `{t}`"))
            .unwrap_or_default();
        match &b.inline {
            Some(_) => format!("the `dockerfile_inline` (context `{context}`{target})"),
            None => format!("`{}` (context `{context}`{target})", b.dockerfile),
        }
    }

    /// Whether two builds produce the same image.
    fn same(&self, other: &ImageBuild) -> bool {
        let (a, b) = (&self.build, &other.build);
        a.context == b.context
            && a.dockerfile == b.dockerfile
            && a.target == b.target
            && a.inline.as_ref().map(|i| &i.0) == b.inline.as_ref().map(|i| &i.0)
    }
}

/// Whether a topology needs links: a container names an image and has no
/// build.
pub fn wanted(topo: &Topology) -> bool {
    topo.units
        .iter()
        .flat_map(|u| &u.containers)
        .any(|c| c.build.is_none() && c.image.is_some())
}

/// A path's leading `..` segments and the rest: a link source in a
/// directory above the project's (read when the topology files were named
/// from there) builds relative to that directory.
fn split_up(path: &str) -> (&str, &str) {
    let mut at = 0;
    while path[at..].starts_with("../") {
        at += 3;
    }
    (path[..at].trim_end_matches('/'), &path[at..])
}

/// What a link source is, in the order one directory's are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Skaffold,
    Compose,
    Makefile,
    Workflow,
}

/// The link sources among the project's files, by directory (`""` the
/// project's, then `..`, `../..` …): their kind, path and file.
fn by_directory(files: &BTreeMap<String, FileId>) -> BTreeMap<&str, Vec<(Source, &str, FileId)>> {
    let mut levels: BTreeMap<&str, Vec<(Source, &str, FileId)>> = BTreeMap::new();
    for (path, &id) in files {
        let (up, rest) = split_up(path);
        let kind = if rest == SKAFFOLD {
            Source::Skaffold
        } else if COMPOSE_NAMES.contains(&rest) || OVERRIDE_NAMES.contains(&rest) {
            Source::Compose
        } else if MAKEFILES.contains(&rest) {
            Source::Makefile
        } else if rest
            .strip_prefix(WORKFLOW_DIR)
            .is_some_and(|r| r.starts_with('/'))
            && (rest.ends_with(".yml") || rest.ends_with(".yaml"))
        {
            Source::Workflow
        } else {
            continue;
        };
        levels.entry(up).or_default().push((kind, path, id));
    }
    levels
}

/// The compose files of one directory read as link sources: the first
/// default name present and its first override, as `docker compose`
/// picks them.
fn compose_files(up: &str, files: &BTreeMap<String, FileId>) -> Vec<FileId> {
    [COMPOSE_NAMES, OVERRIDE_NAMES]
        .iter()
        .filter_map(|names| {
            names
                .iter()
                .find_map(|n| files.get(&command::join(up, n)).copied())
        })
        .collect()
}

/// Every build the project's link sources describe, in link order: the
/// project directory's first, then each directory above it; in one
/// directory skaffold, compose, the Makefile, the workflows.
fn read(sources: &SourceMap, opts: &LoadOptions, compose_links: bool) -> Vec<ImageBuild> {
    let mut builds = Vec::new();
    let yaml = |id: FileId| parse_documents(id, sources.get(id)).unwrap_or_default();
    for (up, mut found) in by_directory(&opts.files) {
        found.sort();
        let compose = compose_files(up, &opts.files);
        let mut compose_read = false;
        // make reads the first of its names.
        let makefile = MAKEFILES
            .iter()
            .map(|m| command::join(up, m))
            .find(|m| opts.files.contains_key(m));
        for (kind, path, id) in found {
            if builds.len() >= MAX_LINKS {
                break;
            }
            match kind {
                Source::Skaffold => {
                    for doc in yaml(id) {
                        workflow::skaffold(&doc, path, up, &mut builds);
                    }
                }
                Source::Compose if compose_links && !compose_read && !compose.is_empty() => {
                    compose_read = true;
                    compose::builds(sources, &compose, up, opts, &mut builds);
                }
                Source::Compose => {}
                Source::Makefile if makefile.as_deref() == Some(path) => {
                    let text = sources.get(id).text();
                    make::builds(&text, path, &opts.env, &mut builds, MAX_LINKS);
                }
                Source::Makefile => {}
                Source::Workflow => {
                    for doc in yaml(id) {
                        workflow::workflow(&doc, path, up, &mut builds);
                    }
                }
            }
        }
    }
    builds.truncate(MAX_LINKS);
    builds
}

/// Links every container that names an image the repository builds, and
/// lists the link sources so discovery reads them.
pub(crate) fn apply(sources: &SourceMap, opts: &LoadOptions, topo: &mut Topology) {
    if !wanted(topo) {
        return;
    }
    // A compose topology builds its own images; compose files are link
    // sources only for another kind of topology.
    let compose_links = topo.platform != Platform::Compose;
    let mut paths: Vec<&str> = vec![WORKFLOW_DIR, SKAFFOLD];
    paths.extend(MAKEFILES);
    if compose_links {
        paths.extend(COMPOSE_NAMES.iter().chain(OVERRIDE_NAMES));
        if by_directory(&opts.files)
            .keys()
            .any(|up| !compose_files(up, &opts.files).is_empty())
        {
            // What compose interpolates the file with.
            paths.push(".env");
        }
    }
    topo.references.extend(
        paths
            .into_iter()
            .map(|p| Reference::new(ReferenceKind::BuildLinks, p)),
    );
    let builds = read(sources, opts, compose_links);
    let runtime = match topo.platform {
        Platform::Kubernetes => Runtime::Kubernetes,
        _ => Runtime::Docker,
    };
    let mut notes = Vec::new();
    for unit in &mut topo.units {
        for c in &mut unit.containers {
            if c.build.is_some() {
                continue;
            }
            let Some(image) = c.image.as_deref() else {
                continue;
            };
            let running = Pattern::parse(image);
            let hits: Vec<(Certainty, &ImageBuild)> = builds
                .iter()
                .filter_map(|b| Some((b.pattern.matches(&running)?, b)))
                .collect();
            // The surest, the first of equals.
            let Some(&(certainty, best)) =
                hits.iter().rev().max_by_key(|(certainty, _)| *certainty)
            else {
                continue;
            };
            let mut others: Vec<&ImageBuild> = Vec::new();
            for (_, b) in &hits {
                if !b.same(best) && !others.iter().any(|o| o.same(b)) {
                    others.push(b);
                }
            }
            let how = match certainty {
                Certainty::Exact => ", under that very name and tag".to_string(),
                Certainty::OtherTag => format!(
                    ", as `{}` (another tag of that image)",
                    best.written.replace(HOLE, "*")
                ),
                Certainty::Pattern => format!(
                    ", as `{}` (its unresolved parts match any name)",
                    best.written.replace(HOLE, "*")
                ),
            };
            let differ = if others.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = others
                    .iter()
                    .take(MAX_OTHERS)
                    .map(|o| format!("{} in {}", o.describe(), o.build.via))
                    .collect();
                format!(
                    "; other builds of that name differ: {}{}",
                    list.join("; "),
                    if others.len() > MAX_OTHERS {
                        " …"
                    } else {
                        ""
                    }
                )
            };
            notes.push(TopologyDiagnostic::new(
                DiagSeverity::Info,
                format!(
                    "`{}` runs `{image}`, which this repository builds from {} in {}{how}: read as that Dockerfile says; a registry's copy may be an older build{differ}",
                    c.service.as_deref().unwrap_or(&c.name),
                    best.describe(),
                    best.build.via,
                ),
                c.span,
            ));
            let mut build = best.build.clone();
            build.span = c.span;
            build.runtime = runtime;
            build.linked = true;
            c.build = Some(Box::new(build));
        }
    }
    topo.diagnostics.extend(notes);
}

#[cfg(test)]
mod tests;

//! Compose files as a link source, when the topology is something else
//! (Kubernetes manifests): a service with `build:` builds the image its
//! `image:` names (or, without `image:`, compose's default name
//! `<project>-<service>`). The files are read by the compose loader itself
//! — merge with the override file, `.env` interpolation, `build:` short
//! and long syntax (context, dockerfile, dockerfile_inline, target, args)
//! — and only their builds are kept; they are never part of the topology.

use super::ImageBuild;
use crate::source::{FileId, SourceMap};
use crate::topology::LoadOptions;
use std::collections::BTreeSet;

/// The builds of the compose project made of `files` (main file first),
/// in the directory `up` (`""`, or `..` … above the project's).
pub(super) fn builds(
    sources: &SourceMap,
    files: &[FileId],
    up: &str,
    opts: &LoadOptions,
    out: &mut Vec<ImageBuild>,
) {
    // The project directory's name is not that of a directory above it.
    let mut opts = opts.clone();
    if !up.is_empty() {
        opts.project_dir = None;
    }
    let topo = crate::topology::compose::load(sources, files, &opts);
    // Without a name (`name:`, COMPOSE_PROJECT_NAME, a directory's), the
    // default image names are not known.
    let project = topo.project.clone().filter(|p| p != "default");
    let mut seen = BTreeSet::new();
    for c in topo.units.iter().flat_map(|u| &u.containers) {
        let (Some(service), Some(build)) = (&c.service, &c.build) else {
            continue;
        };
        if !seen.insert(service.clone()) {
            continue;
        }
        let Some(name) = c
            .image
            .clone()
            .or_else(|| Some(format!("{}-{service}", project.as_deref()?)))
        else {
            continue;
        };
        let file = c
            .span
            .map(|s| sources.get(s.file).path.clone())
            .unwrap_or_else(|| sources.get(files[0]).path.clone());
        let via = if c.image.is_some() {
            format!("`{file}` (service `{service}`)")
        } else {
            format!("`{file}` (service `{service}`, compose's default image name)")
        };
        let mut build = build.as_ref().clone();
        build.via = via;
        out.push(ImageBuild::from_build(&name, build));
    }
}

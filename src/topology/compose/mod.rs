//! docker compose files into the topology model, read the way compose-go
//! reads them: several files merged with compose's override rules (a
//! `compose.override.yaml` right after its main file), each file's
//! `extends` and `include` resolved against the other submitted files,
//! `${VAR}` interpolation from [`LoadOptions::env`] and the project's `.env`,
//! `env_file` contents when supplied, services outside the active profiles
//! dropped; then one unit (network namespace) per service replica,
//! `network_mode` groups sharing a unit, the implicit `<project>_default`
//! network, container names `<project>-<service>-<n>`, the names Docker's
//! embedded DNS answers on each network, published and exposed ports,
//! volumes, links and `extra_hosts`.
//!
//! The YAML tree is walked by hand, so a wrong type in one field is a located
//! warning about that field and the rest still loads; the errors compose
//! itself reports (an undefined service, network or volume, a bad port, a
//! missing `services`, a missing included file) are located errors worded
//! like compose-go. Merged values keep the span of the file that wrote them,
//! so a finding (and its fix) points into the right file. Listeners,
//! addresses and nginx detection are left to the shared steps that run after
//! this loader.
//!
//! The stages, in order, and the module of each:
//! - `files`: which submitted file is a compose file and which an env file,
//!   and the order of the `-f` files;
//! - `assembly`: each file parsed and the files merged into one model, by
//!   `merge` (compose's merge rules), `extends` and `include`, with `dotenv`
//!   for `.env` and `interpolate` for `${VAR}`;
//! - `profiles` and `project`: the services left after profiles, the
//!   project name;
//! - `loader`: the merged model read into service definitions (`service`,
//!   `environment`, `ports`, `volumes`, `networks`; string commands are
//!   split by `topology::shell::argv`, typed fields are read by
//!   `topology::read::Reader` in its compose dialect);
//! - `units`: the service definitions turned into units, networks and
//!   volumes, in creation order.

mod assembly;
mod build;
mod dotenv;
mod environment;
mod extends;
mod files;
mod include;
mod interpolate;
mod legacy;
mod loader;
mod merge;
mod networks;
mod ports;
mod profiles;
mod project;
mod service;
#[cfg(test)]
mod tests;
mod units;
mod volumes;

pub(crate) use dotenv::dotenv_values;
pub use files::looks_like_env_file;
pub(crate) use legacy::refusal_of as legacy_v1_refusal;

use crate::source::{FileId, SourceMap, Span};
use crate::topology::read::entries;
use crate::topology::yaml::Node;
use crate::topology::{LoadOptions, Platform, Topology, empty};
use assembly::Assembly;
use loader::{FileLoader, append, sort_networks};
use std::collections::BTreeMap;

/// Most replicas modelled for one service (inputs are bounded).
pub const MAX_REPLICAS: u32 = 100;

/// Deepest chain of `extends`, or of files including files.
const MAX_NESTING: usize = 64;

/// Loads compose files into a topology, as `docker compose -f a -f b`
/// builds its project. `files` may also hold env files (see
/// [`looks_like_env_file`]): they are read where a service's `env_file` or
/// the project's `.env` names them. Every problem becomes a located
/// diagnostic, never a failure.
pub fn load(sources: &SourceMap, files: &[FileId], opts: &LoadOptions) -> Topology {
    let mut topo = empty(Platform::Compose);
    let mut asm = Assembly::new(sources, files, opts);
    let model = asm.assemble();
    let project = asm.project_name(model.as_ref());
    topo.project = Some(project.clone());
    let declared = model
        .as_ref()
        .and_then(|m| m.get("services"))
        .map_or(0, |s| definitions(s).count());
    let mut model = model;
    let disabled = match &mut model {
        Some(m) => asm.filter_profiles(m),
        None => BTreeMap::new(),
    };
    let Assembly {
        files: ctx,
        mut r,
        loaded,
        docs,
        top,
        incomplete,
        references,
        ..
    } = asm;
    let mut loader = FileLoader {
        files: &ctx,
        project: &project,
        disabled: &disabled,
        incomplete,
        r: &mut r,
        references,
        blockers: Vec::new(),
        max_units: opts.budgets.max_units,
        deadline: opts.deadline,
    };
    for file in &loaded {
        for doc in docs.get(file).into_iter().flatten() {
            loader.check_interpolation(doc, &mut Vec::new());
        }
    }
    let part = model.as_ref().map(|m| loader.load(m));
    topo.references = std::mem::take(&mut loader.references);
    topo.blockers = std::mem::take(&mut loader.blockers);
    if let Some(part) = part {
        if declared == 0 && !part.broken {
            let first = top.first().copied().unwrap_or(FileId(0));
            let (message, span) = match part.services_key {
                Some(at) => ("the compose file defines no services".to_string(), at),
                None => (docs.get(&first).and_then(|d| d.first()))
                    .and_then(|root| legacy::refusal(&sources.get(first).path, root))
                    .unwrap_or_else(|| {
                        (
                            "`services` is missing: a compose file needs at least one service"
                                .to_string(),
                            Span::new(first, 0, 0),
                        )
                    }),
            };
            r.error(span, message);
        }
        append(&mut topo, part);
    }
    if let Some(at) = ctx.meter.crossed() {
        let first = top.first().copied().unwrap_or(FileId(0));
        r.error(
            at.unwrap_or(Span::new(first, 0, 0)),
            format!(
                "variable substitution makes this project's values larger than {} bytes (max_expanded_bytes); later substitutions are left empty",
                ctx.meter.limit()
            ),
        );
    }
    sort_networks(&mut topo);
    topo.diagnostics = r.sorted();
    topo
}

/// The entries of a section that define something: `x-` extension keys
/// left out.
pub(super) fn definitions(n: &Node) -> impl Iterator<Item = (&Node, &str, &Node)> {
    entries(n).filter(|(_, name, _)| !name.starts_with("x-"))
}

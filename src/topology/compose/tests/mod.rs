//! Tests of the compose loader, one file per concern; the helpers they share are here.

mod budgets;
mod documents;
mod environment;
mod extends;
mod files;
mod include;
mod interpolation;
mod merge;
mod networks;
mod ports;
mod profiles;
mod services;
mod volumes;

use super::load;
use crate::source::{SourceFile, SourceMap, Span};
use crate::topology::testing::{
    at, diags, find_diag, names, no_diags, pointed, pointed_as, said, said_as, unit,
};
use crate::topology::*;

fn load_opts(text: &str, opts: &LoadOptions) -> Topology {
    let mut sources = SourceMap::new();
    let f = sources.add(SourceFile::new("app/compose.yaml", text));
    load(&sources, &[f], opts)
}

fn load_str(text: &str) -> Topology {
    load_opts(text, &project_p())
}

fn with_env(text: &str, env: &[(&str, &str)]) -> Topology {
    let opts = LoadOptions {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..project_p()
    };
    load_opts(text, &opts)
}

fn net<'a>(t: &'a Topology, key: &str) -> &'a Network {
    t.networks.iter().find(|n| n.key == key).expect("network")
}

fn net_keys(t: &Topology) -> Vec<&str> {
    t.networks.iter().map(|n| n.key.as_str()).collect()
}

fn ports(t: &Topology, unit_name: &str) -> Vec<(u16, Option<u16>)> {
    unit(t, unit_name).containers[0]
        .ports
        .iter()
        .map(|p| (p.container_port, p.host_port))
        .collect()
}

/// Loads compose files with project files (env files) beside them.
fn load_with(
    files: &[(&str, &str)],
    project: &[(&str, &str)],
    opts: &LoadOptions,
) -> (Topology, SourceMap) {
    let mut sources = SourceMap::new();
    let ids: Vec<FileId> = files
        .iter()
        .map(|(p, t)| sources.add(SourceFile::new(*p, *t)))
        .collect();
    let mut opts = opts.clone();
    for (p, t) in project {
        let id = sources.add(SourceFile::new(*p, *t));
        opts.files.insert(p.to_string(), id);
    }
    let t = load(&sources, &ids, &opts);
    (t, sources)
}

/// Loads files (path, text) as the compose files of one project.
fn load_files(files: &[(&str, &str)], opts: &LoadOptions) -> (Topology, SourceMap) {
    load_with(files, &[], opts)
}

/// The options of project `p`.
fn project_p() -> LoadOptions {
    LoadOptions {
        project: Some("p".into()),
        ..Default::default()
    }
}

/// The image of the first container of unit `name`.
fn image<'t>(t: &'t Topology, name: &str) -> Option<&'t str> {
    unit(t, name).containers[0].image.as_deref()
}

fn env_of(t: &Topology, u: &str) -> Vec<(String, Option<String>)> {
    unit(t, u).containers[0]
        .env
        .iter()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect()
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

fn snip(sources: &SourceMap, span: Option<Span>) -> (String, String) {
    let span = span.expect("a span");
    (sources.get(span.file).path.clone(), sources.snippet(span))
}

/// Where each span points, as `file: text`.
fn snips(sources: &SourceMap, spans: impl IntoIterator<Item = Option<Span>>) -> Vec<String> {
    let at = |span| {
        let (file, text) = snip(sources, span);
        format!("{file}: {text}")
    };
    spans.into_iter().map(at).collect()
}

//! Tests of the Kubernetes loader, by concern; the helpers they share.

mod config_maps;
mod objects;
mod pods;
mod services;
mod workloads;

use super::*;
use crate::source::SourceFile;
use std::net::IpAddr;

fn load_text(text: &str) -> Topology {
    load_with(text, &LoadOptions::default())
}

fn load_with(text: &str, opts: &LoadOptions) -> Topology {
    let mut sources = SourceMap::new();
    let f = sources.add(SourceFile::new("k8s.yaml", text));
    load(&sources, &[f], opts)
}

fn at(text: &str, span: Option<Span>) -> &str {
    &text[span.expect("a span").range()]
}

fn messages(t: &Topology) -> Vec<String> {
    t.diagnostics.iter().map(|d| d.message.clone()).collect()
}

fn unit<'t>(t: &'t Topology, name: &str) -> &'t Unit {
    t.units
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no unit {name}"))
}

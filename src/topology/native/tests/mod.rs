//! Tests of the native loader, and of its schema and docs against each other.

mod loading;
mod schema;

use super::*;
use std::net::IpAddr;

fn load_text(text: &str) -> (Topology, SourceMap) {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new("topology.json", text));
    let topo = super::super::load(
        &sources,
        &[Document {
            file,
            format: Some(Format::Native),
        }],
        &LoadOptions::default(),
    );
    (topo, sources)
}

fn messages(t: &Topology) -> Vec<String> {
    t.diagnostics.iter().map(|d| d.message.clone()).collect()
}

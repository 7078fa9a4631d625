//! Tests of the Kubernetes loader, by concern; the helpers they share.

/// Loads `manifests/<name>.yaml`: its text, and the topology it makes.
macro_rules! manifest {
    ($name:literal) => {{
        let text: &'static str = include_str!(concat!("manifests/", $name, ".yaml"));
        (text, load_text(text))
    }};
}

mod config_maps;
mod endpoints;
mod objects;
mod pods;
mod services;
mod workloads;

use super::*;
use crate::source::SourceFile;
use crate::topology::testing::{at, messages, no_diags, unit};
use std::net::IpAddr;

fn load_text(text: &str) -> Topology {
    load_with(text, &LoadOptions::default())
}

fn load_with(text: &str, opts: &LoadOptions) -> Topology {
    let mut sources = SourceMap::new();
    let f = sources.add(SourceFile::new("k8s.yaml", text));
    load(&sources, &[f], opts)
}

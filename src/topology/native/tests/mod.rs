//! Tests of the native loader, and of its schema and docs against each other.

mod loading;
mod schema;

use super::*;
use crate::topology::testing::{load_one, messages};
use std::net::IpAddr;

fn load_text(text: &str) -> (Topology, SourceMap) {
    load_one(
        "topology.json",
        text,
        Some(Format::Native),
        &LoadOptions::default(),
    )
}

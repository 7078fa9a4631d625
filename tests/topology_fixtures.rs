//! Snapshot of the text view of every topology fixture: units, networks,
//! addresses, listeners, names and diagnostics. `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test --test topology_fixtures`) after a
//! deliberate change; CI fails on a missing or changed snapshot.

use std::path::Path;
use upcheck::source::{SourceFile, SourceMap};
use upcheck::topology::{self, Document, Format, LoadOptions};

fn render(path: &Path) -> String {
    render_as(path, None)
}

/// Renders a fixture read as `format` (detected when `None`).
fn render_as(path: &Path, format: Option<Format>) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/topology");
    let rel = path.strip_prefix(&root).unwrap_or(path);
    let mut sources = SourceMap::new();
    let bytes = std::fs::read(path).expect("fixture is readable");
    let file = sources.add(SourceFile::new(rel.to_string_lossy(), bytes));
    let opts = LoadOptions {
        // Fixtures are named for what they show; the project is fixed so
        // container names do not depend on the directory.
        project: Some("fixture".into()),
        ..Default::default()
    };
    let topo = topology::load(&sources, &[Document { file, format }], &opts);
    upcheck::report::topology::text(&topo, &sources)
}

#[test]
fn compose_fixtures() {
    let _snapshots = snapshot_dir();
    insta::glob!("fixtures/topology/compose/*.yml", |path| {
        insta::assert_snapshot!(render(path));
    });
}

#[test]
fn kubernetes_fixtures() {
    let _snapshots = snapshot_dir();
    insta::glob!("fixtures/topology/kubernetes/*.{yaml,json}", |path| {
        insta::assert_snapshot!(render(path));
    });
}

#[test]
fn native_fixtures() {
    let _snapshots = snapshot_dir();
    insta::glob!("fixtures/topology/native/*.json", |path| {
        insta::assert_snapshot!(render_as(path, Some(Format::Native)));
    });
}

/// Live dumps, read as the format their name says; the realistic ones
/// must also be detected as it.
#[test]
fn live_fixtures() {
    let _snapshots = snapshot_dir();
    insta::glob!("fixtures/topology/live/*.json", |path| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let format = if name.starts_with("kubectl-") {
            Format::Kubectl
        } else {
            Format::DockerInspect
        };
        if !name.contains("broken") {
            let bytes = std::fs::read(path).expect("fixture is readable");
            let src = SourceFile::new(name.to_string(), bytes);
            assert_eq!(topology::detect(&src), Some(format), "{name}");
        }
        insta::assert_snapshot!(render_as(path, Some(format)));
    });
}

#[test]
fn there_are_at_least_30_fixtures_of_each_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/topology");
    let count = |dir: &str| {
        std::fs::read_dir(root.join(dir))
            .map(|d| d.filter_map(Result::ok).count())
            .unwrap_or(0)
    };
    assert!(
        count("compose") >= 30,
        "compose fixtures: {}",
        count("compose")
    );
    assert!(
        count("kubernetes") >= 30,
        "kubernetes fixtures: {}",
        count("kubernetes")
    );
}

/// This suite's snapshots live in `tests/snapshots/topology_fixtures/`.
fn snapshot_dir() -> insta::internals::SettingsBindDropGuard {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots/topology_fixtures");
    s.bind_to_scope()
}

//! Replays every input under tests/fuzz-regressions/<target>/ through the
//! same code its fuzz target runs (fuzz/fuzz_targets/<target>.rs): each is
//! an input that once crashed upcheck and must now be handled.

use std::path::Path;
use upcheck::input::{Input, InputFile, TopologyInput};
use upcheck::nginx::{self, ParseOptions};
use upcheck::source::{SourceFile, SourceMap};
use upcheck::topology::{self, Document, Format, LoadOptions};

fn nginx_parse(data: &[u8]) {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new("nginx.conf", data));
    sources.add(SourceFile::new("conf.d/a.conf", data));
    let opts = ParseOptions {
        comments: true,
        ..Default::default()
    };
    let config = nginx::parse(&sources, main, &opts);
    let _ = nginx::crossplane::payload(&config, &sources, Default::default());
    let _ = nginx::upstreams::extract(&config, &sources);
}

fn load(data: &[u8], format: Format) {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new("input", data));
    let topo = topology::load(
        &sources,
        &[Document {
            file,
            format: Some(format),
        }],
        &LoadOptions::default(),
    );
    let _ = upcheck::report::topology::text(&topo, &sources);
}

fn validate(data: &[u8]) {
    let cut = data.iter().position(|b| *b == 0xFF).unwrap_or(data.len());
    let (nginx, topo) = data.split_at(cut);
    let input = Input {
        nginx: vec![InputFile::new("default.conf", nginx)],
        topology: vec![TopologyInput {
            file: InputFile::new("docker-compose.yml", topo.get(1..).unwrap_or_default()),
            format: None,
        }],
        ..Default::default()
    };
    if let Ok(r) = upcheck::validate(&input) {
        let _ = upcheck::report::render(&r, upcheck::report::Format::Text);
    }
}

#[test]
fn every_recorded_crash_is_handled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut n = 0;
    for target in [
        "nginx_parse",
        "compose_load",
        "kubernetes_load",
        "native_load",
        "validate",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            if e.file_name() == "README.md" {
                continue;
            }
            let data = std::fs::read(e.path()).unwrap();
            match target {
                "nginx_parse" => nginx_parse(&data),
                "compose_load" => load(&data, Format::Compose),
                "kubernetes_load" => load(&data, Format::Kubernetes),
                "native_load" => load(&data, Format::Native),
                _ => validate(&data),
            }
            n += 1;
        }
    }
    println!("fuzz regressions replayed: {n}");
}

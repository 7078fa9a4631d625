//! The whole pipeline: the input is split at the first 0xFF byte into an
//! nginx file and a topology document (format detected).
#![no_main]
use libfuzzer_sys::fuzz_target;
use upcheck::input::{Input, InputFile, TopologyInput};

fuzz_target!(|data: &[u8]| {
    let cut = data.iter().position(|b| *b == 0xFF).unwrap_or(data.len());
    let (nginx, topo) = data.split_at(cut);
    let topo = topo.get(1..).unwrap_or_default();
    let input = Input {
        nginx: vec![InputFile::new("default.conf", nginx)],
        topology: vec![TopologyInput {
            file: InputFile::new("docker-compose.yml", topo),
            format: None,
        }],
        ..Default::default()
    };
    if let Ok(report) = upcheck::validate(&input) {
        for f in [
            upcheck::report::Format::Json,
            upcheck::report::Format::Text,
            upcheck::report::Format::Markdown,
            upcheck::report::Format::Sarif,
        ] {
            let _ = upcheck::report::render(&report, f);
        }
    }
});

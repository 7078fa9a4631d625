//! The native topology loader on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use upcheck::source::{SourceFile, SourceMap};
use upcheck::topology::{self, Document, Format, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new("input", data));
    let docs = [Document {
        file,
        format: Some(Format::Native),
    }];
    let topo = topology::load(&sources, &docs, &LoadOptions::default());
    let _ = upcheck::report::topology::text(&topo, &sources);
});

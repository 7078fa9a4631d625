//! The nginx parser, includes and upstream extraction on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use upcheck::nginx::{self, ParseOptions};
use upcheck::source::{SourceFile, SourceMap};

fuzz_target!(|data: &[u8]| {
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
});

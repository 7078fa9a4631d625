//! Parser behaviour a user would notice, on small in-memory bundles.

use super::*;
use crate::source::SourceFile;

fn parse_one(text: &str) -> (SourceMap, Config) {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new("nginx.conf", text));
    let config = parse(&sources, main, &ParseOptions::default());
    (sources, config)
}

fn messages(c: &Config) -> Vec<String> {
    c.diagnostics.iter().map(|d| d.message.clone()).collect()
}

#[test]
fn seed_snippet_is_an_http_level_file() {
    let (_, c) = parse_one(
        "server{\n        listen 9001;\n        server_name 10.1.55.220;\n        location /{\n        proxy_pass http://model_test:6001;\n        }\n}\n",
    );
    assert_eq!(c.context, Ctx::Http);
    assert!(c.diagnostics.is_empty(), "{:?}", messages(&c));
    let server = c.files[0].block.directives().next().unwrap();
    let loc = server.children().find(|d| d.name == "location").unwrap();
    assert_eq!(loc.first_arg(), Some("/"));
}

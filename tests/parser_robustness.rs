//! The parser never panics and always finishes, whatever bytes it is fed:
//! arbitrary bytes, and real configurations with random damage. On the same
//! inputs, the payload `upcheck parse` streams as it reads is byte for byte
//! the one written from the tree.

use proptest::prelude::*;
use upcheck::nginx::{self, ParseOptions};
use upcheck::source::{SourceFile, SourceMap};

const REAL: &str = r#"user nginx;
events { worker_connections 1024; }
http {
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    upstream api { server api:8080 max_fails=3 fail_timeout=10s; server backup:8080 backup; }
    server {
        listen 80 default_server;
        server_name example.com "*.example.org";
        location / { proxy_pass http://api; proxy_set_header Upgrade $http_upgrade; }
        location ~ "^/id/[0-9]{6}$" { fastcgi_pass php:9000; include fastcgi_params; }
        location /lua { content_by_lua_block { ngx.say("}{") -- } comment
        } }
        if ($request_method = POST) { return 405; }
        access_log /var/log/${host}.log main;
    }
}
stream { server { listen 5432; proxy_pass db:5432; } }
"#;

fn parse_bytes(bytes: Vec<u8>) {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new("nginx.conf", bytes));
    sources.add(SourceFile::new(
        "conf.d/a.conf",
        "include nginx.conf; server { listen 1; }",
    ));
    let opts = ParseOptions {
        comments: true,
        ..Default::default()
    };
    let config = nginx::parse(&sources, main, &opts);
    // Every diagnostic points inside its file.
    for d in &config.diagnostics {
        let len = sources.get(d.span.file).bytes.len() as u32;
        assert!(d.span.start <= d.span.end && d.span.end <= len, "{d:?}");
    }
    let mut n = 0usize;
    config.walk(&mut |_, _, _| n += 1);
    let _ = nginx::crossplane::payload(&config, &sources, Default::default());
    streamed_equals_tree(&bytes_of(&sources, main));
}

fn bytes_of(sources: &SourceMap, id: upcheck::source::FileId) -> Vec<u8> {
    sources.get(id).bytes.clone()
}

/// The file alone (so it includes nothing), with and without comments, with
/// its context detected or given: the streamed payload is the tree's.
fn streamed_equals_tree(bytes: &[u8]) {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new("nginx.conf", bytes.to_vec()));
    for (comments, context) in [(false, None), (true, None), (false, Some(nginx::Ctx::Http))] {
        let parse = ParseOptions {
            comments,
            context,
            ..Default::default()
        };
        let opts = nginx::crossplane::Options {
            comments,
            ..Default::default()
        };
        let config = nginx::parse(&sources, main, &parse);
        let tree = nginx::crossplane::Payload::new(&config, &sources, opts).to_vec();
        let streamed = nginx::crossplane::stream(&sources, main, &parse, opts)
            .expect("a file alone includes nothing");
        assert_eq!(
            String::from_utf8_lossy(&streamed.to_vec()),
            String::from_utf8_lossy(&tree),
            "comments {comments}, context {context:?}"
        );
        assert_eq!(streamed.failed, config.has_errors());
    }
}

/// Damage to a real config: insert, delete or replace bytes at random
/// places, favouring the characters that matter to the grammar.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let special = prop_oneof![
        Just(b'{'),
        Just(b'}'),
        Just(b';'),
        Just(b'"'),
        Just(b'\''),
        Just(b'\\'),
        Just(b'$'),
        Just(b'#'),
        Just(b'\n'),
        any::<u8>(),
    ];
    proptest::collection::vec((0usize..REAL.len(), 0u8..3, special), 1..12).prop_map(|edits| {
        let mut bytes = REAL.as_bytes().to_vec();
        for (at, op, c) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match op {
                0 => bytes.insert(at, c),
                1 if !bytes.is_empty() => {
                    bytes.remove(at);
                }
                _ if !bytes.is_empty() => bytes[at] = c,
                _ => {}
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        parse_bytes(bytes);
    }

    #[test]
    fn grammar_soup_never_panics(s in "[a-z {};\"'\\\\$#\n()]{0,400}") {
        parse_bytes(s.into_bytes());
    }

    #[test]
    fn damaged_real_configs_never_panic(bytes in mutated()) {
        parse_bytes(bytes);
    }
}

#[test]
fn streaming_refuses_what_needs_the_tree() {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new("nginx.conf", "http { include a.conf; }"));
    sources.add(SourceFile::new("a.conf", "server { listen 80; }"));
    let parse = ParseOptions::default();
    let stream = |opts| nginx::crossplane::stream(&sources, main, &parse, opts);
    assert!(stream(Default::default()).is_none(), "an include to follow");
    let single = ParseOptions {
        single_file: true,
        ..Default::default()
    };
    let opts = nginx::crossplane::Options {
        single_file: true,
        ..Default::default()
    };
    assert!(nginx::crossplane::stream(&sources, main, &single, opts).is_some());
    for opts in [
        nginx::crossplane::Options {
            combine: true,
            ..Default::default()
        },
        nginx::crossplane::Options {
            positions: true,
            ..Default::default()
        },
    ] {
        assert!(stream(opts).is_none(), "{opts:?}");
    }
}

#[test]
fn the_undamaged_config_parses_cleanly() {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new("nginx.conf", REAL));
    let config = nginx::parse(&sources, main, &ParseOptions::default());
    assert!(!config.has_errors(), "{:?}", config.diagnostics);
}

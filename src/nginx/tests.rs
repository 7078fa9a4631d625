//! Parser behaviour a user would notice, on small in-memory bundles.

use super::*;
use crate::source::SourceFile;

/// The directives named `name`, in the order nginx reads them.
fn named<'c>(c: &'c Config, name: &str) -> Vec<&'c Directive> {
    let mut out = Vec::new();
    c.walk(&mut |d, _, _| {
        if d.name == name {
            out.push(d);
        }
    });
    out
}

/// The last directive named `name`.
fn last_named<'c>(c: &'c Config, name: &str) -> &'c Directive {
    let found = named(c, name).pop();
    found.unwrap_or_else(|| panic!("no `{name}` directive"))
}

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

fn bundle(files: &[(&str, &str)]) -> (SourceMap, Config) {
    let mut sources = SourceMap::new();
    for (p, t) in files {
        sources.add(SourceFile::new(*p, *t));
    }
    let config = parse(&sources, FileId(0), &ParseOptions::default());
    (sources, config)
}

/// The diagnostics of `text` parsed as `nginx.conf`, as [`located`]
/// writes them.
fn located_in(text: &str) -> Vec<String> {
    let (s, c) = parse_one(text);
    located(&s, &c)
}

fn located(s: &SourceMap, c: &Config) -> Vec<String> {
    c.diagnostics
        .iter()
        .map(|d| {
            let p = s.start(d.span);
            format!(
                "{}:{}:{} {}",
                s.get(d.span.file).path,
                p.line,
                p.column,
                d.message
            )
        })
        .collect()
}

fn names(b: &Block) -> Vec<String> {
    b.directives().map(|d| d.name.to_string()).collect()
}

#[test]
fn a_missing_brace_is_located_and_the_rest_of_the_file_survives() {
    let text = "http {\n    server {\n        location / {\n            proxy_pass http://a:1;\n    }\n    server {\n        location / { proxy_pass http://b:2; }\n    }\n}\n";
    let (s, c) = parse_one(text);
    assert_eq!(
        located(&s, &c),
        ["nginx.conf:3:9 block \"location\" is not closed: expecting \"}\""]
    );
    let http = c.files[0].block.directives().next().unwrap();
    // Both servers stay direct children of http.
    assert_eq!(names(http.block.as_ref().unwrap()), ["server", "server"]);
    let passes: Vec<&str> = (named(&c, "proxy_pass").iter())
        .map(|d| d.args[0].value.as_str())
        .collect();
    assert_eq!(passes, ["http://a:1", "http://b:2"]);
}

#[test]
fn an_extra_brace_is_reported_where_it_stands() {
    let text = "http {\n    server {\n        listen 80;\n            }\n    }\n    server { listen 81; }\n}\n";
    let (s, c) = parse_one(text);
    assert_eq!(located(&s, &c), ["nginx.conf:4:13 unexpected \"}\""]);
    let http = c.files[0].block.directives().next().unwrap();
    assert_eq!(names(http.block.as_ref().unwrap()), ["server", "server"]);
}

#[test]
fn a_flush_left_file_missing_a_brace_fails_at_the_end_like_nginx() {
    assert_eq!(
        located_in("http {\nserver {\nlisten 80;\n}\n"),
        ["nginx.conf:5:1 unexpected end of file, expecting \"}\""]
    );
}

#[test]
fn nginx_wording_for_unterminated_statements_and_quotes() {
    assert_eq!(
        located_in("events {}\nworker_processes 2"),
        ["nginx.conf:2:19 unexpected end of file, expecting \";\" or \"}\""]
    );
    let (_, c) = parse_one("events {}\nerror_log \"/var/log/x;\n");
    assert_eq!(c.diagnostics.len(), 1);
    assert!(
        c.diagnostics[0]
            .message
            .starts_with("unexpected end of file")
    );
    assert_eq!(
        located_in("events {}\nerror_log \"/x\"y;\n"),
        ["nginx.conf:2:15 unexpected \"y\""]
    );
    assert_eq!(
        located_in("http { server { listen 80 } }\n"),
        ["nginx.conf:1:27 unexpected \"}\""]
    );
}

#[test]
fn directive_table_errors_are_nginx_messages() {
    let (s, c) = parse_one(
        "events {}\nhttp { proxy_pass http://a; server { listen 80 { } location / { proxy_pass; } } }\n",
    );
    assert_eq!(
        located(&s, &c),
        [
            "nginx.conf:2:8 \"proxy_pass\" directive is not allowed here",
            "nginx.conf:2:38 directive \"listen\" is not terminated by \";\"",
            "nginx.conf:2:65 invalid number of arguments in \"proxy_pass\" directive",
        ]
    );
    assert!(c.has_errors());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = "a {".repeat(100_000);
    let (_, c) = parse_one(&text);
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.message.contains("nested too deeply"))
    );
    let text = "{".repeat(100_000) + &"}".repeat(100_000);
    let (_, c) = parse_one(&text);
    assert!(c.has_errors());
}

#[test]
fn includes_resolve_inside_the_bundle_relative_to_the_main_file() {
    let (s, c) = bundle(&[
        (
            "etc/nginx.conf",
            "http { include conf.d/*.conf; include missing.conf; include mime.types; }",
        ),
        (
            "etc/conf.d/b.conf",
            "server { listen 2; include conf.d/inner.inc; }",
        ),
        ("etc/conf.d/a.conf", "server { listen 1; }"),
        (
            "etc/conf.d/inner.inc",
            "location / { proxy_pass http://x:1; }",
        ),
        ("etc/other/z.conf", "server { listen 3; }"),
    ]);
    let paths: Vec<&str> = c.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "etc/nginx.conf",
            "etc/conf.d/a.conf",
            "etc/conf.d/b.conf",
            "etc/conf.d/inner.inc"
        ]
    );
    assert_eq!(c.files[3].ctx, Ctx::HttpServer);
    let errs: Vec<String> = located(&s, &c);
    assert_eq!(
        errs,
        [
            "etc/nginx.conf:1:39 open() \"etc/missing.conf\" failed (2: No such file or directory)",
            "etc/nginx.conf:1:61 \"mime.types\" is not among the submitted files; assuming the one the nginx image ships",
        ]
    );
    assert_eq!(c.diagnostics[1].severity, Severity::Info);
}

#[test]
fn include_cycles_are_reported_and_walks_terminate() {
    let (s, c) = bundle(&[
        ("nginx.conf", "http { include a.conf; }"),
        ("a.conf", "include b.conf;"),
        ("b.conf", "include a.conf; server { listen 1; }"),
    ]);
    assert_eq!(
        located(&s, &c),
        ["b.conf:1:9 include cycle: a.conf -> b.conf -> a.conf"]
    );
    let mut n = 0;
    c.walk(&mut |d, _, _| n += usize::from(d.name == "listen"));
    assert_eq!(n, 1);
}

#[test]
fn snippet_contexts_are_detected_and_can_be_forced() {
    let (_, c) = parse_one("location /api { proxy_pass http://api:80; }\nlisten 80;\n");
    assert_eq!(c.context, Ctx::HttpServer);
    let (_, c) = parse_one("proxy_pass http://api:80;\n");
    assert_eq!(c.context, Ctx::HttpLocation);
    let (_, c) = parse_one("upstream u { server a:1; }\nserver { listen 80; }\n");
    assert_eq!(c.context, Ctx::Http);
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new(
        "s.conf",
        "server { listen 5432; proxy_pass db:5432; }",
    ));
    let opts = ParseOptions {
        context: Some(Ctx::Stream),
        ..Default::default()
    };
    let c = parse(&sources, main, &opts);
    assert!(c.diagnostics.is_empty(), "{:?}", messages(&c));
}

#[test]
fn map_bodies_are_parameters_and_lua_bodies_one_argument() {
    let (_, c) = parse_one(
        "http {\n map $a $b { default 0; \"~^x{1,2}$\" 1; '' 2; }\n server { location / { content_by_lua_block { local t = {1, \"}\"} ngx.say(t) } } }\n}\n",
    );
    assert!(c.diagnostics.is_empty(), "{:?}", messages(&c));
    let http = c.files[0].block.directives().next().unwrap();
    let map = http.children().next().unwrap();
    assert!(map.children().all(|d| d.is_parameter));
    let lua = &last_named(&c, "content_by_lua_block").args;
    assert_eq!(lua.len(), 1);
    assert_eq!(lua[0].value, " local t = {1, \"}\"} ngx.say(t) ");
    assert_eq!(lua[0].quote, Quote::Lua);
}

#[test]
fn if_conditions_lose_their_parentheses_but_keep_exact_spans() {
    let text = "server { if ($request_method = POST) { return 405; } }";
    let (s, c) = parse_one(text);
    let args: Vec<String> = (last_named(&c, "if").args.iter())
        .map(|a| s.snippet(a.span))
        .collect();
    assert_eq!(args, ["$request_method", "=", "POST"]);
}

#[test]
fn invalid_utf8_is_read_lossily_with_a_located_warning() {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new(
        "nginx.conf",
        b"events {}\n# caf\xe9\nhttp { server { listen 80; } }\n".to_vec(),
    ));
    let c = parse(&sources, main, &ParseOptions::default());
    assert!(!c.has_errors());
    assert_eq!(c.diagnostics.len(), 1);
    assert_eq!(c.diagnostics[0].severity, Severity::Warning);
    assert_eq!(sources.start(c.diagnostics[0].span).line, 2);
}

#[test]
fn arguments_carry_exact_spans_and_quoting() {
    let text = "events {}\nhttp { log_format main '$remote_addr \"x\"' \"a\\\"b\"; }\n";
    let (s, c) = parse_one(text);
    let got: Vec<_> = (last_named(&c, "log_format").args.iter())
        .map(|a| {
            (
                a.value.clone(),
                a.quote,
                s.snippet(a.outer),
                s.start(a.span),
            )
        })
        .collect();
    assert_eq!(got[1].0, "$remote_addr \"x\"");
    assert_eq!(got[1].1, Quote::Single);
    assert_eq!(got[2].0, "a\"b");
    assert_eq!(got[2].2, "\"a\\\"b\"");
    assert_eq!(
        got[0].3,
        crate::source::Position {
            line: 2,
            column: 19
        }
    );
}

//! Reading targets: every `*_pass` form, escapes, nginx's load errors,
//! skipped directives, locations, the JSON view and the URL parser.

use super::*;

#[test]
fn seed_config_names_the_compose_service() {
    let (s, ex) = run(SEED);
    assert_eq!(ex.upstreams.len(), 1);
    let u = &ex.upstreams[0];
    assert_eq!(u.directive, UpstreamDirective::Proxy);
    assert_eq!(u.context, Ctx::HttpLocation);
    let h = host(u);
    assert_eq!(
        (h.host.as_str(), h.port, h.kind),
        ("model_test", Some(6001), HostKind::Name)
    );
    assert_eq!(at(&s, h.host_span), "model_test");
    assert_eq!(at(&s, h.port_span.unwrap()), "6001");
    assert_eq!(at(&s, u.span), "http://model_test:6001");
    assert_eq!(at(&s, u.url.scheme_span.unwrap()), "http");
    assert_eq!(u.url.scheme.as_deref(), Some("http"));
    assert_eq!(
        (u.url.default_port, u.url.tls, u.url.uri.as_deref()),
        (Some(80), false, None)
    );
    assert_eq!(u.effective_port(), Some(6001));
    assert_eq!(u.resolution, Resolution::Startup);
    let server = u.server.as_ref().unwrap();
    assert_eq!(server.server_names, ["10.1.55.220"]);
    assert_eq!(server.listens, [0]);
    let loc = u.location.as_ref().unwrap();
    assert_eq!((loc.modifier.as_deref(), loc.path.as_str()), (None, "/"));
    assert_eq!(at(&s, loc.path_span), "/");
    let l = inet(&ex.listens[0]);
    assert_eq!(
        (l.host.as_deref(), l.port, l.kind),
        (None, Some(9001), HostKind::Wildcard)
    );
    assert_eq!(at(&s, l.port_span.unwrap()), "9001");
    assert_eq!(ex.listens[0].server_names, ["10.1.55.220"]);
    assert!(u.notes.is_empty());
    let pos = s.start(h.host_span);
    assert_eq!((pos.line, pos.column), (6, 27));
}

#[test]
fn seed_config_with_loopback() {
    let (s, ex) = run(&SEED.replace("model_test", "127.0.0.1"));
    let h = host(&ex.upstreams[0]);
    assert_eq!((h.host.as_str(), h.kind), ("127.0.0.1", HostKind::Ipv4));
    assert_eq!(at(&s, h.host_span), "127.0.0.1");
    assert_eq!(at(&s, h.port_span.unwrap()), "6001");
    assert_eq!(ex.upstreams[0].resolution, Resolution::None);
}

#[test]
fn every_pass_directive_and_form() {
    let (s, ex) = run(r#"
server {
    listen 80;
    location /a/ { proxy_pass http://127.0.0.1:6001/api/; }
    location /b { proxy_pass https://[::1]:8443; }
    location /c { proxy_pass http://unix:/tmp/app.sock:/uri; }
    location /d { uwsgi_pass unix:/sock/app.sock; }
    location /e { uwsgi_pass uwsgi://app:3031; }
    location /f { uwsgi_pass suwsgi://app:3031; }
    location /g { grpc_pass grpcs://svc:50051; }
    location /h { grpc_pass svc:50051; }
    location /i { fastcgi_pass php:9000; }
    location /j { fastcgi_pass php; }
    location /k { scgi_pass scgi:4000; }
    location /l { memcached_pass localhost:11211; }
    location /m { proxy_pass http://app; }
    location /n { proxy_pass "http://model_test:6001"; }
    location /o { proxy_pass HTTPS://App:443/x?y=1; }
}
"#);
    insta::assert_snapshot!(summary(&s, &ex), @r#"
        proxy_pass host Ipv4 127.0.0.1 [127.0.0.1|6001] default=Some(80) tls=false uri=Some("/api/")
        proxy_pass host Ipv6 ::1 [::1|8443] default=Some(443) tls=true uri=None
        proxy_pass unix /tmp/app.sock [/tmp/app.sock] default=None tls=false uri=Some("/uri")
        uwsgi_pass unix /sock/app.sock [/sock/app.sock] default=None tls=false uri=None
        uwsgi_pass host Name app [app|3031] default=None tls=false uri=None
        uwsgi_pass host Name app [app|3031] default=None tls=true uri=None
        grpc_pass host Name svc [svc|50051] default=None tls=true uri=None
        grpc_pass host Name svc [svc|50051] default=None tls=false uri=None
        fastcgi_pass host Name php [php|9000] default=None tls=false uri=None
        fastcgi_pass host Name php [php|] default=None tls=false uri=None
        scgi_pass host Name scgi [scgi|4000] default=None tls=false uri=None
        memcached_pass host Localhost localhost [localhost|11211] default=None tls=false uri=None
        proxy_pass host Name app [app|] default=Some(80) tls=false uri=None
        proxy_pass host Name model_test [model_test|6001] default=Some(80) tls=false uri=None
        proxy_pass host Name App [App|443] default=Some(443) tls=true uri=Some("/x?y=1")
        "#);
    let a = &ex.upstreams[0];
    assert_eq!(at(&s, a.url.uri_span.unwrap()), "/api/");
    let c = &ex.upstreams[2];
    assert_eq!(at(&s, c.url.uri_span.unwrap()), "/uri");
    assert_eq!(c.resolution, Resolution::None);
    assert_eq!(ex.upstreams[4].url.scheme.as_deref(), Some("uwsgi"));
    assert_eq!(ex.upstreams[6].url.scheme.as_deref(), Some("grpcs"));
    let php = &ex.upstreams[9];
    assert_eq!(
        (host(php).port, php.url.default_port, php.effective_port()),
        (None, None, None)
    );
    assert_eq!(ex.upstreams[12].effective_port(), Some(80));
    assert_eq!(ex.upstreams[14].url.scheme.as_deref(), Some("https"));
    assert_eq!(at(&s, ex.upstreams[14].url.scheme_span.unwrap()), "HTTPS");
    assert!(ex.upstreams.iter().all(|u| u.notes.is_empty()));
    // Each location is recorded.
    assert_eq!(ex.upstreams[1].location.as_ref().unwrap().path, "/b");
}

#[test]
fn escapes_shift_raw_offsets() {
    let (s, ex) = run("location / { proxy_pass \"http://a\\\"b:80/x\\\\y\"; }");
    let u = &ex.upstreams[0];
    let h = host(u);
    assert_eq!(h.host, "a\"b");
    assert_eq!(at(&s, h.host_span), "a\\\"b");
    assert_eq!(at(&s, h.port_span.unwrap()), "80");
    assert_eq!(u.url.uri.as_deref(), Some("/x\\y"));
    assert_eq!(at(&s, u.url.uri_span.unwrap()), "/x\\\\y");
}

#[test]
fn nginx_load_errors_become_notes() {
    let (s, ex) = run(r#"
location /a { proxy_pass app:80; }
location /b { proxy_pass http://app:99999; }
location /c { uwsgi_pass app:3031/x; }
location /d { proxy_pass http://[::zz]:80; }
"#);
    let kinds: Vec<(NoteKind, String, String)> = ex
        .upstreams
        .iter()
        .flat_map(|u| u.notes.iter())
        .map(|n| (n.kind, n.message.clone(), at(&s, n.span)))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                NoteKind::InvalidUrlPrefix,
                "invalid URL prefix in \"app:80\"".into(),
                "app:80".into()
            ),
            (
                NoteKind::InvalidPort,
                "invalid port in upstream \"app:99999\"".into(),
                "99999".into()
            ),
            (
                NoteKind::InvalidAddress,
                "invalid host in upstream \"app:3031/x\"".into(),
                "app".into()
            ),
            (
                NoteKind::InvalidAddress,
                "invalid IPv6 address in upstream \"[::zz]:80\"".into(),
                "::zz".into()
            ),
        ]
    );
    // The invalid port still has its span, for a fix.
    let h = host(&ex.upstreams[1]);
    assert_eq!(
        (h.port, at(&s, h.port_span.unwrap()).as_str()),
        (None, "99999")
    );
    assert_eq!(ex.upstreams[0].url.default_port, None);
}

#[test]
fn rejected_and_parameter_lines_are_not_upstreams() {
    let (_, ex) = run(r#"
http {
    map $a $b { proxy_pass x; }
    server {
        proxy_pass http://rejected:1;
        location / {
            if ($x) { proxy_pass http://in_if:1; }
            limit_except GET { proxy_pass http://in_limit:2; }
            proxy_pass http://plain:3;
        }
    }
}
"#);
    let hosts: Vec<(&str, bool)> = ex
        .upstreams
        .iter()
        .map(|u| (host(u).host.as_str(), u.conditional))
        .collect();
    assert_eq!(
        hosts,
        [("in_if", true), ("in_limit", true), ("plain", false)]
    );
    assert_eq!(ex.upstreams[0].context, Ctx::HttpLocationIf);
    assert_eq!(ex.upstreams[0].location.as_ref().unwrap().path, "/");
}

#[test]
fn location_modifiers() {
    let (s, ex) = run(r#"
server {
    location = /exact { proxy_pass http://a; }
    location ~* \.php$ { fastcgi_pass php:9000; }
    location =/glued { proxy_pass http://b; }
    location @named { proxy_pass http://c; }
    location ^~ /img/ { location ~ \.png$ { proxy_pass http://d; } }
}
"#);
    let l: Vec<(Option<&str>, &str, String, bool)> = ex
        .upstreams
        .iter()
        .map(|u| {
            let l = u.location.as_ref().unwrap();
            (
                l.modifier.as_deref(),
                l.path.as_str(),
                at(&s, l.path_span),
                l.named,
            )
        })
        .collect();
    assert_eq!(
        l,
        [
            (Some("="), "/exact", "/exact".into(), false),
            (Some("~*"), "\\.php$", "\\.php$".into(), false),
            (Some("="), "/glued", "/glued".into(), false),
            (None, "@named", "@named".into(), true),
            (Some("~"), "\\.png$", "\\.png$".into(), false),
        ]
    );
}

#[test]
fn json_carries_line_and_column() {
    let (s, ex) = run(SEED);
    let v = ex.to_json_with_positions(&s);
    let h = &v["upstreams"][0]["target"]["host_span"];
    assert_eq!(
        (h["line"].as_u64(), h["column"].as_u64()),
        (Some(6), Some(27))
    );
    assert_eq!(v["upstreams"][0]["target"]["type"], "host");
    assert_eq!(v["upstreams"][0]["directive"], "proxy");
    assert_eq!(v["listens"][0]["address"]["port_span"]["line"], 2);
}

#[test]
fn url_parser_follows_nginx() {
    let p = |s: &str, uri_part: bool, listen: bool| {
        let u = parse_url(s.as_bytes(), 0..s.len(), uri_part, listen);
        (
            s[u.host.clone()].to_string(),
            u.port_value,
            u.uri.map(|r| s[r].to_string()),
            u.err.map(|e| e.1),
        )
    };
    assert_eq!(
        p("a:1/x:2", true, false),
        ("a".into(), Some(1), Some("/x:2".into()), None)
    );
    assert_eq!(
        p("a/x:2", true, false),
        ("a".into(), None, Some("/x:2".into()), None)
    );
    assert_eq!(
        p("a?x", true, false),
        ("a".into(), None, Some("?x".into()), None)
    );
    assert_eq!(p("a:", false, false).3, Some("invalid port"));
    assert_eq!(p("a:0", false, false).3, Some("invalid port"));
    assert_eq!(p(":80", false, false).3, Some("no host"));
    assert_eq!(p("80", false, true), ("".into(), Some(80), None, None));
    assert_eq!(p("[::1]", false, false), ("::1".into(), None, None, None));
    assert_eq!(p("unix:/a:b", false, false).0, "/a:b");
    assert_eq!(
        p("UNIX:/a:b", true, false),
        ("/a".into(), None, Some("b".into()), None)
    );
    assert_eq!(
        p("unix:", false, false).3,
        Some("no path in the unix domain socket")
    );
    assert!(is_ipv4("10.1.55.220") && !is_ipv4("10.1.55") && !is_ipv4("1.2.3.256"));
    assert_eq!(parse_time_ms("1h30m"), Some(5_400_000));
    assert_eq!(parse_time_ms("500ms"), Some(500));
    assert_eq!(parse_time_ms("10"), Some(10_000));
    assert_eq!(parse_time_ms("x"), None);
}

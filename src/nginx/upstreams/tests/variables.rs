//! Variable targets: `set`, `map`, `geo`, `split_clients` and `$scheme`
//! values, request variables, bounds and cycles.

use super::*;

#[test]
fn set_in_the_same_or_enclosing_block_feeds_a_variable() {
    let (s, ex) = run(r#"
server {
    listen 80;
    set $srv srv:9000;
    location / {
        set $backend app:8000;
        proxy_pass http://$backend;
    }
    location /s { proxy_pass http://$srv/x; }
    location /n {
        set $h app;
        set $b $h:9100;
        if ($arg_x) { set $b other:1; }
        proxy_pass http://$b;
    }
    location /other { set $backend elsewhere:1; }
}
"#);
    let u = &ex.upstreams[0];
    assert_eq!(u.resolution, Resolution::Runtime);
    assert_eq!(
        (u.url.scheme.as_deref(), u.url.default_port),
        (Some("http"), Some(80))
    );
    let v = var(u);
    assert_eq!(v.raw, "http://$backend");
    assert_eq!(v.variables.len(), 1);
    assert_eq!(at(&s, v.variables[0].span), "$backend");
    assert_eq!(v.static_values.len(), 1, "{:?}", v.static_values);
    assert!(v.complete);
    let c = &v.static_values[0];
    assert_eq!(c.value, "http://app:8000");
    let h = cand_host(c);
    assert_eq!((h.host.as_str(), h.port), ("app", Some(8000)));
    // The host and port spans point into the `set` value.
    assert_eq!(at(&s, h.host_span), "app");
    assert_eq!(at(&s, h.port_span.unwrap()), "8000");
    assert_eq!(s.start(h.host_span).line, 6);
    assert_eq!(c.sources[0].origin, ValueOrigin::Set);
    assert_eq!(
        at(&s, c.sources[0].entry_span.unwrap()),
        "set $backend app:8000;"
    );

    let srv = var(&ex.upstreams[1]);
    assert_eq!(srv.static_values[0].value, "http://srv:9000/x");
    assert_eq!(srv.static_values[0].uri.as_deref(), Some("/x"));
    assert_eq!(at(&s, cand_host(&srv.static_values[0]).host_span), "srv");

    let nested = var(&ex.upstreams[2]);
    assert_eq!(values(nested), ["http://app:9100", "http://other:1"]);
    let h = cand_host(&nested.static_values[0]);
    assert_eq!(s.start(h.host_span).line, 11);
    assert_eq!(at(&s, h.host_span), "app");
    assert_eq!(s.start(h.port_span.unwrap()).line, 12);
    assert_eq!(at(&s, h.port_span.unwrap()), "9100");
    assert_eq!(nested.static_values[0].sources.len(), 2);
}

#[test]
fn map_values_feed_a_variable_host() {
    let (s, ex) = run(r#"
http {
    map $host $upstream_host {
        hostnames;
        default a;
        x.example "b";
    }
    server {
        listen 80;
        location / { proxy_pass http://$upstream_host:8080; }
    }
}
"#);
    let v = var(&ex.upstreams[0]);
    assert!(v.complete);
    let got: Vec<(String, String, String, Option<String>)> = v
        .static_values
        .iter()
        .map(|c| {
            let h = cand_host(c);
            (
                c.value.clone(),
                at(&s, h.host_span),
                at(&s, h.port_span.unwrap()),
                c.sources[0].key.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "http://a:8080".into(),
                "a".into(),
                "8080".into(),
                Some("default".into())
            ),
            (
                "http://b:8080".into(),
                "b".into(),
                "8080".into(),
                Some("x.example".into())
            ),
        ]
    );
    // The port span is in the proxy_pass line, the hosts in the map.
    let h = cand_host(&v.static_values[0]);
    assert_eq!(s.start(h.port_span.unwrap()).line, 10);
    assert_eq!(s.start(h.host_span).line, 5);
    assert_eq!(v.static_values[0].sources[0].origin, ValueOrigin::Map);
}

#[test]
fn scheme_comes_from_the_servers_listens() {
    let (_, ex) = run(r#"
server {
    listen 80;
    listen 443 ssl;
    location / { proxy_pass $scheme://app; }
}
server { listen 8080; location / { proxy_pass $scheme://app; } }
"#);
    let u = &ex.upstreams[0];
    assert_eq!((u.url.scheme.as_deref(), u.url.default_port), (None, None));
    let v = var(u);
    let got: Vec<(&str, Option<u16>, bool, &str)> = v
        .static_values
        .iter()
        .map(|c| {
            (
                c.value.as_str(),
                c.default_port,
                c.tls,
                cand_host(c).host.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("http://app", Some(80), false, "app"),
            ("https://app", Some(443), true, "app")
        ]
    );
    assert_eq!(v.static_values[0].sources[0].origin, ValueOrigin::Builtin);
    let only_http = var(&ex.upstreams[1]);
    assert_eq!(only_http.static_values.len(), 1);
    assert_eq!(only_http.static_values[0].value, "http://app");
}

#[test]
fn request_variables_stay_unresolved() {
    let (s, ex) = run(r#"
server {
    location /a { proxy_pass http://$http_host; }
    location /b { proxy_pass http://app:8000$request_uri; }
    location /c { proxy_pass $target; }
    location /d { fastcgi_pass $fcgi; }
}
"#);
    let a = var(&ex.upstreams[0]);
    assert!(!a.complete);
    assert_eq!(a.static_values.len(), 1);
    assert!(a.static_values[0].target.is_none());
    assert_eq!(a.static_values[0].unresolved, ["http_host"]);
    // The host is static even though the URI is not.
    let b = &ex.upstreams[1];
    assert_eq!(b.url.uri.as_deref(), Some("$request_uri"));
    let bv = var(b);
    assert!(bv.complete);
    let h = cand_host(&bv.static_values[0]);
    assert_eq!((at(&s, h.host_span).as_str(), h.port), ("app", Some(8000)));
    assert_eq!(bv.static_values[0].unresolved, ["request_uri"]);
    let c = var(&ex.upstreams[2]);
    assert!(c.static_values[0].target.is_none());
    assert_eq!(ex.upstreams[2].url.default_port, None);
    assert!(ex.upstreams[2].notes.is_empty());
    assert_eq!(ex.upstreams[3].resolution, Resolution::Runtime);
}

#[test]
fn a_variable_naming_a_group_without_port_is_the_group() {
    let (_, ex) = run(r#"
http {
    upstream pool { server a:1; }
    map $uri $dest { default pool; /x pool:80; }
    server { location / { proxy_pass http://$dest; } }
}
"#);
    let u = &ex.upstreams[1];
    let v = var(u);
    assert!(matches!(&v.static_values[0].target, Some(Target::Group(g)) if g.group == 0));
    // With a port the run-time lookup skips the group and asks the resolver.
    assert_eq!(cand_host(&v.static_values[1]).host, "pool");
    assert!(u.notes.is_empty());
    assert_eq!(ex.groups[0].references, [1]);
}

#[test]
fn split_clients_and_geo_values() {
    let (_, ex) = run(r#"
http {
    split_clients "${remote_addr}" $variant { 50% blue:80; * green:80; }
    geo $zone { default eu; 10.0.0.0/8 us; }
    server { location / { proxy_pass http://$variant; } location /g { proxy_pass http://$zone.internal; } }
}
"#);
    assert_eq!(
        values(var(&ex.upstreams[0])),
        ["http://blue:80", "http://green:80"]
    );
    let g = var(&ex.upstreams[1]);
    assert_eq!(values(g), ["http://eu.internal", "http://us.internal"]);
    // The host is assembled from a geo value and literal text: no single span.
    assert!(g.static_values[0].target.is_none());
    assert!(g.static_values[0].problem.is_some());
}

#[test]
fn variable_names_follow_the_script_compiler() {
    let names =
        |s: &str| -> Vec<String> { find_vars(s.as_bytes()).into_iter().map(|v| v.1).collect() };
    assert_eq!(names("http://${a}b$c_1:$1/$"), ["a", "c_1", "1"]);
    assert_eq!(names("$Host"), ["Host"]);
}

#[test]
fn candidates_are_bounded() {
    let mut src = String::from("http {\n");
    for v in ["a", "b", "c"] {
        src.push_str(&format!("map $x ${v} {{"));
        for i in 0..10 {
            src.push_str(&format!(" k{i} v{i};"));
        }
        src.push_str(" }\n");
    }
    src.push_str("server { location / { proxy_pass http://$a$b$c; } }\n}\n");
    let (_, ex) = run(&src);
    let v = var(&ex.upstreams[0]);
    assert!(v.truncated);
    assert!(v.static_values.len() <= MAX_CANDIDATES);
}

#[test]
fn self_referencing_set_terminates() {
    let (_, ex) =
        run("server { location / { set $a $a; set $b $c; set $c $b; proxy_pass http://$a$b; } }");
    let v = var(&ex.upstreams[0]);
    assert!(!v.static_values.is_empty());
    assert!(!v.complete);
}

//! Upstream groups: stream and http groups, case-insensitive names,
//! ports refused on group names, typed server parameters.

use super::*;

#[test]
fn stream_proxy_pass_and_groups() {
    let (s, ex) = run(r#"
stream {
    upstream backend { server db1:5432; server unix:/run/db.sock; }
    server { listen 5432; proxy_pass db:5432; }
    server { listen 8000 udp; proxy_pass backend; }
    server { listen 127.0.0.1:6000; proxy_pass db; }
}
http {
    server { location / { proxy_pass http://backend; } }
}
"#);
    let db = &ex.upstreams[2];
    assert_eq!(db.directive, UpstreamDirective::StreamProxy);
    assert_eq!((db.module, db.context), (Module::Stream, Ctx::StreamServer));
    assert_eq!(at(&s, host(db).host_span), "db");
    assert_eq!(at(&s, host(db).port_span.unwrap()), "5432");
    assert_eq!(db.url.default_port, None);
    assert!(db.location.is_none());
    assert_eq!(db.server.as_ref().unwrap().listens, [0]);
    let grp = &ex.upstreams[3];
    match &grp.target {
        Target::Group(g) => {
            assert_eq!(g.group, 0);
            assert_eq!(at(&s, g.name_span), "backend");
        }
        t => panic!("{t:?}"),
    }
    assert_eq!(grp.resolution, Resolution::None);
    // No port and no default: a later rule says `no port in upstream`.
    let bare = &ex.upstreams[4];
    assert_eq!((host(bare).port, bare.url.default_port), (None, None));
    // Stream upstream members have no default port either.
    let member = &ex.upstreams[0];
    assert_eq!(
        (member.directive, member.url.default_port),
        (UpstreamDirective::UpstreamServer, None)
    );
    assert_eq!(member.group.as_deref(), Some("backend"));
    assert!(matches!(&ex.upstreams[1].target, Target::Unix(u) if u.path == "/run/db.sock"));
    // The http proxy_pass does not see the stream group.
    let web = &ex.upstreams[5];
    assert_eq!(web.module, Module::Http);
    assert_eq!(host(web).host, "backend");
    assert_eq!(ex.groups[0].servers, [0, 1]);
    assert_eq!(ex.groups[0].references, [3]);
    let udp = &ex.listens[1];
    assert!(udp.udp);
    assert_eq!(inet(udp).port, Some(8000));
    // A stream server gets no implicit listen; an http one does.
    assert_eq!(ex.listens.iter().filter(|l| l.implicit).count(), 1);
    assert_eq!(inet(&ex.listens[2]).host.as_deref(), Some("127.0.0.1"));
}

#[test]
fn groups_match_case_insensitively_wherever_defined() {
    let (s, ex) = run_files(&[
        (
            "nginx.conf",
            "http {\n  server { location / { proxy_pass http://backend; } location /b { proxy_pass https://BACKEND/x; } }\n  include conf.d/*.conf;\n  upstream Later { server l:1; }\n  server { location / { grpc_pass later; } }\n}\n",
        ),
        (
            "conf.d/up.conf",
            "upstream Backend { zone b 64k; least_conn; server app:8000 resolve; }\n",
        ),
    ]);
    let g = ex.groups.iter().position(|g| g.name == "Backend").unwrap();
    assert_eq!(ex.groups[g].name_span.file, FileId(1));
    assert_eq!(at(&s, ex.groups[g].name_span), "Backend");
    assert_eq!(ex.groups[g].zone.as_ref().unwrap().name, "b");
    assert_eq!(ex.groups[g].balancer.as_deref(), Some("least_conn"));
    for i in [0, 1] {
        match &ex.upstreams[i].target {
            Target::Group(t) => assert_eq!(t.group, g),
            t => panic!("{t:?}"),
        }
    }
    assert_eq!(ex.upstreams[1].url.uri.as_deref(), Some("/x"));
    assert!(ex.upstreams[1].url.tls);
    assert_eq!(ex.groups[g].references, [0, 1]);
    let member = ex
        .upstreams
        .iter()
        .find(|u| u.group.as_deref() == Some("Backend"))
        .unwrap();
    assert_eq!(host(member).host_span.file, FileId(1));
    assert_eq!(member.resolution, Resolution::Runtime);
    assert_eq!(member.url.default_port, Some(80));
    let later = ex
        .upstreams
        .iter()
        .find(|u| u.directive == UpstreamDirective::Grpc)
        .unwrap();
    assert!(matches!(&later.target, Target::Group(t) if ex.groups[t.group].name == "Later"));
}

#[test]
fn a_group_name_with_a_port_is_refused() {
    let (s, ex) = run(r#"
http {
    upstream backend { server a:1; }
    upstream backend { server b:1; }
    server { location / { proxy_pass http://backend:8080; } }
}
"#);
    let u = &ex.upstreams[2];
    assert_eq!(host(u).host, "backend");
    assert_eq!(u.notes.len(), 1);
    assert_eq!(u.notes[0].kind, NoteKind::GroupMayNotHavePort);
    assert_eq!(
        u.notes[0].message,
        "upstream \"backend\" may not have port 8080"
    );
    assert_eq!(at(&s, u.notes[0].span), "8080");
    assert!(ex.groups[0].references.is_empty());
    assert_eq!(ex.groups[1].notes[0].kind, NoteKind::DuplicateUpstream);
    assert_eq!(
        ex.groups[1].notes[0].message,
        "duplicate upstream \"backend\""
    );
}

#[test]
fn upstream_server_parameters_are_typed() {
    let (s, ex) = run(r#"
http {
    resolver 127.0.0.11;
    upstream app {
        zone app 64k;
        server a:1 weight=5 max_fails=3 fail_timeout=30s backup down resolve service=x max_conns=10 slow_start=1m30s;
        server b;
        server 10.0.0.1:81 bogus weight=0;
    }
}
"#);
    let a = &ex.upstreams[0];
    let p = a.params.as_ref().unwrap();
    assert_eq!(
        (p.weight, p.max_fails, p.max_conns),
        (Some(5), Some(3), Some(10))
    );
    assert_eq!(
        p.fail_timeout,
        Some(TimeValue {
            raw: "30s".into(),
            ms: Some(30_000)
        })
    );
    assert_eq!(p.slow_start.as_ref().unwrap().ms, Some(90_000));
    assert!(p.backup && p.down && p.resolve && !p.drain);
    assert_eq!(p.service.as_deref(), Some("x"));
    assert_eq!(p.raw.len(), 9);
    assert_eq!(at(&s, p.raw[0].span), "weight=5");
    assert_eq!(at(&s, host(a).host_span), "a");
    assert_eq!(at(&s, host(a).port_span.unwrap()), "1");
    assert_eq!(a.resolution, Resolution::Runtime);
    assert_eq!(a.resolver, Some(0));
    assert_eq!((a.group.as_deref(), a.group_index), (Some("app"), Some(0)));
    assert!(a.server.is_none() && a.location.is_none());
    let b = &ex.upstreams[1];
    assert_eq!(
        (host(b).port, b.url.default_port, b.effective_port()),
        (None, Some(80), Some(80))
    );
    assert_eq!(b.resolution, Resolution::Startup);
    let c = &ex.upstreams[2];
    assert_eq!(c.resolution, Resolution::None);
    let msgs: Vec<&str> = c.notes.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "invalid parameter \"bogus\"",
            "invalid parameter \"weight=0\""
        ]
    );
    assert_eq!(ex.groups[0].servers, [0, 1, 2]);
    assert_eq!(ex.groups[0].resolver, Some(0));
}

//! `listen` and `resolver` directives of every form.

use super::*;

#[test]
fn listens_of_every_form() {
    let (s, ex) = run(r#"
http {
    server { listen 80; }
    server { listen 127.0.0.1:8080; }
    server { listen [::]:80 ipv6only=on; }
    server { listen unix:/var/run/nginx.sock; }
    server { listen 443 ssl http2 default_server; }
    server { listen localhost:8000; }
    server { listen 10.0.0.1; listen *:81 proxy_protocol reuseport backlog=10; }
    server { server_name quiet; }
}
stream { server { listen 8000 udp; proxy_pass dns:53; } }
"#);
    let l = |i: usize| &ex.listens[i];
    assert_eq!(inet(l(0)).port, Some(80));
    assert_eq!(at(&s, inet(l(0)).port_span.unwrap()), "80");
    let lo = inet(l(1));
    assert_eq!(
        (lo.host.as_deref(), lo.kind),
        (Some("127.0.0.1"), HostKind::Ipv4)
    );
    assert_eq!(at(&s, lo.host_span.unwrap()), "127.0.0.1");
    assert_eq!(at(&s, lo.port_span.unwrap()), "8080");
    let v6 = inet(l(2));
    assert_eq!(
        (v6.host.as_deref(), v6.kind),
        (Some("::"), HostKind::Wildcard)
    );
    assert_eq!(at(&s, v6.host_span.unwrap()), "::");
    assert_eq!(l(2).ipv6only, Some(true));
    match &l(3).address {
        ListenAddress::Unix(u) => assert_eq!(at(&s, u.path_span), "/var/run/nginx.sock"),
        a => panic!("{a:?}"),
    }
    assert!(l(4).ssl && l(4).http2 && l(4).default_server);
    assert_eq!(inet(l(4)).port, Some(443));
    assert_eq!(inet(l(5)).kind, HostKind::Localhost);
    let addr_only = inet(l(6));
    assert_eq!((addr_only.port, addr_only.port_defaulted), (Some(80), true));
    assert!(addr_only.port_span.is_none());
    assert_eq!(inet(l(7)).kind, HostKind::Wildcard);
    assert!(l(7).proxy_protocol && l(7).reuseport);
    assert_eq!(l(7).params.len(), 3);
    let udp = l(8);
    assert_eq!(
        (udp.module, udp.udp, inet(udp).port),
        (Module::Stream, true, Some(8000))
    );
    // The server without listen gets nginx's default, noted.
    let implicit = l(9);
    assert!(implicit.implicit);
    assert_eq!(inet(implicit).port, Some(80));
    assert_eq!(implicit.server_names, ["quiet"]);
    assert_eq!(implicit.notes[0].kind, NoteKind::DefaultListen);
    assert_eq!(at(&s, implicit.span), "server");
    assert!(ex.listens.iter().all(|l| l.notes.is_empty() || l.implicit));
}

#[test]
fn resolvers_with_ports_and_flags() {
    let (s, ex) = run(r#"
http {
    resolver 127.0.0.11 valid=10s ipv6=off;
    server {
        resolver kube-dns.kube-system.svc.cluster.local;
        location / {
            resolver [::1]:5353 8.8.8.8 status_zone=z ipv4=off;
            proxy_pass http://$x;
        }
        location /up { proxy_pass http://$y; }
    }
    server { location / { proxy_pass http://$z; } }
}
"#);
    let r0 = &ex.resolvers[0];
    assert_eq!(r0.addresses.len(), 1);
    assert_eq!(at(&s, r0.addresses[0].at.host_span), "127.0.0.11");
    assert_eq!(
        (r0.addresses[0].at.port, r0.addresses[0].effective_port),
        (None, 53)
    );
    assert_eq!(r0.valid.as_ref().unwrap().ms, Some(10_000));
    assert!(r0.ipv4 && !r0.ipv6);
    assert_eq!(r0.context, Ctx::Http);
    let r1 = &ex.resolvers[1];
    assert_eq!(r1.addresses[0].at.kind, HostKind::Name);
    assert!(r1.server.is_some() && r1.location.is_none());
    let r2 = &ex.resolvers[2];
    let a: Vec<(String, Option<String>, u16)> = r2
        .addresses
        .iter()
        .map(|a| {
            (
                at(&s, a.at.host_span),
                a.at.port_span.map(|p| at(&s, p)),
                a.effective_port,
            )
        })
        .collect();
    assert_eq!(
        a,
        [
            ("::1".into(), Some("5353".into()), 5353),
            ("8.8.8.8".into(), None, 53)
        ]
    );
    assert!(!r2.ipv4 && r2.ipv6);
    assert_eq!(r2.location.as_ref().unwrap().path, "/");
    // The nearest resolver applies.
    let used: Vec<Option<usize>> = ex.upstreams.iter().map(|u| u.resolver).collect();
    assert_eq!(used, [Some(2), Some(1), Some(0)]);
    let (_, ex) = run("http { resolver 1.1.1.1 ipv4=off ipv6=off; }");
    assert_eq!(
        ex.resolvers[0].notes[0].message,
        "\"ipv4\" and \"ipv6\" cannot both be \"off\""
    );
}

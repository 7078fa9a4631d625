//! Service `ports` in short and long syntax, and their located errors.

use super::*;

#[test]
fn short_port_syntax() {
    let text = "\
services:
  web:
    image: nginx
    ports:
      - \"8080:80\"
      - '127.0.0.1:8443:443/udp'
      - \"53\"
      - 9090
      - 3000:3000
      - \"8000-8002:9000-9002\"
      - \"[::1]:5000:5000/sctp\"
      - \"127.0.0.1::6000\"
      - \"7000-7010:7000\"
";
    let t = load_str(text);
    no_diags(&t);
    let ps = &unit(&t, "p-web-1").containers[0].ports;
    let got: Vec<(u16, Option<u16>, Option<&str>, Protocol)> = ps
        .iter()
        .map(|p| {
            (
                p.container_port,
                p.host_port,
                p.host_ip.as_deref(),
                p.protocol,
            )
        })
        .collect();
    use Protocol::*;
    assert_eq!(
        got,
        [
            (80, Some(8080), None, Tcp),
            (443, Some(8443), Some("127.0.0.1"), Udp),
            (53, None, None, Tcp),
            (9090, None, None, Tcp),
            (3000, Some(3000), None, Tcp),
            (9000, Some(8000), None, Tcp),
            (9001, Some(8001), None, Tcp),
            (9002, Some(8002), None, Tcp),
            (5000, Some(5000), Some("::1"), Sctp),
            (6000, None, Some("127.0.0.1"), Tcp),
            (7000, None, None, Tcp),
        ]
    );
    assert!(ps.iter().all(|p| p.kind == PortKind::Published));
    // Exact spans inside the (quoted) scalars.
    let container = [0, 1, 2, 3, 4, 6].map(|i| at(text, ps[i].span));
    assert_eq!(container, ["80", "443", "53", "9090", "3000", "9000-9002"]);
    let host = [0, 1, 6, 10].map(|i| at(text, ps[i].host_span));
    assert_eq!(host, ["8080", "8443", "8000-8002", "7000-7010"]);
    assert_eq!(ps[2].host_span, None);
    let start = |i: usize| ps[i].span.unwrap().start as usize;
    assert_eq!(start(0), text.find("8080:80").unwrap() + 5);
    assert_eq!(start(4), text.find("3000:3000").unwrap() + 5);
}

#[test]
fn long_port_syntax() {
    let text = "\
services:
  web:
    image: nginx
    ports:
      - target: 80
        published: \"8080\"
        host_ip: 127.0.0.1
        protocol: tcp
        name: web
        mode: host
        app_protocol: http
      - target: 53
        protocol: udp
      - published: 9000
";
    let t = load_str(text);
    let ps = &unit(&t, "p-web-1").containers[0].ports;
    assert_eq!(ps.len(), 2);
    assert_eq!((ps[0].container_port, ps[0].host_port), (80, Some(8080)));
    assert_eq!(ps[0].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(ps[0].name.as_deref(), Some("web"));
    assert_eq!(at(text, ps[0].span), "80");
    assert_eq!(at(text, ps[0].host_span), "8080");
    assert_eq!((ps[1].container_port, ps[1].protocol), (53, Protocol::Udp));
    assert_eq!(
        pointed_as(&t, text, "`target` is required"),
        (DiagSeverity::Error, "published")
    );
}

#[test]
fn bad_ports_are_located_errors() {
    let text = "\
services:
  web:
    image: nginx
    ports:
      - \"8080:70000\"
      - \"99999:80\"
      - \"80/tcpx\"
      - \"abc\"
      - \"8000-8002:9000-9001\"
      - \"1.2.3:80:80\"
      - \"8081:81\"
    expose:
      - \"0\"
      - 3000-3002
      - \"4000/udp\"
";
    let t = load_str(text);
    let msgs: Vec<&str> = t.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(pointed(&t, text, "invalid containerPort `70000`"), "70000");
    assert_eq!(pointed(&t, text, "invalid hostPort `99999`"), "99999");
    assert_eq!(pointed(&t, text, "invalid proto `tcpx`"), "tcpx");
    assert_eq!(pointed(&t, text, "invalid containerPort `abc`"), "abc");
    find_diag(&t, "invalid ranges");
    assert_eq!(pointed(&t, text, "invalid IP address `1.2.3`"), "1.2.3");
    assert_eq!(pointed(&t, text, "invalid port `0` in `expose`"), "0");
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity == DiagSeverity::Error),
        "{msgs:?}"
    );
    assert_eq!(
        ports(&t, "p-web-1"),
        [
            (81, Some(8081)),
            (3000, None),
            (3001, None),
            (3002, None),
            (4000, None)
        ]
    );
    let e = &unit(&t, "p-web-1").containers[0].ports[1];
    assert_eq!(e.kind, PortKind::Exposed);
    assert_eq!(at(text, e.span), "3000-3002");
}

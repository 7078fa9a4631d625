//! Declared ports and how facts about one port merge into one listener.

use super::*;

#[test]
fn expose_becomes_a_stated_listener_without_bind() {
    let l = &exposing(container("busybox", &[], &[]), 6001, 10);
    assert_eq!(tcp(l), (Some(6001), None));
    assert_eq!(l.certainty, Certainty::Stated);
    assert_eq!(l.provenance.kind, ProvenanceKind::Expose);
    assert_eq!(l.provenance.detail, "expose: 6001");
    assert_eq!(l.provenance.span, Some(span(10)));
}

#[test]
fn published_and_container_ports_keep_their_kind() {
    let mut c = container("busybox", &[], &[]);
    c.ports.push(
        DeclaredPort::new(PortKind::Published, 80, Protocol::Tcp, Some(span(1))).published(
            Some(8080),
            None,
            Some(span(0)),
        ),
    );
    let dns = DeclaredPort::new(PortKind::ContainerPort, 53, Protocol::Udp, Some(span(2)));
    c.ports.push(dns);
    let l = filled(c);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].provenance.kind, ProvenanceKind::PublishedPort);
    assert_eq!(l[0].provenance.detail, "ports: 8080:80");
    assert_eq!(l[1].provenance.kind, ProvenanceKind::ContainerPort);
    assert_eq!(l[1].protocol, Protocol::Udp);
}

#[test]
fn expose_and_command_merge_into_one_listener() {
    let l = &exposing(
        container("python:3.12", &["flask", "run", "--port", "6001"], &[]),
        6001,
        40,
    );
    assert_eq!(tcp(l), (Some(6001), lo()));
    assert_eq!(l.provenance.kind, ProvenanceKind::Command);
    assert_eq!(l.provenance.span, Some(span(40)));
    assert_eq!(l.certainty, Certainty::Stated);
}

#[test]
fn declaration_beats_defaults_but_takes_their_bind() {
    let l = &exposing(container("", &["gunicorn", "app:app"], &[]), 8000, 7);
    assert_eq!(tcp(l), (Some(8000), lo()));
    assert_eq!(l.provenance.kind, ProvenanceKind::Expose);
    assert_eq!(l.provenance.span, Some(span(7)));
    crate::testing::assert_contains(&l.provenance.detail, "gunicorn");
    let l = &exposing(container("redis", &[], &[]), 6379, 9);
    assert_eq!(l.provenance.kind, ProvenanceKind::Expose);
    assert_eq!(l.bind, Some(Bind::Any));
    assert_eq!(l.app_protocol, Some(AppProtocol::Raw));
}

#[test]
fn probes_already_present_are_kept_and_merged() {
    let mut c = container("", &["uvicorn", "m:app", "--port", "8080"], &[]);
    let http = Some(AppProtocol::Http);
    c.listeners.push(probe(
        Some(8080),
        http,
        "readinessProbe httpGet 8080",
        Some(span(3)),
    ));
    c.listeners.push(probe(
        Some(9090),
        None,
        "livenessProbe tcpSocket 9090",
        Some(span(5)),
    ));
    let l = filled(c);
    assert_eq!(l.len(), 2, "{l:#?}");
    assert_eq!(tcp(&l[0]), (Some(8080), lo()));
    assert_eq!(l[0].provenance.kind, ProvenanceKind::Command);
    assert_eq!(l[0].provenance.span, Some(span(3)));
    assert_eq!(l[1].port, Some(9090));
}

#[test]
fn unix_sockets_merge_by_path_and_portless_facts_stay_apart() {
    let probe = |detail: &str| probe(None, None, detail, None);
    let mut c = container(
        "",
        &[
            "uwsgi",
            "--socket",
            "/run/a.sock",
            "--http-socket",
            "/run/a.sock",
        ],
        &[],
    );
    c.listeners.push(probe("a"));
    c.listeners.push(probe("b"));
    let l = filled(c);
    assert_eq!(l.len(), 3, "{l:#?}");
    assert_eq!(l[2].bind, Some(Bind::Unix("/run/a.sock".into())));
}

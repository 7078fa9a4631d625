//! Health checks as evidence of a port on the container's own loopback.

use super::super::health::{listeners, loopback_ports};
use super::*;

#[test]
fn urls_to_the_loopback_name_their_port_or_the_scheme_default() {
    assert_eq!(
        loopback_ports("curl -f http://localhost:8000/health"),
        [8000]
    );
    assert_eq!(loopback_ports("wget -qO- http://127.0.0.1:3000"), [3000]);
    assert_eq!(
        loopback_ports("curl -fsS http://localhost/ || exit 1"),
        [80]
    );
    assert_eq!(loopback_ports("curl -k https://[::1]/status"), [443]);
    assert_eq!(loopback_ports("curl http://0.0.0.0:9000/ping"), [9000]);
    assert_eq!(
        loopback_ports(
            r#"python -c "import urllib.request; urllib.request.urlopen('http://localhost:5000/h')""#
        ),
        [5000]
    );
}

#[test]
fn other_hosts_and_schemes_without_a_default_show_nothing() {
    // Another host is not this container's loopback.
    assert!(loopback_ports("curl -f http://api:8000/health").is_empty());
    assert!(loopback_ports("curl -f http://example.com/").is_empty());
    // No port and no default port for the scheme.
    assert!(loopback_ports("redis://localhost").is_empty());
    assert!(loopback_ports("pg_isready -U postgres").is_empty());
}

#[test]
fn nc_and_dev_tcp_name_a_host_and_a_port() {
    assert_eq!(loopback_ports("nc -z localhost 5432"), [5432]);
    assert_eq!(
        loopback_ports("nc -z -w 2 127.0.0.1 6379 || exit 1"),
        [6379]
    );
    assert_eq!(
        loopback_ports("bash -c 'echo > /dev/tcp/127.0.0.1/8080'"),
        [8080]
    );
    assert!(loopback_ports("nc -z db 5432").is_empty());
}

#[test]
fn a_port_is_named_once_and_the_detail_says_what_it_proves() {
    assert_eq!(
        loopback_ports("curl http://localhost:8000/a && curl http://localhost:8000/b"),
        [8000]
    );
    let l = listeners(
        "curl -f http://localhost:8000/health",
        "healthcheck",
        Some(span(3)),
    );
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].port, Some(8000));
    assert_eq!(l[0].bind, None);
    assert_eq!(l[0].certainty, Certainty::Inferred);
    assert_eq!(l[0].provenance.kind, ProvenanceKind::Healthcheck);
    assert!(l[0].provenance.detail.contains("bind address unknown"));
}

#[test]
fn a_healthcheck_yields_to_anything_that_states_the_port() {
    // The command states the bind; the health check on the same port adds nothing.
    let mut c = container(
        "python:3.12",
        &["gunicorn", "-b", "127.0.0.1:8000", "app:app"],
        &[],
    );
    c.listeners = listeners(
        "curl -f http://localhost:8000/",
        "healthcheck",
        Some(span(1)),
    );
    fill(&mut c);
    let l: Vec<&Listener> = c
        .listeners
        .iter()
        .filter(|l| l.port == Some(8000))
        .collect();
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].provenance.kind, ProvenanceKind::Command);
    assert_eq!(l[0].bind, Some(Bind::Ip("127.0.0.1".parse().unwrap())));
}

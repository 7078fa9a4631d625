//! Listener inference tests: shared builders here, cases by concern.

mod commands;
mod declarations;
mod servers;

use super::fill;
use super::images::image_parts;
use super::options::{bind_of_host, loopback};
use crate::source::{FileId, Span};
use crate::topology::model::{
    AppProtocol, Bind, Certainty, Container, ContainerRole, DeclaredPort, EnvVar, Listener,
    PortKind, Protocol, Provenance, ProvenanceKind,
};

fn span(n: usize) -> Span {
    Span::new(FileId(0), n, n + 4)
}

fn container(image: &str, argv: &[&str], env: &[(&str, &str)]) -> Container {
    Container {
        name: "app".into(),
        service: Some("app".into()),
        image: (!image.is_empty()).then(|| image.to_string()),
        role: ContainerRole::Main,
        entrypoint: Vec::new(),
        command: argv.iter().map(|s| s.to_string()).collect(),
        env: env
            .iter()
            .map(|(k, v)| EnvVar {
                name: k.to_string(),
                value: Some(v.to_string()),
                span: Some(span(100)),
            })
            .collect(),
        ports: Vec::new(),
        listeners: Vec::new(),
        mounts: Vec::new(),
        is_nginx: false,
        span: None,
    }
}

fn exposed(c: &mut Container, port: u16, at: usize) {
    c.ports.push(DeclaredPort {
        kind: PortKind::Exposed,
        container_port: port,
        host_port: None,
        host_ip: None,
        protocol: Protocol::Tcp,
        name: None,
        span: Some(span(at)),
        host_span: None,
    });
}

fn filled(mut c: Container) -> Vec<Listener> {
    fill(&mut c);
    c.listeners
}

fn run(image: &str, argv: &[&str], env: &[(&str, &str)]) -> Vec<Listener> {
    filled(container(image, argv, env))
}

fn lo() -> Option<Bind> {
    Some(loopback())
}

fn one(l: &[Listener]) -> &Listener {
    assert_eq!(l.len(), 1, "{l:#?}");
    &l[0]
}

fn tcp(l: &Listener) -> (Option<u16>, Option<Bind>) {
    (l.port, l.bind.clone())
}

fn v(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

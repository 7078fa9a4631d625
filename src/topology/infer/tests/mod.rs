//! Listener inference tests: shared builders here, cases by concern.

mod commands;
mod declarations;
mod health;
mod servers;

use super::fill;
use super::images::image_parts;
use super::options::{bind_of_host, loopback};
use crate::source::{FileId, Span};
use crate::topology::model::{
    AppProtocol, Bind, Certainty, Container, DeclaredPort, EnvVar, Listener, PortKind, Protocol,
    Provenance, ProvenanceKind,
};

fn span(n: usize) -> Span {
    Span::new(FileId(0), n, n + 4)
}

fn container(image: &str, argv: &[&str], env: &[(&str, &str)]) -> Container {
    let env = env
        .iter()
        .map(|(k, v)| EnvVar {
            name: k.to_string(),
            value: Some(v.to_string()),
            span: Some(span(100)),
        })
        .collect();
    Container::new("app", (!image.is_empty()).then(|| image.to_string()), None)
        .service(Some("app".into()))
        .runs(Vec::new(), v(argv), env)
}

fn exposed(c: &mut Container, port: u16, at: usize) {
    let port = DeclaredPort::new(PortKind::Exposed, port, Protocol::Tcp, Some(span(at)));
    c.ports.push(port);
}

/// A probe's listener on `port`, speaking `app`.
fn probe(port: Option<u16>, app: Option<AppProtocol>, detail: &str, at: Option<Span>) -> Listener {
    let provenance = Provenance::new(ProvenanceKind::Probe, detail, at);
    Listener::new(port, provenance, Certainty::Stated).speaks(app)
}

/// The one listener of `c` once it exposes `port` (declared at `at`) and
/// is filled in.
fn exposing(mut c: Container, port: u16, at: usize) -> Listener {
    exposed(&mut c, port, at);
    one(&filled(c)).clone()
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

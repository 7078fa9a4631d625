//! Listener inference: where a container listens, from what it declares
//! (ports, `expose`, `containerPort`), what it runs (the command line of a
//! known server, read through `sh -c` wrappers and launchers), its
//! environment (`PORT`, `ASPNETCORE_URLS`, `FLASK_RUN_PORT`…), the
//! documented defaults of well-known images, and health checks that
//! connect to the container's own loopback ([`health`]: the port, not the
//! bind, and weaker than anything that states either).
//!
//! Facts about the same port end as one listener carrying the strongest
//! information (see [`merge`]). When a configuration file we cannot see
//! decides the address (gunicorn `-c`, uwsgi `--ini`, `puma -C`, a
//! `redis.conf`), nothing is added for that server: unknown, not defaulted.
//!
//! [`fill`] is the entry point; [`command`] reads command lines, [`options`]
//! their flags and addresses, [`images`] what an image name implies, and
//! [`servers`] holds one recognizer per well-known server.

mod command;
pub(crate) mod health;
mod images;
mod options;
mod servers;
#[cfg(test)]
mod tests;

use super::model::{
    Bind, Certainty, Container, DeclaredPort, Listener, PortKind, Protocol, Provenance,
    ProvenanceKind,
};

/// Environment variables the recognizers read to place a listener.
const LISTENER_ENV: &[&str] = &[
    "APP_PORT",
    "ASPNETCORE_HTTPS_PORTS",
    "ASPNETCORE_HTTP_PORTS",
    "ASPNETCORE_URLS",
    "BINDING",
    "FLASK_RUN_HOST",
    "FLASK_RUN_PORT",
    "GUNICORN_CMD_ARGS",
    "HOST",
    "HTTP_PORT",
    "OAUTH2_PROXY_HTTP_ADDRESS",
    "PORT",
    "RABBITMQ_NODE_PORT",
    "RACK_ENV",
    "RAILS_ENV",
    "TARGET_PORT",
    "THRUSTER_HTTP_PORT",
    "THRUSTER_TARGET_PORT",
    "UVICORN_HOST",
    "UVICORN_PORT",
    "UVICORN_UDS",
    "UWSGI_FASTCGI_SOCKET",
    "UWSGI_HTTP",
    "UWSGI_HTTPS",
    "UWSGI_HTTP_SOCKET",
    "UWSGI_PROTOCOL",
    "UWSGI_SOCKET",
    "UWSGI_UWSGI_SOCKET",
];

/// Whether an environment variable can move a listener: one a recognizer
/// reads, or one named like an address or a port (`API_PORT`,
/// `BACKEND_HOST`, `LISTEN_ADDR`, `DATABASE_URL`, `*_SOCKET`), which a
/// program upcheck does not model may read. A password or a feature flag
/// cannot.
pub fn reads_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    LISTENER_ENV.contains(&upper.as_str())
        || ["PORT", "HOST", "ADDR", "BIND", "LISTEN", "URL", "SOCKET"]
            .iter()
            .any(|w| upper.contains(w))
}

/// Fills `c.listeners` from what the container declares and runs.
pub fn fill(c: &mut Container) {
    let mut facts: Vec<Listener> = std::mem::take(&mut c.listeners);
    facts.extend(c.ports.iter().map(declared));
    let nginx = c.image.as_deref().is_some_and(super::is_nginx_image);
    if !nginx {
        facts.extend(servers::from_runtime(c));
    }
    c.listeners = merge(facts);
}

/// A declared port as a listener: port and protocol stated, bind unknown.
fn declared(p: &DeclaredPort) -> Listener {
    let (kind, detail) = match p.kind {
        PortKind::Exposed => (
            ProvenanceKind::Expose,
            format!("expose: {}", port_proto(p.container_port, p.protocol)),
        ),
        PortKind::Published => {
            let host = match (&p.host_ip, p.host_port) {
                (Some(ip), Some(h)) => format!("{ip}:{h}:"),
                (None, Some(h)) => format!("{h}:"),
                _ => String::new(),
            };
            (
                ProvenanceKind::PublishedPort,
                format!("ports: {host}{}", port_proto(p.container_port, p.protocol)),
            )
        }
        PortKind::ContainerPort => (
            ProvenanceKind::ContainerPort,
            format!(
                "containerPort: {}{}",
                p.container_port,
                match p.protocol {
                    Protocol::Tcp => String::new(),
                    other => format!(" ({})", proto_name(other)),
                }
            ),
        ),
        PortKind::ImageExposed => (
            ProvenanceKind::Observed,
            format!(
                "the image exposes {}/{}",
                p.container_port,
                proto_name(p.protocol)
            ),
        ),
    };
    let provenance = Provenance::new(kind, detail, p.span);
    Listener::new(Some(p.container_port), provenance, Certainty::Stated).over(p.protocol)
}

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    }
}

fn port_proto(port: u16, p: Protocol) -> String {
    match p {
        Protocol::Tcp => port.to_string(),
        other => format!("{port}/{}", proto_name(other)),
    }
}

/// How strong a fact is; lower is stronger. An explicit command flag or
/// environment setting beats a declaration, which beats a server's
/// documented default or a probe, which beats a health check run inside
/// the container (the port on its loopback only), which beats an image
/// default.
fn rank(l: &Listener) -> u8 {
    match l.certainty {
        Certainty::Stated => match l.provenance.kind {
            ProvenanceKind::Command | ProvenanceKind::Env => 0,
            _ => 1,
        },
        Certainty::Inferred if l.provenance.kind == ProvenanceKind::Healthcheck => 3,
        Certainty::Inferred => 2,
        Certainty::Assumed => 4,
    }
}

fn is_declaration(k: ProvenanceKind) -> bool {
    matches!(
        k,
        ProvenanceKind::Expose
            | ProvenanceKind::PublishedPort
            | ProvenanceKind::ContainerPort
            | ProvenanceKind::Observed
            | ProvenanceKind::Declared
            | ProvenanceKind::Probe
    )
}

/// Merges facts: one listener per port and protocol (one per distinct bind
/// when the strongest bind-carrying facts disagree), one per unix socket.
fn merge(facts: Vec<Listener>) -> Vec<Listener> {
    // Group keys in first-seen order; a portless listener that is not a
    // unix socket (an unresolved probe) stays on its own.
    let mut keys: Vec<(Option<u16>, Protocol, Option<String>, usize)> = Vec::new();
    let mut groups: Vec<Vec<Listener>> = Vec::new();
    for (i, f) in facts.into_iter().enumerate() {
        let key = match (&f.port, &f.bind) {
            (None, Some(Bind::Unix(p))) => (None, f.protocol, Some(p.clone()), 0),
            (None, _) => (None, f.protocol, None, i + 1),
            (Some(p), _) => (Some(*p), f.protocol, None, 0),
        };
        match keys.iter().position(|k| *k == key) {
            Some(i) => groups[i].push(f),
            None => {
                keys.push(key);
                groups.push(vec![f]);
            }
        }
    }
    let mut out = Vec::new();
    for mut g in groups {
        // Stable: among equal ranks the first fact stays first.
        g.sort_by_key(rank);
        let with_bind: Vec<&Listener> = g.iter().filter(|l| l.bind.is_some()).collect();
        let mut binds: Vec<Bind> = Vec::new();
        if let Some(best) = with_bind.first().map(|l| rank(l)) {
            for l in with_bind.iter().filter(|l| rank(l) == best) {
                let b = l.bind.clone().expect("filtered");
                if !binds.contains(&b) {
                    binds.push(b);
                }
            }
        }
        let declared_span = g
            .iter()
            .filter(|l| is_declaration(l.provenance.kind))
            .find_map(|l| l.provenance.span);
        let app = g.iter().find_map(|l| l.app_protocol);
        // When the protocol comes from a weaker fact (a probe), say it.
        let app_from = g
            .iter()
            .find(|l| l.app_protocol.is_some())
            .filter(|_| g[0].app_protocol.is_none())
            .map(|l| l.provenance.detail.clone());
        let with_app = |mut l: Listener| {
            if l.app_protocol.is_none()
                && let Some(d) = app_from
                    .as_ref()
                    .filter(|d| !l.provenance.detail.contains(d.as_str()))
            {
                l.provenance.detail = format!("{}; {d}", l.provenance.detail);
            }
            l.app_protocol = l.app_protocol.or(app);
            l
        };
        if binds.is_empty() {
            let mut l = with_app(g[0].clone());
            if l.provenance.span.is_none() {
                l.provenance.span = declared_span;
            }
            out.push(l);
            continue;
        }
        for b in binds {
            // The strongest fact overall; if it says nothing of the bind, the
            // bind comes from the strongest fact that does.
            let winner = &g[0];
            let mut l = if winner.bind.is_none() || winner.bind.as_ref() == Some(&b) {
                winner.clone()
            } else {
                g.iter()
                    .find(|l| l.bind.as_ref() == Some(&b))
                    .expect("bind came from the group")
                    .clone()
            };
            if winner.bind.is_none() {
                // A declaration (or probe) states the port; the bind comes
                // from a weaker fact: keep the declaration's provenance but
                // take the bind.
                let source = g
                    .iter()
                    .find(|l| l.bind.as_ref() == Some(&b))
                    .expect("bind came from the group");
                l.bind = Some(b.clone());
                if source.provenance.kind == ProvenanceKind::Command
                    || source.provenance.kind == ProvenanceKind::Env
                {
                    // The command explains the bind better than `expose:`;
                    // say both.
                    l.provenance.detail =
                        format!("{}; {}", l.provenance.detail, source.provenance.detail);
                }
            }
            let mut l = with_app(l);
            if l.provenance.span.is_none() {
                l.provenance.span = declared_span;
            }
            out.push(l);
        }
    }
    out
}

//! What listens where and how upcheck knows it: ports as declared, bind
//! addresses, application protocols, and listeners with their provenance
//! and certainty.

use super::*;

/// Transport protocol of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

/// How a declared port was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortKind {
    /// compose `ports:` (published on the host).
    Published,
    /// compose `expose:`.
    Exposed,
    /// Kubernetes `containerPort`.
    ContainerPort,
    /// `ExposedPorts` of a live container.
    ImageExposed,
}

/// A port the description declares for a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclaredPort {
    /// How it was declared.
    pub kind: PortKind,
    /// The port inside the container.
    pub container_port: u16,
    /// The host port, for published ports.
    pub host_port: Option<u16>,
    /// The host address a published port binds (`host_ip`).
    pub host_ip: Option<String>,
    /// Protocol.
    pub protocol: Protocol,
    /// Port name (Kubernetes named ports, compose long syntax `name`).
    pub name: Option<String>,
    /// Where the container port is written (replace it to fix a port).
    pub span: Option<Span>,
    /// Where the host port is written.
    pub host_span: Option<Span>,
}

impl DeclaredPort {
    /// Container port `container_port`, declared as `kind` at `span`, not
    /// published, unnamed.
    pub(crate) fn new(
        kind: PortKind,
        container_port: u16,
        protocol: Protocol,
        span: Option<Span>,
    ) -> Self {
        DeclaredPort {
            kind,
            container_port,
            host_port: None,
            host_ip: None,
            protocol,
            name: None,
            span,
            host_span: None,
        }
    }

    /// Published on the host at `host_ip:host_port` (the port written at
    /// `host_span`).
    pub(crate) fn published(
        self,
        host_port: Option<u16>,
        host_ip: Option<String>,
        host_span: Option<Span>,
    ) -> Self {
        DeclaredPort {
            host_port,
            host_ip,
            host_span,
            ..self
        }
    }
}

setters!(DeclaredPort {
    /// Named `name`.
    named(name: Option<String>),
});

/// The address a listener is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Bind {
    /// All addresses, IPv4 and IPv6 (`::` with dual stack, or unspecified).
    Any,
    /// `0.0.0.0`: every IPv4 address.
    AnyV4,
    /// `::` with `ipv6only`: every IPv6 address.
    AnyV6,
    /// One specific address (`127.0.0.1`, `::1`, the container's own IP…).
    Ip(IpAddr),
    /// A unix socket path.
    Unix(String),
}

impl Bind {
    /// True for loopback-only binds (127.0.0.0/8, ::1).
    pub fn is_loopback(&self) -> bool {
        matches!(self, Bind::Ip(ip) if ip.is_loopback())
    }
}

/// What protocol a listener speaks, when we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AppProtocol {
    /// HTTP (proxy_pass).
    Http,
    /// The uwsgi protocol (uwsgi_pass).
    Uwsgi,
    /// FastCGI (fastcgi_pass).
    Fastcgi,
    /// gRPC (grpc_pass).
    Grpc,
    /// Plain TCP/UDP, e.g. a database (stream proxy_pass).
    Raw,
}

/// Where a listener fact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvenanceKind {
    /// compose `expose:`.
    Expose,
    /// The container side of compose `ports:`.
    PublishedPort,
    /// Kubernetes `containerPort`.
    ContainerPort,
    /// A liveness/readiness/startup probe port.
    Probe,
    /// A command run inside the container that connects to its own
    /// loopback (compose `healthcheck.test`, a Kubernetes `exec` probe):
    /// the port answers in the container's namespace, the bind is unknown.
    Healthcheck,
    /// The command line of a known server (gunicorn, uvicorn, flask, uwsgi…).
    Command,
    /// An environment variable (`PORT`, `ASPNETCORE_URLS`, `FLASK_RUN_PORT`…).
    Env,
    /// The documented default of a well-known image or server.
    ImageDefault,
    /// Stated directly in a native topology.
    Declared,
    /// Seen on a live system (`docker inspect`, `kubectl`).
    Observed,
}

/// How sure we are of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// Stated by the files (a port declaration, an explicit `--bind`).
    Stated,
    /// Derived from a command line or environment by known server rules.
    Inferred,
    /// A default of an image or server, assumed because nothing says otherwise.
    Assumed,
}

/// How we know a listener exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The kind of evidence.
    pub kind: ProvenanceKind,
    /// A sentence a person can read: `gunicorn -b 0.0.0.0:8000`, `expose: 6001`…
    pub detail: String,
    /// Where the evidence is written.
    pub span: Option<Span>,
}

impl Provenance {
    /// Evidence of `kind`, told by `detail`, written at `span`.
    pub(crate) fn new(kind: ProvenanceKind, detail: impl Into<String>, span: Option<Span>) -> Self {
        Provenance {
            kind,
            detail: detail.into(),
            span,
        }
    }
}

/// Something listening inside a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listener {
    /// Port (`None` for unix sockets).
    pub port: Option<u16>,
    /// Transport protocol.
    pub protocol: Protocol,
    /// Bind address; `None` when the description does not say (declared
    /// ports say nothing about the bind address).
    pub bind: Option<Bind>,
    /// What it speaks, when known.
    pub app_protocol: Option<AppProtocol>,
    /// How we know.
    pub provenance: Provenance,
    /// How sure.
    pub certainty: Certainty,
}

impl Listener {
    /// A TCP listener on `port` (`None` for a unix socket), its bind
    /// address and application protocol unknown, known by `provenance`
    /// this surely.
    pub(crate) fn new(port: Option<u16>, provenance: Provenance, certainty: Certainty) -> Self {
        Listener {
            port,
            protocol: Protocol::Tcp,
            bind: None,
            app_protocol: None,
            provenance,
            certainty,
        }
    }
}

setters!(Listener {
    /// On this transport.
    over(protocol: Protocol),
    /// Bound to `bind` (when known).
    bound(bind: Option<Bind>),
    /// Speaking `app` (when known).
    speaks(app_protocol: Option<AppProtocol>),
});

/// `0.0.0.0:8000/tcp`, `127.0.0.1:5000/tcp`, `unix:/run/app.sock`, `*:80/tcp`.
impl std::fmt::Display for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = self;
        let text = {
            let proto = match l.protocol {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
                Protocol::Sctp => "sctp",
            };
            let port = l.port.map_or_else(String::new, |p| p.to_string());
            match &l.bind {
                Some(Bind::Unix(p)) => format!("unix:{p}"),
                Some(Bind::Any) => format!("*:{port}/{proto}"),
                Some(Bind::AnyV4) => format!("0.0.0.0:{port}/{proto}"),
                Some(Bind::AnyV6) => format!("[::]:{port}/{proto}"),
                Some(Bind::Ip(IpAddr::V6(ip))) => format!("[{ip}]:{port}/{proto}"),
                Some(Bind::Ip(ip)) => format!("{ip}:{port}/{proto}"),
                None => format!("?:{port}/{proto}"),
            }
        };
        f.write_str(&text)
    }
}

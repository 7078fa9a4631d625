//! `listen` directives: the address (inet or unix), nginx's default port,
//! wildcard forms and the listen parameters.

use super::located::Located;
use super::model::{
    HostKind, Listen, ListenAddress, ListenInet, Module, Note, NoteKind, UnixTarget,
};
use super::params::params_of;
use super::scan::ServerScan;
use super::url::{host_kind, parse_url};
use crate::nginx::Directive;
use crate::source::{SourceMap, Span};

/// Reads a `listen` of `server`: its address as nginx parses it (80 when
/// an http listen names only an address) and its parameters.
pub(super) fn read_listen(
    d: &Directive,
    module: Module,
    sources: &SourceMap,
    server: &ServerScan,
) -> Option<Listen> {
    let arg = d.args.first()?;
    let loc = Located::from_arg(arg, sources);
    let url = parse_url(&loc.bytes, 0..loc.len(), false, true);
    let mut notes = Vec::new();
    if let Some((kind, msg)) = url.err {
        notes.push(Note::new(
            kind,
            format!("{msg} in \"{}\" of the \"listen\" directive", arg.value),
            arg.span,
        ));
    }
    let address = if url.unix {
        ListenAddress::Unix(UnixTarget {
            path: loc.text(url.host.clone()),
            path_span: loc.span(url.host.clone()).unwrap_or(arg.span),
        })
    } else {
        let host = (!url.port_only).then(|| loc.text(url.host.clone()));
        let kind = match host.as_deref() {
            None | Some("*") => HostKind::Wildcard,
            Some(h)
                if url.ipv6
                    && h.parse::<std::net::Ipv6Addr>()
                        .is_ok_and(|a| a.is_unspecified()) =>
            {
                HostKind::Wildcard
            }
            Some("0.0.0.0") => HostKind::Wildcard,
            Some(h) => host_kind(h, url.ipv6),
        };
        let defaulted = url.port.is_none() && module == Module::Http;
        ListenInet {
            host_span: host
                .as_ref()
                .map(|_| loc.span(url.host.clone()).unwrap_or(arg.span)),
            host,
            kind,
            port: if defaulted { Some(80) } else { url.port_value },
            port_span: url.port.clone().and_then(|p| loc.span(p)),
            port_defaulted: defaulted,
        }
        .into()
    };
    let params = params_of(&d.args[1..]);
    let mut l = Listen::new(module, address, d.span, server);
    l.notes = notes;
    for p in &params {
        match p.name.as_str() {
            "default_server" | "default" => l.default_server = true,
            "ssl" => l.ssl = true,
            "http2" => l.http2 = true,
            "quic" => l.quic = true,
            "proxy_protocol" => l.proxy_protocol = true,
            "udp" => l.udp = true,
            "reuseport" => l.reuseport = true,
            "ipv6only" => l.ipv6only = p.value.as_deref().map(|v| v == "on"),
            "http3" | "spdy" | "deferred" | "bind" | "backlog" | "rcvbuf" | "sndbuf"
            | "accept_filter" | "fastopen" | "so_keepalive" | "setfib" | "multipath" => {}
            _ => l.notes.push(Note::new(
                NoteKind::InvalidParameter,
                format!("invalid parameter \"{}\"", p.name),
                p.span,
            )),
        }
    }
    l.params = params;
    Some(l)
}

impl From<ListenInet> for ListenAddress {
    fn from(l: ListenInet) -> ListenAddress {
        ListenAddress::Inet(l)
    }
}

impl Listen {
    /// A listen of `server` at `address`, with no parameters yet.
    fn new(module: Module, address: ListenAddress, span: Span, server: &ServerScan) -> Listen {
        Listen {
            module,
            address,
            default_server: false,
            ssl: false,
            http2: false,
            quic: false,
            proxy_protocol: false,
            udp: false,
            ipv6only: None,
            reuseport: false,
            params: Vec::new(),
            implicit: false,
            span,
            server_names: server.names.clone(),
            server_span: server.span,
            notes: Vec::new(),
        }
    }

    /// The listen nginx gives an http server without any: `*:80` as root,
    /// `*:8000` otherwise (80 is assumed), located at the `server` keyword.
    pub(super) fn implicit(server: &ServerScan) -> Listen {
        let address = ListenInet {
            host: None,
            host_span: None,
            kind: HostKind::Wildcard,
            port: Some(80),
            port_span: None,
            port_defaulted: true,
        };
        let mut l = Listen::new(Module::Http, address.into(), server.name_span, server);
        l.implicit = true;
        l.notes.push(Note::new(
            NoteKind::DefaultListen,
            "no \"listen\" in this server: nginx listens on *:80 when started as root, *:8000 otherwise",
            server.name_span,
        ));
        l
    }
}

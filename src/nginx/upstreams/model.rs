//! The extracted types: upstream references and their targets, upstream
//! groups, `listen`s, `resolver`s and the notes nginx would print about
//! them, all serializable, plus the JSON view with line and column.

use crate::nginx::Ctx;
use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;

/// Everything [`extract`](super::extract) finds in a configuration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Extraction {
    /// Every upstream reference, in configuration order (includes followed).
    pub upstreams: Vec<UpstreamRef>,
    /// Every `upstream { }` group, in configuration order.
    pub groups: Vec<UpstreamGroup>,
    /// Every `listen`, plus the implicit one of an http `server` without any.
    pub listens: Vec<Listen>,
    /// Every `resolver`.
    pub resolvers: Vec<Resolver>,
}

/// The nginx module a directive belongs to; upstream group names are
/// separate per module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    /// `http { }`
    Http,
    /// `stream { }`
    Stream,
}

impl Module {
    /// The module whose blocks `ctx` lies in, if any (not `events`, `mail`).
    pub fn of(ctx: Ctx) -> Option<Module> {
        match (ctx.in_http(), ctx.in_stream()) {
            (true, _) => Some(Module::Http),
            (_, true) => Some(Module::Stream),
            _ => None,
        }
    }
}

/// The directive that names an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamDirective {
    /// http `proxy_pass` (`http://` or `https://`).
    Proxy,
    /// `fastcgi_pass`
    Fastcgi,
    /// `uwsgi_pass` (optional `uwsgi://` or `suwsgi://`).
    Uwsgi,
    /// `scgi_pass`
    Scgi,
    /// `grpc_pass` (optional `grpc://` or `grpcs://`).
    Grpc,
    /// `memcached_pass`
    Memcached,
    /// stream `proxy_pass`
    StreamProxy,
    /// `server` inside `upstream { }` (http or stream).
    UpstreamServer,
}

impl UpstreamDirective {
    /// The directive name as written in a configuration.
    pub fn name(self) -> &'static str {
        match self {
            UpstreamDirective::Proxy | UpstreamDirective::StreamProxy => "proxy_pass",
            UpstreamDirective::Fastcgi => "fastcgi_pass",
            UpstreamDirective::Uwsgi => "uwsgi_pass",
            UpstreamDirective::Scgi => "scgi_pass",
            UpstreamDirective::Grpc => "grpc_pass",
            UpstreamDirective::Memcached => "memcached_pass",
            UpstreamDirective::UpstreamServer => "server",
        }
    }

    /// The URL schemes the directive accepts: name, TLS, default port.
    pub(super) fn schemes(self) -> &'static [(&'static str, bool, Option<u16>)] {
        match self {
            UpstreamDirective::Proxy => &[("http", false, Some(80)), ("https", true, Some(443))],
            UpstreamDirective::Uwsgi => &[("uwsgi", false, None), ("suwsgi", true, None)],
            UpstreamDirective::Grpc => &[("grpc", false, None), ("grpcs", true, None)],
            _ => &[],
        }
    }

    /// The port nginx uses when none is written, for a target without scheme.
    pub(super) fn schemeless_default_port(self, module: Module) -> Option<u16> {
        match (self, module) {
            (UpstreamDirective::UpstreamServer, Module::Http) => Some(80),
            _ => None,
        }
    }
}

/// When nginx turns a host name into addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Never: an IP literal, a unix socket or an upstream group (whose
    /// members are upstream references of their own).
    None,
    /// Once, at configuration load, with the system resolver (getaddrinfo:
    /// /etc/hosts, resolv.conf and its search list); failure stops nginx
    /// with `host not found in upstream`.
    Startup,
    /// At request time, with nginx's own `resolver` (no /etc/hosts, no search
    /// list): targets built from variables, and `server … resolve`.
    Runtime,
}

/// One upstream reference: a `*_pass` directive or an `upstream { server }`.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamRef {
    /// Which directive.
    pub directive: UpstreamDirective,
    /// The module it belongs to.
    pub module: Module,
    /// The block it stands in.
    pub context: Ctx,
    /// What it points at.
    pub target: Target,
    /// What its URL says besides the target.
    #[serde(flatten)]
    pub url: UrlParts,
    /// The whole argument (without quotes).
    pub span: Span,
    /// The whole directive.
    pub directive_span: Span,
    /// The enclosing `server { }`, if any.
    pub server: Option<ServerInfo>,
    /// The innermost enclosing `location { }`, if any.
    pub location: Option<LocationInfo>,
    /// For an `upstream { server … }` entry: the group's name.
    pub group: Option<String>,
    /// For an `upstream { server … }` entry: the group's index in [`Extraction::groups`].
    pub group_index: Option<usize>,
    /// For an `upstream { server … }` entry: its parameters.
    pub params: Option<ServerParams>,
    /// True inside `if { }` or `limit_except { }`.
    pub conditional: bool,
    /// When nginx resolves the target's host name.
    pub resolution: Resolution,
    /// The `resolver` in effect here (index in [`Extraction::resolvers`]).
    pub resolver: Option<usize>,
    /// What nginx would say about this reference at load time.
    pub notes: Vec<Note>,
}

impl UpstreamRef {
    /// The port nginx connects to for a host target: the written one, else
    /// the directive's default.
    pub fn effective_port(&self) -> Option<u16> {
        match &self.target {
            Target::Host(h) => h.port.or(self.url.default_port),
            _ => None,
        }
    }
}

/// What an address says besides its target: the scheme, TLS, the port used
/// when none is written, and the URI part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlParts {
    /// The URL scheme, lowercased (`http`, `https`, `grpc`, `grpcs`, `uwsgi`,
    /// `suwsgi`), when one is written and is not a variable.
    pub scheme: Option<String>,
    /// Where the scheme is written (without `://`).
    pub scheme_span: Option<Span>,
    /// True when nginx talks TLS to the upstream (`https`, `grpcs`, `suwsgi`).
    pub tls: bool,
    /// The port nginx uses when the target names none: 80/443 for
    /// `proxy_pass` by scheme, 80 for an http `upstream` server, `None` for
    /// the others (nginx then says `no port in upstream`) and for sockets.
    pub default_port: Option<u16>,
    /// The URI part of a `proxy_pass` URL (`/api/` in `http://a:1/api/`).
    pub uri: Option<String>,
    /// Where the URI part is written.
    pub uri_span: Option<Span>,
}

impl UrlParts {
    /// An address with no scheme written: nginx's default port for it.
    pub(super) fn schemeless(default_port: Option<u16>) -> UrlParts {
        UrlParts {
            scheme: None,
            scheme_span: None,
            tls: false,
            default_port,
            uri: None,
            uri_span: None,
        }
    }
}

/// What an upstream reference points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    /// A host name or IP address, with an optional port.
    Host(HostTarget),
    /// A unix-domain socket.
    Unix(UnixTarget),
    /// An `upstream { }` group of the same module.
    Group(GroupTarget),
    /// A value built from variables at request time.
    Variable(VariableTarget),
}

/// How a host is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostKind {
    /// A DNS name (or an upstream group name).
    Name,
    /// A dotted IPv4 address.
    Ipv4,
    /// A bracketed IPv6 address.
    Ipv6,
    /// `localhost`: every address the system resolver gives (127.0.0.1 and ::1).
    Localhost,
    /// `*` or no address at all in a `listen`: every address.
    Wildcard,
}

/// A host and an optional port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostTarget {
    /// The host as written (an IPv6 address without its brackets).
    pub host: String,
    /// Exactly the host's bytes (inside the brackets for IPv6).
    pub host_span: Span,
    /// How the host is written.
    pub kind: HostKind,
    /// The port, when one is written and valid.
    pub port: Option<u16>,
    /// Exactly the port's bytes (after the `:`), also when it is invalid.
    pub port_span: Option<Span>,
}

impl HostTarget {
    /// The host `url` names in `loc`, with its port when one is written.
    pub(super) fn read(
        loc: &super::located::Located,
        url: &super::url::ParsedUrl,
        host_span: Span,
    ) -> HostTarget {
        let host = loc.text(url.host.clone());
        HostTarget {
            kind: super::url::host_kind(&host, url.ipv6),
            host,
            host_span,
            port: url.port_value,
            port_span: url.port.clone().and_then(|p| loc.span(p)),
        }
    }

    /// A name with no port, at `span`.
    pub(super) fn name(host: impl Into<String>, span: Span) -> HostTarget {
        HostTarget {
            host: host.into(),
            host_span: span,
            kind: HostKind::Name,
            port: None,
            port_span: None,
        }
    }
}

/// A unix-domain socket path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnixTarget {
    /// The path after `unix:`.
    pub path: String,
    /// Exactly the path's bytes.
    pub path_span: Span,
}

/// A reference to an `upstream { }` group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTarget {
    /// The name as written in the reference (groups match case-insensitively).
    pub name: String,
    /// Exactly the name's bytes.
    pub name_span: Span,
    /// The group's index in [`Extraction::groups`].
    pub group: usize,
}

/// A target nginx evaluates per request from variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariableTarget {
    /// The argument as nginx reads it, e.g. `http://$backend`.
    pub raw: String,
    /// Every variable used in the argument, in order.
    pub variables: Vec<VariableUse>,
    /// The values the configuration can give the argument, from `set`
    /// (server and innermost location), `map`, `geo`, `split_clients` and
    /// `$scheme`; one per combination, at most 64. Variables without a
    /// static value stay in place, so there is always at least one.
    pub static_values: Vec<Candidate>,
    /// True when every candidate has a fully known address (`target`).
    pub complete: bool,
    /// True when more combinations existed than were listed.
    pub truncated: bool,
}

/// One `$variable` in an argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariableUse {
    /// The name without `$` and braces, lowercased (nginx variable names
    /// are case-insensitive).
    pub name: String,
    /// The `$name` or `${name}` text.
    pub span: Span,
}

/// One value a variable target can take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The expanded argument; variables with no static value stay as `$name`.
    pub value: String,
    /// The address this value names, when its host (and port) are known.
    /// Spans point to wherever each byte was written (a `set` value, a `map`
    /// entry, the argument itself). A name that matches an upstream group
    /// with no port written is a [`Target::Group`], as nginx's run-time lookup does.
    pub target: Option<Target>,
    /// The scheme, lowercased, when known.
    pub scheme: Option<String>,
    /// True for `https`, `grpcs`, `suwsgi`.
    pub tls: bool,
    /// The port used when the value names none (see [`UrlParts::default_port`]).
    pub default_port: Option<u16>,
    /// The URI part of a `proxy_pass` URL.
    pub uri: Option<String>,
    /// Where each variable's value came from, in order of use.
    pub sources: Vec<ValueSource>,
    /// Variables left without a static value (request-dependent).
    pub unresolved: Vec<String>,
    /// Why `target` is missing, or what nginx would say about this value.
    pub problem: Option<String>,
}

/// Where a variable's value is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueOrigin {
    /// `set $var value;`
    Set,
    /// A `map` entry (or its `default`).
    Map,
    /// A `geo` entry (or its `default`).
    Geo,
    /// A `split_clients` entry.
    SplitClients,
    /// A value nginx computes (`$scheme` from the server's `listen … ssl`).
    Builtin,
}

/// One variable's value used to build a [`Candidate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueSource {
    /// The variable, lowercased, without `$`.
    pub variable: String,
    /// Which kind of definition.
    pub origin: ValueOrigin,
    /// The `map` / `geo` / `split_clients` key of the entry.
    pub key: Option<String>,
    /// The value as written.
    pub value: String,
    /// Exactly the value's bytes (without quotes); `None` for builtins.
    pub span: Option<Span>,
    /// The `set` directive or the entry line.
    pub entry_span: Option<Span>,
}

/// The `server { }` around a directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerInfo {
    /// Every `server_name` argument, in order.
    pub server_names: Vec<String>,
    /// Its listens (indices in [`Extraction::listens`]).
    pub listens: Vec<usize>,
    /// The whole `server { }` block.
    pub span: Span,
}

/// The innermost `location { }` around a directive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocationInfo {
    /// `=`, `^~`, `~` or `~*`, when written.
    pub modifier: Option<String>,
    /// The path, regex or `@name`.
    pub path: String,
    /// Exactly the path's bytes.
    pub path_span: Span,
    /// True for a named location (`@name`).
    pub named: bool,
    /// The whole `location { }` block.
    pub span: Span,
}

/// A time value such as `30s` or `1m30s`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeValue {
    /// As written.
    pub raw: String,
    /// In milliseconds (a bare number is seconds); `None` when nginx would reject it.
    pub ms: Option<u64>,
}

/// A parameter as written: `name` or `name=value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Param {
    /// The part before `=`.
    pub name: String,
    /// The part after `=`.
    pub value: Option<String>,
    /// The whole argument.
    pub span: Span,
}

/// The parameters of an `upstream { server … }` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerParams {
    /// `weight=`
    pub weight: Option<u32>,
    /// `max_conns=`
    pub max_conns: Option<u32>,
    /// `max_fails=`
    pub max_fails: Option<u32>,
    /// `fail_timeout=`
    pub fail_timeout: Option<TimeValue>,
    /// `slow_start=`
    pub slow_start: Option<TimeValue>,
    /// `backup`
    pub backup: bool,
    /// `down`
    pub down: bool,
    /// `resolve`: re-resolved at run time with the `resolver` (needs `zone`).
    pub resolve: bool,
    /// `drain`
    pub drain: bool,
    /// `service=` (DNS SRV lookups; needs `resolve`).
    pub service: Option<String>,
    /// `route=`
    pub route: Option<String>,
    /// Every parameter as written, in order.
    pub raw: Vec<Param>,
}

/// An `upstream name { }` group.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamGroup {
    /// The name as written.
    pub name: String,
    /// Exactly the name's bytes.
    pub name_span: Span,
    /// The module (http and stream groups are separate namespaces).
    pub module: Module,
    /// The whole block.
    pub span: Span,
    /// Its `server` entries (indices in [`Extraction::upstreams`]).
    pub servers: Vec<usize>,
    /// The references that use it (indices in [`Extraction::upstreams`]),
    /// including variable targets with a candidate naming it.
    pub references: Vec<usize>,
    /// Its `zone` (shared memory, needed by `server … resolve`).
    pub zone: Option<Zone>,
    /// The load-balancing directive, when not round-robin (`hash`,
    /// `ip_hash`, `least_conn`, `least_time`, `random`).
    pub balancer: Option<String>,
    /// The `resolver` in effect for its members (index in [`Extraction::resolvers`]).
    pub resolver: Option<usize>,
    /// What nginx would say about it (e.g. a duplicate name).
    pub notes: Vec<Note>,
}

/// A `zone name [size];` inside an upstream group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Zone {
    /// The zone's name.
    pub name: String,
    /// The size, as written.
    pub size: Option<String>,
    /// The directive.
    pub span: Span,
}

/// The address part of a `listen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ListenAddress {
    /// An address and port.
    Inet(ListenInet),
    /// `unix:/path`
    Unix(UnixTarget),
}

/// An inet `listen` address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenInet {
    /// The address (without brackets for IPv6); `None` for a bare port.
    pub host: Option<String>,
    /// Exactly the address's bytes.
    pub host_span: Option<Span>,
    /// How the address is written ([`HostKind::Wildcard`] for none, `*`,
    /// `0.0.0.0` and `[::]`).
    pub kind: HostKind,
    /// The port (for http, 80 when only an address is written).
    pub port: Option<u16>,
    /// Exactly the port's bytes, when written.
    pub port_span: Option<Span>,
    /// True when the port is nginx's default, not written.
    pub port_defaulted: bool,
}

/// A `listen` (or the implicit one of a server without any).
#[derive(Debug, Clone, Serialize)]
pub struct Listen {
    /// The module.
    pub module: Module,
    /// Where it listens.
    pub address: ListenAddress,
    /// `default_server` (or the old `default`).
    pub default_server: bool,
    /// `ssl`
    pub ssl: bool,
    /// `http2` (the old listen parameter).
    pub http2: bool,
    /// `quic`
    pub quic: bool,
    /// `proxy_protocol`
    pub proxy_protocol: bool,
    /// `udp` (stream).
    pub udp: bool,
    /// `ipv6only=on|off`
    pub ipv6only: Option<bool>,
    /// `reuseport`
    pub reuseport: bool,
    /// Every parameter after the address, as written.
    pub params: Vec<Param>,
    /// True for the listen nginx adds to an http server without one
    /// (`*:80` as root, `*:8000` otherwise; 80 is assumed).
    pub implicit: bool,
    /// The directive (for an implicit listen, the `server` keyword).
    pub span: Span,
    /// The enclosing server's `server_name` arguments.
    pub server_names: Vec<String>,
    /// The enclosing `server { }` block.
    pub server_span: Span,
    /// What nginx would say about it.
    pub notes: Vec<Note>,
}

/// One name server of a `resolver`: a host target whose port defaults to 53.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolverAddress {
    /// The address or name as written (nginx resolves a name once, at startup).
    #[serde(flatten)]
    pub at: HostTarget,
    /// The port used: the written one, else 53.
    pub effective_port: u16,
}

/// A `resolver` directive.
#[derive(Debug, Clone, Serialize)]
pub struct Resolver {
    /// The module.
    pub module: Module,
    /// The block it stands in.
    pub context: Ctx,
    /// The name servers, in order.
    pub addresses: Vec<ResolverAddress>,
    /// `valid=`: overrides the answers' TTL.
    pub valid: Option<TimeValue>,
    /// False with `ipv4=off`.
    pub ipv4: bool,
    /// False with `ipv6=off`.
    pub ipv6: bool,
    /// The directive.
    pub span: Span,
    /// The enclosing server, if any.
    pub server: Option<ServerInfo>,
    /// The innermost enclosing location, if any.
    pub location: Option<LocationInfo>,
    /// The enclosing upstream group's name, if any.
    pub group: Option<String>,
    /// What nginx would say about it.
    pub notes: Vec<Note>,
}

/// A fact nginx reports at load time, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// What kind of fact.
    pub kind: NoteKind,
    /// nginx's wording where nginx has one.
    pub message: String,
    /// Where.
    pub span: Span,
}

impl Note {
    /// A note of `kind` saying `message` at `span`.
    pub(super) fn new(kind: NoteKind, message: impl Into<String>, span: Span) -> Note {
        Note {
            kind,
            message: message.into(),
            span,
        }
    }
}

/// The kinds of [`Note`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// `proxy_pass` without `http://` or `https://`.
    InvalidUrlPrefix,
    /// `invalid host`, `no host`, `invalid IPv6 address`, `no path in the unix domain socket`.
    InvalidAddress,
    /// A port that is not a number in 1..=65535.
    InvalidPort,
    /// A name that matches an upstream group, with a port: nginx refuses it
    /// (`upstream "x" may not have port 8080`).
    GroupMayNotHavePort,
    /// A second `upstream` with the same name (`duplicate upstream "x"`).
    DuplicateUpstream,
    /// A parameter nginx does not know (`invalid parameter "x"`).
    InvalidParameter,
    /// A server without `listen`: nginx listens on `*:80` as root, `*:8000` otherwise.
    DefaultListen,
}

impl Extraction {
    /// The extraction as JSON, with `line` and `column` (1-based) added to
    /// every span object, for people and tools that do not hold the source.
    pub fn to_json_with_positions(&self, sources: &SourceMap) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("the extraction serializes");
        add_positions(&mut v, sources);
        v
    }
}

fn add_positions(v: &mut serde_json::Value, sources: &SourceMap) {
    match v {
        serde_json::Value::Object(map) => {
            let is_span = map.len() == 3
                && ["file", "start", "end"]
                    .iter()
                    .all(|k| map.get(*k).is_some_and(|x| x.is_u64()));
            if is_span {
                let get = |k: &str| map[k].as_u64().unwrap_or(0) as u32;
                let (file, start) = (get("file"), get("start"));
                if (file as usize) < sources.len() {
                    let span = Span {
                        file: FileId(file),
                        start,
                        end: get("end"),
                    };
                    let p = sources.start(span);
                    map.insert("line".into(), p.line.into());
                    map.insert("column".into(), p.column.into());
                }
                return;
            }
            for x in map.values_mut() {
                add_positions(x, sources);
            }
        }
        serde_json::Value::Array(items) => {
            for x in items {
                add_positions(x, sources);
            }
        }
        _ => {}
    }
}

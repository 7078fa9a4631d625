//! Every upstream the configuration names, typed and located: the target of
//! each `proxy_pass` / `fastcgi_pass` / `uwsgi_pass` / `scgi_pass` /
//! `grpc_pass` / `memcached_pass` (http and stream), each `server` of an
//! `upstream { }` group with its parameters, every `listen` and every
//! `resolver`. Targets are parsed the way nginx's `ngx_parse_url` parses them
//! (scheme prefixes, default ports, `unix:` sockets, `[ipv6]`, the URI part),
//! upstream group names are matched case-insensitively per module, and
//! targets built from variables carry the static values `set`, `map`, `geo`
//! and `split_clients` can give them. Every host, port and path has the
//! exact byte span it was written at, so a fix can replace just that text.
//! [`extract`] is the entry point.

use crate::nginx::{Arg, Config, Ctx, Directive, Quote};
use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;
use std::collections::HashMap;
use std::ops::Range;

/// Most static candidate values listed for one variable target.
const MAX_CANDIDATES: usize = 64;
/// Deepest chain of variables expanded (`set $a $b; set $b $c; …`).
const MAX_EXPANSION_DEPTH: usize = 8;

/// Everything [`extract`] finds in a configuration.
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
    fn schemes(self) -> &'static [(&'static str, bool, Option<u16>)] {
        match self {
            UpstreamDirective::Proxy => &[("http", false, Some(80)), ("https", true, Some(443))],
            UpstreamDirective::Uwsgi => &[("uwsgi", false, None), ("suwsgi", true, None)],
            UpstreamDirective::Grpc => &[("grpc", false, None), ("grpcs", true, None)],
            _ => &[],
        }
    }

    /// The port nginx uses when none is written, for a target without scheme.
    fn schemeless_default_port(self, module: Module) -> Option<u16> {
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
            Target::Host(h) => h.port.or(self.default_port),
            _ => None,
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
    /// The port used when the value names none (see [`UpstreamRef::default_port`]).
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

/// One name server of a `resolver`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolverAddress {
    /// The address or name (nginx resolves a name once, at startup).
    pub host: String,
    /// Exactly the host's bytes.
    pub host_span: Span,
    /// How it is written.
    pub kind: HostKind,
    /// The written port.
    pub port: Option<u16>,
    /// Exactly the port's bytes.
    pub port_span: Option<Span>,
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

// ---------------------------------------------------------------------------
// Located text: bytes with the source range each one was read from.

/// One byte's origin: file and raw byte range (an escape is two raw bytes).
type Origin = Option<(FileId, u32, u32)>;

/// Text assembled from pieces of the sources, remembering where each byte
/// was written; variables left unexpanded are listed with their ranges.
#[derive(Debug, Clone, Default)]
struct Located {
    bytes: Vec<u8>,
    origins: Vec<Origin>,
    /// Unexpanded variables: byte range and lowercased name.
    vars: Vec<(Range<usize>, String)>,
}

impl Located {
    /// An argument's value with exact raw positions, unescaped as nginx does.
    fn from_arg(arg: &Arg, sources: &SourceMap) -> Located {
        let file = sources.get(arg.span.file);
        let raw = file.bytes.get(arg.span.range()).unwrap_or(&[]);
        let base = arg.span.start;
        let mut out = Located {
            bytes: Vec::with_capacity(raw.len()),
            origins: Vec::with_capacity(raw.len()),
            vars: Vec::new(),
        };
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'\\' && arg.quote != Quote::Lua {
                let v = match raw.get(i + 1) {
                    Some(&c @ (b'"' | b'\'' | b'\\')) => Some(c),
                    Some(b't') => Some(b'\t'),
                    Some(b'r') => Some(b'\r'),
                    Some(b'n') => Some(b'\n'),
                    _ => None,
                };
                if let Some(v) = v {
                    out.push_byte(
                        v,
                        Some((arg.span.file, base + i as u32, base + i as u32 + 2)),
                    );
                    i += 2;
                    continue;
                }
            }
            out.push_byte(
                raw[i],
                Some((arg.span.file, base + i as u32, base + i as u32 + 1)),
            );
            i += 1;
        }
        if String::from_utf8_lossy(&out.bytes) != arg.value {
            // The tree disagrees with the bytes (should not happen): trust
            // the value and give up on positions.
            return Located::literal(&arg.value);
        }
        out
    }

    /// Text that was never written anywhere (a builtin value).
    fn literal(s: &str) -> Located {
        Located {
            bytes: s.as_bytes().to_vec(),
            origins: vec![None; s.len()],
            vars: Vec::new(),
        }
    }

    fn push_byte(&mut self, b: u8, origin: Origin) {
        self.bytes.push(b);
        self.origins.push(origin);
    }

    fn push(&mut self, other: &Located) {
        let shift = self.bytes.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.origins.extend_from_slice(&other.origins);
        self.vars.extend(
            other
                .vars
                .iter()
                .map(|(r, n)| (r.start + shift..r.end + shift, n.clone())),
        );
    }

    fn slice(&self, r: Range<usize>) -> Located {
        Located {
            bytes: self.bytes[r.clone()].to_vec(),
            origins: self.origins[r.clone()].to_vec(),
            vars: self
                .vars
                .iter()
                .filter(|(v, _)| v.start >= r.start && v.end <= r.end)
                .map(|(v, n)| (v.start - r.start..v.end - r.start, n.clone()))
                .collect(),
        }
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }

    fn text(&self, r: Range<usize>) -> String {
        String::from_utf8_lossy(&self.bytes[r]).into_owned()
    }

    /// The exact source span of `r`, when its bytes were written
    /// contiguously in one file.
    fn span(&self, r: Range<usize>) -> Option<Span> {
        if r.start >= r.end || r.end > self.origins.len() {
            return None;
        }
        let (file, start, mut end) = self.origins[r.start]?;
        for o in &self.origins[r.start + 1..r.end] {
            let (f, s, e) = (*o)?;
            if f != file || s != end {
                return None;
            }
            end = e;
        }
        Some(Span { file, start, end })
    }

    /// An empty span just before byte `at` (or after the last one).
    fn point(&self, at: usize) -> Option<Span> {
        if let Some(Some((f, s, _))) = self.origins.get(at) {
            return Some(Span::new(*f, *s as usize, *s as usize));
        }
        let (f, _, e) = (*self.origins.get(at.checked_sub(1)?)?)?;
        Some(Span::new(f, e as usize, e as usize))
    }

    /// True when any unexpanded variable overlaps `r`.
    fn dynamic(&self, r: &Range<usize>) -> bool {
        self.vars
            .iter()
            .any(|(v, _)| v.start < r.end && r.start < v.end)
    }

    /// The bytes as the URL parser should scan them: an unexpanded variable
    /// becomes opaque bytes, except that `$request_uri`, `$uri` and
    /// `$document_uri` start with `/` and `$is_args` with `?`, as they do at
    /// run time.
    fn view(&self) -> Vec<u8> {
        let mut v = self.bytes.clone();
        for (r, name) in &self.vars {
            for b in &mut v[r.clone()] {
                *b = 0x01;
            }
            let first = match name.as_str() {
                "request_uri" | "uri" | "document_uri" => b'/',
                "is_args" => b'?',
                _ => 0x01,
            };
            if r.start < r.end {
                v[r.start] = first;
            }
        }
        v
    }

    /// The located text with every `$var` in it listed as unexpanded.
    fn with_vars_marked(mut self) -> Located {
        self.vars = find_vars(&self.bytes)
            .into_iter()
            .map(|(r, n)| (r, n.to_ascii_lowercase()))
            .collect();
        self
    }
}

/// The `$name` / `${name}` / `$1` references in a value, as nginx's script
/// compiler finds them.
fn find_vars(b: &[u8]) -> Vec<(Range<usize>, String)> {
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let j = i + 1;
        if b.get(j) == Some(&b'{') {
            if let Some(p) = b[j + 1..].iter().position(|&c| c == b'}') {
                let name = &b[j + 1..j + 1 + p];
                if !name.is_empty() {
                    out.push((i..j + p + 2, String::from_utf8_lossy(name).into_owned()));
                }
                i = j + p + 2;
                continue;
            }
            i = j;
            continue;
        }
        if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            out.push((i..j + 1, (b[j] as char).to_string()));
            i = j + 1;
            continue;
        }
        let mut k = j;
        while k < b.len() && is_name(b[k]) {
            k += 1;
        }
        if k > j {
            out.push((i..k, String::from_utf8_lossy(&b[j..k]).into_owned()));
        }
        i = k.max(j);
    }
    out
}

// ---------------------------------------------------------------------------
// URL parsing after ngx_parse_url.

/// `ngx_parse_url`'s reading of an address, as byte ranges.
#[derive(Debug, Clone, Default)]
struct ParsedUrl {
    unix: bool,
    ipv6: bool,
    /// The host (IPv6 without brackets) or the unix path.
    host: Range<usize>,
    port: Option<Range<usize>>,
    port_value: Option<u16>,
    /// A `listen` of a bare port.
    port_only: bool,
    uri: Option<Range<usize>>,
    err: Option<(NoteKind, &'static str)>,
}

/// nginx's `ngx_atoi` for a port: digits only, 1..=65535.
fn parse_port(b: &[u8]) -> Option<u16> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) || b.len() > 5 {
        return None;
    }
    let n: u32 = std::str::from_utf8(b).ok()?.parse().ok()?;
    (1..=65535).contains(&n).then_some(n as u16)
}

fn find(v: &[u8], r: Range<usize>, c: u8) -> Option<usize> {
    v[r.clone()]
        .iter()
        .position(|&x| x == c)
        .map(|p| r.start + p)
}

/// Parses `v[r]` as `ngx_parse_url` does with `uri_part` and `listen` set as given.
fn parse_url(v: &[u8], r: Range<usize>, uri_part: bool, listen: bool) -> ParsedUrl {
    let s = &v[r.clone()];
    let mut u = ParsedUrl::default();
    if s.len() >= 5 && s[..5].eq_ignore_ascii_case(b"unix:") {
        u.unix = true;
        u.host = r.start + 5..r.end;
        if uri_part && let Some(colon) = find(v, u.host.clone(), b':') {
            u.uri = Some(colon + 1..r.end);
            u.host.end = colon;
        }
        if u.host.is_empty() {
            u.err = Some((
                NoteKind::InvalidAddress,
                "no path in the unix domain socket",
            ));
        }
        return u;
    }
    if s.first() == Some(&b'[') {
        u.ipv6 = true;
        let host_start = r.start + 1;
        let Some(close) = find(v, host_start..r.end, b']') else {
            u.host = host_start..r.end;
            u.err = Some((NoteKind::InvalidAddress, "invalid host"));
            return u;
        };
        u.host = host_start..close;
        let mut last = r.end;
        let after = close + 1;
        if let Some(slash) = find(v, after..last, b'/') {
            if listen || !uri_part {
                u.err = Some((NoteKind::InvalidAddress, "invalid host"));
            }
            u.uri = Some(slash..r.end);
            last = slash;
        }
        if after < last && v[after] == b':' {
            u.port = Some(after + 1..last);
            u.port_value = parse_port(&v[after + 1..last]);
            if u.port_value.is_none() && u.err.is_none() {
                u.err = Some((NoteKind::InvalidPort, "invalid port"));
            }
        }
        if u.host.is_empty() {
            u.err.get_or_insert((NoteKind::InvalidAddress, "no host"));
        } else if std::str::from_utf8(&v[u.host.clone()])
            .ok()
            .and_then(|h| h.parse::<std::net::Ipv6Addr>().ok())
            .is_none()
        {
            u.err
                .get_or_insert((NoteKind::InvalidAddress, "invalid IPv6 address"));
        }
        return u;
    }
    let mut last = r.end;
    let mut port = find(v, r.clone(), b':');
    let mut uri = find(v, r.clone(), b'/');
    if let Some(q) = find(v, r.clone(), b'?')
        && uri.is_none_or(|p| q < p)
    {
        uri = Some(q);
    }
    if let Some(p) = uri {
        if listen || !uri_part {
            u.err = Some((NoteKind::InvalidAddress, "invalid host"));
        }
        u.uri = Some(p..r.end);
        last = p;
        if port.is_some_and(|c| p < c) {
            port = None;
        }
    }
    if let Some(c) = port {
        u.port = Some(c + 1..last);
        u.port_value = parse_port(&v[c + 1..last]);
        if u.port_value.is_none() && u.err.is_none() {
            u.err = Some((NoteKind::InvalidPort, "invalid port"));
        }
        last = c;
    } else if uri.is_none() && listen && !s.is_empty() && s.iter().all(u8::is_ascii_digit) {
        u.port_only = true;
        u.port = Some(r.clone());
        u.port_value = parse_port(s);
        if u.port_value.is_none() {
            u.err = Some((NoteKind::InvalidPort, "invalid port"));
        }
        u.host = r.start..r.start;
        return u;
    }
    u.host = r.start..last;
    if u.host.is_empty() && u.err.is_none() {
        u.err = Some((NoteKind::InvalidAddress, "no host"));
    }
    u
}

/// nginx's `ngx_inet_addr`: four dot-separated decimal octets.
fn is_ipv4(h: &str) -> bool {
    let mut dots = 0;
    let mut octet = 0u32;
    for c in h.bytes() {
        match c {
            b'0'..=b'9' => {
                octet = octet * 10 + u32::from(c - b'0');
                if octet > 255 {
                    return false;
                }
            }
            b'.' => {
                dots += 1;
                octet = 0;
            }
            _ => return false,
        }
    }
    dots == 3
}

fn host_kind(host: &str, ipv6: bool) -> HostKind {
    if ipv6 {
        HostKind::Ipv6
    } else if is_ipv4(host) {
        HostKind::Ipv4
    } else if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        HostKind::Localhost
    } else {
        HostKind::Name
    }
}

/// nginx's `ngx_parse_time` with seconds as the default unit, in milliseconds.
fn parse_time_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut any = false;
    while i < b.len() {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return None;
        }
        let n: u64 = s[start..i].parse().ok()?;
        let unit: u64 = if b[i..].starts_with(b"ms") {
            i += 2;
            1
        } else {
            let u = match b.get(i) {
                None => 1000,
                Some(b's') => 1000,
                Some(b'm') => 60_000,
                Some(b'h') => 3_600_000,
                Some(b'd') => 86_400_000,
                Some(b'w') => 7 * 86_400_000,
                Some(b'M') => 30 * 86_400_000,
                Some(b'y') => 365 * 86_400_000,
                Some(_) => return None,
            };
            if i < b.len() {
                i += 1;
            }
            u
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
    }
    any.then_some(total)
}

fn time_value(s: &str) -> TimeValue {
    TimeValue {
        raw: s.to_string(),
        ms: parse_time_ms(s),
    }
}

// ---------------------------------------------------------------------------
// Reading one `*_pass` / `server` address.

/// What one address (a literal argument or one expanded candidate) says.
struct Address {
    target: Option<Target>,
    scheme: Option<String>,
    scheme_span: Option<Span>,
    tls: bool,
    default_port: Option<u16>,
    uri: Option<String>,
    uri_span: Option<Span>,
    /// Kind, nginx message, and where.
    problem: Option<(NoteKind, String, Option<Span>)>,
    /// Why the target is unknown, when it is.
    unknown: Option<String>,
}

/// Reads an address for `directive` from located text, as nginx would. The
/// target is `None` when part of the address is an unexpanded variable or
/// its text was not written in one piece.
fn read_address(loc: &Located, directive: UpstreamDirective, module: Module) -> Address {
    let view = loc.view();
    let mut a = Address {
        target: None,
        scheme: None,
        scheme_span: None,
        tls: false,
        default_port: directive.schemeless_default_port(module),
        uri: None,
        uri_span: None,
        problem: None,
        unknown: None,
    };
    let schemes = directive.schemes();
    let mut rest = 0;
    let sep = view.windows(3).position(|w| w == b"://");
    let matched = schemes.iter().find(|(name, _, _)| {
        view.len() >= name.len() + 3
            && view[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && &view[name.len()..name.len() + 3] == b"://"
    });
    if let Some((name, tls, port)) = matched {
        a.scheme = Some((*name).to_string());
        a.scheme_span = loc.span(0..name.len());
        a.tls = *tls;
        a.default_port = *port;
        rest = name.len() + 3;
    } else if let Some(p) = sep.filter(|p| loc.dynamic(&(0..*p))) {
        // `$scheme://…` with no static value: scheme, TLS and default port unknown.
        a.default_port = None;
        rest = p + 3;
    } else if directive == UpstreamDirective::Proxy {
        a.default_port = None;
        if loc.dynamic(&(0..view.len().min(1))) {
            a.unknown = Some("the whole URL comes from a variable".into());
            return a;
        }
        a.problem = Some((
            NoteKind::InvalidUrlPrefix,
            format!(
                "invalid URL prefix in \"{}\"",
                String::from_utf8_lossy(&loc.bytes)
            ),
            loc.span(0..loc.len()),
        ));
        if let Some(p) = sep {
            rest = p + 3;
        }
    }
    let url = parse_url(
        &view,
        rest..view.len(),
        directive == UpstreamDirective::Proxy,
        false,
    );
    if let Some(u) = &url.uri {
        a.uri = Some(loc.text(u.clone()));
        a.uri_span = loc.span(u.clone());
    }
    let host_dynamic = loc.dynamic(&url.host)
        || (url.host.is_empty() && loc.dynamic(&(rest..view.len().min(rest + 1))));
    let port_dynamic = url.port.as_ref().is_some_and(|p| loc.dynamic(p));
    if host_dynamic || port_dynamic {
        a.unknown = Some(if host_dynamic {
            "the host comes from a variable without a static value".into()
        } else {
            "the port comes from a variable without a static value".into()
        });
        return a;
    }
    if let Some((kind, msg)) = url.err
        && a.problem.is_none()
    {
        let at = match kind {
            NoteKind::InvalidPort => url.port.clone().and_then(|p| loc.span(p)),
            _ => loc.span(url.host.clone()),
        };
        a.problem = Some((
            kind,
            format!(
                "{msg} in upstream \"{}\"",
                String::from_utf8_lossy(&loc.bytes[rest..])
            ),
            at.or_else(|| loc.span(0..loc.len())),
        ));
    }
    let host_span = loc.span(url.host.clone()).or_else(|| {
        if url.host.is_empty() {
            loc.point(url.host.start)
        } else {
            None
        }
    });
    let Some(host_span) = host_span else {
        a.unknown = Some("the address is assembled from several values".into());
        return a;
    };
    let host = loc.text(url.host.clone());
    if url.unix {
        // A socket has no port to default.
        a.default_port = None;
    }
    a.target = Some(if url.unix {
        Target::Unix(UnixTarget {
            path: host,
            path_span: host_span,
        })
    } else {
        Target::Host(HostTarget {
            kind: host_kind(&host, url.ipv6),
            host,
            host_span,
            port: url.port_value,
            port_span: url.port.clone().and_then(|p| loc.span(p)),
        })
    });
    a
}

// ---------------------------------------------------------------------------
// The scan: what the whole configuration defines.

struct ServerScan {
    span: Span,
    name_span: Span,
    module: Module,
    names: Vec<String>,
    listens: Vec<usize>,
}

struct VarDef<'a> {
    origin: ValueOrigin,
    key: Option<String>,
    value: &'a Arg,
    entry_span: Span,
}

#[derive(Default)]
struct Scan<'a> {
    servers: Vec<ServerScan>,
    server_by_span: HashMap<Span, usize>,
    /// `set` directives by the span of their scope (server or location).
    sets: HashMap<Span, Vec<(String, VarDef<'a>)>>,
    /// `map` / `geo` / `split_clients` values by module and variable.
    globals: HashMap<(Module, String), Vec<VarDef<'a>>>,
    /// Resolver indices by the span of the block they stand in (`None`: top level).
    resolver_by_scope: HashMap<(Module, Option<Span>), usize>,
    group_by_span: HashMap<Span, usize>,
    /// First group of each (module, lowercased name).
    group_by_name: HashMap<(Module, String), usize>,
}

fn module_of(ctx: Ctx) -> Option<Module> {
    if ctx.in_http() {
        Some(Module::Http)
    } else if ctx.in_stream() {
        Some(Module::Stream)
    } else {
        None
    }
}

fn nearest<'a>(ancestors: &[&'a Directive], name: &str) -> Option<&'a Directive> {
    ancestors
        .iter()
        .rev()
        .find(|d| d.name == name && d.block.is_some())
        .copied()
}

fn location_info(d: &Directive, sources: &SourceMap) -> Option<LocationInfo> {
    let (modifier, arg) = match d.args.as_slice() {
        [m, p] => (Some(m.value.to_string()), p),
        [p] => (None, p),
        _ => return None,
    };
    let (modifier, skip) = match modifier {
        Some(m) => (Some(m), 0),
        None => {
            let v = arg.value.as_str();
            let m = ["^~", "~*", "=", "~"]
                .into_iter()
                .find(|m| v.starts_with(m) && v.len() > m.len());
            (m.map(str::to_string), m.map_or(0, str::len))
        }
    };
    let (path, path_span) = match plain_arg(arg, sources) {
        // Written as is: the path is a slice of the value and of its span.
        // (`skip` is 0 or the length of an ASCII prefix of the value.)
        Some(v) => {
            let span = (skip < v.len()).then(|| {
                Span::new(
                    arg.span.file,
                    arg.span.start as usize + skip,
                    arg.span.end as usize,
                )
            });
            (v[skip..].to_string(), span)
        }
        None => {
            let loc = Located::from_arg(arg, sources);
            (loc.text(skip..loc.len()), loc.span(skip..loc.len()))
        }
    };
    Some(LocationInfo {
        named: modifier.is_none() && path.starts_with('@'),
        modifier,
        path_span: path_span.unwrap_or(arg.span),
        path,
        span: d.span,
    })
}

/// The argument's value when its source bytes are exactly the value (no
/// backslash, nothing replaced by lossy decoding): then byte `i` of the
/// value was written at `arg.span.start + i`, as [`Located::from_arg`]
/// would record it, without building per-byte origins.
fn plain_arg<'a>(arg: &'a Arg, sources: &SourceMap) -> Option<&'a str> {
    let raw = sources.get(arg.span.file).bytes.get(arg.span.range())?;
    (raw == arg.value.as_bytes() && !raw.contains(&b'\\')).then_some(arg.value.as_str())
}

fn params_of(args: &[Arg]) -> Vec<Param> {
    args.iter()
        .map(|a| {
            let (name, value) = match a.value.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (a.value.to_string(), None),
            };
            Param {
                name,
                value,
                span: a.span,
            }
        })
        .collect()
}

/// The values a parameter block (`map`, `geo`, `split_clients`) gives its
/// variable, following `include` inside it.
fn block_values<'a>(
    config: &'a Config,
    d: &'a Directive,
    origin: ValueOrigin,
    out: &mut Vec<VarDef<'a>>,
    depth: usize,
) {
    let skip: &[&str] = match origin {
        ValueOrigin::Map => &["hostnames", "volatile"],
        ValueOrigin::Geo => &["delete", "proxy", "ranges", "proxy_recursive"],
        _ => &[],
    };
    let entries: Vec<&Directive> = d.children().collect();
    collect_entries(config, &entries, origin, skip, out, depth);
}

fn collect_entries<'a>(
    config: &'a Config,
    entries: &[&'a Directive],
    origin: ValueOrigin,
    skip: &[&str],
    out: &mut Vec<VarDef<'a>>,
    depth: usize,
) {
    for e in entries {
        if e.name == "include" && !e.includes.is_empty() {
            if depth < 8 {
                for id in &e.includes {
                    if let Some(f) = config.file(*id) {
                        let inner: Vec<&Directive> = f.block.directives().collect();
                        collect_entries(config, &inner, origin, skip, out, depth + 1);
                    }
                }
            }
            continue;
        }
        if skip.contains(&e.name.as_str()) {
            continue;
        }
        if let [value] = e.args.as_slice() {
            out.push(VarDef {
                origin,
                key: Some(e.name.to_string()),
                value,
                entry_span: e.span,
            });
        }
    }
}

fn scan<'a>(config: &'a Config, sources: &SourceMap, ex: &mut Extraction) -> Scan<'a> {
    let mut sc = Scan::default();
    config.walk(&mut |d, ancestors, ctx| {
        if d.rejected {
            return;
        }
        let Some(module) = module_of(ctx) else {
            return;
        };
        match d.name.as_str() {
            "server" if d.block.is_some() && matches!(ctx, Ctx::Http | Ctx::Stream) => {
                sc.server_by_span.insert(d.span, sc.servers.len());
                sc.servers.push(ServerScan {
                    span: d.span,
                    name_span: d.name_span,
                    module,
                    names: Vec::new(),
                    listens: Vec::new(),
                });
            }
            "server_name" => {
                if let Some(i) =
                    nearest(ancestors, "server").and_then(|s| sc.server_by_span.get(&s.span))
                {
                    sc.servers[*i]
                        .names
                        .extend(d.arg_values().map(str::to_string));
                }
            }
            "listen" => {
                let Some(i) = nearest(ancestors, "server")
                    .and_then(|s| sc.server_by_span.get(&s.span))
                    .copied()
                else {
                    return;
                };
                if let Some(l) = read_listen(d, module, sources, &sc.servers[i]) {
                    sc.servers[i].listens.push(ex.listens.len());
                    ex.listens.push(l);
                }
            }
            "upstream" if d.block.is_some() && matches!(ctx, Ctx::Http | Ctx::Stream) => {
                let Some(arg) = d.args.first() else {
                    return;
                };
                let mut notes = Vec::new();
                let key = (module, arg.value.as_str().to_ascii_lowercase());
                if sc.group_by_name.contains_key(&key) {
                    notes.push(Note {
                        kind: NoteKind::DuplicateUpstream,
                        message: format!("duplicate upstream \"{}\"", arg.value),
                        span: arg.span,
                    });
                }
                sc.group_by_span.insert(d.span, ex.groups.len());
                sc.group_by_name.entry(key).or_insert(ex.groups.len());
                ex.groups.push(UpstreamGroup {
                    name: arg.value.to_string(),
                    name_span: arg.span,
                    module,
                    span: d.span,
                    servers: Vec::new(),
                    references: Vec::new(),
                    zone: None,
                    balancer: None,
                    resolver: None,
                    notes,
                });
            }
            "zone" | "hash" | "ip_hash" | "least_conn" | "least_time" | "random"
                if matches!(ctx, Ctx::HttpUpstream | Ctx::StreamUpstream) =>
            {
                let Some(g) =
                    nearest(ancestors, "upstream").and_then(|u| sc.group_by_span.get(&u.span))
                else {
                    return;
                };
                let g = &mut ex.groups[*g];
                if d.name == "zone" {
                    if let Some(name) = d.args.first() {
                        g.zone = Some(Zone {
                            name: name.value.to_string(),
                            size: d.args.get(1).map(|a| a.value.to_string()),
                            span: d.span,
                        });
                    }
                } else {
                    g.balancer = Some(d.name.to_string());
                }
            }
            "set" => {
                let (Some(var), Some(value)) = (d.args.first(), d.args.get(1)) else {
                    return;
                };
                let Some(name) = var.value.strip_prefix('$') else {
                    return;
                };
                let Some(scope) = ancestors.iter().rev().find(|a| a.name != "if") else {
                    return;
                };
                sc.sets.entry(scope.span).or_default().push((
                    name.to_ascii_lowercase(),
                    VarDef {
                        origin: ValueOrigin::Set,
                        key: None,
                        value,
                        entry_span: d.span,
                    },
                ));
            }
            "map" | "geo" | "split_clients" if d.block.is_some() => {
                let origin = match d.name.as_str() {
                    "map" => ValueOrigin::Map,
                    "geo" => ValueOrigin::Geo,
                    _ => ValueOrigin::SplitClients,
                };
                let var = match (origin, d.args.as_slice()) {
                    (ValueOrigin::Geo, [v]) => v,
                    (_, [_, v]) => v,
                    _ => return,
                };
                let Some(name) = var.value.strip_prefix('$') else {
                    return;
                };
                let mut defs = Vec::new();
                block_values(config, d, origin, &mut defs, 0);
                sc.globals
                    .entry((module, name.to_ascii_lowercase()))
                    .or_default()
                    .extend(defs);
            }
            "resolver" => {
                let scope = ancestors.last().map(|a| a.span);
                let index = ex.resolvers.len();
                ex.resolvers.push(read_resolver(d, module, ctx, sources));
                sc.resolver_by_scope.entry((module, scope)).or_insert(index);
            }
            _ => {}
        }
    });
    // nginx gives an http server without `listen` one on *:80 (root) or *:8000.
    for s in &mut sc.servers {
        if s.module == Module::Http && s.listens.is_empty() {
            s.listens.push(ex.listens.len());
            ex.listens.push(Listen {
                module: Module::Http,
                address: ListenAddress::Inet(ListenInet {
                    host: None,
                    host_span: None,
                    kind: HostKind::Wildcard,
                    port: Some(80),
                    port_span: None,
                    port_defaulted: true,
                }),
                default_server: false,
                ssl: false,
                http2: false,
                quic: false,
                proxy_protocol: false,
                udp: false,
                ipv6only: None,
                reuseport: false,
                params: Vec::new(),
                implicit: true,
                span: s.name_span,
                server_names: s.names.clone(),
                server_span: s.span,
                notes: vec![Note {
                    kind: NoteKind::DefaultListen,
                    message: "no \"listen\" in this server: nginx listens on *:80 when started as root, *:8000 otherwise".into(),
                    span: s.name_span,
                }],
            });
        }
    }
    // Server names may come after the listens: fill them in now.
    for s in &sc.servers {
        for &l in &s.listens {
            ex.listens[l].server_names = s.names.clone();
        }
    }
    sc
}

fn read_listen(
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
        notes.push(Note {
            kind,
            message: format!("{msg} in \"{}\" of the \"listen\" directive", arg.value),
            span: arg.span,
        });
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
    let mut l = Listen {
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
        span: d.span,
        server_names: server.names.clone(),
        server_span: server.span,
        notes,
    };
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
            _ => l.notes.push(Note {
                kind: NoteKind::InvalidParameter,
                message: format!("invalid parameter \"{}\"", p.name),
                span: p.span,
            }),
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

fn read_resolver(d: &Directive, module: Module, ctx: Ctx, sources: &SourceMap) -> Resolver {
    let mut r = Resolver {
        module,
        context: ctx,
        addresses: Vec::new(),
        valid: None,
        ipv4: true,
        ipv6: true,
        span: d.span,
        server: None,
        location: None,
        group: None,
        notes: Vec::new(),
    };
    for arg in &d.args {
        let v = arg.value.as_str();
        if let Some(t) = v.strip_prefix("valid=") {
            r.valid = Some(time_value(t));
            continue;
        }
        if let Some(f) = v.strip_prefix("ipv4=").or_else(|| v.strip_prefix("ipv6=")) {
            let on = match f {
                "on" => true,
                "off" => false,
                _ => {
                    r.notes.push(Note {
                        kind: NoteKind::InvalidParameter,
                        message: format!("invalid parameter: {v}"),
                        span: arg.span,
                    });
                    continue;
                }
            };
            if v.starts_with("ipv4") {
                r.ipv4 = on;
            } else {
                r.ipv6 = on;
            }
            continue;
        }
        if v.starts_with("status_zone=") {
            continue;
        }
        let loc = Located::from_arg(arg, sources);
        let url = parse_url(&loc.bytes, 0..loc.len(), false, false);
        if let Some((kind, msg)) = url.err {
            r.notes.push(Note {
                kind,
                message: format!("{msg} in resolver \"{v}\""),
                span: arg.span,
            });
        }
        if url.unix {
            continue;
        }
        let host = loc.text(url.host.clone());
        r.addresses.push(ResolverAddress {
            kind: host_kind(&host, url.ipv6),
            host,
            host_span: loc.span(url.host.clone()).unwrap_or(arg.span),
            port: url.port_value,
            port_span: url.port.clone().and_then(|p| loc.span(p)),
            effective_port: url.port_value.unwrap_or(53),
        });
    }
    if !r.ipv4 && !r.ipv6 {
        r.notes.push(Note {
            kind: NoteKind::InvalidParameter,
            message: "\"ipv4\" and \"ipv6\" cannot both be \"off\"".into(),
            span: d.span,
        });
    }
    r
}

// ---------------------------------------------------------------------------
// Variable expansion.

struct Expansion {
    loc: Located,
    sources: Vec<ValueSource>,
}

struct Env<'s, 'a> {
    sources: &'s SourceMap,
    scan: &'s Scan<'a>,
    module: Module,
    /// Spans of the blocks whose `set` directives run for this reference.
    scopes: Vec<Span>,
    /// The values `$scheme` can take in this server.
    scheme_values: Vec<&'static str>,
}

impl<'a> Env<'_, 'a> {
    fn definitions(&self, name: &str) -> Vec<&VarDef<'a>> {
        let mut out: Vec<&VarDef<'a>> = Vec::new();
        for scope in &self.scopes {
            if let Some(sets) = self.scan.sets.get(scope) {
                out.extend(sets.iter().filter(|(n, _)| n == name).map(|(_, d)| d));
            }
        }
        if let Some(g) = self.scan.globals.get(&(self.module, name.to_string())) {
            out.extend(g.iter());
        }
        out
    }

    fn expand(
        &self,
        tpl: &Located,
        depth: usize,
        stack: &mut Vec<String>,
        truncated: &mut bool,
    ) -> Vec<Expansion> {
        let mut out = vec![Expansion {
            loc: Located::default(),
            sources: Vec::new(),
        }];
        let mut last = 0;
        for (r, name) in find_vars(&tpl.bytes) {
            let lit = tpl.slice(last..r.start);
            for x in &mut out {
                x.loc.push(&lit);
            }
            let name = name.to_ascii_lowercase();
            let alts = self.alternatives(&name, depth, stack, truncated);
            if alts.is_empty() {
                let mut piece = tpl.slice(r.clone());
                piece.vars = vec![(0..piece.len(), name)];
                for x in &mut out {
                    x.loc.push(&piece);
                }
            } else {
                let mut next = Vec::new();
                'all: for x in &out {
                    for alt in &alts {
                        if next.len() >= MAX_CANDIDATES {
                            *truncated = true;
                            break 'all;
                        }
                        let mut loc = x.loc.clone();
                        loc.push(&alt.loc);
                        let mut sources = x.sources.clone();
                        sources.extend(alt.sources.iter().cloned());
                        next.push(Expansion { loc, sources });
                    }
                }
                out = next;
            }
            last = r.end;
        }
        let tail = tpl.slice(last..tpl.len());
        for x in &mut out {
            x.loc.push(&tail);
        }
        out
    }

    fn alternatives(
        &self,
        name: &str,
        depth: usize,
        stack: &mut Vec<String>,
        truncated: &mut bool,
    ) -> Vec<Expansion> {
        if depth >= MAX_EXPANSION_DEPTH || stack.iter().any(|s| s == name) {
            return Vec::new();
        }
        let defs = self.definitions(name);
        let mut alts = Vec::new();
        if defs.is_empty() {
            if name == "scheme" && self.module == Module::Http {
                for v in &self.scheme_values {
                    alts.push(Expansion {
                        loc: Located::literal(v),
                        sources: vec![ValueSource {
                            variable: name.to_string(),
                            origin: ValueOrigin::Builtin,
                            key: None,
                            value: (*v).to_string(),
                            span: None,
                            entry_span: None,
                        }],
                    });
                }
            }
            return alts;
        }
        stack.push(name.to_string());
        for def in defs {
            let inner = Located::from_arg(def.value, self.sources);
            let source = ValueSource {
                variable: name.to_string(),
                origin: def.origin,
                key: def.key.clone(),
                value: def.value.value.to_string(),
                span: Some(def.value.span),
                entry_span: Some(def.entry_span),
            };
            for mut sub in self.expand(&inner, depth + 1, stack, truncated) {
                sub.sources.insert(0, source.clone());
                alts.push(sub);
                if alts.len() >= MAX_CANDIDATES {
                    *truncated = true;
                    break;
                }
            }
        }
        stack.pop();
        alts
    }
}

// ---------------------------------------------------------------------------
// Extraction.

fn pass_kind(name: &str, module: Module) -> Option<UpstreamDirective> {
    use UpstreamDirective::*;
    Some(match (name, module) {
        ("proxy_pass", Module::Http) => Proxy,
        ("proxy_pass", Module::Stream) => StreamProxy,
        ("fastcgi_pass", Module::Http) => Fastcgi,
        ("uwsgi_pass", Module::Http) => Uwsgi,
        ("scgi_pass", Module::Http) => Scgi,
        ("grpc_pass", Module::Http) => Grpc,
        ("memcached_pass", Module::Http) => Memcached,
        _ => return None,
    })
}

fn server_info(sc: &Scan, ancestors: &[&Directive]) -> Option<ServerInfo> {
    let s = nearest(ancestors, "server")?;
    let i = *sc.server_by_span.get(&s.span)?;
    let s = &sc.servers[i];
    Some(ServerInfo {
        server_names: s.names.clone(),
        listens: s.listens.clone(),
        span: s.span,
    })
}

fn resolver_for(sc: &Scan, module: Module, ancestors: &[&Directive]) -> Option<usize> {
    ancestors
        .iter()
        .rev()
        .map(|a| Some(a.span))
        .chain(std::iter::once(None))
        .find_map(|scope| sc.resolver_by_scope.get(&(module, scope)).copied())
}

fn read_server_params(args: &[Arg]) -> (ServerParams, Vec<Note>) {
    let mut p = ServerParams {
        raw: params_of(args),
        ..Default::default()
    };
    let mut notes = Vec::new();
    let raw = p.raw.clone();
    for x in &raw {
        let num = || x.value.as_deref().and_then(|v| v.parse::<u32>().ok());
        let ok = match (x.name.as_str(), x.value.as_deref()) {
            ("weight", Some(_)) => {
                p.weight = num();
                p.weight.is_some_and(|w| w > 0)
            }
            ("max_conns", Some(_)) => {
                p.max_conns = num();
                p.max_conns.is_some()
            }
            ("max_fails", Some(_)) => {
                p.max_fails = num();
                p.max_fails.is_some()
            }
            ("fail_timeout", Some(v)) => {
                let t = time_value(v);
                let ok = t.ms.is_some();
                p.fail_timeout = Some(t);
                ok
            }
            ("slow_start", Some(v)) => {
                let t = time_value(v);
                let ok = t.ms.is_some();
                p.slow_start = Some(t);
                ok
            }
            ("service", Some(v)) => {
                p.service = Some(v.to_string());
                true
            }
            ("route", Some(v)) => {
                p.route = Some(v.to_string());
                true
            }
            ("backup", None) => {
                p.backup = true;
                true
            }
            ("down", None) => {
                p.down = true;
                true
            }
            ("resolve", None) => {
                p.resolve = true;
                true
            }
            ("drain", None) => {
                p.drain = true;
                true
            }
            _ => false,
        };
        if !ok {
            let text = match &x.value {
                Some(v) => format!("{}={v}", x.name),
                None => x.name.clone(),
            };
            notes.push(Note {
                kind: NoteKind::InvalidParameter,
                message: format!("invalid parameter \"{text}\""),
                span: x.span,
            });
        }
    }
    (p, notes)
}

/// Lists every upstream reference, upstream group, listen and resolver of
/// `config`, following its includes. Directives the parser rejected and the
/// parameter lines of `map`-like blocks are skipped.
pub fn extract(config: &Config, sources: &SourceMap) -> Extraction {
    let mut ex = Extraction::default();
    let sc = scan(config, sources, &mut ex);
    let mut resolvers_seen = 0;
    config.walk(&mut |d, ancestors, ctx| {
        if d.rejected {
            return;
        }
        let Some(module) = module_of(ctx) else {
            return;
        };
        if d.name == "resolver" {
            // Same walk order and filter as the scan that listed them.
            if let Some(res) = ex.resolvers.get_mut(resolvers_seen) {
                res.server = server_info(&sc, ancestors);
                res.location =
                    nearest(ancestors, "location").and_then(|l| location_info(l, sources));
                res.group = nearest(ancestors, "upstream")
                    .and_then(|u| u.args.first().map(|a| a.value.to_string()));
            }
            resolvers_seen += 1;
            return;
        }
        if d.name == "upstream" && d.block.is_some() {
            if let Some(&g) = sc.group_by_span.get(&d.span) {
                let mut chain = ancestors.to_vec();
                chain.push(d);
                ex.groups[g].resolver = resolver_for(&sc, module, &chain);
            }
            return;
        }
        let upstream_server = d.name == "server"
            && d.block.is_none()
            && matches!(ctx, Ctx::HttpUpstream | Ctx::StreamUpstream);
        let directive = if upstream_server {
            UpstreamDirective::UpstreamServer
        } else {
            match pass_kind(&d.name, module) {
                Some(k) => k,
                None => return,
            }
        };
        let Some(arg) = d.args.first() else {
            return;
        };
        let server = server_info(&sc, ancestors);
        let location_dir = nearest(ancestors, "location");
        let location = location_dir.and_then(|l| location_info(l, sources));
        let group_index = if upstream_server {
            nearest(ancestors, "upstream").and_then(|u| sc.group_by_span.get(&u.span).copied())
        } else {
            None
        };
        let mut r = UpstreamRef {
            directive,
            module,
            context: ctx,
            target: Target::Unix(UnixTarget {
                path: String::new(),
                path_span: arg.span,
            }),
            scheme: None,
            scheme_span: None,
            tls: false,
            default_port: None,
            uri: None,
            uri_span: None,
            span: arg.span,
            directive_span: d.span,
            server,
            location,
            group: group_index.map(|g| ex.groups[g].name.clone()),
            group_index,
            params: None,
            conditional: ancestors
                .iter()
                .any(|a| a.name == "if" || a.name == "limit_except"),
            resolution: Resolution::None,
            resolver: resolver_for(&sc, module, ancestors),
            notes: Vec::new(),
        };
        if upstream_server {
            let (params, notes) = read_server_params(&d.args[1..]);
            r.params = Some(params);
            r.notes.extend(notes);
        }
        let loc = Located::from_arg(arg, sources);
        let has_vars = !upstream_server && arg.value.contains('$');
        if !has_vars {
            let a = read_address(&loc, directive, module);
            apply_address(&mut r, &a);
            if let Some((kind, message, span)) = a.problem {
                r.notes.push(Note {
                    kind,
                    message,
                    span: span.unwrap_or(arg.span),
                });
            }
            r.target = a.target.unwrap_or_else(|| {
                Target::Host(HostTarget {
                    host: arg.value.to_string(),
                    host_span: arg.span,
                    kind: HostKind::Name,
                    port: None,
                    port_span: None,
                })
            });
        } else {
            let tpl = loc.clone().with_vars_marked();
            let a = read_address(&tpl, directive, module);
            apply_address(&mut r, &a);
            let mut scopes: Vec<Span> = Vec::new();
            if let Some(s) = nearest(ancestors, "server") {
                scopes.push(s.span);
            }
            if let Some(l) = location_dir {
                scopes.push(l.span);
            }
            let scheme_values = scheme_values(&r.server, &ex.listens);
            let env = Env {
                sources,
                scan: &sc,
                module,
                scopes,
                scheme_values,
            };
            let mut truncated = false;
            let expansions = env.expand(&loc, 0, &mut Vec::new(), &mut truncated);
            let static_values: Vec<Candidate> = expansions
                .iter()
                .map(|e| candidate(e, directive, module))
                .collect();
            let complete = !static_values.is_empty()
                && static_values.iter().all(|c: &Candidate| c.target.is_some());
            r.target = Target::Variable(VariableTarget {
                raw: arg.value.to_string(),
                variables: tpl
                    .vars
                    .iter()
                    .map(|(range, name)| VariableUse {
                        name: name.clone(),
                        span: tpl.span(range.clone()).unwrap_or(arg.span),
                    })
                    .collect(),
                static_values,
                complete,
                truncated,
            });
        }
        ex.upstreams.push(r);
    });
    for (i, u) in ex.upstreams.iter().enumerate() {
        if let Some(g) = u.group_index {
            ex.groups[g].servers.push(i);
        }
    }
    link_groups(&mut ex);
    ex
}

/// The values `$scheme` takes in a server: `https` when a listen has `ssl`,
/// `http` when one has not.
fn scheme_values(server: &Option<ServerInfo>, listens: &[Listen]) -> Vec<&'static str> {
    let Some(s) = server else {
        return vec!["http", "https"];
    };
    let mut out = Vec::new();
    if s.listens.iter().any(|l| !listens[*l].ssl) {
        out.push("http");
    }
    if s.listens.iter().any(|l| listens[*l].ssl) {
        out.push("https");
    }
    out
}

fn apply_address(r: &mut UpstreamRef, a: &Address) {
    r.scheme = a.scheme.clone();
    r.scheme_span = a.scheme_span;
    r.tls = a.tls;
    r.default_port = a.default_port;
    r.uri = a.uri.clone();
    r.uri_span = a.uri_span;
}

fn candidate(e: &Expansion, directive: UpstreamDirective, module: Module) -> Candidate {
    let a = read_address(&e.loc, directive, module);
    let mut unresolved: Vec<String> = Vec::new();
    for (_, n) in &e.loc.vars {
        if !unresolved.contains(n) {
            unresolved.push(n.clone());
        }
    }
    Candidate {
        value: String::from_utf8_lossy(&e.loc.bytes).into_owned(),
        target: a.target,
        scheme: a.scheme,
        tls: a.tls,
        default_port: a.default_port,
        uri: a.uri,
        sources: e.sources.clone(),
        unresolved,
        problem: a.problem.map(|(_, m, _)| m).or(a.unknown),
    }
}

/// The group a host name refers to in `module`, matched case-insensitively
/// (the first definition wins over duplicates).
fn find_group(
    groups: &HashMap<(Module, String), usize>,
    module: Module,
    host: &HostTarget,
) -> Option<usize> {
    if host.kind == HostKind::Ipv6 {
        return None;
    }
    groups
        .get(&(module, host.host.to_ascii_lowercase()))
        .copied()
}

/// Turns host targets naming an upstream group into group targets, records
/// `may not have port`, sets each reference's resolution, and lists each
/// group's references.
fn link_groups(ex: &mut Extraction) {
    let mut groups: HashMap<(Module, String), usize> = HashMap::new();
    for (i, g) in ex.groups.iter().enumerate() {
        groups
            .entry((g.module, g.name.to_ascii_lowercase()))
            .or_insert(i);
    }
    let groups = &groups;
    let mut refs: Vec<(usize, usize)> = Vec::new();
    let mut ref_set: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    for (i, u) in ex.upstreams.iter_mut().enumerate() {
        if u.directive == UpstreamDirective::UpstreamServer {
            u.resolution = match &u.target {
                Target::Host(h) if matches!(h.kind, HostKind::Name | HostKind::Localhost) => {
                    if u.params.as_ref().is_some_and(|p| p.resolve) {
                        Resolution::Runtime
                    } else {
                        Resolution::Startup
                    }
                }
                _ => Resolution::None,
            };
            continue;
        }
        match &mut u.target {
            Target::Host(h) => {
                if let Some(g) = find_group(groups, u.module, h) {
                    match (h.port, h.port_span) {
                        (None, None) => {
                            ref_set.insert((g, i));
                            refs.push((g, i));
                            u.target = Target::Group(GroupTarget {
                                name: h.host.clone(),
                                name_span: h.host_span,
                                group: g,
                            });
                        }
                        (Some(port), Some(span)) => u.notes.push(Note {
                            kind: NoteKind::GroupMayNotHavePort,
                            message: format!("upstream \"{}\" may not have port {port}", h.host),
                            span,
                        }),
                        // An invalid port: nginx stops at that first.
                        _ => {}
                    }
                }
            }
            Target::Variable(v) => {
                for c in &mut v.static_values {
                    if let Some(Target::Host(h)) = &c.target
                        && h.port.is_none()
                        && h.port_span.is_none()
                        && let Some(g) = find_group(groups, u.module, h)
                    {
                        if ref_set.insert((g, i)) {
                            refs.push((g, i));
                        }
                        c.target = Some(Target::Group(GroupTarget {
                            name: h.host.clone(),
                            name_span: h.host_span,
                            group: g,
                        }));
                    }
                }
            }
            _ => {}
        }
        u.resolution = match &u.target {
            Target::Host(h) if matches!(h.kind, HostKind::Name | HostKind::Localhost) => {
                Resolution::Startup
            }
            Target::Variable(_) => Resolution::Runtime,
            _ => Resolution::None,
        };
    }
    for (g, i) in refs {
        ex.groups[g].references.push(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::{ParseOptions, parse};
    use crate::source::SourceFile;

    /// Parses a bundle (the first file is the main one) and extracts.
    fn run_files(files: &[(&str, &str)]) -> (SourceMap, Extraction) {
        let mut sources = SourceMap::new();
        for (path, text) in files {
            sources.add(SourceFile::new(*path, *text));
        }
        let config = parse(&sources, FileId(0), &ParseOptions::default());
        let ex = extract(&config, &sources);
        (sources, ex)
    }

    fn run(src: &str) -> (SourceMap, Extraction) {
        run_files(&[("nginx.conf", src)])
    }

    /// The source text a span covers.
    fn at(sources: &SourceMap, span: Span) -> String {
        sources.snippet(span)
    }

    fn host(r: &UpstreamRef) -> &HostTarget {
        match &r.target {
            Target::Host(h) => h,
            t => panic!("not a host target: {t:?}"),
        }
    }

    fn var(r: &UpstreamRef) -> &VariableTarget {
        match &r.target {
            Target::Variable(v) => v,
            t => panic!("not a variable target: {t:?}"),
        }
    }

    fn cand_host(c: &Candidate) -> &HostTarget {
        match &c.target {
            Some(Target::Host(h)) => h,
            t => panic!("not a host candidate: {t:?}"),
        }
    }

    fn inet(l: &Listen) -> &ListenInet {
        match &l.address {
            ListenAddress::Inet(i) => i,
            a => panic!("not inet: {a:?}"),
        }
    }

    /// One line per upstream: directive, target and the text at each span.
    fn summary(sources: &SourceMap, ex: &Extraction) -> String {
        let mut out = String::new();
        for u in &ex.upstreams {
            let t = match &u.target {
                Target::Host(h) => format!(
                    "host {:?} {} [{}|{}]",
                    h.kind,
                    h.host,
                    at(sources, h.host_span),
                    h.port_span.map(|p| at(sources, p)).unwrap_or_default()
                ),
                Target::Unix(x) => format!("unix {} [{}]", x.path, at(sources, x.path_span)),
                Target::Group(g) => format!("group #{} [{}]", g.group, at(sources, g.name_span)),
                Target::Variable(v) => {
                    format!("variable {} ({} values)", v.raw, v.static_values.len())
                }
            };
            out.push_str(&format!(
                "{} {t} default={:?} tls={} uri={:?}\n",
                u.directive.name(),
                u.default_port,
                u.tls,
                u.uri
            ));
        }
        out
    }

    const SEED: &str = "server{\n        listen 9001;\n        server_name 10.1.55.220;\n        location /{\n        proxy_read_timeout 3000;\n        proxy_pass http://model_test:6001;\n        }\n}\n";

    #[test]
    fn seed_config_names_the_compose_service() {
        let (s, ex) = run(SEED);
        assert_eq!(ex.upstreams.len(), 1);
        let u = &ex.upstreams[0];
        assert_eq!(u.directive, UpstreamDirective::Proxy);
        assert_eq!(u.context, Ctx::HttpLocation);
        let h = host(u);
        assert_eq!(
            (h.host.as_str(), h.port, h.kind),
            ("model_test", Some(6001), HostKind::Name)
        );
        assert_eq!(at(&s, h.host_span), "model_test");
        assert_eq!(at(&s, h.port_span.unwrap()), "6001");
        assert_eq!(at(&s, u.span), "http://model_test:6001");
        assert_eq!(at(&s, u.scheme_span.unwrap()), "http");
        assert_eq!(u.scheme.as_deref(), Some("http"));
        assert_eq!(
            (u.default_port, u.tls, u.uri.as_deref()),
            (Some(80), false, None)
        );
        assert_eq!(u.effective_port(), Some(6001));
        assert_eq!(u.resolution, Resolution::Startup);
        let server = u.server.as_ref().unwrap();
        assert_eq!(server.server_names, ["10.1.55.220"]);
        assert_eq!(server.listens, [0]);
        let loc = u.location.as_ref().unwrap();
        assert_eq!((loc.modifier.as_deref(), loc.path.as_str()), (None, "/"));
        assert_eq!(at(&s, loc.path_span), "/");
        let l = inet(&ex.listens[0]);
        assert_eq!(
            (l.host.as_deref(), l.port, l.kind),
            (None, Some(9001), HostKind::Wildcard)
        );
        assert_eq!(at(&s, l.port_span.unwrap()), "9001");
        assert_eq!(ex.listens[0].server_names, ["10.1.55.220"]);
        assert!(u.notes.is_empty());
        let pos = s.start(h.host_span);
        assert_eq!((pos.line, pos.column), (6, 27));
    }

    #[test]
    fn seed_config_with_loopback() {
        let (s, ex) = run(&SEED.replace("model_test", "127.0.0.1"));
        let h = host(&ex.upstreams[0]);
        assert_eq!((h.host.as_str(), h.kind), ("127.0.0.1", HostKind::Ipv4));
        assert_eq!(at(&s, h.host_span), "127.0.0.1");
        assert_eq!(at(&s, h.port_span.unwrap()), "6001");
        assert_eq!(ex.upstreams[0].resolution, Resolution::None);
    }

    #[test]
    fn every_pass_directive_and_form() {
        let (s, ex) = run(r#"
server {
    listen 80;
    location /a/ { proxy_pass http://127.0.0.1:6001/api/; }
    location /b { proxy_pass https://[::1]:8443; }
    location /c { proxy_pass http://unix:/tmp/app.sock:/uri; }
    location /d { uwsgi_pass unix:/sock/app.sock; }
    location /e { uwsgi_pass uwsgi://app:3031; }
    location /f { uwsgi_pass suwsgi://app:3031; }
    location /g { grpc_pass grpcs://svc:50051; }
    location /h { grpc_pass svc:50051; }
    location /i { fastcgi_pass php:9000; }
    location /j { fastcgi_pass php; }
    location /k { scgi_pass scgi:4000; }
    location /l { memcached_pass localhost:11211; }
    location /m { proxy_pass http://app; }
    location /n { proxy_pass "http://model_test:6001"; }
    location /o { proxy_pass HTTPS://App:443/x?y=1; }
}
"#);
        insta::assert_snapshot!(summary(&s, &ex), @r#"
        proxy_pass host Ipv4 127.0.0.1 [127.0.0.1|6001] default=Some(80) tls=false uri=Some("/api/")
        proxy_pass host Ipv6 ::1 [::1|8443] default=Some(443) tls=true uri=None
        proxy_pass unix /tmp/app.sock [/tmp/app.sock] default=None tls=false uri=Some("/uri")
        uwsgi_pass unix /sock/app.sock [/sock/app.sock] default=None tls=false uri=None
        uwsgi_pass host Name app [app|3031] default=None tls=false uri=None
        uwsgi_pass host Name app [app|3031] default=None tls=true uri=None
        grpc_pass host Name svc [svc|50051] default=None tls=true uri=None
        grpc_pass host Name svc [svc|50051] default=None tls=false uri=None
        fastcgi_pass host Name php [php|9000] default=None tls=false uri=None
        fastcgi_pass host Name php [php|] default=None tls=false uri=None
        scgi_pass host Name scgi [scgi|4000] default=None tls=false uri=None
        memcached_pass host Localhost localhost [localhost|11211] default=None tls=false uri=None
        proxy_pass host Name app [app|] default=Some(80) tls=false uri=None
        proxy_pass host Name model_test [model_test|6001] default=Some(80) tls=false uri=None
        proxy_pass host Name App [App|443] default=Some(443) tls=true uri=Some("/x?y=1")
        "#);
        let a = &ex.upstreams[0];
        assert_eq!(at(&s, a.uri_span.unwrap()), "/api/");
        let c = &ex.upstreams[2];
        assert_eq!(at(&s, c.uri_span.unwrap()), "/uri");
        assert_eq!(c.resolution, Resolution::None);
        assert_eq!(ex.upstreams[4].scheme.as_deref(), Some("uwsgi"));
        assert_eq!(ex.upstreams[6].scheme.as_deref(), Some("grpcs"));
        let php = &ex.upstreams[9];
        assert_eq!(
            (host(php).port, php.default_port, php.effective_port()),
            (None, None, None)
        );
        assert_eq!(ex.upstreams[12].effective_port(), Some(80));
        assert_eq!(ex.upstreams[14].scheme.as_deref(), Some("https"));
        assert_eq!(at(&s, ex.upstreams[14].scheme_span.unwrap()), "HTTPS");
        assert!(ex.upstreams.iter().all(|u| u.notes.is_empty()));
        // Each location is recorded.
        assert_eq!(ex.upstreams[1].location.as_ref().unwrap().path, "/b");
    }

    #[test]
    fn escapes_shift_raw_offsets() {
        let (s, ex) = run("location / { proxy_pass \"http://a\\\"b:80/x\\\\y\"; }");
        let u = &ex.upstreams[0];
        let h = host(u);
        assert_eq!(h.host, "a\"b");
        assert_eq!(at(&s, h.host_span), "a\\\"b");
        assert_eq!(at(&s, h.port_span.unwrap()), "80");
        assert_eq!(u.uri.as_deref(), Some("/x\\y"));
        assert_eq!(at(&s, u.uri_span.unwrap()), "/x\\\\y");
    }

    #[test]
    fn nginx_load_errors_become_notes() {
        let (s, ex) = run(r#"
location /a { proxy_pass app:80; }
location /b { proxy_pass http://app:99999; }
location /c { uwsgi_pass app:3031/x; }
location /d { proxy_pass http://[::zz]:80; }
"#);
        let kinds: Vec<(NoteKind, String, String)> = ex
            .upstreams
            .iter()
            .flat_map(|u| u.notes.iter())
            .map(|n| (n.kind, n.message.clone(), at(&s, n.span)))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    NoteKind::InvalidUrlPrefix,
                    "invalid URL prefix in \"app:80\"".into(),
                    "app:80".into()
                ),
                (
                    NoteKind::InvalidPort,
                    "invalid port in upstream \"app:99999\"".into(),
                    "99999".into()
                ),
                (
                    NoteKind::InvalidAddress,
                    "invalid host in upstream \"app:3031/x\"".into(),
                    "app".into()
                ),
                (
                    NoteKind::InvalidAddress,
                    "invalid IPv6 address in upstream \"[::zz]:80\"".into(),
                    "::zz".into()
                ),
            ]
        );
        // The invalid port still has its span, for a fix.
        let h = host(&ex.upstreams[1]);
        assert_eq!(
            (h.port, at(&s, h.port_span.unwrap()).as_str()),
            (None, "99999")
        );
        assert_eq!(ex.upstreams[0].default_port, None);
    }

    #[test]
    fn stream_proxy_pass_and_groups() {
        let (s, ex) = run(r#"
stream {
    upstream backend { server db1:5432; server unix:/run/db.sock; }
    server { listen 5432; proxy_pass db:5432; }
    server { listen 8000 udp; proxy_pass backend; }
    server { listen 127.0.0.1:6000; proxy_pass db; }
}
http {
    server { location / { proxy_pass http://backend; } }
}
"#);
        let db = &ex.upstreams[2];
        assert_eq!(db.directive, UpstreamDirective::StreamProxy);
        assert_eq!((db.module, db.context), (Module::Stream, Ctx::StreamServer));
        assert_eq!(at(&s, host(db).host_span), "db");
        assert_eq!(at(&s, host(db).port_span.unwrap()), "5432");
        assert_eq!(db.default_port, None);
        assert!(db.location.is_none());
        assert_eq!(db.server.as_ref().unwrap().listens, [0]);
        let grp = &ex.upstreams[3];
        match &grp.target {
            Target::Group(g) => {
                assert_eq!(g.group, 0);
                assert_eq!(at(&s, g.name_span), "backend");
            }
            t => panic!("{t:?}"),
        }
        assert_eq!(grp.resolution, Resolution::None);
        // No port and no default: a later rule says `no port in upstream`.
        let bare = &ex.upstreams[4];
        assert_eq!((host(bare).port, bare.default_port), (None, None));
        // Stream upstream members have no default port either.
        let member = &ex.upstreams[0];
        assert_eq!(
            (member.directive, member.default_port),
            (UpstreamDirective::UpstreamServer, None)
        );
        assert_eq!(member.group.as_deref(), Some("backend"));
        assert!(matches!(&ex.upstreams[1].target, Target::Unix(u) if u.path == "/run/db.sock"));
        // The http proxy_pass does not see the stream group.
        let web = &ex.upstreams[5];
        assert_eq!(web.module, Module::Http);
        assert_eq!(host(web).host, "backend");
        assert_eq!(ex.groups[0].servers, [0, 1]);
        assert_eq!(ex.groups[0].references, [3]);
        let udp = &ex.listens[1];
        assert!(udp.udp);
        assert_eq!(inet(udp).port, Some(8000));
        // A stream server gets no implicit listen; an http one does.
        assert_eq!(ex.listens.iter().filter(|l| l.implicit).count(), 1);
        assert_eq!(inet(&ex.listens[2]).host.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn groups_match_case_insensitively_wherever_defined() {
        let (s, ex) = run_files(&[
            (
                "nginx.conf",
                "http {\n  server { location / { proxy_pass http://backend; } location /b { proxy_pass https://BACKEND/x; } }\n  include conf.d/*.conf;\n  upstream Later { server l:1; }\n  server { location / { grpc_pass later; } }\n}\n",
            ),
            (
                "conf.d/up.conf",
                "upstream Backend { zone b 64k; least_conn; server app:8000 resolve; }\n",
            ),
        ]);
        let g = ex.groups.iter().position(|g| g.name == "Backend").unwrap();
        assert_eq!(ex.groups[g].name_span.file, FileId(1));
        assert_eq!(at(&s, ex.groups[g].name_span), "Backend");
        assert_eq!(ex.groups[g].zone.as_ref().unwrap().name, "b");
        assert_eq!(ex.groups[g].balancer.as_deref(), Some("least_conn"));
        for i in [0, 1] {
            match &ex.upstreams[i].target {
                Target::Group(t) => assert_eq!(t.group, g),
                t => panic!("{t:?}"),
            }
        }
        assert_eq!(ex.upstreams[1].uri.as_deref(), Some("/x"));
        assert!(ex.upstreams[1].tls);
        assert_eq!(ex.groups[g].references, [0, 1]);
        let member = ex
            .upstreams
            .iter()
            .find(|u| u.group.as_deref() == Some("Backend"))
            .unwrap();
        assert_eq!(host(member).host_span.file, FileId(1));
        assert_eq!(member.resolution, Resolution::Runtime);
        assert_eq!(member.default_port, Some(80));
        let later = ex
            .upstreams
            .iter()
            .find(|u| u.directive == UpstreamDirective::Grpc)
            .unwrap();
        assert!(matches!(&later.target, Target::Group(t) if ex.groups[t.group].name == "Later"));
    }

    #[test]
    fn a_group_name_with_a_port_is_refused() {
        let (s, ex) = run(r#"
http {
    upstream backend { server a:1; }
    upstream backend { server b:1; }
    server { location / { proxy_pass http://backend:8080; } }
}
"#);
        let u = &ex.upstreams[2];
        assert_eq!(host(u).host, "backend");
        assert_eq!(u.notes.len(), 1);
        assert_eq!(u.notes[0].kind, NoteKind::GroupMayNotHavePort);
        assert_eq!(
            u.notes[0].message,
            "upstream \"backend\" may not have port 8080"
        );
        assert_eq!(at(&s, u.notes[0].span), "8080");
        assert!(ex.groups[0].references.is_empty());
        assert_eq!(ex.groups[1].notes[0].kind, NoteKind::DuplicateUpstream);
        assert_eq!(
            ex.groups[1].notes[0].message,
            "duplicate upstream \"backend\""
        );
    }

    #[test]
    fn upstream_server_parameters_are_typed() {
        let (s, ex) = run(r#"
http {
    resolver 127.0.0.11;
    upstream app {
        zone app 64k;
        server a:1 weight=5 max_fails=3 fail_timeout=30s backup down resolve service=x max_conns=10 slow_start=1m30s;
        server b;
        server 10.0.0.1:81 bogus weight=0;
    }
}
"#);
        let a = &ex.upstreams[0];
        let p = a.params.as_ref().unwrap();
        assert_eq!(
            (p.weight, p.max_fails, p.max_conns),
            (Some(5), Some(3), Some(10))
        );
        assert_eq!(
            p.fail_timeout,
            Some(TimeValue {
                raw: "30s".into(),
                ms: Some(30_000)
            })
        );
        assert_eq!(p.slow_start.as_ref().unwrap().ms, Some(90_000));
        assert!(p.backup && p.down && p.resolve && !p.drain);
        assert_eq!(p.service.as_deref(), Some("x"));
        assert_eq!(p.raw.len(), 9);
        assert_eq!(at(&s, p.raw[0].span), "weight=5");
        assert_eq!(at(&s, host(a).host_span), "a");
        assert_eq!(at(&s, host(a).port_span.unwrap()), "1");
        assert_eq!(a.resolution, Resolution::Runtime);
        assert_eq!(a.resolver, Some(0));
        assert_eq!((a.group.as_deref(), a.group_index), (Some("app"), Some(0)));
        assert!(a.server.is_none() && a.location.is_none());
        let b = &ex.upstreams[1];
        assert_eq!(
            (host(b).port, b.default_port, b.effective_port()),
            (None, Some(80), Some(80))
        );
        assert_eq!(b.resolution, Resolution::Startup);
        let c = &ex.upstreams[2];
        assert_eq!(c.resolution, Resolution::None);
        let msgs: Vec<&str> = c.notes.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "invalid parameter \"bogus\"",
                "invalid parameter \"weight=0\""
            ]
        );
        assert_eq!(ex.groups[0].servers, [0, 1, 2]);
        assert_eq!(ex.groups[0].resolver, Some(0));
    }

    #[test]
    fn set_in_the_same_or_enclosing_block_feeds_a_variable() {
        let (s, ex) = run(r#"
server {
    listen 80;
    set $srv srv:9000;
    location / {
        set $backend app:8000;
        proxy_pass http://$backend;
    }
    location /s { proxy_pass http://$srv/x; }
    location /n {
        set $h app;
        set $b $h:9100;
        if ($arg_x) { set $b other:1; }
        proxy_pass http://$b;
    }
    location /other { set $backend elsewhere:1; }
}
"#);
        let u = &ex.upstreams[0];
        assert_eq!(u.resolution, Resolution::Runtime);
        assert_eq!(
            (u.scheme.as_deref(), u.default_port),
            (Some("http"), Some(80))
        );
        let v = var(u);
        assert_eq!(v.raw, "http://$backend");
        assert_eq!(v.variables.len(), 1);
        assert_eq!(at(&s, v.variables[0].span), "$backend");
        assert_eq!(v.static_values.len(), 1, "{:?}", v.static_values);
        assert!(v.complete);
        let c = &v.static_values[0];
        assert_eq!(c.value, "http://app:8000");
        let h = cand_host(c);
        assert_eq!((h.host.as_str(), h.port), ("app", Some(8000)));
        // The host and port spans point into the `set` value.
        assert_eq!(at(&s, h.host_span), "app");
        assert_eq!(at(&s, h.port_span.unwrap()), "8000");
        assert_eq!(s.start(h.host_span).line, 6);
        assert_eq!(c.sources[0].origin, ValueOrigin::Set);
        assert_eq!(
            at(&s, c.sources[0].entry_span.unwrap()),
            "set $backend app:8000;"
        );

        let srv = var(&ex.upstreams[1]);
        assert_eq!(srv.static_values[0].value, "http://srv:9000/x");
        assert_eq!(srv.static_values[0].uri.as_deref(), Some("/x"));
        assert_eq!(at(&s, cand_host(&srv.static_values[0]).host_span), "srv");

        let nested = var(&ex.upstreams[2]);
        let values: Vec<&str> = nested
            .static_values
            .iter()
            .map(|c| c.value.as_str())
            .collect();
        assert_eq!(values, ["http://app:9100", "http://other:1"]);
        let h = cand_host(&nested.static_values[0]);
        assert_eq!(s.start(h.host_span).line, 11);
        assert_eq!(at(&s, h.host_span), "app");
        assert_eq!(s.start(h.port_span.unwrap()).line, 12);
        assert_eq!(at(&s, h.port_span.unwrap()), "9100");
        assert_eq!(nested.static_values[0].sources.len(), 2);
    }

    #[test]
    fn map_values_feed_a_variable_host() {
        let (s, ex) = run(r#"
http {
    map $host $upstream_host {
        hostnames;
        default a;
        x.example "b";
    }
    server {
        listen 80;
        location / { proxy_pass http://$upstream_host:8080; }
    }
}
"#);
        let v = var(&ex.upstreams[0]);
        assert!(v.complete);
        let got: Vec<(String, String, String, Option<String>)> = v
            .static_values
            .iter()
            .map(|c| {
                let h = cand_host(c);
                (
                    c.value.clone(),
                    at(&s, h.host_span),
                    at(&s, h.port_span.unwrap()),
                    c.sources[0].key.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "http://a:8080".into(),
                    "a".into(),
                    "8080".into(),
                    Some("default".into())
                ),
                (
                    "http://b:8080".into(),
                    "b".into(),
                    "8080".into(),
                    Some("x.example".into())
                ),
            ]
        );
        // The port span is in the proxy_pass line, the hosts in the map.
        let h = cand_host(&v.static_values[0]);
        assert_eq!(s.start(h.port_span.unwrap()).line, 10);
        assert_eq!(s.start(h.host_span).line, 5);
        assert_eq!(v.static_values[0].sources[0].origin, ValueOrigin::Map);
    }

    #[test]
    fn scheme_comes_from_the_servers_listens() {
        let (_, ex) = run(r#"
server {
    listen 80;
    listen 443 ssl;
    location / { proxy_pass $scheme://app; }
}
server { listen 8080; location / { proxy_pass $scheme://app; } }
"#);
        let u = &ex.upstreams[0];
        assert_eq!((u.scheme.as_deref(), u.default_port), (None, None));
        let v = var(u);
        let got: Vec<(&str, Option<u16>, bool, &str)> = v
            .static_values
            .iter()
            .map(|c| {
                (
                    c.value.as_str(),
                    c.default_port,
                    c.tls,
                    cand_host(c).host.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("http://app", Some(80), false, "app"),
                ("https://app", Some(443), true, "app")
            ]
        );
        assert_eq!(v.static_values[0].sources[0].origin, ValueOrigin::Builtin);
        let only_http = var(&ex.upstreams[1]);
        assert_eq!(only_http.static_values.len(), 1);
        assert_eq!(only_http.static_values[0].value, "http://app");
    }

    #[test]
    fn request_variables_stay_unresolved() {
        let (s, ex) = run(r#"
server {
    location /a { proxy_pass http://$http_host; }
    location /b { proxy_pass http://app:8000$request_uri; }
    location /c { proxy_pass $target; }
    location /d { fastcgi_pass $fcgi; }
}
"#);
        let a = var(&ex.upstreams[0]);
        assert!(!a.complete);
        assert_eq!(a.static_values.len(), 1);
        assert!(a.static_values[0].target.is_none());
        assert_eq!(a.static_values[0].unresolved, ["http_host"]);
        // The host is static even though the URI is not.
        let b = &ex.upstreams[1];
        assert_eq!(b.uri.as_deref(), Some("$request_uri"));
        let bv = var(b);
        assert!(bv.complete);
        let h = cand_host(&bv.static_values[0]);
        assert_eq!((at(&s, h.host_span).as_str(), h.port), ("app", Some(8000)));
        assert_eq!(bv.static_values[0].unresolved, ["request_uri"]);
        let c = var(&ex.upstreams[2]);
        assert!(c.static_values[0].target.is_none());
        assert_eq!(ex.upstreams[2].default_port, None);
        assert!(ex.upstreams[2].notes.is_empty());
        assert_eq!(ex.upstreams[3].resolution, Resolution::Runtime);
    }

    #[test]
    fn a_variable_naming_a_group_without_port_is_the_group() {
        let (_, ex) = run(r#"
http {
    upstream pool { server a:1; }
    map $uri $dest { default pool; /x pool:80; }
    server { location / { proxy_pass http://$dest; } }
}
"#);
        let u = &ex.upstreams[1];
        let v = var(u);
        assert!(matches!(&v.static_values[0].target, Some(Target::Group(g)) if g.group == 0));
        // With a port the run-time lookup skips the group and asks the resolver.
        assert_eq!(cand_host(&v.static_values[1]).host, "pool");
        assert!(u.notes.is_empty());
        assert_eq!(ex.groups[0].references, [1]);
    }

    #[test]
    fn split_clients_and_geo_values() {
        let (_, ex) = run(r#"
http {
    split_clients "${remote_addr}" $variant { 50% blue:80; * green:80; }
    geo $zone { default eu; 10.0.0.0/8 us; }
    server { location / { proxy_pass http://$variant; } location /g { proxy_pass http://$zone.internal; } }
}
"#);
        let values: Vec<&str> = var(&ex.upstreams[0])
            .static_values
            .iter()
            .map(|c| c.value.as_str())
            .collect();
        assert_eq!(values, ["http://blue:80", "http://green:80"]);
        let g = var(&ex.upstreams[1]);
        let values: Vec<&str> = g.static_values.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, ["http://eu.internal", "http://us.internal"]);
        // The host is assembled from a geo value and literal text: no single span.
        assert!(g.static_values[0].target.is_none());
        assert!(g.static_values[0].problem.is_some());
    }

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
        assert_eq!(at(&s, r0.addresses[0].host_span), "127.0.0.11");
        assert_eq!(
            (r0.addresses[0].port, r0.addresses[0].effective_port),
            (None, 53)
        );
        assert_eq!(r0.valid.as_ref().unwrap().ms, Some(10_000));
        assert!(r0.ipv4 && !r0.ipv6);
        assert_eq!(r0.context, Ctx::Http);
        let r1 = &ex.resolvers[1];
        assert_eq!(r1.addresses[0].kind, HostKind::Name);
        assert!(r1.server.is_some() && r1.location.is_none());
        let r2 = &ex.resolvers[2];
        let a: Vec<(String, Option<String>, u16)> = r2
            .addresses
            .iter()
            .map(|a| {
                (
                    at(&s, a.host_span),
                    a.port_span.map(|p| at(&s, p)),
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

    #[test]
    fn rejected_and_parameter_lines_are_not_upstreams() {
        let (_, ex) = run(r#"
http {
    map $a $b { proxy_pass x; }
    server {
        proxy_pass http://rejected:1;
        location / {
            if ($x) { proxy_pass http://in_if:1; }
            limit_except GET { proxy_pass http://in_limit:2; }
            proxy_pass http://plain:3;
        }
    }
}
"#);
        let hosts: Vec<(&str, bool)> = ex
            .upstreams
            .iter()
            .map(|u| (host(u).host.as_str(), u.conditional))
            .collect();
        assert_eq!(
            hosts,
            [("in_if", true), ("in_limit", true), ("plain", false)]
        );
        assert_eq!(ex.upstreams[0].context, Ctx::HttpLocationIf);
        assert_eq!(ex.upstreams[0].location.as_ref().unwrap().path, "/");
    }

    #[test]
    fn location_modifiers() {
        let (s, ex) = run(r#"
server {
    location = /exact { proxy_pass http://a; }
    location ~* \.php$ { fastcgi_pass php:9000; }
    location =/glued { proxy_pass http://b; }
    location @named { proxy_pass http://c; }
    location ^~ /img/ { location ~ \.png$ { proxy_pass http://d; } }
}
"#);
        let l: Vec<(Option<&str>, &str, String, bool)> = ex
            .upstreams
            .iter()
            .map(|u| {
                let l = u.location.as_ref().unwrap();
                (
                    l.modifier.as_deref(),
                    l.path.as_str(),
                    at(&s, l.path_span),
                    l.named,
                )
            })
            .collect();
        assert_eq!(
            l,
            [
                (Some("="), "/exact", "/exact".into(), false),
                (Some("~*"), "\\.php$", "\\.php$".into(), false),
                (Some("="), "/glued", "/glued".into(), false),
                (None, "@named", "@named".into(), true),
                (Some("~"), "\\.png$", "\\.png$".into(), false),
            ]
        );
    }

    #[test]
    fn json_carries_line_and_column() {
        let (s, ex) = run(SEED);
        let v = ex.to_json_with_positions(&s);
        let h = &v["upstreams"][0]["target"]["host_span"];
        assert_eq!(
            (h["line"].as_u64(), h["column"].as_u64()),
            (Some(6), Some(27))
        );
        assert_eq!(v["upstreams"][0]["target"]["type"], "host");
        assert_eq!(v["upstreams"][0]["directive"], "proxy");
        assert_eq!(v["listens"][0]["address"]["port_span"]["line"], 2);
    }

    #[test]
    fn url_parser_follows_nginx() {
        let p = |s: &str, uri_part: bool, listen: bool| {
            let u = parse_url(s.as_bytes(), 0..s.len(), uri_part, listen);
            (
                s[u.host.clone()].to_string(),
                u.port_value,
                u.uri.map(|r| s[r].to_string()),
                u.err.map(|e| e.1),
            )
        };
        assert_eq!(
            p("a:1/x:2", true, false),
            ("a".into(), Some(1), Some("/x:2".into()), None)
        );
        assert_eq!(
            p("a/x:2", true, false),
            ("a".into(), None, Some("/x:2".into()), None)
        );
        assert_eq!(
            p("a?x", true, false),
            ("a".into(), None, Some("?x".into()), None)
        );
        assert_eq!(p("a:", false, false).3, Some("invalid port"));
        assert_eq!(p("a:0", false, false).3, Some("invalid port"));
        assert_eq!(p(":80", false, false).3, Some("no host"));
        assert_eq!(p("80", false, true), ("".into(), Some(80), None, None));
        assert_eq!(p("[::1]", false, false), ("::1".into(), None, None, None));
        assert_eq!(p("unix:/a:b", false, false).0, "/a:b");
        assert_eq!(
            p("UNIX:/a:b", true, false),
            ("/a".into(), None, Some("b".into()), None)
        );
        assert_eq!(
            p("unix:", false, false).3,
            Some("no path in the unix domain socket")
        );
        assert!(is_ipv4("10.1.55.220") && !is_ipv4("10.1.55") && !is_ipv4("1.2.3.256"));
        assert_eq!(parse_time_ms("1h30m"), Some(5_400_000));
        assert_eq!(parse_time_ms("500ms"), Some(500));
        assert_eq!(parse_time_ms("10"), Some(10_000));
        assert_eq!(parse_time_ms("x"), None);
    }

    #[test]
    fn variable_names_follow_the_script_compiler() {
        let names =
            |s: &str| -> Vec<String> { find_vars(s.as_bytes()).into_iter().map(|v| v.1).collect() };
        assert_eq!(names("http://${a}b$c_1:$1/$"), ["a", "c_1", "1"]);
        assert_eq!(names("$Host"), ["Host"]);
    }

    #[test]
    fn candidates_are_bounded() {
        let mut src = String::from("http {\n");
        for v in ["a", "b", "c"] {
            src.push_str(&format!("map $x ${v} {{"));
            for i in 0..10 {
                src.push_str(&format!(" k{i} v{i};"));
            }
            src.push_str(" }\n");
        }
        src.push_str("server { location / { proxy_pass http://$a$b$c; } }\n}\n");
        let (_, ex) = run(&src);
        let v = var(&ex.upstreams[0]);
        assert!(v.truncated);
        assert!(v.static_values.len() <= MAX_CANDIDATES);
    }

    #[test]
    fn self_referencing_set_terminates() {
        let (_, ex) = run(
            "server { location / { set $a $a; set $b $c; set $c $b; proxy_pass http://$a$b; } }",
        );
        let v = var(&ex.upstreams[0]);
        assert!(!v.static_values.is_empty());
        assert!(!v.complete);
    }
}

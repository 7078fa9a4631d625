//! One service as written (`ServiceDef`, after type checks) and the reader
//! of its fields: image and names, `command`/`entrypoint`, ports, networks,
//! links, `depends_on`, volumes, `extra_hosts`, `scale` and `deploy.replicas`.

use super::MAX_REPLICAS;
use super::interpolate::Text;
use super::loader::FileLoader;
use super::networks::Attach;
use super::volumes::{VolFrom, VolUse};
use crate::source::Span;
use crate::topology::read::{entries, items_or_one, key_to, loc};
use crate::topology::shell;
use crate::topology::yaml::{Node, Value};
use crate::topology::{DeclaredPort, EnvVar, HostEntry, Link, Listener};
use std::collections::HashMap;

/// Another service of the project, or a container by its name: what
/// `network_mode: service:…|container:…` and `volumes_from` point at.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Peer {
    Service(String),
    Container(String),
}

impl Peer {
    /// The service it is, looked up by service name or by container name;
    /// `None` when the project has no such one.
    pub(super) fn find(
        &self,
        index: &HashMap<&str, usize>,
        by_container: &HashMap<String, usize>,
    ) -> Option<usize> {
        match self {
            Peer::Service(s) => index.get(s.as_str()).copied(),
            Peer::Container(n) => by_container.get(n).copied(),
        }
    }
}

/// A service's `network_mode`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum NetMode {
    Host,
    None,
    Bridge,
    /// `service:NAME` or `container:NAME`: joins that one's network namespace.
    Join(Peer),
    Other(String),
}

/// A `depends_on` entry.
#[derive(Debug, Clone)]
pub(super) struct Dep {
    pub(super) service: String,
    pub(super) span: Span,
    pub(super) required: bool,
}

/// A list field of a service and where its key is written, for what
/// Docker says about the field as a whole (a conflict with `network_mode`).
#[derive(Debug, Clone)]
pub(super) struct Keyed<T> {
    pub(super) items: Vec<T>,
    pub(super) key: Option<Span>,
}

impl<T> Keyed<T> {
    /// No key written.
    fn absent() -> Keyed<T> {
        Keyed {
            items: Vec::new(),
            key: None,
        }
    }

    /// Where the key is written, when the list it holds is not empty.
    pub(super) fn written(&self) -> Option<Span> {
        self.key.filter(|_| !self.items.is_empty())
    }
}

/// One service as written, after type checks.
#[derive(Debug, Clone)]
pub(super) struct ServiceDef {
    pub(super) name: String,
    pub(super) key_span: Span,
    pub(super) image: Option<String>,
    pub(super) build: Option<crate::topology::build::Build>,
    pub(super) entrypoint_set: bool,
    pub(super) command_set: bool,
    pub(super) container_name: Option<Text>,
    pub(super) hostname: Option<(String, Span)>,
    pub(super) entrypoint: Vec<String>,
    pub(super) command: Vec<String>,
    pub(super) env: Vec<EnvVar>,
    /// `ports` and `expose`; the key is `ports`'.
    pub(super) ports: Keyed<DeclaredPort>,
    pub(super) networks: Option<(Span, Vec<Attach>)>,
    pub(super) network_mode: Option<(NetMode, Span)>,
    pub(super) links: Keyed<Link>,
    pub(super) depends_on: Vec<Dep>,
    pub(super) volumes: Vec<VolUse>,
    pub(super) volumes_from: Vec<VolFrom>,
    pub(super) extra_hosts: Keyed<HostEntry>,
    /// `dns_search`: the search domains of the container's resolv.conf.
    pub(super) dns_search: Vec<String>,
    pub(super) replicas: u32,
    pub(super) replicas_span: Option<Span>,
    /// Listeners `healthcheck.test` shows (the port on the container's
    /// own loopback).
    pub(super) healthcheck: Vec<Listener>,
}

impl ServiceDef {
    /// A service with nothing set yet but its name: one replica.
    pub(super) fn new(name: &str, key_span: Span) -> ServiceDef {
        ServiceDef {
            name: name.to_string(),
            key_span,
            image: None,
            build: None,
            entrypoint_set: false,
            command_set: false,
            container_name: None,
            hostname: None,
            entrypoint: Vec::new(),
            command: Vec::new(),
            env: Vec::new(),
            ports: Keyed::absent(),
            networks: None,
            network_mode: None,
            links: Keyed::absent(),
            depends_on: Vec::new(),
            volumes: Vec::new(),
            volumes_from: Vec::new(),
            extra_hosts: Keyed::absent(),
            dns_search: Vec::new(),
            replicas: 1,
            replicas_span: None,
            healthcheck: Vec::new(),
        }
    }

    /// The container name of replica `r` (from 1).
    pub(super) fn container_name(&self, project: &str, r: u32) -> String {
        match &self.container_name {
            Some(t) => t.s.clone(),
            None => format!("{project}-{}-{r}", self.name),
        }
    }
}

impl FileLoader<'_> {
    /// Reads one service's fields, warning about wrong types and reporting
    /// compose's own errors (`scale` against `deploy.replicas`,
    /// `container_name` with replicas).
    pub(super) fn service(&mut self, name: &str, key: &Node, node: &Node) -> ServiceDef {
        let mut d = ServiceDef::new(name, key.span);
        let mut scale: Option<(u32, Span)> = None;
        let mut deploy: Option<(u32, Span)> = None;
        let mut env_files: Vec<EnvVar> = Vec::new();
        for (k, field, v) in entries(node) {
            let what = format!("`{field}` of service `{name}`");
            match field {
                "image" => d.image = self.scalar(&what, k, v).map(|t| t.s),
                "container_name" => d.container_name = self.scalar(&what, k, v),
                "hostname" => {
                    d.hostname = self.scalar(&what, k, v).map(|t| (t.s.clone(), t.inner()))
                }
                "build" => d.build = self.build_spec(&what, k, v),
                "command" => {
                    d.command_set = !v.is_null();
                    d.command = self.command(&what, k, v)
                }
                "entrypoint" => {
                    d.entrypoint_set = !v.is_null();
                    d.entrypoint = self.command(&what, k, v)
                }
                "environment" => d.env = self.environment(&what, k, v),
                "env_file" => env_files = self.env_file(name, &what, k, v),
                "ports" => {
                    d.ports.key = Some(k.span);
                    for item in self.r.seq_at_key(&what, k, v) {
                        let p = self.port(name, item);
                        d.ports.items.extend(p);
                    }
                }
                "expose" => {
                    for item in self.r.seq_at_key(&what, k, v) {
                        let p = self.expose(name, item);
                        d.ports.items.extend(p);
                    }
                }
                "networks" => d.networks = Some((k.span, self.service_networks(name, &what, k, v))),
                "network_mode" => {
                    if let Some(t) = self.scalar(&what, k, v) {
                        let mode = match t.s.as_str() {
                            "host" => NetMode::Host,
                            "none" => NetMode::None,
                            "bridge" | "default" => NetMode::Bridge,
                            s => match (s.strip_prefix("service:"), s.strip_prefix("container:")) {
                                (Some(x), _) => NetMode::Join(Peer::Service(x.to_string())),
                                (_, Some(x)) => NetMode::Join(Peer::Container(x.to_string())),
                                _ => NetMode::Other(s.to_string()),
                            },
                        };
                        d.network_mode = Some((mode, t.inner()));
                    }
                }
                "links" => {
                    d.links.key = Some(k.span);
                    for item in self.r.seq_at_key(&what, k, v) {
                        let Some(t) = self.scalar(&format!("an item of {what}"), k, item) else {
                            continue;
                        };
                        let (service, alias) = match t.s.split_once(':') {
                            Some((s, a)) => (s.to_string(), a.to_string()),
                            None => (t.s.clone(), t.s.clone()),
                        };
                        d.links.items.push(Link {
                            service,
                            alias,
                            span: Some(t.inner()),
                        });
                    }
                }
                "depends_on" => d.depends_on = self.depends_on(&what, k, v),
                "volumes" => {
                    for item in self.r.seq_at_key(&what, k, v) {
                        if let Some(u) = self.volume_use(name, item) {
                            d.volumes.push(u);
                        }
                    }
                }
                "tmpfs" => {
                    for item in items_or_one(v) {
                        if let Some(t) = self.scalar(&what, k, item) {
                            let target = t.s.split(':').next().unwrap_or("").to_string();
                            d.volumes.push(VolUse::Tmpfs {
                                target,
                                span: t.inner(),
                            });
                        }
                    }
                }
                "volumes_from" => {
                    for item in self.r.seq_at_key(&what, k, v) {
                        let Some(t) = self.scalar(&format!("an item of {what}"), k, item) else {
                            continue;
                        };
                        let (body, read_only) = match t.s.rsplit_once(':') {
                            Some((b, "ro")) => (b, true),
                            Some((b, "rw")) => (b, false),
                            _ => (t.s.as_str(), false),
                        };
                        let source = match body.strip_prefix("container:") {
                            Some(c) => Peer::Container(c.to_string()),
                            None => Peer::Service(body.to_string()),
                        };
                        d.volumes_from.push(VolFrom {
                            source,
                            read_only,
                            span: t.inner(),
                        });
                    }
                }
                "extra_hosts" => {
                    d.extra_hosts = Keyed {
                        items: self.extra_hosts(&what, k, v),
                        key: Some(k.span),
                    };
                }
                // One domain or a list of them.
                "dns_search" => {
                    d.dns_search = if matches!(v.value, crate::topology::yaml::Value::Seq(_)) {
                        self.r
                            .seq_at_key(&what, k, v)
                            .iter()
                            .filter_map(|i| self.text(i))
                            .map(|t| t.s)
                            .collect()
                    } else {
                        self.scalar(&what, k, v).map(|t| t.s).into_iter().collect()
                    };
                    d.dns_search.retain(|s| !s.is_empty());
                }
                "healthcheck" => d.healthcheck = self.healthcheck(v),
                "scale" => scale = self.count(&what, k, v).map(|n| (n, loc(v, k))),
                "deploy" => {
                    if !self.r.map_at_key(&what, k, v) {
                        continue;
                    }
                    let global = v
                        .get("mode")
                        .and_then(|m| self.text(m))
                        .is_some_and(|t| t.s == "global");
                    if global {
                        deploy = Some((1, loc(v, k)));
                    } else if let Some((rk, rv)) = v.key("replicas").zip(v.get("replicas")) {
                        let what = format!("`deploy.replicas` of service `{name}`");
                        deploy = self.count(&what, rk, rv).map(|n| (n, loc(rv, rk)));
                    }
                }
                _ => {}
            }
        }
        // `environment` wins over `env_file`.
        if !env_files.is_empty() {
            for e in std::mem::take(&mut d.env) {
                env_files.retain(|x| x.name != e.name);
                env_files.push(e);
            }
            d.env = env_files;
        }
        let replicas = match (scale, deploy) {
            (Some((s, span)), Some((r, _))) if s != r => {
                self.r.error(
                    span,
                    format!("service `{name}`: can't set distinct values on `scale` ({s}) and `deploy.replicas` ({r})"),
                );
                Some((s, span))
            }
            (Some(s), _) => Some(s),
            (None, r) => r,
        };
        if let Some((n, span)) = replicas {
            d.replicas = n;
            d.replicas_span = Some(span);
            if n > MAX_REPLICAS {
                self.r.warn(
                    span,
                    format!("service `{name}` asks for {n} replicas; only the first {MAX_REPLICAS} are modelled"),
                );
                d.replicas = MAX_REPLICAS;
            }
        }
        if let Some(cn) = &d.container_name
            && d.replicas > 1
        {
            self.r.error(
                cn.inner(),
                format!(
                    "can't set container_name and {} replicas of service `{name}` as container name must be unique",
                    d.replicas
                ),
            );
            d.replicas = 1;
        }
        d
    }

    /// `command` or `entrypoint`: a list as is, a string split into words.
    /// The listeners a `healthcheck` shows: its `test` (`["CMD", …]`,
    /// `["CMD-SHELL", "…"]` or a string run by the shell) connecting to
    /// the container's own loopback. Nothing when it is `disable`d or
    /// `["NONE"]`; a value of the wrong shape shows nothing either
    /// (compose's own validation reports it).
    fn healthcheck(&mut self, v: &Node) -> Vec<Listener> {
        if v.get("disable").and_then(Node::as_bool) == Some(true) {
            return Vec::new();
        }
        let Some(test) = v.get("test") else {
            return Vec::new();
        };
        let words: Vec<String> = match &test.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| self.text(i))
                .map(|t| t.s)
                .collect(),
            _ => self.text(test).map(|t| t.s).into_iter().collect(),
        };
        let run = match words.first().map(String::as_str) {
            Some("NONE") => return Vec::new(),
            Some("CMD" | "CMD-SHELL") => &words[1..],
            _ => &words[..],
        };
        crate::topology::infer::health::listeners(&run.join(" "), "healthcheck", Some(test.span))
    }

    pub(super) fn command(&mut self, what: &str, key: &Node, v: &Node) -> Vec<String> {
        match &v.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| {
                    let t = self.text(i);
                    if t.is_none() {
                        self.r
                            .wrong_at_key(&format!("an item of {what}"), "a string", key, i);
                    }
                    t.map(|t| t.s)
                })
                .collect(),
            Value::Null => Vec::new(),
            Value::Map(_) => {
                self.r.wrong_at_key(what, "a string or a list", key, v);
                Vec::new()
            }
            _ => {
                let Some(t) = self.text(v) else {
                    return Vec::new();
                };
                match shell::argv(&t.s) {
                    Some(split) => {
                        if let Some(at) = split.cut {
                            let op: String = t.s[at..]
                                .chars()
                                .take_while(|c| ";&|<>".contains(*c))
                                .collect();
                            let op = if op.is_empty() { ">".to_string() } else { op };
                            self.r.warn(
                                t.sub(at..t.s.len()),
                                format!(
                                    "{what} stops at `{op}`: compose splits it into words and runs no shell, so only `{}` runs; use `[\"sh\", \"-c\", \"…\"]`",
                                    split.words.join(" ")
                                ),
                            );
                        }
                        split.words
                    }
                    None => {
                        self.r.error(
                            t.inner(),
                            format!("{what} is not a valid command line string (unbalanced quotes or parentheses)"),
                        );
                        t.s.split_whitespace().map(String::from).collect()
                    }
                }
            }
        }
    }

    /// `depends_on` in list or mapping form (`required: false` allowed).
    pub(super) fn depends_on(&mut self, what: &str, key: &Node, v: &Node) -> Vec<Dep> {
        let mut out = Vec::new();
        match &v.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(t) = self.scalar(&format!("an item of {what}"), key, item) {
                        out.push(Dep {
                            service: t.s.clone(),
                            span: t.inner(),
                            required: true,
                        });
                    }
                }
            }
            Value::Map(_) => {
                for (k, service, cond) in entries(v) {
                    self.r
                        .map_at_key(&format!("`{service}` in {what}"), k, cond);
                    let required = cond.get("required").and_then(Node::as_bool).unwrap_or(true);
                    out.push(Dep {
                        service: service.to_string(),
                        span: k.span,
                        required,
                    });
                }
            }
            Value::Null => {}
            _ => self.r.wrong_at_key(what, "a list or a mapping", key, v),
        }
        out
    }

    /// `extra_hosts` as `host=ip` / `host:ip` items or a `host: ip` mapping.
    pub(super) fn extra_hosts(&mut self, what: &str, key: &Node, v: &Node) -> Vec<HostEntry> {
        let mut out = Vec::new();
        let clean = |ip: &str| {
            let ip = ip.trim();
            ip.strip_prefix('[')
                .and_then(|i| i.strip_suffix(']'))
                .unwrap_or(ip)
                .to_string()
        };
        let mapping: Vec<&Node> = match &v.value {
            Value::Map(_) => vec![v],
            // `host: ip` entries merged in from another file's mapping.
            Value::Seq(items) => items.iter().filter(|i| i.is_map()).collect(),
            _ => Vec::new(),
        };
        match &v.value {
            Value::Seq(items) => {
                for item in items.iter().filter(|i| !i.is_map()) {
                    let Some(t) = self.scalar(&format!("an item of {what}"), key, item) else {
                        continue;
                    };
                    let split = t.s.split_once('=').or_else(|| t.s.split_once(':'));
                    match split {
                        Some((name, ip)) if !name.trim().is_empty() && !ip.trim().is_empty() => {
                            out.push(HostEntry {
                                name: name.trim().to_string(),
                                ip: clean(ip),
                                span: Some(t.inner()),
                            })
                        }
                        _ => self.r.warn(
                            t.inner(),
                            format!("invalid extra host `{}` in {what}: expected `host=ip` or `host:ip`", t.s),
                        ),
                    }
                }
            }
            Value::Map(_) | Value::Null => {}
            _ => self.r.wrong_at_key(what, "a list or a mapping", key, v),
        }
        for m in mapping {
            for (k, name, val) in entries(m) {
                for ipn in items_or_one(val) {
                    if let Some(t) = self.scalar(&format!("`{name}` in {what}"), k, ipn) {
                        out.push(HostEntry {
                            name: name.to_string(),
                            ip: clean(&t.s),
                            span: Some(key_to(k.span, t.span)),
                        });
                    }
                }
            }
        }
        out
    }
}

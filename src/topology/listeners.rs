//! Listener inference: where a container listens, from what it declares
//! (ports, `expose`, `containerPort`), what it runs (the command line of a
//! known server, read through `sh -c` wrappers and launchers), its
//! environment (`PORT`, `ASPNETCORE_URLS`, `FLASK_RUN_PORT`…) and the
//! documented defaults of well-known images.
//!
//! Facts about the same port end as one listener carrying the strongest
//! information (see [`merge`]). When a configuration file we cannot see
//! decides the address (gunicorn `-c`, uwsgi `--ini`, `puma -C`, a
//! `redis.conf`), nothing is added for that server: unknown, not defaulted.

use super::model::{
    AppProtocol, Bind, Certainty, Container, DeclaredPort, Listener, PortKind, Protocol,
    Provenance, ProvenanceKind,
};
use super::shell::{
    SHELLS, Tok, Vars, basename, expand, expand_k8s, shell_script, split_words, tokenize,
};
use crate::source::Span;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// Fills `c.listeners` from what the container declares and runs.
pub fn fill(c: &mut Container) {
    let mut facts: Vec<Listener> = std::mem::take(&mut c.listeners);
    facts.extend(c.ports.iter().map(declared));
    let nginx = c.image.as_deref().is_some_and(super::is_nginx_image);
    if !nginx {
        facts.extend(from_runtime(c));
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
    Listener {
        port: Some(p.container_port),
        protocol: p.protocol,
        bind: None,
        app_protocol: None,
        provenance: Provenance {
            kind,
            detail,
            span: p.span,
        },
        certainty: Certainty::Stated,
    }
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

// ---------------------------------------------------------------------------
// Merging
// ---------------------------------------------------------------------------

/// How strong a fact is; lower is stronger. An explicit command flag or
/// environment setting beats a declaration, which beats a server's
/// documented default, which beats an image default.
fn rank(l: &Listener) -> u8 {
    match l.certainty {
        Certainty::Stated => match l.provenance.kind {
            ProvenanceKind::Command | ProvenanceKind::Env => 0,
            _ => 1,
        },
        Certainty::Inferred => 2,
        Certainty::Assumed => 3,
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
        if binds.is_empty() {
            let mut l = g[0].clone();
            l.app_protocol = app;
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
            l.app_protocol = l.app_protocol.or(app);
            if l.provenance.span.is_none() {
                l.provenance.span = declared_span;
            }
            out.push(l);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Command lines, environment, image defaults
// ---------------------------------------------------------------------------

/// What the environment says about a variable.
#[derive(Debug, Clone)]
struct EnvVal {
    value: Option<String>,
    span: Option<Span>,
}

impl EnvVal {
    /// A value the command line or a script sets (no span of its own).
    fn set(value: String) -> Self {
        EnvVal {
            value: Some(value),
            span: None,
        }
    }
}

type Env = BTreeMap<String, EnvVal>;

impl Vars for Env {
    fn is_set(&self, name: &str) -> bool {
        self.contains_key(name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.value.as_deref())
    }
}

fn from_runtime(c: &Container) -> Vec<Listener> {
    let mut env: Env = BTreeMap::new();
    for e in &c.env {
        env.insert(
            e.name.clone(),
            EnvVal {
                value: e.value.clone(),
                span: e.span,
            },
        );
    }
    let image = c.image.as_deref().map(image_parts);
    let image_prog = image.as_ref().and_then(|(n, t)| image_program(n, t));
    let mut cx = Ctx {
        image,
        image_prog,
        out: Vec::new(),
        urls_on_command_line: false,
        mounts: c.mounts.iter().map(|m| m.target.clone()).collect(),
    };
    let argv: Vec<String> = c.entrypoint.iter().chain(&c.command).cloned().collect();
    if argv.is_empty() {
        if let Some(prog) = image_prog {
            let cmd = Cmd {
                words: vec![prog.to_string()],
                env: env.clone(),
                guessed: false,
                implicit: true,
            };
            cx.dispatch(&cmd, 0);
        } else {
            cx.image_only_defaults();
        }
    } else {
        for mut cmd in commands(&argv, &env, 0) {
            // Official images' entrypoints run their server when the first
            // argument is an option (`command: --port 7000`).
            let first = cmd.words[0].as_str();
            let options_only = first.starts_with('-')
                || (image_prog == Some("redis-server") && first.ends_with(".conf"));
            if options_only {
                match image_prog {
                    Some(prog) => cmd.words.insert(0, prog.to_string()),
                    None => continue,
                }
            }
            cx.dispatch(&cmd, 0);
        }
    }
    if !cx.urls_on_command_line {
        cx.aspnet_env(&env);
    }
    cx.out
}

// ----- images -----------------------------------------------------------------

/// `docker.io/library/postgres:16-alpine@sha256:…` → (`postgres`, `16-alpine`).
fn image_parts(image: &str) -> (String, String) {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    match last.split_once(':') {
        Some((n, t)) => (n.to_ascii_lowercase(), t.to_ascii_lowercase()),
        None => (last.to_ascii_lowercase(), String::new()),
    }
}

/// The server an image runs when nothing overrides its command.
fn image_program(name: &str, tag: &str) -> Option<&'static str> {
    Some(match name {
        "redis" => "redis-server",
        "postgres" => "postgres",
        "mysql" => "mysqld",
        "mariadb" => "mariadbd",
        "mongo" => "mongod",
        "memcached" => "memcached",
        "httpd" => "httpd-foreground",
        "rabbitmq" => "rabbitmq-server",
        "php" if tag.contains("fpm") => "php-fpm",
        "php" if tag.contains("apache") => "apache2-foreground",
        "php-fpm" => "php-fpm",
        // Application images built on the official php:*-fpm images.
        "wordpress" | "drupal" | "nextcloud" | "joomla" if tag.contains("fpm") => "php-fpm",
        "oauth2-proxy" => "oauth2-proxy",
        "prometheus" => "prometheus",
        _ => return None,
    })
}

// ----- commands -----------------------------------------------------------------

/// One simple command, launchers stripped, with the environment it sees.
#[derive(Debug, Clone)]
struct Cmd {
    words: Vec<String>,
    env: Env,
    /// Some word used a `${X:-default}` whose variable we could not see.
    guessed: bool,
    /// Not written anywhere: the image's own command.
    implicit: bool,
}

impl Cmd {
    fn text(&self) -> String {
        let mut s = self
            .words
            .iter()
            .map(|w| {
                if w.is_empty() || w.contains(char::is_whitespace) {
                    format!("'{w}'")
                } else {
                    w.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        if s.chars().count() > 120 {
            s = s.chars().take(117).collect::<String>() + "...";
        }
        s
    }

    fn var(&self, name: &str) -> Option<&EnvVal> {
        self.env.get(name)
    }

    fn args(&self) -> &[String] {
        &self.words[1..]
    }
}

/// The effective simple commands of an argv: launchers stripped, shell
/// scripts (`sh -c "…"`) split into their commands.
fn commands(argv: &[String], env: &Env, depth: u8) -> Vec<Cmd> {
    let words: Vec<String> = argv.iter().map(|w| expand_k8s(w, env)).collect();
    let mut cmd = Cmd {
        words,
        env: env.clone(),
        guessed: false,
        implicit: false,
    };
    strip_launchers(&mut cmd);
    if cmd.words.is_empty() {
        return Vec::new();
    }
    if SHELLS.contains(&basename(&cmd.words[0])) {
        return match shell_script(&cmd.words) {
            Some(script) if depth < 4 => script_commands(script, &cmd.env, depth + 1),
            _ => Vec::new(),
        };
    }
    vec![cmd]
}

const SKIPPED: &[&str] = &[
    "set", "cd", "echo", "printf", "sleep", "test", "[", "[[", "true", "false", ":", "unset",
    "source", ".", "fi", "done", "esac", "trap", "wait", "ulimit", "umask", "mkdir", "chown",
    "chmod", "cp", "mv", "rm", "ln", "touch", "cat",
];

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "while", "until", "do", "!", "{", "}", "time",
];

fn script_commands(script: &str, env: &Env, depth: u8) -> Vec<Cmd> {
    let Some(tokens) = tokenize(script, true) else {
        return Vec::new();
    };
    let mut senv = env.clone();
    let mut out = Vec::new();
    for group in tokens.split(|t| *t == Tok::Sep) {
        let mut words: Vec<String> = group
            .iter()
            .filter_map(|t| match t {
                Tok::Word(w) => Some(w.clone()),
                Tok::Sep => None,
            })
            .collect();
        while words
            .first()
            .is_some_and(|w| KEYWORDS.contains(&w.as_str()))
        {
            words.remove(0);
        }
        let Some(first) = words.first() else { continue };
        let assignments = if first == "export" || first == "declare" || first == "local" {
            Some(&words[1..])
        } else if words.iter().all(|w| assignment(w).is_some()) {
            Some(&words[..])
        } else {
            None
        };
        if let Some(assignments) = assignments {
            for (k, v) in assignments.iter().filter_map(|w| assignment(w)) {
                let (v, _) = expand(v, &senv);
                senv.insert(k.to_string(), EnvVal::set(v));
            }
            continue;
        }
        if SKIPPED.contains(&basename(first)) {
            continue;
        }
        let mut guessed = false;
        let words: Vec<String> = words
            .iter()
            .map(|w| {
                let (v, g) = expand(w, &senv);
                guessed |= g;
                v
            })
            .collect();
        let mut cmd = Cmd {
            words,
            env: senv.clone(),
            guessed,
            implicit: false,
        };
        strip_launchers(&mut cmd);
        if cmd.words.is_empty() {
            continue;
        }
        if SHELLS.contains(&basename(&cmd.words[0])) {
            if let Some(s) = shell_script(&cmd.words)
                && depth < 4
            {
                out.extend(script_commands(s, &cmd.env, depth + 1));
            }
            continue;
        }
        out.push(cmd);
    }
    out
}

/// `NAME=value` → (`NAME`, `value`).
fn assignment(w: &str) -> Option<(&str, &str)> {
    let (k, v) = w.split_once('=')?;
    let mut chars = k.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some((k, v))
}

fn is_python(b: &str) -> bool {
    let rest = b.strip_prefix("python").or_else(|| b.strip_prefix("pypy"));
    rest.is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Removes `exec`, `env K=V`, `K=V` prefixes, `tini --`, `dumb-init`,
/// `gosu USER`, `poetry run`, `python -m X`… from the front of a command.
fn strip_launchers(cmd: &mut Cmd) {
    let w = &mut cmd.words;
    for _ in 0..32 {
        let Some(first) = w.first().cloned() else {
            return;
        };
        if let Some((k, v)) = assignment(&first) {
            cmd.env.insert(k.to_string(), EnvVal::set(v.to_string()));
            w.remove(0);
            continue;
        }
        let second = w.get(1).map(String::as_str);
        let b = basename(&first);
        match b {
            "exec" => {
                w.remove(0);
                if w.first().is_some_and(|x| x == "-a") {
                    w.drain(..2.min(w.len()));
                }
            }
            "env" => {
                w.remove(0);
                while let Some(f) = w.first() {
                    if f == "-u" || f == "--unset" {
                        w.drain(..2.min(w.len()));
                    } else if f.starts_with('-') {
                        w.remove(0);
                    } else {
                        break;
                    }
                }
            }
            "tini" | "tini-static" | "dumb-init" | "catatonit" => {
                w.remove(0);
                while let Some(f) = w.first() {
                    if f == "--" {
                        w.remove(0);
                        break;
                    } else if f == "-e" || f == "-p" {
                        w.drain(..2.min(w.len()));
                    } else if f.starts_with('-') {
                        w.remove(0);
                    } else {
                        break;
                    }
                }
            }
            "gosu" | "su-exec" => {
                w.drain(..2.min(w.len()));
            }
            "nice" => {
                w.remove(0);
                if w.first().is_some_and(|x| x == "-n") {
                    w.drain(..2.min(w.len()));
                } else if w.first().is_some_and(|x| x.starts_with('-')) {
                    w.remove(0);
                }
            }
            "docker-entrypoint.sh" | "docker-php-entrypoint" | "ddtrace-run" => {
                w.remove(0);
            }
            "newrelic-admin" if second == Some("run-program") => {
                w.drain(..2);
            }
            "opentelemetry-instrument" => {
                w.remove(0);
                while let Some(f) = w.first() {
                    if !f.starts_with("--") {
                        break;
                    }
                    let n = if f.contains('=') { 1 } else { 2 };
                    w.drain(..n.min(w.len()));
                }
            }
            "bundle" if second == Some("exec") => {
                w.drain(..2);
            }
            "poetry" | "pipenv" | "pdm" | "hatch" | "rye" if second == Some("run") => {
                w.drain(..2);
            }
            "uv" if second == Some("run") => {
                w.drain(..2);
                const WITH_VALUE: &[&str] = &[
                    "--with",
                    "--python",
                    "-p",
                    "--env-file",
                    "--project",
                    "--directory",
                    "--extra",
                    "--group",
                    "--package",
                    "--index",
                    "--index-url",
                ];
                while let Some(f) = w.first() {
                    if f == "--" {
                        w.remove(0);
                        break;
                    } else if WITH_VALUE.contains(&f.as_str()) {
                        w.drain(..2.min(w.len()));
                    } else if f.starts_with('-') {
                        w.remove(0);
                    } else {
                        break;
                    }
                }
            }
            "npx" | "bunx" => {
                w.remove(0);
                while w.first().is_some_and(|f| f == "--yes" || f == "-y") {
                    w.remove(0);
                }
            }
            _ if b.starts_with("wait-for") && w.iter().any(|x| x == "--") => {
                let i = w.iter().position(|x| x == "--").expect("checked");
                w.drain(..=i);
            }
            _ if is_python(b) => {
                let mut i = 1;
                let mut module = None;
                while i < w.len() && w[i].starts_with('-') {
                    match w[i].as_str() {
                        "-m" => {
                            module = Some(i + 1);
                            break;
                        }
                        "-c" => {
                            w.clear();
                            return;
                        }
                        "-X" | "-W" => i += 2,
                        a if a.starts_with("-m") => {
                            let m = a[2..].to_string();
                            w[i] = m;
                            module = Some(i);
                            break;
                        }
                        _ => i += 1,
                    }
                }
                let from = module.unwrap_or(i);
                if from >= w.len() {
                    w.clear();
                    return;
                }
                w.drain(..from);
                // `python -m X` names the program; nothing else to strip.
                return;
            }
            _ => return,
        }
    }
}

// ----- options ----------------------------------------------------------------

/// Values of an option, in order: `--bind X`, `--bind=X`, `-b X`, `-bX`.
fn opt_values(args: &[String], longs: &[&str], shorts: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if longs.contains(&a) || shorts.contains(&a) {
            if let Some(v) = args.get(i + 1) {
                out.push(v.clone());
            }
            i += 2;
            continue;
        }
        if let Some(v) = longs
            .iter()
            .find_map(|l| a.strip_prefix(l).and_then(|r| r.strip_prefix('=')))
        {
            out.push(v.to_string());
        } else if let Some(v) = shorts.iter().find_map(|s| {
            a.strip_prefix(s)
                .filter(|r| !r.is_empty() && !a.starts_with("--"))
                .map(|r| r.strip_prefix('=').unwrap_or(r))
        }) {
            out.push(v.to_string());
        }
        i += 1;
    }
    out
}

fn opt_last(args: &[String], longs: &[&str], shorts: &[&str]) -> Option<String> {
    opt_values(args, longs, shorts).pop()
}

fn has_flag(args: &[String], names: &[&str]) -> bool {
    args.iter().any(|a| {
        names
            .iter()
            .any(|n| a == n || (n.starts_with("--") && a.starts_with(&format!("{n}="))))
    })
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, `host`, `:port`; a bare IPv6
/// address is a host.
fn split_hostport(s: &str) -> (String, Option<String>) {
    if let Some(r) = s.strip_prefix('[')
        && let Some((h, rest)) = r.split_once(']')
    {
        return (h.to_string(), rest.strip_prefix(':').map(str::to_string));
    }
    match s.matches(':').count() {
        1 => {
            let (h, p) = s.split_once(':').expect("one colon");
            (h.to_string(), Some(p.to_string()))
        }
        _ => (s.to_string(), None),
    }
}

fn parse_port(p: &str) -> Option<u16> {
    p.trim().parse::<u16>().ok().filter(|p| *p != 0)
}

/// The written port, or `default` when none is written; `None` when what
/// is written is not a port.
fn port_or(written: Option<&str>, default: u16) -> Option<u16> {
    match written {
        Some(p) => parse_port(p),
        None => Some(default),
    }
}

fn loopback() -> Bind {
    Bind::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

fn bind_text(b: &Option<Bind>) -> String {
    match b {
        None => "an unknown address".into(),
        Some(Bind::Any) => "all interfaces".into(),
        Some(Bind::AnyV4) => "0.0.0.0".into(),
        Some(Bind::AnyV6) => "[::]".into(),
        Some(Bind::Ip(IpAddr::V6(ip))) => format!("[{ip}]"),
        Some(Bind::Ip(ip)) => ip.to_string(),
        Some(Bind::Unix(p)) => format!("unix:{p}"),
    }
}

// ----- servers ----------------------------------------------------------------

/// A listen address parsed from a server's option.
#[derive(Debug, Clone, PartialEq)]
enum Addr {
    Tcp(Option<Bind>, u16),
    Unix(String),
}

struct Ctx {
    image: Option<(String, String)>,
    image_prog: Option<&'static str>,
    out: Vec<Listener>,
    urls_on_command_line: bool,
    /// Paths mounted into the container.
    mounts: Vec<String>,
}

/// How a listener was found, for its provenance and certainty.
struct How<'a> {
    cmd: &'a Cmd,
    /// The address was written explicitly (flag, or env read by the server).
    explicit: bool,
    /// When only an env var said it: its name (provenance Env).
    env: Option<&'a str>,
    /// Why, when it is a server default.
    note: Option<String>,
}

impl<'a> How<'a> {
    /// Found by `cmd`; `explicit` when the address was written out.
    fn new(cmd: &'a Cmd, explicit: bool) -> Self {
        How {
            cmd,
            explicit,
            env: None,
            note: None,
        }
    }

    /// Written out by `cmd` (a flag, or an env var the server reads).
    fn explicit(cmd: &'a Cmd) -> Self {
        How::new(cmd, true)
    }

    /// Inferred for `cmd`: nothing wrote the address out.
    fn inferred(cmd: &'a Cmd) -> Self {
        How::new(cmd, false)
    }

    /// Said only by this environment variable (provenance Env).
    fn env(self, name: impl Into<Option<&'a str>>) -> Self {
        How {
            env: name.into(),
            ..self
        }
    }

    /// Why the address is what it is (a server default).
    fn note(self, note: impl Into<Option<String>>) -> Self {
        How {
            note: note.into(),
            ..self
        }
    }
}

impl Ctx {
    fn push(&mut self, addr: Addr, app: Option<AppProtocol>, protocol: Protocol, how: How<'_>) {
        let (port, bind) = match addr {
            Addr::Tcp(b, p) => (Some(p), b),
            Addr::Unix(path) => (None, Some(Bind::Unix(path))),
        };
        let mut detail = how.cmd.text();
        let mut span = None;
        let mut kind = ProvenanceKind::Command;
        if let Some(name) = how.env {
            let v = how.cmd.var(name);
            span = v.and_then(|v| v.span);
            let value = v.and_then(|v| v.value.clone()).unwrap_or_default();
            detail = format!("{name}={value} ({detail})");
            kind = ProvenanceKind::Env;
        }
        if let Some(note) = how.note {
            detail = format!("{detail} — {note}");
        }
        let certainty = if how.explicit && !how.cmd.guessed {
            Certainty::Stated
        } else {
            Certainty::Inferred
        };
        self.out.push(Listener {
            port,
            protocol,
            bind,
            app_protocol: app,
            provenance: Provenance { kind, detail, span },
            certainty,
        });
    }

    /// An address `cmd` writes out, on a stream socket.
    fn explicit(&mut self, cmd: &Cmd, addr: Addr, app: Option<AppProtocol>) {
        self.push(addr, app, Protocol::Tcp, How::explicit(cmd));
    }

    /// The same port written out on each of `binds`.
    fn explicit_binds(
        &mut self,
        cmd: &Cmd,
        binds: Vec<Option<Bind>>,
        port: u16,
        app: Option<AppProtocol>,
    ) {
        for b in binds {
            self.explicit(cmd, Addr::Tcp(b, port), app);
        }
    }

    /// The default listener of a well-known server: an image default when
    /// the container runs that image's server, a server default otherwise.
    fn server_default(
        &mut self,
        cmd: &Cmd,
        prog: &'static str,
        port: u16,
        bind: Option<Bind>,
        app: Option<AppProtocol>,
    ) {
        if self.image_prog == Some(prog) || prog == "php-fpm" {
            let image = self
                .image
                .as_ref()
                .map(|(n, t)| {
                    if t.is_empty() {
                        n.clone()
                    } else {
                        format!("{n}:{t}")
                    }
                })
                .filter(|_| self.image_prog == Some(prog))
                .unwrap_or_else(|| "php:fpm".into());
            let written = if cmd.implicit {
                String::new()
            } else {
                format!(" ({})", cmd.text())
            };
            self.out.push(Listener {
                port: Some(port),
                protocol: Protocol::Tcp,
                bind,
                app_protocol: app,
                provenance: Provenance {
                    kind: ProvenanceKind::ImageDefault,
                    detail: format!("image {image} listens on {port} by default{written}"),
                    span: None,
                },
                certainty: Certainty::Assumed,
            });
        } else {
            self.documented_default(cmd, prog, port, bind, app);
        }
    }

    /// The listener a server's own documentation gives when nothing on the
    /// command line or in the environment says otherwise.
    fn documented_default(
        &mut self,
        cmd: &Cmd,
        server: &str,
        port: u16,
        bind: Option<Bind>,
        app: Option<AppProtocol>,
    ) {
        let note = format!("{server} listens on {}:{port} by default", bind_text(&bind));
        self.push(
            Addr::Tcp(bind, port),
            app,
            Protocol::Tcp,
            How::inferred(cmd).note(note),
        );
    }

    /// A configuration file the server reads on its own is mounted over the
    /// image's: the address is whatever that file says (unknown).
    fn config_mounted(&self, prog: &str) -> bool {
        let dirs: &[&str] = match prog {
            "php-fpm" => &[
                "/usr/local/etc/php-fpm.d",
                "/usr/local/etc/php-fpm.conf",
                "/etc/php",
            ],
            "httpd-foreground" => &["/usr/local/apache2/conf"],
            "apache2-foreground" => &["/etc/apache2"],
            _ => &[],
        };
        self.mounts.iter().any(|m| {
            let m = m.trim_end_matches('/');
            dirs.iter().any(|d| {
                m == *d || m.starts_with(&format!("{d}/")) || d.starts_with(&format!("{m}/"))
            })
        })
    }

    fn dispatch(&mut self, cmd: &Cmd, depth: u8) {
        let Some(first) = cmd.words.first() else {
            return;
        };
        let prog = basename(first);
        let sub = cmd.words.get(1).map(String::as_str);
        match prog {
            "gunicorn" => self.gunicorn(cmd),
            "uvicorn" => self.uvicorn(cmd),
            "hypercorn" => self.hypercorn(cmd),
            "flask" => self.flask(cmd),
            "manage.py" | "django-admin" | "django-admin.py" | "django" => self.django(cmd),
            "fastapi" => self.fastapi(cmd),
            "waitress-serve" | "waitress" => self.waitress(cmd),
            "uwsgi" => self.uwsgi(cmd),
            "redis-server" | "valkey-server" => self.redis(cmd),
            "next" if matches!(sub, Some("start" | "dev")) => self.next(cmd),
            "rails" if matches!(sub, Some("server" | "s")) => self.rails(cmd),
            "puma" => self.puma(cmd),
            "http.server" => self.http_server(cmd),
            "postgres" => self.postgres(cmd),
            "mysqld" => self.mysql(cmd, "mysqld"),
            "mariadbd" => self.mysql(cmd, "mariadbd"),
            "mongod" => self.mongo(cmd),
            "memcached" => self.memcached(cmd),
            "httpd-foreground" | "apache2-foreground" => {
                if let Some(p) = self
                    .image_prog
                    .filter(|p| *p == prog && !self.config_mounted(p))
                {
                    self.server_default(cmd, p, 80, Some(Bind::Any), Some(AppProtocol::Http));
                }
            }
            "rabbitmq-server" => self.rabbitmq(cmd),
            "oauth2-proxy" => self.oauth2_proxy(cmd),
            "prometheus" => self.prometheus(cmd),
            "vite" => self.vite(cmd),
            "dotnet" => self.dotnet(cmd),
            "thrust" if depth < 2 => self.thrust(cmd, depth),
            p if is_php_fpm(p) => self.php_fpm(cmd),
            _ => {}
        }
    }

    /// For images whose defaults we know but whose command we do not parse.
    fn image_only_defaults(&mut self) {
        let Some((name, _)) = self.image.clone() else {
            return;
        };
        let http = Some(AppProtocol::Http);
        let raw = Some(AppProtocol::Raw);
        let ports: &[(u16, Option<AppProtocol>, Bind)] = match name.as_str() {
            "tomcat" => &[(8080, http, Bind::Any)],
            "jenkins" => &[(8080, http, Bind::Any), (50000, raw, Bind::Any)],
            "elasticsearch" => &[(9200, http, Bind::Any), (9300, raw, Bind::Any)],
            _ => &[],
        };
        for (port, app, bind) in ports {
            self.out.push(Listener {
                port: Some(*port),
                protocol: Protocol::Tcp,
                bind: Some(bind.clone()),
                app_protocol: *app,
                provenance: Provenance {
                    kind: ProvenanceKind::ImageDefault,
                    detail: format!("image {name} listens on {port} by default"),
                    span: None,
                },
                certainty: Certainty::Assumed,
            });
        }
    }
}

fn is_php_fpm(p: &str) -> bool {
    p.strip_prefix("php-fpm")
        .or_else(|| {
            p.strip_prefix("php").and_then(|r| {
                // `php8.2-fpm` (Debian packages name the binary `php-fpm8.2`).
                r.strip_suffix("-fpm")
            })
        })
        .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// gunicorn/hypercorn `-b` grammar: `HOST`, `HOST:PORT`, `:PORT`,
/// `[V6]:PORT`, `tcp://…`, `unix:PATH`, `unix://PATH`; `fd://N` is unknown.
fn parse_wsgi_bind(v: &str, default_port: u16) -> Option<Addr> {
    if let Some(p) = v
        .strip_prefix("unix://")
        .or_else(|| v.strip_prefix("unix:"))
    {
        return Some(Addr::Unix(p.to_string()));
    }
    if v.starts_with("fd://") {
        return None;
    }
    let v = v.strip_prefix("tcp://").unwrap_or(v);
    let (host, port) = split_hostport(v);
    let port = match port {
        Some(p) => parse_port(&p)?,
        None => default_port,
    };
    if host.contains('$') || host.contains('`') {
        return None;
    }
    Some(Addr::Tcp(bind_of_host(&host), port))
}

/// uwsgi socket grammar: with `:` TCP (empty host = all), else a unix path
/// (`@name` abstract).
fn parse_uwsgi_addr(v: &str) -> Option<Addr> {
    let v = v.split(',').next().unwrap_or(v);
    if v.contains('$') || v.starts_with('=') || v.is_empty() {
        return None;
    }
    if v.contains(':') {
        let (host, port) = split_hostport(v);
        return Some(Addr::Tcp(bind_of_host(&host), parse_port(&port?)?));
    }
    Some(Addr::Unix(v.to_string()))
}

/// `http://+:8080`, `https://localhost:5001`, `http://[::]:80`.
fn parse_url(u: &str) -> Option<Addr> {
    let (scheme, rest) = u.trim().split_once("://")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        "unix" => return Some(Addr::Unix(rest.to_string())),
        _ => return None,
    };
    let hostport = rest.split('/').next().unwrap_or(rest);
    let (host, port) = split_hostport(hostport);
    let port = match port {
        Some(p) => parse_port(&p)?,
        None => default_port,
    };
    // Kestrel binds every interface for a host name that is not localhost.
    let bind = bind_of_host(&host).or(Some(Bind::Any));
    Some(Addr::Tcp(bind, port))
}

impl Ctx {
    fn gunicorn(&mut self, cmd: &Cmd) {
        let http = Some(AppProtocol::Http);
        let args = cmd.args();
        let cli = opt_values(args, &["--bind"], &["-b"]);
        if !cli.is_empty() {
            for v in &cli {
                if let Some(a) = parse_wsgi_bind(v, 8000) {
                    self.explicit(cmd, a, http);
                }
            }
            return;
        }
        let env_args = cmd
            .var("GUNICORN_CMD_ARGS")
            .and_then(|v| v.value.as_deref())
            .and_then(split_words)
            .unwrap_or_default();
        let from_env = opt_values(&env_args, &["--bind"], &["-b"]);
        if !from_env.is_empty() {
            for v in &from_env {
                if let Some(a) = parse_wsgi_bind(v, 8000) {
                    self.push(
                        a,
                        http,
                        Protocol::Tcp,
                        How::explicit(cmd).env("GUNICORN_CMD_ARGS"),
                    );
                }
            }
            return;
        }
        if !opt_values(args, &["--config"], &["-c"]).is_empty()
            || !opt_values(&env_args, &["--config"], &["-c"]).is_empty()
        {
            return; // the config file decides
        }
        if let Some(port) = cmd.var("PORT") {
            // gunicorn binds 0.0.0.0:$PORT when PORT is set.
            if let Some(p) = port.value.as_deref().and_then(parse_port) {
                self.push(
                    Addr::Tcp(Some(Bind::AnyV4), p),
                    http,
                    Protocol::Tcp,
                    How::inferred(cmd)
                        .env("PORT")
                        .note("gunicorn binds 0.0.0.0:$PORT when PORT is set".to_string()),
                );
            }
            return;
        }
        self.documented_default(cmd, "gunicorn", 8000, Some(loopback()), http);
    }

    /// A server with `--host`/`--port` options (and env fallbacks).
    fn host_port(
        &mut self,
        cmd: &Cmd,
        server: &str,
        host: (Option<String>, Option<&'static str>),
        port: (Option<String>, Option<&'static str>),
        default: (Bind, u16),
    ) {
        let env_val = |name: Option<&'static str>| {
            name.and_then(|n| cmd.var(n).map(|v| (n, v.value.clone())))
        };
        let mut explicit = false;
        let mut env_used: Option<&'static str> = None;
        let mut env_only = true;
        let bind = match (host.0, env_val(host.1)) {
            (Some(h), _) => {
                explicit = true;
                env_only = false;
                bind_of_host(&h)
            }
            (None, Some((n, v))) => {
                explicit = true;
                env_used = Some(n);
                v.as_deref().and_then(bind_of_host)
            }
            (None, None) => Some(default.0.clone()),
        };
        let port = match (port.0, env_val(port.1)) {
            (Some(p), _) => {
                explicit = true;
                env_only = false;
                parse_port(&p)
            }
            (None, Some((n, v))) => {
                explicit = true;
                env_used = Some(n);
                v.as_deref().and_then(parse_port)
            }
            (None, None) => Some(default.1),
        };
        let Some(port) = port else { return };
        let note = (!explicit).then(|| {
            format!(
                "{server} listens on {}:{} by default",
                bind_text(&Some(default.0.clone())),
                default.1
            )
        });
        let env = if env_only { env_used } else { None };
        self.push(
            Addr::Tcp(bind, port),
            Some(AppProtocol::Http),
            Protocol::Tcp,
            How::new(cmd, explicit).env(env).note(note),
        );
    }

    fn uvicorn(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        if has_flag(args, &["--fd"]) {
            return;
        }
        let uds = opt_last(args, &["--uds"], &[])
            .or_else(|| cmd.var("UVICORN_UDS").and_then(|v| v.value.clone()));
        if let Some(path) = uds {
            self.explicit(cmd, Addr::Unix(path), Some(AppProtocol::Http));
            return;
        }
        let host = opt_last(args, &["--host"], &[]);
        let port = opt_last(args, &["--port"], &[]);
        self.host_port(
            cmd,
            "uvicorn",
            (host, Some("UVICORN_HOST")),
            (port, Some("UVICORN_PORT")),
            (loopback(), 8000),
        );
    }

    fn hypercorn(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let http = Some(AppProtocol::Http);
        let tcp = opt_values(args, &["--bind", "--insecure-bind"], &["-b"]);
        let quic = opt_values(args, &["--quic-bind"], &[]);
        for v in &tcp {
            if let Some(a) = parse_wsgi_bind(v, 8000) {
                self.explicit(cmd, a, http);
            }
        }
        for v in &quic {
            if let Some(a) = parse_wsgi_bind(v, 8000) {
                self.push(a, http, Protocol::Udp, How::explicit(cmd));
            }
        }
        if !tcp.is_empty() || !quic.is_empty() || has_flag(args, &["--config", "-c"]) {
            return;
        }
        self.documented_default(cmd, "hypercorn", 8000, Some(loopback()), http);
    }

    fn flask(&mut self, cmd: &Cmd) {
        let Some(run) = cmd.words.iter().position(|w| w == "run") else {
            return;
        };
        let args = &cmd.words[run + 1..];
        let host = opt_last(args, &["--host"], &["-h"]);
        let port = opt_last(args, &["--port"], &["-p"]);
        self.host_port(
            cmd,
            "flask run",
            (host, Some("FLASK_RUN_HOST")),
            (port, Some("FLASK_RUN_PORT")),
            (loopback(), 5000),
        );
    }

    fn django(&mut self, cmd: &Cmd) {
        let Some(at) = cmd
            .words
            .iter()
            .position(|w| w == "runserver" || w == "runserver_plus")
        else {
            return;
        };
        let args = &cmd.words[at + 1..];
        let v6 = has_flag(args, &["-6", "--ipv6"]);
        let default_host = if v6 {
            Bind::Ip("::1".parse().expect("valid"))
        } else {
            loopback()
        };
        const WITH_VALUE: &[&str] = &[
            "--settings",
            "--pythonpath",
            "-v",
            "--verbosity",
            "--cert-file",
            "--key-file",
        ];
        let mut positional = None;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if WITH_VALUE.contains(&a.as_str()) {
                i += 2;
                continue;
            }
            if !a.starts_with('-') {
                positional = Some(a.clone());
                break;
            }
            i += 1;
        }
        let http = Some(AppProtocol::Http);
        match positional {
            None => self.documented_default(cmd, "runserver", 8000, Some(default_host), http),
            Some(p) => {
                let (host, port) = match split_hostport(&p) {
                    (h, Some(port)) => (Some(h), port),
                    (h, None) => (None, h),
                };
                let Some(port) = parse_port(&port) else {
                    return;
                };
                let bind = match host {
                    Some(h) => bind_of_host(&h),
                    None => Some(default_host),
                };
                self.explicit(cmd, Addr::Tcp(bind, port), http);
            }
        }
    }

    fn fastapi(&mut self, cmd: &Cmd) {
        let default = match cmd.words.get(1).map(String::as_str) {
            Some("run") => Bind::AnyV4,
            Some("dev") => loopback(),
            _ => return,
        };
        let args = cmd.args();
        let host = opt_last(args, &["--host"], &[]);
        let port = opt_last(args, &["--port"], &[]);
        let server = format!("fastapi {}", cmd.words[1]);
        self.host_port(
            cmd,
            &server,
            (host, None),
            (port, Some("PORT")),
            (default, 8000),
        );
    }

    fn waitress(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let http = Some(AppProtocol::Http);
        let listen = opt_values(args, &["--listen"], &[]);
        if !listen.is_empty() {
            for v in &listen {
                let (h, p) = split_hostport(v);
                if let Some(p) = p.as_deref().and_then(parse_port) {
                    self.explicit(cmd, Addr::Tcp(bind_of_host(&h), p), http);
                }
            }
            return;
        }
        let host = opt_last(args, &["--host"], &[]);
        let port = opt_last(args, &["--port"], &[]);
        if let Some(path) = opt_last(args, &["--unix-socket"], &[]) {
            self.explicit(cmd, Addr::Unix(path), http);
            if host.is_none() && port.is_none() {
                return;
            }
        }
        self.host_port(
            cmd,
            "waitress-serve",
            (host, None),
            (port, None),
            (Bind::AnyV4, 8080),
        );
    }

    fn uwsgi(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let socket_proto = match opt_last(args, &["--protocol", "--socket-protocol"], &[])
            .or_else(|| cmd.var("UWSGI_PROTOCOL").and_then(|v| v.value.clone()))
            .as_deref()
        {
            Some("http") => AppProtocol::Http,
            Some("fastcgi") => AppProtocol::Fastcgi,
            _ => AppProtocol::Uwsgi,
        };
        let kinds: [(&[&str], &[&str], AppProtocol); 4] = [
            (
                &["--http", "--http-socket", "--http11-socket"],
                &[],
                AppProtocol::Http,
            ),
            (&["--https", "--https-socket"], &[], AppProtocol::Http),
            (&["--socket", "--uwsgi-socket"], &["-s"], socket_proto),
            (&["--fastcgi-socket"], &[], AppProtocol::Fastcgi),
        ];
        let mut any = false;
        for (longs, shorts, app) in &kinds {
            for v in opt_values(args, longs, shorts) {
                if let Some(a) = parse_uwsgi_addr(&v) {
                    any = true;
                    self.explicit(cmd, a, Some(*app));
                }
            }
        }
        if any {
            return;
        }
        // No socket on the command line: only `UWSGI_*` env can add one; a
        // config file (`--ini`, `app.ini`, `UWSGI_INI`) decides otherwise,
        // and uWSGI has no default listener.
        for name in [
            "UWSGI_HTTP",
            "UWSGI_HTTP_SOCKET",
            "UWSGI_HTTPS",
            "UWSGI_SOCKET",
            "UWSGI_UWSGI_SOCKET",
            "UWSGI_FASTCGI_SOCKET",
        ] {
            let app = match name {
                "UWSGI_SOCKET" | "UWSGI_UWSGI_SOCKET" => socket_proto,
                "UWSGI_FASTCGI_SOCKET" => AppProtocol::Fastcgi,
                _ => AppProtocol::Http,
            };
            if let Some(a) = cmd
                .var(name)
                .and_then(|v| v.value.as_deref())
                .and_then(parse_uwsgi_addr)
            {
                self.push(a, Some(app), Protocol::Tcp, How::explicit(cmd).env(name));
            }
        }
    }

    fn php_fpm(&mut self, cmd: &Cmd) {
        if has_flag(cmd.args(), &["-y", "--fpm-config"]) || self.config_mounted("php-fpm") {
            return;
        }
        self.server_default(
            cmd,
            "php-fpm",
            9000,
            Some(Bind::Any),
            Some(AppProtocol::Fastcgi),
        );
    }

    fn redis(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let raw = Some(AppProtocol::Raw);
        let config = args.first().is_some_and(|a| !a.starts_with("--"));
        let mut binds: Vec<String> = Vec::new();
        let mut port: Option<String> = None;
        let mut unix: Option<String> = None;
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "--bind" => {
                    i += 1;
                    binds.clear();
                    while i < args.len() && !args[i].starts_with("--") {
                        binds.extend(args[i].split_whitespace().map(str::to_string));
                        i += 1;
                    }
                    continue;
                }
                "--port" => port = args.get(i + 1).cloned(),
                "--unixsocket" => unix = args.get(i + 1).cloned(),
                _ => {}
            }
            i += 1;
        }
        if let Some(path) = unix {
            self.explicit(cmd, Addr::Unix(path), raw);
        }
        if binds.is_empty() && port.is_none() {
            if !config {
                self.server_default(cmd, "redis-server", 6379, Some(Bind::Any), raw);
            }
            return;
        }
        let port = match port {
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return, // port 0: no TCP listener
                Ok(p) => p,
            },
            None if config => {
                // The config file decides the port; the binds need one.
                return;
            }
            None => 6379,
        };
        if binds.is_empty() {
            let bind = if config { None } else { Some(Bind::Any) };
            self.explicit(cmd, Addr::Tcp(bind, port), raw);
            return;
        }
        for b in binds {
            let b = b.trim_start_matches('-');
            let bind = if b == "*" {
                Some(Bind::AnyV4)
            } else if b == "::*" {
                Some(Bind::AnyV6)
            } else {
                bind_of_host(b)
            };
            self.explicit(cmd, Addr::Tcp(bind, port), raw);
        }
    }

    fn next(&mut self, cmd: &Cmd) {
        let args = &cmd.words[2..];
        let host = opt_last(args, &["--hostname"], &["-H"]);
        let port = opt_last(args, &["--port"], &["-p"]);
        let server = format!("next {}", cmd.words[1]);
        self.host_port(
            cmd,
            &server,
            (host, None),
            (port, Some("PORT")),
            (Bind::AnyV4, 3000),
        );
    }

    fn rails(&mut self, cmd: &Cmd) {
        let args = &cmd.words[2..];
        let host = opt_last(args, &["--binding"], &["-b"]);
        let port = opt_last(args, &["--port"], &["-p"]);
        let rails_env = opt_last(args, &["--environment"], &["-e"]).or_else(|| {
            ["RAILS_ENV", "RACK_ENV"]
                .iter()
                .find_map(|n| cmd.var(n).map(|v| v.value.clone().unwrap_or_default()))
        });
        // Rails binds localhost in development, 0.0.0.0 otherwise; an
        // environment we cannot see leaves the bind unknown.
        let default = match rails_env.as_deref() {
            Some("development") => Some(loopback()),
            Some("") | None => None,
            Some(_) => Some(Bind::AnyV4),
        };
        let host = host.or_else(|| {
            ["BINDING", "HOST"]
                .iter()
                .find_map(|n| cmd.var(n).and_then(|v| v.value.clone()))
        });
        let explicit_host = host.is_some();
        let bind = match host {
            Some(h) => bind_of_host(&h),
            None => default,
        };
        let port_env = cmd.var("PORT").map(|v| v.value.clone());
        let (port, explicit_port) = match (port, port_env) {
            (Some(p), _) => (parse_port(&p), true),
            (None, Some(v)) => (v.as_deref().and_then(parse_port), true),
            (None, None) => (Some(3000), false),
        };
        let Some(port) = port else { return };
        let note = (!explicit_host).then(|| match &bind {
            None => "rails server binds localhost in development and 0.0.0.0 otherwise; the environment is not visible".to_string(),
            Some(b) => format!("rails server binds {} in this environment", bind_text(&Some(b.clone()))),
        });
        self.push(
            Addr::Tcp(bind, port),
            Some(AppProtocol::Http),
            Protocol::Tcp,
            How::new(cmd, explicit_host || explicit_port).note(note),
        );
    }

    fn puma(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let http = Some(AppProtocol::Http);
        let binds = opt_values(args, &["--bind"], &["-b"]);
        let port = opt_last(args, &["--port"], &["-p"]);
        for b in &binds {
            let addr = if let Some(p) = b.strip_prefix("unix://") {
                Some(Addr::Unix(p.to_string()))
            } else if let Some(rest) = b
                .strip_prefix("tcp://")
                .or_else(|| b.strip_prefix("ssl://"))
            {
                let hp = rest.split('?').next().unwrap_or(rest);
                let (h, p) = split_hostport(hp);
                p.as_deref()
                    .and_then(parse_port)
                    .map(|p| Addr::Tcp(bind_of_host(&h), p))
            } else {
                None
            };
            if let Some(a) = addr {
                self.explicit(cmd, a, http);
            }
        }
        if let Some(p) = port.as_deref().and_then(parse_port) {
            self.explicit(cmd, Addr::Tcp(Some(Bind::AnyV4), p), http);
        }
        // Without -b/-p, `-C` or an auto-loaded config/puma.rb decides.
    }

    fn http_server(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let bind = opt_last(args, &["--bind"], &["-b"]);
        let mut port = None;
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            if ["--bind", "-b", "--directory", "-d", "--protocol", "-p"].contains(&a) {
                i += 2;
                continue;
            }
            if !a.starts_with('-') {
                port = Some(a.to_string());
                break;
            }
            i += 1;
        }
        let explicit = bind.is_some() || port.is_some();
        let Some(p) = port_or(port.as_deref(), 8000) else {
            return;
        };
        let b = match &bind {
            Some(h) => bind_of_host(h),
            None => Some(Bind::Any),
        };
        let note = (!explicit)
            .then(|| "http.server listens on all interfaces, port 8000, by default".to_string());
        self.push(
            Addr::Tcp(b, p),
            Some(AppProtocol::Http),
            Protocol::Tcp,
            How::new(cmd, explicit).note(note),
        );
    }

    fn postgres(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let mut port = opt_last(args, &["--port"], &["-p"]);
        let mut listen = opt_last(args, &["--listen_addresses", "--listen-addresses"], &["-h"]);
        let mut config = false;
        for c in opt_values(args, &[], &["-c"]) {
            if let Some((k, v)) = c.split_once('=') {
                match k.trim() {
                    "port" => port = Some(v.to_string()),
                    "listen_addresses" => listen = Some(v.to_string()),
                    "config_file" => config = true,
                    _ => {}
                }
            }
        }
        let raw = Some(AppProtocol::Raw);
        if port.is_none() && listen.is_none() {
            if !config {
                self.server_default(cmd, "postgres", 5432, Some(Bind::Any), raw);
            }
            return;
        }
        let Some(port) = port_or(port.as_deref(), 5432) else {
            return;
        };
        let binds: Vec<Option<Bind>> = match &listen {
            None if config => vec![None],
            None => vec![Some(Bind::Any)],
            Some(l) => l
                .trim_matches('\'')
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(bind_of_host)
                .collect(),
        };
        self.explicit_binds(cmd, binds, port, raw);
    }

    fn mysql(&mut self, cmd: &Cmd, prog: &'static str) {
        let args = cmd.args();
        if has_flag(args, &["--skip-networking"]) {
            return;
        }
        let port = opt_last(args, &["--port"], &["-P"]);
        let bind = opt_last(args, &["--bind-address", "--bind_address"], &[]);
        let config = has_flag(args, &["--defaults-file", "--defaults-extra-file"]);
        let raw = Some(AppProtocol::Raw);
        if port.is_none() && bind.is_none() {
            if !config {
                self.server_default(cmd, prog, 3306, Some(Bind::Any), raw);
                if prog == "mysqld" && self.image_prog == Some(prog) {
                    self.server_default(cmd, prog, 33060, Some(Bind::Any), raw);
                }
            }
            return;
        }
        let Some(port) = port_or(port.as_deref(), 3306) else {
            return;
        };
        let binds: Vec<Option<Bind>> = match &bind {
            None if config => vec![None],
            None => vec![Some(Bind::Any)],
            Some(l) => host_list(l),
        };
        self.explicit_binds(cmd, binds, port, raw);
    }

    fn mongo(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let raw = Some(AppProtocol::Raw);
        let port = opt_last(args, &["--port"], &[]);
        let bind_ip = opt_last(args, &["--bind_ip"], &[]);
        let all = has_flag(args, &["--bind_ip_all"]);
        let config = has_flag(args, &["--config", "-f"]);
        let official = self.image_prog == Some("mongod");
        let default_port = if has_flag(args, &["--shardsvr"]) {
            27018
        } else if has_flag(args, &["--configsvr"]) {
            27019
        } else {
            27017
        };
        let all_bind = if has_flag(args, &["--ipv6"]) {
            Bind::Any
        } else {
            Bind::AnyV4
        };
        if port.is_none() && bind_ip.is_none() && !all {
            if config {
                return;
            }
            if official {
                // The image's entrypoint appends --bind_ip_all.
                self.server_default(cmd, "mongod", default_port, Some(all_bind), raw);
            } else {
                self.server_default(cmd, "mongod", default_port, Some(loopback()), raw);
            }
            return;
        }
        let Some(port) = port_or(port.as_deref(), default_port) else {
            return;
        };
        let binds: Vec<Option<Bind>> = if all {
            vec![Some(all_bind)]
        } else if let Some(l) = &bind_ip {
            host_list(l)
        } else if config {
            vec![None]
        } else if official {
            vec![Some(all_bind)]
        } else {
            vec![Some(loopback())]
        };
        self.explicit_binds(cmd, binds, port, raw);
    }

    fn memcached(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let raw = Some(AppProtocol::Raw);
        if let Some(path) = opt_last(args, &["--unix-socket"], &["-s"]) {
            // A unix socket disables network support.
            self.explicit(cmd, Addr::Unix(path), raw);
            return;
        }
        let port = opt_last(args, &["--port"], &["-p"]);
        let listen = opt_last(args, &["--listen"], &["-l"]);
        if port.is_none() && listen.is_none() {
            self.server_default(cmd, "memcached", 11211, Some(Bind::AnyV4), raw);
            return;
        }
        let Some(port) = port_or(port.as_deref(), 11211) else {
            return;
        };
        let binds: Vec<Option<Bind>> = match &listen {
            None => vec![Some(Bind::AnyV4)],
            Some(l) => l
                .split(',')
                .map(|h| bind_of_host(split_hostport(h.trim()).0.as_str()))
                .collect(),
        };
        self.explicit_binds(cmd, binds, port, raw);
    }

    fn rabbitmq(&mut self, cmd: &Cmd) {
        let raw = Some(AppProtocol::Raw);
        match cmd.var("RABBITMQ_NODE_PORT") {
            Some(v) => {
                if let Some(p) = v.value.as_deref().and_then(parse_port) {
                    self.push(
                        Addr::Tcp(Some(Bind::Any), p),
                        raw,
                        Protocol::Tcp,
                        How::explicit(cmd).env("RABBITMQ_NODE_PORT"),
                    );
                }
            }
            None => self.server_default(cmd, "rabbitmq-server", 5672, Some(Bind::Any), raw),
        }
        let management = self
            .image
            .as_ref()
            .is_some_and(|(n, t)| n == "rabbitmq" && t.contains("management"));
        if management {
            self.server_default(
                cmd,
                "rabbitmq-server",
                15672,
                Some(Bind::Any),
                Some(AppProtocol::Http),
            );
        }
    }

    fn oauth2_proxy(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let http = Some(AppProtocol::Http);
        let (value, env) = match opt_last(args, &["--http-address"], &[]) {
            Some(v) => (Some(v), None),
            None => match cmd.var("OAUTH2_PROXY_HTTP_ADDRESS") {
                Some(v) => (v.value.clone(), Some("OAUTH2_PROXY_HTTP_ADDRESS")),
                None => (None, None),
            },
        };
        let Some(v) = value else {
            if env.is_none() && !has_flag(args, &["--config"]) {
                self.documented_default(cmd, "oauth2-proxy", 4180, Some(loopback()), http);
            }
            return;
        };
        let addr = if let Some(p) = v.strip_prefix("unix://") {
            Some(Addr::Unix(p.to_string()))
        } else {
            let hp = v.strip_prefix("http://").unwrap_or(&v);
            let (h, p) = split_hostport(hp);
            p.as_deref()
                .and_then(parse_port)
                .map(|p| Addr::Tcp(bind_of_host(&h), p))
        };
        if let Some(a) = addr {
            self.push(a, http, Protocol::Tcp, How::explicit(cmd).env(env));
        }
    }

    fn prometheus(&mut self, cmd: &Cmd) {
        let http = Some(AppProtocol::Http);
        match opt_last(cmd.args(), &["--web.listen-address"], &[]) {
            Some(v) => {
                let (h, p) = split_hostport(&v);
                if let Some(p) = p.as_deref().and_then(parse_port) {
                    self.explicit(cmd, Addr::Tcp(bind_of_host(&h), p), http);
                }
            }
            None => self.server_default(cmd, "prometheus", 9090, Some(Bind::AnyV4), http),
        }
    }

    fn vite(&mut self, cmd: &Cmd) {
        let sub = cmd.words.get(1).map(String::as_str);
        let (start, default_port) = match sub {
            Some("dev" | "serve") => (2, 5173),
            Some("preview") => (2, 4173),
            Some("build" | "optimize") => return,
            _ => (1, 5173),
        };
        let args = &cmd.words[start.min(cmd.words.len())..];
        // `--host` without a value listens on all addresses.
        let host = args
            .iter()
            .position(|a| a == "--host")
            .map(|i| match args.get(i + 1) {
                Some(v) if !v.starts_with('-') => v.clone(),
                _ => "0.0.0.0".to_string(),
            });
        let host = host.or_else(|| opt_last(args, &["--host"], &[]));
        let port = opt_last(args, &["--port"], &[]);
        self.host_port(
            cmd,
            "vite",
            (host, None),
            (port, None),
            (loopback(), default_port),
        );
    }

    fn dotnet(&mut self, cmd: &Cmd) {
        let Some(urls) = opt_last(cmd.args(), &["--urls"], &[]) else {
            return;
        };
        self.urls_on_command_line = true;
        for u in urls.split(';') {
            if let Some(a) = parse_url(u) {
                self.explicit(cmd, a, Some(AppProtocol::Http));
            }
        }
    }

    fn thrust(&mut self, cmd: &Cmd, depth: u8) {
        let http_port = cmd
            .var("HTTP_PORT")
            .or_else(|| cmd.var("THRUSTER_HTTP_PORT"))
            .map(|v| v.value.clone());
        let (port, explicit) = match http_port {
            Some(v) => (v.as_deref().and_then(parse_port), true),
            None => (Some(80), false),
        };
        if let Some(p) = port {
            let note = (!explicit).then(|| "thruster listens on port 80 by default".to_string());
            self.push(
                Addr::Tcp(Some(Bind::Any), p),
                Some(AppProtocol::Http),
                Protocol::Tcp,
                How::new(cmd, explicit).note(note),
            );
        }
        let mut inner = cmd.clone();
        inner.words.remove(0);
        let target = cmd
            .var("TARGET_PORT")
            .or_else(|| cmd.var("THRUSTER_TARGET_PORT"))
            .and_then(|v| v.value.clone())
            .unwrap_or_else(|| "3000".into());
        inner.env.insert("PORT".into(), EnvVal::set(target));
        strip_launchers(&mut inner);
        self.dispatch(&inner, depth + 1);
    }

    /// `ASPNETCORE_URLS` (wins) or `ASPNETCORE_HTTP_PORTS`/`_HTTPS_PORTS`.
    fn aspnet_env(&mut self, env: &Env) {
        let http = Some(AppProtocol::Http);
        let push = |cx: &mut Ctx, name: &'static str, a: Addr| {
            let v = env.get(name);
            cx.out.push(Listener {
                port: match &a {
                    Addr::Tcp(_, p) => Some(*p),
                    Addr::Unix(_) => None,
                },
                protocol: Protocol::Tcp,
                bind: match a {
                    Addr::Tcp(b, _) => b,
                    Addr::Unix(p) => Some(Bind::Unix(p)),
                },
                app_protocol: http,
                provenance: Provenance {
                    kind: ProvenanceKind::Env,
                    detail: format!(
                        "{name}={}",
                        v.and_then(|v| v.value.clone()).unwrap_or_default()
                    ),
                    span: v.and_then(|v| v.span),
                },
                certainty: Certainty::Stated,
            });
        };
        if let Some(v) = env.get("ASPNETCORE_URLS") {
            for u in v.value.as_deref().unwrap_or_default().split(';') {
                if let Some(a) = parse_url(u) {
                    push(self, "ASPNETCORE_URLS", a);
                }
            }
            return;
        }
        for name in ["ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS"] {
            if let Some(v) = env.get(name) {
                for p in v
                    .value
                    .as_deref()
                    .unwrap_or_default()
                    .split(';')
                    .filter_map(parse_port)
                {
                    push(self, name, Addr::Tcp(Some(Bind::Any), p));
                }
            }
        }
    }
}

/// A comma-separated host list (`a, b`) as binds; `*` is every interface.
fn host_list(l: &str) -> Vec<Option<Bind>> {
    l.split(',').map(str::trim).map(bind_of_host).collect()
}

fn bind_of_host(host: &str) -> Option<Bind> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    match h {
        "" | "0.0.0.0" | "0" => Some(Bind::AnyV4),
        "::" | "*" | "+" => Some(Bind::Any),
        "localhost" => Some(Bind::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))),
        _ => h.parse::<IpAddr>().ok().map(Bind::Ip),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::topology::model::{ContainerRole, EnvVar};

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

    #[test]
    fn expose_becomes_a_stated_listener_without_bind() {
        let mut c = container("busybox", &[], &[]);
        exposed(&mut c, 6001, 10);
        let l = filled(c);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(6001), None));
        assert_eq!(l.certainty, Certainty::Stated);
        assert_eq!(l.provenance.kind, ProvenanceKind::Expose);
        assert_eq!(l.provenance.detail, "expose: 6001");
        assert_eq!(l.provenance.span, Some(span(10)));
    }

    #[test]
    fn published_and_container_ports_keep_their_kind() {
        let mut c = container("busybox", &[], &[]);
        c.ports.push(DeclaredPort {
            kind: PortKind::Published,
            container_port: 80,
            host_port: Some(8080),
            host_ip: None,
            protocol: Protocol::Tcp,
            name: None,
            span: Some(span(1)),
            host_span: Some(span(0)),
        });
        c.ports.push(DeclaredPort {
            kind: PortKind::ContainerPort,
            container_port: 53,
            host_port: None,
            host_ip: None,
            protocol: Protocol::Udp,
            name: None,
            span: Some(span(2)),
            host_span: None,
        });
        let l = filled(c);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].provenance.kind, ProvenanceKind::PublishedPort);
        assert_eq!(l[0].provenance.detail, "ports: 8080:80");
        assert_eq!(l[1].provenance.kind, ProvenanceKind::ContainerPort);
        assert_eq!(l[1].protocol, Protocol::Udp);
    }

    #[test]
    fn flask_run_defaults_to_loopback_5000() {
        let l = run("python:3.12", &["flask", "run"], &[]);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(5000), lo()));
        assert_eq!(l.certainty, Certainty::Inferred);
        assert_eq!(l.provenance.kind, ProvenanceKind::Command);
        assert_eq!(l.app_protocol, Some(AppProtocol::Http));
        assert!(
            l.provenance.detail.starts_with("flask run"),
            "{}",
            l.provenance.detail
        );
        let l = run("", &["python", "-m", "flask", "--app", "x", "run"], &[]);
        assert_eq!(tcp(one(&l)), (Some(5000), lo()));
    }

    #[test]
    fn flask_run_with_explicit_host_and_port() {
        let l = run("", &["flask", "run", "--host=0.0.0.0", "--port=6001"], &[]);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(6001), Some(Bind::AnyV4)));
        assert_eq!(l.certainty, Certainty::Stated);
        let l = run("", &["flask", "run", "-h", "0.0.0.0", "-p", "7000"], &[]);
        assert_eq!(tcp(one(&l)), (Some(7000), Some(Bind::AnyV4)));
        let l = run("", &["flask", "run"], &[("FLASK_RUN_HOST", "0.0.0.0")]);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(5000), Some(Bind::AnyV4)));
        assert_eq!(l.provenance.kind, ProvenanceKind::Env);
        assert_eq!(l.provenance.span, Some(span(100)));
    }

    #[test]
    fn gunicorn_defaults_and_port_env() {
        let l = run("", &["gunicorn", "app:app"], &[]);
        assert_eq!(tcp(one(&l)), (Some(8000), lo()));
        let l = run("", &["gunicorn", "app:app"], &[("PORT", "8080")]);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(8080), Some(Bind::AnyV4)));
        assert_eq!(l.provenance.kind, ProvenanceKind::Env);
        let l = run(
            "",
            &["gunicorn", "app:app"],
            &[("GUNICORN_CMD_ARGS", "--workers 3 --bind=0.0.0.0:9000")],
        );
        assert_eq!(tcp(one(&l)), (Some(9000), Some(Bind::AnyV4)));
        // A config file decides.
        assert!(run("", &["gunicorn", "-c", "gunicorn.conf.py", "app:app"], &[]).is_empty());
    }

    #[test]
    fn gunicorn_in_a_shell_script() {
        let l = run("", &["sh", "-c", "exec gunicorn -b :8000 app:app"], &[]);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(8000), Some(Bind::AnyV4)));
        assert_eq!(l.certainty, Certainty::Stated);
        assert!(l.provenance.detail.contains("gunicorn -b :8000"));
        let l = run(
            "",
            &[
                "/bin/bash",
                "-ec",
                "python manage.py migrate && FOO=1 exec poetry run gunicorn --bind [::]:8001 --bind unix:/run/g.sock app:app",
            ],
            &[],
        );
        assert_eq!(l.len(), 2, "{l:#?}");
        assert_eq!(tcp(&l[0]), (Some(8001), Some(Bind::Any)));
        assert_eq!(l[1].bind, Some(Bind::Unix("/run/g.sock".into())));
        assert_eq!(l[1].port, None);
    }

    #[test]
    fn shell_expansion_uses_env_and_defaults() {
        let l = run(
            "",
            &["sh", "-c", "gunicorn -b 0.0.0.0:${PORT:-8000} app:app"],
            &[],
        );
        let l = one(&l);
        assert_eq!(tcp(l), (Some(8000), Some(Bind::AnyV4)));
        assert_eq!(l.certainty, Certainty::Inferred);
        let l = run(
            "",
            &["sh", "-c", "gunicorn -b 0.0.0.0:${PORT:-8000} app:app"],
            &[("PORT", "9001")],
        );
        assert_eq!(tcp(one(&l)), (Some(9001), Some(Bind::AnyV4)));
        // Kubernetes `$(VAR)`.
        let l = run(
            "",
            &[
                "uvicorn",
                "--host",
                "0.0.0.0",
                "--port",
                "$(APP_PORT)",
                "m:app",
            ],
            &[("APP_PORT", "7777")],
        );
        assert_eq!(tcp(one(&l)), (Some(7777), Some(Bind::AnyV4)));
        // A literal `$PORT` without a shell is nothing we can read.
        assert!(run("", &["gunicorn", "-b", "0.0.0.0:$PORT", "app:app"], &[]).is_empty());
    }

    #[test]
    fn launchers_are_stripped() {
        for argv in [
            v(&["tini", "--", "uvicorn", "main:app"]),
            v(&["dumb-init", "uvicorn", "main:app"]),
            v(&["uv", "run", "--frozen", "uvicorn", "main:app"]),
            v(&["pipenv", "run", "python", "-m", "uvicorn", "main:app"]),
            v(&["env", "A=1", "python3", "-u", "-m", "uvicorn", "main:app"]),
        ] {
            let mut c = container("", &[], &[]);
            c.entrypoint = argv.clone();
            let l = filled(c);
            assert_eq!(tcp(one(&l)), (Some(8000), lo()), "{argv:?}");
        }
    }

    #[test]
    fn uvicorn_hypercorn_waitress_fastapi_django() {
        let l = run(
            "",
            &["uvicorn", "m:app", "--host", "0.0.0.0", "--port", "80"],
            &[],
        );
        assert_eq!(tcp(one(&l)), (Some(80), Some(Bind::AnyV4)));
        let l = run("", &["uvicorn", "m:app", "--uds", "/tmp/u.sock"], &[]);
        assert_eq!(one(&l).bind, Some(Bind::Unix("/tmp/u.sock".into())));
        let l = run("", &["hypercorn", "m:app"], &[]);
        assert_eq!(tcp(one(&l)), (Some(8000), lo()));
        let l = run("", &["hypercorn", "-b", "0.0.0.0", "m:app"], &[]);
        assert_eq!(tcp(one(&l)), (Some(8000), Some(Bind::AnyV4)));
        let l = run("", &["waitress-serve", "app:app"], &[]);
        assert_eq!(tcp(one(&l)), (Some(8080), Some(Bind::AnyV4)));
        let l = run("", &["waitress-serve", "--listen=*:9000", "app:app"], &[]);
        assert_eq!(tcp(one(&l)), (Some(9000), Some(Bind::Any)));
        let l = run("", &["fastapi", "run", "main.py"], &[]);
        assert_eq!(tcp(one(&l)), (Some(8000), Some(Bind::AnyV4)));
        let l = run("", &["fastapi", "dev", "main.py", "--port", "8001"], &[]);
        assert_eq!(tcp(one(&l)), (Some(8001), lo()));
        let l = run("", &["python", "manage.py", "runserver"], &[]);
        assert_eq!(tcp(one(&l)), (Some(8000), lo()));
        let l = run(
            "",
            &["python", "manage.py", "runserver", "0.0.0.0:8000"],
            &[],
        );
        assert_eq!(tcp(one(&l)), (Some(8000), Some(Bind::AnyV4)));
        let l = run("", &["django-admin", "runserver", "9000"], &[]);
        assert_eq!(tcp(one(&l)), (Some(9000), lo()));
        assert!(run("", &["python", "manage.py", "migrate"], &[]).is_empty());
    }

    #[test]
    fn uwsgi_sockets_and_protocols() {
        let l = run("", &["uwsgi", "--socket", ":3031", "--module", "app"], &[]);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(3031), Some(Bind::AnyV4)));
        assert_eq!(l.app_protocol, Some(AppProtocol::Uwsgi));
        let l = run("", &["uwsgi", "--http-socket", "/tmp/app.sock"], &[]);
        let l = one(&l);
        assert_eq!(l.port, None);
        assert_eq!(l.bind, Some(Bind::Unix("/tmp/app.sock".into())));
        assert_eq!(l.app_protocol, Some(AppProtocol::Http));
        let l = run(
            "",
            &["uwsgi", "--http=0.0.0.0:8000", "-s", "127.0.0.1:3031"],
            &[],
        );
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].app_protocol, Some(AppProtocol::Http));
        assert_eq!(tcp(&l[1]), (Some(3031), lo()));
        assert!(run("", &["uwsgi", "--ini", "/etc/uwsgi/app.ini"], &[]).is_empty());
        assert!(run("", &["uwsgi", "app.ini"], &[]).is_empty());
        assert!(run("", &["uwsgi", "--module", "app"], &[]).is_empty());
    }

    #[test]
    fn aspnet_urls_env() {
        let l = run(
            "myapp",
            &[],
            &[(
                "ASPNETCORE_URLS",
                "http://0.0.0.0:5000;http://localhost:5001",
            )],
        );
        assert_eq!(l.len(), 2);
        assert_eq!(tcp(&l[0]), (Some(5000), Some(Bind::AnyV4)));
        assert_eq!(tcp(&l[1]), (Some(5001), lo()));
        assert_eq!(l[0].provenance.kind, ProvenanceKind::Env);
        assert_eq!(l[0].provenance.span, Some(span(100)));
        let l = run("myapp", &[], &[("ASPNETCORE_URLS", "http://+:8080")]);
        assert_eq!(tcp(one(&l)), (Some(8080), Some(Bind::Any)));
        let l = run("myapp", &[], &[("ASPNETCORE_HTTP_PORTS", "8080")]);
        assert_eq!(tcp(one(&l)), (Some(8080), Some(Bind::Any)));
    }

    #[test]
    fn image_defaults() {
        let l = run("docker.io/library/postgres:16-alpine", &[], &[]);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(5432), Some(Bind::Any)));
        assert_eq!(l.certainty, Certainty::Assumed);
        assert_eq!(l.provenance.kind, ProvenanceKind::ImageDefault);
        assert_eq!(
            l.provenance.detail,
            "image postgres:16-alpine listens on 5432 by default"
        );
        for (image, port) in [
            ("bitnami/redis", 6379),
            ("mariadb:11@sha256:abc", 3306),
            ("mongo", 27017),
            ("memcached:1.6", 11211),
            ("rabbitmq:3", 5672),
            ("httpd:2.4", 80),
        ] {
            let l = run(image, &[], &[]);
            assert_eq!(l[0].port, Some(port), "{image}");
            assert_eq!(l[0].certainty, Certainty::Assumed, "{image}");
        }
        assert!(run("nginx:1.27", &[], &[]).is_empty());
        assert!(run("python:3.12", &[], &[]).is_empty());
        // Options only: the image's entrypoint runs its server with them.
        let l = run("postgres:16", &["-c", "max_connections=200"], &[]);
        assert_eq!(tcp(one(&l)), (Some(5432), Some(Bind::Any)));
        let l = run("postgres:16", &["postgres", "-p", "5433"], &[]);
        assert_eq!(tcp(one(&l)), (Some(5433), Some(Bind::Any)));
        assert_eq!(l[0].certainty, Certainty::Stated);
    }

    #[test]
    fn php_fpm_image_is_fastcgi_9000() {
        let l = run("php:8.2-fpm", &[], &[]);
        let l = one(&l);
        assert_eq!(l.port, Some(9000));
        assert_eq!(l.app_protocol, Some(AppProtocol::Fastcgi));
        assert_eq!(l.certainty, Certainty::Assumed);
        assert_eq!(l.provenance.kind, ProvenanceKind::ImageDefault);
        let l = run("myorg/app", &["php-fpm8.2", "-F"], &[]);
        assert_eq!(one(&l).app_protocol, Some(AppProtocol::Fastcgi));
        assert!(run("php:8.2-cli", &[], &[]).is_empty());
        let l = run("wordpress:6-php8.2-fpm-alpine", &[], &[]);
        assert_eq!(one(&l).port, Some(9000));
        // A pool config mounted over the image's decides the address.
        let mut c = container("php:8.3-fpm-alpine", &[], &[]);
        c.mounts.push(crate::topology::model::Mount {
            volume: 0,
            target: "/usr/local/etc/php-fpm.d/zz-socket.conf".into(),
            read_only: true,
            sub_path: Some("zz-socket.conf".into()),
            span: None,
        });
        assert!(filled(c).is_empty());
    }

    #[test]
    fn redis_binds_and_config_files() {
        let l = run("redis:7", &["redis-server", "--bind", "127.0.0.1"], &[]);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(6379), lo()));
        assert_eq!(l.certainty, Certainty::Stated);
        assert!(
            run(
                "redis:7",
                &["redis-server", "/usr/local/etc/redis/redis.conf"],
                &[]
            )
            .is_empty()
        );
        let l = run("redis:7", &["redis-server", "--appendonly", "yes"], &[]);
        assert_eq!(one(&l).certainty, Certainty::Assumed);
        let l = run("redis:7", &["--port", "7000"], &[]);
        assert_eq!(tcp(one(&l)), (Some(7000), Some(Bind::Any)));
    }

    #[test]
    fn expose_and_command_merge_into_one_listener() {
        let mut c = container("python:3.12", &["flask", "run", "--port", "6001"], &[]);
        exposed(&mut c, 6001, 40);
        let l = filled(c);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(6001), lo()));
        assert_eq!(l.provenance.kind, ProvenanceKind::Command);
        assert_eq!(l.provenance.span, Some(span(40)));
        assert_eq!(l.certainty, Certainty::Stated);
    }

    #[test]
    fn declaration_beats_defaults_but_takes_their_bind() {
        let mut c = container("", &["gunicorn", "app:app"], &[]);
        exposed(&mut c, 8000, 7);
        let l = filled(c);
        let l = one(&l);
        assert_eq!(tcp(l), (Some(8000), lo()));
        assert_eq!(l.provenance.kind, ProvenanceKind::Expose);
        assert_eq!(l.provenance.span, Some(span(7)));
        assert!(
            l.provenance.detail.contains("gunicorn"),
            "{}",
            l.provenance.detail
        );
        let mut c = container("redis", &[], &[]);
        exposed(&mut c, 6379, 9);
        let l = filled(c);
        let l = one(&l);
        assert_eq!(l.provenance.kind, ProvenanceKind::Expose);
        assert_eq!(l.bind, Some(Bind::Any));
        assert_eq!(l.app_protocol, Some(AppProtocol::Raw));
    }

    #[test]
    fn probes_already_present_are_kept_and_merged() {
        let mut c = container("", &["uvicorn", "m:app", "--port", "8080"], &[]);
        c.listeners.push(Listener {
            port: Some(8080),
            protocol: Protocol::Tcp,
            bind: None,
            app_protocol: Some(AppProtocol::Http),
            provenance: Provenance {
                kind: ProvenanceKind::Probe,
                detail: "readinessProbe httpGet 8080".into(),
                span: Some(span(3)),
            },
            certainty: Certainty::Stated,
        });
        c.listeners.push(Listener {
            port: Some(9090),
            protocol: Protocol::Tcp,
            bind: None,
            app_protocol: None,
            provenance: Provenance {
                kind: ProvenanceKind::Probe,
                detail: "livenessProbe tcpSocket 9090".into(),
                span: Some(span(5)),
            },
            certainty: Certainty::Stated,
        });
        let l = filled(c);
        assert_eq!(l.len(), 2, "{l:#?}");
        assert_eq!(tcp(&l[0]), (Some(8080), lo()));
        assert_eq!(l[0].provenance.kind, ProvenanceKind::Command);
        assert_eq!(l[0].provenance.span, Some(span(3)));
        assert_eq!(l[1].port, Some(9090));
    }

    #[test]
    fn unix_sockets_merge_by_path_and_portless_facts_stay_apart() {
        let probe = |detail: &str| Listener {
            port: None,
            protocol: Protocol::Tcp,
            bind: None,
            app_protocol: None,
            provenance: Provenance {
                kind: ProvenanceKind::Probe,
                detail: detail.into(),
                span: None,
            },
            certainty: Certainty::Stated,
        };
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

    #[test]
    fn other_servers() {
        let l = run("", &["next", "start", "-p", "4000"], &[]);
        assert_eq!(tcp(one(&l)), (Some(4000), Some(Bind::AnyV4)));
        let l = run("", &["npx", "next", "start"], &[("PORT", "3001")]);
        assert_eq!(tcp(one(&l)), (Some(3001), Some(Bind::AnyV4)));
        let l = run("", &["bundle", "exec", "rails", "s", "-b", "0.0.0.0"], &[]);
        assert_eq!(tcp(one(&l)), (Some(3000), Some(Bind::AnyV4)));
        let l = run(
            "",
            &["bin/rails", "server"],
            &[("RAILS_ENV", "development")],
        );
        assert_eq!(tcp(one(&l)), (Some(3000), lo()));
        let l = run("", &["puma", "-b", "tcp://0.0.0.0:9292"], &[]);
        assert_eq!(tcp(one(&l)), (Some(9292), Some(Bind::AnyV4)));
        assert!(run("", &["puma", "-C", "config/puma.rb"], &[]).is_empty());
        let l = run("", &["python3", "-m", "http.server", "9000"], &[]);
        assert_eq!(tcp(one(&l)), (Some(9000), Some(Bind::Any)));
        let l = run(
            "",
            &["python", "-m", "http.server", "--bind", "127.0.0.1"],
            &[],
        );
        assert_eq!(tcp(one(&l)), (Some(8000), lo()));
        let l = run(
            "quay.io/oauth2-proxy/oauth2-proxy:v7",
            &["--upstream=http://app"],
            &[],
        );
        assert_eq!(tcp(one(&l)), (Some(4180), lo()));
    }

    #[test]
    fn unknown_commands_add_nothing() {
        assert!(run("node:20", &["node", "server.js"], &[]).is_empty());
        assert!(run("", &["npm", "start"], &[]).is_empty());
        assert!(run("python:3.12", &["python", "app.py"], &[]).is_empty());
        // An entrypoint override of a known image hides its default.
        assert!(run("postgres", &["/custom/start.sh"], &[]).is_empty());
        // nginx gets its listeners from its config.
        assert!(run("nginx", &["nginx", "-g", "daemon off;"], &[]).is_empty());
    }

    #[test]
    fn hosts_map_to_binds() {
        assert_eq!(bind_of_host(""), Some(Bind::AnyV4));
        assert_eq!(bind_of_host("[::]"), Some(Bind::Any));
        assert!(bind_of_host("localhost").unwrap().is_loopback());
        assert_eq!(
            image_parts("localhost:5000/a/redis:7@sha256:x"),
            ("redis".into(), "7".into())
        );
    }
}

//! Server recognizers: the registry of well-known servers, and what they
//! share — turning an address and how it was found into a listener, the
//! documented defaults of servers and images, `--host`/`--port` servers.
//! One file per ecosystem holds the recognizers; adding one touches its file
//! and one line of [`SERVERS`].

mod datastores;
mod generic;
mod misc;
mod node;
mod php;
mod python;
mod ruby;

use super::command::{Cmd, Env, EnvVal, commands};
use super::images::{defaults_without_command, image_default, image_parts, image_program};
use super::options::{bind_of_host, bind_text, opt_last, parse_port, port_or};
use crate::topology::model::{
    AppProtocol, Bind, Certainty, Container, Listener, Mount, Protocol, Provenance, ProvenanceKind,
};
use php::is_php_fpm;

/// The listeners a container's command, environment and image imply.
pub(super) fn from_runtime(c: &Container) -> Vec<Listener> {
    let env: Env = c
        .env
        .iter()
        .map(|e| {
            let val = EnvVal {
                value: e.value.clone(),
                span: e.span,
            };
            (e.name.clone(), val)
        })
        .collect();
    let image = c.image.as_deref().map(image_parts);
    let image_prog = image.as_ref().and_then(|(n, t)| image_program(n, t));
    let mut cx = Ctx {
        image,
        image_prog,
        out: Vec::new(),
        urls_on_command_line: false,
        recognized: false,
        mounts: c.mounts.clone(),
    };
    let argv: Vec<String> = c.argv();
    let mut cmds = Vec::new();
    if argv.is_empty() {
        if let Some(prog) = image_prog {
            let cmd = Cmd {
                implicit: true,
                ..Cmd::new(vec![prog.to_string()], env.clone())
            };
            cx.dispatch(&cmd);
        } else if let Some((name, _)) = &cx.image {
            cx.out.extend(defaults_without_command(name));
        }
    } else {
        cmds = commands(&argv, &env, 0);
        for cmd in &cmds {
            let mut cmd = cmd.clone();
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
            cx.dispatch(&cmd);
        }
    }
    if !cx.urls_on_command_line {
        cx.aspnet_env(&env);
    }
    if !cx.recognized && cx.out.is_empty() {
        cx.outside_catalogue(&cmds, &env);
    }
    cx.out
}

/// How a recognizer reads the listeners of a command that runs its server.
type Recognize = fn(&mut Ctx, &Cmd);

/// How a server's program is named: the basename of a command's first word.
enum Program {
    /// One of these names.
    Named(&'static [&'static str]),
    /// Any name the predicate accepts (versioned binaries: `php8.2-fpm`).
    Matching(fn(&str) -> bool),
}

/// A well-known server: the program it runs as, and its recognizer.
struct Server {
    /// The program names it answers to.
    program: Program,
    /// Its recognizer.
    read: Recognize,
}

impl Server {
    const fn named(names: &'static [&'static str], read: Recognize) -> Self {
        Server {
            program: Program::Named(names),
            read,
        }
    }

    const fn matching(is: fn(&str) -> bool, read: Recognize) -> Self {
        Server {
            program: Program::Matching(is),
            read,
        }
    }

    /// Whether a command running `prog` runs this server.
    fn runs(&self, prog: &str) -> bool {
        match self.program {
            Program::Named(names) => names.contains(&prog),
            Program::Matching(is) => is(prog),
        }
    }
}

/// The registry of server recognizers; the first whose program matches
/// reads the command. A new server: its recognizer, and one line here.
const SERVERS: &[Server] = &[
    Server::named(&["gunicorn"], Ctx::gunicorn),
    Server::named(&["uvicorn"], Ctx::uvicorn),
    Server::named(&["hypercorn"], Ctx::hypercorn),
    Server::named(&["flask"], Ctx::flask),
    Server::named(
        &["manage.py", "django-admin", "django-admin.py", "django"],
        Ctx::django,
    ),
    Server::named(&["fastapi"], Ctx::fastapi),
    Server::named(&["waitress-serve", "waitress"], Ctx::waitress),
    Server::named(&["uwsgi"], Ctx::uwsgi),
    Server::named(&["redis-server", "valkey-server"], Ctx::redis),
    Server::named(&["next"], Ctx::next),
    Server::named(&["rails"], Ctx::rails),
    Server::named(&["puma"], Ctx::puma),
    Server::named(&["http.server"], Ctx::http_server),
    Server::named(&["postgres"], Ctx::postgres),
    Server::named(&["mysqld"], Ctx::mysqld),
    Server::named(&["mariadbd"], Ctx::mariadbd),
    Server::named(&["mongod"], Ctx::mongo),
    Server::named(&["memcached"], Ctx::memcached),
    Server::named(&["httpd-foreground", "apache2-foreground"], Ctx::apache),
    Server::named(&["rabbitmq-server"], Ctx::rabbitmq),
    Server::named(&["oauth2-proxy"], Ctx::oauth2_proxy),
    Server::named(&["prometheus"], Ctx::prometheus),
    Server::named(&["vite"], Ctx::vite),
    Server::named(&["dotnet"], Ctx::dotnet),
    Server::named(&["thrust"], Ctx::thrust),
    Server::matching(is_php_fpm, Ctx::php_fpm),
];

/// A listen address parsed from a server's option.
#[derive(Debug, Clone, PartialEq)]
enum Addr {
    /// A TCP (or UDP) port on a bind; the bind is `None` when unknown.
    Tcp(Option<Bind>, u16),
    /// A unix socket path.
    Unix(String),
}

/// What the recognizers of one container share: its image, its mounts,
/// and the listeners found so far.
struct Ctx {
    /// The image's name and tag.
    image: Option<(String, String)>,
    /// The server the image runs by default.
    image_prog: Option<&'static str>,
    /// The listeners found.
    out: Vec<Listener>,
    /// `dotnet --urls` was given: `ASPNETCORE_URLS` no longer applies.
    urls_on_command_line: bool,
    /// A recognizer read one of the commands: what it did not place, a
    /// program outside the catalogue must not guess.
    recognized: bool,
    /// The container's mounts.
    mounts: Vec<Mount>,
}

/// How a listener was found, for its provenance and certainty.
struct How<'a> {
    /// The command that runs the server.
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
    /// Records a listener at `addr`, its provenance and certainty from `how`.
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
        let provenance = Provenance::new(kind, detail, span);
        let listener = Listener::new(port, provenance, certainty)
            .over(protocol)
            .bound(bind)
            .speaks(app);
        self.out.push(listener);
    }

    /// An address `cmd` writes out, on a stream socket.
    fn explicit(&mut self, cmd: &Cmd, addr: Addr, app: Option<AppProtocol>) {
        self.push(addr, app, Protocol::Tcp, How::explicit(cmd));
    }

    /// The port written (`default` when only the addresses are) on each
    /// of `binds`; nothing when what is written is not a port.
    fn explicit_binds(
        &mut self,
        cmd: &Cmd,
        binds: Vec<Option<Bind>>,
        (written, default): (Option<&str>, u16),
        app: Option<AppProtocol>,
    ) {
        let Some(port) = port_or(written, default) else {
            return;
        };
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
        bind: Bind,
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
            self.out
                .push(image_default(&image, port, bind, app, &written));
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
        bind: Bind,
        app: Option<AppProtocol>,
    ) {
        let bind = Some(bind);
        let note = format!("{server} listens on {}:{port} by default", bind_text(&bind));
        self.push(
            Addr::Tcp(bind, port),
            app,
            Protocol::Tcp,
            How::inferred(cmd).note(note),
        );
    }

    /// Runs the recognizer of the server `cmd` runs, if it is one we know.
    fn dispatch(&mut self, cmd: &Cmd) {
        if cmd.words.is_empty() {
            return;
        }
        let prog = cmd.program();
        if let Some(server) = SERVERS.iter().find(|s| s.runs(prog)) {
            self.recognized = true;
            (server.read)(self, cmd);
        }
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
        let (bind, host_said) = written_or_env(cmd, host, default.0.clone(), bind_of_host);
        let (port, port_said) = written_or_env(cmd, port, default.1, parse_port);
        let explicit = host_said != Said::Default || port_said != Said::Default;
        let env = match (host_said, port_said) {
            (Said::Written, _) | (_, Said::Written) => None,
            (_, Said::Env(n)) | (Said::Env(n), _) => Some(n),
            (Said::Default, Said::Default) => None,
        };
        let Some(port) = port else { return };
        let note = (!explicit).then(|| {
            format!(
                "{server} listens on {}:{} by default",
                bind_text(&Some(default.0.clone())),
                default.1
            )
        });
        self.push(
            Addr::Tcp(bind, port),
            Some(AppProtocol::Http),
            Protocol::Tcp,
            How::new(cmd, explicit).env(env).note(note),
        );
    }
}

/// An option that gives a `--host`/`--port` server its host or its port:
/// its long and short spellings, and the environment variable the server
/// reads when it is not given.
#[derive(Clone, Copy)]
struct Opt {
    long: &'static [&'static str],
    short: &'static [&'static str],
    env: Option<&'static str>,
}

impl Opt {
    /// Spelled `long` or `short`, with no environment fallback.
    const fn new(long: &'static [&'static str], short: &'static [&'static str]) -> Opt {
        Opt {
            long,
            short,
            env: None,
        }
    }

    /// Read from the environment variable `var` when not given.
    const fn or_env(self, var: &'static str) -> Opt {
        Opt {
            env: Some(var),
            ..self
        }
    }

    /// The value last given in `args`, and the variable to fall back to, as
    /// [`Ctx::host_port`] takes them.
    fn read(&self, args: &[String]) -> (Option<String>, Option<&'static str>) {
        (opt_last(args, self.long, self.short), self.env)
    }
}

/// Who gave a `--host`/`--port` server its host or its port.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Said {
    /// The option, on the command line.
    Written,
    /// This environment variable, the option being absent.
    Env(&'static str),
    /// Nobody: the server's default.
    Default,
}

/// A `--host`/`--port` server's value: the option `written`, else the
/// environment variable the server reads (when it is set), else `default`;
/// `parse` reads what is written (`None` when it is not a valid value).
fn written_or_env<T>(
    cmd: &Cmd,
    (written, var): (Option<String>, Option<&'static str>),
    default: T,
    parse: fn(&str) -> Option<T>,
) -> (Option<T>, Said) {
    if let Some(w) = written {
        return (parse(&w), Said::Written);
    }
    match var.and_then(|n| cmd.var(n).map(|v| (n, v))) {
        Some((n, v)) => (v.value.as_deref().and_then(parse), Said::Env(n)),
        None => (Some(default), Said::Default),
    }
}

//! Python servers: gunicorn, uvicorn, hypercorn, `flask run`, Django's
//! `runserver`, `fastapi run|dev`, waitress, uWSGI and `python -m http.server`.

use super::{Addr, Ctx, How, Opt};
use crate::topology::infer::command::Cmd;
use crate::topology::infer::options::{
    bind_of_host, first_positional, has_flag, loopback, opt_last, opt_values, parse_port, port_or,
    split_hostport,
};
use crate::topology::model::{AppProtocol, Bind, Protocol};
use crate::topology::shell;

impl Ctx {
    /// `gunicorn`: `-b`, then `GUNICORN_CMD_ARGS`, then `PORT`; `-c` decides otherwise.
    pub(super) fn gunicorn(&mut self, cmd: &Cmd) {
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
            .and_then(shell::words)
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
        self.documented_default(cmd, "gunicorn", 8000, loopback(), http);
    }

    /// `uvicorn`: `--host`/`--port` (or `UVICORN_*`), `--uds`; `--fd` is unknown.
    pub(super) fn uvicorn(&mut self, cmd: &Cmd) {
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
        let host = Opt::new(&["--host"], &[]).or_env("UVICORN_HOST");
        let port = Opt::new(&["--port"], &[]).or_env("UVICORN_PORT");
        self.host_port(
            cmd,
            "uvicorn",
            host.read(args),
            port.read(args),
            (loopback(), 8000),
        );
    }

    /// `hypercorn`: `-b`/`--insecure-bind` (TCP) and `--quic-bind` (UDP); `-c` decides otherwise.
    pub(super) fn hypercorn(&mut self, cmd: &Cmd) {
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
        self.documented_default(cmd, "hypercorn", 8000, loopback(), http);
    }

    /// `flask run`: `-h`, `-p`, `FLASK_RUN_HOST`, `FLASK_RUN_PORT`.
    pub(super) fn flask(&mut self, cmd: &Cmd) {
        let Some(run) = cmd.words.iter().position(|w| w == "run") else {
            return;
        };
        let args = &cmd.words[run + 1..];
        let host = Opt::new(&["--host"], &["-h"]).or_env("FLASK_RUN_HOST");
        let port = Opt::new(&["--port"], &["-p"]).or_env("FLASK_RUN_PORT");
        self.host_port(
            cmd,
            "flask run",
            host.read(args),
            port.read(args),
            (loopback(), 5000),
        );
    }

    /// `manage.py runserver [ADDR:]PORT` (and `runserver_plus`, `-6`).
    pub(super) fn django(&mut self, cmd: &Cmd) {
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
        let positional = first_positional(args, WITH_VALUE);
        let http = Some(AppProtocol::Http);
        match positional {
            None => self.documented_default(cmd, "runserver", 8000, default_host, http),
            Some(p) => {
                let (host, port) = match split_hostport(p) {
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

    /// `fastapi run|dev`: `--host`, `--port`, `PORT`.
    pub(super) fn fastapi(&mut self, cmd: &Cmd) {
        let default = match cmd.sub() {
            Some("run") => Bind::AnyV4,
            Some("dev") => loopback(),
            _ => return,
        };
        let args = cmd.args();
        let host = Opt::new(&["--host"], &[]);
        let port = Opt::new(&["--port"], &[]).or_env("PORT");
        let server = format!("fastapi {}", cmd.words[1]);
        self.host_port(
            cmd,
            &server,
            host.read(args),
            port.read(args),
            (default, 8000),
        );
    }

    /// `waitress-serve`: `--listen`, `--host`/`--port`, `--unix-socket`.
    pub(super) fn waitress(&mut self, cmd: &Cmd) {
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

    /// `uwsgi`: its socket options by protocol, then `UWSGI_*` env; a config file decides
    /// otherwise.
    pub(super) fn uwsgi(&mut self, cmd: &Cmd) {
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

    /// `python -m http.server [PORT] [-b ADDR]`.
    pub(super) fn http_server(&mut self, cmd: &Cmd) {
        let args = cmd.args();
        let bind = opt_last(args, &["--bind"], &["-b"]);
        const WITH_VALUE: &[&str] = &["--bind", "-b", "--directory", "-d", "--protocol", "-p"];
        let port = first_positional(args, WITH_VALUE);
        let explicit = bind.is_some() || port.is_some();
        let Some(p) = port_or(port, 8000) else {
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

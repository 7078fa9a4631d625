//! Other servers: oauth2-proxy, Prometheus, and ASP.NET Core (`dotnet
//! --urls`, `ASPNETCORE_URLS`, `ASPNETCORE_HTTP_PORTS`).

use super::{Addr, Ctx, How};
use crate::topology::infer::command::{Cmd, Env};
use crate::topology::infer::options::{
    bind_of_host, has_flag, loopback, opt_last, parse_port, split_hostport,
};
use crate::topology::model::{
    AppProtocol, Bind, Certainty, Listener, Protocol, Provenance, ProvenanceKind,
};

impl Ctx {
    /// `oauth2-proxy`: `--http-address` or `OAUTH2_PROXY_HTTP_ADDRESS`; `--config` decides
    /// otherwise.
    pub(super) fn oauth2_proxy(&mut self, cmd: &Cmd) {
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
                self.documented_default(cmd, "oauth2-proxy", 4180, loopback(), http);
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

    /// `prometheus`: `--web.listen-address`.
    pub(super) fn prometheus(&mut self, cmd: &Cmd) {
        let http = Some(AppProtocol::Http);
        match opt_last(cmd.args(), &["--web.listen-address"], &[]) {
            Some(v) => {
                let (h, p) = split_hostport(&v);
                if let Some(p) = p.as_deref().and_then(parse_port) {
                    self.explicit(cmd, Addr::Tcp(bind_of_host(&h), p), http);
                }
            }
            None => self.server_default(cmd, "prometheus", 9090, Bind::AnyV4, http),
        }
    }

    /// `dotnet … --urls`: its URLs, which override `ASPNETCORE_URLS`.
    pub(super) fn dotnet(&mut self, cmd: &Cmd) {
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

    /// `ASPNETCORE_URLS` (wins) or `ASPNETCORE_HTTP_PORTS`/`_HTTPS_PORTS`.
    pub(super) fn aspnet_env(&mut self, env: &Env) {
        let http = Some(AppProtocol::Http);
        let push = |cx: &mut Ctx, name: &'static str, a: Addr| {
            let v = env.get(name);
            let (port, bind) = match a {
                Addr::Tcp(b, p) => (Some(p), b),
                Addr::Unix(p) => (None, Some(Bind::Unix(p))),
            };
            let value = v.and_then(|v| v.value.clone()).unwrap_or_default();
            let provenance = Provenance::new(
                ProvenanceKind::Env,
                format!("{name}={value}"),
                v.and_then(|v| v.span),
            );
            let listener = Listener::new(port, provenance, Certainty::Stated)
                .bound(bind)
                .speaks(http);
            cx.out.push(listener);
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

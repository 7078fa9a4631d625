//! Ruby servers: `rails server`, puma, and thruster in front of them.

use super::{Addr, Ctx, How, Said, written_or_env};
use crate::topology::infer::command::{Cmd, EnvVal, strip_launchers};
use crate::topology::infer::options::{
    bind_of_host, bind_text, loopback, opt_last, opt_values, parse_port, split_hostport,
};
use crate::topology::model::{AppProtocol, Bind, Protocol};

impl Ctx {
    /// `rails server|s`: `-b`, `-p`, `BINDING`/`HOST`, `PORT`, and the bind its environment
    /// implies.
    pub(super) fn rails(&mut self, cmd: &Cmd) {
        if !matches!(cmd.sub(), Some("server" | "s")) {
            return;
        }
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
        let (port, port_said) = written_or_env(cmd, (port, Some("PORT")), 3000, parse_port);
        let Some(port) = port else { return };
        let explicit_port = port_said != Said::Default;
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

    /// `puma`: `-b tcp://…|ssl://…|unix://…`, `-p`; `-C` or `config/puma.rb` decides otherwise.
    pub(super) fn puma(&mut self, cmd: &Cmd) {
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

    /// Thruster listens itself and runs the command after it (one level of
    /// wrapping inside another at most).
    pub(super) fn thrust(&mut self, cmd: &Cmd) {
        if cmd.wrapped >= 2 {
            return;
        }
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
        inner.wrapped += 1;
        let target = cmd
            .var("TARGET_PORT")
            .or_else(|| cmd.var("THRUSTER_TARGET_PORT"))
            .and_then(|v| v.value.clone())
            .unwrap_or_else(|| "3000".into());
        inner.env.insert("PORT".into(), EnvVal::set(target));
        strip_launchers(&mut inner);
        self.dispatch(&inner);
    }
}

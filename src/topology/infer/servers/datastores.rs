//! Datastores and brokers: redis/valkey, PostgreSQL, MySQL/MariaDB, MongoDB,
//! memcached and RabbitMQ.

use super::{Addr, Ctx, How};
use crate::topology::infer::command::Cmd;
use crate::topology::infer::options::{
    bind_of_host, has_flag, host_list, loopback, opt_last, opt_values, parse_port, split_hostport,
};
use crate::topology::model::{AppProtocol, Bind, Protocol};

impl Ctx {
    /// `redis-server`/`valkey-server`: `--bind`, `--port`, `--unixsocket`; a config file argument
    /// decides what it does not say.
    pub(super) fn redis(&mut self, cmd: &Cmd) {
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
                self.server_default(cmd, "redis-server", 6379, Bind::Any, raw);
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

    /// `postgres`: `-p`, `-h`/`listen_addresses`, `-c key=value`; `config_file` decides otherwise.
    pub(super) fn postgres(&mut self, cmd: &Cmd) {
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
                self.server_default(cmd, "postgres", 5432, Bind::Any, raw);
            }
            return;
        }
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
        self.explicit_binds(cmd, binds, (port.as_deref(), 5432), raw);
    }

    /// `mysqld` (MySQL).
    pub(super) fn mysqld(&mut self, cmd: &Cmd) {
        self.mysql(cmd, "mysqld");
    }

    /// `mariadbd` (MariaDB).
    pub(super) fn mariadbd(&mut self, cmd: &Cmd) {
        self.mysql(cmd, "mariadbd");
    }

    /// MySQL and MariaDB: `--port`, `--bind-address`, `--skip-networking`;
    /// a defaults file decides what they do not say.
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
                self.server_default(cmd, prog, 3306, Bind::Any, raw);
                if prog == "mysqld" && self.image_prog == Some(prog) {
                    self.server_default(cmd, prog, 33060, Bind::Any, raw);
                }
            }
            return;
        }
        let binds: Vec<Option<Bind>> = match &bind {
            None if config => vec![None],
            None => vec![Some(Bind::Any)],
            Some(l) => host_list(l),
        };
        self.explicit_binds(cmd, binds, (port.as_deref(), 3306), raw);
    }

    /// `mongod`: `--port`, `--bind_ip`, `--bind_ip_all`; the official image binds every address.
    pub(super) fn mongo(&mut self, cmd: &Cmd) {
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
                self.server_default(cmd, "mongod", default_port, all_bind, raw);
            } else {
                self.server_default(cmd, "mongod", default_port, loopback(), raw);
            }
            return;
        }
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
        self.explicit_binds(cmd, binds, (port.as_deref(), default_port), raw);
    }

    /// `memcached`: `-p`, `-l`, or a unix socket `-s` (which turns the network off).
    pub(super) fn memcached(&mut self, cmd: &Cmd) {
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
            self.server_default(cmd, "memcached", 11211, Bind::AnyV4, raw);
            return;
        }
        let binds: Vec<Option<Bind>> = match &listen {
            None => vec![Some(Bind::AnyV4)],
            Some(l) => l
                .split(',')
                .map(|h| bind_of_host(split_hostport(h.trim()).0.as_str()))
                .collect(),
        };
        self.explicit_binds(cmd, binds, (port.as_deref(), 11211), raw);
    }

    /// `rabbitmq-server`: `RABBITMQ_NODE_PORT`, and the management UI of `*-management` images.
    pub(super) fn rabbitmq(&mut self, cmd: &Cmd) {
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
            None => self.server_default(cmd, "rabbitmq-server", 5672, Bind::Any, raw),
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
                Bind::Any,
                Some(AppProtocol::Http),
            );
        }
    }
}

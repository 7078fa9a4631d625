//! Node servers: `next start|dev` and vite.

use super::{Ctx, Opt};
use crate::topology::infer::command::Cmd;
use crate::topology::infer::options::{loopback, opt_last};
use crate::topology::model::Bind;

impl Ctx {
    /// `next start|dev`: `-H`, `-p`, `PORT`.
    pub(super) fn next(&mut self, cmd: &Cmd) {
        if !matches!(cmd.sub(), Some("start" | "dev")) {
            return;
        }
        let args = &cmd.words[2..];
        let host = Opt::new(&["--hostname"], &["-H"]);
        let port = Opt::new(&["--port"], &["-p"]).or_env("PORT");
        let server = format!("next {}", cmd.words[1]);
        self.host_port(
            cmd,
            &server,
            host.read(args),
            port.read(args),
            (Bind::AnyV4, 3000),
        );
    }

    /// `vite [dev|serve|preview]`: `--host`, `--port`.
    pub(super) fn vite(&mut self, cmd: &Cmd) {
        let (start, default_port) = match cmd.sub() {
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
}

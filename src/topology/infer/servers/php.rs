//! PHP servers: php-fpm (any versioned binary) and the Apache httpd of the
//! php and httpd images, unless a mounted configuration decides.

use super::Ctx;
use crate::topology::infer::command::Cmd;
use crate::topology::infer::options::*;
use crate::topology::model::{AppProtocol, Bind};

impl Ctx {
    pub(super) fn php_fpm(&mut self, cmd: &Cmd) {
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
}

pub(super) fn is_php_fpm(p: &str) -> bool {
    p.strip_prefix("php-fpm")
        .or_else(|| {
            p.strip_prefix("php").and_then(|r| {
                // `php8.2-fpm` (Debian packages name the binary `php-fpm8.2`).
                r.strip_suffix("-fpm")
            })
        })
        .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

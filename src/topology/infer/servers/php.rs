//! PHP servers: php-fpm (any versioned binary) and the Apache httpd of the
//! php and httpd images, unless a mounted configuration decides.

use super::Ctx;
use crate::topology::infer::command::Cmd;
use crate::topology::infer::options::has_flag;
use crate::topology::model::{AppProtocol, Bind};

impl Ctx {
    /// `php-fpm`: port 9000 unless a configuration (`-y`, or one mounted) decides.
    pub(super) fn php_fpm(&mut self, cmd: &Cmd) {
        if has_flag(cmd.args(), &["-y", "--fpm-config"]) || self.config_mounted("php-fpm") {
            return;
        }
        self.server_default(cmd, "php-fpm", 9000, Bind::Any, Some(AppProtocol::Fastcgi));
    }

    /// The httpd and php:apache images' Apache: port 80 unless their
    /// configuration is mounted over.
    pub(super) fn apache(&mut self, cmd: &Cmd) {
        let prog = cmd.program();
        if let Some(p) = self
            .image_prog
            .filter(|p| *p == prog && !self.config_mounted(p))
        {
            self.server_default(cmd, p, 80, Bind::Any, Some(AppProtocol::Http));
        }
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
        self.mounts
            .iter()
            .any(|m| dirs.iter().any(|d| m.overlaps(d)))
    }
}

/// `php-fpm`, `php-fpm8.2`, `php8.2-fpm`: a versioned php-fpm binary.
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

//! `--listen` / `UPCHECK_LISTEN`, one definition for `serve` (where it
//! listens) and `healthcheck` (what it probes), so a container configured
//! once is probed where it listens.

use clap::Args;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The `--listen` flag.
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address the service listens on; port 0 picks a free port and the
    /// bound address is printed on stdout. `healthcheck` probes it, an
    /// unspecified address (0.0.0.0, [::]) on loopback.
    #[arg(
        long,
        env = "UPCHECK_LISTEN",
        default_value = "0.0.0.0:8080",
        value_name = "ADDR"
    )]
    pub listen: String,
}

impl ListenArgs {
    /// The `host:port` a client on this machine connects to.
    pub fn local_authority(&self) -> Result<String, String> {
        let Ok(addr) = self.listen.trim().parse::<SocketAddr>() else {
            // A host name (`localhost:8080`): connect to it as named.
            return Ok(self.listen.trim().to_string());
        };
        if addr.port() == 0 {
            return Err(format!(
                "`{}` picks a free port when serving; name the port to probe with --listen or --url",
                self.listen
            ));
        }
        let ip = match addr.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Ok(SocketAddr::new(ip, addr.port()).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority(listen: &str) -> Result<String, String> {
        ListenArgs {
            listen: listen.to_string(),
        }
        .local_authority()
    }

    #[test]
    fn unspecified_addresses_are_probed_on_loopback() {
        assert_eq!(authority("0.0.0.0:8080").unwrap(), "127.0.0.1:8080");
        assert_eq!(authority("[::]:9000").unwrap(), "[::1]:9000");
        assert_eq!(authority("10.1.2.3:81").unwrap(), "10.1.2.3:81");
        assert_eq!(authority("localhost:8080").unwrap(), "localhost:8080");
        assert!(authority("127.0.0.1:0").is_err());
    }
}

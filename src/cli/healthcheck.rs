//! `upcheck healthcheck`: GET a URL and exit 0 on `200`, 1 otherwise. The
//! container image has no shell or curl; its HEALTHCHECK runs this. By
//! default it probes `/healthz` where `serve` listens: the same `--listen`
//! and `UPCHECK_LISTEN`, so moving the service moves the probe.

use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Options of `upcheck healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    #[command(flatten)]
    listen: super::listen::ListenArgs,
    /// The URL to probe (plain http), instead of /healthz where --listen
    /// (UPCHECK_LISTEN) says the service listens.
    #[arg(long)]
    url: Option<String>,
    /// Seconds before giving up.
    #[arg(long, default_value_t = 3)]
    timeout: u64,
}

/// Runs `upcheck healthcheck`.
pub fn run(a: HealthcheckArgs) -> u8 {
    let url = match (&a.url, a.listen.local_authority()) {
        (Some(u), _) => u.clone(),
        (None, Ok(authority)) => format!("http://{authority}/healthz"),
        (None, Err(e)) => {
            eprintln!("upcheck: {e}");
            return EXIT_USAGE;
        }
    };
    let Some(rest) = url.strip_prefix("http://") else {
        eprintln!("upcheck: only http:// URLs are supported");
        return EXIT_USAGE;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let timeout = Duration::from_secs(a.timeout.max(1));
    let status = (|| -> std::io::Result<String> {
        let addr = authority
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let mut s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )?;
        let mut buf = Vec::new();
        s.take(64 * 1024).read_to_end(&mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        Ok(text.lines().next().unwrap_or_default().to_string())
    })();
    match status {
        Ok(line) if line.split_whitespace().nth(1) == Some("200") => EXIT_OK,
        Ok(line) => {
            eprintln!("upcheck: {url} answered `{line}`");
            EXIT_PROBLEMS
        }
        Err(e) => {
            eprintln!("upcheck: {url}: {e}");
            EXIT_PROBLEMS
        }
    }
}

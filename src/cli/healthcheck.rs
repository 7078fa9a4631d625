//! `upcheck healthcheck`: GET a URL and exit 0 on `200`, 1 otherwise. The
//! container image has no shell or curl; its HEALTHCHECK runs this.

use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Options of `upcheck healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The URL to probe (plain http).
    #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
    url: String,
    /// Seconds before giving up.
    #[arg(long, default_value_t = 3)]
    timeout: u64,
}

/// Runs `upcheck healthcheck`.
pub fn run(a: HealthcheckArgs) -> u8 {
    let Some(rest) = a.url.strip_prefix("http://") else {
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
            eprintln!("upcheck: {} answered `{line}`", a.url);
            EXIT_PROBLEMS
        }
        Err(e) => {
            eprintln!("upcheck: {}: {e}", a.url);
            EXIT_PROBLEMS
        }
    }
}

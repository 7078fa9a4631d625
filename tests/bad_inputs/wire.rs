//! Bad clients at the socket level, shared by `tests/bad_clients.rs` (which
//! asserts what each gets from a real `upcheck serve`) and
//! `benches/bad_inputs.rs` (which times them): requests hyper refuses
//! before the router sees them, a body over the limit sent whole, a
//! half-close, and the slow clients the timeouts end. Hand-written
//! HTTP/1.1 over std `TcpStream`s, no client dependency.
//!
//! The slow cases take as long as the server's timeouts: run them against
//! a server started with `--header-timeout 1s --body-timeout 1s
//! --idle-timeout 1s` ([`FLAGS`]).

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// The flags the slow cases expect (each timeout 1 s).
pub const FLAGS: [&str; 6] = [
    "--header-timeout",
    "1s",
    "--body-timeout",
    "1s",
    "--idle-timeout",
    "1s",
];

/// Longest any case waits for the server.
pub const PATIENCE: Duration = Duration::from_secs(15);

pub const SEED_CONF: &str = include_str!("../../examples/seed-compose/default.conf");
pub const SEED_COMPOSE: &str = include_str!("../../examples/seed-compose/docker-compose.yml");

/// One HTTP/1.1 response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// Checks that this is the problem `slug` with `status`, in the shape
    /// and with the headers every answer of the service has.
    pub fn check_problem(&self, status: u16, slug: &str) -> Result<(), String> {
        let p = self.json();
        let want_type = format!("https://upcheck.dev/problems/{slug}");
        let checks = [
            (self.status == status, format!("status {}", self.status)),
            (
                self.header("content-type") == Some("application/problem+json"),
                format!("content type {:?}", self.header("content-type")),
            ),
            (
                p["type"] == want_type.as_str(),
                format!("type {}", p["type"]),
            ),
            (
                p["status"] == status,
                format!("problem status {}", p["status"]),
            ),
            (
                p["request_id"].as_str().is_some()
                    && p["request_id"].as_str() == self.header("x-request-id"),
                "request id missing or not the header's".to_string(),
            ),
            (
                self.header("x-content-type-options") == Some("nosniff")
                    && self.header("x-frame-options") == Some("DENY")
                    && self.header("content-security-policy").is_some()
                    && self.header("referrer-policy") == Some("no-referrer"),
                "security headers missing".to_string(),
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            None => Ok(()),
            Some((_, why)) => Err(format!(
                "expected a {status} {slug} problem: {why}: {:?} {}",
                self.headers,
                String::from_utf8_lossy(&self.body)
            )),
        }
    }
}

/// What a client saw.
#[derive(Debug)]
pub enum Outcome {
    /// A complete response.
    Reply(Reply),
    /// The server closed the connection (or reset it) without a byte.
    Closed,
    /// Something else: bytes that are not a response, a write refused, no
    /// answer within [`PATIENCE`].
    Failed(String),
}

/// What a user should get for a case.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// An `application/problem+json` with this status and type slug.
    Problem(u16, &'static str),
    /// A `200` JSON report.
    Report,
    /// The connection closed without a response.
    Closed,
}

pub struct Case {
    pub name: &'static str,
    pub expect: Expect,
    pub run: fn(SocketAddr) -> Outcome,
}

/// Checks an outcome against what the case expects.
pub fn check(case: &Case, o: &Outcome) -> Result<(), String> {
    let err = |why: String| Err(format!("{}: {why}", case.name));
    match (case.expect, o) {
        (Expect::Problem(status, slug), Outcome::Reply(r)) => {
            r.check_problem(status, slug).or_else(err)
        }
        (Expect::Report, Outcome::Reply(r))
            if r.status == 200 && r.json()["verdict"].is_string() =>
        {
            Ok(())
        }
        (Expect::Closed, Outcome::Closed) => Ok(()),
        (_, o) => err(format!("expected {:?}, got {o:?}", case.expect)),
    }
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.set_write_timeout(Some(PATIENCE)).unwrap();
    s
}

/// Reads one response (with a `Content-Length` body), or sees the
/// connection close.
pub fn read_reply(s: &mut TcpStream) -> Outcome {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match s.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Outcome::Closed,
            Ok(0) => return Outcome::Failed(format!("closed in the head: {buf:?}")),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if buf.is_empty() && e.kind() == ErrorKind::ConnectionReset => {
                return Outcome::Closed;
            }
            Err(e) => return Outcome::Failed(format!("read: {e} after {} bytes", buf.len())),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let Some(status) = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
    else {
        return Outcome::Failed(format!("not a status line: {head:?}"));
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match s.read(&mut chunk) {
            Ok(0) => return Outcome::Failed(format!("closed in the body ({head})")),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) => return Outcome::Failed(format!("body: {e}")),
        }
    }
    body.truncate(len);
    Outcome::Reply(Reply {
        status,
        headers,
        body,
    })
}

/// Sends `bytes` on a new connection and reads the answer.
pub fn exchange(addr: SocketAddr, bytes: &[u8]) -> Outcome {
    let mut s = connect(addr);
    if let Err(e) = s.write_all(bytes) {
        return Outcome::Failed(format!("write: {e}"));
    }
    read_reply(&mut s)
}

/// A `POST` head with a JSON body of `len` bytes.
pub fn post_head(path: &str, len: usize) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: upcheck\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    )
    .into_bytes()
}

/// The seed validation request as JSON.
pub fn seed_body() -> Vec<u8> {
    serde_json::json!({
        "files": [{"path": "default.conf", "content": SEED_CONF}],
        "documents": [{"path": "docker-compose.yml", "content": SEED_COMPOSE}],
    })
    .to_string()
    .into_bytes()
}

/// GET `path` with `Connection: close`; the status, or 0 when no answer.
pub fn get_status(addr: SocketAddr, path: &str) -> u16 {
    let req = format!("GET {path} HTTP/1.1\r\nHost: upcheck\r\nConnection: close\r\n\r\n");
    match exchange(addr, req.as_bytes()) {
        Outcome::Reply(r) => r.status,
        _ => 0,
    }
}

fn bad_content_length(addr: SocketAddr) -> Outcome {
    exchange(
        addr,
        b"POST /validate HTTP/1.1\r\nHost: upcheck\r\nContent-Type: application/json\r\nContent-Length: 12abc\r\n\r\n{}",
    )
}

fn conflicting_content_lengths(addr: SocketAddr) -> Outcome {
    exchange(
        addr,
        b"POST /validate HTTP/1.1\r\nHost: upcheck\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
    )
}

fn request_line_without_version(addr: SocketAddr) -> Outcome {
    exchange(addr, b"GARBAGE\r\n\r\n")
}

fn tls_on_the_plain_port(addr: SocketAddr) -> Outcome {
    // The start of a TLS ClientHello.
    exchange(
        addr,
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00\x01\x02\x03\x04\x05\x06\x07",
    )
}

fn many_header_fields(addr: SocketAddr) -> Outcome {
    let mut req = b"GET /healthz HTTP/1.1\r\nHost: upcheck\r\n".to_vec();
    for i in 0..10_000 {
        req.extend_from_slice(format!("x-h{i}: v\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    exchange(addr, &req)
}

fn one_huge_header(addr: SocketAddr) -> Outcome {
    let req = format!(
        "GET /healthz HTTP/1.1\r\nHost: upcheck\r\nCookie: {}\r\n\r\n",
        "c".repeat(40 * 1024)
    );
    exchange(addr, req.as_bytes())
}

fn long_target(addr: SocketAddr) -> Outcome {
    let req = format!(
        "GET /rules/{} HTTP/1.1\r\nHost: upcheck\r\n\r\n",
        "a".repeat(40 * 1024)
    );
    exchange(addr, req.as_bytes())
}

/// A body of this size, four times the default 1 MiB limit and more than
/// loopback socket buffers hold, so that the client is still writing when
/// the 413 is sent.
pub const OVERSIZE: usize = 16 * 1024 * 1024;

fn oversize_body_sent_whole(addr: SocketAddr) -> Outcome {
    let mut s = connect(addr);
    let mut req = post_head("/validate", OVERSIZE);
    req.resize(req.len() + OVERSIZE, b' ');
    if let Err(e) = s.write_all(&req) {
        return Outcome::Failed(format!("the body could not be sent whole: {e}"));
    }
    read_reply(&mut s)
}

fn half_closed_validate(addr: SocketAddr) -> Outcome {
    let mut s = connect(addr);
    let body = seed_body();
    let mut req = post_head("/validate", body.len());
    req.extend_from_slice(&body);
    if let Err(e) = s.write_all(&req) {
        return Outcome::Failed(format!("write: {e}"));
    }
    s.shutdown(Shutdown::Write).unwrap();
    read_reply(&mut s)
}

fn slowloris_header(addr: SocketAddr) -> Outcome {
    let mut s = connect(addr);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: upcheck\r\nX-Slow: ")
        .unwrap();
    read_reply(&mut s)
}

fn silent_connection(addr: SocketAddr) -> Outcome {
    let mut s = connect(addr);
    read_reply(&mut s)
}

fn trickled_body(addr: SocketAddr) -> Outcome {
    let mut s = connect(addr);
    let mut req = post_head("/validate", 1000);
    req.push(b'{');
    s.write_all(&req).unwrap();
    read_reply(&mut s)
}

fn idle_keep_alive(addr: SocketAddr) -> Outcome {
    let mut s = connect(addr);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: upcheck\r\n\r\n")
        .unwrap();
    match read_reply(&mut s) {
        Outcome::Reply(r) if r.status == 200 => read_reply(&mut s),
        o => Outcome::Failed(format!("the first request: {o:?}")),
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "Content-Length that is not a number",
            expect: Expect::Problem(400, "malformed-request"),
            run: bad_content_length,
        },
        Case {
            name: "two Content-Lengths that disagree",
            expect: Expect::Problem(400, "malformed-request"),
            run: conflicting_content_lengths,
        },
        Case {
            name: "request line without a version",
            expect: Expect::Problem(400, "malformed-request"),
            run: request_line_without_version,
        },
        Case {
            name: "TLS handshake on the plain port",
            expect: Expect::Problem(400, "malformed-request"),
            run: tls_on_the_plain_port,
        },
        Case {
            name: "10,000 header fields",
            expect: Expect::Problem(431, "headers-too-large"),
            run: many_header_fields,
        },
        Case {
            name: "one 40 KiB header",
            expect: Expect::Problem(431, "headers-too-large"),
            run: one_huge_header,
        },
        Case {
            name: "a 40 KiB request target",
            expect: Expect::Problem(431, "headers-too-large"),
            run: long_target,
        },
        Case {
            name: "16 MiB body over the limit, sent whole",
            expect: Expect::Problem(413, "body-too-large"),
            run: oversize_body_sent_whole,
        },
        Case {
            name: "POST /validate, then half-close",
            expect: Expect::Report,
            run: half_closed_validate,
        },
        Case {
            name: "slowloris: a head that never ends",
            expect: Expect::Closed,
            run: slowloris_header,
        },
        Case {
            name: "a connection that sends nothing",
            expect: Expect::Closed,
            run: silent_connection,
        },
        Case {
            name: "1 byte of a 1,000-byte body, then silence",
            expect: Expect::Problem(408, "body-timeout"),
            run: trickled_body,
        },
        Case {
            name: "kept alive and idle after a request",
            expect: Expect::Closed,
            run: idle_keep_alive,
        },
    ]
}

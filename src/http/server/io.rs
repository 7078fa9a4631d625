//! The socket as hyper sees it. [`Watched`] wraps a connection's
//! `TcpStream` to tell its [`Phase`] when bytes arrive and when a response
//! write finds the socket full, and to give the errors hyper answers by
//! itself the service's own shape.
//!
//! hyper answers a request it cannot parse before any service sees it: a
//! malformed request line or header, or a bad `Content-Length` (400), too
//! many or too large headers (431; a long target counts here too). It
//! writes a bare status line with `content-length: 0` and closes, and has no
//! hook to change that. Such a response can only be written while a head is
//! being read (no request is in progress), so when hyper writes a complete
//! `4xx`/`5xx` head with an empty body in that phase, [`Watched`] writes an
//! `application/problem+json` response in its place, with the security
//! headers, an `x-request-id` and `connection: close`.

use super::phase::Phase;
use crate::http::error::{Kind, PROBLEM_JSON, Problem};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A connection's socket, watched.
#[derive(Debug)]
pub(crate) struct Watched {
    stream: TcpStream,
    phase: Arc<Phase>,
    /// A replacement response not yet written, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

impl Watched {
    /// Watches `stream` for the connection in `phase`.
    pub(crate) fn new(stream: TcpStream, phase: Arc<Phase>) -> Watched {
        Watched {
            stream,
            phase,
            pending: Vec::new(),
            written: 0,
        }
    }

    /// Writes what is left of a replacement response.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.stream).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending = Vec::new();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = ready!(Pin::new(&mut self.stream).poll_read(cx, buf));
        if buf.filled().len() > before {
            self.phase.on_read();
        }
        Poll::Ready(r)
    }
}

impl Watched {
    /// When a head is being read and `head` is hyper's own error
    /// response, queues the problem in its place and says how many of
    /// hyper's bytes count as written.
    fn rewrite(&mut self, cx: &mut Context<'_>, head: &[u8]) -> Option<Poll<io::Result<usize>>> {
        if !self.phase.reading_head() {
            return None;
        }
        let status = parser_error_status(head)?;
        self.phase.set_parser_error(status.as_u16());
        self.pending = problem_response(status, date_line(head));
        // Ours go out now, or on flush.
        if let Poll::Ready(Err(e)) = self.poll_pending(cx) {
            return Some(Poll::Ready(Err(e)));
        }
        Some(Poll::Ready(Ok(head.len())))
    }

    /// Tells the phase whether a write of the response went through.
    fn track<T>(&self, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match &r {
            Poll::Pending => self.phase.write_stalled(),
            Poll::Ready(_) => self.phase.write_progressed(),
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(r) = self.rewrite(cx, buf) {
            return r;
        }
        let r = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.track(r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        // hyper's error response is a head alone, in one slice.
        if let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && let Some(r) = self.rewrite(cx, first)
        {
            return r;
        }
        let r = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.track(r)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The status of a response hyper wrote on its own: a whole `4xx`/`5xx`
/// head with an empty body, in one buffer.
fn parser_error_status(buf: &[u8]) -> Option<StatusCode> {
    let rest = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    let status = StatusCode::from_bytes(rest.get(..3)?).ok()?;
    let empty = buf
        .windows(b"\r\ncontent-length: 0\r\n".len())
        .any(|w| w.eq_ignore_ascii_case(b"\r\ncontent-length: 0\r\n"));
    (buf.ends_with(b"\r\n\r\n") && empty && (status.is_client_error() || status.is_server_error()))
        .then_some(status)
}

/// The value of hyper's `date:` header, to keep it.
fn date_line(buf: &[u8]) -> Option<HeaderValue> {
    let text = std::str::from_utf8(buf).ok()?;
    text.split("\r\n").find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("date")
            .then(|| HeaderValue::from_str(value.trim()).ok())
            .flatten()
    })
}

/// The problem for a status hyper answers with.
pub(crate) fn parser_problem(status: StatusCode) -> Problem {
    let kind = match status {
        StatusCode::BAD_REQUEST => Some(Kind::MalformedRequest),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => Some(Kind::HeadersTooLarge),
        _ => None,
    };
    match kind {
        Some(k) => {
            crate::http::error::ApiError::new(k, k.fixed_detail().unwrap_or_default()).problem()
        }
        None => crate::http::middleware::fallback_problem(status),
    }
}

/// A whole HTTP/1.1 response: the problem for `status`, the security
/// headers, a fresh request id, `connection: close`.
fn problem_response(status: StatusCode, date: Option<HeaderValue>) -> Vec<u8> {
    use tower_http::request_id::{MakeRequestId, MakeRequestUuid};
    let id = MakeRequestUuid
        .make_request_id(&axum::http::Request::new(()))
        .map(|r| r.header_value().clone())
        .unwrap_or_else(|| HeaderValue::from_static("unknown"));
    let mut problem = parser_problem(status);
    problem.request_id = id.to_str().ok().map(str::to_string);
    let body = serde_json::to_vec(&problem).expect("problems serialize");
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static(PROBLEM_JSON));
    h.insert("content-length", HeaderValue::from(body.len()));
    h.insert("connection", HeaderValue::from_static("close"));
    h.insert(crate::http::middleware::REQUEST_ID.clone(), id);
    crate::http::middleware::security_headers("", &mut h);
    if let Some(d) = date {
        h.insert("date", d);
    }
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("Error")
    )
    .into_bytes();
    for (name, value) in &h {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYPER_400: &[u8] =
        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Sat, 06 Dec 2025 21:00:00 GMT\r\n\r\n";

    #[test]
    fn only_whole_empty_error_heads_are_parser_errors() {
        assert_eq!(
            parser_error_status(HYPER_400),
            Some(StatusCode::BAD_REQUEST)
        );
        let h431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            parser_error_status(h431),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(parser_error_status(ok), None);
        let with_body = b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\nnot found";
        assert_eq!(parser_error_status(with_body), None);
        assert_eq!(parser_error_status(b"{\"status\": 400}"), None);
    }

    #[test]
    fn the_replacement_is_a_problem_with_the_security_headers() {
        let out = problem_response(StatusCode::BAD_REQUEST, date_line(HYPER_400));
        let text = String::from_utf8(out).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        for h in [
            "content-type: application/problem+json",
            "connection: close",
            "x-content-type-options: nosniff",
            "x-frame-options: DENY",
            "date: Sat, 06 Dec 2025 21:00:00 GMT",
            &format!("content-length: {}", body.len()),
        ] {
            assert!(head.contains(h), "{h} missing in {head}");
        }
        let p: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(p["type"], Kind::MalformedRequest.type_uri());
        assert_eq!(p["status"], 400);
        assert!(head.contains(&format!(
            "x-request-id: {}",
            p["request_id"].as_str().unwrap()
        )));
    }
}

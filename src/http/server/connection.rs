//! One connection's life: hyper's HTTP/1.1 state machine over a
//! [`Watched`] socket, the router as its service, a watchdog that closes
//! it when its [`Phase`] times out or it is evicted, graceful shutdown on
//! the server's stop signal, and a lingering close at the end.
//!
//! Lingering close (nginx's `lingering_close`): when hyper is done with a
//! connection whose client may still be sending (a body refused with 413
//! before it was read), closing the socket with unread bytes makes the
//! kernel send a reset, and the client may lose the response it has not
//! read yet. So the write side is shut first, then what arrives is read
//! and dropped until the client closes, pauses for [`LINGER_READ`], or
//! [`LINGER_TIME`] or [`LINGER_BYTES`] is reached.

use super::io::Watched;
use super::phase::{Closed, Phase, Timeouts};
use super::registry::Ticket;
use super::{MAX_BUF_BYTES, MAX_HEAD_BYTES};
use crate::http::state::{AppState, names};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt;

/// Longest a lingering close lasts.
const LINGER_TIME: Duration = Duration::from_secs(5);
/// Longest pause in what the client sends during a lingering close.
const LINGER_READ: Duration = Duration::from_secs(1);
/// Most bytes read and dropped during a lingering close.
const LINGER_BYTES: usize = 64 * 1024 * 1024;

/// What every connection is served with.
pub(crate) struct Settings {
    http: http1::Builder,
    timeouts: Timeouts,
}

impl Settings {
    /// hyper's settings and the timeouts, from the service's state.
    pub(crate) fn new(state: &AppState) -> Settings {
        let mut http = http1::Builder::new();
        http
            // A client that shuts its write side after the request still
            // gets the response.
            .half_close(true)
            // (At most 100 header fields: hyper's default, kept on the
            // stack; setting it, even to 100, moves them to the heap.)
            .max_header_size(MAX_HEAD_BYTES)
            .max_buf_size(MAX_BUF_BYTES)
            // The header timeout is ours (`Phase`): hyper's would also
            // count the pause between kept-alive requests.
            .header_read_timeout(None);
        Settings {
            http,
            timeouts: Timeouts {
                header: state.connections.header_timeout,
                idle: state.connections.idle_timeout,
                send: state.limits.body_timeout,
            },
        }
    }
}

enum End {
    /// hyper finished (the client closed, keep-alive ended, an error).
    Done(hyper::Result<()>),
    /// The watchdog closed the connection.
    Closed(Closed),
}

/// Serves one accepted connection until it ends; `stop` turns true when
/// the server shuts down.
pub(crate) async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    ticket: Ticket,
    settings: Arc<Settings>,
    stop: watch::Receiver<bool>,
    state: AppState,
) {
    let _open = OpenGauge::new(state.clone());
    let phase = ticket.phase.clone();
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched::new(stream, phase.clone()));
    let svc = Svc {
        app,
        peer,
        phase: phase.clone(),
    };
    let mut conn = settings.http.serve_connection(io, svc);
    let mut stop = pin!(async move {
        let mut stop = stop;
        let _ = stop.wait_for(|stopped| *stopped).await;
    });
    let mut woken = pin!(phase.wake.notified());
    let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
    let mut armed: Option<Instant> = None;
    let mut graceful = false;
    let end = poll_fn(|cx| {
        if !graceful && stop.as_mut().poll(cx).is_ready() {
            Pin::new(&mut conn).graceful_shutdown();
            graceful = true;
        }
        // Eviction is the one change made from another task.
        while woken.as_mut().poll(cx).is_ready() {
            woken.set(phase.wake.notified());
        }
        if phase.evicted() && !graceful {
            if phase.busy() {
                // Finish the request in progress, then close.
                Pin::new(&mut conn).graceful_shutdown();
                graceful = true;
            } else {
                return Poll::Ready(End::Closed(Closed::Evicted));
            }
        }
        if let Poll::Ready(r) = conn.poll_without_shutdown(cx) {
            return Poll::Ready(End::Done(r));
        }
        // hyper has moved the phase as far as it could; time it.
        if let Some((at, why)) = phase.deadline(&settings.timeouts) {
            if armed != Some(at) {
                timer.as_mut().reset(at);
                armed = Some(at);
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(End::Closed(why));
            }
        }
        Poll::Pending
    })
    .await;
    match end {
        End::Closed(why) => {
            tracing::debug!(%peer, reason = why.label(), "connection closed");
            count_closed(&state, why.label());
            // Dropping the connection closes the socket now.
        }
        End::Done(result) => {
            if let Some(status) = phase.parser_error() {
                tracing::info!(%peer, status, "request refused by the HTTP parser");
                count_closed(&state, "malformed");
                state.metrics.record(|| {
                    let labels = [
                        ("route", "unparsed".to_string()),
                        ("method", "other".to_string()),
                        ("status", status.to_string()),
                    ];
                    metrics::counter!(names::REQUESTS, &labels).increment(1);
                });
            } else if let Err(e) = &result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            let io = conn.into_parts().io.into_inner();
            linger(io).await;
        }
    }
    drop(ticket);
}

fn count_closed(state: &AppState, reason: &'static str) {
    state.metrics.record(|| {
        metrics::counter!(names::CONNECTIONS_CLOSED, "reason" => reason).increment(1);
    });
}

/// Counts the connection in the open-connections gauge while it lives.
struct OpenGauge(AppState);

impl OpenGauge {
    fn new(state: AppState) -> OpenGauge {
        state
            .metrics
            .record(|| metrics::gauge!(names::CONNECTIONS).increment(1.0));
        OpenGauge(state)
    }
}

impl Drop for OpenGauge {
    fn drop(&mut self) {
        self.0
            .metrics
            .record(|| metrics::gauge!(names::CONNECTIONS).decrement(1.0));
    }
}

/// Shuts the write side, then reads and drops what the client still sends
/// (see the module docs).
async fn linger(mut io: Watched) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::timeout_at;
    let until = Instant::now() + LINGER_TIME;
    // Also writes what is left of a response the IO layer rewrote.
    if !matches!(timeout_at(until, io.shutdown()).await, Ok(Ok(()))) {
        return;
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let next = (Instant::now() + LINGER_READ).min(until);
        match timeout_at(next, io.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => return,
        }
    }
}

/// The router as hyper's service for one connection: adds the peer
/// address (`ConnectInfo`) and moves the connection's phase.
struct Svc {
    app: Router,
    peer: SocketAddr,
    phase: Arc<Phase>,
}

type SvcFuture = Pin<Box<dyn Future<Output = Result<Response<Tracked>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Svc {
    type Response = Response<Tracked>;
    type Error = Infallible;
    type Future = SvcFuture;

    fn call(&self, req: Request<Incoming>) -> SvcFuture {
        self.phase.begin_request();
        let done = EndOfRequest(self.phase.clone());
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let app = self.app.clone();
        Box::pin(async move {
            let res = app.oneshot(req).await.unwrap_or_else(|e| match e {});
            Ok(res.map(|body| Tracked { body, _done: done }))
        })
    }
}

/// Ends the request's phase when dropped: when hyper drops the response
/// body after its last frame, or the request is abandoned.
struct EndOfRequest(Arc<Phase>);

impl Drop for EndOfRequest {
    fn drop(&mut self) {
        self.0.end_request();
    }
}

/// A response body that ends its request's phase when dropped.
struct Tracked {
    body: Body,
    _done: EndOfRequest,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

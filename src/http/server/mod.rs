//! The HTTP/1.1 server under the router: upcheck's own accept loop over
//! hyper, so that slow and idle clients cannot starve the others.
//!
//! - **Connection cap** ([`registry`]): at most `--max-connections` open;
//!   past it the longest-waiting connection without a request in progress
//!   is evicted, and when every connection has one the new one is closed.
//! - **Timeouts per phase** ([`phase`]): a request's line and headers must
//!   arrive within `--header-timeout` (from the accept, or from the first
//!   byte after a keep-alive pause), a kept-alive connection may wait
//!   `--idle-timeout` for its next request, and a response the client does
//!   not take for `--body-timeout` ends the connection. (The body timeout
//!   on uploads, 408, and the request timeout, 503, live in the router.)
//! - **Parser errors** ([`io`]): what hyper answers by itself (400, 431)
//!   goes out as `application/problem+json` with the security headers.
//! - **Lingering close** and **half-close** ([`connection`]).
//! - **Shutdown** ([`serve_on`]): on the signal, readiness turns false,
//!   the listener closes, idle connections close, requests in progress get
//!   the grace period; past it they are abandoned.

mod connection;
mod io;
mod phase;
mod registry;

use super::state::{AppState, Config};
use registry::{Admission, Registry};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// Most bytes of request line and headers (more: 431).
pub(crate) const MAX_HEAD_BYTES: usize = 32 * 1024;
/// Largest read buffer of a connection, which bounds its memory.
pub(crate) const MAX_BUF_BYTES: usize = 64 * 1024;

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Every request in progress finished within the grace period.
    Clean,
    /// The grace period ran out; these connections, with their requests,
    /// were abandoned.
    Abandoned {
        /// Connections still open when the grace period ran out.
        connections: usize,
    },
}

/// Binds `cfg.listen`, prints `upcheck listening on http://ADDR` on
/// stdout, and serves until SIGTERM or SIGINT.
pub async fn serve(cfg: Config) -> std::io::Result<Shutdown> {
    let shutdown = shutdown_signal();
    // The store opens (and migrates) before the port is bound, so a
    // database that cannot be reached stops the start, not a request.
    let store = match &cfg.store {
        Some(sc) => {
            let store = super::store::Store::open(sc.clone()).await.map_err(|e| {
                std::io::Error::other(format!(
                    "cannot open the report store {}: {e}",
                    super::store::redact(&sc.url)
                ))
            })?;
            tracing::info!(database = %super::store::redact(&sc.url), ttl_s = sc.ttl.as_secs(), "reports are stored on request");
            Some(store)
        }
        None => None,
    };
    let listener = TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "upcheck listening on http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, "listening");
    let state = AppState::with_store(&cfg, store);
    serve_on(listener, state, shutdown, cfg.grace_period).await
}

/// Serves on a bound listener until `shutdown` completes; then readiness
/// turns false, new connections are refused, idle ones are closed, and
/// requests in progress get `grace` to finish before they are abandoned.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<Shutdown> {
    let registry = Registry::new(state.connections.max_connections);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let spawn = Spawn {
        app: super::router(state.clone()),
        settings: Arc::new(connection::Settings::new(&state)),
        stop: stop_rx,
        state: state.clone(),
    };
    let upkeep = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            for n in 0u64.. {
                tick.tick().await;
                state.metrics.upkeep();
                // Expired reports are never answered; every ten minutes
                // they are deleted too.
                if let Some(store) = state.store.as_ref().filter(|_| n % 120 == 119)
                    && let Err(e) = store.sweep().await
                {
                    tracing::warn!(error = %e, "sweeping expired reports failed");
                }
            }
        })
    };
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            // In this order: a flood of connections neither delays the
            // shutdown nor leaves finished tasks unreaped.
            biased;
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if let Some(task) = admit(stream, peer, &registry, &spawn) {
                        connections.spawn(task);
                    }
                }
                Err(e) => accept_failed(e).await,
            },
        }
    }
    drop(listener);
    state.set_ready(false);
    tracing::info!(
        grace_ms = grace.as_millis() as u64,
        connections = connections.len(),
        requests = state.requests_in_flight(),
        "shutting down; finishing the requests in progress"
    );
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    upkeep.abort();
    if drained {
        return Ok(Shutdown::Clean);
    }
    let left = connections.len();
    tracing::warn!(
        connections = left,
        requests = state.requests_in_flight(),
        "grace period over; abandoning the requests still in progress"
    );
    connections.abort_all();
    Ok(Shutdown::Abandoned { connections: left })
}

/// What every connection's task is started with.
struct Spawn {
    app: axum::Router,
    settings: Arc<connection::Settings>,
    stop: tokio::sync::watch::Receiver<bool>,
    state: AppState,
}

/// Places an accepted connection under the cap: its task, or `None` when
/// it is refused (and closed).
fn admit(
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    registry: &Arc<Registry>,
    s: &Spawn,
) -> Option<impl Future<Output = ()> + Send + 'static> {
    match registry.admit() {
        Admission::Admitted { ticket, evicted } => {
            if evicted {
                tracing::debug!(%peer, "connection cap reached; evicted a waiting connection");
            }
            Some(connection::run(
                stream,
                peer,
                s.app.clone(),
                ticket,
                s.settings.clone(),
                s.stop.clone(),
                s.state.clone(),
            ))
        }
        Admission::Refused => {
            tracing::debug!(%peer, "connection cap reached and every connection busy; refused");
            s.state.metrics.record(|| {
                metrics::counter!(super::state::names::CONNECTIONS_CLOSED, "reason" => "refused")
                    .increment(1);
            });
            None
        }
    }
}

/// An accept error: a connection that failed before it was accepted is
/// skipped; anything else (out of file descriptors) is logged and the loop
/// pauses briefly, as `axum::serve` does.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Completes on SIGTERM or SIGINT (Ctrl-C). The handlers are installed
/// when this is called, not when the future is first polled, so a signal
/// sent once the service has announced itself is never missed. Call it
/// inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (term, int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            async fn next(s: Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = next(int) => tracing::info!("SIGINT received"),
                () = next(term) => tracing::info!("SIGTERM received"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C received");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::error::Kind;

    /// Most header fields in a request (more: 431): hyper's default, left
    /// unset (see `connection::Settings`).
    const MAX_HEADERS: usize = 100;

    #[test]
    fn the_documented_header_limits_are_the_enforced_ones() {
        let d = Kind::HeadersTooLarge.fixed_detail().unwrap();
        assert!(d.contains(&format!("{MAX_HEADERS} header fields")), "{d}");
        assert!(d.contains(&format!("{} KiB", MAX_HEAD_BYTES / 1024)), "{d}");
    }
}

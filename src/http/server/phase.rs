//! Where one connection is in its request cycle, and so which timeout
//! applies to it: reading a request head (the header timeout), waiting
//! between requests (the idle timeout), or serving a request (none of
//! those; the body and request timeouts live in the router, and a response
//! the client stops taking meets the send timeout).
//!
//! The connection's own task moves it from phase to phase (the socket
//! reads, hyper calls the service, the response body ends); the accept loop
//! only reads the phase, to choose which connection to evict, and marks it
//! evicted.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Why the server closed a connection before the client did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// The request line and headers took longer than the header timeout.
    HeaderTimeout,
    /// No new request within the idle timeout.
    IdleTimeout,
    /// The client took no part of the response within the body timeout.
    SendTimeout,
    /// Closed to make room for a new connection past the cap.
    Evicted,
}

impl Closed {
    /// The `reason` label of the closed-connections metric.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Closed::HeaderTimeout => "header_timeout",
            Closed::IdleTimeout => "idle_timeout",
            Closed::SendTimeout => "send_timeout",
            Closed::Evicted => "evicted",
        }
    }
}

/// The timeouts a connection's phase selects from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// `--header-timeout`.
    pub header: Duration,
    /// `--idle-timeout`.
    pub idle: Duration,
    /// `--body-timeout`, for a response the client does not take.
    pub send: Duration,
}

const HEAD: u8 = 0;
const IDLE: u8 = 1;
const BUSY: u8 = 2;

/// One connection's phase, shared between its task and the accept loop.
#[derive(Debug)]
pub(crate) struct Phase {
    phase: AtomicU8,
    /// When the phase began, in [`now`] milliseconds.
    since: AtomicU64,
    /// When a write of a response first found the socket full, plus one
    /// (0: no write is waiting).
    stalled: AtomicU64,
    evicted: AtomicBool,
    /// Woken on eviction (the only change made from another task).
    pub(crate) wake: Notify,
    /// The status of a parser error the IO layer answered, if any.
    parser_error: std::sync::atomic::AtomicU16,
}

impl Phase {
    /// A connection just accepted: reading its first head.
    pub(crate) fn new() -> Phase {
        Phase {
            phase: AtomicU8::new(HEAD),
            since: AtomicU64::new(now()),
            stalled: AtomicU64::new(0),
            evicted: AtomicBool::new(false),
            wake: Notify::new(),
            parser_error: std::sync::atomic::AtomicU16::new(0),
        }
    }

    /// Bytes arrived: between requests, a new head begins.
    pub(crate) fn on_read(&self) {
        if self.phase.load(Relaxed) == IDLE {
            self.since.store(now(), Relaxed);
            self.phase.store(HEAD, Relaxed);
        }
    }

    /// The head is complete and the request goes to the service.
    pub(crate) fn begin_request(&self) {
        self.phase.store(BUSY, Relaxed);
    }

    /// The response's body has ended (or was dropped): waiting for the
    /// next request.
    pub(crate) fn end_request(&self) {
        self.since.store(now(), Relaxed);
        self.stalled.store(0, Relaxed);
        self.phase.store(IDLE, Relaxed);
    }

    /// A write found the socket full.
    pub(crate) fn write_stalled(&self) {
        if self.stalled.load(Relaxed) == 0 {
            self.stalled.store(now() + 1, Relaxed);
        }
    }

    /// A write went through.
    pub(crate) fn write_progressed(&self) {
        self.stalled.store(0, Relaxed);
    }

    /// Whether a request is being served.
    pub(crate) fn busy(&self) -> bool {
        self.phase.load(Relaxed) == BUSY
    }

    /// Whether a request head is being read (or awaited on a new
    /// connection): what hyper writes now is its own error response.
    pub(crate) fn reading_head(&self) -> bool {
        self.phase.load(Relaxed) == HEAD
    }

    /// When the current phase began, for choosing whom to evict.
    pub(crate) fn since(&self) -> u64 {
        self.since.load(Relaxed)
    }

    /// Marks the connection evicted; false if it already was.
    pub(crate) fn evict(&self) -> bool {
        let first = !self.evicted.swap(true, Relaxed);
        if first {
            self.wake.notify_one();
        }
        first
    }

    /// Whether the accept loop evicted this connection.
    pub(crate) fn evicted(&self) -> bool {
        self.evicted.load(Relaxed)
    }

    /// Records that the IO layer answered a parser error with `status`.
    pub(crate) fn set_parser_error(&self, status: u16) {
        self.parser_error.store(status, Relaxed);
    }

    /// The status of the parser error the IO layer answered, if any.
    pub(crate) fn parser_error(&self) -> Option<u16> {
        match self.parser_error.load(Relaxed) {
            0 => None,
            s => Some(s),
        }
    }

    /// The instant the current phase times out at, and why; `None` while
    /// a request is served and its response is not stalled.
    pub(crate) fn deadline(&self, t: &Timeouts) -> Option<(tokio::time::Instant, Closed)> {
        let (start, limit, why) = match self.phase.load(Relaxed) {
            HEAD => (self.since(), t.header, Closed::HeaderTimeout),
            IDLE => (self.since(), t.idle, Closed::IdleTimeout),
            _ => match self.stalled.load(Relaxed) {
                0 => return None,
                s => (s - 1, t.send, Closed::SendTimeout),
            },
        };
        let at = base() + Duration::from_millis(start) + limit;
        Some((tokio::time::Instant::from_std(at), why))
    }
}

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Milliseconds since the first call in this process.
fn now() -> u64 {
    base().elapsed().as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        header: Duration::from_secs(10),
        idle: Duration::from_secs(75),
        send: Duration::from_secs(15),
    };

    #[test]
    fn each_phase_selects_its_timeout() {
        let p = Phase::new();
        assert_eq!(p.deadline(&T).unwrap().1, Closed::HeaderTimeout);
        assert!(p.reading_head());
        p.begin_request();
        assert!(
            p.deadline(&T).is_none(),
            "a request in progress has no deadline here"
        );
        p.write_stalled();
        assert_eq!(p.deadline(&T).unwrap().1, Closed::SendTimeout);
        p.write_progressed();
        assert!(p.deadline(&T).is_none());
        p.end_request();
        assert_eq!(p.deadline(&T).unwrap().1, Closed::IdleTimeout);
        assert!(
            !p.reading_head(),
            "between requests hyper writes nothing of its own"
        );
        p.on_read();
        assert_eq!(p.deadline(&T).unwrap().1, Closed::HeaderTimeout);
    }

    #[test]
    fn the_header_deadline_of_a_kept_alive_connection_starts_at_its_first_byte() {
        let p = Phase::new();
        p.begin_request();
        p.end_request();
        let idle = p.deadline(&T).unwrap().0;
        p.on_read();
        let head = p.deadline(&T).unwrap().0;
        // Both measured from (about) now: 10 s for the head, 75 s idle.
        assert!(head < idle);
        p.on_read();
        assert_eq!(
            p.deadline(&T).unwrap().0,
            head,
            "more bytes of the same head"
        );
    }

    #[test]
    fn eviction_is_marked_once() {
        let p = Phase::new();
        assert!(p.evict());
        assert!(!p.evict());
        assert!(p.evicted());
    }
}

//! What every handler shares: the service's configuration (limits, tokens,
//! CORS origins), the metrics recorder, readiness, the validation slots
//! and work bytes that bound concurrent work, the per-client rate limiter,
//! and the count of requests in flight.

use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

/// Bounds on what one request may ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes (larger: 413).
    pub max_body: usize,
    /// Longest a `/validate` or `/parse` request may take, body upload
    /// included (longer: 503).
    pub request_timeout: Duration,
    /// Longest pause between two pieces of a request body (longer: 408 and
    /// the connection is closed, as nginx's `client_body_timeout`), and
    /// between two pieces of a response the client does not take (longer:
    /// the connection is closed, as nginx's `send_timeout`).
    pub body_timeout: Duration,
    /// Validations and parses running at once; more are shed with 503
    /// and `Retry-After`.
    pub max_concurrency: usize,
    /// Request bytes the running validations and parses may hold at once,
    /// summed over them; a request that would take the sum past it is shed
    /// as when every slot is busy. Memory grows with the bytes validated
    /// (every budget is linear in them), so this bounds the service's
    /// memory where `max_concurrency` alone, counting a 1 KB request as a
    /// 1 MiB one, cannot. A request larger than the whole budget runs
    /// when no other does. See [`Limits::work_weight`].
    pub max_work_bytes: usize,
    /// Requests per minute per client on `/validate` and `/parse`
    /// (more: 429); 0 turns the limit off.
    pub rate_per_minute: u32,
    /// Most files (nginx files plus topology documents) in one request
    /// (more: 422).
    pub max_files: usize,
    /// Deepest nesting of nginx blocks, and of the JSON request body
    /// (deeper: 422).
    pub max_depth: usize,
}

impl Limits {
    /// The most bytes an uploaded project may expand to once unpacked and
    /// decompressed: 8 times the body limit (8 MiB by default).
    pub fn max_expanded(&self) -> u64 {
        (self.max_body as u64).saturating_mul(8)
    }

    /// What a request weighs against [`Limits::max_work_bytes`], in the
    /// [`WORK_UNIT`]s of [`Inner::work`]: its bytes, rounded up, and never
    /// more than the whole budget (so a request larger than the budget
    /// still runs, alone).
    pub fn work_weight(&self, bytes: u64) -> u32 {
        let units = bytes.div_ceil(WORK_UNIT).max(1);
        units.min(self.work_units() as u64) as u32
    }

    /// [`Limits::max_work_bytes`] in [`WORK_UNIT`]s (at least one).
    fn work_units(&self) -> usize {
        (self.max_work_bytes as u64)
            .div_ceil(WORK_UNIT)
            .clamp(1, u64::from(u32::MAX)) as usize
    }
}

/// The unit [`Limits::max_work_bytes`] is counted in: a KiB, so that a
/// request's weight fits the semaphore's `u32` permits.
pub const WORK_UNIT: u64 = 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(15),
            max_concurrency: 16,
            max_work_bytes: 2 * 1024 * 1024,
            rate_per_minute: 0,
            max_files: 1000,
            max_depth: 64,
        }
    }
}

/// Bounds on connections, kept by the accept loop under the router
/// (`src/http/server/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest a client may take to send a request's line and headers,
    /// counted from the accept or from the first byte after a keep-alive
    /// pause; longer: the connection is closed (nginx's
    /// `client_header_timeout`).
    pub header_timeout: Duration,
    /// Longest a kept-alive connection may wait for its next request;
    /// longer: it is closed (nginx's `keepalive_timeout`).
    pub idle_timeout: Duration,
    /// Most connections open at once. A new one past the cap closes the
    /// connection that has waited longest without a request in progress;
    /// when every connection has one in progress, the new one is closed.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            // Longer than nginx's upstream `keepalive_timeout` (60 s), so a
            // proxy in front never reuses a connection upcheck is closing.
            idle_timeout: Duration::from_secs(75),
            max_connections: 1024,
        }
    }
}

/// Everything `upcheck serve` is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on (`0.0.0.0:8080`; port 0 picks a free port).
    pub listen: String,
    /// Request limits.
    pub limits: Limits,
    /// Connection limits.
    pub connections: ConnectionLimits,
    /// Bearer tokens accepted on `/validate` and `/parse`; empty turns
    /// authentication off.
    pub tokens: Vec<String>,
    /// Origins allowed to call the API from a browser (CORS); empty allows none.
    pub cors_origins: Vec<String>,
    /// How long in-flight requests may run after SIGTERM/SIGINT.
    pub grace_period: Duration,
    /// A test hook: every validation and parse sleeps this long on its
    /// worker thread before it starts, so that tests can hold work in
    /// flight (`--debug-work-delay`, hidden). `None` in production.
    pub work_delay: Option<Duration>,
    /// The budgets of every validation (see [`crate::budget`]).
    pub budgets: crate::budget::Budgets,
    /// Where the rule pages are, for SARIF's `helpUri` (`--docs-url`, or
    /// this service's own `/rules/{code}` under `--public-url`); `None`
    /// leaves `helpUri` out.
    pub docs_url: Option<crate::report::DocsUrl>,
    /// The proxies whose forwarding header names the client for the rate
    /// limit (`--trusted-proxy`); none: the peer address is the client.
    pub proxies: super::TrustedProxies,
    /// The slash commands' secrets; none: `/chat/*` is off (404).
    pub chat: ChatSecrets,
    /// Where `?store=true` keeps reports; none: storage is off.
    pub store: Option<super::store::StoreConfig>,
    /// The URL clients reach this service at (`--public-url`), for the
    /// absolute permalinks chat answers carry.
    pub public_url: Option<String>,
}

/// What slash commands are checked with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatSecrets {
    /// Slack's signing secret (`--slack-signing-secret`).
    pub slack_signing_secret: Option<String>,
    /// Mattermost's slash-command tokens (`--mattermost-token`).
    pub mattermost_tokens: Vec<String>,
}

impl ChatSecrets {
    /// Whether `given` is one of the Mattermost tokens; every token is
    /// compared, each in constant time.
    pub fn mattermost_token(&self, given: &[u8]) -> bool {
        let mut ok = subtle::Choice::from(0);
        for t in &self.mattermost_tokens {
            ok |= t.as_bytes().ct_eq(given);
        }
        bool::from(ok)
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "0.0.0.0:8080".to_string(),
            limits: Limits::default(),
            connections: ConnectionLimits::default(),
            tokens: Vec::new(),
            cors_origins: Vec::new(),
            grace_period: Duration::from_secs(10),
            work_delay: None,
            budgets: crate::budget::Budgets::default(),
            docs_url: None,
            proxies: super::TrustedProxies::default(),
            chat: ChatSecrets::default(),
            store: None,
            public_url: None,
        }
    }
}

/// The shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
pub struct Inner {
    /// Request limits.
    pub limits: Limits,
    /// Connection limits.
    pub connections: ConnectionLimits,
    /// See [`Config::work_delay`].
    pub work_delay: Option<Duration>,
    /// See [`Config::budgets`].
    pub budgets: crate::budget::Budgets,
    /// CORS allow-list.
    pub cors_origins: Vec<String>,
    /// Where rendered reports link to (the rule pages).
    pub links: crate::report::Links,
    /// The Prometheus recorder.
    pub metrics: Metrics,
    /// Validation slots (`max_concurrency` permits).
    pub slots: Arc<Semaphore>,
    /// The request bytes the running work may hold (`max_work_bytes`, in
    /// [`WORK_UNIT`]s).
    pub work: Arc<Semaphore>,
    /// Per-client rate limiter.
    pub rate: RateLimiter,
    /// Whose forwarding header names the client.
    pub proxies: super::TrustedProxies,
    /// The slash commands' secrets.
    pub chat: ChatSecrets,
    /// The report store, when the server keeps reports.
    pub store: Option<super::store::Store>,
    /// See [`Config::public_url`], without a trailing `/`.
    pub public_url: Option<String>,
    tokens: Vec<Vec<u8>>,
    ready: AtomicBool,
    in_flight: AtomicUsize,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The state for a configuration, without a report store.
    pub fn new(cfg: &Config) -> AppState {
        AppState::with_store(cfg, None)
    }

    /// The state for a configuration and its opened report store
    /// ([`super::store::Store::open`] is async; this is not).
    pub fn with_store(cfg: &Config, store: Option<super::store::Store>) -> AppState {
        AppState(Arc::new(Inner {
            limits: cfg.limits.clone(),
            connections: cfg.connections.clone(),
            work_delay: cfg.work_delay,
            budgets: cfg.budgets,
            cors_origins: cfg.cors_origins.clone(),
            links: crate::report::Links {
                docs: cfg.docs_url.clone(),
                ..Default::default()
            },
            metrics: Metrics::new(),
            slots: Arc::new(Semaphore::new(cfg.limits.max_concurrency.max(1))),
            work: Arc::new(Semaphore::new(cfg.limits.work_units())),
            rate: RateLimiter::new(cfg.limits.rate_per_minute),
            proxies: cfg.proxies.clone(),
            chat: ChatSecrets {
                slack_signing_secret: (cfg.chat.slack_signing_secret.clone())
                    .filter(|s| !s.trim().is_empty()),
                mattermost_tokens: (cfg.chat.mattermost_tokens.iter())
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
            },
            store,
            public_url: (cfg.public_url.as_deref())
                .map(|u| u.trim().trim_end_matches('/').to_string()),
            tokens: cfg
                .tokens
                .iter()
                .map(|t| t.trim())
                .filter(|t| !t.is_empty())
                .map(|t| t.as_bytes().to_vec())
                .collect(),
            ready: AtomicBool::new(true),
            in_flight: AtomicUsize::new(0),
        }))
    }

    /// Whether bearer tokens are required.
    pub fn auth_required(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// `Ok` when no token is required or `headers` carry one; a 401
    /// problem otherwise.
    pub fn check_token(&self, headers: &axum::http::HeaderMap) -> Result<(), super::ApiError> {
        if !self.auth_required() {
            return Ok(());
        }
        let given = (headers.get(axum::http::header::AUTHORIZATION)).map(|v| v.as_bytes());
        if self.authorized(given) {
            return Ok(());
        }
        let detail = if given.is_none() {
            "this endpoint needs `Authorization: Bearer <token>`"
        } else {
            "the bearer token is not valid"
        };
        Err(super::ApiError::new(super::Kind::Unauthorized, detail).field("authorization"))
    }

    /// The absolute URL of a path on this service, when `--public-url`
    /// says where clients reach it.
    pub fn public(&self, path: &str) -> Option<String> {
        self.public_url.as_ref().map(|u| format!("{u}{path}"))
    }

    /// Whether an `Authorization` header value carries one of the tokens.
    /// Every token is compared, each in constant time.
    pub fn authorized(&self, authorization: Option<&[u8]>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        let Some(given) = bearer_token(value) else {
            return false;
        };
        let mut ok = subtle::Choice::from(0);
        for t in &self.tokens {
            ok |= t.as_slice().ct_eq(given);
        }
        bool::from(ok)
    }

    /// Whether `/readyz` answers ready.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Marks the service (not) ready; shutdown sets false first so load
    /// balancers stop sending work during the grace period.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// Requests whose head has been read and whose response has not been
    /// produced yet.
    pub fn requests_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Counts a request in flight until the guard is dropped.
    pub fn begin_request(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// Sleeps for the [`Config::work_delay`] test hook, if set. Call it on
    /// the worker thread, inside the validation slot.
    pub fn work_delay_hook(&self) {
        if let Some(d) = self.work_delay {
            std::thread::sleep(d);
        }
    }
}

/// A request counted in [`AppState::requests_in_flight`].
pub struct InFlight(AppState);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The token of a `Bearer <token>` header value (scheme case-insensitive).
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    let space = value.iter().position(|b| *b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Metric names, one place.
pub(crate) mod names {
    /// Requests by route, method and status.
    pub const REQUESTS: &str = "upcheck_http_requests_total";
    /// Request latency by route, method and status.
    pub const DURATION: &str = "upcheck_http_request_duration_seconds";
    /// Verdicts given.
    pub const VERDICTS: &str = "upcheck_verdicts_total";
    /// Findings by rule code.
    pub const RULE_HITS: &str = "upcheck_rule_hits_total";
    /// Requests whose response is not produced yet.
    pub const IN_FLIGHT: &str = "upcheck_http_requests_in_flight";
    /// Validations stopped at their request's deadline.
    pub const CANCELLED: &str = "upcheck_validations_cancelled_total";
    /// Connections open.
    pub const CONNECTIONS: &str = "upcheck_http_connections";
    /// Connections the server closed before the client did, by reason
    /// (`header_timeout`, `idle_timeout`, `send_timeout`, `evicted`,
    /// `refused`, `malformed`).
    pub const CONNECTIONS_CLOSED: &str = "upcheck_http_connections_closed_total";
    /// Reports stored on request (`?store=true`).
    pub const STORED: &str = "upcheck_reports_stored_total";
    /// Always 1, labelled with the version: which build runs where.
    pub const BUILD_INFO: &str = "upcheck_build_info";
}

/// The Prometheus recorder of one service instance. Metrics are recorded
/// through [`Metrics::record`], so two instances (two tests) never share
/// counts.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Metrics {
    fn new() -> Metrics {
        const BUCKETS: &[f64] = &[
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ];
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(names::DURATION.to_string()), BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        let m = Metrics { recorder, handle };
        m.record(|| {
            metrics::describe_counter!(
                names::REQUESTS,
                "HTTP requests by route, method and status"
            );
            metrics::describe_histogram!(
                names::DURATION,
                metrics::Unit::Seconds,
                "HTTP request latency by route, method and status"
            );
            metrics::describe_counter!(names::VERDICTS, "Verdicts given by POST /validate");
            metrics::describe_counter!(names::RULE_HITS, "Findings reported, by rule code");
            metrics::describe_gauge!(names::IN_FLIGHT, "HTTP requests in flight");
            metrics::describe_gauge!(names::CONNECTIONS, "HTTP connections open");
            metrics::describe_counter!(
                names::CANCELLED,
                "Validations stopped at their request's deadline"
            );
            metrics::describe_counter!(
                names::CONNECTIONS_CLOSED,
                "HTTP connections closed by the server, by reason"
            );
            metrics::describe_gauge!(
                names::BUILD_INFO,
                "Always 1; the version of upcheck that runs"
            );
            // Present from the first scrape, before any request.
            metrics::gauge!(names::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            for verdict in ["pass", "warn", "fail", "error"] {
                metrics::counter!(names::VERDICTS, "verdict" => verdict).absolute(0);
            }
            metrics::describe_counter!(names::STORED, "Reports stored on request");
            metrics::counter!(names::CANCELLED).absolute(0);
            metrics::gauge!(names::IN_FLIGHT).set(0.0);
            metrics::gauge!(names::CONNECTIONS).set(0.0);
        });
        m
    }

    /// Runs `f` with this instance's recorder as the current one.
    pub fn record<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&self.recorder, f)
    }

    /// The Prometheus text exposition: the recorder's metrics, then the
    /// process's own ([`super::process`]).
    pub fn render(&self) -> String {
        let mut out = self.handle.render();
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(&super::process::exposition());
        out
    }

    /// Drains histogram samples so memory stays bounded between scrapes.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

/// A token bucket per client: `per_minute` requests, refilled evenly.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Clients remembered at most; idle ones are forgotten first.
const MAX_CLIENTS: usize = 10_000;

impl RateLimiter {
    fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the limit is on.
    pub fn enabled(&self) -> bool {
        self.per_minute > 0
    }

    /// Takes one request from `client`'s bucket; `Err(seconds)` says when
    /// the next one is allowed.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(client) {
            buckets.retain(|_, b| now.duration_since(b.last) < Duration::from_secs(60));
            if buckets.len() >= MAX_CLIENTS {
                buckets.clear();
            }
        }
        let b = buckets.entry(client.to_string()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * per_second).min(capacity);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(tokens: &[&str]) -> AppState {
        AppState::new(&Config {
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
            ..Config::default()
        })
    }

    #[test]
    fn bearer_tokens_are_matched_exactly() {
        let s = state(&["s3cret", "other"]);
        assert!(s.auth_required());
        assert!(s.authorized(Some(b"Bearer s3cret")));
        assert!(s.authorized(Some(b"bearer other")));
        assert!(!s.authorized(Some(b"Bearer s3cre")));
        assert!(!s.authorized(Some(b"Bearer s3cret2")));
        assert!(!s.authorized(Some(b"Basic s3cret")));
        assert!(!s.authorized(Some(b"Bearer ")));
        assert!(!s.authorized(None));
        assert!(!state(&[" ", ""]).auth_required());
    }

    #[test]
    fn the_rate_limiter_refuses_past_the_burst_and_says_when_to_retry() {
        let r = RateLimiter::new(2);
        assert!(r.check("a").is_ok());
        assert!(r.check("a").is_ok());
        let wait = r.check("a").unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(r.check("b").is_ok(), "clients have their own buckets");
        assert!(RateLimiter::new(0).check("a").is_ok());
    }
}

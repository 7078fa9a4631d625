//! Budgets: the explicit caps on how much work one validation may do and
//! how much it may answer, each with its default. Past a budget the work
//! stops with a located finding or a truncation marker, never a crash:
//!
//! | budget | default | past it |
//! |---|---|---|
//! | [`max_expanded_directives`](Budgets::max_expanded_directives) | 200 000 | the `include` that crosses it is not followed: a located UC0001 error there |
//! | [`max_interpolation_depth`](Budgets::max_interpolation_depth) | 64 | the `${…}` nested past it is not substituted: a located UC0003 error (the topology is refused) |
//! | [`max_expanded_bytes`](Budgets::max_expanded_bytes) | 1 MiB | later substitutions are left empty: a located UC0003 error at the value that crossed it |
//! | [`max_units`](Budgets::max_units) | 10 000 | later replicas are not modelled: a located UC0003 error at the replicas that cross it |
//! | [`max_resolutions`](Budgets::max_resolutions) | 25 000 | nginx containers past it are not resolved: replicas of an nginx already resolved get a located UC0004 warning; an nginx with no replica resolved, a located UC0003 error (the input is refused) |
//! | [`max_addresses`](Budgets::max_addresses) | 200 000 | resolving stops: a located UC0003 error at the upstream that crossed it, nothing is resolved (the input is refused) |
//! | [`max_findings`](Budgets::max_findings) | 1 000 | the findings about how the input was read first, then the most severe; the rest are left out of the report, counted in `summary.findings_omitted` |
//! | [`max_trace_lines`](Budgets::max_trace_lines) | 20 000 | later traces are cut, counted in `summary.trace_lines_omitted` |
//! | [`max_response_bytes`](Budgets::max_response_bytes) | 32 MiB | the rendered report is refused: [`ResponseTooLarge`] (HTTP 422 `response-too-large`) |
//!
//! Verdicts and summary counts are always computed from everything found:
//! a budget shortens what is listed, never what is judged.
//!
//! Time is bounded by a [`Deadline`]: the pipeline checks it between its
//! stages and inside its long loops, and a validation past it stops and
//! answers [`crate::InputError::TimedOut`].

use std::time::{Duration, Instant};

/// The caps of one validation (see the module docs for what happens past
/// each). Part of [`crate::input::Options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Most directives the nginx configuration may hold with every
    /// `include` expanded, each included file counted once per include
    /// that reads it (plus one per file, so empty files count too).
    pub max_expanded_directives: usize,
    /// Deepest nesting of `${…}` inside a compose value's defaults and
    /// alternatives (`${A:-${B:-…}}`), in compose and env files alike.
    pub max_interpolation_depth: usize,
    /// Most bytes that variable substitution (`${VAR}` in compose files,
    /// `${VAR}` in env files) may add to one project's values, counted
    /// each time a value is read (a value read through a YAML alias counts
    /// once per alias).
    pub max_expanded_bytes: usize,
    /// Most units (network namespaces: compose service replicas,
    /// Kubernetes pods) modelled from one topology format.
    pub max_units: usize,
    /// Most resolutions one validation makes: nginx containers times
    /// upstreams, since every upstream is resolved from every container
    /// that runs nginx.
    pub max_resolutions: usize,
    /// Most addresses connected to in one validation: every upstream from
    /// every nginx container to every address its name resolves to, and to
    /// every pod behind a Service.
    pub max_addresses: usize,
    /// Most findings listed in one report.
    pub max_findings: usize,
    /// Most trace lines listed in one report, over all its upstreams.
    pub max_trace_lines: usize,
    /// Largest rendered report, in bytes.
    pub max_response_bytes: usize,
}

/// [`Budgets::max_expanded_directives`] by default: about six times the
/// 34k directives of a generated 50k-line configuration, and about the
/// most a 1 MiB request can hold written out without includes.
pub const MAX_EXPANDED_DIRECTIVES: usize = 200_000;
/// [`Budgets::max_interpolation_depth`] by default: no real value nests
/// defaults more than a few levels; it keeps the recursion far from the
/// stack's end.
pub const MAX_INTERPOLATION_DEPTH: usize = 64;
/// [`Budgets::max_expanded_bytes`] by default: the largest request body,
/// far above what a project's variables add (a few KB), and small enough
/// that the text and its per-byte source map stay around 10 MB per request
/// (8 MiB let a request reach 238 MB of RSS).
pub const MAX_EXPANDED_BYTES: usize = 1024 * 1024;
/// [`Budgets::max_units`] by default: a hundred services of a hundred
/// replicas, in about 20 MB of model.
pub const MAX_UNITS: usize = 10_000;
/// [`Budgets::max_resolutions`] by default: 25 000 upstreams from one
/// nginx, or 250 from each of a hundred replicas. A resolution and what
/// the report says of it take 5 to 8 KB, so this keeps a validation under
/// 200 MB (25 000 servers in one group: 149 MB for `upcheck validate`,
/// 194 MB for `upcheck serve` answering it); 100 replicas of an nginx with 20 000 upstreams took
/// 9.6 s and 2.3 GB before this budget (README, Budgets).
pub const MAX_RESOLUTIONS: usize = 25_000;
/// [`Budgets::max_addresses`] by default: eight addresses for each of
/// [`MAX_RESOLUTIONS`]. A connection and its trace line take about 400
/// bytes; 10 000 upstreams to a headless Service of 3 200 pods took 68 s
/// and 12 GB before this budget.
pub const MAX_ADDRESSES: usize = 200_000;
/// [`Budgets::max_findings`] by default.
pub const MAX_FINDINGS: usize = 1_000;
/// [`Budgets::max_trace_lines`] by default.
pub const MAX_TRACE_LINES: usize = 20_000;
/// [`Budgets::max_response_bytes`] by default.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

impl Default for Budgets {
    fn default() -> Budgets {
        Budgets {
            max_expanded_directives: MAX_EXPANDED_DIRECTIVES,
            max_interpolation_depth: MAX_INTERPOLATION_DEPTH,
            max_expanded_bytes: MAX_EXPANDED_BYTES,
            max_units: MAX_UNITS,
            max_resolutions: MAX_RESOLUTIONS,
            max_addresses: MAX_ADDRESSES,
            max_findings: MAX_FINDINGS,
            max_trace_lines: MAX_TRACE_LINES,
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }
}

/// When a validation must stop (part of [`crate::input::Options`]; none by
/// default). The work checks it cooperatively, so it stops within one step
/// of a loop after the deadline, and whatever it holds (a service's
/// validation slot) is released then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No deadline: the work runs to its end.
    pub const NONE: Deadline = Deadline(None);

    /// Stop at `at`.
    pub fn at(at: Instant) -> Deadline {
        Deadline(Some(at))
    }

    /// Stop `d` from now.
    pub fn after(d: Duration) -> Deadline {
        Deadline(Instant::now().checked_add(d))
    }

    /// Whether the deadline has passed.
    #[inline]
    pub fn passed(&self) -> bool {
        self.0.is_some_and(|at| Instant::now() >= at)
    }
}

/// A rendered answer larger than [`Budgets::max_response_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the report is larger than {limit} bytes; ask for fewer files at once, or for the markdown or text format"
)]
pub struct ResponseTooLarge {
    /// The budget, in bytes.
    pub limit: usize,
}

/// A writer that refuses to grow past a byte budget, so an oversized
/// answer stops being rendered as soon as it crosses the budget instead of
/// after it has been built whole.
pub struct Capped<W> {
    inner: W,
    left: usize,
    limit: usize,
    /// Set once a write was refused.
    pub exceeded: bool,
}

impl<W: std::io::Write> Capped<W> {
    /// Wraps `inner`, accepting at most `limit` bytes.
    pub fn new(inner: W, limit: usize) -> Capped<W> {
        Capped {
            inner,
            left: limit,
            limit,
            exceeded: false,
        }
    }

    /// The inner writer, or the budget error when a write was refused.
    pub fn finish(self) -> Result<W, ResponseTooLarge> {
        if self.exceeded {
            Err(ResponseTooLarge { limit: self.limit })
        } else {
            Ok(self.inner)
        }
    }
}

impl<W: std::io::Write> std::io::Write for Capped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    // The serializer writes many small pieces: one check each, no loop.
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if buf.len() > self.left {
            self.exceeded = true;
            return Err(std::io::Error::other("response budget exceeded"));
        }
        self.left -= buf.len();
        self.inner.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn deadlines_pass_only_when_set_and_due() {
        assert!(!Deadline::NONE.passed());
        assert!(!Deadline::default().passed());
        assert!(!Deadline::after(Duration::from_secs(3600)).passed());
        assert!(Deadline::at(Instant::now()).passed());
    }

    #[test]
    fn capped_refuses_past_its_budget() {
        let mut w = Capped::new(Vec::new(), 4);
        assert!(w.write_all(b"abcd").is_ok());
        assert!(w.write_all(b"e").is_err());
        assert_eq!(w.finish(), Err(ResponseTooLarge { limit: 4 }));
        let mut w = Capped::new(Vec::new(), 4);
        w.write_all(b"ab").unwrap();
        assert_eq!(w.finish().unwrap(), b"ab");
    }
}

//! Findings: what rules, the parser and the topology loaders report — a
//! [`Severity`], a message and a place — shared by every stage of the
//! pipeline. This module sits low: placement, resolution, rules and the
//! report all import it, and it imports nothing above [`crate::source`]
//! and [`crate::fix`].

use crate::fix::Fix;
use crate::source::Span;
use serde::{Deserialize, Serialize};

/// How serious a problem is; the verdict follows from the worst one. The
/// one severity scale of upcheck: rule findings, nginx parse diagnostics
/// and topology loading diagnostics all use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// nginx will not reach an upstream, will not start, or the input could
    /// not be read: `fail`.
    Error,
    /// Works today but is fragile, partly right, or read with assumptions: `warn`.
    Warning,
    /// Worth knowing; does not change the verdict.
    Info,
}

impl Severity {
    /// The severity named `error`, `warning` or `info`.
    pub fn from_name(name: &str) -> Option<Severity> {
        match name.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }

    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A located problem found by a rule.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Rule code.
    pub code: &'static str,
    /// Rule name.
    pub name: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Message naming the object in backticks, no trailing period.
    pub message: String,
    /// Where (the offending text).
    pub span: Option<Span>,
    /// Other places that explain it (the listener, the Service port…).
    pub related: Vec<Related>,
    /// Proposed fixes, best first.
    pub fixes: Vec<Fix>,
    /// The upstream it is about (index in the extraction).
    pub upstream: Option<usize>,
    /// True when it means the input could not be read (or nginx not
    /// found): the verdict is `error`, not `fail`.
    pub refusal: bool,
    /// Silenced by an `# upcheck: ignore[…]` comment, with its reason:
    /// kept in the report, left out of the verdict and the counts.
    pub suppressed: Option<String>,
}

/// A secondary location.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    /// Where.
    pub span: Span,
    /// What it shows.
    pub message: String,
}

impl Related {
    /// A secondary location with what it shows.
    pub fn new(span: Span, message: impl Into<String>) -> Related {
        Related {
            span,
            message: message.into(),
        }
    }
}

impl Finding {
    /// True for a finding about how the input was read (codes `UC0xxx`,
    /// the "input and parse" range): what the rest of the report stands
    /// on, so a report that leaves findings out keeps these first.
    pub fn about_input(&self) -> bool {
        self.code.starts_with("UC0")
    }

    /// A finding of rule `code`/`name` at `span`, with no related places,
    /// fixes or upstream yet (see the builder methods).
    pub fn new(
        code: &'static str,
        name: &'static str,
        severity: Severity,
        message: impl Into<String>,
        span: Option<Span>,
    ) -> Finding {
        Finding {
            code,
            name,
            severity,
            message: message.into(),
            span,
            related: Vec::new(),
            fixes: Vec::new(),
            upstream: None,
            refusal: false,
            suppressed: None,
        }
    }

    /// The finding, marked as a refusal (or not).
    pub fn refusal(mut self, refusal: bool) -> Finding {
        self.refusal = refusal;
        self
    }

    /// The finding, about upstream `i` of the extraction.
    pub fn upstream(mut self, i: usize) -> Finding {
        self.upstream = Some(i);
        self
    }

    /// The finding, with one more related place.
    pub fn related(mut self, span: Span, message: impl Into<String>) -> Finding {
        self.related.push(Related::new(span, message));
        self
    }

    /// The finding, with one more related place when `span` is known.
    pub fn related_at(self, span: Option<Span>, message: impl Into<String>) -> Finding {
        match span {
            Some(span) => self.related(span, message),
            None => self,
        }
    }

    /// The finding, with one more fix (fixes are listed best first).
    pub fn fix(mut self, fix: Fix) -> Finding {
        self.fixes.push(fix);
        self
    }

    /// The finding, with these fixes appended.
    pub fn fixes(mut self, fixes: impl IntoIterator<Item = Fix>) -> Finding {
        self.fixes.extend(fixes);
        self
    }
}

//! The report: the verdict, every upstream with its status and trace, the
//! findings with their fixes (as edits and as unified diffs), the address
//! table and a summary of the input. Field names are a contract: other
//! tools depend on them, so they change only by addition.
//!
//! [`build`] assembles the report from the pipeline's results. Renderers: [`json`] (the report itself), [`sarif`] (SARIF 2.1.0),
//! [`markdown`] (short, for a chat message) and [`text`] (for a terminal,
//! annotate-snippets style).

pub mod apply;
pub(crate) mod build;
pub(crate) mod chat;
pub mod ci;
pub mod diagram;
pub(crate) mod fingerprint;
pub(crate) mod json;
pub mod links;
pub(crate) mod markdown;
pub(crate) mod mattermost;
pub(crate) mod replicas;
pub(crate) mod sarif;
pub(crate) mod slack;
pub mod text;
pub mod topology;

pub use links::{DocsUrl, Links, SourceRoot};

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability};
use crate::network::Status;
use crate::report::topology::AddressRow;
use crate::source::{SourceMap, Span};
use serde::Serialize;

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every upstream is reachable and nothing is doubtful.
    Pass,
    /// Nothing fails, but something is fragile or cannot be verified.
    Warn,
    /// nginx will not reach an upstream, or will not start.
    Fail,
    /// upcheck could not read the input, or found no nginx: no verdict on
    /// the deployment (CLI exit 2, HTTP 422).
    Error,
}

impl Verdict {
    /// The verdict that follows from findings: `error` on any refusal,
    /// `fail` on any error, `warn` on any warning, else `pass`.
    /// Suppressed findings do not count; a refusal always does.
    pub fn from_findings(findings: &[Finding]) -> Verdict {
        let counted =
            |s: Severity| (findings.iter()).any(|f| f.severity == s && f.suppressed.is_none());
        if findings.iter().any(|f| f.refusal) {
            Verdict::Error
        } else if counted(Severity::Error) {
            Verdict::Fail
        } else if counted(Severity::Warning) {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }

    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// Why there is no verdict on the deployment: what upcheck could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Refusal {
    /// What could not be read, and what to do about it.
    pub message: String,
    /// The rule whose finding refused the input (`UC0003`), if one did.
    pub code: Option<String>,
    /// Where, when there is a place to point at.
    pub location: Option<Location>,
}

/// A place in an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Location {
    /// Path as submitted.
    pub file: String,
    /// Start line, 1-based.
    pub line: u32,
    /// Start column, 1-based, in characters.
    pub column: u32,
    /// End line.
    pub end_line: u32,
    /// End column (exclusive).
    pub end_column: u32,
    /// First byte of the range in the file.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
    /// The template the document came from, in a rendered file (helm's
    /// `# Source:` comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered_from: Option<String>,
}

impl Location {
    /// The location of a span.
    pub fn of(sources: &SourceMap, span: Span) -> Location {
        let s = sources.start(span);
        let e = sources.end(span);
        Location {
            file: sources.get(span.file).path.clone(),
            line: s.line,
            column: s.column,
            end_line: e.line,
            end_column: e.column,
            start: span.start,
            end: span.end,
            rendered_from: sources
                .get(span.file)
                .rendered_from(span.start)
                .map(str::to_string),
        }
    }
}

/// One upstream and how it resolved.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(as = Upstream))]
pub struct UpstreamReport {
    /// Index, referenced by findings' `upstream`.
    pub id: usize,
    /// The directive (`proxy_pass`, `server`, …).
    pub directive: String,
    /// The target as written.
    pub target: String,
    /// Where it is written.
    pub location: Location,
    /// The enclosing `server_name`s.
    pub server_names: Vec<String>,
    /// The enclosing location path, if any.
    pub location_path: Option<String>,
    /// The `upstream { }` group, for its servers.
    pub group: Option<String>,
    /// The nginx container it was resolved from.
    pub nginx: String,
    /// reachable | unreachable | unverifiable.
    pub status: Status,
    /// Why, when not reachable.
    pub reason: Option<String>,
    /// The network namespaces (units) its addresses led to, answered or
    /// not, in the order they were tried; empty when it reached none (a
    /// name that does not resolve, a Service with no endpoints).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lands: Vec<String>,
    /// Step by step, in plain sentences.
    pub trace: Vec<String>,
    /// Trace lines left out because the report's trace budget was spent
    /// (absent when none were).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_omitted: Option<usize>,
}

/// A fix as reported.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(as = Fix))]
pub struct FixReport {
    /// Imperative title.
    pub title: String,
    /// safe | unsafe | display-only.
    pub applicability: Applicability,
    /// Byte-range edits.
    pub edits: Vec<EditReport>,
    /// The same as a unified diff (empty when there are no edits).
    pub diff: String,
}

/// An edit as reported: the file by path, byte offsets and positions.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(as = Edit))]
pub struct EditReport {
    /// File path.
    pub file: String,
    /// First byte replaced.
    pub start: u32,
    /// One past the last byte replaced.
    pub end: u32,
    /// Where the replaced range starts and ends.
    pub location: Location,
    /// New text.
    pub replacement: String,
}

/// A secondary location of a finding.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(as = Related))]
pub struct RelatedReport {
    /// Where.
    pub location: Location,
    /// What it shows.
    pub message: String,
}

/// A finding as reported.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(as = Finding))]
pub struct FindingReport {
    /// Rule code (`UC2001`).
    pub code: String,
    /// Rule name (`loopback-upstream-nothing-listens`).
    pub name: String,
    /// error | warning | info.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// Where.
    pub location: Option<Location>,
    /// Related places.
    pub related: Vec<RelatedReport>,
    /// Fixes, best first.
    pub fixes: Vec<FixReport>,
    /// The upstream it is about (`upstreams[].id`).
    pub upstream: Option<usize>,
    /// The rule's documentation page, relative to the repository.
    pub docs: String,
    /// The reason given by the `# upcheck: ignore[…]` comment that
    /// silences it (empty when none was given); absent when it counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

/// What an input file is to a validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum FileRole {
    /// A topology document.
    Topology,
    /// The main nginx file.
    NginxMain,
    /// An nginx file the main file includes.
    NginxIncluded,
    /// An nginx file nothing includes.
    NginxUnused,
    /// A file the nginx image supplies (its `nginx.conf`).
    NginxImageDefault,
    /// A template the image's entrypoint renders.
    NginxTemplate,
    /// What a template renders to.
    NginxRendered,
    /// Another project file the model reads (an env file, a Dockerfile, a
    /// file a Dockerfile copies, a mount source).
    Project,
}

/// One input file and its role.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(as = InputFile))]
pub struct InputFileReport {
    /// Path.
    pub path: String,
    /// nginx-main | nginx-included | nginx-unused | nginx-image-default |
    /// nginx-template | nginx-rendered | topology.
    pub role: FileRole,
    /// For topology files: the format.
    pub format: Option<String>,
    /// For nginx files: where the nginx container sees it.
    pub container_path: Option<String>,
}

/// Counts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Summary {
    /// Upstreams checked (per nginx container).
    pub upstreams: usize,
    /// Reachable ones.
    pub reachable: usize,
    /// Unreachable ones.
    pub unreachable: usize,
    /// Unverifiable ones.
    pub unverifiable: usize,
    /// Findings by severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Infos.
    pub infos: usize,
    /// False when nginx would refuse its configuration.
    pub nginx_starts: bool,
    /// Findings silenced by `# upcheck: ignore[…]` comments: listed, marked
    /// `suppressed`, and not counted above (absent when none were).
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: usize,
    /// Findings counted above but not listed, past the report's findings
    /// budget (absent when none were left out).
    #[serde(skip_serializing_if = "is_zero")]
    pub findings_omitted: usize,
    /// Trace lines left out past the report's trace budget (absent when
    /// none were).
    #[serde(skip_serializing_if = "is_zero")]
    pub trace_lines_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What was checked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InputSummary {
    /// compose | kubernetes.
    pub platform: String,
    /// Compose project name.
    pub project: Option<String>,
    /// The nginx containers (unit/container).
    pub nginx: Vec<String>,
    /// Every file and its role.
    pub files: Vec<InputFileReport>,
    /// What finding the files had to say (a chart left unrendered, and
    /// the command that renders it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The whole answer of a validation: the verdict, every upstream, the
/// findings and fixes, the address table and what was checked. Fields
/// change only by addition.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Report {
    /// pass | warn | fail | error.
    pub verdict: Verdict,
    /// With verdict `error`: why the input could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// Counts.
    pub summary: Summary,
    /// Every upstream, per nginx container.
    pub upstreams: Vec<UpstreamReport>,
    /// Every finding.
    pub findings: Vec<FindingReport>,
    /// Every unit's address on every network, modelled or observed.
    pub addresses: Vec<AddressRow>,
    /// What was checked.
    pub input: InputSummary,
    /// The tool and version.
    pub tool: String,
    /// The input files, for renderers that quote them (not serialized).
    #[serde(skip)]
    pub sources: SourceMap,
}

impl Report {
    /// The report of an input that could not be read at all: verdict
    /// `error`, the reason, and the files that were read.
    pub fn refused(message: impl Into<String>, files: Vec<InputFileReport>) -> Report {
        Report {
            verdict: Verdict::Error,
            refusal: Some(Refusal {
                message: message.into(),
                code: None,
                location: None,
            }),
            summary: Summary::default(),
            upstreams: Vec::new(),
            findings: Vec::new(),
            addresses: Vec::new(),
            input: InputSummary {
                platform: "unknown".into(),
                project: None,
                nginx: Vec::new(),
                files,
                notes: Vec::new(),
            },
            tool: format!("upcheck {}", env!("CARGO_PKG_VERSION")),
            sources: SourceMap::new(),
        }
    }
}

/// Builds a fix report (edits located, diff rendered).
pub fn fix_report(sources: &SourceMap, f: &fix::Fix) -> FixReport {
    FixReport {
        title: f.title.clone(),
        applicability: f.applicability,
        edits: f
            .edits
            .iter()
            .map(|e| EditReport {
                file: sources.get(e.file).path.clone(),
                start: e.start,
                end: e.end,
                location: Location::of(
                    sources,
                    Span {
                        file: e.file,
                        start: e.start,
                        end: e.end,
                    },
                ),
                replacement: e.replacement.clone(),
            })
            .collect(),
        diff: if f.edits.is_empty() {
            String::new()
        } else {
            fix::diff(sources, f)
        },
    }
}

/// Builds a finding report.
pub fn finding_report(sources: &SourceMap, f: &Finding) -> FindingReport {
    FindingReport {
        code: f.code.to_string(),
        name: f.name.to_string(),
        severity: f.severity,
        message: f.message.clone(),
        location: f.span.map(|s| Location::of(sources, s)),
        related: f
            .related
            .iter()
            .map(|r| RelatedReport {
                location: Location::of(sources, r.span),
                message: r.message.clone(),
            })
            .collect(),
        fixes: f.fixes.iter().map(|x| fix_report(sources, x)).collect(),
        upstream: f.upstream,
        docs: format!("docs/rules/{}.md", f.code),
        suppressed: f.suppressed.clone(),
    }
}

/// The report formats: one enum for the CLI (`--format`/`-o`), the HTTP
/// API (`?format=`, `Accept`) and the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The JSON report (`application/json`).
    Json,
    /// SARIF 2.1.0 for code scanning (`application/sarif+json`).
    Sarif,
    /// A short Markdown summary for chat (`text/markdown`).
    #[serde(alias = "md")]
    #[value(alias = "md")]
    Markdown,
    /// Text for a terminal or a CI log (`text/plain`).
    #[serde(alias = "txt")]
    #[value(alias = "txt")]
    Text,
    /// GitHub Actions annotations (`::error file=…,line=…::…`; `text/plain`).
    Github,
    /// GitLab Code Quality JSON (`application/json`).
    Gitlab,
    /// JUnit XML for CI dashboards (`application/xml`).
    Junit,
    /// A Slack message in Block Kit (`application/json`).
    Slack,
    /// A Mattermost message with attachments (`application/json`).
    Mattermost,
    /// The picture of the world and each upstream's path (`image/svg+xml`).
    Svg,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 10] = [
        Format::Json,
        Format::Sarif,
        Format::Markdown,
        Format::Text,
        Format::Github,
        Format::Gitlab,
        Format::Junit,
        Format::Slack,
        Format::Mattermost,
        Format::Svg,
    ];

    /// The formats `Accept` chooses among, in the order `Accept: */*`
    /// prefers; `github`, `gitlab`, `slack` and `mattermost` share another's
    /// media type, so only `?format=` (or their path) asks for them.
    pub const NEGOTIATED: [Format; 5] = [
        Format::Json,
        Format::Sarif,
        Format::Markdown,
        Format::Text,
        Format::Junit,
    ];

    /// The format's name (`json`, `sarif`, `markdown`, `text`, `github`,
    /// `gitlab`, `junit`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Github => "github",
            Format::Gitlab => "gitlab",
            Format::Junit => "junit",
            Format::Slack => "slack",
            Format::Mattermost => "mattermost",
            Format::Svg => "svg",
        }
    }

    /// Parses a name as the CLI and `?format=` accept it (`md`, `txt` too).
    pub fn from_name(s: &str) -> Option<Format> {
        match s {
            "md" => Some(Format::Markdown),
            "txt" => Some(Format::Text),
            _ => Format::ALL.into_iter().find(|f| f.name() == s),
        }
    }

    /// The media type, without parameters (`text/markdown`).
    pub const fn media_type(self) -> &'static str {
        match self {
            Format::Json | Format::Gitlab | Format::Slack | Format::Mattermost => {
                "application/json"
            }
            Format::Sarif => "application/sarif+json",
            Format::Markdown => "text/markdown",
            Format::Text | Format::Github => "text/plain",
            Format::Junit => "application/xml",
            Format::Svg => "image/svg+xml",
        }
    }

    /// The `Content-Type` of a rendered report (text types name their charset).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json | Format::Gitlab | Format::Slack | Format::Mattermost => {
                "application/json"
            }
            Format::Sarif => "application/sarif+json",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Text | Format::Github => "text/plain; charset=utf-8",
            Format::Junit => "application/xml; charset=utf-8",
            Format::Svg => "image/svg+xml; charset=utf-8",
        }
    }
}

/// Renders a report for an answer that must stay within `limit` bytes:
/// JSON compact unless `pretty`, rendered into a capped buffer so an
/// oversized report stops as soon as it crosses the budget.
pub fn render_capped(
    report: &Report,
    format: Format,
    pretty: bool,
    limit: usize,
    links: &Links,
) -> Result<Vec<u8>, crate::budget::ResponseTooLarge> {
    let mut w = crate::budget::Capped::new(Vec::with_capacity(limit.min(16 * 1024)), limit);
    let written = match (format, pretty) {
        (Format::Json, false) => serde_json::to_writer(&mut w, report).map_err(|_| ()),
        _ => std::io::Write::write_all(&mut w, render_with(report, format, links).as_bytes())
            .map_err(|_| ()),
    };
    match (written, w.finish()) {
        (_, Err(e)) => Err(e),
        (Ok(()), Ok(buf)) => Ok(buf),
        (Err(()), Ok(_)) => unreachable!("a Vec only refuses past the cap"),
    }
}

/// Renders a report in a format, without links (SARIF then has no
/// `helpUri`, and its URIs are the report's paths).
pub fn render(report: &Report, format: Format) -> String {
    render_with(report, format, &Links::default())
}

/// Renders a report in a format, with where rule pages and files are.
pub fn render_with(report: &Report, format: Format, links: &Links) -> String {
    match format {
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report, links),
        Format::Markdown => markdown::render(report),
        Format::Text => text::render(report),
        Format::Github => ci::github(report),
        Format::Gitlab => ci::gitlab(report),
        Format::Junit => ci::junit(report),
        Format::Slack => slack::render(report, links),
        Format::Mattermost => mattermost::render(report, links),
        Format::Svg => diagram::render(report),
    }
}

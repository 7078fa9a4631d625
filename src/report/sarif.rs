//! SARIF 2.1.0 for code scanning: one run whose `tool.driver.rules` come
//! from the rule registry (the same docs as `docs/rules/`), one result per
//! finding with its location, related locations and fixes (as SARIF
//! `artifactChanges`), the input files as `artifacts`, and the verdict and
//! every upstream's status in the run's `properties`.
//!
//! Columns are Unicode code points (`columnKind: unicodeCodePoints`), as in
//! the JSON report; regions also carry byte and character offsets.
//!
//! What code scanning needs to map and keep alerts:
//! - artifact URIs relative to `%SRCROOT%` (the repository root when the
//!   CLI finds one), which [`Links::root`] places; code scanning ignores
//!   `uriBaseId` and reads relative URIs from the repository root, so the
//!   project directory's path is part of each URI;
//! - `helpUri` only from a configured [`Links::docs`], never a placeholder;
//! - `partialFingerprints` ([`super::fingerprint`]) that survive lines moving.

use super::links::{Links, Placed, uri_path};
use super::{FileRole, FindingReport, FixReport, Location, Report};
use crate::finding::Severity;
use crate::rules::Meta;
use crate::rules::docs;
use crate::rules::registry::RULES;
use crate::source::SourceFile;
use serde_json::{Value, json};
use serde_sarif::sarif::{
    self, Artifact, ArtifactChange, ArtifactContent, ArtifactLocation, Invocation, Message,
    MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, ReportingDescriptorReference, ResultLevel, Run,
    Sarif, Tool, ToolComponent,
};
use std::collections::BTreeMap;

/// The JSON schema the log names in `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The base id of the files the nginx image supplies (no file of the
/// project holds them).
pub const IMAGE_BASE: &str = "NGINX_IMAGE";
/// The base id of the project's files.
pub const SRCROOT: &str = "%SRCROOT%";

/// The SARIF log, pretty-printed.
pub fn render(r: &Report, links: &Links) -> String {
    serde_json::to_string_pretty(&log(r, links)).expect("the SARIF log serializes")
}

/// A report with what the renderer needs beyond it; derefs to the report.
struct Cx<'a> {
    r: &'a Report,
    links: &'a Links,
}

impl std::ops::Deref for Cx<'_> {
    type Target = Report;
    fn deref(&self) -> &Report {
        self.r
    }
}

/// The SARIF log of a report.
pub fn log(r: &Report, links: &Links) -> Sarif {
    let r = &Cx { r, links };
    let mut results: Vec<sarif::Result> = r.findings.iter().map(|f| result(r, f)).collect();
    let prints = super::fingerprint::of_findings(&r.sources, &r.findings);
    for (res, print) in results.iter_mut().zip(prints) {
        res.partial_fingerprints = Some(BTreeMap::from([(
            super::fingerprint::KEY.to_string(),
            print,
        )]));
    }
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver(links)).build())
        .column_kind(json!("unicodeCodePoints"))
        .artifacts(artifacts(r))
        .invocations(vec![invocation(r)])
        .results(results)
        .properties(bag([
            ("verdict", json!(r.verdict)),
            ("summary", json!(r.summary)),
            ("platform", json!(r.input.platform)),
            ("upstreams", json!(r.upstreams)),
        ]))
        .build();
    run.original_uri_base_ids = Some(base_ids(r));
    Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The run's invocation: successful unless the input could not be read,
/// in which case the reason is a tool notification (code scanning shows
/// it instead of an empty result).
fn invocation(r: &Cx) -> Invocation {
    let Some(why) = &r.refusal else {
        return Invocation::builder().execution_successful(true).build();
    };
    let mut n = Notification::builder()
        .message(Message::builder().text(why.message.clone()).build())
        .level(json!("error"))
        .build();
    if let Some(l) = &why.location {
        n.locations = Some(vec![location(r, l, None)]);
    }
    if let Some(code) = &why.code {
        n.associated_rule = Some(
            ReportingDescriptorReference::builder()
                .id(code.clone())
                .build(),
        );
    }
    let mut i = Invocation::builder().execution_successful(false).build();
    i.tool_execution_notifications = Some(vec![n]);
    i
}

/// `originalUriBaseIds`: `%SRCROOT%` (its absolute URI when the CLI knows
/// it) and, when a file comes from the nginx image, [`IMAGE_BASE`].
fn base_ids(r: &Cx) -> BTreeMap<String, ArtifactLocation> {
    let mut out = BTreeMap::new();
    let mut root = ArtifactLocation::builder().build();
    match r.links.root.uri() {
        Some(uri) => root.uri = Some(uri),
        None => {
            root.description = Some(
                Message::builder()
                    .text("The root of the submitted files: their paths are relative to it")
                    .build(),
            )
        }
    }
    out.insert(SRCROOT.to_string(), root);
    if r.input
        .files
        .iter()
        .any(|f| f.role == FileRole::NginxImageDefault)
    {
        let mut image = ArtifactLocation::builder().build();
        image.description = Some(
            Message::builder()
                .text("Files the nginx image supplies, assumed as the image ships them; no file of the project holds them")
                .build(),
        );
        out.insert(IMAGE_BASE.to_string(), image);
    }
    out
}

/// `tool.driver`: upcheck and every rule in the registry.
pub fn driver(links: &Links) -> ToolComponent {
    let mut d = ToolComponent::builder()
        .name("upcheck")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(
            RULES
                .iter()
                .map(|r| rule(r.meta(), links))
                .collect::<Vec<_>>(),
        )
        .build();
    // Cargo sets it empty when the manifest names no repository.
    d.information_uri = option_env!("CARGO_PKG_REPOSITORY")
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    d
}

/// A rule's SARIF descriptor. `helpUri` must be an absolute URI: it is the
/// rule's page under the configured docs URL, and absent without one. The
/// page's path in the repository is in `properties.docs`.
pub fn rule(m: &Meta, links: &Links) -> ReportingDescriptor {
    let body = docs::docs_body(m);
    let page = format!("docs/rules/{}.md", m.code);
    let mut tags = vec![docs::range_of(m.code).unwrap_or("unassigned").to_string()];
    tags.push(m.name.to_string());
    let mut d = ReportingDescriptor::builder()
        .id(m.code)
        .name(m.name)
        .short_description(text(m.summary()))
        .full_description(
            MultiformatMessageString::builder()
                .text(sections_text(
                    &body,
                    &["## What it does", "## Why is this bad?"],
                ))
                .markdown(sections(&body, &["## What it does", "## Why is this bad?"]))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(body.clone())
                .markdown(body)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level_name(m.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(map([
                    ("docs", json!(page)),
                    ("fix", json!(m.fix)),
                    ("severity", json!(m.severity.as_str())),
                ]))
                .build(),
        )
        .build();
    d.help_uri = links.docs.as_ref().map(|u| u.rule(m.code));
    d
}

fn result(r: &Cx, f: &FindingReport) -> sarif::Result {
    let index = RULES.iter().position(|x| x.meta().code == f.code);
    let primary = f
        .location
        .as_ref()
        .or(f.related.first().map(|x| &x.location));
    let primary_location = match primary {
        Some(l) => location(r, l, None),
        None => whole_file(r, fallback_file(r)),
    };
    let mut props = map([
        ("name", json!(f.name)),
        ("docs", json!(f.docs)),
        ("severity", json!(f.severity.as_str())),
    ]);
    if f.location.is_none() {
        props.insert("approximateLocation".into(), json!(true));
    }
    if let Some(id) = f.upstream {
        let ups: Vec<Value> = r
            .upstreams
            .iter()
            .filter(|u| u.id == id)
            .map(|u| {
                json!({
                    "id": u.id,
                    "directive": u.directive,
                    "target": u.target,
                    "nginx": u.nginx,
                    "status": u.status,
                    "reason": u.reason,
                })
            })
            .collect();
        if let Some(first) = ups.first() {
            props.insert("upstreamStatus".into(), first["status"].clone());
        }
        props.insert("upstreams".into(), Value::Array(ups));
    }
    let mut b = sarif::Result::builder()
        .rule_id(f.code.clone())
        .level(result_level(f.severity))
        .message(sarif::Message::builder().text(f.message.clone()).build())
        .locations(vec![primary_location])
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build();
    b.rule_index = index.map(|i| i as i64);
    if !f.related.is_empty() {
        b.related_locations = Some(
            f.related
                .iter()
                .enumerate()
                .map(|(i, x)| location(r, &x.location, Some((i as i64 + 1, &x.message))))
                .collect(),
        );
    }
    // SARIF fixes need at least one change: display-only advice stays in the
    // message and the report, not here.
    let fixes: Vec<sarif::Fix> = f
        .fixes
        .iter()
        .filter(|x| !x.edits.is_empty())
        .map(|x| fix(r, x))
        .collect();
    if !fixes.is_empty() {
        b.fixes = Some(fixes);
    }
    // Silenced in the source: code scanning shows it as dismissed.
    if let Some(reason) = &f.suppressed {
        let mut s = sarif::Suppression::builder()
            .kind(json!("inSource"))
            .build();
        if !reason.is_empty() {
            s.justification = Some(reason.clone());
        }
        b.suppressions = Some(vec![s]);
    }
    b
}

fn fix(r: &Cx, x: &FixReport) -> sarif::Fix {
    let mut files: Vec<&str> = Vec::new();
    for e in &x.edits {
        if !files.contains(&e.file.as_str()) {
            files.push(&e.file);
        }
    }
    let changes = files
        .into_iter()
        .map(|file| {
            let replacements = x
                .edits
                .iter()
                .filter(|e| e.file == file)
                .map(|e| {
                    Replacement::builder()
                        .deleted_region(region(r, &e.location))
                        .inserted_content(
                            ArtifactContent::builder()
                                .text(e.replacement.clone())
                                .build(),
                        )
                        .build()
                })
                .collect::<Vec<_>>();
            ArtifactChange::builder()
                .artifact_location(artifact_location(r, file))
                .replacements(replacements)
                .build()
        })
        .collect::<Vec<_>>();
    sarif::Fix::builder()
        .description(sarif::Message::builder().text(x.title.clone()).build())
        .artifact_changes(changes)
        .properties(bag([("applicability", json!(x.applicability))]))
        .build()
}

fn location(r: &Cx, l: &Location, related: Option<(i64, &str)>) -> sarif::Location {
    let physical = PhysicalLocation::builder()
        .artifact_location(artifact_location(r, &l.file))
        .region(region(r, l))
        .build();
    let mut out = sarif::Location::builder()
        .physical_location(physical)
        .build();
    if let Some((id, message)) = related {
        out.id = Some(id);
        out.message = Some(sarif::Message::builder().text(message).build());
    }
    out
}

/// A location covering the start of a file, for findings about a file as a whole.
fn whole_file(r: &Cx, file: Option<&str>) -> sarif::Location {
    let file = file.unwrap_or("");
    let physical = PhysicalLocation::builder()
        .artifact_location(artifact_location(r, file))
        .region(
            Region::builder()
                .start_line(1)
                .start_column(1)
                .end_line(1)
                .end_column(1)
                .build(),
        )
        .build();
    sarif::Location::builder()
        .physical_location(physical)
        .build()
}

/// The file a finding without a location is attributed to: the first
/// topology file, else the first input file.
fn fallback_file<'r>(r: &'r Cx) -> Option<&'r str> {
    r.input
        .files
        .iter()
        .find(|f| f.role == FileRole::Topology)
        .or(r.input.files.first())
        .map(|f| f.path.as_str())
}

fn region(r: &Cx, l: &Location) -> Region {
    let mut region = Region::builder()
        .start_line(l.line)
        .start_column(l.column)
        .end_line(l.end_line)
        .end_column(l.end_column)
        .byte_offset(l.start)
        .byte_length(l.end.saturating_sub(l.start))
        .build();
    if let Some(file) = source(r, &l.file) {
        let (s, e) = (l.start as usize, l.end as usize);
        if s <= e && e <= file.bytes.len() {
            // From the file's character index: constant time per location.
            let before = file.chars_before(s);
            region.char_offset = Some(before as i64);
            region.char_length = Some((file.chars_before(e) - before) as i64);
        }
    }
    region
}

/// An input file's location: relative to `%SRCROOT%` when the project
/// holds it, under [`IMAGE_BASE`] when the nginx image supplies it, else an
/// absolute `file://` URI (or, when no root is known, a bare reference).
fn placed(r: &Cx, path: &str) -> ArtifactLocation {
    let image = r
        .input
        .files
        .iter()
        .any(|f| f.path == path && f.role == FileRole::NginxImageDefault);
    let (uri, base) = if image {
        (uri_path(path.trim_start_matches('/')), Some(IMAGE_BASE))
    } else {
        match r.links.root.place(path) {
            Placed::Root(uri) => (uri, Some(SRCROOT)),
            Placed::Absolute(uri) | Placed::Unrooted(uri) => (uri, None),
        }
    };
    let mut l = ArtifactLocation::builder().uri(uri).build();
    l.uri_base_id = base.map(str::to_string);
    l
}

fn artifact_location(r: &Cx, path: &str) -> ArtifactLocation {
    let mut l = placed(r, path);
    l.index = r
        .input
        .files
        .iter()
        .position(|f| f.path == path)
        .map(|i| i as i64);
    l
}

fn artifacts(r: &Cx) -> Vec<Artifact> {
    r.input
        .files
        .iter()
        .map(|f| {
            let mut a = Artifact::builder()
                .location(placed(r, &f.path))
                .roles(vec![json!("analysisTarget")])
                .build();
            let mut props = map([("role", json!(f.role))]);
            if let Some(format) = &f.format {
                props.insert("format".into(), json!(format));
            }
            a.properties = Some(PropertyBag::builder().additional_properties(props).build());
            if let Some(file) = source(r, &f.path) {
                a.length = Some(file.bytes.len() as i64);
            }
            a.source_language = Some(
                match f.format.as_deref() {
                    None if f.role != FileRole::Topology => "nginx",
                    Some("compose") | Some("kubernetes") => "yaml",
                    Some(_) if f.path.ends_with(".json") => "json",
                    _ => "plaintext",
                }
                .to_string(),
            );
            a
        })
        .collect()
}

fn source<'r>(r: &'r Report, path: &str) -> Option<&'r SourceFile> {
    r.sources.find(path).map(|id| r.sources.get(id))
}

/// `error`, `warning` or `note`: SARIF's names for the severities.
pub fn level_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn result_level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn text(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

fn map<const N: usize>(pairs: [(&str, Value); N]) -> BTreeMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn bag<const N: usize>(pairs: [(&str, Value); N]) -> PropertyBag {
    PropertyBag::builder()
        .additional_properties(map(pairs))
        .build()
}

/// The Markdown of the named `##` sections of a rule's docs.
fn sections(body: &str, names: &[&str]) -> String {
    let mut out = String::new();
    let mut on = false;
    for line in body.lines() {
        if line.starts_with("## ") {
            on = names.contains(&line.trim_end());
        }
        if on {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

/// The same sections as plain text: headings dropped, paragraphs joined.
fn sections_text(body: &str, names: &[&str]) -> String {
    let md = sections(body, names);
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in md.lines() {
        let line = line.trim();
        if line.starts_with("## ") || line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_path("conf.d/default.conf"), "conf.d/default.conf");
        assert_eq!(uri_path("my dir\\a:b.yaml"), "my%20dir/a%3Ab.yaml");
    }

    #[test]
    fn every_rule_has_a_descriptor_with_a_level() {
        let d = driver(&Links::default());
        let rules = d.rules.expect("rules");
        assert_eq!(rules.len(), RULES.len());
        for r in rules {
            let level = r.default_configuration.and_then(|c| c.level);
            assert!(
                matches!(
                    level.as_ref().and_then(Value::as_str),
                    Some("error" | "warning" | "note")
                ),
                "{}",
                r.id
            );
            assert!(
                !r.short_description.expect("short").text.is_empty(),
                "{}",
                r.id
            );
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A hand-built report for renderer unit tests.
    use crate::report::*;
    use crate::source::{SourceFile, SourceMap, Span};

    /// A report with one file and one finding at `span` (or none).
    pub fn report(path: &str, bytes: &[u8], span: Option<(u32, u32)>) -> Report {
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::new(path, bytes.to_vec()));
        let location = span.map(|(start, end)| Location::of(&sources, Span { file, start, end }));
        Report {
            verdict: Verdict::Fail,
            refusal: None,
            summary: Summary {
                errors: 1,
                nginx_starts: true,
                ..Default::default()
            },
            upstreams: Vec::new(),
            findings: vec![FindingReport {
                code: "UC0005".into(),
                name: "nginx-container-missing".into(),
                severity: Severity::Error,
                message: "no container runs nginx".into(),
                location,
                related: Vec::new(),
                fixes: Vec::new(),
                upstream: None,
                docs: "docs/rules/UC0005.md".into(),
                suppressed: None,
            }],
            addresses: Vec::new(),
            input: InputSummary {
                platform: "compose".into(),
                project: None,
                nginx: Vec::new(),
                files: vec![InputFileReport {
                    path: path.into(),
                    role: FileRole::Topology,
                    format: Some("compose".into()),
                    container_path: None,
                }],
                notes: Vec::new(),
            },
            tool: "upcheck".into(),
            sources,
        }
    }
}

#[cfg(test)]
mod fallback_tests {
    use super::*;

    #[test]
    fn a_finding_without_a_location_points_at_the_topology_file() {
        let r = fixtures::report("compose.yaml", b"services: {}\n", None);
        let log = serde_json::to_value(log(&r, &Links::default())).unwrap();
        let res = &log["runs"][0]["results"][0];
        let p = &res["locations"][0]["physicalLocation"];
        assert_eq!(p["artifactLocation"]["uri"], "compose.yaml");
        assert_eq!(p["artifactLocation"]["index"], 0);
        assert_eq!(p["region"]["startLine"], 1);
        assert_eq!(res["properties"]["approximateLocation"], true);
    }
}

//! The report stage: turns what the pipeline found (the parsed
//! configuration, the resolutions, the findings, the topology) into a
//! [`Report`] — the verdict, the summary counts, every upstream with its
//! trace, the findings with located fixes, the address table and the
//! input summary with each file's role.

use super::topology::address_table;
use super::{
    FileRole, InputFileReport, InputSummary, Location, Refusal, Report, Summary, UpstreamReport,
    Verdict, finding_report,
};
use crate::budget::{Budgets, Deadline};
use crate::finding::{Finding, Severity};
use crate::network::{Resolution, Status};
use crate::nginx::Config;
use crate::nginx::upstreams::Extraction;
use crate::placement::{self, PlacedBy, Placement};
use crate::source::{FileId, SourceMap, Span};
use crate::topology::Site;
use crate::topology::{self, Document, Platform, Topology};
use std::collections::HashSet;

/// Everything the pipeline produced, handed to [`build`].
pub struct Outcome<'a> {
    /// Every file, including placed and rendered ones.
    pub sources: SourceMap,
    /// The topology documents.
    pub documents: &'a [Document],
    /// The project's other files.
    pub project: &'a [FileId],
    /// The modelled world.
    pub topology: &'a Topology,
    /// The nginx containers.
    pub sites: &'a [Site],
    /// The main nginx file.
    pub main: FileId,
    /// Where the nginx container sees its files, when mounts place them.
    pub placement: Option<&'a Placement>,
    /// The parsed configuration.
    pub config: &'a Config,
    /// Upstreams, listens and resolvers.
    pub extraction: &'a Extraction,
    /// One resolution per upstream per site.
    pub resolutions: &'a [Resolution],
    /// The findings, already mapped back to the files as written.
    pub findings: &'a [Finding],
    /// Caps on what the report lists.
    pub budgets: Budgets,
    /// Past it, no more upstreams are listed (the caller discards the
    /// report).
    pub deadline: Deadline,
}

/// Builds the report.
pub fn build(o: Outcome) -> Report {
    let sources = &o.sources;
    // One entry per upstream per nginx workload; its replicas ride along.
    let listed = super::replicas::grouped(o.topology, o.resolutions);
    let mut summary = summary(&o, &listed);
    // Trace lines are shared out in report order until the budget is spent.
    let mut lines_left = o.budgets.max_trace_lines;
    let upstreams = listed
        .into_iter()
        .take_while(|_| !o.deadline.passed())
        .map(|(first, replicas)| {
            let r = &o.resolutions[first];
            let mut u = upstream(&o, r, lines_left);
            lines_left -= u.trace.len();
            let omitted = r.trace.len() - u.trace.len();
            if omitted > 0 {
                summary.trace_lines_omitted += omitted;
                u.trace_omitted = Some(omitted);
            }
            if !replicas.is_empty() && lines_left > 0 {
                u.trace
                    .push(super::replicas::line(o.topology, o.resolutions, &replicas));
                lines_left -= 1;
            }
            u
        })
        .collect();
    let input = input_summary(&o);
    let listed = listed_findings(o.findings, o.budgets.max_findings);
    summary.findings_omitted = o.findings.len() - listed.len();
    let findings = listed
        .into_iter()
        .map(|f| finding_report(sources, f))
        .collect();
    let refusal = o.findings.iter().find(|f| f.refusal).map(|f| Refusal {
        message: f.message.clone(),
        code: Some(f.code.to_string()),
        location: f.span.map(|s| Location::of(sources, s)),
    });
    Report {
        verdict: Verdict::from_findings(o.findings),
        refusal,
        summary,
        upstreams,
        findings,
        addresses: address_table(o.topology),
        input,
        tool: format!("upcheck {}", env!("CARGO_PKG_VERSION")),
        sources: o.sources,
    }
}

fn remap(o: &Outcome, s: Span) -> Span {
    o.placement.map_or(s, |p| p.remap(s))
}

/// The findings a report lists: all of them within the budget, else
/// those about how the input was read (a budget that left work out says
/// so there), then the most severe (errors, then warnings, then infos,
/// each in report order), `max` in all, still in report order. n·log n.
fn listed_findings(findings: &[Finding], max: usize) -> Vec<&Finding> {
    if findings.len() <= max {
        return findings.iter().collect();
    }
    let mut keep: Vec<usize> = (0..findings.len()).collect();
    keep.sort_by_key(|&i| (!findings[i].about_input(), findings[i].severity, i));
    keep.truncate(max);
    keep.sort_unstable();
    keep.into_iter().map(|i| &findings[i]).collect()
}

/// The units an upstream's hits landed in, each once, in order.
fn lands(o: &Outcome, r: &Resolution) -> Vec<String> {
    use crate::network::Outcome as Hit;
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for h in &r.hits {
        let unit = match h.outcome {
            Hit::Listening { unit, .. }
            | Hit::LoopbackOnly { unit, .. }
            | Hit::WrongFamily { unit, .. }
            | Hit::NothingListens { unit, .. }
            | Hit::Unknown { unit, .. }
            | Hit::NoRoute { unit, .. } => unit,
            Hit::SelfLoop { .. } => r.site.unit,
            _ => continue,
        };
        if seen.insert(unit.0) {
            out.push(o.topology.units[unit.0].name.clone());
        }
    }
    out
}

/// One upstream's entry, with at most `lines` lines of its trace.
fn upstream(o: &Outcome, r: &Resolution, lines: usize) -> UpstreamReport {
    let up = &o.extraction.upstreams[r.upstream];
    let u = &o.topology.units[r.site.unit.0];
    UpstreamReport {
        id: r.upstream,
        directive: up.directive.name().to_string(),
        target: o.sources.snippet(up.span),
        location: Location::of(&o.sources, remap(o, up.span)),
        server_names: up
            .server
            .as_ref()
            .map(|s| s.server_names.clone())
            .unwrap_or_default(),
        location_path: up.location.as_ref().map(|l| l.path.clone()),
        group: up.group.clone(),
        nginx: u.container_label(r.site.container),
        status: r.status,
        reason: r.reason.clone(),
        lands: lands(o, r),
        trace: r.trace.iter().take(lines).cloned().collect(),
        trace_omitted: None,
    }
}

/// The counts; upstreams as `listed` (one per nginx workload).
fn summary(o: &Outcome, listed: &[(usize, Vec<usize>)]) -> Summary {
    let count = |s: Status| {
        (listed.iter())
            .filter(|(i, _)| o.resolutions[*i].status == s)
            .count()
    };
    let sev = |s: Severity| {
        (o.findings.iter())
            .filter(|f| f.severity == s && f.suppressed.is_none())
            .count()
    };
    Summary {
        upstreams: listed.len(),
        reachable: count(Status::Reachable),
        unreachable: count(Status::Unreachable),
        unverifiable: count(Status::Unverifiable),
        errors: sev(Severity::Error),
        warnings: sev(Severity::Warning),
        infos: sev(Severity::Info),
        // A project the platform refuses starts nothing, nginx included.
        nginx_starts: o.topology.blockers.is_empty()
            && crate::rules::nginx_starts(o.config, o.extraction, o.resolutions),
        suppressed: o.findings.iter().filter(|f| f.suppressed.is_some()).count(),
        findings_omitted: 0,
        trace_lines_omitted: 0,
    }
}

/// What a file is to this validation.
fn role(
    o: &Outcome,
    included: &HashSet<FileId>,
    project: &HashSet<FileId>,
    id: FileId,
    path: &str,
) -> FileRole {
    let placed_by = |id: FileId| o.placement.and_then(|p| p.by.get(&id));
    if o.documents.iter().any(|d| d.file == id) {
        FileRole::Topology
    } else if project.contains(&id) && !included.contains(&id) && o.main != id {
        FileRole::Project
    } else if (id == o.main && path == crate::IMAGE_MAIN)
        || path == placement::IMAGE_NGINX_CONF_PATH
    {
        FileRole::NginxImageDefault
    } else if matches!(placed_by(id), Some(PlacedBy::Template(_))) {
        FileRole::NginxRendered
    } else if o
        .placement
        .is_some_and(|p| p.by.values().any(|b| *b == PlacedBy::Template(id)))
    {
        FileRole::NginxTemplate
    } else if id == o.main {
        FileRole::NginxMain
    } else if included.contains(&id) {
        FileRole::NginxIncluded
    } else {
        FileRole::NginxUnused
    }
}

fn input_summary(o: &Outcome) -> InputSummary {
    let included: HashSet<FileId> = o.config.files.iter().map(|f| f.file).collect();
    let project: HashSet<FileId> = o.project.iter().copied().collect();
    let files = o
        .sources
        .iter()
        .map(|(id, f)| InputFileReport {
            path: f.path.clone(),
            role: role(o, &included, &project, id, &f.path),
            container_path: o.placement.and_then(|p| p.paths.get(&id).cloned()),
            format: o.documents.iter().find(|d| d.file == id).map(|d| {
                d.format
                    .or_else(|| topology::detect(f))
                    .map_or("unknown", |x| x.name())
                    .to_string()
            }),
        })
        .collect();
    let nginx = o
        .sites
        .iter()
        .map(|s| {
            let u = &o.topology.units[s.unit.0];
            format!("{}/{}", u.name, u.containers[s.container].name)
        })
        .collect();
    InputSummary {
        platform: match o.topology.platform {
            Platform::Compose => "compose".into(),
            Platform::Kubernetes => "kubernetes".into(),
        },
        project: o.topology.project.clone(),
        nginx,
        files,
        notes: Vec::new(),
    }
}

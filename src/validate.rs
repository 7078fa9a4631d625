//! The pipeline end to end, one named stage per step:
//!
//! ```text
//! load → place → parse → extract → listen → resolve → judge → report
//! ```
//!
//! Pure: no file, socket or DNS is touched.

use crate::budget::Deadline;
use crate::finding::Finding;
use crate::input::{Input, InputError};
use crate::network;
use crate::nginx::{self, Config, Ctx, upstreams};
use crate::placement::{self, Located};
use crate::report::{self, Report};
use crate::rules::settings::RuleSettings;
use crate::rules::{self, Context};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::topology::Site;
use crate::topology::{
    self, Bind, Certainty, Document, Listener, LoadOptions, Protocol, Provenance, ProvenanceKind,
    Topology,
};

pub use crate::placement::IMAGE_MAIN;

/// Validates an input. `Err` only for requests that cannot be validated at
/// all; unreadable files are findings, and never give `pass`.
/// Past [`Options::deadline`](crate::input::Options::deadline) the work
/// stops between two steps of a stage and the answer is
/// [`InputError::TimedOut`].
pub fn validate(input: &Input) -> Result<Report, InputError> {
    input.check()?;
    let deadline = input.options.deadline;
    in_time(deadline)?;
    let (mut sources, loaded) = load(input)?;
    in_time(deadline)?;
    let sites = loaded.topology.nginx_sites();
    let located = place(input, &mut sources, &loaded, &sites)?;
    let mut topo = loaded.topology;
    let config = parse(input, &sources, &located)?;
    in_time(deadline)?;
    let extraction = upstreams::extract_until(&config, &sources, deadline);
    in_time(deadline)?;
    listen_where_configured(&mut topo, &sites, &extraction, &sources);
    let budget = input.options.budgets.max_resolutions;
    let plan = network::plan(&topo, &sites, &extraction.upstreams, budget);
    topo.diagnostics.extend(plan.left_out);
    let max_addresses = input.options.budgets.max_addresses;
    let resolutions =
        match network::resolve_all(&topo, &extraction, &plan.sites, max_addresses, deadline) {
            Ok(all) => all,
            Err(refusal) => {
                topo.diagnostics.push(refusal);
                Vec::new()
            }
        };
    in_time(deadline)?;
    let cx = Context::new(&sources, &config, &extraction, &topo, &sites, &resolutions).with_inputs(
        &loaded.topology_files,
        &loaded.nginx,
        located.placement.as_ref(),
    );
    let mut findings = judge(deadline, &input.options.rules, &cx);
    let written: Vec<FileId> = (loaded.nginx.iter())
        .chain(&loaded.topology_files)
        .chain(&loaded.project)
        .copied()
        .collect();
    settle(input, &sources, &written, &mut findings);
    in_time(deadline)?;
    let mut report = report::build::build(report::build::Outcome {
        documents: &loaded.documents,
        project: &loaded.project,
        topology: &topo,
        sites: &sites,
        main: located.main,
        placement: located.placement.as_ref(),
        config: &config,
        extraction: &extraction,
        resolutions: &resolutions,
        findings: &findings,
        sources,
        budgets: input.options.budgets,
        deadline,
    });
    in_time(deadline)?;
    report.input.notes = input.notes.clone();
    Ok(report)
}

/// Settle: the team's rule settings (select, ignore, severities), then
/// the suppression comments of the files as `written` by the user.
fn settle(input: &Input, sources: &SourceMap, written: &[FileId], findings: &mut Vec<Finding>) {
    let rules = &input.options.rules;
    rules.apply(findings);
    rules::suppress::apply(sources, written, rules, findings);
}

/// [`InputError::TimedOut`] once `deadline` has passed: checked after each
/// stage, whose loops stop early past it.
fn in_time(deadline: Deadline) -> Result<(), InputError> {
    if deadline.passed() {
        Err(InputError::TimedOut)
    } else {
        Ok(())
    }
}

/// Place: where nginx's container sees each file, and its main file.
fn place(
    input: &Input,
    sources: &mut SourceMap,
    loaded: &Loaded,
    sites: &[Site],
) -> Result<Located, InputError> {
    placement::locate(
        sources,
        &loaded.nginx,
        &loaded.project,
        &loaded.topology,
        sites,
        &loaded.topology_files,
        input.nginx_main.as_deref(),
    )
}

/// What the load stage read.
pub(crate) struct Loaded {
    /// The submitted nginx files.
    pub(crate) nginx: Vec<FileId>,
    /// The topology documents.
    pub(crate) documents: Vec<Document>,
    /// Their files.
    pub(crate) topology_files: Vec<FileId>,
    /// The project's other files (env files, Dockerfiles, mount sources).
    pub(crate) project: Vec<FileId>,
    /// The modelled world.
    pub(crate) topology: Topology,
}

/// The load stage alone: the files of an input and the model of the world
/// they describe, as [`validate`] loads them (for discovery, and for tools
/// that want the model itself).
pub fn load_model(input: &Input) -> Result<(SourceMap, Topology), InputError> {
    input.check()?;
    load(input).map(|(sources, loaded)| (sources, loaded.topology))
}

/// Load: every submitted file into the source map, the topology documents
/// into one model.
fn load(input: &Input) -> Result<(SourceMap, Loaded), InputError> {
    let mut sources = SourceMap::new();
    let nginx = input
        .nginx
        .iter()
        .map(|f| sources.add(SourceFile::new(f.path.clone(), f.content.clone())))
        .collect();
    let documents: Vec<Document> = input
        .topology
        .iter()
        .map(|t| Document {
            file: sources.add(SourceFile::new(t.file.path.clone(), t.file.content.clone())),
            format: t.format,
        })
        .collect();
    let topology_files = documents.iter().map(|d| d.file).collect();
    let mut options = LoadOptions::from_options(&input.options)?;
    let mut project = Vec::new();
    for f in input.options.env_files.iter().chain(&input.files) {
        let id = sources.add(SourceFile::new(f.path.clone(), f.content.clone()));
        options.files.insert(f.path.clone(), id);
        project.push(id);
    }
    options.listed = input.listed.iter().cloned().collect();
    options.complete = input.complete.iter().cloned().collect();
    options.absent = input.absent.iter().cloned().collect();
    let topology = topology::load(&sources, &documents, &options);
    Ok((
        sources,
        Loaded {
            nginx,
            documents,
            topology_files,
            project,
            topology,
        },
    ))
}

/// Parse: the main file and what it includes, as nginx sees them.
fn parse(input: &Input, sources: &SourceMap, located: &Located) -> Result<Config, InputError> {
    let context = match input.options.nginx_context.as_deref() {
        None => None,
        Some(c) => Some(Ctx::from_name(c).ok_or(InputError::BadOption {
            option: "nginx_context",
            message: format!("unknown context `{c}`"),
        })?),
    };
    let options = nginx::ParseOptions {
        context,
        paths: located
            .placement
            .as_ref()
            .map(|p| p.paths.clone())
            .unwrap_or_default(),
        max_expanded_directives: input.options.budgets.max_expanded_directives,
        deadline: input.options.deadline,
        ..Default::default()
    };
    Ok(nginx::parse(sources, located.main, &options))
}

/// Judge: every rule `rules` turns on, then the findings mapped back to
/// the files as written (templates, env entries, manifests).
fn judge(deadline: Deadline, rules: &RuleSettings, cx: &Context) -> Vec<Finding> {
    let mut findings = rules::run_until(cx, deadline, rules);
    if let Some(p) = cx.placement {
        for f in &mut findings {
            p.remap_finding(cx.sources, f);
        }
    }
    findings
}

/// Listen: nginx listens where its configuration says, not where its
/// image's default says.
fn listen_where_configured(
    topo: &mut Topology,
    sites: &[Site],
    extraction: &upstreams::Extraction,
    sources: &SourceMap,
) {
    for s in sites {
        let c = &mut topo.units[s.unit.0].containers[s.container];
        c.listeners
            .retain(|l| l.provenance.kind != ProvenanceKind::ImageDefault);
        c.listeners.extend(
            extraction
                .listens
                .iter()
                .filter_map(|l| nginx_listener(sources, l)),
        );
    }
}

/// A listener for one of nginx's own `listen` directives.
fn nginx_listener(sources: &SourceMap, l: &upstreams::Listen) -> Option<Listener> {
    use upstreams::{HostKind, ListenAddress};
    let (port, bind) = match &l.address {
        ListenAddress::Unix(u) => (None, Bind::Unix(u.path.clone())),
        ListenAddress::Inet(i) => {
            let bind = match (i.kind, i.host.as_deref()) {
                (HostKind::Wildcard, _) | (_, None) => Bind::Any,
                (HostKind::Ipv6, Some("::")) => {
                    if l.ipv6only == Some(false) {
                        Bind::Any
                    } else {
                        Bind::AnyV6
                    }
                }
                (HostKind::Ipv4, Some("0.0.0.0")) => Bind::AnyV4,
                (HostKind::Localhost, _) => {
                    Bind::Ip(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
                }
                (_, Some(h)) => match h.parse() {
                    Ok(ip) => Bind::Ip(ip),
                    Err(_) => Bind::Any,
                },
            };
            (i.port, bind)
        }
    };
    // nginx binds `listen 80` to 0.0.0.0 only (IPv4).
    let bind = match (&l.address, bind) {
        (ListenAddress::Inet(i), Bind::Any) if i.kind == HostKind::Wildcard => Bind::AnyV4,
        (_, b) => b,
    };
    Some(Listener {
        port,
        protocol: if l.udp { Protocol::Udp } else { Protocol::Tcp },
        bind: Some(bind),
        app_protocol: None,
        provenance: Provenance {
            kind: ProvenanceKind::Declared,
            detail: if l.implicit {
                "nginx's default `listen 80` (no listen in this server)".into()
            } else {
                format!("nginx `{}`", sources.snippet(l.span).trim_end_matches(';'))
            },
            span: Some(l.span),
        },
        certainty: Certainty::Stated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Deadline;
    use crate::input::{InputFile, TopologyInput};
    use std::time::{Duration, Instant};

    /// 20 × `include c/*.conf`, each of 20 files with 20 × `include
    /// d/*.conf`: 63 000 upstreams once expanded to the budget.
    fn fan_out() -> Input {
        let mut nginx = vec![InputFile::new(
            "nginx.conf",
            format!(
                "events {{}}\nhttp {{\n{}server {{ listen 80; location / {{ proxy_pass http://model_test:6001; }} }}\n}}\n",
                "include c/*.conf;\n".repeat(20)
            ),
        )];
        for i in 0..20 {
            nginx.push(InputFile::new(
                format!("c/{i}.conf"),
                "include d/*.conf;\n".repeat(20),
            ));
            nginx.push(InputFile::new(
                format!("d/{i}.conf"),
                format!("upstream u{i} {{ server model_test:6001; }}\n"),
            ));
        }
        Input {
            nginx,
            nginx_main: Some("nginx.conf".into()),
            topology: vec![TopologyInput {
                file: InputFile::new(
                    "docker-compose.yml",
                    include_str!("../examples/seed-compose/docker-compose.yml"),
                ),
                format: None,
            }],
            ..Input::default()
        }
    }

    #[test]
    fn a_validation_past_its_deadline_is_timed_out_and_one_without_runs_to_its_end() {
        let mut input = fan_out();
        input.options.deadline = Deadline::at(Instant::now());
        assert_eq!(validate(&input).unwrap_err(), InputError::TimedOut);
        input.options.deadline = Deadline::after(Duration::from_secs(3600));
        assert!(validate(&input).is_ok());
    }

    #[test]
    fn each_stage_stops_its_loop_past_the_deadline() {
        let input = fan_out();
        let passed = Deadline::at(Instant::now());
        let (mut sources, loaded) = load(&input).unwrap();
        let sites = loaded.topology.nginx_sites();
        let located = place(&input, &mut sources, &loaded, &sites).unwrap();
        let mut topo = loaded.topology;
        let mut late = input.clone();
        late.options.deadline = passed;
        assert!(parse(&late, &sources, &located).unwrap().files.is_empty());
        let config = parse(&input, &sources, &located).unwrap();
        assert!(
            upstreams::extract_until(&config, &sources, passed)
                .upstreams
                .len()
                < 256
        );
        let extraction = upstreams::extract(&config, &sources);
        assert!(extraction.upstreams.len() > 60_000);
        listen_where_configured(&mut topo, &sites, &extraction, &sources);
        let max = crate::budget::MAX_ADDRESSES;
        let resolve = |d| network::resolve_all(&topo, &extraction, &sites, max, d).unwrap();
        assert!(resolve(passed).is_empty());
        let resolutions = resolve(Deadline::NONE);
        let cx = Context::new(&sources, &config, &extraction, &topo, &sites, &resolutions)
            .with_inputs(
                &loaded.topology_files,
                &loaded.nginx,
                located.placement.as_ref(),
            );
        assert!(judge(passed, &RuleSettings::default(), &cx).is_empty());
    }
}

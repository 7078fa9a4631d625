//! The pipeline end to end: parse → upstreams → topology → resolve →
//! rules → report. Pure: no file, socket or DNS is touched.

use crate::input::{Input, InputError};
use crate::network::{self, Site, Status};
use crate::nginx::{self, Ctx, upstreams};
use crate::placement;
use crate::report::{
    InputFileReport, InputSummary, Location, Report, Summary, UpstreamReport, Verdict,
    finding_report,
};
use crate::rules::{self, Context};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::topology::{
    self, Bind, Certainty, Document, Listener, LoadOptions, Platform, Protocol, Provenance,
    ProvenanceKind,
};
use std::collections::HashSet;

/// The path given to the `nginx.conf` upcheck supplies, like the official
/// image's, when only `conf.d` snippets are submitted.
pub const IMAGE_MAIN: &str = "nginx.conf (nginx image default)";

/// Validates an input. `Err` only for requests that cannot be validated at
/// all; unreadable files are findings, and never give `pass`.
pub fn validate(input: &Input) -> Result<Report, InputError> {
    let mut sources = SourceMap::new();
    let mut seen = HashSet::new();
    for f in input
        .nginx
        .iter()
        .chain(input.topology.iter().map(|t| &t.file))
    {
        if !seen.insert(f.path.clone()) {
            return Err(InputError::DuplicatePath(f.path.clone()));
        }
    }
    if let Some(m) = &input.nginx_main {
        let want = nginx::include::normalize(m);
        if !input
            .nginx
            .iter()
            .any(|f| nginx::include::normalize(&f.path) == want)
        {
            return Err(InputError::MainNotFound(m.clone()));
        }
    }
    if input.topology.is_empty() {
        return Err(InputError::NoTopology);
    }
    let nginx_ids: Vec<FileId> = input
        .nginx
        .iter()
        .map(|f| sources.add(SourceFile::new(f.path.clone(), f.content.clone())))
        .collect();
    let docs: Vec<Document> = input
        .topology
        .iter()
        .map(|t| Document {
            file: sources.add(SourceFile::new(t.file.path.clone(), t.file.content.clone())),
            format: t.format,
        })
        .collect();
    let topology_files: Vec<FileId> = docs.iter().map(|d| d.file).collect();
    let load_opts = load_options(input)?;
    let mut topo = topology::load(&sources, &docs, &load_opts);

    let sites = nginx_sites(&topo);
    // The nginx configuration: submitted files placed where the nginx
    // container's mounts put them (when they do), else what the topology
    // itself mounts into the nginx container (a ConfigMap).
    let placement = match sites.first() {
        Some(site) if !input.nginx.is_empty() => {
            let c = topo.units[site.unit.0].containers[site.container].clone();
            let dir = placement::project_dir(&sources, &topology_files);
            placement::place(&mut sources, &nginx_ids, &topo, &c, &dir)
        }
        Some(site) => {
            Some(placement::place_mounted(&mut sources, &topo, *site).ok_or(InputError::NoNginx)?)
        }
        None if input.nginx.is_empty() => return Err(InputError::NoNginx),
        None => None,
    };
    let main = match &placement {
        Some(p) => p.main,
        None => choose_main(&mut sources, &nginx_ids, input.nginx_main.as_deref())?,
    };
    let context = match input.options.nginx_context.as_deref() {
        None => None,
        Some(c) => Some(Ctx::from_name(c).ok_or(InputError::BadOption {
            option: "nginx_context",
            message: format!("unknown context `{c}`"),
        })?),
    };
    let parse_opts = nginx::ParseOptions {
        context,
        paths: placement
            .as_ref()
            .map(|p| p.paths.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    let config = nginx::parse(&sources, main, &parse_opts);
    let extraction = upstreams::extract(&config, &sources);

    // nginx listens where its configuration says.
    for s in &sites {
        let c = &mut topo.units[s.unit.0].containers[s.container];
        c.listeners
            .retain(|l| l.provenance.kind != ProvenanceKind::ImageDefault);
        for l in &extraction.listens {
            if let Some(listener) = nginx_listener(&sources, l) {
                c.listeners.push(listener);
            }
        }
    }

    let resolutions = network::resolve_all(&topo, &extraction, &sites);
    let cx = Context {
        sources: &sources,
        config: Some(&config),
        extraction: &extraction,
        topology: &topo,
        sites: &sites,
        resolutions: &resolutions,
        topology_files: &topology_files,
        placement: placement.as_ref(),
    };
    let mut findings = rules::run(&cx);
    if let Some(p) = &placement {
        for f in &mut findings {
            f.span = f.span.map(|s| p.remap(s));
            for r in &mut f.related {
                r.span = p.remap(r.span);
            }
            for fix in &mut f.fixes {
                for e in &mut fix.edits {
                    *e = p.remap_edit(&sources, e);
                }
            }
        }
    }
    let remap = |s: crate::source::Span| placement.as_ref().map_or(s, |p| p.remap(s));
    let verdict = Verdict::from_findings(&findings);

    let upstream_reports: Vec<UpstreamReport> = resolutions
        .iter()
        .map(|r| {
            let up = &extraction.upstreams[r.upstream];
            UpstreamReport {
                id: r.upstream,
                directive: up.directive.name().to_string(),
                target: sources.snippet(up.span),
                location: Location::of(&sources, remap(up.span)),
                server_names: up
                    .server
                    .as_ref()
                    .map(|s| s.server_names.clone())
                    .unwrap_or_default(),
                location_path: up.location.as_ref().map(|l| l.path.clone()),
                group: up.group.clone(),
                nginx: {
                    let u = &topo.units[r.site.unit.0];
                    if u.containers.len() > 1 {
                        format!("{}/{}", u.name, u.containers[r.site.container].name)
                    } else {
                        u.name.clone()
                    }
                },
                status: r.status,
                reason: r.reason.clone(),
                trace: r.trace.clone(),
            }
        })
        .collect();
    let count = |s: Status| resolutions.iter().filter(|r| r.status == s).count();
    let sev = |s: rules::Severity| findings.iter().filter(|f| f.severity == s).count();
    let nginx_starts = !config.has_errors()
        && !resolutions.iter().any(|r| r.stops_nginx())
        && !extraction.upstreams.iter().any(|u| !u.notes.is_empty());
    let summary = Summary {
        upstreams: resolutions.len(),
        reachable: count(Status::Reachable),
        unreachable: count(Status::Unreachable),
        unverifiable: count(Status::Unverifiable),
        errors: sev(rules::Severity::Error),
        warnings: sev(rules::Severity::Warning),
        infos: sev(rules::Severity::Info),
        nginx_starts,
    };
    let included: HashSet<FileId> = config.files.iter().map(|f| f.file).collect();
    let mut files: Vec<InputFileReport> = Vec::new();
    for (id, f) in sources.iter() {
        let role = if topology_files.contains(&id) {
            "topology"
        } else if (id == main && f.path == IMAGE_MAIN) || f.path == placement::IMAGE_NGINX_CONF_PATH
        {
            "nginx-image-default"
        } else if placement
            .as_ref()
            .is_some_and(|p| matches!(p.by.get(&id), Some(placement::PlacedBy::Template(_))))
        {
            "nginx-rendered"
        } else if placement.as_ref().is_some_and(|p| {
            p.by.values()
                .any(|b| *b == placement::PlacedBy::Template(id))
        }) {
            "nginx-template"
        } else if id == main {
            "nginx-main"
        } else if included.contains(&id) {
            "nginx-included"
        } else {
            "nginx-unused"
        };
        files.push(InputFileReport {
            path: f.path.clone(),
            role: role.into(),
            container_path: placement.as_ref().and_then(|p| p.paths.get(&id).cloned()),
            format: topology_files.contains(&id).then(|| {
                let d = docs.iter().find(|d| d.file == id).expect("topology file");
                d.format
                    .or_else(|| topology::detect(f))
                    .map(|x| {
                        serde_json::to_value(x)
                            .expect("enum")
                            .as_str()
                            .unwrap_or("")
                            .to_string()
                    })
                    .unwrap_or_else(|| "unknown".into())
            }),
        });
    }
    let input_summary = InputSummary {
        platform: match topo.platform {
            Platform::Compose => "compose".into(),
            Platform::Kubernetes => "kubernetes".into(),
        },
        project: topo.project.clone(),
        nginx: sites
            .iter()
            .map(|s| {
                let u = &topo.units[s.unit.0];
                format!("{}/{}", u.name, u.containers[s.container].name)
            })
            .collect(),
        files,
    };
    Ok(Report {
        verdict,
        summary,
        upstreams: upstream_reports,
        findings: findings
            .iter()
            .map(|f| finding_report(&sources, f))
            .collect(),
        addresses: topology::render::address_table(&topo),
        input: input_summary,
        tool: format!("upcheck {}", env!("CARGO_PKG_VERSION")),
        sources,
    })
}

/// Every container that runs nginx.
fn nginx_sites(topo: &topology::Topology) -> Vec<Site> {
    topo.units
        .iter()
        .enumerate()
        .flat_map(|(u, unit)| {
            unit.containers
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_nginx)
                .map(move |(c, _)| Site {
                    unit: topology::UnitId(u),
                    container: c,
                })
        })
        .collect()
}

fn load_options(input: &Input) -> Result<LoadOptions, InputError> {
    let o = &input.options;
    let bad = |option: &'static str, v: &str| InputError::BadOption {
        option,
        message: format!("`{v}` is not an IPv4 CIDR"),
    };
    let mut plan = topology::addressing::PlanOverrides::default();
    for (k, v) in &o.subnets {
        plan.subnets
            .insert(k.clone(), v.parse().map_err(|_| bad("subnets", v))?);
    }
    if let Some(v) = &o.pod_cidr {
        plan.pod_cidr = Some(v.parse().map_err(|_| bad("pod_cidr", v))?);
    }
    if let Some(v) = &o.service_cidr {
        plan.service_cidr = Some(v.parse().map_err(|_| bad("service_cidr", v))?);
    }
    if let Some(v) = &o.dns_ip {
        plan.dns_ip = Some(v.parse().map_err(|_| InputError::BadOption {
            option: "dns_ip",
            message: format!("`{v}` is not an IPv4 address"),
        })?);
    }
    plan.cluster_domain = o.cluster_domain.clone();
    Ok(LoadOptions {
        project: o.project.clone(),
        namespace: o.namespace.clone(),
        env: o.env.clone(),
        plan,
        nginx: o.nginx_service.clone(),
        profiles: o.profiles.clone(),
        files: o
            .env_files
            .iter()
            .map(|f| (f.path.clone(), f.content.clone()))
            .collect(),
    })
}

/// The main nginx file: the named one, else `nginx.conf`, else a copy of
/// the official image's `nginx.conf` that includes every submitted
/// `*.conf` inside `http` (as `/etc/nginx/conf.d/*.conf`).
fn choose_main(
    sources: &mut SourceMap,
    ids: &[FileId],
    named: Option<&str>,
) -> Result<FileId, InputError> {
    if let Some(n) = named {
        let want = nginx::include::normalize(n);
        return ids
            .iter()
            .copied()
            .find(|id| nginx::include::normalize(&sources.get(*id).path) == want)
            .ok_or_else(|| InputError::MainNotFound(n.to_string()));
    }
    let mut mains: Vec<FileId> = ids
        .iter()
        .copied()
        .filter(|id| {
            let p = &sources.get(*id).path;
            p == "nginx.conf" || p.ends_with("/nginx.conf")
        })
        .collect();
    mains.sort_by_key(|id| sources.get(*id).path.len());
    if let Some(m) = mains.first() {
        return Ok(*m);
    }
    if ids.len() == 1 {
        // One snippet: parse it on its own; its context is detected.
        return Ok(ids[0]);
    }
    let mut text = String::from(
        "# the official nginx image's nginx.conf, reduced to what matters here:\n# every conf.d snippet is included inside http\nevents {}\nhttp {\n",
    );
    for id in ids {
        let p = &sources.get(*id).path;
        if p.ends_with(".conf") {
            text.push_str(&format!(
                "    include \"{}\";\n",
                p.replace('\\', "\\\\").replace('"', "\\\"")
            ));
        }
    }
    text.push_str("}\n");
    Ok(sources.add(SourceFile::new(IMAGE_MAIN, text)))
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

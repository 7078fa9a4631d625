//! Views of a topology for people and programs (`upcheck topology`, the
//! report's address table): the address table (the `docker inspect | grep
//! IP` picture), a text overview of units, listeners and names, and a JSON
//! document.

use crate::source::{SourceMap, Span};
use crate::topology::names::{self, NameEntry};
use crate::topology::*;
use serde::Serialize;
use std::fmt::Write;
use std::net::IpAddr;

/// One row of the address table.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "server", schema(as = Address))]
pub struct AddressRow {
    /// Unit (network namespace) name.
    pub unit: String,
    /// Containers in it.
    pub containers: Vec<String>,
    /// Network name.
    pub network: String,
    /// Address (IPv4 or IPv6), when known.
    #[cfg_attr(feature = "server", schema(value_type = Option<String>))]
    pub ip: Option<IpAddr>,
    /// Prefix length of the network, when known.
    pub prefix_len: Option<u8>,
    /// Modelled, declared or observed.
    pub origin: AddressOrigin,
}

/// Every unit's address on every network.
pub fn address_table(topo: &Topology) -> Vec<AddressRow> {
    let mut rows = Vec::new();
    for u in &topo.units {
        for a in &u.addresses {
            let net = &topo.networks[a.network.0];
            rows.push(AddressRow {
                unit: u.name.clone(),
                containers: u.containers.iter().map(|c| c.name.clone()).collect(),
                network: net.name.clone(),
                ip: a.ip,
                prefix_len: net
                    .subnet
                    .as_deref()
                    .and_then(|s| s.split_once('/'))
                    .and_then(|(_, l)| l.parse().ok()),
                origin: a.origin,
            });
        }
    }
    rows
}

/// A location for JSON output: file path plus line and column.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    /// File path as submitted.
    pub file: String,
    /// Line (1-based).
    pub line: u32,
    /// Column (1-based, characters).
    pub column: u32,
}

impl Location {
    /// The start of a span.
    pub fn of(sources: &SourceMap, span: Span) -> Location {
        let p = sources.start(span);
        Location {
            file: sources.get(span.file).path.clone(),
            line: p.line,
            column: p.column,
        }
    }
}

/// The JSON view: the model, its address table, each unit's name table,
/// and diagnostics with readable locations.
#[derive(Debug, Serialize)]
pub struct JsonView<'a> {
    /// Input files, indexed by the `file` of every span in `topology`.
    pub files: Vec<String>,
    /// The model.
    pub topology: &'a Topology,
    /// The address table.
    pub addresses: Vec<AddressRow>,
    /// Names each unit can resolve, by unit name.
    pub names: Vec<(String, Vec<NameEntry>)>,
    /// Diagnostics with locations.
    pub diagnostics: Vec<(DiagSeverity, String, Option<Location>)>,
}

/// Builds the JSON view.
pub fn json_view<'a>(topo: &'a Topology, sources: &SourceMap) -> JsonView<'a> {
    JsonView {
        files: sources.iter().map(|(_, f)| f.path.clone()).collect(),
        topology: topo,
        addresses: address_table(topo),
        names: (0..topo.units.len())
            .map(|i| (topo.units[i].name.clone(), names::table(topo, UnitId(i))))
            .collect(),
        diagnostics: topo
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.severity,
                    d.message.clone(),
                    d.span.map(|s| Location::of(sources, s)),
                )
            })
            .collect(),
    }
}

fn ip_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "-".to_string(), |i| i.to_string())
}

fn origin_text(o: AddressOrigin) -> &'static str {
    match o {
        AddressOrigin::Modelled => "modelled",
        AddressOrigin::Declared => "declared",
        AddressOrigin::Observed => "observed",
    }
}

/// The text overview.
pub fn text(topo: &Topology, sources: &SourceMap) -> String {
    let mut s = String::new();
    let what = match topo.platform {
        Platform::Compose => format!(
            "compose project `{}`",
            topo.project.as_deref().unwrap_or("default")
        ),
        Platform::Kubernetes => "kubernetes".to_string(),
    };
    let _ = writeln!(
        s,
        "topology: {what}, {}, {}, {}",
        super::text::plural(topo.units.len(), "unit"),
        super::text::plural(topo.networks.len(), "network"),
        super::text::plural(topo.services.len(), "service")
    );
    if let Some(c) = &topo.cluster {
        let _ = writeln!(
            s,
            "cluster: domain {}, pods {}, services {}, dns {}",
            c.domain, c.pod_cidr, c.service_cidr, c.dns_ip
        );
    }
    if !topo.networks.is_empty() {
        let _ = writeln!(s, "\nnetworks");
        for n in &topo.networks {
            let mut flags = Vec::new();
            if n.internal {
                flags.push("internal");
            }
            if n.external {
                flags.push("external");
            }
            let _ = writeln!(
                s,
                "  {:<14} {:<24} {:<14} {:<18} gw {:<15} {}{}",
                n.key,
                n.name,
                format!("{:?}", n.kind).to_lowercase(),
                n.subnet.as_deref().unwrap_or("-"),
                ip_text(n.gateway),
                origin_text(n.origin),
                if flags.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", flags.join(", "))
                }
            );
        }
    }
    let _ = writeln!(s, "\naddresses");
    for r in address_table(topo) {
        let _ = writeln!(
            s,
            "  {:<28} {:<24} {:<18} {}",
            r.unit,
            r.network,
            match (r.ip, r.prefix_len) {
                (Some(ip), Some(l)) => format!("{ip}/{l}"),
                (ip, _) => ip_text(ip),
            },
            origin_text(r.origin)
        );
    }
    let _ = writeln!(s, "\nunits");
    for (i, u) in topo.units.iter().enumerate() {
        let kind = match &u.kind {
            UnitKind::ComposeService { service, replica } => {
                format!("service {service} #{replica}")
            }
            UnitKind::DockerContainer => "container".into(),
            UnitKind::Pod {
                workload_kind,
                workload,
                namespace,
                ..
            } => format!("pod of {workload_kind} {namespace}/{workload}"),
            UnitKind::Host => "host network".into(),
        };
        let _ = writeln!(s, "  {} ({kind})", u.name);
        if u.host_network {
            let _ = writeln!(s, "    shares the host's network namespace");
        }
        if u.no_network {
            let _ = writeln!(s, "    has no network (network_mode: none)");
        }
        for c in &u.containers {
            let mut tags = Vec::new();
            if c.is_nginx {
                tags.push("nginx".to_string());
            }
            match c.role {
                ContainerRole::Init => tags.push("init".into()),
                ContainerRole::Sidecar => tags.push("sidecar".into()),
                ContainerRole::Main => {}
            }
            let _ = writeln!(
                s,
                "    container {} image {}{}",
                c.name,
                c.image.as_deref().unwrap_or("-"),
                if tags.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", tags.join(", "))
                }
            );
            let argv = c.argv();
            if !argv.is_empty() {
                let joined: Vec<&str> = argv.iter().map(|a| a.as_str()).collect();
                let _ = writeln!(s, "      runs    {}", joined.join(" "));
            }
            for l in &c.listeners {
                let _ = writeln!(
                    s,
                    "      listens {:<22} {:<8} {} ({})",
                    l.to_string(),
                    format!("{:?}", l.certainty).to_lowercase(),
                    l.provenance.detail,
                    format!("{:?}", l.provenance.kind).to_lowercase()
                );
            }
            if c.listeners.is_empty() {
                let _ = writeln!(s, "      listens nothing known");
            }
            for m in &c.mounts {
                let v = &topo.volumes[m.volume];
                let _ = writeln!(
                    s,
                    "      mounts  {} at {}{}",
                    v.name,
                    m.target,
                    if m.read_only { " (ro)" } else { "" }
                );
            }
        }
        // A name the table holds twice (a hostname that is also a
        // container name) is listed once, as the first entry answers it.
        let mut seen = std::collections::BTreeSet::new();
        let names: Vec<String> = names::table(topo, UnitId(i))
            .into_iter()
            .filter(|e| !matches!(e.source, names::NameSource::Localhost))
            .filter(|e| seen.insert(e.name.clone()))
            .map(|e| {
                let ips: Vec<String> = e.addresses.iter().map(|a| a.to_string()).collect();
                format!(
                    "{} -> {}",
                    e.name,
                    if ips.is_empty() {
                        "?".into()
                    } else {
                        ips.join(",")
                    }
                )
            })
            .collect();
        if !names.is_empty() {
            let _ = writeln!(s, "    resolves {}", names.join("; "));
        }
    }
    if !topo.services.is_empty() {
        let _ = writeln!(s, "\nservices");
        for svc in &topo.services {
            let ports: Vec<String> = svc
                .ports
                .iter()
                .map(|p| {
                    let target = match &p.target_port {
                        TargetPort::Number(n) => n.to_string(),
                        TargetPort::Name(n) => n.clone(),
                    };
                    match p.node_port {
                        Some(np) => format!("{}->{target} (node {np})", p.port),
                        None => format!("{}->{target}", p.port),
                    }
                })
                .collect();
            let selected: Vec<&str> = svc
                .selected
                .iter()
                .map(|u| topo.units[u.0].name.as_str())
                .collect();
            let slices: String = svc.slices.iter().map(slice_text).collect();
            let _ = writeln!(
                s,
                "  {}/{} {} {} ports {} selects {}{slices}",
                svc.namespace,
                svc.name,
                match &svc.kind {
                    ServiceKind::ExternalName(n) => format!("external-name {n}"),
                    k => format!("{k:?}").to_lowercase(),
                },
                ip_text(svc.cluster_ip),
                if ports.is_empty() {
                    "-".into()
                } else {
                    ports.join(", ")
                },
                match (&svc.selector, selected.is_empty()) {
                    (None, _) => "(no selector)".to_string(),
                    (Some(_), true) => "nothing".to_string(),
                    (Some(_), false) => selected.join(", "),
                }
            );
        }
    }
    if !topo.mounted_files.is_empty() {
        let _ = writeln!(s, "\nfiles carried by the topology");
        for f in &topo.mounted_files {
            let _ = writeln!(
                s,
                "  {} in {}/{} ({} bytes)",
                f.path,
                topo.units[f.unit.0].name,
                topo.units[f.unit.0].containers[f.container].name,
                f.content.len()
            );
        }
    }
    if !topo.diagnostics.is_empty() {
        let _ = writeln!(s, "\ndiagnostics");
        for d in &topo.diagnostics {
            let at = d
                .span
                .map(|sp| {
                    let l = Location::of(sources, sp);
                    format!("{}:{}:{} ", l.file, l.line, l.column)
                })
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {}: {at}{}",
                format!("{:?}", d.severity).to_lowercase(),
                d.message
            );
        }
    }
    s
}

/// A slice a Service uses, for the topology's Service line:
/// `; EndpointSlice/web-1 10.0.0.1, 10.0.0.2 (not ready) ports http=8080`.
fn slice_text(x: &crate::topology::EndpointSlice) -> String {
    let kind = match x.source {
        crate::topology::SliceSource::EndpointSlice => "EndpointSlice",
        crate::topology::SliceSource::Endpoints => "Endpoints",
    };
    let addresses: Vec<String> = x
        .endpoints
        .iter()
        .map(|e| match e.ready {
            true => e.address.clone(),
            false => format!("{} (not ready)", e.address),
        })
        .collect();
    let ports: Vec<String> = x
        .ports
        .iter()
        .map(|p| {
            let n = p.port.map_or_else(|| "?".into(), |n| n.to_string());
            match p.name.as_str() {
                "" => n,
                name => format!("{name}={n}"),
            }
        })
        .collect();
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(", ")
        }
    };
    format!(
        "; {kind}/{} {} ports {}",
        x.name,
        list(&addresses),
        list(&ports)
    )
}

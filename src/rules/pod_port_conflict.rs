use super::{Check, Context, Finding, Related, finding};
use crate::source::Span;
use crate::topology::{
    Bind, Certainty, ContainerRole, PortKind, Protocol, ProvenanceKind, Unit, UnitKind,
};
use std::collections::HashSet;

crate::declare_rule! {
    /// ## What it does
    /// Finds two containers of one network namespace — a Kubernetes pod,
    /// or compose services joined by `network_mode: service:X` — that are
    /// both stated to listen on the same port and protocol.
    ///
    /// ## Why is this bad?
    /// Containers of one pod share one network namespace: one port can be
    /// bound once. The container that starts second fails with `bind():
    /// Address already in use` and crash-loops, or, if it ignores the
    /// error, the traffic meant for it reaches the other container.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     ports: [{containerPort: 8080}]
    ///   - name: metrics-exporter
    ///     ports: [{containerPort: 8080}]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     ports: [{containerPort: 8080}]
    ///   - name: metrics-exporter
    ///     ports: [{containerPort: 9100}]    # and configure the exporter to listen there
    /// ```
    ///
    /// ## Fix safety
    /// No fix: moving a port means changing the program's own
    /// configuration as well as the manifest.
    pub PodPortConflict { code: "UC2013", name: "pod-port-conflict", severity: Error, fix: None }
}

/// A port a container is stated to listen on.
#[derive(Debug, Clone)]
struct Claim {
    container: usize,
    port: u16,
    protocol: Protocol,
    bind: Option<Bind>,
    span: Option<Span>,
    /// How we know, for people: `containerPort: 8080`, a command line.
    detail: String,
}

impl Check for PodPortConflict {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // Replicas repeat the same declarations: report each place once.
        let mut reported: HashSet<(Option<Span>, Option<Span>, u16)> = HashSet::new();
        for unit in &cx.topology.units {
            if unit.containers.len() < 2 {
                continue;
            }
            let claims = claims(cx, unit);
            for (i, b) in claims.iter().enumerate() {
                let Some(a) = claims[..i].iter().find(|a| {
                    a.container < b.container
                        && a.port == b.port
                        && a.protocol == b.protocol
                        && bind_overlap(a.bind.as_ref(), b.bind.as_ref())
                }) else {
                    continue;
                };
                if !reported.insert((a.span, b.span, b.port)) {
                    continue;
                }
                let (ca, cb) = (&unit.containers[a.container], &unit.containers[b.container]);
                let proto = format!("{:?}", b.protocol).to_lowercase();
                let who = match (&unit.kind, &ca.service, &cb.service) {
                    (
                        UnitKind::Pod {
                            workload_kind,
                            workload,
                            ..
                        },
                        _,
                        _,
                    ) => {
                        let pod = if workload_kind == "Pod" {
                            format!("pod `{}`", unit.name)
                        } else {
                            format!("the pods of {workload_kind} `{workload}`")
                        };
                        format!("containers `{}` and `{}` of {pod}", ca.name, cb.name)
                    }
                    (UnitKind::ComposeService { service, .. }, Some(sa), Some(sb)) => format!(
                        "services `{sa}` and `{sb}` share one network namespace (`network_mode: service:{service}`) and"
                    ),
                    _ => format!(
                        "containers `{}` and `{}` share network namespace `{}` and",
                        ca.name, cb.name, unit.name
                    ),
                };
                let mut f = finding(
                    self,
                    format!(
                        "{who} both listen on port {}/{proto}: the second to start fails with `Address already in use`",
                        b.port
                    ),
                    b.span.or(cb.span),
                );
                if let Some(span) = a.span.or(ca.span) {
                    f.related.push(Related::new(
                        span,
                        format!(
                            "`{}` listens on {}/{proto} ({})",
                            ca.service.as_deref().unwrap_or(&ca.name),
                            a.port,
                            a.detail
                        ),
                    ));
                }
                out.push(f);
            }
        }
    }
}

/// Ports each serving container of `unit` is stated to listen on: its
/// Kubernetes `containerPort`s and its stated listeners (an explicit bind
/// on the command line, nginx's own `listen`). Not probes, which say where
/// the kubelet connects, and not compose `expose`/`ports`, which belong to
/// the shared namespace: the owner of a `network_mode: service:X` group
/// publishes its joiners' ports. Declarations in topology files come
/// first, so findings point at the manifest.
fn claims(cx: &Context, unit: &Unit) -> Vec<Claim> {
    let mut out: Vec<Claim> = Vec::new();
    for (ci, c) in unit.containers.iter().enumerate() {
        if c.role == ContainerRole::Init {
            continue;
        }
        let declared = c
            .ports
            .iter()
            .filter(|p| p.kind == PortKind::ContainerPort)
            .map(|p| Claim {
                container: ci,
                port: p.container_port,
                protocol: p.protocol,
                bind: None,
                span: p.span,
                detail: format!("containerPort: {}", p.container_port),
            });
        let listening = c
            .listeners
            .iter()
            .filter(|l| {
                l.certainty == Certainty::Stated
                    && !matches!(
                        l.provenance.kind,
                        ProvenanceKind::Probe
                            | ProvenanceKind::Expose
                            | ProvenanceKind::PublishedPort
                    )
            })
            .filter_map(|l| {
                Some(Claim {
                    container: ci,
                    port: l.port?,
                    protocol: l.protocol,
                    bind: l.bind.clone(),
                    span: l.provenance.span,
                    detail: l.provenance.detail.clone(),
                })
            });
        let mut mine: Vec<Claim> = Vec::new();
        for claim in declared.chain(listening) {
            if matches!(claim.bind, Some(Bind::Unix(_))) {
                continue;
            }
            // One claim per port and protocol, preferring a manifest location
            // and the most specific bind.
            match mine
                .iter_mut()
                .find(|m| m.port == claim.port && m.protocol == claim.protocol)
            {
                Some(m) => {
                    let in_topology =
                        |s: Option<Span>| s.is_some_and(|s| cx.topology_files.contains(&s.file));
                    if !in_topology(m.span) && in_topology(claim.span) {
                        m.span = claim.span;
                    }
                    if m.bind.is_none() {
                        m.bind = claim.bind;
                    }
                }
                None => mine.push(claim),
            }
        }
        out.extend(mine);
    }
    out
}

/// True when two sockets bound to `a` and `b` (same port) cannot both
/// bind: Linux refuses a specific address next to a wildcard of its family.
/// An unknown bind (a declared port) is taken as the wildcard.
fn bind_overlap(a: Option<&Bind>, b: Option<&Bind>) -> bool {
    use Bind::*;
    let (a, b) = (a.unwrap_or(&Any), b.unwrap_or(&Any));
    match (a, b) {
        (Unix(_), _) | (_, Unix(_)) => false,
        (Any, _) | (_, Any) => true,
        (AnyV4, AnyV6) | (AnyV6, AnyV4) => false,
        (AnyV4, AnyV4) | (AnyV6, AnyV6) => true,
        (AnyV4, Ip(ip)) | (Ip(ip), AnyV4) => ip.is_ipv4(),
        (AnyV6, Ip(ip)) | (Ip(ip), AnyV6) => ip.is_ipv6(),
        (Ip(x), Ip(y)) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn binds_overlap_like_linux() {
        let ip = |s: &str| Bind::Ip(s.parse::<IpAddr>().unwrap());
        assert!(bind_overlap(None, Some(&ip("127.0.0.1"))));
        assert!(bind_overlap(Some(&Bind::AnyV4), Some(&ip("127.0.0.1"))));
        assert!(!bind_overlap(Some(&Bind::AnyV4), Some(&Bind::AnyV6)));
        assert!(!bind_overlap(Some(&ip("127.0.0.1")), Some(&ip("10.0.0.5"))));
        assert!(!bind_overlap(Some(&Bind::AnyV6), Some(&ip("127.0.0.1"))));
    }

    #[test]
    fn two_containers_on_one_port_conflict_once_per_template() {
        let containers = "[{name: app, image: orders:1, ports: [{containerPort: 8080}]}, \
            {name: exporter, image: exporter:1, ports: [{containerPort: 8080}, {containerPort: 8080, protocol: UDP}]}]";
        let topo = format!(
            "{}---{}",
            crate::rules::testing::k8s_nginx("default"),
            crate::rules::testing::k8s_deployment("orders", "default", 3, "", containers)
        );
        let conf = "server { listen 8080; location / { return 204; } }";
        let report = crate::rules::testing::run(conf, &topo);
        let codes = crate::rules::testing::codes(&report);
        assert_eq!(
            codes.iter().filter(|c| *c == "UC2013").count(),
            1,
            "{codes:?}"
        );
        let f = crate::rules::testing::first(&report, "UC2013");
        assert!(
            f.message
                .starts_with("containers `app` and `exporter` of the pods of Deployment `orders` both listen on port 8080/tcp"),
            "{}",
            f.message
        );
    }
}

use super::{Check, Context, Finding, pick, upstream_finding};
use crate::fix::{Edit, Fix};
use crate::network::Hint;
use crate::nginx::upstreams::HostTarget;
use crate::topology::{ServiceKind, Topology, Unit, UnitId, UnitKind};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstream host names that are the name of a Kubernetes
    /// Deployment, StatefulSet, DaemonSet, Job or Pod rather than of a
    /// Service.
    ///
    /// ## Why is this bad?
    /// Cluster DNS has records for Services (and for pods of a StatefulSet
    /// through its headless Service), never for workloads. A Deployment
    /// named `orders` gives no name `orders`: nginx stops at start-up with
    /// `host not found in upstream "orders:8080"` (or answers 502 when the
    /// name is resolved at request time).
    ///
    /// ## Example
    /// ```nginx
    /// # Deployment `orders`; Service `orders-svc` selects its pods,
    /// # port 80 → targetPort 8080
    /// location / { proxy_pass http://orders:8080; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://orders-svc:80; }
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the replacement is a Service that selects the workload's
    /// pods, with the Service port whose `targetPort` is the port nginx
    /// used (or the Service's only port); it is probably, not certainly,
    /// the one meant. When no Service selects the workload, the fix adds
    /// one to the manifest; it is display-only, to be reviewed (labels,
    /// ports) before use.
    pub WorkloadNameAsHost { code: "UC1004", name: "workload-name-as-host", severity: Error, fix: Sometimes }
}

impl Check for WorkloadNameAsHost {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for (miss, unit) in cx.unresolved_hinted(pick!(Hint::WorkloadName { unit } => *unit)) {
            let (r, name, runtime) = (miss.r, miss.name, miss.runtime);
            let Some(h) = miss.host else { continue };
            let topo = cx.topology;
            let u = &topo.units[unit.0];
            let Some((workload_kind, workload, namespace)) = u.workload() else {
                continue;
            };
            let first = name.split('.').next().unwrap_or(name);
            let what = if workload_kind == "Pod" {
                format!("Pod `{}`", u.name)
            } else if !workload.eq_ignore_ascii_case(first) {
                format!("pod `{}` of {workload_kind} `{workload}`", u.name)
            } else {
                format!("{workload_kind} `{workload}`")
            };
            let effect = miss.effect();
            let msg = format!(
                "`{name}` is the name of {what}, not of a Service: cluster DNS has no record for it, so {effect}"
            );
            let mut f = upstream_finding(self, r, msg, Some(h.host_span)).related_at(
                u.span,
                format!("{workload_kind} `{workload}` is declared here"),
            );
            let nginx_ns = topo.units[r.site.unit.0].namespace();
            let routes = service_routes(topo, unit, r.port, nginx_ns, runtime);
            if routes.is_empty() {
                f = f.fixes(create_service_fix(cx, u, workload, namespace, r.port));
            } else {
                for route in &routes {
                    let s = &topo.services[route.service];
                    f = f.fix(route_fix(h, route, r.port)).related_at(
                        s.span,
                        format!("Service `{}` selects the pods of `{workload}`", s.name),
                    );
                }
            }
            out.push(f);
        }
    }
}

/// A Service that reaches the workload, as nginx should write it.
#[derive(Debug, PartialEq, Eq)]
struct ServiceRoute {
    /// Index in [`Topology::services`].
    service: usize,
    /// The host to write.
    host: String,
    /// The port to write.
    port: u16,
}

/// Services selecting `unit`, each with the port that reaches `port` in
/// the pod (or the Service's only port when none targets it).
fn service_routes(
    topo: &Topology,
    unit: UnitId,
    port: Option<u16>,
    nginx_ns: &str,
    runtime: bool,
) -> Vec<ServiceRoute> {
    let u = &topo.units[unit.0];
    let domain = topo.cluster_domain();
    let mut out = Vec::new();
    for (i, s) in topo.services.iter().enumerate() {
        if !s.selected.contains(&unit) || matches!(s.kind, ServiceKind::ExternalName(_)) {
            continue;
        }
        let targeting = s.ports.iter().find(|sp| {
            let target = sp.target_port.in_unit(u);
            port.is_some() && target == port
        });
        let chosen = match (targeting, s.ports.as_slice()) {
            (Some(sp), _) => Some(if s.kind == ServiceKind::Headless {
                port.unwrap_or(sp.port)
            } else {
                sp.port
            }),
            (None, [only]) if s.kind != ServiceKind::Headless => Some(only.port),
            _ => None,
        };
        let Some(p) = chosen else { continue };
        let host = if runtime {
            format!("{}.{}.svc.{domain}", s.name, s.namespace)
        } else if s.namespace == nginx_ns {
            s.name.clone()
        } else {
            format!("{}.{}", s.name, s.namespace)
        };
        out.push(ServiceRoute {
            service: i,
            host,
            port: p,
        });
    }
    out
}

fn route_fix(h: &HostTarget, route: &ServiceRoute, port: Option<u16>) -> Fix {
    let mut edits = vec![Edit::replace(h.host_span, route.host.clone())];
    let port_differs = port != Some(route.port);
    if port_differs {
        match h.port_span {
            Some(ps) => edits.push(Edit::replace(ps, route.port.to_string())),
            None => edits[0].replacement = format!("{}:{}", route.host, route.port),
        }
    }
    Fix::unsafe_edits(
        if port_differs {
            format!(
                "Use Service `{}:{}` instead of `{}`",
                route.host,
                route.port,
                match port {
                    Some(p) => format!("{}:{p}", h.host),
                    None => h.host.clone(),
                }
            )
        } else {
            format!("Replace `{}` with Service `{}`", h.host, route.host)
        },
        edits,
    )
}

/// A Service named after the workload, appended to the file declaring it.
fn create_service_fix(
    cx: &Context,
    u: &Unit,
    workload: &str,
    namespace: &str,
    port: Option<u16>,
) -> Option<Fix> {
    let span = u.span?;
    let port = port?;
    let len = cx.sources.get(span.file).bytes.len() as u32;
    let ends_with_newline = cx.sources.get(span.file).bytes.last() == Some(&b'\n');
    let selector = u
        .labels
        .iter()
        .filter(|(k, _)| !k.contains("kubernetes.io/") && k.as_str() != "job-name")
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>();
    if selector.is_empty() {
        return None;
    }
    // A StatefulSet's `serviceName` must be a headless Service.
    let headless =
        matches!(&u.kind, UnitKind::Pod { workload_kind, .. } if workload_kind == "StatefulSet");
    let text = format!(
        "{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {workload}\n  namespace: {namespace}\nspec:\n{}  selector: {{{}}}\n  ports:\n    - port: {port}\n      targetPort: {port}\n",
        if ends_with_newline { "" } else { "\n" },
        if headless { "  clusterIP: None\n" } else { "" },
        selector.join(", ")
    );
    Some(Fix::display_only(
        format!(
            "Create a {}Service `{workload}` that selects the pods of `{workload}`",
            if headless { "headless " } else { "" }
        ),
        [Edit::insert(span.file, len, text)],
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{k8s_orders, k8s_service, proxy_pass};

    /// nginx and Deployment `orders` (containerPort 8080 named `http`).
    fn orders() -> String {
        k8s_orders(", tier: backend")
    }

    /// Service `orders-svc` (port 80 to `http`) for Deployment `orders`.
    fn orders_svc() -> String {
        k8s_service(
            "orders-svc",
            "default",
            "{app: orders}",
            "[{port: 80, targetPort: http}]",
        )
    }

    #[test]
    fn the_service_port_for_the_workload_port_is_chosen() {
        let topo = format!("{}---{}", orders(), orders_svc());
        let f = crate::rules::testing::run_first(&proxy_pass(8080, "orders:8080"), &topo, "UC1004");
        assert_eq!(
            f.fixes[0].title,
            "Use Service `orders-svc:80` instead of `orders:8080`"
        );
    }

    #[test]
    fn without_a_service_the_fix_creates_one() {
        let topo = orders();
        let f = crate::rules::testing::run_first(&proxy_pass(8080, "orders:8080"), &topo, "UC1004");
        let fix = &f.fixes[0];
        assert_eq!(fix.applicability, crate::fix::Applicability::DisplayOnly);
        assert!(
            fix.diff
                .contains("+  selector: {app: orders, tier: backend}"),
            "{}",
            fix.diff
        );
    }
}

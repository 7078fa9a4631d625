use super::{Check, Context, Finding, port_finding};
use crate::fix::{Applicability, Edit, Fix};
use crate::network::target_text;
use crate::nginx::upstreams::HostTarget;
use crate::topology::{ServicePort, TargetPort};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams that reach a Kubernetes Service on its `targetPort`
    /// (the port the pods listen on, often the `containerPort`) instead of
    /// on the Service `port`.
    ///
    /// ## Why is this bad?
    /// A ClusterIP Service accepts connections only on its `port`s and
    /// forwards each to the matching `targetPort` in a pod. Nothing at the
    /// ClusterIP answers on the target port, so nginx cannot connect: the
    /// request ends in `502 Bad Gateway` or `504 Gateway Time-out`. Inside
    /// one pod the container port is right; across pods, through a
    /// Service, the Service port is.
    ///
    /// ## Example
    /// ```nginx
    /// # Service `orders`: port 80 → targetPort 8080
    /// location / { proxy_pass http://orders:8080; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://orders:80; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe when exactly one Service port forwards to that target port: it
    /// is where the Service sends the traffic nginx meant for the pods.
    /// Unsafe when several do.
    pub ServicePortVsTargetPort { code: "UC2005", name: "service-port-vs-target-port", severity: Error, fix: Always }
}

impl Check for ServicePortVsTargetPort {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        cx.judge_service_port_misses(out, |miss| {
            let (svc, port) = (miss.service, miss.port);
            let mapped: Vec<&ServicePort> = miss
                .forwarding_to_port(cx.topology)
                .filter(|sp| sp.port != port)
                .collect();
            let sp = *mapped.first()?;
            let message = format!(
                "`{}` uses port {port}, the target port of Service `{}` (port {} → targetPort {}); the Service only accepts its own port, so nginx cannot connect",
                target_text(miss.up),
                svc.name,
                sp.port,
                target_text_of(sp, port)
            );
            let mut f = port_finding(self, miss.r, miss.host, message);
            for sp in &mapped {
                f = f.related_at(
                    sp.span,
                    format!(
                        "Service `{}` port {} forwards to {}",
                        svc.name,
                        sp.port,
                        target_text_of(sp, port)
                    ),
                );
            }
            let applicability = if mapped.len() == 1 {
                Applicability::Safe
            } else {
                Applicability::Unsafe
            };
            Some(f.fixes(mapped.iter().map(|sp| {
                Fix::new(
                    applicability,
                    format!("Use Service port {} instead of {port}", sp.port),
                    [port_edit(miss.host, sp.port)],
                )
            })))
        });
    }
}

/// `8080`, or `` `http`, containerPort 8080 `` for a named target port.
fn target_text_of(sp: &ServicePort, resolved: u16) -> String {
    match &sp.target_port {
        TargetPort::Number(n) => n.to_string(),
        TargetPort::Name(n) => format!("`{n}`, containerPort {resolved}"),
    }
}

/// An edit that makes the host target use `port`.
pub(super) fn port_edit(h: &HostTarget, port: u16) -> Edit {
    match h.port_span {
        Some(ps) => Edit::replace(ps, port.to_string()),
        None => Edit::replace(h.host_span, format!("{}:{port}", h.host)),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{k8s_orders, k8s_service, proxy_pass};

    /// Deployment `orders` (containerPort 8080 named `http`) and Service
    /// `orders` (port 80 to `http`).
    fn orders() -> String {
        let service = "[{port: 80, targetPort: http}]";
        let service = k8s_service("orders", "default", "{app: orders}", service);
        format!("{}---{service}", k8s_orders(""))
    }

    #[test]
    fn a_named_target_port_is_followed() {
        let f =
            crate::rules::testing::run_first(&proxy_pass(8080, "orders:8080"), &orders(), "UC2005");
        assert_eq!(f.fixes[0].title, "Use Service port 80 instead of 8080");
        crate::testing::assert_contains(&f.fixes[0].diff, "http://orders:80;");
    }

    #[test]
    fn the_service_port_is_fine() {
        let report = crate::rules::testing::run(&proxy_pass(8080, "orders"), &orders());
        crate::rules::testing::assert_none(&report, &["UC2005", "UC2006"]);
    }
}

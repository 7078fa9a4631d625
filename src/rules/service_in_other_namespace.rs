use super::{Check, Context, Finding, pick, ticked, upstream_finding};
use crate::fix::Edit;
use crate::fix::{Applicability, Fix};
use crate::network::{Hint, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstream host names that nginx resolves at start-up and that
    /// name a Kubernetes Service in another namespace than nginx's pod,
    /// without saying which namespace.
    ///
    /// ## Why is this bad?
    /// A pod's search list starts with its own namespace
    /// (`<ns>.svc.cluster.local svc.cluster.local cluster.local`), so a
    /// short name `orders` only finds a Service `orders` in nginx's own
    /// namespace. nginx stops at start-up with `host not found in upstream
    /// "orders:8080"` and the pod crash-loops. The name must carry the
    /// namespace: `orders.shop` (or the full `orders.shop.svc.cluster.local`).
    ///
    /// ## Example
    /// ```nginx
    /// # nginx runs in namespace `web`; Service `orders` is in `shop`
    /// location /orders/ { proxy_pass http://orders:8080; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location /orders/ { proxy_pass http://orders.shop:8080; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe when exactly one Service has that name: `name.namespace`
    /// resolves through the search list (`svc.cluster.local`) to that very
    /// Service. Unsafe when Services of that name exist in several other
    /// namespaces, one fix per namespace.
    pub ServiceInOtherNamespace { code: "UC1003", name: "service-in-other-namespace", severity: Error, fix: Always }
}

impl Check for ServiceInOtherNamespace {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let at_start_up = cx
            .unresolved_services(pick!(Hint::OtherNamespace { service } => *service))
            .filter(|m| !m.miss.runtime);
        for meant in at_start_up {
            let (r, name, up, h) = (meant.miss.r, meant.miss.name, meant.miss.up, meant.h);
            let services = meant.services;
            let my_ns = cx.topology.units[r.site.unit.0].namespace();
            let asked_ns = name.split('.').nth(1);
            // `orders.shop…` already names the Service's namespace: the
            // problem is elsewhere in the name.
            if services
                .iter()
                .any(|s| asked_ns == Some(s.namespace.as_str()))
            {
                continue;
            }
            let where_ = ticked(services.iter().map(|s| &s.namespace));
            let said = match asked_ns {
                Some(ns) => format!("`{name}` looks in namespace `{ns}`"),
                None => format!(
                    "the short name `{name}` only finds Services in nginx's namespace `{my_ns}`"
                ),
            };
            let msg = format!(
                "Service `{}` is in namespace {where_}, but {said}: nginx stops with `host not found in upstream \"{}\"`",
                services[0].name,
                target_text(up)
            );
            let mut f = upstream_finding(self, r, msg, Some(h.host_span));
            for s in &services {
                f = f.related_at(
                    s.span,
                    format!(
                        "Service `{}` is declared in namespace `{}` here",
                        s.name, s.namespace
                    ),
                );
            }
            let applicability = if services.len() == 1 {
                Applicability::Safe
            } else {
                Applicability::Unsafe
            };
            for s in &services {
                let with_ns = format!("{}.{}", s.name, s.namespace);
                f.fixes.push(Fix::new(
                    applicability,
                    format!("Replace `{}` with `{with_ns}`", h.host),
                    [Edit::replace(h.host_span, with_ns)],
                ));
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{k8s_deployment, k8s_nginx, k8s_service, proxy_pass};

    /// Deployment and Service `orders` (port 8080) in namespace `shop`.
    fn orders_in_shop() -> String {
        let containers = "[{name: orders, image: orders:1, ports: [{containerPort: 8080}]}]";
        format!(
            "{}---{}",
            k8s_deployment("orders", "shop", 1, "", containers),
            k8s_service("orders", "shop", "{app: orders}", "[{port: 8080}]")
        )
    }

    #[test]
    fn short_name_of_a_service_elsewhere_is_reported_with_the_namespace_fix() {
        let topo = format!("{}---{}", k8s_nginx("web"), orders_in_shop());
        let f = crate::rules::testing::run_first(&proxy_pass(8080, "orders:8080"), &topo, "UC1003");
        assert_eq!(f.fixes[0].title, "Replace `orders` with `orders.shop`");
    }

    #[test]
    fn the_namespace_qualified_name_is_fine() {
        let topo = format!("{}---{}", k8s_nginx("web"), orders_in_shop());
        let report = crate::rules::testing::run(&proxy_pass(8080, "orders.shop:8080"), &topo);
        crate::rules::testing::assert_none(&report, &["UC1003"]);
    }
}

use super::{Check, Context, Finding, pick, upstream_finding};
use crate::fix::Edit;
use crate::fix::{Applicability, Fix};
use crate::network::Hint;
use crate::topology::{Platform, Service};

crate::declare_rule! {
    /// ## What it does
    /// In Kubernetes, finds Service names that nginx resolves at request
    /// time through its `resolver` (a target built from variables, or
    /// `server … resolve`) and that are not fully qualified: `orders` or
    /// `orders.shop` instead of `orders.shop.svc.cluster.local`.
    ///
    /// ## Why is this bad?
    /// nginx's `resolver` sends the name to the DNS server verbatim: it
    /// does not read `/etc/resolv.conf`, so the pod's search list
    /// (`<ns>.svc.cluster.local svc.cluster.local cluster.local`) never
    /// applies. The cluster DNS answers `orders` with NXDOMAIN, nginx logs
    /// `orders could not be resolved (3: Host not found)` and the request
    /// gets `502 Bad Gateway` — although the same name works in a plain
    /// `proxy_pass http://orders:8080;`.
    ///
    /// ## Example
    /// ```nginx
    /// resolver 10.96.0.10 valid=10s;
    /// set $orders orders;
    /// location / { proxy_pass http://$orders:8080; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// resolver 10.96.0.10 valid=10s;
    /// set $orders orders.shop.svc.cluster.local;
    /// location / { proxy_pass http://$orders:8080; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe when the name says which Service it means (a short name of a
    /// Service in nginx's own namespace, or `name.namespace`): the fully
    /// qualified name is what the search list would have produced. Unsafe
    /// when the Service is only found in other namespaces, one fix per
    /// namespace. No fix when the host is assembled from several variables.
    pub ShortNameWithResolver { code: "UC1007", name: "short-name-with-resolver", severity: Error, fix: Sometimes }
}

impl Check for ShortNameWithResolver {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        if cx.topology.platform != Platform::Kubernetes {
            return;
        }
        let domain = cx.topology.cluster_domain();
        let at_request_time = cx
            .unresolved_services(pick!(Hint::ShortServiceName { service } => *service))
            .filter(|m| m.miss.runtime);
        for found in at_request_time {
            let (r, name, h) = (found.miss.r, found.miss.name, found.h);
            let my_ns = cx.topology.units[r.site.unit.0].namespace();
            let (meant, certain) = meant_services(name, my_ns, &found.services);
            let fqdn = |s: &Service| format!("{}.{}.svc.{domain}", s.name, s.namespace);
            let suggestion = if meant.len() == 1 {
                format!(" (`{}`)", fqdn(meant[0]))
            } else {
                String::new()
            };
            let msg = format!(
                "`{name}` is resolved at request time by nginx's `resolver`, which does not apply the pod's search list: the cluster DNS only answers the fully qualified name{suggestion}, so requests get 502"
            );
            let mut f = upstream_finding(self, r, msg, Some(h.host_span)).related_at(
                found
                    .miss
                    .up
                    .resolver
                    .map(|ri| cx.extraction.resolvers[ri].span),
                "nginx resolves the name through this `resolver`",
            );
            // Only a host written in one piece can be rewritten.
            if cx.text(h.host_span).eq_ignore_ascii_case(&h.host) {
                let applicability = if certain && meant.len() == 1 {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                };
                for s in &meant {
                    let new = fqdn(s);
                    f.fixes.push(Fix::new(
                        applicability,
                        format!("Replace `{}` with `{new}`", h.host),
                        [Edit::replace(h.host_span, new)],
                    ));
                }
            }
            out.push(f);
        }
    }
}

/// The Services `name` can mean, and whether the name says so itself:
/// `name.ns` names its namespace, a short name means nginx's namespace.
/// Otherwise every Service of that name, in other namespaces, uncertain.
fn meant_services<'s>(
    name: &str,
    nginx_ns: &str,
    services: &[&'s Service],
) -> (Vec<&'s Service>, bool) {
    let lname = name.trim_end_matches('.').to_ascii_lowercase();
    let mut labels = lname.split('.');
    let first = labels.next().unwrap_or_default();
    let ns = labels.next();
    let named: Vec<&Service> = services
        .iter()
        .copied()
        .filter(|s| s.name.eq_ignore_ascii_case(first))
        .collect();
    let want = ns.unwrap_or(nginx_ns);
    let exact: Vec<&Service> = named
        .iter()
        .copied()
        .filter(|s| s.namespace.eq_ignore_ascii_case(want))
        .collect();
    if !exact.is_empty() {
        (exact, true)
    } else {
        (named, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::ServiceKind;

    fn svc(name: &str, ns: &str) -> Service {
        Service {
            name: name.into(),
            namespace: ns.into(),
            kind: ServiceKind::ClusterIp,
            cluster_ip: None,
            ip_origin: crate::topology::AddressOrigin::Modelled,
            selector: None,
            ports: Vec::new(),
            selected: Vec::new(),
            span: None,
            selector_span: None,
            node_local: false,
            slices: Vec::new(),
            slices_read: false,
        }
    }

    #[test]
    fn the_name_picks_the_namespace() {
        let (a, b) = (svc("orders", "web"), svc("orders", "shop"));
        let all = [&a, &b];
        let ns = |v: &(Vec<&Service>, bool)| {
            (
                v.0.iter().map(|s| s.namespace.clone()).collect::<Vec<_>>(),
                v.1,
            )
        };
        assert_eq!(
            ns(&meant_services("orders", "web", &all)),
            (vec!["web".into()], true)
        );
        assert_eq!(
            ns(&meant_services("orders.shop", "web", &all)),
            (vec!["shop".into()], true)
        );
        assert_eq!(
            ns(&meant_services("orders", "billing", &all)),
            (vec!["web".into(), "shop".into()], false)
        );
    }

    #[test]
    fn a_short_name_through_the_resolver_gets_the_fqdn() {
        let conf = "server {\n    listen 8080;\n    resolver 10.96.0.10 valid=10s;\n    set $orders orders;\n    location / { proxy_pass http://$orders:8080; }\n}\n";
        let topo = format!(
            "{}---\napiVersion: v1\nkind: Service\nmetadata: {{name: orders}}\nspec:\n  selector: {{app: orders}}\n  ports: [{{port: 8080}}]\n",
            crate::rules::testing::k8s_nginx("default")
        );
        let f = crate::rules::testing::run_first(conf, &topo, "UC1007");
        assert_eq!(
            f.fixes[0].title,
            "Replace `orders` with `orders.default.svc.cluster.local`"
        );
        assert_eq!(f.fixes[0].applicability, Applicability::Safe);
    }
}

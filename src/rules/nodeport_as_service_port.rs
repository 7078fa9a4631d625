use super::service_port_vs_target_port::{port_edit, target_numbers};
use super::{Check, Context, Finding, Related, finding, looked_up_host};
use crate::fix::Fix;
use crate::network::{Outcome, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams that reach a Kubernetes Service by name (or
    /// ClusterIP) on its `nodePort` instead of on its `port`.
    ///
    /// ## Why is this bad?
    /// A nodePort (30000–32767) is opened on every node's own address for
    /// clients outside the cluster. The Service's ClusterIP, which its name
    /// resolves to, only accepts the Service `port`: nginx cannot connect
    /// and the request ends in `502 Bad Gateway` or `504 Gateway Time-out`.
    ///
    /// ## Example
    /// ```nginx
    /// # Service `orders` (type NodePort): port 80, nodePort 30080
    /// location / { proxy_pass http://orders:30080; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://orders:80; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe: a nodePort belongs to exactly one Service port, and that port
    /// reaches the same pods from inside the cluster.
    pub NodeportAsServicePort { code: "UC2006", name: "nodeport-as-service-port", severity: Error, fix: Always }
}

impl Check for NodeportAsServicePort {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for r in cx.primary() {
            let Some(port) = r.port else { continue };
            let up = cx.upstream(r);
            for hit in &r.hits {
                let Outcome::NoServicePort { service } = hit.outcome else {
                    continue;
                };
                let svc = &cx.topology.services[service.0];
                // A target port too: service-port-vs-target-port explains it.
                if svc
                    .ports
                    .iter()
                    .any(|sp| target_numbers(cx.topology, svc, sp).contains(&port))
                {
                    continue;
                }
                let Some(sp) = svc.ports.iter().find(|sp| sp.node_port == Some(port)) else {
                    continue;
                };
                let Some(h) = looked_up_host(up, &r.lookup) else {
                    continue;
                };
                let mut f = finding(
                    self,
                    format!(
                        "`{}` uses port {port}, the nodePort of Service `{}`, which is open on the nodes' addresses only; inside the cluster the Service listens on port {}",
                        target_text(up),
                        svc.name,
                        sp.port
                    ),
                    Some(h.port_span.unwrap_or(h.host_span)),
                );
                f.upstream = Some(r.upstream);
                if let Some(span) = sp.span {
                    f.related.push(Related::new(
                        span,
                        format!("Service `{}` port {} (nodePort {port})", svc.name, sp.port),
                    ));
                }
                f.fixes.push(Fix::safe(
                    format!("Use Service port {} instead of nodePort {port}", sp.port),
                    [port_edit(h, sp.port)],
                ));
                out.push(f);
                break;
            }
        }
    }
}

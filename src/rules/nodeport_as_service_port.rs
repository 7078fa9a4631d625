use super::service_port_vs_target_port::port_edit;
use super::{Check, Context, Finding, port_finding};
use crate::fix::Fix;
use crate::network::target_text;

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
        cx.judge_service_port_misses(out, |miss| {
            // A target port too: service-port-vs-target-port explains it.
            if miss.forwarding_to_port(cx.topology).next().is_some() {
                return None;
            }
            let (svc, port) = (miss.service, miss.port);
            let sp = svc.ports.iter().find(|sp| sp.node_port == Some(port))?;
            let message = format!(
                "`{}` uses port {port}, the nodePort of Service `{}`, which is open on the nodes' addresses only; inside the cluster the Service listens on port {}",
                target_text(miss.up),
                svc.name,
                sp.port
            );
            let f = port_finding(self, miss.r, miss.host, message).related_at(
                sp.span,
                format!("Service `{}` port {} (nodePort {port})", svc.name, sp.port),
            );
            Some(f.fix(Fix::safe(
                format!("Use Service port {} instead of nodePort {port}", sp.port),
                [port_edit(miss.host, sp.port)],
            )))
        });
    }
}

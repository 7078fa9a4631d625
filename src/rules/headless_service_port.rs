use super::service_port_vs_target_port::port_edit;
use super::{Check, Context, Finding, looked_up_host, port_finding};
use crate::fix::Fix;
use crate::network::{Hit, Outcome, target_text};
use crate::topology::{ServiceKind, ServicePort, Topology};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams that reach a headless Kubernetes Service
    /// (`clusterIP: None`) on its `port` while its pods listen on a
    /// different `targetPort`.
    ///
    /// ## Why is this bad?
    /// A headless Service has no ClusterIP and no proxy: its name resolves
    /// straight to the pod addresses, so nothing translates `port` to
    /// `targetPort`. nginx connects to the pods on the Service port, where
    /// nothing listens, and the connection is refused: `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```nginx
    /// # headless Service `search`: port 80 → targetPort 9200
    /// location / { proxy_pass http://search:80; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://search:9200; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the target port is where the pods listen, which is where the
    /// Service port would have led through a ClusterIP.
    pub HeadlessServicePort { code: "UC2008", name: "headless-service-port", severity: Error, fix: Always }
}

impl Check for HeadlessServicePort {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for r in cx.primary() {
            let up = cx.upstream(r);
            for hit in &r.hits {
                let Some((sp, target)) = untranslated(cx.topology, hit) else {
                    continue;
                };
                let Some(h) = looked_up_host(up, &r.lookup) else {
                    continue;
                };
                let svc = &cx.topology.services[hit.service.expect("checked").0];
                let port = sp.port;
                let message = format!(
                    "Service `{}` is headless (`clusterIP: None`): `{}` reaches the pods directly on port {port}, with no translation to targetPort {target}, where they listen",
                    svc.name,
                    target_text(up)
                );
                let f = port_finding(self, r, h, message)
                    .related_at(
                        sp.target_span.or(sp.span),
                        format!(
                            "Service `{}` port {port} targets {target} in the pods",
                            svc.name
                        ),
                    )
                    .fix(Fix::safe(
                        format!("Use the pods' port {target} instead of {port}"),
                        [port_edit(h, target)],
                    ));
                out.push(f);
                break;
            }
        }
    }
}

/// For a hit on a headless Service's pod where nothing listens: the
/// Service port nginx used and the target port the pod listens on, when
/// they differ. port-not-listening leaves these to this rule.
pub(super) fn untranslated<'t>(topo: &'t Topology, hit: &Hit) -> Option<(&'t ServicePort, u16)> {
    let svc = &topo.services[hit.service?.0];
    if svc.kind != ServiceKind::Headless {
        return None;
    }
    // Where the pod listens: the listeners when known, else its declared
    // containerPorts (which say nothing about the port nginx used).
    let (unit, known) = match &hit.outcome {
        Outcome::NothingListens { unit, known } => (*unit, known.to_vec()),
        Outcome::Unknown { unit } => {
            let declared: Vec<u16> = topo.units[unit.0]
                .containers
                .iter()
                .flat_map(|c| &c.ports)
                .map(|p| p.container_port)
                .collect();
            if declared.contains(&hit.port?) {
                return None;
            }
            (*unit, declared)
        }
        _ => return None,
    };
    let port = hit.port?;
    svc.ports
        .iter()
        .filter(|sp| sp.port == port)
        .find_map(|sp| {
            let target = sp.target_port.in_unit(&topo.units[unit.0])?;
            (target != port && known.contains(&target)).then_some((sp, target))
        })
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{k8s_nginx, proxy_pass};

    const SEARCH: &str = "
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: search}
spec:
  serviceName: search
  selector: {matchLabels: {app: search}}
  template:
    metadata: {labels: {app: search}}
    spec:
      containers: [{name: es, image: search:8, ports: [{containerPort: 9200}]}]
---
apiVersion: v1
kind: Service
metadata: {name: search}
spec:
  clusterIP: None
  selector: {app: search}
  ports: [{port: 80, targetPort: 9200}]
";

    #[test]
    fn the_service_port_of_a_headless_service_is_reported_once() {
        let report = crate::rules::testing::run(
            &proxy_pass(8080, "search:80"),
            &format!("{}---{SEARCH}", k8s_nginx("default")),
        );
        crate::rules::testing::assert_none(&report, &["UC2004"]);
        let f = crate::rules::testing::first(&report, "UC2008");
        assert_eq!(f.fixes[0].title, "Use the pods' port 9200 instead of 80");
    }

    #[test]
    fn the_target_port_is_fine() {
        let report = crate::rules::testing::run(
            &proxy_pass(8080, "search:9200"),
            &format!("{}---{SEARCH}", k8s_nginx("default")),
        );
        crate::rules::testing::assert_none(&report, &["UC2008", "UC2004"]);
    }
}

use super::{Check, Context, Finding, HostUse, port_finding};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::network::Outcome;
use crate::network::target_text;
use crate::topology::{DeclaredPort, PortKind, Unit};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams that use the port a compose service publishes on the
    /// host (`ports: ["8080:80"]` → 8080) instead of the port the container
    /// listens on (80).
    ///
    /// ## Why is this bad?
    /// Containers talk to each other on container ports; the published
    /// port exists only on the docker host. From nginx's container,
    /// `api:8080` is refused: `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```nginx
    /// # compose: api publishes "8080:80"
    /// location / { proxy_pass http://api:8080; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://api:80; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the container port is the one the published port forwards to.
    pub PublishedPortUsed { code: "UC2002", name: "published-port-used", severity: Error, fix: Sometimes }
}

impl Check for PublishedPortUsed {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for HostUse { r, up, h } in cx.primary_hosts() {
            let Some(port) = r.port else { continue };
            for hit in &r.hits {
                let Outcome::NothingListens { unit, .. } = hit.outcome else {
                    continue;
                };
                // Through the docker host's published port the container
                // port was used already.
                if unit == r.site.unit || (hit.service.is_none() && hit.pod_port.is_some()) {
                    continue;
                }
                let u = &cx.topology.units[unit.0];
                let Some(p) = published_elsewhere(u, port) else {
                    continue;
                };
                let message = format!(
                    "`{}` uses port {port}, which `{}` publishes on the host; other containers reach it on container port {}",
                    target_text(up),
                    u.name,
                    p.container_port
                );
                let mut f = port_finding(self, r, h, message).related_at(
                    p.host_span.or(p.span),
                    format!(
                        "published here: host {port} -> container {}",
                        p.container_port
                    ),
                );
                if let Some(ps) = h.port_span {
                    f = f.fix(Fix::safe(
                        format!("Use container port {} instead of {port}", p.container_port),
                        [Edit::replace(ps, p.container_port.to_string())],
                    ));
                }
                out.push(f);
                break;
            }
        }
    }
}

/// The port `u` publishes on the host as `port` when it forwards to
/// another container port: nginx used the host's side of the mapping.
/// port-not-listening leaves these to this rule.
pub(super) fn published_elsewhere(u: &Unit, port: u16) -> Option<&DeclaredPort> {
    u.containers.iter().flat_map(|c| &c.ports).find(|p| {
        p.kind == PortKind::Published && p.host_port == Some(port) && p.container_port != port
    })
}

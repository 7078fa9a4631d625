use super::{Check, Context, Finding, finding, replace};
use crate::fix::{Applicability, Fix};
use crate::nginx::upstreams::Target;
use crate::resolve::{Outcome, target_text};
use crate::topology::PortKind;

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams that reach the right container or pod on a port
    /// where, by everything the files say, nothing listens.
    ///
    /// ## Why is this bad?
    /// The connection is refused and nginx answers `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```nginx
    /// # compose: api runs `gunicorn -b 0.0.0.0:8000`
    /// location / { proxy_pass http://api:8080; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://api:8000; }
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: offered when exactly one port is known to listen there,
    /// which is probably, not certainly, the one meant.
    pub PortNotListening { code: "UC2004", name: "port-not-listening", severity: Error, fix: Sometimes }
}

impl Check for PortNotListening {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for r in cx.primary() {
            let Some(port) = r.port else { continue };
            let up = cx.upstream(r);
            let Target::Host(h) = &up.target else {
                continue;
            };
            for hit in &r.hits {
                let Outcome::NothingListens { unit, known } = &hit.outcome else {
                    continue;
                };
                if *unit == r.site.unit {
                    continue; // loopback-upstream-nothing-listens
                }
                let u = &cx.topology.units[unit.0];
                let published = u.containers.iter().flat_map(|c| &c.ports).any(|p| {
                    p.kind == PortKind::Published
                        && p.host_port == Some(port)
                        && p.container_port != port
                });
                if published {
                    continue; // published-port-used
                }
                let at = hit.pod_port.unwrap_or(port);
                let mut f = finding(
                    self,
                    format!(
                        "nothing in `{}` listens on port {at} (listening: {}), so `{}` is refused",
                        u.name,
                        known
                            .iter()
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        target_text(up)
                    ),
                    Some(h.port_span.unwrap_or(h.host_span)),
                );
                f.upstream = Some(r.upstream);
                if known.len() == 1
                    && hit.service.is_none()
                    && let Some(ps) = h.port_span
                {
                    f.fixes.push(Fix {
                        title: format!("Use port {} instead of {port}", known[0]),
                        applicability: Applicability::Unsafe,
                        edits: vec![replace(ps, known[0].to_string())],
                    });
                }
                out.push(f);
                break;
            }
        }
    }
}

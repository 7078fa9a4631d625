use super::{Check, Context, Finding, Related, finding};
use crate::fix::{Applicability, Fix};
use crate::resolve::{Outcome, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams whose server listens only on its own loopback
    /// (`127.0.0.1` or `::1`) in another container or pod — the default of
    /// `flask run`, `uvicorn`, `gunicorn` without `PORT`, `manage.py
    /// runserver` and many development servers.
    ///
    /// ## Why is this bad?
    /// A loopback address is private to its network namespace. nginx in
    /// another container connects to the right address and port and is
    /// refused: `502 Bad Gateway`. The same server works from its own
    /// container, which hides the problem in local testing.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     command: flask run --port 5000        # binds 127.0.0.1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     command: flask run --host 0.0.0.0 --port 5000
    /// ```
    ///
    /// ## Fix safety
    /// Display-only: the bind address is set in the server's command line
    /// or configuration, which upcheck shows but does not rewrite.
    pub BackendBoundToLoopback { code: "UC2003", name: "backend-bound-to-loopback", severity: Error, fix: Always }
}

impl Check for BackendBoundToLoopback {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for r in cx.primary() {
            let up = cx.upstream(r);
            for hit in &r.hits {
                let Outcome::LoopbackOnly {
                    unit,
                    container,
                    listener,
                } = hit.outcome
                else {
                    continue;
                };
                let u = &cx.topology.units[unit.0];
                let c = &u.containers[container];
                let l = &c.listeners[listener];
                let mut f = finding(
                    self,
                    format!(
                        "`{}` reaches `{}`, which listens on {} — its own loopback, unreachable from nginx in `{}` ({})",
                        target_text(up),
                        u.name,
                        crate::topology::render::listener_text(l),
                        cx.topology.units[r.site.unit.0].name,
                        l.provenance.detail
                    ),
                    Some(up.span),
                );
                f.upstream = Some(r.upstream);
                if let Some(span) = l.provenance.span.or(c.span) {
                    f.related.push(Related {
                        span,
                        message: format!("`{}` is started here", c.name),
                    });
                }
                f.fixes.push(Fix {
                    title: format!(
                        "Make `{}` listen on 0.0.0.0 (all interfaces) instead of `{}`",
                        c.name,
                        match &l.bind {
                            Some(crate::topology::Bind::Ip(ip)) => ip.to_string(),
                            _ => "its loopback".to_string(),
                        }
                    ),
                    applicability: Applicability::DisplayOnly,
                    edits: Vec::new(),
                });
                out.push(f);
                break;
            }
        }
    }
}

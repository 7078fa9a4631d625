use super::{Check, Context, Finding, Severity, upstream_finding};
use crate::network::{Lookup, Status, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Reports every upstream that resolves to `unreachable` when no more
    /// specific rule explains why. It is the safety net that keeps a
    /// verdict from being `pass` while nginx cannot reach an upstream.
    ///
    /// ## Why is this bad?
    /// Requests routed to that upstream fail with `502 Bad Gateway` (or
    /// nginx does not start). The trace of the upstream in the report says
    /// step by step where the path breaks.
    ///
    /// ## Example
    /// ```nginx
    /// upstream app { server app:8000 down; }
    /// location / { proxy_pass http://app; }   # no usable server
    /// ```
    ///
    /// Use instead: a group with at least one reachable server.
    pub UpstreamUnreachable { code: "UC2000", name: "upstream-unreachable", severity: Error, fix: None }
}

impl Check for UpstreamUnreachable {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // What the other rules explained, indexed once.
        let mut by_upstream = std::collections::HashSet::new();
        let mut by_related = std::collections::HashSet::new();
        for f in out.iter().filter(|f| f.severity == Severity::Error) {
            if let Some(u) = f.upstream {
                by_upstream.insert(u);
            }
            for x in &f.related {
                by_related.insert(x.span);
            }
        }
        for r in cx.primary() {
            if r.status != Status::Unreachable {
                continue;
            }
            let up = cx.upstream(r);
            // A finding about several upstreams (a Service, a resolver) names
            // the others as related locations; a group is explained by its
            // members' findings.
            let members: &[usize] = match r.lookup {
                Lookup::Group { group } => &cx.extraction.groups[group].servers,
                _ => &[],
            };
            let explained = by_upstream.contains(&r.upstream)
                || members.iter().any(|m| by_upstream.contains(m))
                || by_related.contains(&up.span);
            if explained {
                continue;
            }
            let msg = format!(
                "nginx cannot reach `{}`: {}",
                target_text(up),
                r.reason.clone().unwrap_or_else(|| "see the trace".into())
            );
            out.push(upstream_finding(self, r, msg, Some(up.span)));
        }
    }
}

use super::{Check, Context, Finding, upstream_finding};
use crate::network::{Status, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Reports upstreams whose reachability cannot be decided from the
    /// files: the backend's port is stated nowhere (no `expose`,
    /// `containerPort`, known server command or image default), the
    /// address is outside the described topology, or the target depends on
    /// the request.
    ///
    /// ## Why is this bad?
    /// Nothing is known to be wrong, but nothing is known to work either;
    /// a `pass` would be a guess.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     build: .          # listens somewhere, says nowhere
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   api:
    ///     build: .
    ///     expose: ["8000"]
    /// ```
    pub UpstreamUnverifiable { code: "UC2016", name: "upstream-unverifiable", severity: Warning, fix: None }
}

impl Check for UpstreamUnverifiable {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for r in cx.primary() {
            if r.status != Status::Unverifiable {
                continue;
            }
            let up = cx.upstream(r);
            let msg = format!(
                "cannot tell whether `{}` is reachable: {}",
                target_text(up),
                r.reason
                    .clone()
                    .unwrap_or_else(|| "nothing is known about it".into())
            );
            out.push(upstream_finding(self, r, msg, Some(up.span)));
        }
    }
}

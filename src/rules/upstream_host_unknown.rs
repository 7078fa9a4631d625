use super::{Check, Context, Finding, upstream_finding};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::network::target_text;

crate::declare_rule! {
    /// ## What it does
    /// Checks that every host name nginx resolves at start-up (a
    /// `proxy_pass`, `fastcgi_pass`, … or `upstream { server … }` without
    /// variables) is a name nginx's container can resolve: `/etc/hosts`,
    /// a compose service, container name, alias or link on a network nginx
    /// joins, or a Kubernetes Service through the pod's search list.
    ///
    /// ## Why is this bad?
    /// nginx resolves these names once, when it loads the configuration.
    /// One unknown name stops it: `[emerg] host not found in upstream
    /// "model-test:6001" in /etc/nginx/conf.d/default.conf:10`, and the
    /// container exits or crash-loops.
    ///
    /// ## Example
    /// ```nginx
    /// location / { proxy_pass http://model-test:6001; }   # the service is `model_test`
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://model_test:6001; }
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the replacement is the nearest name that resolves (by edit
    /// distance), which may not be the service meant.
    pub UpstreamHostUnknown { code: "UC1001", name: "upstream-host-unknown", severity: Error, fix: Sometimes }
}

impl Check for UpstreamHostUnknown {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for miss in cx.unresolved().filter(|m| !m.runtime) {
            let (r, name, near) = (miss.r, miss.name, miss.near);
            // Names with a better explanation belong to other rules.
            if !miss.hints.is_empty() {
                continue;
            }
            let Some((up, h)) = cx.host_of(r) else {
                continue;
            };
            let nginx = &cx.topology.units[r.site.unit.0].name;
            let msg = format!(
                "upstream host `{name}` does not resolve from `{nginx}`: nginx stops with `host not found in upstream \"{}\"`{}",
                target_text(up),
                if near.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean `{}`?)", near.join("`, `"))
                }
            );
            let mut f = upstream_finding(self, r, msg, Some(h.host_span));
            f.fixes = near
                .iter()
                .map(|n| {
                    Fix::unsafe_edits(
                        format!("Replace `{name}` with `{n}`"),
                        [Edit::replace(h.host_span, n.clone())],
                    )
                })
                .collect();
            out.push(f);
        }
    }
}

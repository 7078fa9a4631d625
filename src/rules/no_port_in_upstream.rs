use super::{Check, Context, Finding, HostUse, upstream_finding};
use crate::fix::{Edit, Fix};
use crate::network::Lookup;

crate::declare_rule! {
    /// ## What it does
    /// Finds `fastcgi_pass`, `uwsgi_pass`, `scgi_pass`, `grpc_pass`,
    /// `memcached_pass` and stream `proxy_pass` targets written without a
    /// port. Unlike `proxy_pass http://…` (80) and `upstream { server … }`
    /// (80), these directives have no default port.
    ///
    /// ## Why is this bad?
    /// nginx refuses the configuration: `[emerg] no port in upstream
    /// "php"`, and does not start.
    ///
    /// ## Example
    /// ```nginx
    /// location ~ \.php$ { fastcgi_pass php; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location ~ \.php$ { fastcgi_pass php:9000; }
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: offered when the target is known to listen on exactly one
    /// port, which is probably the one meant.
    pub NoPortInUpstream { code: "UC2015", name: "no-port-in-upstream", severity: Error, fix: Sometimes }
}

impl Check for NoPortInUpstream {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for HostUse { r, up, h } in cx.primary_hosts() {
            if h.port.is_some() || up.url.default_port.is_some() || h.port_span.is_some() {
                continue;
            }
            let msg = format!(
                "`{} {}` names no port and `{}` has no default: nginx stops with `no port in upstream \"{}\"`",
                up.directive.name(),
                h.host,
                up.directive.name(),
                h.host
            );
            let mut f = upstream_finding(self, r, msg, Some(h.host_span));
            // Which ports does the target listen on?
            let mut ports: Vec<u16> = Vec::new();
            if let Lookup::Name { .. } | Lookup::Ip { .. } = &r.lookup {
                let units: Vec<_> = cx
                    .topology
                    .units
                    .iter()
                    .enumerate()
                    .filter(|(i, u)| {
                        *i != r.site.unit.0
                            && u.addresses
                                .iter()
                                .any(|a| a.dns_names.iter().any(|n| n == &h.host))
                    })
                    .collect();
                for (_, u) in units {
                    for (_, l) in u.listeners() {
                        if let Some(p) = l.port
                            && !ports.contains(&p)
                        {
                            ports.push(p);
                        }
                    }
                }
            }
            if ports.len() == 1 {
                f.fixes.push(Fix::unsafe_edits(
                    format!("Add port {} to `{}`", ports[0], h.host),
                    [Edit::insert(
                        h.host_span.file,
                        h.host_span.end,
                        format!(":{}", ports[0]),
                    )],
                ));
            }
            out.push(f);
        }
    }
}

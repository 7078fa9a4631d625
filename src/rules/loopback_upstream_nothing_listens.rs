use super::{Check, Context, Finding, HostUse, route_fixes, routes_to_port, upstream_finding};
use crate::network::{Lookup, Outcome, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams on a loopback address (`127.0.0.1`, `::1`,
    /// `localhost`) where nothing in nginx's own network namespace listens
    /// on that port — typically because the application runs in another
    /// container.
    ///
    /// ## Why is this bad?
    /// In docker compose every container has its own network namespace:
    /// `127.0.0.1` inside the nginx container is nginx itself, not the
    /// application, so every request gets `502 Bad Gateway` (`connect()
    /// failed (111: Connection refused)`). The same line works in a
    /// Kubernetes pod, where the containers share one namespace — which is
    /// why it is so often copied into compose files.
    ///
    /// ## Example
    /// ```nginx
    /// # compose: nginx and model_test are two services
    /// location / { proxy_pass http://127.0.0.1:6001; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://model_test:6001; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe when exactly one service listens on that port and its listener
    /// is stated by the files; unsafe when several could be meant.
    pub LoopbackUpstreamNothingListens { code: "UC2001", name: "loopback-upstream-nothing-listens", severity: Error, fix: Sometimes }
}

impl Check for LoopbackUpstreamNothingListens {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // Many loopback upstreams often share a port: find its listeners once.
        let mut routes_by_port: std::collections::HashMap<u16, Vec<super::Route>> =
            std::collections::HashMap::new();
        for HostUse { r, up, h } in cx.primary_hosts() {
            let loopback = match &r.lookup {
                Lookup::Ip { ip } => ip.is_loopback(),
                Lookup::Name { matched, .. } => matched == "localhost",
                _ => false,
            };
            if !loopback || r.hits.is_empty() {
                continue;
            }
            let all_missing = r.hits.iter().all(|h| {
                matches!(h.outcome, Outcome::NothingListens { unit, .. } if unit == r.site.unit)
            });
            if !all_missing {
                continue;
            }
            let Some(port) = r.port else { continue };
            let nginx = &cx.topology.units[r.site.unit.0];
            let routes = routes_by_port
                .entry(port)
                .or_insert_with(|| routes_to_port(cx, r.site, port))
                .clone();
            let elsewhere = match routes.len() {
                0 => String::new(),
                1 => format!(
                    "; `{}` listens on {port} in its own namespace",
                    cx.topology.units[routes[0].unit.0].name
                ),
                n => {
                    let names: Vec<String> = routes
                        .iter()
                        .take(super::MAX_ROUTE_FIXES)
                        .map(|x| format!("`{}`", cx.topology.units[x.unit.0].name))
                        .collect();
                    let more = n.saturating_sub(super::MAX_ROUTE_FIXES);
                    format!(
                        "; {}{} listen on {port}, each in its own namespace",
                        names.join(", "),
                        if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        }
                    )
                }
            };
            let msg = format!(
                "`{}` is nginx's own loopback in `{}`, where nothing listens on {port}{elsewhere}",
                target_text(up),
                nginx.name
            );
            let mut f = upstream_finding(self, r, msg, Some(h.host_span));
            for route in routes.iter().take(super::MAX_ROUTE_FIXES) {
                let unit = &cx.topology.units[route.unit.0];
                let listener = unit.listeners().find(|(_, l)| l.port == Some(port));
                f = f.related_at(
                    listener.and_then(|(_, l)| l.provenance.span),
                    format!("`{}` listens on {port} here", unit.name),
                );
            }
            out.push(f.fixes(route_fixes(up, &routes)));
        }
    }
}

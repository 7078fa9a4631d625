use super::{Check, Context, Finding, first_outcome, pick, upstream_finding};
use crate::network::{Outcome, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams that lead back to a `listen` of the very `server { }`
    /// block they are in: `127.0.0.1`, `localhost`, nginx's own service
    /// name or Service, on the port nginx itself listens on. For an
    /// `upstream { }` member, any server block using the group counts.
    ///
    /// ## Why is this bad?
    /// The request comes back to the same server and location, which
    /// proxies it again, and again, until nginx runs out of connections
    /// (`worker_connections are not enough while connecting to upstream`)
    /// and answers `500`. It usually means the application's port was
    /// meant, or its service name. Proxying to a *different* server block
    /// of the same nginx (another port) is not a loop and is not reported.
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     listen 80;
    ///     location / { proxy_pass http://127.0.0.1:80; }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// server {
    ///     listen 80;
    ///     location / { proxy_pass http://app:8000; }
    /// }
    /// ```
    pub ProxyLoop { code: "UC2011", name: "proxy-loop", severity: Error, fix: None }
}

impl Check for ProxyLoop {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for r in cx.primary() {
            let Some((container, listener)) = first_outcome(
                r,
                pick!(Outcome::SelfLoop { container, listener } => (*container, *listener)),
            ) else {
                continue;
            };
            let up = cx.upstream(r);
            let nginx = &cx.topology.units[r.site.unit.0];
            let l = &nginx.containers[container].listeners[listener];
            let listen = l
                .provenance
                .span
                .map(|s| format!("`{}`", cx.text(s).trim_end_matches(';')))
                .unwrap_or_else(|| format!("port {}", l.port.unwrap_or_default()));
            let (within, effect) = if up.group.is_some() {
                (
                    "a server block that uses this upstream group",
                    "requests balanced to it come back into nginx and are balanced again, taking twice the connections",
                )
            } else {
                (
                    "this server block",
                    "every request is proxied to itself until nginx runs out of connections",
                )
            };
            let msg = format!(
                "`{}` leads back to nginx itself: {listen} of {within} — {effect}",
                target_text(up)
            );
            out.push(
                upstream_finding(self, r, msg, Some(up.span))
                    .related_at(l.provenance.span, "nginx listens here"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{codes, proxy_pass, run};

    const COMPOSE: &str = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n  app:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n    expose: [\"8000\"]\n";

    #[test]
    fn loopback_to_own_listen_is_a_loop() {
        assert!(
            codes(&run(&proxy_pass(80, "127.0.0.1:80"), COMPOSE)).contains(&"UC2011".to_string())
        );
    }

    #[test]
    fn another_server_block_of_the_same_nginx_is_not_a_loop() {
        let conf = "server { listen 80; location / { proxy_pass http://127.0.0.1:8080; } }\nserver { listen 8080; root /srv; }";
        let r = run(conf, COMPOSE);
        assert!(
            !codes(&r).contains(&"UC2011".to_string()),
            "{:?}",
            codes(&r)
        );
        assert_eq!(r.upstreams[0].status, crate::network::Status::Reachable);
    }

    #[test]
    fn group_member_pointing_at_a_server_using_the_group_is_a_loop() {
        let conf = "upstream b { server app:8000; server 127.0.0.1:80; }\nserver { listen 80; location / { proxy_pass http://b; } }";
        assert!(codes(&run(conf, COMPOSE)).contains(&"UC2011".to_string()));
    }
}

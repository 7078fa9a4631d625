use super::Met;
use super::{Check, Context, Finding, HostUse, upstream_finding};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::network::Lookup;
use crate::network::Outcome;
use crate::topology::names::NameSource;

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams written as `localhost` where the server listens on
    /// only one of the two addresses `localhost` stands for: `127.0.0.1`
    /// (an IPv4-only bind such as `0.0.0.0` or `127.0.0.1`) or `::1`.
    /// nginx gets both when its network namespace has IPv6 (an
    /// IPv6-enabled network) or its image is Alpine-based (musl keeps
    /// `::1` whenever the loopback has it); glibc images on IPv4-only
    /// networks get `127.0.0.1` alone and are not reported.
    ///
    /// ## Why is this bad?
    /// nginx resolves `localhost` through `/etc/hosts` with getaddrinfo's
    /// `AI_ADDRCONFIG`: in a network namespace with an IPv6 address (an
    /// IPv6-enabled network; IPv4-only containers and pods get `127.0.0.1`
    /// alone) it gets both `127.0.0.1` and `::1` and uses both as servers in
    /// turn. Every connection to the
    /// address nothing listens on fails first, is logged as an error
    /// (`connect() to [::1]:8000 failed (111: Connection refused)` or `(99:
    /// Cannot assign requested address)`), marks that address as failed
    /// for `fail_timeout` and is retried on the other one. Requests still
    /// succeed, but the error log fills with failures that hide real ones,
    /// and a slow or failing working address has no fallback left.
    ///
    /// ## Example
    /// ```nginx
    /// # an IPv6-enabled network; the app runs `gunicorn -b 0.0.0.0:8000` alongside
    /// location / { proxy_pass http://localhost:8000; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://127.0.0.1:8000; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the replacement is exactly the address that works today; the
    /// other one never did.
    pub LocalhostIpv6Fallback { code: "UC2010", name: "localhost-ipv6-fallback", severity: Warning, fix: Always }
}

impl Check for LocalhostIpv6Fallback {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for HostUse { r, h, .. } in cx.primary_hosts() {
            if !matches!(
                &r.lookup,
                Lookup::Name {
                    via: NameSource::Localhost,
                    ..
                }
            ) {
                continue;
            }
            let works: Vec<_> = r
                .hits
                .iter()
                .filter(|h| matches!(h.outcome, Outcome::Listening { .. }))
                .collect();
            let fails: Vec<_> = r
                .hits
                .iter()
                .filter(|h| matches!(h.outcome, Outcome::WrongFamily { .. }))
                .collect();
            if works.len() != 1 || fails.len() != 1 || r.hits.len() != 2 {
                continue;
            }
            let (Some(good), Some(bad)) = (works[0].ip, fails[0].ip) else {
                continue;
            };
            let Some(met) = cx.listener_met(works[0], Met::Listening) else {
                continue;
            };
            let port = r.port.unwrap_or_default();
            let (c, l) = (met.container, met.listener);
            let name = c.service.as_deref().unwrap_or(&c.name);
            let shown = |ip: std::net::IpAddr| {
                if ip.is_ipv6() {
                    format!("[{ip}]")
                } else {
                    ip.to_string()
                }
            };
            let msg = format!(
                "`localhost` is both 127.0.0.1 and ::1, but `{name}` listens on {} only: every connection to {}:{port} fails, is logged (`connect() to {}:{port} failed`) and retried on {}",
                l,
                shown(bad),
                shown(bad),
                good
            );
            let f = upstream_finding(self, r, msg, Some(h.host_span))
                .related_at(
                    l.provenance.span,
                    format!("`{name}` listens here ({})", l.provenance.detail),
                )
                .fix(Fix::safe(
                    format!("Replace `{}` with `{}`", h.host, shown(good)),
                    [Edit::replace(h.host_span, shown(good))],
                ));
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_none, codes, one, proxy_pass, run};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: nginx\n      image: nginx:1.27-alpine\n      ports: [{containerPort: 80}]\n    - name: app\n      image: python:3.12\n      command: [gunicorn, -b, \"0.0.0.0:8000\", \"app:app\"]\n";

    #[test]
    fn ipv4_only_app_behind_localhost() {
        let r = run(&proxy_pass(80, "localhost:8000"), POD);
        let f = one(&r, "UC2010");
        assert_eq!(f.fixes[0].title, "Replace `localhost` with `127.0.0.1`");
        assert!(
            r.findings.iter().all(|f| f.code != "UC2001"),
            "{:?}",
            codes(&r)
        );
    }

    #[test]
    fn glibc_nginx_on_an_ipv4_network_only_gets_127_0_0_1() {
        let r = run(
            &proxy_pass(80, "localhost:8000"),
            &POD.replace("nginx:1.27-alpine", "nginx:1.27"),
        );
        assert_none(&r, &["UC2010"]);
    }

    #[test]
    fn explicit_ipv4_is_fine() {
        let r = run(&proxy_pass(80, "127.0.0.1:8000"), POD);
        assert_none(&r, &["UC2010"]);
        assert_eq!(r.upstreams[0].status, crate::network::Status::Reachable);
    }
}

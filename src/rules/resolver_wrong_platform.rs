use super::{Check, Context, Finding, Related, listing, pick, upstreams_finding};
use crate::fix::Edit;
use crate::fix::{Applicability, Fix};
use crate::network::Hint;
use crate::source::Span;
use crate::topology::Site;
use crate::topology::{Platform, names};

crate::declare_rule! {
    /// ## What it does
    /// Finds `resolver` directives that point at a DNS server which cannot
    /// answer the platform's names — a public resolver such as `8.8.8.8`,
    /// Docker's `127.0.0.11` in Kubernetes, or kube-dns's address in docker
    /// compose — while nginx uses them to resolve service names at request
    /// time.
    ///
    /// ## Why is this bad?
    /// Service names (`orders`, `orders.shop.svc.cluster.local`) exist
    /// only in Docker's embedded DNS (127.0.0.11, on user-defined networks)
    /// or in the cluster DNS (kube-dns). Any other server answers `Host not
    /// found` (or times out), nginx logs `orders could not be resolved` and
    /// the request gets `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```nginx
    /// # docker compose
    /// resolver 8.8.8.8;
    /// set $orders http://orders:8080;
    /// location / { proxy_pass $orders; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// resolver 127.0.0.11;
    /// set $orders http://orders:8080;
    /// location / { proxy_pass $orders; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe in docker compose: `127.0.0.11` answers service names and
    /// forwards every other name to the host's resolvers, so names outside
    /// the project keep resolving. Unsafe in Kubernetes: the cluster DNS
    /// address is the kubeadm default (`10.96.0.10`) unless the `dns_ip`
    /// option gives the real one, and clusters differ (`kubectl -n
    /// kube-system get service kube-dns`).
    pub ResolverWrongPlatform { code: "UC1006", name: "resolver-wrong-platform", severity: Error, fix: Sometimes }
}

impl Check for ResolverWrongPlatform {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // resolver index -> (site, the names it fails, the upstreams).
        let mut by_resolver: Vec<(usize, Site, Vec<String>, Vec<usize>)> = Vec::new();
        for (miss, ri) in
            cx.unresolved_hinted(pick!(Hint::ResolverNotPlatformDns { resolver } => *resolver))
        {
            let (r, name) = (miss.r, miss.name);
            // Names outside the topology are for the outside world's DNS.
            if !is_platform_name(cx, r.site, name) {
                continue;
            }
            let entry = match by_resolver.iter_mut().find(|e| e.0 == ri) {
                Some(e) => e,
                None => {
                    by_resolver.push((ri, r.site, Vec::new(), Vec::new()));
                    by_resolver.last_mut().expect("just pushed")
                }
            };
            if !entry.2.iter().any(|n| n == name) {
                entry.2.push(name.to_owned());
            }
            entry.3.push(r.upstream);
        }
        for (ri, site, names, upstreams) in by_resolver {
            let res = &cx.extraction.resolvers[ri];
            let Some(first) = res.addresses.first() else {
                continue;
            };
            let last = res.addresses.last().expect("not empty");
            let written = res
                .addresses
                .iter()
                .map(|a| cx.text(token_around(cx, a.at.host_span)))
                .collect::<Vec<_>>()
                .join(" ");
            let dns = platform_dns(cx, site);
            let platform = match (cx.topology.platform, &dns) {
                (Platform::Compose, Some(d)) => format!("Docker's embedded DNS ({d})"),
                (Platform::Compose, None) => {
                    "Docker's embedded DNS, which nginx's container does not have (it joins no user-defined network)".to_string()
                }
                (Platform::Kubernetes, Some(d)) => format!("the cluster DNS ({d})"),
                (Platform::Kubernetes, None) => "the cluster DNS".to_string(),
            };
            let shown = listing(names.iter().map(|n| format!("`{n}`")), names.len());
            let mut f = upstreams_finding(
                cx,
                self,
                &upstreams,
                format!(
                    "`resolver {written}` is not {platform}, so it cannot resolve {shown}: requests get 502"
                ),
                Some(first.at.host_span),
                |up| {
                    Related::new(
                        up.span,
                        format!("`{}` is resolved through it", super::describe(cx, up)),
                    )
                },
            );
            if let Some(dns) = dns
                && written != dns
            {
                let from = token_around(cx, first.at.host_span);
                let to = token_around(cx, last.at.host_span);
                f.fixes.push(Fix::new(
                    match cx.topology.platform {
                        Platform::Compose => Applicability::Safe,
                        Platform::Kubernetes => Applicability::Unsafe,
                    },
                    format!("Replace `{written}` with `{dns}`"),
                    [Edit::replace(
                        Span {
                            file: from.file,
                            start: from.start,
                            end: to.end,
                        },
                        dns,
                    )],
                ));
            }
            out.push(f);
        }
    }
}

/// The platform's DNS server as nginx's unit sees it.
fn platform_dns(cx: &Context, site: Site) -> Option<String> {
    let topo = cx.topology;
    match topo.platform {
        Platform::Compose => topo.units[site.unit.0]
            .addresses
            .iter()
            .any(|a| topo.networks[a.network.0].kind.has_dns())
            .then(|| "127.0.0.11".to_string()),
        Platform::Kubernetes => topo.cluster.as_ref().map(|c| c.dns_ip.to_string()),
    }
}

/// True when `name` is one the platform's DNS would answer: a compose
/// service, container name or alias, or a Kubernetes Service (short or
/// qualified) or pod record.
fn is_platform_name(cx: &Context, site: Site, name: &str) -> bool {
    let topo = cx.topology;
    let lname = name.trim_end_matches('.').to_ascii_lowercase();
    match topo.platform {
        Platform::Compose => topo.units.iter().any(|u| {
            u.addresses
                .iter()
                .any(|a| a.dns_names.iter().any(|n| n.eq_ignore_ascii_case(&lname)))
        }),
        Platform::Kubernetes => {
            let domain = topo.cluster_domain();
            let first = lname.split('.').next().unwrap_or_default();
            lname.ends_with(&format!(".{domain}"))
                || lname.ends_with(".svc")
                || topo
                    .services
                    .iter()
                    .any(|s| s.name.eq_ignore_ascii_case(first))
                || names::table(topo, site.unit)
                    .iter()
                    .any(|e| e.name.eq_ignore_ascii_case(&lname))
        }
    }
}

/// The whole argument around `span` (e.g. `[::1]:5353` around `::1`).
fn token_around(cx: &Context, span: Span) -> Span {
    let src = &cx.sources.get(span.file).bytes;
    token_bounds(src, span)
}

fn token_bounds(src: &[u8], span: Span) -> Span {
    let stop = |c: &u8| c.is_ascii_whitespace() || matches!(c, b';' | b'"' | b'\'' | b'{' | b'}');
    let start = src[..span.start as usize]
        .iter()
        .rposition(stop)
        .map_or(0, |p| p + 1);
    let end = src[span.end as usize..]
        .iter()
        .position(stop)
        .map_or(src.len(), |p| span.end as usize + p);
    Span {
        file: span.file,
        start: start as u32,
        end: end as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn token(src: &str, inner: &str) -> String {
        let at = src.find(inner).unwrap();
        let t = token_bounds(
            src.as_bytes(),
            Span {
                file: FileId(0),
                start: at as u32,
                end: (at + inner.len()) as u32,
            },
        );
        src[t.start as usize..t.end as usize].to_string()
    }

    #[test]
    fn the_whole_address_is_replaced() {
        assert_eq!(token("resolver [::1]:5353 valid=5s;", "::1"), "[::1]:5353");
        assert_eq!(token("resolver 8.8.8.8;", "8.8.8.8"), "8.8.8.8");
        assert_eq!(token("resolver \"1.1.1.1:53\";", "1.1.1.1"), "1.1.1.1:53");
    }

    #[test]
    fn a_public_resolver_in_compose_is_replaced_by_the_embedded_dns() {
        let conf = "server {\n    listen 80;\n    resolver 8.8.8.8 1.1.1.1 valid=30s;\n    set $api http://api:8000;\n    location / { proxy_pass $api; }\n}\n";
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n  api:\n    image: api:1\n    expose: [\"8000\"]\n";
        let f = crate::rules::testing::run_first(conf, compose, "UC1006");
        assert_eq!(
            f.fixes[0].title,
            "Replace `8.8.8.8 1.1.1.1` with `127.0.0.11`"
        );
        assert!(
            f.fixes[0]
                .diff
                .contains("+    resolver 127.0.0.11 valid=30s;")
        );
    }

    #[test]
    fn outside_names_through_a_public_resolver_are_fine() {
        let conf = "server {\n    listen 80;\n    resolver 8.8.8.8;\n    set $up https://api.example.com;\n    location / { proxy_pass $up; }\n}\n";
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n";
        let report = crate::rules::testing::run(conf, compose);
        crate::rules::testing::assert_none(&report, &["UC1006"]);
    }
}

use super::{Check, Context, Finding, Related, finding, listing};
use crate::network::{Resolution, Status, target_text};
use std::collections::HashMap;

crate::declare_rule! {
    /// ## What it does
    /// Finds `upstream { }` groups where some servers are reachable and
    /// others are not; each unreachable server is reported where it is
    /// written. (Why a server is unreachable is reported by its own rule,
    /// e.g. `port-not-listening`.)
    ///
    /// ## Why is this bad?
    /// nginx keeps serving through the servers that work, so the mistake
    /// hides: every request sent to a dead server fails first, is logged as
    /// an error and retried on the next one (`proxy_next_upstream`), the
    /// dead server is retried after every `fail_timeout`, and the group
    /// runs with less capacity than configured. A dead `backup` server
    /// means there is no fallback when the others fail.
    ///
    /// ## Example
    /// ```nginx
    /// upstream api {
    ///     server api1:8000;
    ///     server api2:8080;   # api2 listens on 8000
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// upstream api {
    ///     server api1:8000;
    ///     server api2:8000;
    /// }
    /// ```
    pub UpstreamGroupPartiallyUnreachable { code: "UC2014", name: "upstream-group-partially-unreachable", severity: Warning, fix: None }
}

impl Check for UpstreamGroupPartiallyUnreachable {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let primary: HashMap<usize, &Resolution> = cx.primary().map(|r| (r.upstream, r)).collect();
        let of = |i: usize| primary.get(&i).copied();
        for group in &cx.extraction.groups {
            let members: Vec<&Resolution> = group
                .servers
                .iter()
                .filter(|m| {
                    !cx.extraction.upstreams[**m]
                        .params
                        .as_ref()
                        .is_some_and(|p| p.down)
                })
                .filter_map(|m| of(*m))
                .collect();
            // A member nginx cannot even load stops nginx: nothing fails over.
            if members.iter().any(|m| cx.stops_nginx(m)) {
                continue;
            }
            let good: Vec<&Resolution> = members
                .iter()
                .copied()
                .filter(|m| m.status == Status::Reachable)
                .collect();
            let bad: Vec<&Resolution> = members
                .iter()
                .copied()
                .filter(|m| m.status == Status::Unreachable)
                .collect();
            if good.is_empty() || bad.is_empty() {
                continue;
            }
            // Named once per group, and only the first few: every message
            // repeats it.
            let good_text = listing(
                good.iter()
                    .map(|m| format!("`{}`", target_text(cx.upstream(m)))),
                good.len(),
            );
            for m in &bad {
                let up = cx.upstream(m);
                let backup = up.params.as_ref().is_some_and(|p| p.backup);
                let target = target_text(up);
                let why = m
                    .reason
                    .clone()
                    .unwrap_or_else(|| "it is unreachable".into());
                let why = why
                    .strip_prefix(&format!("`{target}`: "))
                    .map_or(why.clone(), str::to_string);
                let mut f = finding(
                    self,
                    format!(
                        "{} `{}` of upstream `{}` is unreachable: {why}; nginx {}",
                        if backup { "backup server" } else { "server" },
                        target,
                        group.name,
                        if backup {
                            format!("has no fallback when {} fail", good_text)
                        } else {
                            format!(
                                "fails over to {}, logging an error and losing capacity",
                                good_text
                            )
                        }
                    ),
                    Some(up.span),
                );
                f.upstream = Some(m.upstream);
                f.related.push(Related::new(
                    group.name_span,
                    format!("upstream `{}` is declared here", group.name),
                ));
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{codes, of, run};

    const COMPOSE: &str = "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n  api1:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n  api2:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n";

    #[test]
    fn one_of_two_servers_on_the_wrong_port() {
        let conf = "upstream api { server api1:8000; server api2:8080; }\nserver { listen 80; location / { proxy_pass http://api; } }";
        let r = run(conf, COMPOSE);
        let f = of(&r, "UC2014");
        assert_eq!(f.len(), 1, "{:?}", codes(&r));
        assert!(f[0].message.contains("`api2:8080`"), "{}", f[0].message);
    }

    #[test]
    fn all_good_or_all_bad_is_not_partial() {
        let conf = "upstream api { server api1:8000; server api2:8000; }\nserver { listen 80; location / { proxy_pass http://api; } }";
        assert!(of(&run(conf, COMPOSE), "UC2014").is_empty());
        let conf = "upstream api { server api1:8080; server api2:8080; }\nserver { listen 80; location / { proxy_pass http://api; } }";
        assert!(of(&run(conf, COMPOSE), "UC2014").is_empty());
    }

    #[test]
    fn a_server_marked_down_is_deliberate() {
        let conf = "upstream api { server api1:8000; server api2:8080 down; }\nserver { listen 80; location / { proxy_pass http://api; } }";
        assert!(of(&run(conf, COMPOSE), "UC2014").is_empty());
    }

    #[test]
    fn an_unknown_name_stops_nginx_instead() {
        let conf = "upstream api { server api1:8000; server api3:8000; }\nserver { listen 80; location / { proxy_pass http://api; } }";
        let r = run(conf, COMPOSE);
        assert!(of(&r, "UC2014").is_empty(), "{:?}", codes(&r));
        assert!(!of(&r, "UC1001").is_empty(), "{:?}", codes(&r));
    }
}

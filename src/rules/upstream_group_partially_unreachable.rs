use super::{Check, Context, Finding, Related, listing, upstream_finding};
use crate::network::{Resolution, Status, target_text};
use std::collections::HashMap;

crate::declare_rule! {
    /// ## What it does
    /// Finds `upstream { }` groups where some servers answer and others can
    /// never answer, and reports each dead server where it is written. A
    /// group is `reachable` only when every server in rotation is.
    ///
    /// The report shows such a group `unreachable`, and its trace names the
    /// dead servers. Why a server cannot answer is reported by its own rule
    /// (e.g. `port-not-listening`), as a warning that carries the fix, since
    /// nginx fails over; this rule carries the policy and is the error.
    ///
    /// A `backup` server counts like any other: it is the path nginx takes
    /// when the others fail. A server marked `down` does not count: nginx
    /// treats it as permanently unavailable and never sends it a request,
    /// so `down` is how to keep a server written while it is deliberately
    /// out of service. (nginx still resolves its name at start-up, so an
    /// unknown name stops nginx even there.)
    ///
    /// ## Why is this bad?
    /// nginx keeps serving through the servers that work, so the mistake
    /// hides, but the deployment is broken: every round-robin turn nginx
    /// gives a dead server is a failed connection, logged as an error and
    /// retried on the next server (`proxy_next_upstream`); the dead server
    /// is tried again after every `fail_timeout`; and the group runs with
    /// less capacity than configured. A dead `backup` server means the
    /// failover path itself is dead: the day the other servers fail, there
    /// is nothing behind them.
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
    ///
    /// or, while `api2` is out of service on purpose, `server api2:8000 down;`.
    pub UpstreamGroupPartiallyUnreachable { code: "UC2014", name: "upstream-group-partially-unreachable", severity: Error, fix: None }
}

impl Check for UpstreamGroupPartiallyUnreachable {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let primary: HashMap<usize, &Resolution> = cx.primary().map(|r| (r.upstream, r)).collect();
        let of = |i: usize| primary.get(&i).copied();
        for group in &cx.extraction.groups {
            // The servers in rotation: `primary` leaves out those marked
            // `down` unless they stop nginx, and a server nginx cannot even
            // load (a `down` one too) stops nginx: nothing fails over.
            let members: Vec<&Resolution> = group.servers.iter().filter_map(|m| of(*m)).collect();
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
                let msg = format!(
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
                );
                let mut f = upstream_finding(self, m, msg, Some(up.span));
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
    use crate::network::Status;
    use crate::report::{FindingReport, Report, UpstreamReport, Verdict};
    use crate::rules::Severity;
    use crate::rules::testing::{assert_none, codes, of, one, run};

    const COMPOSE: &str = "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n  api1:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n  api2:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n  odd:\n    build: .\n";

    fn with_group(servers: &str) -> Report {
        let conf = format!(
            "upstream api {{ {servers} }}\nserver {{ listen 80; location / {{ proxy_pass http://api; }} }}"
        );
        run(&conf, COMPOSE)
    }

    /// The `proxy_pass http://api` that uses the group.
    fn group(r: &Report) -> &UpstreamReport {
        let u = r.upstreams.iter().find(|u| u.directive == "proxy_pass");
        u.expect("the group's reference")
    }

    /// The status of the `proxy_pass http://api` that uses the group.
    fn group_status(r: &Report) -> Status {
        group(r).status
    }

    /// The report on a group with `servers`, of which one is dead: its one
    /// finding of the group policy, an error, and the group unreachable.
    fn one_dead(servers: &str) -> (Report, FindingReport) {
        let r = with_group(servers);
        let f = one(&r, "UC2014").clone();
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(group_status(&r), Status::Unreachable);
        (r, f)
    }

    #[test]
    fn a_dead_server_is_an_error_and_makes_the_group_unreachable() {
        let (r, f) = one_dead("server api1:8000; server api2:8080;");
        assert!(f.message.contains("`api2:8080`"), "{}", f.message);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(
            (r.summary.reachable, r.summary.unreachable),
            (1, 2),
            "{:?}",
            r.summary
        );
        // Why it is dead stays a warning, with its fix.
        let cause = of(&r, "UC2004");
        assert_eq!(cause.len(), 1, "{:?}", codes(&r));
        assert_eq!(cause[0].severity, Severity::Warning);
        assert!(!cause[0].fixes.is_empty());
        // The group's trace says which server.
        let u = group(&r);
        assert!(
            u.trace
                .iter()
                .any(|l| l.starts_with("`api2:8080` never answers")),
            "{:?}",
            u.trace
        );
    }

    #[test]
    fn a_dead_backup_server_is_an_error_too() {
        let (_, f) = one_dead("server api1:8000; server api2:8080 backup;");
        assert!(f.message.starts_with("backup server"), "{}", f.message);
    }

    #[test]
    fn all_good_or_all_bad_is_not_partial() {
        let r = with_group("server api1:8000; server api2:8000;");
        assert!(of(&r, "UC2014").is_empty());
        assert_eq!(r.verdict, Verdict::Pass);
        assert_eq!(group_status(&r), Status::Reachable);
        // All dead: the servers' own errors say so, the group is unreachable.
        let r = with_group("server api1:8080; server api2:8080;");
        assert!(of(&r, "UC2014").is_empty());
        assert_eq!(of(&r, "UC2004").len(), 2, "{:?}", codes(&r));
        assert!(
            of(&r, "UC2004")
                .iter()
                .all(|f| f.severity == Severity::Error)
        );
        assert_eq!(group_status(&r), Status::Unreachable);
    }

    #[test]
    fn a_server_marked_down_is_deliberate() {
        let r = with_group("server api1:8000; server api2:8080 down;");
        assert_none(&r, &["UC2014"]);
        assert_eq!(r.verdict, Verdict::Pass, "{:?}", codes(&r));
        assert_eq!(group_status(&r), Status::Reachable);
    }

    #[test]
    fn an_unverifiable_server_makes_the_group_unverifiable_unless_one_is_dead() {
        let r = with_group("server api1:8000; server odd:8000;");
        assert_none(&r, &["UC2014"]);
        assert_eq!(group_status(&r), Status::Unverifiable);
        let (r, _) = one_dead("server api1:8000; server odd:8000; server api2:8080;");
        assert_eq!(r.verdict, Verdict::Fail);
    }

    #[test]
    fn an_unknown_name_stops_nginx_instead() {
        let r = with_group("server api1:8000; server api3:8000;");
        assert_none(&r, &["UC2014"]);
        assert!(!of(&r, "UC1001").is_empty(), "{:?}", codes(&r));
        // Even on a server marked `down`: nginx resolves it at start-up.
        let r = with_group("server api1:8000; server api3:8000 down;");
        assert!(!of(&r, "UC1001").is_empty(), "{:?}", codes(&r));
        assert_eq!(group_status(&r), Status::Unreachable);
        assert!(!r.summary.nginx_starts);
    }
}

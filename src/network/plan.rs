//! Which nginx containers upstreams are resolved from, within
//! [`Budgets::max_resolutions`](crate::budget::Budgets::max_resolutions).
//!
//! Every upstream is resolved from every container that runs nginx, so the
//! work is containers times upstreams: a hundred replicas of an nginx with
//! 20 000 upstreams are two million resolutions. The budget caps that
//! product. One replica of each nginx (each compose service, workload, or
//! lone container) is planned first, then the other replicas in order,
//! each whole or not at all:
//!
//! - replicas left out, when every nginx has one resolved: a located
//!   warning (UC0004); the report stands for the replicas resolved, as it
//!   does for the replicas past a service's cap;
//! - an nginx left with none resolved: a located error (UC0003, the input
//!   is refused), and nothing is resolved, since the verdict could not
//!   speak for it.
//!
//! Linear in the containers.

use crate::nginx::upstreams::UpstreamRef;
use crate::topology::{DiagSeverity, Site, Topology, TopologyDiagnostic};
use std::collections::HashSet;

/// The containers to resolve from, and what the budget left out.
#[derive(Debug, PartialEq)]
pub struct Plan {
    /// The nginx containers resolved from, in the order given.
    pub sites: Vec<Site>,
    /// What was left out, when something was.
    pub left_out: Option<TopologyDiagnostic>,
}

/// Plans the resolution of `upstreams` from `sites` within `max`
/// resolutions.
pub fn plan(topo: &Topology, sites: &[Site], upstreams: &[UpstreamRef], max: usize) -> Plan {
    let cost = upstreams.len();
    if sites.len().saturating_mul(cost) <= max {
        return Plan {
            sites: sites.to_vec(),
            left_out: None,
        };
    }
    let mut take = vec![false; sites.len()];
    let mut used = 0usize;
    let mut templates = HashSet::new();
    for (i, &site) in sites.iter().enumerate() {
        if !templates.insert(topo.template(site)) {
            continue;
        }
        if used.saturating_add(cost) > max {
            return Plan {
                sites: Vec::new(),
                left_out: Some(refusal(topo, sites, i, upstreams, used, max)),
            };
        }
        used += cost;
        take[i] = true;
    }
    let mut skipped = Vec::new();
    for (i, taken) in take.iter_mut().enumerate() {
        if *taken {
            continue;
        }
        if used.saturating_add(cost) <= max {
            used += cost;
            *taken = true;
        } else {
            skipped.push(i);
        }
    }
    let left_out = skipped.first().map(|&first| {
        let unit = &topo.units[sites[first].unit.0];
        let who = match skipped.len() - 1 {
            0 => format!("the nginx in `{}` is", unit.name),
            1 => format!("the nginx in `{}` and 1 more replica are", unit.name),
            n => format!("the nginx in `{}` and {n} more replicas are", unit.name),
        };
        TopologyDiagnostic::new(
            DiagSeverity::Warning,
            format!(
                "{who} left out: {} nginx containers times {cost} upstreams are more than the {max} resolutions upcheck makes (max_resolutions); the report covers {} of them, one of each nginx at least",
                sites.len(),
                sites.len() - skipped.len(),
            ),
            unit.span,
        )
    });
    Plan {
        sites: sites
            .iter()
            .zip(&take)
            .filter(|(_, t)| **t)
            .map(|(s, _)| *s)
            .collect(),
        left_out,
    }
}

/// The error for an nginx none of whose replicas fits: at the first
/// upstream past the budget when a single nginx has too many, else at the
/// container that does not fit.
fn refusal(
    topo: &Topology,
    sites: &[Site],
    at: usize,
    upstreams: &[UpstreamRef],
    used: usize,
    max: usize,
) -> TopologyDiagnostic {
    let unit = &topo.units[sites[at].unit.0];
    let cost = upstreams.len();
    if used == 0 {
        return TopologyDiagnostic::new(
            DiagSeverity::Error,
            format!(
                "the nginx configuration has {cost} upstreams, more than the {max} resolutions upcheck makes (max_resolutions), so none is resolved; this is upstream {}",
                max + 1
            ),
            upstreams.get(max).map(|u| u.span).or(unit.span),
        );
    }
    TopologyDiagnostic::new(
        DiagSeverity::Error,
        format!(
            "`{}` runs nginx, and with the {} nginx before it its {cost} upstreams make more than the {max} resolutions upcheck makes (max_resolutions), so none is resolved",
            unit.name,
            used / cost.max(1),
        ),
        unit.span.or_else(|| upstreams.first().map(|u| u.span)),
    )
}

#[cfg(test)]
mod tests {
    use crate::budget::Budgets;
    use crate::report::{Report, Verdict};
    use crate::rules::testing::{one, run_within};
    use crate::testing::assert_contains;

    /// Two nginx services, `a` of three replicas and `b` of one, each
    /// proxying two upstreams to `api`.
    fn run(max_resolutions: usize) -> Report {
        let conf = "server { listen 80; location /x { proxy_pass http://api:8000; } location /y { proxy_pass http://api:8001; } }";
        let compose = "services:
  api:
    image: python:3.12
    command: gunicorn -b 0.0.0.0:8000 app:app
  a:
    image: nginx:1.27
    deploy: {replicas: 3}
  b:
    image: nginx:1.27
";
        let budgets = Budgets {
            max_resolutions,
            ..Budgets::default()
        };
        run_within(conf, compose, budgets)
    }

    #[test]
    fn within_the_budget_every_nginx_container_is_resolved() {
        let r = run(8);
        assert!(crate::rules::testing::of(&r, "UC0004").is_empty());
        let trace = &r.upstreams[0].trace;
        assert!(
            trace
                .iter()
                .any(|l| l.contains("the same from 2 more replicas")),
            "{trace:?}"
        );
    }

    #[test]
    fn one_replica_of_each_nginx_comes_before_the_other_replicas() {
        // 6 of 8 resolutions: `a-1` and `b-1` first, then `a-2`; `a-3` is
        // left out, said at service `a`.
        let r = run(6);
        assert_eq!(r.verdict, Verdict::Fail, "{:?}", r.findings);
        let f = one(&r, "UC0004");
        assert_contains(
            &f.message,
            "-a-3` is left out: 4 nginx containers times 2 upstreams are more than the 6 resolutions",
        );
        assert_contains(&f.message, "the report covers 3 of them");
        assert_eq!(f.location.as_ref().map(|l| l.line), Some(5));
        let from_b = r.upstreams.iter().filter(|u| u.nginx.ends_with("-b-1"));
        assert_eq!(from_b.count(), 2);
        let trace = &r.upstreams[0].trace;
        assert!(
            trace
                .iter()
                .any(|l| l.contains("the same from 1 more replica of")),
            "{trace:?}"
        );
    }

    #[test]
    fn an_nginx_with_no_replica_resolved_refuses_the_input() {
        let r = run(3);
        assert_eq!(r.verdict, Verdict::Error);
        assert!(r.upstreams.is_empty(), "{:?}", r.upstreams);
        let f = one(&r, "UC0003");
        assert_contains(
            &f.message,
            "-b-1` runs nginx, and with the 1 nginx before it its 2 upstreams make more than the 3 resolutions",
        );
        assert_eq!(f.location.as_ref().map(|l| l.line), Some(8));
    }

    #[test]
    fn one_nginx_with_too_many_upstreams_is_refused_at_the_first_past_the_budget() {
        let r = run(1);
        assert_eq!(r.verdict, Verdict::Error);
        let f = one(&r, "UC0003");
        assert_contains(
            &f.message,
            "has 2 upstreams, more than the 1 resolutions upcheck makes (max_resolutions), so none is resolved; this is upstream 2",
        );
        let at = f.location.as_ref().expect("located");
        // The second `proxy_pass` target.
        assert_eq!((at.file.as_str(), at.column), ("default.conf", 90));
    }
}

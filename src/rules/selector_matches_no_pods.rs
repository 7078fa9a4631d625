use super::{Check, Context, Finding, service_finding, ticked};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::network::Outcome;
use crate::source::Span;
use crate::topology::{Service, ServiceId, Topology, UnitId};

crate::declare_rule! {
    /// ## What it does
    /// Finds Kubernetes Services that nginx proxies to whose `selector`
    /// matches the labels of no pod in their namespace.
    ///
    /// ## Why is this bad?
    /// A Service without endpoints still has a name and a ClusterIP, so
    /// nginx starts, but every connection is refused: `502 Bad Gateway`.
    /// The usual cause is a typo or a renamed label (`app: order` against
    /// pods labelled `app: orders`), or a Service in another namespace
    /// than the workload.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   selector: {app: order}      # the Deployment's pods have app: orders
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   selector: {app: orders}
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe when exactly one workload in the namespace differs from the
    /// selector by one label value: the fix sets the selector to that
    /// value, which is probably, not certainly, the workload meant.
    /// Otherwise display-only: someone must say which pods the Service is
    /// for.
    pub SelectorMatchesNoPods { code: "UC2007", name: "selector-matches-no-pods", severity: Error, fix: Always }
}

impl Check for SelectorMatchesNoPods {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let mut by_service: Vec<(ServiceId, Vec<usize>)> = Vec::new();
        for r in cx.primary() {
            for hit in &r.hits {
                let Outcome::NoEndpoints { service } = hit.outcome else {
                    continue;
                };
                match by_service.iter_mut().find(|e| e.0 == service) {
                    Some(e) => {
                        if !e.1.contains(&r.upstream) {
                            e.1.push(r.upstream);
                        }
                    }
                    None => by_service.push((service, vec![r.upstream])),
                }
                break;
            }
        }
        for (service, upstreams) in by_service {
            let svc = &cx.topology.services[service.0];
            let Some(selector) = &svc.selector else {
                continue;
            };
            let wanted = selector
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let nginx: Vec<UnitId> = cx.sites.iter().map(|s| s.unit).collect();
            let near = near_miss(cx.topology, svc, &nginx);
            let lacking = lacking_labels(cx.topology, svc, &nginx);
            let hint = match &near {
                Some(n) => format!(
                    "; {} `{}` has `{}={}`",
                    n.workload_kind, n.workload, n.label, n.actual
                ),
                None => match &lacking {
                    Some((kind, name, keys)) => format!(
                        "; the pods of {kind} `{name}` have the other labels but no {}",
                        ticked(keys)
                    ),
                    None => String::new(),
                },
            };
            let message = format!(
                "Service `{}` selects no pods: no pod in namespace `{}` has the labels `{wanted}`, so nginx is refused (502){hint}",
                svc.name, svc.namespace
            );
            let span = svc.selector_span.or(svc.span);
            let mut f = service_finding(cx, self, &svc.name, &upstreams, message, span);
            let value_span = near.as_ref().and_then(|n| {
                let key = svc.selector_span?;
                let src = &cx.sources.get(key.file).bytes;
                let (s, e) = selector_value_span(src, key, &n.label, &n.wanted)?;
                Some(Span {
                    file: key.file,
                    start: s as u32,
                    end: e as u32,
                })
            });
            match (&near, value_span) {
                (Some(n), Some(span)) => f.fixes.push(Fix::unsafe_edits(format!(
                        "Select `{}={}` (the labels of {} `{}`)",
                        n.label, n.actual, n.workload_kind, n.workload
                    ), [Edit::replace(span, n.actual.clone())])),
                _ => f.fixes.push(Fix::display_only(match &lacking {
                        Some((kind, name, keys)) => format!(
                            "Remove {} from the selector of Service `{}`, or add it to the pod template of {kind} `{name}`",
                            ticked(keys),
                            svc.name
                        ),
                        None => format!(
                            "Make the selector of Service `{}` match the pod template labels of the workload it serves",
                            svc.name
                        ),
                    }, [])),
            }
            out.push(f);
        }
    }
}

/// The one workload whose pods miss the selector by a single label value.
#[derive(Debug, PartialEq, Eq)]
struct NearMiss {
    workload_kind: String,
    workload: String,
    label: String,
    wanted: String,
    actual: String,
}

fn near_miss(topo: &Topology, svc: &Service, nginx: &[UnitId]) -> Option<NearMiss> {
    let selector = svc.selector.as_ref()?;
    let mut found: Vec<NearMiss> = Vec::new();
    for (i, u) in topo.units.iter().enumerate() {
        // nginx does not proxy to itself through a Service.
        if nginx.contains(&UnitId(i)) {
            continue;
        }
        let Some((workload_kind, workload, namespace)) = u.workload() else {
            continue;
        };
        if *namespace != svc.namespace
            || found
                .iter()
                .any(|f| f.workload == *workload && f.workload_kind == *workload_kind)
        {
            continue;
        }
        let misses: Vec<(&String, &String)> = selector
            .iter()
            .filter(|(k, v)| u.labels.get(*k) != Some(*v))
            .collect();
        if let [(k, v)] = misses.as_slice()
            && let Some(actual) = u.labels.get(*k)
            && close(v, actual)
        {
            found.push(NearMiss {
                workload_kind: workload_kind.to_string(),
                workload: workload.to_string(),
                label: (*k).clone(),
                wanted: (*v).clone(),
                actual: actual.clone(),
            });
        }
    }
    if found.len() == 1 { found.pop() } else { None }
}

/// The one workload (kind, name) whose pods match every selector label
/// they have, but lack some: the labels they lack.
fn lacking_labels(
    topo: &Topology,
    svc: &Service,
    nginx: &[UnitId],
) -> Option<(String, String, Vec<String>)> {
    let selector = svc.selector.as_ref()?;
    let mut found: Vec<(String, String, Vec<String>)> = Vec::new();
    for (i, u) in topo.units.iter().enumerate() {
        let Some((workload_kind, workload, namespace)) = u.workload() else {
            continue;
        };
        if nginx.contains(&UnitId(i))
            || *namespace != svc.namespace
            || found
                .iter()
                .any(|f| f.0 == *workload_kind && f.1 == *workload)
        {
            continue;
        }
        let conflicting = selector
            .iter()
            .any(|(k, v)| u.labels.get(k).is_some_and(|x| x != v));
        let missing: Vec<String> = selector
            .keys()
            .filter(|k| !u.labels.contains_key(*k))
            .cloned()
            .collect();
        // At least one selector label must match, or any pod would do.
        if !conflicting && !missing.is_empty() && missing.len() < selector.len() {
            found.push((workload_kind.to_string(), workload.to_string(), missing));
        }
    }
    if found.len() == 1 { found.pop() } else { None }
}

/// True when label value `b` looks like a slip for `a`: a few edits
/// apart, or one a prefix or suffix of the other (`order`, `orders-api`).
fn close(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    strsim::damerau_levenshtein(&a, &b) <= (a.len().max(b.len()) / 3).max(1)
        || (a.len().min(b.len()) >= 3
            && (a.starts_with(&b) || b.starts_with(&a) || a.ends_with(&b) || b.ends_with(&a)))
}

/// Where the value of `label: value` is written in the selector mapping
/// whose key is at `key` (block or flow style, quoted or not).
fn selector_value_span(src: &[u8], key: Span, label: &str, value: &str) -> Option<(usize, usize)> {
    let mut i = key.end as usize;
    while i < src.len() && matches!(src[i], b'"' | b'\'' | b' ' | b'\t') {
        i += 1;
    }
    if src.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while i < src.len() && matches!(src[i], b' ' | b'\t') {
        i += 1;
    }
    let entries: Vec<(usize, usize)> = if src.get(i) == Some(&b'{') {
        // Flow mapping: entries between `{` and `}`, split at commas.
        let close = i + src[i..].iter().position(|&c| c == b'}')?;
        let mut out = Vec::new();
        let mut start = i + 1;
        for (j, &c) in src[i + 1..close].iter().enumerate() {
            if c == b',' {
                out.push((start, i + 1 + j));
                start = i + 2 + j;
            }
        }
        out.push((start, close));
        out
    } else {
        // Block mapping: the following lines indented deeper than the key.
        (super::yaml_block_lines(src, key))
            .filter(|(_, line)| !super::yaml_blank(line))
            .map(|(at, line)| {
                let comment = line.windows(2).position(|w| w == b" #");
                (at, at + comment.unwrap_or(line.len()))
            })
            .collect()
    };
    for (s, e) in entries {
        let text = &src[s..e];
        let Some(colon) = text.iter().enumerate().position(|(j, &c)| {
            c == b':'
                && (text.get(j + 1).is_none_or(|n| n.is_ascii_whitespace())
                    || (j > 0 && matches!(text[j - 1], b'"' | b'\'')))
        }) else {
            continue;
        };
        let (ks, ke) = trim_quoted(src, s, s + colon);
        if &src[ks..ke] != label.as_bytes() {
            continue;
        }
        let (vs, ve) = trim_quoted(src, s + colon + 1, e);
        if &src[vs..ve] == value.as_bytes() {
            return Some((vs, ve));
        }
    }
    None
}

/// `s..e` without surrounding whitespace and one pair of quotes.
fn trim_quoted(src: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && src[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && src[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    if e >= s + 2 && matches!(src[s], b'"' | b'\'') && src[e - 1] == src[s] {
        (s + 1, e - 1)
    } else {
        (s, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::Applicability;
    use crate::rules::testing::proxy_pass;
    use crate::source::FileId;

    fn value(src: &str, label: &str, v: &str) -> Option<String> {
        let at = src.find("selector").unwrap();
        let key = Span {
            file: FileId(0),
            start: at as u32,
            end: (at + "selector".len()) as u32,
        };
        selector_value_span(src.as_bytes(), key, label, v).map(|(s, e)| src[s..e].to_string())
    }

    #[test]
    fn close_values_are_slips() {
        assert!(close("order", "orders"));
        assert!(close("orders", "orders-api"));
        assert!(close("backend", "backedn"));
        assert!(!close("billing", "orders"));
        assert!(!close("db", "web"));
    }

    #[test]
    fn values_are_found_in_flow_and_block_mappings() {
        assert_eq!(
            value(
                "spec:\n  selector: {app: order, tier: api}\n",
                "tier",
                "api"
            )
            .as_deref(),
            Some("api")
        );
        let block = "spec:\n  selector:\n    app: \"order\"   # typo\n    tier: api\n  ports: []\n";
        let at = value(block, "app", "order");
        assert_eq!(at.as_deref(), Some("order"));
        assert_eq!(value(block, "ports", "[]"), None);
        let json = "{\"spec\": {\"selector\": {\"tier\":\"api\", \"app\": \"order\"}}}";
        assert_eq!(value(json, "app", "order").as_deref(), Some("order"));
    }

    #[test]
    fn a_one_label_typo_gets_an_edit_of_the_selector() {
        let topo = format!(
            "{}---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: orders}}
spec:
  selector: {{matchLabels: {{app: orders}}}}
  template:
    metadata: {{labels: {{app: orders}}}}
    spec:
      containers: [{{name: orders, image: orders:1, ports: [{{containerPort: 8080}}]}}]
---
apiVersion: v1
kind: Service
metadata: {{name: orders}}
spec:
  selector:
    app: order
  ports: [{{port: 80, targetPort: 8080}}]
",
            crate::rules::testing::k8s_nginx("default")
        );
        let f = crate::rules::testing::run_first(&proxy_pass(8080, "orders"), &topo, "UC2007");
        assert_eq!(f.fixes[0].applicability, Applicability::Unsafe);
        crate::testing::assert_contains(&f.fixes[0].diff, "+    app: orders");
    }
}

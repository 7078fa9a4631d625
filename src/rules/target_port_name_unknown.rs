use super::{Check, Context, Finding, service_finding, ticked};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::network::Outcome;
use crate::topology::{Service, ServiceId, TargetPort, Topology};

crate::declare_rule! {
    /// ## What it does
    /// Finds Kubernetes Services that nginx proxies to whose `targetPort`
    /// is a port name that no container of the selected pods declares.
    ///
    /// ## Why is this bad?
    /// A named `targetPort` is looked up among the pods' `containerPort`
    /// names. When no container has that name, the pods are left out of
    /// the Service's endpoints: nginx resolves the Service and is refused
    /// (`502 Bad Gateway`), although the pods run and listen.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   ports:
    ///     - port: 80
    ///       targetPort: http      # the container names its port `web`
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    ///     - port: 80
    ///       targetPort: web
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: offered when the pods declare exactly one port name (or a
    /// single name close to the one written, or one unnamed port, used by
    /// number); that port is probably, not certainly, the one meant.
    pub TargetPortNameUnknown { code: "UC2019", name: "target-port-name-unknown", severity: Error, fix: Sometimes }
}

impl Check for TargetPortNameUnknown {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // (service, port index) -> upstreams.
        let mut seen: Vec<((ServiceId, usize), Vec<usize>)> = Vec::new();
        for r in cx.primary() {
            for hit in &r.hits {
                let Outcome::TargetPortUnresolved { service, name } = &hit.outcome else {
                    continue;
                };
                let svc = &cx.topology.services[service.0];
                let Some(pi) = svc.ports.iter().position(|sp| {
                    Some(sp.port) == hit.port && sp.target_port == TargetPort::Name(name.clone())
                }) else {
                    continue;
                };
                match seen.iter_mut().find(|e| e.0 == (*service, pi)) {
                    Some(e) => e.1.push(r.upstream),
                    None => seen.push(((*service, pi), vec![r.upstream])),
                }
                break;
            }
        }
        for ((service, pi), upstreams) in seen {
            let svc = &cx.topology.services[service.0];
            let sp = &svc.ports[pi];
            let TargetPort::Name(name) = &sp.target_port else {
                continue;
            };
            let (names, numbers) = pod_ports(cx.topology, svc);
            let declared = if names.is_empty() {
                "its pods name no ports".to_string()
            } else {
                format!("their ports are named {}", ticked(&names))
            };
            let pods = ticked(
                (svc.selected.iter())
                    .map(|u| &cx.topology.units[u.0].name)
                    .take(3),
            );
            let message = format!(
                "Service `{}` port {} targets the port named `{name}`, which no container of its pods ({pods}) declares ({declared}): the pods get no endpoint and nginx is refused (502)",
                svc.name, sp.port
            );
            let span = sp.target_span.or(sp.span);
            let mut f = service_finding(cx, self, &svc.name, &upstreams, message, span);
            if let (Some(span), Some(new)) = (sp.target_span, replacement(name, &names, &numbers)) {
                f.fixes.push(Fix::unsafe_edits(
                    format!("Target port `{new}` instead of `{name}`"),
                    [Edit::replace(span, new)],
                ));
            }
            out.push(f);
        }
    }
}

/// The containerPort names and numbers of the Service's pods, sorted.
fn pod_ports(topo: &Topology, svc: &Service) -> (Vec<String>, Vec<u16>) {
    let ports = svc
        .selected
        .iter()
        .flat_map(|u| &topo.units[u.0].containers)
        .flat_map(|c| &c.ports);
    let mut names: Vec<String> = ports.clone().filter_map(|p| p.name.clone()).collect();
    let mut numbers: Vec<u16> = ports.map(|p| p.container_port).collect();
    names.sort();
    names.dedup();
    numbers.sort();
    numbers.dedup();
    (names, numbers)
}

/// What to target instead: the only port name, else the single name
/// within two edits of the one written, else the only (unnamed) port.
fn replacement(name: &str, names: &[String], numbers: &[u16]) -> Option<String> {
    match names {
        [only] => return Some(only.clone()),
        [] => {
            return match numbers {
                [only] => Some(only.to_string()),
                _ => None,
            };
        }
        _ => {}
    }
    let close: Vec<&String> = names
        .iter()
        .filter(|n| {
            strsim::damerau_levenshtein(&n.to_ascii_lowercase(), &name.to_ascii_lowercase()) <= 2
        })
        .collect();
    match close.as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replacement_is_the_only_or_the_closest_name() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            replacement("http", &s(&["web"]), &[8080]).as_deref(),
            Some("web")
        );
        assert_eq!(
            replacement("htpp", &s(&["http", "metrics"]), &[8080, 9090]).as_deref(),
            Some("http")
        );
        assert_eq!(
            replacement("api", &s(&["http", "metrics"]), &[8080, 9090]),
            None
        );
        assert_eq!(replacement("http", &[], &[8080]).as_deref(), Some("8080"));
        assert_eq!(replacement("http", &[], &[8080, 9090]), None);
    }
}

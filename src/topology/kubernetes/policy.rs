//! NetworkPolicies: which pods they select and what their `ingress`
//! rules admit from pods of their namespace by label, on which ports.
//! Anything else (egress rules, `namespaceSelector`, `ipBlock`,
//! `matchExpressions`) is not modelled: a connection it may decide cannot
//! be checked.

use super::*;
use crate::topology::read::join;

impl Loader<'_> {
    /// Records the policy on every pod it selects (every workload is read
    /// first). A `podSelector` with `matchExpressions` is taken to select
    /// every pod of its namespace: more pods unverifiable, never fewer.
    pub(super) fn network_policy(&mut self, o: &Obj) {
        let label = o.label();
        let l = label.as_str();
        let Some(spec) = self.r.map(l, o.node, "", "spec") else {
            return;
        };
        let selector = self.r.map(l, spec, "spec", "podSelector");
        let labels = selector
            .map(|s| self.match_labels(l, s, "spec.podSelector"))
            .unwrap_or(Some(Default::default()));
        let types: Vec<String> = self
            .r
            .seq(l, spec, "spec", "policyTypes")
            .iter()
            .filter_map(|t| match &t.value {
                yaml::Value::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let has_egress = spec.key("egress").is_some();
        // policyTypes defaults to Ingress, plus Egress when egress rules exist.
        let (ingress, egress) = if types.is_empty() {
            (true, has_egress)
        } else {
            (
                types.iter().any(|t| t == "Ingress"),
                types.iter().any(|t| t == "Egress"),
            )
        };
        let rules = ingress.then(|| {
            self.r
                .seq(l, spec, "spec", "ingress")
                .iter()
                .enumerate()
                .map(|(i, r)| self.ingress_rule(l, r, &format!("spec.ingress[{i}]")))
                .collect()
        });
        let policy = PodPolicy {
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            egress,
            ingress: rules,
        };
        let pods = self.selected(&o.namespace, &labels.unwrap_or_default());
        for u in pods {
            self.topo.units[u.0].policies.push(policy.clone());
        }
    }

    /// `matchLabels` of a label selector; `None` when it also has
    /// `matchExpressions` (not modelled).
    fn match_labels(&mut self, l: &str, s: &Node, at: &str) -> Option<BTreeMap<String, String>> {
        if s.key("matchExpressions").is_some() {
            return None;
        }
        Some(
            self.r
                .labels(l, s, at, "matchLabels")
                .map(|m| m.0)
                .unwrap_or_default(),
        )
    }

    fn ingress_rule(&mut self, l: &str, r: &Node, at: &str) -> IngressRule {
        let from = r.get("from").map(|_| {
            let mut peers = Vec::new();
            for (i, p) in self.r.seq(l, r, at, "from").iter().enumerate() {
                let pat = format!("{}[{i}]", join(at, "from"));
                if p.key("namespaceSelector").is_some() || p.key("ipBlock").is_some() {
                    continue;
                }
                if let Some(ps) = self.r.map(l, p, &pat, "podSelector")
                    && let Some(m) = self.match_labels(l, ps, &join(&pat, "podSelector"))
                {
                    peers.push(m);
                }
            }
            peers
        });
        let mut ports = Vec::new();
        for p in self.r.seq(l, r, at, "ports") {
            match p.get("port").map(|v| &v.value) {
                Some(yaml::Value::Int(n)) => {
                    if let Ok(n) = u16::try_from(*n) {
                        ports.push(TargetPort::Number(n));
                    }
                }
                Some(yaml::Value::Str(s)) => match s.parse::<u16>() {
                    Ok(n) => ports.push(TargetPort::Number(n)),
                    Err(_) => ports.push(TargetPort::Name(s.clone())),
                },
                // A rule without a port admits every port.
                _ => {}
            }
        }
        IngressRule { from, ports }
    }
}

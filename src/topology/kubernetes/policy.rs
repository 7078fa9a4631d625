//! NetworkPolicies: which pods they select. Their rules are not modelled:
//! once a policy selects a pod for ingress or egress only what it allows
//! passes, so a connection to or from such a pod cannot be checked.

use super::*;

impl Loader<'_> {
    /// Marks every pod a NetworkPolicy selects (every workload is read
    /// first). A `podSelector` with `matchExpressions` is taken to select
    /// every pod of its namespace: more pods unverifiable, never fewer.
    pub(super) fn network_policy(&mut self, o: &Obj) {
        let label = o.label();
        let l = label.as_str();
        let Some(spec) = self.r.map(l, o.node, "", "spec") else {
            return;
        };
        let selector = self.r.map(l, spec, "spec", "podSelector");
        let exprs = selector.is_some_and(|s| s.key("matchExpressions").is_some());
        let labels = match selector {
            Some(s) if !exprs => self
                .r
                .labels(l, s, "spec.podSelector", "matchLabels")
                .map(|m| m.0)
                .unwrap_or_default(),
            _ => Default::default(),
        };
        for u in service::selected(&self.topo.units, &o.namespace, &labels) {
            self.topo.units[u.0].policies.push(o.name.clone());
        }
    }
}

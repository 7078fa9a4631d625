use super::{Check, Context, Finding, finding};
use crate::topology::DiagSeverity;

crate::declare_rule! {
    /// ## What it does
    /// Reports topology input that could not be read: YAML or JSON that
    /// does not parse, a compose file without `services`, a reference to
    /// an undefined service, network or volume, an invalid port, a
    /// variable marked required (`${VAR:?err}`) that is not set. Also a
    /// topology past one of upcheck's budgets (README, Budgets): more units
    /// than `max_units`, values nested or expanded past their budgets, or
    /// an nginx none of whose containers fits in `max_resolutions`, or
    /// upstreams connecting to more addresses than `max_addresses`.
    ///
    /// ## Why is this bad?
    /// `docker compose up` or `kubectl apply` would refuse the same file,
    /// and upcheck cannot say where nginx's upstreams live. A topology
    /// that cannot be read never yields `pass`.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   nginx:
    ///     image: nginx
    ///     depends_on: [api]   # there is no service `api`
    /// ```
    ///
    /// Use instead: define the service, or fix the reference.
    pub TopologyUnreadable { code: "UC0003", name: "topology-unreadable", severity: Error, fix: None, refusal: true }
}

impl Check for TopologyUnreadable {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for d in &cx.topology.diagnostics {
            if d.severity == DiagSeverity::Error {
                out.push(finding(self, d.message.clone(), d.span));
            }
        }
    }
}

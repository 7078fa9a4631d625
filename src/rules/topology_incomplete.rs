use super::{Check, Context, Finding, finding};
use crate::topology::DiagSeverity;

crate::declare_rule! {
    /// ## What it does
    /// Reports topology input that was read with gaps: a variable that is
    /// not set (substituted by an empty string, as compose does), an
    /// `env_file` or `envFrom` whose contents were not supplied, a field of
    /// the wrong type that was skipped; and replicas left out: past the
    /// 100 replicas modelled per service, or nginx replicas not resolved
    /// from within `max_resolutions` (one of each nginx always is).
    ///
    /// ## Why is this bad?
    /// The missing piece may hold the port or address a backend listens
    /// on; conclusions drawn without it can be wrong.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     env_file: .env   # not submitted
    /// ```
    ///
    /// Use instead: submit the file (`--env-file`), or set the variable.
    pub TopologyIncomplete { code: "UC0004", name: "topology-incomplete", severity: Warning, fix: None }
}

impl Check for TopologyIncomplete {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for d in &cx.topology.diagnostics {
            let sev = match d.severity {
                DiagSeverity::Error => continue,
                DiagSeverity::Warning => super::Severity::Warning,
                DiagSeverity::Info => super::Severity::Info,
            };
            let mut f = finding(self, d.message.clone(), d.span);
            f.severity = sev;
            out.push(f);
        }
    }
}

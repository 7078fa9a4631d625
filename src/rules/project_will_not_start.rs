use super::{Check, Context, Finding, finding};

crate::declare_rule! {
    /// ## What it does
    /// Reports what makes the platform refuse the project as shipped, so
    /// that nothing starts, nginx included: today, a required `env_file`
    /// that does not exist in the project (compose stops with `env file …
    /// not found` before creating any container).
    ///
    /// ## Why is this bad?
    /// `docker compose up` fails; no upstream is reached because nginx
    /// never runs. The upstreams are still checked as they would be once
    /// the project starts.
    ///
    /// Only a project read whole (`upcheck validate` in its directory, or
    /// uploaded as a project) knows a file does not exist; with files
    /// picked by hand, a missing one is "not supplied" (`UC0004`).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     env_file: ./.env.prod   # only .env.prod-sample is in the repository
    /// ```
    ///
    /// Use instead: create the file (`cp .env.prod-sample .env.prod`), as
    /// the project's instructions say, or mark it optional:
    /// ```yaml
    ///     env_file:
    ///       - path: ./.env.prod
    ///         required: false
    /// ```
    pub ProjectWillNotStart { code: "UC0008", name: "project-will-not-start", severity: Error, fix: None }
}

impl Check for ProjectWillNotStart {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for b in &cx.topology.blockers {
            out.push(finding(self, b.message.clone(), b.span));
        }
    }
}

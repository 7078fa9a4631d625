use super::{Check, Context, Finding};
use crate::nginx::Severity as ParseSeverity;

crate::declare_rule! {
    /// ## What it does
    /// Reports every error nginx itself would stop at while reading the
    /// configuration: braces that do not balance, a directive in the wrong
    /// block, a wrong number of arguments, a missing `;`, an include that
    /// names a file that was not submitted, an include cycle.
    ///
    /// ## Why is this bad?
    /// `nginx -t` fails and the container exits (or crash-loops) before
    /// any upstream is tried. upcheck still reads what it can, block by
    /// block, so the other findings stay useful, but the verdict is `fail`.
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     location / {
    ///         proxy_pass http://app:8000;
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// server {
    ///     location / {
    ///         proxy_pass http://app:8000;
    ///     }
    /// }
    /// ```
    pub NginxConfigError { code: "UC0001", name: "nginx-config-error", severity: Error, fix: None }
}

impl Check for NginxConfigError {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let errors = cx.parse_findings(self, |s| s == ParseSeverity::Error);
        out.extend(errors.map(|(_, f)| f));
    }
}

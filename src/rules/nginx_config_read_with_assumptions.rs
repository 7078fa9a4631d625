use super::{Check, Context, Finding};
use crate::nginx::Severity as ParseSeverity;

crate::declare_rule! {
    /// ## What it does
    /// Reports what was read, but not exactly as written: bytes that are
    /// not UTF-8 (read as U+FFFD), and files the configuration includes
    /// from the nginx image (`mime.types`, `fastcgi_params`, …) that were
    /// not submitted and are assumed to be the image's own.
    ///
    /// ## Why is this bad?
    /// A garbled byte inside a host name or a path changes what nginx
    /// sees; an assumed image file may differ from the one actually used.
    ///
    /// ## Example
    /// ```nginx
    /// include mime.types;   # not submitted
    /// ```
    ///
    /// Use instead: submit the file too, or accept the image's default.
    pub NginxConfigReadWithAssumptions { code: "UC0002", name: "nginx-config-read-with-assumptions", severity: Info, fix: None }
}

impl Check for NginxConfigReadWithAssumptions {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for (d, mut f) in cx.parse_findings(self, |s| s != ParseSeverity::Error) {
            if d.severity == ParseSeverity::Warning {
                f.severity = super::Severity::Warning;
            }
            out.push(f);
        }
    }
}

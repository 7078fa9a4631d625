use super::{Check, Context, Finding, finding};
use crate::source::Span;

crate::declare_rule! {
    /// ## What it does
    /// Reports submitted nginx files that no mount of the nginx container
    /// places, when other submitted files are mounted: nginx never reads
    /// them, so nothing in them is checked against the topology.
    ///
    /// ## Why is this bad?
    /// A file that is edited but not mounted changes nothing in the running
    /// container — often the sign of a wrong mount path (`./conf/` vs
    /// `./conf.d/`) or a file left behind.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   nginx:
    ///     image: nginx
    ///     volumes:
    ///       - ./conf.d:/etc/nginx/conf.d:ro   # nginx/extra.conf is not mounted
    /// ```
    ///
    /// Use instead: mount the file, or stop submitting it.
    pub NginxFileNotMounted { code: "UC0006", name: "nginx-file-not-mounted", severity: Warning, fix: None }
}

impl Check for NginxFileNotMounted {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let Some(p) = cx.placement else { return };
        for id in &p.unplaced {
            out.push(finding(
                self,
                format!(
                    "`{}` is not mounted into the nginx container; nginx does not read it",
                    cx.sources.get(*id).path
                ),
                Some(Span::new(*id, 0, 0)),
            ));
        }
    }
}

use super::{Check, Context, Finding, finding};

crate::declare_rule! {
    /// ## What it does
    /// Reports a topology in which no container runs nginx: none uses an
    /// `nginx` or `openresty` image, none mounts files under `/etc/nginx`,
    /// and no `--nginx-service` was named.
    ///
    /// ## Why is this bad?
    /// upstreams are resolved from nginx's own network namespace; without
    /// knowing which container that is, nothing can be checked.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   proxy:
    ///     build: ./proxy     # an nginx image built locally
    /// ```
    ///
    /// Use instead: name the service with `--nginx-service proxy`
    /// (`options.nginx_service` in the API).
    pub NginxContainerMissing { code: "UC0005", name: "nginx-container-missing", severity: Error, fix: None, refusal: true }
}

impl Check for NginxContainerMissing {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        if !cx.sites.is_empty() || cx.topology.units.is_empty() {
            return;
        }
        let names: Vec<String> = cx
            .topology
            .units
            .iter()
            .flat_map(|u| {
                u.containers
                    .iter()
                    .map(|c| c.service.clone().unwrap_or(c.name.clone()))
            })
            .collect();
        out.push(finding(
            self,
            format!(
                "no container runs nginx (none uses an nginx or openresty image); name it with `--nginx-service` (candidates: {})",
                names.join(", ")
            ),
            cx.topology_files.first().map(|f| crate::source::Span::new(*f, 0, 0)),
        ));
    }
}

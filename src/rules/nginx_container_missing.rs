use super::{Check, Context, Finding, finding};

crate::declare_rule! {
    /// ## What it does
    /// Reports a topology in which no container runs nginx: none uses an
    /// `nginx` or `openresty` image, none mounts files under `/etc/nginx`,
    /// and no `--nginx-service` was named. When a container's Dockerfile
    /// starts its built stage from an nginx image but cannot be built as
    /// written (UC0004 says why), the message names that build: the
    /// container would run nginx, with a configuration no one can read.
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
        let containers = || cx.topology.units.iter().flat_map(|u| &u.containers);
        // A container whose Dockerfile starts from nginx but cannot be
        // built runs nginx with a configuration no one can read: say so,
        // rather than that no image is nginx's.
        if let Some((c, b)) = containers().find_map(|c| {
            c.build
                .as_deref()
                .filter(|b| b.unbuilt_nginx())
                .map(|b| (c, b))
        }) {
            let who = c.service.as_deref().unwrap_or(&c.name);
            out.push(finding(
                self,
                format!(
                    "no container runs nginx that upcheck can read: `{who}` is built from `{}`, whose built stage starts from `{}`, but that Dockerfile cannot be built as written (UC0004 says why); fix the build, or name the nginx files with `--nginx`",
                    b.dockerfile,
                    b.unbuilt_from.as_deref().unwrap_or_default(),
                ),
                b.span.or(c.span),
            ));
            return;
        }
        let names: Vec<String> = containers()
            .map(|c| c.service.clone().unwrap_or(c.name.clone()))
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

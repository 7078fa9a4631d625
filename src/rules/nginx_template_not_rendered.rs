use super::{Check, Context, Finding, finding};
use crate::source::Span;

crate::declare_rule! {
    /// ## What it does
    /// Reports templates mounted under `/etc/nginx/templates` that the
    /// official image will not render, because the container does not
    /// start through the image's entrypoint with `nginx` as its command
    /// (an `entrypoint:` override, or `command: sh -c …`).
    ///
    /// ## Why is this bad?
    /// The image renders `*.template` files into `conf.d` only when its
    /// entrypoint runs `nginx` or `nginx-debug`. Otherwise the rendered
    /// configuration never exists and nginx serves its default page.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   nginx:
    ///     image: nginx
    ///     command: sh -c "nginx -g 'daemon off;'"
    ///     volumes: [./templates:/etc/nginx/templates]
    /// ```
    ///
    /// Use instead: keep the image's default command, or run `envsubst`
    /// yourself in the command.
    pub NginxTemplateNotRendered { code: "UC0007", name: "nginx-template-not-rendered", severity: Warning, fix: None }
}

impl Check for NginxTemplateNotRendered {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let Some(p) = cx.placement else { return };
        for (id, why) in &p.not_rendered {
            out.push(finding(self, why.clone(), Some(Span::new(*id, 0, 0))));
        }
    }
}

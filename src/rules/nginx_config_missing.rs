use super::{Check, Context, Finding, finding};
use crate::placement::view::{family, is_config_path};
use crate::source::Span;
use crate::topology::{Container, VolumeKind};

crate::declare_rule! {
    /// ## What it does
    /// Refuses a topology whose nginx container is known but none of
    /// whose configuration could be read, when no nginx file was named:
    /// its configuration directory is mounted from a ConfigMap, Secret or
    /// volume whose files are not in the input (a ConfigMap made with
    /// `kubectl create configmap --from-file`, say), or it has nothing
    /// mounted and runs an image upcheck cannot see into. The message
    /// names each such mount, at the line that declares it.
    ///
    /// ## Why is this bad?
    /// Every upstream is in nginx's configuration. Judging the topology
    /// against an empty one would pass without having checked anything.
    ///
    /// ## Example
    /// ```yaml
    /// # the ConfigMap comes from `kubectl create configmap nginx --from-file=nginx.conf`
    /// volumes:
    ///   - name: conf
    ///     configMap:
    ///       name: nginx
    /// ```
    ///
    /// Use instead: name the files the ConfigMap is made from with
    /// `--nginx nginx.conf` (`nginx` or `files` in the API), or add the
    /// ConfigMap's manifest to the repository.
    pub NginxConfigMissing { code: "UC0009", name: "nginx-config-missing", severity: Error, fix: None, refusal: true }
}

impl Check for NginxConfigMissing {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let Some(site) = cx.sites.first() else { return };
        if cx.placement.is_some() || !cx.nginx_files.is_empty() {
            return;
        }
        let unit = &cx.topology.units[site.unit.0];
        let c = &unit.containers[site.container];
        let who = (c.service.clone()).unwrap_or_else(|| unit.container_label(site.container));
        // Each mount into the configuration directory whose files were not
        // read, with the line that mounts it.
        let mut configmap = false;
        let unseen: Vec<(String, Option<Span>)> = (c.mounts.iter())
            .filter(|m| is_config_path(&m.target, c))
            .filter_map(|m| {
                let v = &cx.topology.volumes[m.volume];
                let what = match &v.kind {
                    VolumeKind::ConfigMap(name) => {
                        configmap = true;
                        format!("ConfigMap `{name}`")
                    }
                    VolumeKind::Secret(name) => format!("Secret `{name}`"),
                    VolumeKind::Bind(src) => format!("`{src}`"),
                    VolumeKind::Named => format!("volume `{}`", v.name),
                    VolumeKind::Anonymous
                    | VolumeKind::EmptyDir
                    | VolumeKind::Tmpfs
                    | VolumeKind::Other => return None,
                };
                Some((format!("{what} at `{}`", m.target), m.span.or(v.span)))
            })
            .collect();
        let named = "name the nginx files with `--nginx FILE` (`nginx` or `files` in the API)";
        let (message, span) = match unseen.first() {
            Some((_, span)) => (
                format!(
                    "no nginx configuration to read: the nginx container `{who}` mounts {}, whose files are not in the input{}; {named}",
                    crate::words::first_of(unseen.iter().map(|(w, _)| w.clone()), unseen.len(), 3),
                    if configmap {
                        " (a ConfigMap made with `kubectl create configmap --from-file` is in no manifest)"
                    } else {
                        ""
                    },
                ),
                *span,
            ),
            None => (
                format!(
                    "no nginx configuration to read: the nginx container `{who}` mounts nothing into `{}` and runs {}; {named}",
                    family(c.image.as_deref()).prefix,
                    image_files(c),
                ),
                c.span,
            ),
        };
        out.push(finding(self, message, span));
    }
}

/// What the image of `c` holds of nginx's configuration, as far as upcheck
/// can tell.
fn image_files(c: &Container) -> String {
    match (&c.build, c.image.as_deref()) {
        (Some(b), _) => format!(
            "the image built from `{}`, none of whose nginx files could be read",
            b.dockerfile
        ),
        (None, Some(i)) if official_nginx(i) => {
            format!("image `{i}` as it ships, whose own configuration proxies to nothing")
        }
        (None, Some(i)) => format!("image `{i}`, whose files upcheck cannot see"),
        (None, None) => "an image upcheck cannot see".to_string(),
    }
}

/// Whether `image` is one of the nginx images whose own configuration is
/// known (the official image, its unprivileged variant, OpenResty's and
/// Bitnami's), on any registry and tag; `acme/nginx-app` is not.
fn official_nginx(image: &str) -> bool {
    let name = image.split('@').next().unwrap_or(image);
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && crate::topology::links::is_registry(parts[0]) {
        parts.remove(0);
    }
    let last = parts.pop().unwrap_or_default();
    let last = last.split(':').next().unwrap_or(last);
    parts.push(last);
    matches!(
        parts.join("/").as_str(),
        "nginx"
            | "library/nginx"
            | "nginxinc/nginx-unprivileged"
            | "openresty/openresty"
            | "bitnami/nginx"
    )
}

#[cfg(test)]
mod tests {
    use super::official_nginx;

    #[test]
    fn only_images_whose_configuration_is_known_are_official() {
        for i in [
            "nginx",
            "nginx:1.27-alpine",
            "docker.io/library/nginx:latest",
            "nginxinc/nginx-unprivileged:stable",
            "registry.example.com:5000/bitnami/nginx@sha256:00",
        ] {
            assert!(official_nginx(i), "{i}");
        }
        for i in [
            "phanikumary1995/nginx-eks-app",
            "acme/nginx",
            "nginx-custom:1",
        ] {
            assert!(!official_nginx(i), "{i}");
        }
    }
}

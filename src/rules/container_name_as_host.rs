use super::{Check, Context, Finding, pick, upstream_finding};
use crate::fix::{Edit, Fix};
use crate::network::Hint;
use crate::topology::{Bind, Container};
use std::net::{IpAddr, Ipv4Addr};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstream hosts that are the name of another container of
    /// nginx's own Kubernetes pod — the seed's mistake in the mirror: a
    /// compose habit (`proxy_pass http://app:3000`, where `app` is a
    /// service) carried into a pod whose containers are `nginx` and `app`.
    ///
    /// ## Why is this bad?
    /// A container name is no DNS name: cluster DNS answers Services (and
    /// pods by IP or hostname), not the containers of a pod. nginx stops at
    /// start-up with `host not found in upstream "app:3000"` (or, with a
    /// `resolver`, answers 502). The containers of a pod share its network
    /// namespace, so the sibling is on nginx's own loopback.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: nginx        # proxy_pass http://app:3000;
    ///   - name: app
    ///     env: [{name: PORT, value: "3000"}]
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://127.0.0.1:3000; }
    /// ```
    ///
    /// ## Fix safety
    /// Safe when the sibling is known to listen on that port on every
    /// address or on loopback; unsafe when its listener is not known (or
    /// is bound elsewhere) — then check where it listens.
    pub ContainerNameAsHost { code: "UC1009", name: "container-name-as-host", severity: Error, fix: Always }
}

impl Check for ContainerNameAsHost {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let siblings =
            cx.unresolved_hinted(pick!(Hint::ContainerOfOwnPod { container } => *container));
        for (miss, ci) in siblings {
            let (r, name) = (miss.r, miss.name);
            let Some(h) = miss.host else { continue };
            let pod = &cx.topology.units[r.site.unit.0];
            let sibling = &pod.containers[ci];
            let effect = miss.effect();
            let port = r.port.unwrap_or(80);
            let msg = format!(
                "`{name}` is container `{}` of nginx's own pod `{}`, not a name cluster DNS has, so {effect}; the containers share the pod's network namespace, so nginx reaches it at `127.0.0.1:{port}`",
                sibling.name, pod.name
            );
            let title = format!("Replace `{name}` with `127.0.0.1`");
            let edit = [Edit::replace(h.host_span, "127.0.0.1")];
            let fix = if on_loopback(sibling, port) {
                Fix::safe(title, edit)
            } else {
                Fix::unsafe_edits(title, edit)
            };
            out.push(
                upstream_finding(self, r, msg, Some(h.host_span))
                    .related_at(
                        sibling.span,
                        format!("container `{}` is declared here", sibling.name),
                    )
                    .fix(fix),
            );
        }
    }
}

/// Whether the container is known to accept on `127.0.0.1:port`.
fn on_loopback(c: &Container, port: u16) -> bool {
    c.listeners.iter().any(|l| {
        l.port == Some(port)
            && matches!(
                l.bind,
                Some(Bind::Any | Bind::AnyV4) | Some(Bind::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)))
            )
    })
}

#[cfg(test)]
mod tests {
    use crate::fix::Applicability;
    use crate::rules::testing::{assert_none, codes, of, one, proxy_pass, run};

    fn pod(app: &str) -> String {
        format!(
            "apiVersion: v1
kind: Pod
metadata: {{name: web}}
spec:
  containers:
    - {{name: nginx, image: \"nginx:1.27\", ports: [{{containerPort: 80}}]}}
    - {{name: app, image: \"python:3.12\", command: {app}}}
"
        )
    }

    #[test]
    fn a_sibling_container_name_gets_the_loopback_fix() {
        let conf = proxy_pass(80, "app:8000");
        let r = run(&conf, &pod("[gunicorn, -b, \"0.0.0.0:8000\", \"app:app\"]"));
        let f = one(&r, "UC1009");
        assert!(
            !codes(&r).contains(&"UC1001".to_string()),
            "{:?}",
            codes(&r)
        );
        assert_eq!(f.fixes[0].applicability, Applicability::Safe);
        crate::testing::assert_contains(&f.fixes[0].diff, "http://127.0.0.1:8000;");
        // gunicorn bound to another address than loopback: check first.
        let r = run(
            &conf,
            &pod("[gunicorn, -b, \"10.0.0.9:8000\", \"app:app\"]"),
        );
        assert_eq!(
            of(&r, "UC1009")[0].fixes[0].applicability,
            Applicability::Unsafe
        );
    }

    #[test]
    fn loopback_and_other_names_are_left_to_other_rules() {
        let r = run(
            &proxy_pass(80, "127.0.0.1:8000"),
            &pod("[gunicorn, -b, \"0.0.0.0:8000\", \"app:app\"]"),
        );
        assert_none(&r, &["UC1009"]);
        let r = run(
            &proxy_pass(80, "api:8000"),
            &pod("[gunicorn, -b, \"0.0.0.0:8000\", \"app:app\"]"),
        );
        assert_none(&r, &["UC1009"]);
    }
}

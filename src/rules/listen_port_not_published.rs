use super::{
    Check, Context, Finding, MAX_LISTED, Related, Severity, finding, listing, yaml_list_append,
};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::nginx::upstreams::{HostKind, Listen, ListenAddress};
use crate::source::Span;
use crate::topology::{
    DeclaredPort, Platform, PortKind, Protocol, ServiceKind, TargetPort, Unit, UnitId,
};
use std::collections::HashSet;

crate::declare_rule! {
    /// ## What it does
    /// Finds ports nginx `listen`s on that nothing outside its network
    /// sends traffic to: in compose, a port the nginx service does not
    /// publish (`ports:`); in Kubernetes, a port no Service targets.
    ///
    /// ## Why is this bad?
    /// nginx is up and healthy but nobody outside reaches it: the browser
    /// gets `connection refused` on the host port, an Ingress or load
    /// balancer finds no endpoint on that port. A common variant publishes
    /// the wrong container port (`ports: ["80:8080"]` while nginx listens
    /// on 80). `expose:` does not publish anything.
    ///
    /// It is a warning when none of nginx's ports is published (or
    /// targeted), or the port is a TLS or HTTP/3 one; when some are and
    /// this one is not, it may be meant for containers only (metrics, a
    /// status page), so it is information.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   nginx:
    ///     image: nginx
    ///     expose: ["80"]        # nginx.conf: listen 80;
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   nginx:
    ///     image: nginx
    ///     ports: ["80:80"]
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix either re-points the one published port that
    /// reaches no listener at nginx's port, or adds a `ports:` entry with
    /// the same host port, which another program on the host may already
    /// use. Display-only when the compose file cannot be edited reliably
    /// (no block list of `ports:` to extend) and for Kubernetes.
    pub ListenPortNotPublished { code: "UC2012", name: "listen-port-not-published", severity: Warning, fix: Always }
}

/// One port nginx listens on, with the `listen`s that declare it.
struct Port<'a> {
    port: u16,
    protocol: Protocol,
    listens: Vec<&'a Listen>,
}

impl Port<'_> {
    fn important(&self) -> bool {
        self.listens.iter().any(|l| l.ssl || l.quic)
    }
    fn spec(&self) -> String {
        match self.protocol {
            Protocol::Udp => format!("{0}:{0}/udp", self.port),
            _ => format!("{0}:{0}", self.port),
        }
    }
}

impl Check for ListenPortNotPublished {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let Some(site) = cx.sites.first() else {
            return;
        };
        let unit = &cx.topology.units[site.unit.0];
        if unit.host_network {
            return; // nginx binds the host's own ports
        }
        let ports = listen_ports(cx);
        if ports.is_empty() {
            return;
        }
        match cx.topology.platform {
            Platform::Compose => self.compose(cx, unit, &ports, out),
            Platform::Kubernetes => self.kubernetes(cx, site.unit, unit, &ports, out),
        }
    }
}

impl ListenPortNotPublished {
    fn compose(&self, cx: &Context, unit: &Unit, ports: &[Port], out: &mut Vec<Finding>) {
        let published: Vec<&DeclaredPort> = unit
            .containers
            .iter()
            .flat_map(|c| &c.ports)
            .filter(|p| p.kind == PortKind::Published)
            .collect();
        // Sets, not searches: a port range publishes thousands of ports.
        let published_at: HashSet<(u16, Protocol)> = published
            .iter()
            .map(|d| (d.container_port, d.protocol))
            .collect();
        let is_published = |p: &Port| published_at.contains(&(p.port, p.protocol));
        let missing: Vec<&Port> = ports.iter().filter(|p| !is_published(p)).collect();
        if missing.is_empty() {
            return;
        }
        let none_published = missing.len() == ports.len();
        if none_published && published.is_empty() && behind_a_front_proxy(cx, unit) {
            return;
        }
        // Published container ports where nginx does not listen.
        let listening: HashSet<(u16, Protocol)> =
            ports.iter().map(|p| (p.port, p.protocol)).collect();
        let stray: Vec<&DeclaredPort> = published
            .iter()
            .copied()
            .filter(|d| !listening.contains(&(d.container_port, d.protocol)))
            .collect();
        let service = unit
            .containers
            .iter()
            .find(|c| c.is_nginx)
            .and_then(|c| c.service.clone())
            .unwrap_or_else(|| unit.name.clone());
        // The same for every port: said once, and at most MAX_LISTED.
        let mut stray_ports: Vec<u16> = stray.iter().map(|d| d.container_port).collect();
        stray_ports.sort_unstable();
        stray_ports.dedup();
        let stray_text = listing(stray_ports.iter().map(|p| p.to_string()), stray_ports.len());
        let last_item = published
            .iter()
            .filter_map(|d| {
                let span = d.span?;
                let start = d.host_span.map_or(span.start, |h| h.start.min(span.start));
                Some(Span { start, ..span })
            })
            .max_by_key(|s| s.start);
        let host_taken = host_ports(cx);
        for p in &missing {
            let listen = p.listens[0];
            let mut f = finding(
                self,
                format!(
                    "nginx listens on {} ({}), but service `{service}` does not publish it{}: nothing outside the compose network reaches nginx there",
                    p.port,
                    listen_text(cx, listen),
                    if published.is_empty() {
                        " (it has no `ports:`)".to_string()
                    } else if !stray.is_empty() {
                        format!(
                            " (it publishes container {} {stray_text}, where nginx does not listen)",
                            if stray_ports.len() == 1 {
                                "port"
                            } else {
                                "ports"
                            }
                        )
                    } else {
                        String::new()
                    }
                ),
                Some(listen.span),
            );
            if !(none_published || p.important()) {
                f.severity = Severity::Info;
            }
            for d in stray.iter().take(MAX_LISTED) {
                if let Some(span) = d.span {
                    f.related.push(Related::new(
                        span,
                        format!("container port {} is published here", d.container_port),
                    ));
                }
            }
            f.fixes.push(compose_fix(
                cx,
                &service,
                p,
                &missing,
                &stray,
                last_item,
                &host_taken,
            ));
            out.push(f);
        }
    }

    fn kubernetes(
        &self,
        cx: &Context,
        id: UnitId,
        unit: &Unit,
        ports: &[Port],
        out: &mut Vec<Finding>,
    ) {
        let topo = cx.topology;
        let declared: Vec<&DeclaredPort> = unit.containers.iter().flat_map(|c| &c.ports).collect();
        let services: Vec<_> = topo
            .services
            .iter()
            .filter(|s| s.selected.contains(&id) && !matches!(s.kind, ServiceKind::ExternalName(_)))
            .collect();
        // (service, service port, target port in the pod)
        let mut targets = Vec::new();
        for s in &services {
            for sp in &s.ports {
                let t = match &sp.target_port {
                    TargetPort::Number(n) => Some(*n),
                    TargetPort::Name(n) => declared
                        .iter()
                        .find(|d| d.name.as_deref() == Some(n.as_str()))
                        .map(|d| d.container_port),
                };
                targets.push((*s, sp, t));
            }
        }
        let targeted: HashSet<(u16, Protocol)> = targets
            .iter()
            .filter_map(|(_, sp, t)| Some(((*t)?, sp.protocol)))
            .collect();
        let on_host: HashSet<u16> = declared
            .iter()
            .filter(|d| d.host_port.is_some())
            .map(|d| d.container_port)
            .collect();
        let reached =
            |p: &Port| targeted.contains(&(p.port, p.protocol)) || on_host.contains(&p.port);
        let missing: Vec<&Port> = ports.iter().filter(|p| !reached(p)).collect();
        if missing.is_empty() {
            return;
        }
        let none_reached = missing.len() == ports.len();
        let listening: HashSet<u16> = ports.iter().map(|p| p.port).collect();
        let stray: Vec<_> = targets
            .iter()
            .filter(|(_, _, t)| !t.is_some_and(|t| listening.contains(&t)))
            .collect();
        // The same for every port: said once, and at most MAX_LISTED.
        let strays = listing(
            stray.iter().map(|(s, sp, t)| match t {
                Some(t) => format!("Service `{}` port {} targets {t}", s.name, sp.port),
                None => format!(
                    "Service `{}` port {} targets a port name the pod does not declare",
                    s.name, sp.port
                ),
            }),
            stray.len(),
        );
        for p in &missing {
            let listen = p.listens[0];
            let what = if services.is_empty() {
                format!("no Service selects pod `{}`", unit.name)
            } else if stray.is_empty() {
                "no Service targets it".to_string()
            } else {
                format!("no Service targets it ({strays})")
            };
            let mut f = finding(
                self,
                format!(
                    "nginx listens on {} ({}), but {what}: nothing outside the pod reaches nginx there",
                    p.port,
                    listen_text(cx, listen),
                ),
                Some(listen.span),
            );
            if !(none_reached || p.important()) {
                f.severity = Severity::Info;
            }
            let mut fix = Fix::display_only(
                if services.is_empty() {
                    format!(
                        "Add a Service selecting pod `{}` with `targetPort: {}`",
                        unit.name, p.port
                    )
                } else {
                    format!("Point a Service port at `targetPort: {}`", p.port)
                },
                [],
            );
            if missing.len() == 1
                && let [(s, sp, _)] = stray.as_slice()
                && let Some(ts) = sp.target_span
                && matches!(sp.target_port, TargetPort::Number(_))
            {
                f.related.push(Related::new(
                    ts,
                    format!("Service `{}` targets port {} here", s.name, cx.text(ts)),
                ));
                fix = Fix::unsafe_edits(
                    format!("Set `targetPort: {}` in Service `{}`", p.port, s.name),
                    [Edit::replace(ts, p.port.to_string())],
                );
            }
            f.fixes.push(fix);
            out.push(f);
        }
    }
}

/// nginx's inet `listen` ports that can be reached from outside its own
/// network namespace, one entry per port and protocol.
fn listen_ports<'a>(cx: &Context<'a>) -> Vec<Port<'a>> {
    let mut out: Vec<Port> = Vec::new();
    for l in &cx.extraction.listens {
        let ListenAddress::Inet(i) = &l.address else {
            continue;
        };
        let Some(port) = i.port else { continue };
        let loopback = i.kind == HostKind::Localhost
            || i.host
                .as_deref()
                .and_then(|h| h.parse::<std::net::IpAddr>().ok())
                .is_some_and(|ip| ip.is_loopback());
        if loopback {
            continue;
        }
        let protocol = if l.udp || l.quic {
            Protocol::Udp
        } else {
            Protocol::Tcp
        };
        match out
            .iter_mut()
            .find(|p| p.port == port && p.protocol == protocol)
        {
            Some(p) => p.listens.push(l),
            None => out.push(Port {
                port,
                protocol,
                listens: vec![l],
            }),
        }
    }
    out
}

/// A compose service in front of nginx that publishes ports itself
/// (Traefik, Caddy, HAProxy, …): nginx is then meant to be internal.
fn behind_a_front_proxy(cx: &Context, nginx: &Unit) -> bool {
    const PROXIES: &[&str] = &[
        "traefik",
        "caddy",
        "haproxy",
        "envoy",
        "nginx-proxy",
        "nginx-proxy-manager",
        "cloudflared",
    ];
    cx.topology.units.iter().any(|u| {
        !std::ptr::eq(u, nginx)
            && u.containers.iter().any(|c| {
                let image = c.image.as_deref().unwrap_or("");
                let base = image.split(['@', ':']).next().unwrap_or("");
                let base = base.rsplit('/').next().unwrap_or(base);
                PROXIES.contains(&base) && c.ports.iter().any(|p| p.kind == PortKind::Published)
            })
    })
}

/// Every host port a container publishes, with its protocol.
fn host_ports(cx: &Context) -> HashSet<(u16, Protocol)> {
    let ports = cx.topology.units.iter().flat_map(|u| &u.containers);
    let ports = ports.flat_map(|c| &c.ports);
    ports
        .filter_map(|d| Some((d.host_port?, d.protocol)))
        .collect()
}

fn compose_fix(
    cx: &Context,
    service: &str,
    p: &Port,
    missing: &[&Port],
    stray: &[&DeclaredPort],
    last_item: Option<Span>,
    host_taken: &HashSet<(u16, Protocol)>,
) -> Fix {
    // One published port that reaches nothing, one port that is not
    // published: the container port was probably meant to be nginx's.
    if missing.len() == 1
        && let [d] = stray
        && d.protocol == p.protocol
        && let Some(span) = d.span
        && cx.text(span) == d.container_port.to_string()
    {
        return Fix::unsafe_edits(
            format!(
                "Publish nginx's port {} instead of container port {}",
                p.port, d.container_port
            ),
            [Edit::replace(span, p.port.to_string())],
        );
    }
    let host_taken = host_taken.contains(&(p.port, p.protocol));
    let title = format!(
        "Publish port {} of service `{service}` (`ports: [\"{}\"]`)",
        p.port,
        p.spec()
    );
    if !host_taken
        && let Some(last) = last_item
        && let Some(edit) = yaml_list_append(cx, last, &p.spec())
    {
        return Fix::unsafe_edits(title, [edit]);
    }
    Fix::display_only(title, [])
}

fn listen_text(cx: &Context, l: &Listen) -> String {
    if l.implicit {
        "the default `listen 80` of a server without `listen`".into()
    } else {
        format!("`{}`", cx.text(l.span).trim_end_matches(';'))
    }
}

#[cfg(test)]
mod tests {
    use crate::fix::Applicability;
    use crate::rules::testing::{of, run, run_one};

    const CONF: &str = "server { listen 80; location / { proxy_pass http://app:8000; } }";

    #[test]
    fn nginx_without_ports() {
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n    expose: [\"80\"]\n  app:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n";
        let f = run_one(CONF, compose, "UC2012");
        assert_eq!(f.fixes[0].applicability, Applicability::DisplayOnly);
    }

    #[test]
    fn wrong_container_port_published() {
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n    ports:\n      - \"8080:8080\"\n  app:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n";
        let f = run_one(CONF, compose, "UC2012");
        assert_eq!(f.fixes[0].applicability, Applicability::Unsafe);
        crate::testing::assert_contains(&f.fixes[0].diff, "+      - \"8080:80\"");
    }

    #[test]
    fn second_port_added_to_the_list() {
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n    ports:\n      - 80:80\n  app:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n";
        let conf =
            "server { listen 80; listen 443 ssl; location / { proxy_pass http://app:8000; } }";
        let f = run_one(conf, compose, "UC2012");
        crate::testing::assert_contains(&f.fixes[0].diff, "+      - 443:443");
    }

    #[test]
    fn published_port_and_traefik_front_are_fine() {
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n  app:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n";
        assert!(of(&run(CONF, compose), "UC2012").is_empty());
        let compose = "services:\n  traefik:\n    image: traefik:v3.0\n    ports: [\"80:80\"]\n  nginx:\n    image: nginx:1.27\n  app:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n";
        assert!(of(&run(CONF, compose), "UC2012").is_empty());
    }
}

//! A pod spec: `hostNetwork`, DNS policy and config, `hostAliases`,
//! volumes, and each container with its image, command and args (with
//! `$(VAR)` expanded as the kubelet does), env and envFrom, ports, probes
//! (listeners the kubelet expects) and mounts.

use super::configmap::KeyToPath;
use super::*;
use crate::topology::read::{anchor, join};
use crate::topology::shell::{Indexed, expand_kubelet_capped};
use std::net::{IpAddr, Ipv4Addr};

/// A pod template read once and instantiated per replica.
pub(super) struct PodTemplate {
    pub(super) labels: BTreeMap<String, String>,
    pub(super) host_network: bool,
    pub(super) dns: DnsConfig,
    pub(super) extra_hosts: Vec<HostEntry>,
    pub(super) hostname: Option<String>,
    /// `subdomain`: with a headless Service of that name selecting the
    /// pod, `hostname.subdomain.ns.svc.<domain>` names it in cluster DNS.
    pub(super) subdomain: Option<String>,
    /// Containers; their mounts index [`PodTemplate::volumes`].
    pub(super) containers: Vec<Container>,
    pub(super) volumes: Vec<TemplateVolume>,
    /// `(container index, path, content, span)`.
    pub(super) files: Vec<(usize, String, String, Span)>,
    pub(super) namespace: String,
}

/// A pod volume of a template, before it is given to a pod.
pub(super) struct TemplateVolume {
    pub(super) name: String,
    pub(super) kind: VolumeKind,
    pub(super) span: Span,
    /// ConfigMaps projected into it: `(name, items as (key, path))`;
    /// no items means every key.
    pub(super) config_maps: Vec<(String, Vec<KeyToPath>)>,
}

impl Loader<'_> {
    /// Reads a pod spec at `at` into a template the pods of a workload share.
    pub(super) fn pod_template(
        &mut self,
        cx: &Cx,
        spec: &Node,
        at: &str,
        labels: BTreeMap<String, String>,
        claims: Vec<TemplateVolume>,
    ) -> PodTemplate {
        let l = cx.label;
        let host_network = self.r.bool(l, spec, at, "hostNetwork").unwrap_or(false);
        let dns = self.dns(cx, spec, at, host_network);
        let mut extra_hosts = Vec::new();
        for (i, alias) in self.r.seq(l, spec, at, "hostAliases").iter().enumerate() {
            let aat = format!("{at}.hostAliases[{i}]");
            let Some((ip, ip_span)) = self.r.required_str(l, alias, &aat, "ip") else {
                continue;
            };
            // Kept as written: the kubelet writes the line even so.
            self.r.parse_ip(l, &join(&aat, "ip"), ip, ip_span);
            for (j, h) in self.r.seq(l, alias, &aat, "hostnames").iter().enumerate() {
                if let Some((name, span)) = self.r.text_of(l, h, &format!("{aat}.hostnames[{j}]")) {
                    extra_hosts.push(HostEntry {
                        name,
                        ip: ip.to_string(),
                        span: Some(span),
                    });
                }
            }
        }
        let hostname = self
            .r
            .str(l, spec, at, "hostname")
            .map(|(h, _)| h.to_string());
        let subdomain = self
            .r
            .str(l, spec, at, "subdomain")
            .map(|(h, _)| h.to_string())
            .filter(|h| !h.is_empty());
        let mut t = PodTemplate {
            labels,
            host_network,
            dns,
            extra_hosts,
            hostname,
            subdomain,
            containers: Vec::new(),
            volumes: Vec::new(),
            files: Vec::new(),
            namespace: cx.namespace.to_string(),
        };
        self.volumes(cx, spec, at, &mut t);
        for c in claims {
            if !t.volumes.iter().any(|v| v.name == c.name) {
                t.volumes.push(c);
            }
        }
        for (key, role) in [
            ("initContainers", ContainerRole::Init),
            ("containers", ContainerRole::Main),
        ] {
            let items = self.r.seq(l, spec, at, key);
            for (i, c) in items.iter().enumerate() {
                let cat = format!("{at}.{key}[{i}]");
                if !self.r.is_map(l, c, &cat) {
                    continue;
                }
                let container = self.container(cx, c, &cat, role, &t);
                t.containers.push(container);
            }
        }
        if t.containers.iter().all(|c| c.role != ContainerRole::Main) {
            let span = spec.key("containers").map(|k| k.span).unwrap_or(spec.span);
            self.r
                .warn(span, format!("`{l}`: `{at}.containers` is empty"));
        }
        self.config_map_files(l, &mut t);
        t
    }

    fn dns(&mut self, cx: &Cx, spec: &Node, at: &str, host_network: bool) -> DnsConfig {
        let l = cx.label;
        let policy = self.r.str(l, spec, at, "dnsPolicy");
        let cluster = cluster_dns(cx.namespace, &self.domain);
        let node = DnsConfig {
            nameservers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
        };
        let mut dns = match policy {
            None => {
                if host_network {
                    node.clone()
                } else {
                    cluster.clone()
                }
            }
            Some(("ClusterFirst", _)) if host_network => node.clone(),
            Some(("ClusterFirst", _)) | Some(("ClusterFirstWithHostNet", _)) => cluster.clone(),
            Some(("Default", _)) => node.clone(),
            Some(("None", _)) => node.clone(),
            Some((other, span)) => {
                self.r.warn(
                    span,
                    format!(
                        "`{l}`: `{at}.dnsPolicy` should be ClusterFirst, ClusterFirstWithHostNet, Default or None, not `{other}`"
                    ),
                );
                if host_network {
                    node.clone()
                } else {
                    cluster.clone()
                }
            }
        };
        let is_none = matches!(policy, Some(("None", _)));
        let dat = format!("{at}.dnsConfig");
        let config = self.r.map(l, spec, at, "dnsConfig");
        if let Some(c) = config {
            let mut extra_ns = Vec::new();
            for (i, n) in self.r.seq(l, c, &dat, "nameservers").iter().enumerate() {
                let path = format!("{dat}.nameservers[{i}]");
                if let Some((s, span)) = self.r.text_of(l, n, &path)
                    && let Some(ip) = self.r.parse_ip(l, &path, &s, span)
                {
                    extra_ns.push(ip);
                }
            }
            if !extra_ns.is_empty() {
                // The cluster DNS server stays first when the policy adds it;
                // addressing only fills an empty list, so add it here.
                if dns.search.first() == cluster.search.first() && !is_none {
                    dns.nameservers.push(self.cluster_dns_ip());
                }
                for ip in extra_ns {
                    if !dns.nameservers.contains(&ip) {
                        dns.nameservers.push(ip);
                    }
                }
            }
            for (i, s) in self.r.seq(l, c, &dat, "searches").iter().enumerate() {
                if let Some((s, _)) = self.r.text_of(l, s, &format!("{dat}.searches[{i}]"))
                    && !dns.search.contains(&s)
                {
                    dns.search.push(s);
                }
            }
            for (i, opt) in self.r.seq(l, c, &dat, "options").iter().enumerate() {
                let oat = format!("{dat}.options[{i}]");
                if self.r.str(l, opt, &oat, "name").map(|n| n.0) == Some("ndots")
                    && let Some((v, span)) = self.r.text(l, opt, &oat, "value")
                {
                    match v.parse::<u8>() {
                        Ok(n) => dns.ndots = n.min(15),
                        Err(_) => self.r.warn(
                            span,
                            format!("`{l}`: `{oat}.value` should be a number for ndots, not `{v}`"),
                        ),
                    }
                }
            }
        }
        if let Some((_, span)) = policy.filter(|p| p.0 == "None")
            && dns.nameservers.is_empty()
        {
            self.r.warn(
                span,
                format!(
                    "`{l}`: `dnsPolicy: None` needs `{dat}.nameservers`; without one the pod resolves no names"
                ),
            );
        }
        dns
    }

    /// The cluster DNS Service address of the address plan.
    fn cluster_dns_ip(&self) -> IpAddr {
        let plan = &self.opts.plan;
        if let Some(ip) = plan.dns_ip {
            return IpAddr::V4(ip);
        }
        let base = plan
            .service_cidr
            .map(|c| c.network())
            .unwrap_or(Ipv4Addr::new(10, 96, 0, 0));
        IpAddr::V4(Ipv4Addr::from(u32::from(base).wrapping_add(10)))
    }

    fn volumes(&mut self, cx: &Cx, spec: &Node, at: &str, t: &mut PodTemplate) {
        let l = cx.label;
        for (i, v) in self.r.seq(l, spec, at, "volumes").iter().enumerate() {
            let vat = format!("{at}.volumes[{i}]");
            let Some((name, span)) = self.r.required_str(l, v, &vat, "name") else {
                continue;
            };
            let mut config_maps = Vec::new();
            let kind = if v.get("emptyDir").is_some() {
                VolumeKind::EmptyDir
            } else if let Some(cm) = self.r.map(l, v, &vat, "configMap") {
                let cat = format!("{vat}.configMap");
                match self.r.required_str(l, cm, &cat, "name") {
                    Some((n, nspan)) => {
                        let items = self.items(l, cm, &cat);
                        self.check_config_map(l, cx.namespace, n, nspan, &items);
                        config_maps.push((n.to_string(), items));
                        VolumeKind::ConfigMap(n.to_string())
                    }
                    None => VolumeKind::Other,
                }
            } else if let Some(s) = self.r.map(l, v, &vat, "secret") {
                match self.r.str(l, s, &format!("{vat}.secret"), "secretName") {
                    Some((n, _)) => VolumeKind::Secret(n.to_string()),
                    None => VolumeKind::Other,
                }
            } else if let Some(h) = self.r.map(l, v, &vat, "hostPath") {
                match self.r.str(l, h, &format!("{vat}.hostPath"), "path") {
                    Some((p, _)) => VolumeKind::Bind(p.to_string()),
                    None => VolumeKind::Other,
                }
            } else if v.get("persistentVolumeClaim").is_some() {
                VolumeKind::Named
            } else if let Some(p) = self.r.map(l, v, &vat, "projected") {
                let pat = format!("{vat}.projected");
                for (j, src) in self.r.seq(l, p, &pat, "sources").iter().enumerate() {
                    let sat = format!("{pat}.sources[{j}].configMap");
                    if let Some(cm) =
                        self.r
                            .map(l, src, &format!("{pat}.sources[{j}]"), "configMap")
                        && let Some((n, nspan)) = self.r.str(l, cm, &sat, "name")
                    {
                        let items = self.items(l, cm, &sat);
                        self.check_config_map(l, cx.namespace, n, nspan, &items);
                        config_maps.push((n.to_string(), items));
                    }
                }
                VolumeKind::Other
            } else {
                VolumeKind::Other
            };
            if t.volumes.iter().any(|x| x.name == name) {
                self.r.warn(
                    span,
                    format!("`{l}`: volume `{name}` is declared twice in `{at}.volumes`"),
                );
                continue;
            }
            t.volumes.push(TemplateVolume {
                name: name.to_string(),
                kind,
                span,
                config_maps,
            });
        }
    }

    fn container(
        &mut self,
        cx: &Cx,
        c: &Node,
        at: &str,
        role: ContainerRole,
        t: &PodTemplate,
    ) -> Container {
        let l = cx.label;
        let (name, name_span) = match self.r.required_str(l, c, at, "name") {
            Some((n, s)) => (n.to_string(), Some(s)),
            None => (at.rsplit('.').next().unwrap_or(at).to_string(), None),
        };
        let role = if role == ContainerRole::Init
            && self.r.str(l, c, at, "restartPolicy").map(|r| r.0) == Some("Always")
        {
            ContainerRole::Sidecar
        } else {
            role
        };
        let image = self.r.str(l, c, at, "image").map(|(i, _)| i.to_string());
        let env = self.env(cx, c, at);
        let index: HashMap<String, usize> = env
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        let vars = Indexed {
            vars: &env,
            at: &index,
        };
        let anchor_at = anchor(c);
        let mut entrypoint = self.r.texts(l, c, at, "command");
        let mut command = self.r.texts(l, c, at, "args");
        for arg in entrypoint.iter_mut().chain(command.iter_mut()) {
            *arg = self.expand(cx, arg, &vars, anchor_at, at);
        }
        let ports = self.r.map_items(l, c, at, "ports", |r, pat, p| {
            let (port, span) = r.required_port(l, p, pat, "containerPort")?;
            let host = r.port(l, p, pat, "hostPort");
            let host_ip = r.str(l, p, pat, "hostIP").map(|h| h.0.to_string());
            let protocol = r.protocol(l, p, pat);
            let name = r.str(l, p, pat, "name").map(|n| n.0.to_string());
            let port = DeclaredPort::new(PortKind::ContainerPort, port, protocol, Some(span))
                .published(host.map(|h| h.0), host_ip, host.map(|h| h.1))
                .named(name);
            Some(port)
        });
        let listeners = self.probes(l, c, at, &ports);
        let mut mounts = Vec::new();
        for (i, m) in self.r.seq(l, c, at, "volumeMounts").iter().enumerate() {
            let mat = format!("{at}.volumeMounts[{i}]");
            let (Some((vname, vspan)), Some((path, path_span))) = (
                self.r.str(l, m, &mat, "name"),
                self.r.str(l, m, &mat, "mountPath"),
            ) else {
                self.r.warn(
                    anchor(m),
                    format!("`{l}`: `{mat}` needs `name` and `mountPath`"),
                );
                continue;
            };
            let Some(vi) = t.volumes.iter().position(|v| v.name == vname) else {
                self.r.warn(
                    vspan,
                    format!(
                        "`{l}`: `{mat}` mounts volume `{vname}`, which the pod does not declare"
                    ),
                );
                continue;
            };
            let always_ro = matches!(
                t.volumes[vi].kind,
                VolumeKind::ConfigMap(_) | VolumeKind::Secret(_)
            ) || !t.volumes[vi].config_maps.is_empty();
            let sub_path = self
                .r
                .str(l, m, &mat, "subPath")
                .or_else(|| self.r.str(l, m, &mat, "subPathExpr"))
                .map(|s| s.0.to_string())
                .filter(|s| !s.is_empty());
            mounts.push(Mount {
                volume: vi,
                target: path.to_string(),
                read_only: self.r.bool(l, m, &mat, "readOnly").unwrap_or(false) || always_ro,
                sub_path,
                span: Some(path_span),
            });
        }
        let written = (!entrypoint.is_empty(), !command.is_empty());
        Container::new(name, image, name_span)
            .role(role)
            .written(written.0, written.1)
            .runs(entrypoint, command, env)
            .ports(ports)
            .listeners(listeners)
            .mounts(mounts)
    }

    /// `envFrom` then `env` (later definitions win), with `$(VAR)` in
    /// values expanded from the variables defined before.
    fn env(&mut self, cx: &Cx, c: &Node, at: &str) -> Vec<EnvVar> {
        let l = cx.label;
        let mut env: Vec<EnvVar> = Vec::new();
        // Each name's position in `env`: a later entry replaces an earlier
        // one in place, in O(1) however many entries there are.
        let mut index: HashMap<String, usize> = HashMap::new();
        fn set(env: &mut Vec<EnvVar>, index: &mut HashMap<String, usize>, v: EnvVar) {
            match index.get(&v.name) {
                Some(&i) => env[i] = v,
                None => {
                    index.insert(v.name.clone(), env.len());
                    env.push(v);
                }
            }
        }
        for (i, src) in self.r.seq(l, c, at, "envFrom").iter().enumerate() {
            let fat = format!("{at}.envFrom[{i}]");
            let prefix = self
                .r
                .str(l, src, &fat, "prefix")
                .map(|p| p.0.to_string())
                .unwrap_or_default();
            if let Some(r) = self.r.map(l, src, &fat, "configMapRef") {
                let Some((name, span)) = self.r.str(l, r, &format!("{fat}.configMapRef"), "name")
                else {
                    continue;
                };
                match self
                    .config_maps
                    .get(&(cx.namespace.to_string(), name.to_string()))
                {
                    Some(cm) => {
                        for (k, v, vspan) in &cm.entries {
                            if is_env_name(&format!("{prefix}{k}")) {
                                set(
                                    &mut env,
                                    &mut index,
                                    EnvVar {
                                        name: format!("{prefix}{k}"),
                                        value: Some(v.clone()),
                                        span: Some(*vspan),
                                    },
                                );
                            }
                        }
                    }
                    None => {
                        // An optional source may be absent on purpose.
                        let optional = self
                            .r
                            .bool(l, r, &format!("{fat}.configMapRef"), "optional")
                            .unwrap_or(false);
                        self.missing_config_map(
                            optional,
                            span,
                            format!(
                                "`{l}`: `{fat}` reads ConfigMap `{name}`, which is not in the manifests; its variables are unknown"
                            ),
                        )
                    }
                }
            } else if let Some(r) = self.r.map(l, src, &fat, "secretRef") {
                let (name, span) = self
                    .r
                    .str(l, r, &format!("{fat}.secretRef"), "name")
                    .unwrap_or(("?", anchor(r)));
                // Secrets hold credentials, which move no listener, and
                // their values are never in the manifests by design: a
                // note, not a doubt over the verdict.
                self.r.info(
                    span,
                    format!("`{l}`: `{fat}` reads Secret `{name}`; its variables are not read"),
                );
            }
        }
        for (i, e) in self.r.seq(l, c, at, "env").iter().enumerate() {
            let eat = format!("{at}.env[{i}]");
            let Some((name, name_span)) = self.r.required_str(l, e, &eat, "name") else {
                continue;
            };
            let value = if let Some((v, span)) = self.r.text(l, e, &eat, "value") {
                let vars = Indexed {
                    vars: &env,
                    at: &index,
                };
                Some((self.expand(cx, &v, &vars, span, &eat), span))
            } else if let Some(from) = self.r.map(l, e, &eat, "valueFrom") {
                self.value_from(cx, from, &format!("{eat}.valueFrom"))
            } else {
                Some((String::new(), name_span))
            };
            set(
                &mut env,
                &mut index,
                EnvVar {
                    name: name.to_string(),
                    value: value.as_ref().map(|v| v.0.clone()),
                    span: Some(value.map(|v| v.1).unwrap_or(name_span)),
                },
            );
        }
        env
    }

    /// The kubelet's `$(VAR)` expansion of `text`, drawing on the load's
    /// [`max_expanded_bytes`](crate::budget::Budgets::max_expanded_bytes):
    /// past it (a chain of entries each doubling the last), a located
    /// error refuses the manifests, reported once, and the text stays as
    /// written.
    fn expand(&mut self, cx: &Cx, text: &str, vars: &Indexed, span: Span, at: &str) -> String {
        match expand_kubelet_capped(text, vars, &mut self.expand_left) {
            Some(t) => t,
            None => {
                if !self.expand_refused {
                    self.expand_refused = true;
                    self.r.error(
                        span,
                        format!(
                            "`{}`: expanding the `$(VAR)` references of `{at}` passes the {}-byte budget of expanded values (`--max-expanded-bytes`)",
                            cx.label, self.opts.budgets.max_expanded_bytes
                        ),
                    );
                }
                text.to_string()
            }
        }
    }

    /// A `valueFrom`: a ConfigMap key in the manifests gives its value;
    /// Secrets, field and resource references are unknown here.
    fn value_from(&mut self, cx: &Cx, from: &Node, at: &str) -> Option<(String, Span)> {
        let l = cx.label;
        let r = self.r.map(l, from, at, "configMapKeyRef")?;
        let rat = format!("{at}.configMapKeyRef");
        let (name, name_span) = self.r.str(l, r, &rat, "name")?;
        let (key, key_span) = self.r.str(l, r, &rat, "key")?;
        let optional = self.r.bool(l, r, &rat, "optional").unwrap_or(false);
        let Some(cm) = self
            .config_maps
            .get(&(cx.namespace.to_string(), name.to_string()))
        else {
            self.missing_config_map(
                optional,
                name_span,
                format!(
                    "`{l}`: `{rat}` reads ConfigMap `{name}`, which is not in the manifests; its value is unknown"
                ),
            );
            return None;
        };
        match cm.get(key) {
            Some((_, v, span)) => Some((v.clone(), *span)),
            None => {
                if !optional {
                    self.r.warn(
                        key_span,
                        format!(
                            "`{l}`: ConfigMap `{name}` has no key `{key}`; the container will not start"
                        ),
                    );
                }
                None
            }
        }
    }

    /// Reports a ConfigMap read from the environment that the manifests
    /// lack: a note when the reference is optional (it may be absent on
    /// purpose), else a warning.
    fn missing_config_map(&mut self, optional: bool, span: Span, message: String) {
        let severity = if optional {
            DiagSeverity::Info
        } else {
            DiagSeverity::Warning
        };
        self.r.push(severity, Some(span), message);
    }

    /// Listeners from liveness/readiness/startup probes. An `httpGet`,
    /// `tcpSocket` or `grpc` probe is the kubelet connecting from the node
    /// to the pod's IP on that port (a named port resolved through the
    /// container's `ports`): once it passes, the port answers beyond the
    /// loopback, so its bind is left open (every address). An `exec` probe
    /// runs in the container, like a compose healthcheck: a command in it
    /// that connects to the loopback shows the port, not the bind. Either
    /// way the evidence is inferred (a probe that never passes proves
    /// nothing) and weaker than a declared port or a command line.
    fn probes(&mut self, l: &str, c: &Node, at: &str, ports: &[DeclaredPort]) -> Vec<Listener> {
        let mut out: Vec<Listener> = Vec::new();
        for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
            let Some(p) = self.r.map(l, c, at, probe) else {
                continue;
            };
            let pat = join(at, probe);
            for (handler, app) in [
                ("httpGet", Some(AppProtocol::Http)),
                ("tcpSocket", None),
                ("grpc", Some(AppProtocol::Grpc)),
            ] {
                let Some(h) = self.r.map(l, p, &pat, handler) else {
                    continue;
                };
                let hat = format!("{pat}.{handler}");
                if self.r.str(l, h, &hat, "host").is_some() {
                    // The probe targets another host, not this pod.
                    continue;
                }
                let Some(port_node) = Reader::child(h, "port") else {
                    self.r.lacks(l, h, &hat, "port");
                    continue;
                };
                let port_path = format!("{hat}.port");
                let (port, shown) = match (&port_node.value, port_node.as_str()) {
                    (_, Some(name)) if handler != "grpc" && name.parse::<u16>().is_err() => {
                        match ports.iter().find(|d| d.name.as_deref() == Some(name)) {
                            Some(d) => (d.container_port, format!("{name} ({})", d.container_port)),
                            None => {
                                self.r.warn(
                                    port_node.span,
                                    format!(
                                        "`{l}`: `{port_path}` names port `{name}`, which the container does not declare"
                                    ),
                                );
                                continue;
                            }
                        }
                    }
                    _ => match self.r.port_of(l, port_node, &port_path) {
                        Some((n, _)) => (n, n.to_string()),
                        None => continue,
                    },
                };
                let mut detail = format!("{probe} {handler} :{shown}");
                if handler == "httpGet" {
                    let path = self.r.str(l, h, &hat, "path").map(|p| p.0).unwrap_or("/");
                    detail.push(' ');
                    detail.push_str(path);
                    if let Some(("HTTPS", _)) = self.r.str(l, h, &hat, "scheme") {
                        detail.push_str(" (HTTPS)");
                    }
                }
                if out
                    .iter()
                    .any(|o| o.port == Some(port) && o.app_protocol == app)
                {
                    continue;
                }
                let provenance =
                    Provenance::new(ProvenanceKind::Probe, detail, Some(port_node.span));
                out.push(Listener::new(Some(port), provenance, Certainty::Inferred).speaks(app));
            }
            // After the kubelet's own connections, which say more.
            if let Some(e) = self.r.map(l, p, &pat, "exec")
                && let Some(cmd) = Reader::child(e, "command")
            {
                let words: Vec<String> = cmd.items().iter().filter_map(Node::scalar_text).collect();
                for h in crate::topology::infer::health::listeners(
                    &words.join(" "),
                    &format!("{probe} exec"),
                    Some(cmd.span),
                ) {
                    if !out.iter().any(|o| o.port == h.port) {
                        out.push(h);
                    }
                }
            }
        }
        out
    }
}

/// A pod's resolver under the `ClusterFirst` DNS policy: the cluster DNS
/// (its address comes from the plan), `<namespace>.svc.<domain>`,
/// `svc.<domain>` and `<domain>` searched, `ndots:5`.
pub(crate) fn cluster_dns(namespace: &str, domain: &str) -> DnsConfig {
    DnsConfig {
        nameservers: Vec::new(),
        search: vec![
            format!("{namespace}.svc.{domain}"),
            format!("svc.{domain}"),
            domain.to_string(),
        ],
        ndots: 5,
    }
}

/// True for names the kubelet accepts from `envFrom` (C identifiers and
/// a few more characters; it skips the rest).
fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

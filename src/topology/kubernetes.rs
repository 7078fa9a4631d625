//! Kubernetes manifests (YAML or JSON, multi-document, `kind: List`) into a
//! [`Topology`]: one unit per pod of every workload, with its containers
//! (init containers and native sidecars included, as they share the pod's
//! network namespace), ports, probe listeners, env, command, DNS policy,
//! `hostAliases`, volumes and mounts; Services with their selectors and the
//! pods they select; ConfigMap data mounted into containers as files (an
//! nginx configuration shipped in a ConfigMap).
//!
//! The YAML tree is walked by hand: a field of the wrong type is a located
//! warning naming the object and the field, and the rest still loads.
//! Unknown fields and kinds are ignored (shared/reference/networking.md §2).
//!
//! Pod names: bare Pods keep their name; StatefulSet pods are
//! `<name>-<ordinal>` exactly as Kubernetes names them (their DNS records
//! depend on it); pods of every other workload are `<name>-<n>` with `n`
//! from 0, since the real names carry random suffixes. Deployments,
//! ReplicaSets and ReplicationControllers get `spec.replicas` pods (default
//! 1, at most [`MAX_PODS_PER_WORKLOAD`]); DaemonSets, Jobs and CronJobs one
//! pod, as on a one-node cluster. A pod name already taken (the same
//! workload in another namespace) becomes `<namespace>/<name>`.

use super::read::{Dialect, Reader, anchor, join};
use super::yaml::{self, Node};
use super::*;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

/// Pods modelled per workload; replicas beyond are identical and only cost work.
pub const MAX_PODS_PER_WORKLOAD: i64 = 64;
/// Pods modelled in all.
pub const MAX_PODS: usize = 2000;

/// Loads Kubernetes manifests into a topology.
pub fn load(sources: &SourceMap, files: &[FileId], opts: &LoadOptions) -> Topology {
    let mut ld = Loader::new(sources, opts);
    let mut docs: Vec<(FileId, Vec<Node>)> = Vec::new();
    for &f in files {
        let src = sources.get(f);
        match yaml::parse_documents(f, src) {
            Ok(d) => docs.push((f, d)),
            Err((msg, span)) => {
                let hint = if src.text().contains("{{") {
                    " (Helm templates must be rendered first, e.g. with `helm template`)"
                } else {
                    ""
                };
                ld.r.push(
                    DiagSeverity::Error,
                    Some(span),
                    format!("cannot read `{}` as YAML: {msg}{hint}", src.path),
                );
            }
        }
    }
    let mut objects = Vec::new();
    for (_, ds) in &docs {
        for d in ds {
            ld.collect(d, 0, &mut objects);
        }
    }
    let objects = ld.dedupe(objects);
    for o in objects.iter().filter(|o| o.kind == Kind::ConfigMap) {
        ld.config_map(o);
    }
    for o in objects.iter().filter(|o| o.kind.has_pods()) {
        ld.workload(o);
    }
    for o in objects.iter().filter(|o| o.kind == Kind::Service) {
        ld.service(o);
    }
    ld.check_governing_services();
    let mut topo = ld.topo;
    topo.diagnostics = ld.r.diagnostics();
    topo
}

/// The kinds this loader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Pod,
    Deployment,
    ReplicaSet,
    ReplicationController,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    Service,
    ConfigMap,
}

impl Kind {
    /// The kind for a `kind` and API group, when this loader reads it.
    fn from(kind: &str, group: &str) -> Option<Result<Kind, &'static str>> {
        let (k, groups): (Kind, &[&str]) = match kind {
            "Pod" => (Kind::Pod, &[""]),
            "Service" => (Kind::Service, &[""]),
            "ConfigMap" => (Kind::ConfigMap, &[""]),
            "ReplicationController" => (Kind::ReplicationController, &[""]),
            "Deployment" => (Kind::Deployment, &["apps", "extensions"]),
            "ReplicaSet" => (Kind::ReplicaSet, &["apps", "extensions"]),
            "StatefulSet" => (Kind::StatefulSet, &["apps"]),
            "DaemonSet" => (Kind::DaemonSet, &["apps", "extensions"]),
            "Job" => (Kind::Job, &["batch"]),
            "CronJob" => (Kind::CronJob, &["batch"]),
            _ => return None,
        };
        Some(if groups.contains(&group) {
            Ok(k)
        } else if groups[0].is_empty() {
            Err("v1")
        } else if groups[0] == "batch" {
            Err("batch/v1")
        } else {
            Err("apps/v1")
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Pod => "Pod",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::ReplicationController => "ReplicationController",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
            Kind::Service => "Service",
            Kind::ConfigMap => "ConfigMap",
        }
    }

    fn has_pods(self) -> bool {
        !matches!(self, Kind::Service | Kind::ConfigMap)
    }
}

/// One object of a known kind, found in the manifests.
struct Obj<'a> {
    kind: Kind,
    name: String,
    name_span: Span,
    namespace: String,
    node: &'a Node,
}

impl Obj<'_> {
    /// `Deployment web`, as messages name it.
    fn label(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.name)
    }
}

/// A configMap volume `items` entry: key, path in the volume, span of the key.
type KeyToPath = (String, String, Span);

/// One ConfigMap's `data`, in document order.
struct ConfigMapData {
    /// `(key, value, span of the value)`.
    entries: Vec<(String, String, Span)>,
}

impl ConfigMapData {
    fn get(&self, key: &str) -> Option<&(String, String, Span)> {
        self.entries.iter().rev().find(|e| e.0 == key)
    }
}

/// A pod template read once and instantiated per replica.
struct PodTemplate {
    labels: BTreeMap<String, String>,
    host_network: bool,
    dns: DnsConfig,
    extra_hosts: Vec<HostEntry>,
    hostname: Option<String>,
    /// Containers; their mounts index [`PodTemplate::volumes`].
    containers: Vec<Container>,
    volumes: Vec<TemplateVolume>,
    /// `(container index, path, content, span)`.
    files: Vec<(usize, String, String, Span)>,
    namespace: String,
}

struct TemplateVolume {
    name: String,
    kind: VolumeKind,
    span: Span,
    /// ConfigMaps projected into it: `(name, items as (key, path))`;
    /// no items means every key.
    config_maps: Vec<(String, Vec<KeyToPath>)>,
}

/// Where a Kubernetes object's text is and what to call it in messages.
struct Cx<'a> {
    label: &'a str,
    namespace: &'a str,
}

struct Loader<'s> {
    sources: &'s SourceMap,
    opts: &'s LoadOptions,
    domain: String,
    topo: Topology,
    r: Reader,
    config_maps: HashMap<(String, String), ConfigMapData>,
    pod_network: NetworkId,
    host_network: Option<NetworkId>,
    /// StatefulSets' `serviceName`: (namespace, service, span, label).
    governing: Vec<(String, String, Span, String)>,
    pods_capped: bool,
}

impl<'s> Loader<'s> {
    fn new(sources: &'s SourceMap, opts: &'s LoadOptions) -> Loader<'s> {
        let mut topo = empty(Platform::Kubernetes);
        topo.networks.push(modelled_network(NetworkKind::Pod));
        Loader {
            sources,
            opts,
            domain: opts
                .plan
                .cluster_domain
                .clone()
                .unwrap_or_else(|| "cluster.local".into()),
            topo,
            r: Reader::new(Dialect::MANIFEST),
            config_maps: HashMap::new(),
            pod_network: NetworkId(0),
            host_network: None,
            governing: Vec::new(),
            pods_capped: false,
        }
    }

    fn default_namespace(&self) -> String {
        self.opts
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into())
    }

    /// Finds the objects in a document: itself, the items of a `List`, or
    /// the elements of a top-level JSON array.
    fn collect<'a>(&mut self, doc: &'a Node, depth: usize, out: &mut Vec<Obj<'a>>) {
        if let yaml::Value::Seq(items) = &doc.value
            && depth == 0
        {
            for i in items {
                self.collect(i, depth + 1, out);
            }
            return;
        }
        if !doc.is_map() {
            self.r.push(
                DiagSeverity::Error,
                Some(anchor(doc)),
                format!(
                    "a Kubernetes manifest should be a mapping with `apiVersion` and `kind`, not {}",
                    doc.type_name()
                ),
            );
            return;
        }
        let api = Reader::child(doc, "apiVersion");
        let kind = Reader::child(doc, "kind");
        let (Some(api), Some(kind)) = (api, kind) else {
            let missing = match (api, kind) {
                (None, None) => "`apiVersion` and `kind`",
                (None, _) => "`apiVersion`",
                _ => "`kind`",
            };
            let first_key = anchor(doc);
            self.r.warn(
                first_key,
                format!("a document without {missing} is not a Kubernetes object; skipped"),
            );
            return;
        };
        let (Some(api_s), Some(kind_s)) = (api.as_str(), kind.as_str()) else {
            let bad = if api.as_str().is_none() { api } else { kind };
            self.r.warn(
                bad.span,
                format!(
                    "`apiVersion` and `kind` should be strings, not {}; document skipped",
                    bad.type_name()
                ),
            );
            return;
        };
        if kind_s == "List" || kind_s.ends_with("List") && doc.get("items").is_some() {
            if depth > 4 {
                self.r
                    .warn(kind.span, "lists nested too deep; skipped".into());
                return;
            }
            let items = self.r.seq(kind_s, doc, "", "items");
            for i in items {
                self.collect(i, depth + 1, out);
            }
            return;
        }
        if kind_s == "Kustomization" {
            self.r.push(
                DiagSeverity::Info,
                Some(kind.span),
                "a `Kustomization` is not applied as is; submit the output of `kubectl kustomize` instead"
                    .into(),
            );
            return;
        }
        let group = api_s.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        let k = match Kind::from(kind_s, group) {
            None => return,
            Some(Ok(k)) => k,
            Some(Err(expected)) => {
                self.r.push(
                    DiagSeverity::Info,
                    Some(api.span),
                    format!(
                        "`{kind_s}` of `apiVersion: {api_s}` is not the Kubernetes kind (`{expected}`); ignored"
                    ),
                );
                return;
            }
        };
        let meta = self.r.map(kind_s, doc, "", "metadata");
        let name = meta.and_then(|m| {
            self.r
                .str(kind_s, m, "metadata", "name")
                .or_else(|| {
                    self.r
                        .str(kind_s, m, "metadata", "generateName")
                        .map(|(g, s)| (g.trim_end_matches('-'), s))
                })
                .filter(|(n, _)| !n.is_empty())
        });
        let Some((name, name_span)) = name else {
            let at = doc.key("metadata").map(|k| k.span).unwrap_or(kind.span);
            self.r.push(
                DiagSeverity::Error,
                Some(at),
                format!("a `{kind_s}` without `metadata.name` cannot be applied; skipped"),
            );
            return;
        };
        let label = format!("{kind_s} {name}");
        let namespace = meta
            .and_then(|m| self.r.str(&label, m, "metadata", "namespace"))
            .map(|(n, _)| n.to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.default_namespace());
        out.push(Obj {
            kind: k,
            name: name.to_string(),
            name_span,
            namespace,
            node: doc,
        });
    }

    /// Keeps the last definition of each object, as `kubectl apply` would.
    fn dedupe<'a>(&mut self, objects: Vec<Obj<'a>>) -> Vec<Obj<'a>> {
        let mut last: HashMap<(Kind, &str, &str), usize> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            last.insert((o.kind, &o.namespace, &o.name), i);
        }
        let keep: Vec<bool> = objects
            .iter()
            .enumerate()
            .map(|(i, o)| last[&(o.kind, o.namespace.as_str(), o.name.as_str())] == i)
            .collect();
        for (i, o) in objects.iter().enumerate() {
            if !keep[i] {
                let later = &objects[last[&(o.kind, o.namespace.as_str(), o.name.as_str())]];
                let src = self.sources.get(later.name_span.file);
                let pos = src.position(later.name_span.start as usize);
                self.r.warn(
                    o.name_span,
                    format!(
                        "`{}` is defined again at {}:{}; the later definition wins",
                        o.label(),
                        src.path,
                        pos.line
                    ),
                );
            }
        }
        objects
            .into_iter()
            .zip(keep)
            .filter_map(|(o, k)| k.then_some(o))
            .collect()
    }

    fn config_map(&mut self, o: &Obj) {
        let label = o.label();
        let mut entries = Vec::new();
        if let Some(data) = self.r.map(&label, o.node, "", "data") {
            for (k, v) in data.entries() {
                let value = if v.is_null() {
                    Some((String::new(), v.span))
                } else {
                    self.r.text_of(&label, v, &format!("data.{k}"))
                };
                if let Some((value, span)) = value {
                    entries.push((k.to_string(), value, self.trim_span(span)));
                }
            }
        }
        self.config_maps.insert(
            (o.namespace.clone(), o.name.clone()),
            ConfigMapData { entries },
        );
    }

    /// A block scalar's span runs into the next line's indentation; stop
    /// it at the end of the content.
    fn trim_span(&self, span: Span) -> Span {
        let bytes = &self.sources.get(span.file).bytes;
        let mut end = (span.end as usize).min(bytes.len());
        while end > span.start as usize && matches!(bytes[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        Span::new(span.file, span.start as usize, end)
    }

    fn workload(&mut self, o: &Obj) {
        let label = o.label();
        let l = label.as_str();
        let spec = self.r.map(l, o.node, "", "spec");
        let Some(spec) = spec else {
            self.r.warn(
                o.name_span,
                format!("`{l}` has no `spec`; no pods modelled"),
            );
            return;
        };
        // The pod template: (labels holder, pod spec, path of the pod spec).
        let (meta, pod_spec, at) = match o.kind {
            Kind::Pod => (
                self.r.map(l, o.node, "", "metadata"),
                Some(spec),
                "spec".to_string(),
            ),
            Kind::CronJob => {
                let jt = self.r.map(l, spec, "spec", "jobTemplate");
                let js = jt.and_then(|j| self.r.map(l, j, "spec.jobTemplate", "spec"));
                let t = js.and_then(|j| self.r.map(l, j, "spec.jobTemplate.spec", "template"));
                let at = "spec.jobTemplate.spec.template";
                (
                    t.and_then(|t| self.r.map(l, t, at, "metadata")),
                    t.and_then(|t| self.r.map(l, t, at, "spec")),
                    format!("{at}.spec"),
                )
            }
            _ => {
                let t = self.r.map(l, spec, "spec", "template");
                (
                    t.and_then(|t| self.r.map(l, t, "spec.template", "metadata")),
                    t.and_then(|t| self.r.map(l, t, "spec.template", "spec")),
                    "spec.template.spec".to_string(),
                )
            }
        };
        let Some(pod_spec) = pod_spec else {
            let missing = at.trim_end_matches(".spec");
            let what = if o.kind == Kind::Pod { "spec" } else { missing };
            self.r.warn(
                o.name_span,
                format!("`{l}` has no `{what}`; no pods modelled"),
            );
            return;
        };
        let replicas = match o.kind {
            Kind::Deployment
            | Kind::ReplicaSet
            | Kind::ReplicationController
            | Kind::StatefulSet => match self.r.int(l, spec, "spec", "replicas") {
                None => 1,
                Some((n, span)) if n < 0 => {
                    self.r.warn(
                        span,
                        format!("`{l}`: `spec.replicas` should not be negative, not {n}"),
                    );
                    1
                }
                Some((0, span)) => {
                    self.r.warn(
                            span,
                            format!("`{l}` has `replicas: 0`: it runs no pods, so nothing it serves is reachable"),
                        );
                    0
                }
                Some((n, span)) if n > MAX_PODS_PER_WORKLOAD => {
                    self.r.push(
                            DiagSeverity::Info,
                            Some(span),
                            format!(
                                "`{l}` has {n} replicas; the first {MAX_PODS_PER_WORKLOAD} pods are modelled"
                            ),
                        );
                    MAX_PODS_PER_WORKLOAD
                }
                Some((n, _)) => n,
            },
            _ => 1,
        };
        let mut labels = meta
            .and_then(|m| {
                let at = if o.kind == Kind::Pod {
                    "metadata".to_string()
                } else {
                    at.trim_end_matches(".spec").to_string() + ".metadata"
                };
                self.r.labels(l, m, &at, "labels")
            })
            .map(|(m, _)| m)
            .unwrap_or_default();
        self.check_selector(o, spec, &labels);
        if o.kind == Kind::Job {
            labels.insert("job-name".into(), o.name.clone());
            labels.insert("batch.kubernetes.io/job-name".into(), o.name.clone());
        }
        let cx = Cx {
            label: l,
            namespace: &o.namespace,
        };
        let claims = if o.kind == Kind::StatefulSet {
            self.claim_templates(&cx, spec)
        } else {
            Vec::new()
        };
        let t = self.pod_template(&cx, pod_spec, &at, labels, claims);
        if o.kind == Kind::StatefulSet {
            match self.r.str(l, spec, "spec", "serviceName") {
                Some((svc, span)) if !svc.is_empty() => {
                    self.governing
                        .push((o.namespace.clone(), svc.to_string(), span, label.clone()))
                }
                _ => self.r.warn(
                    o.name_span,
                    format!(
                        "`{l}` has no `spec.serviceName`; its pods get no DNS names of their own"
                    ),
                ),
            }
        }
        for i in 0..replicas {
            let name = match o.kind {
                Kind::Pod => o.name.clone(),
                _ => format!("{}-{i}", o.name),
            };
            if !self.instantiate(o, &t, i as u32, name) {
                break;
            }
        }
    }

    /// Warns when a workload's `spec.selector.matchLabels` does not match its
    /// template labels (the API server rejects it).
    fn check_selector(&mut self, o: &Obj, spec: &Node, labels: &BTreeMap<String, String>) {
        if matches!(o.kind, Kind::Pod | Kind::CronJob | Kind::Job) {
            return;
        }
        let l = o.label();
        let selector = if o.kind == Kind::ReplicationController {
            self.r.labels(&l, spec, "spec", "selector")
        } else {
            self.r
                .map(&l, spec, "spec", "selector")
                .and_then(|s| self.r.labels(&l, s, "spec.selector", "matchLabels"))
        };
        if let Some((sel, span)) = selector {
            let missing: Vec<String> = sel
                .iter()
                .filter(|(k, v)| labels.get(*k) != Some(*v))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if !missing.is_empty() {
                self.r.warn(
                    span,
                    format!(
                        "`{l}`: the selector does not match the pod template labels (missing {}); the API server rejects it",
                        missing.join(", ")
                    ),
                );
            }
        }
    }

    /// A StatefulSet's `volumeClaimTemplates`, as the pod volumes they become.
    fn claim_templates(&mut self, cx: &Cx, spec: &Node) -> Vec<TemplateVolume> {
        let mut out: Vec<TemplateVolume> = Vec::new();
        let items = self.r.seq(cx.label, spec, "spec", "volumeClaimTemplates");
        for (i, item) in items.iter().enumerate() {
            let at = format!("spec.volumeClaimTemplates[{i}]");
            let name = self
                .r
                .map(cx.label, item, &at, "metadata")
                .and_then(|m| self.r.str(cx.label, m, &format!("{at}.metadata"), "name"));
            if let Some((name, span)) = name
                && !out.iter().any(|v| v.name == name)
            {
                out.push(TemplateVolume {
                    name: name.to_string(),
                    kind: VolumeKind::Named,
                    span,
                    config_maps: Vec::new(),
                });
            }
        }
        out
    }

    /// Adds one pod of a template; false once [`MAX_PODS`] is reached.
    fn instantiate(&mut self, o: &Obj, t: &PodTemplate, index: u32, name: String) -> bool {
        if self.topo.units.len() >= MAX_PODS {
            if !self.pods_capped {
                self.pods_capped = true;
                self.r.push(
                    DiagSeverity::Warning,
                    Some(o.name_span),
                    format!(
                        "more than {MAX_PODS} pods; `{}` and later ones are not modelled",
                        o.label()
                    ),
                );
            }
            return false;
        }
        let uid = UnitId(self.topo.units.len());
        let base = self.topo.volumes.len();
        for v in &t.volumes {
            self.topo.volumes.push(Volume {
                name: v.name.clone(),
                kind: v.kind.clone(),
                unit: Some(uid),
                span: Some(v.span),
            });
        }
        let mut containers = t.containers.clone();
        for c in &mut containers {
            for m in &mut c.mounts {
                m.volume += base;
            }
        }
        for (ci, path, content, span) in &t.files {
            self.topo.mounted_files.push(MountedFile {
                unit: uid,
                container: *ci,
                path: path.clone(),
                content: content.clone(),
                span: Some(*span),
            });
        }
        let network = if t.host_network {
            *self.host_network.get_or_insert_with(|| {
                self.topo.networks.push(modelled_network(NetworkKind::Host));
                NetworkId(self.topo.networks.len() - 1)
            })
        } else {
            self.pod_network
        };
        let mut labels = t.labels.clone();
        if o.kind == Kind::StatefulSet {
            labels.insert("statefulset.kubernetes.io/pod-name".into(), name.clone());
            labels.insert("apps.kubernetes.io/pod-index".into(), index.to_string());
        }
        // A hostNetwork pod has the node's hostname, which we do not know.
        let hostname = if t.host_network {
            None
        } else {
            Some(t.hostname.clone().unwrap_or_else(|| name.clone()))
        };
        let unit_name = if self.topo.units.iter().any(|u| u.name == name) {
            format!("{}/{name}", o.namespace)
        } else {
            name
        };
        self.topo.units.push(Unit {
            name: unit_name,
            kind: UnitKind::Pod {
                workload_kind: o.kind.as_str().into(),
                workload: o.name.clone(),
                namespace: o.namespace.clone(),
                index,
            },
            containers,
            addresses: vec![Address {
                network,
                ip: None,
                origin: AddressOrigin::Modelled,
                dns_names: Vec::new(),
                span: None,
            }],
            labels,
            hostname,
            host_network: t.host_network,
            no_network: false,
            extra_hosts: t.extra_hosts.clone(),
            links: Vec::new(),
            dns: t.dns.clone(),
            span: Some(o.name_span),
        });
        true
    }

    fn pod_template(
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
            let Some((ip, ip_span)) = self.r.str(l, alias, &aat, "ip") else {
                self.r.lacks(l, alias, &aat, "ip");
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
        let mut t = PodTemplate {
            labels,
            host_network,
            dns,
            extra_hosts,
            hostname,
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
            if !self.r.is_map(l, v, &vat) {
                continue;
            }
            let Some((name, span)) = self.r.str(l, v, &vat, "name") else {
                self.r.lacks(l, v, &vat, "name");
                continue;
            };
            let mut config_maps = Vec::new();
            let kind = if v.get("emptyDir").is_some() {
                VolumeKind::EmptyDir
            } else if let Some(cm) = self.r.map(l, v, &vat, "configMap") {
                let cat = format!("{vat}.configMap");
                match self.r.str(l, cm, &cat, "name") {
                    Some((n, nspan)) => {
                        let items = self.items(l, cm, &cat);
                        self.check_config_map(l, cx.namespace, n, nspan, &items);
                        config_maps.push((n.to_string(), items));
                        VolumeKind::ConfigMap(n.to_string())
                    }
                    None => {
                        self.r.lacks(l, cm, &cat, "name");
                        VolumeKind::Other
                    }
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

    /// Says when a mounted ConfigMap (or one of its `items` keys) is not in
    /// the manifests: the files it would put in the container are unknown.
    fn check_config_map(&mut self, l: &str, ns: &str, name: &str, span: Span, items: &[KeyToPath]) {
        match self.config_maps.get(&(ns.to_string(), name.to_string())) {
            None => self.r.push(
                DiagSeverity::Info,
                Some(span),
                format!("`{l}` mounts ConfigMap `{name}`, which is not in the manifests; the files it holds are not known"),
            ),
            Some(cm) => {
                for (key, _, kspan) in items {
                    if cm.get(key).is_none() {
                        self.r.warn(
                            *kspan,
                            format!("`{l}`: ConfigMap `{name}` has no key `{key}`; the pod will not start"),
                        );
                    }
                }
            }
        }
    }

    /// `items: [{key, path}]` of a configMap volume source.
    fn items(&mut self, l: &str, cm: &Node, at: &str) -> Vec<KeyToPath> {
        let mut out = Vec::new();
        for (i, it) in self.r.seq(l, cm, at, "items").iter().enumerate() {
            let iat = format!("{at}.items[{i}]");
            let key = self.r.str(l, it, &iat, "key");
            let path = self.r.str(l, it, &iat, "path");
            match (key, path) {
                (Some((k, span)), Some((p, _))) => out.push((k.to_string(), p.to_string(), span)),
                _ => self.r.warn(
                    anchor(it),
                    format!("`{l}`: `{iat}` needs both `key` and `path`"),
                ),
            }
        }
        out
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
        let (name, name_span) = match self.r.str(l, c, at, "name") {
            Some((n, s)) => (n.to_string(), Some(s)),
            None => {
                self.r.lacks(l, c, &at, "name");
                (at.rsplit('.').next().unwrap_or(at).to_string(), None)
            }
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
        let mut entrypoint = self.r.texts(l, c, at, "command");
        let mut command = self.r.texts(l, c, at, "args");
        for arg in entrypoint.iter_mut().chain(command.iter_mut()) {
            *arg = expand(arg, &env);
        }
        let mut ports = Vec::new();
        for (i, p) in self.r.seq(l, c, at, "ports").iter().enumerate() {
            let pat = format!("{at}.ports[{i}]");
            if !self.r.is_map(l, p, &pat) {
                continue;
            }
            let Some((port, span)) = self.r.required_port(l, p, &pat, "containerPort") else {
                continue;
            };
            let host = self.r.port(l, p, &pat, "hostPort");
            ports.push(DeclaredPort {
                kind: PortKind::ContainerPort,
                container_port: port,
                host_port: host.map(|h| h.0),
                host_ip: self.r.str(l, p, &pat, "hostIP").map(|h| h.0.to_string()),
                protocol: self.r.protocol(l, p, &pat),
                name: self.r.str(l, p, &pat, "name").map(|n| n.0.to_string()),
                span: Some(span),
                host_span: host.map(|h| h.1),
            });
        }
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
        Container {
            name,
            service: None,
            image,
            role,
            entrypoint,
            command,
            env,
            ports,
            listeners,
            mounts,
            is_nginx: false,
            span: name_span,
        }
    }

    /// `envFrom` then `env` (later definitions win), with `$(VAR)` in
    /// values expanded from the variables defined before.
    fn env(&mut self, cx: &Cx, c: &Node, at: &str) -> Vec<EnvVar> {
        let l = cx.label;
        let mut env: Vec<EnvVar> = Vec::new();
        fn set(env: &mut Vec<EnvVar>, v: EnvVar) {
            match env.iter_mut().find(|e| e.name == v.name) {
                Some(e) => *e = v,
                None => env.push(v),
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
                        self.r.push(
                            if optional {
                                DiagSeverity::Info
                            } else {
                                DiagSeverity::Warning
                            },
                            Some(span),
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
                self.r.warn(
                    span,
                    format!("`{l}`: `{fat}` reads Secret `{name}`; its variables are not read"),
                );
            }
        }
        for (i, e) in self.r.seq(l, c, at, "env").iter().enumerate() {
            let eat = format!("{at}.env[{i}]");
            let Some((name, name_span)) = self.r.str(l, e, &eat, "name") else {
                self.r.lacks(l, e, &eat, "name");
                continue;
            };
            let value = if let Some((v, span)) = self.r.text(l, e, &eat, "value") {
                Some((expand(&v, &env), span))
            } else if let Some(from) = self.r.map(l, e, &eat, "valueFrom") {
                self.value_from(cx, from, &format!("{eat}.valueFrom"))
            } else {
                Some((String::new(), name_span))
            };
            set(
                &mut env,
                EnvVar {
                    name: name.to_string(),
                    value: value.as_ref().map(|v| v.0.clone()),
                    span: Some(value.map(|v| v.1).unwrap_or(name_span)),
                },
            );
        }
        env
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
            // As for `envFrom`: an optional source may be absent on purpose.
            self.r.push(
                if optional {
                    DiagSeverity::Info
                } else {
                    DiagSeverity::Warning
                },
                Some(name_span),
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

    /// Listeners from liveness/readiness/startup probes: the kubelet
    /// connects to the pod IP on that port, so something should listen there.
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
                out.push(Listener {
                    port: Some(port),
                    protocol: Protocol::Tcp,
                    bind: None,
                    app_protocol: app,
                    provenance: Provenance {
                        kind: ProvenanceKind::Probe,
                        detail,
                        span: Some(port_node.span),
                    },
                    certainty: Certainty::Stated,
                });
            }
        }
        out
    }

    fn service(&mut self, o: &Obj) {
        let label = o.label();
        let l = label.as_str();
        let spec = self.r.map(l, o.node, "", "spec");
        if spec.is_none() {
            self.r.warn(o.name_span, format!("`{l}` has no `spec`"));
        }
        let null = Node {
            value: yaml::Value::Null,
            span: o.name_span,
        };
        let spec = spec.unwrap_or(&null);
        let mut kind = match self.r.str(l, spec, "spec", "type") {
            None | Some(("ClusterIP", _)) => ServiceKind::ClusterIp,
            Some(("NodePort", _)) => ServiceKind::NodePort,
            Some(("LoadBalancer", _)) => ServiceKind::LoadBalancer,
            Some(("ExternalName", span)) => match self.r.str(l, spec, "spec", "externalName") {
                Some((n, _)) => ServiceKind::ExternalName(n.to_string()),
                None => {
                    self.r.warn(
                        span,
                        format!("`{l}` is of type ExternalName but has no `spec.externalName`"),
                    );
                    ServiceKind::ExternalName(String::new())
                }
            },
            Some((other, span)) => {
                self.r.warn(
                    span,
                    format!(
                        "`{l}`: `spec.type` should be ClusterIP, NodePort, LoadBalancer or ExternalName, not `{other}`"
                    ),
                );
                ServiceKind::ClusterIp
            }
        };
        let mut cluster_ip = None;
        let mut ip_origin = AddressOrigin::Modelled;
        match self.r.str(l, spec, "spec", "clusterIP") {
            None | Some(("", _)) => {}
            Some(("None", span)) => match kind {
                ServiceKind::ClusterIp => kind = ServiceKind::Headless,
                ServiceKind::ExternalName(_) => {}
                _ => self.r.warn(
                    span,
                    format!("`{l}`: `clusterIP: None` (headless) is only valid for type ClusterIP"),
                ),
            },
            Some((ip, span)) => match ip.parse::<IpAddr>() {
                Ok(ip) if !matches!(kind, ServiceKind::ExternalName(_)) => {
                    cluster_ip = Some(ip);
                    ip_origin = AddressOrigin::Declared;
                }
                Ok(_) => {}
                Err(_) => self.r.warn(
                    span,
                    format!("`{l}`: `spec.clusterIP` should be an IP address or None, not `{ip}`"),
                ),
            },
        }
        let ports = service_ports(&mut self.r, l, spec, "spec", PortKeys::MANIFEST);
        let selector = self.r.labels(l, spec, "spec", "selector");
        let selector_span = selector.as_ref().map(|s| s.1);
        // An empty selector selects nothing: endpoints are managed elsewhere.
        let selector = selector.map(|s| s.0).filter(|s| !s.is_empty());
        let selected = match (&selector, &kind) {
            (_, ServiceKind::ExternalName(_)) | (None, _) => Vec::new(),
            (Some(sel), _) => selected(&self.topo.units, &o.namespace, sel),
        };
        self.topo.services.push(Service {
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            kind,
            cluster_ip,
            ip_origin,
            selector,
            ports,
            selected,
            span: Some(o.name_span),
            selector_span,
        });
    }

    /// A StatefulSet's pods get DNS names (`web-0.web`) only through the
    /// headless Service its `serviceName` names.
    fn check_governing_services(&mut self) {
        for (ns, name, span, label) in std::mem::take(&mut self.governing) {
            let svc = self
                .topo
                .services
                .iter()
                .find(|s| s.namespace == ns && s.name == name);
            let message = match svc {
                None => format!(
                    "`{label}`: `spec.serviceName` names Service `{name}`, which is not in the manifests; pod names like `…-0.{name}` resolve only through it"
                ),
                Some(s) if s.kind != ServiceKind::Headless => format!(
                    "`{label}`: Service `{name}` named by `spec.serviceName` is not headless (`clusterIP: None`), so pod names like `…-0.{name}` do not resolve"
                ),
                Some(_) => continue,
            };
            self.r.push(DiagSeverity::Info, Some(span), message);
        }
    }

    /// Files that configMap volumes (and projected configMap sources) put
    /// into each container, when the ConfigMap is in the manifests.
    fn config_map_files(&mut self, l: &str, t: &mut PodTemplate) {
        for (ci, c) in t.containers.iter().enumerate() {
            for m in &c.mounts {
                let v = &t.volumes[m.volume];
                for (cm_name, items) in &v.config_maps {
                    let key = (t.namespace.clone(), cm_name.clone());
                    let Some(cm) = self.config_maps.get(&key) else {
                        continue;
                    };
                    // (path in the volume, content, span)
                    let entries: Vec<(&str, &str, Span)> = if items.is_empty() {
                        cm.entries
                            .iter()
                            .map(|(k, v, s)| (k.as_str(), v.as_str(), *s))
                            .collect()
                    } else {
                        items
                            .iter()
                            .filter_map(|(k, p, _)| {
                                cm.get(k).map(|e| (p.as_str(), e.1.as_str(), e.2))
                            })
                            .collect()
                    };
                    match &m.sub_path {
                        Some(sub) => match entries.iter().find(|e| e.0 == sub.trim_matches('/')) {
                            Some((_, content, span)) => {
                                t.files
                                    .push((ci, m.target.clone(), content.to_string(), *span))
                            }
                            None if v.config_maps.len() == 1 => {
                                if let Some(span) = m.span {
                                    self.r.warn(
                                            span,
                                            format!(
                                                "`{l}`: `subPath: {sub}` is not a key of ConfigMap `{cm_name}`; `{}` will be an empty directory",
                                                m.target
                                            ),
                                        );
                                }
                            }
                            None => {}
                        },
                        None => {
                            for (p, content, span) in entries {
                                t.files.push((
                                    ci,
                                    format!("{}/{p}", m.target.trim_end_matches('/')),
                                    content.to_string(),
                                    span,
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The pod network or the host network, as modelled when no file
/// declares it (no subnet; the address plan fills it).
pub(crate) fn modelled_network(kind: NetworkKind) -> Network {
    let (key, name) = if kind == NetworkKind::Host {
        ("host", "host network")
    } else {
        ("pod-network", "pod network")
    };
    Network {
        key: key.into(),
        name: name.into(),
        kind,
        subnet: None,
        gateway: None,
        origin: AddressOrigin::Modelled,
        internal: false,
        external: false,
        span: None,
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

/// How a format names the fields of a Service port.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PortKeys {
    /// Where traffic goes in the pods.
    pub(crate) target_port: &'static str,
    /// The port on every node.
    pub(crate) node_port: &'static str,
}

impl PortKeys {
    /// A manifest's `targetPort` and `nodePort`.
    pub(crate) const MANIFEST: PortKeys = PortKeys {
        target_port: "targetPort",
        node_port: "nodePort",
    };
    /// The native topology's `target_port` and `node_port`.
    pub(crate) const NATIVE: PortKeys = PortKeys {
        target_port: "target_port",
        node_port: "node_port",
    };
}

/// A Service's `ports` (under `at`, the node holding them): `port`,
/// `targetPort` (a number, or a name the pods declare; `port` when
/// absent), `nodePort`, `name` and `protocol`. Entries without a port
/// are warned about and skipped.
pub(crate) fn service_ports(
    r: &mut Reader,
    obj: &str,
    parent: &Node,
    at: &str,
    keys: PortKeys,
) -> Vec<ServicePort> {
    let list = join(at, "ports");
    let mut ports = Vec::new();
    for (i, p) in r.seq(obj, parent, at, "ports").iter().enumerate() {
        let pat = format!("{list}[{i}]");
        if !r.is_map(obj, p, &pat) {
            continue;
        }
        let Some((port, span)) = r.required_port(obj, p, &pat, "port") else {
            continue;
        };
        let (target_port, target_span) = match Reader::child(p, keys.target_port) {
            None => (TargetPort::Number(port), None),
            Some(t) => match t.as_str() {
                Some(name) if name.parse::<i64>().is_err() => {
                    (TargetPort::Name(name.to_string()), Some(t.span))
                }
                _ => match r.port_of(obj, t, &join(&pat, keys.target_port)) {
                    Some((n, span)) => (TargetPort::Number(n), Some(span)),
                    None => (TargetPort::Number(port), Some(t.span)),
                },
            },
        };
        let node_port = r.port(obj, p, &pat, keys.node_port).map(|n| n.0);
        ports.push(ServicePort {
            name: r.str(obj, p, &pat, "name").map(|n| n.0.to_string()),
            port,
            target_port,
            node_port,
            protocol: r.protocol(obj, p, &pat),
            span: Some(span),
            target_span,
        });
    }
    ports
}

/// The pods of `namespace` whose labels match every pair of `selector`.
pub(crate) fn selected(
    units: &[Unit],
    namespace: &str,
    selector: &BTreeMap<String, String>,
) -> Vec<UnitId> {
    units
        .iter()
        .enumerate()
        .filter(|(_, u)| {
            matches!(&u.kind, UnitKind::Pod { namespace: ns, .. } if ns == namespace)
                && selector.iter().all(|(k, v)| u.labels.get(k) == Some(v))
        })
        .map(|(i, _)| UnitId(i))
        .collect()
}

/// True for names the kubelet accepts from `envFrom` (C identifiers and
/// a few more characters; it skips the rest).
fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Expands `$(VAR)` from `env` as the kubelet does: `$$` is a literal `$`,
/// unknown (or unknown-valued) variables stay as written, and an
/// unterminated `$(` is copied.
pub fn expand(input: &str, env: &[EnvVar]) -> String {
    let lookup = |name: &str| {
        env.iter()
            .rev()
            .find(|e| e.name == name)
            .and_then(|e| e.value.clone())
    };
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match bytes[cursor + 1] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(close) => {
                        let name = &rest[1..1 + close];
                        match lookup(name) {
                            Some(v) => out.push_str(&v),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        close + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    let ch = rest.chars().next().unwrap_or_default();
                    out.push('$');
                    out.push(ch);
                    ch.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < bytes.len() {
        out.push_str(&input[checkpoint..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn load_text(text: &str) -> Topology {
        load_with(text, &LoadOptions::default())
    }

    fn load_with(text: &str, opts: &LoadOptions) -> Topology {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new("k8s.yaml", text));
        load(&sources, &[f], opts)
    }

    fn at(text: &str, span: Option<Span>) -> &str {
        &text[span.expect("a span").range()]
    }

    fn messages(t: &Topology) -> Vec<String> {
        t.diagnostics.iter().map(|d| d.message.clone()).collect()
    }

    fn unit<'t>(t: &'t Topology, name: &str) -> &'t Unit {
        t.units
            .iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("no unit {name}"))
    }

    const SEED_POD: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: nginx-conf
data:
  default.conf: |
    server {
        listen 9001;
        location / {
            proxy_pass http://127.0.0.1:6001;
        }
    }
---
apiVersion: v1
kind: Pod
metadata:
  name: model
  labels:
    app: model
spec:
  containers:
    - name: nginx
      image: nginx:1.27
      ports:
        - containerPort: 9001
      volumeMounts:
        - name: conf
          mountPath: /etc/nginx/conf.d
    - name: model-test
      image: model:latest
      command: ["flask", "run", "--host=0.0.0.0", "--port=6001"]
  volumes:
    - name: conf
      configMap:
        name: nginx-conf
"#;

    #[test]
    fn seed_pod_has_both_containers_in_one_unit_and_the_config_as_a_file() {
        let t = load_text(SEED_POD);
        assert_eq!(t.platform, Platform::Kubernetes);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        assert_eq!(t.units.len(), 1);
        let u = &t.units[0];
        assert_eq!(u.name, "model");
        assert_eq!(
            u.kind,
            UnitKind::Pod {
                workload_kind: "Pod".into(),
                workload: "model".into(),
                namespace: "default".into(),
                index: 0
            }
        );
        assert_eq!(u.hostname.as_deref(), Some("model"));
        assert_eq!(u.labels.get("app").map(String::as_str), Some("model"));
        let names: Vec<&str> = u.containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["nginx", "model-test"]);
        assert_eq!(at(SEED_POD, u.containers[0].span), "nginx");
        let port = &u.containers[0].ports[0];
        assert_eq!(port.container_port, 9001);
        assert_eq!(port.kind, PortKind::ContainerPort);
        assert_eq!(at(SEED_POD, port.span), "9001");
        assert_eq!(
            u.containers[1].entrypoint,
            ["flask", "run", "--host=0.0.0.0", "--port=6001"]
        );
        assert!(u.containers[1].command.is_empty());
        // One pod network, one address on it, cluster DNS.
        assert_eq!(t.networks.len(), 1);
        assert_eq!(t.networks[0].key, "pod-network");
        assert_eq!(t.networks[0].kind, NetworkKind::Pod);
        assert_eq!(u.addresses.len(), 1);
        assert_eq!(u.addresses[0].network, NetworkId(0));
        assert!(u.addresses[0].ip.is_none() && u.addresses[0].dns_names.is_empty());
        assert_eq!(
            u.dns.search,
            [
                "default.svc.cluster.local",
                "svc.cluster.local",
                "cluster.local"
            ]
        );
        assert_eq!(u.dns.ndots, 5);
        // The ConfigMap volume and its file.
        assert_eq!(t.volumes.len(), 1);
        assert_eq!(
            t.volumes[0].kind,
            VolumeKind::ConfigMap("nginx-conf".into())
        );
        assert_eq!(t.volumes[0].unit, Some(UnitId(0)));
        let m = &u.containers[0].mounts[0];
        assert_eq!(
            (m.volume, m.target.as_str(), m.read_only),
            (0, "/etc/nginx/conf.d", true)
        );
        assert_eq!(at(SEED_POD, m.span), "/etc/nginx/conf.d");
        assert_eq!(t.mounted_files.len(), 1);
        let f = &t.mounted_files[0];
        assert_eq!((f.unit, f.container), (UnitId(0), 0));
        assert_eq!(f.path, "/etc/nginx/conf.d/default.conf");
        assert!(f.content.contains("proxy_pass http://127.0.0.1:6001;"));
        assert!(f.content.starts_with("server {\n    listen 9001;"));
        let span_text = at(SEED_POD, f.span);
        assert!(
            span_text.starts_with("server {") && span_text.ends_with("}\n"),
            "{span_text:?}"
        );
    }

    #[test]
    fn sub_path_mounts_one_key_at_the_mount_path() {
        let text = SEED_POD.replace(
            "          mountPath: /etc/nginx/conf.d\n",
            "          mountPath: /etc/nginx/conf.d/default.conf\n          subPath: default.conf\n",
        );
        let t = load_text(&text);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        assert_eq!(t.mounted_files.len(), 1);
        assert_eq!(t.mounted_files[0].path, "/etc/nginx/conf.d/default.conf");
        let m = &t.units[0].containers[0].mounts[0];
        assert_eq!(m.sub_path.as_deref(), Some("default.conf"));
        // A subPath that is no key of the ConfigMap.
        let bad = text.replace("subPath: default.conf", "subPath: nginx.conf");
        let t = load_text(&bad);
        assert!(t.mounted_files.is_empty());
        assert_eq!(
            messages(&t),
            [
                "`Pod model`: `subPath: nginx.conf` is not a key of ConfigMap `nginx-conf`; `/etc/nginx/conf.d/default.conf` will be an empty directory"
            ]
        );
    }

    #[test]
    fn config_map_items_choose_keys_and_paths() {
        let text = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: conf, namespace: web}
data:
  main: "events {}"
  site: "server {}"
  unused: "x"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: nginx
          image: nginx
          volumeMounts:
            - {name: c, mountPath: /etc/nginx/}
            - {name: c, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf}
      volumes:
        - name: c
          configMap:
            name: conf
            items:
              - {key: main, path: nginx.conf}
              - {key: site, path: conf.d/site.conf}
              - {key: missing, path: x.conf}
"#;
        let t = load_text(text);
        let files: Vec<(&str, &str)> = t
            .mounted_files
            .iter()
            .map(|f| (f.path.as_str(), f.content.as_str()))
            .collect();
        assert_eq!(
            files,
            [
                ("/etc/nginx/nginx.conf", "events {}"),
                ("/etc/nginx/conf.d/site.conf", "server {}"),
                ("/etc/nginx/nginx.conf", "events {}"),
            ]
        );
        assert_eq!(at(text, t.mounted_files[0].span), "\"events {}\"");
        assert_eq!(
            messages(&t),
            ["`Deployment web`: ConfigMap `conf` has no key `missing`; the pod will not start"]
        );
        assert_eq!(at(text, t.diagnostics[0].span), "missing");
        // ConfigMaps are namespace-local.
        let other = text.replacen("namespace: web}", "namespace: other}", 1);
        let t = load_text(&other);
        assert!(t.mounted_files.is_empty());
        assert_eq!(
            messages(&t),
            [
                "`Deployment web` mounts ConfigMap `conf`, which is not in the manifests; the files it holds are not known"
            ]
        );
        assert_eq!(t.diagnostics[0].severity, DiagSeverity::Info);
    }

    #[test]
    fn replicas_make_one_unit_per_pod_with_stable_names() {
        let text = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: python:3.12}]
      volumes: [{name: tmp, emptyDir: {}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db
  replicas: 2
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: postgres
          image: postgres:16
          volumeMounts: [{name: pgdata, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
    - metadata: {name: pgdata}
      spec: {accessModes: [ReadWriteOnce]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
"#;
        let t = load_text(text);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        let names: Vec<&str> = t.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["web-0", "web-1", "web-2", "db-0", "db-1"]);
        let UnitKind::Pod {
            index,
            namespace,
            workload_kind,
            ..
        } = &t.units[4].kind
        else {
            panic!()
        };
        assert_eq!(
            (*index, namespace.as_str(), workload_kind.as_str()),
            (1, "data", "StatefulSet")
        );
        assert_eq!(
            t.units[4]
                .labels
                .get("statefulset.kubernetes.io/pod-name")
                .map(String::as_str),
            Some("db-1")
        );
        assert_eq!(t.units[4].dns.search[0], "data.svc.cluster.local");
        // Volumes are per pod; mounts point at their own pod's volume.
        assert_eq!(t.volumes.len(), 5);
        assert_eq!(t.volumes[2].unit, Some(UnitId(2)));
        assert_eq!(t.volumes[4].kind, VolumeKind::Named);
        assert_eq!(t.units[4].containers[0].mounts[0].volume, 4);
        assert_eq!(t.services[0].selected, [UnitId(3), UnitId(4)]);
        assert_eq!(t.services[0].kind, ServiceKind::Headless);
        assert!(t.services[0].cluster_ip.is_none());
    }

    #[test]
    fn every_workload_kind_finds_its_pod_template() {
        let pod = "    metadata: {labels: {app: x}}\n    spec: {containers: [{name: c, image: busybox}]}\n";
        let text = format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: migrate}}\nspec:\n  template:\n{pod}---\n\
             apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: backup}}\nspec:\n  schedule: '0 * * * *'\n  jobTemplate:\n    spec:\n      template:\n{}---\n\
             apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent}}\nspec:\n  template:\n{pod}---\n\
             apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: rs}}\nspec:\n  replicas: 2\n  template:\n{pod}---\n\
             apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: rc}}\nspec:\n  template:\n{pod}",
            pod.replace("    ", "        ")
        );
        let t = load_text(&text);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        let names: Vec<&str> = t.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            ["migrate-0", "backup-0", "agent-0", "rs-0", "rs-1", "rc-0"]
        );
        assert_eq!(
            t.units[0].labels.get("job-name").map(String::as_str),
            Some("migrate")
        );
        assert!(t.units.iter().all(|u| u.containers.len() == 1));
    }

    #[test]
    fn init_containers_and_native_sidecars_share_the_pod() {
        let text = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - {name: migrate, image: app}
    - {name: proxy, image: envoy, restartPolicy: Always, ports: [{containerPort: 15001}]}
  containers:
    - {name: app, image: app}
"#;
        let t = load_text(text);
        let roles: Vec<(&str, ContainerRole)> = t.units[0]
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("migrate", ContainerRole::Init),
                ("proxy", ContainerRole::Sidecar),
                ("app", ContainerRole::Main)
            ]
        );
    }

    #[test]
    fn probes_become_listeners_and_named_ports_resolve() {
        let text = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: app
      ports:
        - {name: http, containerPort: 8080}
        - {name: grpc, containerPort: 9090}
      readinessProbe:
        httpGet: {path: /healthz, port: http}
      livenessProbe:
        httpGet: {path: /live, port: 8080}
      startupProbe:
        tcpSocket: {port: 5000}
    - name: grpc-app
      image: app
      livenessProbe:
        grpc: {port: 9090}
      readinessProbe:
        httpGet: {port: metrics}
"#;
        let t = load_text(text);
        let c = &t.units[0].containers[0];
        let got: Vec<(Option<u16>, Option<AppProtocol>, &str)> = c
            .listeners
            .iter()
            .map(|l| (l.port, l.app_protocol, l.provenance.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some(8080),
                    Some(AppProtocol::Http),
                    "readinessProbe httpGet :http (8080) /healthz"
                ),
                (Some(5000), None, "startupProbe tcpSocket :5000"),
            ]
        );
        let l = &c.listeners[0];
        assert_eq!(l.provenance.kind, ProvenanceKind::Probe);
        assert_eq!(l.certainty, Certainty::Stated);
        assert_eq!((l.protocol, l.bind.clone()), (Protocol::Tcp, None));
        assert_eq!(at(text, l.provenance.span), "http");
        let g = &t.units[0].containers[1].listeners;
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].app_protocol, Some(AppProtocol::Grpc));
        assert_eq!(g[0].provenance.detail, "livenessProbe grpc :9090");
        assert_eq!(
            messages(&t),
            [
                "`Pod p`: `spec.containers[1].readinessProbe.httpGet.port` names port `metrics`, which the container does not declare"
            ]
        );
        assert_eq!(at(text, t.diagnostics[0].span), "metrics");
    }

    #[test]
    fn env_value_from_env_from_and_command_expansion() {
        let text = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data:
  PORT: "6001"
  HOST: 0.0.0.0
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: python
      envFrom:
        - configMapRef: {name: settings}
          prefix: APP_
        - secretRef: {name: creds}
        - configMapRef: {name: elsewhere}
      env:
        - {name: PORT, valueFrom: {configMapKeyRef: {name: settings, key: PORT}}}
        - {name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}
        - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        - {name: BIND, value: "$(APP_HOST):$(PORT)"}
        - {name: WORKERS, value: 4}
      command: ["gunicorn", "-b", "$(BIND)", "--workers=$(WORKERS)"]
      args: ["$$(PORT)", "$(POD_IP)", "$(NOPE)", "app:app"]
"#;
        let t = load_text(text);
        let c = &t.units[0].containers[0];
        let env: Vec<(&str, Option<&str>)> = c
            .env
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_deref()))
            .collect();
        assert_eq!(
            env,
            [
                ("APP_PORT", Some("6001")),
                ("APP_HOST", Some("0.0.0.0")),
                ("PORT", Some("6001")),
                ("TOKEN", None),
                ("POD_IP", None),
                ("BIND", Some("0.0.0.0:6001")),
                ("WORKERS", Some("4")),
            ]
        );
        assert_eq!(at(text, c.env[2].span), "\"6001\"");
        assert_eq!(
            c.entrypoint,
            ["gunicorn", "-b", "0.0.0.0:6001", "--workers=4"]
        );
        assert_eq!(c.command, ["$(PORT)", "$(POD_IP)", "$(NOPE)", "app:app"]);
        assert_eq!(
            messages(&t),
            [
                "`Pod p`: `spec.containers[0].envFrom[1]` reads Secret `creds`; its variables are not read",
                "`Pod p`: `spec.containers[0].envFrom[2]` reads ConfigMap `elsewhere`, which is not in the manifests; its variables are unknown",
                "`Pod p`: `spec.containers[0].env[4].value` should be a string, not an integer (quote it)",
            ]
        );
        assert!(
            t.diagnostics
                .iter()
                .all(|d| d.severity == DiagSeverity::Warning)
        );
        assert_eq!(at(text, t.diagnostics[2].span), "4");
    }

    #[test]
    fn a_config_map_key_ref_outside_the_manifests_is_named() {
        let text = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: python
      env:
        - {name: PORT, valueFrom: {configMapKeyRef: {name: settings, key: PORT}}}
        - {name: OPT, valueFrom: {configMapKeyRef: {name: extra, key: OPT, optional: true}}}
"#;
        let t = load_text(text);
        let env: Vec<(&str, Option<&str>)> = t.units[0].containers[0]
            .env
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_deref()))
            .collect();
        assert_eq!(env, [("PORT", None), ("OPT", None)]);
        assert_eq!(
            messages(&t),
            [
                "`Pod p`: `spec.containers[0].env[0].valueFrom.configMapKeyRef` reads ConfigMap `settings`, which is not in the manifests; its value is unknown",
                "`Pod p`: `spec.containers[0].env[1].valueFrom.configMapKeyRef` reads ConfigMap `extra`, which is not in the manifests; its value is unknown",
            ]
        );
        assert_eq!(t.diagnostics[0].severity, DiagSeverity::Warning);
        assert_eq!(t.diagnostics[1].severity, DiagSeverity::Info);
        assert_eq!(at(text, t.diagnostics[0].span), "settings");
    }

    #[test]
    fn expansion_follows_the_kubelet() {
        let env = vec![
            EnvVar {
                name: "A".into(),
                value: Some("x".into()),
                span: None,
            },
            EnvVar {
                name: "U".into(),
                value: None,
                span: None,
            },
        ];
        for (input, want) in [
            ("$(A)", "x"),
            ("a$(A)b$(A)", "axbx"),
            ("$$(A)", "$(A)"),
            ("$$$(A)", "$x"),
            ("$(U)", "$(U)"),
            ("$(B)", "$(B)"),
            ("$(A", "$(A"),
            ("$", "$"),
            ("a$b", "a$b"),
            ("$é$(A)", "$éx"),
            ("$()", "$()"),
        ] {
            assert_eq!(expand(input, &env), want, "{input}");
        }
    }

    #[test]
    fn host_network_dns_policy_and_host_aliases() {
        let text = r#"apiVersion: apps/v1
kind: DaemonSet
metadata: {name: edge, namespace: ingress}
spec:
  template:
    spec:
      hostNetwork: true
      hostAliases:
        - ip: 10.0.0.5
          hostnames: [legacy, legacy.local]
      containers: [{name: nginx, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: withnet}
spec:
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: custom}
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [1.1.1.1]
    searches: [corp.example]
    options: [{name: ndots, value: "2"}]
  containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: node}
spec:
  dnsPolicy: Default
  containers: [{name: c, image: x}]
"#;
        let t = load_text(text);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        let edge = unit(&t, "edge-0");
        assert!(edge.host_network);
        assert!(edge.hostname.is_none());
        assert_eq!(t.networks[1].kind, NetworkKind::Host);
        assert_eq!(edge.addresses[0].network, NetworkId(1));
        assert!(edge.dns.search.is_empty() && edge.dns.nameservers.is_empty());
        let hosts: Vec<(&str, &str)> = edge
            .extra_hosts
            .iter()
            .map(|h| (h.name.as_str(), h.ip.as_str()))
            .collect();
        assert_eq!(
            hosts,
            [("legacy", "10.0.0.5"), ("legacy.local", "10.0.0.5")]
        );
        assert_eq!(at(text, edge.extra_hosts[1].span), "legacy.local");
        let withnet = unit(&t, "withnet");
        assert_eq!(withnet.dns.search[0], "default.svc.cluster.local");
        assert_eq!(withnet.addresses[0].network, NetworkId(1));
        let custom = unit(&t, "custom");
        assert_eq!(
            custom.dns.nameservers,
            ["1.1.1.1".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(custom.dns.search, ["corp.example"]);
        assert_eq!(custom.dns.ndots, 2);
        let node = unit(&t, "node");
        assert!(node.dns.search.is_empty());
        assert_eq!(node.addresses[0].network, NetworkId(0));
    }

    #[test]
    fn cluster_domain_and_namespace_come_from_the_options() {
        let opts = LoadOptions {
            namespace: Some("shop".into()),
            plan: addressing::PlanOverrides {
                cluster_domain: Some("k8s.internal".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let t = load_with(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  dnsConfig: {nameservers: [9.9.9.9]}\n  containers: [{name: c}]\n",
            &opts,
        );
        let u = &t.units[0];
        assert_eq!(
            u.dns.search,
            ["shop.svc.k8s.internal", "svc.k8s.internal", "k8s.internal"]
        );
        // Extra nameservers come after the cluster DNS server.
        assert_eq!(
            u.dns.nameservers,
            [
                "10.96.0.10".parse::<IpAddr>().unwrap(),
                "9.9.9.9".parse().unwrap()
            ]
        );
    }

    #[test]
    fn services_ports_selectors_and_kinds() {
        let text = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: api, tier: backend}}
    spec:
      containers:
        - name: api
          image: api
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: default, labels: {app: api, tier: backend}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports:
    - {name: web, port: 80, targetPort: http}
    - {port: 8443, targetPort: 8080, protocol: TCP}
    - {port: 9000}
---
apiVersion: v1
kind: Service
metadata: {name: api-node, namespace: shop}
spec:
  type: NodePort
  clusterIP: 10.96.100.100
  selector: {app: api, tier: backend}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec:
  type: ExternalName
  externalName: db.example.com
---
apiVersion: v1
kind: Service
metadata: {name: manual, namespace: shop}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: nothing, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: nope}
  ports: [{port: 80}]
"#;
        let t = load_text(text);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        let api = &t.services[0];
        assert_eq!((api.name.as_str(), api.namespace.as_str()), ("api", "shop"));
        assert_eq!(api.kind, ServiceKind::ClusterIp);
        assert_eq!(api.selected, [UnitId(0), UnitId(1)]);
        assert_eq!(at(text, api.selector_span), "selector");
        let p = &api.ports;
        assert_eq!(p[0].name.as_deref(), Some("web"));
        assert_eq!(p[0].target_port, TargetPort::Name("http".into()));
        assert_eq!(at(text, p[0].span), "80");
        assert_eq!(at(text, p[0].target_span), "http");
        assert_eq!(p[1].target_port, TargetPort::Number(8080));
        assert_eq!(at(text, p[1].span), "8443");
        assert_eq!(at(text, p[1].target_span), "8080");
        assert_eq!(p[2].target_port, TargetPort::Number(9000));
        assert!(p[2].target_span.is_none());
        let node = &t.services[1];
        assert_eq!(node.kind, ServiceKind::NodePort);
        assert_eq!(node.cluster_ip, Some("10.96.100.100".parse().unwrap()));
        assert_eq!(node.ip_origin, AddressOrigin::Declared);
        assert_eq!(node.ports[0].node_port, Some(30080));
        assert_eq!(node.selected, [UnitId(0), UnitId(1)]);
        assert_eq!(
            t.services[2].kind,
            ServiceKind::ExternalName("db.example.com".into())
        );
        assert!(t.services[3].selector.is_none() && t.services[3].selected.is_empty());
        assert_eq!(t.services[4].kind, ServiceKind::LoadBalancer);
        assert!(t.services[4].selector.is_some() && t.services[4].selected.is_empty());
        assert_eq!(at(text, t.services[4].span), "nothing");
    }

    #[test]
    fn lists_json_and_top_level_arrays() {
        let list = r#"apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a}
    spec: {containers: [{name: c, image: x}]}
  - apiVersion: v1
    kind: Service
    metadata: {name: a}
    spec: {ports: [{port: 80}]}
"#;
        let t = load_text(list);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        assert_eq!((t.units.len(), t.services.len()), (1, 1));
        let json = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"},
 "spec": {"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}]}}"#;
        let t = load_text(json);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        assert_eq!(at(json, t.units[0].containers[0].ports[0].span), "8080");
        assert_eq!(at(json, t.units[0].span), "\"j\"");
        let array = format!("[{json}, {json}]");
        let t = load_text(&array);
        assert_eq!(t.units.len(), 1);
        assert_eq!(t.diagnostics.len(), 1, "the duplicate is reported");
    }

    #[test]
    fn unknown_kinds_and_foreign_groups_are_ignored() {
        let text = r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: web}
spec: {template: {spec: {containers: [{image: x}]}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
"#;
        let t = load_text(text);
        assert!(t.services.is_empty() && t.units.is_empty());
        assert_eq!(
            messages(&t),
            [
                "`Service` of `apiVersion: serving.knative.dev/v1` is not the Kubernetes kind (`v1`); ignored"
            ]
        );
        assert_eq!(t.diagnostics[0].severity, DiagSeverity::Info);
    }

    #[test]
    fn broken_documents_are_located_errors() {
        let text = "- just\n- a list\n---\nhello\n---\napiVersion: v1\nkind: Service\nspec: {}\n---\nfoo: bar\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: {a: b}\n";
        let t = load_text(text);
        let got: Vec<(DiagSeverity, &str, String)> = t
            .diagnostics
            .iter()
            .map(|d| (d.severity, at(text, d.span), d.message.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (DiagSeverity::Error, "just", "a Kubernetes manifest should be a mapping with `apiVersion` and `kind`, not a string".into()),
                (DiagSeverity::Error, "a list", "a Kubernetes manifest should be a mapping with `apiVersion` and `kind`, not a string".into()),
                (DiagSeverity::Error, "hello", "a Kubernetes manifest should be a mapping with `apiVersion` and `kind`, not a string".into()),
                (DiagSeverity::Error, "Service", "a `Service` without `metadata.name` cannot be applied; skipped".into()),
                (DiagSeverity::Warning, "foo", "a document without `apiVersion` and `kind` is not a Kubernetes object; skipped".into()),
                (DiagSeverity::Error, "metadata", "a `Deployment` without `metadata.name` cannot be applied; skipped".into()),
            ]
        );
    }

    #[test]
    fn yaml_errors_and_alias_bombs_do_not_panic() {
        let t = load_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p\n");
        assert_eq!(t.diagnostics.len(), 1);
        assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
        assert!(
            t.diagnostics[0]
                .message
                .starts_with("cannot read `k8s.yaml` as YAML: ")
        );
        let mut bomb = String::from(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n",
        );
        for i in 1..10 {
            let p = i - 1;
            bomb +=
                &format!("  a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n");
        }
        let t = load_text(&bomb);
        assert_eq!(t.diagnostics.len(), 1);
        assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
        let t = load_text(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels:\n{{ toYaml .Values.labels | indent 4 }}\n",
        );
        assert!(
            t.diagnostics[0]
                .message
                .ends_with("(Helm templates must be rendered first, e.g. with `helm template`)")
        );
    }

    #[test]
    fn wrong_types_are_located_warnings_and_the_rest_loads() {
        let text = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: three
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: "yes"
      containers:
        - name: app
          image: [nginx]
          ports:
            - containerPort: "8080"
            - containerPort: 70000
            - name: x
            - 8081
          env: {A: b}
"#;
        let t = load_text(text);
        let got: Vec<(&str, String)> = t
            .diagnostics
            .iter()
            .map(|d| (at(text, d.span), d.message.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("three", "`Deployment web`: `spec.replicas` should be an integer, not a string".into()),
                ("matchLabels", "`Deployment web`: the selector does not match the pod template labels (missing app=other); the API server rejects it".into()),
                ("\"yes\"", "`Deployment web`: `spec.template.spec.hostNetwork` should be a boolean, not a string".into()),
                ("nginx", "`Deployment web`: `spec.template.spec.containers[0].image` should be a string, not a list".into()),
                ("A", "`Deployment web`: `spec.template.spec.containers[0].env` should be a list, not a mapping".into()),
                ("\"8080\"", "`Deployment web`: `spec.template.spec.containers[0].ports[0].containerPort` should be an integer, not a string".into()),
                ("70000", "`Deployment web`: `spec.template.spec.containers[0].ports[1].containerPort` should be a port number (1-65535), not 70000".into()),
                ("name", "`Deployment web`: `spec.template.spec.containers[0].ports[2]` has no `containerPort`".into()),
                ("8081", "`Deployment web`: `spec.template.spec.containers[0].ports[3]` should be a mapping, not an integer".into()),
            ]
        );
        assert!(
            t.diagnostics
                .iter()
                .all(|d| d.severity == DiagSeverity::Warning)
        );
        let u = &t.units[0];
        assert_eq!(u.name, "web-0");
        assert!(!u.host_network);
        assert_eq!(u.containers[0].ports.len(), 1);
        assert_eq!(u.containers[0].ports[0].container_port, 8080);
    }

    #[test]
    fn duplicates_replicas_zero_and_governing_services() {
        let text = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {k: old}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {k: new}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: off}
spec:
  replicas: 0
  template: {spec: {containers: [{name: c, image: x}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db-hl
  template: {spec: {containers: [{name: c, image: x, env: [{name: K, valueFrom: {configMapKeyRef: {name: c, key: k}}}]}]}}
---
apiVersion: v1
kind: Service
metadata: {name: db-hl}
spec: {ports: [{port: 5432}]}
"#;
        let t = load_text(text);
        assert_eq!(
            messages(&t),
            [
                "`ConfigMap c` is defined again at k8s.yaml:8; the later definition wins",
                "`Deployment off` has `replicas: 0`: it runs no pods, so nothing it serves is reachable",
                "`StatefulSet db`: Service `db-hl` named by `spec.serviceName` is not headless (`clusterIP: None`), so pod names like `…-0.db-hl` do not resolve",
            ]
        );
        assert_eq!(at(text, t.diagnostics[2].span), "db-hl");
        assert_eq!(t.units.len(), 1);
        assert_eq!(
            t.units[0].containers[0].env[0].value.as_deref(),
            Some("new")
        );
    }

    #[test]
    fn volume_kinds_and_mount_options() {
        let text = r#"apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: x
      volumeMounts:
        - {name: sock, mountPath: /run/app}
        - {name: data, mountPath: /data, readOnly: true, subPath: sub}
        - {name: certs, mountPath: /certs}
        - {name: host, mountPath: /host}
        - {name: proj, mountPath: /proj}
        - {name: ghost, mountPath: /ghost}
    - name: nginx
      image: nginx
      volumeMounts: [{name: sock, mountPath: /run/app}]
  volumes:
    - {name: sock, emptyDir: {}}
    - {name: data, persistentVolumeClaim: {claimName: pvc}}
    - {name: certs, secret: {secretName: tls}}
    - {name: host, hostPath: {path: /var/run}}
    - name: proj
      projected: {sources: [{serviceAccountToken: {path: token}}]}
"#;
        let t = load_text(text);
        let kinds: Vec<(&str, &VolumeKind)> = t
            .volumes
            .iter()
            .map(|v| (v.name.as_str(), &v.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("sock", &VolumeKind::EmptyDir),
                ("data", &VolumeKind::Named),
                ("certs", &VolumeKind::Secret("tls".into())),
                ("host", &VolumeKind::Bind("/var/run".into())),
                ("proj", &VolumeKind::Other),
            ]
        );
        assert_eq!(at(text, t.volumes[0].span), "sock");
        let m = &t.units[0].containers[0].mounts;
        assert_eq!(m.len(), 5);
        assert_eq!(
            (m[1].read_only, m[1].sub_path.as_deref()),
            (true, Some("sub"))
        );
        assert!(!m[0].read_only && m[2].read_only);
        assert_eq!(t.units[0].containers[1].mounts[0].volume, 0);
        assert_eq!(
            messages(&t),
            [
                "`Pod p`: `spec.containers[0].volumeMounts[5]` mounts volume `ghost`, which the pod does not declare"
            ]
        );
    }

    #[test]
    fn replicas_are_capped() {
        let t = load_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  replicas: 500\n  template: {spec: {containers: [{name: c}]}}\n",
        );
        assert_eq!(t.units.len(), MAX_PODS_PER_WORKLOAD as usize);
        assert_eq!(t.units.last().map(|u| u.name.as_str()), Some("big-63"));
        assert_eq!(
            messages(&t),
            ["`Deployment big` has 500 replicas; the first 64 pods are modelled"]
        );
    }
}

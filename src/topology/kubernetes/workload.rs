//! Workloads (Pods, Deployments, ReplicaSets, ReplicationControllers,
//! StatefulSets, DaemonSets, Jobs, CronJobs) into pods: where each kind
//! keeps its pod template, how many replicas it runs, its selector, a
//! StatefulSet's claim templates and governing Service, and one unit per
//! pod with its network, volumes and name.

use super::pod::{PodTemplate, TemplateVolume};
use super::*;

impl Loader<'_> {
    /// Reads an object that runs pods and adds one unit per pod.
    pub(super) fn workload(&mut self, o: &Obj) {
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
        let (replicas, replicas_span) = match o.kind {
            Kind::Deployment
            | Kind::ReplicaSet
            | Kind::ReplicationController
            | Kind::StatefulSet => match self.r.int(l, spec, "spec", "replicas") {
                None => (1, None),
                Some((n, span)) if n < 0 => {
                    self.r.warn(
                        span,
                        format!("`{l}`: `spec.replicas` should not be negative, not {n}"),
                    );
                    (1, Some(span))
                }
                Some((0, span)) => {
                    self.r.warn(
                            span,
                            format!("`{l}` has `replicas: 0`: it runs no pods, so nothing it serves is reachable"),
                        );
                    (0, Some(span))
                }
                Some((n, span)) if n > MAX_PODS_PER_WORKLOAD => {
                    self.r.push(
                            DiagSeverity::Info,
                            Some(span),
                            format!(
                                "`{l}` has {n} replicas; the first {MAX_PODS_PER_WORKLOAD} pods are modelled"
                            ),
                        );
                    (MAX_PODS_PER_WORKLOAD, Some(span))
                }
                Some((n, span)) => (n, Some(span)),
            },
            _ => (1, None),
        };
        self.check_units(o, replicas as usize, replicas_span);
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

    /// Reports, once, the workload whose pods cross the units budget
    /// ([`crate::budget::Budgets::max_units`]): an error at its replicas
    /// (or its name), so the manifests are refused rather than modelled in
    /// part.
    fn check_units(&mut self, o: &Obj, pods: usize, replicas_span: Option<Span>) {
        let max = self.opts.budgets.max_units;
        let left = max.saturating_sub(self.topo.units.len());
        if pods <= left || self.pods_capped {
            return;
        }
        self.pods_capped = true;
        self.r.error(
            replicas_span.unwrap_or(o.name_span),
            format!(
                "`{}` makes the manifests' pods more than the {max} units upcheck models (max_units); its pods past the first {left} and later workloads' are not modelled",
                o.label()
            ),
        );
    }

    /// Adds one pod of a template; false once the units budget is reached.
    fn instantiate(&mut self, o: &Obj, t: &PodTemplate, index: u32, name: String) -> bool {
        if self.topo.units.len() >= self.opts.budgets.max_units {
            return false;
        }
        let uid = UnitId(self.topo.units.len());
        let base = self.topo.volumes.len();
        for v in &t.volumes {
            let volume = Volume::new(v.name.clone(), v.kind.clone(), v.span).of(uid);
            self.topo.volumes.push(volume);
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
                self.topo
                    .networks
                    .push(Network::modelled(NetworkKind::Host));
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
        // The name cluster DNS gives the pod when a headless Service named
        // like its subdomain selects it (decided once Services are read).
        let pod_names: Vec<String> = match (&hostname, &t.subdomain) {
            (Some(h), Some(sub)) => vec![format!("{h}.{sub}.{}.svc.{}", o.namespace, self.domain)],
            _ => Vec::new(),
        };
        let unit_name = if self.topo.units.iter().any(|u| u.name == name) {
            format!("{}/{name}", o.namespace)
        } else {
            name
        };
        let kind = UnitKind::Pod {
            workload_kind: o.kind.as_str().into(),
            workload: o.name.clone(),
            namespace: o.namespace.clone(),
            index,
        };
        let unit = Unit::new(unit_name, kind, Some(o.name_span))
            .containers(containers)
            .addresses(vec![Address::modelled(network).names(pod_names)])
            .labels(labels)
            .hostname(hostname)
            .host_network(t.host_network)
            .extra_hosts(t.extra_hosts.clone())
            .dns(t.dns.clone());
        self.topo.units.push(unit);
        true
    }
}

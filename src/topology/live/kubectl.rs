//! `kubectl get -o json` output: the Kubernetes loader reads the objects
//! as manifests (EndpointSlices and Endpoints too, when the dump lists
//! them: `kubectl get pods,svc,cm,endpointslices -o json`), then what the
//! live objects say (pod IPs, ClusterIPs, owners, phases) is laid over the
//! pods and Services it modelled.

use super::*;
use crate::topology::addressing::PlanOverrides;
use crate::topology::read::{Dialect, Reader};
use crate::topology::yaml::{self, Node, Value};
use ipnet::Ipv4Net;
use std::collections::HashMap;
use std::net::IpAddr;

/// What a live object says beyond its manifest.
struct LivePod {
    /// It carries `status` or a `uid` (a live object, not a manifest).
    live: bool,
    ip: Option<(IpAddr, Span)>,
    phase: Option<String>,
    owner: Option<(String, String)>,
    span: Span,
}

/// Loads `kubectl get pods,svc,cm -o json` output: the Kubernetes loader
/// reads the objects, then the observed addresses and owners are laid over
/// them. An observed `kube-system/kube-dns` ClusterIP becomes the cluster
/// DNS address of `plan` unless the caller set one.
pub fn load_kubectl(
    sources: &SourceMap,
    files: &[FileId],
    opts: &LoadOptions,
    plan: &mut PlanOverrides,
) -> Topology {
    let mut topo = kubernetes::load(sources, files, opts);
    let mut r = Reader::new(Dialect::JSON);
    let default_ns = opts.namespace.clone().unwrap_or_else(|| "default".into());
    let mut pods: HashMap<(String, String), LivePod> = HashMap::new();
    let mut services: HashMap<(String, String), Span> = HashMap::new();
    let mut any_status = false;
    let mut any_slices = false;
    for &f in files {
        // Errors were reported by the Kubernetes loader.
        let Ok(docs) = yaml::parse_documents(f, sources.get(f)) else {
            continue;
        };
        let mut items: Vec<&Node> = Vec::new();
        for d in &docs {
            collect(d, 0, &mut items);
        }
        for item in items {
            let kind = item.get("kind").and_then(Node::as_str);
            let meta = item.get("metadata");
            let Some((name, name_span)) = meta
                .and_then(|m| m.get("name"))
                .and_then(|n| n.as_str().map(|s| (s, n.span)))
            else {
                continue;
            };
            let ns = meta
                .and_then(|m| m.get("namespace"))
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or(&default_ns)
                .to_string();
            let status = Reader::child(item, "status");
            let live = status.is_some()
                || meta
                    .is_some_and(|m| m.get("uid").is_some() || m.get("resourceVersion").is_some());
            any_status |= status.is_some();
            match kind {
                Some("Pod") => {
                    let label = format!("Pod {name}");
                    let ip = status.and_then(|s| {
                        let (ip, span) = r.str(&label, s, "status", "podIP")?;
                        r.parse_ip(&label, "status.podIP", ip, span)
                            .map(|ip| (ip, span))
                    });
                    let phase = status
                        .and_then(|s| r.str(&label, s, "status", "phase"))
                        .map(|p| p.0.to_string());
                    let owner = meta.and_then(|m| owner(&mut r, &label, m));
                    pods.insert(
                        (ns, name.to_string()),
                        LivePod {
                            live,
                            ip,
                            phase,
                            owner,
                            span: name_span,
                        },
                    );
                }
                Some("Service") if live => {
                    services.insert((ns, name.to_string()), name_span);
                }
                Some("EndpointSlice" | "Endpoints") => any_slices = true,
                _ => {}
            }
        }
    }
    if !any_status && !topo.units.is_empty() {
        r.push(
            DiagSeverity::Info,
            None,
            "the kubectl dump has no `status`: no address was observed (was it `kubectl get -o json` of live objects?)".into(),
        );
    }
    // `kubectl get all` lists Deployments, ReplicaSets, StatefulSets… beside
    // their pods: the live pods are what runs, so the pods modelled from
    // workload templates are not added again.
    let live_pods = pods.values().any(|p| p.live);
    let from_templates: Vec<String> = topo
        .units
        .iter()
        .filter_map(|u| match &u.kind {
            UnitKind::Pod {
                workload_kind,
                workload,
                namespace,
                ..
            } if workload_kind != "Pod" => Some(format!("{workload_kind} {namespace}/{workload}")),
            _ => None,
        })
        .fold(Vec::new(), |mut acc, w| {
            if !acc.contains(&w) {
                acc.push(w);
            }
            acc
        });
    if live_pods && !from_templates.is_empty() {
        let keep: Vec<bool> = topo
            .units
            .iter()
            .map(|u| {
                matches!(&u.kind, UnitKind::Pod { workload_kind, .. } if workload_kind == "Pod")
                    || !matches!(u.kind, UnitKind::Pod { .. })
            })
            .collect();
        retain_units(&mut topo, &keep);
        r.push(
            DiagSeverity::Info,
            None,
            format!(
                "the dump lists live pods, so the pod templates of {} are not modelled as well",
                from_templates.join(", ")
            ),
        );
    }
    let mut outside_pods: Option<(IpAddr, Span)> = None;
    let pod_cidr = plan
        .pod_cidr
        .unwrap_or_else(|| "10.244.0.0/16".parse().expect("constant"));
    for u in &mut topo.units {
        let UnitKind::Pod {
            workload_kind,
            workload,
            namespace,
            index,
        } = &mut u.kind
        else {
            continue;
        };
        if workload_kind != "Pod" {
            continue;
        }
        let Some(live) = pods.get(&(namespace.clone(), workload.clone())) else {
            continue;
        };
        if let Some((kind, owner)) = &live.owner {
            if kind == "StatefulSet"
                && let Some(n) = workload
                    .strip_prefix(owner.as_str())
                    .and_then(|s| s.strip_prefix('-'))
                    .and_then(|s| s.parse::<u32>().ok())
            {
                *index = n;
            }
            *workload_kind = kind.clone();
            *workload = owner.clone();
        }
        match live.ip {
            Some((ip, span)) => {
                for a in &mut u.addresses {
                    a.ip = Some(ip);
                    a.origin = AddressOrigin::Observed;
                    a.span = Some(span);
                }
                if let IpAddr::V4(v4) = ip
                    && !u.host_network
                    && !pod_cidr.contains(&v4)
                    && outside_pods.is_none()
                {
                    outside_pods = Some((ip, span));
                }
            }
            None => r.info(
                live.span,
                format!(
                    "pod `{}` is {} and has no IP yet; its address is modelled",
                    u.name,
                    live.phase.as_deref().unwrap_or("not running")
                ),
            ),
        }
    }
    if let Some((ip, span)) = outside_pods {
        r.info(
            span,
            format!(
                "observed pod address {ip} is outside the modelled pod CIDR {pod_cidr}; pass the cluster's pod CIDR to label the plan correctly"
            ),
        );
    }
    for s in &mut topo.services {
        if s.cluster_ip.is_some() && services.contains_key(&(s.namespace.clone(), s.name.clone())) {
            s.ip_origin = AddressOrigin::Observed;
        }
        // A dump without them (`kubectl get all`) says nothing of the
        // endpoints of a selector-less Service.
        s.slices_read = any_slices;
    }
    let kube_dns = topo.services.iter().find(|s| {
        s.namespace == "kube-system"
            && s.name == "kube-dns"
            && s.ip_origin == AddressOrigin::Observed
    });
    if let Some(IpAddr::V4(ip)) = kube_dns.and_then(|s| s.cluster_ip)
        && plan.dns_ip.is_none()
    {
        plan.dns_ip = Some(ip);
    }
    let service_cidr: Ipv4Net = plan
        .service_cidr
        .unwrap_or_else(|| "10.96.0.0/12".parse().expect("constant"));
    if let Some(s) = topo.services.iter().find(|s| {
        s.ip_origin == AddressOrigin::Observed
            && matches!(s.cluster_ip, Some(IpAddr::V4(v)) if !service_cidr.contains(&v))
    }) && let Some(ip) = s.cluster_ip
    {
        r.push(
            DiagSeverity::Info,
            s.span,
            format!(
                "observed ClusterIP {ip} of `{}/{}` is outside the modelled service CIDR {service_cidr}; pass the cluster's service CIDR to label the plan correctly",
                s.namespace, s.name
            ),
        );
    }
    topo.diagnostics.extend(r.sorted());
    topo
}

/// Keeps the units marked in `keep`, with the volumes and files that belong
/// to them, renumbering every reference.
fn retain_units(topo: &mut Topology, keep: &[bool]) {
    let mut unit_map = vec![None; keep.len()];
    let mut next = 0;
    for (i, k) in keep.iter().enumerate() {
        if *k {
            unit_map[i] = Some(UnitId(next));
            next += 1;
        }
    }
    let volumes = std::mem::take(&mut topo.volumes);
    let mut volume_map = vec![None; volumes.len()];
    for (i, mut v) in volumes.into_iter().enumerate() {
        if let Some(u) = v.unit {
            match unit_map[u.0] {
                Some(n) => v.unit = Some(n),
                None => continue,
            }
        }
        volume_map[i] = Some(topo.volumes.len());
        topo.volumes.push(v);
    }
    let units = std::mem::take(&mut topo.units);
    for (mut u, k) in units.into_iter().zip(keep) {
        if !*k {
            continue;
        }
        for c in &mut u.containers {
            c.mounts.retain_mut(|m| match volume_map[m.volume] {
                Some(n) => {
                    m.volume = n;
                    true
                }
                None => false,
            });
        }
        topo.units.push(u);
    }
    topo.mounted_files.retain_mut(|f| match unit_map[f.unit.0] {
        Some(n) => {
            f.unit = n;
            true
        }
        None => false,
    });
    for s in &mut topo.services {
        s.selected = s.selected.iter().filter_map(|u| unit_map[u.0]).collect();
        for e in s.slices.iter_mut().flat_map(|x| &mut x.endpoints) {
            e.pod = e.pod.and_then(|u| unit_map[u.0]);
        }
    }
}

/// Items of a document: itself, `List` items, top-level array elements.
fn collect<'a>(doc: &'a Node, depth: usize, out: &mut Vec<&'a Node>) {
    if depth > 4 {
        return;
    }
    match &doc.value {
        Value::Seq(items) if depth == 0 => {
            for i in items {
                collect(i, depth + 1, out);
            }
        }
        Value::Map(_) => {
            let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
            if kind == "List" || kind.ends_with("List") && doc.get("items").is_some() {
                for i in doc.get("items").map(Node::items).unwrap_or(&[]) {
                    collect(i, depth + 1, out);
                }
            } else {
                out.push(doc);
            }
        }
        _ => {}
    }
}

/// The workload that owns a pod: its controller owner, with a ReplicaSet
/// made by a Deployment read as that Deployment.
fn owner(r: &mut Reader, label: &str, meta: &Node) -> Option<(String, String)> {
    let owners = r.seq(label, meta, "metadata", "ownerReferences");
    let o = owners
        .iter()
        .find(|o| o.get("controller").and_then(Node::as_bool) == Some(true))
        .or(owners.first())?;
    let kind = o.get("kind").and_then(Node::as_str)?;
    let name = o.get("name").and_then(Node::as_str)?;
    if kind == "ReplicaSet" {
        let hash = meta
            .get("labels")
            .and_then(|l| l.get("pod-template-hash"))
            .and_then(Node::as_str);
        if let Some(dep) = hash.and_then(|h| name.strip_suffix(h)?.strip_suffix('-')) {
            return Some(("Deployment".into(), dep.to_string()));
        }
    }
    Some((kind.to_string(), name.to_string()))
}

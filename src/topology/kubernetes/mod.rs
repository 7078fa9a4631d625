//! Kubernetes manifests (YAML or JSON, multi-document, `kind: List`) into a
//! [`Topology`]: one unit per pod of every workload, with its containers
//! (init containers and native sidecars included, as they share the pod's
//! network namespace), ports, probe listeners, env, command, DNS policy,
//! `hostAliases`, volumes and mounts; Services with their selectors and the
//! pods they select, and the EndpointSlices (or legacy `Endpoints`) they
//! use; ConfigMap data mounted into containers as files (an
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

mod configmap;
mod endpoints;
mod objects;
mod pod;
mod policy;
mod service;
#[cfg(test)]
mod tests;
mod workload;

pub(crate) use pod::cluster_dns;
pub(crate) use service::{PodIndex, PortKeys, external_name, service_ports};

use super::read::{Dialect, Reader};
use super::yaml::{self, Node};
use super::*;
use configmap::ConfigMapData;
use objects::{Kind, Obj};
use std::collections::HashMap;

/// Pods modelled per workload; replicas beyond are identical and only cost work.
pub const MAX_PODS_PER_WORKLOAD: i64 = 64;

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
    let mut slices = Vec::new();
    for o in &objects {
        match o.kind {
            Kind::EndpointSlice => slices.extend(ld.endpoint_slice(o)),
            Kind::Endpoints => slices.extend(ld.legacy_endpoints(o)),
            _ => {}
        }
    }
    ld.attach_slices(slices);
    for o in objects.iter().filter(|o| o.kind == Kind::NetworkPolicy) {
        ld.network_policy(o);
    }
    ld.check_governing_services();
    let mut topo = ld.topo;
    topo.diagnostics = ld.r.diagnostics();
    topo
}

/// Where a Kubernetes object's text is and what to call it in messages.
struct Cx<'a> {
    label: &'a str,
    namespace: &'a str,
}

/// The loader's state: the topology so far, its diagnostics and the
/// ConfigMaps read.
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
    /// The units budget was crossed (and reported).
    pods_capped: bool,
    /// Bytes `$(VAR)` expansion may still add in this load.
    expand_left: usize,
    /// The expansion budget was crossed (and reported).
    expand_refused: bool,
    /// The pods by label, built at the first selector (after the workloads).
    pods: Option<service::PodIndex>,
}

impl<'s> Loader<'s> {
    fn new(sources: &'s SourceMap, opts: &'s LoadOptions) -> Loader<'s> {
        let mut topo = empty(Platform::Kubernetes);
        topo.networks.push(Network::modelled(NetworkKind::Pod));
        Loader {
            sources,
            opts,
            domain: opts
                .plan
                .cluster_domain
                .clone()
                .unwrap_or_else(|| DEFAULT_CLUSTER_DOMAIN.into()),
            topo,
            r: Reader::new(Dialect::MANIFEST),
            config_maps: HashMap::new(),
            pod_network: NetworkId(0),
            host_network: None,
            governing: Vec::new(),
            pods_capped: false,
            expand_left: opts.budgets.max_expanded_bytes,
            expand_refused: false,
            pods: None,
        }
    }

    /// The pods of `namespace` a label selector selects, in unit order (an
    /// empty selector: every pod of the namespace). Asked once the
    /// workloads are read: the index is built at the first question.
    fn selected(&mut self, namespace: &str, selector: &BTreeMap<String, String>) -> Vec<UnitId> {
        let units = &self.topo.units;
        let index = self
            .pods
            .get_or_insert_with(|| service::PodIndex::of(units));
        index.selected(units, namespace, selector)
    }

    fn default_namespace(&self) -> String {
        self.opts
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into())
    }
}

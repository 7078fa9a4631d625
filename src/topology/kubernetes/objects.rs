//! The objects in the manifests: documents, `List` items and top-level
//! arrays are unpacked, each object's `apiVersion`, `kind` and `metadata`
//! (name, namespace) read, and the last definition of an object kept, as
//! `kubectl apply` would.

use super::*;
use crate::topology::read::anchor;

/// The kinds this loader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
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
    NetworkPolicy,
    EndpointSlice,
    Endpoints,
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
            "NetworkPolicy" => (Kind::NetworkPolicy, &["networking.k8s.io"]),
            "EndpointSlice" => (Kind::EndpointSlice, &["discovery.k8s.io"]),
            "Endpoints" => (Kind::Endpoints, &[""]),
            _ => return None,
        };
        Some(if groups.contains(&group) {
            Ok(k)
        } else if groups[0].is_empty() {
            Err("v1")
        } else if groups[0] == "batch" {
            Err("batch/v1")
        } else if groups[0] == "networking.k8s.io" {
            Err("networking.k8s.io/v1")
        } else if groups[0] == "discovery.k8s.io" {
            Err("discovery.k8s.io/v1")
        } else {
            Err("apps/v1")
        })
    }

    /// The kind as manifests spell it.
    pub(super) fn as_str(self) -> &'static str {
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
            Kind::NetworkPolicy => "NetworkPolicy",
            Kind::EndpointSlice => "EndpointSlice",
            Kind::Endpoints => "Endpoints",
        }
    }

    /// True for the workload kinds, which run pods.
    pub(super) fn has_pods(self) -> bool {
        !matches!(
            self,
            Kind::Service
                | Kind::ConfigMap
                | Kind::NetworkPolicy
                | Kind::EndpointSlice
                | Kind::Endpoints
        )
    }
}

/// One object of a known kind, found in the manifests.
pub(super) struct Obj<'a> {
    pub(super) kind: Kind,
    pub(super) name: String,
    pub(super) name_span: Span,
    pub(super) namespace: String,
    pub(super) node: &'a Node,
}

impl Obj<'_> {
    /// `Deployment web`, as messages name it.
    pub(super) fn label(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.name)
    }
}

impl Loader<'_> {
    /// Finds the objects in a document: itself, the items of a `List`, or
    /// the elements of a top-level JSON array.
    pub(super) fn collect<'a>(&mut self, doc: &'a Node, depth: usize, out: &mut Vec<Obj<'a>>) {
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
    pub(super) fn dedupe<'a>(&mut self, objects: Vec<Obj<'a>>) -> Vec<Obj<'a>> {
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
}

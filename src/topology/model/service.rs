//! Kubernetes Services: their kind, ports and target ports.

use super::*;

/// Kubernetes Service type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ServiceKind {
    /// A virtual ClusterIP.
    ClusterIp,
    /// `clusterIP: None`: DNS returns pod IPs, no port translation.
    Headless,
    /// ClusterIP plus a port on every node.
    NodePort,
    /// NodePort plus an external load balancer.
    LoadBalancer,
    /// A DNS CNAME to an outside name; no proxying.
    ExternalName(String),
}

/// `targetPort` of a Service port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TargetPort {
    /// A port number.
    Number(u16),
    /// A named containerPort.
    Name(String),
}

impl TargetPort {
    /// The port this target stands for in `unit`: the number, or the
    /// container port the name names there.
    pub fn in_unit(&self, unit: &Unit) -> Option<u16> {
        match self {
            TargetPort::Number(n) => Some(*n),
            TargetPort::Name(name) => unit.named_port(name),
        }
    }
}

/// One port of a Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePort {
    /// Port name.
    pub name: Option<String>,
    /// The port clients connect to.
    pub port: u16,
    /// Where traffic goes in the pods (defaults to `port`).
    pub target_port: TargetPort,
    /// The node port, for NodePort/LoadBalancer.
    pub node_port: Option<u16>,
    /// Protocol.
    pub protocol: Protocol,
    /// Where `port` is written.
    pub span: Option<Span>,
    /// Where `targetPort` is written (when it is).
    pub target_span: Option<Span>,
}

/// A Kubernetes Service.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Type.
    pub kind: ServiceKind,
    /// ClusterIP (modelled or observed); `None` for headless/ExternalName.
    pub cluster_ip: Option<IpAddr>,
    /// Where the ClusterIP came from.
    pub ip_origin: AddressOrigin,
    /// Label selector; `None` for selector-less Services (endpoints managed elsewhere).
    pub selector: Option<BTreeMap<String, String>>,
    /// Ports.
    pub ports: Vec<ServicePort>,
    /// Units (pods) the selector matches, in the same namespace.
    pub selected: Vec<UnitId>,
    /// Where declared.
    pub span: Option<Span>,
    /// Where the selector is written.
    pub selector_span: Option<Span>,
    /// `internalTrafficPolicy: Local`: a pod's traffic goes only to
    /// endpoints on its own node, and nodes are not modelled.
    pub node_local: bool,
    /// The EndpointSlices kube-proxy uses for it beyond those its selector
    /// makes: every slice for a selector-less Service (legacy `Endpoints`
    /// mirrored), hand-made ones beside a selector.
    pub slices: Vec<crate::topology::endpoints::EndpointSlice>,
    /// Whether the input could carry its EndpointSlices: Kubernetes
    /// manifests, or a kubectl dump that lists some. A native model or a
    /// dump without them says nothing of a selector-less Service's
    /// endpoints.
    pub slices_read: bool,
}

//! Live dumps: what a running system says about itself.
//!
//! - `docker inspect` output (a JSON array of containers, or one container
//!   object from `--format '{{json .}}'`) becomes a compose-platform
//!   topology: one unit per container (a [`UnitKind::ComposeService`] when
//!   the `com.docker.compose.*` labels are there, else a
//!   [`UnitKind::DockerContainer`]), `container:<id>` network modes joining
//!   the owner's unit, `host` mode containers in one host unit; networks
//!   with the subnet and gateway the containers report; addresses
//!   [`AddressOrigin::Observed`] with the names Docker's DNS answers
//!   (`DNSNames`, `Aliases`, the container name); `ExposedPorts` as
//!   [`PortKind::ImageExposed`], port bindings as published ports; mounts as
//!   volumes (the same volume `Name` or bind `Source` is one shared volume).
//! - `kubectl get pods,svc,cm,endpointslices -o json` output (a `List`
//!   whose items carry `status`) is read by the Kubernetes loader unchanged
//!   — pods, Services, ConfigMaps and EndpointSlices are ordinary manifests
//!   there; a dump with no EndpointSlice leaves a selector-less Service's
//!   endpoints unknown — and the live facts are
//!   laid over it: pod IPs (`status.podIP`) and ClusterIPs become
//!   [`AddressOrigin::Observed`], a pod's owner (`metadata.ownerReferences`)
//!   names its workload (a ReplicaSet with a `pod-template-hash` is read as
//!   its Deployment; StatefulSet pods keep their ordinal), an observed
//!   `kube-system/kube-dns` ClusterIP becomes the cluster DNS address, and
//!   when the dump lists live pods (`kubectl get all`), the pod templates of
//!   the workloads beside them are not modelled a second time.
//!
//! Observed addresses are kept by the address plan; what the dump does not
//! say (a stopped container, a pending pod) is modelled and labelled so.

mod docker;
mod kubectl;
#[cfg(test)]
mod tests;

pub use docker::load_docker;
pub use kubectl::load_kubectl;

use super::*;

/// Containers read from one set of `docker inspect` dumps, at most.
pub const MAX_CONTAINERS: usize = 2000;

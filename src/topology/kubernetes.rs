//! Kubernetes manifests (being written).
use super::*;
/// Loads Kubernetes manifests into a topology.
pub fn load(_sources: &SourceMap, _files: &[FileId], _opts: &LoadOptions) -> Topology {
    empty(Platform::Kubernetes)
}

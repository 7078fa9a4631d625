//! docker compose files (being written).
use super::*;
/// Loads compose files into a topology.
pub fn load(_sources: &SourceMap, _files: &[FileId], _opts: &LoadOptions) -> Topology {
    empty(Platform::Compose)
}

//! Listener inference (being written).
use super::model::Container;
/// Fills `c.listeners` from what the container declares and runs.
pub fn fill(_c: &mut Container) {}

//! SARIF 2.1.0 (being written).

use super::Report;

/// The SARIF log.
pub fn render(r: &Report) -> String {
    super::json::render(r)
}

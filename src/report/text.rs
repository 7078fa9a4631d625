//! Text for a terminal (being written).

use super::Report;

/// The text report.
pub fn render(r: &Report) -> String {
    super::markdown::render(r)
}

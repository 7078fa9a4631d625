//! The report as JSON: the contract other tools build on.

use super::Report;

/// Pretty-printed JSON of the report.
pub fn render(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("the report serializes")
}

//! The project name: from the options, `COMPOSE_PROJECT_NAME`, top-level
//! `name:` or the directory of the first file, normalised as compose-go's
//! `NormalizeProjectName`.

use super::assembly::Assembly;
use crate::topology::yaml::{Node, Value};

impl Assembly<'_> {
    /// The options' project, else `COMPOSE_PROJECT_NAME`, else top-level
    /// `name:`, else the project directory's name (given, or that of the
    /// first file), else `default`;
    /// lowercased to `[a-z0-9_-]` as compose does.
    pub(super) fn project_name(&self, model: Option<&Node>) -> String {
        let candidates = [
            self.opts.project.clone(),
            self.project_env.get("COMPOSE_PROJECT_NAME").cloned(),
            model
                .and_then(|m| m.get("name"))
                .filter(|n| matches!(n.value, Value::Str(_)))
                .and_then(|n| self.plain(n)),
            self.opts.project_dir.clone(),
            self.top
                .first()
                .or(self.compose.first())
                .and_then(|f| parent_basename(self.files.path(*f)).map(String::from)),
        ];
        candidates
            .into_iter()
            .flatten()
            .map(|c| normalize_project(&c))
            .find(|p| !p.is_empty())
            .unwrap_or_else(|| "default".to_string())
    }
}

/// compose-go `NormalizeProjectName`: lowercase, keep `[a-z0-9_-]`, no
/// leading `_` or `-`.
fn normalize_project(s: &str) -> String {
    let kept: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// The name of the directory holding `path`, as written (`a/b/compose.yml` → `b`).
fn parent_basename(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches(['/', '\\']);
    let cut = trimmed.rfind(['/', '\\'])?;
    let parent = trimmed[..cut].trim_end_matches(['/', '\\']);
    let base = match parent.rfind(['/', '\\']) {
        Some(i) => &parent[i + 1..],
        None => parent,
    };
    (!base.is_empty() && base != "." && base != "..").then_some(base)
}

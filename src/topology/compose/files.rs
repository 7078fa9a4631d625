//! Which submitted file is which: how the values of each compose file are
//! read (`FileCtx`: its variables, its directory, its path from the project
//! directory), the texts of compose files and env files (`Files`,
//! `EnvFileText`), path arithmetic, telling env files from compose files,
//! and the order of the `-f` files (a `compose.override.yaml` right after its
//! main file).

use super::assembly::Assembly;
use super::interpolate::Meter;
use crate::nginx::include::{dirname, normalize as normalize_path};
use crate::source::{FileId, SourceFile, Span};
use crate::topology::build::{Reference, ReferenceKind};
use crate::topology::read::entries;
use crate::topology::yaml::{Node, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How the values written in one compose file are read.
#[derive(Debug, Clone, Default)]
pub(super) struct FileCtx {
    /// Variables for `${VAR}` interpolation (the project's, or an included
    /// project's).
    pub(super) env: BTreeMap<String, String>,
    /// The directory its relative paths (`env_file`, `include`, `extends`)
    /// are resolved against: the project directory for `-f` files, the
    /// file's own directory for included and extended files.
    pub(super) dir: String,
    /// That directory relative to the project directory, prefixed to
    /// relative bind sources so they stay relative to the project.
    pub(super) rebase: String,
}

/// An env file: `KEY=VALUE` lines.
#[derive(Debug, Clone)]
pub(super) struct EnvFileText {
    pub(super) text: String,
    /// Its id when it is in the source map (spans can point into it).
    pub(super) file: Option<FileId>,
}

/// Everything the loader reads values through.
#[derive(Default)]
pub(super) struct Files {
    /// The text of every compose file.
    pub(super) texts: HashMap<FileId, String>,
    /// How each loaded compose file is read.
    pub(super) ctx: HashMap<FileId, FileCtx>,
    /// Env files by normalised path.
    pub(super) env_files: HashMap<String, EnvFileText>,
    /// Path of each compose file, as submitted.
    pub(super) paths: HashMap<FileId, String>,
    /// For a node of no known file.
    pub(super) none: FileCtx,
    /// Paths known not to exist in the project.
    pub(super) absent: std::collections::BTreeSet<String>,
    /// What interpolation may still cost in this project.
    pub(super) meter: Meter,
}

impl Files {
    /// The text of a compose file (empty for an unknown one).
    pub(super) fn text(&self, f: FileId) -> &str {
        self.texts.get(&f).map_or("", String::as_str)
    }

    /// How a compose file's values are read.
    pub(super) fn ctx(&self, f: FileId) -> &FileCtx {
        self.ctx.get(&f).unwrap_or(&self.none)
    }

    /// The path of a compose file, as submitted.
    pub(super) fn path(&self, f: FileId) -> &str {
        self.paths.get(&f).map_or("", String::as_str)
    }
}

/// `dir/rel`, normalised (`rel` as is when absolute).
pub(super) fn join_path(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') || dir.is_empty() {
        normalize_path(rel)
    } else {
        normalize_path(&format!("{dir}/{rel}"))
    }
}

/// The directory of a (normalised) path.
pub(super) fn dir_of(path: &str) -> String {
    dirname(&normalize_path(path)).to_string()
}

/// A relative host path written in a file whose paths are `rebase` away
/// from the project directory, as a path relative to the project.
pub(super) fn rebase_path(rebase: &str, source: &str) -> String {
    if rebase.is_empty() || source.starts_with('/') || source.starts_with('~') {
        source.to_string()
    } else {
        format!("{rebase}/{source}")
    }
}

/// The names compose gives an override file, and the main files it
/// overrides when it stands beside one.
const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// True for a file of `KEY=VALUE` lines rather than YAML: named `.env`,
/// `.env.*` or `*.env`, or whose every line is an assignment or a comment.
pub fn looks_like_env_file(src: &SourceFile) -> bool {
    let name = base_name(&src.path);
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return true;
    }
    let text = src.text();
    let mut assignments = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let name_len = line
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            .count();
        if name_len == 0 || !line.as_bytes()[0].is_ascii_alphabetic() && line.as_bytes()[0] != b'_'
        {
            return false;
        }
        match line[name_len..].trim_start().as_bytes().first() {
            Some(b'=') => assignments += 1,
            None => {}
            _ => return false,
        }
    }
    assignments > 0
}

impl Assembly<'_> {
    /// The `-f` files: every compose file that no other one includes or
    /// extends, in the order given, each `compose.override.yaml` moved
    /// right after the main file beside it.
    pub(super) fn top_files(&mut self) -> Vec<FileId> {
        let mut referenced: HashSet<FileId> = HashSet::new();
        for &f in &self.compose {
            let dir = dir_of(self.files.path(f));
            for doc in self.docs.get(&f).into_iter().flatten() {
                let mut refs: Vec<&Node> = Vec::new();
                for item in doc.get("include").map_or(&[][..], Node::items) {
                    match &item.value {
                        Value::Map(_) => match item.get("path") {
                            Some(p) if p.items().is_empty() => refs.push(p),
                            Some(p) => refs.extend(p.items()),
                            None => {}
                        },
                        _ => refs.push(item),
                    }
                }
                for (_, _, svc) in doc
                    .get("services")
                    .map_or_else(Vec::new, |s| entries(s).collect())
                {
                    if let Some(file) = svc.get("extends").and_then(|e| e.get("file")) {
                        refs.push(file);
                    }
                }
                for r in refs {
                    if let Some(p) = self.plain(r)
                        && let Some(&id) = self.by_path.get(&join_path(&dir, &p))
                        && id != f
                    {
                        referenced.insert(id);
                    }
                }
            }
        }
        let mut top: Vec<FileId> = self
            .compose
            .iter()
            .copied()
            .filter(|f| !referenced.contains(f))
            .collect();
        if top.is_empty() {
            top.extend(self.compose.first());
        }
        // `compose.override.yaml` goes right after the main file beside it.
        let is_override = |f: &FileId| OVERRIDE_NAMES.contains(&base_name(self.files.path(*f)));
        let overrides: Vec<FileId> = top.iter().copied().filter(is_override).collect();
        for o in overrides {
            let dir = dir_of(self.files.path(o));
            let main = top
                .iter()
                .rposition(|f| !is_override(f) && dir_of(self.files.path(*f)) == dir);
            if let Some(m) = main {
                let at = top.iter().position(|f| *f == o).expect("in the list");
                top.remove(at);
                let m = if at < m { m - 1 } else { m };
                top.insert(m + 1, o);
            }
        }
        top
    }

    /// The submitted compose file that `rel`, written in a file whose paths
    /// are relative to `dir`, names, with its normalised path. A file not
    /// submitted leaves the project incomplete and is an error at `span`,
    /// naming it as `what`.
    pub(super) fn submitted(
        &mut self,
        dir: &str,
        rel: &str,
        span: Span,
        what: impl FnOnce() -> String,
    ) -> Option<(FileId, String)> {
        let path = join_path(dir, rel);
        self.references
            .push(Reference::new(ReferenceKind::ComposeFile, path.clone()));
        if let Some(&id) = self.by_path.get(&path) {
            return Some((id, path));
        }
        self.incomplete = true;
        self.r.error(
            span,
            format!(
                "{} was not submitted: compose cannot load the project without it; submit it with the compose files",
                what()
            ),
        );
        None
    }

    /// Reads `file` with variables `env` and relative paths against `dir`
    /// (the first registration of a file stands), and counts it as loaded.
    pub(super) fn register(&mut self, file: FileId, env: BTreeMap<String, String>, dir: String) {
        let ctx = FileCtx {
            env,
            rebase: crate::nginx::include::rebase(&self.project_dir, &dir),
            dir,
        };
        self.files.ctx.entry(file).or_insert(ctx);
        if !self.loaded.contains(&file) {
            self.loaded.push(file);
        }
    }
}

//! Top-level `include`: the included files' models imported into the
//! including file's, read with the included project's directory and
//! variables; missing files, cycles and conflicting resources reported.

use super::MAX_NESTING;
use super::assembly::Assembly;
use super::files::{EnvFileText, dir_of, join_path};
use super::merge::{entry_mut, map_node, remove_entry, same_value};
use crate::source::FileId;
use crate::topology::build::{Reference, ReferenceKind};
use crate::topology::read::{entries, items_or_one, loc};
use crate::topology::yaml::{Node, Value};
use std::collections::{BTreeMap, HashMap};

impl Assembly<'_> {
    /// Imports into `model` the files its `include` names, then drops the
    /// `include` key.
    pub(super) fn apply_include(&mut self, file: FileId, model: &mut Node) {
        let Some((key, include)) = remove_entry(model, "include") else {
            return;
        };
        let items: Vec<Node> = match &include.value {
            Value::Seq(items) => items.clone(),
            Value::Null => Vec::new(),
            _ => {
                self.r.error(
                    loc(&include, &key),
                    format!("`include` must be a list, not {}", include.type_name()),
                );
                return;
            }
        };
        for item in &items {
            self.include_one(file, item, model);
        }
    }

    fn include_one(&mut self, file: FileId, item: &Node, model: &mut Node) {
        let (path_nodes, project_dir, env_file_nodes): (Vec<&Node>, Option<&Node>, Vec<&Node>) =
            match &item.value {
                Value::Map(_) => {
                    let Some(p) = item.get("path") else {
                        self.r.error(
                            entries(item).next().map_or(item.span, |(k, _, _)| k.span),
                            "`path` is required in an `include` item".into(),
                        );
                        return;
                    };
                    (
                        items_or_one(p),
                        item.get("project_directory"),
                        item.get("env_file").map_or_else(Vec::new, items_or_one),
                    )
                }
                Value::Str(_) => (vec![item], None, Vec::new()),
                _ => {
                    self.r.warn(
                        item.span,
                        format!(
                            "an item of `include` must be a path or a mapping, not {}",
                            item.type_name()
                        ),
                    );
                    return;
                }
            };
        let ctx = self.files.ctx(file).clone();
        let mut ids: Vec<(FileId, String)> = Vec::new();
        for pn in &path_nodes {
            let Some(rel) = self.plain(pn) else { continue };
            let what = || format!("included file `{rel}`");
            match self.submitted(&ctx.dir, &rel, pn.span, what) {
                Some(file) => ids.push(file),
                None => return,
            }
        }
        if ids.is_empty() {
            return;
        }
        if self.including.len() >= MAX_NESTING {
            self.r.error(
                item.span,
                format!("`include` nests more than {MAX_NESTING} levels deep"),
            );
            return;
        }
        if let Some((id, _)) = ids
            .iter()
            .find(|(id, _)| *id == file || self.including.contains(id))
        {
            let mut chain: Vec<String> = self
                .including
                .iter()
                .chain([&file])
                .map(|f| format!("`{}`", self.files.path(*f)))
                .collect();
            chain.push(format!("`{}`", self.files.path(*id)));
            self.r.error(
                item.span,
                format!("include cycle detected: {}", chain.join(" includes ")),
            );
            return;
        }
        let dir = match project_dir.and_then(|d| self.plain(d)) {
            Some(d) => join_path(&ctx.dir, &d),
            None => dir_of(&ids[0].1),
        };
        // Interpolation: the including project's variables, then the
        // included project's `.env` (or the `env_file`s named here).
        let mut env_files: Vec<EnvFileText> = Vec::new();
        if env_file_nodes.is_empty() {
            let dotenv = join_path(&dir, ".env");
            env_files.extend(self.files.env_files.get(&dotenv).cloned());
            self.references
                .push(Reference::new(ReferenceKind::EnvFile, dotenv));
        }
        for n in env_file_nodes {
            let Some(rel) = self.plain(n) else { continue };
            let path = join_path(&ctx.dir, &rel);
            self.references
                .push(Reference::new(ReferenceKind::EnvFile, path.clone()));
            match self.files.env_files.get(&path) {
                Some(f) => env_files.push(f.clone()),
                None => self.r.error(
                    n.span,
                    format!("`env_file` `{rel}` of this `include` was not supplied; the variables it sets are unknown"),
                ),
            }
        }
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for f in &env_files {
            for v in self.read_env_file(f, &ctx.env, false) {
                if let Some(value) = v.value {
                    env.insert(v.name, value);
                }
            }
        }
        env.extend(ctx.env.clone());
        for (id, _) in &ids {
            self.register(*id, env.clone(), dir.clone());
        }
        self.including.push(file);
        let mut imported: Option<Node> = None;
        for (id, _) in &ids {
            if let Some(m) = self.file_model(*id) {
                imported = Some(match imported {
                    None => m,
                    Some(b) => self.merge(&b, &m, &mut Vec::new()).0,
                });
            }
        }
        self.including.pop();
        if let Some(imported) = imported {
            self.import(model, &imported);
        }
    }

    /// Copies an included model's resources in; a name defined
    /// differently on both sides is compose's conflict error.
    fn import(&mut self, model: &mut Node, imported: &Node) {
        for key in ["services", "networks", "volumes", "secrets", "configs"] {
            let Some(from) = imported.get(key).filter(|f| f.is_map()) else {
                continue;
            };
            if entry_mut(model, key).is_none_or(|v| !v.is_map()) {
                remove_entry(model, key);
                let k = imported.key(key).cloned().expect("the key of a value");
                if let Value::Map(e) = &mut model.value {
                    e.push((k, map_node(Vec::new(), from.span)));
                }
            }
            let to = entry_mut(model, key).expect("just ensured");
            let Value::Map(target) = &mut to.value else {
                continue;
            };
            let mut at: HashMap<String, usize> = HashMap::new();
            for (i, (tk, _)) in target.iter().enumerate() {
                at.entry(tk.scalar_text().unwrap_or_default()).or_insert(i);
            }
            for (k, v) in match &from.value {
                Value::Map(e) => e.as_slice(),
                _ => &[],
            } {
                let name = k.scalar_text().unwrap_or_default();
                match at.get(&name).copied() {
                    Some(i) => {
                        let (tk, tv) = &target[i];
                        if !same_value(tv, v) {
                            // Compose 5 merges the local definition onto the
                            // imported one (the local values win); Compose 2
                            // refused the project. Today's Compose is what
                            // the project's authors run, so the merge is the
                            // model, and the older refusal a note.
                            let span = tk.span;
                            let mut path = vec![key.to_string(), name.clone()];
                            let (merged, _) = self.merge(v, tv, &mut path);
                            target[i].1 = merged;
                            self.r.info(
                                span,
                                format!(
                                    "{key}.{name} is defined here and by an included file: Docker Compose 5 merges the two (this file's values win); Compose 2 refuses the project (`{key}.{name} conflicts with imported resource`)"
                                ),
                            );
                        }
                    }
                    None => {
                        at.insert(name, target.len());
                        target.push((k.clone(), v.clone()));
                    }
                }
            }
        }
    }
}

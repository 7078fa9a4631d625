//! Service `extends`, as compose-go's `ExtendService`: the extended service
//! (from the same file or another submitted one) with the extending one
//! merged onto it, with cycles, depth and missing services reported.

use super::MAX_NESTING;
use super::assembly::Assembly;
use super::files::dir_of;
use super::merge::{entry_mut, remove_entry};
use crate::source::FileId;
use crate::topology::read::{entries, loc};
use crate::topology::yaml::{Node, Value};

impl Assembly<'_> {
    /// Replaces each service of `model` that has `extends` by the service it
    /// extends with its own values merged on.
    pub(super) fn apply_extends(&mut self, file: FileId, model: &mut Node) {
        let Some(services) = model.get("services").filter(|s| s.is_map()).cloned() else {
            return;
        };
        let names: Vec<String> = entries(&services)
            .filter(|(_, _, v)| v.get("extends").is_some())
            .map(|(_, n, _)| n.to_string())
            .collect();
        for name in names {
            let resolved = self.extended(file, &services, &name, &mut Vec::new());
            if let (Some(r), Some(s)) = (resolved, entry_mut(model, "services"))
                && let Some(slot) = entry_mut(s, &name)
            {
                *slot = r;
            }
        }
    }

    /// Service `name` of `services` (of `file`) with its `extends`
    /// applied: the service it extends (resolved the same way) with this
    /// one merged onto it, as compose-go's `ExtendService`.
    fn extended(
        &mut self,
        file: FileId,
        services: &Node,
        name: &str,
        chain: &mut Vec<(FileId, String)>,
    ) -> Option<Node> {
        let svc = services.get(name)?;
        let Some(ext) = svc.get("extends") else {
            return Some(svc.clone());
        };
        let ext_key = svc.key("extends").map_or(ext.span, |k| k.span);
        let mut own = svc.clone();
        remove_entry(&mut own, "extends");
        if chain.iter().any(|(f, n)| *f == file && n == name) {
            let cycle: Vec<String> = chain.iter().map(|(_, n)| format!("`{n}`")).collect();
            self.r.error(
                ext_key,
                format!(
                    "circular reference with `extends`: {} → `{name}`",
                    cycle.join(" → ")
                ),
            );
            return Some(own);
        }
        if chain.len() >= MAX_NESTING {
            self.r.error(
                ext_key,
                format!("`extends` of service `{name}` nests more than {MAX_NESTING} levels deep"),
            );
            return Some(own);
        }
        let (reference, ref_node, file_node) = match &ext.value {
            Value::Map(_) => (
                ext.get("service").and_then(|s| self.plain(s)),
                ext.get("service").unwrap_or(ext),
                ext.get("file"),
            ),
            _ => (self.plain(ext), ext, None),
        };
        let Some(reference) = reference else {
            self.r.error(
                loc(ext, svc.key("extends").unwrap_or(ext)),
                format!("`extends.service` of service `{name}` is required"),
            );
            return Some(own);
        };
        chain.push((file, name.to_string()));
        let base = match file_node {
            None => {
                if services.get(&reference).is_none() {
                    self.r.error(
                        ref_node.span,
                        format!(
                            "cannot extend service \"{name}\" in {}: service \"{reference}\" not found",
                            self.files.path(file)
                        ),
                    );
                    None
                } else {
                    self.extended(file, services, &reference, chain)
                }
            }
            Some(fnode) => self.extended_from_file(file, name, fnode, &reference, ref_node, chain),
        };
        chain.pop();
        let base = base?;
        let base = if base.is_map() {
            base
        } else {
            return Some(own);
        };
        let mut path = vec!["services".to_string(), name.to_string()];
        Some(self.merge(&base, &own, &mut path).0)
    }

    fn extended_from_file(
        &mut self,
        file: FileId,
        name: &str,
        fnode: &Node,
        reference: &str,
        ref_node: &Node,
        chain: &mut Vec<(FileId, String)>,
    ) -> Option<Node> {
        let rel = self.plain(fnode)?;
        let ctx = self.files.ctx(file).clone();
        let what = || format!("`{rel}`, which service `{name}` extends,");
        let (other, path) = self.submitted(&ctx.dir, &rel, loc(fnode, fnode), what)?;
        let dir = dir_of(&path);
        self.register(other, ctx.env, dir);
        let raw = self.raw_model(other)?;
        let Some(others) = raw.get("services").filter(|s| s.is_map()) else {
            self.r.error(
                fnode.span,
                format!("cannot extend service \"{name}\": `{rel}` has no `services` section"),
            );
            return None;
        };
        if others.get(reference).is_none() {
            self.r.error(
                ref_node.span,
                format!(
                    "cannot extend service \"{name}\" in {}: service \"{reference}\" not found in {rel}",
                    self.files.path(file)
                ),
            );
            return None;
        }
        let others = others.clone();
        self.extended(other, &others, reference, chain)
    }
}

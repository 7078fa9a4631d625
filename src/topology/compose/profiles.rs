//! Service `profiles`: the services none of whose profiles is active
//! (options, then `COMPOSE_PROFILES`) leave the model, each named in a note.

use super::assembly::Assembly;
use super::merge::entry_mut;
use crate::source::Span;
use crate::topology::yaml::{Node, Value};
use std::collections::{BTreeMap, BTreeSet};

impl Assembly<'_> {
    /// Drops the services none of whose `profiles` is active (options,
    /// then `COMPOSE_PROFILES`); returns them with their profiles.
    pub(super) fn filter_profiles(&mut self, model: &mut Node) -> BTreeMap<String, Vec<String>> {
        let mut active: BTreeSet<String> = self.opts.profiles.iter().cloned().collect();
        if let Some(p) = self.project_env.get("COMPOSE_PROFILES") {
            active.extend(
                p.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
        }
        let mut disabled = BTreeMap::new();
        let Some(Value::Map(services)) = entry_mut(model, "services").map(|s| &mut s.value) else {
            return disabled;
        };
        let mut off: Vec<(String, Vec<String>, Span)> = Vec::new();
        for (k, v) in services.iter() {
            let Some(p) = v.get("profiles") else { continue };
            let profiles: Vec<String> = match &p.value {
                Value::Seq(items) => items.iter().filter_map(|i| self.plain(i)).collect(),
                _ => self.plain(p).into_iter().collect(),
            };
            let on = profiles.is_empty()
                || active.contains("*")
                || profiles.iter().any(|x| active.contains(x));
            if !on {
                off.push((k.scalar_text().unwrap_or_default(), profiles, k.span));
            }
        }
        services.retain(|(k, _)| {
            !off.iter()
                .any(|(n, _, _)| Some(n) == k.scalar_text().as_ref())
        });
        for (name, profiles, span) in off {
            self.r.info(
                span,
                format!(
                    "service `{name}` is not started: none of its profiles ({}) is active",
                    profiles.join(", ")
                ),
            );
            disabled.insert(name, profiles);
        }
        disabled
    }
}

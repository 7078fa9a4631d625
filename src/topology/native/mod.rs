//! upcheck's own JSON topology (`docs/topology-schema.md`, version 1): the
//! model's concepts stated directly — networks, units (network namespaces)
//! with their addresses, names and containers, listeners, ports, mounts,
//! Kubernetes Services, volumes and carried files — for the developer
//! portal and for orchestrators upcheck does not read.
//!
//! What the file states is kept as stated: listeners are
//! [`ProvenanceKind::Declared`] / [`Certainty::Stated`], and subnets and
//! addresses written in the file are [`AddressOrigin::Declared`]; what it
//! leaves open is modelled by the shared steps (listener inference, the
//! address plan). The tree is walked by hand like the other loaders: a wrong
//! type in one field is a located warning, unknown fields are ignored, a
//! missing or unsupported schema version is a located error.
//!
//! The tree is read with `topology::read::Reader` in its JSON dialect.

mod container;
mod document;
mod network;
mod service;
#[cfg(test)]
mod tests;
mod unit;

use super::addressing::PlanOverrides;
use super::read::{Dialect, Reader, anchor, field};
use super::yaml::{self, Node};
use super::*;
use std::collections::HashMap;
/// The schema version this upcheck reads (`"upcheck": 1`).
pub const VERSION: i64 = 1;

/// Loads native topology files. The first readable file decides the
/// platform; later files add to it (a file of the other platform is an
/// error and is skipped). `cluster` settings of the file fill the address
/// plan where the caller's options leave it open.
pub fn load(
    sources: &SourceMap,
    files: &[FileId],
    opts: &LoadOptions,
    plan: &mut PlanOverrides,
) -> Topology {
    let mut ld = Loader {
        opts,
        r: Reader::new(Dialect::JSON),
        topo: None,
        networks: HashMap::new(),
        volume_units: Vec::new(),
        services: Vec::new(),
        pod_network: None,
        host_network: None,
    };
    for &f in files {
        let src = sources.get(f);
        match parse_json(f, src) {
            Ok(docs) if docs.is_empty() => ld.r.error(
                Span::new(f, 0, 0),
                format!(
                    "`{}` is empty; a native topology is a JSON object",
                    src.path
                ),
            ),
            Ok(docs) => {
                for d in &docs {
                    ld.document(d, plan);
                }
            }
            Err((msg, span)) => {
                ld.r.error(span, format!("cannot read `{}` as JSON: {msg}", src.path))
            }
        }
    }
    ld.finish()
}

/// Parses a JSON document into the span-carrying tree. Text that starts
/// like JSON is first checked by a JSON parser, so a syntax error (a
/// trailing comma, a missing value, nesting past its limit of 128) is
/// reported where it is rather than where YAML gives up; the tree itself
/// comes from [`yaml::parse_documents`] (JSON is YAML), which also rejects
/// duplicate keys. Text that does not start like JSON is read as YAML.
pub(super) fn parse_json(file: FileId, src: &SourceFile) -> Result<Vec<Node>, (String, Span)> {
    let text = String::from_utf8_lossy(&src.bytes);
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text)
        && std::str::from_utf8(&src.bytes).is_ok()
    {
        // serde_json counts lines from 1 and columns in bytes from 1.
        let line_start: usize = text
            .split_inclusive('\n')
            .take(e.line().saturating_sub(1))
            .map(str::len)
            .sum();
        let at = (line_start + e.column().saturating_sub(1)).min(src.bytes.len());
        let mut msg = e.to_string();
        if let Some(i) = msg.find(" at line ") {
            msg.truncate(i);
        }
        return Err((msg, Span::new(file, at, at)));
    }
    yaml::parse_documents(file, src)
}

/// The loader's state: the topology once the platform is known, the
/// networks by name, and what is matched at the end.
struct Loader<'a> {
    opts: &'a LoadOptions,
    r: Reader,
    topo: Option<Topology>,
    /// Networks by name and by key.
    networks: HashMap<String, NetworkId>,
    /// The unit each volume belongs to, by name, with the span of the name.
    volume_units: Vec<Option<(String, Span)>>,
    /// Services, read before every unit is known (selectors match at the end).
    services: Vec<Service>,
    pod_network: Option<NetworkId>,
    host_network: Option<NetworkId>,
}

impl Loader<'_> {
    fn finish(mut self) -> Topology {
        let mut topo = self.topo.take().unwrap_or_else(|| empty(Platform::Compose));
        // Volumes that belong to a unit (Kubernetes pod volumes).
        for (i, owner) in self.volume_units.iter().enumerate() {
            if let Some((name, span)) = owner {
                match topo.units.iter().position(|u| &u.name == name) {
                    Some(u) => topo.volumes[i].unit = Some(UnitId(u)),
                    None => self.r.warn(
                        *span,
                        format!(
                            "`volume {}`: `unit` names unit `{name}`, which is not in `units`",
                            topo.volumes[i].name
                        ),
                    ),
                }
            }
        }
        let pods = kubernetes::PodIndex::of(&topo.units);
        for mut s in self.services {
            if let (Some(sel), false) =
                (&s.selector, matches!(s.kind, ServiceKind::ExternalName(_)))
            {
                s.selected = pods.selected(&topo.units, &s.namespace, sel);
            }
            topo.services.push(s);
        }
        topo.diagnostics = self.r.sorted();
        topo
    }

    /// The non-empty `name` of the entry at `at`; an entry that is not an
    /// object or has no name is reported and skipped (`None`).
    fn name_of<'n>(&mut self, obj: &str, n: &'n Node, at: &str) -> Option<(&'n str, Span)> {
        if !self.r.is_map(obj, n, at) {
            return None;
        }
        let name = self
            .r
            .str(obj, n, at, "name")
            .filter(|(s, _)| !s.is_empty());
        if name.is_none() {
            self.r.error(
                anchor(n),
                format!("{} has no `name`; skipped", field(obj, at)),
            );
        }
        name
    }

    /// The name of item `i` of a top-level list (`networks[i]`), or an
    /// error and `None`.
    fn listed<'n>(&mut self, list: &str, n: &'n Node, i: usize) -> Option<(&'n str, Span)> {
        self.name_of("", n, &format!("{list}[{i}]"))
    }

    /// Warns that `what` is declared twice at `span`.
    fn twice(&mut self, span: Span, what: &str) {
        self.r.warn(
            span,
            format!("{what} is declared twice; the first declaration is kept"),
        );
    }

    fn default_namespace(&self) -> String {
        self.opts
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into())
    }
}

//! The loader of the merged model: one document read into service
//! definitions and turned into a `Part` (units, networks, volumes), appended
//! to the topology with its indices shifted, networks then sorted by key.

use super::definitions;
use super::files::Files;
use crate::source::Span;
use crate::topology::build::Reference;
use crate::topology::read::Reader;
use crate::topology::read::loc;
use crate::topology::yaml::Node;
use crate::topology::{Network, NetworkId, Topology, Unit, Volume, VolumeKind};
use std::collections::BTreeMap;

/// What one compose document adds to the topology.
pub(super) struct Part {
    pub(super) units: Vec<Unit>,
    pub(super) networks: Vec<Network>,
    pub(super) volumes: Vec<Volume>,
    pub(super) services: usize,
    pub(super) services_key: Option<Span>,
    /// `services` was there but unreadable (already reported).
    pub(super) broken: bool,
}

impl Part {
    /// Adds a volume of the project (no unit owns it); returns its index.
    pub(super) fn add_volume(&mut self, name: String, kind: VolumeKind, span: Span) -> usize {
        self.volumes.push(Volume::new(name, kind, span));
        self.volumes.len() - 1
    }
}

/// Reads the merged model into a [`Part`], reporting problems into `r`.
pub(super) struct FileLoader<'a> {
    /// The files the model's values were written in.
    pub(super) files: &'a Files,
    /// The project name (container and network names start with it).
    pub(super) project: &'a str,
    /// Services outside the active profiles, with their profiles.
    pub(super) disabled: &'a BTreeMap<String, Vec<String>>,
    /// An included or extended file is missing: services may be defined
    /// there.
    pub(super) incomplete: bool,
    /// Reads typed fields and keeps the diagnostics.
    pub(super) r: &'a mut Reader,
    /// The env files the services name, read or not.
    pub(super) references: Vec<Reference>,
    /// What makes compose refuse the project.
    pub(super) blockers: Vec<crate::topology::TopologyDiagnostic>,
    /// Most units modelled ([`crate::budget::Budgets::max_units`]).
    pub(super) max_units: usize,
    /// Past it, no more services are read (the caller gives up).
    pub(super) deadline: crate::budget::Deadline,
}

impl FileLoader<'_> {
    /// One document's services, networks and volumes.
    pub(super) fn load(&mut self, doc: &Node) -> Part {
        let mut part = Part {
            units: Vec::new(),
            networks: Vec::new(),
            volumes: Vec::new(),
            services: 0,
            services_key: None,
            broken: false,
        };
        if !doc.is_map() {
            return part;
        }
        let volume_decls = self.top_volumes(doc);
        let net_decls = self.top_networks(doc);
        let Some(services) = doc.get("services") else {
            return part;
        };
        let services_key = doc.key("services").map(|k| k.span).unwrap_or(doc.span);
        part.services_key = Some(services_key);
        if !services.is_map() && !services.is_null() {
            self.r.error(
                loc(services, doc.key("services").unwrap_or(doc)),
                format!("`services` must be a mapping, not {}", services.type_name()),
            );
            part.broken = true;
            return part;
        }
        let mut defs = Vec::new();
        for (key, name, value) in definitions(services) {
            if self.deadline.passed() {
                break;
            }
            if !value.is_map() {
                self.r.error(
                    loc(value, key),
                    format!(
                        "service `{name}` must be a mapping, not {}",
                        value.type_name()
                    ),
                );
                part.broken = true;
                continue;
            }
            defs.push(self.service(name, key, value));
        }
        part.services = defs.len();
        self.cap_units(&mut defs);
        self.build(&mut part, defs, &net_decls, &volume_decls);
        part
    }
}

/// Appends one document's part to the topology, shifting indices.
pub(super) fn append(topo: &mut Topology, part: Part) {
    let net_base = topo.networks.len();
    let vol_base = topo.volumes.len();
    topo.networks.extend(part.networks);
    topo.volumes.extend(part.volumes);
    for mut u in part.units {
        for a in &mut u.addresses {
            a.network = NetworkId(a.network.0 + net_base);
        }
        for c in &mut u.containers {
            for m in &mut c.mounts {
                m.volume += vol_base;
            }
        }
        topo.units.push(u);
    }
}

/// Sorts networks by key (stable) and renumbers the addresses.
pub(super) fn sort_networks(topo: &mut Topology) {
    let mut order: Vec<usize> = (0..topo.networks.len()).collect();
    order.sort_by(|a, b| topo.networks[*a].key.cmp(&topo.networks[*b].key));
    let mut new_id = vec![0; order.len()];
    for (new, old) in order.iter().enumerate() {
        new_id[*old] = new;
    }
    let mut old: Vec<Option<Network>> = std::mem::take(&mut topo.networks)
        .into_iter()
        .map(Some)
        .collect();
    topo.networks = order.iter().filter_map(|i| old[*i].take()).collect();
    for u in &mut topo.units {
        for a in &mut u.addresses {
            a.network = NetworkId(new_id[a.network.0]);
        }
    }
}

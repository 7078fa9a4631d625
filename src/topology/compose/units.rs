//! From service definitions to units: what services refer to (compose's own
//! errors), the creation order, and the units, containers, mounts and volumes
//! each service becomes (`network_mode` groups sharing one unit).

use super::loader::{FileLoader, Part};
use super::networks::NetDecl;
use super::service::{NetMode, Peer, ServiceDef};
use super::volumes::VolUse;
use crate::source::Span;
use crate::topology::{Address, Container, Mount, PortKind, Unit, UnitKind, VolumeKind};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

impl FileLoader<'_> {
    /// Models at most [`FileLoader::max_units`] replicas in all, in the
    /// order services are written: the service whose replicas cross the
    /// budget keeps what is left, later ones get none, and an error at its
    /// replicas (or its name) refuses the project rather than model it in
    /// part.
    pub(super) fn cap_units(&mut self, defs: &mut [ServiceDef]) {
        let mut left = self.max_units;
        let mut crossed = false;
        for d in defs {
            let want = d.replicas as usize;
            if want <= left {
                left -= want;
                continue;
            }
            if !crossed {
                crossed = true;
                self.r.error(
                    d.replicas_span.unwrap_or(d.key_span),
                    format!(
                        "service `{}` makes the project's replicas more than the {} units upcheck models (max_units); its replicas past the first {left} and later services' are not modelled",
                        d.name, self.max_units
                    ),
                );
            }
            d.replicas = left as u32;
            left = 0;
        }
    }

    /// Turns the service definitions into the part's units, networks and
    /// volumes.
    pub(super) fn build(
        &mut self,
        part: &mut Part,
        defs: Vec<ServiceDef>,
        net_decls: &BTreeMap<String, NetDecl>,
        volume_decls: &[(String, Span)],
    ) {
        let project = self.project.to_string();
        let index: HashMap<&str, usize> = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.as_str(), i))
            .collect();
        // Planned container names, for `container:NAME`.
        let mut by_container: HashMap<String, usize> = HashMap::new();
        for (i, d) in defs.iter().enumerate() {
            for r in 1..=d.replicas.max(1) {
                by_container
                    .entry(d.container_name(&project, r))
                    .or_insert(i);
            }
        }
        let deps = self.references(&defs, &index, &by_container, net_decls, volume_decls);
        let order = self.creation_order(&defs, &deps);
        let net_ids = self.networks(part, &defs, net_decls);

        // Volumes: named ones first, as declared.
        let mut named: HashMap<String, usize> = HashMap::new();
        for (name, span) in volume_decls {
            if named.contains_key(name) {
                continue;
            }
            let v = part.add_volume(name.clone(), VolumeKind::Named, *span);
            named.insert(name.clone(), v);
        }
        let mut binds: HashMap<String, usize> = HashMap::new();

        // Units, in creation order.
        let mut placed: Vec<Vec<(usize, usize)>> = vec![Vec::new(); defs.len()];
        let mut host_unit: Option<usize> = None;
        for &i in &order {
            let d = &defs[i];
            let mut containers = Vec::new();
            for r in 1..=d.replicas {
                let mut c = Container::new(
                    d.container_name(&project, r),
                    d.image.clone(),
                    Some(d.key_span),
                )
                .service(Some(d.name.clone()))
                .written(d.entrypoint_set, d.command_set)
                .runs(d.entrypoint.clone(), d.command.clone(), d.env.clone())
                .ports(d.ports.items.clone())
                .listeners(d.healthcheck.clone());
                c.build = d.build.clone().map(Box::new);
                for u in &d.volumes {
                    let (volume, target, read_only, sub_path, span) = match u {
                        VolUse::Named {
                            name,
                            name_span,
                            target,
                            read_only,
                            sub_path,
                            span,
                        } => {
                            let v = *named.entry(name.clone()).or_insert_with(|| {
                                part.add_volume(name.clone(), VolumeKind::Named, *name_span)
                            });
                            (v, target, *read_only, sub_path.clone(), *span)
                        }
                        VolUse::Bind {
                            source,
                            target,
                            read_only,
                            span,
                        } => {
                            let v = *binds.entry(source.clone()).or_insert_with(|| {
                                let kind = VolumeKind::Bind(source.clone());
                                part.add_volume(source.clone(), kind, *span)
                            });
                            (v, target, *read_only, None, *span)
                        }
                        VolUse::Anonymous { target, span }
                        | VolUse::Tmpfs { target, span }
                        | VolUse::Other { target, span } => {
                            let kind = match u {
                                VolUse::Anonymous { .. } => VolumeKind::Anonymous,
                                VolUse::Tmpfs { .. } => VolumeKind::Tmpfs,
                                _ => VolumeKind::Other,
                            };
                            let v = part.add_volume(target.clone(), kind, *span);
                            (v, target, false, None, *span)
                        }
                    };
                    c.mounts.push(Mount {
                        volume,
                        target: target.clone(),
                        read_only,
                        sub_path,
                        span: Some(span),
                    });
                }
                for vf in &d.volumes_from {
                    let source = vf.source.find(&index, &by_container);
                    let Some(&(u, ci)) = source.and_then(|s| placed[s].first()) else {
                        if let Peer::Container(n) = &vf.source {
                            self.r.warn(
                                vf.span,
                                format!("`volumes_from` of service `{}` names container `{n}`, which is not in this project; its mounts are unknown", d.name),
                            );
                        }
                        continue;
                    };
                    let mounts = part.units[u].containers[ci].mounts.clone();
                    // Volumes and binds, not tmpfs (which is no volume).
                    let mounts = mounts
                        .into_iter()
                        .filter(|m| part.volumes[m.volume].kind != VolumeKind::Tmpfs);
                    for mut m in mounts {
                        m.read_only |= vf.read_only;
                        m.span = Some(vf.span);
                        c.mounts.push(m);
                    }
                }
                containers.push((r, c));
            }
            // Where the containers go.
            let target = match &d.network_mode {
                Some((NetMode::Join(p), _)) => Some(p.find(&index, &by_container)),
                _ => None,
            };
            if let Some(target) = target {
                match target.and_then(|t| placed[t].first().copied()) {
                    Some((u, _)) => {
                        for (_, c) in containers {
                            part.units[u].containers.push(c);
                            placed[i].push((u, part.units[u].containers.len() - 1));
                        }
                        continue;
                    }
                    None => {
                        if let Some((mode, span)) = &d.network_mode {
                            let whose = match mode {
                                NetMode::Join(Peer::Container(n)) => {
                                    format!("container `{n}`, which is not in this project")
                                }
                                NetMode::Join(Peer::Service(s)) => {
                                    format!("service `{s}`, which has no container")
                                }
                                _ => String::new(),
                            };
                            if target.is_some() || matches!(mode, NetMode::Join(Peer::Container(_)))
                            {
                                self.r.warn(
                                    *span,
                                    format!("service `{}` joins the network namespace of {whose}; its addresses are unknown", d.name),
                                );
                            }
                        }
                    }
                }
            }
            if let Some((NetMode::Host, span)) = &d.network_mode {
                let u = *host_unit.get_or_insert_with(|| {
                    let address = Address::modelled(net_ids["host"].0).at(Some(*span));
                    part.units.push(Unit::host(address, Some(d.key_span)));
                    part.units.len() - 1
                });
                for (_, c) in containers {
                    part.units[u].containers.push(c);
                    placed[i].push((u, part.units[u].containers.len() - 1));
                }
                part.units[u]
                    .extra_hosts
                    .extend(d.extra_hosts.items.iter().cloned());
                part.units[u].links.extend(d.links.items.iter().cloned());
                continue;
            }
            for (r, c) in containers {
                let addresses = self.addresses(d, &c.name, &net_ids, net_decls);
                let hostname = d
                    .hostname
                    .as_ref()
                    .map_or_else(|| c.name.clone(), |h| h.0.clone());
                let kind = UnitKind::ComposeService {
                    service: d.name.clone(),
                    replica: r,
                };
                let unit = Unit::new(c.name.clone(), kind, Some(d.key_span))
                    .containers(vec![c])
                    .addresses(addresses)
                    .hostname(Some(hostname))
                    .no_network(matches!(d.network_mode, Some((NetMode::None, _))))
                    .extra_hosts(d.extra_hosts.items.clone())
                    .dns(crate::topology::DnsConfig {
                        search: d.dns_search.clone(),
                        ..crate::topology::DnsConfig::default()
                    })
                    .links(d.links.items.clone());
                part.units.push(unit);
                placed[i].push((part.units.len() - 1, 0));
            }
        }
    }

    /// Checks what services refer to (compose's own errors) and returns,
    /// per service, the services it must be created after.
    fn references(
        &mut self,
        defs: &[ServiceDef],
        index: &HashMap<&str, usize>,
        by_container: &HashMap<String, usize>,
        net_decls: &BTreeMap<String, NetDecl>,
        volume_decls: &[(String, Span)],
    ) -> Vec<BTreeSet<usize>> {
        let volume_names: HashSet<&str> = volume_decls.iter().map(|(n, _)| n.as_str()).collect();
        let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); defs.len()];
        for (i, d) in defs.iter().enumerate() {
            let undefined = |this: &mut Self, target: &str, span: Span| {
                let message = match this.disabled.get(target) {
                    // It may be defined in the file that is missing (already an error).
                    None if this.incomplete => return,
                    // docker compose: the service exists but its profile is off.
                    Some(profiles) => format!(
                        "service \"{target}\" is required by \"{}\" but is disabled. Can be enabled by profiles [{}]",
                        d.name,
                        profiles.join(" ")
                    ),
                    None => format!(
                        "service \"{}\" depends on undefined service \"{target}\"",
                        d.name
                    ),
                };
                this.r.error(span, message);
            };
            for dep in &d.depends_on {
                match index.get(dep.service.as_str()) {
                    Some(j) => {
                        deps[i].insert(*j);
                    }
                    None if dep.required => undefined(self, &dep.service, dep.span),
                    None => {}
                }
            }
            for l in &d.links.items {
                match index.get(l.service.as_str()) {
                    Some(j) => {
                        deps[i].insert(*j);
                    }
                    None => undefined(self, &l.service, l.span.unwrap_or(d.key_span)),
                }
            }
            for vf in &d.volumes_from {
                match &vf.source {
                    Peer::Service(s) => match index.get(s.as_str()) {
                        Some(j) => {
                            deps[i].insert(*j);
                        }
                        None => undefined(self, s, vf.span),
                    },
                    Peer::Container(c) => {
                        if let Some(j) = by_container.get(c) {
                            deps[i].insert(*j);
                        }
                    }
                }
            }
            if let Some((mode, span)) = &d.network_mode {
                match mode {
                    NetMode::Join(Peer::Service(s)) => match index.get(s.as_str()) {
                        Some(j) => {
                            deps[i].insert(*j);
                        }
                        None if self.disabled.contains_key(s) || self.incomplete => {
                            undefined(self, s, *span)
                        }
                        None => self.r.error(
                            *span,
                            format!("service \"{s}\" not found for network_mode 'service:{s}' of service \"{}\"", d.name),
                        ),
                    },
                    NetMode::Join(Peer::Container(c)) => {
                        if let Some(j) = by_container.get(c) {
                            deps[i].insert(*j);
                        }
                    }
                    _ => {}
                }
                if let Some((nspan, _)) = &d.networks {
                    self.r.error(
                        *nspan,
                        format!("service \"{}\" declares mutually exclusive `network_mode` and `networks`", d.name),
                    );
                }
                let joined = matches!(mode, NetMode::Join(_));
                if joined {
                    self.joined_conflicts(d);
                }
                if *mode == NetMode::Host
                    && !d.ports.items.iter().all(|p| p.kind == PortKind::Exposed)
                {
                    self.r.warn(
                        d.ports.key.unwrap_or(*span),
                        format!(
                            "`ports` of service `{}` are discarded: it uses the host's network (`network_mode: host`), so it listens on the host directly",
                            d.name
                        ),
                    );
                }
            }
            for u in &d.volumes {
                if let VolUse::Named {
                    name, name_span, ..
                } = u
                    && !volume_names.contains(name.as_str())
                {
                    self.r.error(
                        *name_span,
                        format!(
                            "service \"{}\" refers to undefined volume \"{name}\"",
                            d.name
                        ),
                    );
                }
            }
            if d.network_mode.is_none()
                && let Some((_, attaches)) = &d.networks
            {
                for a in attaches {
                    if a.key != "default" && !net_decls.contains_key(&a.key) {
                        self.r.error(
                            a.span,
                            format!(
                                "service \"{}\" refers to undefined network \"{}\"",
                                d.name, a.key
                            ),
                        );
                    }
                }
            }
        }
        deps
    }

    /// Services in creation order: dependencies first, ties by name.
    fn creation_order(&mut self, defs: &[ServiceDef], deps: &[BTreeSet<usize>]) -> Vec<usize> {
        let mut pending: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); defs.len()];
        for (i, ds) in deps.iter().enumerate() {
            for &j in ds {
                dependents[j].push(i);
            }
        }
        let mut ready: BTreeSet<(&str, usize)> = (0..defs.len())
            .filter(|i| pending[*i] == 0)
            .map(|i| (defs[i].name.as_str(), i))
            .collect();
        let mut order = Vec::new();
        while let Some(first) = ready.pop_first() {
            let i = first.1;
            order.push(i);
            for &k in &dependents[i] {
                pending[k] -= 1;
                if pending[k] == 0 {
                    ready.insert((defs[k].name.as_str(), k));
                }
            }
        }
        if order.len() < defs.len() {
            let done: HashSet<usize> = order.iter().copied().collect();
            let mut rest: Vec<usize> = (0..defs.len()).filter(|i| !done.contains(i)).collect();
            rest.sort_by(|a, b| defs[*a].name.cmp(&defs[*b].name));
            // Name only the services on a cycle: peel off those nothing
            // left depends on.
            let mut cycle: Vec<usize> = rest.clone();
            while let Some(pos) = cycle
                .iter()
                .position(|i| !cycle.iter().any(|j| deps[*j].contains(i)))
            {
                cycle.remove(pos);
            }
            if cycle.is_empty() {
                cycle = rest.clone();
            }
            let names: Vec<String> = cycle
                .iter()
                .map(|i| format!("`{}`", defs[*i].name))
                .collect();
            self.r.error(
                defs[cycle[0]].key_span,
                format!(
                    "dependency cycle detected between services {}",
                    names.join(", ")
                ),
            );
            order.extend(rest);
        }
        order
    }
}

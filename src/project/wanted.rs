//! What the model refers to that discovery should read: [`wanted`] takes
//! the topology loaded from what has been read so far (the pure load
//! stage) and lists the files and directories it names — the sources of what is
//! bind-mounted into nginx, and the model's references: env files,
//! Dockerfiles and their ignore files, build contexts (listed), and the
//! files an nginx image copies to where nginx reads them.

use super::discover::Want;
use crate::nginx::include::normalize;
use crate::topology::build::ReferenceKind;
use crate::topology::{Topology, VolumeKind};

/// The files and directories the model `topo` refers to, relative to
/// the project directory, that discovery should read next. Host paths
/// (absolute mount sources, `/etc/…`) are never wanted; paths above the
/// project directory (a build context of `../..`) are, as compose reads
/// them too.
pub fn wanted(topo: &Topology) -> Vec<Want> {
    let mut out = Vec::new();
    for site in topo.nginx_sites() {
        let c = &topo.units[site.unit.0].containers[site.container];
        for m in &c.mounts {
            if let VolumeKind::Bind(src) = &topo.volumes[m.volume].kind {
                let p = normalize(src);
                if !p.starts_with('/') {
                    out.push(Want::Tree(p));
                }
            }
        }
    }
    for r in &topo.references {
        let p = normalize(&r.path);
        if p.starts_with('/') {
            continue;
        }
        out.push(match r.kind {
            ReferenceKind::ComposeFile => Want::Compose(p),
            ReferenceKind::EnvFile
            | ReferenceKind::Dockerfile
            | ReferenceKind::IgnoreFile
            | ReferenceKind::NginxFile
            | ReferenceKind::Script => Want::File(p),
            ReferenceKind::Context => Want::Listing(p),
            ReferenceKind::BuildLinks => Want::BuildLinks(p),
        });
    }
    out.sort();
    out.dedup();
    out
}

//! Unix-domain sockets: the same file reaches nginx only through a volume
//! both containers mount (or nginx's own filesystem).

use super::connect::{Hit, Outcome};
use super::{Resolution, Resolver, Status};
use crate::topology::*;

impl<'a> Resolver<'a> {
    pub(super) fn unix(&self, path: &str, res: &mut Resolution, trace: &mut Vec<String>) {
        let nginx_c = &self.nginx().containers[self.site.container];
        // Where the path lives for nginx: a mounted volume, or its own filesystem.
        let mount = nginx_c
            .mounts
            .iter()
            .filter(|m| m.holds(path))
            .max_by_key(|m| m.target.len());
        let mut elsewhere = None;
        for (ui, u) in self.topo.units.iter().enumerate() {
            for (ci, c) in u.containers.iter().enumerate() {
                for (li, l) in c.listeners.iter().enumerate() {
                    let Some(Bind::Unix(lp)) = &l.bind else {
                        continue;
                    };
                    let same_file = if ui == self.site.unit.0 && ci == self.site.container {
                        lp == path
                    } else if let Some(m) = mount {
                        c.mounts.iter().any(|cm| {
                            cm.volume == m.volume
                                && cm.holds(lp)
                                && rel(lp, &cm.target) == rel(path, &m.target)
                        })
                    } else {
                        false
                    };
                    if same_file {
                        trace.push(format!(
                            "`{path}` is the socket `{lp}` of `{}` (container `{}`), on a volume both mount ({}, {})",
                            u.name,
                            c.name,
                            l.provenance.detail,
                            format!("{:?}", l.certainty).to_lowercase()
                        ));
                        res.hits.push(socket_hit(Outcome::Listening {
                            unit: UnitId(ui),
                            container: ci,
                            listener: li,
                        }));
                        res.status = Status::Reachable;
                        return;
                    }
                    if lp == path || file_name(lp) == file_name(path) {
                        elsewhere.get_or_insert(UnitId(ui));
                    }
                }
            }
        }
        let line = match (mount, elsewhere) {
            (None, Some(u)) => format!(
                "`{path}` is on nginx's own filesystem; the socket is created in `{}`, which does not share it",
                self.unit(u).name
            ),
            (Some(m), Some(u)) => format!(
                "`{path}` is on volume `{}`, but the socket is created in `{}` outside it",
                self.topo.volumes[m.volume].name,
                self.unit(u).name
            ),
            (None, None) => {
                format!("nothing creates `{path}` and no volume shares it with nginx")
            }
            (Some(m), None) => {
                trace.push(format!(
                    "`{path}` is on volume `{}`; nothing says which server creates the socket",
                    self.topo.volumes[m.volume].name
                ));
                res.status = Status::Unverifiable;
                res.reason = Some(format!("nothing says what creates `{path}`"));
                return;
            }
        };
        trace.push(line);
        res.hits.push(socket_hit(Outcome::SocketNotShared {
            listener_unit: elsewhere,
        }));
        res.status = Status::Unreachable;
    }
}

/// A hit on a unix socket: no address, no port.
fn socket_hit(outcome: Outcome) -> Hit {
    Hit {
        ip: None,
        port: None,
        service: None,
        pod_port: None,
        slice: None,
        outcome,
    }
}

fn rel<'p>(path: &'p str, dir: &str) -> &'p str {
    path[dir.trim_end_matches('/').len()..].trim_start_matches('/')
}

fn file_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

use super::{
    Check, Context, Finding, Related, first_outcome, pick, upstream_finding, yaml_list_append,
};
use crate::fix::Fix;
use crate::network::{Lookup, Outcome};
use crate::topology::{Bind, Platform, UnitId, VolumeKind};

crate::declare_rule! {
    /// ## What it does
    /// Finds `unix:` upstreams (`uwsgi_pass unix:/run/app/app.sock`,
    /// `fastcgi_pass unix:/run/php/php-fpm.sock`, `proxy_pass
    /// http://unix:/tmp/app.sock`) whose socket file is created in another
    /// container but is not on a volume that container shares with nginx.
    ///
    /// ## Why is this bad?
    /// A unix socket is a file: nginx can connect to it only if the file is
    /// on a filesystem both containers see. Sharing a network (or a pod's
    /// network namespace) does not help. Without a shared volume, nginx
    /// finds no such file: `connect() to unix:/tmp/app.sock failed (2: No
    /// such file or directory)` and `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     command: uwsgi --socket /tmp/app.sock --module app:app
    ///   nginx:
    ///     image: nginx
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     command: uwsgi --socket /run/app/app.sock --module app:app
    ///     volumes: [sockets:/run/app]
    ///   nginx:
    ///     image: nginx
    ///     volumes: [sockets:/run/app]
    /// volumes:
    ///   sockets: {}
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe when the server's container already creates the socket on a
    /// named volume and nginx only needs to mount it at the same path (one
    /// line added to nginx's `volumes:`); display-only otherwise, because
    /// the socket's directory, the server's command and the volume layout
    /// all have to agree.
    pub UnixSocketNotShared { code: "UC2009", name: "unix-socket-not-shared", severity: Error, fix: Always }
}

impl Check for UnixSocketNotShared {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        for r in cx.primary() {
            let Lookup::Unix { path } = &r.lookup else {
                continue;
            };
            let Some(listener_unit) = first_outcome(
                r,
                pick!(Outcome::SocketNotShared { listener_unit } => *listener_unit),
            ) else {
                continue;
            };
            let up = cx.upstream(r);
            let topo = cx.topology;
            let nginx_unit = &topo.units[r.site.unit.0];
            let nginx_c = &nginx_unit.containers[r.site.container];
            let nginx_name = nginx_c.service.as_deref().unwrap_or(&nginx_c.name);
            let nginx_mount = nginx_c
                .mounts
                .iter()
                .filter(|m| m.holds(path))
                .max_by_key(|m| m.target.len());
            let socket = listener_unit.and_then(|u| socket_of(cx, u, path));
            let message = match (&socket, nginx_mount) {
                (Some(s), None) => format!(
                    "`unix:{path}` is on nginx's own filesystem; `{}` creates `{}` in its own, so nginx finds no socket",
                    s.name, s.path
                ),
                (Some(s), Some(m)) => format!(
                    "`unix:{path}` is on volume `{}`, but `{}` creates `{}` outside it, so nginx finds no socket",
                    topo.volumes[m.volume].name, s.name, s.path
                ),
                (None, _) => format!(
                    "no container is known to create `unix:{path}` on a volume nginx mounts, so nginx finds no socket"
                ),
            };
            let created = socket.as_ref().and_then(|s| {
                let (span, stated) = s.span?;
                let what = if stated {
                    "creates the socket"
                } else {
                    "is declared"
                };
                Some(Related::new(span, format!("`{}` {what} here", s.name)))
            });
            let mounted = nginx_mount.and_then(|m| {
                let span = m.span?;
                Some(Related::new(
                    span,
                    format!("nginx mounts `{}` here", m.target),
                ))
            });
            let fix = match &socket {
                Some(s) => mount_fix(cx, s, path, nginx_name, &nginx_c.mounts, r.site.unit),
                None => Fix::display_only(
                    format!(
                        "Create the socket on a volume mounted at `{}` in both nginx and the server's container",
                        dir(path)
                    ),
                    [],
                ),
            };
            let mut f = upstream_finding(self, r, message, Some(up.span)).fix(fix);
            f.related.extend(created.into_iter().chain(mounted));
            out.push(f);
        }
    }
}

/// A container creating a socket of the same file name.
struct Socket<'a> {
    unit: UnitId,
    name: &'a str,
    path: &'a str,
    /// Where the socket is stated (true), else where the container is declared.
    span: Option<(crate::source::Span, bool)>,
    mounts: &'a [crate::topology::Mount],
}

fn socket_of<'a>(cx: &Context<'a>, u: UnitId, path: &str) -> Option<Socket<'a>> {
    let unit = &cx.topology.units[u.0];
    let file = path.rsplit('/').next().unwrap_or(path);
    unit.containers.iter().find_map(|c| {
        c.listeners.iter().find_map(|l| match &l.bind {
            Some(Bind::Unix(p)) if p == path || p.rsplit('/').next() == Some(file) => {
                Some(Socket {
                    unit: u,
                    name: c.service.as_deref().unwrap_or(&c.name),
                    path: p.as_str(),
                    span: l
                        .provenance
                        .span
                        .map(|s| (s, true))
                        .or(c.span.map(|s| (s, false))),
                    mounts: &c.mounts,
                })
            }
            _ => None,
        })
    })
}

fn mount_fix(
    cx: &Context,
    s: &Socket,
    path: &str,
    nginx: &str,
    nginx_mounts: &[crate::topology::Mount],
    nginx_unit: UnitId,
) -> Fix {
    let topo = cx.topology;
    // The server already creates the socket on a named volume: mount that
    // volume at the same place in nginx.
    if topo.platform == Platform::Compose
        && s.path == path
        && let Some(m) = s
            .mounts
            .iter()
            .find(|m| m.holds(s.path) && topo.volumes[m.volume].kind == VolumeKind::Named)
        && !nginx_mounts.iter().any(|n| n.target == m.target)
        && let Some(last) = nginx_mounts
            .iter()
            .filter_map(|n| n.span)
            .max_by_key(|sp| sp.start)
        && let Some(edit) = yaml_list_append(
            cx,
            last,
            &format!("{}:{}", topo.volumes[m.volume].name, m.target),
        )
    {
        return Fix::unsafe_edits(
            format!(
                "Mount volume `{}` at `{}` in `{nginx}` too",
                topo.volumes[m.volume].name, m.target
            ),
            [edit],
        );
    }
    let (server_dir, nginx_dir) = (dir(s.path), dir(path));
    // A volume over `/tmp` or `/run` would hide what the image keeps there.
    if topo.platform == Platform::Compose && SHARED_DIRS.contains(&server_dir) {
        let file = s.path.rsplit('/').next().unwrap_or(s.path);
        return Fix::display_only(
            format!(
                "Create the socket in a directory of its own (e.g. `/run/{0}/{file}`) and mount one named volume there in both `{0}` and `{nginx}`",
                s.name
            ),
            [],
        );
    }
    let title = match topo.platform {
        Platform::Compose if server_dir == nginx_dir => format!(
            "Mount one named volume at `{server_dir}` in both `{}` and `{nginx}`",
            s.name
        ),
        Platform::Compose => format!(
            "Mount one named volume at `{server_dir}` in `{}` and at `{nginx_dir}` in `{nginx}`",
            s.name
        ),
        Platform::Kubernetes if s.unit == nginx_unit => format!(
            "Mount one `emptyDir` volume at `{server_dir}` in container `{}` and at `{nginx_dir}` in container `{nginx}`",
            s.name
        ),
        Platform::Kubernetes => format!(
            "Connect to `{}` over TCP through a Service, or run it in nginx's pod with an `emptyDir` shared at `{server_dir}`",
            s.name
        ),
    };
    Fix::display_only(title, [])
}

/// Directories the image itself uses, not to be covered by a volume.
const SHARED_DIRS: &[&str] = &["/", "/tmp", "/run", "/var/run", "/var/tmp"];

fn dir(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((d, _)) => d,
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_none, run, run_one};

    #[test]
    fn socket_in_the_app_container_only() {
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n  app:\n    image: python:3.12\n    command: uwsgi --socket /tmp/app.sock --module app:app\n";
        let conf = "server { listen 80; location / { include uwsgi_params; uwsgi_pass unix:/tmp/app.sock; } }";
        let f = run_one(conf, compose, "UC2009");
        crate::testing::assert_contains(&f.message, "`app` creates `/tmp/app.sock`");
    }

    #[test]
    fn nginx_joins_the_volume_the_app_already_uses() {
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./default.conf:/etc/nginx/conf.d/default.conf:ro\n  app:\n    image: python:3.12\n    command: uwsgi --socket /run/app/app.sock --module app:app\n    volumes:\n      - sockets:/run/app\nvolumes:\n  sockets: {}\n";
        let conf = "server { listen 80; location / { include uwsgi_params; uwsgi_pass unix:/run/app/app.sock; } }";
        let f = run_one(conf, compose, "UC2009");
        assert_eq!(f.fixes[0].applicability, crate::fix::Applicability::Unsafe);
    }

    #[test]
    fn shared_named_volume_is_fine() {
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n    volumes: [\"sockets:/sock\"]\n  app:\n    image: python:3.12\n    command: uwsgi --socket /run/app/app.sock --module app:app\n    volumes: [\"sockets:/run/app\"]\nvolumes:\n  sockets: {}\n";
        let conf = "server { listen 80; location / { include uwsgi_params; uwsgi_pass unix:/sock/app.sock; } }";
        let r = run(conf, compose);
        assert_none(&r, &["UC2009"]);
    }

    #[test]
    fn list_append_keeps_indentation_and_quotes() {
        let compose = "services:\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - \"./default.conf:/etc/nginx/conf.d/default.conf:ro\"\n  app:\n    image: python:3.12\n    command: uwsgi --socket /run/app/app.sock --module app:app\n    volumes:\n      - sockets:/run/app\nvolumes:\n  sockets: {}\n";
        let conf = "server { listen 80; location / { include uwsgi_params; uwsgi_pass unix:/run/app/app.sock; } }";
        let f = run_one(conf, compose, "UC2009");
        let fix = &f.fixes[0];
        crate::testing::assert_contains(&fix.diff, "+      - \"sockets:/run/app\"");
    }
}

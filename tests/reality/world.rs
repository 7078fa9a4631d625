//! Materialises a [`Plan`] as real Linux namespaces, starts the stubs and
//! the real nginx, and probes every upstream through nginx.
//!
//! Layout: one network namespace per unit; one more standing in for the
//! docker host / Kubernetes node, holding one bridge per network (address =
//! the network's gateway), the veth ends of the units, and for Kubernetes
//! the cluster DNS address and the nftables DNAT of every ClusterIP. For
//! compose it is the docker host: a service in the host's network
//! (`network_mode: host`) runs there, nginx too, and a docker-proxy of
//! stub.py answers every published port on the host address its `ports:`
//! bind names and forwards to the container's address. Units
//! get no default route, so nothing they send can leave the modelled
//! addresses; Kubernetes pods route the service CIDR to the node.
//!
//! nginx runs chrooted into a root the harness builds: the machine's `/usr`
//! (nginx, libc), the image's `/etc/nginx` files with the scenario's files
//! where the topology mounts them, the unit's `/etc/hosts` and
//! `/etc/resolv.conf`, and only its own container's shared volumes. Mounts
//! are made in the private mount namespace `ip netns exec` gives each
//! process, so they vanish with it.

use crate::plan::{DnsSite, Plan, ProbeConf};
use crate::sys::{self, Guard};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What real nginx did with one upstream.
#[derive(Debug, Clone)]
pub struct Observed {
    /// nginx's connection reached the stub the topology puts there.
    pub reachable: bool,
    /// What happened, in a few words.
    pub detail: String,
}

/// What real nginx did with a scenario.
pub struct Outcome {
    /// `nginx -t` passed and the master stayed up.
    pub starts: bool,
    /// nginx's own words when it refused.
    pub message: String,
    /// Per report upstream; `None` when there is nothing to probe.
    pub upstreams: Vec<Option<Observed>>,
    /// Things worth saying (stubs that could not bind, …).
    pub notes: Vec<String>,
}

struct Names {
    node: String,
    units: Vec<String>,
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Builds the world, runs nginx and probes. Everything created is owned by `guard`.
pub fn run(plan: &Plan, tag: &str, work: &Path, guard: &mut Guard) -> Result<Outcome, String> {
    let pid = std::process::id();
    let names = Names {
        node: format!("{}{pid}-{tag}-h", sys::PREFIX),
        units: (0..plan.units.len())
            .map(|k| {
                if Some(k) == plan.host_unit {
                    format!("{}{pid}-{tag}-h", sys::PREFIX)
                } else {
                    format!("{}{pid}-{tag}-u{k}", sys::PREFIX)
                }
            })
            .collect(),
    };
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    guard.dir = Some(work.to_path_buf());
    guard.add_netns(&names.node)?;
    for (k, n) in names.units.iter().enumerate() {
        if Some(k) != plan.host_unit {
            guard.add_netns(n)?;
        }
    }
    network(plan, &names, work)?;
    let notes = stubs(plan, &names, work, guard)?;
    let root = work.join("root");
    build_root(plan, &root)?;
    let ns = &names.units[plan.nginx_unit];
    let launcher = launcher(plan, &root, work);
    let mut g = String::new();
    if !plan.sets_daemon {
        g.push_str("daemon off;");
    }
    if plan.uses_stream {
        g.push_str(&format!(" load_module {};", sys::STREAM_MODULE));
    }
    let base = ["-p", "/etc/nginx/", "-c", "/etc/nginx/nginx.conf"];
    let mut test_args: Vec<String> = vec!["-t".into()];
    test_args.extend(base.iter().map(|s| s.to_string()));
    if !g.is_empty() {
        test_args.extend(["-g".into(), g.clone()]);
    }
    let mut argv: Vec<String> = vec!["sh".into(), "-ec".into(), launcher.clone(), "sh".into()];
    let t = {
        let mut a = vec!["netns", "exec", ns];
        a.extend(argv.iter().map(String::as_str));
        a.extend(test_args.iter().map(String::as_str));
        sys::run("ip", &a)
    };
    let (mut starts, mut message) = match t {
        Ok(_) => (true, String::new()),
        Err(e) => (false, emerg(&e)),
    };
    if starts {
        argv.extend(base.iter().map(|s| s.to_string()));
        if !g.is_empty() {
            argv.extend(["-g".into(), g.clone()]);
        }
        let child = sys::spawn_in(ns, &argv, &work.join("nginx.out"), &work.join("nginx.err"))?;
        guard.children.push((child, "nginx".into()));
        let pid_file = pid_file(plan, &root, work);
        let up = sys::wait_for(Duration::from_secs(5), || pid_file.exists());
        let exited = guard
            .children
            .iter_mut()
            .find(|(_, l)| l == "nginx")
            .is_some_and(|(c, _)| matches!(c.try_wait(), Ok(Some(_))));
        if !up || exited {
            starts = false;
            message = emerg(&std::fs::read_to_string(work.join("nginx.err")).unwrap_or_default());
            if message.is_empty() {
                message = "nginx exited at start".into();
            }
        }
    }

    let mut upstreams = Vec::new();
    for (i, p) in plan.probes.iter().enumerate() {
        if p.confs.is_empty() {
            upstreams.push(None);
            continue;
        }
        let mut worst: Option<Observed> = None;
        for (k, conf) in p.confs.iter().enumerate() {
            let o = probe(&root, work, ns, &launcher, &format!("{i}-{k}"), conf, guard)?;
            let o = Observed {
                detail: if p.confs.len() > 1 {
                    format!("{}: {}", conf.what, o.detail)
                } else {
                    o.detail
                },
                ..o
            };
            worst = match worst {
                Some(w) if !w.reachable => Some(w),
                _ => Some(o),
            };
        }
        upstreams.push(worst);
    }
    Ok(Outcome {
        starts,
        message,
        upstreams,
        notes,
    })
}

/// nginx's `[emerg]` lines (or the whole text when it has none).
fn emerg(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("[emerg]") || l.contains("[alert]"))
        .collect();
    let s = if lines.is_empty() {
        text.trim().to_string()
    } else {
        lines.join("; ")
    };
    // Drop the timestamp and the pid#tid nginx writes before its words.
    let s = match s.find("[emerg]") {
        Some(i) => s[i..].to_string(),
        None => s,
    };
    match s.split_once(": ") {
        Some((head, rest)) if head.contains('#') => {
            format!("{} {rest}", head.split_whitespace().next().unwrap_or(""))
        }
        _ => s,
    }
}

/// Bridges, veths, addresses, routes and Service DNAT.
fn network(plan: &Plan, names: &Names, work: &Path) -> Result<(), String> {
    let mut node =
        String::from("echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6\nip link set lo up\n");
    for (j, n) in plan.networks.iter().enumerate() {
        node.push_str(&format!(
            "ip link add br{j} type bridge forward_delay 0\nip addr add {}/{} dev br{j}\nip link set br{j} up\n",
            n.gateway,
            n.subnet.prefix_len()
        ));
    }
    for (k, u) in plan.units.iter().enumerate() {
        for (e, (j, _, _)) in u.ifaces.iter().enumerate() {
            node.push_str(&format!(
                "ip link add v{k}e{e} type veth peer name eth{e} netns {}\nip link set v{k}e{e} master br{j} up\n",
                names.units[k]
            ));
        }
    }
    if let Some((DnsSite::Cluster(ip), _)) = &plan.dns {
        node.push_str(&format!("ip addr add {ip}/32 dev lo\n"));
    }
    if plan.service_cidr.is_some() {
        let mut nft = String::from(
            "table ip upc {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n",
        );
        for svc in &plan.services {
            let (cip, port) = (svc.ip, svc.port);
            match svc.endpoints.as_slice() {
                [] => nft.push_str(&format!("    ip daddr {cip} tcp dport {port} reject\n")),
                [(ip, p)] => nft.push_str(&format!(
                    "    ip daddr {cip} tcp dport {port} dnat to {ip}:{p}\n"
                )),
                many => {
                    let map: Vec<String> = many
                        .iter()
                        .enumerate()
                        .map(|(n, (ip, p))| format!("{n} : {ip} . {p}"))
                        .collect();
                    nft.push_str(&format!(
                        "    ip daddr {cip} tcp dport {port} dnat ip addr . port to numgen inc mod {} map {{ {} }}\n",
                        many.len(),
                        map.join(", ")
                    ));
                }
            }
        }
        nft.push_str("  }\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n    ct status dnat masquerade\n  }\n}\n");
        let f = work.join("services.nft");
        std::fs::write(&f, nft).map_err(|e| e.to_string())?;
        node.push_str(&format!(
            "echo 1 > /proc/sys/net/ipv4/ip_forward\nnft -f {}\n",
            sh_quote(&f.to_string_lossy())
        ));
    }
    sys::in_netns(&names.node, &node)?;
    for (k, u) in plan.units.iter().enumerate() {
        if Some(k) == plan.host_unit {
            continue;
        }
        let mut s = String::from("ip link set lo up\n");
        for (e, (_, ip, prefix)) in u.ifaces.iter().enumerate() {
            s.push_str(&format!(
                "echo 1 > /proc/sys/net/ipv6/conf/eth{e}/disable_ipv6\nip addr add {ip}/{prefix} dev eth{e}\nip link set eth{e} up\n"
            ));
        }
        for (cidr, via) in &u.routes {
            s.push_str(&format!("ip route add {cidr} via {via}\n"));
        }
        sys::in_netns(&names.units[k], &s)?;
    }
    Ok(())
}

/// Starts one stub process per namespace that needs one; waits until each
/// has bound its sockets.
fn stubs(
    plan: &Plan,
    names: &Names,
    work: &Path,
    guard: &mut Guard,
) -> Result<Vec<String>, String> {
    let py = sys::python().ok_or("python3 is missing")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reality/stub.py");
    let mut jobs: Vec<(String, serde_json::Value, String)> = Vec::new();
    for (k, u) in plan.units.iter().enumerate() {
        let mut cfg = serde_json::json!({ "listeners": u.listeners });
        if k == plan.nginx_unit
            && let Some((DnsSite::Embedded, records)) = &plan.dns
        {
            cfg["dns"] = serde_json::json!({ "addr": "127.0.0.11", "records": records });
        }
        if Some(k) == plan.host_unit {
            continue;
        }
        if !u.listeners.is_empty() || cfg.get("dns").is_some() {
            jobs.push((names.units[k].clone(), cfg, format!("u{k}")));
        }
    }
    // The host namespace: the programs of services in the host's network
    // (`network_mode: host`) and docker-proxy for published ports.
    let host_listeners = plan
        .host_unit
        .map(|k| plan.units[k].listeners.clone())
        .unwrap_or_default();
    if !host_listeners.is_empty() || !plan.forwards.is_empty() {
        jobs.push((
            names.node.clone(),
            serde_json::json!({ "listeners": host_listeners, "forwards": plan.forwards }),
            "host".into(),
        ));
    }
    if let Some((DnsSite::Cluster(ip), records)) = &plan.dns {
        jobs.push((
            names.node.clone(),
            serde_json::json!({ "listeners": [], "dns": { "addr": ip.to_string(), "records": records } }),
            "node".into(),
        ));
    }
    let mut readies = Vec::new();
    for (ns, mut cfg, label) in jobs {
        let ready = work.join(format!("stub-{label}.ready"));
        cfg["log"] = work
            .join(format!("stub-{label}.log"))
            .to_string_lossy()
            .to_string()
            .into();
        cfg["ready"] = ready.to_string_lossy().to_string().into();
        let cfg_path = work.join(format!("stub-{label}.json"));
        std::fs::write(&cfg_path, cfg.to_string()).map_err(|e| e.to_string())?;
        let argv = vec![
            py.clone(),
            script.to_string_lossy().to_string(),
            cfg_path.to_string_lossy().to_string(),
        ];
        let child = sys::spawn_in(
            &ns,
            &argv,
            &work.join(format!("stub-{label}.out")),
            &work.join(format!("stub-{label}.err")),
        )?;
        guard.children.push((child, format!("stub-{label}")));
        readies.push((ready, label));
    }
    let mut notes = Vec::new();
    for (ready, label) in readies {
        if !sys::wait_for(Duration::from_secs(10), || ready.exists()) {
            let err =
                std::fs::read_to_string(work.join(format!("stub-{label}.err"))).unwrap_or_default();
            return Err(format!("stub {label} did not start: {err}"));
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&ready).unwrap_or_default())
                .unwrap_or_default();
        for e in v["errors"].as_array().into_iter().flatten() {
            notes.push(format!(
                "stub could not listen: {}",
                e.as_str().unwrap_or("")
            ));
        }
    }
    Ok(notes)
}

/// Where nginx's pid file shows from outside its mount namespace: in the
/// volume mounted over its directory (`/var/run` is a link to `/run` in
/// the chroot, as in the images), else in the chroot.
fn pid_file(plan: &Plan, root: &Path, work: &Path) -> PathBuf {
    let canon = |p: &str| match p.strip_prefix("/var/run") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("/run{rest}"),
        _ => p.to_string(),
    };
    let pid = canon(&plan.pid_path);
    for (target, vol) in plan.nginx_mounts.iter().rev() {
        let t = canon(target.trim_end_matches('/'));
        if let Some(rest) = pid.strip_prefix(&t)
            && rest.starts_with('/')
        {
            return work
                .join("vol")
                .join(vol.to_string())
                .join(rest.trim_start_matches('/'));
        }
    }
    root.join(pid.trim_start_matches('/'))
}

/// The root nginx is chrooted into.
fn build_root(plan: &Plan, root: &Path) -> Result<(), String> {
    let mk = |p: &Path| std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()));
    for d in [
        "usr",
        "dev",
        "proc",
        "etc",
        "tmp",
        "run",
        "var/log/nginx",
        "var/cache/nginx",
        "var/lib/nginx",
        "upc/tmp",
    ] {
        mk(&root.join(d))?;
    }
    for l in ["bin", "sbin", "lib", "lib64"] {
        if let Ok(t) = std::fs::read_link(Path::new("/").join(l)) {
            std::os::unix::fs::symlink(t, root.join(l)).map_err(|e| e.to_string())?;
        }
    }
    std::os::unix::fs::symlink("../run", root.join("var/run")).map_err(|e| e.to_string())?;
    let _ = std::fs::set_permissions(
        root.join("tmp"),
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    );
    let _ = std::fs::copy("/etc/ld.so.cache", root.join("etc/ld.so.cache"));
    let write = |p: &str, b: &[u8]| -> Result<(), String> {
        let dest = root.join(p.trim_start_matches('/'));
        mk(dest.parent().expect("has a parent"))?;
        std::fs::write(&dest, b).map_err(|e| format!("{}: {e}", dest.display()))
    };
    write(
        "/etc/passwd",
        b"root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/nonexistent:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    )?;
    write(
        "/etc/group",
        b"root:x:0:\nnginx:x:101:\nwww-data:x:33:\nnogroup:x:65534:\n",
    )?;
    for (p, b) in &plan.files {
        write(p, b)?;
    }
    for (target, _) in &plan.nginx_mounts {
        mk(&root.join(target.trim_start_matches('/')))?;
    }
    Ok(())
}

/// The shell that mounts nginx's view and execs nginx in the chroot.
fn launcher(plan: &Plan, root: &Path, work: &Path) -> String {
    let r = root.to_string_lossy();
    let mut s = String::new();
    for d in ["usr", "dev", "proc"] {
        s.push_str(&format!(
            "mount --bind /{d} {}\n",
            sh_quote(&format!("{r}/{d}"))
        ));
    }
    for (target, vol) in &plan.nginx_mounts {
        // The host's own trees stand in for the image's: a volume below
        // them (static files under /usr/share) moves no upstream.
        if ["/usr/", "/dev/", "/proc/"]
            .iter()
            .any(|d| target.starts_with(d))
        {
            continue;
        }
        let src: PathBuf = work.join("vol").join(vol.to_string());
        let _ = std::fs::create_dir_all(&src);
        let _ = std::fs::set_permissions(&src, std::os::unix::fs::PermissionsExt::from_mode(0o777));
        s.push_str(&format!(
            "mount --bind {} {}\n",
            sh_quote(&src.to_string_lossy()),
            sh_quote(&format!("{r}{target}"))
        ));
    }
    s.push_str(&format!(
        "exec chroot {} /usr/sbin/nginx \"$@\"\n",
        sh_quote(&r)
    ));
    s
}

/// Lines the stubs logged so far.
fn stub_log(work: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(d) = std::fs::read_dir(work) {
        let mut files: Vec<PathBuf> = d
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        files.sort();
        for f in files {
            out.extend(
                std::fs::read_to_string(f)
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_string),
            );
        }
    }
    out
}

/// One probe: a separate nginx with only this upstream, one request.
#[allow(clippy::too_many_arguments)]
fn probe(
    root: &Path,
    work: &Path,
    ns: &str,
    launcher: &str,
    id: &str,
    conf: &ProbeConf,
    guard: &mut Guard,
) -> Result<Observed, String> {
    let sock = format!("/upc/probe-{id}.sock");
    let mut text = String::new();
    if conf.stream {
        text.push_str(&format!("load_module {};\n", sys::STREAM_MODULE));
    }
    text.push_str(&format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\nerror_log /upc/probe-{id}.err info;\npid /upc/probe-{id}.pid;\nevents {{ worker_connections 256; }}\n"
    ));
    let body = conf.body.replace("@LISTEN@", &format!("unix:{sock}"));
    if conf.stream {
        text.push_str(&format!("stream {{\n{body}}}\n"));
    } else {
        text.push_str(&format!(
            "http {{\naccess_log off;\nclient_body_temp_path /upc/tmp/body;\nproxy_temp_path /upc/tmp/proxy;\nfastcgi_temp_path /upc/tmp/fastcgi;\nuwsgi_temp_path /upc/tmp/uwsgi;\nscgi_temp_path /upc/tmp/scgi;\n{body}}}\n"
        ));
    }
    std::fs::write(root.join(format!("upc/probe-{id}.conf")), &text).map_err(|e| e.to_string())?;
    let argv: Vec<String> = [
        "sh",
        "-ec",
        launcher,
        "sh",
        "-p",
        "/etc/nginx/",
        "-c",
        &format!("/upc/probe-{id}.conf"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let label = format!("probe-{id}");
    let child = sys::spawn_in(
        ns,
        &argv,
        &work.join(format!("probe-{id}.out")),
        &work.join(format!("probe-{id}.stderr")),
    )?;
    guard.children.push((child, label.clone()));
    let host_sock = root.join(sock.trim_start_matches('/'));
    let mut exited = false;
    sys::wait_for(Duration::from_secs(5), || {
        exited = guard
            .children
            .iter_mut()
            .find(|(_, l)| *l == label)
            .is_some_and(|(c, _)| matches!(c.try_wait(), Ok(Some(_))));
        exited || host_sock.exists()
    });
    if exited || !host_sock.exists() {
        let err =
            std::fs::read_to_string(work.join(format!("probe-{id}.stderr"))).unwrap_or_default();
        guard.stop(&label);
        return Ok(Observed {
            reachable: false,
            detail: format!("nginx refuses to start: {}", emerg(&err)),
        });
    }
    let before = stub_log(work).len();
    let answer = request(&host_sock);
    // Let the stub finish writing its log line.
    std::thread::sleep(Duration::from_millis(30));
    let seen: Vec<String> = stub_log(work).split_off(before);
    guard.stop(&label);
    let errlog =
        std::fs::read_to_string(root.join(format!("upc/probe-{id}.err"))).unwrap_or_default();
    let nginx_said = errlog
        .lines()
        .filter(|l| l.contains("[error]") || l.contains("[crit]"))
        .map(|l| {
            // Drop the timestamp, level and pid#tid nginx puts first.
            let l = l.split_once("] ").map(|x| x.1).unwrap_or(l);
            let l = l
                .split_once(": ")
                .filter(|x| x.0.contains('#'))
                .map(|x| x.1)
                .unwrap_or(l);
            l.split(", client:").next().unwrap_or(l).to_string()
        })
        .next();
    let (status, marker) = match &answer {
        Ok(a) => (a.0.clone(), a.1.clone()),
        Err(e) => (format!("no answer ({e})"), None),
    };
    let connected: Vec<&String> = seen.iter().filter(|l| l.starts_with("conn ")).collect();
    let detail = match (&marker, connected.first()) {
        (Some(m), _) => format!(
            "{status} from stub {m}{}",
            nginx_said
                .map(|s| format!("; nginx logged: {s}"))
                .unwrap_or_default()
        ),
        (None, Some(c)) => format!(
            "{status}; reached stub ({}){}",
            c.trim_start_matches("conn "),
            nginx_said
                .map(|s| format!("; nginx: {s}"))
                .unwrap_or_default()
        ),
        (None, None) => format!(
            "{status}{}",
            nginx_said
                .map(|s| format!("; nginx: {s}"))
                .unwrap_or_default()
        ),
    };
    Ok(Observed {
        reachable: marker.is_some() || !connected.is_empty(),
        detail,
    })
}

/// Sends one HTTP/1.1 request; returns the status text and the stub marker.
fn request(sock: &Path) -> Result<(String, Option<String>), String> {
    // The socket file appears at bind(), a moment before listen().
    let mut tries = 0;
    let mut s = loop {
        match UnixStream::connect(sock) {
            Ok(s) => break s,
            Err(e) if tries < 100 && e.kind() == std::io::ErrorKind::ConnectionRefused => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(6)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: upcheck.probe\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > 1 << 20 {
                    break;
                }
            }
            Err(e) if buf.is_empty() => return Err(e.to_string()),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = if text.starts_with("HTTP/") {
        text.split_whitespace().nth(1).unwrap_or("?").to_string()
    } else if text.is_empty() {
        "connection closed".into()
    } else {
        "raw answer".into()
    };
    let marker = text.lines().find_map(|l| {
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("x-upcheck-stub:") {
            Some(l[l.len() - v.len()..].trim().to_string())
        } else {
            l.find("upcheck-stub ")
                .map(|i| l[i + "upcheck-stub ".len()..].trim().to_string())
        }
    });
    Ok((status, marker))
}

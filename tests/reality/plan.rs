//! From a scenario to a plan of the real world that stands in for it: the
//! topology upcheck modelled (loaded again through the public API, as
//! `validate` does), turned into namespaces, bridges, addresses, stub
//! listeners, DNS records, the files nginx sees, and one probe per upstream.
//! A scenario that cannot be built faithfully gets a reason instead.

use ipnet::Ipv4Net;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use upcheck::Report;
use upcheck::input::Input;
use upcheck::nginx::{self, upstreams};
use upcheck::report::FileRole;
use upcheck::source::{SourceMap, Span};
use upcheck::topology::build::ImageFileSource;
use upcheck::topology::*;

/// How one unit (network namespace) is built.
pub struct UnitPlan {
    /// `(network index, address, prefix length)` for each interface `eth<k>`.
    pub ifaces: Vec<(usize, Ipv4Addr, u8)>,
    /// Routes `(destination CIDR, via)`.
    pub routes: Vec<(String, Ipv4Addr)>,
    /// Stub listeners (JSON objects for stub.py).
    pub listeners: Vec<serde_json::Value>,
}

/// A bridge in the host/node namespace.
pub struct NetPlan {
    /// The network's name.
    pub name: String,
    /// Subnet.
    pub subnet: Ipv4Net,
    /// The bridge's address (the network's gateway).
    pub gateway: Ipv4Addr,
}

/// One port of a ClusterIP Service and where it leads.
pub struct ServicePlan {
    /// The cluster IP.
    pub ip: Ipv4Addr,
    /// The Service port.
    pub port: u16,
    /// Pod address and targetPort of every selected pod.
    pub endpoints: Vec<(Ipv4Addr, u16)>,
}

/// Where names are served.
pub enum DnsSite {
    /// Docker's embedded DNS: 127.0.0.11 inside nginx's own namespace.
    Embedded,
    /// Cluster DNS: this address in the node namespace.
    Cluster(Ipv4Addr),
}

/// One probe configuration (an nginx `http` or `stream` body).
pub struct ProbeConf {
    /// `http` or `stream`.
    pub stream: bool,
    /// The text inside `http { }` / `stream { }`, with `@LISTEN@` for the
    /// probe's listen socket.
    pub body: String,
    /// What is probed, for messages.
    pub what: String,
}

/// The probes of one upstream (several for a variable with several values;
/// the worst decides, as upcheck's resolver says).
pub struct UpstreamProbe {
    /// Index in the report's upstreams.
    pub report_index: usize,
    /// Target as written.
    pub target: String,
    /// upcheck's status.
    pub predicted: upcheck::network::Status,
    /// The configurations to try.
    pub confs: Vec<ProbeConf>,
    /// For an upstream that names `upstream { }` groups: their servers in
    /// rotation (not marked `down`), each probed on its own as well. The
    /// group policy judges the group by them too.
    pub members: Vec<GroupMember>,
}

/// A server of a group an upstream names.
pub struct GroupMember {
    /// The server as written.
    pub target: String,
    /// Its own probe (index in [`Plan::probes`]); `None` when upcheck's
    /// report does not list it.
    pub probe: Option<usize>,
}

/// Everything needed to materialise one scenario.
pub struct Plan {
    /// Units, by topology index.
    pub units: Vec<UnitPlan>,
    /// Bridges.
    pub networks: Vec<NetPlan>,
    /// nginx's unit.
    pub nginx_unit: usize,
    /// The unit that is the docker host's own namespace (compose
    /// `network_mode: host`): built as the host namespace itself, which
    /// holds the bridges, not as a namespace of its own.
    pub host_unit: Option<usize>,
    /// docker-proxy for every published port (JSON objects for stub.py's
    /// `forwards`), run in the host namespace.
    pub forwards: Vec<serde_json::Value>,
    /// Files nginx sees: container path → content.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Directories of shared volumes nginx mounts: container path → volume index.
    pub nginx_mounts: Vec<(String, usize)>,
    /// Where DNS is served and what it answers.
    pub dns: Option<(DnsSite, BTreeMap<String, Vec<String>>)>,
    /// Kubernetes Service translation.
    pub services: Vec<ServicePlan>,
    /// Kubernetes service CIDR (routed from pods to the node).
    pub service_cidr: Option<Ipv4Net>,
    /// The configuration loads the stream module.
    pub uses_stream: bool,
    /// The configuration sets `daemon` itself.
    pub sets_daemon: bool,
    /// Where the configuration's pid file is (inside the container).
    pub pid_path: String,
    /// One entry per report upstream.
    pub probes: Vec<UpstreamProbe>,
}

/// What the world beyond the topology answers for a name upcheck cannot
/// check: TEST-NET-1 (RFC 5737), which no namespace of the harness routes.
const OUTSIDE_ANSWER: &str = "192.0.2.1";

/// Why a scenario cannot be materialised faithfully.
pub type NotMaterialisable = String;

/// The official nginx image's `/etc/nginx/nginx.conf` (1.22), used when the
/// scenario does not replace it.
const IMAGE_NGINX_CONF: &str = "user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;
    access_log  /var/log/nginx/access.log;
    sendfile        on;
    keepalive_timeout  65;
    include /etc/nginx/conf.d/*.conf;
}
";

/// Files of the nginx image other than nginx.conf (taken from the
/// machine's nginx package, which ships the same ones).
const IMAGE_FILES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "uwsgi_params",
    "scgi_params",
    "koi-utf",
    "koi-win",
    "win-utf",
];

fn private(net: &Ipv4Net) -> bool {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .any(|p| p.parse::<Ipv4Net>().expect("constant").contains(net))
}

fn path_under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || path.starts_with(&format!("{dir}/"))
}

/// `envsubst` as the official image's entrypoint runs it: only variables
/// that are defined are replaced (`$NAME` and `${NAME}`).
pub fn envsubst(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (name, end) = if b.get(i + 1) == Some(&b'{') {
                match text[i + 2..].find('}') {
                    Some(j) => (&text[i + 2..i + 2 + j], i + 3 + j),
                    None => ("", i + 1),
                }
            } else {
                let j = text[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map(|j| i + 1 + j)
                    .unwrap_or(b.len());
                (&text[i + 1..j], j)
            };
            if let Some(v) = env.get(name).filter(|_| !name.is_empty()) {
                out.push_str(v);
                i = end;
                continue;
            }
        }
        let c = text[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Builds the plan for a scenario, or says why it cannot be built.
pub fn build(input: &Input, report: &Report, work: &Path) -> Result<Plan, NotMaterialisable> {
    let sources: &SourceMap = &report.sources;
    let file_id = |path: &str| {
        sources
            .iter()
            .find(|(_, f)| f.path == path)
            .map(|(id, _)| id)
    };
    // The topology, loaded as validate loads it.
    let topo = upcheck::load_model(input)
        .map_err(|e| format!("the input does not load: {e}"))?
        .1;
    // A project compose refuses has no world to build.
    if let Some(b) = topo.blockers.first() {
        return Err(format!(
            "compose refuses the project, nothing runs: {}",
            b.message
        ));
    }
    // The harness builds what upcheck modelled, so both must see one world.
    let table = |rows: &[upcheck::report::topology::AddressRow]| {
        serde_json::to_string(rows).unwrap_or_default()
    };
    if table(&upcheck::report::topology::address_table(&topo)) != table(&report.addresses) {
        return Err(
            "the harness's own loading of the topology differs from upcheck's address table".into(),
        );
    }

    // The nginx configuration as upcheck read it, to probe the same upstreams.
    let main = report
        .input
        .files
        .iter()
        .find(|f| matches!(f.role, FileRole::NginxMain | FileRole::NginxImageDefault))
        .and_then(|f| file_id(&f.path))
        .ok_or("upcheck's report names no main nginx file")?;
    let parse_opts = nginx::ParseOptions {
        paths: report
            .input
            .files
            .iter()
            .filter_map(|f| Some((file_id(&f.path)?, f.container_path.clone()?)))
            .collect(),
        ..Default::default()
    };
    let config = nginx::parse(sources, main, &parse_opts);
    let ex = upstreams::extract(&config, sources);

    let sites: Vec<(usize, usize)> = topo
        .nginx_sites()
        .iter()
        .map(|s| (s.unit.0, s.container))
        .collect();
    let &[(nu, nc)] = sites.as_slice() else {
        return Err(format!(
            "{} nginx containers in the topology (the harness runs exactly one)",
            sites.len()
        ));
    };
    let nginx_unit = &topo.units[nu];
    let nginx_container = &nginx_unit.containers[nc];

    // What cannot be reproduced here.
    // The docker host's namespace is the harness's host namespace; a
    // Kubernetes node shared by pods is not built.
    let host_unit = topo.units.iter().position(|u| u.kind == UnitKind::Host);
    if topo.platform != Platform::Compose
        && topo
            .units
            .iter()
            .enumerate()
            .any(|(i, u)| u.host_network && Some(i) != host_unit)
    {
        return Err("a pod uses the node's network namespace (hostNetwork)".into());
    }
    if topo
        .units
        .iter()
        .enumerate()
        .any(|(i, u)| u.host_network && Some(i) != host_unit)
    {
        return Err("a unit other than the docker host uses the host's network namespace".into());
    }
    if nginx_unit
        .extra_hosts
        .iter()
        .any(|h| h.ip == "host-gateway")
    {
        return Err("extra_hosts `host-gateway` needs the docker host's published ports".into());
    }
    for g in &ex.groups {
        for m in &g.servers {
            if ex.upstreams[*m].params.as_ref().is_some_and(|p| p.resolve) {
                return Err(format!(
                    "upstream `{}` uses `server … resolve`, which needs nginx >= 1.27.3 (the harness has {})",
                    g.name,
                    nginx_version()
                ));
            }
        }
    }

    // Networks.
    let mut networks = Vec::new();
    let mut net_index: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, n) in topo.networks.iter().enumerate() {
        let used = topo
            .units
            .iter()
            .any(|u| u.addresses.iter().any(|a| a.network.0 == i));
        // The host network is the host namespace itself.
        if !used || n.kind == NetworkKind::Host {
            continue;
        }
        // A network created outside the project with no driver named is
        // what `docker network create` makes: a user-defined bridge.
        let external_bridge = n.kind == NetworkKind::Other && n.external;
        if !external_bridge
            && !matches!(
                n.kind,
                NetworkKind::Bridge | NetworkKind::DefaultBridge | NetworkKind::Pod
            )
        {
            return Err(format!("network `{}` is of kind {:?}", n.name, n.kind));
        }
        let subnet: Ipv4Net = n
            .subnet
            .as_deref()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("network `{}` has no IPv4 subnet", n.name))?;
        if !private(&subnet) {
            return Err(format!(
                "network `{}` has a non-private subnet {subnet}",
                n.name
            ));
        }
        let gateway = match n.gateway {
            Some(IpAddr::V4(g)) => g,
            Some(IpAddr::V6(_)) => return Err(format!("network `{}` has an IPv6 gateway", n.name)),
            None => subnet.hosts().next().ok_or("empty subnet")?,
        };
        if topo.units.iter().any(|u| {
            u.addresses
                .iter()
                .any(|a| a.network.0 == i && a.ip == Some(IpAddr::V4(gateway)))
        }) {
            return Err(format!(
                "a unit has the gateway address {gateway} of `{}`",
                n.name
            ));
        }
        net_index.insert(i, networks.len());
        networks.push(NetPlan {
            name: n.name.clone(),
            subnet,
            gateway,
        });
    }
    let cluster = topo.cluster.as_ref();
    let service_cidr: Option<Ipv4Net> = match cluster {
        Some(c) => Some(
            c.service_cidr
                .parse()
                .map_err(|_| format!("service CIDR {}", c.service_cidr))?,
        ),
        None => None,
    };
    if let Some(sc) = service_cidr
        && !private(&sc)
    {
        return Err(format!("non-private service CIDR {sc}"));
    }

    // Addresses anything in the plan may talk to: the modelled world.
    let modelled = |ip: IpAddr| -> bool {
        match ip {
            IpAddr::V4(v4) => {
                v4.is_loopback()
                    || networks.iter().any(|n| n.subnet.contains(&v4))
                    || service_cidr.is_some_and(|s| s.contains(&v4))
            }
            IpAddr::V6(v6) => v6.is_loopback(),
        }
    };
    for r in &ex.resolvers {
        for a in &r.addresses {
            match a.at.host.parse::<IpAddr>() {
                Ok(ip) if modelled(ip) => {}
                // A name is looked up at start-up in the modelled DNS.
                Err(_) => {}
                Ok(_) => {
                    return Err(format!(
                        "resolver `{}` is outside the modelled world (the harness sends nothing there)",
                        a.at.host
                    ));
                }
            }
        }
    }
    for up in &ex.upstreams {
        if let upstreams::Target::Host(h) = &up.target
            && let Ok(ip) = h.host.trim_matches(['[', ']']).parse::<IpAddr>()
            && !modelled(ip)
        {
            return Err(format!(
                "upstream `{}` is outside the modelled world",
                h.host
            ));
        }
    }

    // Units.
    let vol_dir = |v: usize| work.join("vol").join(v.to_string());
    let mut units = Vec::new();
    for (ui, u) in topo.units.iter().enumerate() {
        let mut ifaces = Vec::new();
        for a in &u.addresses {
            let Some(&ni) = net_index.get(&a.network.0) else {
                continue;
            };
            match a.ip {
                Some(IpAddr::V4(ip)) if networks[ni].subnet.contains(&ip) => {
                    ifaces.push((ni, ip, networks[ni].subnet.prefix_len()))
                }
                other => {
                    return Err(format!(
                        "unit `{}` has address {other:?} on `{}`",
                        u.name, networks[ni].name
                    ));
                }
            }
        }
        let mut routes = Vec::new();
        if let (Some(sc), Some(&(ni, _, _))) = (service_cidr, ifaces.first()) {
            routes.push((sc.to_string(), networks[ni].gateway));
        }
        units.push(UnitPlan {
            ifaces,
            routes,
            listeners: stub_listeners(&topo, ui, work, &vol_dir),
        });
    }

    // docker-proxy for the ports services publish on the host: on every
    // host address (`ports: "8080:80"`: both families), or on the address
    // `host_ip` names, forwarding to the container's address.
    let mut forwards = Vec::new();
    for (ui, u) in topo.units.iter().enumerate() {
        let Some(&(_, to, _)) = units[ui].ifaces.first() else {
            continue;
        };
        if Some(ui) == host_unit {
            continue;
        }
        for p in u.containers.iter().flat_map(|c| &c.ports) {
            let Some(port) = p.host_port else { continue };
            if p.kind != PortKind::Published || p.protocol != Protocol::Tcp {
                continue;
            }
            let mut f = serde_json::json!({
                "marker": format!("docker-proxy {}", u.name),
                "port": port,
                "to": to.to_string(),
                "to_port": p.container_port,
            });
            match p.host_ip.as_deref().map(|h| h.trim_matches(['[', ']'])) {
                None | Some("") => f["bind"] = "any".into(),
                Some(h) => match h.parse::<IpAddr>() {
                    Ok(IpAddr::V4(v4)) if v4.is_unspecified() => f["bind"] = "v4".into(),
                    Ok(IpAddr::V6(v6)) if v6.is_unspecified() => f["bind"] = "v6".into(),
                    Ok(ip) => {
                        f["bind"] = "ip".into();
                        f["addr"] = ip.to_string().into();
                    }
                    Err(_) => return Err(format!("published port bound to `{h}`")),
                },
            }
            forwards.push(f);
        }
    }

    // Names.
    let mut records: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cnames: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, ip: IpAddr| {
        let e = records.entry(name.to_lowercase()).or_default();
        if !e.contains(&ip.to_string()) {
            e.push(ip.to_string());
        }
    };
    let mut hosts_links = Vec::new();
    let dns = match topo.platform {
        Platform::Compose => {
            let user_defined = nginx_unit
                .addresses
                .iter()
                .any(|a| topo.networks[a.network.0].kind.has_dns());
            for a in &nginx_unit.addresses {
                if !topo.networks[a.network.0].kind.has_dns() {
                    continue;
                }
                for other in &topo.units {
                    for oa in other.addresses.iter().filter(|oa| oa.network == a.network) {
                        if let Some(ip) = oa.ip {
                            for n in &oa.dns_names {
                                add(n, ip);
                            }
                        }
                    }
                }
            }
            for link in &nginx_unit.links {
                for other in &topo.units {
                    if !other
                        .containers
                        .iter()
                        .any(|c| c.service.as_deref() == Some(link.service.as_str()))
                    {
                        continue;
                    }
                    let shared = other.addresses.iter().find_map(|oa| {
                        nginx_unit
                            .addresses
                            .iter()
                            .any(|na| na.network == oa.network)
                            .then_some(oa.ip)
                            .flatten()
                    });
                    if let Some(ip) = shared {
                        if user_defined {
                            add(&link.alias, ip);
                            add(&link.service, ip);
                        } else {
                            hosts_links.push(format!("{ip}\t{} {}", link.alias, link.service));
                        }
                    }
                }
            }
            user_defined.then_some(DnsSite::Embedded)
        }
        Platform::Kubernetes => {
            let c = cluster.ok_or("Kubernetes topology without cluster facts")?;
            let IpAddr::V4(dns_ip) = c.dns_ip else {
                return Err("IPv6 cluster DNS".into());
            };
            for s in &topo.services {
                let fqdn = format!("{}.{}.svc.{}", s.name, s.namespace, c.domain);
                let pod_ip = |u: &UnitId| topo.units[u.0].addresses.iter().find_map(|a| a.ip);
                match s.kind {
                    ServiceKind::Headless => {
                        for u in &s.selected {
                            if let Some(ip) = pod_ip(u) {
                                add(&fqdn, ip);
                                if matches!(&topo.units[u.0].kind, UnitKind::Pod { workload_kind, .. } if workload_kind == "StatefulSet")
                                {
                                    add(&format!("{}.{fqdn}", topo.units[u.0].name), ip);
                                }
                                // hostname + subdomain naming this Service.
                                for n in topo.units[u.0].addresses.iter().flat_map(|a| &a.dns_names)
                                {
                                    if n.ends_with(&format!(".{fqdn}")) {
                                        add(n, ip);
                                    }
                                }
                            }
                        }
                        // CoreDNS answers the ready addresses of its slices.
                        for ip in slice_records(&topo, s) {
                            add(&fqdn, ip);
                        }
                    }
                    // Cluster DNS answers a CNAME (stub.py: `=target`).
                    ServiceKind::ExternalName(ref target) => {
                        cnames.push((
                            fqdn.to_lowercase(),
                            target.trim_end_matches('.').to_string(),
                        ));
                    }
                    _ => {
                        if let Some(ip) = s.cluster_ip {
                            add(&fqdn, ip);
                        }
                    }
                }
            }
            // Every cluster has its DNS Service.
            add(&format!("kube-dns.kube-system.svc.{}", c.domain), c.dns_ip);
            Some(DnsSite::Cluster(dns_ip))
        }
    };

    // The world beyond the topology answers names upcheck left
    // unverifiable (a public name, an ExternalName's outside target) with
    // an address nothing routes to: nginx starts, as upcheck assumes, and
    // what such an upstream reaches is not checked.
    for (name, target) in cnames {
        records.entry(name).or_default().push(format!("={target}"));
    }
    if dns.is_some() {
        let mut outside: Vec<String> = records
            .values()
            .flatten()
            .filter_map(|v| v.strip_prefix('='))
            .map(str::to_lowercase)
            .collect();
        for r in report
            .upstreams
            .iter()
            .filter(|r| r.status == upcheck::network::Status::Unverifiable)
        {
            let Some(up) = ex.upstreams.get(r.id) else {
                continue;
            };
            let hosts: Vec<&upstreams::HostTarget> = match &up.target {
                upstreams::Target::Host(h) => vec![h],
                upstreams::Target::Variable(v) => v
                    .static_values
                    .iter()
                    .filter_map(|c| match &c.target {
                        Some(upstreams::Target::Host(h)) => Some(h),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for h in hosts
                .into_iter()
                .filter(|h| h.kind == upstreams::HostKind::Name)
            {
                let name = h.host.trim_end_matches('.').to_lowercase();
                if name.contains('.') {
                    outside.push(name);
                } else if let Some(domain) = nginx_unit.dns.search.first() {
                    // A short name the search list takes outside.
                    outside.push(format!("{name}.{}", domain.to_lowercase()));
                }
            }
        }
        for name in outside {
            records
                .entry(name)
                .or_insert_with(|| vec![OUTSIDE_ANSWER.to_string()]);
        }
    }

    // Kubernetes Services: port → targetPort on every selected pod, and
    // the endpoints of their EndpointSlices.
    let mut services = Vec::new();
    for s in &topo.services {
        let Some(IpAddr::V4(cip)) = s.cluster_ip else {
            continue;
        };
        if matches!(s.kind, ServiceKind::Headless | ServiceKind::ExternalName(_)) {
            continue;
        }
        for p in &s.ports {
            if p.protocol != Protocol::Tcp {
                continue;
            }
            let mut eps = Vec::new();
            for u in &s.selected {
                let unit = &topo.units[u.0];
                let Some(IpAddr::V4(ip)) = unit.addresses.iter().find_map(|a| a.ip) else {
                    continue;
                };
                let port = match &p.target_port {
                    TargetPort::Number(n) => Some(*n),
                    TargetPort::Name(name) => unit.containers.iter().find_map(|c| {
                        c.ports
                            .iter()
                            .find(|d| d.name.as_deref() == Some(name.as_str()))
                            .map(|d| d.container_port)
                    }),
                };
                if let Some(port) = port {
                    eps.push((ip, port));
                }
            }
            eps.extend(slice_endpoints(&topo, s, p));
            services.push(ServicePlan {
                ip: cip,
                port: p.port,
                endpoints: eps,
            });
        }
    }

    // The files nginx sees.
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for name in IMAGE_FILES {
        if let Ok(b) = std::fs::read(Path::new("/etc/nginx").join(name)) {
            files.insert(format!("/etc/nginx/{name}"), b);
        }
    }
    let env: BTreeMap<String, String> = {
        let mut m = BTreeMap::new();
        for e in &nginx_container.env {
            match &e.value {
                Some(v) => {
                    m.insert(e.name.clone(), v.clone());
                }
                None => {
                    m.insert(e.name.clone(), String::new());
                }
            }
        }
        m
    };
    let mut templates = false;
    for f in &report.input.files {
        if matches!(
            f.role,
            FileRole::Topology | FileRole::NginxImageDefault | FileRole::NginxRendered
        ) {
            continue;
        }
        let id = file_id(&f.path).ok_or("file vanished")?;
        let bytes = sources.get(id).bytes.clone();
        // A project file (a Dockerfile, an env file, a script) is in nginx's
        // world only where a mount or the image's COPY puts it.
        let path = match container_path(&f.path, nginx_container, &topo) {
            Some(p) => p,
            None if f.role == FileRole::Project => continue,
            None => default_path(&f.path),
        };
        if let Some(rest) = path.strip_prefix("/etc/nginx/templates/")
            && let Some(stem) = rest.strip_suffix(".template")
        {
            templates = true;
            if nginx_container
                .env
                .iter()
                .any(|e| e.value.is_none() && String::from_utf8_lossy(&bytes).contains(&e.name))
            {
                return Err(format!(
                    "template {} uses an environment variable whose value is not known",
                    f.path
                ));
            }
            let text = envsubst(&String::from_utf8_lossy(&bytes), &env);
            files.insert(format!("/etc/nginx/conf.d/{stem}"), text.into_bytes());
        }
        files.insert(path, bytes);
    }
    // upcheck renders templates too: its rendering must be the image's.
    for f in report
        .input
        .files
        .iter()
        .filter(|f| f.role == FileRole::NginxRendered)
    {
        if let (Some(cp), Some(id)) = (&f.container_path, file_id(&f.path))
            && files
                .get(cp)
                .is_some_and(|mine| *mine != sources.get(id).bytes)
        {
            return Err(format!(
                "DISAGREE: upcheck renders {cp} differently from the image's envsubst"
            ));
        }
    }
    // ConfigMap files the topology mounts into nginx.
    for mf in &topo.mounted_files {
        if mf.unit.0 == nu && mf.container == nc {
            files
                .entry(mf.path.clone())
                .or_insert_with(|| mf.content.clone().into_bytes());
        }
    }
    files
        .entry("/etc/nginx/nginx.conf".into())
        .or_insert_with(|| IMAGE_NGINX_CONF.as_bytes().to_vec());

    // Shared volumes nginx mounts (configuration mounts are the files above).
    let mut nginx_mounts = Vec::new();
    for m in &nginx_container.mounts {
        let v = &topo.volumes[m.volume];
        let config_mount =
            path_under(&m.target, "/etc/nginx") || files.keys().any(|p| path_under(p, &m.target));
        let kind_ok = !matches!(v.kind, VolumeKind::ConfigMap(_) | VolumeKind::Secret(_));
        if !config_mount && kind_ok && m.target.starts_with('/') && !m.target.contains("..") {
            nginx_mounts.push((m.target.clone(), m.volume));
        }
    }

    // The nginx unit's /etc/hosts and resolv.conf.
    let mut hosts = String::from(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
    );
    if let (Some(h), Some(ip)) = (
        &nginx_unit.hostname,
        nginx_unit.addresses.iter().find_map(|a| a.ip),
    ) {
        hosts.push_str(&format!("{ip}\t{h}\n"));
    }
    for h in &nginx_unit.extra_hosts {
        hosts.push_str(&format!("{}\t{}\n", h.ip.trim_matches(['[', ']']), h.name));
    }
    for l in &hosts_links {
        hosts.push_str(&format!("{l}\n"));
    }
    let mut resolv = String::new();
    for ns in &nginx_unit.dns.nameservers {
        resolv.push_str(&format!("nameserver {ns}\n"));
    }
    if !nginx_unit.dns.search.is_empty() {
        resolv.push_str(&format!("search {}\n", nginx_unit.dns.search.join(" ")));
    }
    if nginx_unit.dns.ndots != 1 {
        resolv.push_str(&format!("options ndots:{}\n", nginx_unit.dns.ndots));
    }
    for ns in &nginx_unit.dns.nameservers {
        if !modelled(*ns) && !matches!(dns, Some(DnsSite::Embedded)) {
            return Err(format!(
                "nginx's nameserver {ns} is outside the modelled world"
            ));
        }
    }
    files.insert("/etc/hosts".into(), hosts.into_bytes());
    files.insert("/etc/resolv.conf".into(), resolv.into_bytes());
    files.insert("/etc/nsswitch.conf".into(), b"hosts: files dns\n".to_vec());

    // What the configuration itself says about process management.
    let all_text: String = report
        .input
        .files
        .iter()
        .filter(|f| f.role != FileRole::Topology)
        .filter_map(|f| file_id(&f.path))
        .map(|id| String::from_utf8_lossy(&sources.get(id).bytes).into_owned())
        .chain(
            files
                .iter()
                .filter(|(p, _)| p.starts_with("/etc/nginx/"))
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned()),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let directive = |name: &str| -> Option<String> {
        all_text.lines().find_map(|l| {
            let t = l.trim_start();
            let rest = t.strip_prefix(name)?;
            rest.starts_with(char::is_whitespace)
                .then(|| rest.trim().trim_end_matches(';').trim().to_string())
        })
    };
    let sets_daemon = directive("daemon").is_some();
    let pid_path = directive("pid").unwrap_or_else(|| "/run/nginx.pid".into());
    let uses_stream = all_text.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("stream") && t[6..].trim_start().starts_with('{')
    });

    // Probes, one per upstream upcheck reported.
    let mut probes = Vec::new();
    for (ri, r) in report.upstreams.iter().enumerate() {
        // The report lists the extraction's upstreams in order (`id`); a
        // location in a template stands for the file rendered from it.
        let up_index = r.id;
        let matches = ex.upstreams.get(up_index).is_some_and(|u| {
            u.directive.name() == r.directive
                && ((sources.get(u.span.file).path == r.location.file
                    && u.span.start == r.location.start)
                    || r.location.file.ends_with(".template")
                    // A configuration carried in a manifest (ConfigMap) is
                    // located in the manifest; the text is the same.
                    || (report
                        .input
                        .files
                        .iter()
                        .any(|f| f.role == FileRole::Topology && f.path == r.location.file)
                        && sources.snippet(u.span) == r.target))
        });
        if !matches {
            return Err(format!(
                "the harness's own reading of the configuration has no upstream at {}:{} (`{}`)",
                r.location.file, r.location.line, r.target
            ));
        }
        // A span's text without some sub-spans, rendered as the image's
        // envsubst renders templates.
        let text = |span: Span, cut: &[Span]| {
            let bytes = &sources.get(span.file).bytes;
            let mut out = Vec::new();
            let mut at = span.start as usize;
            let mut cuts: Vec<&Span> = cut
                .iter()
                .filter(|c| c.file == span.file && c.start >= span.start && c.end <= span.end)
                .collect();
            cuts.sort_by_key(|c| c.start);
            for c in cuts {
                if (c.start as usize) >= at {
                    out.extend_from_slice(&bytes[at..c.start as usize]);
                    at = c.end as usize;
                }
            }
            out.extend_from_slice(&bytes[at..span.end as usize]);
            let s = String::from_utf8_lossy(&out).into_owned();
            if templates && sources.get(span.file).path.ends_with(".template") {
                envsubst(&s, &env)
            } else {
                s
            }
        };
        let confs = probe_confs(&ex, up_index, &text)?;
        probes.push(UpstreamProbe {
            report_index: ri,
            target: r.target.clone(),
            predicted: r.status,
            confs,
            members: Vec::new(),
        });
    }
    // Probes follow the report's upstreams, so a server's probe is found by
    // its upstream index.
    let probe_of: BTreeMap<usize, usize> = report
        .upstreams
        .iter()
        .enumerate()
        .map(|(ri, r)| (r.id, ri))
        .collect();
    for p in &mut probes {
        p.members = in_rotation(&ex, report.upstreams[p.report_index].id)
            .into_iter()
            .map(|m| GroupMember {
                target: sources.snippet(ex.upstreams[m].span),
                probe: probe_of.get(&m).copied(),
            })
            .collect();
    }

    Ok(Plan {
        units,
        networks,
        nginx_unit: nu,
        host_unit,
        forwards,
        files,
        nginx_mounts,
        dns: dns.map(|d| (d, records)),
        services,
        service_cidr,
        uses_stream,
        sets_daemon,
        pid_path,
        probes,
    })
}

/// The version of the machine's nginx.
pub fn nginx_version() -> String {
    std::process::Command::new("nginx")
        .arg("-v")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stderr)
                .trim()
                .trim_start_matches("nginx version: ")
                .to_string()
        })
        .unwrap_or_else(|_| "nginx".into())
}

/// Where the nginx container sees a project file: under the bind mount
/// that carries it, else where its image's Dockerfile copies it (the final
/// stage as built: the harness builds that image's files, not its own
/// reading of the Dockerfile, which has tests of its own).
fn container_path(path: &str, c: &Container, topo: &Topology) -> Option<String> {
    if path.starts_with('/') {
        return Some(path.to_string());
    }
    let norm = |p: &str| p.trim_start_matches("./").trim_end_matches('/').to_string();
    let rel = norm(path);
    let mut best: Option<(usize, String)> = None;
    for m in &c.mounts {
        if let VolumeKind::Bind(src) = &topo.volumes[m.volume].kind {
            let src = norm(src);
            let hit = if rel == src {
                Some(m.target.clone())
            } else if !src.is_empty() && rel.starts_with(&format!("{src}/")) {
                Some(format!(
                    "{}/{}",
                    m.target.trim_end_matches('/'),
                    &rel[src.len() + 1..]
                ))
            } else if src.is_empty() || src == "." {
                Some(format!("{}/{}", m.target.trim_end_matches('/'), rel))
            } else {
                None
            };
            if let Some(h) = hit
                && best.as_ref().is_none_or(|(l, _)| src.len() > *l)
            {
                best = Some((src.len(), h));
            }
        }
    }
    if let Some((_, p)) = best {
        return Some(p);
    }
    let copied = c
        .build
        .as_ref()
        .and_then(|b| b.image.as_ref())
        .into_iter()
        .flat_map(|i| &i.files)
        .find(|f| matches!(&f.source, ImageFileSource::Project { path } if norm(path) == rel));
    copied.map(|f| f.path.clone())
}

/// Where the official image keeps a submitted nginx file that nothing
/// places.
fn default_path(path: &str) -> String {
    let rel = path.trim_start_matches("./").trim_end_matches('/');
    let base = rel.rsplit('/').next().unwrap_or(rel);
    if base == "nginx.conf" {
        "/etc/nginx/nginx.conf".into()
    } else if base.ends_with(".template") {
        format!("/etc/nginx/templates/{base}")
    } else {
        format!("/etc/nginx/conf.d/{base}")
    }
}

/// Stub listeners for every non-nginx container of a unit, where the model
/// says they listen.
fn stub_listeners(
    topo: &Topology,
    ui: usize,
    work: &Path,
    vol_dir: &dyn Fn(usize) -> PathBuf,
) -> Vec<serde_json::Value> {
    let u = &topo.units[ui];
    let mut out = Vec::new();
    for (ci, c) in u.containers.iter().enumerate() {
        if c.is_nginx || c.role == ContainerRole::Init {
            continue;
        }
        // One listener per port or path: a bind address stated by a
        // command line wins over a declared port that says nothing.
        let mut chosen: BTreeMap<String, &Listener> = BTreeMap::new();
        for l in &c.listeners {
            if l.protocol != Protocol::Tcp || !c.really_listens(l) {
                continue;
            }
            let key = match (&l.bind, l.port) {
                (Some(Bind::Unix(p)), _) => format!("unix:{p}"),
                (_, Some(p)) => format!("port:{p}"),
                _ => continue,
            };
            let better = |old: &Listener| {
                (l.bind.is_some() && old.bind.is_none())
                    || (l.bind.is_some() == old.bind.is_some() && l.certainty < old.certainty)
            };
            if chosen.get(&key).is_none_or(|old| better(old)) {
                chosen.insert(key, l);
            }
        }
        let marker = format!("{}/{}", u.name, c.name);
        for l in chosen.values() {
            let proto = c
                .listeners
                .iter()
                .filter(|o| o.port == l.port && o.bind == l.bind)
                .find_map(|o| o.app_protocol)
                .or(l.app_protocol)
                .map(|p| match p {
                    AppProtocol::Http => "http",
                    AppProtocol::Uwsgi => "uwsgi",
                    AppProtocol::Fastcgi => "fastcgi",
                    AppProtocol::Grpc => "grpc",
                    AppProtocol::Raw => "raw",
                })
                .unwrap_or("any");
            let mut v = serde_json::json!({ "marker": marker, "proto": proto });
            match &l.bind {
                Some(Bind::Unix(p)) => {
                    let host = c
                        .mounts
                        .iter()
                        .filter(|m| path_under(p, &m.target))
                        .max_by_key(|m| m.target.len())
                        .map(|m| {
                            let rest =
                                p[m.target.trim_end_matches('/').len()..].trim_start_matches('/');
                            vol_dir(m.volume).join(rest)
                        })
                        .unwrap_or_else(|| {
                            work.join("private")
                                .join(format!("u{ui}c{ci}"))
                                .join(p.trim_start_matches('/'))
                        });
                    v["bind"] = "unix".into();
                    v["path"] = host.to_string_lossy().to_string().into();
                }
                bind => {
                    v["port"] = l.port.into();
                    match bind {
                        None | Some(Bind::Any) => v["bind"] = "any".into(),
                        Some(Bind::AnyV4) => v["bind"] = "v4".into(),
                        Some(Bind::AnyV6) => v["bind"] = "v6".into(),
                        Some(Bind::Ip(ip)) => {
                            v["bind"] = "ip".into();
                            v["addr"] = ip.to_string().into();
                        }
                        Some(Bind::Unix(_)) => unreachable!("handled above"),
                    }
                }
            }
            out.push(v);
        }
    }
    out
}

/// The timeouts that bound a probe, by directive.
fn timeouts(d: upstreams::UpstreamDirective) -> &'static str {
    use upstreams::UpstreamDirective as D;
    match d {
        D::Proxy | D::UpstreamServer => {
            "proxy_connect_timeout 1s; proxy_read_timeout 3s; proxy_send_timeout 3s;"
        }
        D::Fastcgi => {
            "fastcgi_connect_timeout 1s; fastcgi_read_timeout 3s; fastcgi_send_timeout 3s;"
        }
        D::Uwsgi => "uwsgi_connect_timeout 1s; uwsgi_read_timeout 3s; uwsgi_send_timeout 3s;",
        D::Scgi => "scgi_connect_timeout 1s; scgi_read_timeout 3s; scgi_send_timeout 3s;",
        D::Grpc => "grpc_connect_timeout 1s; grpc_read_timeout 3s; grpc_send_timeout 3s;",
        D::Memcached => {
            "set $memcached_key upcheck; memcached_connect_timeout 1s; memcached_read_timeout 3s; memcached_send_timeout 3s;"
        }
        D::StreamProxy => "proxy_connect_timeout 1s; proxy_timeout 3s;",
    }
}

/// The servers in rotation (not marked `down`: nginx never sends those a
/// request) of every group upstream `i` names, directly or as a value of
/// its variables.
fn in_rotation(ex: &upstreams::Extraction, i: usize) -> Vec<usize> {
    use upstreams::Target;
    let groups: Vec<usize> = match &ex.upstreams[i].target {
        Target::Group(g) => vec![g.group],
        Target::Variable(v) => v
            .static_values
            .iter()
            .filter_map(|c| match &c.target {
                Some(Target::Group(g)) => Some(g.group),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<usize> = groups
        .iter()
        .flat_map(|&g| ex.groups[g].servers.iter().copied())
        .filter(|&m| !ex.upstreams[m].params.as_ref().is_some_and(|p| p.down))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn without_semicolon(s: &str) -> &str {
    s.trim().trim_end_matches(';').trim_end()
}

/// The probe configurations of one upstream: the directive exactly as
/// written (with the `resolver` in effect and the `upstream { }` group it
/// names), in a server of its own that listens where the harness connects.
fn probe_confs(
    ex: &upstreams::Extraction,
    i: usize,
    text: &dyn Fn(Span, &[Span]) -> String,
) -> Result<Vec<ProbeConf>, NotMaterialisable> {
    use upstreams::{Module, Target, UpstreamDirective as D};
    let up = &ex.upstreams[i];
    let stream = up.module == Module::Stream;
    let resolver = |r: Option<usize>| {
        r.map(|r| format!("{};\n", without_semicolon(&text(ex.resolvers[r].span, &[]))))
            .unwrap_or_default()
    };
    let server = |pass: &str, d: D, res: &str| {
        if stream {
            format!(
                "server {{\n    listen @LISTEN@;\n    {res}{pass};\n    {}\n}}\n",
                timeouts(D::StreamProxy)
            )
        } else {
            format!(
                "server {{\n    listen @LISTEN@;\n    {res}location / {{\n        {pass};\n        {}\n    }}\n}}\n",
                timeouts(d)
            )
        }
    };
    let group_text = |g: usize, only: Option<usize>| -> String {
        let grp = &ex.groups[g];
        // A server is probed as a plain server: alone, a `backup` one would
        // leave the group without a primary ("no servers in upstream") and a
        // `down` one would never be tried. The group's own probe keeps both.
        let cut: Vec<Span> = match only {
            Some(keep) => grp
                .servers
                .iter()
                .filter(|&&m| m != keep)
                .map(|&m| ex.upstreams[m].directive_span)
                .chain(
                    ex.upstreams[keep]
                        .params
                        .iter()
                        .flat_map(|p| p.raw.iter())
                        .filter(|p| p.name == "backup" || p.name == "down")
                        .map(|p| p.span),
                )
                .collect(),
            None => Vec::new(),
        };
        text(grp.span, &cut) + "\n"
    };
    // The directive that uses a group, as written (or the plain form).
    let reference = |g: usize| -> (String, D) {
        let grp = &ex.groups[g];
        match grp.references.first() {
            Some(&r) => (
                without_semicolon(&text(ex.upstreams[r].directive_span, &[])).to_string(),
                ex.upstreams[r].directive,
            ),
            None if grp.module == Module::Stream => {
                (format!("proxy_pass {}", grp.name), D::StreamProxy)
            }
            None => (format!("proxy_pass http://{}", grp.name), D::Proxy),
        }
    };
    let mut confs = Vec::new();
    match (&up.target, up.directive) {
        (_, D::UpstreamServer) => {
            let g = up.group_index.ok_or("a group server without its group")?;
            let (pass, d) = reference(g);
            let res = resolver(up.resolver.or(ex.groups[g].resolver));
            confs.push(ProbeConf {
                stream,
                body: group_text(g, Some(i)) + &server(&pass, d, &res),
                what: format!(
                    "server {} of upstream {} on its own",
                    text(up.span, &[]),
                    ex.groups[g].name
                ),
            });
        }
        (Target::Group(gt), d) => {
            let pass = without_semicolon(&text(up.directive_span, &[])).to_string();
            confs.push(ProbeConf {
                stream,
                body: group_text(gt.group, None) + &server(&pass, d, &resolver(up.resolver)),
                what: format!("upstream {} with all its servers", gt.name),
            });
        }
        (Target::Variable(v), d) => {
            for c in &v.static_values {
                let Some(t) = &c.target else { continue };
                if c.value.contains(['$', '"', '\\']) {
                    continue;
                }
                let mut body = String::new();
                if let Target::Group(g) = t {
                    body.push_str(&group_text(g.group, None));
                }
                let pass = format!(
                    "set $upc_target \"{}\";\n        {} $upc_target",
                    c.value,
                    up.directive.name()
                );
                body.push_str(&server(&pass, d, &resolver(up.resolver)));
                confs.push(ProbeConf {
                    stream,
                    body,
                    what: format!("{} = {}", v.raw, c.value),
                });
            }
        }
        (_, d) => {
            let pass = without_semicolon(&text(up.directive_span, &[])).to_string();
            confs.push(ProbeConf {
                stream,
                body: server(&pass, d, &resolver(up.resolver)),
                what: pass.clone(),
            });
        }
    }
    Ok(confs)
}

/// What kube-proxy programs for Service port `sp` from the Service's
/// EndpointSlices (`pkg/proxy/endpointslicecache.go`, `topology.go`): the
/// slice port of the same name and protocol, on the first address of each
/// ready endpoint, or of those serving while terminating when none is
/// ready; IPv4 slices only (the ClusterIPs here are IPv4). An endpoint
/// whose `targetRef` names a pod the plan gives another address stands
/// for that pod, as upcheck assumes.
fn slice_endpoints(topo: &Topology, s: &Service, sp: &ServicePort) -> Vec<(Ipv4Addr, u16)> {
    let name = sp.name.as_deref().unwrap_or("");
    let mut all = Vec::new();
    for x in s
        .slices
        .iter()
        .filter(|x| x.address_type == AddressType::Ipv4)
    {
        let Some(port) = x
            .ports
            .iter()
            .find(|p| p.name == name && p.protocol == sp.protocol)
            .and_then(|p| p.port)
        else {
            continue;
        };
        all.extend(x.endpoints.iter().map(|e| (e, port)));
    }
    let ready: Vec<_> = all.iter().filter(|(e, _)| e.ready).collect();
    let usable = if ready.is_empty() {
        all.iter()
            .filter(|(e, _)| e.serving && e.terminating)
            .collect()
    } else {
        ready
    };
    usable
        .into_iter()
        .filter_map(|(e, port)| match stand_in(topo, e)? {
            IpAddr::V4(v4) => Some((v4, *port)),
            IpAddr::V6(_) => None,
        })
        .collect()
}

/// What cluster DNS answers for a headless Service's slices: the first
/// address of each ready endpoint (an endpoint whose `targetRef` names a
/// pod the plan gives another address stands for that pod, as upcheck
/// assumes).
fn slice_records(topo: &Topology, s: &Service) -> Vec<IpAddr> {
    s.slices
        .iter()
        .filter(|x| x.address_type != AddressType::Fqdn)
        .flat_map(|x| &x.endpoints)
        .filter(|e| e.ready)
        .filter_map(|e| stand_in(topo, e))
        .collect()
}

/// The address the plan gives an endpoint: its own, or that of the pod its
/// `targetRef` names when no unit holds its own.
fn stand_in(topo: &Topology, e: &Endpoint) -> Option<IpAddr> {
    let ip = e.ip?;
    let held = topo
        .units
        .iter()
        .any(|u| u.addresses.iter().any(|a| a.ip == Some(ip)));
    match e.pod {
        Some(p) if !held => topo.units[p.0].addresses.iter().find_map(|a| a.ip),
        _ => Some(ip),
    }
}

use super::dotenv::parse_dotenv;
use super::files::{join_path, rebase_path, relative_dir};
use super::interpolate::{Problem, decode_raw, interpolate};
use super::merge::{Tag, tag_of};
use super::shell::shell_split;
use super::volumes::{is_file_path, normalize_bind};
use super::{load, looks_like_env_file};
use crate::source::{SourceFile, SourceMap, Span};
use crate::topology::*;

fn load_opts(text: &str, opts: &LoadOptions) -> Topology {
    let mut sources = SourceMap::new();
    let f = sources.add(SourceFile::new("app/compose.yaml", text));
    load(&sources, &[f], opts)
}

fn load_str(text: &str) -> Topology {
    let opts = LoadOptions {
        project: Some("p".into()),
        ..Default::default()
    };
    load_opts(text, &opts)
}

fn with_env(text: &str, env: &[(&str, &str)]) -> Topology {
    let opts = LoadOptions {
        project: Some("p".into()),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    load_opts(text, &opts)
}

fn at(text: &str, span: Option<Span>) -> &str {
    &text[span.expect("a span").range()]
}

fn unit<'a>(t: &'a Topology, name: &str) -> &'a Unit {
    t.units
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no unit {name}: {:?}", names(t)))
}

fn names(t: &Topology) -> Vec<&str> {
    t.units.iter().map(|u| u.name.as_str()).collect()
}

fn net<'a>(t: &'a Topology, key: &str) -> &'a Network {
    t.networks.iter().find(|n| n.key == key).expect("network")
}

fn net_keys(t: &Topology) -> Vec<&str> {
    t.networks.iter().map(|n| n.key.as_str()).collect()
}

fn diags(t: &Topology) -> Vec<(DiagSeverity, &str)> {
    t.diagnostics
        .iter()
        .map(|d| (d.severity, d.message.as_str()))
        .collect()
}

fn no_diags(t: &Topology) {
    assert!(t.diagnostics.is_empty(), "{:#?}", t.diagnostics);
}

fn find_diag<'a>(t: &'a Topology, needle: &str) -> &'a TopologyDiagnostic {
    t.diagnostics
        .iter()
        .find(|d| d.message.contains(needle))
        .unwrap_or_else(|| panic!("no diagnostic with {needle:?}: {:#?}", t.diagnostics))
}

fn ports(t: &Topology, unit_name: &str) -> Vec<(u16, Option<u16>)> {
    unit(t, unit_name).containers[0]
        .ports
        .iter()
        .map(|p| (p.container_port, p.host_port))
        .collect()
}

const SEED: &str = "\
services:
  model_test:
    container_name: model-test02
    build: ./model
    command: flask run --host=0.0.0.0 --port=6001
    expose:
      - \"6001\"
  nginx:
    container_name: nginx-test02
    image: nginx:1.27
    ports:
      - \"9001:9001\"
    volumes:
      - ./default.conf:/etc/nginx/conf.d/default.conf:ro
    depends_on:
      - model_test
networks:
  default:
    ipam:
      config:
        - subnet: 192.168.48.0/20
";

#[test]
fn the_seed_project_loads_as_two_units_on_one_network() {
    let t = load_opts(SEED, &LoadOptions::default());
    no_diags(&t);
    assert_eq!(t.platform, Platform::Compose);
    // The project is the directory of the file: `app/compose.yaml`.
    assert_eq!(t.project.as_deref(), Some("app"));
    assert_eq!(names(&t), ["model-test02", "nginx-test02"]);
    let n = net(&t, "default");
    assert_eq!(n.name, "app_default");
    assert_eq!(n.kind, NetworkKind::Bridge);
    assert_eq!(n.subnet.as_deref(), Some("192.168.48.0/20"));
    assert_eq!(n.origin, AddressOrigin::Declared);
    let model = unit(&t, "model-test02");
    assert_eq!(
        model.kind,
        UnitKind::ComposeService {
            service: "model_test".into(),
            replica: 1
        }
    );
    assert_eq!(model.hostname.as_deref(), Some("model-test02"));
    assert_eq!(model.addresses.len(), 1);
    assert_eq!(model.addresses[0].ip, None);
    assert_eq!(model.addresses[0].dns_names, ["model_test", "model-test02"]);
    let c = &model.containers[0];
    assert_eq!(c.command, ["flask", "run", "--host=0.0.0.0", "--port=6001"]);
    assert_eq!(c.service.as_deref(), Some("model_test"));
    assert_eq!(c.ports[0].kind, PortKind::Exposed);
    assert_eq!(c.ports[0].container_port, 6001);
    assert_eq!(at(SEED, c.ports[0].span), "6001");
    let nginx = unit(&t, "nginx-test02");
    let p = &nginx.containers[0].ports[0];
    assert_eq!((p.container_port, p.host_port), (9001, Some(9001)));
    // The second 9001 is the container port.
    assert_eq!(p.span.unwrap().start, p.host_span.unwrap().start + 5);
    assert_eq!(at(SEED, p.host_span), "9001");
    let m = &nginx.containers[0].mounts[0];
    assert_eq!(m.target, "/etc/nginx/conf.d/default.conf");
    assert!(m.read_only);
    assert_eq!(
        t.volumes[m.volume].kind,
        VolumeKind::Bind("./default.conf".into())
    );
    assert_eq!(at(SEED, nginx.span), "nginx");
}

#[test]
fn the_project_name_comes_from_options_then_name_then_directory() {
    let text = "name: Shop_App\nservices:\n  web:\n    image: nginx\n";
    let with = |project: Option<&str>, path: &str, text: &str| {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new(path, text));
        let opts = LoadOptions {
            project: project.map(String::from),
            ..Default::default()
        };
        load(&sources, &[f], &opts).project.unwrap()
    };
    assert_eq!(with(Some("Given.Name"), "x/c.yml", text), "givenname");
    assert_eq!(with(None, "x/c.yml", text), "shop_app");
    let plain = "services:\n  web:\n    image: nginx\n";
    assert_eq!(
        with(None, "/srv/My Project/docker-compose.yml", plain),
        "myproject"
    );
    assert_eq!(with(None, "docker-compose.yml", plain), "default");
    assert_eq!(with(None, "./docker-compose.yml", plain), "default");
    let t = load_opts(plain, &LoadOptions::default());
    assert_eq!(names(&t), ["app-web-1"]);
}

#[test]
fn services_with_networks_but_without_default_leave_the_default_network() {
    let text = "\
services:
  web:
    image: nginx
    networks: [front]
  api:
    image: api
    networks:
      front:
      back:
  db:
    image: postgres
    networks:
      - back
networks:
  front: {}
  back:
    internal: true
";
    let t = load_str(text);
    no_diags(&t);
    assert_eq!(net_keys(&t), ["back", "front"]);
    assert_eq!(net(&t, "back").name, "p_back");
    assert!(net(&t, "back").internal);
    let api = unit(&t, "p-api-1");
    let joined: Vec<&str> = api
        .addresses
        .iter()
        .map(|a| t.networks[a.network.0].key.as_str())
        .collect();
    assert_eq!(joined, ["front", "back"]);
    assert_eq!(at(text, api.addresses[1].span), "back");
    let db = unit(&t, "p-db-1");
    assert_eq!(at(text, db.addresses[0].span), "back");
}

#[test]
fn the_default_network_sorts_among_declared_ones() {
    let text = "\
services:
  web:
    image: nginx
    networks: [default, zeta, alpha]
networks:
  zeta: {}
  alpha: {}
";
    let t = load_str(text);
    no_diags(&t);
    assert_eq!(net_keys(&t), ["alpha", "default", "zeta"]);
    let web = unit(&t, "p-web-1");
    let nets: Vec<usize> = web.addresses.iter().map(|a| a.network.0).collect();
    assert_eq!(nets, [1, 2, 0]);
    assert_eq!(net(&t, "default").name, "p_default");
    assert_eq!(net(&t, "default").span, None);
}

#[test]
fn aliases_ipv4_addresses_and_hostnames_become_dns_names() {
    let text = "\
services:
  api:
    image: api
    hostname: api-host
    container_name: the-api
    networks:
      back:
        aliases: [backend, api.internal, api]
        ipv4_address: 172.28.0.10
networks:
  back:
    name: shared-back
    driver: bridge
    ipam:
      driver: default
      config:
        - subnet: 172.28.0.0/16
          gateway: 172.28.0.254
        - subnet: fd00::/64
";
    let t = load_str(text);
    no_diags(&t);
    let n = net(&t, "back");
    assert_eq!(n.name, "shared-back");
    assert_eq!(n.subnet.as_deref(), Some("172.28.0.0/16"));
    assert_eq!(n.gateway, Some("172.28.0.254".parse().unwrap()));
    let u = unit(&t, "the-api");
    assert_eq!(u.hostname.as_deref(), Some("api-host"));
    let a = &u.addresses[0];
    assert_eq!(
        a.dns_names,
        ["api", "the-api", "backend", "api.internal", "api-host"]
    );
    assert_eq!(a.ip, Some("172.28.0.10".parse().unwrap()));
    assert_eq!(a.origin, AddressOrigin::Declared);
}

#[test]
fn a_static_address_outside_a_declared_subnet_is_an_error() {
    let text = "\
services:
  api:
    image: api
    networks:
      back:
        ipv4_address: 10.0.0.5
      front:
        ipv4_address: 10.1.0.5
networks:
  back:
    ipam:
      config:
        - subnet: 172.28.0.0/16
  front: {}
";
    let t = load_str(text);
    let d = find_diag(&t, "outside subnet");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(at(text, d.span), "10.0.0.5");
    let d = find_diag(&t, "user specified IP address");
    assert_eq!(at(text, d.span), "10.1.0.5");
}

#[test]
fn external_networks_keep_their_name() {
    let text = "\
services:
  web:
    image: nginx
    networks: [proxy, legacy, hostnet]
networks:
  proxy:
    external: true
  legacy:
    external:
      name: old-net
  hostnet:
    external: true
    name: host
";
    let t = load_str(text);
    no_diags(&t);
    let proxy = net(&t, "proxy");
    assert_eq!((proxy.name.as_str(), proxy.external), ("proxy", true));
    assert_eq!(proxy.kind, NetworkKind::Other);
    assert_eq!(net(&t, "legacy").name, "old-net");
    assert_eq!(net(&t, "hostnet").kind, NetworkKind::Host);
    assert!(net_keys(&t).iter().all(|k| *k != "default"));
}

#[test]
fn network_mode_service_shares_one_unit() {
    let text = "\
services:
  vpn:
    image: wireguard
    ports: [\"8080:8080\"]
  app:
    image: app
    network_mode: service:vpn
  sidecar:
    image: envoy
    network_mode: \"service:app\"
";
    let t = load_str(text);
    no_diags(&t);
    assert_eq!(names(&t), ["p-vpn-1"]);
    let u = &t.units[0];
    let cs: Vec<&str> = u.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cs, ["p-vpn-1", "p-app-1", "p-sidecar-1"]);
    assert_eq!(u.addresses.len(), 1);
    // Only the owner of the namespace has names on the network.
    assert_eq!(u.addresses[0].dns_names, ["vpn", "p-vpn-1"]);
}

#[test]
fn network_mode_container_joins_by_container_name() {
    let text = "\
services:
  app:
    image: app
    network_mode: container:the-db
  db:
    image: postgres
    container_name: the-db
  probe:
    image: busybox
    network_mode: container:elsewhere
";
    let t = load_str(text);
    assert_eq!(names(&t), ["the-db", "p-probe-1"]);
    assert_eq!(t.units[0].containers.len(), 2);
    assert_eq!(t.units[0].containers[1].name, "p-app-1");
    let d = find_diag(&t, "container `elsewhere`");
    assert_eq!(d.severity, DiagSeverity::Warning);
    assert_eq!(at(text, d.span), "container:elsewhere");
    assert!(t.units[1].addresses.is_empty());
}

#[test]
fn joining_another_namespace_warns_about_what_docker_refuses() {
    let text = "\
services:
  app:
    image: app
  side:
    image: side
    network_mode: service:app
    ports: [\"81:81\"]
    extra_hosts: [\"a:1.2.3.4\"]
";
    let t = load_str(text);
    let d = find_diag(&t, "refuses `ports`");
    assert_eq!(d.severity, DiagSeverity::Warning);
    assert_eq!(at(text, d.span), "ports");
    find_diag(&t, "refuses `extra_hosts`");
    // The ports still describe the shared namespace.
    assert_eq!(t.units[0].containers[1].ports[0].container_port, 81);
}

#[test]
fn host_none_and_bridge_network_modes() {
    let text = "\
services:
  proxy:
    image: nginx
    network_mode: host
  exporter:
    image: node-exporter
    network_mode: host
  batch:
    image: batch
    network_mode: none
  legacy:
    image: flask
    network_mode: bridge
  web:
    image: nginx
    network_mode: bridge
    links:
      - legacy:app
";
    let t = load_str(text);
    no_diags(&t);
    assert_eq!(names(&t), ["p-batch-1", "host", "p-legacy-1", "p-web-1"]);
    let host = unit(&t, "host");
    assert_eq!(host.kind, UnitKind::Host);
    assert!(host.host_network);
    assert_eq!(host.containers.len(), 2);
    assert_eq!(host.hostname, None);
    assert_eq!(
        t.networks[host.addresses[0].network.0].kind,
        NetworkKind::Host
    );
    let batch = unit(&t, "p-batch-1");
    assert!(batch.no_network);
    assert!(batch.addresses.is_empty());
    let web = unit(&t, "p-web-1");
    let bridge = &t.networks[web.addresses[0].network.0];
    assert_eq!(
        (bridge.key.as_str(), bridge.name.as_str()),
        ("bridge", "bridge")
    );
    assert_eq!(bridge.kind, NetworkKind::DefaultBridge);
    assert!(web.addresses[0].dns_names.is_empty());
    assert_eq!(web.links[0].service, "legacy");
    assert_eq!(web.links[0].alias, "app");
    assert!(net_keys(&t).iter().all(|k| *k != "default"));
}

#[test]
fn ports_on_host_networking_are_discarded_with_a_warning() {
    let text =
        "services:\n  web:\n    image: nginx\n    network_mode: host\n    ports: [\"80:80\"]\n";
    let t = load_str(text);
    let d = find_diag(&t, "are discarded");
    assert_eq!(at(text, d.span), "ports");
}

#[test]
fn network_mode_with_networks_is_an_error() {
    let text =
        "services:\n  web:\n    image: nginx\n    network_mode: host\n    networks: [default]\n";
    let t = load_str(text);
    let d = find_diag(&t, "mutually exclusive");
    assert_eq!(
        d.message,
        "service \"web\" declares mutually exclusive `network_mode` and `networks`"
    );
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(at(text, d.span), "networks");
}

#[test]
fn undefined_references_are_compose_errors_at_the_reference() {
    let text = "\
services:
  web:
    image: nginx
    depends_on: [db]
    networks: [back]
    volumes:
      - data:/var/lib/data
    links: [cache:c]
  opt:
    image: x
    depends_on:
      maybe:
        condition: service_started
        required: false
  side:
    image: x
    network_mode: service:ghost
";
    let t = load_str(text);
    let d = find_diag(&t, "undefined service \"db\"");
    assert_eq!(
        d.message,
        "service \"web\" depends on undefined service \"db\""
    );
    assert_eq!(at(text, d.span), "db");
    let d = find_diag(&t, "undefined network");
    assert_eq!(
        d.message,
        "service \"web\" refers to undefined network \"back\""
    );
    assert_eq!(at(text, d.span), "back");
    let d = find_diag(&t, "undefined volume");
    assert_eq!(
        d.message,
        "service \"web\" refers to undefined volume \"data\""
    );
    assert_eq!(at(text, d.span), "data");
    let d = find_diag(&t, "undefined service \"cache\"");
    assert_eq!(at(text, d.span), "cache:c");
    let d = find_diag(&t, "network_mode 'service:ghost'");
    assert_eq!(at(text, d.span), "service:ghost");
    assert!(!t.diagnostics.iter().any(|d| d.message.contains("maybe")));
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity == DiagSeverity::Error)
    );
    // The rest still loads.
    assert_eq!(names(&t), ["p-opt-1", "p-side-1", "p-web-1"]);
}

#[test]
fn units_come_in_creation_order() {
    let text = "\
services:
  nginx:
    image: nginx
    depends_on:
      api: {condition: service_healthy}
    volumes_from: [assets:ro]
  api:
    image: api
    links: [db]
  assets:
    image: assets
    volumes: [/srv/assets]
  db:
    image: postgres
  worker:
    image: api
    network_mode: service:api
";
    let t = load_str(text);
    no_diags(&t);
    // db before api (link), assets before nginx (volumes_from),
    // api before nginx; ties by name.
    assert_eq!(names(&t), ["p-assets-1", "p-db-1", "p-api-1", "p-nginx-1"]);
    assert_eq!(unit(&t, "p-api-1").containers[1].name, "p-worker-1");
    // volumes_from copies the mounts, read-only here.
    let m = &unit(&t, "p-nginx-1").containers[0].mounts[0];
    assert_eq!(m.target, "/srv/assets");
    assert!(m.read_only);
    assert_eq!(t.volumes[m.volume].kind, VolumeKind::Anonymous);
}

#[test]
fn dependency_cycles_are_errors_and_everything_still_loads() {
    let text = "\
services:
  a:
    image: x
    depends_on: [b]
  b:
    image: x
    depends_on: [a]
  c:
    image: x
  d:
    image: x
    depends_on: [a]
";
    let t = load_str(text);
    let d = find_diag(&t, "cycle");
    assert_eq!(
        d.message,
        "dependency cycle detected between services `a`, `b`"
    );
    assert_eq!(at(text, d.span), "a");
    assert_eq!(names(&t), ["p-c-1", "p-a-1", "p-b-1", "p-d-1"]);
}

#[test]
fn short_port_syntax() {
    let text = "\
services:
  web:
    image: nginx
    ports:
      - \"8080:80\"
      - '127.0.0.1:8443:443/udp'
      - \"53\"
      - 9090
      - 3000:3000
      - \"8000-8002:9000-9002\"
      - \"[::1]:5000:5000/sctp\"
      - \"127.0.0.1::6000\"
      - \"7000-7010:7000\"
";
    let t = load_str(text);
    no_diags(&t);
    let ps = &unit(&t, "p-web-1").containers[0].ports;
    let got: Vec<(u16, Option<u16>, Option<&str>, Protocol)> = ps
        .iter()
        .map(|p| {
            (
                p.container_port,
                p.host_port,
                p.host_ip.as_deref(),
                p.protocol,
            )
        })
        .collect();
    use Protocol::*;
    assert_eq!(
        got,
        [
            (80, Some(8080), None, Tcp),
            (443, Some(8443), Some("127.0.0.1"), Udp),
            (53, None, None, Tcp),
            (9090, None, None, Tcp),
            (3000, Some(3000), None, Tcp),
            (9000, Some(8000), None, Tcp),
            (9001, Some(8001), None, Tcp),
            (9002, Some(8002), None, Tcp),
            (5000, Some(5000), Some("::1"), Sctp),
            (6000, None, Some("127.0.0.1"), Tcp),
            (7000, None, None, Tcp),
        ]
    );
    assert!(ps.iter().all(|p| p.kind == PortKind::Published));
    // Exact spans inside the (quoted) scalars.
    assert_eq!(at(text, ps[0].span), "80");
    assert_eq!(at(text, ps[0].host_span), "8080");
    assert_eq!(
        ps[0].span.unwrap().start as usize,
        text.find("8080:80").unwrap() + 5
    );
    assert_eq!(at(text, ps[1].span), "443");
    assert_eq!(at(text, ps[1].host_span), "8443");
    assert_eq!(at(text, ps[2].span), "53");
    assert_eq!(ps[2].host_span, None);
    assert_eq!(at(text, ps[3].span), "9090");
    assert_eq!(at(text, ps[4].span), "3000");
    assert_eq!(
        ps[4].span.unwrap().start as usize,
        text.find("3000:3000").unwrap() + 5
    );
    assert_eq!(at(text, ps[6].span), "9000-9002");
    assert_eq!(at(text, ps[6].host_span), "8000-8002");
    assert_eq!(at(text, ps[10].host_span), "7000-7010");
}

#[test]
fn long_port_syntax() {
    let text = "\
services:
  web:
    image: nginx
    ports:
      - target: 80
        published: \"8080\"
        host_ip: 127.0.0.1
        protocol: tcp
        name: web
        mode: host
        app_protocol: http
      - target: 53
        protocol: udp
      - published: 9000
";
    let t = load_str(text);
    let ps = &unit(&t, "p-web-1").containers[0].ports;
    assert_eq!(ps.len(), 2);
    assert_eq!((ps[0].container_port, ps[0].host_port), (80, Some(8080)));
    assert_eq!(ps[0].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(ps[0].name.as_deref(), Some("web"));
    assert_eq!(at(text, ps[0].span), "80");
    assert_eq!(at(text, ps[0].host_span), "8080");
    assert_eq!((ps[1].container_port, ps[1].protocol), (53, Protocol::Udp));
    let d = find_diag(&t, "`target` is required");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(at(text, d.span), "published");
}

#[test]
fn bad_ports_are_located_errors() {
    let text = "\
services:
  web:
    image: nginx
    ports:
      - \"8080:70000\"
      - \"99999:80\"
      - \"80/tcpx\"
      - \"abc\"
      - \"8000-8002:9000-9001\"
      - \"1.2.3:80:80\"
      - \"8081:81\"
    expose:
      - \"0\"
      - 3000-3002
      - \"4000/udp\"
";
    let t = load_str(text);
    let msgs: Vec<&str> = t.diagnostics.iter().map(|d| d.message.as_str()).collect();
    let d = find_diag(&t, "invalid containerPort `70000`");
    assert_eq!(at(text, d.span), "70000");
    let d = find_diag(&t, "invalid hostPort `99999`");
    assert_eq!(at(text, d.span), "99999");
    let d = find_diag(&t, "invalid proto `tcpx`");
    assert_eq!(at(text, d.span), "tcpx");
    let d = find_diag(&t, "invalid containerPort `abc`");
    assert_eq!(at(text, d.span), "abc");
    find_diag(&t, "invalid ranges");
    let d = find_diag(&t, "invalid IP address `1.2.3`");
    assert_eq!(at(text, d.span), "1.2.3");
    let d = find_diag(&t, "invalid port `0` in `expose`");
    assert_eq!(at(text, d.span), "0");
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity == DiagSeverity::Error),
        "{msgs:?}"
    );
    assert_eq!(
        ports(&t, "p-web-1"),
        [
            (81, Some(8081)),
            (3000, None),
            (3001, None),
            (3002, None),
            (4000, None)
        ]
    );
    let e = &unit(&t, "p-web-1").containers[0].ports[1];
    assert_eq!(e.kind, PortKind::Exposed);
    assert_eq!(at(text, e.span), "3000-3002");
}

#[test]
fn extra_hosts_in_list_and_map_form() {
    let text = "\
services:
  web:
    image: nginx
    extra_hosts:
      - \"host.docker.internal:host-gateway\"
      - \"db=10.0.0.5\"
      - \"v6host:::1\"
      - \"v6b=[2001:db8::1]\"
      - \"broken\"
  api:
    image: api
    extra_hosts:
      metrics: 10.0.0.9
      multi: [\"10.0.0.1\", \"::2\"]
";
    let t = load_str(text);
    let web = unit(&t, "p-web-1");
    let got: Vec<(&str, &str)> = web
        .extra_hosts
        .iter()
        .map(|h| (h.name.as_str(), h.ip.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("host.docker.internal", "host-gateway"),
            ("db", "10.0.0.5"),
            ("v6host", "::1"),
            ("v6b", "2001:db8::1"),
        ]
    );
    assert_eq!(
        at(text, web.extra_hosts[0].span),
        "host.docker.internal:host-gateway"
    );
    let d = find_diag(&t, "invalid extra host `broken`");
    assert_eq!(d.severity, DiagSeverity::Warning);
    let api = unit(&t, "p-api-1");
    let got: Vec<(&str, &str)> = api
        .extra_hosts
        .iter()
        .map(|h| (h.name.as_str(), h.ip.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("metrics", "10.0.0.9"),
            ("multi", "10.0.0.1"),
            ("multi", "::2")
        ]
    );
    assert_eq!(at(text, api.extra_hosts[0].span), "metrics: 10.0.0.9");
}

#[test]
fn volumes_named_bind_anonymous_and_long() {
    let text = "\
services:
  php:
    image: php:fpm
    volumes:
      - sock:/var/run/php
      - ./src:/var/www/html
      - /var/cache
      - type: bind
        source: ./conf/../src/
        target: /app
        read_only: true
      - type: tmpfs
        target: /tmp
      - type: volume
        source: sock
        target: /sub
        volume:
          subpath: php
    tmpfs: /run
  nginx:
    image: nginx
    volumes:
      - sock:/sock:ro,z
      - ./src/:/usr/share/nginx/html:ro
      - /var/cache
      - type: volume
        target: /anon
volumes:
  sock:
  unused: {}
";
    let t = load_str(text);
    no_diags(&t);
    let kinds: Vec<(&str, &VolumeKind)> = t
        .volumes
        .iter()
        .map(|v| (v.name.as_str(), &v.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("sock", &VolumeKind::Named),
            ("unused", &VolumeKind::Named),
            ("./src", &VolumeKind::Bind("./src".into())),
            ("/var/cache", &VolumeKind::Anonymous),
            ("/anon", &VolumeKind::Anonymous),
            ("/var/cache", &VolumeKind::Anonymous),
            ("/tmp", &VolumeKind::Tmpfs),
            ("/run", &VolumeKind::Tmpfs),
        ]
    );
    // nginx is created before php (by name); both share `sock` and `./src`.
    let nginx = &unit(&t, "p-nginx-1").containers[0];
    let php = &unit(&t, "p-php-1").containers[0];
    assert_eq!(nginx.mounts[0].volume, 0);
    assert!(nginx.mounts[0].read_only);
    assert_eq!(php.mounts[0].volume, 0);
    assert!(!php.mounts[0].read_only);
    assert_eq!(nginx.mounts[1].volume, php.mounts[1].volume);
    assert_eq!(php.mounts[3].volume, php.mounts[1].volume);
    assert!(php.mounts[3].read_only);
    assert_ne!(nginx.mounts[2].volume, php.mounts[2].volume);
    assert_eq!(php.mounts[5].sub_path.as_deref(), Some("php"));
    assert_eq!(at(text, php.mounts[0].span), "sock:/var/run/php");
    assert_eq!(at(text, t.volumes[0].span), "sock");
}

#[test]
fn bind_sources_are_normalised() {
    assert_eq!(normalize_bind("./sock"), "./sock");
    assert_eq!(normalize_bind("sock/"), "./sock");
    assert_eq!(normalize_bind("./a/../sock/"), "./sock");
    assert_eq!(normalize_bind("."), ".");
    assert_eq!(normalize_bind("../shared//x/."), "../shared/x");
    assert_eq!(normalize_bind("/srv//x/./y/.."), "/srv/x");
    assert_eq!(normalize_bind("/.."), "/");
    assert_eq!(normalize_bind("~/data"), "~/data");
    assert!(is_file_path("./x") && is_file_path("/x") && is_file_path("~/x"));
    assert!(is_file_path("C:\\data"));
    assert!(!is_file_path("data") && !is_file_path(""));
}

#[test]
fn commands_are_split_like_compose_without_a_shell() {
    let text = "\
services:
  app:
    image: app
    command: gunicorn -b \"0.0.0.0:8000\" 'app:create_app()' --name my\\ app
    entrypoint: [\"/bin/sh\", \"-c\"]
  worker:
    image: app
    command: npm install && npm start
  bad:
    image: app
    command: echo \"unterminated
  list:
    image: app
    command: [\"uwsgi\", \"--socket\", 8000]
";
    let t = load_str(text);
    let app = &unit(&t, "p-app-1").containers[0];
    assert_eq!(
        app.command,
        [
            "gunicorn",
            "-b",
            "0.0.0.0:8000",
            "app:create_app()",
            "--name",
            "my app"
        ]
    );
    assert_eq!(app.entrypoint, ["/bin/sh", "-c"]);
    let worker = &unit(&t, "p-worker-1").containers[0];
    assert_eq!(worker.command, ["npm", "install"]);
    let d = find_diag(&t, "stops at `&&`");
    assert_eq!(d.severity, DiagSeverity::Warning);
    assert_eq!(at(text, d.span), "&& npm start");
    let d = find_diag(&t, "not a valid command line");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(
        unit(&t, "p-list-1").containers[0].command,
        ["uwsgi", "--socket", "8000"]
    );
}

#[test]
fn shell_split_follows_go_shellwords() {
    let ok = |s: &str| shell_split(s).unwrap().args;
    assert_eq!(ok("a  b\tc"), ["a", "b", "c"]);
    assert_eq!(ok("sh -c \"a && b\""), ["sh", "-c", "a && b"]);
    assert_eq!(ok("echo '' \"\""), ["echo", "", ""]);
    assert_eq!(ok("a\\ b c\\\"d"), ["a b", "c\"d"]);
    assert_eq!(ok("'it\\s' \"x\\\"y\""), ["it\\s", "x\"y"]);
    assert_eq!(ok("echo $(date) `x`"), ["echo", "$(date)", "`x`"]);
    assert_eq!(ok(""), Vec::<String>::new());
    let cut = shell_split("run 2>/dev/null").unwrap();
    assert_eq!((cut.args, cut.cut), (vec!["run".to_string()], Some(4)));
    assert_eq!(shell_split("a; b").unwrap().cut, Some(1));
    assert!(shell_split("a (b)").is_err());
    assert!(shell_split("a 'b").is_err());
    assert!(shell_split("a \\").is_err());
}

#[test]
fn environment_in_list_and_map_form() {
    let text = "\
services:
  app:
    image: app
    environment:
      - PORT=8000
      - EMPTY=
      - FROM_SHELL
      - MISSING
      - URL=postgres://db:5432/x?a=b
  api:
    image: api
    environment:
      DEBUG: \"true\"
      WORKERS: 4
      FLAG: true
      INHERITED:
";
    let t = with_env(text, &[("FROM_SHELL", "yes"), ("INHERITED", "1")]);
    no_diags(&t);
    let env = |u: &str| -> Vec<(String, Option<String>)> {
        unit(&t, u).containers[0]
            .env
            .iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect()
    };
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        env("p-app-1"),
        [
            ("PORT".into(), s("8000")),
            ("EMPTY".into(), s("")),
            ("FROM_SHELL".into(), s("yes")),
            ("MISSING".into(), None),
            ("URL".into(), s("postgres://db:5432/x?a=b")),
        ]
    );
    assert_eq!(
        env("p-api-1"),
        [
            ("DEBUG".into(), s("true")),
            ("WORKERS".into(), s("4")),
            ("FLAG".into(), s("true")),
            ("INHERITED".into(), s("1")),
        ]
    );
    let e = &unit(&t, "p-app-1").containers[0].env[0];
    assert_eq!(at(text, e.span), "PORT=8000");
    let e = &unit(&t, "p-api-1").containers[0].env[1];
    assert_eq!(at(text, e.span), "WORKERS: 4");
}

#[test]
fn env_files_are_named_as_not_supplied() {
    let text = "\
services:
  app:
    image: app
    env_file: .env
  api:
    image: api
    env_file:
      - ./common.env
      - path: ./local.env
        required: false
";
    let t = load_str(text);
    let d = find_diag(&t, "`.env`");
    assert_eq!(d.severity, DiagSeverity::Warning);
    assert_eq!(
        d.message,
        "`env_file` `.env` of service `app` was not supplied; the variables it sets are unknown"
    );
    assert_eq!(at(text, d.span), ".env");
    assert_eq!(
        find_diag(&t, "./common.env").severity,
        DiagSeverity::Warning
    );
    assert_eq!(find_diag(&t, "./local.env").severity, DiagSeverity::Info);
}

#[test]
fn replicas_become_consecutive_units() {
    let text = "\
services:
  worker:
    image: app
    deploy:
      replicas: 3
  api:
    image: api
    scale: 2
  web:
    image: nginx
    container_name: front
    deploy:
      replicas: 2
  off:
    image: x
    deploy:
      replicas: 0
";
    let t = load_str(text);
    assert_eq!(
        names(&t),
        [
            "p-api-1",
            "p-api-2",
            "front",
            "p-worker-1",
            "p-worker-2",
            "p-worker-3"
        ]
    );
    assert_eq!(
        unit(&t, "p-worker-3").kind,
        UnitKind::ComposeService {
            service: "worker".into(),
            replica: 3
        }
    );
    assert_eq!(
        unit(&t, "p-worker-2").addresses[0].dns_names,
        ["worker", "p-worker-2"]
    );
    let d = find_diag(&t, "container name must be unique");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(at(text, d.span), "front");
}

#[test]
fn distinct_scale_and_replicas_is_an_error() {
    let text = "services:\n  w:\n    image: x\n    scale: 2\n    deploy:\n      replicas: 3\n";
    let t = load_str(text);
    let d = find_diag(&t, "distinct values");
    assert_eq!(at(text, d.span), "2");
    assert_eq!(names(&t), ["p-w-1", "p-w-2"]);
}

#[test]
fn merge_keys_and_extensions() {
    let text = "\
x-common: &common
  image: app:latest
  environment:
    LOG: info
  networks: [back]
x-port: &port \"8000\"
services:
  api:
    <<: *common
    command: gunicorn -b 0.0.0.0:8000 app:app
    expose: [*port]
  worker:
    <<: *common
    image: app:worker
  x-disabled:
    image: ignored
networks:
  back: {}
  x-meta: {}
";
    let t = load_str(text);
    no_diags(&t);
    assert_eq!(names(&t), ["p-api-1", "p-worker-1"]);
    let api = &unit(&t, "p-api-1").containers[0];
    assert_eq!(api.image.as_deref(), Some("app:latest"));
    assert_eq!(api.env[0].value.as_deref(), Some("info"));
    assert_eq!(api.ports[0].container_port, 8000);
    assert_eq!(
        unit(&t, "p-worker-1").containers[0].image.as_deref(),
        Some("app:worker")
    );
    assert_eq!(net_keys(&t), ["back"]);
}

#[test]
fn interpolation_forms() {
    let env: BTreeMap<String, String> = [("SET", "v"), ("EMPTY", "")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let run = |s: &str| {
        let map: Vec<(u32, u32)> = (0..s.len() as u32).map(|i| (i, i + 1)).collect();
        let mut problems = Vec::new();
        let (out, omap) = interpolate(&env, s, &map, &mut problems);
        assert_eq!(out.len(), omap.len());
        (out, problems.into_iter().map(|p| p.0).collect::<Vec<_>>())
    };
    assert_eq!(run("a${SET}b$SET.c").0, "avbv.c");
    assert_eq!(
        run("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}|${UNSET:-d}").0,
        "d||d|d"
    );
    assert_eq!(
        run("${SET:+r}|${EMPTY:+r}|${EMPTY+r}|${UNSET+r}").0,
        "r||r|"
    );
    assert_eq!(run("$$SET $${SET}").0, "$SET ${SET}");
    assert_eq!(run("${UNSET:-${SET}x}").0, "vx");
    assert_eq!(run("${UNSET:-${OTHER:-deep}}").0, "deep");
    assert_eq!(
        run("x${UNSET}y"),
        ("xy".into(), vec![Problem::Unset("UNSET".into())])
    );
    assert_eq!(
        run("${UNSET:?need it}").1,
        [Problem::Required("UNSET".into(), "need it".into())]
    );
    assert_eq!(
        run("${EMPTY:?}").1,
        [Problem::Required("EMPTY".into(), String::new())]
    );
    assert!(run("${EMPTY?e}").1.is_empty());
    assert_eq!(run("cost $ 5").1, [Problem::Invalid]);
    assert_eq!(run("${a b}").1, [Problem::Invalid]);
    assert_eq!(run("${unclosed").1, [Problem::Invalid]);
}

#[test]
fn interpolated_values_keep_exact_spans() {
    let text = "\
services:
  web:
    image: \"nginx:${NGINX_TAG:-1.27}\"
    ports:
      - \"${HOST_PORT:-8080}:80\"
      - \"${BIND}:${WEB_PORT}:${APP_PORT:-6001}\"
    environment:
      - NEEDED=${TOKEN:?set TOKEN first}
      - LITERAL=$$HOME
";
    let t = with_env(text, &[("WEB_PORT", "9000"), ("BIND", "127.0.0.1")]);
    let c = &unit(&t, "p-web-1").containers[0];
    assert_eq!(c.image.as_deref(), Some("nginx:1.27"));
    let p = &c.ports[0];
    assert_eq!((p.container_port, p.host_port), (80, Some(8080)));
    assert_eq!(at(text, p.span), "80");
    // The default's own text.
    assert_eq!(at(text, p.host_span), "8080");
    let p = &c.ports[1];
    assert_eq!((p.container_port, p.host_port), (6001, Some(9000)));
    assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(at(text, p.span), "6001");
    assert_eq!(at(text, p.host_span), "${WEB_PORT}");
    assert_eq!(c.env[1].value.as_deref(), Some("$HOME"));
    let d = find_diag(&t, "required variable `TOKEN`");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(
        d.message,
        "required variable `TOKEN` is missing a value: set TOKEN first"
    );
    assert_eq!(at(text, d.span), "${TOKEN:?set TOKEN first}");
}

#[test]
fn unset_variables_are_located_warnings_once() {
    let text = "\
x-img: &img \"app:${TAG}\"
services:
  a:
    image: *img
  b:
    image: *img
    command: echo $ 5
";
    let t = load_str(text);
    let unset: Vec<&TopologyDiagnostic> = t
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("`TAG`"))
        .collect();
    assert_eq!(unset.len(), 1, "{:#?}", t.diagnostics);
    assert_eq!(
        unset[0].message,
        "variable `TAG` is not set; substituting an empty string"
    );
    assert_eq!(unset[0].severity, DiagSeverity::Warning);
    assert_eq!(at(text, unset[0].span), "${TAG}");
    assert_eq!(
        unit(&t, "p-a-1").containers[0].image.as_deref(),
        Some("app:")
    );
    let d = find_diag(&t, "invalid interpolation format");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert!(d.message.contains("`services.b.command`"), "{}", d.message);
    assert_eq!(at(text, d.span), "$");
}

#[test]
fn the_project_name_can_be_interpolated() {
    let text = "name: ${STACK:-shop}\nservices:\n  web:\n    image: nginx\n";
    let mut sources = SourceMap::new();
    let f = sources.add(SourceFile::new("c.yml", text));
    let t = load(&sources, &[f], &LoadOptions::default());
    assert_eq!(t.project.as_deref(), Some("shop"));
    assert_eq!(names(&t), ["shop-web-1"]);
}

#[test]
fn wrong_types_are_located_warnings_and_the_rest_loads() {
    let text = "\
services:
  web:
    image: [nginx]
    ports: \"80:80\"
    environment: 5
    networks: true
    hostname: web-host
    deploy:
      replicas: many
  api:
    image: api
";
    let t = load_str(text);
    let d = find_diag(&t, "`image` of service `web`");
    assert_eq!(d.severity, DiagSeverity::Warning);
    assert_eq!(
        d.message,
        "`image` of service `web` must be a string, not a list"
    );
    assert_eq!(at(text, d.span), "image");
    let d = find_diag(&t, "`ports` of service `web`");
    assert_eq!(
        d.message,
        "`ports` of service `web` must be a list, not a string"
    );
    assert_eq!(at(text, d.span), "\"80:80\"");
    let d = find_diag(&t, "`environment` of service `web`");
    assert_eq!(at(text, d.span), "5");
    find_diag(
        &t,
        "`networks` of service `web` must be a list or a mapping, not a boolean",
    );
    find_diag(&t, "`deploy.replicas` of service `web`");
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity == DiagSeverity::Warning)
    );
    assert!(t.diagnostics.iter().all(|d| !d.message.ends_with('.')));
    assert_eq!(names(&t), ["p-api-1", "p-web-1"]);
    assert_eq!(unit(&t, "p-web-1").hostname.as_deref(), Some("web-host"));
}

#[test]
fn broken_documents_are_errors_never_an_empty_pass() {
    let err = |text: &str| -> Vec<(DiagSeverity, String)> {
        load_str(text)
            .diagnostics
            .into_iter()
            .map(|d| (d.severity, d.message))
            .collect()
    };
    let e = |m: &str| vec![(DiagSeverity::Error, m.to_string())];
    assert_eq!(
        err("- a\n- b\n"),
        e("top-level object must be a mapping, not a list")
    );
    assert_eq!(
        err("version: '3'\nnetworks: {}\n"),
        e("`services` is missing: a compose file needs at least one service")
    );
    assert_eq!(
        err("services: [web]\n"),
        e("`services` must be a mapping, not a list")
    );
    assert_eq!(
        err("services:\n"),
        e("the compose file defines no services")
    );
    assert_eq!(
        err(""),
        e("`app/compose.yaml` is empty; a compose file needs `services`")
    );
    let t = load_str("services:\n  web: nginx\n");
    assert_eq!(
        diags(&t)[0],
        (
            DiagSeverity::Error,
            "service `web` must be a mapping, not a string"
        )
    );
    let t = load_str("services:\n  web:\n    image: a\n    image: b\n");
    let d = &t.diagnostics[0];
    assert_eq!(d.severity, DiagSeverity::Error);
    assert!(d.message.contains("duplicate"), "{}", d.message);
}

#[test]
fn alias_bombs_are_errors() {
    let mut text = String::from("x-a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        text += &format!("x-a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n");
    }
    text += "services:\n  web:\n    image: nginx\n";
    let t = load_str(&text);
    assert_eq!(t.diagnostics.len(), 1);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    assert!(t.units.is_empty());
}

#[test]
fn a_yaml_error_is_located() {
    let text = "services:\n  web:\n    image: nginx\n    ports: [\"80\"\n";
    let t = load_str(text);
    assert_eq!(t.diagnostics.len(), 1);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    assert!(t.units.is_empty());
}

// -- several files ---------------------------------------------------

/// Loads files (path, text) as the compose files of one project.
fn load_files(files: &[(&str, &str)], opts: &LoadOptions) -> (Topology, SourceMap) {
    let mut sources = SourceMap::new();
    let ids: Vec<FileId> = files
        .iter()
        .map(|(p, t)| sources.add(SourceFile::new(*p, *t)))
        .collect();
    let t = load(&sources, &ids, opts);
    (t, sources)
}

fn project_p() -> LoadOptions {
    LoadOptions {
        project: Some("p".into()),
        ..Default::default()
    }
}

fn env_of(t: &Topology, u: &str) -> Vec<(String, Option<String>)> {
    unit(t, u).containers[0]
        .env
        .iter()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect()
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

fn snip(sources: &SourceMap, span: Option<Span>) -> (String, String) {
    let span = span.expect("a span");
    (sources.get(span.file).path.clone(), sources.snippet(span))
}

const BASE: &str = "\
services:
  api:
    image: api:1
    command: gunicorn -b 0.0.0.0:8000 app:app
    ports: [\"8000:8000\", \"9000\"]
    expose: [\"8000\"]
    environment:
      PORT: \"8000\"
      DEBUG: \"0\"
    volumes:
      - ./code:/srv
      - data:/data
    networks: [back]
    depends_on: [db]
    extra_hosts: [\"ext=10.0.0.1\"]
  db:
    image: postgres:16
networks:
  back: {}
volumes:
  data: {}
";

const OVERRIDE: &str = "\
services:
  api:
    image: api:2
    command: [\"gunicorn\", \"-b\", \"0.0.0.0:9000\", \"app:app\"]
    ports: [\"8000:8000\", \"9001:9001\"]
    expose: [\"8000\", \"9001\"]
    environment:
      - PORT=9000
      - EXTRA=1
    volumes:
      - ./other:/srv
    networks:
      back:
        aliases: [backend]
      front:
    depends_on:
      cache:
        condition: service_started
    extra_hosts:
      ext: 10.0.0.1
      other: 10.0.0.2
  cache:
    image: redis
networks:
  front: {}
";

#[test]
fn later_files_override_scalars_and_merge_the_rest() {
    let (t, sources) = load_files(
        &[("x/compose.yaml", BASE), ("x/compose.prod.yaml", OVERRIDE)],
        &project_p(),
    );
    no_diags(&t);
    assert_eq!(names(&t), ["p-cache-1", "p-db-1", "p-api-1"]);
    let api = unit(&t, "p-api-1");
    let c = &api.containers[0];
    // Scalars and `command`: the later file's, pointing into it.
    assert_eq!(c.image.as_deref(), Some("api:2"));
    assert_eq!(c.command, ["gunicorn", "-b", "0.0.0.0:9000", "app:app"]);
    // Ports append, the same port once (the later one); `expose` too.
    let ports: Vec<(u16, Option<u16>, PortKind)> = c
        .ports
        .iter()
        .map(|p| (p.container_port, p.host_port, p.kind))
        .collect();
    assert_eq!(
        ports,
        [
            (8000, Some(8000), PortKind::Published),
            (9000, None, PortKind::Published),
            (9001, Some(9001), PortKind::Published),
            (8000, None, PortKind::Exposed),
            (9001, None, PortKind::Exposed),
        ]
    );
    assert_eq!(
        snip(&sources, c.ports[0].span),
        ("x/compose.prod.yaml".into(), "8000".into())
    );
    assert_eq!(
        snip(&sources, c.ports[1].span),
        ("x/compose.yaml".into(), "9000".into())
    );
    // Environment merges by name (a mapping and a list), the later
    // value in the earlier one's place.
    assert_eq!(
        env_of(&t, "p-api-1"),
        kv(&[("PORT", "9000"), ("DEBUG", "0"), ("EXTRA", "1")])
    );
    assert_eq!(
        snip(&sources, c.env[0].span),
        ("x/compose.prod.yaml".into(), "PORT=9000".into())
    );
    assert_eq!(
        snip(&sources, c.env[1].span),
        ("x/compose.yaml".into(), "DEBUG: \"0\"".into())
    );
    // Volumes merge by target.
    let mounts: Vec<(String, String)> = c
        .mounts
        .iter()
        .map(|m| (t.volumes[m.volume].name.clone(), m.target.clone()))
        .collect();
    assert_eq!(
        mounts,
        [
            ("./other".to_string(), "/srv".to_string()),
            ("data".to_string(), "/data".to_string())
        ]
    );
    // Networks merge as mappings: both, with the later aliases.
    let nets: Vec<(&str, Vec<String>)> = api
        .addresses
        .iter()
        .map(|a| (t.networks[a.network.0].key.as_str(), a.dns_names.clone()))
        .collect();
    assert_eq!(nets[0].0, "back");
    assert!(nets[0].1.contains(&"backend".to_string()));
    assert_eq!(nets[1].0, "front");
    assert_eq!(net_keys(&t), ["back", "default", "front"]);
    // depends_on merges: api comes after db and cache.
    // extra_hosts: the same entry once.
    let hosts: Vec<(&str, &str)> = api
        .extra_hosts
        .iter()
        .map(|h| (h.name.as_str(), h.ip.as_str()))
        .collect();
    assert_eq!(hosts, [("ext", "10.0.0.1"), ("other", "10.0.0.2")]);
    // The service itself is where the first file defines it.
    assert_eq!(snip(&sources, api.span).0, "x/compose.yaml");
}

#[test]
fn several_files_make_one_project_named_after_the_first() {
    let (t, _) = load_files(
        &[
            (
                "x/compose.yml",
                "services:\n  web:\n    image: nginx\n    volumes: [data:/d]\nvolumes:\n  data:\n",
            ),
            (
                "x/compose.tools.yml",
                "services:\n  tool:\n    image: t\n    networks: [ops]\n    volumes: [/cache]\nnetworks:\n  ops: {}\n",
            ),
        ],
        &LoadOptions::default(),
    );
    no_diags(&t);
    assert_eq!(t.project.as_deref(), Some("x"));
    assert_eq!(names(&t), ["x-tool-1", "x-web-1"]);
    assert_eq!(net_keys(&t), ["default", "ops"]);
    let tool = unit(&t, "x-tool-1");
    assert_eq!(t.networks[tool.addresses[0].network.0].key, "ops");
    assert_eq!(tool.span.unwrap().file, FileId(1));
}

#[test]
fn reset_and_override_tags() {
    let base = "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n    environment:\n      A: \"1\"\n      B: \"2\"\n    command: nginx -g 'daemon off;'\n";
    let over = "services:\n  web:\n    ports: !override\n      - \"8443:443\"\n    environment:\n      A: !reset null\n    command: !reset null\n";
    let (t, _) = load_files(&[("compose.yaml", base), ("o.yaml", over)], &project_p());
    no_diags(&t);
    let c = &unit(&t, "p-web-1").containers[0];
    assert_eq!(ports(&t, "p-web-1"), [(443, Some(8443))]);
    assert_eq!(env_of(&t, "p-web-1"), kv(&[("B", "2")]));
    assert!(c.command.is_empty());
    let (t, _) = load_files(
        &[
            ("compose.yaml", base),
            ("o.yaml", "services:\n  web:\n    ports: !reset []\n"),
        ],
        &project_p(),
    );
    assert!(ports(&t, "p-web-1").is_empty());
    let text = "a: !reset []\nb: !override\n  - x\nc: [!reset 1]\nd: x!reset\n";
    let docs = yaml::parse_documents(FileId(0), &SourceFile::new("t", text)).unwrap();
    let tag = |k: &str| tag_of(text, docs[0].get(k).unwrap());
    assert_eq!(tag("a"), Some(Tag::Reset));
    assert_eq!(tag("b"), Some(Tag::Override));
    assert_eq!(tag("c"), None);
    assert_eq!(tag("d"), None);
}

#[test]
fn a_list_cannot_override_a_mapping() {
    let (t, sources) = load_files(
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 2\n",
            ),
            ("o.yaml", "services:\n  web:\n    deploy: [x]\n"),
        ],
        &project_p(),
    );
    let d = find_diag(&t, "cannot override");
    assert_eq!(
        d.message,
        "cannot override `services.web.deploy`: it is a mapping in one file and a list in a later one"
    );
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(snip(&sources, d.span), ("o.yaml".into(), "deploy".into()));
}

#[test]
fn unique_lists_and_subnets() {
    // One file: the later mount of a target wins, in the earlier place.
    let text = "services:\n  web:\n    image: nginx\n    volumes:\n      - ./a:/etc/nginx/conf.d\n      - logs:/var/log/nginx\n      - type: bind\n        source: ./b\n        target: /etc/nginx/conf.d\nvolumes:\n  logs: {}\n";
    let t = load_str(text);
    no_diags(&t);
    let c = &unit(&t, "p-web-1").containers[0];
    let mounts: Vec<&str> = c
        .mounts
        .iter()
        .map(|m| t.volumes[m.volume].name.as_str())
        .collect();
    assert_eq!(mounts, ["./b", "logs"]);
    // ipam.config merges by subnet.
    let base = "services:\n  web:\n    image: nginx\nnetworks:\n  default:\n    ipam:\n      config:\n        - subnet: 10.5.0.0/16\n";
    let over = "networks:\n  default:\n    ipam:\n      config:\n        - subnet: 10.5.0.0/16\n          gateway: 10.5.0.254\n";
    let (t, _) = load_files(&[("compose.yaml", base), ("o.yaml", over)], &project_p());
    no_diags(&t);
    let n = net(&t, "default");
    assert_eq!(n.subnet.as_deref(), Some("10.5.0.0/16"));
    assert_eq!(n.gateway, Some("10.5.0.254".parse().unwrap()));
}

#[test]
fn the_override_file_beside_the_main_file_comes_after_it() {
    let main = "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n  app:\n    image: app\n    command: gunicorn -b 0.0.0.0:8000 app:app\n";
    let over = "services:\n  app:\n    command: gunicorn -b 0.0.0.0:9000 app:app\n";
    // Submitted (or listed) before the main file: still applied after.
    let (t, sources) = load_files(
        &[
            ("proj/docker-compose.override.yml", over),
            ("proj/docker-compose.yml", main),
        ],
        &LoadOptions::default(),
    );
    no_diags(&t);
    assert_eq!(t.project.as_deref(), Some("proj"));
    let app = unit(&t, "proj-app-1");
    assert_eq!(app.containers[0].command[2], "0.0.0.0:9000");
    assert_eq!(snip(&sources, app.span).0, "proj/docker-compose.yml");
    // Another directory's override file is an ordinary `-f` file.
    let (t, _) = load_files(
        &[
            ("other/compose.override.yaml", over),
            ("proj/compose.yaml", main),
        ],
        &LoadOptions::default(),
    );
    assert_eq!(t.project.as_deref(), Some("other"));
    assert_eq!(
        unit(&t, "other-app-1").containers[0].command[2],
        "0.0.0.0:8000"
    );
}

// -- include ---------------------------------------------------------

#[test]
fn include_imports_the_services_of_submitted_files() {
    let main = "\
include:
  - backend/compose.yaml
  - path: [cache.yaml, cache.override.yaml]
services:
  nginx:
    image: nginx
    depends_on: [api, cache]
";
    let backend = "\
services:
  api:
    image: api
    command: gunicorn -b 0.0.0.0:${API_PORT:-8000} app:app
    volumes: [./sock:/run/app]
    env_file: app.env
";
    let opts = LoadOptions {
        project: Some("p".into()),
        files: [
            ("backend/.env".to_string(), b"API_PORT=7000\n".to_vec()),
            ("backend/app.env".to_string(), b"WORKERS=3\n".to_vec()),
        ]
        .into(),
        ..Default::default()
    };
    // Submitted in any order: included files are not `-f` files.
    let (t, sources) = load_files(
        &[
            ("backend/compose.yaml", backend),
            (
                "cache.override.yaml",
                "services:\n  cache:\n    image: redis:7\n",
            ),
            ("cache.yaml", "services:\n  cache:\n    image: redis:6\n"),
            ("compose.yaml", main),
        ],
        &opts,
    );
    no_diags(&t);
    assert_eq!(names(&t), ["p-api-1", "p-cache-1", "p-nginx-1"]);
    let api = &unit(&t, "p-api-1").containers[0];
    // The included project's `.env` interpolates its file.
    assert_eq!(api.command[2], "0.0.0.0:7000");
    // Its relative paths stay relative to it.
    assert_eq!(
        t.volumes[api.mounts[0].volume].kind,
        VolumeKind::Bind("./backend/sock".into())
    );
    assert_eq!(env_of(&t, "p-api-1"), kv(&[("WORKERS", "3")]));
    assert_eq!(
        snip(&sources, unit(&t, "p-api-1").span).0,
        "backend/compose.yaml"
    );
    assert_eq!(
        unit(&t, "p-cache-1").containers[0].image.as_deref(),
        Some("redis:7")
    );
    // Everything joins the including project's default network.
    assert_eq!(net_keys(&t), ["default"]);
}

#[test]
fn the_including_projects_variables_win_over_the_included_env() {
    let opts = LoadOptions {
        project: Some("p".into()),
        env: [("API_PORT".to_string(), "6000".to_string())].into(),
        files: [("b/.env".to_string(), b"API_PORT=7000\n".to_vec())].into(),
        ..Default::default()
    };
    let (t, _) = load_files(
        &[
            ("compose.yaml", "include: [b/c.yaml]\n"),
            (
                "b/c.yaml",
                "services:\n  api:\n    image: api\n    command: run --port ${API_PORT}\n",
            ),
        ],
        &opts,
    );
    no_diags(&t);
    assert_eq!(
        unit(&t, "p-api-1").containers[0].command,
        ["run", "--port", "6000"]
    );
}

#[test]
fn a_missing_included_file_is_a_located_error() {
    let text = "include:\n  - backend/compose.yaml\nservices:\n  nginx:\n    image: nginx\n    depends_on: [api]\n";
    let t = load_str(text);
    // Only the missing file: `api` may well be defined in it.
    assert_eq!(t.diagnostics.len(), 1, "{:#?}", t.diagnostics);
    let d = find_diag(&t, "included file");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(
        d.message,
        "included file `backend/compose.yaml` was not submitted: compose cannot load the project without it; submit it with the compose files"
    );
    assert_eq!(at(text, d.span), "backend/compose.yaml");
    assert_eq!(names(&t), ["p-nginx-1"]);
    let text = "include:\n  - path: ../x.yaml\n    env_file: x.env\n";
    find_diag(&load_str(text), "`../x.yaml`");
}

#[test]
fn include_conflicts_and_cycles_are_errors() {
    let (t, sources) = load_files(
        &[
            (
                "compose.yaml",
                "include: [b.yaml]\nservices:\n  api:\n    image: mine\n",
            ),
            ("b.yaml", "services:\n  api:\n    image: theirs\n"),
        ],
        &project_p(),
    );
    let d = find_diag(&t, "conflicts");
    assert_eq!(d.message, "services.api conflicts with imported resource");
    assert_eq!(
        snip(&sources, d.span),
        ("compose.yaml".into(), "api".into())
    );
    // The same definition on both sides is no conflict.
    let (t, _) = load_files(
        &[
            (
                "compose.yaml",
                "include: [b.yaml]\nservices:\n  api:\n    image: same\n",
            ),
            ("b.yaml", "services:\n  api:\n    image: same\n"),
        ],
        &project_p(),
    );
    no_diags(&t);
    let (t, _) = load_files(
        &[
            (
                "compose.yaml",
                "include: [a.yaml]\nservices:\n  w:\n    image: x\n",
            ),
            (
                "a.yaml",
                "include: [b.yaml]\nservices:\n  a:\n    image: x\n",
            ),
            (
                "b.yaml",
                "include: [a.yaml]\nservices:\n  b:\n    image: x\n",
            ),
        ],
        &project_p(),
    );
    let d = find_diag(&t, "include cycle");
    assert_eq!(
        d.message,
        "include cycle detected: `compose.yaml` includes `a.yaml` includes `b.yaml` includes `a.yaml`"
    );
}

// -- extends ---------------------------------------------------------

#[test]
fn extends_in_the_same_file_and_from_another_file() {
    let main = "\
services:
  base:
    image: app
    environment:
      LOG: info
      PORT: \"8000\"
    command: gunicorn app:app
  web:
    extends: base
    environment:
      PORT: \"9000\"
  worker:
    extends:
      file: common/services.yaml
      service: worker
    command: [celery, worker]
";
    let common = "\
services:
  worker:
    extends: shared
    env_file: worker.env
  shared:
    image: worker:1
    volumes: [./data:/data]
";
    let opts = LoadOptions {
        project: Some("p".into()),
        files: [("common/worker.env".to_string(), b"QUEUE=jobs\n".to_vec())].into(),
        ..Default::default()
    };
    let (t, sources) = load_files(
        &[("compose.yaml", main), ("common/services.yaml", common)],
        &opts,
    );
    no_diags(&t);
    // The extended file's other services are not part of the project.
    assert_eq!(names(&t), ["p-base-1", "p-web-1", "p-worker-1"]);
    let web = &unit(&t, "p-web-1").containers[0];
    assert_eq!(web.image.as_deref(), Some("app"));
    assert_eq!(web.command, ["gunicorn", "app:app"]);
    assert_eq!(
        env_of(&t, "p-web-1"),
        kv(&[("LOG", "info"), ("PORT", "9000")])
    );
    assert_eq!(snip(&sources, web.env[0].span).1, "LOG: info");
    let worker = &unit(&t, "p-worker-1").containers[0];
    assert_eq!(worker.image.as_deref(), Some("worker:1"));
    assert_eq!(worker.command, ["celery", "worker"]);
    assert_eq!(env_of(&t, "p-worker-1"), kv(&[("QUEUE", "jobs")]));
    // Relative paths of the extended file still point where it meant.
    assert_eq!(
        t.volumes[worker.mounts[0].volume].kind,
        VolumeKind::Bind("./common/data".into())
    );
    assert_eq!(
        snip(&sources, worker.mounts[0].span),
        ("common/services.yaml".into(), "./data:/data".into())
    );
}

#[test]
fn extends_errors_are_located() {
    let text = "\
services:
  a:
    extends: nope
    image: x
  b:
    extends:
      file: missing.yaml
      service: base
    image: y
  c:
    extends: d
  d:
    extends: c
    image: z
";
    let t = load_str(text);
    let d = find_diag(&t, "not found");
    assert_eq!(
        d.message,
        "cannot extend service \"a\" in app/compose.yaml: service \"nope\" not found"
    );
    assert_eq!(at(text, d.span), "nope");
    let d = find_diag(&t, "missing.yaml");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(at(text, d.span), "missing.yaml");
    let d = find_diag(&t, "circular reference");
    assert_eq!(d.severity, DiagSeverity::Error);
    // Everything still loads, with what each service says itself.
    assert_eq!(names(&t), ["p-a-1", "p-b-1", "p-c-1", "p-d-1"]);
    assert_eq!(unit(&t, "p-b-1").containers[0].image.as_deref(), Some("y"));
    let (t, _) = load_files(
        &[
            (
                "compose.yaml",
                "services:\n  w:\n    extends: {file: c.yaml, service: nope}\n",
            ),
            ("c.yaml", "services:\n  other:\n    image: x\n"),
        ],
        &project_p(),
    );
    find_diag(&t, "service \"nope\" not found in c.yaml");
}

// -- env files and .env ------------------------------------------------

#[test]
fn env_file_contents_come_before_environment() {
    let text = "\
services:
  app:
    image: app
    env_file:
      - ./app.env
      - path: ./local.env
        required: false
      - path: ./raw.env
        format: raw
    environment:
      PORT: \"8000\"
";
    let mut sources = SourceMap::new();
    let compose = sources.add(SourceFile::new("app/compose.yaml", text));
    let env = "# settings\nexport PORT=9000\nHOST = 0.0.0.0 # bind all\nNAME='it s'\nGREETING=\"hi\\n${HOST}\"\nINHERIT\nEMPTY=\n";
    let env_id = sources.add(SourceFile::new("app/app.env", env));
    let opts = LoadOptions {
        project: Some("p".into()),
        env: [("INHERIT".to_string(), "from-shell".to_string())].into(),
        files: [("app/raw.env".to_string(), b"RAW=${NOT} \"x\"\n".to_vec())].into(),
        ..Default::default()
    };
    let t = load(&sources, &[compose, env_id], &opts);
    let d = find_diag(&t, "./local.env");
    assert_eq!(d.severity, DiagSeverity::Info);
    assert_eq!(t.diagnostics.len(), 1, "{:#?}", t.diagnostics);
    assert_eq!(
        env_of(&t, "p-app-1"),
        kv(&[
            ("HOST", "0.0.0.0"),
            ("NAME", "it s"),
            ("GREETING", "hi\n0.0.0.0"),
            ("INHERIT", "from-shell"),
            ("EMPTY", ""),
            ("RAW", "${NOT} \"x\""),
            ("PORT", "8000"),
        ])
    );
    let c = &unit(&t, "p-app-1").containers[0];
    assert_eq!(sources.snippet(c.env[0].span.unwrap()), "HOST = 0.0.0.0");
    assert_eq!(c.env[0].span.unwrap().file, env_id);
    // Supplied separately: no span to point at.
    assert_eq!(c.env[5].span, None);
}

#[test]
fn dotenv_syntax() {
    let lookup: BTreeMap<String, String> = [("SHELL_V".to_string(), "s".to_string())].into();
    let text = "A=1\nB: two\nC=\"multi\nline\"\nD=${A}-$SHELL_V\nE='$A'\nF=\"q\\\"x\"\n bad$key=1\nG=x # c\nH=x#not-a-comment\n";
    let (vars, errors) = parse_dotenv(text, &lookup, false);
    let got: Vec<(&str, Option<&str>)> = vars
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("A", Some("1")),
            ("B", Some("two")),
            ("C", Some("multi\nline")),
            ("D", Some("1-s")),
            ("E", Some("$A")),
            ("F", Some("q\"x")),
            ("G", Some("x")),
            ("H", Some("x#not-a-comment")),
        ]
    );
    assert_eq!(errors.len(), 1);
    assert_eq!(&text[errors[0].1.clone()], "$");
    assert_eq!(&text[vars[0].span.clone()], "A=1");
    assert_eq!(&text[vars[5].span.clone()], "F=\"q\\\"x");
}

#[test]
fn the_project_env_file_interpolates_and_options_win() {
    let text = "services:\n  app:\n    image: app:${TAG}\n    command: serve --port ${PORT}\n    profiles: [debug]\n    environment: [PORT]\n";
    let opts = LoadOptions {
        env: [("TAG".to_string(), "2".to_string())].into(),
        files: [(
            "proj/.env".to_string(),
            b"TAG=1\nPORT=7000\nCOMPOSE_PROFILES=debug\nCOMPOSE_PROJECT_NAME=shop\n".to_vec(),
        )]
        .into(),
        ..Default::default()
    };
    let (t, _) = load_files(&[("proj/compose.yaml", text)], &opts);
    no_diags(&t);
    assert_eq!(t.project.as_deref(), Some("shop"));
    let c = &unit(&t, "shop-app-1").containers[0];
    assert_eq!(c.image.as_deref(), Some("app:2"));
    assert_eq!(c.command, ["serve", "--port", "7000"]);
    // A bare `environment` name takes the project's value.
    assert_eq!(env_of(&t, "shop-app-1"), kv(&[("PORT", "7000")]));
    // Another directory's `.env` is not this project's.
    let opts = LoadOptions {
        files: [("elsewhere/.env".to_string(), b"PORT=7000\n".to_vec())].into(),
        ..Default::default()
    };
    let (t, _) = load_files(&[("proj/compose.yaml", text)], &opts);
    find_diag(&t, "variable `PORT` is not set");
}

#[test]
fn env_files_are_recognised() {
    let f = |p: &str, t: &str| looks_like_env_file(&SourceFile::new(p, t));
    assert!(f(".env", "services: x\n"));
    assert!(f("conf/app.env", ""));
    assert!(f(".env.local", ""));
    assert!(f("settings", "# c\nexport A=1\nB = 2\nC\n"));
    assert!(!f("compose.yaml", "services:\n  a:\n    image: x\n"));
    assert!(!f("settings", "A\nB\n"));
    assert!(!f("x.conf", "server { listen 80; }\n"));
    // Through the format dispatch: an env file among topology documents.
    let mut sources = SourceMap::new();
    let c = sources.add(SourceFile::new(
        "compose.yaml",
        "services:\n  app:\n    image: app\n    env_file: settings\n",
    ));
    let e = sources.add(SourceFile::new("settings", "PORT=5000\n"));
    let docs = [
        Document {
            file: c,
            format: None,
        },
        Document {
            file: e,
            format: None,
        },
    ];
    let t = crate::topology::load(&sources, &docs, &project_p());
    no_diags(&t);
    assert_eq!(env_of(&t, "p-app-1"), kv(&[("PORT", "5000")]));
}

// -- profiles ----------------------------------------------------------

#[test]
fn services_outside_the_active_profiles_do_not_exist() {
    let text = "\
services:
  nginx:
    image: nginx
  api:
    image: api
    profiles: [dev]
  debug:
    image: busybox
    profiles: [debug, dev]
";
    let t = load_str(text);
    assert_eq!(names(&t), ["p-nginx-1"]);
    let d = find_diag(&t, "service `api` is not started");
    assert_eq!(d.severity, DiagSeverity::Info);
    assert_eq!(
        d.message,
        "service `api` is not started: none of its profiles (dev) is active"
    );
    assert_eq!(at(text, d.span), "api");
    let with = |profiles: &[&str], env: &[(&str, &str)]| {
        let opts = LoadOptions {
            project: Some("p".into()),
            profiles: profiles.iter().map(|s| s.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        };
        let t = load_opts(text, &opts);
        names(&t).into_iter().map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(with(&["debug"], &[]), ["p-debug-1", "p-nginx-1"]);
    assert_eq!(with(&["dev"], &[]), ["p-api-1", "p-debug-1", "p-nginx-1"]);
    assert_eq!(
        with(&[], &[("COMPOSE_PROFILES", "x, debug")]),
        ["p-debug-1", "p-nginx-1"]
    );
    assert_eq!(with(&["*"], &[]).len(), 3);
}

#[test]
fn depending_on_a_disabled_service_is_what_compose_reports() {
    let text = "\
services:
  nginx:
    image: nginx
    depends_on:
      api:
        condition: service_started
      metrics:
        required: false
    links: [metrics]
  api:
    image: api
    profiles: [dev]
  metrics:
    image: m
    profiles: [ops, debug]
";
    let t = load_str(text);
    let d = find_diag(&t, "is required by");
    assert_eq!(
        d.message,
        "service \"api\" is required by \"nginx\" but is disabled. Can be enabled by profiles [dev]"
    );
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(at(text, d.span), "api");
    let d = find_diag(&t, "service \"metrics\" is required");
    assert_eq!(at(text, d.span), "metrics");
    // Only the link: the `depends_on` is not required.
    assert_eq!(
        d.span.unwrap().start as usize,
        text.rfind("[metrics]").unwrap() + 1
    );
    assert_eq!(
        t.diagnostics
            .iter()
            .filter(|d| d.severity == DiagSeverity::Error)
            .count(),
        2
    );
}

#[test]
fn relative_directories() {
    assert_eq!(relative_dir("", "backend"), "backend");
    assert_eq!(relative_dir("a/b", "a/c/d"), "../c/d");
    assert_eq!(relative_dir("/srv/app", "/srv/app"), "");
    assert_eq!(relative_dir("app", "/abs"), "/abs");
    assert_eq!(normalize_bind(&rebase_path("../c", "./x/../y")), "../c/y");
    assert_eq!(join_path("a/b", "../c.env"), "a/c.env");
    assert_eq!(join_path("", "./.env"), ".env");
}

#[test]
fn raw_scalars_decode_with_their_source_bytes() {
    let f = FileId(0);
    let d = |text: &str| decode_raw(text, Span::new(f, 0, text.len())).map(|x| x.0);
    assert_eq!(d("plain"), Some("plain".into()));
    assert_eq!(d("'it''s'"), Some("it's".into()));
    assert_eq!(d("\"a\\tb\\u00e9\""), Some("a\tbé".into()));
    assert_eq!(d("|\n  x"), None);
    let (s, map) = decode_raw("'a''b'", Span::new(f, 0, 6)).unwrap();
    assert_eq!(s, "a'b");
    assert_eq!(map, [(1, 2), (2, 4), (4, 5)]);
}

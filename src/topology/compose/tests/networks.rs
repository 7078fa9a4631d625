//! Networks: the default network, declared and external networks, static addresses, DNS names, and `network_mode`.

use super::*;

/// A project of one nginx service, `web`, joining the networks `joins`
/// (a flow list's items), with `declared` as its top-level `networks`.
fn web_joining(joins: &str, declared: &str) -> String {
    format!("services:\n  web:\n    image: nginx\n    networks: [{joins}]\nnetworks:\n{declared}")
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
    let text = &web_joining("default, zeta, alpha", "  zeta: {}\n  alpha: {}\n");
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
    assert_eq!(
        pointed_as(&t, text, "outside subnet"),
        (DiagSeverity::Error, "10.0.0.5")
    );
    assert_eq!(pointed(&t, text, "user specified IP address"), "10.1.0.5");
}

#[test]
fn external_networks_keep_their_name() {
    let declared = "  proxy:
    external: true
  legacy:
    external:
      name: old-net
  hostnet:
    external: true
    name: host
";
    let text = &web_joining("proxy, legacy, hostnet", declared);
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
    assert_eq!(
        pointed_as(&t, text, "container `elsewhere`"),
        (DiagSeverity::Warning, "container:elsewhere")
    );
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
    assert_eq!(
        pointed_as(&t, text, "refuses `ports`"),
        (DiagSeverity::Warning, "ports")
    );
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
    assert_eq!(pointed(&t, text, "are discarded"), "ports");
}

#[test]
fn network_mode_with_networks_is_an_error() {
    let text =
        "services:\n  web:\n    image: nginx\n    network_mode: host\n    networks: [default]\n";
    let t = load_str(text);
    assert_eq!(
        said_as(&t, text, "mutually exclusive"),
        "Error at `networks`: service \"web\" declares mutually exclusive `network_mode` and `networks`"
    );
}

//! Loading native documents: the seed, modelled addresses, pods and
//! Services, versions, wrong types, broken JSON, volumes and files.

use super::*;

const SEED: &str = r#"{
  "upcheck": 1,
  "platform": "compose",
  "project": "seed",
  "networks": [{"name": "seed_default", "key": "default", "subnet": "192.168.48.0/20"}],
  "units": [
    {"name": "model-test02", "service": "model_test",
     "networks": [{"network": "default", "ip": "192.168.48.2", "names": ["model_test", "model-test02"]}],
     "containers": [{"name": "model-test02", "image": "model-test:latest",
       "command": ["flask", "run", "--host=0.0.0.0", "--port=6001"],
       "listeners": [{"port": 6001, "bind": "0.0.0.0", "speaks": "http"}]}]},
    {"name": "nginx-test02", "service": "nginx",
     "networks": [{"network": "default", "ip": "192.168.48.3", "names": ["nginx", "nginx-test02"]}],
     "containers": [{"name": "nginx-test02", "image": "nginx:1.27",
       "ports": [{"port": 9001, "host_port": 9001}]}]}
  ]
}"#;

#[test]
fn the_seed_loads_as_stated() {
    let (t, _) = load_text(SEED);
    assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
    assert_eq!(t.platform, Platform::Compose);
    assert_eq!(t.project.as_deref(), Some("seed"));
    assert_eq!(t.networks[0].origin, AddressOrigin::Declared);
    assert_eq!(t.networks[0].gateway, Some("192.168.48.1".parse().unwrap()));
    let model = &t.units[0];
    assert_eq!(
        model.kind,
        UnitKind::ComposeService {
            service: "model_test".into(),
            replica: 1
        }
    );
    assert_eq!(model.containers[0].service.as_deref(), Some("model_test"));
    assert_eq!(model.addresses[0].origin, AddressOrigin::Declared);
    // The command says the same as the declaration; listener
    // inference keeps one listener for the port.
    let l = &model.containers[0].listeners;
    let l6001 = l.iter().find(|l| l.port == Some(6001)).expect("listener");
    assert_eq!(l6001.bind, Some(Bind::AnyV4));
    assert_eq!(l6001.certainty, Certainty::Stated);
    assert_eq!(l6001.app_protocol, Some(AppProtocol::Http));
    assert!(t.units[1].containers[0].is_nginx);
    let rows = crate::report::topology::address_table(&t);
    assert_eq!(rows[1].ip, Some("192.168.48.3".parse().unwrap()));
    assert_eq!(rows[1].prefix_len, Some(20));
    assert_eq!(rows[1].origin, AddressOrigin::Declared);
}

#[test]
fn open_addresses_are_modelled() {
    let text = r#"{"upcheck": 1, "platform": "compose",
          "networks": [{"name": "app_default"}],
          "units": [{"name": "web", "networks": [{"network": "app_default", "names": ["web"]}],
                     "containers": [{"name": "web"}]},
                    {"name": "lonely", "containers": [{"name": "lonely"}]}]}"#;
    let (t, _) = load_text(text);
    assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
    assert_eq!(t.networks[0].subnet.as_deref(), Some("172.18.0.0/16"));
    assert_eq!(t.networks[0].origin, AddressOrigin::Modelled);
    assert_eq!(
        t.units[0].addresses[0].ip,
        Some("172.18.0.2".parse().unwrap())
    );
    assert_eq!(t.units[0].addresses[0].origin, AddressOrigin::Modelled);
    assert!(t.units[1].no_network);
}

#[test]
fn kubernetes_pods_join_the_pod_network_and_services_select_them() {
    let text = r#"{"upcheck": 1, "platform": "kubernetes",
          "cluster": {"pod_cidr": "10.42.0.0/16", "service_cidr": "10.43.0.0/16", "dns_ip": "10.43.0.10"},
          "units": [{"name": "model-test-0", "labels": {"app": "model-test"},
                     "containers": [{"name": "nginx", "image": "nginx:1.27"},
                                    {"name": "model", "ports": [{"port": 6001, "name": "http"}],
                                     "listeners": [{"port": 6001, "bind": "0.0.0.0"}]}]}],
          "services": [{"name": "model-test", "selector": {"app": "model-test"},
                        "ports": [{"port": 80, "target_port": "http"}]},
                       {"name": "db", "type": "ExternalName", "external_name": "db.example.com"}]}"#;
    let (t, _) = load_text(text);
    assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
    let pod = &t.units[0];
    assert_eq!(pod.addresses[0].ip, Some("10.42.0.2".parse().unwrap()));
    assert_eq!(pod.dns.search[0], "default.svc.cluster.local");
    assert_eq!(
        pod.dns.nameservers,
        ["10.43.0.10".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(t.services[0].selected, [UnitId(0)]);
    let declared = &pod.containers[1].listeners[0];
    assert_eq!(declared.provenance.kind, ProvenanceKind::Declared);
    assert_eq!(declared.certainty, Certainty::Stated);
    assert_eq!(declared.bind, Some(Bind::AnyV4));
    assert_eq!(
        t.services[0].ports[0].target_port,
        TargetPort::Name("http".into())
    );
    assert_eq!(t.services[0].cluster_ip, Some("10.43.0.2".parse().unwrap()));
    assert_eq!(
        t.services[1].kind,
        ServiceKind::ExternalName("db.example.com".into())
    );
}

#[test]
fn versions_and_platforms_are_checked() {
    let (t, s) = load_text(r#"{"upcheck": 2, "platform": "compose", "units": []}"#);
    assert_eq!(t.diagnostics.len(), 1);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    assert!(t.diagnostics[0].message.contains("version 2"));
    let at = s.start(t.diagnostics[0].span.unwrap());
    assert_eq!((at.line, at.column), (1, 13));
    let (t, _) = load_text(r#"{"units": []}"#);
    assert!(messages(&t)[0].contains("is missing"), "{:?}", messages(&t));
    let (t, _) = load_text(r#"{"upcheck": "1", "platform": "compose"}"#);
    assert!(
        messages(&t)[0].contains("not a string"),
        "{:?}",
        messages(&t)
    );
    let (t, _) = load_text(r#"{"upcheck": 1, "platform": "nomad"}"#);
    assert_eq!(t.diagnostics.len(), 2);
    assert!(t.units.is_empty());
}

#[test]
fn wrong_types_are_located_warnings_and_the_rest_loads() {
    let text = "{\"upcheck\": 1, \"platform\": \"compose\",\n \"networks\": [{\"name\": \"n\", \"internal\": \"yes\"}],\n \"units\": [{\"name\": \"a\", \"networks\": [{\"network\": \"n\", \"ip\": \"300.1.1.1\"}],\n   \"containers\": [{\"name\": \"a\", \"command\": \"gunicorn app\", \"listeners\": [{\"port\": \"8000\"}, {\"port\": 70000}, {}]}]},\n  42]}";
    let (t, s) = load_text(text);
    let m = messages(&t);
    assert!(
        m.iter()
            .any(|x| x == "`network n`: `internal` should be a boolean, not a string"),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|x| x.contains("`networks[0].ip` should be an IP address"))
    );
    assert!(
        m.iter()
            .any(|x| x.contains("should be a list of arguments"))
    );
    assert!(
        m.iter()
            .any(|x| x.contains("`listeners[0].port` should be a number, not a string"))
    );
    assert!(m.iter().any(|x| x.contains("not 70000")));
    assert!(m.iter().any(|x| x.contains("`listeners[2]` needs `port`")));
    assert!(
        m.iter()
            .any(|x| x == "`units[1]` should be an object, not an integer")
    );
    assert!(t.diagnostics.iter().all(|d| d.span.is_some()));
    let first = s.start(t.diagnostics[0].span.unwrap());
    assert_eq!(first.line, 2);
    assert_eq!(t.units.len(), 1);
    let l = &t.units[0].containers[0].listeners;
    assert!(l.iter().any(|l| l.port == Some(8000)));
}

#[test]
fn broken_json_is_a_located_error() {
    let (t, s) = load_text("{\"upcheck\": 1,\n \"platform\": \"compose\",,}");
    assert_eq!(t.diagnostics.len(), 1);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    let at = s.start(t.diagnostics[0].span.unwrap());
    assert_eq!((at.line, at.column), (2, 24));
    let (t, s) = load_text(r#"{"upcheck": 1, "platform": "compose", "units": [{"name": "a"},]}"#);
    assert_eq!(t.diagnostics.len(), 1, "{:?}", messages(&t));
    assert_eq!(s.start(t.diagnostics[0].span.unwrap()).column, 63);
    let (t, _) = load_text(r#"{"upcheck": 1, "upcheck": 1, "platform": "compose"}"#);
    assert!(messages(&t)[0].contains("duplicate"), "{:?}", messages(&t));
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let (t, _) = load_text(&deep);
    assert_eq!(t.diagnostics.len(), 1, "{:?}", messages(&t));
}

#[test]
fn volumes_mounts_and_files() {
    let text = r#"{"upcheck": 1, "platform": "kubernetes",
          "volumes": [{"name": "sock", "kind": "empty_dir", "unit": "app-0"},
                      {"name": "conf", "kind": "config_map", "source": "nginx-conf", "unit": "app-0"}],
          "units": [{"name": "app-0", "containers": [
              {"name": "nginx", "image": "nginx", "mounts": [{"volume": "sock", "target": "/sock"},
                                                             {"volume": "conf", "target": "/etc/nginx/conf.d", "read_only": true}]},
              {"name": "app", "mounts": [{"volume": "sock", "target": "/run/app"}],
               "listeners": [{"unix": "/run/app/app.sock", "speaks": "uwsgi"}]}]}],
          "files": [{"unit": "app-0", "container": "nginx", "path": "/etc/nginx/conf.d/default.conf",
                     "content": "server { listen 80; location / { uwsgi_pass unix:/sock/app.sock; } }"}]}"#;
    let (t, _) = load_text(text);
    assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
    assert_eq!(t.volumes[0].unit, Some(UnitId(0)));
    assert_eq!(
        t.volumes[1].kind,
        VolumeKind::ConfigMap("nginx-conf".into())
    );
    let app = &t.units[0].containers[1];
    assert_eq!(app.mounts[0].volume, 0);
    assert_eq!(
        app.listeners[0].bind,
        Some(Bind::Unix("/run/app/app.sock".into()))
    );
    assert_eq!(t.mounted_files.len(), 1);
    assert_eq!(t.mounted_files[0].container, 0);
}

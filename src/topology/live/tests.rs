//! Tests of the live-dump loaders: `docker inspect` and `kubectl get -o json`.

use super::*;
use crate::report::topology::address_table;
use crate::topology::testing::{load_one, messages, unit};
use std::net::IpAddr;

fn load_as(text: &str, format: Format) -> (Topology, SourceMap) {
    load_one("dump.json", text, Some(format), &LoadOptions::default())
}

/// The seed's two containers as `docker inspect` shows them.
const SEED: &str = r#"[
  {"Id": "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2",
   "Name": "/nginx-test02",
   "State": {"Status": "running", "Running": true},
   "Config": {"Hostname": "a1b2c3d4e5f6", "Image": "nginx:1.27",
              "Cmd": ["nginx", "-g", "daemon off;"], "Entrypoint": ["/docker-entrypoint.sh"],
              "Env": ["PATH=/usr/local/sbin:/usr/bin", "NGINX_VERSION=1.27.0"],
              "ExposedPorts": {"80/tcp": {}, "9001/tcp": {}},
              "Labels": {"com.docker.compose.project": "seed", "com.docker.compose.service": "nginx",
                         "com.docker.compose.container-number": "1"}},
   "HostConfig": {"NetworkMode": "seed_default", "PortBindings": {"9001/tcp": [{"HostIp": "", "HostPort": "9001"}]},
                  "ExtraHosts": ["host.docker.internal:host-gateway"]},
   "Mounts": [{"Type": "bind", "Source": "/srv/seed/default.conf", "Destination": "/etc/nginx/conf.d/default.conf", "RW": false}],
   "NetworkSettings": {"Ports": {"80/tcp": null, "9001/tcp": [{"HostIp": "0.0.0.0", "HostPort": "9001"}, {"HostIp": "::", "HostPort": "9001"}]},
     "Networks": {"seed_default": {"Aliases": ["nginx-test02", "nginx"], "DNSNames": ["nginx-test02", "nginx", "a1b2c3d4e5f6"],
        "NetworkID": "f00d", "Gateway": "192.168.48.1", "IPAddress": "192.168.48.3", "IPPrefixLen": 20}}}},
  {"Id": "0fedcba987650fedcba987650fedcba987650fedcba987650fedcba98765abcd",
   "Name": "/model-test02",
   "State": {"Status": "running", "Running": true},
   "Config": {"Hostname": "0fedcba98765", "Image": "model-test:latest",
              "Cmd": ["flask", "run", "--host=0.0.0.0", "--port=6001"], "Entrypoint": null,
              "Env": ["PYTHON_PIP_VERSION=20.2.3"], "ExposedPorts": {"6001/tcp": {}},
              "Labels": {"com.docker.compose.project": "seed", "com.docker.compose.service": "model_test",
                         "com.docker.compose.container-number": "1"}},
   "HostConfig": {"NetworkMode": "seed_default"},
   "Mounts": [],
   "NetworkSettings": {"Ports": {"6001/tcp": null},
     "Networks": {"seed_default": {"Aliases": ["model-test02", "model_test"], "DNSNames": null,
        "Gateway": "192.168.48.1", "IPAddress": "192.168.48.2", "IPPrefixLen": 20}}}}
]"#;

#[test]
fn the_seed_is_observed_at_its_addresses() {
    let (t, _) = load_as(SEED, Format::DockerInspect);
    assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
    assert_eq!(t.project.as_deref(), Some("seed"));
    assert_eq!(t.networks.len(), 1);
    let n = &t.networks[0];
    assert_eq!(n.subnet.as_deref(), Some("192.168.48.0/20"));
    assert_eq!(n.origin, AddressOrigin::Observed);
    assert_eq!(n.gateway, Some("192.168.48.1".parse().unwrap()));
    let rows = address_table(&t);
    let row = |u: &str| rows.iter().find(|r| r.unit == u).expect("row");
    assert_eq!(
        row("nginx-test02").ip,
        Some("192.168.48.3".parse().unwrap())
    );
    assert_eq!(row("nginx-test02").origin, AddressOrigin::Observed);
    assert_eq!(row("nginx-test02").prefix_len, Some(20));
    assert_eq!(
        row("model-test02").ip,
        Some("192.168.48.2".parse().unwrap())
    );
    assert_eq!(row("model-test02").origin, AddressOrigin::Observed);
    let model = &t.units[1];
    assert_eq!(
        model.kind,
        UnitKind::ComposeService {
            service: "model_test".into(),
            replica: 1
        }
    );
    assert_eq!(model.addresses[0].dns_names, ["model-test02", "model_test"]);
    let c = &model.containers[0];
    assert_eq!(c.command, ["flask", "run", "--host=0.0.0.0", "--port=6001"]);
    assert!(
        c.ports
            .iter()
            .any(|p| p.kind == PortKind::ImageExposed && p.container_port == 6001)
    );
    let nginx = &t.units[0].containers[0];
    assert!(nginx.is_nginx);
    let published: Vec<_> = nginx
        .ports
        .iter()
        .filter(|p| p.kind == PortKind::Published)
        .collect();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].host_port, Some(9001));
    assert!(nginx.mounts[0].read_only);
    assert_eq!(t.units[0].extra_hosts[0].ip, "host-gateway");
    assert_eq!(
        t.units[0].dns.nameservers,
        ["127.0.0.11".parse::<IpAddr>().unwrap()]
    );
}

#[test]
fn container_network_mode_joins_the_owner_and_volumes_are_shared() {
    let text = r#"[
 {"Id": "1111111111111111", "Name": "/sidecar",
  "Config": {"Image": "busybox"}, "HostConfig": {"NetworkMode": "container:2222222222222222"},
  "Mounts": [{"Type": "volume", "Name": "sock", "Destination": "/sock", "RW": true}],
  "NetworkSettings": {"Networks": {}}},
 {"Id": "2222222222222222", "Name": "/app",
  "Config": {"Image": "python:3.12"}, "HostConfig": {"NetworkMode": "bridge"},
  "Mounts": [{"Type": "volume", "Name": "sock", "Destination": "/run/app", "RW": true}],
  "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.4", "IPPrefixLen": 16, "Gateway": "172.17.0.1"}}}},
 {"Id": "3333333333333333", "Name": "/stopped", "State": {"Status": "exited", "Running": false},
  "Config": {"Image": "redis"}, "HostConfig": {"NetworkMode": "bridge"},
  "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "", "IPPrefixLen": 0}}}}
]"#;
    let (t, _) = load_as(text, Format::DockerInspect);
    assert_eq!(t.units.len(), 2, "{:?}", t.units);
    let app = &t.units[0];
    assert_eq!(app.name, "app");
    assert_eq!(app.kind, UnitKind::DockerContainer);
    assert_eq!(app.containers.len(), 2);
    assert_eq!(app.containers[1].name, "sidecar");
    assert_eq!(t.networks[0].kind, NetworkKind::DefaultBridge);
    assert!(app.addresses[0].dns_names.is_empty());
    assert_eq!(t.volumes.len(), 1);
    assert_eq!(
        app.containers[0].mounts[0].volume,
        app.containers[1].mounts[0].volume
    );
    let stopped = &t.units[1];
    assert_eq!(stopped.addresses[0].origin, AddressOrigin::Modelled);
    assert!(messages(&t).iter().any(|m| m.contains("is exited")));
}

#[test]
fn broken_dumps_are_located_errors() {
    let (t, s) = load_as("[{\"Id\": \"x\",\n \"Config\": }]", Format::DockerInspect);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    assert_eq!(s.start(t.diagnostics[0].span.unwrap()).line, 2);
    let (t, _) = load_as(
        "[1, {\"Name\": \"/x\", \"Config\": {\"Cmd\": 5, \"Env\": \"A=1\"}}]",
        Format::DockerInspect,
    );
    let m = messages(&t);
    for want in [
        "`[0]` should be a container object, not an integer",
        "`container x`: `Config.Cmd` should be a list, not an integer",
        "`container x`: `Config.Env` should be a list, not a string",
    ] {
        assert!(m.iter().any(|x| x == want), "{m:?}");
    }
    assert_eq!(t.units.len(), 1);
}

const KUBECTL: &str = r#"{"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
 "items": [
  {"apiVersion": "v1", "kind": "Pod",
   "metadata": {"name": "web-7d9f8b6c4-x2x9z", "namespace": "default", "uid": "u1",
                "labels": {"app": "web", "pod-template-hash": "7d9f8b6c4"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f8b6c4", "controller": true}]},
   "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
   "status": {"phase": "Running", "hostIP": "172.18.0.2", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}]}},
  {"apiVersion": "v1", "kind": "Pod",
   "metadata": {"name": "db-0", "namespace": "default", "uid": "u2", "labels": {"app": "db"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": true}]},
   "spec": {"containers": [{"name": "postgres", "image": "postgres:16"}]},
   "status": {"phase": "Pending"}},
  {"apiVersion": "v1", "kind": "Service",
   "metadata": {"name": "web", "namespace": "default", "uid": "u3"},
   "spec": {"clusterIP": "10.96.120.7", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]},
   "status": {"loadBalancer": {}}},
  {"apiVersion": "v1", "kind": "Service",
   "metadata": {"name": "kube-dns", "namespace": "kube-system", "uid": "u4"},
   "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"}, "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]},
   "status": {"loadBalancer": {}}}
 ]}"#;

#[test]
fn kubectl_pod_ips_and_cluster_ips_are_observed() {
    let (t, _) = load_as(KUBECTL, Format::Kubectl);
    let web = unit(&t, "web-7d9f8b6c4-x2x9z");
    assert_eq!(
        web.kind,
        UnitKind::Pod {
            workload_kind: "Deployment".into(),
            workload: "web".into(),
            namespace: "default".into(),
            index: 0
        }
    );
    let rows = address_table(&t);
    let row = rows
        .iter()
        .find(|r| r.unit == "web-7d9f8b6c4-x2x9z")
        .unwrap();
    assert_eq!(row.ip, Some("10.244.0.5".parse().unwrap()));
    assert_eq!(row.origin, AddressOrigin::Observed);
    let db = unit(&t, "db-0");
    assert!(
        matches!(&db.kind, UnitKind::Pod { workload_kind, .. } if workload_kind == "StatefulSet")
    );
    assert_eq!(db.addresses[0].origin, AddressOrigin::Modelled);
    assert_ne!(db.addresses[0].ip, Some("10.244.0.5".parse().unwrap()));
    let svc = &t.services[0];
    assert_eq!(svc.cluster_ip, Some("10.96.120.7".parse().unwrap()));
    assert_eq!(svc.ip_origin, AddressOrigin::Observed);
    assert_eq!(svc.selected.len(), 1);
    assert!(
        messages(&t).iter().any(|m| m.contains("Pending")),
        "{:?}",
        messages(&t)
    );
}

#[test]
fn an_observed_kube_dns_is_the_cluster_dns() {
    let text = KUBECTL.replace("10.96.0.10", "10.43.0.10");
    let (t, _) = load_as(&text, Format::Kubectl);
    assert_eq!(
        t.cluster.as_ref().unwrap().dns_ip,
        "10.43.0.10".parse::<IpAddr>().unwrap()
    );
    let web = t.units.iter().find(|u| u.name.starts_with("web-")).unwrap();
    assert_eq!(
        web.dns.nameservers,
        ["10.43.0.10".parse::<IpAddr>().unwrap()]
    );
    assert!(
        messages(&t)
            .iter()
            .any(|m| m.contains("outside the modelled service CIDR"))
    );
}

#[test]
fn kubectl_get_all_models_the_live_pods_not_the_templates() {
    let deployment = r#"{"apiVersion": "apps/v1", "kind": "Deployment",
   "metadata": {"name": "web", "namespace": "default", "uid": "d1"},
   "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}],
                                  "volumes": [{"name": "cache", "emptyDir": {}}]}}},
   "status": {"replicas": 1}},
  "#;
    let text = KUBECTL.replacen("\"items\": [", &format!("\"items\": [{deployment}"), 1);
    let (t, _) = load_as(&text, Format::Kubectl);
    let names: Vec<&str> = t.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["web-7d9f8b6c4-x2x9z", "db-0"]);
    assert!(t.volumes.is_empty(), "{:?}", t.volumes);
    assert_eq!(t.services[0].selected, [UnitId(0)]);
    assert!(
        messages(&t)
            .iter()
            .any(|m| m.contains("pod templates of Deployment default/web"))
    );
}

/// A dump with both kinds of slices a cluster holds beside a
/// selector-less Service's hand-written `Endpoints`.
const SLICES: &str = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod",
   "metadata": {"name": "api-5d9c7b-x2x4q", "namespace": "default", "uid": "p1", "labels": {"app": "api", "pod-template-hash": "5d9c7b"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "api-5d9c7b", "controller": true}]},
   "spec": {"containers": [{"name": "api", "image": "api", "ports": [{"containerPort": 8080}]}]},
   "status": {"phase": "Running", "podIP": "10.42.0.7"}},
  {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "uid": "d1"},
   "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "api", "image": "api"}]}}}},
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "uid": "s1"},
   "spec": {"selector": {"app": "api"}, "clusterIP": "10.43.0.20", "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "uid": "s2"},
   "spec": {"clusterIP": "10.43.0.21", "ports": [{"name": "http", "port": 80}]}},
  {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
   "metadata": {"name": "api-abcde", "uid": "e1", "labels": {"kubernetes.io/service-name": "api", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
   "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
   "endpoints": [{"addresses": ["10.42.0.7"], "conditions": {"ready": true}, "targetRef": {"kind": "Pod", "name": "api-5d9c7b-x2x4q", "namespace": "default"}}]},
  {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext", "uid": "e2"},
   "subsets": [{"addresses": [{"ip": "10.42.0.7", "targetRef": {"kind": "Pod", "name": "api-5d9c7b-x2x4q"}}], "ports": [{"name": "http", "port": 8080}]}]},
  {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
   "metadata": {"name": "ext-fghij", "uid": "e3", "labels": {"kubernetes.io/service-name": "ext", "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io"}},
   "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
   "endpoints": [{"addresses": ["10.42.0.7"], "conditions": {"ready": true}, "targetRef": {"kind": "Pod", "name": "api-5d9c7b-x2x4q", "namespace": "default"}}]}
]}"#;

#[test]
fn a_dump_s_slices_are_attached_as_kube_proxy_reads_them() {
    let (t, _) = load_as(SLICES, Format::Kubectl);
    let svc = |n: &str| t.services.iter().find(|s| s.name == n).expect("a Service");
    // The controller's slice is what the selector gives.
    assert!(svc("api").slices.is_empty());
    assert_eq!(svc("api").selected.len(), 1);
    // The mirrored slice, not the `Endpoints` it mirrors as well.
    let ext = &svc("ext").slices;
    assert_eq!(ext.len(), 1);
    assert_eq!(ext[0].name, "ext-fghij");
    // The live pod, which its targetRef names, once the template's pod is gone.
    let pod = ext[0].endpoints[0].pod.expect("the live pod");
    assert_eq!(t.units[pod.0].name, "api-5d9c7b-x2x4q");
    assert_eq!(
        t.units[pod.0].addresses[0].ip,
        Some("10.42.0.7".parse().unwrap())
    );
    assert!(t.services.iter().all(|s| s.slices_read));
    assert!(
        !messages(&t).iter().any(|m| m.contains("not used")),
        "{:?}",
        messages(&t)
    );
    // A dump with no slice at all (`kubectl get all`) says nothing of them.
    let (t, _) = load_as(KUBECTL, Format::Kubectl);
    assert!(!t.services.is_empty() && t.services.iter().all(|s| !s.slices_read));
}

//! ConfigMaps mounted as files, their `items`, and `configMapKeyRef`.

use super::*;
use crate::topology::testing::{mounted_files, vars};

const SEED_POD: &str = include_str!("manifests/seed-pod.yaml");

#[test]
fn seed_pod_has_both_containers_in_one_unit_and_the_config_as_a_file() {
    let t = load_text(SEED_POD);
    assert_eq!(t.platform, Platform::Kubernetes);
    no_diags(&t);
    assert_eq!(t.units.len(), 1);
    let u = &t.units[0];
    assert_eq!(u.name, "model");
    assert_eq!(
        u.kind,
        UnitKind::Pod {
            workload_kind: "Pod".into(),
            workload: "model".into(),
            namespace: "default".into(),
            index: 0
        }
    );
    assert_eq!(u.hostname.as_deref(), Some("model"));
    assert_eq!(u.labels.get("app").map(String::as_str), Some("model"));
    let names: Vec<&str> = u.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["nginx", "model-test"]);
    assert_eq!(at(SEED_POD, u.containers[0].span), "nginx");
    let port = &u.containers[0].ports[0];
    assert_eq!(port.container_port, 9001);
    assert_eq!(port.kind, PortKind::ContainerPort);
    assert_eq!(at(SEED_POD, port.span), "9001");
    assert_eq!(
        u.containers[1].entrypoint,
        ["flask", "run", "--host=0.0.0.0", "--port=6001"]
    );
    assert!(u.containers[1].command.is_empty());
    // One pod network, one address on it, cluster DNS.
    assert_eq!(t.networks.len(), 1);
    assert_eq!(t.networks[0].key, "pod-network");
    assert_eq!(t.networks[0].kind, NetworkKind::Pod);
    assert_eq!(u.addresses.len(), 1);
    assert_eq!(u.addresses[0].network, NetworkId(0));
    assert!(u.addresses[0].ip.is_none() && u.addresses[0].dns_names.is_empty());
    assert_eq!(
        u.dns.search,
        [
            "default.svc.cluster.local",
            "svc.cluster.local",
            "cluster.local"
        ]
    );
    assert_eq!(u.dns.ndots, 5);
    // The ConfigMap volume and its file.
    assert_eq!(t.volumes.len(), 1);
    assert_eq!(
        t.volumes[0].kind,
        VolumeKind::ConfigMap("nginx-conf".into())
    );
    assert_eq!(t.volumes[0].unit, Some(UnitId(0)));
    let m = &u.containers[0].mounts[0];
    assert_eq!(
        (m.volume, m.target.as_str(), m.read_only),
        (0, "/etc/nginx/conf.d", true)
    );
    assert_eq!(at(SEED_POD, m.span), "/etc/nginx/conf.d");
    assert_eq!(t.mounted_files.len(), 1);
    let f = &t.mounted_files[0];
    assert_eq!((f.unit, f.container), (UnitId(0), 0));
    assert_eq!(f.path, "/etc/nginx/conf.d/default.conf");
    assert!(f.content.contains("proxy_pass http://127.0.0.1:6001;"));
    assert!(f.content.starts_with("server {\n    listen 9001;"));
    let span_text = at(SEED_POD, f.span);
    assert!(
        span_text.starts_with("server {") && span_text.ends_with("}\n"),
        "{span_text:?}"
    );
}

#[test]
fn sub_path_mounts_one_key_at_the_mount_path() {
    let text = SEED_POD.replace(
        "          mountPath: /etc/nginx/conf.d\n",
        "          mountPath: /etc/nginx/conf.d/default.conf\n          subPath: default.conf\n",
    );
    let t = load_text(&text);
    no_diags(&t);
    assert_eq!(t.mounted_files.len(), 1);
    assert_eq!(t.mounted_files[0].path, "/etc/nginx/conf.d/default.conf");
    let m = &t.units[0].containers[0].mounts[0];
    assert_eq!(m.sub_path.as_deref(), Some("default.conf"));
    // A subPath that is no key of the ConfigMap.
    let bad = text.replace("subPath: default.conf", "subPath: nginx.conf");
    let t = load_text(&bad);
    assert!(t.mounted_files.is_empty());
    assert_eq!(
        messages(&t),
        [
            "`Pod model`: `subPath: nginx.conf` is not a key of ConfigMap `nginx-conf`; `/etc/nginx/conf.d/default.conf` will be an empty directory"
        ]
    );
}

#[test]
fn config_map_items_choose_keys_and_paths() {
    let (text, t) = manifest!("config-map-items-choose-keys-and-paths");
    assert_eq!(
        mounted_files(&t),
        [
            ("/etc/nginx/nginx.conf", "events {}"),
            ("/etc/nginx/conf.d/site.conf", "server {}"),
            ("/etc/nginx/nginx.conf", "events {}"),
        ]
    );
    assert_eq!(at(text, t.mounted_files[0].span), "\"events {}\"");
    assert_eq!(
        messages(&t),
        ["`Deployment web`: ConfigMap `conf` has no key `missing`; the pod will not start"]
    );
    assert_eq!(at(text, t.diagnostics[0].span), "missing");
    // ConfigMaps are namespace-local.
    let other = text.replacen("namespace: web}", "namespace: other}", 1);
    let t = load_text(&other);
    assert!(t.mounted_files.is_empty());
    assert_eq!(
        messages(&t),
        [
            "`Deployment web` mounts ConfigMap `conf`, which is not in the manifests; the files it holds are not known"
        ]
    );
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Info);
}

#[test]
fn a_config_map_key_ref_outside_the_manifests_is_named() {
    let (text, t) = manifest!("a-config-map-key-ref-outside-the-manifests-is-named");
    let env = vars(&t.units[0].containers[0]);
    assert_eq!(env, [("PORT", None), ("OPT", None)]);
    assert_eq!(
        messages(&t),
        [
            "`Pod p`: `spec.containers[0].env[0].valueFrom.configMapKeyRef` reads ConfigMap `settings`, which is not in the manifests; its value is unknown",
            "`Pod p`: `spec.containers[0].env[1].valueFrom.configMapKeyRef` reads ConfigMap `extra`, which is not in the manifests; its value is unknown",
        ]
    );
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Warning);
    assert_eq!(t.diagnostics[1].severity, DiagSeverity::Info);
    assert_eq!(at(text, t.diagnostics[0].span), "settings");
}

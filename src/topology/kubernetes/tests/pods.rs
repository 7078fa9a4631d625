//! Pod specs: containers, probes, env and `$(VAR)`, DNS, host aliases, volumes.

use super::*;
use crate::topology::testing::errors;
use crate::topology::testing::{hosts, vars, volume_kinds};

#[test]
fn init_containers_and_native_sidecars_share_the_pod() {
    let (_, t) = manifest!("init-containers-and-native-sidecars-share-the-pod");
    let roles: Vec<(&str, ContainerRole)> = t.units[0]
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("migrate", ContainerRole::Init),
            ("proxy", ContainerRole::Sidecar),
            ("app", ContainerRole::Main)
        ]
    );
}

#[test]
fn probes_become_listeners_and_named_ports_resolve() {
    let (text, t) = manifest!("probes-become-listeners-and-named-ports-resolve");
    let c = &t.units[0].containers[0];
    let got: Vec<(Option<u16>, Option<AppProtocol>, &str)> = c
        .listeners
        .iter()
        .map(|l| (l.port, l.app_protocol, l.provenance.detail.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Some(8080),
                Some(AppProtocol::Http),
                "readinessProbe httpGet :http (8080) /healthz"
            ),
            (Some(5000), None, "startupProbe tcpSocket :5000"),
        ]
    );
    let l = &c.listeners[0];
    assert_eq!(l.provenance.kind, ProvenanceKind::Probe);
    assert_eq!(l.certainty, Certainty::Inferred);
    assert_eq!((l.protocol, l.bind.clone()), (Protocol::Tcp, None));
    assert_eq!(at(text, l.provenance.span), "http");
    let g = &t.units[0].containers[1].listeners;
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].app_protocol, Some(AppProtocol::Grpc));
    assert_eq!(g[0].provenance.detail, "livenessProbe grpc :9090");
    assert_eq!(
        messages(&t),
        [
            "`Pod p`: `spec.containers[1].readinessProbe.httpGet.port` names port `metrics`, which the container does not declare"
        ]
    );
    assert_eq!(at(text, t.diagnostics[0].span), "metrics");
}

#[test]
fn env_value_from_env_from_and_command_expansion() {
    let (text, t) = manifest!("env-value-from-env-from-and-command-expansion");
    let c = &t.units[0].containers[0];
    let env = vars(c);
    assert_eq!(
        env,
        [
            ("APP_PORT", Some("6001")),
            ("APP_HOST", Some("0.0.0.0")),
            ("PORT", Some("6001")),
            ("TOKEN", None),
            ("POD_IP", None),
            ("BIND", Some("0.0.0.0:6001")),
            ("WORKERS", Some("4")),
        ]
    );
    assert_eq!(at(text, c.env[2].span), "\"6001\"");
    assert_eq!(
        c.entrypoint,
        ["gunicorn", "-b", "0.0.0.0:6001", "--workers=4"]
    );
    assert_eq!(c.command, ["$(PORT)", "$(POD_IP)", "$(NOPE)", "app:app"]);
    assert_eq!(
        messages(&t),
        [
            "`Pod p`: `spec.containers[0].envFrom[1]` reads Secret `creds`; its variables are not read",
            "`Pod p`: `spec.containers[0].envFrom[2]` reads ConfigMap `elsewhere`, which is not in the manifests; its variables are unknown",
            "`Pod p`: `spec.containers[0].env[4].value` should be a string, not an integer (quote it)",
        ]
    );
    // A Secret's variables are credentials: a note; the others warn.
    assert_eq!(
        t.diagnostics.iter().map(|d| d.severity).collect::<Vec<_>>(),
        [
            DiagSeverity::Info,
            DiagSeverity::Warning,
            DiagSeverity::Warning
        ]
    );
    assert_eq!(at(text, t.diagnostics[2].span), "4");
}

/// The kubelet expands `$(VAR)` in `command` and `args` once, and `$$(VAR)`
/// is the escape for a literal `$(VAR)` (Kubernetes docs: "Define a Command
/// and Arguments for a Container", and the `args` field reference): the
/// topology keeps that literal, and listener inference reads it as it runs,
/// without expanding it again.
#[test]
fn dollar_dollar_stays_literal_end_to_end() {
    let text = include_str!("manifests/dollar-dollar-stays-literal-end-to-end.yaml");
    let mut sources = SourceMap::new();
    let f = sources.add(SourceFile::new("k8s.yaml", text));
    let doc = crate::topology::Document {
        file: f,
        format: None,
    };
    let t = crate::topology::load(&sources, &[doc], &LoadOptions::default());
    let [api, escaped] = &t.units[0].containers[..] else {
        panic!("two containers")
    };
    assert_eq!(api.entrypoint, ["uvicorn", "main:app", "--port", "8080"]);
    assert_eq!(
        api.command,
        ["--root-path", "$(PORT)", "--header", "x:$(NOPE)"]
    );
    let [l] = &api.listeners[..] else {
        panic!("one listener: {:#?}", api.listeners)
    };
    assert_eq!(l.port, Some(8080));
    assert_eq!(
        l.provenance.detail,
        "uvicorn main:app --port 8080 --root-path $(PORT) --header x:$(NOPE)"
    );
    assert_eq!(
        escaped.entrypoint,
        ["uvicorn", "main:app", "--port", "$(PORT)"]
    );
    assert!(
        escaped.listeners.iter().all(|l| l.port != Some(8080)),
        "{:#?}",
        escaped.listeners
    );
}

#[test]
fn host_network_dns_policy_and_host_aliases() {
    let (text, t) = manifest!("host-network-dns-policy-and-host-aliases");
    no_diags(&t);
    let edge = unit(&t, "edge-0");
    assert!(edge.host_network);
    assert!(edge.hostname.is_none());
    assert_eq!(t.networks[1].kind, NetworkKind::Host);
    assert_eq!(edge.addresses[0].network, NetworkId(1));
    assert!(edge.dns.search.is_empty() && edge.dns.nameservers.is_empty());
    let hosts = hosts(edge);
    assert_eq!(
        hosts,
        [("legacy", "10.0.0.5"), ("legacy.local", "10.0.0.5")]
    );
    assert_eq!(at(text, edge.extra_hosts[1].span), "legacy.local");
    let withnet = unit(&t, "withnet");
    assert_eq!(withnet.dns.search[0], "default.svc.cluster.local");
    assert_eq!(withnet.addresses[0].network, NetworkId(1));
    let custom = unit(&t, "custom");
    assert_eq!(
        custom.dns.nameservers,
        ["1.1.1.1".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(custom.dns.search, ["corp.example"]);
    assert_eq!(custom.dns.ndots, 2);
    let node = unit(&t, "node");
    assert!(node.dns.search.is_empty());
    assert_eq!(node.addresses[0].network, NetworkId(0));
}

#[test]
fn volume_kinds_and_mount_options() {
    let (text, t) = manifest!("volume-kinds-and-mount-options");
    assert_eq!(
        volume_kinds(&t),
        [
            ("sock", &VolumeKind::EmptyDir),
            ("data", &VolumeKind::Named),
            ("certs", &VolumeKind::Secret("tls".into())),
            ("host", &VolumeKind::Bind("/var/run".into())),
            ("proj", &VolumeKind::Other),
        ]
    );
    assert_eq!(at(text, t.volumes[0].span), "sock");
    let m = &t.units[0].containers[0].mounts;
    assert_eq!(m.len(), 5);
    assert_eq!(
        (m[1].read_only, m[1].sub_path.as_deref()),
        (true, Some("sub"))
    );
    assert!(!m[0].read_only && m[2].read_only);
    assert_eq!(t.units[0].containers[1].mounts[0].volume, 0);
    assert_eq!(
        messages(&t),
        [
            "`Pod p`: `spec.containers[0].volumeMounts[5]` mounts volume `ghost`, which the pod does not declare"
        ]
    );
}

/// `$(VAR)` chains double a value per entry: the load's budget of expanded
/// bytes stops them with one located error, and a long env list is read in
/// linear time (its names are indexed).
#[test]
fn doubling_env_chains_are_refused_at_the_budget() {
    let mut text = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: app\n    env:\n    - {name: V0, value: \"0123456789abcdef\"}\n",
    );
    for i in 1..40 {
        text.push_str(&format!(
            "    - {{name: V{i}, value: \"$(V{p})$(V{p})\"}}\n",
            p = i - 1
        ));
    }
    let t = load_text(&text);
    let errors = errors(&t);
    assert_eq!(errors.len(), 1, "{:?}", t.diagnostics);
    crate::testing::assert_contains(&errors[0].message, "budget of expanded values");
    let total: usize = t.units[0].containers[0]
        .env
        .iter()
        .filter_map(|e| e.value.as_ref().map(String::len))
        .sum();
    assert!(
        total <= 2 * crate::budget::MAX_EXPANDED_BYTES,
        "{total} bytes kept"
    );
}

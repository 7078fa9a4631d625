//! Workloads into pods: replicas, kinds, namespaces, duplicates and caps.

use super::*;
use crate::topology::testing::assert_units_capped;

#[test]
fn replicas_make_one_unit_per_pod_with_stable_names() {
    let (_, t) = manifest!("replicas-make-one-unit-per-pod-with-stable-names");
    no_diags(&t);
    let names: Vec<&str> = t.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["web-0", "web-1", "web-2", "db-0", "db-1"]);
    let UnitKind::Pod {
        index,
        namespace,
        workload_kind,
        ..
    } = &t.units[4].kind
    else {
        panic!()
    };
    assert_eq!(
        (*index, namespace.as_str(), workload_kind.as_str()),
        (1, "data", "StatefulSet")
    );
    assert_eq!(
        t.units[4]
            .labels
            .get("statefulset.kubernetes.io/pod-name")
            .map(String::as_str),
        Some("db-1")
    );
    assert_eq!(t.units[4].dns.search[0], "data.svc.cluster.local");
    // Volumes are per pod; mounts point at their own pod's volume.
    assert_eq!(t.volumes.len(), 5);
    assert_eq!(t.volumes[2].unit, Some(UnitId(2)));
    assert_eq!(t.volumes[4].kind, VolumeKind::Named);
    assert_eq!(t.units[4].containers[0].mounts[0].volume, 4);
    assert_eq!(t.services[0].selected, [UnitId(3), UnitId(4)]);
    assert_eq!(t.services[0].kind, ServiceKind::Headless);
    assert!(t.services[0].cluster_ip.is_none());
}

#[test]
fn every_workload_kind_finds_its_pod_template() {
    let pod =
        "    metadata: {labels: {app: x}}\n    spec: {containers: [{name: c, image: busybox}]}\n";
    let text = format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: migrate}}\nspec:\n  template:\n{pod}---\n\
             apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: backup}}\nspec:\n  schedule: '0 * * * *'\n  jobTemplate:\n    spec:\n      template:\n{}---\n\
             apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent}}\nspec:\n  template:\n{pod}---\n\
             apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: rs}}\nspec:\n  replicas: 2\n  template:\n{pod}---\n\
             apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: rc}}\nspec:\n  template:\n{pod}",
        pod.replace("    ", "        ")
    );
    let t = load_text(&text);
    no_diags(&t);
    let names: Vec<&str> = t.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        ["migrate-0", "backup-0", "agent-0", "rs-0", "rs-1", "rc-0"]
    );
    assert_eq!(
        t.units[0].labels.get("job-name").map(String::as_str),
        Some("migrate")
    );
    assert!(t.units.iter().all(|u| u.containers.len() == 1));
}

#[test]
fn cluster_domain_and_namespace_come_from_the_options() {
    let opts = LoadOptions {
        namespace: Some("shop".into()),
        plan: addressing::PlanOverrides {
            cluster_domain: Some("k8s.internal".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let t = load_with(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  dnsConfig: {nameservers: [9.9.9.9]}\n  containers: [{name: c}]\n",
        &opts,
    );
    let u = &t.units[0];
    assert_eq!(
        u.dns.search,
        ["shop.svc.k8s.internal", "svc.k8s.internal", "k8s.internal"]
    );
    // Extra nameservers come after the cluster DNS server.
    assert_eq!(
        u.dns.nameservers,
        [
            "10.96.0.10".parse::<IpAddr>().unwrap(),
            "9.9.9.9".parse().unwrap()
        ]
    );
}

#[test]
fn duplicates_replicas_zero_and_governing_services() {
    let (text, t) = manifest!("duplicates-replicas-zero-and-governing-services");
    assert_eq!(
        messages(&t),
        [
            "`ConfigMap c` is defined again at k8s.yaml:8; the later definition wins",
            "`Deployment off` has `replicas: 0`: it runs no pods, so nothing it serves is reachable",
            "`StatefulSet db`: Service `db-hl` named by `spec.serviceName` is not headless (`clusterIP: None`), so pod names like `…-0.db-hl` do not resolve",
        ]
    );
    assert_eq!(at(text, t.diagnostics[2].span), "db-hl");
    assert_eq!(t.units.len(), 1);
    assert_eq!(
        t.units[0].containers[0].env[0].value.as_deref(),
        Some("new")
    );
}

#[test]
fn replicas_are_capped() {
    let t = load_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  replicas: 500\n  template: {spec: {containers: [{name: c}]}}\n",
    );
    assert_eq!(t.units.len(), MAX_PODS_PER_WORKLOAD as usize);
    assert_eq!(t.units.last().map(|u| u.name.as_str()), Some("big-63"));
    assert_eq!(
        messages(&t),
        ["`Deployment big` has 500 replicas; the first 64 pods are modelled"]
    );
}

#[test]
fn pods_past_the_units_budget_are_refused_at_the_replicas_that_cross_it() {
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  replicas: 64\n  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{app: d{i}}}}}\n    spec: {{containers: [{{name: c, image: app}}]}}\n"
        ));
    }
    assert_units_capped(
        &load_text(&text),
        &text,
        "`Deployment d156` makes the manifests' pods more than the 10000 units upcheck models (max_units)",
        "64",
    );
    // A smaller budget, from the options.
    let opts = LoadOptions {
        budgets: crate::budget::Budgets {
            max_units: 100,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(load_with(&text, &opts).units.len(), 100);
}

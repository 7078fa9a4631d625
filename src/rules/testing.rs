//! Helpers for the rules' inline tests: the whole pipeline on one nginx
//! snippet (a `conf.d` file of the official image) and one topology file.

use crate::budget::Budgets;
use crate::input::{Input, InputFile, TopologyInput};
use crate::report::{FindingReport, Report};

/// Validates `nginx` (as `default.conf`) against `topology` (compose or
/// Kubernetes, detected).
pub fn run(nginx: &str, topology: &str) -> Report {
    run_within(nginx, topology, Budgets::default())
}

/// [`run`] within `budgets`.
pub fn run_within(nginx: &str, topology: &str, budgets: Budgets) -> Report {
    let mut input = Input {
        nginx: vec![InputFile::new("default.conf", nginx)],
        topology: vec![TopologyInput {
            file: InputFile::new("topology.yaml", topology),
            format: None,
        }],
        ..Default::default()
    };
    input.options.budgets = budgets;
    crate::validate(&input).expect("valid input")
}

/// The nginx snippet most rule tests need: one server listening on
/// `listen` whose `location /` proxies to `http://{target}`.
pub fn proxy_pass(listen: u16, target: &str) -> String {
    format!("server {{ listen {listen}; location / {{ proxy_pass http://{target}; }} }}")
}

/// The codes found, in report order.
pub fn codes(r: &Report) -> Vec<String> {
    r.findings.iter().map(|f| f.code.clone()).collect()
}

/// The findings of one code.
pub fn of<'a>(r: &'a Report, code: &str) -> Vec<&'a FindingReport> {
    r.findings.iter().filter(|f| f.code == code).collect()
}

/// The one finding of `code`; panics naming the codes found when there
/// is not exactly one.
#[track_caller]
pub fn one<'a>(r: &'a Report, code: &str) -> &'a FindingReport {
    let found = of(r, code);
    assert_eq!(found.len(), 1, "{:?}", codes(r));
    found[0]
}

/// Validates `nginx` against `topology` ([`run`]) and returns the one
/// finding of `code` ([`one`]).
#[track_caller]
pub fn run_one(nginx: &str, topology: &str, code: &str) -> FindingReport {
    one(&run(nginx, topology), code).clone()
}

/// Validates `nginx` against `topology` ([`run`]) and returns the first
/// finding of `code` ([`first`]).
#[track_caller]
pub fn run_first(nginx: &str, topology: &str, code: &str) -> FindingReport {
    first(&run(nginx, topology), code).clone()
}

/// The first finding of `code`; panics naming the codes found when there
/// is none.
#[track_caller]
pub fn first<'a>(r: &'a Report, code: &str) -> &'a FindingReport {
    let found = r.findings.iter().find(|f| f.code == code);
    found.unwrap_or_else(|| panic!("no {code} in {:?}", codes(r)))
}

/// Asserts that no finding has one of the `absent` codes; panics naming
/// the codes found when one has.
#[track_caller]
pub fn assert_none(r: &Report, absent: &[&str]) {
    let codes = codes(r);
    assert!(
        !codes.iter().any(|c| absent.contains(&c.as_str())),
        "{codes:?}"
    );
}

/// A Kubernetes nginx Deployment (container `nginx`, image `nginx:1.27`,
/// containerPort 8080) in `namespace` and its Service (port 80), as YAML
/// documents, for tests that add their own workloads after a `---`.
pub fn k8s_nginx(namespace: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: nginx, namespace: {namespace}}}
spec:
  selector: {{matchLabels: {{app: nginx}}}}
  template:
    metadata: {{labels: {{app: nginx}}}}
    spec:
      containers:
        - {{name: nginx, image: \"nginx:1.27\", ports: [{{containerPort: 8080}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: nginx, namespace: {namespace}}}
spec:
  selector: {{app: nginx}}
  ports: [{{port: 80, targetPort: 8080}}]
"
    )
}

/// A Deployment `name` in `namespace` with `replicas` pods labelled
/// `app: name` (plus `labels`, e.g. `", tier: backend"`) that run
/// `containers` (a YAML flow list), as one YAML document.
pub fn k8s_deployment(
    name: &str,
    namespace: &str,
    replicas: u32,
    labels: &str,
    containers: &str,
) -> String {
    format!(
        "
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}{labels}}}}}
    spec:
      containers: {containers}
"
    )
}

/// A Service `name` in `namespace` selecting `selector` (a YAML flow
/// map) with `ports` (a YAML flow list), as one YAML document.
pub fn k8s_service(name: &str, namespace: &str, selector: &str, ports: &str) -> String {
    format!(
        "
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {selector}
  ports: {ports}
"
    )
}

/// nginx ([`k8s_nginx`] in `default`) and a Deployment `orders` whose
/// container's port 8080 is named `http`, its pods labelled `app: orders`
/// plus `labels`.
pub fn k8s_orders(labels: &str) -> String {
    let containers =
        "[{name: orders, image: orders:1, ports: [{name: http, containerPort: 8080}]}]";
    format!(
        "{}---{}",
        k8s_nginx("default"),
        k8s_deployment("orders", "default", 1, labels, containers)
    )
}

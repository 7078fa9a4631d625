//! Resolution traces: `localhost` by libc flavour, proxy loops, ports nginx
//! publishes.

use crate::rules::testing::run;

const APP: &str = "  app:\n    image: python:3.12-slim\n    command: gunicorn -b 0.0.0.0:8000 app:app\n    ports: [\"80:80\"]\n";
const CONF: &str = "server { listen 80; location / { proxy_pass http://localhost:8000; } }";

fn trace(nginx_image: &str) -> Vec<String> {
    let compose = format!(
        "services:\n{APP}  nginx:\n    image: {nginx_image}\n    network_mode: \"service:app\"\n"
    );
    run(CONF, &compose).upstreams[0].trace.clone()
}

/// Asserts the status of the first upstream, showing its trace when it
/// differs.
#[track_caller]
fn assert_status(r: &crate::report::Report, want: super::Status) {
    let up = &r.upstreams[0];
    assert_eq!(up.status, want, "{:?}", up.trace);
}

#[test]
fn localhost_is_ipv4_only_for_glibc_nginx_on_an_ipv4_network() {
    let t = trace("nginx:1.27");
    assert!(t.iter().any(|l| l.contains("::1 is left out")), "{t:?}");
}

#[test]
fn localhost_keeps_ipv6_loopback_for_musl_nginx() {
    let t = trace("nginx:1.27-alpine");
    assert!(t.iter().any(|l| l.contains("uses musl")), "{t:?}");
}

#[test]
fn a_listen_of_another_server_block_is_not_a_loop() {
    let compose = format!("services:\n{APP}  nginx:\n    image: nginx:1.27\n");
    let conf = "server { listen 80; location / { proxy_pass http://127.0.0.1:8080; } }\nserver { listen 127.0.0.1:8080; root /srv; }";
    let r = run(conf, &compose);
    assert_status(&r, super::Status::Reachable);
    let conf = "server { listen 80; location / { proxy_pass http://127.0.0.1:80; } }";
    let r = run(conf, &compose);
    assert_status(&r, super::Status::Unreachable);
    assert!(
        r.upstreams[0]
            .trace
            .iter()
            .any(|l| l.contains("proxy loop"))
    );
}

#[test]
fn ports_nginx_publishes_are_not_listeners_of_their_own() {
    // `ports: 6001:6001` on nginx says nothing listens there but nginx's config.
    let compose =
        format!("services:\n{APP}  nginx:\n    image: nginx:1.27\n    ports: [\"6001:6001\"]\n");
    let conf = "server { listen 80; location / { proxy_pass http://127.0.0.1:6001; } }";
    let r = run(conf, &compose);
    assert_status(&r, super::Status::Unreachable);
}

/// nginx's pod and a selector-less Service `ext` on port 80, in the
/// native model (which carries no EndpointSlices) or as manifests.
const NATIVE_SELECTORLESS: &str = r#"{"upcheck": 1, "platform": "kubernetes",
 "units": [{"name": "nginx-0", "kind": "pod", "namespace": "default",
            "containers": [{"name": "nginx", "image": "nginx:1.27"}]}],
 "services": [{"name": "ext", "namespace": "default", "ports": [{"port": 80}]}]}"#;
const MANIFEST_SELECTORLESS: &str = "apiVersion: v1
kind: Pod
metadata: {name: nginx}
spec: {containers: [{name: nginx, image: 'nginx:1.27'}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {ports: [{port: 80}]}
";
const TO_EXT: &str = "server { listen 80; location / { proxy_pass http://ext:80; } }";

#[test]
fn a_selector_less_service_with_no_slice_has_no_endpoints_where_slices_could_be_given() {
    let r = run(TO_EXT, MANIFEST_SELECTORLESS);
    assert_status(&r, super::Status::Unreachable);
    let t = &r.upstreams[0].trace;
    assert!(
        t.iter()
            .any(|l| l.contains("kube-proxy rejects the connection")),
        "{t:?}"
    );
}

#[test]
fn a_selector_less_service_of_an_input_without_slices_is_unverifiable() {
    let r = run(TO_EXT, NATIVE_SELECTORLESS);
    assert_status(&r, super::Status::Unverifiable);
    let t = &r.upstreams[0].trace;
    assert!(t.iter().any(|l| l.contains("managed elsewhere")), "{t:?}");
}

#[test]
fn an_endpoint_naming_a_clusterip_is_not_followed() {
    let manifests = format!(
        "{MANIFEST_SELECTORLESS}---
apiVersion: v1
kind: Service
metadata: {{name: other}}
spec: {{clusterIP: 10.96.0.50, selector: {{app: x}}, ports: [{{port: 80}}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: ext-1, labels: {{kubernetes.io/service-name: ext}}}}
addressType: IPv4
ports: [{{port: 80}}]
endpoints: [{{addresses: [10.96.0.50]}}]
"
    );
    let r = run(TO_EXT, &manifests);
    assert_status(&r, super::Status::Unverifiable);
    let t = &r.upstreams[0].trace;
    assert!(
        t.iter().any(|l| l.contains("ClusterIP of Service `other`")),
        "{t:?}"
    );
}

#[test]
fn past_the_addresses_budget_nothing_is_resolved_and_the_input_is_refused() {
    // Three replicas of `api` behind one name: each upstream connects to
    // three addresses, so the second upstream crosses a budget of five.
    let compose = "services:\n  api:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n    deploy: {replicas: 3}\n  nginx:\n    image: nginx:1.27\n";
    let conf = "server { listen 80; location /a { proxy_pass http://api:8000; } location /b { proxy_pass http://api:8001; } }";
    let within = |max_addresses| crate::budget::Budgets {
        max_addresses,
        ..Default::default()
    };
    let r = crate::rules::testing::run_within(conf, compose, within(6));
    assert_eq!(r.summary.upstreams, 2);
    let r = crate::rules::testing::run_within(conf, compose, within(5));
    assert_eq!(r.verdict, crate::report::Verdict::Error);
    assert!(r.upstreams.is_empty());
    let f = crate::rules::testing::one(&r, "UC0003");
    crate::testing::assert_contains(
        &f.message,
        "`api:8001` from `default-nginx-1` connects to 3 addresses, and with the upstreams before it that is more than the 5 addresses",
    );
    let at = f.location.as_ref().expect("located at the upstream");
    assert_eq!((at.file.as_str(), at.line), ("default.conf", 1));
}

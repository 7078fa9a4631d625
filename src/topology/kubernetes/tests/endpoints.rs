//! EndpointSlices and legacy `Endpoints`: what is read, what is located
//! when it is wrong, and which Service uses which slice.

use super::*;

const PODS: &str = "apiVersion: v1
kind: Pod
metadata: {name: api, labels: {app: api}}
spec: {containers: [{name: api, image: api}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{name: http, port: 80}]}
";

/// Loads `docs` after [`PODS`]: the text, and the topology it makes.
fn with_pods(docs: &str) -> (String, Topology) {
    let text = format!("{PODS}---\n{docs}");
    let t = load_text(&text);
    (text, t)
}

/// An EndpointSlice of Service `service`, managed by `manager`, with one
/// endpoint at `address`.
fn slice(name: &str, service: &str, manager: &str, address: &str) -> String {
    format!(
        "apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {name}
  labels: {{kubernetes.io/service-name: {service}, endpointslice.kubernetes.io/managed-by: {manager}}}
addressType: IPv4
endpoints: [{{addresses: [{address}]}}]
---
"
    )
}

fn service<'t>(t: &'t Topology, name: &str) -> &'t Service {
    t.services
        .iter()
        .find(|s| s.name == name)
        .expect("a Service")
}

/// The names of the slices Service `name` uses.
fn slice_names<'t>(t: &'t Topology, name: &str) -> Vec<&'t str> {
    service(t, name)
        .slices
        .iter()
        .map(|s| s.name.as_str())
        .collect()
}

#[test]
fn a_slice_is_read_field_by_field() {
    let (text, t) = with_pods(
        "apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ext-1
  labels: {kubernetes.io/service-name: ext}
addressType: IPv4
ports:
  - {name: http, port: 8080}
  - {name: metrics, port: 9090, protocol: UDP}
endpoints:
  - addresses: [10.0.0.1, 10.0.0.9]
    conditions: {ready: false, serving: true, terminating: true}
    targetRef: {kind: Pod, name: api}
  - addresses: [10.0.0.2]
",
    );
    assert!(t.diagnostics.is_empty(), "{:?}", messages(&t));
    let s = &service(&t, "ext").slices[0];
    assert_eq!(
        (s.name.as_str(), s.address_type),
        ("ext-1", AddressType::Ipv4)
    );
    assert_eq!(s.ports[0].name, "http");
    assert_eq!(s.ports[0].port, Some(8080));
    assert_eq!(at(&text, s.ports[0].span), "8080");
    assert_eq!(s.ports[1].protocol, Protocol::Udp);
    let (a, b) = (&s.endpoints[0], &s.endpoints[1]);
    assert_eq!(a.address, "10.0.0.1");
    assert_eq!((a.ready, a.serving, a.terminating), (false, true, true));
    assert_eq!(a.pod, Some(UnitId(0)));
    assert_eq!(at(&text, a.span), "10.0.0.1");
    assert_eq!(
        (b.ready, b.serving, b.terminating, b.pod),
        (true, true, false, None)
    );
}

#[test]
fn bad_fields_are_located_warnings_and_the_rest_loads() {
    let (_, t) = with_pods(
        "apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-1, labels: {kubernetes.io/service-name: ext}}
addressType: IPv4
ports: [{name: http, port: 99999}]
endpoints:
  - addresses: [fd00::1]
  - addresses: [not-an-ip]
  - conditions: {ready: yes-please}
  - addresses: [10.0.0.3]
    conditions: {ready: maybe}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: loose}
addressType: IPv4
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: odd, labels: {kubernetes.io/service-name: ext}}
addressType: Unix
",
    );
    assert_eq!(
        messages(&t),
        [
            "`EndpointSlice ext-1`: `ports[0].port` should be a port number (1-65535), not 99999",
            "`EndpointSlice ext-1`: `endpoints[0].addresses[0]` is not an IPv4 address, as `addressType` says; the API refuses the slice",
            "`EndpointSlice ext-1`: `endpoints[1].addresses[0]` should be an IP address, not `not-an-ip`",
            "`EndpointSlice ext-1`: `endpoints[2]` has no `addresses`",
            "`EndpointSlice ext-1`: `endpoints[3].conditions.ready` should be a boolean, not a string",
            "`EndpointSlice loose` has no `kubernetes.io/service-name` label, so no Service uses it",
            "`EndpointSlice odd`: `addressType` should be IPv4, IPv6 or FQDN, not `Unix`; the API refuses the slice",
        ]
    );
    let s = &service(&t, "ext").slices;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].ports[0].port, None);
    // The one endpoint left: a condition of the wrong type is its default.
    assert_eq!(s[0].endpoints.len(), 1);
    assert!(s[0].endpoints[0].ready);
}

#[test]
fn legacy_endpoints_are_mirrored_only_for_a_selector_less_service() {
    let (_, t) = with_pods(
        "apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets:
  - addresses: [{ip: 10.0.0.1}, {ip: 'fd00::1'}]
    notReadyAddresses: [{ip: 10.0.0.2}]
    ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: api}
subsets: [{addresses: [{ip: 10.0.0.7}], ports: [{port: 8080}]}]
",
    );
    assert_eq!(
        messages(&t),
        [
            "`Endpoints api` is not used: Service `api` has a selector: the EndpointSliceMirroring controller copies only the `Endpoints` of selector-less Services, and kube-proxy reads only EndpointSlices"
        ]
    );
    let ext = &service(&t, "ext").slices;
    // One slice per address family, as the mirroring controller makes.
    assert_eq!(ext.len(), 2);
    assert_eq!(ext[0].source, SliceSource::Endpoints);
    assert_eq!(ext[0].address_type, AddressType::Ipv4);
    let ready: Vec<(&str, bool)> = ext[0]
        .endpoints
        .iter()
        .map(|e| (e.address.as_str(), e.ready))
        .collect();
    assert_eq!(ready, [("10.0.0.1", true), ("10.0.0.2", false)]);
    assert_eq!(ext[1].address_type, AddressType::Ipv6);
    assert!(service(&t, "api").slices.is_empty());
}

#[test]
fn which_slices_a_service_uses() {
    let slices: String = [
        (
            "api-controller",
            "api",
            "endpointslice-controller.k8s.io",
            "10.0.0.1",
        ),
        ("api-staff", "api", "staff", "10.0.0.2"),
        (
            "ext-mirror",
            "ext",
            "endpointslicemirroring-controller.k8s.io",
            "10.0.0.3",
        ),
    ]
    .map(|(name, service, manager, address)| slice(name, service, manager, address))
    .concat();
    let (_, t) = with_pods(&format!(
        "{slices}apiVersion: v1
kind: Endpoints
metadata: {{name: ext}}
subsets: [{{addresses: [{{ip: 10.0.0.3}}], ports: [{{port: 8080}}]}}]
---
apiVersion: v1
kind: Endpoints
metadata:
  name: gone
  labels: {{endpointslice.kubernetes.io/skip-mirror: 'true'}}
subsets: [{{addresses: [{{ip: 10.0.0.4}}], ports: [{{port: 8080}}]}}]
"
    ));
    assert_eq!(
        messages(&t),
        [
            "`Endpoints gone`: it is named after Service `gone`, which is not in the manifests; nothing uses it"
        ]
    );
    // The controller's slice is what the selector gives; a hand-made one
    // serves beside it.
    assert_eq!(slice_names(&t, "api"), ["api-staff"]);
    // Endpoints already mirrored are not counted twice.
    assert_eq!(slice_names(&t, "ext"), ["ext-mirror"]);
}

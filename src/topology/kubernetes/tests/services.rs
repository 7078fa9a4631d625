//! Services: ports, selectors and kinds.

use super::*;

#[test]
fn services_ports_selectors_and_kinds() {
    let (text, t) = manifest!("services-ports-selectors-and-kinds");
    no_diags(&t);
    let api = &t.services[0];
    assert_eq!((api.name.as_str(), api.namespace.as_str()), ("api", "shop"));
    assert_eq!(api.kind, ServiceKind::ClusterIp);
    assert_eq!(api.selected, [UnitId(0), UnitId(1)]);
    assert_eq!(at(text, api.selector_span), "selector");
    let p = &api.ports;
    assert_eq!(p[0].name.as_deref(), Some("web"));
    assert_eq!(p[0].target_port, TargetPort::Name("http".into()));
    assert_eq!(at(text, p[0].span), "80");
    assert_eq!(at(text, p[0].target_span), "http");
    assert_eq!(p[1].target_port, TargetPort::Number(8080));
    assert_eq!(at(text, p[1].span), "8443");
    assert_eq!(at(text, p[1].target_span), "8080");
    assert_eq!(p[2].target_port, TargetPort::Number(9000));
    assert!(p[2].target_span.is_none());
    let node = &t.services[1];
    assert_eq!(node.kind, ServiceKind::NodePort);
    assert_eq!(node.cluster_ip, Some("10.96.100.100".parse().unwrap()));
    assert_eq!(node.ip_origin, AddressOrigin::Declared);
    assert_eq!(node.ports[0].node_port, Some(30080));
    assert_eq!(node.selected, [UnitId(0), UnitId(1)]);
    assert_eq!(
        t.services[2].kind,
        ServiceKind::ExternalName("db.example.com".into())
    );
    assert!(t.services[3].selector.is_none() && t.services[3].selected.is_empty());
    assert_eq!(t.services[4].kind, ServiceKind::LoadBalancer);
    assert!(t.services[4].selector.is_some() && t.services[4].selected.is_empty());
    assert_eq!(at(text, t.services[4].span), "nothing");
}

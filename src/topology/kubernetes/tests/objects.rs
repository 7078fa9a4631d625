//! Documents, lists, kinds and API groups, broken input and wrong types.

use super::*;

#[test]
fn lists_json_and_top_level_arrays() {
    let (_, t) = manifest!("lists-json-and-top-level-arrays");
    no_diags(&t);
    assert_eq!((t.units.len(), t.services.len()), (1, 1));
    let json = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"},
 "spec": {"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}]}}"#;
    let t = load_text(json);
    no_diags(&t);
    assert_eq!(at(json, t.units[0].containers[0].ports[0].span), "8080");
    assert_eq!(at(json, t.units[0].span), "\"j\"");
    let array = format!("[{json}, {json}]");
    let t = load_text(&array);
    assert_eq!(t.units.len(), 1);
    assert_eq!(t.diagnostics.len(), 1, "the duplicate is reported");
}

#[test]
fn unknown_kinds_and_foreign_groups_are_ignored() {
    let (_, t) = manifest!("unknown-kinds-and-foreign-groups-are-ignored");
    assert!(t.services.is_empty() && t.units.is_empty());
    assert_eq!(
        messages(&t),
        [
            "`Service` of `apiVersion: serving.knative.dev/v1` is not the Kubernetes kind (`v1`); ignored"
        ]
    );
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Info);
}

#[test]
fn broken_documents_are_located_errors() {
    let text = "- just\n- a list\n---\nhello\n---\napiVersion: v1\nkind: Service\nspec: {}\n---\nfoo: bar\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: {a: b}\n";
    let t = load_text(text);
    let got: Vec<(DiagSeverity, &str, String)> = t
        .diagnostics
        .iter()
        .map(|d| (d.severity, at(text, d.span), d.message.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (DiagSeverity::Error, "just", "a Kubernetes manifest should be a mapping with `apiVersion` and `kind`, not a string".into()),
            (DiagSeverity::Error, "a list", "a Kubernetes manifest should be a mapping with `apiVersion` and `kind`, not a string".into()),
            (DiagSeverity::Error, "hello", "a Kubernetes manifest should be a mapping with `apiVersion` and `kind`, not a string".into()),
            (DiagSeverity::Error, "Service", "a `Service` without `metadata.name` cannot be applied; skipped".into()),
            (DiagSeverity::Warning, "foo", "a document without `apiVersion` and `kind` is not a Kubernetes object; skipped".into()),
            (DiagSeverity::Error, "metadata", "a `Deployment` without `metadata.name` cannot be applied; skipped".into()),
        ]
    );
}

#[test]
fn yaml_errors_and_alias_bombs_do_not_panic() {
    let t = load_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p\n");
    assert_eq!(t.diagnostics.len(), 1);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    assert!(
        t.diagnostics[0]
            .message
            .starts_with("cannot read `k8s.yaml` as YAML: ")
    );
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        bomb += &format!("  a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n");
    }
    let t = load_text(&bomb);
    assert_eq!(t.diagnostics.len(), 1);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    let t = load_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels:\n{{ toYaml .Values.labels | indent 4 }}\n",
    );
    assert!(
        t.diagnostics[0]
            .message
            .ends_with("(Helm templates must be rendered first, e.g. with `helm template`)")
    );
}

#[test]
fn wrong_types_are_located_warnings_and_the_rest_loads() {
    let (text, t) = manifest!("wrong-types-are-located-warnings-and-the-rest-loads");
    let got: Vec<(&str, String)> = t
        .diagnostics
        .iter()
        .map(|d| (at(text, d.span), d.message.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("three", "`Deployment web`: `spec.replicas` should be an integer, not a string".into()),
            ("matchLabels", "`Deployment web`: the selector does not match the pod template labels (missing app=other); the API server rejects it".into()),
            ("\"yes\"", "`Deployment web`: `spec.template.spec.hostNetwork` should be a boolean, not a string".into()),
            ("nginx", "`Deployment web`: `spec.template.spec.containers[0].image` should be a string, not a list".into()),
            ("A", "`Deployment web`: `spec.template.spec.containers[0].env` should be a list, not a mapping".into()),
            ("\"8080\"", "`Deployment web`: `spec.template.spec.containers[0].ports[0].containerPort` should be an integer, not a string".into()),
            ("70000", "`Deployment web`: `spec.template.spec.containers[0].ports[1].containerPort` should be a port number (1-65535), not 70000".into()),
            ("name", "`Deployment web`: `spec.template.spec.containers[0].ports[2]` has no `containerPort`".into()),
            ("8081", "`Deployment web`: `spec.template.spec.containers[0].ports[3]` should be a mapping, not an integer".into()),
        ]
    );
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity == DiagSeverity::Warning)
    );
    let u = &t.units[0];
    assert_eq!(u.name, "web-0");
    assert!(!u.host_network);
    assert_eq!(u.containers[0].ports.len(), 1);
    assert_eq!(u.containers[0].ports[0].container_port, 8080);
}

use super::*;
use axum::body::Bytes;

fn part(name: &str, filename: Option<&str>, data: &str) -> Part {
    Part {
        name: name.into(),
        filename: filename.map(str::to_string),
        data: Bytes::from(data.to_string()),
    }
}

#[test]
fn json_requests_name_files_and_documents() {
    let r: ValidateRequest = body::json(
        br#"{"nginx": "events {}", "files": [{"path": "conf.d/a.conf", "content": ""}],
             "documents": [{"content": "services: {}"}, {"path": "k.yaml", "content": "", "format": "kubernetes"}]}"#,
        64,
    )
    .unwrap();
    let s = r.into_submission().unwrap();
    let paths: Vec<&str> = s.nginx.iter().map(|f| f.item.path.as_str()).collect();
    assert_eq!(paths, ["nginx.conf", "conf.d/a.conf"]);
    assert_eq!(s.topology[0].item.file.path, "topology-1.yaml");
    assert_eq!(
        s.topology[1].item.format,
        Some(crate::topology::Format::Kubernetes)
    );
}

#[test]
fn duplicate_paths_name_the_second_field() {
    let r: ValidateRequest = body::json(
        br#"{"files": [{"path": "a.conf", "content": ""}, {"path": "a.conf", "content": "x"}],
             "documents": [{"content": ""}]}"#,
        64,
    )
    .unwrap();
    let e = r
        .into_submission()
        .unwrap()
        .check(&Limits::default())
        .unwrap_err();
    assert_eq!(e.kind, Kind::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("/files/1/path"));
}

#[test]
fn forms_take_file_names_as_paths_and_key_values() {
    let s = Submission::from_validate_form(vec![
        part("nginx", Some("default.conf"), "server {}"),
        part("topology", Some("docker-compose.yml"), "services: {}"),
        part("env", None, "TAG=1"),
        part("subnets", None, "default=10.0.0.0/24"),
        part("topology_format", None, "compose"),
    ])
    .unwrap();
    assert_eq!(s.nginx[0].item.path, "default.conf");
    assert_eq!(
        s.topology[0].item.format,
        Some(crate::topology::Format::Compose)
    );
    assert_eq!(s.options.env["TAG"], "1");
    assert_eq!(s.options.subnets["default"], "10.0.0.0/24");
    let e = Submission::from_validate_form(vec![part("bogus", None, "")]).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("bogus"));
    let e = Submission::from_validate_form(vec![part("nginx", None, "events {}")]).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("nginx"));
    let e = Submission::from_validate_form(vec![part("main", None, "a"), part("main", None, "b")])
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("main"));
}

#[test]
fn limits_are_checked() {
    let limits = Limits {
        max_files: 1,
        max_depth: 2,
        ..Limits::default()
    };
    let s = Submission::from_validate_form(vec![
        part("nginx", Some("a.conf"), ""),
        part("nginx", Some("b.conf"), ""),
    ])
    .unwrap();
    assert_eq!(s.check(&limits).unwrap_err().kind, Kind::TooManyFiles);
    let s =
        Submission::from_validate_form(vec![part("nginx", Some("n.conf"), "a { b { c { } } }")])
            .unwrap();
    let e = s.check(&limits).unwrap_err();
    assert_eq!(e.kind, Kind::NestingTooDeep);
    assert_eq!(e.field.as_deref(), Some("nginx"));
    assert_eq!(e.location.as_ref().map(|l| l.column), Some(11));
}

#[test]
fn the_schema_patterns_accept_what_the_library_parses() {
    for ok in [
        "0.0.0.0/0",
        "192.168.48.0/20",
        "255.255.255.255/32",
        "10.0.0.1/8",
    ] {
        assert!(ok.parse::<ipnet::Ipv4Net>().is_ok(), "{ok}");
    }
    assert!(CIDR_PATTERN.starts_with('^') && IPV4_PATTERN.ends_with('$'));
}

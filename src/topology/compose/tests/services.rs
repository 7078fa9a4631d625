//! Services: references between them, creation order, `extra_hosts`, commands, replicas.

use super::*;
use crate::topology::testing::hosts;

#[test]
fn undefined_references_are_compose_errors_at_the_reference() {
    let text = "\
services:
  web:
    image: nginx
    depends_on: [db]
    networks: [back]
    volumes:
      - data:/var/lib/data
    links: [cache:c]
  opt:
    image: x
    depends_on:
      maybe:
        condition: service_started
        required: false
  side:
    image: x
    network_mode: service:ghost
";
    let t = load_str(text);
    let undefined = [
        (
            "undefined service \"db\"",
            "service \"web\" depends on undefined service \"db\"",
            "db",
        ),
        (
            "undefined network",
            "service \"web\" refers to undefined network \"back\"",
            "back",
        ),
        (
            "undefined volume",
            "service \"web\" refers to undefined volume \"data\"",
            "data",
        ),
    ];
    for (needle, message, written) in undefined {
        assert_eq!(said(&t, text, needle), (message, written), "{needle}");
    }
    assert_eq!(pointed(&t, text, "undefined service \"cache\""), "cache:c");
    assert_eq!(
        pointed(&t, text, "network_mode 'service:ghost'"),
        "service:ghost"
    );
    assert!(!t.diagnostics.iter().any(|d| d.message.contains("maybe")));
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity == DiagSeverity::Error)
    );
    // The rest still loads.
    assert_eq!(names(&t), ["p-opt-1", "p-side-1", "p-web-1"]);
}

#[test]
fn units_come_in_creation_order() {
    let text = "\
services:
  nginx:
    image: nginx
    depends_on:
      api: {condition: service_healthy}
    volumes_from: [assets:ro]
  api:
    image: api
    links: [db]
  assets:
    image: assets
    volumes: [/srv/assets]
  db:
    image: postgres
  worker:
    image: api
    network_mode: service:api
";
    let t = load_str(text);
    no_diags(&t);
    // db before api (link), assets before nginx (volumes_from),
    // api before nginx; ties by name.
    assert_eq!(names(&t), ["p-assets-1", "p-db-1", "p-api-1", "p-nginx-1"]);
    assert_eq!(unit(&t, "p-api-1").containers[1].name, "p-worker-1");
    // volumes_from copies the mounts, read-only here.
    let m = &unit(&t, "p-nginx-1").containers[0].mounts[0];
    assert_eq!(m.target, "/srv/assets");
    assert!(m.read_only);
    assert_eq!(t.volumes[m.volume].kind, VolumeKind::Anonymous);
}

#[test]
fn dependency_cycles_are_errors_and_everything_still_loads() {
    let text = "\
services:
  a:
    image: x
    depends_on: [b]
  b:
    image: x
    depends_on: [a]
  c:
    image: x
  d:
    image: x
    depends_on: [a]
";
    let t = load_str(text);
    assert_eq!(
        said(&t, text, "cycle"),
        ("dependency cycle detected between services `a`, `b`", "a")
    );
    assert_eq!(names(&t), ["p-c-1", "p-a-1", "p-b-1", "p-d-1"]);
}

#[test]
fn extra_hosts_in_list_and_map_form() {
    let text = "\
services:
  web:
    image: nginx
    extra_hosts:
      - \"host.docker.internal:host-gateway\"
      - \"db=10.0.0.5\"
      - \"v6host:::1\"
      - \"v6b=[2001:db8::1]\"
      - \"broken\"
  api:
    image: api
    extra_hosts:
      metrics: 10.0.0.9
      multi: [\"10.0.0.1\", \"::2\"]
";
    let t = load_str(text);
    let web = unit(&t, "p-web-1");
    assert_eq!(
        hosts(web),
        [
            ("host.docker.internal", "host-gateway"),
            ("db", "10.0.0.5"),
            ("v6host", "::1"),
            ("v6b", "2001:db8::1"),
        ]
    );
    assert_eq!(
        at(text, web.extra_hosts[0].span),
        "host.docker.internal:host-gateway"
    );
    let d = find_diag(&t, "invalid extra host `broken`");
    assert_eq!(d.severity, DiagSeverity::Warning);
    let api = unit(&t, "p-api-1");
    assert_eq!(
        hosts(api),
        [
            ("metrics", "10.0.0.9"),
            ("multi", "10.0.0.1"),
            ("multi", "::2")
        ]
    );
    assert_eq!(at(text, api.extra_hosts[0].span), "metrics: 10.0.0.9");
}

#[test]
fn commands_are_split_like_compose_without_a_shell() {
    let text = "\
services:
  app:
    image: app
    command: gunicorn -b \"0.0.0.0:8000\" 'app:create_app()' --name my\\ app
    entrypoint: [\"/bin/sh\", \"-c\"]
  worker:
    image: app
    command: npm install && npm start
  bad:
    image: app
    command: echo \"unterminated
  list:
    image: app
    command: [\"uwsgi\", \"--socket\", 8000]
";
    let t = load_str(text);
    let app = &unit(&t, "p-app-1").containers[0];
    assert_eq!(
        app.command,
        [
            "gunicorn",
            "-b",
            "0.0.0.0:8000",
            "app:create_app()",
            "--name",
            "my app"
        ]
    );
    assert_eq!(app.entrypoint, ["/bin/sh", "-c"]);
    let worker = &unit(&t, "p-worker-1").containers[0];
    assert_eq!(worker.command, ["npm", "install"]);
    assert_eq!(
        pointed_as(&t, text, "stops at `&&`"),
        (DiagSeverity::Warning, "&& npm start")
    );
    let d = find_diag(&t, "not a valid command line");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(
        unit(&t, "p-list-1").containers[0].command,
        ["uwsgi", "--socket", "8000"]
    );
}

#[test]
fn replicas_become_consecutive_units() {
    let text = "\
services:
  worker:
    image: app
    deploy:
      replicas: 3
  api:
    image: api
    scale: 2
  web:
    image: nginx
    container_name: front
    deploy:
      replicas: 2
  off:
    image: x
    deploy:
      replicas: 0
";
    let t = load_str(text);
    assert_eq!(
        names(&t),
        [
            "p-api-1",
            "p-api-2",
            "front",
            "p-worker-1",
            "p-worker-2",
            "p-worker-3"
        ]
    );
    assert_eq!(
        unit(&t, "p-worker-3").kind,
        UnitKind::ComposeService {
            service: "worker".into(),
            replica: 3
        }
    );
    assert_eq!(
        unit(&t, "p-worker-2").addresses[0].dns_names,
        ["worker", "p-worker-2"]
    );
    assert_eq!(
        pointed_as(&t, text, "container name must be unique"),
        (DiagSeverity::Error, "front")
    );
}

#[test]
fn distinct_scale_and_replicas_is_an_error() {
    let text = "services:\n  w:\n    image: x\n    scale: 2\n    deploy:\n      replicas: 3\n";
    let t = load_str(text);
    assert_eq!(pointed(&t, text, "distinct values"), "2");
    assert_eq!(names(&t), ["p-w-1", "p-w-2"]);
}

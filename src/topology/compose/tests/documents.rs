//! The seed project, the project name, and documents that are odd or broken: merge keys, wrong types, YAML errors, alias bombs.

use super::*;

const SEED: &str = "\
services:
  model_test:
    container_name: model-test02
    build: ./model
    command: flask run --host=0.0.0.0 --port=6001
    expose:
      - \"6001\"
  nginx:
    container_name: nginx-test02
    image: nginx:1.27
    ports:
      - \"9001:9001\"
    volumes:
      - ./default.conf:/etc/nginx/conf.d/default.conf:ro
    depends_on:
      - model_test
networks:
  default:
    ipam:
      config:
        - subnet: 192.168.48.0/20
";

#[test]
fn the_seed_project_loads_as_two_units_on_one_network() {
    let t = load_opts(SEED, &LoadOptions::default());
    no_diags(&t);
    assert_eq!(t.platform, Platform::Compose);
    // The project is the directory of the file: `app/compose.yaml`.
    assert_eq!(t.project.as_deref(), Some("app"));
    assert_eq!(names(&t), ["model-test02", "nginx-test02"]);
    let n = net(&t, "default");
    assert_eq!(n.name, "app_default");
    assert_eq!(n.kind, NetworkKind::Bridge);
    assert_eq!(n.subnet.as_deref(), Some("192.168.48.0/20"));
    assert_eq!(n.origin, AddressOrigin::Declared);
    let model = unit(&t, "model-test02");
    assert_eq!(
        model.kind,
        UnitKind::ComposeService {
            service: "model_test".into(),
            replica: 1
        }
    );
    assert_eq!(model.hostname.as_deref(), Some("model-test02"));
    assert_eq!(model.addresses.len(), 1);
    assert_eq!(model.addresses[0].ip, None);
    assert_eq!(model.addresses[0].dns_names, ["model_test", "model-test02"]);
    let c = &model.containers[0];
    assert_eq!(c.command, ["flask", "run", "--host=0.0.0.0", "--port=6001"]);
    assert_eq!(c.service.as_deref(), Some("model_test"));
    assert_eq!(c.ports[0].kind, PortKind::Exposed);
    assert_eq!(c.ports[0].container_port, 6001);
    assert_eq!(at(SEED, c.ports[0].span), "6001");
    let nginx = unit(&t, "nginx-test02");
    let p = &nginx.containers[0].ports[0];
    assert_eq!((p.container_port, p.host_port), (9001, Some(9001)));
    // The second 9001 is the container port.
    assert_eq!(p.span.unwrap().start, p.host_span.unwrap().start + 5);
    assert_eq!(at(SEED, p.host_span), "9001");
    let m = &nginx.containers[0].mounts[0];
    assert_eq!(m.target, "/etc/nginx/conf.d/default.conf");
    assert!(m.read_only);
    assert_eq!(
        t.volumes[m.volume].kind,
        VolumeKind::Bind("./default.conf".into())
    );
    assert_eq!(at(SEED, nginx.span), "nginx");
}

#[test]
fn the_project_name_comes_from_options_then_name_then_directory() {
    let text = "name: Shop_App\nservices:\n  web:\n    image: nginx\n";
    let with = |project: Option<&str>, path: &str, text: &str| {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new(path, text));
        let opts = LoadOptions {
            project: project.map(String::from),
            ..Default::default()
        };
        load(&sources, &[f], &opts).project.unwrap()
    };
    assert_eq!(with(Some("Given.Name"), "x/c.yml", text), "givenname");
    assert_eq!(with(None, "x/c.yml", text), "shop_app");
    let plain = "services:\n  web:\n    image: nginx\n";
    assert_eq!(
        with(None, "/srv/My Project/docker-compose.yml", plain),
        "myproject"
    );
    assert_eq!(with(None, "docker-compose.yml", plain), "default");
    assert_eq!(with(None, "./docker-compose.yml", plain), "default");
    let t = load_opts(plain, &LoadOptions::default());
    assert_eq!(names(&t), ["app-web-1"]);
}

#[test]
fn merge_keys_and_extensions() {
    let text = "\
x-common: &common
  image: app:latest
  environment:
    LOG: info
  networks: [back]
x-port: &port \"8000\"
services:
  api:
    <<: *common
    command: gunicorn -b 0.0.0.0:8000 app:app
    expose: [*port]
  worker:
    <<: *common
    image: app:worker
  x-disabled:
    image: ignored
networks:
  back: {}
  x-meta: {}
";
    let t = load_str(text);
    no_diags(&t);
    assert_eq!(names(&t), ["p-api-1", "p-worker-1"]);
    let api = &unit(&t, "p-api-1").containers[0];
    assert_eq!(api.image.as_deref(), Some("app:latest"));
    assert_eq!(api.env[0].value.as_deref(), Some("info"));
    assert_eq!(api.ports[0].container_port, 8000);
    assert_eq!(image(&t, "p-worker-1"), Some("app:worker"));
    assert_eq!(net_keys(&t), ["back"]);
}

#[test]
fn wrong_types_are_located_warnings_and_the_rest_loads() {
    let text = "\
services:
  web:
    image: [nginx]
    ports: \"80:80\"
    environment: 5
    networks: true
    hostname: web-host
    deploy:
      replicas: many
  api:
    image: api
";
    let t = load_str(text);
    assert_eq!(
        said_as(&t, text, "`image` of service `web`"),
        "Warning at `image`: `image` of service `web` must be a string, not a list"
    );
    assert_eq!(
        said(&t, text, "`ports` of service `web`"),
        (
            "`ports` of service `web` must be a list, not a string",
            "\"80:80\""
        )
    );
    assert_eq!(pointed(&t, text, "`environment` of service `web`"), "5");
    find_diag(
        &t,
        "`networks` of service `web` must be a list or a mapping, not a boolean",
    );
    find_diag(&t, "`deploy.replicas` of service `web`");
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity == DiagSeverity::Warning)
    );
    assert!(t.diagnostics.iter().all(|d| !d.message.ends_with('.')));
    assert_eq!(names(&t), ["p-api-1", "p-web-1"]);
    assert_eq!(unit(&t, "p-web-1").hostname.as_deref(), Some("web-host"));
}

#[test]
fn broken_documents_are_errors_never_an_empty_pass() {
    let err = |text: &str| -> Vec<(DiagSeverity, String)> {
        load_str(text)
            .diagnostics
            .into_iter()
            .map(|d| (d.severity, d.message))
            .collect()
    };
    let e = |m: &str| vec![(DiagSeverity::Error, m.to_string())];
    assert_eq!(
        err("- a\n- b\n"),
        e("top-level object must be a mapping, not a list")
    );
    assert_eq!(
        err("version: '3'\nnetworks: {}\n"),
        e("`services` is missing: a compose file needs at least one service")
    );
    assert_eq!(
        err("services: [web]\n"),
        e("`services` must be a mapping, not a list")
    );
    assert_eq!(
        err("services:\n"),
        e("the compose file defines no services")
    );
    assert_eq!(
        err(""),
        e("`app/compose.yaml` is empty; a compose file needs `services`")
    );
    let t = load_str("services:\n  web: nginx\n");
    assert_eq!(
        diags(&t)[0],
        (
            DiagSeverity::Error,
            "service `web` must be a mapping, not a string"
        )
    );
    let t = load_str("services:\n  web:\n    image: a\n    image: b\n");
    let d = &t.diagnostics[0];
    assert_eq!(d.severity, DiagSeverity::Error);
    assert!(d.message.contains("duplicate"), "{}", d.message);
}

#[test]
fn alias_bombs_are_errors() {
    let mut text = String::from("x-a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        text += &format!("x-a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n");
    }
    text += "services:\n  web:\n    image: nginx\n";
    let t = load_str(&text);
    assert_eq!(t.diagnostics.len(), 1);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    assert!(t.units.is_empty());
}

#[test]
fn a_real_sized_file_sharing_blocks_through_150_aliases_loads() {
    let text = crate::topology::testing::real_sized_compose(60);
    let t = load_str(&text);
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity != DiagSeverity::Error),
        "{:?}",
        diags(&t)
    );
    assert_eq!(t.units.len(), 60);
    let svc = unit(&t, "p-svc-59-1");
    let c = &svc.containers[0];
    assert_eq!(c.ports[0].container_port, 8080);
    assert!(crate::topology::testing::vars(c).contains(&("TZ", Some("Europe/Berlin"))));
    assert_eq!(net(&t, "backend").name, "p_backend");
}

#[test]
fn a_yaml_error_is_located() {
    let text = "services:\n  web:\n    image: nginx\n    ports: [\"80\"\n";
    let t = load_str(text);
    assert_eq!(t.diagnostics.len(), 1);
    assert_eq!(t.diagnostics[0].severity, DiagSeverity::Error);
    assert!(t.units.is_empty());
}

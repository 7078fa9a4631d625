//! Several compose files merged with compose's rules: overrides, `!reset`/`!override`, unique lists.

use super::*;
use crate::topology::compose::merge::{Tag, tag_of};
use crate::topology::testing::hosts;

const BASE: &str = "\
services:
  api:
    image: api:1
    command: gunicorn -b 0.0.0.0:8000 app:app
    ports: [\"8000:8000\", \"9000\"]
    expose: [\"8000\"]
    environment:
      PORT: \"8000\"
      DEBUG: \"0\"
    volumes:
      - ./code:/srv
      - data:/data
    networks: [back]
    depends_on: [db]
    extra_hosts: [\"ext=10.0.0.1\"]
  db:
    image: postgres:16
networks:
  back: {}
volumes:
  data: {}
";

const OVERRIDE: &str = "\
services:
  api:
    image: api:2
    command: [\"gunicorn\", \"-b\", \"0.0.0.0:9000\", \"app:app\"]
    ports: [\"8000:8000\", \"9001:9001\"]
    expose: [\"8000\", \"9001\"]
    environment:
      - PORT=9000
      - EXTRA=1
    volumes:
      - ./other:/srv
    networks:
      back:
        aliases: [backend]
      front:
    depends_on:
      cache:
        condition: service_started
    extra_hosts:
      ext: 10.0.0.1
      other: 10.0.0.2
  cache:
    image: redis
networks:
  front: {}
";

#[test]
fn later_files_override_scalars_and_merge_the_rest() {
    let (t, sources) = load_files(
        &[("x/compose.yaml", BASE), ("x/compose.prod.yaml", OVERRIDE)],
        &project_p(),
    );
    no_diags(&t);
    assert_eq!(names(&t), ["p-cache-1", "p-db-1", "p-api-1"]);
    let api = unit(&t, "p-api-1");
    let c = &api.containers[0];
    // Scalars and `command`: the later file's, pointing into it.
    assert_eq!(c.image.as_deref(), Some("api:2"));
    assert_eq!(c.command, ["gunicorn", "-b", "0.0.0.0:9000", "app:app"]);
    // Ports append, the same port once (the later one); `expose` too.
    let ports: Vec<(u16, Option<u16>, PortKind)> = c
        .ports
        .iter()
        .map(|p| (p.container_port, p.host_port, p.kind))
        .collect();
    assert_eq!(
        ports,
        [
            (8000, Some(8000), PortKind::Published),
            (9000, None, PortKind::Published),
            (9001, Some(9001), PortKind::Published),
            (8000, None, PortKind::Exposed),
            (9001, None, PortKind::Exposed),
        ]
    );
    assert_eq!(
        snips(&sources, c.ports[..2].iter().map(|p| p.span)),
        ["x/compose.prod.yaml: 8000", "x/compose.yaml: 9000"]
    );
    // Environment merges by name (a mapping and a list), the later
    // value in the earlier one's place.
    assert_eq!(
        env_of(&t, "p-api-1"),
        kv(&[("PORT", "9000"), ("DEBUG", "0"), ("EXTRA", "1")])
    );
    assert_eq!(
        snips(&sources, c.env[..2].iter().map(|e| e.span)),
        [
            "x/compose.prod.yaml: PORT=9000",
            "x/compose.yaml: DEBUG: \"0\""
        ]
    );
    // Volumes merge by target.
    let mounts: Vec<(String, String)> = c
        .mounts
        .iter()
        .map(|m| (t.volumes[m.volume].name.clone(), m.target.clone()))
        .collect();
    assert_eq!(
        mounts,
        [
            ("./other".to_string(), "/srv".to_string()),
            ("data".to_string(), "/data".to_string())
        ]
    );
    // Networks merge as mappings: both, with the later aliases.
    let nets: Vec<(&str, Vec<String>)> = api
        .addresses
        .iter()
        .map(|a| (t.networks[a.network.0].key.as_str(), a.dns_names.clone()))
        .collect();
    assert_eq!(nets[0].0, "back");
    assert!(nets[0].1.contains(&"backend".to_string()));
    assert_eq!(nets[1].0, "front");
    assert_eq!(net_keys(&t), ["back", "default", "front"]);
    // depends_on merges: api comes after db and cache.
    // extra_hosts: the same entry once.
    let hosts = hosts(api);
    assert_eq!(hosts, [("ext", "10.0.0.1"), ("other", "10.0.0.2")]);
    // The service itself is where the first file defines it.
    assert_eq!(snip(&sources, api.span).0, "x/compose.yaml");
}

#[test]
fn reset_and_override_tags() {
    let base = "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n    environment:\n      A: \"1\"\n      B: \"2\"\n    command: nginx -g 'daemon off;'\n";
    let over = "services:\n  web:\n    ports: !override\n      - \"8443:443\"\n    environment:\n      A: !reset null\n    command: !reset null\n";
    let (t, _) = load_files(&[("compose.yaml", base), ("o.yaml", over)], &project_p());
    no_diags(&t);
    let c = &unit(&t, "p-web-1").containers[0];
    assert_eq!(ports(&t, "p-web-1"), [(443, Some(8443))]);
    assert_eq!(env_of(&t, "p-web-1"), kv(&[("B", "2")]));
    assert!(c.command.is_empty());
    let (t, _) = load_files(
        &[
            ("compose.yaml", base),
            ("o.yaml", "services:\n  web:\n    ports: !reset []\n"),
        ],
        &project_p(),
    );
    assert!(ports(&t, "p-web-1").is_empty());
    let text = "a: !reset []\nb: !override\n  - x\nc: [!reset 1]\nd: x!reset\n";
    let docs = yaml::parse_documents(FileId(0), &SourceFile::new("t", text)).unwrap();
    let tag = |k: &str| tag_of(text, docs[0].get(k).unwrap());
    assert_eq!(tag("a"), Some(Tag::Reset));
    assert_eq!(tag("b"), Some(Tag::Override));
    assert_eq!(tag("c"), None);
    assert_eq!(tag("d"), None);
}

#[test]
fn a_list_cannot_override_a_mapping() {
    let (t, sources) = load_files(
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 2\n",
            ),
            ("o.yaml", "services:\n  web:\n    deploy: [x]\n"),
        ],
        &project_p(),
    );
    let d = find_diag(&t, "cannot override");
    assert_eq!(
        d.message,
        "cannot override `services.web.deploy`: it is a mapping in one file and a list in a later one"
    );
    assert_eq!(d.severity, DiagSeverity::Error);
    assert_eq!(snip(&sources, d.span), ("o.yaml".into(), "deploy".into()));
}

#[test]
fn unique_lists_and_subnets() {
    // One file: the later mount of a target wins, in the earlier place.
    let text = "services:\n  web:\n    image: nginx\n    volumes:\n      - ./a:/etc/nginx/conf.d\n      - logs:/var/log/nginx\n      - type: bind\n        source: ./b\n        target: /etc/nginx/conf.d\nvolumes:\n  logs: {}\n";
    let t = load_str(text);
    no_diags(&t);
    let c = &unit(&t, "p-web-1").containers[0];
    let mounts: Vec<&str> = c
        .mounts
        .iter()
        .map(|m| t.volumes[m.volume].name.as_str())
        .collect();
    assert_eq!(mounts, ["./b", "logs"]);
    // ipam.config merges by subnet.
    let base = "services:\n  web:\n    image: nginx\nnetworks:\n  default:\n    ipam:\n      config:\n        - subnet: 10.5.0.0/16\n";
    let over = "networks:\n  default:\n    ipam:\n      config:\n        - subnet: 10.5.0.0/16\n          gateway: 10.5.0.254\n";
    let (t, _) = load_files(&[("compose.yaml", base), ("o.yaml", over)], &project_p());
    no_diags(&t);
    let n = net(&t, "default");
    assert_eq!(n.subnet.as_deref(), Some("10.5.0.0/16"));
    assert_eq!(n.gateway, Some("10.5.0.254".parse().unwrap()));
}

#[test]
fn a_short_build_merges_with_a_long_one_as_its_context() {
    let (t, _) = load_files(
        &[
            ("compose.yaml", "services:\n  web:\n    build: ./web\n"),
            (
                "compose.override.yaml",
                "services:\n  web:\n    build:\n      target: runtime\n",
            ),
        ],
        &project_p(),
    );
    assert!(
        t.diagnostics
            .iter()
            .all(|d| d.severity != DiagSeverity::Error),
        "{:?}",
        t.diagnostics
    );
    let b = build_of(&t, "p-web-1");
    assert_eq!(
        (b.context.as_str(), b.target.as_deref()),
        ("web", Some("runtime"))
    );
    // And the other way round: a later short form sets the context only.
    let (t, _) = load_files(
        &[
            (
                "compose.yaml",
                "services:\n  web:\n    build:\n      context: ./a\n      target: runtime\n",
            ),
            (
                "compose.override.yaml",
                "services:\n  web:\n    build: ./b\n",
            ),
        ],
        &project_p(),
    );
    let b = build_of(&t, "p-web-1");
    assert_eq!(
        (b.context.as_str(), b.target.as_deref()),
        ("b", Some("runtime"))
    );
}

/// The build of the first container of unit `name`.
fn build_of<'t>(t: &'t Topology, name: &str) -> &'t crate::topology::build::Build {
    unit(t, name).containers[0]
        .build
        .as_deref()
        .expect("a build")
}

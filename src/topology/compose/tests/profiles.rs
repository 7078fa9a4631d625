//! Service `profiles`.

use super::*;
use crate::topology::testing::errors;

#[test]
fn services_outside_the_active_profiles_do_not_exist() {
    let text = "\
services:
  nginx:
    image: nginx
  api:
    image: api
    profiles: [dev]
  debug:
    image: busybox
    profiles: [debug, dev]
";
    let t = load_str(text);
    assert_eq!(names(&t), ["p-nginx-1"]);
    assert_eq!(
        said_as(&t, text, "service `api` is not started"),
        "Info at `api`: service `api` is not started: none of its profiles (dev) is active"
    );
    let with = |profiles: &[&str], env: &[(&str, &str)]| {
        let opts = LoadOptions {
            project: Some("p".into()),
            profiles: profiles.iter().map(|s| s.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        };
        let t = load_opts(text, &opts);
        names(&t).into_iter().map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(with(&["debug"], &[]), ["p-debug-1", "p-nginx-1"]);
    assert_eq!(with(&["dev"], &[]), ["p-api-1", "p-debug-1", "p-nginx-1"]);
    assert_eq!(
        with(&[], &[("COMPOSE_PROFILES", "x, debug")]),
        ["p-debug-1", "p-nginx-1"]
    );
    assert_eq!(with(&["*"], &[]).len(), 3);
}

#[test]
fn depending_on_a_disabled_service_is_what_compose_reports() {
    let text = "\
services:
  nginx:
    image: nginx
    depends_on:
      api:
        condition: service_started
      metrics:
        required: false
    links: [metrics]
  api:
    image: api
    profiles: [dev]
  metrics:
    image: m
    profiles: [ops, debug]
";
    let t = load_str(text);
    assert_eq!(
        said_as(&t, text, "is required by"),
        "Error at `api`: service \"api\" is required by \"nginx\" but is disabled. Can be enabled by profiles [dev]"
    );
    let d = find_diag(&t, "service \"metrics\" is required");
    assert_eq!(at(text, d.span), "metrics");
    // Only the link: the `depends_on` is not required.
    assert_eq!(
        d.span.unwrap().start as usize,
        text.rfind("[metrics]").unwrap() + 1
    );
    assert_eq!(errors(&t).len(), 2);
}

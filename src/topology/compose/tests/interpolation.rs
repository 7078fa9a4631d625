//! `${VAR}` interpolation: its forms, exact spans, unset variables, decoded scalars.

use super::*;
use crate::topology::compose::interpolate::{Meter, Problem, decode_raw, interpolate};

#[test]
fn interpolation_forms() {
    let env: BTreeMap<String, String> = [("SET", "v"), ("EMPTY", "")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let run = |s: &str| {
        let map: Vec<(u32, u32)> = (0..s.len() as u32).map(|i| (i, i + 1)).collect();
        let mut problems = Vec::new();
        let (out, omap) = interpolate(&env, s, &map, &Meter::default(), &mut problems);
        assert_eq!(out.len(), omap.len());
        (out, problems.into_iter().map(|p| p.0).collect::<Vec<_>>())
    };
    assert_eq!(run("a${SET}b$SET.c").0, "avbv.c");
    assert_eq!(
        run("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}|${UNSET:-d}").0,
        "d||d|d"
    );
    assert_eq!(
        run("${SET:+r}|${EMPTY:+r}|${EMPTY+r}|${UNSET+r}").0,
        "r||r|"
    );
    assert_eq!(run("$$SET $${SET}").0, "$SET ${SET}");
    assert_eq!(run("${UNSET:-${SET}x}").0, "vx");
    assert_eq!(run("${UNSET:-${OTHER:-deep}}").0, "deep");
    assert_eq!(
        run("x${UNSET}y"),
        ("xy".into(), vec![Problem::Unset("UNSET".into())])
    );
    assert_eq!(
        run("${UNSET:?need it}").1,
        [Problem::Required("UNSET".into(), "need it".into())]
    );
    assert_eq!(
        run("${EMPTY:?}").1,
        [Problem::Required("EMPTY".into(), String::new())]
    );
    assert!(run("${EMPTY?e}").1.is_empty());
    assert_eq!(run("cost $ 5").1, [Problem::Invalid]);
    assert_eq!(run("${a b}").1, [Problem::Invalid]);
    assert_eq!(run("${unclosed").1, [Problem::Invalid]);
}

#[test]
fn interpolated_values_keep_exact_spans() {
    let text = "\
services:
  web:
    image: \"nginx:${NGINX_TAG:-1.27}\"
    ports:
      - \"${HOST_PORT:-8080}:80\"
      - \"${BIND}:${WEB_PORT}:${APP_PORT:-6001}\"
    environment:
      - NEEDED=${TOKEN:?set TOKEN first}
      - LITERAL=$$HOME
";
    let t = with_env(text, &[("WEB_PORT", "9000"), ("BIND", "127.0.0.1")]);
    let c = &unit(&t, "p-web-1").containers[0];
    assert_eq!(c.image.as_deref(), Some("nginx:1.27"));
    let p = &c.ports[0];
    assert_eq!((p.container_port, p.host_port), (80, Some(8080)));
    assert_eq!(at(text, p.span), "80");
    // The default's own text.
    assert_eq!(at(text, p.host_span), "8080");
    let p = &c.ports[1];
    assert_eq!((p.container_port, p.host_port), (6001, Some(9000)));
    assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(at(text, p.span), "6001");
    assert_eq!(at(text, p.host_span), "${WEB_PORT}");
    assert_eq!(c.env[1].value.as_deref(), Some("$HOME"));
    assert_eq!(
        said_as(&t, text, "required variable `TOKEN`"),
        "Error at `${TOKEN:?set TOKEN first}`: required variable `TOKEN` is missing a value: set TOKEN first"
    );
}

#[test]
fn unset_variables_are_located_warnings_once() {
    let text = "\
x-img: &img \"app:${TAG}\"
services:
  a:
    image: *img
  b:
    image: *img
    command: echo $ 5
";
    let t = load_str(text);
    let unset: Vec<&TopologyDiagnostic> = t
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("`TAG`"))
        .collect();
    assert_eq!(unset.len(), 1, "{:#?}", t.diagnostics);
    assert_eq!(
        unset[0].message,
        "variable `TAG` is not set; substituting an empty string"
    );
    assert_eq!(unset[0].severity, DiagSeverity::Warning);
    assert_eq!(at(text, unset[0].span), "${TAG}");
    assert_eq!(image(&t, "p-a-1"), Some("app:"));
    let d = find_diag(&t, "invalid interpolation format");
    assert_eq!(d.severity, DiagSeverity::Error);
    assert!(d.message.contains("`services.b.command`"), "{}", d.message);
    assert_eq!(at(text, d.span), "$");
}

#[test]
fn the_project_name_can_be_interpolated() {
    let text = "name: ${STACK:-shop}\nservices:\n  web:\n    image: nginx\n";
    let mut sources = SourceMap::new();
    let f = sources.add(SourceFile::new("c.yml", text));
    let t = load(&sources, &[f], &LoadOptions::default());
    assert_eq!(t.project.as_deref(), Some("shop"));
    assert_eq!(names(&t), ["shop-web-1"]);
}

#[test]
fn raw_scalars_decode_with_their_source_bytes() {
    let f = FileId(0);
    let d = |text: &str| decode_raw(text, Span::new(f, 0, text.len())).map(|x| x.0);
    assert_eq!(d("plain"), Some("plain".into()));
    assert_eq!(d("'it''s'"), Some("it's".into()));
    assert_eq!(d("\"a\\tb\\u00e9\""), Some("a\tbé".into()));
    assert_eq!(d("|\n  x"), None);
    let (s, map) = decode_raw("'a''b'", Span::new(f, 0, 6)).unwrap();
    assert_eq!(s, "a'b");
    assert_eq!(map, [(1, 2), (2, 4), (4, 5)]);
}

/// Compose warns about every unset variable; upcheck warns only where the
/// value can move a listener or a name, and notes the rest (a password, a
/// label, a build argument named like a key).
#[test]
fn unset_variables_warn_only_where_they_can_move_a_listener() {
    use DiagSeverity::{Info, Warning};
    let cases = [
        (
            "services:\n  app:\n    image: app:${TAG}\n    environment:\n      DB_PASSWORD: ${PW}\n    labels:\n      team: ${TEAM}\n",
            [("TAG", Warning), ("PW", Info), ("TEAM", Info)],
        ),
        (
            "services:\n  app:\n    image: app\n    build:\n      context: .\n      args:\n        KEY: ${AGENT_KEY}\n    environment:\n      - API_PORT=${API_PORT}\n      - SECRET=${SECRET}\n",
            [("AGENT_KEY", Info), ("API_PORT", Warning), ("SECRET", Info)],
        ),
    ];
    for (text, severities) in cases {
        let t = load_str(text);
        for (name, want) in severities {
            let d = t
                .diagnostics
                .iter()
                .find(|d| d.message.contains(&format!("`{name}`")));
            assert_eq!(d.map(|d| d.severity), Some(want), "`{name}` in {text:?}");
        }
    }
}

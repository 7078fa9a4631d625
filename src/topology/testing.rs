//! What the loaders' tests share: loading one document, finding a unit,
//! reading diagnostics and the text a span points at, and listing a
//! model's parts as plain pairs to compare with what a test expects.

use super::{
    Container, DiagSeverity, Document, Format, LoadOptions, Topology, TopologyDiagnostic, Unit,
    VolumeKind, load,
};
use crate::source::{SourceFile, SourceMap, Span};

/// Loads one document at `path`, of `format` (detected when `None`),
/// through every step of [`load`]; with its source map.
pub(crate) fn load_one(
    path: &str,
    text: &str,
    format: Option<Format>,
    opts: &LoadOptions,
) -> (Topology, SourceMap) {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new(path, text));
    let topo = load(&sources, &[Document { file, format }], opts);
    (topo, sources)
}

/// The text `span` points at.
pub(crate) fn at(text: &str, span: Option<Span>) -> &str {
    &text[span.expect("a span").range()]
}

/// The unit named `name`.
pub(crate) fn unit<'t>(t: &'t Topology, name: &str) -> &'t Unit {
    t.units
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no unit {name}: {:?}", names(t)))
}

/// The units' names, in order.
pub(crate) fn names(t: &Topology) -> Vec<&str> {
    t.units.iter().map(|u| u.name.as_str()).collect()
}

/// The diagnostics' messages, in order.
pub(crate) fn messages(t: &Topology) -> Vec<String> {
    t.diagnostics.iter().map(|d| d.message.clone()).collect()
}

/// Asserts that loading said nothing, showing what it said when it did.
#[track_caller]
pub(crate) fn no_diags(t: &Topology) {
    assert!(t.diagnostics.is_empty(), "{:#?}", t.diagnostics);
}

/// The diagnostics' severities and messages, in order.
pub(crate) fn diags(t: &Topology) -> Vec<(DiagSeverity, &str)> {
    t.diagnostics
        .iter()
        .map(|d| (d.severity, d.message.as_str()))
        .collect()
}

/// The diagnostics of severity error, in order.
pub(crate) fn errors(t: &Topology) -> Vec<&TopologyDiagnostic> {
    t.diagnostics
        .iter()
        .filter(|d| d.severity == DiagSeverity::Error)
        .collect()
}

/// The first diagnostic whose message holds `needle`.
pub(crate) fn find_diag<'t>(t: &'t Topology, needle: &str) -> &'t TopologyDiagnostic {
    t.diagnostics
        .iter()
        .find(|d| d.message.contains(needle))
        .unwrap_or_else(|| panic!("no diagnostic with {needle:?}: {:#?}", t.diagnostics))
}

/// The message of the first diagnostic holding `needle`, and the text of
/// `text` it points at.
pub(crate) fn said<'t>(t: &'t Topology, text: &'t str, needle: &str) -> (&'t str, &'t str) {
    let d = find_diag(t, needle);
    (d.message.as_str(), at(text, d.span))
}

/// The first diagnostic holding `needle` on one line, as a reader of
/// the report meets it: `Severity at `text`: message`.
pub(crate) fn said_as(t: &Topology, text: &str, needle: &str) -> String {
    let (message, at) = said(t, text, needle);
    let severity = find_diag(t, needle).severity;
    format!("{severity:?} at `{at}`: {message}")
}

/// The text the first diagnostic holding `needle` points at.
pub(crate) fn pointed<'t>(t: &'t Topology, text: &'t str, needle: &str) -> &'t str {
    at(text, find_diag(t, needle).span)
}

/// The severity of the first diagnostic holding `needle`, and the text it
/// points at.
pub(crate) fn pointed_as<'t>(
    t: &'t Topology,
    text: &'t str,
    needle: &str,
) -> (DiagSeverity, &'t str) {
    (find_diag(t, needle).severity, pointed(t, text, needle))
}

/// Asserts that `t`, loaded from `text`, stopped at the units budget
/// with one error, which starts with `message` and points at `written`;
/// gives where that error points.
#[track_caller]
pub(crate) fn assert_units_capped(t: &Topology, text: &str, message: &str, written: &str) -> usize {
    assert_eq!(t.units.len(), crate::budget::MAX_UNITS);
    let e = errors(t);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].message.starts_with(message), "{}", e[0].message);
    assert_eq!(at(text, e[0].span), written);
    e[0].span.expect("a span").start as usize
}

/// A unit's `/etc/hosts` entries as (name, address).
pub(crate) fn hosts(u: &Unit) -> Vec<(&str, &str)> {
    u.extra_hosts
        .iter()
        .map(|h| (h.name.as_str(), h.ip.as_str()))
        .collect()
}

/// A container's environment as (name, value).
pub(crate) fn vars(c: &Container) -> Vec<(&str, Option<&str>)> {
    c.env
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_deref()))
        .collect()
}

/// The volumes as (name, kind).
pub(crate) fn volume_kinds(t: &Topology) -> Vec<(&str, &VolumeKind)> {
    t.volumes
        .iter()
        .map(|v| (v.name.as_str(), &v.kind))
        .collect()
}

/// The files carried into containers as (path, content).
pub(crate) fn mounted_files(t: &Topology) -> Vec<(&str, &str)> {
    t.mounted_files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect()
}

/// A compose file the size real projects reach: `services` services (the
/// first is nginx) and about 5 KB of text each, sharing `x-` blocks the
/// way such files do: `<<: *common` in every service, `<<: *env` in every
/// environment, `healthcheck: *healthcheck` in every other one (with 60
/// services: about 300 KB and 150 aliases of 4 anchors).
pub(crate) fn real_sized_compose(services: usize) -> String {
    let mut y = String::from(
        "# A large stack: every service shares the x- blocks below.\n\
         x-logging: &logging\n  driver: json-file\n  options:\n    max-size: \"10m\"\n    max-file: \"3\"\n\
         x-common: &common\n  restart: unless-stopped\n  logging: *logging\n  networks:\n    - backend\n  \
         stop_grace_period: 30s\n  ulimits:\n    nofile:\n      soft: 65536\n      hard: 65536\n\
         x-env: &env\n  TZ: Europe/Berlin\n  LOG_LEVEL: info\n  LOG_FORMAT: json\n  OTEL_EXPORTER_OTLP_ENDPOINT: http://otel:4317\n  \
         DATABASE_HOST: postgres\n  DATABASE_PORT: \"5432\"\n  REDIS_URL: redis://redis:6379/0\n\
         x-healthcheck: &healthcheck\n  test: [\"CMD\", \"curl\", \"-fsS\", \"http://localhost:8080/health\"]\n  \
         interval: 30s\n  timeout: 5s\n  retries: 3\n  start_period: 20s\n\
         services:\n  nginx:\n    <<: *common\n    image: nginx:1.27\n    ports:\n      - \"80:80\"\n    \
         environment:\n      <<: *env\n      NGINX_ENTRYPOINT_QUIET_LOGS: \"1\"\n",
    );
    for i in 1..services {
        let name = format!("svc-{i:02}");
        y.push_str(&format!(
            "  {name}:\n    <<: *common\n    image: registry.example.com/stack/{name}:1.{i}.0\n    \
             command: [\"/app/server\", \"--listen\", \"0.0.0.0:8080\", \"--name\", \"{name}\"]\n    \
             expose:\n      - \"8080\"\n    environment:\n      <<: *env\n      SERVICE_NAME: {name}\n"
        ));
        for v in 0..60 {
            y.push_str(&format!(
                "      {}_SETTING_{v:02}: \"value {v} of {name}, tuned for production\"\n",
                name.to_uppercase().replace('-', "_")
            ));
        }
        y.push_str("    labels:\n");
        for l in 0..12 {
            y.push_str(&format!(
                "      com.example.stack.{name}.label-{l:02}: \"team=platform; tier=backend\"\n"
            ));
        }
        if i % 2 == 1 {
            y.push_str("    healthcheck: *healthcheck\n");
        }
    }
    y.push_str("networks:\n  backend: {}\n");
    y
}

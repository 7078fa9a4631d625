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

/// The diagnostics' severities and messages, in order.
pub(crate) fn diags(t: &Topology) -> Vec<(DiagSeverity, &str)> {
    t.diagnostics
        .iter()
        .map(|d| (d.severity, d.message.as_str()))
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

/// [`said`], with the diagnostic's severity first.
pub(crate) fn said_as<'t>(
    t: &'t Topology,
    text: &'t str,
    needle: &str,
) -> (DiagSeverity, &'t str, &'t str) {
    let (message, at) = said(t, text, needle);
    (find_diag(t, needle).severity, message, at)
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

//! Tests of the extraction: every directive form, spans, notes, groups,
//! variables, listens and resolvers.

use super::located::find_vars;
use super::params::parse_time_ms;
use super::url::{is_ipv4, parse_url};
use super::variables::MAX_CANDIDATES;
use super::*;
use crate::nginx::{ParseOptions, parse};
use crate::source::FileId;
use crate::source::SourceFile;

mod groups;
mod listens_and_resolvers;
mod targets;
mod variables;

/// Parses a bundle (the first file is the main one) and extracts.
fn run_files(files: &[(&str, &str)]) -> (SourceMap, Extraction) {
    let mut sources = SourceMap::new();
    for (path, text) in files {
        sources.add(SourceFile::new(*path, *text));
    }
    let config = parse(&sources, FileId(0), &ParseOptions::default());
    let ex = extract(&config, &sources);
    (sources, ex)
}

fn run(src: &str) -> (SourceMap, Extraction) {
    run_files(&[("nginx.conf", src)])
}

/// The source text a span covers.
fn at(sources: &SourceMap, span: Span) -> String {
    sources.snippet(span)
}

fn host(r: &UpstreamRef) -> &HostTarget {
    match &r.target {
        Target::Host(h) => h,
        t => panic!("not a host target: {t:?}"),
    }
}

fn var(r: &UpstreamRef) -> &VariableTarget {
    match &r.target {
        Target::Variable(v) => v,
        t => panic!("not a variable target: {t:?}"),
    }
}

/// The values a variable target may take, in order.
fn values(v: &VariableTarget) -> Vec<&str> {
    v.static_values.iter().map(|c| c.value.as_str()).collect()
}

fn cand_host(c: &Candidate) -> &HostTarget {
    match &c.target {
        Some(Target::Host(h)) => h,
        t => panic!("not a host candidate: {t:?}"),
    }
}

fn inet(l: &Listen) -> &ListenInet {
    match &l.address {
        ListenAddress::Inet(i) => i,
        a => panic!("not inet: {a:?}"),
    }
}

/// One line per upstream: directive, target and the text at each span.
fn summary(sources: &SourceMap, ex: &Extraction) -> String {
    let mut out = String::new();
    for u in &ex.upstreams {
        let t = match &u.target {
            Target::Host(h) => format!(
                "host {:?} {} [{}|{}]",
                h.kind,
                h.host,
                at(sources, h.host_span),
                h.port_span.map(|p| at(sources, p)).unwrap_or_default()
            ),
            Target::Unix(x) => format!("unix {} [{}]", x.path, at(sources, x.path_span)),
            Target::Group(g) => format!("group #{} [{}]", g.group, at(sources, g.name_span)),
            Target::Variable(v) => {
                format!("variable {} ({} values)", v.raw, v.static_values.len())
            }
        };
        out.push_str(&format!(
            "{} {t} default={:?} tls={} uri={:?}\n",
            u.directive.name(),
            u.url.default_port,
            u.url.tls,
            u.url.uri
        ));
    }
    out
}

const SEED: &str = "server{\n        listen 9001;\n        server_name 10.1.55.220;\n        location /{\n        proxy_read_timeout 3000;\n        proxy_pass http://model_test:6001;\n        }\n}\n";

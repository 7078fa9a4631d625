//! A service's environment: `environment` in list or mapping form and the
//! variables of its `env_file`s (supplied ones read, the others named as
//! unknown), `environment` winning over `env_file`.

use super::dotenv::parse_dotenv;
use super::files::join_path;
use super::loader::FileLoader;
use crate::source::Span;
use crate::topology::build::{Reference, ReferenceKind};
use crate::topology::read::{entries, items_or_one, key_to, loc};
use crate::topology::yaml::{Node, Value};
use crate::topology::{DiagSeverity, EnvVar};

impl FileLoader<'_> {
    /// `environment` in list (`K=V`, `K`) or mapping form; a bare `K` is
    /// taken from the environment compose runs in.
    pub(super) fn environment(&mut self, what: &str, key: &Node, v: &Node) -> Vec<EnvVar> {
        let mut out = Vec::new();
        match &v.value {
            Value::Seq(items) => {
                for item in items {
                    // A `K: V` entry merged in from another file's mapping.
                    if item.is_map() {
                        self.env_entries(what, item, &mut out);
                        continue;
                    }
                    let Some(t) = self.scalar(&format!("an item of {what}"), key, item) else {
                        continue;
                    };
                    let (name, value) = match t.s.split_once('=') {
                        Some((n, val)) => (n.to_string(), Some(val.to_string())),
                        None => (
                            t.s.clone(),
                            self.files.ctx(item.span.file).env.get(&t.s).cloned(),
                        ),
                    };
                    out.push(EnvVar {
                        name,
                        value,
                        span: Some(t.inner()),
                    });
                }
            }
            Value::Map(_) => self.env_entries(what, v, &mut out),
            Value::Null => {}
            _ => self.r.wrong_at_key(what, "a list or a mapping", key, v),
        }
        out
    }

    /// `KEY: value` entries of an `environment` mapping; a null value is
    /// taken from the environment compose runs in.
    fn env_entries(&mut self, what: &str, v: &Node, out: &mut Vec<EnvVar>) {
        for (k, name, val) in entries(v) {
            let (value, span) = if val.is_null() {
                (self.files.ctx(k.span.file).env.get(name).cloned(), k.span)
            } else {
                let t = self.scalar(&format!("`{name}` in {what}"), k, val);
                (t.map(|t| t.s), key_to(k.span, loc(val, k)))
            };
            out.push(EnvVar {
                name: name.to_string(),
                value,
                span: Some(span),
            });
        }
    }

    /// The variables of the service's `env_file`s that were supplied, in
    /// order (a later file's variable replaces an earlier one's); the
    /// others are named as unknown.
    pub(super) fn env_file(&mut self, svc: &str, what: &str, key: &Node, v: &Node) -> Vec<EnvVar> {
        let mut out: Vec<EnvVar> = Vec::new();
        for item in items_or_one(v) {
            let (path, required, raw) = if item.is_map() {
                let p = item.get("path").and_then(|p| self.text(p));
                let req = item.get("required").and_then(Node::as_bool).unwrap_or(true);
                let raw = item
                    .get("format")
                    .and_then(|f| self.text(f))
                    .is_some_and(|f| f.s == "raw");
                (p, req, raw)
            } else {
                (self.scalar(what, key, item), true, false)
            };
            let Some(p) = path else { continue };
            let ctx = self.files.ctx(p.span.file);
            let resolved = join_path(&ctx.dir, &p.s);
            self.references
                .push(Reference::new(ReferenceKind::EnvFile, resolved.clone()));
            let Some(f) = self.files.env_files.get(&resolved) else {
                if self.files.absent.contains(&resolved) {
                    if required {
                        // compose-go: `env file … not found`; nothing starts.
                        self.blockers.push(crate::topology::TopologyDiagnostic::new(
                            DiagSeverity::Error,
                            format!(
                                "`env_file` `{}` of service `{svc}` does not exist: `docker compose up` stops with \"env file {resolved} not found\" and starts nothing, nginx included",
                                p.s
                            ),
                            Some(p.inner()),
                        ));
                        continue;
                    }
                    // `required: false` and not there: compose skips it.
                    self.r.info(
                        p.inner(),
                        format!(
                            "`env_file` `{}` of service `{svc}` does not exist; compose skips it (`required: false`)",
                            p.s
                        ),
                    );
                    continue;
                }
                let message = format!(
                    "`env_file` `{}` of service `{svc}` was not supplied; the variables it sets are unknown",
                    p.s
                );
                if required {
                    self.r.warn(p.inner(), message);
                } else {
                    self.r.info(p.inner(), message);
                }
                continue;
            };
            let meter = &self.files.meter;
            let (vars, errors, crossed) = parse_dotenv(&f.text, &ctx.env, raw, meter);
            if let (Some(r), Some(file)) = (crossed, f.file) {
                meter.place(Span::new(file, r.start, r.end));
            }
            // Every service that reads the file gets its own copy of it.
            let bytes: usize = vars
                .iter()
                .map(|v| v.name.len() + v.value.as_ref().map_or(0, String::len))
                .sum();
            if !meter.charge(bytes, p.inner()) {
                continue;
            }
            for (message, r) in errors {
                match f.file {
                    Some(file) => self.r.error(Span::new(file, r.start, r.end), message),
                    None => self.r.error(
                        p.inner(),
                        format!("`env_file` `{}` of service `{svc}`: {message}", p.s),
                    ),
                }
            }
            for var in vars {
                let Some(value) = var.value else { continue };
                let e = EnvVar {
                    name: var.name,
                    value: Some(value),
                    span: f
                        .file
                        .map(|file| Span::new(file, var.span.start, var.span.end)),
                };
                match out.iter_mut().find(|x| x.name == e.name) {
                    Some(x) => *x = e,
                    None => out.push(e),
                }
            }
        }
        out
    }
}

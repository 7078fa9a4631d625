//! The official image's template step (`20-envsubst-on-templates.sh`):
//! which templates render, where to, with which environment, and the
//! byte-exact map from each rendered range back to the template or to the
//! environment entry that supplied it.

use super::{Origin, PlacedBy, Segment};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::topology::Container;
use std::collections::{BTreeMap, HashMap};

/// The files placed in the nginx container so far, as the steps that
/// render templates add to them.
pub(super) struct Placing {
    /// Container path of every file.
    pub(super) paths: HashMap<FileId, String>,
    /// How each got there.
    pub(super) by: HashMap<FileId, PlacedBy>,
    /// Byte origins of rendered files.
    pub(super) rendered: HashMap<FileId, Vec<Segment>>,
}

impl Placing {
    /// Adds the file rendered from template `from` (its text and byte
    /// origins) at container path `path`, named `name` in reports.
    fn add_rendered(
        &mut self,
        sources: &mut SourceMap,
        name: String,
        path: String,
        from: FileId,
        (text, segments): (Vec<u8>, Vec<Segment>),
    ) {
        let id = sources.add(SourceFile::new(name, text));
        self.paths.insert(id, path);
        self.by.insert(id, PlacedBy::Template(from));
        self.rendered.insert(id, segments);
    }
}

/// The official image's `20-envsubst-on-templates.sh`: every
/// `<template dir>/**/X<suffix>` among the placed files is rendered into
/// `<output dir>/**/X` with the container's environment.
pub(super) fn render_templates(
    sources: &mut SourceMap,
    c: &Container,
    placed: &mut Placing,
    not_rendered: &mut Vec<(FileId, String)>,
) {
    let env = container_env(c);
    let template_dir = env_or(&env, "NGINX_ENVSUBST_TEMPLATE_DIR", "/etc/nginx/templates");
    let suffix = env_or(&env, "NGINX_ENVSUBST_TEMPLATE_SUFFIX", ".template");
    let out_dir = env_or(&env, "NGINX_ENVSUBST_OUTPUT_DIR", "/etc/nginx/conf.d");
    let stream_suffix = env_or(
        &env,
        "NGINX_ENVSUBST_STREAM_TEMPLATE_SUFFIX",
        ".stream-template",
    );
    let stream_out = env_or(
        &env,
        "NGINX_ENVSUBST_STREAM_OUTPUT_DIR",
        "/etc/nginx/stream-conf.d",
    );
    let runs_entrypoint = runs_image_entrypoint(c);
    let templates: Vec<(FileId, String)> = (placed.paths.iter())
        .filter(|(_, p)| p.starts_with(&format!("{}/", template_dir.trim_end_matches('/'))))
        .map(|(id, p)| (*id, p.clone()))
        .collect();
    for (id, p) in templates {
        let rel = &p[template_dir.trim_end_matches('/').len()..];
        let out = if let Some(base) = rel.strip_suffix(&stream_suffix) {
            format!("{}{base}", stream_out.trim_end_matches('/'))
        } else if let Some(base) = rel.strip_suffix(&suffix) {
            format!("{}{base}", out_dir.trim_end_matches('/'))
        } else {
            continue;
        };
        if !runs_entrypoint {
            not_rendered.push((
                id,
                format!(
                    "`{p}` is not rendered: the container's command does not start nginx through the image's entrypoint"
                ),
            ));
            continue;
        }
        let text = envsubst(sources.get(id), id, &env, &Which::Defined);
        let name = format!("{out} (rendered from {p})");
        placed.add_rendered(sources, name, out, id, text);
    }
}

/// Most `envsubst` steps of one container's script that are rendered.
pub(super) const MAX_ENVSUBST_STEPS: usize = 16;

/// `envsubst [SHELL-FORMAT] < SRC > DST` steps of the container's `sh -c`
/// command (awesome-compose's nginx does this before `nginx -g 'daemon
/// off;'`): each placed SRC is rendered to DST with the container's
/// environment, replacing whatever the image had there. The first
/// [`MAX_ENVSUBST_STEPS`] are rendered; a script with more is not one a
/// person wrote.
pub(super) fn render_shell_envsubst(sources: &mut SourceMap, c: &Container, placed: &mut Placing) {
    use crate::topology::shell::{SHELLS, basename, commands, shell_script};
    let mut argv = c.argv();
    // The official image's entrypoint runs any other command as it is.
    if argv.first().is_some_and(|w| w == "/docker-entrypoint.sh") {
        argv.remove(0);
    }
    let Some(first) = argv.first() else { return };
    // `sh -c SCRIPT`, or a script file of the container's (its shebang
    // names a shell): `CMD ["/app/start.sh"]`, `sh /app/start.sh`.
    let text = if SHELLS.contains(&basename(first)) {
        match shell_script(&argv) {
            Some(s) => Some(s.to_string()),
            None => argv
                .get(1)
                .and_then(|f| script_text(sources, &placed.paths, f, false)),
        }
    } else {
        script_text(sources, &placed.paths, first, true)
    };
    let Some(steps) = text.as_deref().and_then(commands) else {
        return;
    };
    let env = container_env(c);
    // Each step renders a whole file: a script of thousands of them would
    // copy its source as often. Real start scripts render a few.
    let steps = steps
        .into_iter()
        .filter(|s| basename(&s.words[0]) == "envsubst")
        .take(MAX_ENVSUBST_STEPS);
    for step in steps {
        let (Some(src), Some(dst)) = (&step.stdin, &step.stdout) else {
            continue;
        };
        let Some(id) = (placed.paths.iter())
            .find(|(_, p)| *p == src)
            .map(|(id, _)| *id)
        else {
            continue;
        };
        let which = Which::of_args(&step.words[1..]);
        let text = envsubst(sources.get(id), id, &env, &which);
        let name = format!("{dst} (rendered by envsubst from {src})");
        placed.paths.retain(|_, p| p != dst);
        placed.add_rendered(sources, name, dst.clone(), id, text);
    }
}

/// The text of the script at container path `path`, when it is placed;
/// with `shebang`, only when its `#!` line names a shell.
fn script_text(
    sources: &SourceMap,
    paths: &HashMap<FileId, String>,
    path: &str,
    shebang: bool,
) -> Option<String> {
    use crate::topology::shell::{SHELLS, basename};
    let id = paths.iter().find(|(_, p)| *p == path).map(|(id, _)| *id)?;
    let text = sources.get(id).text().into_owned();
    if shebang {
        let line = text.lines().next()?.strip_prefix("#!")?;
        let mut words = line.split_whitespace();
        let mut prog = basename(words.next()?);
        if prog == "env" {
            prog = words.next()?;
        }
        if !SHELLS.contains(&prog) {
            return None;
        }
    }
    Some(text)
}

/// The container's environment as envsubst sees it: name → (value, span of
/// the value in its file).
fn container_env(c: &Container) -> BTreeMap<String, (String, Option<Span>)> {
    let mut env = BTreeMap::new();
    for e in &c.env {
        if let Some(v) = &e.value {
            env.insert(e.name.clone(), (v.clone(), e.span));
        }
    }
    env
}

fn env_or(env: &BTreeMap<String, (String, Option<Span>)>, k: &str, d: &str) -> String {
    env.get(k).map_or_else(|| d.to_string(), |v| v.0.clone())
}

/// The image's hook scripts run only when the first argument is `nginx` or
/// `nginx-debug` (the default CMD), and only through the image's entrypoint.
fn runs_image_entrypoint(c: &Container) -> bool {
    if !c.entrypoint.is_empty() && c.entrypoint[0] != "/docker-entrypoint.sh" {
        return false;
    }
    match c.command.first().map(String::as_str) {
        None => true,
        Some(first) => matches!(first, "nginx" | "nginx-debug"),
    }
}

/// Which `$VAR` and `${VAR}` references GNU envsubst replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// Those of defined variables (the official image passes the list of
    /// every defined variable); the others stay as written.
    Defined,
    /// Every reference: `envsubst` without a SHELL-FORMAT argument. An
    /// unset variable becomes the empty string, nginx's own `$host` too.
    All,
    /// The variables a SHELL-FORMAT argument names (`envsubst '$A ${B}'`);
    /// unset ones among them become the empty string.
    Listed(std::collections::BTreeSet<String>),
}

impl Which {
    /// The selection of `envsubst ARGS`: all without an argument, else the
    /// variables the first argument names.
    pub fn of_args(args: &[String]) -> Which {
        let Some(format) = args.first() else {
            return Which::All;
        };
        let mut names = std::collections::BTreeSet::new();
        let b = format.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'$' {
                let braced = b.get(i + 1) == Some(&b'{');
                let start = i + 1 + usize::from(braced);
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j > start && !b[start].is_ascii_digit() {
                    names.insert(format[start..j].to_string());
                }
                i = j.max(i + 1);
            } else {
                i += 1;
            }
        }
        Which::Listed(names)
    }

    fn replaces(&self, name: &str, defined: bool) -> bool {
        match self {
            Which::Defined => defined,
            Which::All => true,
            Which::Listed(names) => names.contains(name),
        }
    }
}

/// GNU envsubst: `$VAR` and `${VAR}` references that `which` selects are
/// replaced by their values (the empty string when unset); everything else
/// (nginx's own `$host` under [`Which::Defined`], `${VAR:-default}`) stays
/// as written.
pub fn envsubst(
    template: &SourceFile,
    file: FileId,
    env: &BTreeMap<String, (String, Option<Span>)>,
    which: &Which,
) -> (Vec<u8>, Vec<Segment>) {
    let src = &template.bytes;
    let mut out = Vec::with_capacity(src.len());
    let mut segments = Vec::new();
    let mut copy_from = 0usize;
    let mut i = 0usize;
    let flush = |out: &mut Vec<u8>, segments: &mut Vec<Segment>, from: usize, to: usize| {
        if to > from {
            let start = out.len() as u32;
            out.extend_from_slice(&src[from..to]);
            segments.push(Segment {
                start,
                end: out.len() as u32,
                origin: Origin::Template(Span::new(file, from, to)),
            });
        }
    };
    while i < src.len() {
        if src[i] != b'$' {
            i += 1;
            continue;
        }
        let (name_start, braced) = if src.get(i + 1) == Some(&b'{') {
            (i + 2, true)
        } else {
            (i + 1, false)
        };
        let mut j = name_start;
        if j < src.len() && (src[j].is_ascii_alphabetic() || src[j] == b'_') {
            j += 1;
            while j < src.len() && (src[j].is_ascii_alphanumeric() || src[j] == b'_') {
                j += 1;
            }
        }
        if j == name_start || (braced && src.get(j) != Some(&b'}')) {
            i += 1;
            continue;
        }
        let name = String::from_utf8_lossy(&src[name_start..j]).to_string();
        let end = if braced { j + 1 } else { j };
        let found = env.get(&name);
        if !which.replaces(&name, found.is_some()) {
            i = end;
            continue;
        }
        flush(&mut out, &mut segments, copy_from, i);
        let start = out.len() as u32;
        let (value, vspan) = found.map_or(("", None), |(v, s)| (v.as_str(), *s));
        out.extend_from_slice(value.as_bytes());
        segments.push(Segment {
            start,
            end: out.len() as u32,
            origin: Origin::Var {
                placeholder: Span::new(file, i, end),
                value: vspan.and_then(|s| value_span(s, value)),
            },
        });
        i = end;
        copy_from = end;
    }
    flush(&mut out, &mut segments, copy_from, src.len());
    (out, segments)
}

/// The span of just the value inside an environment entry's span
/// (`KEY=value`, `KEY: value`): its last `value.len()` bytes, when that is
/// where it stands (checked later against the text by the caller).
fn value_span(entry: Span, value: &str) -> Option<Span> {
    let len = value.len() as u32;
    (entry.end >= entry.start + len).then(|| Span {
        file: entry.file,
        start: entry.end - len,
        end: entry.end,
    })
}

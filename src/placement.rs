//! Where nginx sees each submitted file: the nginx container's mounts
//! place files and directories at container paths (`./conf.d` →
//! `/etc/nginx/conf.d`), the official image supplies `/etc/nginx/nginx.conf`
//! (which includes `conf.d/*.conf` inside `http`) when none is mounted, and
//! its entrypoint renders `/etc/nginx/templates/*.template` into `conf.d`
//! with the container's environment (shared/reference/images-and-servers.md
//! §1). Rendered files remember where every byte came from, so findings and
//! fixes point back at the template or at the environment entry.

use crate::fix::Edit;
use crate::input::InputError;
use crate::nginx::include::{dirname, normalize};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::topology::{Container, Topology, VolumeKind};
use std::collections::{BTreeMap, HashMap};

/// The official image's `/etc/nginx/nginx.conf` (pkg-oss), reduced to
/// what matters here (its `include mime.types` is left out: the image has
/// that file, and it names no upstream).
pub const IMAGE_NGINX_CONF: &str = "user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    default_type  application/octet-stream;
    sendfile        on;
    keepalive_timeout  65;
    include /etc/nginx/conf.d/*.conf;
}
";

/// Display path of the image's own `nginx.conf`.
pub const IMAGE_NGINX_CONF_PATH: &str = "/etc/nginx/nginx.conf (nginx image default)";

/// How a file came to be where nginx sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlacedBy {
    /// A bind mount of the file or of a directory holding it.
    Mount(Option<Span>),
    /// Rendered from a template by the image's entrypoint.
    Template(FileId),
    /// Supplied by the nginx image.
    Image,
}

/// The nginx configuration as the container sees it.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Container path of every file nginx can read.
    pub paths: HashMap<FileId, String>,
    /// How each got there.
    pub by: HashMap<FileId, PlacedBy>,
    /// The main file (`/etc/nginx/nginx.conf`).
    pub main: FileId,
    /// Submitted nginx files that no mount places.
    pub unplaced: Vec<FileId>,
    /// Byte origins of rendered files.
    pub rendered: HashMap<FileId, Vec<Segment>>,
    /// Template files that were not rendered, and why.
    pub not_rendered: Vec<(FileId, String)>,
}

/// Where a range of a rendered file came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Start in the rendered file.
    pub start: u32,
    /// End in the rendered file.
    pub end: u32,
    /// The origin.
    pub origin: Origin,
}

/// Origin of a rendered range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Copied from the template, starting at this offset.
    Template(Span),
    /// A `$VAR`/`${VAR}` placeholder (span in the template) replaced by the
    /// value of an environment entry (span of the value, when known).
    Var {
        /// The placeholder in the template.
        placeholder: Span,
        /// The value in the topology file.
        value: Option<Span>,
    },
}

/// Places the submitted nginx files for the nginx container `c`, or `None`
/// when none of its mounts places any (the files are then read as submitted).
pub fn place(
    sources: &mut SourceMap,
    nginx_files: &[FileId],
    topo: &Topology,
    c: &Container,
    topology_dir: &str,
) -> Option<Placement> {
    let mut paths: HashMap<FileId, String> = HashMap::new();
    let mut by: HashMap<FileId, PlacedBy> = HashMap::new();
    for m in &c.mounts {
        let VolumeKind::Bind(src) = &topo.volumes[m.volume].kind else {
            continue;
        };
        let host = if src.starts_with('/') {
            normalize(src)
        } else {
            normalize(&format!("{topology_dir}/{src}"))
        };
        let host_rel = normalize(src);
        for id in nginx_files {
            let p = normalize(&sources.get(*id).path);
            let rest = [host.as_str(), host_rel.as_str()].iter().find_map(|h| {
                if p == *h {
                    Some(String::new())
                } else {
                    p.strip_prefix(&format!("{h}/")).map(|r| format!("/{r}"))
                }
            });
            if let Some(rest) = rest {
                let target = m.target.trim_end_matches('/');
                paths.insert(*id, format!("{target}{rest}"));
                by.insert(*id, PlacedBy::Mount(m.span));
            }
        }
    }
    if paths.is_empty() {
        return None;
    }
    let unplaced: Vec<FileId> = nginx_files
        .iter()
        .copied()
        .filter(|id| !paths.contains_key(id))
        .collect();
    // The image's entrypoint renders templates when it starts nginx.
    let mut rendered = HashMap::new();
    let mut not_rendered = Vec::new();
    render_templates(
        sources,
        c,
        &mut paths,
        &mut by,
        &mut rendered,
        &mut not_rendered,
    );
    let main = main_file(sources, &mut paths, &mut by);
    Some(Placement {
        paths,
        by,
        main,
        unplaced,
        rendered,
        not_rendered,
    })
}

/// Places the files the topology itself mounts into the nginx container
/// (ConfigMap data), or `None` when it mounts none under `/etc/nginx`.
/// Their spans map back into the manifest that carries them.
pub fn place_mounted(
    sources: &mut SourceMap,
    topo: &Topology,
    site: crate::topology::Site,
) -> Option<Placement> {
    let mut paths = HashMap::new();
    let mut by = HashMap::new();
    let mut rendered = HashMap::new();
    for mf in &topo.mounted_files {
        if mf.unit != site.unit
            || mf.container != site.container
            || !mf.path.starts_with("/etc/nginx/")
        {
            continue;
        }
        let id = sources.add(SourceFile::new(
            format!("{} (from the manifest)", mf.path),
            mf.content.clone(),
        ));
        if let Some(span) = mf.span {
            rendered.insert(id, align(mf.content.as_bytes(), sources, span));
        }
        paths.insert(id, mf.path.clone());
        by.insert(id, PlacedBy::Mount(mf.span));
    }
    if paths.is_empty() {
        return None;
    }
    let mut not_rendered = Vec::new();
    let c = topo.units[site.unit.0].containers[site.container].clone();
    render_templates(
        sources,
        &c,
        &mut paths,
        &mut by,
        &mut rendered,
        &mut not_rendered,
    );
    let main = main_file(sources, &mut paths, &mut by);
    Some(Placement {
        paths,
        by,
        main,
        unplaced: Vec::new(),
        rendered,
        not_rendered,
    })
}

/// Maps each line of `content` to where it stands inside `span` of a YAML
/// file (a block scalar indents every line; a plain line is found as is).
/// Lines that cannot be found (escaped in a quoted scalar) stay unmapped.
fn align(content: &[u8], sources: &SourceMap, span: Span) -> Vec<Segment> {
    let region = &sources.get(span.file).bytes[span.range()];
    let mut segments = Vec::new();
    let mut cursor = 0usize;
    let mut at = 0usize;
    for line in content.split(|&c| c == b'\n') {
        let len = line.len();
        if len > 0
            && let Some(p) = region[cursor..].windows(len).position(|w| w == line)
        {
            let ystart = span.start as usize + cursor + p;
            segments.push(Segment {
                start: at as u32,
                end: (at + len) as u32,
                origin: Origin::Template(Span::new(span.file, ystart, ystart + len)),
            });
            cursor += p + len;
        }
        at += len + 1;
    }
    segments
}

/// The file placed at `/etc/nginx/nginx.conf`, else the image's own,
/// added to the bundle.
fn main_file(
    sources: &mut SourceMap,
    paths: &mut HashMap<FileId, String>,
    by: &mut HashMap<FileId, PlacedBy>,
) -> FileId {
    if let Some((id, _)) = paths
        .iter()
        .find(|(_, p)| p.as_str() == "/etc/nginx/nginx.conf")
    {
        return *id;
    }
    let id = sources.add(SourceFile::new(IMAGE_NGINX_CONF_PATH, IMAGE_NGINX_CONF));
    paths.insert(id, "/etc/nginx/nginx.conf".into());
    by.insert(id, PlacedBy::Image);
    id
}

/// The official image's `20-envsubst-on-templates.sh`: every
/// `<template dir>/**/X<suffix>` among the placed files is rendered into
/// `<output dir>/**/X` with the container's environment.
fn render_templates(
    sources: &mut SourceMap,
    c: &Container,
    paths: &mut HashMap<FileId, String>,
    by: &mut HashMap<FileId, PlacedBy>,
    rendered: &mut HashMap<FileId, Vec<Segment>>,
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
    let templates: Vec<(FileId, String)> = paths
        .iter()
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
        let (text, segments) = envsubst(sources.get(id), id, &env);
        let rid = sources.add(SourceFile::new(format!("{out} (rendered from {p})"), text));
        paths.insert(rid, out);
        by.insert(rid, PlacedBy::Template(id));
        rendered.insert(rid, segments);
    }
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

/// GNU envsubst with the list of every defined variable: `$VAR` and
/// `${VAR}` of defined variables are replaced; everything else (nginx's own
/// `$host`, `${VAR:-default}`) stays as written.
pub fn envsubst(
    template: &SourceFile,
    file: FileId,
    env: &BTreeMap<String, (String, Option<Span>)>,
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
        let Some((value, vspan)) = env.get(&name) else {
            i = end;
            continue;
        };
        flush(&mut out, &mut segments, copy_from, i);
        let start = out.len() as u32;
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

impl Placement {
    /// Maps a span of a rendered file back to the template (a span inside a
    /// substituted value maps to its placeholder). Other spans are unchanged.
    pub fn remap(&self, span: Span) -> Span {
        // A template carried in a ConfigMap maps twice: rendered file →
        // template → manifest.
        let mut s = self.remap_once(span);
        for _ in 0..4 {
            if !self.rendered.contains_key(&s.file) || s == span {
                break;
            }
            s = self.remap_once(s);
        }
        s
    }

    fn remap_once(&self, span: Span) -> Span {
        let Some(segs) = self.rendered.get(&span.file) else {
            return span;
        };
        let map = |off: u32, is_end: bool| -> Option<(FileId, u32)> {
            let seg = segs.iter().find(|s| {
                if is_end {
                    s.start < off && off <= s.end
                } else {
                    s.start <= off && off < s.end
                }
            })?;
            Some(match &seg.origin {
                Origin::Template(t) => (t.file, t.start + (off - seg.start)),
                Origin::Var { placeholder, .. } => (
                    placeholder.file,
                    if is_end {
                        placeholder.end
                    } else {
                        placeholder.start
                    },
                ),
            })
        };
        match (
            map(span.start, false),
            map(span.end.max(span.start + 1), true),
        ) {
            (Some((f, s)), Some((_, e))) => Span {
                file: f,
                start: s,
                end: e.max(s),
            },
            (Some((f, s)), None) => Span {
                file: f,
                start: s,
                end: s,
            },
            _ => span,
        }
    }

    /// Maps an edit of a rendered file: inside a substituted value it edits
    /// the environment entry's value; elsewhere the template.
    pub fn remap_edit(&self, sources: &SourceMap, e: &crate::fix::Edit) -> crate::fix::Edit {
        let Some(segs) = self.rendered.get(&e.file) else {
            return e.clone();
        };
        if let Some(seg) = segs
            .iter()
            .find(|s| s.start <= e.start && e.end <= s.end && s.start < s.end)
            && let Origin::Var { value: Some(v), .. } = &seg.origin
        {
            let rendered = &sources.get(e.file).bytes[seg.start as usize..seg.end as usize];
            if sources.get(v.file).bytes.get(v.range()) == Some(rendered) {
                return Edit::range(
                    v.file,
                    v.start + (e.start - seg.start),
                    v.start + (e.end - seg.start),
                    e.replacement.clone(),
                );
            }
        }
        let span = self.remap(Span {
            file: e.file,
            start: e.start,
            end: e.end,
        });
        Edit::range(span.file, span.start, span.end, e.replacement.clone())
    }

    /// Maps a finding's places and its fixes' edits back to the files as
    /// written (templates, env entries, manifests).
    pub fn remap_finding(&self, sources: &SourceMap, f: &mut crate::finding::Finding) {
        f.span = f.span.map(|s| self.remap(s));
        for r in &mut f.related {
            r.span = self.remap(r.span);
        }
        for fix in &mut f.fixes {
            for e in &mut fix.edits {
                *e = self.remap_edit(sources, e);
            }
        }
    }
}

/// The directory the topology's relative bind sources are relative to.
pub fn project_dir(sources: &SourceMap, topology_files: &[FileId]) -> String {
    topology_files
        .first()
        .map(|f| dirname(&normalize(&sources.get(*f).path)).to_string())
        .unwrap_or_default()
}

/// Where nginx's configuration comes from.
pub struct Located {
    /// The main nginx file.
    pub main: FileId,
    /// Where the container sees each file, when mounts or the topology
    /// place them.
    pub placement: Option<Placement>,
}

/// Finds the nginx configuration: the submitted files placed where the
/// nginx container's mounts put them (when they do), else what the
/// topology itself mounts into the nginx container (a ConfigMap), else the
/// submitted files on their own with a main file chosen by
/// [`choose_main`].
pub fn locate(
    sources: &mut SourceMap,
    nginx_files: &[FileId],
    topo: &Topology,
    sites: &[crate::topology::Site],
    topology_files: &[FileId],
    named_main: Option<&str>,
) -> Result<Located, InputError> {
    let placement = match sites.first() {
        Some(site) if !nginx_files.is_empty() => {
            let c = topo.units[site.unit.0].containers[site.container].clone();
            let dir = project_dir(sources, topology_files);
            place(sources, nginx_files, topo, &c, &dir)
        }
        Some(site) => Some(place_mounted(sources, topo, *site).ok_or(InputError::NoNginx)?),
        None if nginx_files.is_empty() => return Err(InputError::NoNginx),
        None => None,
    };
    let main = match &placement {
        Some(p) => p.main,
        None => choose_main(sources, nginx_files, named_main)?,
    };
    Ok(Located { main, placement })
}

/// The display path of the `nginx.conf` upcheck supplies, like the
/// official image's, when only `conf.d` snippets are submitted.
pub const IMAGE_MAIN: &str = "nginx.conf (nginx image default)";

/// The main nginx file: the named one, else `nginx.conf`, else a copy of
/// the official image's `nginx.conf` that includes every submitted
/// `*.conf` inside `http` (as `/etc/nginx/conf.d/*.conf`).
fn choose_main(
    sources: &mut SourceMap,
    ids: &[FileId],
    named: Option<&str>,
) -> Result<FileId, InputError> {
    if let Some(n) = named {
        let want = normalize(n);
        return ids
            .iter()
            .copied()
            .find(|id| normalize(&sources.get(*id).path) == want)
            .ok_or_else(|| InputError::MainNotFound(n.to_string()));
    }
    let mut mains: Vec<FileId> = ids
        .iter()
        .copied()
        .filter(|id| {
            let p = &sources.get(*id).path;
            p == "nginx.conf" || p.ends_with("/nginx.conf")
        })
        .collect();
    mains.sort_by_key(|id| sources.get(*id).path.len());
    if let Some(m) = mains.first() {
        return Ok(*m);
    }
    if ids.len() == 1 {
        // One snippet: parse it on its own; its context is detected.
        return Ok(ids[0]);
    }
    let mut text = String::from(
        "# the official nginx image's nginx.conf, reduced to what matters here:\n# every conf.d snippet is included inside http\nevents {}\nhttp {\n",
    );
    for id in ids {
        let p = &sources.get(*id).path;
        if p.ends_with(".conf") {
            text.push_str(&format!(
                "    include \"{}\";\n",
                p.replace('\\', "\\\\").replace('"', "\\\"")
            ));
        }
    }
    text.push_str("}\n");
    Ok(sources.add(SourceFile::new(IMAGE_MAIN, text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envsubst_replaces_only_defined_variables() {
        let t = SourceFile::new(
            "default.conf.template",
            "proxy_pass http://${BACKEND}:$PORT; add_header X $host; set $x ${UNSET:-d};",
        );
        let mut env = BTreeMap::new();
        env.insert("BACKEND".to_string(), ("api".to_string(), None));
        env.insert("PORT".to_string(), ("8000".to_string(), None));
        let (out, segs) = envsubst(&t, FileId(0), &env);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "proxy_pass http://api:8000; add_header X $host; set $x ${UNSET:-d};"
        );
        assert_eq!(segs.len(), 5);
    }

    #[test]
    fn rendered_spans_map_back_to_the_template() {
        let mut sources = SourceMap::new();
        let t = sources.add(SourceFile::new("t.template", "a ${HOST}:80;"));
        let mut env = BTreeMap::new();
        env.insert("HOST".to_string(), ("127.0.0.1".to_string(), None));
        let (out, segs) = envsubst(sources.get(t), t, &env);
        let r = sources.add(SourceFile::new("r", out));
        let p = Placement {
            paths: HashMap::new(),
            by: HashMap::new(),
            main: r,
            unplaced: vec![],
            rendered: HashMap::from([(r, segs)]),
            not_rendered: vec![],
        };
        // "127.0.0.1" in the rendered file is `${HOST}` in the template.
        let s = p.remap(Span::new(r, 2, 11));
        assert_eq!(sources.snippet(s), "${HOST}");
        // ":80" maps into the copied text.
        let s = p.remap(Span::new(r, 12, 14));
        assert_eq!(sources.snippet(s), "80");
    }
}

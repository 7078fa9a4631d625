//! Where nginx sees each submitted file: the nginx container's mounts
//! place files and directories at container paths (`./conf.d` →
//! `/etc/nginx/conf.d`), the official image supplies `/etc/nginx/nginx.conf`
//! (which includes `conf.d/*.conf` inside `http`) when none is mounted, and
//! its entrypoint renders `/etc/nginx/templates/*.template` into `conf.d`
//! with the container's environment (shared/reference/images-and-servers.md
//! §1). Rendered files remember where every byte came from, so findings and
//! fixes point back at the template or at the environment entry.

use crate::input::InputError;
use crate::nginx::include::{dirname, normalize};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::topology::Topology;
use std::collections::HashMap;

mod remap;
mod templates;
pub(crate) mod view;

use templates::{Placing, render_shell_envsubst, render_templates};
pub use templates::{Which, envsubst};

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
    /// A bind mount of the file or of a directory holding it (or the
    /// topology's own mounted data).
    Mount(Option<Span>),
    /// Copied into the image by its Dockerfile (`COPY`, `ADD`, a heredoc).
    Copy(Option<Span>),
    /// A stand-in for the file nginx's command line names (`-c`) when
    /// nothing places it.
    CommandLine,
    /// Rendered from a template by the image's entrypoint.
    Template(FileId),
    /// Supplied by the nginx image.
    Image,
    /// Submitted, and placed nowhere by the topology: read where nginx
    /// would find it if the submitted main file were the one it opens, its
    /// directory nginx's configuration directory.
    AsSubmitted,
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

/// Finds the nginx configuration: the nginx container's files — its
/// image's (Dockerfile `COPY`), the submitted and project files its bind
/// mounts place, the topology's own mounted data — with the main file its
/// command line names; else the submitted files on their own with a main
/// file chosen by [`choose_main`].
pub fn locate(
    sources: &mut SourceMap,
    nginx_files: &[FileId],
    project_files: &[FileId],
    topo: &Topology,
    sites: &[crate::topology::Site],
    topology_files: &[FileId],
    named_main: Option<&str>,
) -> Result<Located, InputError> {
    let placement = match sites.first() {
        Some(site) => {
            let dir = project_dir(sources, topology_files);
            view::place_site(sources, nginx_files, project_files, topo, *site, &dir)
        }
        None => None,
    };
    let main = match &placement {
        Some(p) => p.main,
        // No file was named, and no container runs nginx or nothing of the
        // one that does could be read: the rules say which, and why
        // (nginx-container-missing, nginx-config-missing), over an empty
        // configuration.
        None if nginx_files.is_empty() => sources.add(SourceFile::new(NO_NGINX, "")),
        None => {
            let main = choose_main(sources, nginx_files, named_main)?;
            let conf = sites
                .first()
                .map(|s| &topo.units[s.unit.0].containers[s.container]);
            let placement = as_submitted(sources, nginx_files, main, named_main.is_some(), conf);
            return Ok(Located { main, placement });
        }
    };
    Ok(Located { main, placement })
}

/// The files as submitted, placed where nginx opens them when the main
/// file is its configuration file (`nginx.conf`, or the one named): the
/// main at the path nginx opens (`-c`, else the image's compiled-in path;
/// `/etc/nginx/nginx.conf` without a container), every other file at its
/// path relative to the main file's directory, below that directory. So
/// `include /etc/nginx/conf.d/*.conf;` finds a submitted `conf.d/app.conf`
/// beside `nginx.conf`, as it finds it in the container. A snippet or the
/// image's main made up for snippets is read as submitted (`None`).
fn as_submitted(
    sources: &SourceMap,
    nginx_files: &[FileId],
    main: FileId,
    named: bool,
    container: Option<&crate::topology::Container>,
) -> Option<Placement> {
    let main_path = normalize(&sources.get(main).path);
    let is_conf = main_path == "nginx.conf" || main_path.ends_with("/nginx.conf");
    if !nginx_files.contains(&main) || !(named || is_conf) {
        return None;
    }
    let opened = match container {
        Some(c) => {
            let fam = view::family(c.image.as_deref());
            let args = view::nginx_args(c).unwrap_or_default();
            args.main_file(fam.prefix, fam.conf)
        }
        None => view::family(None).conf.to_string(),
    };
    let (dir, main_dir) = (dirname(&opened), dirname(&main_path));
    let mut paths: HashMap<FileId, String> = nginx_files
        .iter()
        .map(|id| {
            let rel = crate::nginx::include::rebase(main_dir, &sources.get(*id).path);
            (*id, normalize(&format!("{dir}/{rel}")))
        })
        .collect();
    paths.insert(main, opened.clone());
    let by = paths
        .keys()
        .map(|id| (*id, PlacedBy::AsSubmitted))
        .collect();
    Some(Placement {
        paths,
        by,
        main,
        unplaced: Vec::new(),
        rendered: HashMap::new(),
        not_rendered: Vec::new(),
    })
}

/// The display path of the empty configuration read when nothing runs nginx.
pub const NO_NGINX: &str = "(no nginx configuration)";

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
    use std::collections::BTreeMap;

    #[test]
    fn envsubst_replaces_only_defined_variables() {
        let t = SourceFile::new(
            "default.conf.template",
            "proxy_pass http://${BACKEND}:$PORT; add_header X $host; set $x ${UNSET:-d};",
        );
        let mut env = BTreeMap::new();
        env.insert("BACKEND".to_string(), ("api".to_string(), None));
        env.insert("PORT".to_string(), ("8000".to_string(), None));
        let (out, segs) = envsubst(&t, FileId(0), &env, &Which::Defined);
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
        let (out, segs) = envsubst(sources.get(t), t, &env, &Which::Defined);
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

    /// A shell command's `envsubst < a > b` steps render; a script of
    /// thousands renders only the first few, not a copy of its source each.
    #[test]
    fn shell_envsubst_steps_render_and_are_capped() {
        use crate::input::{Input, InputFile, TopologyInput};
        let steps: String = (0..2000)
            .map(|i| format!("envsubst < /tmp/a.conf > /etc/nginx/conf.d/s{i}.conf && "))
            .collect();
        let compose = format!(
            "services:\n  web:\n    image: nginx\n    volumes: [\"./a.conf:/tmp/a.conf\"]\n    environment: [BACKEND=api:8000]\n    command: sh -c \"{steps}nginx -g 'daemon off;'\"\n  api:\n    image: app\n",
        );
        let input = Input {
            topology: vec![TopologyInput {
                file: InputFile::new("compose.yaml", compose),
                format: None,
            }],
            files: vec![InputFile::new(
                "a.conf",
                "server { listen 80; location / { proxy_pass http://$BACKEND; } }",
            )],
            ..Default::default()
        };
        let r = crate::validate(&input).unwrap();
        let rendered: Vec<_> = r
            .input
            .files
            .iter()
            .filter(|f| f.role == crate::report::FileRole::NginxRendered)
            .collect();
        assert_eq!(
            rendered.len(),
            templates::MAX_ENVSUBST_STEPS,
            "{:?}",
            r.input.files
        );
        assert!(r.upstreams.iter().all(|u| u.target == "http://api:8000"));
    }
}

//! The nginx container's files, in the order the container gets them:
//! what its image's Dockerfile COPYs (or writes from a heredoc), then what
//! bind mounts lay over that (a mounted directory hides what the image had
//! beneath it), then what the topology itself mounts (ConfigMap data). The
//! main file is the one nginx's command line names (`-c`, `-p`), else the
//! image's compiled-in path, supplied from the image when nothing places
//! one there.

use super::{PlacedBy, Placement, Placing, Segment, align, render_templates};
use crate::nginx::cmdline::{self, NginxArgs};
use crate::nginx::include::normalize;
use crate::source::{FileId, SourceFile, SourceMap};
use crate::topology::build::ImageFileSource;
use crate::topology::{Container, Site, Topology, VolumeKind};
use std::collections::{BTreeMap, HashMap};

/// Where an nginx image family keeps its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The compiled-in prefix (`-p` default).
    pub prefix: &'static str,
    /// The compiled-in main file (`-c` default).
    pub conf: &'static str,
    /// The main file the image ships.
    pub conf_text: &'static str,
}

/// bitnami/nginx's `nginx.conf`, reduced: server blocks come from
/// `server_blocks/*.conf` beside it.
const BITNAMI_CONF: &str = "events {}
http {
    include /opt/bitnami/nginx/conf/server_blocks/*.conf;
}
";

/// The family of an nginx image: the official image and its variants
/// (nginx-unprivileged) keep `/etc/nginx`; OpenResty and Bitnami have
/// their own prefixes (images-and-servers.md §1, projects-as-shipped.md §6).
pub fn family(image: Option<&str>) -> Family {
    let name = image.unwrap_or("nginx");
    if name.contains("openresty") {
        Family {
            prefix: "/usr/local/openresty/nginx",
            conf: "/usr/local/openresty/nginx/conf/nginx.conf",
            conf_text: super::IMAGE_NGINX_CONF,
        }
    } else if name.contains("bitnami/nginx") {
        Family {
            prefix: "/opt/bitnami/nginx",
            conf: "/opt/bitnami/nginx/conf/nginx.conf",
            conf_text: BITNAMI_CONF,
        }
    } else {
        Family {
            prefix: "/etc/nginx",
            conf: "/etc/nginx/nginx.conf",
            conf_text: super::IMAGE_NGINX_CONF,
        }
    }
}

/// nginx's command line in the container, when it shows.
pub fn nginx_args(c: &Container) -> Option<NginxArgs> {
    cmdline::find(&c.argv(), crate::topology::shell::words)
}

/// A file nginx sees, and how it got there.
struct Placed {
    file: FileId,
    by: PlacedBy,
}

/// The container's files by path, and the byte origins of those made
/// from other text (heredocs, ConfigMap data).
type View = (BTreeMap<String, Placed>, HashMap<FileId, Vec<Segment>>);

/// The files the nginx container at `site` sees, from its image, its bind
/// mounts (matched against `candidates`: submitted nginx files and project
/// files, by path relative to the project) and the topology's own mounted
/// files. `None` when nothing places a file.
fn container_view(
    sources: &mut SourceMap,
    candidates: &[FileId],
    topo: &Topology,
    site: Site,
    project_dir: &str,
) -> Option<View> {
    let c = &topo.units[site.unit.0].containers[site.container];
    let mut view: BTreeMap<String, Placed> = BTreeMap::new();
    let mut rendered: HashMap<FileId, Vec<Segment>> = HashMap::new();
    // 1. The image's own files, as its Dockerfile placed them.
    let image_files = c
        .build
        .as_ref()
        .and_then(|b| b.image.as_ref())
        .map(|i| i.files.as_slice())
        .unwrap_or_default();
    let by_path: HashMap<String, FileId> = candidates
        .iter()
        .map(|id| (normalize(&sources.get(*id).path), *id))
        .collect();
    for f in image_files {
        let file = match &f.source {
            ImageFileSource::Project { path } => match by_path.get(&normalize(path)) {
                Some(id) => *id,
                None => continue,
            },
            ImageFileSource::Inline { content, span } => {
                let id = sources.add(SourceFile::new(
                    format!("{} (from the Dockerfile)", f.path),
                    content.clone(),
                ));
                if let Some(span) = span {
                    rendered.insert(id, align(content.as_bytes(), sources, *span));
                }
                id
            }
            ImageFileSource::Unknown { .. } => continue,
        };
        view.insert(
            f.path.clone(),
            Placed {
                file,
                by: PlacedBy::Copy(f.span),
            },
        );
    }
    // 2. Bind mounts, in order: each hides what was beneath its target.
    for m in &c.mounts {
        let VolumeKind::Bind(src) = &topo.volumes[m.volume].kind else {
            continue;
        };
        let target = normalize(&m.target);
        let host = normalize(src);
        let joined = if src.starts_with('/') || project_dir.is_empty() {
            host.clone()
        } else {
            normalize(&format!("{project_dir}/{src}"))
        };
        let mut placed: Vec<(String, FileId)> = Vec::new();
        for id in candidates {
            let p = normalize(&sources.get(*id).path);
            let rest = [joined.as_str(), host.as_str()].iter().find_map(|h| {
                if p == *h {
                    Some(String::new())
                } else {
                    p.strip_prefix(&format!("{h}/")).map(|r| format!("/{r}"))
                }
            });
            if let Some(rest) = rest {
                placed.push((format!("{target}{rest}"), *id));
            }
        }
        if placed.is_empty() {
            continue;
        }
        let under = format!("{target}/");
        view.retain(|p, _| *p != target && !p.starts_with(&under));
        for (path, file) in placed {
            view.insert(
                path,
                Placed {
                    file,
                    by: PlacedBy::Mount(m.span),
                },
            );
        }
    }
    // 3. Files the topology carries (ConfigMap data).
    for mf in &topo.mounted_files {
        if mf.unit != site.unit || mf.container != site.container {
            continue;
        }
        let id = sources.add(SourceFile::new(
            format!("{} (from the manifest)", mf.path),
            mf.content.clone(),
        ));
        if let Some(span) = mf.span {
            rendered.insert(id, align(mf.content.as_bytes(), sources, span));
        }
        view.insert(
            mf.path.clone(),
            Placed {
                file: id,
                by: PlacedBy::Mount(mf.span),
            },
        );
    }
    (!view.is_empty()).then_some((view, rendered))
}

/// The placement of the nginx container at `site`: its view, templates
/// rendered, and the main file nginx opens.
pub(super) fn place_site(
    sources: &mut SourceMap,
    nginx_files: &[FileId],
    project_files: &[FileId],
    topo: &Topology,
    site: Site,
    project_dir: &str,
) -> Option<Placement> {
    let candidates: Vec<FileId> = nginx_files.iter().chain(project_files).copied().collect();
    let (view, rendered) = container_view(sources, &candidates, topo, site, project_dir)?;
    let c = topo.units[site.unit.0].containers[site.container].clone();
    let mut placed = Placing {
        paths: HashMap::new(),
        by: HashMap::new(),
        rendered,
    };
    for (path, p) in view {
        placed.paths.insert(p.file, path);
        placed.by.insert(p.file, p.by);
    }
    let paths = &placed.paths;
    if !nginx_files.iter().any(|id| paths.contains_key(id))
        && !paths.values().any(|p| is_config_path(p, &c))
        && !nginx_files.is_empty()
    {
        // Nothing the user named reaches nginx: read them as submitted.
        return None;
    }
    let unplaced: Vec<FileId> = nginx_files
        .iter()
        .copied()
        .filter(|id| !paths.contains_key(id))
        .collect();
    let mut not_rendered = Vec::new();
    render_templates(sources, &c, &mut placed, &mut not_rendered);
    super::render_shell_envsubst(sources, &c, &mut placed);
    let main = main_file(sources, &c, &mut placed.paths, &mut placed.by);
    Some(Placement {
        paths: placed.paths,
        by: placed.by,
        main,
        unplaced,
        rendered: placed.rendered,
        not_rendered,
    })
}

/// Whether a container path is where nginx configuration lives for this
/// container: its image family's prefix or the directory `-c` names, or
/// beneath either.
pub(crate) fn is_config_path(path: &str, c: &Container) -> bool {
    let fam = family(c.image.as_deref());
    let args = nginx_args(c).unwrap_or_default();
    let conf_dir = args.conf_dir(fam.prefix, fam.conf);
    let path = path.trim_end_matches('/');
    [fam.prefix, conf_dir.as_str()]
        .iter()
        .any(|dir| path == *dir || path.starts_with(&format!("{dir}/")))
}

/// The file nginx opens first: what `-c` names (relative to `-p`), else the
/// image's compiled-in path; when nothing is placed there, the image's
/// own file for its compiled-in path, or a stand-in that fails to open the
/// file `-c` names, as nginx would.
fn main_file(
    sources: &mut SourceMap,
    c: &Container,
    paths: &mut HashMap<FileId, String>,
    by: &mut HashMap<FileId, PlacedBy>,
) -> FileId {
    let fam = family(c.image.as_deref());
    let args = nginx_args(c).unwrap_or_default();
    let main = args.main_file(fam.prefix, fam.conf);
    if let Some((id, _)) = paths.iter().find(|(_, p)| **p == main) {
        return *id;
    }
    if main == fam.conf {
        let shown = if fam.conf == "/etc/nginx/nginx.conf" {
            super::IMAGE_NGINX_CONF_PATH.to_string()
        } else {
            format!("{} (nginx image default)", fam.conf)
        };
        let id = sources.add(SourceFile::new(shown, fam.conf_text));
        paths.insert(id, main);
        by.insert(id, PlacedBy::Image);
        return id;
    }
    // `-c` names a file nothing puts there: nginx stops with `open() failed`.
    let id = sources.add(SourceFile::new(
        format!("nginx -c {main} (the container's command)"),
        format!("include {main};\n"),
    ));
    paths.insert(
        id,
        format!(
            "{}/.nginx-command-line",
            crate::nginx::include::dirname(&main)
        ),
    );
    by.insert(id, PlacedBy::CommandLine);
    id
}

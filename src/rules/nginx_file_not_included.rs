use super::{Check, Context, Finding, finding};
use crate::nginx::Config;
use crate::nginx::context::masks;
use crate::nginx::include::{dirname, include_path, normalize};
use crate::nginx::token::{Lexer, TokenKind};
use crate::placement::PlacedBy;
use crate::placement::view::is_config_path;
use crate::source::{FileId, Span};
use std::collections::HashSet;

crate::declare_rule! {
    /// ## What it does
    /// Reports a submitted nginx configuration file that nginx never reads:
    /// it is where the container sees it (or, placed by nothing, where it
    /// sits beside the main file), but no `include` of the configuration
    /// names it. Only files that read as nginx configuration (their first
    /// statement is an nginx directive) are reported, not certificates or
    /// pages a mounted directory also holds.
    ///
    /// ## Why is this bad?
    /// Nothing in the file was checked, and nothing in it takes effect: a
    /// `server` block in a Debian-style `sites-enabled/` file mounted into
    /// the official image, whose `nginx.conf` includes only `conf.d/*.conf`,
    /// is silently ignored, and so are its upstreams.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx
    ///     volumes:
    ///       - ./site.conf:/etc/nginx/sites-enabled/site.conf   # never included
    /// ```
    ///
    /// Use instead: place the file where an `include` reads it
    /// (`/etc/nginx/conf.d/site.conf` in the official image), or include it.
    pub NginxFileNotIncluded { code: "UC0010", name: "nginx-file-not-included", severity: Warning, fix: None }
}

impl Check for NginxFileNotIncluded {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let Some(config) = cx.config else { return };
        let read: HashSet<FileId> = config.files.iter().map(|f| f.file).collect();
        // Each file nginx could read and the path it is at: what the
        // placement put where nginx reads configuration, else the files
        // as submitted.
        let mut unread: Vec<(&str, Option<&str>, FileId)> = match cx.placement {
            Some(p) => {
                let site = cx.sites.first();
                let container = site.map(|s| &cx.topology.units[s.unit.0].containers[s.container]);
                p.paths
                    .iter()
                    .filter(|(_, at)| container.is_none_or(|c| is_config_path(at, c)))
                    .filter(|(id, _)| {
                        matches!(
                            p.by.get(*id),
                            Some(PlacedBy::Mount(_) | PlacedBy::Copy(_) | PlacedBy::AsSubmitted)
                        )
                    })
                    .map(|(id, at)| (cx.sources.get(*id).path.as_str(), Some(at.as_str()), *id))
                    .collect()
            }
            None => (cx.nginx_files.iter())
                .map(|id| (cx.sources.get(*id).path.as_str(), None, *id))
                .collect(),
        };
        // A template is read as the file it renders (one left unrendered is
        // UC0007's); a file beside the ones a glob `include` picks
        // (`conf.d/old.conf.disabled`) was left out on purpose.
        let templates: HashSet<FileId> = (cx.placement.iter())
            .flat_map(|p| {
                let rendered = p.by.values().filter_map(|b| match b {
                    PlacedBy::Template(t) => Some(*t),
                    _ => None,
                });
                rendered.chain(p.not_rendered.iter().map(|(f, _)| *f))
            })
            .collect();
        let globbed = globbed_dirs(cx, config);
        unread.retain(|(path, at, id)| {
            !read.contains(id)
                && !templates.contains(id)
                && !globbed.contains(dirname(&normalize(at.unwrap_or(path))))
                && reads_as_nginx(&cx.sources.get(*id).bytes)
        });
        unread.sort();
        for (path, at, id) in unread {
            let beside_main = (cx.placement.and_then(|p| p.by.get(&id)))
                .is_some_and(|b| *b == PlacedBy::AsSubmitted);
            let message = match at {
                Some(at) if beside_main => format!(
                    "`{path}` is not read by nginx: no mount places it, so it is read where it sits beside the main file (as `{at}`), and no `include` of the configuration names it, so nothing in it was checked"
                ),
                Some(at) => format!(
                    "`{path}` is not read by nginx: it is at `{at}`, and no `include` of the configuration names it, so nothing in it was checked"
                ),
                None => format!(
                    "`{path}` is not read by nginx: no `include` of the configuration names it, so nothing in it was checked"
                ),
            };
            out.push(finding(self, message, Some(Span::new(id, 0, 0))));
        }
    }
}

/// The directories a glob `include` of `config` picks files from, as
/// nginx sees them (`/etc/nginx/conf.d` for `include conf.d/*.conf;`).
fn globbed_dirs(cx: &Context, config: &Config) -> HashSet<String> {
    let mut dirs = HashSet::new();
    let Some(main) = config.files.first() else {
        return dirs;
    };
    let main_path = (cx.placement)
        .and_then(|p| p.paths.get(&main.file))
        .unwrap_or(&main.path);
    // Each file once, its blocks by a stack (no recursion, no expansion:
    // nginx joins a relative pattern to its prefix, not to the includer).
    for f in &config.files {
        let mut blocks = vec![&f.block];
        while let Some(b) = blocks.pop() {
            for d in b.directives() {
                blocks.extend(&d.block);
                let Some(a) = d.args.first().filter(|_| d.name == "include") else {
                    continue;
                };
                let pattern = include_path(main_path, &a.value);
                if pattern.contains(['*', '?', '[']) {
                    dirs.insert(dirname(&pattern).to_string());
                }
            }
        }
    }
    dirs
}

/// Whether `bytes` read as nginx configuration: the first statement, past
/// comments, is a directive nginx knows.
fn reads_as_nginx(bytes: &[u8]) -> bool {
    let mut lexer = Lexer::new(bytes);
    while let Some(t) = lexer.next_token() {
        match t.kind {
            TokenKind::Comment => continue,
            TokenKind::Word(_) => {
                let word = &bytes[t.inner_start..t.inner_end];
                return std::str::from_utf8(word).is_ok_and(|w| masks(w).is_some());
            }
            TokenKind::Semicolon | TokenKind::Open | TokenKind::Close => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::reads_as_nginx;

    #[test]
    fn configuration_is_told_from_other_files_a_directory_holds() {
        assert!(reads_as_nginx(b"# site\nserver {\n listen 80;\n}\n"));
        assert!(reads_as_nginx(b"upstream app { server a:1; }"));
        assert!(!reads_as_nginx(b"-----BEGIN CERTIFICATE-----\nMIIB\n"));
        assert!(!reads_as_nginx(b"<!DOCTYPE html><html></html>"));
        assert!(!reads_as_nginx(b"user:$apr1$x$y\n"));
        assert!(!reads_as_nginx(b""));
    }
}

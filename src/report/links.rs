//! What a renderer cannot learn from the report: where each rule's page is
//! published ([`DocsUrl`]) and where the input files live ([`SourceRoot`]).
//! The shells know it (a flag, the service's public URL, the directory the
//! CLI ran in) and hand it to [`super::render_with`]; SARIF uses it for
//! `helpUri` and for artifact URIs that code scanning can map to files.

use crate::nginx::include::normalize;

/// The rule pages: a base URL (`https://upcheck.example.com/rules`, giving
/// `…/rules/UC2001`) or a template with `{code}`
/// (`https://github.com/o/r/blob/main/docs/rules/{code}.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocsUrl(String);

impl DocsUrl {
    /// Checks an `http(s)://` URL: SARIF's `helpUri` must be absolute, and
    /// a link a browser cannot open helps nobody.
    pub fn parse(url: &str) -> Result<DocsUrl, String> {
        let url = url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(r)
                if !r.is_empty() && !r.starts_with('/') && !url.contains(char::is_whitespace) =>
            {
                Ok(DocsUrl(url.to_string()))
            }
            _ => Err(format!(
                "the docs URL `{url}` is not an http(s) URL such as https://upcheck.example.com/rules"
            )),
        }
    }

    /// The page of one rule: `{code}` replaced, or `/CODE` appended.
    pub fn rule(&self, code: &str) -> String {
        if self.0.contains("{code}") {
            self.0.replace("{code}", code)
        } else {
            format!("{}/{code}", self.0.trim_end_matches('/'))
        }
    }

    /// The pages a service at `public` serves itself: `GET /rules/{code}`.
    pub fn served_by(public: &str) -> Result<DocsUrl, String> {
        DocsUrl::parse(&format!("{}/rules", public.trim().trim_end_matches('/')))
    }
}

/// Where the report's paths are rooted. Code scanning reads a relative URI
/// as relative to the repository root and ignores `uriBaseId`, so SARIF
/// URIs are the report's paths (relative to the project directory) under
/// `prefix`: the project directory's path from the root (`deploy/`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceRoot {
    /// The project directory relative to the root: empty, or ending in `/`.
    prefix: String,
    /// The root, an absolute directory, when known (the CLI knows it; the
    /// service does not).
    dir: Option<String>,
}

/// Where an input file lives, as SARIF names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Relative to the root (`%SRCROOT%`): a file of the repository.
    Root(String),
    /// An absolute `file://` URI: a file outside the root.
    Absolute(String),
    /// A reference no base resolves (a path outside a root whose location
    /// is not known).
    Unrooted(String),
}

impl SourceRoot {
    /// A root at the absolute directory `root`, with the project directory
    /// `project` (absolute) below it; a project outside `root` is its own
    /// root.
    pub fn new(root: &str, project: &str) -> SourceRoot {
        let root = normalize(root);
        let project = normalize(project);
        let rel = crate::project::locate::rebase(&root, &project);
        if rel.starts_with("..") || rel.starts_with('/') {
            return SourceRoot::at(&project);
        }
        SourceRoot {
            prefix: if rel.is_empty() {
                rel
            } else {
                format!("{rel}/")
            },
            dir: Some(root),
        }
    }

    /// A root at the absolute directory `dir`, which is the project directory.
    pub fn at(dir: &str) -> SourceRoot {
        SourceRoot {
            prefix: String::new(),
            dir: Some(normalize(dir)),
        }
    }

    /// The root's absolute `file://` URI ending in `/`, when known.
    pub fn uri(&self) -> Option<String> {
        let d = uri_path(self.dir.as_deref()?.trim_end_matches('/'));
        Some(format!("file://{d}/"))
    }

    /// The project directory relative to the root (empty or ending in `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Where a report path (relative to the project directory, or
    /// absolute) lives.
    pub fn place(&self, path: &str) -> Placed {
        let path = path.replace('\\', "/");
        let root_dir = self.dir.as_deref();
        if path.starts_with('/') {
            if let Some(dir) = root_dir {
                let rel = crate::project::locate::rebase(dir, &path);
                if !rel.starts_with("..") && !rel.is_empty() {
                    return Placed::Root(uri_path(&rel));
                }
            }
            return Placed::Absolute(format!("file://{}", uri_path(&normalize(&path))));
        }
        let joined = normalize(&format!("{}{path}", self.prefix));
        if !joined.starts_with("..") {
            return Placed::Root(uri_path(&joined));
        }
        match root_dir {
            Some(dir) => Placed::Absolute(format!(
                "file://{}",
                uri_path(&normalize(&format!("{dir}/{joined}")))
            )),
            None => Placed::Unrooted(uri_path(&joined)),
        }
    }
}

/// A path as a URI reference: `\` becomes `/`, and every byte outside the
/// unreserved set and `/` is percent-encoded.
pub fn uri_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Everything [`super::render_with`] needs beyond the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// Where the rule pages are; without it SARIF has no `helpUri`.
    pub docs: Option<DocsUrl>,
    /// Where the input files live.
    pub root: SourceRoot,
    /// The stored report's absolute URL, when the service stored it and
    /// knows where clients reach it; chat answers link it.
    pub permalink: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_urls_are_http_and_take_a_code() {
        let base = DocsUrl::parse("https://upcheck.example.com/rules/").unwrap();
        assert_eq!(
            base.rule("UC2001"),
            "https://upcheck.example.com/rules/UC2001"
        );
        let t = DocsUrl::parse("https://github.com/o/r/blob/main/docs/rules/{code}.md").unwrap();
        assert_eq!(
            t.rule("UC1001"),
            "https://github.com/o/r/blob/main/docs/rules/UC1001.md"
        );
        assert_eq!(
            DocsUrl::served_by("http://10.0.0.5:8080/")
                .unwrap()
                .rule("UC0001"),
            "http://10.0.0.5:8080/rules/UC0001"
        );
        for bad in [
            "",
            "docs/rules",
            "ftp://x/y",
            "https://",
            "https:///x",
            "https://a b",
        ] {
            assert!(DocsUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_are_placed_under_the_root_with_the_project_prefix() {
        let r = SourceRoot::new("/repo", "/repo/deploy/app");
        assert_eq!(r.prefix(), "deploy/app/");
        assert_eq!(r.uri().as_deref(), Some("file:///repo/"));
        // A project outside the root is its own root.
        let own = SourceRoot::new("/repo", "/elsewhere/p");
        assert_eq!(own.prefix(), "");
        assert_eq!(own.uri().as_deref(), Some("file:///elsewhere/p/"));
        // Over HTTP nothing is known but the upload's own paths.
        let http = SourceRoot::default();
        let root = |p: &str| Placed::Root(p.into());
        let absolute = |p: &str| Placed::Absolute(p.into());
        let cases = [
            (&r, "compose.yaml", root("deploy/app/compose.yaml")),
            (&r, "../nginx/a b.conf", root("deploy/nginx/a%20b.conf")),
            (&r, "/repo/x.conf", root("x.conf")),
            (&r, "../../../etc/x", absolute("file:///etc/x")),
            (
                &r,
                "/etc/nginx/nginx.conf",
                absolute("file:///etc/nginx/nginx.conf"),
            ),
            (&http, "conf/default.conf", root("conf/default.conf")),
            (&http, "../x", Placed::Unrooted("../x".into())),
            (&http, "/etc/x", absolute("file:///etc/x")),
        ];
        for (source_root, path, want) in cases {
            assert_eq!(source_root.place(path), want, "{path}");
        }
    }

    #[test]
    fn roots_with_odd_characters_round_trip() {
        let r = SourceRoot::new("/my repo", "/my repo/p");
        assert_eq!(r.uri().as_deref(), Some("file:///my%20repo/"));
        assert_eq!(
            r.place("/my repo/p/a.conf"),
            Placed::Root("p/a.conf".into())
        );
    }
}

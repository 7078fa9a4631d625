//! Where a report links to: `--docs-url` (on `validate` and `serve`), the
//! rule pages SARIF's `helpUri` points at, and, for `validate`, the root
//! that SARIF's artifact URIs are relative to: the repository holding the
//! project (the nearest directory above it with a `.git`), else the
//! working directory when it holds the project, else the project itself.

use clap::Args;
use std::path::{Path, PathBuf};
use upcheck::report::{DocsUrl, Links, SourceRoot};

/// The `--docs-url` flag.
#[derive(Debug, Clone, Args)]
pub struct DocsArgs {
    /// Where the rule pages are published, for SARIF's helpUri: a base URL
    /// (`https://upcheck.example.com/rules` links `…/rules/UC2001`) or a
    /// template with `{code}`. Without it SARIF has no helpUri.
    #[arg(long, env = "UPCHECK_DOCS_URL", value_name = "URL", value_parser = DocsUrl::parse)]
    pub docs_url: Option<DocsUrl>,
}

impl DocsArgs {
    /// The links of a report on the project in `project_dir` (as the
    /// command line names it, relative to the working directory).
    pub fn links(&self, project_dir: &Path) -> Links {
        Links {
            docs: self.docs_url.clone(),
            root: std::env::current_dir()
                .map(|cwd| {
                    // Through a symlink, the repository is the target's.
                    let project = cwd.join(project_dir);
                    source_root(&cwd, &project.canonicalize().unwrap_or(project))
                })
                .unwrap_or_default(),
            permalink: None,
        }
    }
}

/// The root for a project directory (absolute) run from `cwd`.
fn source_root(cwd: &Path, project: &Path) -> SourceRoot {
    let text = |p: &Path| p.to_string_lossy().replace('\\', "/");
    let project = PathBuf::from(upcheck::nginx::include::normalize(&text(project)));
    // Bounded by the path's depth.
    if let Some(repo) = project.ancestors().find(|d| d.join(".git").exists()) {
        return SourceRoot::new(&text(repo), &text(&project));
    }
    SourceRoot::new(&text(cwd), &text(&project))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_repository_else_the_working_directory() {
        let base = std::env::temp_dir().join(format!("upcheck-links-{}", std::process::id()));
        let repo = base.join("repo");
        std::fs::create_dir_all(repo.join("deploy/app")).unwrap();
        std::fs::create_dir_all(base.join("plain/sub")).unwrap();
        // A worktree's `.git` is a file.
        std::fs::write(repo.join(".git"), "gitdir: /elsewhere\n").unwrap();
        let r = source_root(&repo.join("deploy"), &repo.join("deploy/app"));
        assert_eq!(r.prefix(), "deploy/app/");
        assert_eq!(r.uri(), Some(format!("file://{}/", repo.display())));
        let plain = source_root(&base.join("plain"), &base.join("plain/sub/."));
        assert_eq!(plain.prefix(), "sub/");
        let outside = source_root(&base.join("plain/sub"), &base.join("plain"));
        assert_eq!(outside.prefix(), "");
        assert_eq!(
            outside.uri(),
            Some(format!("file://{}/", base.join("plain").display()))
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}

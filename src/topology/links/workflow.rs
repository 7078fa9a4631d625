//! CI files as link sources: a GitHub Actions workflow's
//! `docker/build-push-action` steps (`with.context`, `file`, `tags`,
//! `target`, `build-args`) and `run:` scripts (`docker build -t …`, in the
//! step's `working-directory`), and `skaffold.yaml`'s `build.artifacts[]`
//! (`image`, `context`, `docker.dockerfile`, `docker.target`,
//! `docker.buildArgs`). Paths are relative to the directory holding
//! `.github` or `skaffold.yaml` (`base`, relative to the project).

use super::ImageBuild;
use super::command::{self, join};
use crate::topology::yaml::Node;

/// A list, or a string of lines or commas (`tags:`, `build-args:`).
fn list(n: &Node, commas: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |s: &str| {
        let seps: &[char] = if commas { &['\n', ','] } else { &['\n'] };
        out.extend(
            s.split(seps)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        )
    };
    match n.items() {
        [] => {
            if let Some(s) = n.as_str() {
                add(s)
            }
        }
        items => items.iter().filter_map(Node::as_str).for_each(&mut add),
    }
    out
}

/// The builds of a GitHub Actions workflow at `path`.
pub(super) fn workflow(doc: &Node, path: &str, base: &str, out: &mut Vec<ImageBuild>) {
    let Some(jobs) = doc.get("jobs") else { return };
    let default_dir = |n: &Node| {
        n.get("defaults")
            .and_then(|d| d.get("run"))
            .and_then(|r| r.get("working-directory"))
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    let top_dir = default_dir(doc);
    for (job, j) in jobs.entries() {
        let job_dir = default_dir(j).or(top_dir.clone());
        for (i, step) in j
            .get("steps")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let via = format!("`{path}` (job `{job}`, step {})", i + 1);
            let uses = step.get("uses").and_then(Node::as_str).unwrap_or_default();
            if uses.starts_with("docker/build-push-action") {
                let Some(with) = step.get("with") else {
                    continue;
                };
                let s = |k: &str| with.get(k).and_then(Node::as_str);
                let context = join(base, s("context").unwrap_or("."));
                let file = s("file").map(|f| join(base, f));
                let args: Vec<(String, String)> = with
                    .get("build-args")
                    .map(|n| list(n, false))
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|a| a.split_once('='))
                    .filter(|(_, v)| !v.contains('$'))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                for t in with.get("tags").map(|n| list(n, true)).unwrap_or_default() {
                    let mut b = ImageBuild::new(&t, &context, file.as_deref(), via.clone());
                    b.build.target = s("target").filter(|t| !t.contains('$')).map(str::to_string);
                    b.build.args = args.iter().cloned().collect();
                    out.push(b);
                }
            } else if let Some(run) = step.get("run").and_then(Node::as_str) {
                let dir = step
                    .get("working-directory")
                    .and_then(Node::as_str)
                    .map(str::to_string)
                    .or(job_dir.clone())
                    .unwrap_or_default();
                command::script(run, &join(base, &dir), &via, out);
            }
        }
    }
}

/// The artifacts of a `skaffold.yaml` at `path`.
pub(super) fn skaffold(doc: &Node, path: &str, base: &str, out: &mut Vec<ImageBuild>) {
    let artifacts = doc
        .get("build")
        .and_then(|b| b.get("artifacts"))
        .map(Node::items)
        .unwrap_or_default();
    for a in artifacts {
        let Some(image) = a.get("image").and_then(Node::as_str) else {
            continue;
        };
        let context = join(base, a.get("context").and_then(Node::as_str).unwrap_or("."));
        let docker = a.get("docker");
        let d = |k: &str| docker.and_then(|d| d.get(k));
        // skaffold's dockerfile is relative to the context.
        let file = d("dockerfile")
            .and_then(Node::as_str)
            .map(|f| join(&context, f));
        let mut b = ImageBuild::new(
            image,
            &context,
            file.as_deref(),
            format!("`{path}` (artifact `{image}`)"),
        );
        b.build.target = d("target").and_then(Node::as_str).map(str::to_string);
        if let Some(args) = d("buildArgs") {
            b.build.args = args
                .entries()
                .filter_map(|(k, v)| Some((k.to_string(), v.scalar_text()?)))
                .filter(|(_, v)| !v.contains("{{"))
                .collect();
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, SourceFile};
    use crate::topology::yaml::parse_documents;

    fn read(text: &str, skaffold_file: bool) -> Vec<ImageBuild> {
        let src = SourceFile::new("x.yaml", text.as_bytes().to_vec());
        let docs = parse_documents(FileId(0), &src).unwrap();
        let mut out = Vec::new();
        for d in &docs {
            if skaffold_file {
                skaffold(d, "skaffold.yaml", "", &mut out);
            } else {
                workflow(d, ".github/workflows/ci.yml", "", &mut out);
            }
        }
        out
    }

    #[test]
    fn build_push_action_steps_give_every_tag_with_target_and_args() {
        let b = read(
            "jobs:\n  images:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker/build-push-action@v6\n        with:\n          context: ./web\n          file: web/prod.Dockerfile\n          target: runtime\n          build-args: |\n            PORT=8080\n            SHA=${{ github.sha }}\n          tags: |\n            ghcr.io/acme/web:latest\n            ghcr.io/acme/web:${{ github.sha }}\n",
            false,
        );
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].build.context, "web");
        assert_eq!(b[0].build.dockerfile, "web/prod.Dockerfile");
        assert_eq!(b[0].build.target.as_deref(), Some("runtime"));
        assert_eq!(b[0].build.args.len(), 1);
        assert_eq!(
            b[1].build.via,
            "`.github/workflows/ci.yml` (job `images`, step 2)"
        );
    }

    #[test]
    fn run_scripts_build_in_their_working_directory() {
        let b = read(
            "defaults:\n  run:\n    working-directory: services\njobs:\n  a:\n    steps:\n      - run: docker build -t acme/api api\n      - working-directory: web\n        run: |\n          docker build -t acme/web .\n",
            false,
        );
        let dirs: Vec<&str> = b.iter().map(|b| b.build.context.as_str()).collect();
        assert_eq!(dirs, ["services/api", "web"]);
    }

    #[test]
    fn skaffold_dockerfiles_are_relative_to_the_context() {
        let b = read(
            "build:\n  artifacts:\n    - image: acme/web\n      context: web\n      docker:\n        dockerfile: prod.Dockerfile\n        target: final\n        buildArgs:\n          PORT: 80\n    - image: acme/api\n",
            true,
        );
        assert_eq!(b[0].build.dockerfile, "web/prod.Dockerfile");
        assert_eq!(b[0].build.target.as_deref(), Some("final"));
        assert_eq!(b[0].build.args["PORT"], "80");
        assert_eq!(
            (b[1].build.context.as_str(), b[1].build.dockerfile.as_str()),
            ("", "Dockerfile")
        );
    }
}

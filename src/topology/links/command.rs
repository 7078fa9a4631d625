//! A container build command line — `docker build`, `docker buildx build`,
//! `docker image build`, `podman build`, `nerdctl build`, `buildah bud` —
//! read for its tags, Dockerfile (`-f`), context, `--target` and
//! `--build-arg`s, with paths relative to the directory it runs in. Shared
//! by workflow `run:` scripts and Makefile recipes.

use super::ImageBuild;
use super::name::HOLE;
use crate::nginx::include::normalize;
use crate::topology::shell;

/// Options of a build command that take a value this reader does not need.
const VALUED: &[&str] = &[
    "--platform",
    "--label",
    "--cache-from",
    "--cache-to",
    "--secret",
    "--ssh",
    "--output",
    "-o",
    "--build-context",
    "--iidfile",
    "--network",
    "--progress",
    "--add-host",
    "--ulimit",
    "--shm-size",
    "-m",
    "--memory",
    "--annotation",
    "--attest",
    "--builder",
    "--metadata-file",
    "--isolation",
    "--cgroup-parent",
    "--cpu-shares",
    "--cpuset-cpus",
];

/// Joins a directory and a relative path, lexically (`""` is the project).
pub(super) fn join(dir: &str, rel: &str) -> String {
    let p = if dir.is_empty() || rel.starts_with('/') {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    };
    if p == "." { String::new() } else { p }
}

/// Where the build's arguments start, when `words` is a build command.
fn start(words: &[String]) -> Option<usize> {
    let tool = |w: &String| {
        matches!(shell::basename(w), "docker" | "podman" | "nerdctl" | "buildah")
            // A tool named by a variable the reader could not resolve
            // (`$(CONTAINER_TOOL) build -t …`).
            || w.chars().all(|c| c == HOLE)
    };
    let w: Vec<&str> = words.iter().take(3).map(String::as_str).collect();
    match w[..] {
        [_, "build", ..] | [_, "bud", ..] if tool(&words[0]) => Some(2),
        [_, "buildx" | "image", "build", ..] if tool(&words[0]) => Some(3),
        _ => None,
    }
}

/// The builds of one command run in `cwd`, each tag one [`ImageBuild`].
pub(super) fn docker_build(words: &[String], cwd: &str, via: &str, out: &mut Vec<ImageBuild>) {
    let Some(start) = start(words) else { return };
    let (mut tags, mut file, mut context) = (Vec::new(), None, None);
    let (mut target, mut args) = (None, Vec::new());
    let mut it = words[start..].iter();
    while let Some(w) = it.next() {
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (w.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned());
        match flag {
            "-t" | "--tag" => tags.extend(value()),
            "-f" | "--file" => file = value(),
            "--target" => target = value(),
            "--build-arg" => args.extend(value()),
            _ if VALUED.contains(&flag) => {
                value();
            }
            _ if w.starts_with('-') && w.len() > 1 => {}
            _ => context = Some(w.clone()),
        }
    }
    // Standard input or a remote context: nothing of the project's.
    let Some(context) =
        context.filter(|c| c != "-" && !c.contains("://") && !c.starts_with("git@"))
    else {
        return;
    };
    if file.as_deref() == Some("-") {
        return;
    }
    let context = join(cwd, &context);
    // `-f` is relative to where the command runs, not to the context.
    let dockerfile = file.map(|f| join(cwd, &f));
    let known = |s: &String| !s.contains(HOLE) && !s.contains('$');
    for t in tags {
        let mut b = ImageBuild::new(&t, &context, dockerfile.as_deref(), via.to_string());
        b.build.target = target.clone().filter(known);
        b.build.args = args
            .iter()
            .filter_map(|a| a.split_once('='))
            .filter(|(_, v)| known(&v.to_string()))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        out.push(b);
    }
}

/// The builds of an `sh` script run in `cwd`; a `cd DIR` moves later
/// commands of the script.
pub(super) fn script(text: &str, cwd: &str, via: &str, out: &mut Vec<ImageBuild>) {
    let mut here = cwd.to_string();
    for cmd in shell::commands(text).unwrap_or_default() {
        match &cmd.words[..] {
            [cd, dir] if cd == "cd" => here = join(&here, dir),
            words => docker_build(words, &here, via, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builds(cmd: &str, cwd: &str) -> Vec<(String, String, String, Option<String>)> {
        let mut out = Vec::new();
        script(cmd, cwd, "test", &mut out);
        out.iter()
            .map(|b| {
                (
                    b.written.clone(),
                    b.build.context.clone(),
                    b.build.dockerfile.clone(),
                    b.build.target.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn build_commands_give_tag_context_file_and_target() {
        assert_eq!(
            builds(
                "docker build -t acme/web:1 -f docker/web.Dockerfile --build-arg X=1 --target prod .",
                ""
            ),
            [(
                "acme/web:1".into(),
                "".into(),
                "docker/web.Dockerfile".into(),
                Some("prod".into())
            )]
        );
        assert_eq!(
            builds(
                "docker buildx build --tag=acme/api --platform linux/amd64 ./api",
                ""
            ),
            [(
                "acme/api".into(),
                "api".into(),
                "api/Dockerfile".into(),
                None
            )]
        );
        // Several tags, one build each; `-f` is relative to the directory
        // the command runs in, the context too.
        let two = builds("podman build -t a/x:1 -t a/x:2 -f Containerfile web", "svc");
        assert_eq!(two.len(), 2);
        assert_eq!(
            (two[1].1.as_str(), two[1].2.as_str()),
            ("svc/web", "svc/Containerfile")
        );
    }

    #[test]
    fn other_commands_and_remote_contexts_give_nothing() {
        for cmd in [
            "docker run -t acme/web",
            "docker push acme/web",
            "docker build -t acme/web -",
            "docker build -t acme/web https://github.com/acme/web.git",
            "docker build -f - -t acme/web .",
            "go build -o bin/web .",
        ] {
            assert!(builds(cmd, "").is_empty(), "{cmd}");
        }
    }

    #[test]
    fn cd_moves_the_commands_after_it() {
        assert_eq!(
            builds(
                "cd web && docker build -t acme/web . ; cd .. && docker build -t acme/api api",
                ""
            )
            .iter()
            .map(|b| b.1.as_str())
            .collect::<Vec<_>>(),
            ["web", "api"]
        );
    }

    #[test]
    fn build_args_with_unknown_values_are_left_to_the_dockerfile() {
        let mut out = Vec::new();
        docker_build(
            &"docker build --build-arg A=1 --build-arg B=$X --build-arg C -t acme/web ."
                .split(' ')
                .map(str::to_string)
                .collect::<Vec<_>>(),
            "",
            "test",
            &mut out,
        );
        assert_eq!(out[0].build.args.len(), 1);
        assert_eq!(out[0].build.args["A"], "1");
    }
}

//! COPY/ADD onto the image filesystem: directory contents, trailing
//! slashes, several sources, wildcards, WORKDIR, `--from`, heredocs,
//! `.dockerignore` (projects-as-shipped.md §5.2, §5.7, §5.8; pitfalls 6,
//! 10, 11).

use super::eval::Known;
use super::*;

/// The context of these tests.
fn ctx() -> MemoryContext {
    MemoryContext::new([
        "nginx.conf",
        "a.conf",
        "b.conf",
        "README.md",
        "CHANGES.md",
        "docs/guide.md",
        "conf/nginx.conf",
        "conf/sites/app.conf",
        "conf.d/default.conf",
        "html/index.html",
        "app.log",
        "node_modules/x/index.js",
        "vendor.tar.gz",
        "src/main.go",
    ])
}

fn run(src: &str, opts: &EvalOptions<'_>) -> Result<Image, EvalError> {
    evaluate(&clean(src), opts, &ctx())
}

/// The image of `src` with the default options.
#[track_caller]
fn image(src: &str) -> Image {
    run(src, &EvalOptions::new()).unwrap()
}

/// Why `src` cannot be evaluated with the default options.
#[track_caller]
fn refused(src: &str) -> EvalError {
    run(src, &EvalOptions::new()).unwrap_err()
}

/// `path <- source` for every placed path.
fn files(img: &Image) -> Vec<String> {
    img.files
        .iter()
        .map(|f| {
            let from = match &f.source {
                FileSource::Context { path } => path.clone(),
                FileSource::Heredoc { name, .. } => format!("<<{name}"),
                FileSource::Stage { stage, path } => format!("stage {stage}:{path}"),
                FileSource::Image { reference, path } => format!("image {reference}:{path}"),
                FileSource::Url { url } => url.clone(),
                FileSource::Git { url } => format!("git {url}"),
                FileSource::Archive { path } => format!("archive {path}"),
            };
            format!("{} <- {from}", f.path)
        })
        .collect()
}

fn placed(body: &str) -> Vec<String> {
    files(
        &run(&format!("FROM scratch\n{body}\n"), &EvalOptions::new())
            .unwrap_or_else(|e| panic!("{body}: {e:?}")),
    )
}

#[test]
fn directory_sources_copy_their_contents() {
    // Pitfall 11: `conf/` and `conf` alike copy what is inside.
    let want = [
        "/etc/nginx/nginx.conf <- conf/nginx.conf",
        "/etc/nginx/sites/app.conf <- conf/sites/app.conf",
    ];
    for body in [
        "COPY conf/ /etc/nginx/",
        "COPY conf /etc/nginx",
        "COPY ./conf/. /etc/nginx/",
        "COPY /conf /etc/nginx",
    ] {
        assert_eq!(placed(body), want, "{body}");
    }
}

#[test]
fn a_file_goes_into_a_slash_destination_and_is_written_as_any_other() {
    let rows: &[(&str, &[&str])] = &[
        (
            "COPY nginx.conf /etc/nginx/conf.d/",
            &["/etc/nginx/conf.d/nginx.conf <- nginx.conf"],
        ),
        (
            "COPY nginx.conf /etc/nginx/default.conf",
            &["/etc/nginx/default.conf <- nginx.conf"],
        ),
        (
            "COPY nginx.conf /etc/nginx/.",
            &["/etc/nginx/nginx.conf <- nginx.conf"],
        ),
        // An existing directory (made by an earlier COPY or WORKDIR) takes the file in.
        (
            "WORKDIR /srv\nCOPY nginx.conf /srv",
            &["/srv/nginx.conf <- nginx.conf"],
        ),
        (
            "COPY conf /etc/nginx\nCOPY a.conf /etc/nginx",
            &[
                "/etc/nginx/a.conf <- a.conf",
                "/etc/nginx/nginx.conf <- conf/nginx.conf",
                "/etc/nginx/sites/app.conf <- conf/sites/app.conf",
            ],
        ),
        // Sources are confined to the context.
        ("COPY ../../nginx.conf /x", &["/x <- nginx.conf"]),
    ];
    each_row(rows, placed);
}

#[test]
fn several_sources_and_wildcards() {
    let rows: &[(&str, &[&str])] = &[
        (
            "COPY a.conf b.conf /etc/nginx/conf.d/",
            &[
                "/etc/nginx/conf.d/a.conf <- a.conf",
                "/etc/nginx/conf.d/b.conf <- b.conf",
            ],
        ),
        // Top level only: `*.conf` does not reach into directories.
        (
            "COPY *.conf /c/",
            &[
                "/c/a.conf <- a.conf",
                "/c/b.conf <- b.conf",
                "/c/nginx.conf <- nginx.conf",
            ],
        ),
        (
            "COPY conf/*/*.conf /c/",
            &["/c/app.conf <- conf/sites/app.conf"],
        ),
        (
            "COPY [ab].conf /c/",
            &["/c/a.conf <- a.conf", "/c/b.conf <- b.conf"],
        ),
        // A matched directory copies its contents too.
        (
            "COPY conf.* /c/",
            &["/c/default.conf <- conf.d/default.conf"],
        ),
        // A wildcard that matches nothing copies nothing.
        ("COPY *.nothing /c/", &[]),
    ];
    each_row(rows, placed);
    // Without a trailing slash each source overwrites the last.
    let img = image("FROM scratch\nCOPY a.conf b.conf /x\n");
    assert_eq!(files(&img), ["/x <- b.conf"]);
    assert_noted(&img, NoteKind::SeveralSourcesToFile);
}

#[test]
fn relative_destinations_follow_workdir() {
    let rows: &[(&str, &[&str])] = &[
        ("WORKDIR /app\nCOPY a.conf .", &["/app/a.conf <- a.conf"]),
        (
            "WORKDIR /app\nCOPY a.conf sub/",
            &["/app/sub/a.conf <- a.conf"],
        ),
        ("WORKDIR /app\nCOPY a.conf b", &["/app/b <- a.conf"]),
        (
            "WORKDIR /app\nCOPY html ./public",
            &["/app/public/index.html <- html/index.html"],
        ),
        ("COPY a.conf rel", &["/rel <- a.conf"]),
        (
            "ENV D=/etc/nginx\nCOPY nginx.conf $D/",
            &["/etc/nginx/nginx.conf <- nginx.conf"],
        ),
    ];
    each_row(rows, placed);
}

#[test]
fn the_base_images_directories_decide_when_known() {
    let src = "FROM nginx:1.29\nCOPY nginx.conf /etc/nginx\nCOPY a.conf /etc/nginx/custom.conf\n";
    let img = run(src, &EvalOptions::new().base_images(&Known)).unwrap();
    assert_eq!(
        files(&img),
        [
            "/etc/nginx/custom.conf <- a.conf",
            "/etc/nginx/nginx.conf <- nginx.conf"
        ]
    );
    // Unknown base: written as the path, with the alternative recorded.
    let img = image("FROM ubuntu\nCOPY nginx.conf /etc/nginx\n");
    assert_eq!(img.files[0].path, "/etc/nginx");
    assert_eq!(
        img.files[0].if_dest_is_dir.as_deref(),
        Some("/etc/nginx/nginx.conf")
    );
    assert_noted(&img, NoteKind::DestinationMayBeDirectory);
}

#[test]
fn heredoc_sources_become_files_with_inline_content() {
    let src = "FROM scratch\nENV PORT=8080\nCOPY <<EOF /etc/nginx/conf.d/default.conf\nserver { listen $PORT; }\nEOF\nCOPY <<'RAW' /raw.conf\nlisten $PORT;\nRAW\nCOPY <<-TABS /tabs.conf\n\tindented\n\tTABS\nCOPY <<EOF /into/\nx\nEOF\n";
    let img = image(src);
    let content = |p: &str| match &img.file(p).unwrap().source {
        FileSource::Heredoc { content, body, .. } => (content.clone(), at(src, *body).to_owned()),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        content("/etc/nginx/conf.d/default.conf"),
        (
            "server { listen 8080; }\n".into(),
            "server { listen $PORT; }\n".into()
        )
    );
    assert_eq!(content("/raw.conf").0, "listen $PORT;\n");
    assert_eq!(content("/tabs.conf").0, "indented\n");
    assert_eq!(
        content("/into/EOF").0,
        "x\n",
        "into a directory the file is named after the marker"
    );
    let both = image("FROM scratch\nCOPY a.conf <<EOF /d/\nx\nEOF\n");
    assert_eq!(files(&both), ["/d/EOF <- <<EOF", "/d/a.conf <- a.conf"]);
}

#[test]
fn copy_from_a_stage_copies_what_that_stage_had() {
    let src = "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app\nFROM scratch\nCOPY --from=build /src/conf/ /etc/app/\nCOPY --from=0 /src/nginx.conf /etc/nginx/\nCOPY --from=build /out/app /usr/local/bin/\nCOPY --from=BUILD /src/*.conf /c/\n";
    let img = run(
        src,
        &EvalOptions::new().dockerignore("*.md\ndocs\nnode_modules\n*.log\n"),
    )
    .unwrap();
    let got = files(&img);
    let want = [
        "/c/a.conf <- a.conf",
        "/c/b.conf <- b.conf",
        "/c/nginx.conf <- nginx.conf",
        // The stage ran RUN on a base image: more may be in that directory.
        "/etc/app <- stage build:/src/conf",
        "/etc/app/nginx.conf <- conf/nginx.conf",
        "/etc/app/sites/app.conf <- conf/sites/app.conf",
        "/etc/nginx/nginx.conf <- nginx.conf",
        "/usr/local/bin/app <- stage build:/out/app",
    ];
    assert_eq!(got, want);
    assert_eq!(
        img.file("/usr/local/bin/app").unwrap().kind,
        FileKind::Opaque
    );
    assert_eq!(img.stages, [0, 1]);
    assert_eq!(img.file("/etc/app").unwrap().kind, FileKind::Opaque);
    // From a scratch stage without RUN the model knows everything.
    let src =
        "FROM scratch AS cfg\nCOPY conf /conf\nFROM scratch\nCOPY --from=cfg /conf /etc/nginx\n";
    let img = image(src);
    assert_eq!(
        files(&img),
        [
            "/etc/nginx/nginx.conf <- conf/nginx.conf",
            "/etc/nginx/sites/app.conf <- conf/sites/app.conf"
        ]
    );
}

#[test]
fn copy_from_an_image_and_from_errors() {
    let img = image(
        "FROM scratch\nCOPY --from=nginx:alpine /etc/nginx/nginx.conf /etc/nginx/nginx.conf\n",
    );
    assert_eq!(
        files(&img),
        ["/etc/nginx/nginx.conf <- image nginx:alpine:/etc/nginx/nginx.conf"]
    );
    let rows = [
        // Pitfall 10: no expansion in --from.
        (
            "ARG S=build\nFROM scratch AS build\nFROM scratch\nCOPY --from=$S /a /b\n",
            "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
        ),
        (
            "FROM scratch\nCOPY --from=5 /a /b\n",
            "invalid stage index 5",
        ),
        (
            "FROM scratch AS a\nCOPY --from=a /x /y\n",
            "circular dependency detected on stage: a",
        ),
        (
            "FROM scratch AS a\nCOPY --from=b /x /y\nFROM scratch AS b\nFROM a\n",
            "cannot copy from stage \"b\", it needs to be defined before current stage \"a\"",
        ),
    ];
    each_row(&rows, |src| refused(src).message);
}

#[test]
fn dockerignore_removes_files_from_the_context() {
    let opts = EvalOptions::new().dockerignore("*.md\n!README.md\nnode_modules\n**/*.log\n");
    let img = run("FROM scratch\nCOPY . /app/\n", &opts).unwrap();
    let got = files(&img);
    assert!(got.contains(&"/app/README.md <- README.md".to_owned()));
    assert!(
        got.contains(&"/app/docs/guide.md <- docs/guide.md".to_owned()),
        "patterns are anchored at the root"
    );
    assert!(
        !got.iter()
            .any(|f| f.contains("CHANGES.md") || f.contains("node_modules") || f.contains(".log")),
        "{got:?}"
    );
    assert_noted(&img, NoteKind::IgnoredFilesLeftOut);
    let e = run("FROM scratch\nCOPY CHANGES.md /x\n", &opts).unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::SourceNotFound);
    assert_eq!(
        e.message,
        "failed to compute cache key: \"/CHANGES.md\": not found (excluded by .dockerignore)"
    );
    assert_eq!(
        DockerIgnore::parse("[").map(|_| ()),
        Err("syntax error in pattern".to_owned())
    );
    let e = run(
        "FROM scratch\nCOPY a.conf /x\n",
        &EvalOptions::new().dockerignore("["),
    )
    .unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::IgnoreFile);
}

#[test]
fn a_failed_build_says_which_image_its_target_starts_from() {
    // Through stages built on stages, with the global ARGs expanded.
    let src = "ARG V=1.27\nFROM node:20 AS builder\nFROM builder AS assets\nFROM nginx:${V} AS web\nCOPY missing.conf /x\nFROM assets\nCOPY missing.conf /x\n";
    assert_eq!(refused(src).built_from.as_deref(), Some("node:20"));
    let web = run(src, &EvalOptions::new().target("web")).unwrap_err();
    assert_eq!(web.built_from.as_deref(), Some("nginx:1.27"));
    // Before the stage graph is read there is no image to name.
    let e = run(src, &EvalOptions::new().target("nope")).unwrap_err();
    assert_eq!(
        (e.kind, e.built_from),
        (EvalErrorKind::TargetNotFound, None)
    );
}

#[test]
fn missing_sources_are_errors() {
    let e = refused("FROM scratch\nCOPY missing.conf /x\n");
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            EvalErrorKind::SourceNotFound,
            "failed to compute cache key: \"/missing.conf\": not found"
        )
    );
    let src = "FROM scratch\nCOPY nope/*.conf /x/\n";
    assert_eq!(refused(src).kind, EvalErrorKind::SourceNotFound);
    let e = refused("FROM scratch\nCOPY a.conf /f\nCOPY conf /f\n");
    assert_eq!(e.message, "cannot copy to non-directory: /f");
}

#[test]
fn add_urls_git_and_archives() {
    let rows: &[(&str, &[&str])] = &[
        (
            "ADD https://example.com/dl/tool.tgz?x=1 /opt/",
            &["/opt/tool.tgz <- https://example.com/dl/tool.tgz?x=1"],
        ),
        (
            "ADD https://example.com/ /opt/",
            &["/opt/__unnamed__ <- https://example.com/"],
        ),
        (
            "ADD https://github.com/o/r.git /src",
            &["/src <- git https://github.com/o/r.git"],
        ),
        (
            "ADD vendor.tar.gz /vendor/",
            &["/vendor <- archive vendor.tar.gz"],
        ),
        (
            "ADD --unpack=false vendor.tar.gz /vendor/",
            &["/vendor/vendor.tar.gz <- vendor.tar.gz"],
        ),
        (
            "COPY vendor.tar.gz /vendor/",
            &["/vendor/vendor.tar.gz <- vendor.tar.gz"],
        ),
        ("ADD a.conf /etc/", &["/etc/a.conf <- a.conf"]),
    ];
    each_row(rows, placed);
    let rows = [
        (
            "COPY https://example.com/x /x",
            "source can't be a URL for COPY",
        ),
        (
            "COPY git@github.com:o/r.git /x",
            "source can't be a git ref for COPY",
        ),
        (
            "ADD --checksum=sha256:00 a.conf /x",
            "checksum requires HTTP(S) or Git sources",
        ),
        (
            "ADD --checksum=sha256:00 https://a/b https://a/c /x/",
            "checksum can't be specified for multiple sources",
        ),
        (
            "COPY --chmod=999 a.conf /x",
            "invalid chmod parameter: '999'. it should be octal string and between 0 and 07777",
        ),
    ];
    for (body, msg) in rows {
        assert_eq!(
            run(&format!("FROM scratch\n{body}\n"), &EvalOptions::new())
                .unwrap_err()
                .message,
            msg,
            "{body}"
        );
    }
}

#[test]
fn flags_are_recorded_and_exclude_and_parents_apply() {
    let img =
        image("FROM scratch\nARG U=101\nCOPY --chown=$U:$U --chmod=644 nginx.conf /etc/nginx/\n");
    let f = &img.files[0];
    assert_eq!(
        (f.chown.as_deref(), f.chmod.as_deref()),
        (Some("101:101"), Some("644"))
    );
    // Patterns are anchored like `.dockerignore` lines, and a pattern that
    // matches a directory leaves out everything in it.
    assert_eq!(
        placed("COPY --exclude=*.conf conf /c/"),
        ["/c/sites/app.conf <- conf/sites/app.conf"]
    );
    assert_eq!(
        placed("COPY --exclude=**/*.conf conf /c/"),
        Vec::<String>::new()
    );
    assert_eq!(
        placed("COPY --exclude=sites conf /c/"),
        ["/c/nginx.conf <- conf/nginx.conf"]
    );
    assert_eq!(
        placed("COPY --parents conf/sites/app.conf html /p/"),
        [
            "/p/conf/sites/app.conf <- conf/sites/app.conf",
            "/p/html/index.html <- html/index.html"
        ]
    );
    assert_eq!(
        placed("COPY --parents ./conf/./sites/app.conf /p/"),
        ["/p/sites/app.conf <- conf/sites/app.conf"]
    );
}

#[test]
fn the_files_budget_is_enforced() {
    let cases = [
        (
            EvalOptions::new(),
            budget_with(|b| b.max_files = 3),
            Limit::Files,
        ),
        (
            EvalOptions::new(),
            budget_with(|b| b.max_context_entries = 5),
            Limit::ContextEntries,
        ),
        (
            EvalOptions::new().dockerignore("a\nb\nc\n"),
            budget_with(|b| b.max_ignore_checks = 20),
            Limit::IgnoreChecks,
        ),
    ];
    for (opts, budget, limit) in cases {
        let e = run("FROM scratch\nCOPY . /app/\n", &opts.budget(budget)).unwrap_err();
        assert_eq!(e.kind, EvalErrorKind::Budget(limit), "{limit:?}");
    }
}

#[test]
fn memory_context_lists_directories() {
    let c = ctx();
    assert_eq!(c.kind(""), Some(EntryKind::Dir));
    assert_eq!(c.kind("conf/sites"), Some(EntryKind::Dir));
    assert_eq!(c.kind("conf/nginx.conf"), Some(EntryKind::File));
    assert_eq!(c.kind("nope"), None);
    let names: Vec<String> = c.read_dir("conf").into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["nginx.conf", "sites"]);
    assert!(c.read_dir("nginx.conf").is_empty());
}

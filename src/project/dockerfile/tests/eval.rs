//! Evaluation of the image config: stages, ARG/ENV scope, WORKDIR, USER,
//! EXPOSE, ENTRYPOINT/CMD, SHELL, HEALTHCHECK, STOPSIGNAL, ONBUILD, and
//! the budget (projects-as-shipped.md §5.4, §5.6, §5.7, §5.9; pitfalls
//! 8–10, 12).

use super::*;

/// What these tests know of `nginx` images.
pub(super) struct Known;

impl BaseImages for Known {
    fn config(&self, reference: &str) -> Option<BaseImageConfig> {
        reference.starts_with("nginx").then(|| BaseImageConfig {
            env: vec![
                ("PATH".into(), "/usr/bin".into()),
                ("NGINX_VERSION".into(), "1.29.8".into()),
            ],
            entrypoint: Some(vec!["/docker-entrypoint.sh".into()]),
            cmd: Some(vec!["nginx".into(), "-g".into(), "daemon off;".into()]),
            exposed: vec![(80, "tcp".into())],
            stop_signal: Some("SIGQUIT".into()),
            ..BaseImageConfig::default()
        })
    }
    fn is_dir(&self, reference: &str, path: &str) -> Option<bool> {
        reference
            .starts_with("nginx")
            .then(|| ["/etc/nginx", "/etc/nginx/conf.d", "/usr/share/nginx/html"].contains(&path))
    }
}

/// Evaluates with default options and an empty context.
pub(super) fn eval(src: &str) -> Image {
    eval_with(src, &EvalOptions::new())
}

pub(super) fn eval_with(src: &str, opts: &EvalOptions<'_>) -> Image {
    let p = clean(src);
    evaluate(&p, opts, &MemoryContext::default()).unwrap_or_else(|e| panic!("{src:?}: {e:?}"))
}

pub(super) fn eval_err(src: &str, opts: &EvalOptions<'_>) -> EvalError {
    let p = clean(src);
    evaluate(&p, opts, &MemoryContext::default()).expect_err(src)
}

fn env(img: &Image) -> Vec<(&str, &str)> {
    img.env
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect()
}

fn var<'a>(img: &'a Image, name: &str) -> Option<&'a str> {
    img.env_var(name).map(|v| v.value.as_str())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn argv(img: &Image) -> Vec<String> {
    img.process(Runtime::Docker, &RuntimeOverride::none())
        .expect("known argv")
}

#[test]
fn entrypoint_and_cmd_combine_as_the_reference_table_says() {
    // §5.4: rows are CMD, columns ENTRYPOINT.
    let sh = |s: &str| vec!["/bin/sh".to_owned(), "-c".to_owned(), s.to_owned()];
    let cases: [(&str, &str, Vec<String>); 9] = [
        ("", "", vec![]),
        ("", "CMD [\"c\",\"q\"]", strings(&["c", "q"])),
        ("", "CMD c q", sh("c q")),
        ("ENTRYPOINT e p", "", sh("e p")),
        (
            "ENTRYPOINT e p",
            "CMD [\"c\",\"q\"]",
            [sh("e p"), strings(&["c", "q"])].concat(),
        ),
        ("ENTRYPOINT e p", "CMD c q", [sh("e p"), sh("c q")].concat()),
        ("ENTRYPOINT [\"e\",\"p\"]", "", strings(&["e", "p"])),
        (
            "ENTRYPOINT [\"e\",\"p\"]",
            "CMD [\"c\",\"q\"]",
            strings(&["e", "p", "c", "q"]),
        ),
        (
            "ENTRYPOINT [\"e\",\"p\"]",
            "CMD c q",
            [strings(&["e", "p"]), sh("c q")].concat(),
        ),
    ];
    for (ep, cmd, want) in cases {
        for order in [[ep, cmd], [cmd, ep]] {
            let img = eval(&format!("FROM scratch\n{}\n{}\n", order[0], order[1]));
            assert_eq!(argv(&img), want, "{order:?}");
        }
    }
}

#[test]
fn entrypoint_clears_an_inherited_cmd_unless_the_stage_sets_cmd() {
    // Pitfall 9, first half.
    let base = "FROM scratch AS base\nCMD [\"serve\"]\n";
    let img = eval(&format!("{base}FROM base\nENTRYPOINT [\"run\"]\n"));
    assert_eq!(img.cmd, Setting::Unset);
    assert_eq!(argv(&img), ["run"]);
    let img = eval(&format!(
        "{base}FROM base\nCMD [\"other\"]\nENTRYPOINT [\"run\"]\n"
    ));
    assert_eq!(argv(&img), ["run", "other"]);
    let img = eval(&format!(
        "{base}FROM base\nENTRYPOINT [\"run\"]\nCMD [\"late\"]\n"
    ));
    assert_eq!(argv(&img), ["run", "late"]);
    let img = eval(&format!("{base}FROM base\nUSER nobody\n"));
    assert_eq!(argv(&img), ["serve"], "inherited unchanged");
    // The same with a known base image's CMD.
    let img = eval_with(
        "FROM nginx:1.29\nENTRYPOINT [\"/my-entry.sh\"]\n",
        &EvalOptions::new().base_images(&Known),
    );
    assert_eq!(img.cmd, Setting::Unset);
    assert_eq!(argv(&img), ["/my-entry.sh"]);
}

#[test]
fn config_inherits_from_a_known_or_unknown_base_image() {
    let src = "FROM nginx:1.29-alpine\nCOPY nginx.conf /etc/nginx/nginx.conf\n";
    let p = clean(src);
    let ctx = MemoryContext::new(["nginx.conf"]);
    let img = evaluate(&p, &EvalOptions::new().base_images(&Known), &ctx).unwrap();
    assert_eq!(img.base, BaseRef::Image("nginx:1.29-alpine".into()));
    assert_eq!(at(src, img.base_span), "FROM nginx:1.29-alpine");
    assert_eq!(
        argv(&img),
        ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]
    );
    assert_eq!(img.stop_signal, Setting::Base("SIGQUIT".into()));
    assert_eq!(
        img.exposed,
        [ExposedPort {
            port: 80,
            proto: "tcp".into(),
            span: None
        }]
    );
    assert!(img.env_complete);
    // Unknown base: the values say so, and the argv is not guessed.
    let img = evaluate(&p, &EvalOptions::new(), &ctx).unwrap();
    assert_eq!(img.entrypoint, Setting::Unknown);
    assert_eq!(img.cmd, Setting::Unknown);
    assert!(
        img.process(Runtime::Docker, &RuntimeOverride::none())
            .is_none()
    );
    assert_eq!(
        img.process(
            Runtime::Docker,
            &RuntimeOverride::new(Some(strings(&["nginx"])), None)
        ),
        Some(strings(&["nginx"])),
        "an entrypoint override needs neither"
    );
    assert!(!img.env_complete && !img.exposed_complete);
}

#[test]
fn shell_form_uses_the_latest_shell_also_from_a_base_stage() {
    let img = eval("FROM scratch AS a\nSHELL [\"/bin/bash\", \"-lc\"]\nFROM a\nCMD echo $HOME\n");
    assert_eq!(argv(&img), ["/bin/bash", "-lc", "echo $HOME"]);
    // Pitfall 8: exec form is not expanded by the builder or a shell.
    let img = eval("FROM scratch\nENV PORT=8000\nCMD [\"gunicorn\",\"-b\",\"0.0.0.0:$PORT\"]\n");
    assert_eq!(argv(&img), ["gunicorn", "-b", "0.0.0.0:$PORT"]);
    let img = eval("FROM scratch\nCMD ['nginx','-g','daemon off;']\n");
    assert_eq!(
        argv(&img),
        ["/bin/sh", "-c", "['nginx','-g','daemon off;']"]
    );
    let img = eval("FROM scratch\nCMD\n");
    assert_eq!(argv(&img), ["/bin/sh", "-c", ""]);
}

#[test]
fn global_args_are_for_from_lines_only() {
    // Pitfall 10.
    let src = "ARG V=1.25\nARG IMG=nginx:$V\nFROM ${IMG}-alpine\nENV A=$V\nARG V\nENV B=$V\n";
    let img = eval(src);
    assert_eq!(img.base, BaseRef::Image("nginx:1.25-alpine".into()));
    assert_eq!(
        var(&img, "A"),
        Some(""),
        "not visible before re-declaration"
    );
    assert_eq!(
        var(&img, "B"),
        Some("1.25"),
        "ARG without value takes the global default"
    );
    let img = eval_with(src, &EvalOptions::new().build_arg("V", "1.27"));
    assert_eq!(img.base, BaseRef::Image("nginx:1.27-alpine".into()));
    assert_eq!(var(&img, "B"), Some("1.27"));
}

#[test]
fn platform_args_are_global_and_need_declaring_in_a_stage() {
    let src = "FROM --platform=$BUILDPLATFORM golang:1.22-$TARGETARCH AS build\nENV A=$TARGETARCH\nARG TARGETARCH TARGETPLATFORM TARGETSTAGE\nENV B=$TARGETARCH C=$TARGETPLATFORM D=$TARGETSTAGE\n";
    let img = eval_with(src, &EvalOptions::new().platform("linux/arm64/v8"));
    assert_eq!(img.base, BaseRef::Image("golang:1.22-arm64".into()));
    assert_eq!(var(&img, "A"), Some(""));
    assert_eq!(
        (var(&img, "B"), var(&img, "C"), var(&img, "D")),
        (Some("arm64"), Some("linux/arm64/v8"), Some("build"))
    );
    let img = eval_with(src, &EvalOptions::new());
    assert_eq!(var(&img, "C"), Some("linux/amd64"));
}

#[test]
fn build_args_apply_to_declared_args_only() {
    let src = "FROM scratch\nARG PORT=80\nENV P=$PORT Q=$UNDECLARED\n";
    let img = eval_with(
        src,
        &EvalOptions::new()
            .build_arg("PORT", "8080")
            .build_arg("UNDECLARED", "x"),
    );
    assert_eq!(var(&img, "P"), Some("8080"));
    assert_eq!(var(&img, "Q"), Some(""));
    assert!(
        img.env_var("PORT").is_none(),
        "ARG values are not in the image"
    );
}

#[test]
fn env_and_arg_precedence() {
    let img = eval("FROM scratch\nARG A=arg\nENV A=env\nENV B=$A\n");
    assert_eq!(var(&img, "B"), Some("env"), "ENV after ARG wins");
    // BuildKit adds a later ARG to the builder environment with
    // AddOrReplace: it is what later expansion sees; the image keeps ENV.
    let img = eval("FROM scratch\nENV A=env\nARG A=arg\nENV B=$A\n");
    assert_eq!(var(&img, "B"), Some("arg"));
    assert_eq!(var(&img, "A"), Some("env"));
}

#[test]
fn one_value_per_variable_per_instruction() {
    let img = eval("FROM scratch\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n");
    assert_eq!(var(&img, "def"), Some("hello"));
    assert_eq!(var(&img, "ghi"), Some("bye"));
}

#[test]
fn env_values() {
    let src = "FROM scratch\nENV HOME=/root\nENV A=\"x y\" B='$HOME' C=\"$HOME\" D=\\$HOME E=${HOME}/app F=${NOPE:-d}\nENV LEGACY value with spaces\n";
    let img = eval(src);
    for (k, v) in [
        ("A", "x y"),
        ("B", "$HOME"),
        ("C", "/root"),
        ("D", "$HOME"),
        ("E", "/root/app"),
        ("F", "d"),
        ("LEGACY", "value with spaces"),
    ] {
        assert_eq!(var(&img, k), Some(v), "{k}");
    }
    assert_eq!(
        env(&img)[0],
        (
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        ),
        "BuildKit's default PATH on scratch"
    );
    let a = img.env_var("A").unwrap();
    assert_eq!(at(src, a.span.unwrap()), "A=\"x y\"");
    let e = eval_err(
        "FROM scratch\nENV X=${NOPE:?required}\n",
        &EvalOptions::new(),
    );
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            EvalErrorKind::Build,
            "failed to process \"${NOPE:?required}\": NOPE: required"
        )
    );
}

#[test]
fn stage_args_and_env_carry_into_child_stages() {
    let img = eval("FROM scratch AS a\nARG X=1\nENV Y=2\nWORKDIR /srv\nFROM a\nENV Z=$X$Y\n");
    assert_eq!(var(&img, "Z"), Some("12"));
    assert_eq!(img.workdir.value().map(String::as_str), Some("/srv"));
}

#[test]
fn unknown_base_variables_are_noted() {
    let img = eval("FROM node:20\nARG DECLARED\nENV A=$NODE_VERSION B=$DECLARED\n");
    let noted: Vec<&Note> = img
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::VariableFromBase)
        .collect();
    assert_eq!(noted.len(), 1);
    crate::testing::assert_contains(&noted[0].message, "`NODE_VERSION`");
    crate::testing::assert_contains(&noted[0].message, "`node:20`");
    let img = eval_with(
        "FROM nginx\nENV V=$NGINX_VERSION\n",
        &EvalOptions::new().base_images(&Known),
    );
    assert_eq!(var(&img, "V"), Some("1.29.8"));
    assert!(img.notes.is_empty());
}

#[test]
fn workdir_stacks_and_expands() {
    let img = eval("FROM scratch\nENV D=srv\nWORKDIR /a\nWORKDIR b\nWORKDIR ../c\nWORKDIR $D\n");
    assert_eq!(img.workdir.value().map(String::as_str), Some("/a/c/srv"));
    let img = eval("FROM scratch\nWORKDIR rel\n");
    assert_eq!(img.workdir.value().map(String::as_str), Some("/rel"));
    let img = eval("FROM python:3\nWORKDIR app\n");
    assert_eq!(img.workdir.value().map(String::as_str), Some("/app"));
    assert_noted(&img, NoteKind::WorkdirOnUnknownBase);
}

#[test]
fn user_stop_signal_volumes_labels() {
    let img = eval(
        "FROM scratch\nARG U=app\nUSER ${U}:${U}\nSTOPSIGNAL SIGQUIT\nVOLUME /data [\"/x\"]\nVOLUME [\"/logs\"]\nLABEL a=1 b=\"two words\"\nLABEL a=3\n",
    );
    assert_eq!(img.user.value().map(String::as_str), Some("app:app"));
    assert_eq!(img.stop_signal.value().map(String::as_str), Some("SIGQUIT"));
    // Not JSON as a whole: split on blanks, then quotes are processed.
    assert_eq!(img.volumes, ["/data", "[/x]", "/logs"]);
    assert_eq!(
        img.labels,
        [
            ("a".to_owned(), "3".to_owned()),
            ("b".to_owned(), "two words".to_owned())
        ]
    );
    for sig in ["9", "sigterm", "RTMIN+3", "SIGRTMAX-1"] {
        eval(&format!("FROM scratch\nSTOPSIGNAL {sig}\n"));
    }
    let e = eval_err("FROM scratch\nSTOPSIGNAL SIGNOPE\n", &EvalOptions::new());
    assert_eq!(e.message, "Invalid signal: SIGNOPE");
}

#[test]
fn expose_ranges_protocols_and_variables() {
    let img = eval(
        "FROM scratch\nENV P=3000\nEXPOSE 80 8000-8002/tcp 53/UDP $P 127.0.0.1:9000:9090 80\n",
    );
    let got: Vec<(u16, &str)> = img
        .exposed
        .iter()
        .map(|p| (p.port, p.proto.as_str()))
        .collect();
    // Pitfall 12: only the container port is kept; EXPOSE is metadata.
    assert_eq!(
        got,
        [
            (53, "udp"),
            (80, "tcp"),
            (3000, "tcp"),
            (8000, "tcp"),
            (8001, "tcp"),
            (8002, "tcp"),
            (9090, "tcp")
        ]
    );
    let rows = [
        (
            "EXPOSE 80/xyz",
            "invalid port: \"80/xyz\": invalid proto: xyz",
        ),
        ("EXPOSE 9-1", "invalid containerPort: 9-1"),
        ("EXPOSE 70000", "invalid containerPort: 70000"),
        ("EXPOSE /tcp", "invalid port: \"/tcp\": no port specified"),
    ];
    for (line, msg) in rows {
        assert_eq!(
            eval_err(&format!("FROM scratch\n{line}\n"), &EvalOptions::new()).message,
            msg,
            "{line}"
        );
    }
}

#[test]
fn healthcheck_and_none() {
    let img = eval(
        "FROM scratch AS a\nHEALTHCHECK --interval=10s CMD curl -f http://localhost/\nFROM a\n",
    );
    let h = img.healthcheck.value().unwrap();
    assert_eq!(
        h.test,
        HealthTest::CmdShell("curl -f http://localhost/".into())
    );
    assert_eq!(h.interval, std::time::Duration::from_secs(10));
    let img = eval("FROM scratch AS a\nHEALTHCHECK CMD [\"true\"]\nFROM a\nHEALTHCHECK NONE\n");
    assert_eq!(
        img.healthcheck.value().map(|h| &h.test),
        Some(&HealthTest::None)
    );
}

#[test]
fn target_picks_the_stage_and_unneeded_stages_are_not_evaluated() {
    let src = "FROM scratch AS build\nENV B=1\nFROM scratch AS broken\nSTOPSIGNAL NOPE\nFROM build AS web\nENV W=1\nFROM scratch AS last\n";
    let img = eval_with(src, &EvalOptions::new().target("WEB"));
    assert_eq!((img.stage, img.stage_name.as_deref()), (2, Some("web")));
    assert_eq!(img.stages, [0, 2]);
    assert_eq!(var(&img, "B"), Some("1"));
    let last = eval(src);
    assert_eq!(last.stage, 3);
    let e = eval_err(src, &EvalOptions::new().target("nope"));
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            EvalErrorKind::TargetNotFound,
            "target stage \"nope\" could not be found"
        )
    );
    let e = eval_err(src, &EvalOptions::new().target("broken"));
    assert_eq!(e.message, "Invalid signal: NOPE");
}

#[test]
fn from_errors() {
    let rows = [
        ("ARG E\nFROM $E\n", "base name ($E) should not be blank"),
        (
            "FROM Nginx\n",
            "failed to parse stage name \"Nginx\": invalid reference format: repository name must be lowercase",
        ),
    ];
    each_row(&rows, |src| eval_err(src, &EvalOptions::new()).message);
    // A stage is found by its exact (lower-case) name only.
    let img = eval("FROM scratch AS base\nFROM base\n");
    assert_eq!(img.base, BaseRef::Scratch);
}

#[test]
fn onbuild_triggers_run_in_the_child_stage_only() {
    let src = "FROM scratch AS base\nONBUILD ENV TRIGGERED=yes\nFROM base AS child\nFROM child AS grandchild\n";
    assert_eq!(
        var(
            &eval_with(src, &EvalOptions::new().target("base")),
            "TRIGGERED"
        ),
        None
    );
    assert_eq!(
        var(
            &eval_with(src, &EvalOptions::new().target("child")),
            "TRIGGERED"
        ),
        Some("yes")
    );
    let img = eval(src);
    assert_eq!(
        var(&img, "TRIGGERED"),
        Some("yes"),
        "inherited from child, not run again"
    );
    let e = eval_err(
        "FROM scratch AS base\nONBUILD COPY a\nFROM base\n",
        &EvalOptions::new(),
    );
    assert!(
        e.message
            .starts_with("COPY requires at least two arguments"),
        "{}",
        e.message
    );
}

#[test]
fn parse_errors_stop_evaluation() {
    let p = parse("FROM x\nFOO bar\n");
    let e = evaluate(&p, &EvalOptions::new(), &MemoryContext::default()).unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (EvalErrorKind::Parse, "unknown instruction: FOO")
    );
}

#[test]
fn budget_limits_are_reported() {
    let tight = |b: Budget| EvalOptions::new().budget(b);
    let rows: [(String, Budget, Limit); 4] = [
        (
            "FROM scratch\nENV A=1\nENV B=2\nENV C=3\n".into(),
            budget_with(|b| b.max_instructions = 2),
            Limit::Instructions,
        ),
        (
            "FROM scratch\nFROM scratch\nFROM scratch\n".into(),
            budget_with(|b| b.max_stages = 2),
            Limit::Stages,
        ),
        (
            format!("FROM scratch\nENV A={}\nENV B=$A$A\n", "x".repeat(600)),
            budget_with(|b| b.max_value_len = 1000),
            Limit::ValueLength,
        ),
        (
            "FROM scratch\nEXPOSE 1-65535\n".into(),
            budget_with(|b| b.max_ports = 1000),
            Limit::Ports,
        ),
    ];
    for (src, b, limit) in rows {
        assert_eq!(
            eval_err(&src, &tight(b)).kind,
            EvalErrorKind::Budget(limit),
            "{limit:?}"
        );
    }
}

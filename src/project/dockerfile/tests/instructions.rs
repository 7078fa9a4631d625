//! Arguments of each instruction: exec versus shell form, JSON arrays,
//! flags, ENV/ARG/LABEL words, and BuildKit's error messages
//! (projects-as-shipped.md §5.3, pitfall 8).

use super::*;

/// `Exec(elements)` or `Shell(text)` of a CMD line, as strings.
fn form(line: &str) -> Result<Vec<String>, String> {
    let i = second(line);
    match i.args {
        Args::Cmd(CommandLine::Exec(w)) => Ok(w.into_iter().map(|w| w.text).collect()),
        Args::Cmd(CommandLine::Shell(w)) => Err(w.text),
        other => panic!("{other:?}"),
    }
}

#[test]
fn exec_form_is_a_json_array_of_strings_else_shell_form() {
    let exec = |v: &[&str]| Ok(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let shell = |s: &str| Err(s.to_owned());
    let rows = [
        // No spaces between elements: still three elements.
        (
            r#"CMD ["nginx","-g","daemon off;"]"#,
            exec(&["nginx", "-g", "daemon off;"]),
        ),
        (r#"CMD   [ "nginx" , "-g" ]  "#, exec(&["nginx", "-g"])),
        (
            r#"CMD ["a\"b", "\u0041\n", "\/"]"#,
            exec(&["a\"b", "A\n", "/"]),
        ),
        (
            r#"CMD ["\ud83d\ude00", "\ud800"]"#,
            exec(&["\u{1F600}", "\u{FFFD}"]),
        ),
        ("CMD []", exec(&[])),
        // Pitfall 8: single quotes are not JSON, so this is shell form.
        (
            "CMD ['nginx','-g','daemon off;']",
            shell("['nginx','-g','daemon off;']"),
        ),
        (r#"CMD ["a", "b""#, shell(r#"["a", "b""#)),
        (r#"CMD ["a"] extra"#, shell(r#"["a"] extra"#)),
        (r#"CMD {"a": 1}"#, shell(r#"{"a": 1}"#)),
        (
            "CMD nginx -g 'daemon off;'",
            shell("nginx -g 'daemon off;'"),
        ),
        (r#"CMD ["a", 01]"#, shell(r#"["a", 01]"#)),
        ("CMD", shell("")),
    ];
    each_row(&rows, form);
}

#[test]
fn json_array_with_a_non_string_is_an_error() {
    for line in [
        r#"CMD ["a", 1]"#,
        r#"ENTRYPOINT ["a", ["b"]]"#,
        r#"RUN ["a", {"b": true}]"#,
        r#"COPY ["a", null]"#,
        "CMD [1.5e3]",
    ] {
        assert_eq!(
            error_of(line),
            "when using JSON array syntax, arrays must be comprised of strings only",
            "{line}"
        );
    }
}

#[test]
fn exec_elements_keep_the_span_of_their_json_token() {
    let (src, i) = second_in(r#"ENTRYPOINT ["/docker-entrypoint.sh","nginx"]"#);
    let Args::Entrypoint(CommandLine::Exec(w)) = &i.args else {
        panic!()
    };
    assert_eq!(at(&src, w[0].span), r#""/docker-entrypoint.sh""#);
    assert_eq!(at(&src, w[1].span), r#""nginx""#);
}

#[test]
fn shell_instruction_must_be_json() {
    assert!(
        matches!(second(r#"SHELL ["/bin/bash", "-c"]"#).args, Args::Shell(w) if texts(&w) == ["/bin/bash", "-c"])
    );
    assert_eq!(
        error_of("SHELL /bin/bash -c"),
        "SHELL requires the arguments to be in JSON form"
    );
    assert_eq!(error_of("SHELL []"), "SHELL requires at least one argument");
    assert_eq!(error_of("SHELL"), "SHELL requires at least one argument");
}

#[test]
fn copy_sources_and_destination() {
    let rows: &[(&str, &[&str], &str, bool)] = &[
        ("COPY a b /dest/", &["a", "b"], "/dest/", false),
        (r#"COPY ["a b", "c"]"#, &["a b"], "c", true),
        (
            "ADD   https://x/y.tgz   /opt/",
            &["https://x/y.tgz"],
            "/opt/",
            false,
        ),
        (
            "COPY <<EOF /etc/x.conf\nhi\nEOF",
            &["<<EOF"],
            "/etc/x.conf",
            false,
        ),
    ];
    for (line, sources, dest, json) in rows {
        let (Args::Copy(c) | Args::Add(c)) = second(line).args else {
            panic!("{line}")
        };
        assert_eq!(texts(&c.sources), *sources, "{line}");
        assert_eq!(c.dest.text, *dest);
        assert_eq!(c.json, *json);
    }
}

#[test]
fn flags() {
    let i = second(
        r#"COPY --from=build --chown="app user:app" --link --exclude=*.md --exclude=*.txt . /app/"#,
    );
    assert_eq!(
        i.flag("from").and_then(|f| f.value.as_deref()),
        Some("build")
    );
    assert_eq!(
        i.flag("chown").and_then(|f| f.value.as_deref()),
        Some("app user:app")
    );
    assert_eq!(i.flag("link").map(|f| f.value.clone()), Some(None));
    assert_eq!(i.flag_values("exclude"), ["*.md", "*.txt"]);
    let src = "FROM x\nCOPY --from=build a b\n";
    let p = clean(src);
    assert_eq!(at(src, p.instructions[1].flags[0].span), "--from=build");
    // `--` ends the flags.
    let Args::Run(CommandLine::Shell(w)) = second("RUN -- --not-a-flag").args else {
        panic!()
    };
    assert_eq!(w.text, "--not-a-flag");
}

#[test]
fn flag_errors() {
    let rows = [
        ("COPY --foo=1 a b", "unknown flag: --foo"),
        ("COPY --link --link a b", "duplicate flag specified: --link"),
        ("COPY --from a b", "missing a value on flag: --from"),
        ("COPY --link= a b", "missing a value on flag: --link"),
        (
            "COPY --link=maybe a b",
            "expecting boolean value for flag --link, not: maybe",
        ),
        ("COPY --checksum=sha256:0 a b", "unknown flag: --checksum"),
        ("ADD --from=x a b", "unknown flag: --from"),
        ("CMD --verbose", "unknown flag: --verbose"),
        ("ENV --x A=1", "unknown flag: --x"),
        ("FROM --plat=linux x", "unknown flag: --plat"),
        ("HEALTHCHECK --foo=1 CMD x", "unknown flag: --foo"),
    ];
    each_row(&rows, error_of);
    clean(
        "FROM x\nCOPY --exclude=a --exclude=b . /\nRUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/b true\n",
    );
    clean("FROM x\nADD --checksum=sha256:0 --unpack=false --keep-git-dir https://x/y /z\n");
}

#[test]
fn env_and_label_pairs() {
    let (src, i) = second_in("ENV A=1 B=\"x y\" C='$D' E=\\$F\n");
    let Args::Env(kvs) = &i.args else { panic!() };
    let pairs: Vec<(&str, &str)> = kvs
        .iter()
        .map(|kv| (kv.key.text.as_str(), kv.value.text.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [("A", "1"), ("B", "\"x y\""), ("C", "'$D'"), ("E", "\\$F")]
    );
    assert_eq!(at(&src, kvs[1].key.span), "B");
    assert_eq!(at(&src, kvs[1].value.span), "\"x y\"");
    assert!(kvs.iter().all(|kv| !kv.legacy));
}

#[test]
fn legacy_env_sets_one_key_to_the_rest_of_the_line() {
    let rows = [
        ("ENV K V W", ("K", "V W")),
        ("ENV ONE TWO= THREE=world", ("ONE", "TWO= THREE=world")),
        ("ENV   PATH   /a:/b  ", ("PATH", "/a:/b")),
    ];
    for (line, (k, v)) in rows {
        let Args::Env(kvs) = second(line).args else {
            panic!()
        };
        assert_eq!(kvs.len(), 1);
        assert_eq!(
            (kvs[0].key.text.as_str(), kvs[0].value.text.as_str()),
            (k, v),
            "{line}"
        );
        assert!(kvs[0].legacy);
    }
}

#[test]
fn env_errors() {
    let rows = [
        ("ENV A", "ENV must have two arguments"),
        (
            "ENV A=1 B",
            "Syntax error - can't find = in \"B\". Must be of the form: name=value",
        ),
        ("ENV =x", "ENV names can not be blank"),
        ("ENV", "ENV requires at least one argument"),
        ("LABEL a", "LABEL must have two arguments"),
        ("ARG", "ARG requires at least one argument"),
        ("ARG =x", "ARG names can not be blank"),
    ];
    each_row(&rows, error_of);
}

#[test]
fn arg_declarations() {
    let (src, i) = second_in("ARG A B=2 C=\"x y\"\n");
    let Args::Arg(d) = &i.args else { panic!() };
    let got: Vec<(&str, Option<&str>)> = d
        .iter()
        .map(|d| {
            (
                d.name.text.as_str(),
                d.default.as_ref().map(|w| w.text.as_str()),
            )
        })
        .collect();
    assert_eq!(got, [("A", None), ("B", Some("2")), ("C", Some("\"x y\""))]);
    assert_eq!(at(&src, d[2].default.as_ref().unwrap().span), "\"x y\"");
}

#[test]
fn from_lines() {
    let p = clean("FROM --platform=$BUILDPLATFORM golang:1.22 as Build\nFROM nginx\n");
    let Args::From { image, name } = &p.instructions[0].args else {
        panic!()
    };
    assert_eq!(image.text, "golang:1.22");
    assert_eq!(
        name.as_ref().map(|n| n.text.as_str()),
        Some("build"),
        "stage names are lower-cased"
    );
    assert_eq!(
        p.instructions[0]
            .flag("platform")
            .and_then(|f| f.value.as_deref()),
        Some("$BUILDPLATFORM")
    );
    let rows = [
        ("FROM a b", "FROM requires either one or three arguments"),
        ("FROM", "FROM requires either one or three arguments"),
        (
            "FROM a AS 1x",
            "invalid name for build stage: \"1x\", name can't start with a number or contain symbols",
        ),
        (
            "FROM a AS b$c",
            "invalid name for build stage: \"b$c\", name can't start with a number or contain symbols",
        ),
    ];
    for (src, msg) in rows {
        assert_eq!(errors(&parse(src)), [msg], "{src}");
    }
}

#[test]
fn single_argument_instructions() {
    assert!(matches!(second("WORKDIR /a b").args, Args::Workdir(w) if w.text == "/a b"));
    assert!(
        matches!(second("USER www-data:www-data").args, Args::User(w) if w.text == "www-data:www-data")
    );
    assert!(
        matches!(second("STOPSIGNAL SIGQUIT").args, Args::StopSignal(w) if w.text == "SIGQUIT")
    );
    assert!(
        matches!(second("MAINTAINER me <me@x>").args, Args::Maintainer(w) if w.text == "me <me@x>")
    );
    for kw in ["WORKDIR", "USER", "STOPSIGNAL", "MAINTAINER"] {
        assert_eq!(error_of(kw), format!("{kw} requires exactly one argument"));
    }
}

#[test]
fn list_instructions() {
    assert!(
        matches!(second("EXPOSE 80  443/tcp\t53/udp").args, Args::Expose(w) if texts(&w) == ["80", "443/tcp", "53/udp"])
    );
    assert!(
        matches!(second(r#"VOLUME ["/data", "/logs"]"#).args, Args::Volume(w) if texts(&w) == ["/data", "/logs"])
    );
    assert!(matches!(second("VOLUME /a /b").args, Args::Volume(w) if texts(&w) == ["/a", "/b"]));
    assert_eq!(error_of("EXPOSE"), "EXPOSE requires at least one argument");
    assert_eq!(error_of("VOLUME"), "VOLUME requires at least one argument");
    assert_eq!(
        error_of(r#"VOLUME [" "]"#),
        "VOLUME specified can not be an empty string"
    );
    assert_eq!(
        error_of("COPY onlyone"),
        "COPY requires at least two arguments, but only one was provided. Destination could not be determined"
    );
    assert_eq!(
        error_of("COPY a <<EOF\nx\nEOF"),
        "COPY cannot accept a heredoc as a destination"
    );
}

#[test]
fn healthcheck() {
    use std::time::Duration;
    let Args::Healthcheck(h) = second("HEALTHCHECK --interval=5s --timeout=1m30s --start-period=0 --retries=3 CMD curl -f http://localhost/ || exit 1").args else { panic!() };
    assert_eq!(h.interval, Duration::from_secs(5));
    assert_eq!(h.timeout, Duration::from_secs(90));
    assert_eq!(h.start_period, Duration::ZERO);
    assert_eq!(h.retries, 3);
    assert!(
        matches!(h.command, Some(CommandLine::Shell(w)) if w.text == "curl -f http://localhost/ || exit 1")
    );
    let Args::Healthcheck(h) = second(r#"HEALTHCHECK CMD ["wget", "-q", "localhost:80"]"#).args
    else {
        panic!()
    };
    assert!(
        matches!(h.command, Some(CommandLine::Exec(w)) if texts(&w) == ["wget", "-q", "localhost:80"])
    );
    // BuildKit parses no flags for NONE (nor for STOPSIGNAL and ARG).
    clean("FROM x\nHEALTHCHECK --whatever=1 NONE\nSTOPSIGNAL --x=1 SIGTERM\nARG --y A\n");
    let Args::Healthcheck(h) = second("healthcheck none").args else {
        panic!()
    };
    assert_eq!(h.command, None);
    let rows = [
        ("HEALTHCHECK", "HEALTHCHECK requires at least one argument"),
        ("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"),
        ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
        (
            "HEALTHCHECK CMD []",
            "Missing command after HEALTHCHECK CMD",
        ),
        (
            "HEALTHCHECK RUN x",
            "Unknown type \"RUN\" in HEALTHCHECK (try CMD)",
        ),
        (
            "HEALTHCHECK --interval=500us CMD x",
            "Interval \"interval\" cannot be less than 1ms",
        ),
        (
            "HEALTHCHECK --interval=abc CMD x",
            "time: invalid duration \"abc\"",
        ),
        (
            "HEALTHCHECK --timeout=5 CMD x",
            "time: missing unit in duration \"5\"",
        ),
        (
            "HEALTHCHECK --timeout=5y CMD x",
            "time: unknown unit \"y\" in duration \"5y\"",
        ),
        (
            "HEALTHCHECK --retries=-1 CMD x",
            "--retries cannot be negative (-1)",
        ),
        (
            "HEALTHCHECK --retries=x CMD x",
            "strconv.ParseInt: parsing \"x\": invalid syntax",
        ),
    ];
    each_row(&rows, error_of);
}

#[test]
fn onbuild() {
    let i = second("ONBUILD COPY --chown=1 . /app/");
    let Args::Onbuild(inner, deferred) = &i.args else {
        panic!()
    };
    assert_eq!(inner.kind, Keyword::Copy);
    assert_eq!(
        inner.flag("chown").and_then(|f| f.value.as_deref()),
        Some("1")
    );
    assert!(deferred.is_empty());
    let rows = [
        ("ONBUILD", "ONBUILD requires at least one argument"),
        (
            "ONBUILD ONBUILD RUN x",
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
        ),
        ("ONBUILD from x", "FROM isn't allowed as an ONBUILD trigger"),
        (
            "ONBUILD MAINTAINER x",
            "MAINTAINER isn't allowed as an ONBUILD trigger",
        ),
    ];
    each_row(&rows, error_of);
    // Problems of the trigger itself wait for a child build to run it.
    let i = second("ONBUILD COPY a");
    let Args::Onbuild(_, deferred) = &i.args else {
        panic!()
    };
    assert_eq!(deferred.len(), 1);
}

//! Properties on arbitrary and hostile input: the parser and evaluator
//! never panic, spans stay inside the text, and pathological shapes that
//! would recurse or go quadratic in a naive parser finish.

use proptest::prelude::*;

use super::*;

/// Every span the parse result holds.
fn spans(p: &Parsed) -> Vec<ByteSpan> {
    let mut out: Vec<ByteSpan> = p.diagnostics.iter().map(|d| d.span).collect();
    out.extend(p.directives.iter().map(|d| d.span));
    let mut stack: Vec<&Instruction> = p.instructions.iter().collect();
    while let Some(i) = stack.pop() {
        out.extend([i.span, i.keyword.span]);
        out.extend(i.flags.iter().map(|f| f.span));
        for h in &i.heredocs {
            out.extend([h.marker, h.body, h.terminator]);
        }
        let words: Vec<&Word> = match &i.args {
            Args::From { image, name } => std::iter::once(image).chain(name).collect(),
            Args::Arg(d) => d
                .iter()
                .flat_map(|d| std::iter::once(&d.name).chain(&d.default))
                .collect(),
            Args::Env(kv) | Args::Label(kv) => {
                kv.iter().flat_map(|kv| [&kv.key, &kv.value]).collect()
            }
            Args::Run(c) | Args::Cmd(c) | Args::Entrypoint(c) => match c {
                CommandLine::Exec(w) => w.iter().collect(),
                CommandLine::Shell(w) => vec![w],
            },
            Args::Shell(w) | Args::Expose(w) | Args::Volume(w) => w.iter().collect(),
            Args::Copy(c) | Args::Add(c) => c.sources.iter().chain([&c.dest]).collect(),
            Args::Workdir(w)
            | Args::User(w)
            | Args::StopSignal(w)
            | Args::Maintainer(w)
            | Args::Unknown(w) => vec![w],
            Args::Healthcheck(h) => match &h.command {
                Some(CommandLine::Exec(w)) => w.iter().collect(),
                Some(CommandLine::Shell(w)) => vec![w],
                None => vec![],
            },
            Args::Onbuild(inner, _) => {
                stack.push(inner);
                vec![]
            }
            Args::Invalid => vec![],
        };
        out.extend(words.iter().map(|w| w.span));
    }
    out
}

fn check(src: &[u8]) {
    let p = parse(src);
    for s in spans(&p) {
        assert!(
            s.start <= s.end && s.end as usize <= src.len(),
            "{s:?} outside {} bytes",
            src.len()
        );
    }
    let ctx = MemoryContext::new(["a", "b/c", "d/e/f"]);
    let _ = evaluate(&p, &EvalOptions::new().target("x"), &ctx);
    let _ = evaluate(&p, &EvalOptions::new().dockerignore("b\n!b/c\n"), &ctx);
}

/// Dockerfile-shaped text: keywords, flags, quotes, JSON, heredocs,
/// continuations, variables and the characters that matter to them.
fn dockerfileish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("FROM "),
        Just("scratch"),
        Just(" AS s"),
        Just("RUN "),
        Just("CMD "),
        Just("COPY "),
        Just("ADD "),
        Just("ENV "),
        Just("ARG "),
        Just("ONBUILD "),
        Just("HEALTHCHECK "),
        Just("EXPOSE "),
        Just("WORKDIR "),
        Just("SHELL "),
        Just("--from=s "),
        Just("--chmod=7 "),
        Just("<<EOF"),
        Just("<<-'E'"),
        Just("EOF"),
        Just("\n"),
        Just("\r\n"),
        Just("\\\n"),
        Just("`\n"),
        Just("# escape=`\n"),
        Just("#"),
        Just("["),
        Just("]"),
        Just("\""),
        Just("'"),
        Just(","),
        Just("${"),
        Just("}"),
        Just("$A"),
        Just(":-"),
        Just("="),
        Just(" "),
        Just("\t"),
        Just("*"),
        Just("/"),
        Just("."),
        Just("a"),
        Just("1-3/udp"),
        Just("\u{FEFF}"),
        Just("é"),
        Just("\u{00A0}"),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(src in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&src);
    }

    #[test]
    fn dockerfile_shaped_text_never_panics(src in dockerfileish()) {
        check(src.as_bytes());
    }
}

#[test]
fn hostile_shapes_finish() {
    let mb = 1 << 20;
    let cases: Vec<String> = vec![
        // A JSON array nested a million deep (Go stops at 10 000: shell form).
        format!("FROM x\nCMD {}\n", "[".repeat(mb)),
        format!("FROM x\nCMD {}{}\n", "[".repeat(60_000), "]".repeat(60_000)),
        // A million continuation lines and a million blank continuations.
        format!("FROM x\nRUN a{}\n", " \\\n b".repeat(mb / 4)),
        format!("FROM x\nRUN a \\\n{}b\n", "\n".repeat(mb)),
        // A heredoc body of a million lines, and many markers on one line.
        format!("FROM x\nRUN <<EOF\n{}EOF\n", "x\n".repeat(mb / 2)),
        format!("FROM x\nRUN {}\n", "<<A ".repeat(10_000)),
        // Nested expansions, many flags, many words.
        format!(
            "FROM x\nENV A={}x{}\n",
            "${B:-".repeat(50_000),
            "}".repeat(50_000)
        ),
        format!("FROM x\nCOPY {}a b\n", "--link ".repeat(50_000)),
        format!(
            "FROM scratch\nCOPY {}a /b/\n",
            "--exclude=x ".repeat(100_000)
        ),
        format!("FROM scratch\nLABEL {}\n", "a=b c=d ".repeat(100_000)),
        format!("FROM scratch\nRUN {}\n", "<<\u{FFFD}x ".repeat(20_000)),
        format!("FROM x\nENV {}\n", "a=b ".repeat(100_000)),
        format!("FROM x\nEXPOSE {}\n", "1-65535 ".repeat(1000)),
        // ONBUILD chains and many stages.
        format!("FROM x\n{}\n", "ONBUILD ".repeat(100_000)),
        "FROM scratch AS s\n".repeat(20_000),
    ];
    for src in cases {
        check(src.as_bytes());
    }
}

//! The line layer: directives, comments, continuations, BOM, the line
//! limit, heredoc bodies (projects-as-shipped.md §5.1, §5.2).

use super::*;

#[test]
fn parser_directives_only_in_the_leading_block() {
    // (source, escape, directive names)
    let rows: &[(&str, char, &[&str])] = &[
        ("# escape=`\nFROM x\n", '`', &["escape"]),
        (
            "# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n",
            '`',
            &["syntax", "escape"],
        ),
        ("  # ESCAPE = `\nFROM x\n", '`', &["escape"]),
        ("#escape=\\\nFROM x\n", '\\', &["escape"]),
        ("# check=skip=all\nFROM x\n", '\\', &["check"]),
        // A blank line, an ordinary comment or an unknown directive ends the block.
        ("\n# escape=`\nFROM x\n", '\\', &[]),
        ("# hello\n# escape=`\nFROM x\n", '\\', &[]),
        ("# foo=bar\n# escape=`\nFROM x\n", '\\', &[]),
        ("FROM x\n# escape=`\n", '\\', &[]),
        // The BOM does not hide the block.
        ("\u{FEFF}# escape=`\nFROM x\n", '`', &["escape"]),
    ];
    for (src, escape, names) in rows {
        let p = clean(src);
        assert_eq!(p.escape, *escape, "{src:?}");
        let got: Vec<&str> = p.directives.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(&got, names, "{src:?}");
    }
    let p = clean("# syntax = docker/dockerfile:1.7  \nFROM x\n");
    assert_eq!(p.directives[0].value, "docker/dockerfile:1.7");
}

#[test]
fn directive_errors() {
    let rows = [
        (
            "# escape=`\n# escape=\\\nFROM x\n",
            "only one escape parser directive can be used",
        ),
        (
            "# syntax=a\n# SYNTAX=b\nFROM x\n",
            "only one syntax parser directive can be used",
        ),
        (
            "# escape=x\nFROM x\n",
            "invalid escape token 'x' does not match ` or \\",
        ),
    ];
    for (src, msg) in rows {
        let p = parse(src);
        assert_eq!(errors(&p), [msg], "{src:?}");
        assert_eq!(p.diagnostics[0].kind, DiagnosticKind::Directive);
        assert!(
            p.instructions.is_empty(),
            "BuildKit stops at a directive error"
        );
    }
}

/// The joined argument text of the instruction after `FROM x`.
fn run_text(src: &str) -> String {
    let p = clean(src);
    match &p.instructions[1].args {
        Args::Run(CommandLine::Shell(w)) => w.text.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn line_continuations() {
    let rows = [
        ("FROM x\nRUN a \\\n  b\n", "a   b"),
        // Blanks after the escape character still continue the line.
        ("FROM x\nRUN a \\  \t\n b\n", "a  b"),
        // Comment lines inside a continuation are dropped.
        ("FROM x\nRUN a \\\n# note\n  # indented note\n b\n", "a  b"),
        // An escape character alone on a line continues too.
        ("FROM x\nRUN a \\\n\\\n b\n", "a  b"),
        // A continuation at the end of the file ends the instruction.
        ("FROM x\nRUN a \\", "a"),
        // A doubled escape at the end is not a continuation.
        ("FROM x\nRUN a \\\\\n", "a \\\\"),
        // `#` inside an instruction is an ordinary character.
        ("FROM x\nRUN echo a # b\n", "echo a # b"),
        // Windows line endings.
        ("FROM x\r\nRUN a \\\r\n b\r\n", "a  b"),
    ];
    each_row(&rows, run_text);
    let p = clean("FROM x\nRUN a \\\\\nFROM y\n");
    assert_eq!(p.instructions.len(), 3);
}

#[test]
fn blank_line_in_continuation_is_skipped_with_a_warning() {
    let src = "FROM x\nRUN a \\\n\n   \n b\n";
    assert_eq!(run_text(src), "a  b");
    let p = parse(src);
    let w: Vec<_> = p
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::EmptyContinuation)
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].severity, Severity::Warning);
    assert!(
        w[0].message
            .starts_with("Empty continuation line found in: RUN a"),
        "{}",
        w[0].message
    );
}

#[test]
fn comments_cannot_be_continued() {
    let p = clean("# a comment \\\nFROM x\n");
    assert_eq!(p.instructions[0].kind, Keyword::From);
}

#[test]
fn backtick_escape_changes_continuation_and_escaping() {
    let src = "# escape=`\nFROM mcr.microsoft.com/windows\nCOPY testfile.txt c:\\\nRUN dir c:\\\nRUN a `\n  b\n";
    let p = clean(src);
    assert_eq!(
        p.instructions.len(),
        4,
        "a trailing backslash is not a continuation"
    );
    match &p.instructions[3].args {
        Args::Run(CommandLine::Shell(w)) => assert_eq!(w.text, "a   b"),
        other => panic!("{other:?}"),
    }
    match &p.instructions[1].args {
        Args::Copy(c) => assert_eq!(c.dest.text, "c:\\"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn instructions_are_case_insensitive_and_may_be_indented() {
    let src = "  from alpine AS Base\n\t# comment\n   run echo hi\nCopY a b\n";
    let p = clean(src);
    let kinds: Vec<Keyword> = p.instructions.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [Keyword::From, Keyword::Run, Keyword::Copy]);
    assert_eq!(at(src, p.instructions[0].keyword.span), "from");
    assert_eq!(at(src, p.instructions[2].keyword.span), "CopY");
    assert_eq!(at(src, p.instructions[0].span), "from alpine AS Base");
}

#[test]
fn bom_is_stripped_and_spans_stay_on_the_original_bytes() {
    let src = "\u{FEFF}FROM x\n";
    let p = clean(src);
    assert_eq!(p.instructions[0].keyword.span.start, 3);
    assert_eq!(at(src, p.instructions[0].keyword.span), "FROM");
}

#[test]
fn line_limit_is_64_kib() {
    let ok = format!("FROM x\nRUN {}\n", "a".repeat(65535 - 4));
    assert!(!parse(&ok).has_errors());
    for tail in ["\n", ""] {
        let long = format!("FROM x\nRUN {}{tail}", "a".repeat(65536 - 4));
        let p = parse(&long);
        assert_eq!(
            errors(&p),
            ["dockerfile line greater than max allowed size of 65535"]
        );
        assert_eq!(p.diagnostics[0].kind, DiagnosticKind::LineTooLong);
    }
}

#[test]
fn empty_and_stageless_files() {
    let rows = [
        ("", "the Dockerfile cannot be empty"),
        ("# only a comment\n\n", "file with no instructions"),
        ("ARG A=1\n", "dockerfile contains no stages to build"),
        ("RUN echo\nFROM x\n", "no build stage in current context"),
    ];
    for (src, msg) in rows {
        assert_eq!(errors(&parse(src)), [msg], "{src:?}");
    }
    // ARG before the first FROM is fine.
    clean("ARG V=1\nFROM x:$V\n");
}

#[test]
fn unknown_instructions_are_kept_and_reported() {
    let src = "FROM x\nFOO bar baz\nRUN ok\n";
    let p = parse(src);
    assert_eq!(errors(&p), ["unknown instruction: FOO"]);
    let i = &p.instructions[1];
    assert_eq!(i.kind, Keyword::Unknown);
    assert!(matches!(&i.args, Args::Unknown(w) if w.text == "bar baz"));
    assert_eq!(p.diagnostics[0].span, i.keyword.span);
    assert_eq!(p.instructions[2].kind, Keyword::Run, "parsing goes on");
}

/// The heredocs of the instruction after `FROM x`.
fn heredocs(body: &str) -> (Parsed, Vec<Heredoc>) {
    let src = format!("FROM x\n{body}");
    let p = clean(&src);
    let h = p.instructions[1].heredocs.clone();
    (p, h)
}

/// A heredoc as [`heredoc_markers`] expects it:
/// (name, expand, chomp, fd, content).
type Doc<'a> = (&'a str, bool, bool, u32, &'a str);

/// A heredoc whose body is expanded, not chomped, on stdin.
fn plain<'a>(name: &'a str, content: &'a str) -> Doc<'a> {
    (name, true, false, 0, content)
}

/// [`plain`], but with a quoted marker: the body is not expanded.
fn quoted<'a>(name: &'a str, content: &'a str) -> Doc<'a> {
    (name, false, false, 0, content)
}

#[test]
fn heredoc_markers() {
    let rows: &[(&str, &[Doc<'_>])] = &[
        ("RUN <<EOF\necho hi\nEOF\n", &[plain("EOF", "echo hi\n")]),
        ("RUN <<EMPTY\nEMPTY\n", &[plain("EMPTY", "")]),
        ("RUN 3<<EOF\nx\nEOF\n", &[("EOF", true, false, 3, "x\n")]),
        (
            "RUN <<-EOF\n\techo\n\tEOF\n",
            &[("EOF", true, true, 0, "\techo\n")],
        ),
        ("RUN <<'EOF'\n$X\nEOF\n", &[quoted("EOF", "$X\n")]),
        ("RUN <<\"EOF\"\n$X\nEOF\n", &[quoted("EOF", "$X\n")]),
        ("RUN <<eo'f'\nx\neof\n", &[quoted("eof", "x\n")]),
        ("RUN <<eo\\'f\nx\neo'f\n", &[plain("eo'f", "x\n")]),
        ("RUN <<'one two'\nx\none two\n", &[quoted("one two", "x\n")]),
        ("RUN <<  EOF  > foo\nEOF\n", &[plain("EOF", "")]),
        (
            "RUN <<COMPLEX python3\nprint(1)\nCOMPLEX\n",
            &[plain("COMPLEX", "print(1)\n")],
        ),
        (
            "COPY <<A <<B /dest/\none\nA\ntwo\nB\n",
            &[plain("A", "one\n"), plain("B", "two\n")],
        ),
        // A terminator of the other heredoc is content.
        (
            "COPY <<X <<Y /dest/\nY\nX\nX\nY\n",
            &[plain("X", "Y\n"), plain("Y", "X\n")],
        ),
        (
            "RUN --mount=type=cache,target=/c <<M\nx\nM\n",
            &[plain("M", "x\n")],
        ),
        ("ONBUILD RUN <<EOF\nx\nEOF\n", &[plain("EOF", "x\n")]),
        (
            "RUN <<EOF\n# not a comment\nEOF\n",
            &[plain("EOF", "# not a comment\n")],
        ),
    ];
    for (body, want) in rows {
        let (_, got) = heredocs(body);
        let got: Vec<Doc> = got
            .iter()
            .map(|h| (h.name.as_str(), h.expand, h.chomp, h.fd, h.content.as_str()))
            .collect();
        assert_eq!(&got, want, "{body:?}");
    }
}

#[test]
fn heredoc_spans_point_at_marker_body_and_terminator() {
    let src = "FROM x\nCOPY <<EOF /etc/nginx/conf.d/default.conf\nserver {}\nEOF\nRUN true\n";
    let p = clean(src);
    let i = &p.instructions[1];
    let h = &i.heredocs[0];
    assert_eq!(at(src, h.marker), "<<EOF");
    assert_eq!(at(src, h.body), "server {}\n");
    assert_eq!(at(src, h.terminator), "EOF");
    assert_eq!(
        at(src, i.span),
        "COPY <<EOF /etc/nginx/conf.d/default.conf\nserver {}\nEOF"
    );
    assert_eq!(p.instructions[2].kind, Keyword::Run);
}

#[test]
fn not_heredocs() {
    // JSON form, a quoted marker, and instructions that take none.
    for body in [
        "RUN [\"<<EOF\"]\n",
        "RUN \"<<NOHEREDOC\"\n",
        "RUN <<\n",
        "CMD <<EOF\n",
    ] {
        let (_, h) = heredocs(body);
        assert!(h.is_empty(), "{body:?}");
    }
    let p = parse("FROM x\nUSER <<INVALID\nINVALID\n");
    assert_eq!(errors(&p), ["unknown instruction: INVALID"]);
}

#[test]
fn unterminated_heredoc_is_an_error() {
    let p = parse("FROM x\nRUN <<EOF\necho hi\n");
    assert_eq!(errors(&p), ["unterminated heredoc"]);
    assert_eq!(p.diagnostics[0].kind, DiagnosticKind::Heredoc);
    let p = parse("FROM x\nRUN <<-EOF\n\techo\n  EOF\n");
    assert_eq!(
        errors(&p),
        ["unterminated heredoc"],
        "only tabs are stripped"
    );
}

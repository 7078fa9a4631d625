//! Tests of the Dockerfile parser and evaluator, one file per concern;
//! rows of projects-as-shipped.md §5 and the pitfalls of §9 are cited
//! where they are checked.

use super::*;

mod argv;
mod copy;
mod eval;
mod instructions;
mod lines;
mod patterns;
mod props;
mod shlex;

/// Checks a table of cases: `f(input)` must be each row's `want`; a
/// failure names the row's input.
#[track_caller]
fn each_row<I: Copy + std::fmt::Debug, W: std::fmt::Debug, G: PartialEq<W> + std::fmt::Debug>(
    rows: &[(I, W)],
    f: impl Fn(I) -> G,
) {
    for (input, want) in rows {
        assert_eq!(f(*input), *want, "{input:?}");
    }
}

/// The default budget with one limit tightened by `tighten`.
fn budget_with(tighten: fn(&mut Budget)) -> Budget {
    let mut b = Budget::default();
    tighten(&mut b);
    b
}

/// The source text a span covers.
fn at(src: &str, s: ByteSpan) -> &str {
    &src[s.range()]
}

/// The messages of the errors.
fn errors(p: &Parsed) -> Vec<String> {
    p.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.clone())
        .collect()
}

/// Parses and asserts there is no error.
fn clean(src: &str) -> Parsed {
    let p = parse(src);
    assert!(!p.has_errors(), "{src:?}: {:?}", errors(&p));
    p
}

/// The instruction after `FROM scratch` in `FROM scratch\n<line>`.
fn second(line: &str) -> Instruction {
    second_in(line).1
}

/// [`second`], with the source text its spans point into.
fn second_in(line: &str) -> (String, Instruction) {
    let src = format!("FROM scratch\n{line}");
    let p = clean(&src);
    let i = p.instructions[1].clone();
    (src, i)
}

/// The first error message for `FROM scratch\n<line>`.
fn error_of(line: &str) -> String {
    let p = parse(format!("FROM scratch\n{line}"));
    errors(&p)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no error for {line:?}"))
}

/// Asserts that the image carries a note of `kind`, showing its notes
/// when it does not.
#[track_caller]
fn assert_noted(img: &Image, kind: NoteKind) {
    let kinds: Vec<NoteKind> = img.notes.iter().map(|n| n.kind).collect();
    assert!(kinds.contains(&kind), "no {kind:?} in {kinds:?}");
}

/// Texts of words.
fn texts(ws: &[Word]) -> Vec<&str> {
    ws.iter().map(|w| w.text.as_str()).collect()
}

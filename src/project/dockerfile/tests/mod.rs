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
    let p = clean(&format!("FROM scratch\n{line}"));
    p.instructions[1].clone()
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

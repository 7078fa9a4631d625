//! Builder-side word processing (`shell/lex.go`): every `${…}` form of
//! projects-as-shipped.md §5.6, quotes, escapes, word splitting, errors.

use super::super::shlex::{Env, LexError, Lexer};
use super::each_row;

struct Map(&'static [(&'static str, &'static str)]);

impl Env for Map {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

const ENV: Map = Map(&[
    ("A", "a"),
    ("EMPTY", ""),
    ("P", "a/b/c"),
    ("SP", "x y"),
    ("HOME", "/root"),
]);

fn word(w: &str) -> Result<String, String> {
    match Lexer::new('\\', 1 << 20).process(w, &ENV) {
        Ok(p) => Ok(p.result),
        Err(LexError::Syntax(m)) => Err(m),
        Err(LexError::Budget) => Err("budget".to_owned()),
    }
}

/// The word `w` expands to, which must not be an error.
fn expanded(w: &str) -> String {
    word(w).unwrap_or_else(|e| panic!("{w:?}: {e}"))
}

#[test]
fn substitutions() {
    let rows = [
        ("$A", "a"),
        ("${A}", "a"),
        ("pre${A}post", "preapost"),
        ("$UNSET", ""),
        ("${UNSET:-w}", "w"),
        ("${EMPTY:-w}", "w"),
        ("${EMPTY-w}", ""),
        ("${UNSET-w}", "w"),
        ("${A:-w}", "a"),
        ("${A:+w}", "w"),
        ("${EMPTY:+w}", ""),
        ("${EMPTY+w}", "w"),
        ("${UNSET+w}", ""),
        ("${EMPTY?m}", ""),
        ("${A:?m}", "a"),
        ("${UNSET:-$A}", "a"),
        ("${UNSET:-${EMPTY:-deep}}", "deep"),
        ("${UNSET:-\"x y\"}", "x y"),
        ("${P#*/}", "b/c"),
        ("${P##*/}", "c"),
        ("${P%/*}", "a/b"),
        ("${P%%/*}", "a"),
        ("${P#a?}", "b/c"),
        ("${P#x}", "a/b/c"),
        ("${P/\\//-}", "a-b/c"),
        ("${P//\\//-}", "a-b-c"),
        ("${P//b/}", "a//c"),
        ("${P/*/X}", "X"),
        ("${A//x/y}", "a"),
        ("$", "$"),
        ("$1", ""),
        ("a$", "a$"),
        ("he$.x", "he$.x"),
        ("$999aaa", "aaa"),
        ("$@aaa", "aaa"),
        ("${?:-bbb}", "bbb"),
        ("${UNSET:-bbb {foo}", "bbb {foo"),
        ("${UNSET:-\\$A:}x", "$A:x"),
        ("${UNSET:-\\${A}z}", "${Az}"),
        ("안녕${A}", "안녕a"),
    ];
    each_row(&rows, expanded);
}

#[test]
fn quotes_and_escapes() {
    let rows = [
        ("\\$A", "$A"),
        ("'$A'", "$A"),
        ("\"$A\"", "a"),
        ("\"a\\\"b\"", "a\"b"),
        ("\"a\\b\"", "a\\b"),
        ("a\\ b", "a b"),
        ("'it''s'", "its"),
        ("\"${SP}\"", "x y"),
        ("\"\"", ""),
    ];
    each_row(&rows, expanded);
    let tick = Lexer::new('`', 1 << 20)
        .process("C:\\dir `$A", &ENV)
        .map(|p| p.result);
    assert_eq!(tick, Ok("C:\\dir $A".to_owned()));
}

#[test]
fn words_are_split_after_expansion_outside_quotes() {
    let rows: &[(&str, &[&str])] = &[
        ("a b  c", &["a", "b", "c"]),
        ("$SP z", &["x", "y", "z"]),
        ("\"$SP\" z", &["x y", "z"]),
        ("a\\ b c", &["a b", "c"]),
        ("'' x", &["x"]),
    ];
    for (w, want) in rows {
        let p = Lexer::new('\\', 1 << 20).process(w, &ENV).unwrap();
        assert_eq!(p.words, *want, "{w}");
    }
}

#[test]
fn errors_are_worded_like_buildkit() {
    let rows = [
        (
            "${UNSET:?}",
            "failed to process \"${UNSET:?}\": UNSET: is not allowed to be unset",
        ),
        (
            "${EMPTY:?}",
            "failed to process \"${EMPTY:?}\": EMPTY: is not allowed to be empty",
        ),
        (
            "${UNSET?need it}",
            "failed to process \"${UNSET?need it}\": UNSET: need it",
        ),
        ("${", "failed to process \"${\": syntax error: missing '}'"),
        (
            "${}",
            "failed to process \"${}\": syntax error: bad substitution",
        ),
        (
            "${:a}",
            "failed to process \"${:a}\": syntax error: bad substitution",
        ),
        (
            "${A:-x",
            "failed to process \"${A:-x\": syntax error: missing '}'",
        ),
        (
            "${A:-${B",
            "failed to process \"${A:-${B\": syntax error: missing '}'",
        ),
        (
            "${A/x",
            "failed to process \"${A/x\": syntax error: missing '/' in ${}",
        ),
        (
            "${A:x}",
            "failed to process \"${A:x}\": unsupported modifier (:x) in substitution",
        ),
        (
            "${A:#x}",
            "failed to process \"${A:#x}\": unsupported modifier (:#) in substitution",
        ),
        (
            "${A^x}",
            "failed to process \"${A^x}\": unsupported modifier (^) in substitution",
        ),
        (
            "${A:=x}",
            "failed to process \"${A:=x}\": unsupported modifier (:=) in substitution",
        ),
        (
            "${{a}",
            "failed to process \"${{a}\": syntax error: bad substitution",
        ),
        (
            "'x",
            "failed to process \"'x\": unexpected end of statement while looking for matching single-quote",
        ),
        (
            "\"x",
            "failed to process \"\\\"x\": unexpected end of statement while looking for matching double-quote",
        ),
        (
            "${P#\\x}",
            "failed to process \"${P#\\\\x}\": invalid pattern (\\x) in substitution: invalid escape '\\x'",
        ),
    ];
    each_row(&rows, |w| word(w).expect_err(w));
}

#[test]
fn skip_unset_keeps_references_as_written() {
    let mut lx = Lexer::new('\\', 1 << 20);
    lx.skip_unset_env = true;
    let p = lx.process("$X ${Y} ${Z:-d} ${W/a/b} $A", &ENV).unwrap();
    assert_eq!(p.result, "$X ${Y} ${Z:-d} ${W/a/b} a");
    assert_eq!(p.unmatched, ["X", "Y", "Z", "W"]);
}

#[test]
fn raw_quotes_and_escapes() {
    let mut lx = Lexer::new('\\', 1 << 20);
    lx.raw_quotes = true;
    lx.raw_escapes = true;
    assert_eq!(
        lx.process("'a' \"b\" c\\ d", &ENV).unwrap().words,
        ["'a'", "\"b\"", "c\\ d"]
    );
    let mut lx = Lexer::new('\\', 1 << 20);
    lx.skip_process_quotes = true;
    assert_eq!(
        lx.process("'$A' \"$A\" \\$A", &ENV).unwrap().result,
        "'a' \"a\" $A"
    );
}

#[test]
fn deep_nesting_does_not_recurse() {
    let n = 200_000;
    let w = format!("{}x{}", "${UNSET:-".repeat(n), "}".repeat(n));
    assert_eq!(word(&w).as_deref(), Ok("x"));
    let open = "${UNSET:-\"".repeat(n);
    assert_eq!(
        word(&open),
        Err(format!(
            "failed to process \"{}\": syntax error: missing '}}'",
            open.replace('"', "\\\"")
        ))
    );
}

#[test]
fn results_are_capped() {
    struct Big(String);
    impl Env for Big {
        fn get(&self, _: &str) -> Option<&str> {
            Some(&self.0)
        }
    }
    let env = Big("x".repeat(1000));
    let lx = Lexer::new('\\', 10_000);
    assert!(lx.process(&"$V".repeat(9), &env).is_ok());
    assert_eq!(lx.process(&"$V".repeat(11), &env), Err(LexError::Budget));
    // Replacing every empty match multiplies the length: capped too.
    assert_eq!(
        lx.process("${V//*/$V$V}", &env).map(|p| p.result.len()),
        Ok(2000)
    );
    assert_eq!(lx.process("${V//?/${V}}", &env), Err(LexError::Budget));
}

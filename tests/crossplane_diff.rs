//! Differential test against the real crossplane 0.5.8: for every case of
//! `tests/corpus/<case>/nginx.conf`, `crossplane parse` and
//! `upcheck parse` (whose default output is crossplane's content) run in
//! the case directory on `nginx.conf`,
//! in three modes (plain, `--include-comments`, `--combine`), and their JSON
//! must be equal.
//!
//! Where crossplane has a known bug, the (case, mode) pair is listed in
//! [`DOCUMENTED`] with the reason; there our output is checked against a
//! committed insta snapshot instead (`tests/snapshots/crossplane_diff__*.snap`),
//! and crossplane must still differ, so the table cannot go stale.
//!
//! crossplane is found from `UPCHECK_CROSSPLANE`, else `.venv/bin/crossplane`
//! (as `.ci/run` installs it). Without it the comparison is reported
//! ignored with the reason, and fails instead when `UPCHECK_REQUIRE_REAL=1`.

mod real;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Mode bits for [`DOCUMENTED`].
const PLAIN: u8 = 1;
const COMMENTS: u8 = 2;
const COMBINE: u8 = 4;
const ALL: u8 = PLAIN | COMMENTS | COMBINE;

/// The three ways each case is parsed.
const MODES: [(u8, &str, &[&str]); 3] = [
    (PLAIN, "plain", &[]),
    (COMMENTS, "comments", &["--include-comments"]),
    (COMBINE, "combine", &["--combine"]),
];

// Reasons, each a crossplane 0.5.8 behaviour that differs from nginx (or from
// crossplane's own documented output); ours follows nginx.

/// parser.py reuses the loop variable `fname` for the files an include pulls
/// in, so in `--combine` output every statement after an `include` in the
/// same block carries the included file's name in `"file"`.
const COMBINE_FNAME: &str = "crossplane --combine labels the statements that follow an include in the same block with the included file's name (parser.py reuses the variable `fname`)";
const BACKSLASH: &str = "crossplane keeps backslashes: nginx turns \\\\ \\t \\n \\r \\\" \\' into their characters in every word, quoted or not";
const DOLLAR_BRACE: &str = "crossplane's `${var}` lexing does not stop at whitespace: `/abc/${uri} /index.html` becomes one argument (nginx: two)";
const CRLF_QUOTES: &str = "crossplane reads files in text mode, so a CRLF inside a quoted string becomes LF; nginx keeps the \\r";
const BRACE_BLANKS: &str = "crossplane raises brace errors from its token generator, so one unbalanced brace blanks the whole file (`parsed: []`); we keep every statement and report the error at the block that is not closed / the stray brace";
const UNTERMINATED_LAST: &str = "crossplane reports an unterminated last directive as {\"error\": \"\", \"line\": null} with `parsed: []` (its issue #114); we say what nginx says: unexpected end of file, expecting \";\" or \"}\"";
const UNTERMINATED_QUOTE: &str = "an unterminated quote: crossplane blanks the file with only a brace error; we keep the statements and report the open quote and the end of file";
const QUOTE_NO_SPACE: &str = "crossplane accepts a closing quote followed by a non-space (`\"left\"-quote` as two words); nginx rejects it with `unexpected \"-\"`";
const MISSING_INCLUDE: &str = "a missing include file: crossplane words the error as a Python exception (`[Errno 2] No such file or directory: '…'`); we word it as nginx does (`open() \"…\" failed (2: No such file or directory)`)";
const STALE_TABLE_IF: &str = "crossplane's directive table narrows `include` to exclude `if` and `limit_except` blocks (its issue #108); nginx declares it NGX_ANY_CONF and accepts it there";
const STALE_TABLE_STREAM: &str =
    "crossplane's directive table predates `server_name` in stream server blocks (nginx 1.25.5)";
const BETWEEN_ARGS: &str = "crossplane emits comments written between a directive's arguments even without --include-comments";
const EOF_COMMENT: &str =
    "crossplane drops a comment on the last line when the file has no final newline";
const DOUBLE_SEMICOLON: &str = "crossplane turns a stray `;` into a directive named \";\" that swallows the next statement; nginx rejects it with `unexpected \";\"`";
const STATEMENT_CLOSED_BY_BRACE: &str = "a statement ended by `}` instead of `;`: crossplane reports `directive … is not terminated by \";\"` and drops the statement; nginx's tokenizer says `unexpected \"}\"` at the brace, as we do, and we keep the statement";
const WORD_BRACE: &str = "crossplane ends a word at `}`; nginx does not (`{6}$` is the word `6}$` after a block opened at `{`), so the unquoted regex quantifier leaves a block unclosed, which we report and crossplane does not notice (status ok)";
const DOT_PATHS: &str = "crossplane names an included file by the include argument joined to the main file's directory as written (`./conf.d/x.conf`, `conf.d/../conf.d/y.conf`); we use the normalised path, so two spellings of one file are one file, as for nginx";

/// (case, modes, reason): the (case, mode) pairs where crossplane is known to
/// differ. Every pair is checked against our snapshot instead.
const DOCUMENTED: &[(&str, u8, &str)] = &[
    ("broken-closing-quote-no-space", ALL, QUOTE_NO_SPACE),
    ("broken-double-semicolon", ALL, DOUBLE_SEMICOLON),
    ("broken-extra-closing-brace", ALL, BRACE_BLANKS),
    ("broken-missing-closing-brace", ALL, BRACE_BLANKS),
    ("broken-missing-include", ALL, MISSING_INCLUDE),
    ("broken-missing-semicolon-eof", ALL, UNTERMINATED_LAST),
    (
        "broken-missing-semicolon-middle",
        ALL,
        STATEMENT_CLOSED_BY_BRACE,
    ),
    ("broken-unquoted-regex-braces", ALL, WORD_BRACE),
    ("broken-unterminated-quote", ALL, UNTERMINATED_QUOTE),
    ("comment-at-eof-no-newline", COMMENTS, EOF_COMMENT),
    ("comments-between-args", PLAIN | COMBINE, BETWEEN_ARGS),
    ("crlf-inside-quotes", ALL, CRLF_QUOTES),
    ("crlf-line-endings", COMBINE, COMBINE_FNAME),
    ("debian-layout", COMBINE, COMBINE_FNAME),
    ("docker-official-image", COMBINE, COMBINE_FNAME),
    ("dollar-brace-then-space", ALL, DOLLAR_BRACE),
    ("escapes-backslashes", ALL, BACKSLASH),
    ("fastcgi-php-fpm", COMBINE, COMBINE_FNAME),
    ("include-dot-slash-paths", ALL, DOT_PATHS),
    ("include-empty-file", COMBINE, COMBINE_FNAME),
    ("include-in-types", COMBINE, COMBINE_FNAME),
    ("include-inside-if-and-limit-except", ALL, STALE_TABLE_IF),
    ("include-same-file-twice", COMBINE, COMBINE_FNAME),
    ("include-upstream-servers", COMBINE, COMBINE_FNAME),
    ("includes-nested", COMBINE, COMBINE_FNAME),
    ("scgi-memcached", COMBINE, COMBINE_FNAME),
    ("stream-server-name", ALL, STALE_TABLE_STREAM),
    ("uwsgi-django", COMBINE, COMBINE_FNAME),
    ("wordpress-php-fpm", COMBINE, COMBINE_FNAME),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every case directory, sorted by name.
fn cases() -> Vec<String> {
    let dir = root().join("tests/corpus");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn case_dir(case: &str) -> PathBuf {
    root().join("tests/corpus").join(case)
}

/// The reason a (case, mode) pair is documented, if it is.
fn documented(case: &str, mode: u8) -> Option<&'static str> {
    DOCUMENTED
        .iter()
        .find(|(c, m, _)| *c == case && m & mode != 0)
        .map(|(_, _, r)| *r)
}

/// Runs a parser in the case directory on `nginx.conf` and parses its JSON.
fn run_json(program: &Path, pre: &[&str], flags: &[&str], dir: &Path) -> Result<Value, String> {
    let out = Command::new(program)
        .args(pre)
        .arg("nginx.conf")
        .args(flags)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("running {}: {e}", program.display()))?;
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{} {:?} in {}: output is not JSON ({e}); status {}; stderr: {}",
            program.display(),
            flags,
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ours(case: &str, flags: &[&str]) -> Value {
    run_json(
        Path::new(env!("CARGO_BIN_EXE_upcheck")),
        &["parse"],
        flags,
        &case_dir(case),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn crossplane_path() -> Option<PathBuf> {
    let p = match std::env::var_os("UPCHECK_CROSSPLANE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => root().join(".venv/bin/crossplane"),
    };
    p.is_file().then_some(p)
}

/// Runs `work` over `items` on a few threads, keeping the input order.
fn parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&work).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread"))
            .collect()
    })
}

/// The first place two JSON values differ, as a short path and both sides.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{path}.{k}")),
                (p, q) => Some(format!("{path}.{k}: crossplane {p:?}, ours {q:?}")),
            })
        }
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]")))
            .or_else(|| {
                (x.len() != y.len())
                    .then(|| format!("{path}: crossplane has {} items, ours {}", x.len(), y.len()))
            }),
        _ => (a != b).then(|| format!("{path}: crossplane {a}, ours {b}")),
    }
}

fn main() {
    real::main(vec![
        real::always("corpus_has_at_least_60_cases", corpus_has_at_least_60_cases),
        real::always(
            "documented_cases_exist_and_are_listed_once_per_mode",
            documented_cases_exist_and_are_listed_once_per_mode,
        ),
        real::always(
            "documented_differences_match_snapshots",
            documented_differences_match_snapshots,
        ),
        real::needs(
            "same_json_as_crossplane",
            || {
                crossplane_path().is_none().then(|| {
                    "crossplane not found (set UPCHECK_CROSSPLANE or create .venv as .ci/run does)"
                        .to_owned()
                })
            },
            same_json_as_crossplane,
        ),
    ]);
}

fn corpus_has_at_least_60_cases() {
    let cases = cases();
    assert!(
        cases.len() >= 60,
        "tests/corpus holds {} cases, want at least 60",
        cases.len()
    );
    for case in &cases {
        assert!(
            case_dir(case).join("nginx.conf").is_file(),
            "tests/corpus/{case} has no nginx.conf"
        );
    }
}

fn documented_cases_exist_and_are_listed_once_per_mode() {
    let cases = cases();
    let mut seen = BTreeSet::new();
    for (case, modes, reason) in DOCUMENTED {
        assert!(
            cases.iter().any(|c| c == case),
            "DOCUMENTED lists {case}, which is not in tests/corpus"
        );
        assert!(*modes != 0 && modes & !ALL == 0, "{case}: bad modes");
        assert!(!reason.is_empty(), "{case}: no reason");
        for (bit, name, _) in MODES {
            if modes & bit != 0 {
                assert!(seen.insert((*case, bit)), "{case} {name} listed twice");
            }
        }
    }
}

/// Where crossplane is known to differ, our output is pinned by a snapshot.
/// Needs no crossplane.
fn documented_differences_match_snapshots() {
    let mut pairs = Vec::new();
    for case in cases() {
        for (bit, name, flags) in MODES {
            if let Some(reason) = documented(&case, bit) {
                pairs.push((case.clone(), name, flags, reason));
            }
        }
    }
    let outputs = parallel(&pairs, |(case, _, flags, _)| ours(case, flags));
    let mut failed = Vec::new();
    for ((case, name, _, reason), value) in pairs.iter().zip(outputs) {
        let snapshot = format!("{case}.{name}");
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(true);
        settings.set_snapshot_path("snapshots/crossplane_diff");
        settings.set_omit_expression(true);
        // Key order does not depend on serde_json's `preserve_order` feature.
        settings.set_sort_maps(true);
        settings.set_description(format!(
            "upcheck parse nginx.conf ({name}) in tests/corpus/{case}; crossplane differs: {reason}"
        ));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_json_snapshot!(snapshot.as_str(), value));
        }));
        if result.is_err() {
            failed.push(snapshot);
        }
    }
    assert!(
        failed.is_empty(),
        "{} snapshot(s) differ: {}",
        failed.len(),
        failed.join(", ")
    );
}

fn same_json_as_crossplane() {
    let crossplane = crossplane_path().expect("checked by `missing`");
    let mut runs = Vec::new();
    for case in cases() {
        for (bit, name, flags) in MODES {
            runs.push((case.clone(), bit, name, flags));
        }
    }
    let results = parallel(&runs, |(case, _, _, flags)| {
        let theirs = run_json(&crossplane, &["parse"], flags, &case_dir(case));
        (theirs, ours(case, flags))
    });

    let mut identical = 0usize;
    let mut documented_count = 0usize;
    let mut cases_with_differences = BTreeSet::new();
    let mut failures = Vec::new();
    for ((case, bit, name, _), (theirs, ours)) in runs.iter().zip(results) {
        let theirs = match theirs {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{case} ({name}): {e}"));
                continue;
            }
        };
        match documented(case, *bit) {
            Some(_) => {
                documented_count += 1;
                cases_with_differences.insert(case.clone());
                if theirs == ours {
                    failures.push(format!(
                        "{case} ({name}): listed in DOCUMENTED but crossplane now gives the same JSON; remove the entry and its snapshot"
                    ));
                }
            }
            None => {
                if theirs == ours {
                    identical += 1;
                } else {
                    let at = first_difference(&theirs, &ours, "$")
                        .unwrap_or_else(|| "(values differ)".into());
                    failures.push(format!("{case} ({name}): {at}"));
                }
            }
        }
    }
    let total_cases = runs.len() / MODES.len();
    eprintln!(
        "crossplane_diff: {identical} identical, {documented_count} documented differences ({} case(s) x 3 modes; {} case(s) identical in every mode)",
        total_cases,
        total_cases - cases_with_differences.len()
    );
    assert!(
        failures.is_empty(),
        "{} comparison(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

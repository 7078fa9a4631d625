//! Tests about the rules themselves (clippy's `lint_message_convention`,
//! ruff's registry checks): codes are well-formed, unique, sorted and in
//! their reserved range; names are kebab-case and unique; every rule's docs
//! have the sections its page needs; retired codes are never reused; each
//! rule lives in the file named after it; what a rule declares about its
//! fixes is what its fixtures produce; and every message it writes follows
//! the one convention stated in [`message_convention`].

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use upcheck::rules::docs::{self, RANGES};
use upcheck::rules::registry::{RETIRED, RULES, by_code};
use upcheck::rules::{FixAvailability, Meta};

fn metas() -> Vec<&'static Meta> {
    RULES.iter().map(|r| r.meta()).collect()
}

fn is_code(s: &str) -> bool {
    s.len() == 6 && s.starts_with("UC") && s[2..].bytes().all(|b| b.is_ascii_digit())
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && s.as_bytes()[0].is_ascii_lowercase()
}

#[test]
fn the_registry_is_not_empty() {
    assert!(!RULES.is_empty());
}

#[test]
fn codes_match_the_pattern() {
    for m in metas() {
        assert!(is_code(m.code), "`{}` does not match ^UC\\d{{4}}$", m.code);
    }
}

#[test]
fn codes_are_unique_and_in_code_order() {
    let codes: Vec<&str> = metas().iter().map(|m| m.code).collect();
    let unique: HashSet<&str> = codes.iter().copied().collect();
    assert_eq!(unique.len(), codes.len(), "duplicate codes in {codes:?}");
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "RULES must be listed in code order");
}

#[test]
fn codes_are_in_a_reserved_range() {
    for m in metas() {
        assert!(
            docs::range_of(m.code).is_some(),
            "{} is outside the reserved ranges {RANGES:?}",
            m.code
        );
    }
}

/// The range table in `docs::RANGES` is the one `src/rules/mod.rs` documents.
#[test]
fn the_range_table_matches_the_rules_module_docs() {
    let source = include_str!("../src/rules/mod.rs");
    let doc: String = source
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let mut documented = Vec::new();
    for d in 0..10 {
        let marker = format!("`{d}xxx` ");
        if let Some(at) = doc.find(&marker) {
            let rest = &doc[at + marker.len()..];
            let end = rest.find([',', '.', ';']).unwrap_or(rest.len());
            documented.push((format!("UC{d}"), rest[..end].trim().to_string()));
        }
    }
    let ours: Vec<(String, String)> = RANGES
        .iter()
        .map(|(p, w)| (p.to_string(), w.to_string()))
        .collect();
    assert_eq!(ours, documented);
}

#[test]
fn names_are_kebab_case_and_unique() {
    let mut seen = HashSet::new();
    for m in metas() {
        assert!(
            is_kebab(m.name),
            "{}: `{}` is not kebab-case",
            m.code,
            m.name
        );
        assert!(
            seen.insert(m.name),
            "{}: name `{}` is used twice",
            m.code,
            m.name
        );
    }
}

#[test]
fn docs_have_the_required_sections() {
    let mut problems = Vec::new();
    for m in metas() {
        let body = docs::docs_body(m);
        let headings: Vec<&str> = body.lines().filter(|l| l.starts_with("## ")).collect();
        let mut required = vec!["## What it does", "## Why is this bad?", "## Example"];
        if m.fix != FixAvailability::None {
            required.push("## Fix safety");
        }
        for h in required {
            if !headings.contains(&h) {
                problems.push(format!("{}: docs lack `{h}`", m.code));
            }
        }
        if m.summary().is_empty() {
            problems.push(format!("{}: `## What it does` is empty", m.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_names_its_source_file() {
    for m in metas() {
        let file = docs::source_file(m);
        assert!(file.starts_with("src/rules/"), "{}: {}", m.code, m.source);
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(file).is_file(),
            "{}: {file} does not exist",
            m.code
        );
    }
}

#[test]
fn rules_are_found_by_code_in_any_case() {
    for m in metas() {
        assert_eq!(by_code(m.code).map(|r| r.meta().code), Some(m.code));
        assert_eq!(
            by_code(&m.code.to_ascii_lowercase()).map(|r| r.meta().code),
            Some(m.code)
        );
    }
}

#[test]
fn retired_codes_are_well_formed_and_never_reused() {
    let live: HashSet<&str> = metas().iter().map(|m| m.code).collect();
    let mut seen = HashSet::new();
    for (code, reason) in RETIRED {
        assert!(
            is_code(code),
            "retired `{code}` does not match ^UC\\d{{4}}$"
        );
        assert!(
            !live.contains(code),
            "retired code {code} is reused by a rule"
        );
        assert!(seen.insert(*code), "{code} is retired twice");
        assert!(
            !reason.trim().is_empty(),
            "{code} is retired without a reason"
        );
    }
}

#[test]
fn every_rule_lives_in_the_file_named_after_it() {
    for m in metas() {
        let want = format!("src/rules/{}.rs", m.name.replace('-', "_"));
        assert_eq!(docs::source_file(m), want, "{} ({})", m.code, m.name);
    }
}

/// Every case directory of every rule's fixtures, with its rule's code.
fn fixture_cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut out = Vec::new();
    for rule_dir in common::subdirs(&root) {
        let code = rule_dir.file_name().unwrap().to_string_lossy()[..6].to_string();
        for case in common::subdirs(&rule_dir) {
            out.push((code.clone(), case));
        }
    }
    out
}

#[test]
fn declared_fix_availability_matches_what_the_fixtures_produce() {
    // code -> (findings of that code, how many carried a fix)
    let mut seen: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (_, case) in fixture_cases() {
        let Ok(report) = upcheck::validate(&common::case_input(&case)) else {
            continue;
        };
        for f in &report.findings {
            let e = seen.entry(f.code.clone()).or_default();
            e.0 += 1;
            e.1 += usize::from(!f.fixes.is_empty());
        }
    }
    let mut problems = Vec::new();
    for m in metas() {
        let (found, fixed) = seen.get(m.code).copied().unwrap_or_default();
        let ok = match m.fix {
            FixAvailability::None => fixed == 0,
            FixAvailability::Always => found > 0 && fixed == found,
            FixAvailability::Sometimes => fixed > 0,
        };
        if !ok {
            problems.push(format!(
                "{} declares fix: {}, but its fixtures give {fixed} fixed of {found} findings",
                m.code,
                m.fix.as_str()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The message convention (clippy's `lint_message_convention`, adapted):
/// - a finding's message is one line with no trailing period; it starts
///   with a lowercase word, a digit, the name of the object it is about
///   (in backticks, or in double quotes as nginx quotes file names), or a
///   Kubernetes kind, which is a proper noun (`Service `api` selects …`);
/// - a related note is one line with no trailing period;
/// - a fix title is one line, starts with an uppercase letter (an
///   imperative verb: "Replace …", "Add …", "Use …") and has no trailing period.
const KINDS: &[&str] = &[
    "Service",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ConfigMap",
    "EndpointSlice",
];

fn message_convention(kind: &str, text: &str) -> Option<String> {
    let first = text.chars().next()?;
    let bad_start = match kind {
        "message" => {
            let word = text.split(' ').next().unwrap_or("");
            !(first.is_lowercase()
                || first.is_ascii_digit()
                || first == '`'
                || first == '"'
                || KINDS.contains(&word))
        }
        "fix title" => !first.is_uppercase(),
        _ => false,
    };
    if text.contains('\n') || text.ends_with('.') || text.trim() != text || bad_start {
        return Some(format!("{kind} breaks the convention: {text:?}"));
    }
    None
}

#[test]
fn messages_follow_the_convention() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let cases = fixture_cases()
        .into_iter()
        .map(|(_, c)| c)
        .chain(common::subdirs(&scenarios));
    let mut problems = Vec::new();
    let mut checked = 0;
    for case in cases {
        let Ok(report) = upcheck::validate(&common::case_input(&case)) else {
            continue;
        };
        for f in &report.findings {
            checked += 1;
            let texts = std::iter::once(("message", &f.message))
                .chain(f.related.iter().map(|r| ("related note", &r.message)))
                .chain(f.fixes.iter().map(|x| ("fix title", &x.title)));
            for (kind, text) in texts {
                if let Some(p) = message_convention(kind, text) {
                    problems.push(format!("{} {}: {p}", case.display(), f.code));
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} findings checked");
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_message_convention_rejects_what_it_states() {
    assert!(message_convention("message", "Upstream `x` fails").is_some());
    assert!(message_convention("message", "upstream `x` fails.").is_some());
    assert!(message_convention("message", "two\nlines").is_some());
    assert!(message_convention("fix title", "replace `a` with `b`").is_some());
    assert!(message_convention("message", "`x` is refused").is_none());
    assert!(message_convention("message", "Service `api` selects no pods").is_none());
    assert!(message_convention("fix title", "Replace `a` with `b`").is_none());
}

//! Tests about the rules themselves (clippy's `lint_message_convention`,
//! ruff's registry checks): codes are well-formed, unique, sorted and in
//! their reserved range; names are kebab-case and unique; every rule's docs
//! have the sections its page needs; retired codes are never reused.

use std::collections::HashSet;
use std::path::Path;
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

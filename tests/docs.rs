//! `docs/rules/` is generated from the rule registry: one page per rule,
//! one per retired code, and the index. This test renders them and fails
//! when the committed files differ, so the docs cannot drift from the code.
//! `UPDATE_DOCS=1 cargo test --test docs` writes them instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use upcheck::rules::docs::{retired_doc_markdown, rule_doc_markdown, rules_index_markdown};
use upcheck::rules::registry::{RETIRED, RULES};

const NOTICE: &str = "<!-- Generated from the rule registry by `UPDATE_DOCS=1 cargo test --test docs`; do not edit by hand. -->\n\n";

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules")
}

/// Every generated file, by file name.
fn expected() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in RULES {
        let m = r.meta();
        out.insert(
            format!("{}.md", m.code),
            format!("{NOTICE}{}", rule_doc_markdown(m)),
        );
    }
    for (code, reason) in RETIRED {
        out.insert(
            format!("{code}.md"),
            format!("{NOTICE}{}", retired_doc_markdown(code, reason)),
        );
    }
    out.insert(
        "README.md".into(),
        format!("{NOTICE}{}", rules_index_markdown()),
    );
    out
}

#[test]
fn rule_docs_are_up_to_date() {
    let dir = docs_dir();
    let expected = expected();
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1");
    // Pages of codes that no longer exist: a removed rule must be retired.
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.ends_with(".md") && !expected.contains_key(n))
                .collect()
        })
        .unwrap_or_default();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &expected {
            let path = dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&path, text).unwrap();
            }
        }
        for name in &stale {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        return;
    }
    let mut problems = Vec::new();
    for (name, text) in &expected {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(committed) if committed == *text => {}
            Ok(_) => problems.push(format!("docs/rules/{name} is out of date")),
            Err(_) => problems.push(format!("docs/rules/{name} is missing")),
        }
    }
    for name in stale {
        problems.push(format!(
            "docs/rules/{name} belongs to no rule (retire the code in RETIRED)"
        ));
    }
    assert!(
        problems.is_empty(),
        "{}\nregenerate with: UPDATE_DOCS=1 cargo test --test docs",
        problems.join("\n")
    );
}

#[test]
fn every_rule_is_in_the_index_with_a_link_to_its_page() {
    let index = rules_index_markdown();
    for r in RULES {
        let code = r.meta().code;
        assert!(
            index.contains(&format!("[{code}]({code}.md)")),
            "{code} missing from the index"
        );
    }
}

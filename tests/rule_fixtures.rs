//! Every rule has fixtures under `tests/fixtures/rules/<CODE>-<name>/`:
//! `bad-*` cases must raise the rule, `ok-*` cases (the false-positive
//! guards) must not. A case directory holds nginx files (`*.conf`,
//! `*.template`) and topology files (`*.yaml`, `*.yml`, `*.json`), plus an
//! optional `options.json` ({"nginx_service", "project", "namespace",
//! "env", "subnets", "nginx_main"}). Each case's text report is
//! snapshotted, so a change in wording or fixes is seen in review.

mod common;

use common::case_input;
use std::path::{Path, PathBuf};

fn rules_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

#[test]
fn bad_cases_raise_their_rule_and_ok_cases_do_not() {
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut rule_dirs: Vec<PathBuf> = std::fs::read_dir(rules_root())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    rule_dirs.sort();
    for rule_dir in rule_dirs {
        let code = rule_dir.file_name().unwrap().to_string_lossy()[..6].to_string();
        let mut case_dirs: Vec<PathBuf> = std::fs::read_dir(&rule_dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        case_dirs.sort();
        for case in case_dirs {
            cases += 1;
            let name = case.file_name().unwrap().to_string_lossy().to_string();
            let report = match upcheck::validate(&case_input(&case)) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{}: input error: {e}", case.display()));
                    continue;
                }
            };
            let hit = report.findings.iter().any(|f| f.code == code);
            if name.starts_with("bad") && !hit {
                failures.push(format!(
                    "{}: expected {code}, got {:?}",
                    case.display(),
                    codes(&report)
                ));
            }
            if name.starts_with("ok") && hit {
                failures.push(format!(
                    "{}: {code} must not fire, got {:?}",
                    case.display(),
                    codes(&report)
                ));
            }
            let rel = case
                .strip_prefix(rules_root())
                .unwrap()
                .to_string_lossy()
                .replace('/', "__");
            insta::with_settings!({ snapshot_suffix => rel, prepend_module_to_snapshot => false, snapshot_path => "snapshots/rule_fixtures" }, {
                insta::assert_snapshot!("rule", upcheck::report::render(&report, upcheck::report::Format::Text));
            });
        }
    }
    assert!(cases > 0, "no rule fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn codes(r: &upcheck::Report) -> Vec<String> {
    r.findings.iter().map(|f| f.code.clone()).collect()
}

#[test]
fn every_rule_has_a_bad_and_an_ok_fixture() {
    let mut missing = Vec::new();
    for rule in upcheck::rules::registry::RULES {
        let m = rule.meta();
        let dir = rules_root().join(format!("{}-{}", m.code, m.name));
        let kinds: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        if !kinds.iter().any(|k| k.starts_with("bad")) || !kinds.iter().any(|k| k.starts_with("ok"))
        {
            missing.push(format!("{}-{}", m.code, m.name));
        }
    }
    assert!(
        missing.is_empty(),
        "rules without bad-* and ok-* fixtures: {missing:?}"
    );
}

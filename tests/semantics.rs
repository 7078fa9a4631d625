//! `docs/semantics.md` walks the compose and Kubernetes fields that decide
//! reachability, naming for each the source file that models it and the
//! scenarios that prove it against real nginx. This test keeps the page
//! honest: every scenario, repository and source path it names exists,
//! every row either names a proof or says why it has none, and a field the
//! page calls not modelled is proved by a scenario whose upstream comes
//! out `unverifiable` (never a silent pass or fail).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn page() -> String {
    std::fs::read_to_string(root().join("docs/semantics.md")).expect("docs/semantics.md")
}

/// The text between backticks in `s`.
fn code_spans(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// A backticked word that names a proof: a scenario directory or a real
/// repository.
fn is_proof(token: &str) -> bool {
    ["compose-", "k8s-", "seed-", "repositories/"]
        .iter()
        .any(|p| token.starts_with(p))
}

fn proof_dir(token: &str) -> PathBuf {
    match token.strip_prefix("repositories/") {
        Some(r) => root().join("tests/repositories").join(r),
        None => root().join("tests/scenarios").join(token),
    }
}

/// The table rows of the page: (line number, cells).
fn rows(text: &str) -> Vec<(usize, Vec<String>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with('|') && !l.starts_with("|---"))
        .map(|(i, l)| {
            let cells = l
                .trim()
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            (i + 1, cells)
        })
        // Header rows.
        .filter(|(_, c): &(usize, Vec<String>)| {
            c.first()
                .is_some_and(|f| !f.is_empty() && f != "Field" && f != "Behaviour")
        })
        .collect()
}

#[test]
fn every_named_scenario_repository_and_source_file_exists() {
    let text = page();
    let mut missing = Vec::new();
    for token in code_spans(&text) {
        if is_proof(token) {
            let dir = proof_dir(token);
            if !dir.join("expected.json").is_file() {
                missing.push(format!("scenario `{token}` ({})", dir.display()));
            }
        } else if token.starts_with("src/") && !root().join(token).exists() {
            missing.push(format!("source path `{token}`"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/semantics.md names what does not exist:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_row_names_a_proof_or_says_why_not() {
    let text = page();
    let rows = rows(&text);
    assert!(rows.len() >= 40, "the walk has only {} rows", rows.len());
    let mut bad = Vec::new();
    for (line, cells) in &rows {
        if cells.len() != 5 {
            bad.push(format!("line {line}: {} cells, not 5", cells.len()));
            continue;
        }
        let proof = &cells[4];
        let named = code_spans(proof).into_iter().any(is_proof);
        if !named && !proof.contains("no scenario") && !proof.starts_with("see ") {
            bad.push(format!(
                "line {line}: `{}` names no scenario and says no reason",
                cells[0]
            ));
        }
    }
    assert!(bad.is_empty(), "docs/semantics.md:\n  {}", bad.join("\n  "));
}

#[test]
fn a_field_not_modelled_is_proved_unverifiable() {
    let text = page();
    let mut bad = Vec::new();
    for (line, cells) in rows(&text) {
        if cells.len() != 5 || !cells[3].contains("*Not modelled*") {
            continue;
        }
        let scenarios: Vec<&str> = code_spans(&cells[4])
            .into_iter()
            .filter(|t| is_proof(t) && !t.starts_with("repositories/"))
            .collect();
        if scenarios.is_empty() {
            continue;
        }
        let unverifiable = scenarios.iter().any(|s| {
            let text =
                std::fs::read_to_string(proof_dir(s).join("expected.json")).unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            v["upstreams"]
                .as_array()
                .is_some_and(|u| u.iter().any(|u| u["status"] == "unverifiable"))
        });
        if !unverifiable {
            bad.push(format!("line {line}: `{}` is not modelled, but none of {scenarios:?} expects an unverifiable upstream", cells[0]));
        }
    }
    assert!(bad.is_empty(), "docs/semantics.md:\n  {}", bad.join("\n  "));
}

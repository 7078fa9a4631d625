//! Rule documentation rendered from the registry: one Markdown page per
//! rule (`docs/rules/<CODE>.md`, `upcheck explain`, `GET /rules/{code}`)
//! and the index (`docs/rules/README.md`). The text comes from each rule's
//! doc comment, so the pages cannot drift from the code; `tests/docs.rs`
//! fails when the committed files differ from what is rendered here.

use super::registry::{RETIRED, RULES};
use super::{FixAvailability, Meta};

/// The reserved code ranges: the code's prefix and what the range covers.
/// The same table opens `src/rules/mod.rs`; `tests/registry.rs` keeps the
/// two in step.
pub const RANGES: &[(&str, &str)] = &[
    ("UC0", "input and parse"),
    ("UC1", "name resolution"),
    ("UC2", "reachability and ports"),
    ("UC3", "protocol"),
    ("UC4", "resilience and hygiene"),
];

/// What a code's range covers (`UC2001` → `reachability and ports`).
pub fn range_of(code: &str) -> Option<&'static str> {
    RANGES
        .iter()
        .find(|(prefix, _)| code.starts_with(prefix))
        .map(|(_, what)| *what)
}

/// The rule's doc comment as Markdown: the one space `///` leaves before
/// each line removed, trailing blank lines dropped.
pub fn docs_body(meta: &Meta) -> String {
    let mut out = String::new();
    for line in meta.docs.lines() {
        out.push_str(line.strip_prefix(' ').unwrap_or(line).trim_end());
        out.push('\n');
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// The file that defines the rule, without the line anchor
/// (`src/rules/loopback_upstream_nothing_listens.rs`).
pub fn source_file(meta: &Meta) -> &'static str {
    meta.source.split('#').next().unwrap_or(meta.source)
}

/// A rule's page: the title, one metadata line, then its docs.
pub fn rule_doc_markdown(meta: &Meta) -> String {
    let fix = match meta.fix {
        FixAvailability::None => "none",
        FixAvailability::Sometimes => "sometimes available",
        FixAvailability::Always => "always available",
    };
    let file = source_file(meta);
    let mut out = format!("# {}: {}\n\n", meta.code, meta.name);
    out.push_str(&format!(
        "**Severity:** {}{} · **Fix:** {fix} · **Range:** {} · **Source:** [`{file}`](../../{file})\n\n",
        meta.severity.as_str(),
        if meta.refusal {
            " (a refusal: the verdict is `error`, the input was not read)"
        } else {
            ""
        },
        range_of(meta.code).unwrap_or("unassigned"),
    ));
    out.push_str(&docs_body(meta));
    out
}

/// The index of every rule, by range, and the retired codes.
pub fn rules_index_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n\
         Every finding upcheck reports has a stable code, a name that names the \
         problem, a default severity and a page here. Codes are never reused: a \
         retired code stays listed below with the reason.\n\n\
         `upcheck rules` prints this list, `upcheck explain CODE` prints a page.\n",
    );
    for (prefix, what) in RANGES {
        out.push_str(&format!("\n## {prefix}xxx: {what}\n\n"));
        let rules: Vec<&Meta> = RULES
            .iter()
            .map(|r| r.meta())
            .filter(|m| m.code.starts_with(prefix))
            .collect();
        if rules.is_empty() {
            out.push_str("No rules yet.\n");
            continue;
        }
        out.push_str("| Code | Name | Severity | Fix | Summary |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for m in rules {
            out.push_str(&format!(
                "| [{code}]({code}.md) | `{}` | {} | {} | {} |\n",
                m.name,
                m.severity.as_str(),
                m.fix.as_str(),
                table_cell(&m.summary()),
                code = m.code,
            ));
        }
    }
    out.push_str("\n## Retired codes\n\n");
    if RETIRED.is_empty() {
        out.push_str("None.\n");
    } else {
        out.push_str("| Code | Reason |\n| --- | --- |\n");
        for (code, reason) in RETIRED {
            out.push_str(&format!(
                "| [{code}]({code}.md) | {} |\n",
                table_cell(reason)
            ));
        }
    }
    out
}

/// The page kept for a retired code, so links to it still explain it.
pub fn retired_doc_markdown(code: &str, reason: &str) -> String {
    format!("# {code} (retired)\n\nThis code is no longer reported and is never reused: {reason}\n")
}

/// Rules whose code or name is close to `query`, closest first (for
/// "unknown code" messages).
pub fn similar(query: &str) -> Vec<&'static Meta> {
    // (`get(..3)` rather than slicing: a query may be any text, e.g. `ü`.)
    let q = query.trim().to_ascii_uppercase();
    let lower = query.trim().to_ascii_lowercase();
    let mut scored: Vec<(usize, &'static Meta)> = RULES
        .iter()
        .map(|r| r.meta())
        .filter_map(|m| {
            let by_code = strsim::levenshtein(&q, m.code);
            let by_name = strsim::levenshtein(&lower, m.name);
            let same_range = q.get(..3).is_some_and(|prefix| m.code.starts_with(prefix));
            let score = by_code.min(by_name);
            let close = by_code <= 2 || by_name <= 3 || (same_range && by_code <= 3);
            close.then_some((score, m))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.code.cmp(b.1.code)));
    scored.into_iter().map(|(_, m)| m).take(5).collect()
}

fn table_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_start_with_code_and_name_and_drop_the_doc_indent() {
        let m = RULES[0].meta();
        let page = rule_doc_markdown(m);
        assert!(page.starts_with(&format!("# {}: {}\n\n**Severity:** ", m.code, m.name)));
        assert!(page.contains("\n## What it does\n"), "{page}");
        assert!(page.ends_with('\n') && !page.ends_with("\n\n"));
    }

    #[test]
    fn near_codes_are_suggested() {
        let first = RULES[0].meta().code;
        let mut typo = first.to_string();
        typo.pop();
        typo.push('9');
        assert!(similar(&typo).iter().any(|m| m.code == first));
        assert!(similar("no-such-thing-at-all-here").is_empty());
    }
}

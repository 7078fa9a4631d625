//! `upcheck rules` and `upcheck explain CODE`: the rule registry on the
//! command line, rendered by the same functions as `docs/rules/`.

use super::{EXIT_OK, EXIT_USAGE};
use clap::Args;
use upcheck::rules::docs;
use upcheck::rules::registry::{RETIRED, RULES, by_code};

/// Options of `upcheck rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the index as Markdown (the generated `docs/rules/README.md`).
    #[arg(long)]
    markdown: bool,
}

/// Options of `upcheck explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (`UC2001`, any case) or a rule name
    /// (`loopback-upstream-nothing-listens`).
    #[arg(value_name = "CODE")]
    code: String,
}

/// Runs `upcheck rules`: one line per rule (code, name, severity, fix, summary).
pub fn run_rules(a: RulesArgs) -> u8 {
    if a.markdown {
        super::print_stdout(docs::rules_index_markdown().trim_end());
        return EXIT_OK;
    }
    let metas: Vec<_> = RULES.iter().map(|r| r.meta()).collect();
    let name_w = metas.iter().map(|m| m.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for m in metas {
        out.push_str(&format!(
            "{}  {:name_w$}  {:7}  fix:{:9}  {}\n",
            m.code,
            m.name,
            m.severity.as_str(),
            m.fix.as_str(),
            m.summary(),
        ));
    }
    super::print_stdout(out.trim_end());
    EXIT_OK
}

/// Runs `upcheck explain CODE`: the rule's page; exit 2 for an unknown code.
pub fn run_explain(a: ExplainArgs) -> u8 {
    let query = a.code.trim();
    let rule = by_code(query).or_else(|| {
        RULES
            .iter()
            .copied()
            .find(|r| r.meta().name.eq_ignore_ascii_case(query))
    });
    if let Some(r) = rule {
        super::print_stdout(docs::rule_doc_markdown(r.meta()).trim_end());
        return EXIT_OK;
    }
    if let Some((code, reason)) = RETIRED.iter().find(|(c, _)| c.eq_ignore_ascii_case(query)) {
        super::print_stdout(&format!("{code} is retired: {reason}"));
        return EXIT_OK;
    }
    let close = docs::similar(query);
    if close.is_empty() {
        eprintln!("upcheck: unknown rule `{query}`; `upcheck rules` lists every rule");
    } else {
        let list: Vec<String> = close
            .iter()
            .map(|m| format!("{} ({})", m.code, m.name))
            .collect();
        eprintln!(
            "upcheck: unknown rule `{query}`; close: {}",
            list.join(", ")
        );
    }
    EXIT_USAGE
}

//! Which rules a team runs and how loud each is: `select` and `ignore`
//! (codes, code prefixes such as `UC2`, or rule names), and a per-rule
//! `severity`. One struct, [`RuleSettings`], read alike from
//! `upcheck.toml`, the CLI's flags and the HTTP API's `options.rules`.
//!
//! A finding that means upcheck could not read its input (a refusal) is
//! never dropped and never changes severity: an unread input must not
//! turn into a pass by configuration.

use crate::finding::{Finding, Severity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Rule selection and severities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSettings {
    /// Only these rules report (codes, code prefixes such as `UC2`, or
    /// rule names); every rule when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    /// These rules do not report (same forms as `select`; wins over it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// A severity per rule (code or name), replacing its default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<String, Severity>,
}

/// A selector or a severity key that names no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{written}` in `{setting}` names no rule (a code such as UC2012, a prefix such as UC2, or a rule name; `upcheck rules` lists them)"
)]
pub struct UnknownRule {
    /// Which setting (`select`, `ignore`, `severity`).
    pub setting: &'static str,
    /// What was written.
    pub written: String,
}

/// Whether `selector` picks the rule `code`/`name`: a code prefix (any
/// case), `ALL`, or the rule's name.
fn picks(selector: &str, code: &str, name: &str) -> bool {
    let s = selector.trim();
    s.eq_ignore_ascii_case("ALL")
        || s.eq_ignore_ascii_case(name)
        || (s.len() >= 2
            && code.len() >= s.len()
            && code[..s.len()].eq_ignore_ascii_case(s)
            && s[..2].eq_ignore_ascii_case("UC"))
}

impl RuleSettings {
    /// Whether nothing is configured.
    pub fn is_default(&self) -> bool {
        *self == RuleSettings::default()
    }

    /// Every selector and severity key names at least one rule.
    pub fn check(&self) -> Result<(), UnknownRule> {
        let known = |s: &str| {
            super::registry::RULES
                .iter()
                .any(|r| picks(s, r.meta().code, r.meta().name))
        };
        let lists = [("select", &self.select), ("ignore", &self.ignore)];
        for (setting, list) in lists {
            if let Some(w) = list.iter().find(|s| !known(s)) {
                return Err(UnknownRule {
                    setting,
                    written: w.clone(),
                });
            }
        }
        let exact = |s: &str| super::registry::by_code_or_name(s).is_some();
        if let Some(w) = self.severity.keys().find(|s| !exact(s)) {
            return Err(UnknownRule {
                setting: "severity",
                written: w.clone(),
            });
        }
        Ok(())
    }

    /// Whether the rule `code`/`name` reports under these settings.
    pub fn enabled(&self, code: &str, name: &str) -> bool {
        (self.select.is_empty() || self.select.iter().any(|s| picks(s, code, name)))
            && !self.ignore.iter().any(|s| picks(s, code, name))
    }

    /// The severity configured for the rule `code`/`name`, if any.
    pub fn severity_of(&self, code: &str, name: &str) -> Option<Severity> {
        self.severity
            .iter()
            .find(|(k, _)| super::registry::names(k, code, name))
            .map(|(_, s)| *s)
    }

    /// Drops the findings of rules that do not report, and gives the rest
    /// their configured severity. Refusals are kept as they are.
    /// The settings are decided once per rule, so the cost is findings
    /// plus rules × settings, never findings × settings.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        if self.is_default() {
            return;
        }
        // code → None (turned off) or Some(configured severity, if any).
        let per_rule: HashMap<&str, Option<Option<Severity>>> = super::registry::RULES
            .iter()
            .map(|r| {
                let (code, name) = (r.meta().code, r.meta().name);
                let decided = self
                    .enabled(code, name)
                    .then(|| self.severity_of(code, name));
                (code, decided)
            })
            .collect();
        findings.retain(|f| f.refusal || per_rule.get(f.code).is_none_or(Option::is_some));
        for f in findings.iter_mut().filter(|f| !f.refusal) {
            if let Some(Some(Some(s))) = per_rule.get(f.code) {
                f.severity = *s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: &'static str, name: &'static str, severity: Severity) -> Finding {
        Finding::new(code, name, severity, "m", None)
    }

    #[test]
    fn selectors_are_codes_prefixes_and_names() {
        assert!(picks("UC2012", "UC2012", "listen-port-not-published"));
        assert!(picks("uc2", "UC2012", "listen-port-not-published"));
        assert!(picks(
            "listen-port-not-published",
            "UC2012",
            "listen-port-not-published"
        ));
        assert!(picks("ALL", "UC2012", "x"));
        assert!(!picks("UC3", "UC2012", "x"));
        assert!(!picks("2012", "UC2012", "x"));
    }

    #[test]
    fn ignore_wins_over_select_and_refusals_stay() {
        let s = RuleSettings {
            select: vec!["UC2".into()],
            ignore: vec!["UC2012".into()],
            severity: BTreeMap::from([("UC2004".into(), Severity::Info)]),
        };
        let mut f = vec![
            finding("UC2012", "a", Severity::Warning),
            finding("UC2004", "b", Severity::Error),
            finding("UC1001", "c", Severity::Error),
            finding("UC0002", "d", Severity::Error).refusal(true),
        ];
        s.apply(&mut f);
        let got: Vec<_> = f.iter().map(|f| (f.code, f.severity)).collect();
        assert_eq!(
            got,
            [("UC2004", Severity::Info), ("UC0002", Severity::Error)]
        );
    }

    #[test]
    fn unknown_selectors_are_named() {
        let s = RuleSettings {
            ignore: vec!["UC9".into()],
            ..Default::default()
        };
        let e = s.check().unwrap_err();
        assert_eq!(e.setting, "ignore");
        assert_eq!(e.written, "UC9");
        let s = RuleSettings {
            severity: BTreeMap::from([("UC2".into(), Severity::Info)]),
            ..Default::default()
        };
        assert_eq!(s.check().unwrap_err().setting, "severity");
        let s = RuleSettings {
            select: vec!["UC2".into(), "proxy-loop".into()],
            ..Default::default()
        };
        assert!(s.check().is_ok());
    }
}

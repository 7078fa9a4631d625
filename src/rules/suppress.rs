//! Suppression comments, in every file a user writes with `#` comments —
//! nginx configuration, compose and Kubernetes YAML, Dockerfiles, env
//! files:
//!
//! ```text
//! proxy_pass http://app:8000;  # upcheck: ignore[UC2012] published by the ingress instead
//! # upcheck: ignore[UC2004, UC2016] the worker starts later
//! # upcheck: ignore-file[UC0004] variables come from the CI environment
//! ```
//!
//! A comment after code applies to its own line; a comment on a line of
//! its own applies to the next line; `ignore-file` applies to the whole
//! file. A finding applies where its primary location starts. The codes
//! are required (a rule name works too), and what follows them is the
//! reason, kept in the report.
//!
//! Suppressed findings stay in the report, marked with their reason, and
//! are left out of the verdict and the counts. A refusal (an input upcheck
//! could not read) cannot be suppressed. A suppression that suppresses
//! nothing, names no rule, or is malformed is itself reported
//! ([`super::unused_suppression::UnusedSuppression`], as ruff's RUF100).
//!
//! Cost: one pass over each file's bytes (each `#` is looked at once), one
//! map entry per rule a comment names, and four lookups per finding; at
//! most [`MAX_SUPPRESSIONS`] comments of at most [`MAX_RULES_PER_COMMENT`]
//! rules are read.

use super::settings::RuleSettings;
use super::unused_suppression::UnusedSuppression;
use crate::finding::Finding;
use crate::source::{FileId, SourceMap, Span};
use std::collections::HashMap;

/// Most suppression comments read in one validation.
pub const MAX_SUPPRESSIONS: usize = 10_000;

/// Most rules one comment names (there are fewer than 64 rules).
pub const MAX_RULES_PER_COMMENT: usize = 64;

/// What a comment covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// One line, 1-based (as [`crate::source::SourceFile::line_of`]).
    Line(u32),
    /// The whole file.
    File,
}

/// One suppression comment.
#[derive(Debug)]
struct Suppression {
    /// Where the comment is (`upcheck: …` to the end of the line).
    span: Span,
    scope: Scope,
    /// The codes or names, as written.
    rules: Vec<String>,
    /// What follows the codes.
    reason: String,
    /// Which of `rules` suppressed a finding.
    used: Vec<bool>,
    /// Why it cannot be read, if it cannot.
    malformed: Option<&'static str>,
}

/// Reads the suppressions of `files`, marks the findings they cover, and
/// appends a finding for each one that is unused, unknown or malformed.
/// Rules `settings` turns off are not reported unused.
pub fn apply(
    sources: &SourceMap,
    files: &[FileId],
    settings: &RuleSettings,
    findings: &mut Vec<Finding>,
) {
    let mut all = Vec::new();
    let mut truncated = None;
    for &file in files {
        if all.len() >= MAX_SUPPRESSIONS {
            truncated = Some(file);
            break;
        }
        scan(sources, file, &mut all);
    }
    all.truncate(MAX_SUPPRESSIONS);
    if all.is_empty() && truncated.is_none() {
        return;
    }
    // (file, line or the whole file, rule as written in lower case) → the
    // first suppression naming it there, and which of its rules: built in
    // one pass over what the comments name, looked up twice per finding.
    type Key = (FileId, Option<u32>, String);
    let mut naming: HashMap<Key, (usize, usize)> = HashMap::new();
    for (i, s) in all
        .iter()
        .enumerate()
        .filter(|(_, s)| s.malformed.is_none())
    {
        let line = match s.scope {
            Scope::Line(l) => Some(l),
            Scope::File => None,
        };
        for (k, r) in s.rules.iter().enumerate() {
            let key = (s.span.file, line, r.to_ascii_lowercase());
            naming.entry(key).or_insert((i, k));
        }
    }
    for f in findings.iter_mut().filter(|f| !f.refusal) {
        let Some(span) = f.span else { continue };
        let line = sources.get(span.file).line_of(span.start as usize);
        let hit = [Some(line), None].into_iter().find_map(|scope| {
            [f.code, f.name].into_iter().find_map(|r| {
                naming
                    .get(&(span.file, scope, r.to_ascii_lowercase()))
                    .copied()
            })
        });
        if let Some((i, k)) = hit {
            all[i].used[k] = true;
            f.suppressed = Some(all[i].reason.clone());
        }
    }
    for s in &all {
        if let Some(m) = report(s, settings) {
            findings.push(super::finding(&UnusedSuppression, m, Some(s.span)));
        }
    }
    if let Some(file) = truncated {
        let path = &sources.get(file).path;
        findings.push(super::finding(
            &UnusedSuppression,
            format!(
                "more than {MAX_SUPPRESSIONS} suppression comments: those from `{path}` on are not read"
            ),
            None,
        ));
    }
}

/// What to say of a suppression that does not do its job, if anything.
fn report(s: &Suppression, settings: &RuleSettings) -> Option<String> {
    if let Some(why) = s.malformed {
        return Some(format!("this suppression cannot be read: {why}"));
    }
    let mut unknown = Vec::new();
    let mut unused = Vec::new();
    for (r, used) in s.rules.iter().zip(&s.used) {
        match super::registry::by_code_or_name(r) {
            None => unknown.push(format!("`{r}`")),
            Some(rule) if !used && settings.enabled(rule.meta().code, rule.meta().name) => {
                unused.push(format!("`{r}`"))
            }
            Some(_) => {}
        }
    }
    match (unknown.is_empty(), unused.is_empty()) {
        (true, true) => None,
        (false, _) => Some(format!(
            "this suppression names no rule: {} (`upcheck rules` lists them)",
            unknown.join(", ")
        )),
        (true, false) => Some(format!(
            "this suppression is unused: no {} finding {}",
            unused.join(", "),
            match s.scope {
                Scope::Line(_) => "starts on the line it covers",
                Scope::File => "is in this file",
            }
        )),
    }
}

/// Appends the suppression comments of one file.
fn scan(sources: &SourceMap, file: FileId, out: &mut Vec<Suppression>) {
    let bytes = &sources.get(file).bytes;
    let mut line_no: u32 = 1;
    let mut line_start = 0usize;
    while line_start <= bytes.len() && out.len() < MAX_SUPPRESSIONS {
        let line_end = bytes[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| line_start + p);
        let line = &bytes[line_start..line_end];
        if let Some((hash, at, directive)) = directive(line) {
            let own_line = line[..hash].iter().all(|b| b.is_ascii_whitespace());
            let span = Span::new(file, line_start + at, line_end);
            out.push(parse(directive, span, line_no, own_line));
        }
        line_no += 1;
        line_start = line_end + 1;
    }
}

/// The text after `upcheck:` in a `#` comment of `line`, with where its
/// `#` and its `upcheck:` start.
fn directive(line: &[u8]) -> Option<(usize, usize, &[u8])> {
    const TAG: &[u8] = b"upcheck:";
    let mut i = 0;
    while let Some(p) = line[i..].iter().position(|&b| b == b'#') {
        let hash = i + p;
        let mut j = hash + 1;
        while j < line.len() && (line[j] == b' ' || line[j] == b'\t') {
            j += 1;
        }
        if line[j..].starts_with(TAG) {
            return Some((hash, j, &line[j + TAG.len()..]));
        }
        i = j;
    }
    None
}

/// Reads `ignore[…] reason` or `ignore-file[…] reason`.
fn parse(text: &[u8], span: Span, line: u32, own_line: bool) -> Suppression {
    let text = String::from_utf8_lossy(text);
    let text = text.trim();
    let mut s = Suppression {
        span,
        scope: Scope::Line(if own_line { line + 1 } else { line }),
        rules: Vec::new(),
        reason: String::new(),
        used: Vec::new(),
        malformed: None,
    };
    let rest = if let Some(r) = text.strip_prefix("ignore-file") {
        s.scope = Scope::File;
        r
    } else if let Some(r) = text.strip_prefix("ignore") {
        r
    } else {
        s.malformed = Some("expected `ignore[CODE…]` or `ignore-file[CODE…]` after `upcheck:`");
        return s;
    };
    let Some(inner) = rest.strip_prefix('[').and_then(|r| r.split_once(']')) else {
        s.malformed = Some("the codes go in brackets: `ignore[UC2012]`");
        return s;
    };
    // One more than the cap is enough to refuse it.
    s.rules = inner
        .0
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .take(MAX_RULES_PER_COMMENT + 1)
        .map(str::to_owned)
        .collect();
    if s.rules.is_empty() {
        s.malformed = Some("name at least one rule: `ignore[UC2012]`");
        return s;
    }
    if s.rules.len() > MAX_RULES_PER_COMMENT {
        s.rules.clear();
        s.malformed = Some("it names more than 64 rules");
        return s;
    }
    s.used = vec![false; s.rules.len()];
    s.reason = inner.1.trim().to_owned();
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::source::SourceFile;

    fn run(text: &str, at: &[(&'static str, &str)]) -> (Vec<Finding>, SourceMap) {
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::new("default.conf", text));
        let mut findings: Vec<Finding> = at
            .iter()
            .map(|(code, needle)| {
                let start = text.find(needle).unwrap();
                Finding::new(
                    code,
                    "name",
                    Severity::Error,
                    "m",
                    Some(Span::new(file, start, start + needle.len())),
                )
            })
            .collect();
        apply(&sources, &[file], &RuleSettings::default(), &mut findings);
        (findings, sources)
    }

    #[test]
    fn a_trailing_comment_covers_its_line_and_an_own_line_comment_the_next() {
        let conf = "location / {\n  proxy_pass http://a:1;  # upcheck: ignore[UC2012] the ingress publishes it\n  # upcheck: ignore[UC2004]\n  proxy_pass http://b:2;\n  proxy_pass http://c:3;\n}\n";
        let (f, _) = run(
            conf,
            &[
                ("UC2012", "http://a:1"),
                ("UC2004", "http://b:2"),
                ("UC2004", "http://c:3"),
            ],
        );
        assert_eq!(f[0].suppressed.as_deref(), Some("the ingress publishes it"));
        assert_eq!(f[1].suppressed.as_deref(), Some(""));
        assert_eq!(f[2].suppressed, None);
        assert_eq!(f.len(), 3, "every suppression was used");
    }

    #[test]
    fn unused_unknown_and_malformed_suppressions_are_reported() {
        let conf = "# upcheck: ignore-file[UC2004]\n# upcheck: ignore[UC9999]\nlisten 80; # upcheck: ignore\n";
        let (f, _) = run(conf, &[]);
        let messages: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(f.iter().filter(|f| f.code == "UC4001").count(), 3);
        assert!(messages[0].contains("unused: no `UC2004` finding is in this file"));
        assert!(messages[1].contains("names no rule: `UC9999`"));
        assert!(messages[2].contains("cannot be read"));
    }

    #[test]
    fn refusals_cannot_be_suppressed() {
        let mut sources = SourceMap::new();
        let text = "listen 80; # upcheck: ignore[UC0001]\n";
        let file = sources.add(SourceFile::new("default.conf", text));
        let mut f = vec![
            Finding::new(
                "UC0001",
                "n",
                Severity::Error,
                "m",
                Some(Span::new(file, 0, 6)),
            )
            .refusal(true),
        ];
        apply(&sources, &[file], &RuleSettings::default(), &mut f);
        assert_eq!(f[0].suppressed, None);
        assert!(f[1].message.contains("unused"));
    }

    #[test]
    fn a_comment_naming_more_rules_than_exist_is_refused() {
        let codes = vec!["UC2004"; 100_000].join(",");
        let text = format!("# upcheck: ignore-file[{codes}]\nlisten 80;\n");
        let (f, _) = run(&text, &[("UC2004", "listen 80")]);
        assert_eq!(f[0].suppressed, None);
        crate::testing::assert_contains(&f[1].message, "more than 64 rules");
    }

    #[test]
    fn hashes_without_a_directive_cost_one_look_each() {
        let line = "#".repeat(200_000);
        assert!(directive(line.as_bytes()).is_none());
        let spaced = "# ".repeat(100_000);
        assert!(directive(spaced.as_bytes()).is_none());
    }
}

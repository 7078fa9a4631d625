//! End-to-end scenarios: `tests/scenarios/<name>/` holds what a real
//! project has (the nginx files, the compose file or Kubernetes manifests,
//! optionally `options.json`) and `expected.json`, the result real nginx
//! and real namespaces give — decided from how nginx and the platforms
//! behave (shared/reference/networking.md), not from upcheck's output:
//!
//! ```json
//! {"verdict": "pass|warn|fail", "nginx_starts": true,
//!  "upstreams": [{"target": "<as written>", "status": "reachable|unreachable|unverifiable"}],
//!  "codes": ["UC2001"],
//!  "fix": {"code": "UC2001", "target": "http://model_test:6001"},
//!  "description": "one sentence"}
//! ```
//!
//! `codes` is the exact set of findings of severity error or warning; an
//! entry is a code or, for a rule not yet in the registry, the kebab-case
//! rule name. The optional `fix` says that some fix of a finding with that
//! code, applied to the inputs, makes nginx's target read `target`. The
//! same directories are replayed against real nginx in namespaces by the
//! harness of the "proof against reality" issue.

mod common;

use common::{apply_fix, case_input, subdirs};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use upcheck::finding::Severity;
use upcheck::report::Report;

/// The scenarios issue 4 names, which must always be present.
const SEEDS: &[&str] = &[
    "seed-compose-loopback",
    "seed-compose-service-name",
    "seed-k8s-one-pod",
    "seed-k8s-two-pods",
];

fn scenarios_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

#[derive(Debug)]
struct Expected {
    verdict: String,
    nginx_starts: bool,
    upstreams: Vec<(String, String)>,
    codes: BTreeSet<String>,
    fix: Option<(String, String)>,
}

fn expected(dir: &Path) -> Result<Expected, String> {
    let path = dir.join("expected.json");
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let s = |k: &str| {
        v[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("expected.json: `{k}` must be a string"))
    };
    if s("description")?.trim().is_empty() {
        return Err("expected.json: empty `description`".into());
    }
    let verdict = s("verdict")?;
    if !["pass", "warn", "fail", "error"].contains(&verdict.as_str()) {
        return Err(format!("expected.json: bad verdict `{verdict}`"));
    }
    let upstreams = v["upstreams"]
        .as_array()
        .ok_or("expected.json: `upstreams` must be an array")?
        .iter()
        .map(|u| {
            let t = u["target"].as_str().ok_or("upstream without `target`")?;
            let st = u["status"].as_str().ok_or("upstream without `status`")?;
            if !["reachable", "unreachable", "unverifiable"].contains(&st) {
                return Err(format!("bad status `{st}`"));
            }
            Ok((t.to_string(), st.to_string()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let codes = v["codes"]
        .as_array()
        .ok_or("expected.json: `codes` must be an array")?
        .iter()
        .map(|c| {
            c.as_str()
                .map(str::to_string)
                .ok_or("code must be a string")
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    let fix = match &v["fix"] {
        serde_json::Value::Null => None,
        f => Some((
            f["code"].as_str().ok_or("fix without `code`")?.to_string(),
            f["target"]
                .as_str()
                .ok_or("fix without `target`")?
                .to_string(),
        )),
    };
    Ok(Expected {
        verdict,
        nginx_starts: v["nginx_starts"]
            .as_bool()
            .ok_or("expected.json: `nginx_starts` must be a boolean")?,
        upstreams,
        codes,
        fix,
    })
}

/// Distinct upstreams of a report (one per config line, whatever the
/// number of nginx replicas): target, status (`a|b` when replicas
/// disagree) and the reason.
fn actual_upstreams(report: &Report) -> Vec<(String, String, String)> {
    let mut out: Vec<(usize, String, BTreeSet<String>, String)> = Vec::new();
    for u in &report.upstreams {
        let status = serde_json::to_value(u.status).unwrap();
        let status = status.as_str().unwrap_or_default().to_string();
        match out.iter_mut().find(|o| o.0 == u.id) {
            Some(o) => {
                o.2.insert(status);
            }
            None => out.push((
                u.id,
                u.target.clone(),
                BTreeSet::from([status]),
                u.reason.clone().unwrap_or_default(),
            )),
        }
    }
    out.into_iter()
        .map(|(_, t, s, r)| (t, s.into_iter().collect::<Vec<_>>().join("|"), r))
        .collect()
}

/// The findings that change the verdict: (code, name, message).
fn verdict_findings(report: &Report) -> Vec<(String, String, String)> {
    report
        .findings
        .iter()
        .filter(|f| matches!(f.severity, Severity::Error | Severity::Warning))
        .map(|f| {
            let sev = match f.severity {
                Severity::Error => "error",
                _ => "warning",
            };
            (
                f.code.clone(),
                f.name.clone(),
                format!("{sev}: {}", f.message),
            )
        })
        .collect()
}

/// Every difference between a scenario's expectation and upcheck's report.
fn compare(dir: &Path) -> Vec<String> {
    let exp = match expected(dir) {
        Ok(e) => e,
        Err(e) => return vec![e],
    };
    let input = case_input(dir);
    let report = match upcheck::validate(&input) {
        Ok(r) => r,
        Err(e) => return vec![format!("input error: {e}")],
    };
    let mut diffs = Vec::new();
    if report.verdict.as_str() != exp.verdict {
        diffs.push(format!(
            "verdict: expected {}, got {}",
            exp.verdict,
            report.verdict.as_str()
        ));
    }
    if report.summary.nginx_starts != exp.nginx_starts {
        diffs.push(format!(
            "nginx_starts: expected {}, got {}",
            exp.nginx_starts, report.summary.nginx_starts
        ));
    }

    let mut actual = actual_upstreams(&report);
    for (target, status) in &exp.upstreams {
        match actual.iter().position(|a| &a.0 == target) {
            Some(i) => {
                let (_, got, reason) = actual.remove(i);
                if &got != status {
                    diffs.push(format!(
                        "upstream `{target}`: expected {status}, got {got}{}",
                        if reason.is_empty() {
                            String::new()
                        } else {
                            format!(" ({reason})")
                        }
                    ));
                }
            }
            None => diffs.push(format!(
                "upstream `{target}` ({status}) is not in the report"
            )),
        }
    }
    for (target, got, _) in actual {
        diffs.push(format!(
            "upstream `{target}` ({got}) is in the report but not in expected.json"
        ));
    }

    let found = verdict_findings(&report);
    for want in &exp.codes {
        if !found.iter().any(|(c, n, _)| c == want || n == want) {
            let known = upcheck::rules::registry::by_code(want).is_some()
                || upcheck::rules::registry::RULES
                    .iter()
                    .any(|r| r.meta().name == want);
            diffs.push(format!(
                "missing finding `{want}`{}",
                if known {
                    ""
                } else {
                    " (no such rule in the registry yet)"
                }
            ));
        }
    }
    for (code, name, message) in &found {
        if !exp.codes.contains(code) && !exp.codes.contains(name) {
            diffs.push(format!("unexpected finding {code} {name}: {message}"));
        }
    }

    if let Some((code, target)) = &exp.fix {
        diffs.extend(check_fix(&input, &report, code, target));
    }
    diffs
}

/// Some fix of a `code` finding, applied to the inputs, makes an upstream
/// read `target`.
fn check_fix(input: &upcheck::Input, report: &Report, code: &str, target: &str) -> Vec<String> {
    let mut tried = Vec::new();
    for f in report.findings.iter().filter(|f| f.code == code) {
        for fx in f.fixes.iter().filter(|x| !x.edits.is_empty()) {
            let fixed = match apply_fix(input, report, fx) {
                Ok((i, _)) => i,
                Err(e) => {
                    tried.push(e);
                    continue;
                }
            };
            match upcheck::validate(&fixed) {
                Ok(r) if r.upstreams.iter().any(|u| u.target == target) => return Vec::new(),
                Ok(r) => tried.push(format!(
                    "`{}` gives targets {:?}",
                    fx.title,
                    r.upstreams.iter().map(|u| &u.target).collect::<Vec<_>>()
                )),
                Err(e) => tried.push(format!("`{}`: input error after the fix: {e}", fx.title)),
            }
        }
    }
    if tried.is_empty() {
        vec![format!(
            "fix: expected a {code} fix to `{target}`, but no {code} finding has a fix with edits"
        )]
    } else {
        vec![format!(
            "fix: no {code} fix leads to `{target}`: {}",
            tried.join("; ")
        )]
    }
}

#[test]
fn scenarios_agree_with_real_nginx_behaviour() {
    let dirs = subdirs(&scenarios_root());
    let names: Vec<String> = dirs
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    let missing: Vec<&&str> = SEEDS
        .iter()
        .filter(|s| !names.iter().any(|n| n == **s))
        .collect();
    assert!(missing.is_empty(), "seed scenarios missing: {missing:?}");
    assert!(
        dirs.len() >= 40,
        "at least 40 scenarios are required, found {}",
        dirs.len()
    );

    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (dir, name) in dirs.iter().zip(&names) {
        let diffs = compare(dir);
        if diffs.is_empty() {
            agree += 1;
        } else {
            disagreements.push(format!("{name}:\n  - {}", diffs.join("\n  - ")));
        }
    }
    let summary = format!("scenarios: {agree} agree, {} disagree", disagreements.len());
    println!("{summary}");
    assert!(
        disagreements.is_empty(),
        "{summary}\n\n{}",
        disagreements.join("\n\n")
    );
}

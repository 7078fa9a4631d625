//! Fixes re-validated (ruff's fix harness): for every `bad-*` rule fixture
//! (`tests/fixtures/rules/*/bad-*`) and every scenario with findings
//! (`tests/scenarios/*`), each fix that has edits and is `safe` or
//! `unsafe` is applied to the submitted files, and the result is validated
//! again:
//!
//! - the finding's code no longer appears at that place;
//! - no error appears that was not there before (so the fixed nginx
//!   config still parses and the fixed topology still loads);
//! - safe fixes converge: after one round of every safe fix, a second
//!   round changes nothing.
//!
//! The diffs of the applied fixes are snapshotted, one snapshot per case.

mod common;

use common::{apply_fix, case_input, fix_of, subdirs};
use std::path::{Path, PathBuf};
use upcheck::finding::Severity;
use upcheck::fix::{Applicability, Edit, Fix};
use upcheck::input::Input;
use upcheck::report::{FindingReport, FixReport, Report};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// A case: its name (for messages and snapshots) and its directory.
struct Case {
    name: String,
    dir: PathBuf,
}

/// Every `bad-*` rule fixture and every scenario.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for rule in subdirs(&root().join("fixtures/rules")) {
        for case in subdirs(&rule) {
            let name = case.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("bad") {
                out.push(Case {
                    name: format!(
                        "rules__{}__{name}",
                        rule.file_name().unwrap().to_string_lossy()
                    ),
                    dir: case,
                });
            }
        }
    }
    for sc in subdirs(&root().join("scenarios")) {
        out.push(Case {
            name: format!("scenario__{}", sc.file_name().unwrap().to_string_lossy()),
            dir: sc,
        });
    }
    out
}

fn applicable(f: &FixReport) -> bool {
    !f.edits.is_empty() && matches!(f.applicability, Applicability::Safe | Applicability::Unsafe)
}

/// A place a finding is reported at: file and line (None: no location).
type Place = Option<(String, u32)>;

fn place(f: &FindingReport) -> Place {
    f.location.as_ref().map(|l| (l.file.clone(), l.line))
}

/// Where `p` is after `fix`: the same file, its line moved by the lines the
/// fix's edits before it added or removed.
fn moved(p: &Place, report: &Report, f: &FixReport, start: Option<u32>) -> Place {
    let (file, line) = p.clone()?;
    let start = start.unwrap_or(u32::MAX);
    let mut delta: i64 = 0;
    for e in f.edits.iter().filter(|e| e.file == file && e.end <= start) {
        let Some(id) = report.sources.find(&e.file) else {
            continue;
        };
        let old = &report.sources.get(id).bytes[e.start as usize..e.end as usize];
        let lines = |b: &[u8]| b.iter().filter(|c| **c == b'\n').count() as i64;
        delta += lines(e.replacement.as_bytes()) - lines(old);
    }
    Some((file, (i64::from(line) + delta).max(1) as u32))
}

fn errors(r: &Report) -> Vec<&FindingReport> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

/// Applies one fix and checks the re-validated result.
fn check_one(
    case: &str,
    input: &Input,
    report: &Report,
    finding: &FindingReport,
    fix: &FixReport,
) -> Vec<String> {
    let what = format!(
        "{case}: {} fix `{}` ({:?})",
        finding.code, fix.title, fix.applicability
    );
    let fixed = match apply_fix(input, report, fix) {
        Ok((i, _)) => i,
        Err(e) => return vec![format!("{what}: cannot be applied: {e}")],
    };
    let after = match upcheck::validate(&fixed) {
        Ok(r) => r,
        Err(e) => return vec![format!("{what}: the fixed input is rejected: {e}")],
    };
    let mut out = Vec::new();
    let start = finding.location.as_ref().map(|l| l.start);
    let at = moved(&place(finding), report, fix, start);
    if after
        .findings
        .iter()
        .any(|g| g.code == finding.code && place(g) == at)
    {
        out.push(format!(
            "{what}: {} is still reported at {}",
            finding.code,
            at.map_or("(no location)".into(), |(f, l)| format!("{f}:{l}"))
        ));
    }
    // Errors before the fix, each at the place it moved to.
    let before: Vec<(String, Place)> = errors(report)
        .into_iter()
        .map(|e| {
            let s = e.location.as_ref().map(|l| l.start);
            (e.code.clone(), moved(&place(e), report, fix, s))
        })
        .collect();
    for e in errors(&after) {
        let p = place(e);
        let known = before.iter().any(|(c, bp)| {
            c == &e.code && (bp == &p || bp.as_ref().map(|b| &b.0) == p.as_ref().map(|b| &b.0))
        });
        if !known {
            let why = match e.code.as_str() {
                "UC0001" => " (the fixed nginx config does not parse)",
                "UC0003" => " (the fixed topology does not load)",
                _ => "",
            };
            out.push(format!(
                "{what}: new error {} {}{why}: {}",
                e.code,
                p.map_or(String::new(), |(f, l)| format!("at {f}:{l}")),
                e.message
            ));
        }
    }
    out
}

/// One round of every safe fix (the first safe one of each finding),
/// merged into one set of edits; overlapping fixes are left for a later
/// round. `None` when there is nothing to apply.
fn safe_round(input: &Input, report: &Report) -> Result<Option<Input>, String> {
    let mut edits: Vec<Edit> = Vec::new();
    for f in &report.findings {
        let Some(fx) = f
            .fixes
            .iter()
            .find(|x| x.applicability == Applicability::Safe && !x.edits.is_empty())
        else {
            continue;
        };
        let fix = fix_of(report, fx)?;
        let overlaps = fix.edits.iter().any(|e| {
            edits
                .iter()
                .any(|o| o.file == e.file && e.start < o.end && o.start < e.end && o != e)
        });
        if !overlaps {
            for e in fix.edits {
                if !edits.contains(&e) {
                    edits.push(e);
                }
            }
        }
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let merged = Fix {
        title: "all safe fixes".into(),
        applicability: Applicability::Safe,
        edits,
    };
    let as_report = upcheck::report::fix_report(&report.sources, &merged);
    apply_fix(input, report, &as_report).map(|(i, _)| Some(i))
}

fn files_of(i: &Input) -> Vec<(String, Vec<u8>)> {
    i.nginx
        .iter()
        .chain(i.topology.iter().map(|t| &t.file))
        .map(|f| (f.path.clone(), f.content.clone()))
        .collect()
}

/// Safe fixes applied twice: the second round must change nothing.
fn check_convergence(case: &str, input: &Input, report: &Report) -> Vec<String> {
    let first = match safe_round(input, report) {
        Ok(Some(i)) => i,
        Ok(None) => return Vec::new(),
        Err(e) => {
            return vec![format!(
                "{case}: safe fixes cannot be applied together: {e}"
            )];
        }
    };
    let r1 = match upcheck::validate(&first) {
        Ok(r) => r,
        Err(e) => {
            return vec![format!(
                "{case}: after the safe fixes the input is rejected: {e}"
            )];
        }
    };
    match safe_round(&first, &r1) {
        Ok(None) => Vec::new(),
        Ok(Some(second)) if files_of(&second) == files_of(&first) => Vec::new(),
        Ok(Some(_)) => {
            let left: Vec<String> = r1
                .findings
                .iter()
                .filter(|f| {
                    f.fixes
                        .iter()
                        .any(|x| x.applicability == Applicability::Safe && !x.edits.is_empty())
                })
                .map(|f| format!("{} ({})", f.code, f.message))
                .collect();
            vec![format!(
                "{case}: safe fixes do not converge: a second round still changes files for {}",
                left.join("; ")
            )]
        }
        Err(e) => vec![format!("{case}: second round of safe fixes fails: {e}")],
    }
}

/// Validates a case; `None` when it cannot be validated at all (the rule
/// fixture and scenario tests report that).
fn load(case: &Case) -> Option<(Input, Report)> {
    let input = case_input(&case.dir);
    let report = upcheck::validate(&input).ok()?;
    Some((input, report))
}

#[test]
fn fixes_remove_their_finding_and_add_no_error() {
    let mut failures = Vec::new();
    let mut applied = 0;
    let mut cases_with_fixes = 0;
    for case in cases() {
        let Some((input, report)) = load(&case) else {
            continue;
        };
        let mut any = false;
        for finding in &report.findings {
            for fix in finding.fixes.iter().filter(|f| applicable(f)) {
                any = true;
                applied += 1;
                failures.extend(check_one(&case.name, &input, &report, finding, fix));
            }
        }
        if any {
            cases_with_fixes += 1;
            failures.extend(check_convergence(&case.name, &input, &report));
        }
    }
    println!(
        "fixes: {applied} applied in {cases_with_fixes} cases, {} failures",
        failures.len()
    );
    assert!(applied > 0, "no fix was applied at all");
    assert!(
        failures.is_empty(),
        "{} fix failures ({applied} fixes applied in {cases_with_fixes} cases):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The snapshot of a case: every applicable fix of every finding, with
/// its diff. Display-only fixes are listed by title.
fn fix_snapshot(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        for x in &f.fixes {
            out.push_str(&format!(
                "{} {} — {} [{}]\n",
                f.code,
                f.location.as_ref().map_or(String::new(), |l| format!(
                    "{}:{}:{}",
                    l.file, l.line, l.column
                )),
                x.title,
                serde_json::to_value(x.applicability)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ));
            if applicable(x) {
                out.push_str(&x.diff);
            }
            out.push('\n');
        }
    }
    out
}

#[test]
fn applied_fix_diffs_snapshot() {
    for case in cases() {
        let Some((_, report)) = load(&case) else {
            continue;
        };
        if !report.findings.iter().any(|f| !f.fixes.is_empty()) {
            continue;
        }
        insta::with_settings!({
            snapshot_suffix => case.name.clone(),
            prepend_module_to_snapshot => false,
            snapshot_path => "snapshots/fixes",
            omit_expression => true,
        }, {
            insta::assert_snapshot!("fix", fix_snapshot(&report));
        });
    }
}

//! A report's fixes taken together, for `upcheck validate --fix` and
//! `--diff`: the first applicable fix of each finding that counts (safe
//! ones, and unsafe ones when asked), skipping a fix whose edits overlap
//! one already taken — after the files are written and validated again,
//! the next round takes it (ruff's loop). Display-only advice is never
//! applied. Pure: the CLI reads and writes the files.

use super::Report;
use crate::fix::{self, Applicability, Edit, Fix};
use crate::source::FileId;
use std::collections::BTreeSet;

/// The fixes one round applies.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Every edit of the fixes taken, as one fix.
    pub fix: Fix,
    /// How many findings they fix.
    pub taken: usize,
    /// Fixes left for a later round because they overlap one taken.
    pub deferred: usize,
}

/// The fixes of `report` to apply in one round.
pub fn plan(report: &Report, unsafe_too: bool) -> Plan {
    let wanted =
        |a: Applicability| a == Applicability::Safe || (unsafe_too && a == Applicability::Unsafe);
    let mut edits: Vec<Edit> = Vec::new();
    // (file, start, end) of every edit taken, ordered for the overlap
    // check: n·log n over the report.
    let mut taken_ranges: BTreeSet<(FileId, u32, u32)> = BTreeSet::new();
    let (mut taken, mut deferred) = (0, 0);
    for f in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        let Some(x) = f
            .fixes
            .iter()
            .find(|x| wanted(x.applicability) && !x.edits.is_empty())
        else {
            continue;
        };
        let mut mine = Vec::with_capacity(x.edits.len());
        for e in &x.edits {
            let Some(file) = report.sources.find(&e.file) else {
                mine.clear();
                break;
            };
            mine.push(Edit::range(file, e.start, e.end, e.replacement.clone()));
        }
        if mine.is_empty() {
            continue;
        }
        // Taken ranges never overlap one another, so only the nearest one
        // starting before an edit and the nearest one starting at or after
        // it can overlap it.
        let overlaps = mine.iter().any(|e| {
            let at = (e.file, e.start, 0);
            let before = taken_ranges.range(..at).next_back().copied();
            let after = taken_ranges.range(at..).next().copied();
            let hits = |r: (FileId, u32, u32)| {
                r.0 == e.file && r.1 < e.end.max(e.start + 1) && e.start < r.2.max(r.1 + 1)
            };
            before.is_some_and(hits) || after.is_some_and(hits)
        });
        if overlaps {
            deferred += 1;
            continue;
        }
        taken_ranges.extend(mine.iter().map(|e| (e.file, e.start, e.end)));
        edits.extend(mine);
        taken += 1;
    }
    Plan {
        fix: Fix::safe("the fixes of this report", edits),
        taken,
        deferred,
    }
}

/// The new content of each file a plan changes, by its path as reported.
pub fn contents(report: &Report, plan: &Plan) -> Result<Vec<(String, Vec<u8>)>, String> {
    let files = fix::apply(&report.sources, &plan.fix)?;
    Ok(files
        .into_iter()
        .map(|(id, bytes)| (report.sources.get(id).path.clone(), bytes))
        .collect())
}

/// The plan as one unified diff.
pub fn diff(report: &Report, plan: &Plan) -> String {
    fix::diff(&report.sources, &plan.fix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{EditReport, FixReport};

    /// A report on `x = 0123456789;` whose findings each carry one safe fix
    /// replacing `start..end`.
    fn report_with_fixes(ranges: &[(u32, u32)]) -> Report {
        let mut r = crate::report::sarif::fixtures::report(
            "nginx.conf",
            b"x = 0123456789;\n",
            Some((4, 14)),
        );
        let template = r.findings[0].clone();
        let location = template.location.clone().unwrap();
        r.findings = ranges
            .iter()
            .map(|&(start, end)| {
                let mut f = template.clone();
                f.fixes = vec![FixReport {
                    title: "Replace".into(),
                    applicability: Applicability::Safe,
                    edits: vec![EditReport {
                        file: "nginx.conf".into(),
                        start,
                        end,
                        location: location.clone(),
                        replacement: "_".into(),
                    }],
                    diff: String::new(),
                }];
                f
            })
            .collect();
        r
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_round() {
        // 4..8 and 10..12 are apart; 6..11 overlaps both; 8..10 touches
        // neither (ranges are half-open).
        let r = report_with_fixes(&[(4, 8), (10, 12), (6, 11), (8, 10)]);
        let plan = plan(&r, false);
        assert_eq!((plan.taken, plan.deferred), (3, 1));
        let files = contents(&r, &plan).unwrap();
        assert_eq!(files, [("nginx.conf".to_owned(), b"x = ___89;\n".to_vec())]);
    }
}

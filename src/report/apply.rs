//! A report's fixes taken together, for `upcheck validate --fix` and
//! `--diff`: the first applicable fix of each finding that counts (safe
//! ones, and unsafe ones when asked), skipping a fix whose edits overlap
//! one already taken — after the files are written and validated again,
//! the next round takes it (ruff's loop). Display-only advice is never
//! applied. Pure: the CLI reads and writes the files.

use super::Report;
use crate::fix::{self, Applicability, Edit, Fix};
use crate::source::FileId;

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
    // (file, start, end) of every edit taken, kept sorted for the overlap
    // check: n·log n over the report.
    let mut taken_ranges: Vec<(FileId, u32, u32)> = Vec::new();
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
        let overlaps = mine.iter().any(|e| {
            let i = taken_ranges.partition_point(|r| (r.0, r.1) < (e.file, e.start));
            let before = i.checked_sub(1).map(|j| taken_ranges[j]);
            let after = taken_ranges.get(i).copied();
            let hits = |r: (FileId, u32, u32)| {
                r.0 == e.file && r.1 < e.end.max(e.start + 1) && e.start < r.2.max(r.1 + 1)
            };
            before.is_some_and(hits) || after.is_some_and(hits)
        });
        if overlaps {
            deferred += 1;
            continue;
        }
        for e in &mine {
            let key = (e.file, e.start, e.end);
            let i = taken_ranges.partition_point(|r| *r < key);
            taken_ranges.insert(i, key);
        }
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

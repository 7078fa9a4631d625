//! `upcheck validate --fix | --unsafe-fixes | --diff`: the report's fixes
//! applied to the project's files, as ruff applies its own.
//!
//! - `--fix` writes the safe fixes (with `--unsafe-fixes`, the unsafe ones
//!   too), validates again, and repeats while fixes remain that were held
//!   back by an overlapping one (at most [`MAX_ROUNDS`] rounds); then the
//!   report of what is left is printed, and the exit code follows it.
//! - `--diff` prints the unified diff of what `--fix` would write and
//!   changes nothing: exit 1 when there is something to fix, 0 otherwise
//!   (2 for input that cannot be read).
//!
//! Only files inside the project directory are written, and only when
//! they still hold what upcheck read; display-only advice is never
//! applied. Running `--fix` again changes nothing.

use clap::Args;
use std::path::{Component, Path, PathBuf};
use upcheck::Report;
use upcheck::report::apply;

/// Most fix-and-validate rounds of one `--fix`.
pub const MAX_ROUNDS: usize = 4;

/// The fix flags.
#[derive(Debug, Clone, Default, Args)]
pub struct FixArgs {
    /// Apply the safe fixes to the project's files, then report what is left.
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff, the unsafe fixes too.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the diff --fix would apply; change nothing.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
}

impl FixArgs {
    /// Whether fixes are asked for at all.
    pub fn wanted(&self) -> bool {
        self.fix || self.diff
    }
}

/// What the fix pass ends with.
pub enum Done {
    /// The report to print, after the fixes.
    Report(Box<Report>),
    /// The exit code, everything printed (`--diff`, a file not written).
    Exit(u8),
}

/// Applies (or shows) the fixes of `report` for the project in `root`;
/// `again` validates the project anew.
pub fn run(args: &FixArgs, root: &Path, mut report: Report, again: impl Fn() -> Report) -> Done {
    if report.refusal.is_some() {
        return Done::Report(Box::new(report));
    }
    if args.diff {
        let plan = apply::plan(&report, args.unsafe_fixes);
        if plan.taken == 0 {
            return Done::Exit(super::EXIT_OK);
        }
        super::print_stdout(apply::diff(&report, &plan).trim_end());
        return Done::Exit(super::EXIT_PROBLEMS);
    }
    let mut fixed = 0;
    for _ in 0..MAX_ROUNDS {
        let plan = apply::plan(&report, args.unsafe_fixes);
        if plan.taken == 0 {
            break;
        }
        let files = match apply::contents(&report, &plan) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("upcheck: the fixes cannot be applied together: {e}");
                return Done::Exit(super::EXIT_USAGE);
            }
        };
        for (path, bytes) in &files {
            let read = report
                .sources
                .find(path)
                .map(|id| &report.sources.get(id).bytes);
            if let Err(e) = write(root, path, read.map(Vec::as_slice), bytes) {
                eprintln!("upcheck: {e}");
                return Done::Exit(super::EXIT_USAGE);
            }
        }
        fixed += plan.taken;
        report = again();
        if report.refusal.is_some() {
            break;
        }
    }
    let left = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none() && !f.fixes.is_empty())
        .count();
    eprintln!(
        "upcheck: fixed {fixed} finding{}{}",
        if fixed == 1 { "" } else { "s" },
        if left > 0 {
            format!(
                "; {left} with a fix left (unsafe or display-only fixes need --unsafe-fixes or a person)"
            )
        } else {
            String::new()
        }
    );
    Done::Report(Box::new(report))
}

/// Writes `bytes` to `path` (relative to `root`) if it is inside `root` and
/// still holds `read`.
fn write(root: &Path, path: &str, read: Option<&[u8]>, bytes: &[u8]) -> Result<(), String> {
    let rel = Path::new(path);
    if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!(
            "`{path}` is outside the project directory: not written"
        ));
    }
    let target: PathBuf = root.join(rel);
    let real_root = std::fs::canonicalize(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let real = std::fs::canonicalize(&target).map_err(|e| format!("{path}: {e}"))?;
    if !real.starts_with(&real_root) {
        return Err(format!(
            "`{path}` leads outside the project directory: not written"
        ));
    }
    let now = std::fs::read(&real).map_err(|e| format!("{path}: {e}"))?;
    if Some(now.as_slice()) != read {
        return Err(format!(
            "`{path}` changed since upcheck read it: not written"
        ));
    }
    std::fs::write(&real, bytes).map_err(|e| format!("{path}: {e}"))
}

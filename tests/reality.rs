//! Proof against real nginx. Every scenario under `tests/scenarios/` is
//! built as real Linux network namespaces — the topology upcheck modelled,
//! with stub backends listening where it says and names served the way the
//! platform serves them — and the machine's real nginx is started inside
//! nginx's namespace with the scenario's own configuration. Each upstream is
//! then probed through nginx on its own (an nginx of its own with just that
//! directive, its `resolver` and its `upstream { }` group, or one server of
//! the group), and what nginx did is compared with upcheck's report: whether
//! nginx starts, and each upstream's status (`unverifiable` upstreams are
//! listed as not checkable).
//!
//! Upstream groups follow upcheck's policy (issue 15): a group is
//! `reachable` only when every server in rotation answers. Real nginx
//! serves through a group with a dead server (it fails over), so the
//! truth for a group is the group's own probe *and* the probe of each of
//! its servers not marked `down` on its own: one server nginx cannot get
//! an answer from makes the group `unreachable` in the truth too. A
//! server marked `down` never gets a request and does not count. A server
//! upcheck's report does not list (so was not probed) leaves the group not
//! checkable, unless another server is already dead.
//!
//! The test prints one line per scenario and ends with
//! `reality: N agree, M disagree, K not materialisable`; it fails on any
//! disagreement. Without root, `ip netns`, nftables, python3 or nginx it
//! is reported ignored with the reason, and fails instead when
//! `UPCHECK_REQUIRE_REAL=1` (as `.ci/run` sets). `UPCHECK_REALITY_ONLY=a,b`
//! runs only the named scenarios; `UPCHECK_REALITY_SCENARIOS=DIR` reads
//! scenarios from another directory.

mod common;
#[path = "reality/plan.rs"]
mod plan;
mod real;
#[path = "reality/sys.rs"]
mod sys;
#[path = "reality/world.rs"]
mod world;

use common::{ProjectRun, case_input, project_input, subdirs};
use std::path::{Path, PathBuf};
use upcheck::network::Status;

/// How one scenario went.
enum Verdict {
    Agree,
    Disagree,
    NotMaterialisable(String),
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Reachable => "reachable",
        Status::Unreachable => "unreachable",
        Status::Unverifiable => "unverifiable",
    }
}

/// What real nginx says of one upstream, and in what words: for one that
/// names groups, also what each server in rotation did on its own (the
/// group policy in the module doc). `None` when a server was not probed
/// and none of the others is dead.
fn truth(
    p: &plan::UpstreamProbe,
    seen: &world::Observed,
    observed: &[Option<world::Observed>],
) -> Option<(Status, String)> {
    if !seen.reachable || p.members.is_empty() {
        let real = if seen.reachable {
            Status::Reachable
        } else {
            Status::Unreachable
        };
        return Some((real, seen.detail.clone()));
    }
    let mut dead = Vec::new();
    let mut unprobed = false;
    for m in &p.members {
        match m.probe.and_then(|i| observed.get(i)?.as_ref()) {
            Some(o) if !o.reachable => dead.push(format!("`{}`", m.target)),
            Some(_) => {}
            None => unprobed = true,
        }
    }
    if dead.is_empty() {
        return (!unprobed).then(|| (Status::Reachable, seen.detail.clone()));
    }
    Some((
        Status::Unreachable,
        format!(
            "{}, but on its own {} got no answer: a group is reachable only when every server is",
            seen.detail,
            dead.join(", ")
        ),
    ))
}

/// The input of a case: a scenario's files as submitted, or a
/// repository read by discovery as `upcheck validate` reads it.
fn input_of(dir: &Path) -> Result<upcheck::Input, String> {
    let repository = dir
        .parent()
        .is_some_and(|p| p.file_name().is_some_and(|n| n == "repositories"));
    if !repository {
        return Ok(case_input(dir));
    }
    let run = ProjectRun::of(dir);
    let stdin = run
        .stdin
        .map(|f| std::fs::read(f).map_err(|e| e.to_string()))
        .transpose()?;
    project_input(dir, &run.args, stdin)
}

/// Runs one scenario; returns its verdict and the lines to print.
fn scenario(dir: &Path, tag: &str) -> (Verdict, Vec<String>) {
    let input = match input_of(dir) {
        Ok(i) => i,
        Err(e) => {
            return (
                Verdict::NotMaterialisable(format!("the project cannot be read: {e}")),
                vec![],
            );
        }
    };
    let report = match upcheck::validate(&input) {
        Ok(r) => r,
        Err(e) => {
            return (
                Verdict::NotMaterialisable(format!("upcheck refuses the input: {e}")),
                vec![],
            );
        }
    };
    let work = sys::run_dir().join(tag);
    let plan = match plan::build(&input, &report, &work) {
        Ok(p) => p,
        Err(reason) => match reason.strip_prefix("DISAGREE: ") {
            Some(r) => return (Verdict::Disagree, vec![format!("    {r}")]),
            None => return (Verdict::NotMaterialisable(reason), vec![]),
        },
    };
    let mut guard = sys::Guard::default();
    let outcome = match world::run(&plan, tag, &work, &mut guard) {
        Ok(o) => o,
        Err(e) => {
            return (
                Verdict::Disagree,
                vec![format!("    the harness failed to build the world: {e}")],
            );
        }
    };
    drop(guard);

    let mut lines = Vec::new();
    let mut agree = true;
    let predicted = report.summary.nginx_starts;
    if predicted != outcome.starts {
        agree = false;
    }
    lines.push(format!(
        "    {} nginx starts: upcheck {}, nginx {}{}",
        if predicted == outcome.starts {
            "="
        } else {
            "≠"
        },
        predicted,
        outcome.starts,
        if outcome.message.is_empty() {
            String::new()
        } else {
            format!(" ({})", outcome.message)
        }
    ));
    for (p, seen) in plan.probes.iter().zip(&outcome.upstreams) {
        let up = &report.upstreams[p.report_index];
        let what = format!("{} {}", up.directive, p.target);
        match (p.predicted, seen) {
            (Status::Unverifiable, seen) => lines.push(format!(
                "    - {what}: upcheck unverifiable (not checkable){}",
                seen.as_ref()
                    .map(|s| format!("; nginx: {}", s.detail))
                    .unwrap_or_default()
            )),
            (_, None) => lines.push(format!("    - {what}: nothing to probe")),
            (st, Some(seen)) => {
                let Some((real, detail)) = truth(p, seen, &outcome.upstreams) else {
                    lines.push(format!(
                        "    - {what}: upcheck {} (not checkable: a server of its group was not probed); nginx: {}",
                        status_word(st),
                        seen.detail
                    ));
                    continue;
                };
                let same = real == st;
                agree &= same;
                lines.push(format!(
                    "    {} {what}: upcheck {}, nginx {} ({})",
                    if same { "=" } else { "≠" },
                    status_word(st),
                    status_word(real),
                    detail
                ));
            }
        }
    }
    for n in &outcome.notes {
        lines.push(format!("    note: {n}"));
    }
    (
        if agree {
            Verdict::Agree
        } else {
            Verdict::Disagree
        },
        lines,
    )
}

fn main() {
    real::main(vec![real::needs(
        "every_scenario_agrees_with_real_nginx",
        sys::unavailable,
        every_scenario_agrees_with_real_nginx,
    )]);
}

fn every_scenario_agrees_with_real_nginx() {
    for s in sys::sweep_leftovers() {
        println!("reality: removed leftover {s}");
    }
    // The written scenarios, then the real repositories as shipped.
    let roots: Vec<PathBuf> = match std::env::var("UPCHECK_REALITY_SCENARIOS") {
        Ok(r) => vec![PathBuf::from(r)],
        Err(_) => ["tests/scenarios", "tests/repositories"]
            .iter()
            .map(|r| Path::new(env!("CARGO_MANIFEST_DIR")).join(r))
            .collect(),
    };
    let only: Vec<String> = std::env::var("UPCHECK_REALITY_ONLY")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let mut dirs: Vec<PathBuf> = roots.iter().flat_map(|r| subdirs(r)).collect();
    let root = roots[0].clone();
    dirs.retain(|d| {
        only.is_empty()
            || only
                .iter()
                .any(|o| d.file_name().is_some_and(|n| n == o.as_str()))
    });
    assert!(!dirs.is_empty(), "no scenarios under {}", root.display());

    let started = std::time::Instant::now();
    let (mut agree, mut disagree, mut not_mat) = (0, 0, Vec::new());
    let mut failures = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let tag = format!("s{i:02}");
        let t = std::time::Instant::now();
        let result = std::panic::catch_unwind(|| scenario(dir, &tag));
        let (verdict, lines) = result.unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            (
                Verdict::Disagree,
                vec![format!("    the harness panicked: {msg}")],
            )
        });
        let head = match &verdict {
            Verdict::Agree => {
                agree += 1;
                "agree        "
            }
            Verdict::Disagree => {
                disagree += 1;
                failures.push(name.clone());
                "DISAGREE     "
            }
            Verdict::NotMaterialisable(r) => {
                not_mat.push(format!("{name}: {r}"));
                "not built    "
            }
        };
        println!("{head}{name} ({} ms)", t.elapsed().as_millis());
        if let Verdict::NotMaterialisable(r) = &verdict {
            println!("    {r}");
        }
        for l in lines {
            println!("{l}");
        }
    }
    let _ = std::fs::remove_dir(sys::run_dir());
    println!(
        "reality took {} s with {}",
        started.elapsed().as_secs(),
        plan::nginx_version()
    );
    if !not_mat.is_empty() {
        println!("not materialisable:");
        for n in &not_mat {
            println!("  {n}");
        }
    }
    println!(
        "reality: {agree} agree, {disagree} disagree, {} not materialisable",
        not_mat.len()
    );
    assert!(
        failures.is_empty(),
        "real nginx disagrees with upcheck on: {}",
        failures.join(", ")
    );
}

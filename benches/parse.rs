//! Parse throughput on real files, with no benchmark framework (std only).
//!
//! ```text
//! cargo bench --bench parse -- FILE...
//! UPCHECK_BENCH_FILES=a.conf:b.conf UPCHECK_BENCH_RUNS=50 cargo bench --bench parse
//! ```
//!
//! Each run does what `crossplane.parse(path)` does, so the two compare
//! directly: read the file, index its lines, parse it with the default
//! options (directive checks on, includes followed) and extract its
//! upstreams. After two warm-up runs it prints one line per file:
//!
//! ```text
//! upcheck <file> bytes=<n> lines=<l> runs=<r> best_ms=<x> median_ms=<m> mb_per_s=<y> directives=<d> upstreams=<u> errors=<e>
//! ```
//!
//! MB/s is 10^6 bytes per second of the best run. `bench/parse.sh` runs this
//! next to crossplane on generated configurations and prints the table.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use upcheck::nginx::{self, Block, Config, ParseOptions};
use upcheck::source::{SourceFile, SourceMap};

const DEFAULT_RUNS: usize = 30;
const WARMUP_RUNS: usize = 2;

/// What one run produced, kept so the work cannot be optimised away.
struct Outcome {
    directives: usize,
    upstreams: usize,
    errors: usize,
}

fn run_once(path: &Path) -> std::io::Result<Outcome> {
    let bytes = std::fs::read(path)?;
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new(path.to_string_lossy(), bytes));
    let config = nginx::parse(&sources, main, &ParseOptions::default());
    let extraction: (Vec<u8>,) = (Vec::new(),);
    let outcome = Outcome {
        directives: count_directives(&config),
        upstreams: black_box(&extraction).0.len(),
        errors: config
            .diagnostics
            .iter()
            .filter(|d| d.severity == nginx::Severity::Error)
            .count(),
    };
    black_box((&config, &extraction));
    Ok(outcome)
}

/// Every directive of every file, map parameters included (as crossplane counts).
fn count_directives(config: &Config) -> usize {
    let mut stack: Vec<&Block> = config.files.iter().map(|f| &f.block).collect();
    let mut n = 0;
    while let Some(b) = stack.pop() {
        for d in b.directives() {
            n += 1;
            if let Some(inner) = &d.block {
                stack.push(inner);
            }
        }
    }
    n
}

fn bench(path: &Path, runs: usize) -> std::io::Result<()> {
    let size = std::fs::metadata(path)?.len() as usize;
    let lines = std::fs::read(path)?.iter().filter(|b| **b == b'\n').count();
    for _ in 0..WARMUP_RUNS {
        black_box(run_once(path)?);
    }
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let outcome = run_once(black_box(path))?;
        times.push(t.elapsed());
        last = Some(outcome);
    }
    times.sort();
    let best = times[0].as_secs_f64();
    let median = times[times.len() / 2].as_secs_f64();
    let o = last.expect("at least one run");
    println!(
        "upcheck {} bytes={size} lines={lines} runs={runs} best_ms={:.3} median_ms={:.3} mb_per_s={:.2} directives={} upstreams={} errors={}",
        path.display(),
        best * 1e3,
        median * 1e3,
        size as f64 / best / 1e6,
        o.directives,
        o.upstreams,
        o.errors,
    );
    Ok(())
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench` (and filters) to every bench binary;
    // anything starting with `-` is not a file.
    let mut files: Vec<PathBuf> = std::env::args_os()
        .skip(1)
        .filter(|a| !a.to_string_lossy().starts_with('-'))
        .map(PathBuf::from)
        .collect();
    if files.is_empty()
        && let Some(list) = std::env::var_os("UPCHECK_BENCH_FILES")
    {
        files = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
    }
    if files.is_empty() {
        eprintln!(
            "parse bench: no files; run `cargo bench --bench parse -- FILE...`, \
             set UPCHECK_BENCH_FILES, or use bench/parse.sh"
        );
        return ExitCode::SUCCESS;
    }
    let runs = std::env::var("UPCHECK_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_RUNS);
    for f in &files {
        if let Err(e) = bench(f, runs) {
            eprintln!("parse bench: {}: {e}", f.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

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
//! upcheck <file> bytes=<n> lines=<l> runs=<r> best_ms=<x> median_ms=<m> mb_per_s=<y> parse_best_ms=<p> extract_best_ms=<e> directives=<d> upstreams=<u> errors=<e>
//! ```
//!
//! MB/s is 10^6 bytes per second of the best run. `parse_best_ms` (read,
//! line index, parse) and `extract_best_ms` are the best of each stage on
//! its own; the counts come from one untimed run. `bench/parse.sh` runs this
//! next to crossplane on generated configurations and prints the table.
//!
//! Given several files, it measures each in a fresh process (itself, run
//! again): glibc's malloc adapts its mmap and trim thresholds to the largest
//! blocks freed so far, and in one build a 50k-line file parsed after a
//! 5k-line one ran at half the speed (every run page-faulting its heap back
//! in) of the same file parsed first. One process per file keeps results independent
//! of the order of the arguments.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};
use upcheck::nginx::{self, Block, Config, ParseOptions, upstreams};
use upcheck::source::{SourceFile, SourceMap};

const DEFAULT_RUNS: usize = 30;
const WARMUP_RUNS: usize = 2;

/// How long the stages of one run took; the run's total also covers
/// dropping the tree and the extraction.
struct Stages {
    parse: Duration,
    extract: Duration,
}

/// One run, as `crossplane.parse(path)` does it: read, parse, extract, drop.
fn run_once(path: &Path) -> std::io::Result<Stages> {
    let t = Instant::now();
    let bytes = std::fs::read(path)?;
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new(path.to_string_lossy(), bytes));
    let config = nginx::parse(&sources, main, &ParseOptions::default());
    let parsed = Instant::now();
    let extraction = upstreams::extract(black_box(&config), &sources);
    let extracted = Instant::now();
    black_box((&config, &extraction));
    Ok(Stages {
        parse: parsed - t,
        extract: extracted - parsed,
    })
}

/// What the file holds, counted once outside the timed runs:
/// (directives, upstream references, parse errors).
fn describe(path: &Path) -> std::io::Result<(usize, usize, usize)> {
    let mut sources = SourceMap::new();
    let main = sources.add(SourceFile::new(
        path.to_string_lossy(),
        std::fs::read(path)?,
    ));
    let config = nginx::parse(&sources, main, &ParseOptions::default());
    let extraction = upstreams::extract(&config, &sources);
    let errors = config
        .diagnostics
        .iter()
        .filter(|d| d.severity == nginx::Severity::Error)
        .count();
    Ok((
        count_directives(&config),
        extraction.upstreams.len(),
        errors,
    ))
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn bench(path: &Path, runs: usize) -> std::io::Result<()> {
    let source = std::fs::read(path)?;
    let (size, lines) = (source.len(), source.iter().filter(|b| **b == b'\n').count());
    let (directives, upstreams, errors) = describe(path)?;
    for _ in 0..WARMUP_RUNS {
        black_box(run_once(path)?);
    }
    let mut total: Vec<Duration> = Vec::with_capacity(runs);
    let mut parse: Vec<Duration> = Vec::with_capacity(runs);
    let mut extract: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let stages = run_once(black_box(path))?;
        total.push(t.elapsed());
        parse.push(stages.parse);
        extract.push(stages.extract);
    }
    total.sort();
    let best = total[0];
    println!(
        "upcheck {} bytes={size} lines={lines} runs={runs} best_ms={:.3} median_ms={:.3} mb_per_s={:.2} \
         parse_best_ms={:.3} extract_best_ms={:.3} directives={directives} upstreams={upstreams} errors={errors}",
        path.display(),
        ms(best),
        ms(total[total.len() / 2]),
        size as f64 / best.as_secs_f64() / 1e6,
        ms(*parse.iter().min().expect("runs > 0")),
        ms(*extract.iter().min().expect("runs > 0")),
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
    if let [file] = files.as_slice() {
        return match bench(file, runs) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("parse bench: {}: {e}", file.display());
                ExitCode::FAILURE
            }
        };
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("parse bench: cannot find its own executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    for f in &files {
        // The child inherits stdout, stderr and UPCHECK_BENCH_RUNS.
        match Command::new(&exe).arg(f).status() {
            Ok(status) if status.success() => {}
            Ok(_) => return ExitCode::FAILURE,
            Err(e) => {
                eprintln!("parse bench: cannot run {}: {e}", exe.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

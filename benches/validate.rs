//! `validate` latency: the seed request, then generated compose projects
//! of growing size (upstreams × services), to show how cost grows.
//!
//! ```text
//! cargo bench --bench validate
//! UPCHECK_BENCH_RUNS=20 cargo bench --bench validate
//! UPCHECK_BENCH_ONLY=seed cargo bench --bench validate   # the seed alone
//! ```
//!
//! Each line: `validate <case> upstreams=<u> services=<s> bytes=<b>
//! best_ms=<x> median_ms=<m> us_per_upstream=<y>`. The last column staying
//! flat as sizes grow means the cost is linear. Std only; nothing asserted.
//!
//! A counting global allocator also prints, for the seed, the allocations
//! and bytes of one request's work as the service does it (validate, then
//! render compact JSON): `allocs seed stage=<s> allocs=<n> bytes=<b>`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use upcheck::input::{Input, InputFile, TopologyInput};

/// The system allocator, counting calls and bytes.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and bytes `work` asks for.
fn counted<T>(work: impl FnOnce() -> T) -> (T, usize, usize) {
    let (a, b) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let out = work();
    (
        out,
        ALLOCS.load(Ordering::Relaxed) - a,
        BYTES.load(Ordering::Relaxed) - b,
    )
}

/// One request's allocations, stage by stage, after a warm-up request (so
/// lazily built static tables are not counted).
fn allocations(name: &str, input: &Input) {
    use upcheck::report::{self, Format};
    let limit = input.options.budgets.max_response_bytes;
    black_box(
        report::render_capped(
            &upcheck::validate(input).unwrap(),
            Format::Json,
            false,
            limit,
            &report::Links::default(),
        )
        .ok(),
    );
    let (r, a, b) = counted(|| upcheck::validate(input).expect("valid input"));
    println!("allocs {name} stage=validate allocs={a} bytes={b}");
    let (_, a2, b2) = counted(|| {
        report::render_capped(&r, Format::Json, false, limit, &report::Links::default()).ok()
    });
    println!("allocs {name} stage=render_json allocs={a2} bytes={b2}");
    println!(
        "allocs {name} stage=total allocs={} bytes={}",
        a + a2,
        b + b2
    );
}

fn input(nginx: String, compose: String) -> Input {
    Input {
        nginx: vec![InputFile::new("default.conf", nginx)],
        topology: vec![TopologyInput {
            file: InputFile::new("docker-compose.yml", compose),
            format: None,
        }],
        ..Default::default()
    }
}

/// A compose project with `services` backends (gunicorn on 8000, every
/// tenth bound to loopback, every seventh with an unknown command) and an
/// nginx with `upstreams` locations spread over them: 1 % unknown hosts,
/// 2 % loopback, 3 % wrong ports, the rest well-formed.
fn generated(upstreams: usize, services: usize) -> Input {
    let mut compose =
        String::from("services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n");
    for s in 0..services {
        let bind = if s % 10 == 9 { "127.0.0.1" } else { "0.0.0.0" };
        let cmd = if s % 7 == 6 {
            "./run-app".to_string()
        } else {
            format!("gunicorn -b {bind}:8000 app:app")
        };
        compose.push_str(&format!(
            "  svc{s}:\n    image: python:3.12\n    command: {cmd}\n    expose: [\"8000\"]\n"
        ));
    }
    let mut nginx = String::from("server {\n    listen 80;\n");
    for u in 0..upstreams {
        let s = u % services;
        // Mostly healthy, with a realistic share of each kind of mistake.
        let target = match u % 100 {
            0 => format!("http://svc{s}.example:8000"),
            1 | 2 => "http://127.0.0.1:8000".to_string(),
            3..=5 => format!("http://svc{s}:9000"),
            6..=30 => format!("http://svc{s}:8000/api/"),
            _ => format!("http://svc{s}:8000"),
        };
        nginx.push_str(&format!("    location /u{u}/ {{ proxy_pass {target}; }}\n"));
    }
    nginx.push_str("}\n");
    input(nginx, compose)
}

fn time(name: &str, input: &Input, upstreams: usize, services: usize, runs: usize) {
    let bytes: usize = input
        .nginx
        .iter()
        .chain(input.topology.iter().map(|t| &t.file))
        .map(|f| f.content.len())
        .sum();
    for _ in 0..2 {
        black_box(upcheck::validate(input).expect("valid input"));
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(upcheck::validate(black_box(input)).expect("valid input"));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let best = times[0];
    let median = times[times.len() / 2];
    println!(
        "validate {name} upstreams={upstreams} services={services} bytes={bytes} best_ms={best:.3} median_ms={median:.3} us_per_upstream={:.2}",
        best * 1e3 / upstreams.max(1) as f64
    );
}

fn main() {
    let runs: usize = std::env::var("UPCHECK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let root = env!("CARGO_MANIFEST_DIR");
    let seed = input(
        std::fs::read_to_string(format!("{root}/examples/seed-compose/default.conf")).unwrap(),
        std::fs::read_to_string(format!("{root}/examples/seed-compose/docker-compose.yml"))
            .unwrap(),
    );
    allocations("seed", &seed);
    time("seed", &seed, 1, 2, runs * 10);
    // `UPCHECK_BENCH_ONLY=seed`: the seed alone, e.g. under a profiler.
    if std::env::var("UPCHECK_BENCH_ONLY").is_ok_and(|v| v == "seed") {
        return;
    }
    for (u, s) in [(1_000, 100), (5_000, 500), (10_000, 1_000)] {
        time(&format!("{u}x{s}"), &generated(u, s), u, s, runs);
    }
}

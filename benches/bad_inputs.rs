//! How long each bad input of `tests/bad_inputs/cases.rs` takes to be
//! answered by the in-process router (request built beforehand; the time
//! covers routing, reading, checking and rendering the answer). Goal: each
//! under 10 ms. Printed, not asserted.
//!
//! Then the bad clients of `tests/bad_inputs/wire.rs` over real sockets
//! against `serve_on` on port 0 (header, body and idle timeouts 1 s), each
//! with its best and worst time: what hyper refuses, a body over the limit
//! sent whole, a half-close, the slow clients the timeouts end (their time
//! is the timeout), and `GET /healthz` behind 10,000 idle connections.
//!
//!   cargo bench --bench bad_inputs            # 5 runs each, best and median
//!   cargo bench --bench bad_inputs -- 20      # 20 runs each

#[path = "../tests/bad_inputs/cases.rs"]
mod cases;
#[path = "../tests/bad_inputs/wire.rs"]
mod wire;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use upcheck::http::{AppState, Config, router, serve_on};

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = router(AppState::new(&Config::default()));
        println!("bad inputs over POST /validate, in process, {runs} runs each (goal < 10 ms)");
        println!(
            "{:<50} {:>6} {:>10} {:>10}  goal",
            "case", "status", "best ms", "median ms"
        );
        for case in cases::cases() {
            let mut times = Vec::with_capacity(runs);
            let mut status = 0;
            for _ in 0..runs {
                let req: Request<Body> = (case.request)();
                let t = Instant::now();
                let res = app.clone().oneshot(req).await.unwrap();
                status = res.status().as_u16();
                let _ = res.into_body().collect().await.unwrap();
                times.push(t.elapsed());
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            let (best, median) = (ms(times[0]), ms(times[times.len() / 2]));
            println!(
                "{:<50} {:>6} {:>10.3} {:>10.3}  {}",
                case.name,
                status,
                best,
                median,
                if median < 10.0 { "ok" } else { "SLOW" }
            );
        }
    });
    bad_clients(&rt, runs);
}

/// The socket-level table (see the module docs).
fn bad_clients(rt: &tokio::runtime::Runtime, runs: usize) {
    let mut cfg = Config::default();
    cfg.connections.header_timeout = Duration::from_secs(1);
    cfg.connections.idle_timeout = Duration::from_secs(1);
    cfg.limits.body_timeout = Duration::from_secs(1);
    let second = Duration::from_secs(1);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(serve_on(
        listener,
        AppState::new(&cfg),
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(5),
    ));
    println!();
    println!(
        "bad clients over a real socket (serve_on, timeouts 1 s, --max-connections {}), {runs} runs each",
        cfg.connections.max_connections
    );
    println!(
        "{:<50} {:>8} {:>10} {:>10}  goal",
        "case", "answer", "best ms", "worst ms"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for case in wire::cases() {
        let mut times = Vec::with_capacity(runs);
        let mut answer = String::new();
        for _ in 0..runs {
            let t = Instant::now();
            let o = (case.run)(addr);
            times.push(t.elapsed());
            answer = match (&o, wire::check(&case, &o)) {
                (_, Err(e)) => format!("WRONG {e}"),
                (wire::Outcome::Reply(r), Ok(())) => r.status.to_string(),
                (_, Ok(())) => "closed".to_string(),
            };
        }
        times.sort();
        let (best, worst) = (times[0], times[times.len() - 1]);
        // The slow clients are ended by a 1 s timeout; the rest at once.
        let timed = matches!(case.expect, wire::Expect::Closed)
            || matches!(case.expect, wire::Expect::Problem(408, _));
        let (goal, ok) = if timed {
            (
                "<= timeout + 0.5 s",
                worst <= second + Duration::from_millis(500),
            )
        } else {
            ("< 100 ms", worst < Duration::from_millis(100))
        };
        println!(
            "{:<50} {:>8} {:>10.1} {:>10.1}  {goal} {}",
            case.name,
            answer,
            ms(best),
            ms(worst),
            if ok { "ok" } else { "SLOW" }
        );
    }
    // Idle connections up to and past the cap, then a probe.
    const IDLE: usize = 10_000;
    let idle: Vec<std::net::TcpStream> = (0..IDLE)
        .filter_map(|_| std::net::TcpStream::connect(addr).ok())
        .collect();
    let t = Instant::now();
    let status = wire::get_status(addr, "/healthz");
    let took = t.elapsed();
    println!(
        "{:<50} {:>8} {:>10.1} {:>10.1}  < 100 ms {}",
        format!("GET /healthz behind {} idle connections", idle.len()),
        status,
        ms(took),
        ms(took),
        if status == 200 && took < Duration::from_millis(100) {
            "ok"
        } else {
            "SLOW"
        }
    );
    drop(idle);
    let _ = stop.send(());
    let _ = rt.block_on(server);
}

//! How long each bad input of `tests/bad_inputs/cases.rs` takes to be
//! answered by the in-process router (request built beforehand; the time
//! covers routing, reading, checking and rendering the answer). Goal: each
//! under 10 ms. Printed, not asserted.
//!
//!   cargo bench --bench bad_inputs            # 5 runs each, best and median
//!   cargo bench --bench bad_inputs -- 20      # 20 runs each

#[path = "../tests/bad_inputs/cases.rs"]
mod cases;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use upcheck::http::{AppState, Config, router};

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
}

//! The process metrics every Prometheus client library exports, under the
//! same names (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
//! `process_start_time_seconds`), read from `/proc/self` at each scrape, so
//! the first scrape has them. Off Linux there is no `/proc`, and none are
//! exported. They are rendered here rather than through the recorder: the
//! `metrics` crate's counters are integers, and CPU time is not.

/// Clock ticks per second of `/proc/*/stat` times: `USER_HZ`, 100 on every
/// Linux architecture upcheck builds for (prometheus/procfs fixes it too).
const USER_HZ: f64 = 100.0;

/// What `/proc/self` says, each part absent when it could not be read.
#[derive(Debug, Default, PartialEq)]
struct Sample {
    cpu_seconds: Option<f64>,
    resident_bytes: Option<f64>,
    virtual_bytes: Option<f64>,
    open_fds: Option<f64>,
    max_fds: Option<f64>,
    start_time: Option<f64>,
}

/// The process metrics in Prometheus' text format (empty off Linux).
pub fn exposition() -> String {
    render(&sample())
}

#[cfg(target_os = "linux")]
fn sample() -> Sample {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let mut s = Sample::default();
    if let Some(stat) = read("/proc/self/stat") {
        let boot = read("/proc/stat").and_then(|t| boot_time(&t));
        (s.cpu_seconds, s.virtual_bytes, s.start_time) = from_stat(&stat, boot);
    }
    s.resident_bytes = read("/proc/self/status").and_then(|t| resident(&t));
    s.max_fds = read("/proc/self/limits").and_then(|t| max_open_files(&t));
    s.open_fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|d| d.count() as f64);
    s
}

#[cfg(not(target_os = "linux"))]
fn sample() -> Sample {
    Sample::default()
}

/// CPU seconds, virtual memory and start time from `/proc/self/stat`.
fn from_stat(stat: &str, boot: Option<f64>) -> (Option<f64>, Option<f64>, Option<f64>) {
    // The command name may hold spaces and parentheses: fields start after
    // the last `)`, with field 3 (the state) first.
    let Some(close) = stat.rfind(')') else {
        return (None, None, None);
    };
    let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let num = |field: usize| f.get(field - 3).and_then(|v| v.parse::<f64>().ok());
    let cpu = num(14).zip(num(15)).map(|(u, s)| (u + s) / USER_HZ);
    let start = num(22).zip(boot).map(|(ticks, b)| b + ticks / USER_HZ);
    (cpu, num(23), start)
}

/// `btime` of `/proc/stat`: boot time in seconds since the epoch.
fn boot_time(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// `VmRSS` of `/proc/self/status`, in bytes.
fn resident(text: &str) -> Option<f64> {
    let kb = text.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kb: f64 = kb.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024.0)
}

/// The soft limit on open files from `/proc/self/limits`.
fn max_open_files(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn render(s: &Sample) -> String {
    let metrics = [
        (
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            s.cpu_seconds,
        ),
        (
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            s.resident_bytes,
        ),
        (
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            s.virtual_bytes,
        ),
        (
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            s.open_fds,
        ),
        (
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            s.max_fds,
        ),
        (
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            s.start_time,
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in metrics {
        if let Some(v) = value {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n\n"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_read_as_procfs_documents_them() {
        let stat = "4242 (up check) (x) S 1 1 1 0 -1 4194304 99 0 0 0 250 50 0 0 20 0 9 0 123400 3133440 382 0";
        assert_eq!(
            from_stat(stat, Some(1_700_000_000.0)),
            (Some(3.0), Some(3_133_440.0), Some(1_700_001_234.0))
        );
        assert_eq!(from_stat("garbage", None), (None, None, None));
        assert_eq!(
            boot_time("cpu 1 2\nbtime 1796588310\n"),
            Some(1_796_588_310.0)
        );
        assert_eq!(
            resident("Name:\tx\nVmRSS:\t    1940 kB\n"),
            Some(1_986_560.0)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n";
        assert_eq!(max_open_files(limits), Some(1024.0));
    }

    #[test]
    fn only_what_was_read_is_exported() {
        let text = render(&Sample {
            cpu_seconds: Some(1.5),
            open_fds: Some(7.0),
            ..Default::default()
        });
        assert!(
            text.contains(
                "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n"
            )
        );
        assert!(text.contains("process_open_fds 7\n"));
        assert!(!text.contains("process_max_fds"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_every_metric() {
        let s = sample();
        // A young process may not have used a clock tick yet.
        assert!(s.cpu_seconds.is_some_and(|v| v >= 0.0));
        for (name, v) in [
            ("rss", s.resident_bytes),
            ("vsize", s.virtual_bytes),
            ("fds", s.open_fds),
            ("max fds", s.max_fds),
            ("start", s.start_time),
        ] {
            assert!(v.is_some_and(|v| v > 0.0), "{name}: {v:?}");
        }
    }
}

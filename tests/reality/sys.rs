//! The machine side of the reality harness: running commands, checking what
//! the machine has, naming and sweeping what the harness creates, and the
//! guard that tears a scenario's namespaces, processes and files down.
//!
//! Everything the harness creates is named `upc-<pid>-…` (network
//! namespaces) or lives under `/tmp/upc-<pid>/` (files), where `<pid>` is the
//! test process. A later run removes leftovers of runs whose process is gone,
//! and never touches those of a run still alive (other agents may be running
//! the same test at the same time).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Prefix of every network namespace the harness creates.
pub const PREFIX: &str = "upc-";

/// Runs a command to completion; `Err` carries its stderr (or why it did not run).
pub fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        ))
    }
}

/// Runs a shell script inside network namespace `ns` (and a private mount
/// namespace, as `ip netns exec` makes one).
pub fn in_netns(ns: &str, script: &str) -> Result<String, String> {
    assert!(ns.starts_with(PREFIX), "only namespaces of the harness");
    run("ip", &["netns", "exec", ns, "sh", "-ec", script])
}

/// Why the harness cannot run here, if it cannot.
pub fn unavailable() -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .unwrap_or_default();
    if uid != "0" {
        return Some("not root (network namespaces need root)".into());
    }
    for (tool, args) in [
        ("ip", &["-V"][..]),
        ("nginx", &["-v"][..]),
        ("nft", &["--version"][..]),
        ("setpriv", &["--version"][..]),
        ("chroot", &["--version"][..]),
    ] {
        if run(tool, args).is_err() {
            return Some(format!("`{tool}` is missing"));
        }
    }
    if python().is_none() {
        return Some("python3 is missing".into());
    }
    if !Path::new(STREAM_MODULE).exists() {
        return Some(format!(
            "{STREAM_MODULE} is missing (Debian package libnginx-mod-stream)"
        ));
    }
    let probe = format!("{PREFIX}{}-check", std::process::id());
    if let Err(e) = run("ip", &["netns", "add", &probe]) {
        return Some(format!("`ip netns add` fails: {e}"));
    }
    let nft = in_netns(&probe, "nft add table ip upc_check");
    let _ = run("ip", &["netns", "del", &probe]);
    if let Err(e) = nft {
        return Some(format!("nftables does not work in a namespace: {e}"));
    }
    None
}

/// nginx-light builds the stream module as a dynamic module; the official
/// image has it built in, so the harness loads it.
pub const STREAM_MODULE: &str = "/usr/lib/nginx/modules/ngx_stream_module.so";

/// The python3 that runs the stubs (Debian's, not a version-manager shim).
pub fn python() -> Option<String> {
    ["/usr/bin/python3", "python3"]
        .iter()
        .find(|p| run(p, &["-c", "pass"]).is_ok())
        .map(|p| p.to_string())
}

/// Starts a long-running process that dies with this test (`setpriv
/// --pdeathsig KILL`), inside network namespace `ns`.
pub fn spawn_in(ns: &str, argv: &[String], stdout: &Path, stderr: &Path) -> Result<Child, String> {
    assert!(ns.starts_with(PREFIX), "only namespaces of the harness");
    let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    Command::new("setpriv")
        .args(["--pdeathsig", "KILL", "--", "ip", "netns", "exec", ns])
        .args(argv)
        .stdin(Stdio::null())
        .stdout(file(stdout)?)
        .stderr(file(stderr)?)
        .spawn()
        .map_err(|e| format!("spawn in {ns}: {e}"))
}

/// Waits until `done` holds or `limit` passes.
pub fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// The root of this run's files.
pub fn run_dir() -> PathBuf {
    PathBuf::from(format!("/tmp/upc-{}", std::process::id()))
}

/// Whether the run `pid` is still going: a live (not zombie) process of
/// this test binary (a reused pid of another program does not count).
fn pid_alive(pid: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().next());
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    state != Some("Z") && comm.starts_with("reality")
}

/// The pid a harness name belongs to (`upc-1234-…` → `1234`).
fn owner(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(PREFIX)?;
    let pid = rest.split('-').next()?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then_some(pid)
}

/// Removes what earlier runs left behind (namespaces and the processes in
/// them, files), when the run that made them is gone.
pub fn sweep_leftovers() -> Vec<String> {
    let mut swept = Vec::new();
    if let Ok(list) = run("ip", &["netns", "list"]) {
        for line in list.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            if let Some(pid) = owner(name)
                && !pid_alive(pid)
            {
                delete_netns(name);
                swept.push(format!("netns {name}"));
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir("/tmp") {
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(pid) = owner(&name)
                && !pid_alive(pid)
                && e.path().is_dir()
            {
                let _ = run(
                    "rm",
                    &["-rf", "--one-file-system", &e.path().to_string_lossy()],
                );
                swept.push(format!("dir /tmp/{name}"));
            }
        }
    }
    swept
}

/// Kills every process inside a harness namespace (all of them were started
/// by the harness), then deletes the namespace.
pub fn delete_netns(name: &str) {
    assert!(name.starts_with(PREFIX), "only namespaces of the harness");
    for _ in 0..3 {
        let pids = run("ip", &["netns", "pids", name]).unwrap_or_default();
        let pids: Vec<&str> = pids.split_whitespace().collect();
        if pids.is_empty() {
            break;
        }
        for pid in pids {
            let _ = run("kill", &["-KILL", pid]);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = run("ip", &["netns", "del", name]);
}

/// Owns everything one scenario created; dropping it (also on panic)
/// kills the processes by PID, deletes the namespaces and removes the files.
#[derive(Default)]
pub struct Guard {
    /// Processes started, with a label for messages.
    pub children: Vec<(Child, String)>,
    /// Network namespaces created.
    pub namespaces: Vec<String>,
    /// The scenario's directory.
    pub dir: Option<PathBuf>,
}

impl Guard {
    /// Creates a network namespace owned by this guard.
    pub fn add_netns(&mut self, name: &str) -> Result<(), String> {
        assert!(
            owner(name) == Some(&std::process::id().to_string()),
            "namespace names carry this run's pid"
        );
        run("ip", &["netns", "add", name])?;
        self.namespaces.push(name.to_string());
        Ok(())
    }

    /// Kills one process this guard owns and forgets it.
    pub fn stop(&mut self, label: &str) {
        if let Some(i) = self.children.iter().position(|(_, l)| l == label) {
            let (mut c, _) = self.children.remove(i);
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        for (c, _) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in self.namespaces.drain(..).rev() {
            delete_netns(&ns);
        }
        if let Some(d) = self.dir.take() {
            let _ = run("rm", &["-rf", "--one-file-system", &d.to_string_lossy()]);
        }
    }
}

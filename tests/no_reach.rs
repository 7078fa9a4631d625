//! upcheck reads only the files it is handed and never talks to the
//! network, whatever the configuration says: `include /etc/passwd`,
//! absolute paths, real-looking public host names and IPs, resolvers.
//! Proven by running `upcheck validate` under strace inside a network
//! namespace with no interfaces, and checking every file and socket call.
//! Needs root, `unshare` and `strace`: without them the test is reported
//! ignored with the reason, and fails instead when UPCHECK_REQUIRE_REAL=1
//! (as in CI).

mod real;

use std::path::Path;
use std::process::Command;

const NGINX: &str = r#"
include /etc/passwd;
include /etc/nginx/conf.d/*.conf;
include ../../../../etc/shadow;
upstream public { server example.com:443; server 93.184.216.34:80; }
server {
    listen 80;
    resolver 8.8.8.8 1.1.1.1 valid=5s;
    location / { proxy_pass https://www.google.com; }
    location /ip { proxy_pass http://1.1.1.1:80; }
    location /var { set $t api.github.com; proxy_pass https://$t; }
    location /grp { proxy_pass http://public; }
    location /sock { proxy_pass http://unix:/var/run/docker.sock:/; }
}
"#;

const COMPOSE: &str = r#"
services:
  nginx:
    image: nginx
    env_file: /etc/environment
    volumes:
      - /etc:/etc/host-etc:ro
      - /var/run/docker.sock:/var/run/docker.sock
    extra_hosts:
      - "example.com:93.184.216.34"
"#;

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn main() {
    real::main(vec![real::needs(
        "validation_opens_no_file_outside_the_bundle_and_no_socket",
        missing,
        validation_opens_no_file_outside_the_bundle_and_no_socket,
    )]);
}

/// What this machine lacks for the test, if anything.
fn missing() -> Option<String> {
    if !unsafe_euid_is_root() {
        return Some("needs root (network namespaces, strace)".into());
    }
    ["strace", "unshare"]
        .into_iter()
        .find(|c| !have(c))
        .map(|c| format!("`{c}` is not installed"))
}

fn validation_opens_no_file_outside_the_bundle_and_no_socket() {
    let dir = std::env::temp_dir().join(format!("upcheck-no-reach-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("nginx")).unwrap();
    std::fs::write(dir.join("nginx/default.conf"), NGINX).unwrap();
    std::fs::write(dir.join("compose.yaml"), COMPOSE).unwrap();
    let log = dir.join("strace.log");
    let bin = env!("CARGO_BIN_EXE_upcheck");
    let out = Command::new("unshare")
        .arg("--net")
        .arg("strace")
        .args(["-f", "-qq", "-e", "trace=%file,%network", "-o"])
        .arg(&log)
        .arg(bin)
        .args(["validate", "--format", "json", "--nginx"])
        .arg(dir.join("nginx"))
        .arg("--topology")
        .arg(dir.join("compose.yaml"))
        .output()
        .expect("runs");
    // The verdict itself does not matter here, only that it ran.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "upcheck failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(&log).unwrap();
    assert!(
        trace.contains("default.conf"),
        "strace saw upcheck read its input"
    );
    let mut bad = Vec::new();
    for line in trace.lines() {
        if line.contains("socket(AF_INET")
            || line.contains("socket(AF_INET6")
            || line.contains("connect(")
        {
            bad.push(line.to_string());
            continue;
        }
        let Some(path) = line.split('"').nth(1) else {
            continue;
        };
        if path.is_empty() {
            continue;
        }
        if forbidden(path) {
            // Not even a failed attempt, a stat or an access check.
            bad.push(line.to_string());
            continue;
        }
        // Successful opens must stay inside the bundle or the binary's own
        // runtime (the dynamic loader also stats its search path, harmlessly).
        let is_open = line.contains("open(") || line.contains("openat(");
        if is_open && !line.contains("= -1") && !allowed(path, &dir) {
            bad.push(line.to_string());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        bad.is_empty(),
        "touched outside the bundle:\n{}",
        bad.join("\n")
    );
}

/// Paths the engine must never even try.
fn forbidden(path: &str) -> bool {
    [
        "/etc/passwd",
        "/etc/shadow",
        "/etc/nginx",
        "/etc/environment",
        "/var/run/docker.sock",
        "/etc/hosts",
        "/etc/resolv.conf",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// What a Rust binary may legitimately open: its own libraries and the
/// files it was given.
fn allowed(path: &str, dir: &Path) -> bool {
    if forbidden(path) {
        return false;
    }
    let sys = [
        "/etc/ld.so",
        "/lib",
        "/usr/lib",
        "/lib64",
        "/proc/self/",
        "/sys/devices/system/cpu",
        "/sys/fs/cgroup",
        "/proc/sys/kernel",
        "/dev/",
        "/usr/share/locale",
        "/etc/localtime",
        // The allocator (mimalloc) reads how the kernel hands out memory.
        "/proc/sys/vm/overcommit_memory",
        "/sys/kernel/mm/transparent_hugepage/",
    ];
    path.starts_with(&*dir.to_string_lossy())
        || sys.iter().any(|p| path.starts_with(p))
        || path == env!("CARGO_BIN_EXE_upcheck")
        || path.starts_with(concat!(env!("CARGO_MANIFEST_DIR"), "/target"))
        || path.contains("/.rustup/toolchains/")
        || path.starts_with("/proc/") && path.ends_with("/cgroup")
}

fn unsafe_euid_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

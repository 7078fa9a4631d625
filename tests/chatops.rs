//! The chat bot of examples/chatops/, end to end: `bot.py` packs a project,
//! sends it to a real `upcheck serve`, and posts the answer to a stand-in
//! incoming webhook (a socket in this test that keeps what it is sent).
//! Needs python3; without it the test is ignored with the reason.

mod real;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn main() {
    real::main(vec![real::needs(
        "the_bot_posts_upchecks_answer_to_the_webhook",
        || real::program("python3", "--version"),
        the_bot_posts_upchecks_answer_to_the_webhook,
    )]);
}

/// A webhook that answers 200 to every POST and sends on each body.
fn webhook() -> (String, mpsc::Receiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/test", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            let _ = tx.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
        }
    });
    (url, rx)
}

/// Runs the bot; its exit code and what the webhook got.
fn bot(base: &str, hook: &str, rx: &mpsc::Receiver<Value>, chat: &str, dir: &Path) -> (i32, Value) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/chatops/bot.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(["--upcheck", base, "--webhook", hook, "--chat", chat])
        .arg(dir)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let posted = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| {
            panic!(
                "nothing posted (exit {code}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    (code, posted)
}

fn the_bot_posts_upchecks_answer_to_the_webhook() {
    let (mut server, base) = real::upcheck_serve(&["--log", "warn"], Stdio::null());
    let (hook, rx) = webhook();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");

    // The seed fails: Slack gets Block Kit naming the finding and its fix.
    let (code, m) = bot(&base, &hook, &rx, "slack", &examples.join("seed-compose"));
    assert_eq!(code, 1, "{m}");
    assert!(m["text"].as_str().unwrap().contains("upcheck: fail"), "{m}");
    let blocks = m["blocks"].to_string();
    assert!(
        blocks.contains("UC2001") && blocks.contains("model_test:6001"),
        "{m}"
    );

    // The fixed seed passes: Mattermost gets its Markdown.
    let (code, m) = bot(
        &base,
        &hook,
        &rx,
        "mattermost",
        &examples.join("seed-compose-fixed"),
    );
    assert_eq!(code, 0, "{m}");
    assert!(
        m["text"]
            .as_str()
            .unwrap()
            .starts_with("✅ **upcheck: pass**"),
        "{m}"
    );

    // A directory upcheck cannot read: the channel hears why, exit 2.
    let empty = std::env::temp_dir().join(format!("upcheck-chatops-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("notes.txt"), "nothing to check\n").unwrap();
    let (code, m) = bot(&base, &hook, &rx, "slack", &empty);
    let _ = std::fs::remove_dir_all(&empty);
    assert_eq!(code, 2, "{m}");
    assert!(m["text"].as_str().unwrap().contains("could not"), "{m}");

    let _ = server.kill();
    let _ = server.wait();
}

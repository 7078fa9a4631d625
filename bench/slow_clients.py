#!/usr/bin/env python3
"""Slow and idle clients against one release `upcheck serve` with its
default flags (issue 14, item 4): how fast `GET /healthz` and `POST
/validate` answer, and how much memory the server holds, while

  1. 19,000 connections are open, each having sent the first byte of a
     request and nothing more (the issue: ~20,000 idle connections took
     /healthz down, ~9,000 exceeded 128 MiB);
  2. 2,000 slowloris connections each send a partial head and one more
     byte every second;
  3. 16 uploads each send 1 byte of a 1,000-byte body (the issue: these
     held every validation slot, and /validate answered 503 to everyone).

    bench/slow_clients.py              # builds the release binary first
    SLOW_IDLE=5000 bench/slow_clients.py
    UPCHECK_BIN=/path/to/upcheck bench/slow_clients.py   # another build, as is

Printed, not asserted; the numbers depend on the machine. The behaviour
itself is asserted in tests/bad_clients.rs.
"""
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
IDLE = int(os.environ.get("SLOW_IDLE", "19000"))
LORIS = int(os.environ.get("SLOW_LORIS", "2000"))


def seed_body():
    d = os.path.join(ROOT, "examples/seed-compose/")
    return json.dumps({
        "files": [{"path": "default.conf", "content": open(d + "default.conf").read()}],
        "documents": [{"path": "docker-compose.yml",
                       "content": open(d + "docker-compose.yml").read()}],
    }).encode()


def status_of(addr, raw, timeout=10.0):
    """(status, ms) of one request on a new connection; status 0 when none."""
    t = time.perf_counter()
    try:
        s = socket.create_connection(addr, timeout=timeout)
        s.sendall(raw)
        data = b""
        while b"\r\n" not in data:
            d = s.recv(4096)
            if not d:
                break
            data += d
        s.close()
        code = int(data.split(b" ")[1]) if data.startswith(b"HTTP/") else 0
    except OSError:
        code = 0
    return code, (time.perf_counter() - t) * 1e3


def probe(addr, raw, n=20):
    """Median and worst latency of n requests, and their statuses."""
    runs = [status_of(addr, raw) for _ in range(n)]
    ms = [m for _, m in runs]
    codes = sorted({c for c, _ in runs})
    return statistics.median(ms), max(ms), codes


def proc_kb(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    idle_n = min(IDLE, hard - 200)
    binary = os.environ.get("UPCHECK_BIN")
    if not binary:
        print("== cargo build --release --bin upcheck", file=sys.stderr)
        subprocess.run(["cargo", "build", "--quiet", "--release", "--bin", "upcheck"],
                       cwd=ROOT, check=True)
        binary = os.path.normpath(os.path.join(ROOT, "target/release/upcheck"))
    server = subprocess.Popen(
        [binary, "serve",
         "--listen", "127.0.0.1:0", "--log", "warn"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = server.stdout.readline().decode()
        host, port = line.strip().split("http://")[1].split(":")
        addr = (host, int(port))
        pid = server.pid
        healthz = b"GET /healthz HTTP/1.1\r\nHost: upcheck\r\nConnection: close\r\n\r\n"
        body = seed_body()
        validate = (b"POST /validate HTTP/1.1\r\nHost: upcheck\r\nConnection: close\r\n"
                    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                    % len(body)) + body
        rows = []

        def row(name, raw):
            med, worst, codes = probe(addr, raw)
            rows.append((name, codes, med, worst, proc_kb(pid, "VmRSS") / 1024,
                         len(os.listdir(f"/proc/{pid}/fd"))))

        row("GET /healthz, quiet", healthz)
        row("POST /validate, quiet", validate)

        t = time.perf_counter()
        idle = []
        for _ in range(idle_n):
            try:
                s = socket.create_connection(addr, timeout=10)
                s.send(b"G")
                idle.append(s)
            except OSError:
                break
        opened = time.perf_counter() - t
        row(f"GET /healthz, {len(idle)} idle connections", healthz)
        row(f"POST /validate, {len(idle)} idle connections", validate)
        idle_rss = proc_kb(pid, "VmHWM") / 1024
        for s in idle:
            s.close()
        idle = []
        time.sleep(1)

        loris = []
        for _ in range(LORIS):
            try:
                s = socket.create_connection(addr, timeout=10)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: upcheck\r\nX-Slow: ")
                loris.append(s)
            except OSError:
                break
        for _ in range(3):
            time.sleep(1)
            for s in loris:
                try:
                    s.send(b"a")
                except OSError:
                    pass
        row(f"GET /healthz, {len(loris)} slowloris", healthz)
        for s in loris:
            s.close()
        time.sleep(1)

        uploads = []
        for _ in range(16):
            s = socket.create_connection(addr, timeout=10)
            s.sendall(b"POST /validate HTTP/1.1\r\nHost: upcheck\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
            uploads.append(s)
        time.sleep(0.5)
        row("POST /validate, 16 trickled uploads", validate)
        for s in uploads:
            s.close()

        hwm = proc_kb(pid, "VmHWM") / 1024
        print()
        print(f"{binary} serve (default flags), {os.cpu_count()} CPUs, "
              f"{time.strftime('%Y-%m-%d', time.gmtime())}; each row: 20 requests "
              f"on new connections")
        print(f"{'while':<48} {'status':>8} {'p50 ms':>8} {'max ms':>8} "
              f"{'RSS MB':>8} {'fds':>6}")
        for name, codes, med, worst, rss, fds in rows:
            print(f"{name:<48} {','.join(map(str, codes)):>8} {med:>8.2f} {worst:>8.2f} "
                  f"{rss:>8.1f} {fds:>6}")
        print()
        print(f"opening {idle_n} idle connections (1 byte each) took {opened:.1f} s; "
              f"server peak RSS (VmHWM) {idle_rss:.1f} MB with them, {hwm:.1f} MB "
              f"over the whole run (limit in deploy/: 128 MiB)")
        print("command: bench/slow_clients.py")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The two headline figures of issue 14, in one run on one machine:
#
#   1. whole-process `upcheck parse FILE` against crossplane 0.5.8's CLI
#      (`crossplane parse FILE`) on a generated 50k-line configuration,
#      timed by hyperfine (goal: upcheck >= 60x faster);
#   2. wrk throughput of `POST /validate` (the seed request of
#      examples/seed-compose/, JSON) against `GET /healthz` on the same
#      `upcheck serve` (goal: ratio >= 0.40). For scale it also measures
#      `POST /parse` of a one-line configuration: the same HTTP path as
#      /validate (JSON body, limits, a validation slot, the blocking pool,
#      a JSON answer) around next to no work, so the most any POST that
#      does work can reach. Beside each rate it prints the server's own
#      CPU time per request (from /proc/PID/stat around the wrk run), which
#      does not depend on how much of the 2 cores wrk itself takes.
#
#   bench/compare.sh
#
# Knobs (environment):
#   BENCH_LINES=50000     lines of the generated configuration
#   BENCH_RUNS=20         hyperfine runs per command (after 3 warm-ups)
#   BENCH_SECONDS=10      length of each wrk run (a 2 s warm-up precedes them)
#   BENCH_THREADS=2       wrk threads
#   BENCH_CONNECTIONS=16  wrk connections
#   CROSSPLANE=...        a crossplane 0.5.8 CLI (default: .venv/bin/crossplane,
#                         created with pip if missing)
#
# Needs hyperfine and wrk (Debian: apt-get install -y hyperfine wrk). Both
# tools' outputs go to /dev/null; the figures depend on the machine and on
# what else runs on it, so run it on a quiet machine and read the spread.
set -euo pipefail
cd "$(dirname "$0")/.."

lines=${BENCH_LINES:-50000}
runs=${BENCH_RUNS:-20}
secs=${BENCH_SECONDS:-10}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-16}
for tool in hyperfine wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install -y $tool)" >&2; exit 1; }
done

. bench/lib.sh

crossplane=${CROSSPLANE:-.venv/bin/crossplane}
if [ ! -x "$crossplane" ]; then
  echo "== creating .venv with crossplane 0.5.8" >&2
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check crossplane==0.5.8
  crossplane=.venv/bin/crossplane
fi

echo "== cargo build --release --bin upcheck" >&2
cargo build --quiet --release --bin upcheck
upcheck=target/release/upcheck

# 1. Parse, whole process.
conf="$tmp/nginx-$lines.conf"
python3 bench/gen_config.py "$lines" >"$conf"
"$upcheck" parse "$conf" >"$tmp/ours.json"
"$crossplane" parse "$conf" >"$tmp/theirs.json"
python3 - "$tmp/ours.json" "$tmp/theirs.json" <<'PY'
import json, sys
ours, theirs = (json.load(open(p)) for p in sys.argv[1:3])
def count(block):
    return sum(1 + count(d.get("block", [])) for d in block)
# The same statements (argument values differ only where crossplane keeps
# backslash escapes that nginx decodes: tests/crossplane_diff.rs).
n = [sum(count(c["parsed"]) for c in x["config"]) for x in (ours, theirs)]
if n[0] != n[1] or ours["status"] != theirs["status"]:
    sys.exit(f"upcheck parse and crossplane parse disagree on the generated file: {n}")
PY
echo "== hyperfine: crossplane parse vs upcheck parse ($(wc -l <"$conf") lines, $(wc -c <"$conf") bytes)" >&2
hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/parse.json" \
  "$crossplane parse $conf" "$upcheck parse $conf" >&2

# 2. /validate against /healthz.
python3 - "$tmp/seed.json" <<'PY'
import json, sys
d = "examples/seed-compose/"
body = {
    "files": [{"path": "default.conf", "content": open(d + "default.conf").read()}],
    "documents": [{"path": "docker-compose.yml", "content": open(d + "docker-compose.yml").read()}],
}
open(sys.argv[1], "w").write(json.dumps(body))
PY
cat >"$tmp/post.lua" <<LUA
local f = assert(io.open("$tmp/seed.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
"$upcheck" serve --listen 127.0.0.1:0 --log warn >"$tmp/serve.out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break
  sleep 0.05
done
base=$(sed -n 's/^upcheck listening on //p' "$tmp/serve.out")
[ -n "$base" ] || { echo "upcheck serve did not start" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$tmp/seed.json" "$base/validate" || true)
[ "$status" = 200 ] || { echo "POST /validate answered $status" >&2; exit 1; }
# The server's user + system CPU time in clock ticks (fields 14 and 15).
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# wrk with its arguments, its output to $1.txt, the server's CPU ticks spent
# during the run to $1.cpu.
measure() {
  local name=$1 before
  shift
  before=$(ticks)
  wrk -t"$threads" -c"$conns" -d"${secs}s" "$@" | tee "$tmp/$name.txt" >&2
  echo $(($(ticks) - before)) >"$tmp/$name.cpu"
}
wrk -t"$threads" -c"$conns" -d2s -s "$tmp/post.lua" "$base/validate" >/dev/null
echo "== wrk -t$threads -c$conns -d${secs}s GET /healthz, then POST /validate" >&2
measure healthz "$base/healthz"
measure validate -s "$tmp/post.lua" "$base/validate"
printf '{"nginx":"events {}\\n"}' >"$tmp/tiny.json"
sed "s#$tmp/seed.json#$tmp/tiny.json#" "$tmp/post.lua" >"$tmp/tiny.lua"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$tmp/tiny.json" "$base/parse" || true)
[ "$status" = 200 ] || { echo "POST /parse answered $status" >&2; exit 1; }
measure floor -s "$tmp/tiny.lua" "$base/parse"

python3 - "$tmp" "$(getconf CLK_TCK)" "$lines" "$secs" "$threads" "$conns" <<'PY'
import json, os, platform, re, statistics, sys
tmp, hz_ticks = sys.argv[1], int(sys.argv[2])
lines, secs, threads, conns = sys.argv[3:7]
r = json.load(open(f"{tmp}/parse.json"))["results"]
theirs, ours = r[0]["times"], r[1]["times"]
def rps(name):
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", open(f"{tmp}/{name}.txt").read(), re.M)
    return float(m.group(1))
def cpu_us(name):
    """The server's CPU microseconds per request answered during the run."""
    m = re.search(r"^\s*(\d+) requests in", open(f"{tmp}/{name}.txt").read(), re.M)
    ticks = int(open(f"{tmp}/{name}.cpu").read())
    return 1e6 * ticks / hz_ticks / int(m.group(1))
h, v, f = rps("healthz"), rps("validate"), rps("floor")
ch, cv, cf = cpu_us("healthz"), cpu_us("validate"), cpu_us("floor")
ms = lambda xs: 1e3 * statistics.median(xs)
print()
print(f"upcheck bench/compare.sh — {os.cpu_count()} CPUs ({platform.machine()}), load average {os.getloadavg()[0]:.1f} at the end")
print(f"{'parse, whole process (hyperfine, median of ' + str(len(ours)) + ')':<52} {'ms':>10}")
print(f"{'  crossplane 0.5.8 CLI, ' + lines + '-line config':<52} {ms(theirs):>10.1f}")
print(f"{'  upcheck parse, same file':<52} {ms(ours):>10.1f}")
ratio = statistics.median(theirs) / statistics.median(ours)
print(f"{'  upcheck is faster by':<52} {ratio:>9.1f}x   (goal >= 60x)")
print(f"{'http, wrk -t' + threads + ' -c' + conns + ' -d' + secs + 's':<52} {'req/s':>10} {'server CPU us/req':>18}")
print(f"{'  GET /healthz':<52} {h:>10.0f} {ch:>18.0f}")
print(f"{'  POST /validate (seed, JSON)':<52} {v:>10.0f} {cv:>18.0f}")
print(f"{'  /validate : /healthz':<52} {v / h:>10.2f}   (goal >= 0.40)")
print(f"{'  POST /parse of one line (the HTTP path alone)':<52} {f:>10.0f} {cf:>18.0f}")
print(f"{'  /parse of one line : /healthz':<52} {f / h:>10.2f}   (a ceiling for /validate)")
PY

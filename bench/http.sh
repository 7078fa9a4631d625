#!/usr/bin/env bash
# HTTP throughput of `POST /validate` (the seed request of
# examples/seed-compose/: default.conf + docker-compose.yml, as JSON) next to
# `GET /healthz` on the same `upcheck serve` (release build), with wrk on
# loopback, in one run; then /validate latency at half its measured peak
# rate, and the server's peak RSS.
#
#   bench/http.sh
#
# Knobs (environment):
#   BENCH_SECONDS=10      length of each wrk run (a 2 s warm-up precedes them)
#   BENCH_THREADS=2       wrk threads
#   BENCH_CONNECTIONS=16  wrk connections for the peak runs (= the default
#                         --max-concurrency, so /validate is not shed)
#   UPCHECK_LOG=info      the server's log filter (logs go to /dev/null)
#   BAD_INPUTS=1          also print `cargo bench --bench bad_inputs` (the
#                         time each bad input of the bad-input suite takes)
#
# Related, asserted in tests rather than measured here:
#   cargo test --test bad_inputs          every bad input: a 4xx problem or a
#                                         failing report, and the server lives
#   UPCHECK_LOAD_SECONDS=60 cargo test --release --test load_shutdown -- --nocapture
#                                         the issue's 60 s load at
#                                         --max-concurrency 4 (default 8 s in
#                                         CI) and SIGTERM during load
#
# Needs wrk (Debian: apt-get install wrk). wrk2 is not packaged, so the
# half-rate run approximates a constant rate with a Lua `delay()` per
# request: each connection waits a random 0..2*D ms (mean D = 20 ms) before
# each request, and the connection count is chosen so that the connections
# together offer half the peak rate. wrk measures latency from the moment a
# request is written, so the delay is not counted in it. The achieved rate
# is printed next to the target. The numbers depend on the machine (wrk and
# the server share its cores); nothing here is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${BENCH_SECONDS:-10}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-16}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

. bench/lib.sh

echo "== cargo build --release --bin upcheck" >&2
cargo build --quiet --release --bin upcheck

# The seed request as a JSON file, and the Lua scripts that send it.
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
cat "$tmp/post.lua" >"$tmp/paced.lua"
cat >>"$tmp/paced.lua" <<'LUA'
-- Paced: a random 0..40 ms pause (mean 20 ms) before each request.
local mean_ms = 20
function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end
function delay()
  return math.random(0, 2 * mean_ms)
end
LUA

target/release/upcheck serve --listen 127.0.0.1:0 --log "${UPCHECK_LOG:-info}" \
  >"$tmp/serve.out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break
  sleep 0.05
done
base=$(sed -n 's/^upcheck listening on //p' "$tmp/serve.out")
[ -n "$base" ] || { echo "upcheck serve did not start" >&2; exit 1; }
echo "== upcheck serve on $base (pid $pid), seed request $(wc -c <"$tmp/seed.json") bytes" >&2

status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$tmp/seed.json" "$base/validate" || true)
[ "$status" = 200 ] || { echo "POST /validate answered $status" >&2; exit 1; }

run() { # name, wrk args...
  local name=$1; shift
  echo "== wrk $* ($name)" >&2
  wrk "$@" | tee "$tmp/$name.txt" >&2
}
rps() { awk '/^Requests\/sec:/ {print $2}' "$tmp/$1.txt"; }
non2xx() { awk '/Non-2xx or 3xx responses:/ {print $5}' "$tmp/$1.txt" | grep . || echo 0; }
pct() { # name, 50%|99% -> ms
  awk -v p="$2" '$1 == p {
    v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v)
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
    printf "%.3f", v }' "$tmp/$1.txt"
}

wrk -t"$threads" -c"$conns" -d2s -s "$tmp/post.lua" "$base/validate" >/dev/null
run healthz -t"$threads" -c"$conns" -d"${secs}s" --latency "$base/healthz"
run validate -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$tmp/post.lua" "$base/validate"

peak=$(rps validate)
target=$(awk -v p="$peak" 'BEGIN { printf "%d", p / 2 }')
# Connections offering `target` requests per second at one per ~20 ms each.
paced_conns=$(awk -v t="$target" 'BEGIN { c = int(t * 0.020 + 0.5); if (c < 1) c = 1; print c }')
[ "$paced_conns" -ge "$threads" ] || paced_conns=$threads
run paced -t"$threads" -c"$paced_conns" -d"${secs}s" --latency -s "$tmp/paced.lua" "$base/validate"

hwm=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")

h=$(rps healthz)
ratio=$(awk -v v="$peak" -v h="$h" 'BEGIN { printf "%.1f", 100 * v / h }')
echo
echo "upcheck serve, wrk on loopback, ${secs} s per run, $(nproc) CPUs ($(uname -m)), $(date -u +%Y-%m-%d)"
printf '%-44s %14s %10s %10s %8s\n' "run" "req/s" "p50 ms" "p99 ms" "non-2xx"
printf '%-44s %14s %10s %10s %8s\n' "GET /healthz (-t$threads -c$conns)" "$h" "$(pct healthz 50%)" "$(pct healthz 99%)" "$(non2xx healthz)"
printf '%-44s %14s %10s %10s %8s\n' "POST /validate (-t$threads -c$conns)" "$peak" "$(pct validate 50%)" "$(pct validate 99%)" "$(non2xx validate)"
printf '%-44s %14s %10s %10s %8s\n' "POST /validate paced (target $target/s, -c$paced_conns)" "$(rps paced)" "$(pct paced 50%)" "$(pct paced 99%)" "$(non2xx paced)"
echo
printf '%-44s %s\n' "/validate : /healthz throughput" "$ratio % (goal >= 40 %)"
printf '%-44s %s\n' "/validate p99 at half the peak rate" "$(pct paced 99%) ms (goal <= 5 ms)"
printf '%-44s %s\n' "server peak RSS (VmHWM)" "$hwm MB (goal < 50 MB; VmRSS now $rss MB)"
echo
echo "command: bench/http.sh   (BENCH_SECONDS=$secs BENCH_THREADS=$threads BENCH_CONNECTIONS=$conns)"

if [ "${BAD_INPUTS:-0}" = 1 ]; then
  echo
  cargo bench --quiet --bench bad_inputs
fi

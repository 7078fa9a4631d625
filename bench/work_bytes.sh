#!/usr/bin/env bash
# Peak memory of `upcheck serve` under concurrent maximal requests: five
# rounds of 16 concurrent POST /validate, each a 650 KB body (the seed
# compose project with an upstream group of 24 000 servers, the largest
# group the default max_resolutions resolves, and a 12 MB report), then
# the server's VmHWM. Extra arguments go to `upcheck serve`, e.g.
#
#   bench/work_bytes.sh                           # defaults (2 MiB at once)
#   bench/work_bytes.sh --max-work-bytes 1MiB     # as deploy/kubernetes
#   bench/work_bytes.sh --max-work-bytes 1GiB     # weight off: 16 at once
#
# Prints how many requests were answered 200 and shed with 503, and the
# VmHWM after each round. Needs curl and python3; release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --bin upcheck
. bench/lib.sh
python3 - "$tmp/big.json" <<'PY'
import json, sys
compose = open("examples/seed-compose/docker-compose.yml").read()
servers = "".join(f"  server model_test:{6001 + i % 2};\n" for i in range(24000))
conf = f"upstream pool {{\n{servers}}}\nserver {{ listen 80; location / {{ proxy_pass http://pool; }} }}\n"
json.dump({"files": [{"path": "default.conf", "content": conf}],
           "documents": [{"path": "docker-compose.yml", "content": compose}]},
          open(sys.argv[1], "w"))
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/release/upcheck serve --listen "127.0.0.1:$port" "$@" >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "body: $(wc -c <"$tmp/big.json") bytes; serve $*"
for round in 1 2 3 4 5; do
  pids=()
  for _ in $(seq 16); do
    curl -s -o /dev/null -w '%{http_code}\n' -H 'content-type: application/json' \
      --data-binary @"$tmp/big.json" "http://127.0.0.1:$port/validate" >>"$tmp/codes" &
    pids+=($!)
  done
  wait "${pids[@]}"
  echo "round $round: $(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')"
done
sort "$tmp/codes" | uniq -c | sed 's/^ */answers: /'

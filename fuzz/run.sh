#!/usr/bin/env bash
# Fuzz every target for a while, seeded from the test fixtures.
#
#   fuzz/run.sh            # 20 s per target (what CI runs)
#   FUZZ_SECONDS=3600 fuzz/run.sh nginx_parse   # a long run of one target
#
# Needs `cargo install cargo-fuzz --locked`. Runs on stable Rust with
# `-s none` (libFuzzer coverage, no sanitizer: the code is safe Rust).
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the run;
# copy it to tests/fuzz-regressions/<target>/ so `cargo test` replays it.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-20}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(nginx_parse compose_load kubernetes_load native_load validate http_validate)

seed() { # target, files...
  local dir=corpus/$1; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done
}
shopt -s nullglob globstar
seed nginx_parse ../tests/corpus/**/*.conf ../examples/**/*.conf
seed compose_load ../tests/fixtures/topology/compose/*.yml ../examples/**/*.yml
seed kubernetes_load ../tests/fixtures/topology/kubernetes/*.yaml ../tests/fixtures/topology/kubernetes/*.json
seed native_load ../tests/fixtures/topology/native/*.json
seed validate ../examples/**/*.conf
seed http_validate seeds/http_validate/*
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  # The HTTP target runs the service as deployed: its budgets must keep a
  # request within the 256 MiB a pod gets (plus libFuzzer's own keep).
  features=() rss=2048
  if [ "$t" = http_validate ]; then features=(--features http) rss=512; fi
  echo "== fuzz $t for ${seconds}s (rss limit ${rss} MB)"
  cargo fuzz run -s none "${features[@]}" "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb="$rss" -timeout=10 2>&1 | tail -n 3
done

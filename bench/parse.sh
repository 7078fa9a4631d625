#!/usr/bin/env bash
# Parse throughput: upcheck (parse + upstream extraction, release build) next
# to crossplane 0.5.8's `crossplane.parse(path)`, on the same generated files,
# in the same run. Prints each tool's raw lines, then the table.
#
#   bench/parse.sh
#
# Knobs (environment):
#   BENCH_LINES="5000 50000"   approximate line counts of the generated files
#   CROSSPLANE_PYTHON=...      a Python with crossplane 0.5.8 (default: ./.venv,
#                              created with `python3 -m venv .venv &&
#                              .venv/bin/pip install crossplane==0.5.8` if missing)
#   CROSSPLANE_RUNS=5          crossplane runs per file (best is reported)
#   UPCHECK_BENCH_RUNS=30      upcheck runs per file (best is reported)
#
# Same measurement by hand:
#   python3 bench/gen_config.py 5000 > /tmp/5k.conf
#   .venv/bin/python bench/crossplane_bench.py /tmp/5k.conf
#   cargo bench --bench parse -- /tmp/5k.conf
#
# MB/s is 10^6 bytes per second of the best run; ratio = crossplane ms / upcheck ms.
# upcheck ms covers read + parse + upstream extraction + drop, as crossplane's
# figure covers read + parse + freeing the previous payload; the last two
# columns are the best parse-only and extraction-only times.
# The numbers depend on the machine; nothing here is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=()
for n in ${BENCH_LINES:-5000 50000}; do
  python3 bench/gen_config.py "$n" >"$tmp/nginx-$n.conf"
  files+=("$tmp/nginx-$n.conf")
done

py=${CROSSPLANE_PYTHON:-}
if [ -z "$py" ]; then
  if ! .venv/bin/python -c 'import crossplane' 2>/dev/null; then
    echo "== creating .venv with crossplane 0.5.8" >&2
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check crossplane==0.5.8
  fi
  py=.venv/bin/python
fi
if ! "$py" -c 'import crossplane, sys; sys.exit(crossplane.__version__ != "0.5.8")'; then
  echo "warning: $py does not have crossplane 0.5.8" >&2
fi

echo "== crossplane ($py)" >&2
"$py" bench/crossplane_bench.py --runs "${CROSSPLANE_RUNS:-5}" "${files[@]}" | tee "$tmp/crossplane.txt"
echo "== upcheck (cargo bench --bench parse)" >&2
cargo bench --quiet --bench parse -- "${files[@]}" | tee "$tmp/upcheck.txt"

python3 - "$tmp/crossplane.txt" "$tmp/upcheck.txt" <<'EOF'
import os
import sys

def read(path):
    rows = {}
    for line in open(path):
        parts = line.split()
        if len(parts) < 3 or parts[0] not in ("crossplane", "upcheck"):
            continue
        rows[parts[1]] = dict(p.split("=", 1) for p in parts[2:])
    return rows

xp, up = read(sys.argv[1]), read(sys.argv[2])
head = ("file", "lines", "bytes", "crossplane ms", "crossplane MB/s", "upcheck ms", "upcheck MB/s", "ratio",
        "of which parse ms", "extract ms")
rows = []
notes = []
for path, u in up.items():
    x = xp.get(path)
    if x is None:
        continue
    ratio = float(x["best_ms"]) / float(u["best_ms"])
    rows.append((os.path.basename(path), u["lines"], u["bytes"], x["best_ms"], x["mb_per_s"],
                 u["best_ms"], u["mb_per_s"], f"{ratio:.1f}x", u["parse_best_ms"], u["extract_best_ms"]))
    if x["directives"] != u["directives"]:
        notes.append(f"note: {os.path.basename(path)}: crossplane counts {x['directives']} directives, upcheck {u['directives']}")
    if x["errors"] != "0" or u["errors"] != "0":
        notes.append(f"note: {os.path.basename(path)}: errors crossplane={x['errors']} upcheck={u['errors']}")
widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
print()
for r in [head] + rows:
    print("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
for n in notes:
    print(n)
EOF

#!/usr/bin/env python3
"""Times crossplane's Python API, `crossplane.parse(path)` with its default
options, on each file: best and median of N runs after one warm-up.

    .venv/bin/python bench/crossplane_bench.py [--runs N] FILE...

Prints one line per file, in the format of `cargo bench --bench parse`:

    crossplane <file> bytes=<n> lines=<l> runs=<r> best_ms=<x> median_ms=<m> mb_per_s=<y> directives=<d> errors=<e>

MB/s is 10^6 bytes per second of the best run. Run it with the Python that
has crossplane 0.5.8 installed; bench/parse.sh does.
"""

import argparse
import statistics
import sys
import time

import crossplane


def count(block):
    n = 0
    for d in block:
        n += 1
        n += count(d.get("block", []))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    print(f"# crossplane {crossplane.__version__} on Python {sys.version.split()[0]}", file=sys.stderr)
    for path in a.files:
        with open(path, "rb") as f:
            data = f.read()
        payload = crossplane.parse(path)  # warm-up (imports, page cache)
        times = []
        for _ in range(max(a.runs, 1)):
            t = time.perf_counter()
            payload = crossplane.parse(path)
            times.append(time.perf_counter() - t)
        best = min(times)
        lines = data.count(b"\n")
        directives = sum(count(c["parsed"]) for c in payload["config"])
        print(
            f"crossplane {path} bytes={len(data)} lines={lines} runs={len(times)}"
            f" best_ms={best * 1e3:.3f} median_ms={statistics.median(times) * 1e3:.3f}"
            f" mb_per_s={len(data) / best / 1e6:.2f} directives={directives}"
            f" errors={len(payload['errors'])}",
            flush=True,
        )


if __name__ == "__main__":
    main()

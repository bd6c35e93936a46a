#!/usr/bin/env bash
# Dry-run benchmark: generates a large package (~100 modules, ~25k lines, 500 add_service
# with render_templates and imports), builds hortus in release mode and interprets the
# package several times, printing wall time and peak RSS per run.
#
# Usage: bench/dry_run/run.sh [RUNS]   (default 5)
# Uses `target/release/hortus run --dry-run --offline` when the CLI builds, otherwise (or with
# HORTUS_BENCH_USE_EXAMPLE=1) the interpreter's `dry_run` example.
set -euo pipefail
RUNS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PKG="$(mktemp -d)/big"
trap 'rm -rf "$(dirname "$PKG")"' EXIT
python3 "$ROOT/bench/dry_run/gen.py" "$PKG"
cd "$ROOT"
if [ "${HORTUS_BENCH_USE_EXAMPLE:-0}" != 1 ] \
  && cargo build --release -p hortus-cli >/dev/null 2>&1 && [ -x target/release/hortus ]; then
  CMD=(target/release/hortus run --dry-run --offline "$PKG")
else
  echo "measuring the interpreter example (hortus-cli not built or HORTUS_BENCH_USE_EXAMPLE=1)" >&2
  cargo build --release -p hortus-interpreter --example dry_run >/dev/null
  CMD=(target/release/examples/dry_run "$PKG" --offline)
fi
echo "command: ${CMD[*]}"
python3 - "$RUNS" "${CMD[@]}" <<'PY'
import resource, subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
walls = []
for i in range(runs):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**__import__("os").environ, "HORTUS_OFFLINE": "1"})
    wall = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        sys.exit(f"run {i + 1} failed with exit code {proc.returncode}")
    walls.append(wall)
    print(f"run {i + 1}: {wall:.1f} ms")
# ru_maxrss of children is the peak RSS of the largest child, in KiB on Linux
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
walls.sort()
print(f"wall: min {walls[0]:.1f} ms, median {walls[len(walls) // 2]:.1f} ms, max {walls[-1]:.1f} ms")
print(f"peak RSS: {peak:.1f} MiB")
PY

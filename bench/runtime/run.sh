#!/usr/bin/env bash
# Runtime benchmark: hortus against the same Docker work done with bare bollard calls.
# Prints one `ratio=` line per case (hortus seconds / bare seconds; target <= 1.1).
#
#   bench/runtime/run.sh                 # all cases, ROUNDS rounds each (default 3)
#   ROUNDS=5 bench/runtime/run.sh
#   BACKEND_ONLY=1 bench/runtime/run.sh  # only DockerBackend vs bare bollard (no CLI)
#
# Cases (each timed as whole processes, hortus and bare interleaved per round):
#   empty       `hortus run --enclave X <empty package>` + `hortus enclave rm -f X`
#               vs `bare_bollard network 1` (one network create + remove)
#   services10  `hortus run --enclave X <10 busybox services>` + `hortus enclave rm -f X`
#               vs `bare_bollard services 10`
#   services50  the same with 50 services
# and, always, the backend alone (`bare_bollard backend-*` vs `bare_bollard *`).
#
# A measurement script, not a test: it never fails on a ratio, only on broken commands.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${ROUNDS:-3}"
backend_only="${BACKEND_ONLY:-0}"
target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
hortus="$target_dir/release/hortus"
bare="$target_dir/release/examples/bare_bollard"
work="$(mktemp -d)"

log() { printf 'bench: %s\n' "$*" >&2; }

cleanup() {
    local name
    if [ -f "$work/enclaves" ]; then
        while IFS= read -r name; do
            "$hortus" enclave rm -f "$name" >/dev/null 2>&1 || true
        done <"$work/enclaves"
    fi
    # Leftovers of an interrupted bare run.
    docker ps -aq --filter label=hortus.bench=bare | xargs -r docker rm -f >/dev/null 2>&1 || true
    docker network ls -q --filter label=hortus.bench=bare | xargs -r docker network rm >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
# seconds_since START: elapsed wall time.
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }

log "building release binaries"
(
    cd "$repo_root"
    cargo build --release --quiet -p hortus-runtime --example bare_bollard
    if [ "$backend_only" != 1 ]; then
        cargo build --release --quiet -p hortus-cli
    fi
)
"$repo_root/scripts/build-test-images.sh" >&2

# make_package DIR SERVICES: a package whose main.star adds SERVICES busybox httpd services
# in one `plan.add_services` (0 = an empty run).
make_package() {
    local dir="$1" count="$2"
    mkdir -p "$dir"
    printf 'name: github.com/hortus-bench/services-%s\n' "$count" >"$dir/kurtosis.yml"
    if [ "$count" -eq 0 ]; then
        printf 'def run(plan, args):\n    return None\n' >"$dir/main.star"
        return
    fi
    cat >"$dir/main.star" <<STAR
def run(plan, args):
    configs = {}
    for index in range($count):
        configs["svc-%d" % index] = ServiceConfig(
            image = "hortus-test/busybox:latest",
            cmd = ["httpd", "-f", "-p", "8080"],
            ports = {"http": PortSpec(8080, wait = None)},
        )
    plan.add_services(configs)
STAR
}

# time_hortus PACKAGE: seconds for `hortus run` into a fresh enclave plus `enclave rm -f`.
time_hortus() {
    local package="$1"
    local name="bench-$$-$RANDOM"
    # Runs in a command substitution: record the name in a file for the exit trap.
    printf '%s\n' "$name" >>"$work/enclaves"
    local start
    start="$(now)"
    "$hortus" run --enclave "$name" "$package" >"$work/run.log" 2>&1 \
        || { cat "$work/run.log" >&2; log "hortus run failed"; exit 1; }
    "$hortus" enclave rm -f "$name" >"$work/rm.log" 2>&1 \
        || { cat "$work/rm.log" >&2; log "hortus enclave rm failed"; exit 1; }
    seconds_since "$start"
}

# time_process CMD...: wall seconds of one process.
time_process() {
    local start
    start="$(now)"
    "$@" >/dev/null || return 1
    seconds_since "$start"
}

# compare CASE HORTUS_CMD... -- BARE_CMD...: interleaved rounds, then the ratio line.
compare() {
    local case_name="$1"
    shift
    local hortus_cmd=() bare_cmd=()
    while [ "$1" != "--" ]; do hortus_cmd+=("$1"); shift; done
    shift
    bare_cmd=("$@")
    local hortus_total=0 bare_total=0 round
    local hortus_s bare_s
    for round in $(seq 1 "$rounds"); do
        hortus_s="$("${hortus_cmd[@]}")" || { log "$case_name: hortus side failed"; exit 1; }
        bare_s="$(time_process "${bare_cmd[@]}")" || { log "$case_name: bare side failed"; exit 1; }
        hortus_total="$(add "$hortus_total" "$hortus_s")"
        bare_total="$(add "$bare_total" "$bare_s")"
        log "$case_name round $round/$rounds: hortus ${hortus_total}s bare ${bare_total}s (cumulative)"
    done
    printf 'case=%s rounds=%s hortus_s=%s bare_s=%s ratio=%s\n' \
        "$case_name" "$rounds" "$hortus_total" "$bare_total" "$(ratio "$hortus_total" "$bare_total")"
}

compare backend-network time_process "$bare" backend-network 1 -- "$bare" network 1
compare backend-services10 time_process "$bare" backend-services 10 -- "$bare" services 10
compare backend-services50 time_process "$bare" backend-services 50 -- "$bare" services 50

if [ "$backend_only" = 1 ]; then
    exit 0
fi
[ -x "$hortus" ] || { log "no hortus binary at $hortus"; exit 1; }
make_package "$work/empty" 0
make_package "$work/pkg10" 10
make_package "$work/pkg50" 50
compare empty time_hortus "$work/empty" -- "$bare" network 1
compare services10 time_hortus "$work/pkg10" -- "$bare" services 10
compare services50 time_hortus "$work/pkg50" -- "$bare" services 50

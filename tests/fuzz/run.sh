#!/usr/bin/env bash
# Run every fuzz target in BUILD_DIR for SECONDS each (or only the targets named after them),
# seeded from tests/fuzz/corpus/<target>/, with a scratch corpus so the tree stays clean.
# Exits non-zero if any target crashes, leaks, gets a sanitizer report, or a memory finding:
# every run has an RSS limit (MSE_FUZZ_RSS_MB, default 256) and so a malloc limit of the same
# size, so an allocation driven by an untrusted length is a finding, not a slow machine. ASan's
# quarantine is kept small (32 MB) so that its own bookkeeping does not eat that budget.
# MSE_FUZZ_JOBS targets run at once (default 1; each is one process, one core).
# MSE_FUZZ_SEED fixes libFuzzer's random seed (default 0: a new one each run, printed in the
# log), so that a finding of a short run can be replayed exactly.
#   tests/fuzz/run.sh build-fuzz 15                 # every target, 15 s each
#   tests/fuzz/run.sh build-fuzz 300 fuzz_ratls_dice  # one target, five minutes
set -euo pipefail
build=${1:?build dir}
seconds=${2:-15}
shift $(($# > 2 ? 2 : $#))
rss_mb=${MSE_FUZZ_RSS_MB:-256}
jobs=${MSE_FUZZ_JOBS:-1}
seed=${MSE_FUZZ_SEED:-0}
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=32}"
src=$(cd "$(dirname "$0")" && pwd)
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT

# fuzz_one BIN: one target's run; its report (and, on failure, the log's tail) on stdout.
# Artifacts of a failure stay in the scratch directory it names.
fuzz_one() {
    local bin=$1 name work seeds
    name=$(basename "$bin")
    work=$(mktemp -d)
    seeds="$src/corpus/${name#fuzz_}"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
    echo "fuzz: $name for ${seconds}s (rss limit ${rss_mb} MB, seed ${seed})"
    if ! "$bin" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -max_len=65536 -seed="$seed" \
        -artifact_prefix="$work/" "$work" >"$work/log" 2>&1; then
        tail -50 "$work/log"
        echo "fuzz: $name FAILED (artifacts in $work)"
        return 1
    fi
    grep -E '^(#[0-9]+.*DONE|Done)' "$work/log" | tail -1 || true
    rm -rf "$work"
}

targets=()
for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    if [ $# -gt 0 ]; then
        case " $* " in *" $(basename "$bin") "*) ;; *) continue ;; esac
    fi
    targets+=("$bin")
done
[ "${#targets[@]}" -gt 0 ] || { echo "fuzz: no targets built"; exit 0; }

# At most $jobs at once; every target runs even after a failure, and every failure is shown.
failed=0
running=0
for i in "${!targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
    fuzz_one "${targets[$i]}" >"$reports/$i" 2>&1 &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
for i in "${!targets[@]}"; do cat "$reports/$i"; done
[ "$failed" = 0 ] || { echo "fuzz: at least one target FAILED (above)"; exit 1; }
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no finding"

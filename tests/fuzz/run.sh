#!/usr/bin/env bash
# Run every fuzz target in BUILD_DIR for SECONDS each (or only the targets named after them),
# seeded from tests/fuzz/corpus/<target>/, with a scratch corpus so the tree stays clean.
# Exits non-zero on the first crash, leak, sanitizer report, or memory finding: every run has
# an RSS limit (MSE_FUZZ_RSS_MB, default 256) and so a malloc limit of the same size, so an
# allocation driven by an untrusted length is a finding, not a slow machine. ASan's quarantine is
# kept small (32 MB) so that its own bookkeeping does not eat that budget.
#   tests/fuzz/run.sh build-fuzz 15                 # CI smoke run, every target
#   tests/fuzz/run.sh build-fuzz 300 fuzz_ratls_dice  # one target, five minutes
set -euo pipefail
build=${1:?build dir}
seconds=${2:-15}
shift $(($# > 2 ? 2 : $#))
rss_mb=${MSE_FUZZ_RSS_MB:-256}
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=32}"
src=$(cd "$(dirname "$0")" && pwd)
found=0
for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    found=1
    work=$(mktemp -d)
    seeds="$src/corpus/${name#fuzz_}"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
    echo "fuzz: $name for ${seconds}s (rss limit ${rss_mb} MB)"
    "$bin" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -max_len=65536 \
        -artifact_prefix="$work/" "$work" >"$work/log" 2>&1 || {
        tail -50 "$work/log"
        echo "fuzz: $name FAILED (artifacts in $work)"
        exit 1
    }
    grep -E '^(#[0-9]+.*DONE|Done)' "$work/log" | tail -1 || true
    rm -rf "$work"
done
[ "$found" = 1 ] || echo "fuzz: no targets built"

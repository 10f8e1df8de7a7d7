#!/usr/bin/env bash
# Run every fuzz target in BUILD_DIR for SECONDS each, seeded from
# tests/fuzz/corpus/<target>/, with a scratch corpus so the tree stays clean.
# Exits non-zero on the first crash, leak or sanitizer report.
set -euo pipefail
build=${1:?build dir}
seconds=${2:-15}
src=$(cd "$(dirname "$0")" && pwd)
found=0
for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    found=1
    name=$(basename "$bin")
    work=$(mktemp -d)
    seeds="$src/corpus/${name#fuzz_}"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
    echo "fuzz: $name for ${seconds}s"
    "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$work/" "$work" >"$work/log" 2>&1 || {
        tail -50 "$work/log"
        echo "fuzz: $name FAILED (artifacts in $work)"
        exit 1
    }
    grep -E '^(#[0-9]+.*DONE|Done)' "$work/log" | tail -1 || true
    rm -rf "$work"
done
[ "$found" = 1 ] || echo "fuzz: no targets built"

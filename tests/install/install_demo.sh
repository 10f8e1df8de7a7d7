#!/usr/bin/env bash
# The installed `mse demo` works from any directory (issue 14, acceptance 2): it finds
# mse-sim and mse-enclave next to itself in a prefix nobody configured.
set -euo pipefail
: "${MSE_BUILD_DIR:?}" "${CMAKE_COMMAND:?}"
trap '' PIPE
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$WORK/demo.log" ] && tail -n 40 "$WORK/demo.log" >&2; exit 1; }
P="$WORK/prefix"
"$CMAKE_COMMAND" --install "$MSE_BUILD_DIR" --prefix "$P" >/dev/null || fail "cmake --install"
(cd / && TMPDIR="$WORK" "$P/bin/mse" demo >"$WORK/demo.log" 2>&1) || fail "installed mse demo exited $?"
grep -q '^mse demo: success' "$WORK/demo.log" || fail "no success line"
echo "ok: installed mse demo from /"

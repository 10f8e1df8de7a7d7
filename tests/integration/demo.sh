#!/usr/bin/env bash
# The README's first command: `mse demo` runs the whole zero-trust flow on the
# simulator (mse-sim PKI and PCCS, mse-enclave with the simulated quote
# provider, mse verify, a pinned HTTPS call) and leaves nothing running.
# Also: the certificate it keeps with --output carries the verification
# record `mse trust add` requires, so it is accepted without --force.
set -euo pipefail
: "${MSE_BUILD_DIR:?set by CTest}"
MSE_BIN="$MSE_BUILD_DIR/mse"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mse-demo-test-XXXXXX")
# mse demo must not touch the user's collateral cache: point it here and check below.
export XDG_CACHE_HOME="$TMP/user-cache"
DEMO_PID=
cleanup() {
    local rc=$?
    [[ -z $DEMO_PID ]] || kill -TERM "$DEMO_PID" 2>/dev/null || true
    [[ -z $DEMO_PID ]] || wait "$DEMO_PID" 2>/dev/null || true
    # A broken demo's leftovers carry its scratch directory in their command lines.
    pkill -KILL -f -- "$TMP/scratch/" 2>/dev/null || true
    if [[ $rc -ne 0 && -f $TMP/out ]]; then
        echo "--- mse demo output" >&2
        cat "$TMP/out" >&2
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

for prog in mse mse-sim mse-enclave; do
    if [[ ! -x $MSE_BUILD_DIR/$prog ]]; then
        # Exit 77: CTest reports the test as skipped (not passed), with this reason.
        echo "SKIP: $prog is not built (needed by mse demo)"
        exit 77
    fi
done
mkdir -p "$TMP/scratch"

# Bounded: the demo's own waits are bounded; this is the outer guard.
rc=0
TMPDIR=$TMP/scratch timeout -k 10 240 "$MSE_BIN" demo --output "$TMP/cert.pem" >"$TMP/out" 2>&1 &
DEMO_PID=$!
wait "$DEMO_PID" || rc=$?
DEMO_PID=
[[ $rc -eq 0 ]] || fail "mse demo exited with $rc"

# What a user must see: each step, the configuration, the verification verdict,
# the refusal of a wrong fingerprint, and the app's answer over the pinned
# connection.
for n in 1 2 3 4 5 6 7 8 9; do
    grep -q "^$n\. " "$TMP/out" || fail "step $n not printed"
done
grep -q 'Configured:' "$TMP/out" || fail "no configuration printed"
grep -q 'Verification: success' "$TMP/out" || fail "no successful verification printed"
grep -q '^6\. .*(mse verify --context --code)' "$TMP/out" || fail "step 6 is not the --context verification"
grep -q 'mse verify computed the fingerprint from the context and the code: [0-9a-f]\{64\}' "$TMP/out" ||
    fail "no computed MRENCLAVE shown"
grep -q '^7\. .*one byte of the plain code changed' "$TMP/out" || fail "step 7 is not the one-byte change"
grep -q 'Refused (exit 16) and nothing saved: mse fails closed' "$TMP/out" ||
    fail "changed code not shown refused as check 3"
grep -q '| warning: code file index.html is not the one the context was made for$' "$TMP/out" ||
    fail "the changed file is not named"
grep -q '^   HTTP 200\. The app answered:' "$TMP/out" || fail "no HTTP 200 from the app"
answer=$(sed -n 's/^   > //p' "$TMP/out")
[[ -n $answer ]] || fail "the app's answer is empty"
grep -qi 'hello' <<<"$answer" || fail "unexpected answer from the hello app: $answer"
grep -q '^mse demo: success\.$' "$TMP/out" || fail "no final success line"

# Nothing left running, scratch directory removed.
for _ in $(seq 1 50); do
    pgrep -f -- "$TMP/scratch/" >/dev/null || break
    sleep 0.1
done
if pgrep -f -- "$TMP/scratch/" >/dev/null; then
    fail "processes left running: $(pgrep -af -- "$TMP/scratch/")"
fi
if compgen -G "$TMP/scratch/*" >/dev/null; then
    fail "scratch left behind: $(ls "$TMP/scratch")"
fi

[[ ! -e $XDG_CACHE_HOME/mse ]] || fail "mse demo wrote to the user's collateral cache"

# The kept certificate and its record: `mse trust add` accepts it without --force.
[[ -s $TMP/cert.pem && -s $TMP/cert.pem.verify.json ]] || fail "--output did not keep cert + record"
"$MSE_BIN" trust add "$TMP/cert.pem" --name mse-demo --nssdb "$TMP/nssdb" >"$TMP/trust.out" 2>&1 ||
    fail "trust add of the demo certificate: $(cat "$TMP/trust.out")"
flags=$(certutil -L -d "sql:$TMP/nssdb" | awk '$1 == "mse-demo" { print $2 }') || fail "certutil -L"
grep -qx 'P,,' <<<"$flags" || fail "demo certificate not trusted as P,, ($flags)"

echo "PASS"

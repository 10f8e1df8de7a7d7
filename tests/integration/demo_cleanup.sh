#!/usr/bin/env bash
# `mse demo` stops everything it started, on every path: here with stand-in
# mse-sim and mse-enclave programs (shell scripts placed next to a copy of
# mse, since mse demo runs the programs beside its own binary) that start
# grandchildren of their own. Checked paths: a failing step (the enclave
# server exits at start), a failing verification (the stand-in enclave's port
# answers nothing), and SIGINT while a step waits. After each: no stand-in
# process is left and the demo's temporary directory is gone.
# (The real flow is tests/integration/demo.sh.)
set -euo pipefail
: "${MSE_BUILD_DIR:?set by CTest}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mse-demo-cleanup-XXXXXX")
DEMO_PID=
cleanup() {
    local rc=$?
    [[ -z $DEMO_PID ]] || kill -KILL "$DEMO_PID" 2>/dev/null || true
    # Anything a broken demo left behind: the stand-ins carry $TMP in their command lines.
    pkill -KILL -f -- "$TMP/bin/" 2>/dev/null || true
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

mkdir -p "$TMP/bin" "$TMP/scratch"
cp "$MSE_BUILD_DIR/mse" "$TMP/bin/mse"

# Stand-in mse-sim: `pki init DIR` makes the files mse demo looks for;
# `pccs serve ... --port-file F` writes a port, starts a grandchild, waits.
cat >"$TMP/bin/mse-sim" <<'EOF'
#!/usr/bin/env bash
if [[ $1 == pki && $2 == init ]]; then
    mkdir -p "$3" && touch "$3/root.pem" "$3/signer.pem"
    exit 0
fi

while [[ $# -gt 0 ]]; do
    [[ $1 == --port-file ]] && { echo 1 >"$2"; shift; }
    shift
done
bash -c "exec -a '$0-grandchild' sleep 300" &
exec -a "$0-pccs" sleep 300
EOF
# Stand-in mse-enclave: behaviour chosen by $STANDIN_ENCLAVE.
cat >"$TMP/bin/mse-enclave" <<'EOF'
#!/usr/bin/env bash
case ${STANDIN_ENCLAVE:-} in
exit) echo "stand-in enclave: refusing to start" >&2; exit 3 ;;
hang) bash -c "exec -a '$0-grandchild' sleep 300" & exec -a "$0-hang" sleep 300 ;;
esac
echo "mse-enclave: simulated enclave MRENCLAVE $(printf '0%.0s' $(seq 1 64))" >&2
while [[ $# -gt 0 ]]; do
    [[ $1 == --port-file ]] && { echo 2 >"$2"; shift; }
    shift
done
bash -c "exec -a '$0-grandchild' sleep 300" &
exec -a "$0-app" sleep 300
EOF
chmod +x "$TMP/bin/mse-sim" "$TMP/bin/mse-enclave"

# nothing_left : no stand-in process and no demo scratch directory remain.
nothing_left() {
    local what=$1
    for _ in $(seq 1 50); do
        pgrep -f -- "$TMP/bin/" >/dev/null || break
        sleep 0.1
    done
    if pgrep -f -- "$TMP/bin/" >/dev/null; then
        fail "$what: processes left: $(pgrep -af -- "$TMP/bin/")"
    fi
    if compgen -G "$TMP/scratch/mse-demo-*" >/dev/null; then
        fail "$what: scratch directory left: $(ls -d "$TMP"/scratch/mse-demo-*)"
    fi
}

# 1. The enclave server exits at start: the demo fails, the PCCS is stopped.
rc=0
STANDIN_ENCLAVE=exit TMPDIR=$TMP/scratch timeout 60 "$TMP/bin/mse" demo >"$TMP/out1" 2>&1 || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "enclave exits: demo exit $rc"
grep -q 'enclave server did not start' "$TMP/out1" || fail "no message: $(cat "$TMP/out1")"
grep -q 'refusing to start' "$TMP/out1" || fail "the server's log is not shown"
nothing_left "enclave exits"

# 2. Verification fails (nothing answers TLS on the stand-in's port, so
#    mse configure refuses): the demo stops before sending the key or calling
#    the app, and stops both servers and their children.
rc=0
TMPDIR=$TMP/scratch timeout 120 "$TMP/bin/mse" demo >"$TMP/out2" 2>&1 || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "verify fails: demo exit $rc"
grep -q 'error: mse configure failed' "$TMP/out2" || fail "no failure message: $(cat "$TMP/out2")"
grep -q 'Configured:' "$TMP/out2" && fail "configuration reported after a failed verification"
grep -q 'Calling the app' "$TMP/out2" && fail "the app was called after a failed verification"
nothing_left "verify fails"

# 3. SIGINT while waiting for the enclave server: exit 130, everything stopped.
STANDIN_ENCLAVE=hang TMPDIR=$TMP/scratch "$TMP/bin/mse" demo >"$TMP/out3" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 100); do
    pgrep -f -- "$TMP/bin/mse-enclave-hang" >/dev/null && break
    sleep 0.1
done
pgrep -f -- "$TMP/bin/mse-enclave-hang" >/dev/null || fail "stand-in enclave never started"
kill -INT "$DEMO_PID"
rc=0
for _ in $(seq 1 100); do
    kill -0 "$DEMO_PID" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$DEMO_PID" 2>/dev/null && fail "demo still running 10 s after SIGINT"
wait "$DEMO_PID" || rc=$?
DEMO_PID=
[[ $rc -eq 130 ]] || fail "SIGINT: demo exit $rc, expected 130; output: $(cat "$TMP/out3")"
grep -q 'interrupted' "$TMP/out3" || fail "no interruption message"
nothing_left "SIGINT"

echo "PASS"

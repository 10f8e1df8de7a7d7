# Helpers for the mse-sim pccs serve tests (sourced, not a test): find the
# binary, a scratch directory removed on exit with every server killed, check
# counters, server start/stop with --port 0 --port-file, curl wrappers, and a
# percent-decoder written independently of the server.
# Needs: PCCS_TEST_NAME set by the sourcing script.

BUILD=${MSE_BUILD_DIR:?MSE_BUILD_DIR not set}
SIM=""
for cand in "$BUILD/mse-sim" "$BUILD/src/mse-sim"; do
    [[ -x $cand ]] && SIM=$cand && break
done
if [[ -z $SIM ]]; then
    # The mse-sim entry point comes from the simulator's branch; until it is in
    # the tree there is nothing to run. Once it is, a missing binary is a failure.
    if [[ -n ${MSE_SRC_DIR:-} && ! -e $MSE_SRC_DIR/src/sim/mse_sim_main.c ]]; then
        echo "SKIP: src/sim/mse_sim_main.c not in this tree, no mse-sim to test"
        exit 77
    fi
    echo "FAIL: mse-sim binary not found under $BUILD"
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/${PCCS_TEST_NAME:-pccs}.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

FAILS=0
CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then ok; else fail "$what"; fi
}
eq() { [[ "$1" == "$2" ]]; }

hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# Percent-decoding written here, independent of the server's code.
urldecode() { local v=$1; printf '%b' "${v//%/\\x}"; }

# ---- server control -----------------------------------------------------------
# start NAME [serve options...]: sets PORT, URL, SPID, LOG
start() {
    local name=$1; shift
    LOG=$WORK/$name.log
    local pf=$WORK/$name.port
    rm -f "$pf"
    "$SIM" pccs serve --port 0 --port-file "$pf" --max-seconds 120 "$@" 2>"$LOG" &
    SPID=$!
    PIDS+=("$SPID")
    local i
    for i in $(seq 100); do
        [[ -s $pf ]] && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    [[ -s $pf ]] || { cat "$LOG"; echo "FAIL: server $name did not start"; exit 1; }
    PORT=$(cat "$pf")
    URL=http://127.0.0.1:$PORT/sgx/certification/v4
}
# stop: SIGTERM, wait (bounded), sets RC
stop() {
    kill -TERM "$SPID" 2>/dev/null || true
    waitexit
}
# waitexit: wait up to 20 s for the server to exit on its own, sets RC, checks it is 0
waitexit() {
    local i
    for i in $(seq 200); do
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SPID" 2>/dev/null; then
        fail "server did not exit"
        kill -KILL "$SPID" 2>/dev/null || true
    fi
    RC=0
    wait "$SPID" || RC=$?
    # Every stop here is graceful: anything but 0 (a sanitizer report, a crash) fails.
    if [[ $RC -ne 0 ]]; then
        fail "server exited $RC; its log:"
        cat "$LOG"
    else
        ok
    fi
}
C=(curl -sS --max-time 10)
# get URL OUTFILE: body to OUTFILE, headers to OUTFILE.h, prints the status code
get() { "${C[@]}" -o "$2" -D "$2.h" -w '%{http_code}' "${@:3}" "$1"; }
# header FILE NAME: value of a response header (case-insensitive name), no CR
header() { grep -i "^$2:" "$1" | head -1 | sed -e 's/^[^:]*: //' -e 's/\r$//'; }


# Helpers for the browser tests (sourced, not run): a scratch directory,
# background servers in their own process groups, headless Chromium runs,
# and cleanup of everything on every exit path.
#
# Chromium's observable: `chromium --headless --dump-dom URL` prints the DOM of
# the loaded page on stdout; when the TLS certificate is refused it prints
# nothing there and logs "Page load failed: net::ERR_CERT_..." on stderr
# (measured with Chromium 156, Debian bookworm). Each run gets a fresh, empty
# --user-data-dir, so no verdict is cached from an earlier run: every run is a
# browser restart.

set -euo pipefail

: "${MSE_BUILD_DIR:?MSE_BUILD_DIR is set by CTest}"
: "${MSE_TEST_DATA:?MSE_TEST_DATA is set by CTest}"
MSE_BIN="$MSE_BUILD_DIR/mse"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
STEP_TIMEOUT=${STEP_TIMEOUT:-60}

# Process-group leaders started by bg_start; killed by cleanup.
BG_PIDS=()
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mse-browser-XXXXXX")
# mse verify's collateral cache stays inside the test: every test PKI shares
# the simulator's FMSPC, so a shared cache would mix collateral of different roots.
export XDG_CACHE_HOME="$TMP/cache"

log() { printf '# %s\n' "$*" >&2; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

cleanup() {
    local rc=$?
    for pid in "${BG_PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    for pid in "${BG_PIDS[@]}"; do
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ $rc -ne 0 && -d $TMP ]]; then
        for f in "$TMP"/*.log "$TMP"/*.err; do
            [[ -f $f ]] || continue
            printf -- '--- %s (last lines)\n' "$f" >&2
            tail -n 20 "$f" >&2 || true
        done
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bg_start NAME CMD... : run CMD in the background in its own process group
# (setsid), output to $TMP/NAME.log; sets BG_PID.
bg_start() {
    local name=$1
    shift
    setsid "$@" >"$TMP/$name.log" 2>&1 </dev/null &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

# bg_stop PID : end one process group started by bg_start, bounded.
bg_stop() {
    local pid=$1
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# wait_for COND_CMD... : retry a command up to 100 times, 0.1 s apart.
wait_for() {
    for _ in $(seq 1 100); do
        if "$@" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# no_process_matches TEXT : no running process has TEXT in its command line
# (a function, so the check does not match a shell of its own).
no_process_matches() {
    ! pgrep -f -- "$1" >/dev/null
}

# chromium_load URL TAG : one headless Chromium run (a fresh browser with a fresh
# profile) with HOME=$BROWSER_HOME, so it reads $BROWSER_HOME/.pki/nssdb.
# Writes $TMP/TAG.dom (the DOM) and $TMP/TAG.err (Chromium's log).
chromium_load() {
    local url=$1 tag=$2
    local udd="$TMP/profile-$tag"
    rm -rf "$udd"
    mkdir -p "$udd"
    # timeout(1) runs Chromium in a process group of its own and signals the whole
    # group when the time is up; -k: SIGKILL 5 s after SIGTERM.
    HOME=$BROWSER_HOME timeout -k 5 "$STEP_TIMEOUT" "$CHROMIUM" \
        --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-breakpad --password-store=basic \
        --user-data-dir="$udd" --dump-dom "$url" >"$TMP/$tag.dom" 2>"$TMP/$tag.err" </dev/null &
    local pid=$!
    BG_PIDS+=("$pid")
    local rc=0
    wait "$pid" || rc=$?
    [[ $rc -ne 124 && $rc -ne 137 ]] || fail "Chromium did not finish within ${STEP_TIMEOUT}s ($tag)"
    # Nothing of this browser may outlive it (helpers exit on their own, bounded wait).
    wait_for no_process_matches "$udd" ||
        fail "Chromium processes for $tag still running: $(pgrep -af -- "$udd" | head -3)"
}

# expect_cert_error TAG ERROR : the page did not load and Chromium names ERROR.
expect_cert_error() {
    local tag=$1 want=$2
    if grep -q "$PAGE_MARKER" "$TMP/$tag.dom"; then
        fail "$tag: the page loaded, a certificate error was expected"
    fi
    grep -q "Page load failed: net::$want" "$TMP/$tag.err" ||
        fail "$tag: expected net::$want; Chromium said: $(grep -o 'net::ERR_[A-Z_]*' "$TMP/$tag.err" | sort -u | tr '\n' ' ')"
    log "$tag: certificate refused by Chromium (net::$want), as expected"
}

# expect_page TAG : the page loaded, with its title and text.
expect_page() {
    local tag=$1
    grep -q "<title>$PAGE_TITLE</title>" "$TMP/$tag.dom" ||
        fail "$tag: page title missing; DOM: $(head -c 300 "$TMP/$tag.dom"); errors: $(grep -o 'net::ERR_[A-Z_]*' "$TMP/$tag.err" | sort -u | tr '\n' ' ')"
    grep -q "$PAGE_MARKER" "$TMP/$tag.dom" || fail "$tag: page text missing"
    log "$tag: page loaded in Chromium with the expected title and text"
}

# certutil_flags DB NAME : the trust flags certutil lists for NAME ("" if absent).
certutil_flags() {
    certutil -L -d "sql:$1" | awk -v n="$2" '$1 == n { print $2 }'
}

# Shared by the integration test helpers (sourced after WORK is set; not a test itself):
# child servers killed on exit, sanitizer reports in their logs fail the test, failures show
# the logs, and free loopback ports.
: "${WORK:?WORK must be set before sourcing libcommon.sh}"
PIDS=()

cleanup() {
    local pid status=$?
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    # Sanitizer builds: a report in any server log fails the test.
    if grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$WORK"/*.log \
        >/dev/null 2>&1; then
        grep -h -A20 "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$WORK"/*.log >&2
        status=1
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.log; do
        [ -f "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }
    done
    exit 1
}

ok() { echo "ok: $*"; }

# A free loopback TCP port below the kernel's ephemeral range (32768+), so that client
# sockets and port-0 servers of tests running in parallel cannot take it meanwhile.
# wait_listening PORT WHAT: until something accepts on 127.0.0.1:PORT (bounded: 30 s). The
# probe is a connection without data: the server sees it as its first.
wait_listening() {
    for _ in $(seq 1 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    fail "$2 never listened on port $1"
}

free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$(( 20000 + RANDOM % 12000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}


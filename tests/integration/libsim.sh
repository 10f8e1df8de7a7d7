# Helpers for tests that run the simulator (sourced; not a test itself).
# Servers listen on 127.0.0.1 with ephemeral ports, each bounded in time
# (--max-seconds / timeout) and killed on exit.
set -euo pipefail

: "${MSE_BUILD_DIR:?MSE_BUILD_DIR must be set (CTest sets it)}"
MSE="$MSE_BUILD_DIR/mse"
SIM="$MSE_BUILD_DIR/mse-sim"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mse-sim-test.XXXXXX")"
export XDG_CACHE_HOME="$WORK/cache" MSE_CONF_PATH="$WORK/conf" HOME="$WORK/home"
unset MSE_PCCS_URL
export MSE_QCNL_CONF="$WORK/no-qcnl.conf"
source "$(dirname "${BASH_SOURCE[0]}")/libcommon.sh"

# start_pccs NAME [faults...]: sets PCCS_PORT (the server's), log in $WORK/NAME.log
start_pccs() {
    local name="$1"
    shift
    rm -f "$WORK/$name.port"
    "$SIM" pccs serve --dir "$WORK/pki" --port 0 --port-file "$WORK/$name.port" --max-seconds 120 \
        "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 300); do
        [ -s "$WORK/$name.port" ] && break
        sleep 0.05
    done
    [ -s "$WORK/$name.port" ] || fail "pccs $name did not start"
    PCCS_PORT=$(cat "$WORK/$name.port")
}

# pccs_requests PORT: the server's request counter
pccs_requests() {
    curl -s --max-time 5 "http://127.0.0.1:$1/mse-sim/stats" | sed 's/.*"requests":\([0-9]*\).*/\1/'
}

# start_tls NAME CERT KEY: openssl s_server -www on a free port; sets TLS_PORT
start_tls() {
    local name="$1" cert="$2" key="$3" port
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        timeout 120 openssl s_server -accept "127.0.0.1:$port" -cert "$cert" -key "$key" -www \
            >"$WORK/$name.log" 2>&1 </dev/null &
        local pid=$!
        PIDS+=($pid)
        for _ in $(seq 1 100); do
            grep -q ACCEPT "$WORK/$name.log" 2>/dev/null && { TLS_PORT=$port; return 0; }
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
    done
    fail "TLS server $name did not start"
}

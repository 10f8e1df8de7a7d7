#!/usr/bin/env bash
# Requests per second of mse-enclave beside nginx (Debian nginx-light) on
# loopback, with the same certificate and key (P-256 ECDSA), the same protocol
# versions (TLS 1.2-1.3; wrk negotiates 1.3), keep-alive, the same response body,
# one worker each, each server with its own default choice of suite: nginx takes
# the client's first, which for wrk (an OpenSSL client) is AES-256-GCM-SHA384;
# mse-enclave its own order, AES-128-GCM-SHA256 first (docs/cmd/mse-enclave.md,
# TLS), whose key schedule costs both sides less. NGINX_SAME_SUITES=1 gives nginx
# mse-enclave's order, to compare the servers with the same suite. The suite each
# server gives an OpenSSL client is printed in the header.
#   hello    mse-enclave's built-in hello app   vs  nginx `return 200` of the same body
#   proxied  mse-enclave proxying to an app     vs  nginx proxying to the same app
#            (the app: mse-enclave's hello over plain HTTP on loopback)
#   hello, new handshake per request (Connection: close): the same, every
#            request on a new connection with its TLS handshake (wrk resumes its
#            TLS 1.3 session with the last ticket: a resumption with a new X25519
#            exchange, no certificate)
# at 1, 16, 64 and 256 concurrent connections, and the ratio mse/nginx
# (issue 13 targets at least 1.0); beside it each front server's CPU time per
# request, read from /proc (steadier than requests/s when the machine is shared).
# Pinning: every server process (mse-enclave, nginx and the upstream app) runs
# on CPU SERVER_CPU (default 0) and wrk on CPU CLIENT_CPU (default 1), with
# taskset, the same for both servers, so that the load generator never takes
# the servers' core and the ratio compares one core against one core.
# SERVER_CPU_QUOTA=P (root, cgroup cpu controller v1 or v2): each front server process
# (mse-enclave's two, nginx's worker) runs in a cgroup of its own limited to P% of a core
# (CFS quota per 10-ms period); the upstream app is not limited. wrk then has more CPU
# than the server it loads, so requests/s is the server's throughput on its share of a
# core, where without it wrk's own core bounds the keep-alive cells (the wrk% column).
# Usage: bench/server_bench.sh [BUILD_DIR] [SECONDS] ["CONNECTION COUNTS"]
# A benchmark, never a test: it prints numbers and exits 0 unless a tool is missing.
set -euo pipefail

BUILD="${1:-${MSE_BUILD_DIR:-build}}"
SECS="${2:-2}"
CONNS_LIST="${3:-1 16 64 256}"
ENCLAVE="$BUILD/mse-enclave"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
ON_SERVER=(taskset -c "$SERVER_CPU")
ON_CLIENT=(taskset -c "$CLIENT_CPU")
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
for t in "$ENCLAVE" "$NGINX" "$(command -v wrk || true)"; do
    [ -n "$t" ] && [ -x "$t" ] || { echo "server_bench: missing $t (build mse; apt install nginx-light wrk)" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mse-server-bench.XXXXXX")"
PIDS=()
CGROUPS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    for g in "${CGROUPS[@]}"; do rmdir "$g" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

QUOTA="${SERVER_CPU_QUOTA:-}"
if [ -n "$QUOTA" ]; then
    [[ "$QUOTA" =~ ^[0-9]+$ ]] && [ "$QUOTA" -ge 5 ] && [ "$QUOTA" -le 100 ] ||
        { echo "server_bench: SERVER_CPU_QUOTA is a percentage of a core, 5-100" >&2; exit 2; }
fi
# cap NAME PID...: PIDs into a new cgroup limited to QUOTA% of a core.
cap() {
    local name="$1" dir
    shift
    if [ -w /sys/fs/cgroup/cpu ] && [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
        dir="/sys/fs/cgroup/cpu/mse-server-bench-$$-$name"
        mkdir "$dir" && CGROUPS+=("$dir")
        echo 10000 >"$dir/cpu.cfs_period_us"
        echo $((QUOTA * 100)) >"$dir/cpu.cfs_quota_us"
    elif grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
        dir="/sys/fs/cgroup/mse-server-bench-$$-$name"
        mkdir "$dir" && CGROUPS+=("$dir")
        echo "$((QUOTA * 100)) 10000" >"$dir/cpu.max"
    else
        echo "server_bench: SERVER_CPU_QUOTA needs root and the cgroup cpu controller" >&2
        exit 2
    fi
    for p in "$@"; do echo "$p" >"$dir/cgroup.procs"; done
}

free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$(( 20000 + RANDOM % 12000 ))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}
wait_port() {
    for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
    echo "server_bench: nothing listens on $1" >&2
    exit 1
}

# One certificate and key for both servers (the operator-certificate mode of mse-enclave).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
    -out "$WORK/cert.pem" -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" -days 2 \
    >/dev/null 2>&1
mkdir -p "$WORK/att" "$WORK/app" "$WORK/nginx/logs"
printf dcap >"$WORK/att/attestation_type"
: >"$WORK/att/user_report_data"
head -c 1200 /dev/urandom >"$WORK/att/quote"
COMMON=(--mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --max-seconds 600)

# The upstream app for the proxied runs.
APP=$(free_port)
"${ON_SERVER[@]}" "$ENCLAVE" "${COMMON[@]}" --hello --host 127.0.0.1 --port "$APP" 2>/dev/null &
PIDS+=("$!")
MSE_HELLO=$(free_port)
"${ON_SERVER[@]}" "$ENCLAVE" "${COMMON[@]}" --hello --ssl-cert "$WORK/cert.pem" --ssl-key "$WORK/key.pem" \
    --host 127.0.0.1 --port "$MSE_HELLO" 2>/dev/null &
PIDS+=("$!")
MSE_HELLO_PID=$!
MSE_PROXY=$(free_port)
"${ON_SERVER[@]}" "$ENCLAVE" "${COMMON[@]}" --ssl-cert "$WORK/cert.pem" --ssl-key "$WORK/key.pem" \
    --app-dir "$WORK/app" --app-cmd "exec sleep 600" --app-port "$APP" \
    --host 127.0.0.1 --port "$MSE_PROXY" 2>/dev/null &
PIDS+=("$!")
MSE_PROXY_PID=$!

NG_HELLO=$(free_port)
NG_PROXY=$(free_port)
# mse-enclave's order is SRV_TLS12_CIPHERS and SRV_TLS13_SUITES in src/srv/srv.c (here the
# ECDSA half of the TLS 1.2 list: the certificate is P-256); the header's suite line shows a
# drift between the two.
NGINX_SUITES=""
[ "${NGINX_SAME_SUITES:-0}" = 1 ] && NGINX_SUITES="    ssl_prefer_server_ciphers on;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384;
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384;
    ssl_conf_command Options PrioritizeChaCha;"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
user $(id -un);
error_log $WORK/nginx/logs/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    keepalive_requests 100000;
$NGINX_SUITES
    upstream app { server 127.0.0.1:$APP; keepalive 64; }
    server {
        listen 127.0.0.1:$NG_HELLO ssl;
        location / { default_type "text/plain; charset=utf-8"; return 200 "Hello from the enclave!\n"; }
    }
    server {
        listen 127.0.0.1:$NG_PROXY ssl;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
"${ON_SERVER[@]}" "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx/stderr" &
PIDS+=("$!")
NGINX_PID=$!
for p in "$APP" "$MSE_HELLO" "$MSE_PROXY" "$NG_HELLO" "$NG_PROXY"; do wait_port "$p"; done
NG_WORKER_PID=$(pgrep -P "$NGINX_PID" | head -1)
[ -n "$NG_WORKER_PID" ] || { echo "server_bench: no nginx worker" >&2; exit 1; }
if [ -n "$QUOTA" ]; then
    cap mse-hello "$MSE_HELLO_PID"
    cap mse-proxy "$MSE_PROXY_PID"
    cap nginx "$NG_WORKER_PID"
fi

# Same answer from both (a benchmark of different responses would be meaningless).
a=$(curl -s --cacert "$WORK/cert.pem" --resolve "localhost:$MSE_PROXY:127.0.0.1" "https://localhost:$MSE_PROXY/")
b=$(curl -s --cacert "$WORK/cert.pem" --resolve "localhost:$NG_HELLO:127.0.0.1" "https://localhost:$NG_HELLO/")
[ "$a" = "$b" ] || { echo "server_bench: responses differ: '$a' vs '$b'" >&2; exit 1; }

suite_of() { # PORT: the suite an OpenSSL client (s_client's defaults, like wrk's) is given
    { echo | openssl s_client -connect "127.0.0.1:$1" 2>/dev/null || true; } |
        sed -n 's/^New, \([^,]*\), Cipher is \(.*\)$/\1 \2/p'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_line() { grep "^cpu$CLIENT_CPU " /proc/stat; }
# run PORT PID CONNECTIONS [wrk options...]: prints "requests/s CPU-µs-per-request wrk%",
# the second being the front server's own CPU time (process PID) divided by the requests
# served: steadier than requests/s on a shared machine, where the server's core is not all
# its own; the third how busy wrk's core was (near 100: the client, not the server, bounds
# requests/s).
run() {
    local port="$1" pid="$2" conns="$3" t0 t1 c0 c1 out
    shift 3
    t0=$(cpu_ticks "$pid")
    c0=$(cpu_line)
    out=$("${ON_CLIENT[@]}" wrk -t1 -c"$conns" -d"${SECS}s" "$@" "https://127.0.0.1:$port/" 2>/dev/null)
    c1=$(cpu_line)
    t1=$(cpu_ticks "$pid")
    echo "$out" | awk -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" -v c0="$c0" -v c1="$c1" '
        function busy(a, b,   x, y, i, t, idle) {
            split(a, x, " "); split(b, y, " ");
            for (i = 2; i <= 9; i++) t += y[i] - x[i];
            idle = (y[5] - x[5]) + (y[6] - x[6]);
            return t > 0 ? 100 * (t - idle) / t : 0 }
        /requests in/ { n = $1 }
        /Requests\/sec/ { r = $2 }
        END { printf "%s %.1f %.0f\n", r + 0, (n > 0 ? (t1 - t0) * 1e6 / hz / n : 0), busy(c0, c1) }'
}
# The machine may be shared, and its speed then changes from one second to the next:
# each case runs ROUNDS rounds of both servers, alternating which goes first (mse then
# nginx, nginx then mse, ...), and keeps each server's best run (highest requests/s,
# lowest CPU per request). Beside the ratio of the best runs, "median" is the median over
# the rounds of the ratio within a round, whose two runs are seconds apart.
ROUNDS="${ROUNDS:-4}"
best() { # best "R C W" "R C W": highest R, lowest nonzero C, lowest nonzero W
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
        r = (x[1] + 0 > y[1] + 0) ? x[1] : y[1];
        c = (x[2] + 0 == 0 || (y[2] + 0 > 0 && y[2] + 0 < x[2] + 0)) ? y[2] : x[2];
        w = (x[3] + 0 == 0 || (y[3] + 0 > 0 && y[3] + 0 < x[3] + 0)) ? y[3] : x[3];
        print r + 0, c + 0, w + 0 }'
}
echo "loopback, 1 wrk thread on CPU $CLIENT_CPU, servers on CPU $SERVER_CPU, ${SECS}s per run, $ROUNDS rounds of both (the order alternates)"
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*\///'): worker_processes 1, access_log off, same P-256 certificate and key, TLS 1.2-1.3, keepalive_requests 100000"
echo "suite for an OpenSSL client: mse-enclave $(suite_of "$MSE_HELLO"), nginx $(suite_of "$NG_HELLO")"
[ -z "$QUOTA" ] || echo "each front server limited to $QUOTA% of a core (cgroup CPU quota), the app and wrk not"
echo "req/s: best requests per second (ratio mse/nginx, >= 1 is the target; median: of the ratios within a round); us/req: the front server's CPU time per request (ratio nginx/mse, >= 1 is as efficient); wrk%: how busy wrk's core was, the least of all the cell's runs (near 100: wrk, not the server, sets requests/s; in the handshake cells wrk polls a connection in its handshake without sleeping, so there it is near 100 whatever bounds requests/s)"
printf '%-16s %5s %10s %10s %6s %7s %8s %8s %6s %5s\n' case conns "mse req/s" "nginx" ratio median "mse us" "nginx" ratio "wrk%"
for case in hello proxied hello-handshake; do
    extra=()
    case "$case" in
    hello) mp=$MSE_HELLO mpid=$MSE_HELLO_PID np=$NG_HELLO ;;
    proxied) mp=$MSE_PROXY mpid=$MSE_PROXY_PID np=$NG_PROXY ;;
    hello-handshake) mp=$MSE_HELLO mpid=$MSE_HELLO_PID np=$NG_HELLO extra=(-H "Connection: close") ;;
    esac
    for conns in $CONNS_LIST; do
        m="0 0 0" n="0 0 0" ratios=""
        for round in $(seq 1 "$ROUNDS"); do
            if [ $((round % 2)) -eq 1 ]; then
                mr=$(run "$mp" "$mpid" "$conns" "${extra[@]}")
                nr=$(run "$np" "$NG_WORKER_PID" "$conns" "${extra[@]}")
            else
                nr=$(run "$np" "$NG_WORKER_PID" "$conns" "${extra[@]}")
                mr=$(run "$mp" "$mpid" "$conns" "${extra[@]}")
            fi
            m=$(best "$m" "$mr")
            n=$(best "$n" "$nr")
            ratios="$ratios $(awk -v a="${mr%% *}" -v b="${nr%% *}" 'BEGIN { print (b > 0) ? a / b : 0 }')"
        done
        med=$(printf '%s\n' $ratios | sort -g | awk '{ v[NR] = $1 } END {
            printf "%.2fx", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
        echo "$case $conns $m $n $med" | awk '{
            rr = ($6 > 0) ? sprintf("%.2fx", $3 / $6) : "n/a";
            cr = ($4 > 0) ? sprintf("%.2fx", $7 / $4) : "n/a";
            w = ($5 < $8 || $8 == 0) ? $5 : $8;
            printf "%-16s %5s %10.0f %10.0f %6s %7s %8.1f %8.1f %6s %5.0f\n", $1, $2, $3, $6, rr, $9, $4, $7, cr, w }'
    done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (numbers are only comparable on an idle machine)"

#!/usr/bin/env bash
# Slowloris against mse-enclave, bounded in count and time: many connections
# that trickle an unfinished request (plain HTTP) or never finish the TLS
# handshake. The server must keep answering a normal request, its memory
# (VmRSS) must stay bounded, and the idle connections must be dropped after
# the client timeout (their file descriptors released).
source "$(dirname "$0")/libenclave.sh"
# Writes to connections the server has rightly dropped must fail with EPIPE, not
# kill this shell with SIGPIPE (a `|| true` cannot catch a signal).
trap '' PIPE

N=150 # per server; bash keeps each as an open file descriptor
ulimit -n 4096 2>/dev/null || true
fake_attestation "$WORK/att"
operator_cert "$WORK"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
nfds() { ls "/proc/$1/fd" | wc -l; }

run_case() { # run_case NAME URL_SCHEME SERVER-ARGS...
    local name="$1" scheme="$2"
    shift 2
    start_enclave "$name" --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
        --hello "$@"
    local pid=$SERVER_PID port=$PORT url="$scheme://127.0.0.1:$PORT/"
    local curl_opts=(-s -o /dev/null -w '%{http_code}' --max-time 5)
    [ "$scheme" = https ] && curl_opts+=(--cacert "$WORK/cert.pem" --resolve "localhost:$port:127.0.0.1") &&
        url="https://localhost:$port/"
    [ "$(curl "${curl_opts[@]}" "$url")" = 200 ] || fail "$name: not serving"
    local rss0 fds0 prev=-1
    rss0=$(rss_kb "$pid")
    # Baseline once the probe's connection is gone: the count must hold still.
    for _ in $(seq 1 40); do
        fds0=$(nfds "$pid")
        [ "$fds0" = "$prev" ] && break
        prev=$fds0
        sleep 0.05
    done
    local fds=() i fd
    for i in $(seq 1 "$N"); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port" || fail "$name: connect $i"
        fds+=("$fd")
        # Plain HTTP: an unfinished request line and header. TLS: nothing (handshake pending).
        [ "$scheme" = http ] && printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&"$fd"
    done
    # All accepted and held (counted before the timeout can drop any).
    local fds1=0
    for _ in $(seq 1 40); do
        fds1=$(nfds "$pid")
        [ "$fds1" -ge $((fds0 + N)) ] && break
        sleep 0.05
    done
    [ "$fds1" -ge $((fds0 + N)) ] || fail "$name: slow connections not held ($fds0 -> $fds1 fds)"
    # Trickle a byte on each, three rounds: each byte resets a naive idle timer.
    for round in 1 2 3; do
        for fd in "${fds[@]}"; do
            [ "$scheme" = http ] && { printf 'a' >&"$fd" 2>/dev/null || true; }
        done
        code=$(curl "${curl_opts[@]}" "$url")
        [ "$code" = 200 ] || fail "$name: normal request during slowloris round $round: $code"
        sleep 0.3
    done
    local rss1
    rss1=$(rss_kb "$pid")
    # Bounded memory: far less than a megabyte per connection (here: < 40 kB each on average).
    [ $((rss1 - rss0)) -lt $((N * 40)) ] || fail "$name: RSS grew from ${rss0} kB to ${rss1} kB"
    ok "$name: $N slow connections, server answered, RSS ${rss0} -> ${rss1} kB"
    # Still trickling, the connections are dropped once the first-request
    # deadline (2 s) or the idle timeout (2 s) passes.
    local fds2=$fds1
    for _ in $(seq 1 80); do
        fds2=$(nfds "$pid")
        [ "$fds2" -le $((fds0 + 2)) ] && break
        for fd in "${fds[@]}"; do
            [ "$scheme" = http ] && { printf 'a' >&"$fd" 2>/dev/null || true; }
        done
        sleep 0.1
    done
    [ "$fds2" -le $((fds0 + 2)) ] || fail "$name: slow connections not dropped ($fds0 -> $fds2 fds)"
    ok "$name: slow connections dropped ($fds1 -> $fds2 fds)"
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    [ "$(curl "${curl_opts[@]}" "$url")" = 200 ] || fail "$name: not serving after slowloris"
    kill -0 "$pid" || fail "$name: server died"
}

# Plain: the idle timeout is long, only the first-request deadline can stop a trickle.
run_case plain http --timeout 30 --request-deadline 2
grep -q "connection(s) without a complete request after 2 s: dropped" "$WORK/plain.log" ||
    fail "plain: drops not logged as request-deadline drops"
# Mass drops are one line per second, not one per connection.
n=$(grep -c "without a complete request" "$WORK/plain.log" || true)
[ "$n" -lt 20 ] || fail "plain: $n log lines for $N deadline drops"
# TLS: handshakes never started; the idle timeout drops them.
run_case tls https --timeout 2 --ssl-cert "$WORK/cert.pem" --ssl-key "$WORK/key.pem"

# File descriptor exhaustion: with a hard limit of 48 descriptors, 80
# connections make accept(2) fail. The server must pause accepting instead of
# spinning and flooding its log, and accept again once descriptors free up.
# (By default the connection cap is derived from that limit and accept never
# fails: --max-connections above it makes the server meet the limit itself.)
rm -f "$WORK/fds.port"
(ulimit -n 48 && exec "$ENCLAVE" --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
    --hello --host 127.0.0.1 --port 0 --port-file "$WORK/fds.port" --max-seconds 60 --timeout 30 \
    --max-connections 1000 >"$WORK/fds.log" 2>&1) &
FDS_PID=$!
PIDS+=("$FDS_PID")
for _ in $(seq 1 300); do [ -s "$WORK/fds.port" ] && break; sleep 0.05; done
[ -s "$WORK/fds.port" ] || fail "fds: server did not start"
FP=$(cat "$WORK/fds.port")
held=()
for i in $(seq 1 80); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$FP" || fail "fds: connect $i"
    held+=("$fd")
done
ticks() { awk '{print $14 + $15}' "/proc/$FDS_PID/stat"; }
t0=$(ticks)
sleep 1
t1=$(ticks)
# A busy accept loop burns the whole second (100 ticks); a paused one almost nothing.
[ $((t1 - t0)) -lt 30 ] || fail "fds: server spun on accept errors ($((t1 - t0)) ticks in 1 s)"
n=$(grep -c "accept failed" "$WORK/fds.log" || true)
[ "$n" -ge 1 ] && [ "$n" -lt 10 ] || fail "fds: $n accept-failure log lines"
for fd in "${held[@]}"; do exec {fd}>&-; done
code=000
for _ in $(seq 1 50); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$FP/" || true)
    [ "$code" = 200 ] && break
    sleep 0.1
done
[ "$code" = 200 ] || fail "fds: not accepting again after descriptors were freed ($code)"
ok "descriptor exhaustion: accept paused ($((t1 - t0)) CPU ticks in 1 s, $n log line(s)), then served"

# The default cap within that descriptor limit: 16 connections (48 minus a reserve of 32).
rm -f "$WORK/cap.port"
(ulimit -n 48 && exec "$ENCLAVE" --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
    --hello --host 127.0.0.1 --port 0 --port-file "$WORK/cap.port" --max-seconds 60 \
    >"$WORK/cap.log" 2>&1) &
CAP_PID=$!
PIDS+=("$CAP_PID")
for _ in $(seq 1 300); do [ -s "$WORK/cap.port" ] && break; sleep 0.05; done
[ -s "$WORK/cap.port" ] || fail "cap: server did not start"
grep -q "at most 16 connections at once" "$WORK/cap.log" || fail "cap: default not derived from the descriptor limit"
ok "default connection cap derived from the descriptor limit"

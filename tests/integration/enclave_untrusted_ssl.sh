#!/usr/bin/env bash
# mse-enclave, untrusted SSL: (1) the operator's certificate, no configuration
# phase, built-in hello; (2) plain HTTP behind the operator's proxy after a
# configuration on the RA-TLS certificate, proxying to an app; 502 with no
# upstream and 504 with one that never answers. ratls.pem in every case.
source "$(dirname "$0")/libenclave.sh"
# Sanitizer builds: keep freed memory from piling up in ASan's quarantine, so
# the RSS bound below measures the server, not the sanitizer.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1:thread_local_quarantine_size_kb=64"

fake_attestation "$WORK/att"
OP="$WORK/op"
operator_cert "$OP"

# (1) operator certificate + hello
start_enclave op --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --hello \
    --ssl-cert "$OP/cert.pem" --ssl-key "$OP/key.pem"
body=$(curl -s --cacert "$OP/cert.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/")
[ "$body" = "Hello from the enclave!" ] || fail "operator-cert hello: $body"
curl -s --cacert "$OP/cert.pem" --resolve "localhost:$PORT:127.0.0.1" \
    "https://localhost:$PORT/.well-known/mse/ratls.pem" >"$WORK/ratls1.pem"
has_quote_ext "$WORK/ratls1.pem" || fail "ratls.pem in untrusted-ssl mode carries no quote"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$OP/cert.pem" --resolve "localhost:$PORT:127.0.0.1" \
    -X POST -H 'Content-Type: application/json' -d '{}' "https://localhost:$PORT/.well-known/mse/configure")
[ "$code" = 409 ] || fail "configuration without a configuration phase: $code"
ok "untrusted-ssl with the operator's certificate, hello app, ratls.pem"

# TLS 1.3 session tickets: one per connection (src/srv/srv.c, new_ctx), sent as soon as the
# client's Finished is in; it reaches a client that sends a request and one that sends
# nothing.
tls13() { openssl s_client -tls1_3 -connect "127.0.0.1:$PORT" -servername localhost "$@"; }
printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
    tls13 -msg -ign_eof -sess_out "$WORK/sess1.pem" >"$WORK/resp1" 2>/dev/null || true
grep -q '^Hello from the enclave!$' "$WORK/resp1" || fail "TLS 1.3 request: $(cat "$WORK/resp1")"
[ -s "$WORK/sess1.pem" ] || fail "no session ticket came with the response"
tickets=$(grep -c '^<<< .*NewSessionTicket' "$WORK/resp1" || true)
[ "$tickets" = 1 ] || fail "$tickets session tickets on a new connection, expected one"
sleep 1 | tls13 -sess_out "$WORK/sess2.pem" >/dev/null 2>&1 || true
[ -s "$WORK/sess2.pem" ] || fail "a client that sent nothing got no session ticket in 1 s"
ok "TLS 1.3 session tickets: one per connection, with the response, and without a request"
# Each ticket resumes: 20 rounds of a request on a new session, then one on a connection
# that offers its ticket (Python's ssl: the session object, not a file between processes).
if command -v python3 >/dev/null; then
    python3 - "$PORT" <<'EOF' || fail "TLS 1.3 session resumption"
import sys
from fetch import fetch
port = int(sys.argv[1])
req = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
def exchange(session):
    r = fetch(port, req, session=session)
    return r.session, r.reused, b"Hello from the enclave!" in r.data
for i in range(20):
    sess, _, ok = exchange(None)
    if not ok or sess is None or not sess.has_ticket:
        sys.exit(f"round {i}: no answer or no ticket on a new session")
    _, reused, ok = exchange(sess)
    if not ok or not reused:
        sys.exit(f"round {i}: the ticket did not resume (answered: {ok})")
EOF
    ok "TLS 1.3 tickets resume (20 rounds)"
fi
# Sessions live in the server's bounded cache (src/srv/srv.c, new_ctx): the ticket is a
# 32-byte reference into it, not the session encrypted under a ticket key (OpenSSL's own
# run to about 200 bytes), and lives 300 s.
sess_text=$(openssl sess_id -in "$WORK/sess1.pem" -text -noout)
ticket_bytes=$(printf '%s\n' "$sess_text" |
    awk '/TLS session ticket:/ {on = 1; next} on && !NF {on = 0} on {
        sub(/^ *[0-9a-f]+ - /, ""); sub(/   .*/, ""); gsub(/-/, " "); n += split($0, b, " ") }
        END { print n + 0 }')
[ "$ticket_bytes" -gt 0 ] && [ "$ticket_bytes" -le 32 ] ||
    fail "the TLS 1.3 ticket is $ticket_bytes bytes: not a reference into the server's cache"
grep -q 'lifetime hint: 300 (seconds)' <<<"$sess_text" ||
    fail "ticket lifetime: $(grep -i lifetime <<<"$sess_text")"
ok "TLS 1.3 ticket: a $ticket_bytes-byte reference to the server's session, 300 s lifetime"
# A client that drops its connection without close_notify (as browsers leave idle ones)
# keeps its session: OpenSSL would take an unexpected end of the stream for a fatal error
# and drop the session from the cache (SSL_OP_IGNORE_UNEXPECTED_EOF). TLS 1.2 resumes by
# session ID from the same cache.
if command -v python3 >/dev/null; then
    python3 - "$PORT" <<'EOF' || fail "session resumption after an abrupt close"
import socket, ssl, sys, time
from fetch import client_context
port = int(sys.argv[1])
def connect(ctx, session):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                        server_hostname="localhost", session=session)
    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while b"Hello from the enclave!" not in data:
        d = s.recv(4096)
        if not d:
            sys.exit("no answer")
        data += d
    return s
for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
    ctx = client_context(version)
    s = connect(ctx, None)
    session = s.session
    s.close()  # no close_notify: Python's close() does not send it
    time.sleep(0.2)  # the server has seen the end of the stream
    s = connect(ctx, session)
    if not s.session_reused:
        sys.exit(f"{version.name}: the session did not resume after an abrupt close")
    s.close()
EOF
    ok "a session resumes after the client dropped the connection without close_notify (TLS 1.2, 1.3)"
fi

# Suites: TLS 1.2 only with forward-secret AEAD (a CBC suite is refused); the server's
# order, AES-128-GCM first, except for a client that puts ChaCha20 first; a client that
# offers only AES-256-GCM gets it.
cipher_of() {
    { echo | openssl s_client -connect "127.0.0.1:$PORT" -servername localhost "$@" 2>/dev/null || true; } |
        sed -n 's/^New, \([^,]*\), Cipher is \(.*\)$/\1 \2/p'
}
expect_cipher() { # EXPECTED WHY s_client-options...
    local want="$1" why="$2" got
    shift 2
    got=$(cipher_of "$@")
    [ "$got" = "$want" ] || fail "$why: '$got', expected '$want'"
}
expect_cipher "(NONE) (NONE)" "TLS 1.2 CBC suite not refused" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
expect_cipher "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256" "TLS 1.2, AES-256 asked for first" \
    -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256
expect_cipher "TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305" "TLS 1.2, ChaCha20 asked for first" \
    -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256
expect_cipher "TLSv1.3 TLS_AES_128_GCM_SHA256" "TLS 1.3, AES-256 asked for first" \
    -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256
expect_cipher "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256" "TLS 1.3, ChaCha20 asked for first" \
    -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256
expect_cipher "TLSv1.3 TLS_AES_256_GCM_SHA384" "TLS 1.3, only AES-256 offered" \
    -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384
ok "TLS suites: AEAD only in TLS 1.2; AES-128-GCM first unless the client puts ChaCha20 first"

# An RSA certificate (owners and operators often have one) is served with the RSA suites.
operator_cert "$OP/rsa" rsa
EC_PORT=$PORT
start_enclave rsa --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --hello \
    --ssl-cert "$OP/rsa/cert.pem" --ssl-key "$OP/rsa/key.pem"
expect_cipher "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" "RSA certificate, TLS 1.2" -tls1_2
expect_cipher "TLSv1.3 TLS_AES_128_GCM_SHA256" "RSA certificate, TLS 1.3" -tls1_3
body=$(curl -s --cacert "$OP/rsa/cert.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/")
[ "$body" = "Hello from the enclave!" ] || fail "RSA certificate: $body"
PORT=$EC_PORT
ok "an RSA certificate is served (TLS 1.2 ECDHE-RSA with AES-GCM, TLS 1.3)"

# TLS 1.2 renegotiation (a client's new ClientHello on the connection) is refused
# (SSL_OP_NO_RENEGOTIATION): the client gets the no_renegotiation alert, and no answer to
# a request sent after it; the server goes on serving.
(printf 'R\n'; sleep 1; printf 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'; sleep 1) |
    openssl s_client -tls1_2 -connect "127.0.0.1:$PORT" -servername localhost >"$WORK/reneg" 2>&1 || true
grep -q '^RENEGOTIATING' "$WORK/reneg" || fail "the client did not try to renegotiate: $(cat "$WORK/reneg")"
grep -q 'no renegotiation' "$WORK/reneg" || fail "renegotiation not refused: $(tail -5 "$WORK/reneg")"
grep -q 'Hello from the enclave!' "$WORK/reneg" && fail "a request after a refused renegotiation was answered"
body=$(curl -s --cacert "$OP/cert.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/")
[ "$body" = "Hello from the enclave!" ] || fail "after a refused renegotiation: $body"
ok "TLS 1.2 renegotiation refused with no_renegotiation; the server goes on"

# (2) configuration on RA-TLS, then plain HTTP, proxying to an app
make_context us
APP_PORT=$(free_port)
mkdir "$WORK/app"
APP_CMD="exec '$ENCLAVE' --mode untrusted-ssl --hello --san localhost --attestation-root '$WORK/att' --host 127.0.0.1 --port \$MSE_APP_PORT"
start_enclave us --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
    --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app" --app-cmd "$APP_CMD" --app-port "$APP_PORT"
BASE="https://127.0.0.1:$PORT"
abuse_config "$BASE/.well-known/mse/configure"
# A request target with a terminal escape and a fake log line: logged escaped.
printf 'GET /x\033[31m\\nFAKE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    openssl s_client -quiet -connect "127.0.0.1:$PORT" 2>/dev/null >"$WORK/raw.out" || true
grep -q $'\033' "$WORK/us.log" && fail "raw escape byte in the server log"
grep -q 'GET /x\\x1b\[31m\\x5cnFAKE -> ' "$WORK/us.log" || fail "escaped target not logged: $(grep 'GET /x' "$WORK/us.log")"
ok "request targets are logged escaped"
expect_code 200 "$(post_config "$BASE/.well-known/mse/configure" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\"}")" "configuration"
wait_http "http://127.0.0.1:$PORT/"
body=$(curl -s "http://127.0.0.1:$PORT/x")
[ "$body" = "Hello from the enclave!" ] || fail "plain-HTTP proxied body: $body"
curl -s "http://127.0.0.1:$PORT/.well-known/mse/ratls.pem" >"$WORK/ratls2.pem"
has_quote_ext "$WORK/ratls2.pem" || fail "ratls.pem over plain HTTP"
ok "plain HTTP app phase behind the operator's proxy, ratls.pem"

# (3) no upstream listening -> 502; an upstream that never answers -> 504
DEAD=$(free_port)
start_enclave dead --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
    --app-dir "$WORK/app" --app-cmd "exec sleep 100" --app-port "$DEAD"
code=$(curl -s -o "$WORK/resp" -w '%{http_code}' "http://127.0.0.1:$PORT/")
expect_code 502 "$code" "no upstream"
if command -v python3 >/dev/null; then
    SLOW=$(free_port)
    start_enclave slow --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
        --upstream-timeout 1 --app-dir "$WORK/app" --app-port "$SLOW" \
        --app-cmd "exec python3 -c 'import socket,time,os; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\", int(os.environ[\"MSE_APP_PORT\"]))); s.listen(8); c=s.accept(); time.sleep(30)'"
    # Wait (bounded) until the silent app listens: before that the proxy gets 502, not 504.
    wait_listening "$SLOW" "the silent app"
    code=$(curl -s -o "$WORK/resp" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/")
    expect_code 504 "$code" "upstream that never answers"
    # A large response streams through intact; an app's own status passes through.
    mkdir -p "$WORK/files"
    head -c 20000000 /dev/urandom >"$WORK/files/big.bin"
    FILES=$(free_port)
    start_enclave files --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
        --app-dir "$WORK/files" --app-port "$FILES" \
        --app-cmd 'exec python3 -m http.server "$MSE_APP_PORT" --bind 127.0.0.1'
    wait_http "http://127.0.0.1:$PORT/big.bin"
    curl -s "http://127.0.0.1:$PORT/big.bin" | cmp -s - "$WORK/files/big.bin" || fail "20 MB response corrupted"
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/missing")
    [ "$code" = 404 ] || fail "app's 404 became $code"
    ok "20 MB response streamed intact; the app's 404 passes through"
    # Back-pressure: a slow reader does not make the server buffer the response.
    rss() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
    r0=$(rss)
    curl -s --limit-rate 4M "http://127.0.0.1:$PORT/big.bin" >"$WORK/slow.bin" &
    SLOW_CURL=$!
    PIDS+=("$SLOW_CURL")
    sleep 1.5
    r1=$(rss)
    wait "$SLOW_CURL" || fail "slow download failed"
    cmp -s "$WORK/slow.bin" "$WORK/files/big.bin" || fail "slow download corrupted"
    [ $((r1 - r0)) -lt 6000 ] || fail "server buffered for a slow reader: RSS ${r0} -> ${r1} kB"
    ok "slow reader: server RSS ${r0} -> ${r1} kB while 20 MB trickled out, intact"
    # A slow reader that goes away leaves no stuck upstream slot; SIGTERM mid-stream is clean.
    for _ in 1 2 3; do curl -s --max-time 0.5 --limit-rate 500k "http://127.0.0.1:$PORT/big.bin" >/dev/null || true; done
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/missing")" = 404 ] ||
        fail "proxy stuck after aborted slow readers"
    curl -s --limit-rate 500k "http://127.0.0.1:$PORT/big.bin" >/dev/null &
    PIDS+=("$!")
    sleep 0.5
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || fail "server exit status $? on SIGTERM during a paused stream"
    ok "aborted slow readers and SIGTERM mid-stream handled"
else
    echo "SKIP: 504 check needs python3 for a silent upstream"
fi

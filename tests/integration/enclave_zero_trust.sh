#!/usr/bin/env bash
# mse-enclave, zero-trust mode: configuration-phase abuse, then a correct
# configuration; the app (an upstream on loopback) is reached through the
# proxy on the RA-TLS certificate; 502 once the upstream is dead; the RA-TLS
# certificate is served at /.well-known/mse/ratls.pem in both phases.
source "$(dirname "$0")/libenclave.sh"

fake_attestation "$WORK/att"
make_context zt
APP_PORT=$(free_port)
mkdir "$WORK/app"
# The upstream app: mse-enclave's own hello server over plain HTTP.
APP_CMD="exec '$ENCLAVE' --mode untrusted-ssl --hello --san localhost --attestation-root '$WORK/att' --host 127.0.0.1 --port \$MSE_APP_PORT"
start_enclave zt --mode zero-trust --attestation-root "$WORK/att" --san localhost \
    --subject "CN=localhost,O=MyApp Company,C=FR,L=Paris,ST=Ile-de-France" \
    --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app" --app-cmd "$APP_CMD" --app-port "$APP_PORT"
BASE="https://127.0.0.1:$PORT"

curl -sk "$BASE/.well-known/mse/ratls.pem" >"$WORK/ratls.pem"
openssl x509 -in "$WORK/ratls.pem" -noout -ext 1.2.840.113741.1337.6 >/dev/null 2>&1 ||
    has_quote_ext "$WORK/ratls.pem" || fail "ratls.pem carries no quote extension"
presented_cert "$PORT" >"$WORK/presented.pem" || fail "no certificate presented"
same_cert "$WORK/ratls.pem" "$WORK/presented.pem" ||
    fail "configuration server does not present the RA-TLS certificate"
ok "configuration phase on the RA-TLS certificate, served at ratls.pem"

# The secrets to come stay out of core files and other processes' reach: no core
# file at all (limit 0, soft and hard), and non-dumpable, which the kernel shows by
# giving the files in /proc/PID to root; that is visible only for a server that is not root, so
# a second one runs as nobody (where the test may change users).
grep -Eq '^Max core file size +0 +0 +bytes' "/proc/$SERVER_PID/limits" ||
    fail "core files not disabled: $(grep -i core "/proc/$SERVER_PID/limits")"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    N="$WORK/nobody"
    mkdir -m 0777 "$N"
    chmod 0711 "$WORK"
    fake_attestation "$N/att"
    mkdir "$N/code" "$N/app"
    chmod -R a+rwX "$N"
    setpriv --reuid 65534 --regid 65534 --clear-groups "$ENCLAVE" --host 127.0.0.1 --port 0 \
        --port-file "$N/port" --max-seconds 120 --mode zero-trust --hello --uuid "$UUID" \
        --code-dir "$N/code" --app-dir "$N/app" --attestation-root "$N/att" --san localhost \
        >"$WORK/nobody.log" 2>&1 &
    NOBODY_PID=$!
    PIDS+=("$NOBODY_PID")
    wait_port "mse-enclave as nobody" "$NOBODY_PID" "$N/port" "$WORK/nobody.log"
    [ "$(awk '/^Uid:/ {print $2}' "/proc/$NOBODY_PID/status")" = 65534 ] || fail "not running as nobody"
    [ "$(stat -c %u "/proc/$NOBODY_PID/environ")" = 0 ] ||
        fail "mse-enclave is dumpable (/proc/$NOBODY_PID/environ owned by $(stat -c %U "/proc/$NOBODY_PID/environ"))"
    kill -TERM "$NOBODY_PID"; wait "$NOBODY_PID" || true
    ok "core files disabled and the server non-dumpable (as nobody: /proc/PID/environ owned by root)"
else
    ok "core files disabled (the non-dumpable check needs root and setpriv)"
fi

abuse_config "$BASE/.well-known/mse/configure"
# In the configuration phase every answer closes its connection, so that each request is
# a connection's first, held to --request-deadline (a kept-alive connection's next request
# was held only to the idle timeout: a byte every few seconds kept it open): a request
# pipelined after a refused configuration, or after ratls.pem, is not served.
wrong="{\"uuid\":\"$UUID\",\"code_secret_key\":\"$(printf '%064d' 0)\"}"
attempt="POST /.well-known/mse/configure HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${#wrong}\r\n\r\n$wrong"
for first in "$attempt" 'GET /.well-known/mse/ratls.pem HTTP/1.1\r\nHost: x\r\n\r\n'; do
    out=$(exchange "$PORT" "$first$attempt" tls)
    [ "$(grep -c '^HTTP/1.1 ' <<<"$out")" = 1 ] || fail "configuration phase: served on after an answer: $out"
    grep -q '^Connection: close$' <<<"$out" || fail "configuration phase: no Connection: close: $out"
    [[ $out == *"<open>"* ]] && fail "configuration phase: connection left open: $out"
done
ok "configuration phase: one answer per connection (Connection: close), the pipelined request not served"

kill -0 "$SERVER_PID" || fail "server died during abuse tests"
[ -z "$(ls -A "$WORK/app")" ] || fail "code decrypted before a valid configuration"

expect_code 200 "$(post_config "$BASE/.well-known/mse/configure" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\"}")" "correct configuration"
grep -q '"configured"' "$WORK/resp" || fail "no configured status"
cmp -s "$WORK/app/index.html" "$WORK/zt.code/index.html" || fail "code not decrypted into the app dir"
cmp -s "$WORK/app/static/style.css" "$WORK/zt.code/static/style.css" || fail "nested file not decrypted"
# No copy of the key left in the server's memory once it is configured: the request's
# plaintext is cleansed from OpenSSL's record buffers (SSL_OP_CLEANSE_PLAINTEXT; one copy
# of the hex key stayed there), the body from libevent's and jansson's. Read from a core
# taken by gcore (as root: ptrace ignores the non-dumpable flag), where ptrace is allowed,
# and not of a sanitizer build (terabytes of address space reserved: its core is huge).
vm_kb=$(awk '/^VmSize:/ {print $2}' "/proc/$SERVER_PID/status")
if [ "$vm_kb" -lt 8388608 ] && command -v gcore >/dev/null &&
    gcore -o "$WORK/core" "$SERVER_PID" >"$WORK/gcore.log" 2>&1 && [ -s "$WORK/core.$SERVER_PID" ]; then
    copies=$(python3 - "$KEY" "$WORK/core.$SERVER_PID" <<'EOF'
import sys
key, core = sys.argv[1], open(sys.argv[2], "rb").read()
print(core.count(key.encode()) + core.count(key.upper().encode()) + core.count(bytes.fromhex(key)))
EOF
)
    rm -f "$WORK/core.$SERVER_PID"
    [ "$copies" = 0 ] || fail "$copies copies of code_secret_key in the configured server's memory"
    ok "no copy of code_secret_key (hex or raw) in the configured server's memory"
else
    echo "note: no gcore, no ptrace or a sanitizer build (VmSize $vm_kb kB): the memory check is not run"
fi
expect_code 409 "$(post_config "$BASE/.well-known/mse/configure" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\"}")" "second configuration"

# The app through the proxy, pinned on the RA-TLS certificate (curl --cacert).
wait_http "https://localhost:$PORT/" --cacert "$WORK/ratls.pem" --resolve "localhost:$PORT:127.0.0.1"
body=$(curl -s --cacert "$WORK/ratls.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/hi")
[ "$body" = "Hello from the enclave!" ] || fail "proxied body: $body"
ok "app reached through the proxy with curl --cacert ratls.pem"
# Keep-alive: several requests on one connection.
n=$(curl -s --cacert "$WORK/ratls.pem" --resolve "localhost:$PORT:127.0.0.1" \
    "https://localhost:$PORT/a" "https://localhost:$PORT/b" "https://localhost:$PORT/c" | grep -c Hello)
[ "$n" = 3 ] || fail "keep-alive requests: $n"
# A request body goes through (the hello upstream ignores it but must answer).
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/ratls.pem" --resolve "localhost:$PORT:127.0.0.1" \
    -X POST --data-binary "@$WORK/big" "https://localhost:$PORT/upload")
[ "$code" = 200 ] || fail "POST with a body through the proxy: $code"
ok "keep-alive and request bodies through the proxy"
# Spoofed forwarding headers are replaced, hop-by-hop ones dropped (no crash either way).
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/ratls.pem" --resolve "localhost:$PORT:127.0.0.1" \
    -H 'X-Forwarded-For: 1.2.3.4' -H 'Connection: close, X-Secret' -H 'X-Secret: 1' "https://localhost:$PORT/")
[ "$code" = 200 ] || fail "request with hop-by-hop headers: $code"

presented_cert "$PORT" >"$WORK/presented2.pem" || fail "no certificate presented"
same_cert "$WORK/ratls.pem" "$WORK/presented2.pem" ||
    fail "app phase does not present the RA-TLS certificate"
curl -sk "$BASE/.well-known/mse/ratls.pem" | cmp -s - "$WORK/ratls.pem" || fail "ratls.pem changed in the app phase"
ok "app phase on the RA-TLS certificate, ratls.pem unchanged"

# Kill the upstream: the proxy answers 502 and keeps serving.
app_pid=$(sed -n 's/.*app started (pid \([0-9]*\)).*/\1/p' "$WORK/zt.log")
[ -n "$app_pid" ] || fail "no app pid in the log"
kill -9 "$app_pid"
for _ in $(seq 1 300); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.05; done
code=$(curl -sk -o "$WORK/resp" -w '%{http_code}' "$BASE/")
expect_code 502 "$code" "dead upstream"
grep -q "the app was killed by signal 9" "$WORK/zt.log" || fail "the app's death was not logged"
code=$(curl -sk -o /dev/null -w '%{http_code}' "$BASE/.well-known/mse/ratls.pem")
expect_code 200 "$code" "server still up after upstream death"

# SIGTERM stops the server cleanly.
kill -TERM "$SERVER_PID"
for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "server ignored SIGTERM"
wait "$SERVER_PID" || fail "server exit status $? after SIGTERM"
grep -q "stopped" "$WORK/zt.log" || fail "no clean stop logged"
ok "SIGTERM stops the server"

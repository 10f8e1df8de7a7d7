#!/usr/bin/env bash
# mse configure, zero trust, on the simulator (mse-sim PKI, quotes and PCCS):
#  - end to end: `mse verify` passes, `mse configure` verifies the same way and
#    configures, `curl --cacert cert.pem` reaches the app;
#  - servers that must NOT get the secrets: a garbage quote, a genuine quote
#    bound to another key, a correctly bound but forged quote (DCAP refuses
#    its signature), a wrong MRENCLAVE, a plain TLS server without a quote.
#    Asserted on the server side: mse-enclave logs zero requests to its
#    configuration endpoint (and decrypts nothing); the TLS sink records zero
#    bytes of application data.
source "$(dirname "$0")/libenclave.sh"
: "${MSE_TEST_DATA:?MSE_TEST_DATA must be set (CTest sets it)}"

SIM="$MSE_BUILD_DIR/mse-sim"
if [ ! -x "$SIM" ] || ! "$SIM" pki init "$WORK/pki" >/dev/null 2>&1; then
    echo "SKIP: needs the simulator (mse-sim pki init)"
    exit 77
fi
MRENCLAVE=$(printf 'ab%.0s' $(seq 1 32))
"$SIM" pccs serve --dir "$WORK/pki" --port 0 --port-file "$WORK/pccs.port" --max-seconds 120 \
    --quiet >"$WORK/pccs.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 300); do [ -s "$WORK/pccs.port" ] && break; sleep 0.05; done
[ -s "$WORK/pccs.port" ] || fail "simulated PCCS did not start"
PCCS="http://127.0.0.1:$(cat "$WORK/pccs.port")"
# What the owner checks: the simulator's root, the PKI's signer, the code fingerprint.
VERIFY=(--pccs-url "$PCCS" --trust-root "$WORK/pki/root.pem" --signer-key "$WORK/pki/signer.pem"
        --fingerprint "$MRENCLAVE" --no-cache --timeout 10)
make_context cf

# configure_refused NAME SERVER_LOG EXPECTED_REASON: mse configure must fail with
# the reason, and the server must have received no configuration request.
configure_refused() {
    local name="$1" reason="$2"
    if "$MSE" configure "localhost:$PORT" --context "$CTX" "${VERIFY[@]}" \
        >"$WORK/$name.out" 2>&1; then
        fail "$name: mse configure sent the secrets"
    fi
    grep -q "nothing was sent" "$WORK/$name.out" || fail "$name: $(cat "$WORK/$name.out")"
    grep -q "$reason" "$WORK/$name.out" || fail "$name: not refused for '$reason': $(cat "$WORK/$name.out")"
    code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/.well-known/mse/ratls.pem")
    [ "$code" = 200 ] || fail "$name: server not answering after the refusal"
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
    grep -q "configuration request:" "$WORK/$name.log" && fail "$name: the server received a configuration body"
    grep -q "stopped (0 request(s) to the configuration endpoint," "$WORK/$name.log" ||
        fail "$name: $(grep stopped "$WORK/$name.log")"
    [ -z "$(ls -A "$WORK/app-$name")" ] || fail "$name: code was decrypted"
    ok "$name: refused ($(grep -o 'nothing was sent.*' "$WORK/$name.out" | head -c 140)); the server got no request"
}

# 1. End to end.
mkdir "$WORK/app-e2e"
start_enclave e2e --mode zero-trust --provider sim --sim-pki "$WORK/pki" --sim-mrenclave "$MRENCLAVE" \
    --san localhost --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app-e2e" --hello
"$MSE" verify "localhost:$PORT" "${VERIFY[@]}" --output "$WORK/cert.pem" >"$WORK/verify.out" 2>&1 ||
    fail "mse verify: $(cat "$WORK/verify.out")"
grep -q "Verification: success" "$WORK/verify.out" || fail "mse verify: $(cat "$WORK/verify.out")"
ok "mse verify passes on the simulated enclave"
"$MSE" configure "localhost:$PORT" --context "$CTX" "${VERIFY[@]}" >"$WORK/configure.out" 2>&1 ||
    fail "mse configure: $(cat "$WORK/configure.out")"
grep -q "^configured localhost:$PORT" "$WORK/configure.out" || fail "mse configure: $(cat "$WORK/configure.out")"
cmp -s "$WORK/app-e2e/index.html" "$WORK/cf.code/index.html" || fail "code not installed"
ok "mse configure verified the enclave and configured it"
wait_http "https://localhost:$PORT/" --cacert "$WORK/cert.pem"
body=$(curl -s --cacert "$WORK/cert.pem" "https://localhost:$PORT/")
[ "$body" = "Hello from the enclave!" ] || fail "app body: $body"
ok "curl --cacert cert.pem reaches the app"
# Configuring again is refused by the server (409), after verification
# (spelled with --connect/--port: dial 127.0.0.1, names checked for localhost).
if "$MSE" configure localhost --connect 127.0.0.1 --port "$PORT" --context "$CTX" "${VERIFY[@]}" \
    >"$WORK/again.out" 2>&1; then
    fail "second configuration accepted"
fi
grep -qxF 'error: HTTP 409: {"status":409,"message":"already configured"} (MSE_ERR_CONFIG_REFUSED)' \
    "$WORK/again.out" || fail "second configuration: $(cat "$WORK/again.out")"
ok "a second mse configure gets 409"

# 1b. App owner trust end to end: the owner's key goes with the configuration.
O="$WORK/owner"
mkdir -p "$O"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$O/ca.key" \
    -out "$O/ca.pem" -subj "/CN=Owner Test CA" -days 2 >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$O/leaf.key" \
    -out "$O/leaf.csr" -subj "/CN=localhost" >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n' >"$O/ext"
openssl x509 -req -in "$O/leaf.csr" -CA "$O/ca.pem" -CAkey "$O/ca.key" -CAcreateserial \
    -out "$O/leaf.pem" -days 2 -extfile "$O/ext" >/dev/null 2>&1
cat "$O/leaf.pem" "$O/ca.pem" >"$O/chain.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$O/other.key" 2>/dev/null
SAVED_CTX=$CTX SAVED_UUID=$UUID SAVED_ENC=$ENC
make_context ow --owner-cert "$O/chain.pem"
mkdir "$WORK/app-owner"
start_enclave owner --mode owner --provider sim --sim-pki "$WORK/pki" --sim-mrenclave "$MRENCLAVE" \
    --san localhost --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app-owner" --hello \
    --ssl-cert "$O/chain.pem"
if "$MSE" configure "localhost:$PORT" --context "$CTX" "${VERIFY[@]}" >"$WORK/owner1.out" 2>&1; then
    fail "owner context configured without --ssl-key"
fi
if "$MSE" configure "localhost:$PORT" --context "$CTX" --ssl-key "$O/other.key" "${VERIFY[@]}" \
    >"$WORK/owner2.out" 2>&1; then
    fail "owner context configured with a key that is not the owner's"
fi
grep -q "is not the key of the context's owner certificate" "$WORK/owner2.out" || fail "owner2: $(cat "$WORK/owner2.out")"
grep -q "configuration request:" "$WORK/owner.log" && fail "owner: a refused local check still sent a request"
"$MSE" configure "localhost:$PORT" --context "$CTX" --ssl-key "$O/leaf.key" "${VERIFY[@]}" \
    >"$WORK/owner3.out" 2>&1 || fail "owner configure: $(cat "$WORK/owner3.out")"
wait_http "https://localhost:$PORT/" --cacert "$O/ca.pem"
body=$(curl -s --cacert "$O/ca.pem" "https://localhost:$PORT/")
[ "$body" = "Hello from the enclave!" ] || fail "owner app body: $body"
# Users can still attest it: the RA-TLS certificate is published and verifies.
curl -s --cacert "$O/ca.pem" "https://localhost:$PORT/.well-known/mse/ratls.pem" >"$WORK/owner-ratls.pem"
has_quote_ext "$WORK/owner-ratls.pem" || fail "owner mode: ratls.pem has no quote"
ok "owner trust end to end: key checked locally, configured, app on the owner's chain, RA-TLS published"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true
CTX=$SAVED_CTX UUID=$SAVED_UUID ENC=$SAVED_ENC

# 1c. An IPv6 literal DOMAIN: the request's Host is "[::1]:PORT" (bracketed), which the
# enclave accepts; "Host: ::1" was refused as invalid after the secrets were sent.
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    mkdir "$WORK/app-v6"
    rm -f "$WORK/v6.port"
    "$ENCLAVE" --host ::1 --port 0 --port-file "$WORK/v6.port" --max-seconds 120 --mode zero-trust \
        --provider sim --sim-pki "$WORK/pki" --sim-mrenclave "$MRENCLAVE" --san ::1 --uuid "$UUID" \
        --code-dir "$ENC" --app-dir "$WORK/app-v6" --hello >"$WORK/v6.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_port "v6: mse-enclave" "$SERVER_PID" "$WORK/v6.port" "$WORK/v6.log"
    V6_PORT=$(cat "$WORK/v6.port")
    "$MSE" configure "[::1]:$V6_PORT" --context "$CTX" "${VERIFY[@]}" >"$WORK/v6.out" 2>&1 ||
        fail "mse configure [::1]: $(cat "$WORK/v6.out")"
    grep -q "^configured \[::1\]:$V6_PORT: {\"status\":200,\"message\":\"configured\"}" "$WORK/v6.out" ||
        fail "mse configure [::1]: $(cat "$WORK/v6.out")"
    cmp -s "$WORK/app-v6/index.html" "$WORK/cf.code/index.html" || fail "v6: code not installed"
    ok "mse configure [::1]:PORT (IPv6 literal, bracketed Host) configured the enclave"
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true
else
    echo "note: no IPv6 loopback here; the [::1] case is not run"
fi

# 1d. The answer lost after the secrets were sent (a TCP relay forwards the request, then
# drops the enclave's answer and closes): mse configure says the configuration was sent
# and that whether it was applied is unknown (exit 22); again, it gets 409 (it was).
cat >"$WORK/cut_answer.py" <<'EOF'
import os, socket, sys, threading
upstream, port_file = int(sys.argv[1]), sys.argv[2]
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(1)
lst.settimeout(60)
with open(port_file + ".tmp", "w") as f:
    f.write(str(lst.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
c, _ = lst.accept()
s = socket.create_connection(("127.0.0.1", upstream), timeout=60)
c.settimeout(60)
cut = threading.Event()
def down():
    # The enclave's bytes reach the client until the request has gone up; its answer does not.
    while True:
        d = s.recv(65536)
        if not d:
            break
        if not cut.is_set():
            c.sendall(d)
    c.close()
t = threading.Thread(target=down)
t.start()
buf = b""
while not cut.is_set():
    d = c.recv(65536)
    if not d:
        break
    buf += d
    while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
        # The request is the client's first application_data record over 100 bytes (TLS
        # 1.3's Finished is one of 53): the cut comes before it goes up, so before any answer.
        n = int.from_bytes(buf[3:5], "big")
        if buf[0] == 23 and n > 100:
            cut.set()
        buf = buf[5 + n:]
    s.sendall(d)
t.join(60)
EOF
mkdir "$WORK/app-cut"
start_enclave cut --mode zero-trust --provider sim --sim-pki "$WORK/pki" --sim-mrenclave "$MRENCLAVE" \
    --san localhost --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app-cut" --hello
python3 "$WORK/cut_answer.py" "$PORT" "$WORK/cut.relay" &
RELAY_PID=$!
PIDS+=("$RELAY_PID")
for _ in $(seq 1 300); do [ -s "$WORK/cut.relay" ] && break; sleep 0.05; done
[ -s "$WORK/cut.relay" ] || fail "the relay did not start"
rc=0
"$MSE" configure "localhost:$(cat "$WORK/cut.relay")" --context "$CTX" "${VERIFY[@]}" \
    >"$WORK/cut.out" 2>"$WORK/cut.err" || rc=$?
[ "$rc" = 22 ] || fail "answer lost: exit $rc, not 22: $(cat "$WORK/cut.out" "$WORK/cut.err")"
grep -qxF "error: the configuration was sent, but the connection ended without an answer: whether the server applied it is unknown (mse configure again answers HTTP 409 if it did) (MSE_ERR_SERVER)" "$WORK/cut.err" ||
    fail "answer lost: $(cat "$WORK/cut.err")"
wait "$RELAY_PID" || true
grep -q -- "-> 200 configured" "$WORK/cut.log" || fail "answer lost: the enclave did not configure: $(cat "$WORK/cut.log")"
rc=0
"$MSE" configure "localhost:$PORT" --context "$CTX" "${VERIFY[@]}" >"$WORK/cut2.out" 2>&1 || rc=$?
[ "$rc" = 22 ] && grep -q "HTTP 409" "$WORK/cut2.out" || fail "after a lost answer: exit $rc: $(cat "$WORK/cut2.out")"
ok "answer lost after sending: exit 22, 'sent ... whether applied is unknown', and the advised retry gets 409"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true

# 2. Wrong MRENCLAVE: a genuine simulated enclave running other code.
mkdir "$WORK/app-mrenclave"
start_enclave mrenclave --mode zero-trust --provider sim --sim-pki "$WORK/pki" \
    --sim-mrenclave "$(printf 'cd%.0s' $(seq 1 32))" --san localhost --uuid "$UUID" \
    --code-dir "$ENC" --app-dir "$WORK/app-mrenclave" --hello
configure_refused mrenclave "MRENCLAVE differs"

# 3. Garbage quote (emulated Gramine interface returning fixed bytes).
fake_attestation "$WORK/att"
mkdir "$WORK/app-garbage"
start_enclave garbage --mode zero-trust --attestation-root "$WORK/att" --san localhost \
    --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app-garbage" --hello
configure_refused garbage "quote: "

# 4. A genuine quote (a real MSE deployment's) whose REPORTDATA binds another key.
mkdir -p "$WORK/att2" "$WORK/app-binding"
printf dcap >"$WORK/att2/attestation_type"
: >"$WORK/att2/user_report_data"
cp "$MSE_TEST_DATA/real/mse-quote.dat" "$WORK/att2/quote"
start_enclave binding --mode zero-trust --attestation-root "$WORK/att2" --san localhost \
    --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app-binding" --hello
configure_refused binding "key binding: "

# 5. A forged quote bound to the server's key: a simulator quote whose
# REPORTDATA is replaced by the server's (an emulated Gramine quote FIFO
# splices it in). Format, binding and fingerprint pass; DCAP refuses it.
mkdir -p "$WORK/att3" "$WORK/app-forged"
printf dcap >"$WORK/att3/attestation_type"
: >"$WORK/att3/user_report_data"
"$SIM" quote --pki "$WORK/pki" --report-data "$(printf '00%.0s' $(seq 1 64))" \
    --mrenclave "$MRENCLAVE" --out "$WORK/sim-quote.dat" >/dev/null 2>&1 || fail "mse-sim quote"
mkfifo "$WORK/att3/quote"
( exec >"$WORK/att3/quote" # blocks until mse-enclave opens it, after writing REPORTDATA
  head -c 368 "$WORK/sim-quote.dat"; head -c 64 "$WORK/att3/user_report_data"
  tail -c +433 "$WORK/sim-quote.dat" ) &
PIDS+=("$!")
start_enclave forged --mode zero-trust --attestation-root "$WORK/att3" --san localhost \
    --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app-forged" --hello
configure_refused forged "not signed by the attestation key"

# 6. A TLS sink with an ordinary certificate for localhost records whatever arrives.
operator_cert "$WORK/sink"
SINK_PORT=$(free_port)
# -naccept 2: the probe of wait_listening (no TLS, no data), then mse configure.
openssl s_server -quiet -naccept 2 -accept "127.0.0.1:$SINK_PORT" -cert "$WORK/sink/cert.pem" \
    -key "$WORK/sink/key.pem" >"$WORK/sink.out" 2>"$WORK/sink.log" </dev/null &
SINK_PID=$!
PIDS+=("$SINK_PID")
wait_listening "$SINK_PORT" "the TLS sink"
if "$MSE" configure "localhost:$SINK_PORT" --context "$CTX" "${VERIFY[@]}" \
    >"$WORK/sink-configure.out" 2>&1; then
    fail "mse configure accepted a server without a quote"
fi
grep -q "nothing was sent" "$WORK/sink-configure.out" || fail "sink: $(cat "$WORK/sink-configure.out")"
for _ in $(seq 1 40); do kill -0 "$SINK_PID" 2>/dev/null || break; sleep 0.05; done
kill "$SINK_PID" 2>/dev/null || true
[ -s "$WORK/sink.out" ] && fail "the TLS sink received application data: $(head -c 200 "$WORK/sink.out")"
ok "a quote-less TLS server received zero bytes of application data"

# 7. A server that passes verification, then answers one byte every 0.2 s for 20 s: mse
# configure gives up at its --timeout for the whole answer, not per read.
"$SIM" ratls --pki "$WORK/pki" --cert "$WORK/slow.pem" --key "$WORK/slow.key" --san localhost \
    --mrenclave "$MRENCLAVE" >"$WORK/slow-ratls.log" 2>&1 || fail "mse-sim ratls: $(cat "$WORK/slow-ratls.log")"
SLOW_PORT=$(free_port)
# -naccept 2, as for the sink.
(for _ in $(seq 1 100); do printf x; sleep 0.2; done) |
    timeout 60 openssl s_server -quiet -naccept 2 -accept "127.0.0.1:$SLOW_PORT" \
        -cert "$WORK/slow.pem" -key "$WORK/slow.key" >"$WORK/slow.out" 2>"$WORK/slow.log" &
SLOW_PID=$!
PIDS+=("$SLOW_PID")
wait_listening "$SLOW_PORT" "the slow server"
started=$(date +%s%N)
if "$MSE" configure "localhost:$SLOW_PORT" --context "$CTX" --pccs-url "$PCCS" \
    --trust-root "$WORK/pki/root.pem" --signer-key "$WORK/pki/signer.pem" \
    --fingerprint "$MRENCLAVE" --no-cache --timeout 3 >"$WORK/slow-configure.out" 2>&1; then
    fail "mse configure took a trickle of bytes for an answer"
fi
took_ms=$((($(date +%s%N) - started) / 1000000))
grep -q "POST" "$WORK/slow.out" || fail "slow: the request was not sent: $(cat "$WORK/slow-configure.out")"
grep -Eq "the configuration was sent, but (its answer is not HTTP|no answer came within)" \
    "$WORK/slow-configure.out" ||
    fail "slow: $(cat "$WORK/slow-configure.out")"
# 3 s of answer after the verification; 20 s if each read had its own timeout.
[ "$took_ms" -lt 12000 ] || fail "slow: mse configure took $took_ms ms with --timeout 3"
kill "$SLOW_PID" 2>/dev/null || true
ok "a server trickling its answer is given up after the timeout (${took_ms} ms)"

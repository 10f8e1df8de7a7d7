#!/usr/bin/env bash
# mse configure against servers that must NOT get the secrets: a configuration
# server whose quote is garbage (mse-enclave on an emulated Gramine interface
# returning fixed bytes), one whose genuine quote binds another key, and a
# plain TLS server with no quote at all. Asserted server side: mse-enclave logs zero requests
# to its configuration endpoint and keeps waiting; the raw TLS sink shows no
# byte of application data. Then, when the simulator and the verifier are in
# the build, the zero-trust flow end to end: mse verify passes, mse configure
# succeeds, curl --cacert reaches the app.
source "$(dirname "$0")/libenclave.sh"

fake_attestation "$WORK/att"
make_context cf
mkdir "$WORK/app"
start_enclave cf --mode zero-trust --attestation-root "$WORK/att" --san localhost \
    --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app" --hello
if "$MSE" configure localhost --connect 127.0.0.1 --port "$PORT" --context "$CTX" \
    >"$WORK/configure1.out" 2>&1; then
    fail "mse configure accepted a server whose quote does not verify"
fi
grep -q "nothing was sent: quote: " "$WORK/configure1.out" || fail "not refused for its quote: $(cat "$WORK/configure1.out")"
ok "mse configure refused the bad-quote server ($(head -c 160 "$WORK/configure1.out"))"
# The server is still waiting, and never saw a configuration request.
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/.well-known/mse/configure")
[ "$code" = 405 ] || fail "server not in the configuration phase any more ($code)"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
grep -q "configuration request:" "$WORK/cf.log" && fail "the server received a configuration body"
grep -q "stopped (1 request(s) to the configuration endpoint," "$WORK/cf.log" ||
    fail "unexpected configuration-endpoint count: $(grep stopped "$WORK/cf.log")"
[ -z "$(ls -A "$WORK/app")" ] || fail "code was decrypted"
ok "server side: no configuration request reached the bad-quote server (only our GET probe)"

# A genuine quote (a real MSE deployment's) whose REPORTDATA binds another key.
: "${MSE_TEST_DATA:?MSE_TEST_DATA must be set (CTest sets it)}"
mkdir -p "$WORK/att2"
printf dcap >"$WORK/att2/attestation_type"
: >"$WORK/att2/user_report_data"
cp "$MSE_TEST_DATA/real/mse-quote.dat" "$WORK/att2/quote"
mkdir "$WORK/app-b"
start_enclave bind --mode zero-trust --attestation-root "$WORK/att2" --san localhost \
    --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app-b" --hello
if "$MSE" configure localhost --connect 127.0.0.1 --port "$PORT" --context "$CTX" \
    >"$WORK/configure-bind.out" 2>&1; then
    fail "mse configure accepted a server whose quote binds another key"
fi
grep -q "nothing was sent: key binding: " "$WORK/configure-bind.out" ||
    fail "not refused for the key binding: $(cat "$WORK/configure-bind.out")"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
grep -q "configuration request:" "$WORK/bind.log" && fail "the wrong-binding server received a configuration body"
grep -q "stopped (0 request(s) to the configuration endpoint," "$WORK/bind.log" ||
    fail "wrong-binding server: $(grep stopped "$WORK/bind.log")"
ok "server side: the wrong-binding server got no request at all"

# A forged quote that binds the server's key: a real quote whose REPORTDATA is
# replaced by the server's (an emulated Gramine quote FIFO splices it in).
# Name, quote format and key binding pass; the full DCAP verification with
# the real collateral (--collateral) must refuse it (quote signature).
mkdir -p "$WORK/att3"
printf dcap >"$WORK/att3/attestation_type"
: >"$WORK/att3/user_report_data"
mkfifo "$WORK/att3/quote"
REAL="$MSE_TEST_DATA/real/mse-quote.dat"
( exec >"$WORK/att3/quote"   # blocks until mse-enclave opens the quote, after writing RD
  head -c 368 "$REAL"; head -c 64 "$WORK/att3/user_report_data"; tail -c +433 "$REAL" ) &
PIDS+=("$!")
mkdir "$WORK/app-f"
start_enclave forged --mode zero-trust --attestation-root "$WORK/att3" --san localhost \
    --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app-f" --hello
if "$MSE" configure localhost --connect 127.0.0.1 --port "$PORT" --context "$CTX" \
    --collateral "$MSE_TEST_DATA/real/mse-home-evidence.json" >"$WORK/configure-forged.out" 2>&1; then
    fail "mse configure accepted a forged quote"
fi
grep -q "nothing was sent" "$WORK/configure-forged.out" || fail "forged: $(cat "$WORK/configure-forged.out")"
grep -q "not signed by the attestation key" "$WORK/configure-forged.out" ||
    fail "forged quote not refused by the DCAP signature checks: $(cat "$WORK/configure-forged.out")"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
grep -q "stopped (0 request(s) to the configuration endpoint," "$WORK/forged.log" ||
    fail "forged-quote server: $(grep stopped "$WORK/forged.log")"
ok "forged quote refused by DCAP ($(grep -o 'nothing was sent.*' "$WORK/configure-forged.out" | head -c 150)); server got no request"

# A TLS sink with an ordinary certificate for localhost: whatever arrives is recorded.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/sink.key" \
    -out "$WORK/sink.pem" -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" -days 2 \
    >/dev/null 2>&1
SINK_PORT=$(free_port)
openssl s_server -quiet -naccept 2 -accept "127.0.0.1:$SINK_PORT" -cert "$WORK/sink.pem" \
    -key "$WORK/sink.key" >"$WORK/sink.out" 2>"$WORK/sink.log" </dev/null &
SINK_PID=$!
PIDS+=("$SINK_PID")
# Wait until it listens; this probe is its first accepted connection (no TLS, no data).
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null && break; sleep 0.05; done
if "$MSE" configure localhost --connect 127.0.0.1 --port "$SINK_PORT" --context "$CTX" \
    >"$WORK/configure2.out" 2>&1; then
    fail "mse configure accepted a server without a quote"
fi
for _ in $(seq 1 40); do kill -0 "$SINK_PID" 2>/dev/null || break; sleep 0.05; done
kill "$SINK_PID" 2>/dev/null || true
[ -s "$WORK/sink.out" ] && fail "the TLS sink received application data: $(head -c 200 "$WORK/sink.out")"
grep -q "$KEY" "$WORK/sink.out" && fail "the code key reached the sink"
ok "server side: the quote-less TLS sink received zero bytes of application data"

# End to end on the simulator: needs mse-sim (pki, pccs) and the verifier.
SIM="$MSE_BUILD_DIR/mse-sim"
if [ ! -x "$SIM" ] || ! "$SIM" pki init "$WORK/pki" >/dev/null 2>&1; then
    echo "SKIP: zero-trust end to end needs the simulator (mse-sim pki init)"
    exit 77
fi
MRENCLAVE=$(printf 'ab%.0s' $(seq 1 32))
make_context e2e
mkdir "$WORK/app2"
start_enclave e2e --mode zero-trust --provider sim --sim-pki "$WORK/pki" --sim-mrenclave "$MRENCLAVE" \
    --san localhost --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app2" --hello
E2E_PORT=$PORT
"$SIM" pccs serve --dir "$WORK/pki" --port 0 --port-file "$WORK/pccs.port" --max-seconds 120 --quiet \
    >"$WORK/pccs.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 100); do [ -s "$WORK/pccs.port" ] && break; sleep 0.05; done
PCCS="http://127.0.0.1:$(cat "$WORK/pccs.port")"
"$MSE" configure localhost --connect 127.0.0.1 --port "$E2E_PORT" --context "$CTX" \
    --fingerprint "$MRENCLAVE" --pccs "$PCCS" >"$WORK/configure3.out" 2>&1 || true
if grep -q "is not linked into this build" "$WORK/configure3.out"; then
    echo "SKIP: mse configure's RA-TLS verifier is not linked into this build yet"
    exit 77
fi
grep -q "^configured localhost" "$WORK/configure3.out" || fail "mse configure on the simulator: $(cat "$WORK/configure3.out")"
ok "mse configure verified the simulated enclave and configured it"
curl -s "http://127.0.0.1:1/" >/dev/null 2>&1 || true
curl -sk "https://127.0.0.1:$E2E_PORT/.well-known/mse/ratls.pem" >"$WORK/e2e.pem"
wait_http "https://localhost:$E2E_PORT/" --cacert "$WORK/e2e.pem" --resolve "localhost:$E2E_PORT:127.0.0.1"
ok "curl --cacert reaches the configured app"

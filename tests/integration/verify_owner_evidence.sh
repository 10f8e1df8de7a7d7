#!/usr/bin/env bash
# Issue 12, acceptance 3 and 4, on the simulator:
#  - an app in app-owner trust (mse-enclave --mode owner --provider sim, configured with the
#    owner's key) serves the owner's certificate, which carries no quote: plain `mse verify`
#    says so (exit 17) and points to --ratls-path; `--ratls-path /.well-known/mse/ratls.pem
#    --cacert <owner CA>` fetches the published RA-TLS certificate over validated HTTPS and
#    verifies it; `--cert` verifies the saved file; without --cacert the HTTPS fetch is
#    refused (the owner CA is not a system CA), nothing written;
#  - `--save-evidence` writes the bundle on success and on a verdict failure, never on a
#    connection error, and `--evidence FILE --at <captured_at>` gives the same JSON verdict.
source "$(dirname "$0")/libenclave.sh"

SIM="$MSE_BUILD_DIR/mse-sim"
if [ ! -x "$SIM" ] || ! "$SIM" pki init "$WORK/pki" >/dev/null 2>&1; then
    echo "SKIP: needs the simulator (mse-sim pki init)"
    exit 77
fi
export XDG_CACHE_HOME="$WORK/cache" MSE_CONF_PATH="$WORK/conf" HOME="$WORK/home"
MRENCLAVE=$(printf 'cd%.0s' $(seq 1 32))
"$SIM" pccs serve --dir "$WORK/pki" --port 0 --port-file "$WORK/pccs.port" --max-seconds 120 \
    --quiet >"$WORK/pccs.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 100); do [ -s "$WORK/pccs.port" ] && break; sleep 0.05; done
[ -s "$WORK/pccs.port" ] || fail "simulated PCCS did not start"
PCCS="http://127.0.0.1:$(cat "$WORK/pccs.port")"
POLICY=(--trust-root "$WORK/pki/root.pem" --signer-key "$WORK/pki/signer.pem" --fingerprint "$MRENCLAVE")
VERIFY=(--pccs-url "$PCCS" "${POLICY[@]}" --no-cache --timeout 10)

# The owner's PKI and an owner-mode enclave, configured with the owner's key.
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
make_context ow --owner-cert "$O/chain.pem"
mkdir "$WORK/app"
start_enclave owner --mode owner --provider sim --sim-pki "$WORK/pki" --sim-mrenclave "$MRENCLAVE" \
    --san localhost --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/app" --hello \
    --ssl-cert "$O/chain.pem"
"$MSE" configure "localhost:$PORT" --context "$CTX" --ssl-key "$O/leaf.key" "${VERIFY[@]}" \
    >"$WORK/configure.out" 2>&1 || fail "owner configure: $(cat "$WORK/configure.out")"
wait_http "https://localhost:$PORT/" --cacert "$O/ca.pem"
cd "$WORK"

# 1. The owner's TLS certificate carries no quote: said so, with the way out.
set +e
"$MSE" verify "localhost:$PORT" "${VERIFY[@]}" --save-evidence "$WORK/none.json" \
    --output "$WORK/none.pem" >"$WORK/plain.out" 2>&1
rc=$?
set -e
[ "$rc" = 17 ] || fail "owner TLS certificate: exit $rc: $(cat "$WORK/plain.out")"
grep -q -- '--ratls-path' "$WORK/plain.out" || fail "no hint to --ratls-path: $(cat "$WORK/plain.out")"
[ ! -e "$WORK/none.json" ] && [ ! -e "$WORK/none.pem" ] || fail "something written without a verification"
ok "the owner's certificate: exit 17, pointing to --ratls-path, nothing written"

# 2. --ratls-path over HTTPS validated with the owner's CA, evidence captured.
"$MSE" verify "localhost:$PORT" --ratls-path /.well-known/mse/ratls.pem --cacert "$O/ca.pem" \
    "${VERIFY[@]}" --save-evidence "$WORK/ev.json" --json --output "$WORK/ratls.pem" \
    >"$WORK/live.json" 2>"$WORK/live.err" || fail "--ratls-path: $(cat "$WORK/live.err")"
grep -q '"verdict": "ok"' "$WORK/live.json" || fail "--ratls-path: verdict"
grep -q "\"mrenclave\": \"$MRENCLAVE\"" "$WORK/live.json" || fail "--ratls-path: mrenclave"
[ -s "$WORK/ratls.pem" ] && [ -s "$WORK/ev.json" ] || fail "--ratls-path: certificate or evidence not written"
ok "owner mode attested with --ratls-path (HTTPS validated with the owner's CA)"

# ... without --cacert the owner's CA is unknown: a connection error, nothing written.
set +e
"$MSE" verify "localhost:$PORT" --ratls-path /.well-known/mse/ratls.pem "${VERIFY[@]}" \
    --save-evidence "$WORK/tls.json" --output "$WORK/tls.pem" >"$WORK/tls.out" 2>&1
rc=$?
set -e
[ "$rc" = 20 ] || fail "untrusted HTTPS: exit $rc: $(cat "$WORK/tls.out")"
[ ! -e "$WORK/tls.json" ] && [ ! -e "$WORK/tls.pem" ] || fail "untrusted HTTPS: something written"
ok "--ratls-path without the owner's CA: refused as a connection error, no evidence written"

# ... and inspect reads both certificates of the live app.
"$MSE" inspect "localhost:$PORT" --ratls-path /.well-known/mse/ratls.pem --cacert "$O/ca.pem" \
    --json >"$WORK/inspect-ratls.json" || fail "inspect --ratls-path"
grep -q "\"mrenclave\": \"$MRENCLAVE\"" "$WORK/inspect-ratls.json" || fail "inspect --ratls-path: mrenclave"
"$MSE" inspect "localhost:$PORT" >"$WORK/inspect-tls.txt" || fail "inspect DOMAIN"
grep -q '^key_binding: none: the certificate carries no quote' "$WORK/inspect-tls.txt" ||
    fail "inspect DOMAIN: $(cat "$WORK/inspect-tls.txt")"
ok "inspect: the published RA-TLS certificate, and the owner's TLS certificate without a quote"

# 3. --cert on the saved file.
"$MSE" verify --cert "$WORK/ratls.pem" "${VERIFY[@]}" --output "$WORK/again.pem" >"$WORK/cert.out" 2>&1 ||
    fail "--cert: $(cat "$WORK/cert.out")"
grep -q 'Verification: success' "$WORK/cert.out" || fail "--cert: $(cat "$WORK/cert.out")"
cmp -s "$WORK/ratls.pem" "$WORK/again.pem" || fail "--cert: saved another certificate"
ok "--cert verifies the saved RA-TLS certificate"

# 4. Replay the captured evidence at its recorded time: the same JSON verdict.
at=$(sed -n 's/^  "captured_at": "\(.*\)",\{0,1\}$/\1/p' "$WORK/ev.json")
[ -n "$at" ] || fail "evidence: no captured_at"
"$MSE" verify --evidence "$WORK/ev.json" --at "$at" "${POLICY[@]}" --json \
    --output "$WORK/replay.pem" >"$WORK/replay.json" 2>"$WORK/replay.err" || fail "replay: $(cat "$WORK/replay.err")"
cmp -s "$WORK/live.json" "$WORK/replay.json" || fail "replay differs: $(diff "$WORK/live.json" "$WORK/replay.json")"
ok "--save-evidence, then --evidence --at $at: the same JSON verdict"

# 5. A verdict failure still writes the evidence (the policy refuses; the evidence is genuine).
set +e
"$MSE" verify --cert "$WORK/ratls.pem" --pccs-url "$PCCS" --trust-root "$WORK/pki/root.pem" \
    --signer-key "$WORK/pki/signer.pem" --fingerprint "$(printf '00%.0s' $(seq 1 32))" --no-cache \
    --save-evidence "$WORK/refused.json" --json --output "$WORK/refused.pem" >"$WORK/refused1.json" 2>/dev/null
rc=$?
set -e
[ "$rc" = 16 ] || fail "wrong fingerprint: exit $rc"
[ -s "$WORK/refused.json" ] && [ ! -e "$WORK/refused.pem" ] || fail "refusal: evidence not written, or certificate saved"
at=$(sed -n 's/^  "captured_at": "\(.*\)",\{0,1\}$/\1/p' "$WORK/refused.json")
set +e
"$MSE" verify --evidence "$WORK/refused.json" --at "$at" --trust-root "$WORK/pki/root.pem" \
    --signer-key "$WORK/pki/signer.pem" --fingerprint "$(printf '00%.0s' $(seq 1 32))" --json \
    --output "$WORK/refused2.pem" >"$WORK/refused2.json" 2>/dev/null
rc=$?
set -e
[ "$rc" = 16 ] && cmp -s "$WORK/refused1.json" "$WORK/refused2.json" || fail "refusal replay: exit $rc"
ok "a refusal writes the evidence too, and replays to the same refusal"

# 6. A raw quote with collateral from the PCCS (by the quote's FMSPC and PCK CA), its
#    REPORTDATA checked; and the ISV policy options.
RD=$(printf '5a%.0s' $(seq 1 64))
"$SIM" quote --pki "$WORK/pki" --report-data "$RD" --mrenclave "$MRENCLAVE" --isv-prod-id 7 \
    --isv-svn 3 --out "$WORK/q.dat"
"$MSE" verify --quote "$WORK/q.dat" "${VERIFY[@]}" --report-data "$RD" --isv-prod-id 7 \
    --min-isv-svn 3 --json >"$WORK/q.json" 2>"$WORK/q.err" || fail "raw quote via PCCS: $(cat "$WORK/q.err")"
grep -q '"binding": "report_data"' "$WORK/q.json" || fail "raw quote: binding"
set +e
"$MSE" verify --quote "$WORK/q.dat" "${VERIFY[@]}" --report-data-prefix 5a5b >"$WORK/q2.out" 2>&1
rc1=$?
"$MSE" verify --quote "$WORK/q.dat" "${VERIFY[@]}" --min-isv-svn 4 >"$WORK/q3.out" 2>&1
rc2=$?
"$MSE" verify --quote "$WORK/q.dat" "${VERIFY[@]}" --isv-prod-id 8 >"$WORK/q4.out" 2>&1
rc3=$?
set -e
[ "$rc1" = 13 ] && grep -q MSE_ERR_POLICY_REPORT_DATA "$WORK/q2.out" || fail "other REPORTDATA: exit $rc1"
[ "$rc2" = 10 ] && grep -q MSE_ERR_POLICY_ISVSVN "$WORK/q3.out" || fail "ISVSVN below minimum: exit $rc2"
[ "$rc3" = 10 ] && grep -q MSE_ERR_POLICY_ISVPRODID "$WORK/q4.out" || fail "other ISVPRODID: exit $rc3"
grep -q 'nothing binds this quote' "$WORK/q3.out" || fail "raw quote without --report-data: no warning"
ok "raw quote, collateral from the PCCS: REPORTDATA, ISVPRODID and minimum ISVSVN each with its code"

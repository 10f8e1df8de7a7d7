#!/usr/bin/env bash
# mse verify DOMAIN over loopback (issue 4, acceptance 1, 2 and 4): a TLS server presenting a
# simulator RA-TLS certificate, collateral from `mse-sim pccs serve`, the certificate pinned with
# curl afterwards; every refusal writes nothing; the cache answers a second run; PCCS failures
# end in bounded time with a clear error.
source "$(dirname "$0")/libsim.sh"

MRE=$(printf 'ab%.0s' {1..32})
"$SIM" pki init "$WORK/pki" >/dev/null
"$SIM" ratls --pki "$WORK/pki" --cert "$WORK/good.pem" --key "$WORK/good.key" --mrenclave "$MRE"
"$SIM" ratls --pki "$WORK/pki" --cert "$WORK/debug.pem" --key "$WORK/debug.key" --mrenclave "$MRE" --debug
"$SIM" ratls --pki "$WORK/pki" --cert "$WORK/unbound.pem" --key "$WORK/unbound.key" --mrenclave "$MRE" --unbound-key
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -days 1 -keyout "$WORK/plain.key" -out "$WORK/plain.pem" 2>/dev/null

start_pccs pccs
start_tls good "$WORK/good.pem" "$WORK/good.key"; GOOD=$TLS_PORT
start_tls debug "$WORK/debug.pem" "$WORK/debug.key"; DEBUG=$TLS_PORT
start_tls unbound "$WORK/unbound.pem" "$WORK/unbound.key"; UNBOUND=$TLS_PORT
start_tls plain "$WORK/plain.pem" "$WORK/plain.key"; PLAIN=$TLS_PORT

common=(--pccs-url "http://127.0.0.1:$PCCS_PORT" --trust-root "$WORK/pki/root.pem"
        --signer-key "$WORK/pki/signer.pem" --timeout 5)

# Success, then the pinned call.
cd "$WORK"
"$MSE" verify "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$MRE" >"$WORK/ok.out" 2>&1 ||
    { cat "$WORK/ok.out"; fail "verify of the good server"; }
grep -q '^Checking your app...' ok.out && grep -q '^Verification: success' ok.out &&
    grep -q 'saved at: ./cert.pem' ok.out || fail "success output"
[ -s cert.pem ] && [ -s cert.pem.verify.json ] || fail "certificate or record not saved"
body=$(curl -s --max-time 10 --cacert cert.pem --resolve "localhost:$GOOD:127.0.0.1" "https://localhost:$GOOD/")
echo "$body" | grep -qi 'html' || fail "curl --cacert cert.pem did not reach the server"
# Pinning works because it is this certificate: another server's certificate is rejected.
curl -s --max-time 10 --cacert cert.pem --resolve "localhost:$DEBUG:127.0.0.1" \
    "https://localhost:$DEBUG/" >/dev/null && fail "pinned certificate accepted another server"
ok "verified, saved, and curl --cacert cert.pem reaches the app"

# 2. A second run makes zero PCCS requests.
before=$(pccs_requests "$PCCS_PORT")
"$MSE" verify "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$MRE" --output "$WORK/again.pem" >/dev/null
after=$(pccs_requests "$PCCS_PORT")
[ "$before" = "$after" ] || fail "second run made $((after - before)) PCCS requests"
# ... until nextUpdate has passed: then it refetches (and the collateral is then stale).
set +e
"$MSE" verify "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$MRE" --output "$WORK/late.pem" \
    --at "$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%SZ)" >"$WORK/late.out" 2>&1
rc=$?
set -e
later=$(pccs_requests "$PCCS_PORT")
[ "$later" -gt "$after" ] || fail "no refetch after nextUpdate"
[ "$rc" = 11 ] || fail "stale collateral: exit $rc"
[ ! -e "$WORK/late.pem" ] || fail "stale collateral: certificate written"
ok "cache: zero requests on the second run, refetch after nextUpdate"

# --offline: the cache alone answers (zero requests; the cache is kept per collateral service,
# so the same --pccs-url names it) ...
"$MSE" verify "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$MRE" --output "$WORK/offline.pem" \
    --offline >"$WORK/offline.out" 2>&1 ||
    { cat "$WORK/offline.out"; fail "--offline with a warm cache"; }
[ "$(pccs_requests "$PCCS_PORT")" = "$later" ] || fail "--offline made PCCS requests"
# ... and an empty cache is a cache miss (PCCS class), never a network fetch, nothing written.
set +e
XDG_CACHE_HOME="$WORK/empty-cache" "$MSE" verify "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$MRE" \
    --output "$WORK/miss.pem" --offline >"$WORK/miss.out" 2>&1
rc=$?
set -e
[ "$rc" = 21 ] || { cat "$WORK/miss.out"; fail "--offline cache miss: exit $rc"; }
grep -q 'MSE_ERR_CACHE_MISS\|not in the cache' "$WORK/miss.out" || { cat "$WORK/miss.out"; fail "cache miss message"; }
[ ! -e "$WORK/miss.pem" ] && [ "$(pccs_requests "$PCCS_PORT")" = "$later" ] || fail "--offline miss fetched or wrote"
ok "--offline: served from the cache, a miss refused"

# The verification record names exactly the saved DER.
der_sha=$(openssl x509 -in cert.pem -outform DER | sha256sum | cut -d' ' -f1)
grep -q "\"sha256\": *\"$der_sha\"" cert.pem.verify.json || { cat cert.pem.verify.json; fail "record sha256"; }
grep -q '"verdict": *"success"' cert.pem.verify.json || fail "record verdict"
grep -q "\"target\": *\"127.0.0.1:$GOOD\"" cert.pem.verify.json || fail "record target"
ok "verification record: sha256 of the saved DER, verdict, target"

# Refusals: exit code per class, nothing written, the previous certificate untouched.
saved=$(sha256sum cert.pem)
refuse() { # refuse EXPECTED_EXIT PATTERN ARGS...
    local want="$1" pattern="$2"
    shift 2
    set +e
    "$MSE" verify "$@" >"$WORK/refuse.out" 2>&1
    local rc=$?
    set -e
    [ "$rc" = "$want" ] || { cat "$WORK/refuse.out"; fail "exit $rc, want $want for $*"; }
    grep -q -- "$pattern" "$WORK/refuse.out" || { cat "$WORK/refuse.out"; fail "no '$pattern'"; }
    [ "$saved" = "$(sha256sum cert.pem)" ] || fail "refusal overwrote cert.pem"
}
refuse 16 MSE_ERR_POLICY_MRENCLAVE "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$(printf 'cd%.0s' {1..32})"
refuse 15 MSE_ERR_POLICY_MRSIGNER "127.0.0.1:$GOOD" --pccs-url "http://127.0.0.1:$PCCS_PORT" \
    --trust-root "$WORK/pki/root.pem" --signer-key "$MSE_TEST_DATA/real/cosmian-mse-signer.pem" --fingerprint "$MRE"
refuse 14 MSE_ERR_POLICY_DEBUG "127.0.0.1:$DEBUG" "${common[@]}" --fingerprint "$MRE"
refuse 13 MSE_ERR_BINDING_MISMATCH "127.0.0.1:$UNBOUND" "${common[@]}" --fingerprint "$MRE"
refuse 17 "does not use an enclave-generated" "127.0.0.1:$PLAIN" "${common[@]}"
refuse 10 MSE_ERR_ROOT_UNTRUSTED "127.0.0.1:$GOOD" --pccs-url "http://127.0.0.1:$PCCS_PORT" \
    --signer-key "$WORK/pki/signer.pem" --fingerprint "$MRE"
# No fingerprint: passes with the warning.
"$MSE" verify "127.0.0.1:$GOOD" "${common[@]}" --output "$WORK/nofp.pem" >"$WORK/nofp.out" 2>&1
grep -q 'Code fingerprint check skipped!' "$WORK/nofp.out" || fail "no skipped-fingerprint warning"
ok "wrong fingerprint, wrong signer, debug, unbound key, no quote, untrusted root: refused"

# 4. PCCS down, slow, 500, truncated body, wrong chain: bounded, clear, non-zero; --no-cache.
down=$(free_port)
t0=$(date +%s)
refuse 21 "cannot reach PCCS" "127.0.0.1:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$down"
start_pccs slow --delay-ms 4000
refuse 21 "timed out" "127.0.0.1:$GOOD" "${common[@]}" --no-cache --timeout 1 --pccs-url "http://127.0.0.1:$PCCS_PORT"
start_pccs e500 --fail-500
refuse 21 "HTTP 500" "127.0.0.1:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$PCCS_PORT"
start_pccs trunc --truncate-body
refuse 21 "cut short" "127.0.0.1:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$PCCS_PORT"
start_pccs reset --reset
refuse 21 "PCCS" "127.0.0.1:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$PCCS_PORT"
start_pccs wrong --wrong-chain
refuse 10 "Verification: failure" "127.0.0.1:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$PCCS_PORT"
t1=$(date +%s)
[ $((t1 - t0)) -lt 60 ] || fail "PCCS failure cases took $((t1 - t0)) s"
ok "PCCS down, slow, 500, truncated, reset, wrong chain: refused with clear errors"

# A refused answer is not cached: a PCCS that once sent a wrong issuer chain and is then fixed,
# on the same address (so the same cache), serves a successful verification at once.
start_pccs poison --wrong-chain
POISON=$PCCS_PORT
poison_pid=${PIDS[-1]}
refuse 10 "Verification: failure" "127.0.0.1:$GOOD" "${common[@]}" --pccs-url "http://127.0.0.1:$POISON"
kill "$poison_pid"
wait "$poison_pid" 2>/dev/null || true
"$SIM" pccs serve --dir "$WORK/pki" --port "$POISON" --port-file "$WORK/fixed.port" --max-seconds 120 \
    >"$WORK/fixed.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do [ -s "$WORK/fixed.port" ] && break; sleep 0.05; done
[ -s "$WORK/fixed.port" ] || fail "fixed PCCS did not start on port $POISON"
"$MSE" verify "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$MRE" --pccs-url "http://127.0.0.1:$POISON" \
    --output "$WORK/fixed.pem" >"$WORK/fixed.out" 2>&1 ||
    { cat "$WORK/fixed.out"; fail "a refused PCCS answer was cached"; }
ok "collateral refused by the verifier is not cached"

# The app server unreachable: network class.
refuse 20 "cannot connect" "127.0.0.1:$down" "${common[@]}"
echo "verify_domain: 1 passed, 0 failed"

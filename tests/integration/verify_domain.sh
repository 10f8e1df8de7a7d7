#!/usr/bin/env bash
# mse verify DOMAIN over loopback (issue 4, acceptance 1, 2 and 4; issue 13, acceptance 3 and 4):
# a TLS server presenting a simulator RA-TLS certificate (for localhost), collateral from
# `mse-sim pccs serve`, the certificate pinned with curl afterwards; every refusal writes nothing;
# the cache answers a second run and heals a damaged entry with one request; a certificate whose
# names do not cover DOMAIN's host is refused unless --no-name-check; PCCS failures end in
# bounded time with a clear error.
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
"$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" >"$WORK/ok.out" 2>&1 ||
    { cat "$WORK/ok.out"; fail "verify of the good server"; }
grep -q '^Checking your app...' ok.out && grep -q '^Verification: success' ok.out &&
    grep -q 'saved at: ./cert.pem' ok.out || fail "success output"
[ -s cert.pem ] && [ -s cert.pem.verify.json ] || fail "certificate or record not saved"
body=$(curl -s --max-time 10 --cacert cert.pem --resolve "localhost:$GOOD:127.0.0.1" "https://localhost:$GOOD/")
[[ ${body,,} == *html* ]] || fail "curl --cacert cert.pem did not reach the server"
# Pinning works because it is this certificate: another server's certificate is rejected.
curl -s --max-time 10 --cacert cert.pem --resolve "localhost:$DEBUG:127.0.0.1" \
    "https://localhost:$DEBUG/" >/dev/null && fail "pinned certificate accepted another server"
ok "verified, saved, and curl --cacert cert.pem reaches the app"

# 2. A second run makes zero PCCS requests.
before=$(pccs_requests "$PCCS_PORT")
"$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" --output "$WORK/again.pem" >/dev/null
after=$(pccs_requests "$PCCS_PORT")
[ "$before" = "$after" ] || fail "second run made $((after - before)) PCCS requests"
# ... until nextUpdate has passed: then it refetches (and the collateral is then stale).
set +e
"$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" --output "$WORK/late.pem" \
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
"$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" --output "$WORK/offline.pem" \
    --offline >"$WORK/offline.out" 2>&1 ||
    { cat "$WORK/offline.out"; fail "--offline with a warm cache"; }
[ "$(pccs_requests "$PCCS_PORT")" = "$later" ] || fail "--offline made PCCS requests"
# ... and an empty cache is a cache miss (PCCS class), never a network fetch, nothing written.
set +e
XDG_CACHE_HOME="$WORK/empty-cache" "$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" \
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
grep -q "\"target\": *\"localhost:$GOOD\"" cert.pem.verify.json || fail "record target"
grep -q '"name_check"' cert.pem.verify.json && fail "record: name_check present though the name was checked"
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
refuse 16 MSE_ERR_POLICY_MRENCLAVE "localhost:$GOOD" "${common[@]}" --fingerprint "$(printf 'cd%.0s' {1..32})"
refuse 15 MSE_ERR_POLICY_MRSIGNER "localhost:$GOOD" --pccs-url "http://127.0.0.1:$PCCS_PORT" \
    --trust-root "$WORK/pki/root.pem" --signer-key "$MSE_TEST_DATA/real/cosmian-mse-signer.pem" --fingerprint "$MRE"
refuse 14 MSE_ERR_POLICY_DEBUG "localhost:$DEBUG" "${common[@]}" --fingerprint "$MRE"
refuse 13 MSE_ERR_BINDING_MISMATCH "localhost:$UNBOUND" "${common[@]}" --fingerprint "$MRE"
refuse 17 "does not use an enclave-generated" "localhost:$PLAIN" "${common[@]}"
refuse 10 MSE_ERR_ROOT_UNTRUSTED "localhost:$GOOD" --pccs-url "http://127.0.0.1:$PCCS_PORT" \
    --signer-key "$WORK/pki/signer.pem" --fingerprint "$MRE"
# No fingerprint: passes with the warning.
"$MSE" verify "localhost:$GOOD" "${common[@]}" --output "$WORK/nofp.pem" >"$WORK/nofp.out" 2>&1
grep -q 'Code fingerprint check skipped!' "$WORK/nofp.out" || fail "no skipped-fingerprint warning"
ok "wrong fingerprint, wrong signer, debug, unbound key, no quote, untrusted root: refused"

# 4. PCCS down, slow, 500, truncated body, wrong chain: bounded, clear, non-zero; --no-cache.
down=$(free_port)
t0=$(date +%s)
refuse 21 "cannot reach PCCS" "localhost:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$down"
start_pccs slow --delay-ms 4000
refuse 21 "timed out" "localhost:$GOOD" "${common[@]}" --no-cache --timeout 1 --pccs-url "http://127.0.0.1:$PCCS_PORT"
start_pccs e500 --fail-500
refuse 21 "HTTP 500" "localhost:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$PCCS_PORT"
start_pccs trunc --truncate-body
refuse 21 "cut short" "localhost:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$PCCS_PORT"
start_pccs reset --reset
refuse 21 "PCCS" "localhost:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$PCCS_PORT"
start_pccs wrong --wrong-chain
refuse 10 "Verification: failure" "localhost:$GOOD" "${common[@]}" --no-cache --pccs-url "http://127.0.0.1:$PCCS_PORT"
t1=$(date +%s)
[ $((t1 - t0)) -lt 60 ] || fail "PCCS failure cases took $((t1 - t0)) s"
ok "PCCS down, slow, 500, truncated, reset, wrong chain: refused with clear errors"

# A refused answer is not cached: a PCCS that once sent a wrong issuer chain and is then fixed,
# on the same address (so the same cache), serves a successful verification at once.
start_pccs poison --wrong-chain
POISON=$PCCS_PORT
poison_pid=${PIDS[-1]}
refuse 10 "Verification: failure" "localhost:$GOOD" "${common[@]}" --pccs-url "http://127.0.0.1:$POISON"
kill "$poison_pid"
wait "$poison_pid" 2>/dev/null || true
"$SIM" pccs serve --dir "$WORK/pki" --port "$POISON" --port-file "$WORK/fixed.port" --max-seconds 120 \
    >"$WORK/fixed.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do [ -s "$WORK/fixed.port" ] && break; sleep 0.05; done
[ -s "$WORK/fixed.port" ] || fail "fixed PCCS did not start on port $POISON"
"$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" --pccs-url "http://127.0.0.1:$POISON" \
    --output "$WORK/fixed.pem" >"$WORK/fixed.out" 2>&1 ||
    { cat "$WORK/fixed.out"; fail "a refused PCCS answer was cached"; }
ok "collateral refused by the verifier is not cached"

# Name check (issue 13): the certificate is for localhost; dialled as 127.0.0.1 it is refused
# with the name code before any collateral request, saying what the certificate is for.
before=$(pccs_requests "$PCCS_PORT")
refuse 13 "is for DNS:localhost, not for 127.0.0.1" "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$MRE" \
    --pccs-url "http://127.0.0.1:$PCCS_PORT" --output "$WORK/byip.pem"
grep -q 'is for DNS:localhost, not for 127.0.0.1' "$WORK/refuse.out" || { cat "$WORK/refuse.out"; fail "name message"; }
[ ! -e "$WORK/byip.pem" ] && [ ! -e "$WORK/byip.pem.verify.json" ] || fail "name mismatch: saved"
[ "$(pccs_requests "$PCCS_PORT")" = "$before" ] || fail "name mismatch: PCCS requests made"
# ... accepted with --no-name-check, and the record says so.
"$MSE" verify "127.0.0.1:$GOOD" "${common[@]}" --fingerprint "$MRE" --pccs-url "http://127.0.0.1:$PCCS_PORT" \
    --no-name-check --output "$WORK/byip.pem" >"$WORK/byip.out" 2>&1 || { cat "$WORK/byip.out"; fail "--no-name-check"; }
grep -q '"name_check": *"skipped (--no-name-check)"' "$WORK/byip.pem.verify.json" ||
    { cat "$WORK/byip.pem.verify.json"; fail "record does not say --no-name-check"; }
# ... which only makes sense with a DOMAIN.
refuse 2 "no-name-check goes with a DOMAIN" --evidence "$WORK/none.json" --no-name-check
ok "name check: 127.0.0.1 refused for a localhost certificate (exit 13), --no-name-check recorded"

# Self-healing cache (issue 13, acceptance 4): a damaged cached item is evicted and fetched once
# more in the same run; the verdict then rests on the fresh copy.
start_pccs heal
HEAL=$PCCS_PORT
HEAL_URL="http://127.0.0.1:$HEAL"
heal_pid=${PIDS[-1]}
HDIR="$XDG_CACHE_HOME/mse/$(printf '%s' "$HEAL_URL" | sha256sum | cut -c1-16)"
heal_verify() { # heal_verify OUTPUT [options]: a verification against the heal PCCS, must succeed
    local out="$1"
    shift
    "$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" --pccs-url "$HEAL_URL" \
        --output "$WORK/$out.pem" "$@" >"$WORK/$out.out" 2>&1 || { cat "$WORK/$out.out"; fail "$out"; }
}
heal_verify heal-warm
TCB=$(ls "$HDIR"/tcb-*.body)
cp "$TCB" "$WORK/tcb.good"
cp "$HDIR/pckcrl-platform.chain" "$WORK/pckcrl-chain.good" 2>/dev/null ||
    cp "$HDIR/pckcrl-processor.chain" "$WORK/pckcrl-chain.good"
PCKCHAIN=$(ls "$HDIR"/pckcrl-*.chain)
# damage NAME COMMAND...: run COMMAND to damage the cache, then one verification: success with
# exactly one PCCS request, the damaged file repaired, the healing said.
damage() {
    local name="$1" n0
    shift
    "$@"
    n0=$(pccs_requests "$HEAL")
    heal_verify "heal-$name"
    [ "$(pccs_requests "$HEAL")" = $((n0 + 1)) ] ||
        fail "$name: $(( $(pccs_requests "$HEAL") - n0 )) PCCS requests, want exactly 1"
    grep -q 'failed verification: evicted and fetched again' "$WORK/heal-$name.out" ||
        { cat "$WORK/heal-$name.out"; fail "$name: healing not reported"; }
    cmp -s "$TCB" "$WORK/tcb.good" && cmp -s "$PCKCHAIN" "$WORK/pckcrl-chain.good" ||
        fail "$name: cache not repaired"
}
# One hex digit of the TCB info signature (the last digit: whatever it is, it becomes another).
flip_signature() {
    sed -i -E 's/("signature" *: *"[0-9a-fA-F]*)[1-9a-fA-F]"/\10"/; t; s/("signature" *: *"[0-9a-fA-F]*)0"/\11"/' "$TCB"
    ! cmp -s "$TCB" "$WORK/tcb.good" || fail "signature digit not changed"
}
edit_status() {
    sed -i -E '0,/"tcbStatus" *: *"UpToDate"/s//"tcbStatus":"OutOfDate"/' "$TCB"
    ! cmp -s "$TCB" "$WORK/tcb.good" || fail "tcbStatus not edited"
}
garble_chain() { head -c 300 /dev/urandom >"$PCKCHAIN"; }
damage signature flip_signature
damage tcbstatus edit_status
damage chain garble_chain
ok "cache: a flipped signature digit, an edited tcbStatus, a garbled chain file each healed with one request"

# --offline cannot fetch: the damaged entry is evicted, the verdict says it came from the cache.
flip_signature
set +e
"$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" --pccs-url "$HEAL_URL" --offline \
    --output "$WORK/heal-offline.pem" >"$WORK/heal-offline.out" 2>&1
rc=$?
set -e
[ "$rc" = 10 ] || { cat "$WORK/heal-offline.out"; fail "--offline with a damaged entry: exit $rc"; }
grep -q 'TCB info from the cache, --offline; the entry was evicted' "$WORK/heal-offline.out" ||
    { cat "$WORK/heal-offline.out"; fail "--offline damaged entry message"; }
[ ! -e "$TCB" ] || fail "--offline: damaged entry not evicted"
heal_verify heal-refill
cmp -s "$TCB" "$WORK/tcb.good" || fail "entry not refilled"

# A fresh copy that fails too: the verdict names the collateral and says the PCCS sent it.
flip_signature
kill "$heal_pid"
wait "$heal_pid" 2>/dev/null || true
"$SIM" pccs serve --dir "$WORK/pki" --port "$HEAL" --port-file "$WORK/heal2.port" --max-seconds 120 \
    --wrong-chain >"$WORK/heal2.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$WORK/heal2.port" ] && break; sleep 0.05; done
[ -s "$WORK/heal2.port" ] || fail "second heal PCCS did not start on port $HEAL"
set +e
"$MSE" verify "localhost:$GOOD" "${common[@]}" --fingerprint "$MRE" --pccs-url "$HEAL_URL" \
    --output "$WORK/heal-bad.pem" >"$WORK/heal-bad.out" 2>&1
rc=$?
set -e
[ "$rc" = 10 ] || { cat "$WORK/heal-bad.out"; fail "fresh copy failing too: exit $rc"; }
grep -q 'TCB info as the PCCS sends it' "$WORK/heal-bad.out" || { cat "$WORK/heal-bad.out"; fail "blame message"; }
[ "$(pccs_requests "$HEAL")" = 1 ] || fail "fresh copy failing too: $(pccs_requests "$HEAL") requests, want 1"
[ ! -e "$WORK/heal-bad.pem" ] || fail "fresh copy failing too: saved"
ok "cache: --offline evicts a damaged entry; a fresh copy that fails too is blamed on the PCCS"

# The app server unreachable: network class.
refuse 20 "cannot connect" "127.0.0.1:$down" "${common[@]}"
echo "verify_domain: 1 passed, 0 failed"

#!/usr/bin/env bash
# mse verify against a PCCS that answers with something other than the collateral (issue 14):
# a captive portal's page instead of an item is a PCCS failure (exit 21) that names the item and
# what it should have been; HTTP 429 with a Retry-After that fits in the timeout is retried once
# (and only once), one that does not fit is not waited for. Nothing is saved on a refusal; the
# sim PCCS server's request counter shows each request made.
source "$(dirname "$0")/libsim.sh"

MRE=$(printf 'ab%.0s' {1..32})
"$SIM" pki init "$WORK/pki" >/dev/null
"$SIM" ratls --pki "$WORK/pki" --cert "$WORK/good.pem" --key "$WORK/good.key" --mrenclave "$MRE"
start_tls good "$WORK/good.pem" "$WORK/good.key"
APP="localhost:$TLS_PORT"
common=(--trust-root "$WORK/pki/root.pem" --signer-key "$WORK/pki/signer.pem" --fingerprint "$MRE"
        --no-cache --timeout 15)
cd "$WORK"

# run NAME EXPECTED_EXIT [faults...]: a fresh PCCS with these faults, one verification (under
# the command prefix in RUN_ENV, empty or an env); sets OUT, REQUESTS and SECONDS_TAKEN.
RUN_ENV=()
run() {
    local name="$1" want="$2" rc t0
    shift 2
    start_pccs "$name" "$@"
    t0=$(date +%s)
    set +e
    "${RUN_ENV[@]}" "$MSE" verify "$APP" "${common[@]}" --pccs-url "http://127.0.0.1:$PCCS_PORT" \
        --output "$WORK/$name.pem" >"$WORK/$name.out" 2>&1
    rc=$?
    set -e
    SECONDS_TAKEN=$(( $(date +%s) - t0 ))
    OUT="$WORK/$name.out"
    REQUESTS=$(pccs_requests "$PCCS_PORT")
    [ "$rc" = "$want" ] || { cat "$OUT"; fail "$name: exit $rc, want $want"; }
    if [ "$want" != 0 ] && [ -e "$WORK/$name.pem" ]; then fail "$name: refused but saved"; fi
}

# 1. Not the collateral asked for: PCCS class, the item and what it should be named.
run portal-rootcacrl 21 --not-collateral rootcacrl
grep -q 'PCCS answer for Root CA CRL is not a CRL: ' "$OUT" || { cat "$OUT"; fail "rootcacrl message"; }
grep -q 'Network login' "$OUT" || { cat "$OUT"; fail "no excerpt of what came instead"; }
run portal-tcb 21 --not-collateral tcb
grep -q 'PCCS answer for TCB info is not TCB info JSON: ' "$OUT" || { cat "$OUT"; fail "tcb message"; }
run portal-qe 21 --not-collateral qe-identity
grep -q 'PCCS answer for QE identity is not QE identity JSON: ' "$OUT" || { cat "$OUT"; fail "qe message"; }
run portal-pckcrl 21 --not-collateral pckcrl
grep -q 'PCCS answer for PCK CRL is not a CRL: ' "$OUT" || { cat "$OUT"; fail "pckcrl message"; }
ok "answers that are not collateral: exit 21, the item named, nothing saved"

# 2. 429 with Retry-After: 1 on the first four requests: one retry each, then success.
run ratelimited-once 0 --too-many 4 --retry-after 1
[ "$REQUESTS" = 8 ] || fail "429 once: $REQUESTS requests, want 8 (4, then each retried once)"
[ -s "$WORK/ratelimited-once.pem" ] || fail "429 once: nothing saved"
# ... 429 again after the retry: refused, no second retry.
run ratelimited-always 21 --too-many 1000 --retry-after 1
[ "$REQUESTS" = 8 ] || fail "429 twice: $REQUESTS requests, want 8 (one retry only)"
grep -q 'HTTP 429 for .*again after waiting 1 s' "$OUT" || { cat "$OUT"; fail "429 twice message"; }
# ... a Retry-After beyond the timeout (15 s) is not waited for.
run ratelimited-long 21 --too-many 1000 --retry-after 30
[ "$REQUESTS" = 4 ] || fail "Retry-After 30: $REQUESTS requests, want 4"
[ "$SECONDS_TAKEN" -lt 25 ] || fail "Retry-After 30 with --timeout 15 waited ${SECONDS_TAKEN} s"
grep -q 'Retry-After 30 s does not fit in the timeout' "$OUT" || { cat "$OUT"; fail "long Retry-After message"; }
# ... no Retry-After: no retry.
run ratelimited-bare 21 --too-many 1000
[ "$REQUESTS" = 4 ] || fail "429 without Retry-After: $REQUESTS requests, want 4"
grep -q 'HTTP 429' "$OUT" || { cat "$OUT"; fail "429 message"; }
ok "429: Retry-After honoured once within the timeout, never beyond it"

# 5. A libcurl.so.4 that is not libcurl (mse opens it at the first request, src/net/curl_api.c):
# one error naming libcurl and its Debian package, before any request; nothing saved.
mkdir -p "$WORK/nocurl"
echo 'int mse_test_not_curl;' | cc -shared -fPIC -x c - -o "$WORK/nocurl/libcurl.so.4" ||
    fail "cannot build the stand-in library"
RUN_ENV=(env "LD_LIBRARY_PATH=$WORK/nocurl")
run nocurl 1
RUN_ENV=()
grep -q 'cannot load libcurl, which mse needs for HTTP (Debian package libcurl4): libcurl.so.4 has no curl_easy_init' \
    "$OUT" || { cat "$OUT"; fail "no libcurl: message"; }
[ "$REQUESTS" = 0 ] || fail "no libcurl: $REQUESTS request(s) made"
ok "a libcurl that cannot be loaded is one error naming it, before any request"
echo "verify_pccs_faults: passed"

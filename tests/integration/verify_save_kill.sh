#!/usr/bin/env bash
# kill -9 campaign against `mse verify` while it saves (issue 13, acceptance 5): two servers with
# different certificates, the same --output, each run killed at a random instant. After every
# round a record, when there is one, names the certificate beside it (the SHA-256 of its DER);
# it is never beside another certificate. After one more complete run there is no temporary file
# left, in the output directory or in the collateral cache. Bounded: 100 rounds or 60 s.
source "$(dirname "$0")/libsim.sh"
trap '' PIPE

MRE=$(printf 'ab%.0s' {1..32})
"$SIM" pki init "$WORK/pki" >/dev/null
for s in a b; do
    "$SIM" ratls --pki "$WORK/pki" --cert "$WORK/$s.pem" --key "$WORK/$s.key" --mrenclave "$MRE"
done
start_pccs pccs
start_tls a "$WORK/a.pem" "$WORK/a.key"; PORT_A=$TLS_PORT
start_tls b "$WORK/b.pem" "$WORK/b.key"; PORT_B=$TLS_PORT
mkdir -p "$WORK/save"
OUT="$WORK/save/cert.pem"
args=(--pccs-url "http://127.0.0.1:$PCCS_PORT" --trust-root "$WORK/pki/root.pem"
      --signer-key "$WORK/pki/signer.pem" --fingerprint "$MRE" --timeout 10 --quiet --output "$OUT")

der_sha() { openssl x509 -in "$1" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
record_sha() { sed -n 's/.*"sha256": *"\([0-9a-f]*\)".*/\1/p' "$1"; }
# consistent: a record, if any, names the certificate beside it; no record without a certificate.
consistent() {
    [ -e "$OUT.verify.json" ] || return 0
    [ -e "$OUT" ] || { echo "a record without a certificate"; return 1; }
    local want got
    want=$(der_sha "$OUT")
    got=$(record_sha "$OUT.verify.json")
    [ "$want" = "$got" ] || { echo "record $got beside certificate $want"; return 1; }
}

# A complete run first: warm cache (each round is then quick) and its duration for the delays.
t0=$(date +%s%N)
"$MSE" verify "localhost:$PORT_A" "${args[@]}" || fail "first verification"
run_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$run_ms" -ge 1 ] || run_ms=1
consistent || fail "after a complete run"

pairs=0 bare=0 none=0 rounds=0
# 60 s: well inside the 120 s the test servers live (libsim.sh), whatever the load.
deadline=$(( $(date +%s) + 60 ))
for round in $(seq 1 100); do
    [ "$(date +%s)" -lt "$deadline" ] || break
    port=$PORT_A
    [ $((round % 2)) = 0 ] && port=$PORT_B
    "$MSE" verify "localhost:$port" "${args[@]}" >/dev/null 2>&1 &
    pid=$!
    # A random instant within (a little beyond) one run: mostly before, during and after saving.
    delay=$(( RANDOM % (run_ms + run_ms / 5 + 1) ))
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    why=$(consistent) || fail "round $round (killed after ${delay} ms): $why"
    if [ -e "$OUT.verify.json" ]; then pairs=$((pairs + 1))
    elif [ -e "$OUT" ]; then bare=$((bare + 1))
    else none=$((none + 1)); fi
    rounds=$round
done
[ "$rounds" -ge 10 ] || fail "only $rounds rounds in 60 s"
left=$(find "$WORK/save" "$XDG_CACHE_HOME" -name '*.tmp.*' | wc -l)
echo "kill -9 campaign: $rounds rounds (run ${run_ms} ms): $pairs certificate+record, $bare certificate" \
     "without record, $none nothing saved; $left temporary files left by killed runs"

# The next complete run leaves a consistent pair and no temporary file anywhere.
"$MSE" verify "localhost:$PORT_B" "${args[@]}" || fail "verification after the campaign"
consistent || fail "after the campaign's last run"
[ "$(der_sha "$OUT")" = "$(der_sha "$WORK/b.pem")" ] || fail "the last run's certificate is not saved"
stale=$(find "$WORK/save" "$XDG_CACHE_HOME" -name '*.tmp.*')
[ -z "$stale" ] || fail "temporary files left after a complete run: $stale"
ok "kill -9 campaign: cert/record consistent after every round, no temporary file after the next run"

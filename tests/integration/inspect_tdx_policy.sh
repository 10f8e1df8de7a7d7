#!/usr/bin/env bash
# Issue 12, acceptance 1, 5 and 6, through the mse command:
#  - mse inspect on the real MSE RA-TLS certificate shows MRSIGNER, MRENCLAVE, the debug
#    flag and the key binding (also --json); a truncated quote is named by field;
#  - a TDX RA-TLS certificate (OID 1.2.840.113741.1337.8, quote v4 with TEE type 0x81,
#    made here with openssl) is refused with the TDX code (exit 18) and shown by inspect;
#  - the effective policy printed by --json loads back with --policy and gives the same
#    verdict, byte for byte.
set -euo pipefail
: "${MSE_BUILD_DIR:?}" "${MSE_TEST_DATA:?}"
MSE="$MSE_BUILD_DIR/mse"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mse-inspect-test.XXXXXX")"
source "$(dirname "$0")/libcommon.sh"
R="$MSE_TEST_DATA/real"

# 1. The real certificate.
"$MSE" inspect "$R/mse-ratls-cert.pem" >"$WORK/i.txt"
[[ $(head -n 1 "$WORK/i.txt") == "NOT VERIFIED"* ]] || fail "inspect: no not-verified header"
grep -q 'mrsigner: c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5' "$WORK/i.txt" ||
    fail "inspect: MRSIGNER"
grep -q 'mrenclave: 0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b' "$WORK/i.txt" ||
    fail "inspect: MRENCLAVE"
grep -q '^    debug: false' "$WORK/i.txt" || fail "inspect: debug flag"
grep -q '^key_binding: mse' "$WORK/i.txt" || fail "inspect: key binding"
"$MSE" inspect "$R/mse-ratls-cert.der" --json >"$WORK/i.json"
grep -q '"notice": "nothing here is verified' "$WORK/i.json" || fail "inspect --json: notice"
grep -q '"key_binding": "mse"' "$WORK/i.json" || fail "inspect --json: key binding"
grep -q '"mrsigner": "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5"' "$WORK/i.json" ||
    fail "inspect --json: MRSIGNER"
grep -q '"debug": false' "$WORK/i.json" || fail "inspect --json: debug"
ok "inspect: the real certificate's identity, debug flag and key binding"
head -c 1000 "$R/mse-quote.dat" >"$WORK/cut.dat"
set +e
"$MSE" inspect "$WORK/cut.dat" >"$WORK/cut.out" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] || fail "truncated quote: exit $rc"
grep -q 'quote truncated at offset 436 (signature_data)' "$WORK/cut.out" || fail "truncated: $(cat "$WORK/cut.out")"
ok "inspect: a truncated quote names the offset and field"

# 2. A TDX RA-TLS certificate.
hex=$(od -An -v -tx1 "$MSE_TEST_DATA/synthetic/tdx-v4-quote.dat" | tr -d ' \n')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=tdx.example \
    -days 1 -keyout "$WORK/tdx.key" -out "$WORK/tdx.pem" \
    -addext "1.2.840.113741.1337.8=DER:$hex" 2>/dev/null
set +e
"$MSE" verify --cert "$WORK/tdx.pem" --offline \
    --output "$WORK/never.pem" >"$WORK/tdx.out" 2>&1
rc=$?
set -e
[ "$rc" = 18 ] || fail "TDX certificate: exit $rc: $(cat "$WORK/tdx.out")"
grep -q 'MSE_ERR_QUOTE_TDX' "$WORK/tdx.out" || fail "TDX certificate: code not named"
[ ! -e "$WORK/never.pem" ] || fail "TDX certificate saved"
set +e
"$MSE" verify --quote "$MSE_TEST_DATA/synthetic/tdx-v4-quote.dat" --collateral "$R/qvl" \
    >"$WORK/tdxq.out" 2>&1
rc=$?
set -e
[ "$rc" = 18 ] || fail "TDX raw quote: exit $rc"
"$MSE" inspect "$WORK/tdx.pem" --json >"$WORK/tdx.json"
grep -q '"tee": "TDX"' "$WORK/tdx.json" || fail "inspect TDX: tee"
grep -q "\"mr_td\": \"$(printf '11%.0s' $(seq 48))\"" "$WORK/tdx.json" || fail "inspect TDX: MRTD"
for i in 0 1 2 3; do
    grep -q "\"rtmr$i\": \"$(printf "2$i%.0s" $(seq 48))\"" "$WORK/tdx.json" || fail "inspect TDX: RTMR$i"
done
grep -q "\"report_data\": \"$(printf '77%.0s' $(seq 64))\"" "$WORK/tdx.json" || fail "inspect TDX: REPORTDATA"
grep -q '"td_attributes": "0x0000000000000001"' "$WORK/tdx.json" || fail "inspect TDX: TD attributes"
ok "TDX: refused with exit 18 (certificate and raw quote), shown by inspect"

# 3. Policy round trip: the effective policy of one run, given back with --policy.
ev=(--evidence "$R/mse-home-evidence.json" --at 2023-06-25T00:00:00Z --no-cache)
"$MSE" verify "${ev[@]}" --signer-key "$R/cosmian-mse-signer.pem" --allow-expired-collateral \
    --accept-advisories INTEL-SA-00586,INTEL-SA-00614,INTEL-SA-00615,INTEL-SA-00657,INTEL-SA-00730,INTEL-SA-00738,INTEL-SA-00767 \
    --isv-prod-id 1 --min-isv-svn 10 --fingerprint 0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b \
    --json --output "$WORK/a.pem" >"$WORK/v1.json"
grep -q '"verdict": "ok"' "$WORK/v1.json" || fail "policy: first run"
awk '/^  "policy": \{/ {on=1; print "{"; next} on && /^  \}/ {print "}"; on=0; next} on {print}' \
    "$WORK/v1.json" >"$WORK/policy.json"
grep -q '"min_isv_svn": 10' "$WORK/policy.json" || fail "policy: not extracted"
"$MSE" verify "${ev[@]}" --policy "$WORK/policy.json" --json --output "$WORK/b.pem" >"$WORK/v2.json"
cmp -s "$WORK/v1.json" "$WORK/v2.json" || fail "policy round trip: $(diff "$WORK/v1.json" "$WORK/v2.json")"
# ... and a stricter file refuses with the policy's own code.
sed 's/"min_isv_svn": 10/"min_isv_svn": 11/' "$WORK/policy.json" >"$WORK/strict.json"
set +e
"$MSE" verify "${ev[@]}" --policy "$WORK/strict.json" --output "$WORK/c.pem" >"$WORK/v3.out" 2>&1
rc=$?
set -e
[ "$rc" = 10 ] && grep -q MSE_ERR_POLICY_ISVSVN "$WORK/v3.out" || fail "stricter policy: exit $rc"
sed 's/"min_isv_svn"/"min_isv_svm"/' "$WORK/policy.json" >"$WORK/typo.json"
set +e
"$MSE" verify "${ev[@]}" --policy "$WORK/typo.json" >"$WORK/v4.out" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] && grep -q '"min_isv_svm": unknown key' "$WORK/v4.out" || fail "misspelt policy key: exit $rc $(cat "$WORK/v4.out")"
ok "policy: --json's effective policy loads back with --policy, same verdict byte for byte"

# 4. A raw quote given as --evidence points to --quote instead of stopping at "malformed JSON".
set +e
"$MSE" verify --evidence "$R/mse-quote.dat" >"$WORK/ev-quote.out" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] && grep -q 'use --quote FILE' "$WORK/ev-quote.out" || fail "--evidence quote.dat: exit $rc"
ok "--evidence on a raw quote points to --quote"

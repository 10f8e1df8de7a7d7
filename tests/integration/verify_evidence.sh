#!/usr/bin/env bash
# mse verify --evidence on the genuine Intel-signed MSE evidence (issue 2, acceptance 1 and 2):
# exit codes, decisive messages, warnings, identity in --json, and that nothing is written on
# failure while success writes the certificate and its record.
set -euo pipefail
mse="$MSE_BUILD_DIR/mse"
data="$MSE_TEST_DATA/real"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ev=(--evidence "$data/mse-home-evidence.json" --signer-key "$data/cosmian-mse-signer.pem" --no-cache)
out="$work/cert.pem"

# 1a. Strict at 2023-06-25: refused, the expired PCK CRL and its date decisive, nothing written.
set +e
"$mse" verify "${ev[@]}" --at 2023-06-25T00:00:00Z --output "$out" >"$work/o1" 2>&1
rc=$?
set -e
[ "$rc" = 11 ] || fail "strict: exit $rc, want 11 (collateral)"
grep -q 'MSE_ERR_CRL_EXPIRED: .*PCK CRL expired: nextUpdate 2023-06-15T23:55:41Z' "$work/o1" ||
    fail "strict: decisive message"
[ ! -e "$out" ] && [ ! -e "$out.verify.json" ] || fail "strict: something was written"

# 1b. Expired collateral tolerated: the real TCB status (OutOfDate) refuses under the default policy.
set +e
"$mse" verify "${ev[@]}" --at 2023-06-25T00:00:00Z --allow-expired-collateral --output "$out" \
    >"$work/o2" 2>&1
rc=$?
set -e
[ "$rc" = 12 ] || fail "tolerated: exit $rc, want 12 (TCB)"
grep -q 'warning: expired collateral tolerated' "$work/o2" || fail "tolerated: no warning"
grep -q 'PCK CRL expired: nextUpdate 2023-06-15T23:55:41Z' "$work/o2" || fail "tolerated: PCK CRL not named"
grep -q 'MSE_ERR_TCB_STATUS: .*OutOfDate' "$work/o2" || fail "tolerated: TCB status not decisive"
grep -q 'INTEL-SA-00615' "$work/o2" || fail "tolerated: advisories missing"
[ ! -e "$out" ] || fail "tolerated: something was written"

# 1c. ... and --allow-tcb OutOfDate passes, with the identity in --json and the certificate saved.
"$mse" verify "${ev[@]}" --at 2023-06-25T00:00:00Z --allow-expired-collateral \
    --allow-tcb OutOfDate --json --output "$out" >"$work/o3"
grep -q '"verdict": "ok"' "$work/o3" || fail "accepted: verdict"
grep -q '"mrenclave": "0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b"' "$work/o3" ||
    fail "accepted: mrenclave"
grep -q '"mrsigner": "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5"' "$work/o3" ||
    fail "accepted: mrsigner"
grep -q '"tcb_status": "OutOfDate"' "$work/o3" || fail "accepted: tcb_status"
openssl x509 -in "$out" -noout || fail "accepted: saved certificate unreadable"
want=$(sha256sum <"$data/mse-ratls-cert.der" | cut -d' ' -f1)
got=$(openssl x509 -in "$out" -outform DER | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "accepted: saved certificate is not the verified one"
grep -q "\"sha256\": \"$got\"" "$out.verify.json" || fail "accepted: record"

# 1d. Wrong fingerprint and wrong signer are refused with their own codes, nothing overwritten.
before=$(sha256sum "$out")
set +e
"$mse" verify "${ev[@]}" --at 2023-06-25T00:00:00Z --allow-expired-collateral --allow-tcb OutOfDate \
    --fingerprint "$(printf '%064d' 0)" --output "$out" >/dev/null 2>&1
[ $? = 16 ] || fail "fingerprint mismatch exit"
"$mse" verify --evidence "$data/mse-home-evidence.json" --mrsigner "$(printf '%064d' 1)" --no-cache \
    --at 2023-06-25T00:00:00Z --allow-expired-collateral --allow-tcb OutOfDate --output "$out" >/dev/null 2>&1
[ $? = 15 ] || fail "signer mismatch exit"
set -e
[ "$before" = "$(sha256sum "$out")" ] || fail "a failure overwrote the saved certificate"

# 1e. Before the collateral was issued: --allow-expired-collateral tolerates expiry only, so the
# items not yet valid refuse with their own code (issue 13, acceptance 2), nothing written.
set +e
"$mse" verify "${ev[@]}" --at 2021-01-01T00:00:00Z --allow-expired-collateral --allow-tcb OutOfDate \
    --output "$work/early.pem" >"$work/o5" 2>&1
rc=$?
set -e
[ "$rc" = 11 ] || fail "not yet valid: exit $rc, want 11"
grep -q 'MSE_ERR_COLLATERAL_NOT_YET_VALID: .*QE identity not yet valid: issueDate 2023-06-20T00:24:02Z' \
    "$work/o5" || fail "not yet valid: decisive message"
[ ! -e "$work/early.pem" ] && [ ! -e "$work/early.pem.verify.json" ] || fail "not yet valid: something was written"

# 1f. The expired RA-TLS certificate is never tolerated: its own code, nothing written.
set +e
"$mse" verify "${ev[@]}" --at 2026-11-23T00:00:00Z --allow-expired-collateral --allow-tcb OutOfDate \
    --output "$work/late.pem" >"$work/o6" 2>&1
rc=$?
set -e
[ "$rc" = 11 ] || fail "expired RA-TLS certificate: exit $rc, want 11"
grep -q 'MSE_ERR_RATLS_CERT_VALIDITY: .*RA-TLS certificate expired: notAfter 2024-04-26T09:38:33Z' \
    "$work/o6" || fail "expired RA-TLS certificate: decisive message"
[ ! -e "$work/late.pem" ] || fail "expired RA-TLS certificate: something was written"

# 2. Today: refused as collateral expired, naming each expired item.
set +e
"$mse" verify "${ev[@]}" --at 2026-11-23T00:00:00Z --output "$work/today.pem" >"$work/o4" 2>&1
rc=$?
set -e
[ "$rc" = 11 ] || fail "today: exit $rc"
for item in 'PCK CRL' 'Root CA CRL' 'TCB info' 'QE identity' 'TCB signing certificate'; do
    grep -q "$item expired" "$work/o4" || fail "today: $item not named"
done
[ ! -e "$work/today.pem" ] || fail "today: something was written"

# Usage errors.
set +e
"$mse" verify "${ev[@]}" --fingerprint abc >/dev/null 2>&1; [ $? = 2 ] || fail "bad fingerprint"
"$mse" verify "${ev[@]}" --at yesterday >/dev/null 2>&1; [ $? = 2 ] || fail "bad --at"
"$mse" verify >/dev/null 2>&1; [ $? = 2 ] || fail "no target"
set -e
# An output that is not a regular file (a symbolic link, which the save would
# replace rather than write through; a FIFO; a directory as the record) is
# refused before any verification, naming what it is; nothing is touched.
ok=(--at 2023-06-25T00:00:00Z --allow-expired-collateral --allow-tcb OutOfDate)
printf 'keep\n' >"$work/target"
ln -s "$work/target" "$work/link.pem"
mkfifo "$work/fifo.pem"
mkdir "$work/dir.pem.verify.json"
for case in "link.pem:link.pem:a symbolic link" "fifo.pem:fifo.pem:a FIFO" \
    "dir.pem:dir.pem.verify.json:a directory"; do
    IFS=: read -r given named kind <<<"$case"
    set +e
    timeout 60 "$mse" verify "${ev[@]}" "${ok[@]}" --output "$work/$given" >"$work/o5" 2>&1
    rc=$?
    set -e
    [ "$rc" = 22 ] || fail "$given: exit $rc, want 22: $(cat "$work/o5")"
    grep -qxF "error: cannot save at $work/$named: it is $kind, not a regular file (give --output a file name, or remove it) (MSE_ERR_FILE_WRITE)" "$work/o5" ||
        fail "$given: message: $(cat "$work/o5")"
    grep -q 'Checking your app' "$work/o5" && fail "$given: verified before refusing the output"
done
[ "$(cat "$work/target")" = keep ] && [ -L "$work/link.pem" ] && [ -p "$work/fifo.pem" ] ||
    fail "a refused output was touched"
[ ! -e "$work/link.pem.verify.json" ] && [ ! -e "$work/fifo.pem.verify.json" ] &&
    [ ! -e "$work/dir.pem" ] || fail "a refused output left a file"

# Another user's file at the output in a sticky directory (/tmp) cannot be
# replaced: refused before verifying, naming its owner (as root, run as nobody).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chmod 0711 "$work"
    mkdir -m 1777 "$work/sticky"
    printf 'planted\n' >"$work/sticky/cert.pem"
    chown 12345:12345 "$work/sticky/cert.pem"
    set +e
    timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups "$mse" verify "${ev[@]}" "${ok[@]}" \
        --output "$work/sticky/cert.pem" >"$work/o6" 2>&1
    rc=$?
    set -e
    [ "$rc" = 22 ] || fail "sticky: exit $rc, want 22: $(cat "$work/o6")"
    grep -qxF "error: cannot save at $work/sticky/cert.pem: it belongs to another user (uid 12345) and the directory is sticky, so it cannot be replaced (give --output a path of your own) (MSE_ERR_FILE_WRITE)" "$work/o6" ||
        fail "sticky: message: $(cat "$work/o6")"
    grep -q 'Checking your app' "$work/o6" && fail "sticky: verified before refusing the output"
    [ "$(cat "$work/sticky/cert.pem")" = planted ] || fail "sticky: the file changed"
fi

echo "verify_evidence: 1 passed, 0 failed"

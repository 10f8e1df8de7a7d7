#!/usr/bin/env bash
# Issue 3, acceptance 2: OpenSSL's own verifier (a tool nobody here wrote) accepts the
# simulator's PCK chain with its CRLs, and rejects a revoked leaf and a revoked PCK CA.
# Also: the PCCS directory's DER CRLs are the same CRLs, and the TCB signing certificate
# chains to the same root.
source "$(dirname "$0")/libsim.sh"

pki() { # dir [pki init options]
    local d="$WORK/$1"
    shift
    "$SIM" pki init "$d" "$@" >"$WORK/pki.log" 2>&1 || fail "pki init $*"
}
# rc of openssl verify for dir's leaf with the given mode and CRL files.
ossl() { # dir mode crl...
    local d="$WORK/$1" mode="$2" args=() c rc
    shift 2
    for c in "$@"; do args+=(-CRLfile "$d/$c"); done
    set +e
    openssl verify "$mode" -CAfile "$d/root.pem" -untrusted "$d/pck-ca.pem" "${args[@]}" \
        "$d/pck.pem" >"$WORK/ossl.log" 2>&1
    rc=$?
    set -e
    echo "$rc"
}
crls=(root-ca-crl.pem pck-crl.pem)

pki good
[ "$(ossl good -crl_check "${crls[@]}")" = 0 ] || fail "good chain refused: $(cat "$WORK/ossl.log")"
[ "$(ossl good -crl_check_all "${crls[@]}")" = 0 ] || fail "good chain refused (crl_check_all)"
# The CRLs are really consulted: without the PCK CRL the leaf cannot be checked.
[ "$(ossl good -crl_check root-ca-crl.pem)" != 0 ] || fail "accepted without the PCK CRL"
grep -q 'unable to get certificate CRL' "$WORK/ossl.log" || fail "missing CRL: $(cat "$WORK/ossl.log")"
ok "PCK chain accepted with its CRLs"

# The PCCS copies are the same CRLs in DER.
for pair in "rootcacrl.der root-ca-crl.pem" "pckcrl-processor.der pck-crl.pem"; do
    set -- $pair
    a=$(openssl crl -inform DER -in "$WORK/good/pccs/$1" -outform DER | sha256sum)
    b=$(openssl crl -in "$WORK/good/$2" -outform DER | sha256sum)
    [ "$a" = "$b" ] || fail "pccs/$1 differs from $2"
done
openssl verify -CAfile "$WORK/good/root.pem" "$WORK/good/tcb-signing.pem" >/dev/null ||
    fail "TCB signing certificate does not chain to the root"
ok "PCCS CRLs match; TCB signing certificate chains to the root"

pki revoked --revoke-pck
[ "$(ossl revoked -crl_check "${crls[@]}")" != 0 ] || fail "revoked leaf accepted"
grep -q 'certificate revoked' "$WORK/ossl.log" || fail "revoked leaf: $(cat "$WORK/ossl.log")"
grep -q 'error 23 at 0 depth' "$WORK/ossl.log" || fail "revoked leaf: not the leaf"
ok "revoked PCK leaf rejected"

pki revoked-ca --revoke-pck-ca
[ "$(ossl revoked-ca -crl_check_all "${crls[@]}")" != 0 ] || fail "revoked PCK CA accepted"
grep -q 'error 23 at 1 depth' "$WORK/ossl.log" || fail "revoked CA: $(cat "$WORK/ossl.log")"
ok "revoked PCK CA rejected"

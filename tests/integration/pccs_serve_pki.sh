#!/usr/bin/env bash
# mse-sim pccs serve on what `mse-sim pki init` really writes: the two halves
# of the simulator agree on the directory layout, and what a client receives
# is usable by a tool nobody here wrote (openssl): the issuer-chain headers
# decode to certificates that verify against their root, the CRL bodies (hex
# or DER) parse and were issued by the chain's first certificate.
set -euo pipefail

PCCS_TEST_NAME=pccs_serve_pki
# shellcheck source=libpccs.sh
source "$(dirname "$0")/libpccs.sh"

PKI=$WORK/pki
if ! "$SIM" pki init "$PKI" >"$WORK/init.log" 2>&1; then
    cat "$WORK/init.log"
    echo "FAIL: mse-sim pki init"
    exit 1
fi
D=$PKI/pccs
O=$WORK/out
FMSPC=00906ed50000

# split_chain PEMTEXT PREFIX: PREFIX.1.pem, PREFIX.2.pem, ... one certificate each
split_chain() {
    awk -v p="$2" '/-----BEGIN CERTIFICATE-----/{n++} n{print > (p "." n ".pem")}' <<<"$1"
}
# chain_ok PEMTEXT NAME: two certificates, the first verifies against the second
chain_ok() {
    rm -f "$WORK/$2".*.pem
    split_chain "$1" "$WORK/$2"
    [[ -f $WORK/$2.2.pem && ! -f $WORK/$2.3.pem ]] &&
        openssl verify -CAfile "$WORK/$2.2.pem" "$WORK/$2.1.pem" >/dev/null 2>&1
}
# crl_issued_by DERFILE CERTFILE: openssl parses the CRL and its signature verifies
crl_issued_by() {
    local out
    out=$(openssl crl -inform DER -in "$1" -CAfile "$2" -noout 2>&1) && [[ $out == *"verify OK"* ]]
}
unhex() { xxd -r -p "$1" >"$2" 2>/dev/null || perl -ne 'chomp; print pack("H*", $_)' "$1" >"$2"; }

start pki --dir "$PKI"

check "tcb 200" eq "$(get "$URL/tcb?fmspc=$FMSPC" "$O")" 200
check "tcb body is pki's file" cmp -s "$O" "$D/tcb/$FMSPC.json"
chain=$(urldecode "$(header "$O.h" TCB-Info-Issuer-Chain)")
check "tcb chain is tcb-chain.pem" eq "$chain" "$(cat "$D/tcb-chain.pem")"
check "tcb chain: signer verifies against root (openssl)" chain_ok "$chain" tcb
check "tcb chain root is the pki root" cmp -s <(openssl x509 -in "$WORK/tcb.2.pem" -outform DER) \
    <(openssl x509 -in "$PKI/root.pem" -outform DER)

check "qe identity 200" eq "$(get "$URL/qe/identity" "$O")" 200
check "qe identity body" cmp -s "$O" "$D/qe-identity.json"
chain=$(urldecode "$(header "$O.h" SGX-Enclave-Identity-Issuer-Chain)")
check "qe chain verifies (openssl)" chain_ok "$chain" qe

check "rootcacrl 200" eq "$(get "$URL/rootcacrl" "$O")" 200
unhex "$O" "$WORK/root.crl"
check "rootcacrl hex decodes to the file" cmp -s "$WORK/root.crl" "$D/rootcacrl.der"
check "rootcacrl signed by the root (openssl)" crl_issued_by "$WORK/root.crl" "$PKI/root.pem"

served=0
for ca in platform processor; do
    if [[ ! -e $D/pckcrl-$ca.der ]]; then
        check "pckcrl $ca absent from the pki: 404" eq "$(get "$URL/pckcrl?ca=$ca" "$O")" 404
        continue
    fi
    served=$((served + 1))
    check "pckcrl $ca 200" eq "$(get "$URL/pckcrl?ca=$ca" "$O")" 200
    unhex "$O" "$WORK/$ca.crl"
    check "pckcrl $ca hex decodes to the file" cmp -s "$WORK/$ca.crl" "$D/pckcrl-$ca.der"
    chain=$(urldecode "$(header "$O.h" SGX-PCK-CRL-Issuer-Chain)")
    check "pckcrl $ca chain is the file" eq "$chain" "$(cat "$D/pckcrl-$ca-chain.pem")"
    check "pckcrl $ca chain verifies (openssl)" chain_ok "$chain" "$ca"
    check "pckcrl $ca signed by the chain's CA (openssl)" crl_issued_by "$WORK/$ca.crl" "$WORK/$ca.1.pem"
    check "pckcrl $ca der" eq "$(get "$URL/pckcrl?ca=$ca&encoding=der" "$O")" 200
    check "pckcrl $ca der body" cmp -s "$O" "$D/pckcrl-$ca.der"
done
check "the pki has at least one PCK CA CRL" bash -c '(( $1 >= 1 ))' _ "$served"
stop

# --wrong-chain works with whichever PCK CA the pki has
start wrong --dir "$PKI" --wrong-chain --quiet
check "wrong-chain tcb 200" eq "$(get "$URL/tcb?fmspc=$FMSPC" "$O")" 200
chain=$(urldecode "$(header "$O.h" TCB-Info-Issuer-Chain)")
check "wrong-chain: a valid chain" chain_ok "$chain" wrong
check "wrong-chain: not the TCB signer" bash -c '! cmp -s <(openssl x509 -in "$1" -outform DER) <(openssl x509 -in "$2" -outform DER)' \
    _ "$WORK/wrong.1.pem" "$WORK/tcb.1.pem"
stop

echo "$CHECKS checks passed, $FAILS failed"
[[ $FAILS -eq 0 ]]

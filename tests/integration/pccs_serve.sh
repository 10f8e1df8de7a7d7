#!/usr/bin/env bash
# mse-sim pccs serve, black box: curl against servers this script starts on
# 127.0.0.1 with ephemeral ports. Bodies, headers and status codes as Intel's
# PCCS 1.23 sends them; every fault switch; the request counter; limits,
# signals, host refusal and HTTPS. The collateral directory is made here
# with openssl (dummy certificates and CRLs: the server does not verify them).
set -euo pipefail

PCCS_TEST_NAME=pccs_serve
# shellcheck source=libpccs.sh
source "$(dirname "$0")/libpccs.sh"

# ---- a collateral directory in the layout `mse-sim pki init` writes ----------
PKI=$WORK/pki
D=$PKI/pccs
mkdir -p "$D/tcb" "$WORK/keys"
mkcert() { # name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$WORK/keys/$1.key" -out "$WORK/keys/$1.pem" -subj "/CN=mse test $1" \
        -days 30 2>/dev/null
}
mkcrl() { # issuer out.der
    local cfg=$WORK/keys/ca.cnf
    printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s\ncrlnumber=%s\ndefault_md=sha256\ndefault_crl_days=30\n' \
        "$WORK/keys/index.txt" "$WORK/keys/crlnum" >"$cfg"
    : >"$WORK/keys/index.txt"
    echo 01 >"$WORK/keys/crlnum"
    openssl ca -config "$cfg" -gencrl -keyfile "$WORK/keys/$1.key" -cert "$WORK/keys/$1.pem" \
        -out "$WORK/keys/$1.crl.pem" 2>/dev/null
    openssl crl -in "$WORK/keys/$1.crl.pem" -outform DER -out "$2"
}
for n in root tcbsign platca procca; do mkcert $n; done
cat "$WORK/keys/tcbsign.pem" "$WORK/keys/root.pem" >"$D/tcb-chain.pem"
cat "$WORK/keys/platca.pem" "$WORK/keys/root.pem" >"$D/pckcrl-platform-chain.pem"
cat "$WORK/keys/procca.pem" "$WORK/keys/root.pem" >"$D/pckcrl-processor-chain.pem"
mkcrl root "$D/rootcacrl.der"
mkcrl platca "$D/pckcrl-platform.der"
mkcrl procca "$D/pckcrl-processor.der"
FMSPC=00906ed50000
printf '{"tcbInfo":{"id":"SGX","version":3,"issueDate":"2026-01-01T00:00:00Z","fmspc":"%s","tcbLevels":[]},"signature":"%s"}' \
    "$FMSPC" "$(printf 'ab%.0s' $(seq 64))" >"$D/tcb/$FMSPC.json"
printf '{"enclaveIdentity":{"id":"QE","version":2,"tcbLevels":[]},"signature":"%s"}' \
    "$(printf 'cd%.0s' $(seq 64))" >"$D/qe-identity.json"
# The chains must differ for the wrong-chain case to mean anything.
cmp -s "$D/tcb-chain.pem" "$D/pckcrl-platform-chain.pem" && { echo "setup: chains equal"; exit 1; }

# ---- 1. bodies, headers and codes --------------------------------------------
start main --dir "$PKI"
O=$WORK/out

check "tcb 200" eq "$(get "$URL/tcb?fmspc=$FMSPC" "$O")" 200
check "tcb body is the file" cmp -s "$O" "$D/tcb/$FMSPC.json"
check "tcb content-type" eq "$(header "$O.h" Content-Type)" "application/json"
chain=$(header "$O.h" TCB-Info-Issuer-Chain)
check "tcb chain header decodes to tcb-chain.pem" eq "$(urldecode "$chain")" "$(cat "$D/tcb-chain.pem")"
check "tcb chain only encodeURIComponent's characters" \
    bash -c '[[ $1 =~ ^[A-Za-z0-9%._~!*\x27()-]+$ ]]' _ "$chain"
check "tcb chain spaces, newlines, + / = encoded" \
    bash -c '[[ $1 == -----BEGIN%20CERTIFICATE-----%0A* && $1 != *[\ /+=]* ]]' _ "$chain"
check "Request-ID 32 hex" bash -c '[[ $1 =~ ^[0-9a-f]{32}$ ]]' _ "$(header "$O.h" Request-ID)"
rid1=$(header "$O.h" Request-ID)

check "tcb uppercase fmspc" eq "$(get "$URL/tcb?fmspc=${FMSPC^^}" "$O")" 200
check "tcb uppercase body" cmp -s "$O" "$D/tcb/$FMSPC.json"
check "Request-ID differs per request" bash -c '[[ $1 != "$2" ]]' _ "$rid1" "$(header "$O.h" Request-ID)"
check "tcb update=early" eq "$(get "$URL/tcb?fmspc=$FMSPC&update=early" "$O")" 200
check "client Request-ID echoed" eq "$(get "$URL/tcb?fmspc=$FMSPC" "$O" -H 'Request-ID: abc123')" 200
check "client Request-ID value" eq "$(header "$O.h" Request-ID)" abc123

check "qe identity 200" eq "$(get "$URL/qe/identity" "$O")" 200
check "qe identity body" cmp -s "$O" "$D/qe-identity.json"
check "qe identity content-type" eq "$(header "$O.h" Content-Type)" "application/json"
check "qe identity chain" eq "$(urldecode "$(header "$O.h" SGX-Enclave-Identity-Issuer-Chain)")" \
    "$(cat "$D/tcb-chain.pem")"
check "qe Request-ID" bash -c '[[ $1 =~ ^[0-9a-f]{32}$ ]]' _ "$(header "$O.h" Request-ID)"

for ca in platform processor; do
    check "pckcrl $ca 200" eq "$(get "$URL/pckcrl?ca=$ca" "$O")" 200
    check "pckcrl $ca body is lowercase hex of the DER" eq "$(cat "$O")" "$(hexof "$D/pckcrl-$ca.der")"
    check "pckcrl $ca hex content-type" eq "$(header "$O.h" Content-Type)" \
        "application/x-pem-file; charset=utf-8"
    check "pckcrl $ca chain" eq "$(urldecode "$(header "$O.h" SGX-PCK-CRL-Issuer-Chain)")" \
        "$(cat "$D/pckcrl-$ca-chain.pem")"
    check "pckcrl $ca der 200" eq "$(get "$URL/pckcrl?ca=${ca^^}&encoding=der" "$O")" 200
    check "pckcrl $ca der body" cmp -s "$O" "$D/pckcrl-$ca.der"
    check "pckcrl $ca der content-type" eq "$(header "$O.h" Content-Type)" "application/pkix-crl"
    check "pckcrl $ca der chain" eq "$(urldecode "$(header "$O.h" SGX-PCK-CRL-Issuer-Chain)")" \
        "$(cat "$D/pckcrl-$ca-chain.pem")"
done
# PCCS 1.23 hex-encodes for every encoding other than der, pem included.
check "pckcrl encoding=pem 200" eq "$(get "$URL/pckcrl?ca=platform&encoding=pem" "$O")" 200
check "pckcrl encoding=pem is hex" eq "$(cat "$O")" "$(hexof "$D/pckcrl-platform.der")"

check "rootcacrl 200" eq "$(get "$URL/rootcacrl" "$O")" 200
check "rootcacrl body hex" eq "$(cat "$O")" "$(hexof "$D/rootcacrl.der")"
check "rootcacrl content-type" eq "$(header "$O.h" Content-Type)" "application/pkix-crl; charset=utf-8"
check "rootcacrl no chain header" bash -c '! grep -qi issuer-chain "$1"' _ "$O.h"
check "rootcacrl Request-ID" bash -c '[[ $1 =~ ^[0-9a-f]{32}$ ]]' _ "$(header "$O.h" Request-ID)"
check "trailing slash routes too" eq "$(get "$URL/rootcacrl/" "$O")" 200

# errors: plain PCCS texts
check "fmspc too short 400" eq "$(get "$URL/tcb?fmspc=00906ed5000" "$O")" 400
check "400 text" eq "$(cat "$O")" "Invalid request parameters."
check "400 Request-ID" bash -c '[[ $1 =~ ^[0-9a-f]{32}$ ]]' _ "$(header "$O.h" Request-ID)"
check "fmspc missing 400" eq "$(get "$URL/tcb" "$O")" 400
check "parameter names are case-sensitive (Express) 400" eq "$(get "$URL/tcb?FMSPC=$FMSPC" "$O")" 400
check "first of repeated parameters counts" eq "$(get "$URL/tcb?fmspc=$FMSPC&fmspc=zz" "$O")" 200
check "fmspc too long 400" eq "$(get "$URL/tcb?fmspc=${FMSPC}0" "$O")" 400
check "bad update 400" eq "$(get "$URL/tcb?fmspc=$FMSPC&update=sometime" "$O")" 400
check "ca missing 400" eq "$(get "$URL/pckcrl" "$O")" 400
check "ca bad 400" eq "$(get "$URL/pckcrl?ca=root" "$O")" 400
check "ca bad text" eq "$(cat "$O")" "Invalid request parameters."
check "unknown fmspc 404" eq "$(get "$URL/tcb?fmspc=00a06ed50000" "$O")" 404
check "404 text" eq "$(cat "$O")" "No cache data for this platform."
check "non-hex fmspc 404" eq "$(get "$URL/tcb?fmspc=..%2F..%2Fqe-idx" "$O")" 404
check "unknown path 404" eq "$(get "$URL/pckcert" "$O")" 404
check "unknown path Express page" grep -q "Cannot GET /sgx/certification/v4/pckcert" "$O"
check "POST 404" eq "$(get "$URL/rootcacrl" "$O" -X POST)" 404
check "POST Express page" grep -q "Cannot POST /sgx/certification/v4/rootcacrl" "$O"
check "HEAD 200" eq "$("${C[@]}" -I -o /dev/null -w '%{http_code}' "$URL/rootcacrl")" 200

# request counter: every request above, stats not counted
N=25
stats=$("${C[@]}" "http://127.0.0.1:$PORT/mse-sim/stats")
check "stats counter ($stats)" bash -c '[[ $1 == *"\"requests\":'$N',"* ]]' _ "$stats"
check "stats per endpoint ($stats)" bash -c '[[ $1 == *"\"tcb\":12,"*"\"pckcrl\":7,"* ]]' _ "$stats"
stats=$("${C[@]}" "http://127.0.0.1:$PORT/mse-sim/stats")
check "stats not counted" bash -c '[[ $1 == *"\"requests\":'$N',"* ]]' _ "$stats"
check "one log line per request" eq "$(grep -c ' -> ' "$LOG")" "$((N + 2))"
stop
check "SIGTERM: exit 0" eq "$RC" 0
check "exit prints the counter" grep -q "stopped, requests=$N\$" "$LOG"

# --dir naming the pccs/ subdirectory itself; files re-read per request
start subdir --dir "$D" --quiet
check "subdir tcb" eq "$(get "$URL/tcb?fmspc=$FMSPC" "$O")" 200
check "subdir body" cmp -s "$O" "$D/tcb/$FMSPC.json"
cp "$D/qe-identity.json" "$WORK/qe.bak"
printf '{"enclaveIdentity":{"id":"QE","version":2},"signature":"00"}' >"$D/qe-identity.json"
check "re-read qe" eq "$(get "$URL/qe/identity" "$O")" 200
check "re-read body" cmp -s "$O" "$D/qe-identity.json"
mv "$WORK/qe.bak" "$D/qe-identity.json"
mv "$D/rootcacrl.der" "$WORK/rootcacrl.bak"
check "missing file 404" eq "$(get "$URL/rootcacrl" "$O")" 404
mv "$WORK/rootcacrl.bak" "$D/rootcacrl.der"
check "quiet: no request lines" eq "$(grep -c ' -> ' "$LOG" || true)" 0
stop
check "subdir exit 0" eq "$RC" 0

# ---- 2. faults, one server each ----------------------------------------------
start delay --dir "$PKI" --delay-ms 3000
rc=0; "${C[@]}" --max-time 1 -o /dev/null "$URL/rootcacrl" || rc=$?
check "delay: a client shorter than the delay times out (28, got $rc)" eq "$rc" 28
check "delay: a patient client gets the answer" eq "$(get "$URL/rootcacrl" "$O")" 200
check "delay: body intact" eq "$(cat "$O")" "$(hexof "$D/rootcacrl.der")"
stop
check "delay: counted both" grep -q "stopped, requests=2\$" "$LOG"

start fail500 --dir "$PKI" --fail-500
check "fail-500: tcb" eq "$(get "$URL/tcb?fmspc=$FMSPC" "$O")" 500
check "fail-500: PCCS text" eq "$(cat "$O")" "Internal server error occurred."
check "fail-500: no chain" bash -c '! grep -qi issuer-chain "$1"' _ "$O.h"
check "fail-500: Request-ID" bash -c '[[ $1 =~ ^[0-9a-f]{32}$ ]]' _ "$(header "$O.h" Request-ID)"
check "fail-500: pckcrl" eq "$(get "$URL/pckcrl?ca=platform" "$O")" 500
stop

start truncate --dir "$PKI" --truncate-body
rc=0; "${C[@]}" -o "$O" -D "$O.h" "$URL/tcb?fmspc=$FMSPC" || rc=$?
check "truncate: curl error 18 (got $rc)" eq "$rc" 18
size=$(stat -c %s "$D/tcb/$FMSPC.json")
check "truncate: full Content-Length announced" eq "$(header "$O.h" Content-Length)" "$size"
check "truncate: body shorter" bash -c '(( $(stat -c %s "$1") < $2 ))' _ "$O" "$size"
rc=0; "${C[@]}" -o "$O" "$URL/pckcrl?ca=processor&encoding=der" || rc=$?
check "truncate: der too (18, got $rc)" eq "$rc" 18
check "truncate: errors are not truncated" eq "$(get "$URL/tcb?fmspc=12" "$O")" 400
stop

start wrongchain --dir "$PKI" --wrong-chain
check "wrong-chain: tcb 200" eq "$(get "$URL/tcb?fmspc=$FMSPC" "$O")" 200
check "wrong-chain: body still right" cmp -s "$O" "$D/tcb/$FMSPC.json"
wc=$(urldecode "$(header "$O.h" TCB-Info-Issuer-Chain)")
check "wrong-chain: tcb chain differs" bash -c '[[ $1 != "$2" ]]' _ "$wc" "$(cat "$D/tcb-chain.pem")"
check "wrong-chain: still a PEM chain" bash -c '[[ $1 == "-----BEGIN CERTIFICATE-----"* ]]' _ "$wc"
check "wrong-chain: pckcrl 200" eq "$(get "$URL/pckcrl?ca=platform" "$O")" 200
wc=$(urldecode "$(header "$O.h" SGX-PCK-CRL-Issuer-Chain)")
check "wrong-chain: pckcrl chain differs" bash -c '[[ $1 != "$2" ]]' _ "$wc" \
    "$(cat "$D/pckcrl-platform-chain.pem")"
check "wrong-chain: qe chain differs" eq "$(get "$URL/qe/identity" "$O")" 200
wc=$(urldecode "$(header "$O.h" SGX-Enclave-Identity-Issuer-Chain)")
check "wrong-chain: qe chain value" bash -c '[[ $1 != "$2" ]]' _ "$wc" "$(cat "$D/tcb-chain.pem")"
stop

start reset --dir "$PKI" --reset
rm -f "$O"
rc=0; "${C[@]}" -o "$O" "$URL/tcb?fmspc=$FMSPC" || rc=$?
check "reset: curl 52 or 56 (got $rc)" bash -c '[[ $1 == 52 || $1 == 56 ]]' _ "$rc"
check "reset: no bytes" eq "$(stat -c %s "$O" 2>/dev/null || echo 0)" 0
rc=0; "${C[@]}" -o /dev/null "$URL/rootcacrl" || rc=$?
check "reset: again (got $rc)" bash -c '[[ $1 == 52 || $1 == 56 ]]' _ "$rc"
stats=$("${C[@]}" "http://127.0.0.1:$PORT/mse-sim/stats")
check "reset: stats still answer and count 2 ($stats)" \
    bash -c '[[ $1 == *"\"requests\":2,"* ]]' _ "$stats"
stop
check "reset: exit 0" eq "$RC" 0

# ---- 3. limits, signals, refusals --------------------------------------------
start maxreq --dir "$PKI" --max-requests 3
for i in 1 2 3; do
    check "max-requests: answer $i" eq "$(get "$URL/rootcacrl" "$O")" 200
done
waitexit
check "max-requests: exits 0 by itself" eq "$RC" 0
check "max-requests: counter on exit" grep -q "stopped, requests=3\$" "$LOG"
rc=0; "${C[@]}" -o /dev/null "$URL/rootcacrl" || rc=$?
check "max-requests: nothing listens afterwards (7, got $rc)" eq "$rc" 7

start maxsec --dir "$PKI" --max-seconds 1
waitexit
check "max-seconds: exits 0 by itself" eq "$RC" 0
check "max-seconds: counter on exit" grep -q "stopped, requests=0\$" "$LOG"

start sigint --dir "$PKI"
check "sigint: serving" eq "$(get "$URL/rootcacrl" "$O")" 200
kill -INT "$SPID"
waitexit
check "SIGINT: exit 0" eq "$RC" 0
check "SIGINT: counter" grep -q "stopped, requests=1\$" "$LOG"

# Stopped the moment its port file appears, before its loop may have started: still a graceful
# stop (exit 0), never a kill by SIGTERM's default action. The file is polled without a pause
# (bounded by count) so that the signal lands in that window: before the fix most runs did.
for i in $(seq 10); do
    pf=$WORK/early.port
    rm -f "$pf"
    "$SIM" pccs serve --dir "$PKI" --port 0 --port-file "$pf" --quiet --max-seconds 60 \
        2>"$WORK/early.log" &
    SPID=$!
    PIDS+=("$SPID")
    n=0
    while [[ ! -s $pf ]] && ((n < 200000)); do n=$((n + 1)); done
    kill -TERM "$SPID" 2>/dev/null || true
    rc=0; wait "$SPID" || rc=$?
    check "stopped as its port file appears ($i): exit 0 (got $rc)" eq "$rc" 0
done

for h in 0.0.0.0 192.0.2.1 ::; do
    rc=0; "$SIM" pccs serve --dir "$PKI" --host "$h" --port 0 --max-seconds 1 2>/dev/null || rc=$?
    check "non-loopback host $h refused (2, got $rc)" eq "$rc" 2
done
rc=0; "$SIM" pccs serve --dir "$WORK/nonexistent" --port 0 --max-seconds 1 2>/dev/null || rc=$?
check "missing dir refused (got $rc)" bash -c '[[ $1 != 0 ]]' _ "$rc"
rc=0; "$SIM" pccs serve --dir "$PKI" --max-seconds 1 2>/dev/null || rc=$?
check "--port required (2, got $rc)" eq "$rc" 2
rc=0; "$SIM" pccs serve --dir "$PKI" --port 70000 2>/dev/null || rc=$?
check "bad port (2, got $rc)" eq "$rc" 2
rc=0; "$SIM" pccs serve --dir "$PKI" --port 0 --delay-ms -1 2>/dev/null || rc=$?
check "bad delay (2, got $rc)" eq "$rc" 2

start busy --dir "$PKI" --quiet
rc=0; "$SIM" pccs serve --dir "$PKI" --port "$PORT" --max-seconds 1 2>/dev/null || rc=$?
check "port in use: exit 22 (got $rc)" eq "$rc" 22
stop

start ipv6 --dir "$PKI" --host ::1 --quiet
check "ipv6 loopback" eq "$("${C[@]}" -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/sgx/certification/v4/rootcacrl")" 200
stop

# ---- 4. HTTPS (PCCS runs HTTPS with a self-signed certificate) ----------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/tls.key" \
    -out "$WORK/tls.pem" -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -days 2 2>/dev/null
start tls --dir "$PKI" --tls-cert "$WORK/tls.pem" --tls-key "$WORK/tls.key"
HURL=https://127.0.0.1:$PORT/sgx/certification/v4
check "https: tcb 200" eq "$(get "$HURL/tcb?fmspc=$FMSPC" "$O" --cacert "$WORK/tls.pem")" 200
check "https: body" cmp -s "$O" "$D/tcb/$FMSPC.json"
check "https: chain" eq "$(urldecode "$(header "$O.h" TCB-Info-Issuer-Chain)")" "$(cat "$D/tcb-chain.pem")"
rc=0; "${C[@]}" -o /dev/null "$HURL/rootcacrl" || rc=$?
check "https: untrusted certificate refused by curl (60, got $rc)" eq "$rc" 60
rc=0; "${C[@]}" -o /dev/null "http://127.0.0.1:$PORT/sgx/certification/v4/rootcacrl" || rc=$?
check "https: plain HTTP gets no answer (got $rc)" bash -c '[[ $1 != 0 ]]' _ "$rc"
stop
check "https: exit 0" eq "$RC" 0
rc=0; "$SIM" pccs serve --dir "$PKI" --port 0 --tls-cert "$WORK/tls.pem" --tls-key "$WORK/keys/root.key" \
    --max-seconds 1 2>/dev/null || rc=$?
check "https: mismatched key refused (got $rc)" bash -c '[[ $1 != 0 ]]' _ "$rc"

echo "$CHECKS checks passed, $FAILS failed"
[[ $FAILS -eq 0 ]]

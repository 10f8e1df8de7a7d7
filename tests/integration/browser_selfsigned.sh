#!/usr/bin/env bash
# `mse trust` against a real headless Chromium, with a TLS server nobody here
# wrote (openssl s_server) presenting plain self-signed CA:FALSE certificates.
# This isolates the browser side of the flow from the enclave side (that is
# browser_trust.sh, with mse-enclave and `mse verify`):
#   no trust -> certificate error; `mse trust add` refused without a matching
#   verification record; with one -> trusted as P,, and the page loads;
#   server re-deployed with a new key -> error again; trusting the new
#   certificate under the same name replaces the old one; `mse trust remove`
#   -> error again; a CA:TRUE certificate trusted by `mse trust add` does not
#   vouch for a leaf it signed (peer trust is not CA trust).
# The verification records here are written by the test itself (it computes
# the SHA-256 with openssl): they stand for what `mse verify` writes, to test
# how `mse trust` checks them. Every step is bounded; every process is killed
# on exit.
source "$(dirname "$0")/libbrowser.sh"
umask 022 # the stand-in records must not be group-writable (mse trust add refuses those)

PAGE_TITLE="mse browser test"
PAGE_MARKER="MSE-PAGE-TEXT-7c1e"
BROWSER_HOME="$TMP/home"
NSSDB="$BROWSER_HOME/.pki/nssdb"
mkdir -p "$BROWSER_HOME" "$TMP/www"
printf '<html><head><title>%s</title></head><body><p>%s</p></body></html>\n' \
    "$PAGE_TITLE" "$PAGE_MARKER" >"$TMP/www/index.html"

[[ -x $CHROMIUM ]] || fail "$CHROMIUM not found (Debian package chromium)"
command -v certutil >/dev/null || fail "certutil not found (Debian package libnss3-tools)"
[[ -x $MSE_BIN ]] || fail "$MSE_BIN not built"

# make_cert NAME [extra openssl req args...] : self-signed P-256 for localhost.
make_cert() {
    local name=$1
    shift
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$TMP/$name.key" -out "$TMP/$name.pem" -days 2 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost "$@" 2>/dev/null
}

# record CERT VERDICT [SHA] : a verification record beside CERT.
record() {
    local cert=$1 verdict=$2 sha=${3:-}
    [[ -n $sha ]] || sha=$(openssl x509 -in "$cert" -outform der | openssl dgst -sha256 -r | cut -d' ' -f1)
    printf '{"sha256":"%s","verified_at":"%s","at":"%s","target":"localhost:%s","verdict":"%s","checks":{"mrenclave":{"outcome":"pass","detail":"stand-in record"},"debug":{"outcome":"pass"}}}\n' \
        "$sha" "$(date -u +%FT%TZ)" "$(date -u +%FT%TZ)" "$PORT" "$verdict" >"$cert.verify.json"
}

# serve NAME [CHAIN] : openssl s_server on $PORT (0 the first time) with NAME's key.
SERVER_PID=
serve() {
    local name=$1 cert=$TMP/$1.pem
    [[ -z $SERVER_PID ]] || bg_stop "$SERVER_PID"
    [[ -z ${2:-} ]] || cert=$2
    (cd "$TMP/www" && exec setsid openssl s_server -accept "127.0.0.1:${PORT:-0}" \
        -cert "$cert" -key "$TMP/$name.key" -WWW >"$TMP/server-$name.log" 2>&1 </dev/null) &
    SERVER_PID=$!
    BG_PIDS+=("$SERVER_PID")
    if [[ -z ${PORT:-} ]]; then
        wait_for grep -q '^ACCEPT' "$TMP/server-$name.log" || fail "s_server did not start"
        PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/server-$name.log")
    fi
    # Ready when a TLS handshake on the port presents NAME's certificate.
    local want
    want=$(openssl x509 -in "$cert" -noout -fingerprint -sha256)
    wait_for bash -c "openssl s_client -connect 127.0.0.1:$PORT -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | grep -qx '$want'" ||
        fail "s_server on port $PORT does not present $name"
}

make_cert v1 -addext basicConstraints=critical,CA:FALSE
make_cert v2 -addext basicConstraints=critical,CA:FALSE
PORT=
serve v1
URL="https://localhost:$PORT/index.html"
log "server on $URL"

# 1. No trust at all (no NSS database): the certificate is refused.
chromium_load "$URL" 1-untrusted
expect_cert_error 1-untrusted ERR_CERT_AUTHORITY_INVALID

# 2. `mse trust add` refuses a certificate with no record, another certificate's
#    record, or a failed verdict; the NSS database is not even created.
rc=0
"$MSE_BIN" trust add "$TMP/v1.pem" --name myapp >"$TMP/add-norecord.out" 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "trust add without a record: exit $rc, expected 2"
grep -q 'refusing to trust' "$TMP/add-norecord.out" || fail "no refusal message"
record "$TMP/v1.pem" success "$(openssl x509 -in "$TMP/v2.pem" -outform der | openssl dgst -sha256 -r | cut -d' ' -f1)"
rc=0
HOME=$BROWSER_HOME "$MSE_BIN" trust add "$TMP/v1.pem" --name myapp >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "trust add with another certificate's record: exit $rc, expected 2"
record "$TMP/v1.pem" failure
rc=0
HOME=$BROWSER_HOME "$MSE_BIN" trust add "$TMP/v1.pem" --name myapp >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "trust add with a failed verdict: exit $rc, expected 2"
[[ ! -e $NSSDB ]] || fail "a refused trust add created $NSSDB"

# 3. With a matching success record: added as a peer (P,,), and the page loads.
record "$TMP/v1.pem" success
HOME=$BROWSER_HOME "$MSE_BIN" trust add "$TMP/v1.pem" --name myapp >"$TMP/add-v1.out" 2>&1 ||
    fail "trust add v1: $(cat "$TMP/add-v1.out")"
[[ $(certutil_flags "$NSSDB" myapp) == "P,," ]] || fail "myapp not listed as P,,: $(certutil -L -d "sql:$NSSDB")"
list=$(HOME=$BROWSER_HOME "$MSE_BIN" trust list) || fail "mse trust list exited $?"
grep -q '^myapp  *P,,' <<<"$list" || fail "mse trust list does not show myapp P,,: $list"
chromium_load "$URL" 3-trusted
expect_page 3-trusted

# 4. The app is re-deployed with a new key and certificate: the error is back,
#    although the old certificate is still trusted.
serve v2
chromium_load "$URL" 4-redeployed
expect_cert_error 4-redeployed ERR_CERT_AUTHORITY_INVALID

# 5. Trusting the new certificate under the same name replaces the old one.
HOME=$BROWSER_HOME "$MSE_BIN" trust add "$TMP/v2.pem" --name myapp --force >"$TMP/add-v2.out" 2>&1 ||
    fail "trust add v2 --force: $(cat "$TMP/add-v2.out")"
grep -q 'warning: --force' "$TMP/add-v2.out" || fail "--force gave no warning"
grep -q 'Removed the previous certificate' "$TMP/add-v2.out" || fail "old certificate not replaced"
n=$(certutil -L -d "sql:$NSSDB" -n myapp -a | grep -c 'BEGIN CERTIFICATE')
[[ $n -eq 1 ]] || fail "myapp holds $n certificates, expected 1"
fp=$(certutil -L -d "sql:$NSSDB" -n myapp -a | openssl x509 -noout -fingerprint -sha256) ||
    fail "certutil -L -n myapp"
[[ $fp == "$(openssl x509 -in "$TMP/v2.pem" -noout -fingerprint -sha256)" ]] || fail "myapp is not v2"
chromium_load "$URL" 5-retrusted
expect_page 5-retrusted

# 6. `mse trust remove`: the error is back.
HOME=$BROWSER_HOME "$MSE_BIN" trust remove myapp >/dev/null || fail "trust remove"
[[ -z $(certutil_flags "$NSSDB" myapp) ]] || fail "myapp still listed after remove"
chromium_load "$URL" 6-removed
expect_cert_error 6-removed ERR_CERT_AUTHORITY_INVALID

# 7. Peer trust is not CA trust: a CA:TRUE certificate added by `mse trust add`
#    (with its loud warning) does not make Chromium accept a leaf it signed.
make_cert ca -addext basicConstraints=critical,CA:TRUE
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/leaf.key" \
    -out "$TMP/leaf.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n' >"$TMP/leaf.ext"
openssl x509 -req -in "$TMP/leaf.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
    -days 1 -extfile "$TMP/leaf.ext" -out "$TMP/leaf.pem" 2>/dev/null
cat "$TMP/leaf.pem" "$TMP/ca.pem" >"$TMP/leaf-chain.pem"
HOME=$BROWSER_HOME "$MSE_BIN" trust add "$TMP/ca.pem" --name myca --force >"$TMP/add-ca.out" 2>&1 ||
    fail "trust add ca: $(cat "$TMP/add-ca.out")"
grep -q 'is a CA certificate' "$TMP/add-ca.out" || fail "no CA:TRUE warning"
[[ $(certutil_flags "$NSSDB" myca) == "P,," ]] || fail "myca not P,,"
serve leaf "$TMP/leaf-chain.pem"
chromium_load "$URL" 7-leaf-of-peer
expect_cert_error 7-leaf-of-peer ERR_CERT_AUTHORITY_INVALID

log "PASS"

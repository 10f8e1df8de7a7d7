#!/usr/bin/env bash
# The seed's browser flow, end to end, in a real headless Chromium:
#   an app in a simulated enclave (mse-enclave --provider sim, zero trust)
#   presents an RA-TLS certificate for localhost;
#   before `mse trust add`: Chromium refuses it (certificate error);
#   `mse verify` checks it (simulator PCCS and test root) and saves it with its
#   verification record; `mse trust add` (no --force) trusts it as a peer;
#   after: the page loads and its text is checked;
#   the enclave is re-deployed (new key, new certificate, same URL): the error
#   is back; verified and trusted anew under the same name: it loads again.
# Chromium is restarted for every step (fresh process and profile, HOME with
# the test's NSS database); every step is bounded; everything is killed on exit.
# Needs mse-sim (pki, pccs), mse-enclave and `mse verify` built.
# BROWSER_SERVER=s_server (browser_ratls_s_server.sh) serves the RA-TLS
# certificates of `mse-sim ratls` with openssl s_server instead of mse-enclave,
# so the browser flow is also checked against a TLS server nobody here wrote.
source "$(dirname "$0")/libbrowser.sh"
BROWSER_SERVER=${BROWSER_SERVER:-enclave}

SIM="$MSE_BUILD_DIR/mse-sim"
ENCLAVE="$MSE_BUILD_DIR/mse-enclave"
MRENCLAVE=6d73652062726f7773657220746573742c2073696d756c617465642121212121
BROWSER_HOME="$TMP/home"
NSSDB="$BROWSER_HOME/.pki/nssdb"
mkdir -p "$BROWSER_HOME"

[[ -x $CHROMIUM ]] || fail "$CHROMIUM not found (Debian package chromium)"
command -v certutil >/dev/null || fail "certutil not found (Debian package libnss3-tools)"
needed=("$MSE_BIN" "$SIM")
[[ $BROWSER_SERVER == s_server ]] || needed+=("$ENCLAVE")
for p in "${needed[@]}"; do
    if [[ ! -x $p ]]; then
        # Exit 77: CTest reports the test as skipped (not passed), with this reason.
        echo "SKIP: $p is not built (this test needs the simulator, the enclave server and mse)"
        exit 77
    fi
done

# The test PKI and its PCCS.
"$SIM" pki init "$TMP/pki" >"$TMP/pki-init.log" 2>&1 || fail "mse-sim pki init"
pick() {
    for f in "$@"; do
        [[ -f $TMP/pki/$f ]] && { echo "$TMP/pki/$f"; return 0; }
    done
    fail "none of $* in $TMP/pki: $(ls "$TMP/pki" | tr '\n' ' ')"
}
ROOT=$(pick root.pem)
SIGNER=$(pick signer.pem)

bg_start pccs "$SIM" pccs serve --dir "$TMP/pki" --host 127.0.0.1 --port 0 \
    --port-file "$TMP/pccs.port" --max-seconds 600
wait_for test -s "$TMP/pccs.port" || fail "the simulated PCCS did not start"
PCCS_URL="http://127.0.0.1:$(cat "$TMP/pccs.port")"

# deploy PORT : (re)start the app server with a fresh key and RA-TLS certificate
# on PORT (0: any free port).
APP_PID=
DEPLOYS=0
deploy() {
    [[ -z $APP_PID ]] || bg_stop "$APP_PID"
    DEPLOYS=$((DEPLOYS + 1))
    rm -f "$TMP/app.port"
    if [[ $BROWSER_SERVER == s_server ]]; then
        local d=$TMP/deploy$DEPLOYS
        mkdir -p "$d/www"
        printf '<html><head><title>mse RA-TLS test</title></head><body><p>Hello from the simulated enclave, deployment %s</p></body></html>\n' \
            "$DEPLOYS" >"$d/www/index.html"
        "$SIM" ratls --pki "$TMP/pki" --cert "$d/cert.pem" --key "$d/key.pem" --san localhost \
            --mrenclave "$MRENCLAVE" >"$d/ratls.log" 2>&1 || fail "mse-sim ratls: $(cat "$d/ratls.log")"
        # Port 0: s_server binds an ephemeral port and prints "ACCEPT 127.0.0.1:PORT"
        local port=$1 log=$TMP/app$DEPLOYS.log
        (cd "$d/www" && exec setsid openssl s_server -accept "127.0.0.1:$port" -cert "$d/cert.pem" \
            -key "$d/key.pem" -WWW >"$log" 2>&1 </dev/null) &
        APP_PID=$!
        BG_PIDS+=("$APP_PID")
        wait_for grep -q '^ACCEPT' "$log" || fail "openssl s_server did not start: $(cat "$log")"
        # (With an explicit port it prints just "ACCEPT".)
        [[ $port != 0 ]] || port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
        [[ -n $port ]] || fail "no port in the s_server log: $(cat "$log")"
        wait_for bash -c "openssl s_client -connect 127.0.0.1:$port </dev/null >/dev/null 2>&1" ||
            fail "openssl s_server does not answer on $port"
        echo "$port" >"$TMP/app.port"
        APP_PATH=index.html
    else
        # Zero trust: the server starts in its configuration phase; the owner's
        # `mse configure` verifies it and sends the code key, then the app runs.
        mkdir -p "$TMP/app$DEPLOYS"
        bg_start app "$ENCLAVE" --provider sim --sim-pki "$TMP/pki" --sim-mrenclave "$MRENCLAVE" \
            --mode zero-trust --hello --san localhost --uuid "$UUID" --code-dir "$TMP/code.enc" \
            --app-dir "$TMP/app$DEPLOYS" --host 127.0.0.1 --port "$1" \
            --port-file "$TMP/app.port" --max-seconds 600
        APP_PID=$BG_PID
        wait_for test -s "$TMP/app.port" || fail "mse-enclave did not start"
        timeout "$STEP_TIMEOUT" "$MSE_BIN" configure "localhost:$(cat "$TMP/app.port")" \
            --context "$TMP/ctx.toml" --fingerprint "$MRENCLAVE" --signer-key "$SIGNER" \
            --trust-root "$ROOT" --pccs-url "$PCCS_URL" \
            >"$TMP/configure.log" 2>&1 || fail "mse configure: $(cat "$TMP/configure.log")"
        APP_PATH=
    fi
    PORT=$(cat "$TMP/app.port")
}

# The owner's context and encrypted code (zero trust needs a configuration).
if [[ $BROWSER_SERVER != s_server ]]; then
    mkdir -p "$TMP/code"
    echo "<html><body>browser test code</body></html>" >"$TMP/code/index.html"
    "$MSE_BIN" context new --code "$TMP/code" --name browser-test --san localhost \
        --out "$TMP/ctx.toml" --out-code "$TMP/code.enc" >"$TMP/ctx.log" 2>&1 ||
        fail "mse context new: $(cat "$TMP/ctx.log")"
    UUID=$(sed -n 's/^id = "\(.*\)"$/\1/p' "$TMP/ctx.toml")
    [[ ${#UUID} -eq 36 ]] || fail "no app id in the context"
fi

# verify_app OUT : mse verify, saving the certificate (and its record) to OUT.
verify_app() {
    timeout "$STEP_TIMEOUT" "$MSE_BIN" verify "localhost:$PORT" --pccs-url "$PCCS_URL" \
        --trust-root "$ROOT" --signer-key "$SIGNER" --fingerprint "$MRENCLAVE" \
        --output "$1" >"$TMP/verify.log" 2>&1 || fail "mse verify failed: $(cat "$TMP/verify.log")"
    [[ -s $1 && -s $1.verify.json ]] || fail "mse verify saved no certificate and record at $1"
}

deploy 0
URL="https://localhost:$PORT/$APP_PATH"
log "app server ($BROWSER_SERVER) on $URL"
# What the page says, read through a connection pinned to the verified certificate.
verify_app "$TMP/v1.pem"
PAGE_TEXT=$(curl -sS --max-time 10 --cacert "$TMP/v1.pem" --resolve "localhost:$PORT:127.0.0.1" "$URL") ||
    fail "curl pinned to the verified certificate failed"
# The page's visible text (head dropped, tags removed), first 30 characters.
PAGE_MARKER=$(printf '%s' "$PAGE_TEXT" | tr '\n' ' ' | sed 's:<head>.*</head>::; s/<[^>]*>//g' |
    tr -s ' ' | sed 's/^ //' | cut -c1-30)
[[ -n $PAGE_MARKER ]] || fail "the hello app's page has no text"
PAGE_TITLE=$(printf '%s' "$PAGE_TEXT" | sed -n 's:.*<title>\(.*\)</title>.*:\1:p' | head -1)
log "the app's page text starts with: $PAGE_MARKER"

# 1. Before `mse trust add`: certificate error.
chromium_load "$URL" 1-before
expect_cert_error 1-before ERR_CERT_AUTHORITY_INVALID

# 2. After `mse trust add` (no --force: the record from mse verify is enough).
HOME=$BROWSER_HOME "$MSE_BIN" trust add "$TMP/v1.pem" --name myapp >"$TMP/add1.out" 2>&1 ||
    fail "mse trust add: $(cat "$TMP/add1.out")"
grep -q 'Verified by mse verify' "$TMP/add1.out" || fail "trust add did not report the verification"
[[ $(certutil_flags "$NSSDB" myapp) == "P,," ]] || fail "not trusted as P,,"
chromium_load "$URL" 2-trusted
if [[ -n $PAGE_TITLE ]]; then
    expect_page 2-trusted
else
    grep -qF "$PAGE_MARKER" "$TMP/2-trusted.dom" ||
        fail "2-trusted: page text missing; errors: $(grep -o 'net::ERR_[A-Z_]*' "$TMP/2-trusted.err" | sort -u | tr '\n' ' ')"
    log "2-trusted: page loaded in Chromium with the expected text"
fi

# 3. Re-deployed with a new key at the same URL: error again.
OLD_PORT=$PORT
deploy "$OLD_PORT"
[[ $PORT == "$OLD_PORT" ]] || fail "re-deployed on port $PORT, not $OLD_PORT"
chromium_load "$URL" 3-redeployed
expect_cert_error 3-redeployed ERR_CERT_AUTHORITY_INVALID

# 4. Verified and trusted anew under the same name: it loads again.
verify_app "$TMP/v2.pem"
cmp -s "$TMP/v1.pem" "$TMP/v2.pem" && fail "the re-deployed app presents the same certificate"
HOME=$BROWSER_HOME "$MSE_BIN" trust add "$TMP/v2.pem" --name myapp >"$TMP/add2.out" 2>&1 ||
    fail "mse trust add (v2): $(cat "$TMP/add2.out")"
chromium_load "$URL" 4-retrusted
grep -qF "$PAGE_MARKER" "$TMP/4-retrusted.dom" || fail "4-retrusted: page text missing"
log "4-retrusted: page loaded again"

log "PASS"

#!/usr/bin/env bash
# mse-enclave checks its paths and ports at start: each bad one is refused
# before anything else happens, with exit 2 and one line on stderr naming the
# option, the path and the problem (not later, when the owner configures it).
source "$(dirname "$0")/libenclave.sh"

fake_attestation "$WORK/att"
operator_cert "$WORK"
mkdir -p "$WORK/code" "$WORK/app"
: >"$WORK/plain-file"
UUID=6ebc0242-3d2f-4e81-b135-7b2cf911df14
BASE=(--mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --host 127.0.0.1
      --port 0 --max-seconds 5)

# refused EXPECTED_LINE ARGS... : exit 2, exactly one line on stderr, equal to EXPECTED_LINE.
refused() {
    local want="$1"
    shift
    local rc=0
    "$ENCLAVE" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [ "$rc" = 2 ] || fail "expected exit 2, got $rc for: $* ($(cat "$WORK/err"))"
    [ "$(wc -l <"$WORK/err")" = 1 ] || fail "expected one line for: $*, got: $(cat "$WORK/err")"
    [ "$(cat "$WORK/err")" = "$want" ] || fail "for: $*: expected '$want', got '$(cat "$WORK/err")'"
    [ ! -s "$WORK/out" ] || fail "stdout not empty for: $*"
    ok "$want"
}

refused "mse-enclave: --code-dir $WORK/nope: No such file or directory" \
    "${BASE[@]}" --uuid "$UUID" --code-dir "$WORK/nope" --app-dir "$WORK/app" --hello
refused "mse-enclave: --code-dir $WORK/plain-file: not a directory" \
    "${BASE[@]}" --uuid "$UUID" --code-dir "$WORK/plain-file" --app-dir "$WORK/app" --hello
refused "mse-enclave: --app-dir $WORK/nope: No such file or directory" \
    "${BASE[@]}" --uuid "$UUID" --code-dir "$WORK/code" --app-dir "$WORK/nope" --hello
refused "mse-enclave: --app-dir $WORK/plain-file: not a directory" \
    "${BASE[@]}" --app-dir "$WORK/plain-file" --app-cmd true --app-port 9
refused "mse-enclave: --ssl-cert $WORK/nope.pem: No such file or directory" \
    "${BASE[@]}" --hello --ssl-cert "$WORK/nope.pem" --ssl-key "$WORK/key.pem"
refused "mse-enclave: --ssl-key $WORK/code: is a directory, not a file" \
    "${BASE[@]}" --hello --ssl-cert "$WORK/cert.pem" --ssl-key "$WORK/code"
refused "mse-enclave: --runtime $WORK/nope: No such file or directory" \
    --mode untrusted-ssl --provider sim --sim-pki "$WORK/code" --runtime "$WORK/nope" \
    --san localhost --port 0 --hello
refused "mse-enclave: --attestation-root $WORK/nope: No such file or directory" \
    --mode untrusted-ssl --attestation-root "$WORK/nope" --san localhost --port 0 --hello
refused "mse-enclave: --port-file directory $WORK/nope: No such file or directory" \
    "${BASE[@]}" --hello --port-file "$WORK/nope/port"
refused "mse-enclave: --app-port 8443 is the server's own --port: it would proxy to itself" \
    --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --port 8443 \
    --app-dir "$WORK/app" --app-cmd true --app-port 8443
# A usage error: one line naming the problem, then the help hint.
rc=0
"$ENCLAVE" "${BASE[@]}" --hello --max-connections 0 >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] || fail "--max-connections 0: exit $rc"
[ "$(cat "$WORK/err")" = "mse-enclave: --max-connections takes 1 to 1000000 (got '0')
try 'mse-enclave --help'" ] || fail "--max-connections 0: $(cat "$WORK/err")"
ok "--max-connections 0 refused"

# The same paths, when they exist, start the server.
start_enclave good --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --hello \
    --ssl-cert "$WORK/cert.pem" --ssl-key "$WORK/key.pem"
wait_http "https://localhost:$PORT/" --cacert "$WORK/cert.pem" --resolve "localhost:$PORT:127.0.0.1"
ok "valid paths: serving"

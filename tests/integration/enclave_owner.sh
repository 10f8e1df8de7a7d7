#!/usr/bin/env bash
# mse-enclave, app owner trust: configuration on the RA-TLS certificate with
# the owner's private key; a key that does not match the owner's certificate
# is refused and the server keeps waiting; the app phase serves the owner's
# chain (curl --cacert owner CA) and still publishes the RA-TLS certificate.
source "$(dirname "$0")/libenclave.sh"

# The owner's PKI: a CA and a leaf for localhost.
O="$WORK/owner"
mkdir -p "$O"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$O/ca.key" \
    -out "$O/ca.pem" -subj "/CN=Owner Test CA" -days 2 >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$O/leaf.key" \
    -out "$O/leaf.csr" -subj "/CN=localhost" >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n' >"$O/ext"
openssl x509 -req -in "$O/leaf.csr" -CA "$O/ca.pem" -CAkey "$O/ca.key" -CAcreateserial \
    -out "$O/leaf.pem" -days 2 -extfile "$O/ext" >/dev/null 2>&1
cat "$O/leaf.pem" "$O/ca.pem" >"$O/chain.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$O/other.key" 2>/dev/null

fake_attestation "$WORK/att"
make_context ow --owner-cert "$O/chain.pem"
grep -q "^ssl_certificate_origin = \"owner\"" "$CTX" || fail "context does not record the owner certificate"
mkdir "$WORK/app"
start_enclave ow --mode owner --attestation-root "$WORK/att" --san localhost --uuid "$UUID" \
    --code-dir "$ENC" --app-dir "$WORK/app" --hello --ssl-cert "$O/chain.pem"
BASE="https://127.0.0.1:$PORT"
curl -sk "$BASE/.well-known/mse/ratls.pem" >"$WORK/ratls.pem"
presented_cert "$PORT" >"$WORK/p1.pem" || fail "no certificate presented"
same_cert "$WORK/p1.pem" "$WORK/ratls.pem" || fail "configuration phase is not on the RA-TLS certificate"

json_pem() { awk 'BEGIN{ORS="\\n"} {print}' "$1"; }
GOODKEY=$(json_pem "$O/leaf.key")
BADKEY=$(json_pem "$O/other.key")
abuse_config "$BASE/.well-known/mse/configure" ",\"ssl_private_key\":\"$GOODKEY\""
expect_code 400 "$(post_config "$BASE/.well-known/mse/configure" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\"}")" "owner mode without ssl_private_key"
expect_code 400 "$(post_config "$BASE/.well-known/mse/configure" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\",\"ssl_private_key\":\"$BADKEY\"}")" "key not matching the owner certificate"
expect_code 400 "$(post_config "$BASE/.well-known/mse/configure" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\",\"ssl_private_key\":\"not a pem\"}")" "garbage key"
expect_code 200 "$(post_config "$BASE/.well-known/mse/configure" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\",\"ssl_private_key\":\"$GOODKEY\"}")" "correct owner configuration"

wait_http "https://localhost:$PORT/" --cacert "$O/ca.pem" --resolve "localhost:$PORT:127.0.0.1"
body=$(curl -s --cacert "$O/ca.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/")
[ "$body" = "Hello from the enclave!" ] || fail "owner-mode body: $body"
ok "app phase on the owner's chain (curl --cacert owner CA)"
presented_cert "$PORT" >"$WORK/p2.pem" || fail "no certificate presented"
same_cert "$WORK/p2.pem" "$O/leaf.pem" || fail "app phase leaf is not the owner's"
curl -s --cacert "$O/ca.pem" --resolve "localhost:$PORT:127.0.0.1" \
    "https://localhost:$PORT/.well-known/mse/ratls.pem" | cmp -s - "$WORK/ratls.pem" ||
    fail "ratls.pem not served in the owner app phase"
ok "RA-TLS certificate still published in owner mode"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/ratls.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/" || true)
[ "$code" = 000 ] || fail "app phase still accepts the RA-TLS pin ($code)"
expect_code 409 "$(post_config "$BASE/.well-known/mse/configure" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\",\"ssl_private_key\":\"$GOODKEY\"}")" "second configuration"

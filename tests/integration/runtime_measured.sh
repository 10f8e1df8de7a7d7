#!/usr/bin/env bash
# One measured runtime (issue 11, acceptance 1-3): the simulated enclave measures the runtime it
# runs, and a user recomputes the same MRENCLAVE from the owner's context and the plain code.
#  1. mse context new with no runtime flags; mse-enclave --provider sim with no --sim-mrenclave;
#     mse configure and mse verify with --context/--code pass; one changed byte of the code exits
#     16 with nothing saved; a context whose runtime libpal is nowhere is one clear error.
#  2. mse fingerprint --context --code equals the MRENCLAVE in the served certificate's quote.
#  3. The context copied to another HOME, the owner's files gone, gives the same fingerprint.
source "$(dirname "$0")/libenclave.sh"
trap '' PIPE
SIM="$MSE_BUILD_DIR/mse-sim"
[ -x "$SIM" ] || { echo "SKIP: needs the simulator"; exit 77; }

# The owner, in a fresh HOME: the README's command, no runtime flag.
OWNER="$WORK/owner"
mkdir -p "$OWNER/home" "$OWNER/app/static"
export HOME="$OWNER/home"
unset MSE_CONF_PATH MSE_RUNTIME_PATH XDG_CACHE_HOME
echo "print('hello')" >"$OWNER/app/app.py"
echo "body{}" >"$OWNER/app/static/style.css"
(cd "$OWNER" && "$MSE" context new --code ./app --name a --san localhost --out ctx.mse \
    >"$WORK/ctx.log" 2>&1) || fail "mse context new: $(cat "$WORK/ctx.log")"
UUID=$(sed -n 's/^id = "\(.*\)"$/\1/p' "$OWNER/ctx.mse")
[ -d "$OWNER/a.code.enc" ] || fail "no encrypted code in a.code.enc"
grep -q '^\[runtime\]' "$OWNER/ctx.mse" || fail "the context records no runtime"
grep -q '^fingerprint: *[0-9a-f]\{64\}$' "$WORK/ctx.log" || fail "context new: $(cat "$WORK/ctx.log")"
ok "mse context new recorded the runtime (no runtime flags)"

# The operator: simulator platform, PCCS, and the enclave that measures what it runs.
"$SIM" pki init "$WORK/pki" >/dev/null
"$SIM" pccs serve --dir "$WORK/pki" --port 0 --port-file "$WORK/pccs.port" --max-seconds 120 \
    --quiet >"$WORK/pccs.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 200); do [ -s "$WORK/pccs.port" ] && break; sleep 0.05; done
[ -s "$WORK/pccs.port" ] || fail "simulated PCCS did not start"
PCCS="http://127.0.0.1:$(cat "$WORK/pccs.port")"
mkdir "$WORK/appdir"
start_enclave enclave --mode zero-trust --provider sim --sim-pki "$WORK/pki" --san localhost \
    --uuid "$UUID" --code-dir "$OWNER/a.code.enc" --app-dir "$WORK/appdir" --hello
COMMON=(--pccs-url "$PCCS" --trust-root "$WORK/pki/root.pem" --signer-key "$WORK/pki/signer.pem"
        --no-cache --timeout 20)

# 2. The served certificate's quote carries what mse fingerprint computes.
presented_cert "$PORT" >"$WORK/served.pem" || fail "no certificate served"
quote_hex=$(openssl asn1parse -in "$WORK/served.pem" | grep -A1 ':1.2.840.113741.1337.6' |
            sed -n 's/.*\[HEX DUMP\]://p' | tr 'A-F' 'a-f')
served=${quote_hex:224:64}
[ ${#served} = 64 ] || fail "no quote in the served certificate"
fp=$("$MSE" fingerprint --context "$OWNER/ctx.mse" --code "$OWNER/app" | tail -1)
[ "$fp" = "$served" ] || fail "mse fingerprint $fp != the quote's MRENCLAVE $served"
grep -q "MRENCLAVE $served" "$WORK/enclave.log" || fail "the enclave did not log its measurement"
ok "mse fingerprint --context --code = the MRENCLAVE in the served quote ($fp)"

# 1. configure and verify on the user's path.
"$MSE" configure "localhost:$PORT" --context "$OWNER/ctx.mse" --code "$OWNER/app" "${COMMON[@]}" \
    >"$WORK/configure.out" 2>&1 || fail "mse configure: $(cat "$WORK/configure.out")"
cmp -s "$WORK/appdir/app.py" "$OWNER/app/app.py" || fail "code not installed"
ok "mse configure checked the computed fingerprint and configured the enclave"
USER_HOME="$WORK/user"
mkdir -p "$USER_HOME/home"
cp -r "$OWNER/app" "$USER_HOME/app"
cp "$OWNER/ctx.mse" "$USER_HOME/ctx.mse"
(cd "$USER_HOME" && HOME="$USER_HOME/home" "$MSE" verify "localhost:$PORT" --context ctx.mse \
    --code ./app "${COMMON[@]}" --output cert.pem >"$WORK/verify.out" 2>&1) ||
    fail "mse verify --context --code: $(cat "$WORK/verify.out")"
grep -q "MRENCLAVE $fp" "$WORK/verify.out" || fail "verify did not print the MRENCLAVE: $(cat "$WORK/verify.out")"
[ -s "$USER_HOME/cert.pem" ] || fail "verify saved no certificate"
ok "mse verify --context --code passes and prints the MRENCLAVE"

printf 'x' | dd of="$USER_HOME/app/app.py" bs=1 seek=0 conv=notrunc 2>/dev/null
rm -f "$USER_HOME/cert.pem"
set +e
(cd "$USER_HOME" && HOME="$USER_HOME/home" "$MSE" verify "localhost:$PORT" --context ctx.mse \
    --code ./app "${COMMON[@]}" --output cert.pem >"$WORK/changed.out" 2>&1)
rc=$?
set -e
[ "$rc" = 16 ] || fail "one changed byte: exit $rc, want 16: $(cat "$WORK/changed.out")"
[ ! -e "$USER_HOME/cert.pem" ] || fail "one changed byte: a certificate was saved"
ok "one changed byte of the code: exit 16, nothing saved"
# The context records each encrypted file's hash: the refusal names the file that changed, and so
# does mse fingerprint (which still prints the fingerprint of the code as it is).
grep -q "code file app.py is not the one the context was made for" "$WORK/changed.out" ||
    fail "one changed byte: the file is not named: $(cat "$WORK/changed.out")"
"$MSE" fingerprint --context "$USER_HOME/ctx.mse" --code "$USER_HOME/app" >"$WORK/fp-changed.out" 2>&1 ||
    fail "mse fingerprint on changed code: $(cat "$WORK/fp-changed.out")"
grep -q "code file app.py is not the one the context was made for" "$WORK/fp-changed.out" ||
    fail "mse fingerprint on changed code: the file is not named"
[ "$(tail -1 "$WORK/fp-changed.out")" != "$fp" ] || fail "mse fingerprint on changed code: the old fingerprint"
ok "the changed file is named (mse verify and mse fingerprint)"
cp "$OWNER/app/app.py" "$USER_HOME/app/app.py"

# Another runtime (its own libpal) that the user does not have: one error naming the file.
RT2="$WORK/rt2"
cp -r "$MSE_BUILD_DIR/runtime" "$RT2"
cp "$MSE_TEST_DATA/mrenclave/v01-minimal/libpal.so" "$RT2/libpal.so"
pal2=$(sha256sum "$RT2/libpal.so" | cut -c1-64)
sed -i "s/^libpal_sha256 = .*/libpal_sha256 = \"$pal2\"/" "$RT2/runtime.lock"
mkdir "$WORK/app2"
echo "x" >"$WORK/app2/x"
(cd "$WORK" && "$MSE" context new --code app2 --name b --san localhost --out ctx2.mse \
    --runtime "$RT2" >/dev/null 2>&1) || fail "context new --runtime"
rm -rf "$RT2"
set +e
"$MSE" verify "localhost:$PORT" --context "$WORK/ctx2.mse" --code "$WORK/app2" "${COMMON[@]}" \
    --output "$WORK/cert2.pem" >"$WORK/rt2.out" 2>&1
rc=$?
set -e
[ "$rc" = 22 ] || fail "missing libpal: exit $rc, want 22: $(cat "$WORK/rt2.out")"
grep -q "libpal.so with sha256 $pal2 not found" "$WORK/rt2.out" ||
    fail "missing libpal: $(cat "$WORK/rt2.out")"
[ "$(grep -c . "$WORK/rt2.out")" -le 2 ] || fail "missing libpal: not one clear error: $(cat "$WORK/rt2.out")"
[ ! -e "$WORK/cert2.pem" ] || fail "missing libpal: a certificate was saved"
ok "a runtime whose libpal is nowhere: one error naming libpal.so and its hash (exit 22)"

# 3. Another HOME, the owner's files gone: the same fingerprint from the context alone.
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
OTHER="$WORK/other"
mkdir -p "$OTHER/home"
cp "$OWNER/ctx.mse" "$OTHER/ctx.mse"
cp -r "$OWNER/app" "$OTHER/app"
rm -rf "$OWNER"
fp3=$(cd "$OTHER" && HOME="$OTHER/home" "$MSE" fingerprint --context ctx.mse --code ./app | tail -1)
[ "$fp3" = "$fp" ] || fail "another HOME: $fp3 != $fp"
ok "a context copied to another HOME computes the same fingerprint (runtime files found by hash)"

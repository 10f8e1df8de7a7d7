#!/usr/bin/env bash
# mse verify DOMAIN --context FILE --code DIR (issues 4 and 6): the user computes the code
# fingerprint from the owner's context and the plain code, and the verification passes only
# when the enclave runs exactly that code.
source "$(dirname "$0")/libsim.sh"

mkdir -p "$WORK/code/static"
echo "print('hello')" >"$WORK/code/app.py"
echo "body{}" >"$WORK/code/static/style.css"
(cd "$WORK" && "$MSE" context new --code code --name ctxapp --san localhost --out "$WORK/ctx.mse" \
    >/dev/null) || fail "mse context new"
fp=$("$MSE" fingerprint --context "$WORK/ctx.mse" --code "$WORK/code" | tail -1)
[ ${#fp} = 64 ] || fail "fingerprint: '$fp'"

"$SIM" pki init "$WORK/pki" >/dev/null
"$SIM" ratls --pki "$WORK/pki" --cert "$WORK/srv.pem" --key "$WORK/srv.key" --mrenclave "$fp"
start_pccs pccs
start_tls app "$WORK/srv.pem" "$WORK/srv.key"
common=(--pccs-url "http://127.0.0.1:$PCCS_PORT" --trust-root "$WORK/pki/root.pem"
        --signer-key "$WORK/pki/signer.pem" --output "$WORK/cert.pem")

"$MSE" verify "localhost:$TLS_PORT" "${common[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
    >"$WORK/ok.out" 2>&1 || { cat "$WORK/ok.out"; fail "verify with the right code"; }
grep -q "MRENCLAVE is the code fingerprint" "$WORK/ok.out" && ! grep -q "skipped" "$WORK/ok.out" ||
    fail "fingerprint check did not run"
ok "the enclave runs exactly the code computed from the context"

# One changed byte in the code: refused as another fingerprint, nothing written.
rm -f "$WORK/cert.pem"
echo "print('pwned')" >"$WORK/code/app.py"
set +e
"$MSE" verify "localhost:$TLS_PORT" "${common[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
    >"$WORK/bad.out" 2>&1
rc=$?
set -e
[ "$rc" = 16 ] || { cat "$WORK/bad.out"; fail "changed code: exit $rc, want 16"; }
grep -q MSE_ERR_POLICY_MRENCLAVE "$WORK/bad.out" || fail "changed code: decisive code"
grep -q "code file app.py is not the one the context was made for" "$WORK/bad.out" ||
    fail "changed code: the file is not named"
[ ! -e "$WORK/cert.pem" ] || fail "changed code: certificate written"
ok "changed code refused"

# The quote is verified while the fingerprint is computed, on a placeholder, and check 3 is
# decided once it is known: the verdict is the one of the whole policy at once. A check before
# MRENCLAVE (here MRSIGNER) still decides first, MRENCLAVE reported failed too; --json carries
# the decided verdict; a saved evidence bundle (offline) is refused the same way.
zero_signer=$(printf '0%.0s' $(seq 1 64))
flat() { tr -d ' \n' <"$1"; } # the --json object on one line, for a pattern (no jq in CI)
set +e
"$MSE" verify "localhost:$TLS_PORT" --pccs-url "http://127.0.0.1:$PCCS_PORT" \
    --trust-root "$WORK/pki/root.pem" --mrsigner "$zero_signer" --output "$WORK/cert.pem" \
    --context "$WORK/ctx.mse" --code "$WORK/code" --json >"$WORK/ms.out" 2>/dev/null
rc=$?
set -e
[ "$rc" = 15 ] || { cat "$WORK/ms.out"; fail "changed code and another signer: exit $rc, want 15"; }
[[ $(flat "$WORK/ms.out") == *'"mrenclave":{"outcome":"fail"'*'"error":{"code":"MSE_ERR_POLICY_MRSIGNER"'* ]] ||
    { cat "$WORK/ms.out"; fail "changed code and another signer: json"; }
set +e
"$MSE" verify "localhost:$TLS_PORT" "${common[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
    --json >"$WORK/mj.out" 2>/dev/null
rc=$?
set -e
[ "$rc" = 16 ] || { cat "$WORK/mj.out"; fail "changed code, --json: exit $rc, want 16"; }
[[ $(flat "$WORK/mj.out") == *'"mrsigner":{"outcome":"pass"'*'"mrenclave":{"outcome":"fail"'*'"error":{"code":"MSE_ERR_POLICY_MRENCLAVE"'* ]] ||
    { cat "$WORK/mj.out"; fail "changed code, --json: verdict"; }
echo "print('hello')" >"$WORK/code/app.py"
"$MSE" verify "localhost:$TLS_PORT" "${common[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
    --save-evidence "$WORK/ev.json" --json >"$WORK/okj.out" 2>/dev/null ||
    { cat "$WORK/okj.out"; fail "right code, --json"; }
[[ $(flat "$WORK/okj.out") == '{"verdict":"ok"'*'"mrenclave":{"outcome":"pass"'* ]] ||
    { cat "$WORK/okj.out"; fail "right code, --json: verdict"; }
offline=(--trust-root "$WORK/pki/root.pem" --signer-key "$WORK/pki/signer.pem"
         --output "$WORK/ev-cert.pem")
"$MSE" verify --evidence "$WORK/ev.json" "${offline[@]}" --context "$WORK/ctx.mse" \
    --code "$WORK/code" >"$WORK/ev-ok.out" 2>&1 || { cat "$WORK/ev-ok.out"; fail "evidence, right code"; }
rm -f "$WORK/ev-cert.pem"
echo "print('pwned')" >"$WORK/code/app.py"
set +e
"$MSE" verify --evidence "$WORK/ev.json" "${offline[@]}" --context "$WORK/ctx.mse" \
    --code "$WORK/code" >"$WORK/ev-bad.out" 2>&1
rc=$?
set -e
[ "$rc" = 16 ] || { cat "$WORK/ev-bad.out"; fail "evidence, changed code: exit $rc, want 16"; }
[ ! -e "$WORK/ev-cert.pem" ] || fail "evidence, changed code: certificate written"
ok "check 3 decided after the quote's verification: policy order, --json, evidence"

# Usage: --context without --code, and with --fingerprint.
set +e
"$MSE" verify "localhost:$TLS_PORT" "${common[@]}" --context "$WORK/ctx.mse" >/dev/null 2>&1
[ $? = 2 ] || fail "--context without --code"
"$MSE" verify "localhost:$TLS_PORT" "${common[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
    --fingerprint "$fp" >/dev/null 2>&1
[ $? = 2 ] || fail "--fingerprint with --context"
# A runtime file pinned differently in the context (another runtime): another fingerprint.
zero=$(printf '0%.0s' $(seq 1 64))
sed -i "0,/^sha256 = \"[0-9a-f]\{64\}\"/s//sha256 = \"$zero\"/" "$WORK/ctx.mse"
grep -q "^sha256 = \"$zero\"" "$WORK/ctx.mse" || fail "could not alter the context's lock"
"$MSE" verify "localhost:$TLS_PORT" "${common[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
    >"$WORK/rt.out" 2>&1
rc=$?
set -e
[ "$rc" = 16 ] || { cat "$WORK/rt.out"; fail "another runtime file pinned: exit $rc, want 16"; }

# The fingerprint is computed beside the certificate fetch; when it cannot be computed (here a
# code file the owner never encrypted) its error decides, whether the server answers or not,
# with mse fingerprint's exit code, and nothing is saved.
echo "extra" >"$WORK/code/extra.txt"
rm -f "$WORK/cert.pem"
set +e
"$MSE" fingerprint --context "$WORK/ctx.mse" --code "$WORK/code" >"$WORK/fp.out" 2>&1
want=$?
set -e
[ "$want" != 0 ] && [ "$want" != 16 ] || { cat "$WORK/fp.out"; fail "extra file: fingerprint exit $want"; }
for target in "localhost:$TLS_PORT" "127.0.0.1:1"; do
    set +e
    "$MSE" verify "$target" "${common[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
        >"$WORK/nf.out" 2>&1
    rc=$?
    set -e
    out=$(cat "$WORK/nf.out")
    [ "$rc" = "$want" ] || { echo "$out"; fail "$target, extra file: exit $rc, want $want"; }
    [[ $out == *"cannot compute the code fingerprint"*extra.txt* ]] ||
        { echo "$out"; fail "$target, extra file: the fingerprint's reason"; }
    [[ $out != *"Checking your app"* ]] || { echo "$out"; fail "$target: a verdict was started"; }
    [ ! -e "$WORK/cert.pem" ] || fail "$target, extra file: certificate written"
done
ok "a fingerprint that cannot be computed decides, server up or down"

# The fingerprint's thread starts before the signer keys are read; a signer key that cannot be
# read still decides first (the thread is stopped): the exit code and reason mse verify gives
# for it with --fingerprint, although the code here (with extra.txt) has no fingerprint either.
echo "not a key" >"$WORK/bad-signer.pem"
bad=(--pccs-url "http://127.0.0.1:$PCCS_PORT" --trust-root "$WORK/pki/root.pem"
     --signer-key "$WORK/bad-signer.pem" --output "$WORK/cert.pem")
set +e
"$MSE" verify "localhost:$TLS_PORT" "${bad[@]}" --fingerprint "$fp" >"$WORK/sk1.out" 2>&1
want=$?
"$MSE" verify "localhost:$TLS_PORT" "${bad[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
    >"$WORK/sk2.out" 2>&1
rc=$?
set -e
[ "$want" != 0 ] && [ "$rc" = "$want" ] || { cat "$WORK/sk2.out"; fail "bad signer key: exit $rc, want $want"; }
grep -q "bad-signer.pem" "$WORK/sk2.out" && ! grep -q "fingerprint" "$WORK/sk2.out" ||
    { cat "$WORK/sk2.out"; fail "bad signer key: not the decisive reason"; }
[ ! -e "$WORK/cert.pem" ] || fail "bad signer key: certificate written"
ok "an unreadable signer key decides before the fingerprint"

# The code is listed on a thread of its own while the context is read: a link in the code is
# still refused by name, with mse fingerprint's exit code.
rm -f "$WORK/code/extra.txt"
ln -s /etc/hostname "$WORK/code/static/link.css"
set +e
"$MSE" fingerprint --context "$WORK/ctx.mse" --code "$WORK/code" >/dev/null 2>&1
want=$?
"$MSE" verify "localhost:$TLS_PORT" "${common[@]}" --context "$WORK/ctx.mse" --code "$WORK/code" \
    >"$WORK/ln.out" 2>&1
rc=$?
set -e
[ "$want" != 0 ] && [ "$rc" = "$want" ] || { cat "$WORK/ln.out"; fail "link in the code: exit $rc, want $want"; }
grep -q "static/link.css is a symbolic link" "$WORK/ln.out" ||
    { cat "$WORK/ln.out"; fail "link in the code: not named"; }
ok "a link in the code is refused by name"
echo "verify_context: 4 passed, 0 failed"

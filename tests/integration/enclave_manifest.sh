#!/usr/bin/env bash
# The shipped runtime template (runtime/mse-enclave.manifest.template, the one
# gramine-manifest renders for real SGX) rendered from a context by mse's
# reader of the same template language, expanded as gramine-sgx-sign does and
# measured: in zero-trust and owner modes, with the built-in hello app and
# with an app command. The command line, the encrypted code and the owner's
# chain are measured; the runtime's files are each pinned by the lock, and no
# host library directory is trusted as a whole.
source "$(dirname "$0")/libenclave.sh"
: "${MSE_SRC_DIR:?MSE_SRC_DIR must be set (CTest sets it)}"
TEMPLATE="$MSE_SRC_DIR/runtime/mse-enclave.manifest.template"

mkdir -p "$WORK/code/static"
echo "print('hi')" >"$WORK/code/app.py"
echo "b{}" >"$WORK/code/static/style.css"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=app.example.com \
    -keyout "$WORK/owner.key" -out "$WORK/owner.pem" -days 2 2>/dev/null

declare -A MR
measure() { # measure NAME CONTEXT-NEW-ARGS...
    local name="$1"
    shift
    (cd "$WORK" && "$MSE" context new --code code --name "$name" --san app.example.com \
        --out "$WORK/$name.mse" --out-code "$WORK/$name.enc" "$@" >/dev/null 2>&1) ||
        fail "$name: mse context new"
    "$MSE" fingerprint --context "$WORK/$name.mse" --code "$WORK/code" --json \
        --write-manifest-sgx "$WORK/$name.manifest.sgx" >"$WORK/$name.json" 2>"$WORK/$name.err" ||
        fail "$name: the shipped template did not render, expand or measure: $(cat "$WORK/$name.err")"
    MR[$name]=$(grep -o '"mrenclave": *"[0-9a-f]\{64\}"' "$WORK/$name.json" | grep -o '[0-9a-f]\{64\}')
    [ ${#MR[$name]} = 64 ] || fail "$name: no MRENCLAVE in $(cat "$WORK/$name.json")"
    local m="$WORK/$name.manifest.sgx"
    grep -q 'remote_attestation = "dcap"' "$m" || fail "$name: no DCAP attestation"
    grep -q '"--mode",' "$m" || fail "$name: command line not in the measured manifest"
    grep -q 'uri = "file:/var/lib/mse/code/app.py.enc"' "$m" || fail "$name: encrypted code not trusted"
    grep -q 'uri = "file:/var/lib/mse/code/static/style.css.enc"' "$m" || fail "$name: code tree not trusted"
    grep -q 'uri = "file:/lib/x86_64-linux-gnu/libssl.so.3"' "$m" || fail "$name: runtime file missing"
    ! grep -q 'uri = "file:[^"]*/"' "$m" || fail "$name: a directory left unexpanded"
    ok "$name: shipped template renders, expands and measures (MRENCLAVE ${MR[$name]})"
}
measure zt
measure owner --owner-cert "$WORK/owner.pem"
measure app --app-cmd "exec ./app.py" --app-port 8000
grep -q '"--hello",' "$WORK/zt.manifest.sgx" || fail "zt: the hello app not in the command line"
grep -q '"--app-cmd", "exec ./app.py", "--app-port", "8000",' "$WORK/app.manifest.sgx" ||
    grep -q '"exec ./app.py"' "$WORK/app.manifest.sgx" || fail "app: the app command is not measured"
grep -q 'uri = "file:/var/lib/mse/owner/chain.pem"' "$WORK/owner.manifest.sgx" ||
    fail "owner: the owner's chain is not a trusted file"
[ "${MR[zt]}" != "${MR[owner]}" ] && [ "${MR[zt]}" != "${MR[app]}" ] ||
    fail "the mode or the app command does not change MRENCLAVE"
ok "the mode, the app command and the owner's chain are measured"

# No whole-directory trust of host libraries in the shipped template.
if grep -n '"file:{{ *arch_libdir *}}/"\|"file:/usr{{ *arch_libdir *}}/"\|"file:{{ *gramine.runtimedir() *}}/"' "$TEMPLATE"; then
    fail "the template trusts a host library directory as a whole"
fi
ok "the template lists the runtime's files one by one"

#!/usr/bin/env bash
# docs/gramine/mse-enclave.manifest.template renders (a stand-in for
# gramine-manifest: variables substituted, the owner-mode blocks kept or
# dropped) into a manifest that mse's gramine-sgx-sign expansion accepts and
# measures, in zero-trust and owner modes; the modes measure differently
# (the command line is part of MRENCLAVE).
source "$(dirname "$0")/libenclave.sh"
: "${MSE_SRC_DIR:?MSE_SRC_DIR must be set (CTest sets it)}"
: "${MSE_TEST_DATA:?MSE_TEST_DATA must be set (CTest sets it)}"
TEMPLATE="$MSE_SRC_DIR/docs/gramine/mse-enclave.manifest.template"
LIBPAL="$MSE_TEST_DATA/mrenclave/v01-minimal/libpal.so"

R="$WORK/root"
mkdir -p "$R/gramine/runtime" "$R/lib" "$R/usrlib" "$R/code/static" "$R/owner"
echo libos >"$R/gramine/libsysdb.so"
echo loader >"$R/gramine/runtime/ld-linux-x86-64.so.2"
echo libc >"$R/lib/libc.so.6"
echo libevent >"$R/usrlib/libevent-2.1.so.7"
cp "$ENCLAVE" "$R/mse-enclave"
echo enc >"$R/code/app.py.enc"
echo enc >"$R/code/static/style.css.enc"
echo chain >"$R/owner/chain.pem"

render() { # render MODE OUT
    local mode="$1" out="$2" keep
    if [ "$mode" = owner ]; then keep=(-e '/{% if mode == "owner" %}/d' -e '/{% endif %}/d')
    else keep=(-e '/{% if mode == "owner" %}/,/{% endif %}/d'); fi
    sed "${keep[@]}" \
        -e "s|/usr{{ arch_libdir }}|$R/usrlib|g" \
        -e "s|{{ arch_libdir }}|$R/lib|g" \
        -e "s|{{ gramine.libos }}|$R/gramine/libsysdb.so|g" \
        -e "s|{{ gramine.runtimedir() }}|$R/gramine/runtime|g" \
        -e "s|{{ log_level }}|error|g; s|{{ mode }}|$mode|g; s|{{ port }}|443|g" \
        -e "s|{{ mse_enclave }}|$R/mse-enclave|g; s|{{ san }}|app.example.com|g" \
        -e "s|{{ subject }}|CN=app.example.com|g; s|{{ uuid }}|6ebc0242-3d2f-4e81-b135-7b2cf911df14|g" \
        -e "s|{{ code_dir }}|$R/code|g; s|{{ app_cmd }}|exec ./app|g; s|{{ app_port }}|8000|g" \
        -e "s|{{ owner_cert }}|$R/owner/chain.pem|g" "$TEMPLATE" >"$out"
    if grep -n '{{\|{%' "$out"; then fail "$mode: unrendered template syntax"; fi
}

declare -A MR
for mode in zero-trust owner; do
    render "$mode" "$WORK/$mode.manifest"
    "$MSE" fingerprint --manifest "$WORK/$mode.manifest" --libpal "$LIBPAL" --json \
        --write-manifest-sgx "$WORK/$mode.manifest.sgx" >"$WORK/$mode.json" 2>"$WORK/$mode.err" ||
        fail "$mode: mse fingerprint refused the manifest: $(cat "$WORK/$mode.err")"
    MR[$mode]=$(grep -o '"mrenclave": *"[0-9a-f]\{64\}"' "$WORK/$mode.json" | grep -o '[0-9a-f]\{64\}')
    [ ${#MR[$mode]} = 64 ] || fail "$mode: no MRENCLAVE in $(cat "$WORK/$mode.json")"
    grep -q 'remote_attestation = "dcap"' "$WORK/$mode.manifest.sgx" || fail "$mode: no DCAP attestation"
    grep -q '"--mode"' "$WORK/$mode.manifest.sgx" || fail "$mode: command line not in the measured manifest"
    grep -q "app.py.enc" "$WORK/$mode.manifest.sgx" || fail "$mode: encrypted code not a trusted file"
    ok "$mode: template renders, expands and measures (MRENCLAVE ${MR[$mode]})"
done
[ "${MR[zero-trust]}" != "${MR[owner]}" ] || fail "the mode does not change MRENCLAVE"
grep -q "owner/chain.pem" "$WORK/owner.manifest.sgx" || fail "owner chain not a trusted file"
ok "the mode and the owner chain are measured"

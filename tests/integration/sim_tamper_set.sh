#!/usr/bin/env bash
# The negative matrix as files (issue 3): `mse-sim tamper` writes one evidence bundle per row of the
# tamper table (src/sim/sim_tamper_cases.c, also run in process by negative_matrix_test), one per way
# a quote, certificate, collateral item or policy input can be wrong, with a MANIFEST naming the
# mse_err that must decide each. Every case goes through `mse verify --evidence` (the CLI
# nobody in the simulator wrote) and must be refused with exactly that code; the reference case
# verifies with --trust-root and is refused without it (issue 3, acceptance 1).
source "$(dirname "$0")/libsim.sh"
set="$WORK/tamper"
"$SIM" tamper --out "$set" >"$WORK/tamper.log" 2>&1 || fail "mse-sim tamper"
[ -s "$set/MANIFEST" ] || fail "no MANIFEST"

# Returns the decisive code name mse verify printed (MSE_OK on success), run under the
# command prefix in PRE (empty, or an env with an LD_PRELOAD).
PRE=()
verify_case() { # file root args-file
    local rc extra
    mapfile -t extra <"$3"
    set +e
    "${PRE[@]}" "$MSE" verify --evidence "$set/$1" --trust-root "$2" --no-cache \
        --output "$WORK/out/cert.pem" "${extra[@]}" >"$WORK/verify.log" 2>&1
    rc=$?
    set -e
    if [ "$rc" = 0 ]; then
        echo MSE_OK
    else
        grep -o '^  MSE_ERR_[A-Z0-9_]*:' "$WORK/verify.log" | tr -d ' :' | tail -n 1
    fi
}
mkdir -p "$WORK/out"

# run_matrix WHAT: every case of the MANIFEST, refused with its code (the reference accepted).
run_matrix() {
    n=0
    seen=""
    while read -r file want desc; do
        case "$file" in '#'* | '') continue ;; esac
        name="${file%.json}"
        [ -f "$set/$file" ] || fail "$file listed but missing"
        grep -q "X($want," "$MSE_SRC_DIR/include/mse/err.h" || fail "$file: $want is not in err.h"
        root="$set/root.pem"
        [ -f "$set/$name.root.pem" ] && root="$set/$name.root.pem"
        args="$set/identity.args"
        [ -f "$set/$name.args" ] && args="$set/$name.args"
        got=$(verify_case "$file" "$root" "$args")
        [ "$got" = "$want" ] || { cat "$WORK/verify.log" >&2; fail "$file ($desc): got '$got', want $want"; }
        if [ "$want" != MSE_OK ]; then
            [ ! -e "$WORK/out/cert.pem" ] || fail "$file refused but a certificate was written"
        fi
        rm -f "$WORK/out/"*
        case " $seen " in *" $name "*) fail "duplicate case $name" ;; esac
        seen="$seen $name"
        n=$((n + 1))
    done <"$set/MANIFEST"
    [ "$n" -ge 30 ] || fail "only $n cases"
    ok "$n tamper cases refused with their exact codes$1"
}
run_matrix ""

# Again with OpenSSL unable to make library contexts (tests/tools/no_libctx.c): the verifier's
# own contexts (src/core/x509_ctx.c) are an optimisation, and without them every verdict is
# the same.
: "${MSE_NO_LIBCTX_SHIM:?MSE_NO_LIBCTX_SHIM must be set (CTest sets it)}"
PRE=(env "LD_PRELOAD=$MSE_NO_LIBCTX_SHIM" "MSE_NO_LIBCTX_MARK=$WORK/no-libctx.mark")
run_matrix ", also without the verifier's own OpenSSL contexts"
[ -e "$WORK/no-libctx.mark" ] || fail "the no-library-context shim was never called"
PRE=()

# Acceptance 1: the reference verifies only with the simulator root as explicit anchor.
grep -q '^good.json MSE_OK ' "$set/MANIFEST" || fail "no reference case"
mapfile -t id <"$set/identity.args"
"$MSE" verify --evidence "$set/good.json" --trust-root "$set/root.pem" --no-cache \
    --output "$WORK/out/cert.pem" "${id[@]}" >"$WORK/good.log" 2>&1 || fail "reference refused"
[ -s "$WORK/out/cert.pem" ] || fail "reference: no certificate saved"
rm -f "$WORK/out/"*
set +e
"$MSE" verify --evidence "$set/good.json" --no-cache --output "$WORK/out/cert.pem" "${id[@]}" \
    >"$WORK/default.log" 2>&1
rc=$?
set -e
[ "$rc" = 10 ] || fail "without --trust-root: exit $rc, want 10"
grep -q 'MSE_ERR_ROOT_UNTRUSTED' "$WORK/default.log" || fail "without --trust-root: not ROOT_UNTRUSTED"
[ ! -e "$WORK/out/cert.pem" ] || fail "without --trust-root: certificate written"
ok "reference verifies with --trust-root and is refused under the Intel root"

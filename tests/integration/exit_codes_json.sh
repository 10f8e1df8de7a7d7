#!/usr/bin/env bash
# Every exit code of docs/exit-codes.md, triggered through the real `mse` with --json (issue 14,
# acceptance 4). One row per way in: the exit code, the MSE_ERR_ name that must decide, and the
# command line (fixtures from the simulator: `mse-sim tamper` bundles, a sim quote, a sim RA-TLS
# certificate behind openssl s_server, two sim PCCS servers on 127.0.0.1, ephemeral ports).
# For each row:
#  - the process exits with the row's code;
#  - stdout is exactly one JSON object and nothing else, whose error.code is the row's name
#    (or, for 0, no error and verdict "ok") and whose error.exit is the process's exit code
#    (checked by json_exit_check, tests/tools: jansson, no jq or python in CI);
#  - include/mse/err.h puts that name in the class docs/exit-codes.md gives the code;
#  - without --json: the same exit code, nothing on stdout that looks like JSON, and the name on
#    the human error line (usage errors: the one-line form with the help hint instead).
# The test fails when docs/exit-codes.md lists a code no row triggers, or a row exits with a
# code the page does not list. Class 1 (INTERNAL, "bug or resource exhaustion") is reached
# with an LD_PRELOAD shim (tests/tools/nomem_jansson.c) making jansson run out of memory.
source "$(dirname "$0")/libsim.sh"
# The test writes to sockets only through mse and curl, but a dropped connection must never
# kill the shell with SIGPIPE.
trap '' PIPE
: "${MSE_JSON_CHECK:?set by CTest}" "${MSE_NOMEM_SHIM:?set by CTest}" "${MSE_SRC_DIR:?}" \
  "${MSE_TEST_DATA:?}"
DOC="$MSE_SRC_DIR/docs/exit-codes.md"
ERR_H="$MSE_SRC_DIR/include/mse/err.h"

# ---- fixtures ------------------------------------------------------------------------------
T="$WORK/tamper"
"$SIM" pki init "$WORK/pki" >"$WORK/pki-init.log" 2>&1 || fail "mse-sim pki init"
"$SIM" tamper --out "$T" >"$WORK/tamper.log" 2>&1 || fail "mse-sim tamper"
ZEROS=$(printf '00%.0s' {1..64})
ONES=$(printf '11%.0s' {1..64})
OTHER_MRE=$(printf 'cd%.0s' {1..32})
"$SIM" quote --pki "$WORK/pki" --report-data "$ZEROS" --out "$WORK/quote.dat" ||
    fail "mse-sim quote"
MRE=$(printf 'ab%.0s' {1..32})
"$SIM" ratls --pki "$WORK/pki" --cert "$WORK/app.pem" --key "$WORK/app.key" --mrenclave "$MRE" ||
    fail "mse-sim ratls"
start_tls app "$WORK/app.pem" "$WORK/app.key"
APP="localhost:$TLS_PORT"
start_pccs pccs
PCCS="http://127.0.0.1:$PCCS_PORT"
PLAIN_HTTP="127.0.0.1:$PCCS_PORT"
start_pccs portal --not-collateral tcb
PORTAL="http://127.0.0.1:$PCCS_PORT"
mkdir -p "$WORK/app" "$WORK/out"
echo '<h1>exit codes</h1>' >"$WORK/app/index.html"
(cd "$WORK" && "$MSE" context new --code ./app --name codes --san localhost --out ctx.mse) \
    >"$WORK/context-new.log" 2>&1 || fail "mse context new"
SIM_ID=(--trust-root "$WORK/pki/root.pem" --signer-key "$WORK/pki/signer.pem" --no-cache)
cd "$WORK"

# ---- the rows ------------------------------------------------------------------------------
# row EXIT NAME [@nomem] SUBCOMMAND ARGS...: `mse SUBCOMMAND ARGS... --json`. Tokens:
#   @nomem        run under the jansson out-of-memory shim;
#   @tamper=CASE  `--evidence` of that mse-sim tamper case with its anchor and expected identity
#                 (the MANIFEST's conventions), no cache, output under $WORK/out.
BAD=0
ROWS=0
declare -A COVERED=()
bad() {
    echo "FAIL: $*" >&2
    BAD=$((BAD + 1))
}
tamper_args() {
    local case=$1 root="$T/root.pem" idfile="$T/identity.args" id
    [ -f "$T/$case.json" ] || { bad "no tamper case $case"; return; }
    [ -f "$T/$case.root.pem" ] && root="$T/$case.root.pem"
    [ -f "$T/$case.args" ] && idfile="$T/$case.args"
    mapfile -t id <"$idfile"
    ARGS+=(--evidence "$T/$case.json" --trust-root "$root" --no-cache
           --output "$WORK/out/cert.pem" "${id[@]}")
}
class_of_name() { sed -n "s/^ *X($1, *[0-9]*, *\([A-Z_]*\),.*/\1/p" "$ERR_H" | head -n 1; }
class_of_exit() { sed -n "s/^| *$1 | \([A-Z_]*\) |.*/\1/p" "$DOC" | head -n 1; }

row() {
    local want_exit=$1 want_name=$2 a rc out
    local -a pre=()
    ARGS=()
    shift 2
    for a in "$@"; do
        case "$a" in
            @nomem) pre=(env "LD_PRELOAD=$MSE_NOMEM_SHIM") ;;
            @tamper=*) tamper_args "${a#@tamper=}" ;;
            *) ARGS+=("$a") ;;
        esac
    done
    ROWS=$((ROWS + 1))
    out="$WORK/row$ROWS"
    local what="row $ROWS (mse ${ARGS[0]}, exit $want_exit, $want_name)"
    COVERED[$want_exit]=1

    set +e
    "${pre[@]}" "$MSE" "${ARGS[@]}" --json >"$out.json" 2>"$out.err" </dev/null
    rc=$?
    set -e
    [ "$rc" = "$want_exit" ] || bad "$what: --json exited $rc: $(head -c 400 "$out.err")"
    "$MSE_JSON_CHECK" "$out.json" "$rc" "$want_name" >"$out.check" ||
        bad "$what: $(cat "$out.check")"
    # A failure also says why on stderr, in one line, with --json as without.
    if [ "$want_name" != MSE_OK ] && ! grep -q . "$out.err"; then
        bad "$what: --json printed no reason on stderr"
    fi

    local name_class doc_class
    name_class=$(class_of_name "$want_name")
    doc_class=$(class_of_exit "$want_exit")
    [ -n "$doc_class" ] || bad "$what: docs/exit-codes.md has no exit code $want_exit"
    [ "$name_class" = "$doc_class" ] ||
        bad "$what: err.h puts $want_name in class '$name_class', the page gives $want_exit '$doc_class'"

    # The same command without --json: same exit code, the human form.
    set +e
    "${pre[@]}" "$MSE" "${ARGS[@]}" >"$out.human" 2>"$out.human-err" </dev/null
    rc=$?
    set -e
    [ "$rc" = "$want_exit" ] || bad "$what: without --json exited $rc"
    [ "$(head -c 1 "$out.human")" != "{" ] || bad "$what: JSON on stdout without --json"
    if [ "$want_name" = MSE_OK ]; then
        :
    elif [ "$doc_class" = USAGE ]; then
        grep -q "^try 'mse " "$out.human-err" || bad "$what: no help hint on the usage error"
    else
        grep -q "$want_name" "$out.human" "$out.human-err" ||
            bad "$what: the human output does not name $want_name"
    fi
}

# 0 OK: an evidence bundle offline, a raw quote and a live server with collateral from the PCCS,
# what a certificate claims, the fingerprint an owner's context promises.
row 0 MSE_OK verify @tamper=good
row 0 MSE_OK verify --quote quote.dat --report-data "$ZEROS" "${SIM_ID[@]}" --pccs-url "$PCCS"
row 0 MSE_OK verify "$APP" --fingerprint "$MRE" "${SIM_ID[@]}" --pccs-url "$PCCS" \
    --output "$WORK/out/app.pem"
row 0 MSE_OK inspect "$MSE_TEST_DATA/real/mse-ratls-cert.pem"
row 0 MSE_OK fingerprint --context ctx.mse --code app
# 1 INTERNAL: out of memory (the shim), in the verifier and in inspect.
row 1 MSE_ERR_NOMEM @nomem verify @tamper=good
row 1 MSE_ERR_NOMEM @nomem inspect "$MSE_TEST_DATA/real/mse-ratls-cert.pem"
# 2 USAGE: in every command that has --json.
row 2 MSE_ERR_ARG_HEX verify localhost --fingerprint abc
row 2 MSE_ERR_ARG_MISSING verify
row 2 MSE_ERR_ARG_TIME verify @tamper=good --at yesterday
row 2 MSE_ERR_ARG inspect --no-such-option
row 2 MSE_ERR_ARG_MISSING fingerprint
row 2 MSE_ERR_ARG context --show not-a-uuid
row 2 MSE_ERR_ARG_MISSING configure localhost
row 2 MSE_ERR_ARG trust list --no-such-option
# 3 FORMAT: malformed input bytes, verified and inspected.
row 3 MSE_ERR_QUOTE_TRUNCATED verify @tamper=quote-truncated-2
row 3 MSE_ERR_QUOTE_TRUNCATED inspect "$T/quote-truncated-2.json"
# 10 NOT_GENUINE: the DCAP chain.
row 10 MSE_ERR_PCK_REVOKED verify @tamper=revoked-pck
row 10 MSE_ERR_QUOTE_SIGNATURE verify @tamper=bad-quote-signature
# 11 COLLATERAL: expired or not yet valid.
row 11 MSE_ERR_CRL_EXPIRED verify @tamper=pck-crl-expired
row 11 MSE_ERR_COLLATERAL_NOT_YET_VALID verify @tamper=collateral-not-yet-valid
# 12 TCB.
row 12 MSE_ERR_TCB_STATUS verify @tamper=tcb-out-of-date
# 13 BINDING: certificate key, raw quote REPORTDATA.
row 13 MSE_ERR_BINDING_MISMATCH verify @tamper=key-binding-mismatch
row 13 MSE_ERR_POLICY_REPORT_DATA verify --quote quote.dat --report-data "$ONES" "${SIM_ID[@]}" \
    --pccs-url "$PCCS"
# 14 DEBUG, 15 SIGNER, 16 FINGERPRINT: the policy, offline and against a live server (configure
# sends nothing to a server whose MRENCLAVE is not the context's).
row 14 MSE_ERR_POLICY_DEBUG verify @tamper=debug-enclave
row 15 MSE_ERR_POLICY_MRSIGNER verify @tamper=mrsigner-mismatch
row 16 MSE_ERR_POLICY_MRENCLAVE verify @tamper=mrenclave-mismatch
row 16 MSE_ERR_POLICY_MRENCLAVE verify "$APP" --fingerprint "$OTHER_MRE" "${SIM_ID[@]}" \
    --pccs-url "$PCCS" --output "$WORK/out/app.pem"
row 16 MSE_ERR_POLICY_MRENCLAVE configure "$APP" --context ctx.mse --code app "${SIM_ID[@]}" \
    --pccs-url "$PCCS"
# 17 NO_ENCLAVE.
row 17 MSE_ERR_RATLS_NO_QUOTE verify @tamper=missing-extension
# 18 TDX: a raw TDX v4 quote (tests/data/synthetic).
row 18 MSE_ERR_QUOTE_TDX verify --quote "$MSE_TEST_DATA/synthetic/tdx-v4-quote.dat" --offline
# 20 NETWORK: the PCCS port speaks plain HTTP, not TLS.
row 20 MSE_ERR_NET_TLS verify "$PLAIN_HTTP" --no-name-check \
    --fingerprint "$MRE" --output "$WORK/out/app.pem"
row 20 MSE_ERR_NET_TLS configure "$PLAIN_HTTP" --context ctx.mse --code app
# 21 PCCS: a PCCS answering a captive portal's page for TCB info; an empty offline cache.
row 21 MSE_ERR_PCCS_BODY verify --quote quote.dat --report-data "$ZEROS" "${SIM_ID[@]}" \
    --pccs-url "$PORTAL"
row 21 MSE_ERR_PCCS_BODY verify "$APP" --fingerprint "$MRE" "${SIM_ID[@]}" --pccs-url "$PORTAL" \
    --output "$WORK/out/app.pem"
row 21 MSE_ERR_CACHE_MISS verify --quote quote.dat --report-data "$ZEROS" --offline
# 22 IO: missing inputs in every command, an output that cannot be written.
row 22 MSE_ERR_FILE_NOT_FOUND verify --evidence "$WORK/no-such.json"
row 22 MSE_ERR_FILE_WRITE verify @tamper=good --output "$WORK/no-such-dir/cert.pem"
row 22 MSE_ERR_FILE_NOT_FOUND inspect "$WORK/no-such.pem"
row 22 MSE_ERR_FILE_NOT_FOUND fingerprint --context "$WORK/no-such.mse" --code app
row 22 MSE_ERR_FILE_NOT_FOUND context --show 00000000-0000-0000-0000-000000000000
row 22 MSE_ERR_FILE_NOT_FOUND configure "$APP" --context "$WORK/no-such.mse"
row 22 MSE_ERR_FILE_NOT_FOUND trust list --nssdb "$WORK/no-such-nssdb"

# ---- every documented code has a row, every row's code is documented ------------------------
mapfile -t documented < <(sed -n 's/^| *\([0-9][0-9]*\) | [A-Z_]* |.*/\1/p' "$DOC")
[ "${#documented[@]}" -ge 10 ] || bad "read only ${#documented[@]} exit codes from $DOC"
for code in "${documented[@]}"; do
    [ -n "${COVERED[$code]:-}" ] ||
        bad "docs/exit-codes.md lists exit $code ($(class_of_exit "$code")), no row triggers it"
done
for code in "${!COVERED[@]}"; do
    [[ " ${documented[*]} " == *" $code "* ]] ||
        bad "a row exits $code, which docs/exit-codes.md does not list"
done
[ "$BAD" = 0 ] || fail "$BAD check(s) failed over $ROWS rows"
ok "$ROWS rows: each of the ${#documented[@]} documented exit codes printed one JSON object naming it"

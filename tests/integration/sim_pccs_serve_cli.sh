#!/usr/bin/env bash
# `mse-sim pccs serve`'s command line: --help lists every option and exits 0; each option
# and each bound of its value is accepted or refused as before its options moved into a
# table (src/sim/pccs_cmd.c); usage errors are one line and the help hint, exit 2. No server starts here: every accepted command line names a
# directory that does not exist, so the server refuses it (exit 22) after the parse, while
# a refused command line exits 2 before anything.
set -euo pipefail
sim="$MSE_BUILD_DIR/mse-sim"
missing=$(mktemp -u /tmp/mse-sim-pccs-cli.XXXXXX) # never created
fail() { echo "FAIL: $*" >&2; exit 1; }

# Every option, as the user types it, with its argument placeholder.
options=(--dir DIR --host ADDR --port PORT --port-file FILE --tls-cert FILE --tls-key FILE
         --allow-remote --max-requests N --max-seconds N --quiet --delay-ms N --fail-500
         --truncate-body --wrong-chain --reset --not-collateral WHICH --too-many N
         --retry-after S)

out=$("$sim" pccs serve --help) || fail "--help exited $?"
grep -q '^usage: mse-sim pccs serve --dir DIR --port PORT' <<<"$out" || fail "--help: $out"
for ((i = 0; i < ${#options[@]}; i++)); do
    opt=${options[i]}
    arg=""
    if [[ $i -lt $((${#options[@]} - 1)) && ${options[i + 1]} != --* ]]; then
        arg=" ${options[i + 1]}"
        i=$((i + 1))
    fi
    grep -qE -- "^ +$opt$arg( |$)" <<<"$out" || fail "--help does not list '$opt$arg'"
done

# run WANT args...: the exit status of `mse-sim pccs serve --dir <missing> args...` is WANT
# (22: parsed, then the missing directory refused; 2: a usage error).
run() {
    local want=$1 rc=0
    shift
    "$sim" pccs serve --dir "$missing" "$@" >/dev/null 2>&1 || rc=$?
    [ "$rc" = "$want" ] || fail "pccs serve $*: exit $rc, want $want"
}
run 22 --port 0
run 22 --port 65535 --host 127.0.0.1 --port-file "$missing.port" --quiet
run 22 --port=0 --host ::1
run 22 --port 0 --host 192.0.2.1 --allow-remote
run 22 --port 0 --tls-cert "$missing.pem" --tls-key "$missing.key"
run 22 --port 0 --max-requests 1 --max-requests 18446744073709551615
run 22 --port 0 --max-seconds 1 --max-seconds 31536000
run 22 --port 0 --delay-ms 0 --delay-ms 86400000 --fail-500 --truncate-body --wrong-chain --reset
run 22 --port 0 --not-collateral all --not-collateral tcb,qe-identity,pckcrl,rootcacrl
run 22 --port 0 --not-collateral tcb,
run 22 --port 0 --too-many 0 --too-many 4294967295 --retry-after 0 --retry-after 86400
run 22 --port 0 -- # "--" ends the options

run 2 # --port is required
run 2 --port 0 --tls-cert "$missing.pem" # --tls-cert and --tls-key go together
run 2 --port 0 --tls-key "$missing.key"
run 2 --port 0 --host 192.0.2.1 # non-loopback without --allow-remote
run 2 --port 65536
run 2 --port -1
run 2 --port +1
run 2 --port ' 1'
run 2 --port 1x
run 2 --port ''
run 2 --port=
run 2 --port 0 --max-requests 0
run 2 --port 0 --max-requests 18446744073709551616
run 2 --port 0 --max-seconds 0
run 2 --port 0 --max-seconds 31536001
run 2 --port 0 --delay-ms 86400001
run 2 --port 0 --too-many 4294967296
run 2 --port 0 --retry-after 86401
run 2 --port 0 --not-collateral ''
run 2 --port 0 --not-collateral ,tcb
run 2 --port 0 --not-collateral tcb,bogus
run 2 --port 0 --quiet=yes
run 2 --port 0 --bogus
run 2 --port 0 -q
run 2 --port 0 operand
run 2 --port 0 -- operand
run 2 --port # its value missing
run 2 --port 0 --port-file

# A usage error is one line naming the problem, then the help hint, exit 2, as for every
# mse-sim command (docs/cmd/mse-sim.md).
expect_usage() {
    local want=$1 rc=0 err
    shift
    err=$("$sim" pccs serve "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" = 2 ] || fail "pccs serve $*: exit $rc, want 2"
    [ "$err" = "mse-sim pccs serve: $want"$'\n'"try 'mse-sim pccs serve --help'" ] ||
        fail "pccs serve $*: said '$err'"
}
expect_usage "unknown option --bogus" --dir "$missing" --port 0 --bogus
expect_usage "unknown option -q" --dir "$missing" --port 0 -q
expect_usage "--port needs an argument (PORT)" --dir "$missing" --port
expect_usage "--dir needs an argument (DIR)" --port 0 --dir
expect_usage "--quiet takes no value" --dir "$missing" --port 0 --quiet=yes
expect_usage "--dir is required" --port 0
expect_usage "--port is required (0 for any free port)" --dir "$missing"
expect_usage "--tls-cert and --tls-key go together" --dir "$missing" --port 0 --tls-key k
expect_usage "bad --port 65536" --dir "$missing" --port 65536
expect_usage "bad --max-requests 0" --dir "$missing" --port 0 --max-requests 0
expect_usage "bad --not-collateral tcb,bogus (all, tcb, qe-identity, pckcrl, rootcacrl)" \
    --dir "$missing" --port 0 --not-collateral tcb,bogus
expect_usage "unexpected argument 'extra'" --dir "$missing" --port 0 extra
expect_usage "refusing host 192.0.2.1 (an IP address; loopback only without --allow-remote)" \
    --dir "$missing" --port 0 --host 192.0.2.1
# Long names whole: an abbreviation would change meaning once an option is added.
expect_usage "unknown option --max-sec" --dir "$missing" --port 0 --max-sec 5
# -h is --help, as for every mse-sim command.
out=$("$sim" pccs serve -h) || fail "-h exited $?"
[ "$out" = "$("$sim" pccs serve --help)" ] || fail "-h and --help differ"

echo "ok: mse-sim pccs serve --help lists every option; each option and bound parses as before;" \
    "one-line usage errors"

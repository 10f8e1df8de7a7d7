#!/usr/bin/env bash
# mse-sim's command line (issue 14): --version, --help on every subcommand (exit 0, usage on
# stdout), and usage errors as one line naming the problem plus the help hint (exit 2).
set -euo pipefail
sim="$MSE_BUILD_DIR/mse-sim"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$sim" --version) || fail "--version exited $?"
grep -qx 'mse-sim [0-9][0-9.]*' <<<"$out" || fail "--version: $out"
out=$("$sim" --help) || fail "--help exited $?"
grep -q '^usage: mse-sim pki init' <<<"$out" || fail "--help: $out"
for cmd in "pki init" quote ratls evidence tamper "pccs serve"; do
    # shellcheck disable=SC2086  # the two-word commands are meant to split
    out=$("$sim" $cmd --help) || fail "mse-sim $cmd --help exited $?"
    grep -q "^usage: mse-sim $cmd" <<<"$out" || fail "mse-sim $cmd --help: no usage line"
done

# expect_usage "<first stderr line>" args...: exit 2, that line, then the hint.
expect_usage() {
    local want=$1 rc=0 err
    shift
    err=$("$sim" "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" = 2 ] || fail "mse-sim $*: exit $rc, want 2"
    [ "$(sed -n 1p <<<"$err")" = "$want" ] || fail "mse-sim $*: said '$(sed -n 1p <<<"$err")'"
    [ "$(wc -l <<<"$err")" = 2 ] && grep -q "^try 'mse-sim[a-z ]* --help'$" <<<"$err" ||
        fail "mse-sim $*: no help hint: $err"
}
expect_usage "mse-sim pki init: which directory? (mse-sim pki init DIR)" pki init
expect_usage "mse-sim pki init: --valid-days takes 1 to 36500 days (got '0')" \
    pki init /nonexistent --valid-days 0
expect_usage "mse-sim pki init: unknown option --bogus" pki init /nonexistent --bogus
expect_usage "mse-sim quote: --report-data HEX is required" quote --pki /nonexistent --out x
expect_usage "mse-sim ratls: --pki DIR is required" ratls --cert c --key k
expect_usage "mse-sim evidence: --mrenclave needs 64 hex digits (got 3)" \
    evidence --pki /nonexistent --out x --mrenclave abc
expect_usage "mse-sim tamper: --out DIR is required" tamper
expect_usage "mse-sim: unknown command 'bogus'" bogus
expect_usage "mse-sim pki: the command is \`mse-sim pki init\`" pki
expect_usage "mse-sim pccs: the command is \`mse-sim pccs serve\`" pccs --help
# --help lists every command the dispatcher runs (one list feeds both).
out=$("$sim" --help)
for cmd in "pki init" quote ratls evidence tamper "pccs serve"; do
    grep -q "^  $cmd  " <<<"$out" || fail "--help does not list $cmd"
done
echo "ok: mse-sim --version, --help on every subcommand, one-line usage errors"

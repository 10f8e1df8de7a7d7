#!/usr/bin/env bash
# mse context new leaves everything or nothing (issue 13): a failure after the code was encrypted
# removes the encrypted code; a kill -9 at any instant never leaves an encrypted code directory
# without the context that holds its key, and what a killed run left (a temporary code
# directory, a temporary context file holding a code_secret_key) is removed by the next run.
# Bounded: 30 rounds or 60 s.
source "$(dirname "$0")/libsim.sh"
trap '' PIPE

mkdir -p "$WORK/code/static" "$WORK/out"
for i in $(seq 1 40); do head -c 20000 /dev/urandom >"$WORK/code/static/f$i.bin"; done
echo "hello" >"$WORK/code/index.html"
cd "$WORK/out"
NEW=("$MSE" context new --code "$WORK/code" --name app --san localhost --out-code app.code.enc)
new() { "${NEW[@]}" "$@"; }
leftovers() { find "$WORK/out" "$MSE_CONF_PATH" -name '*.tmp.*' 2>/dev/null; }

# 1. The context cannot be written (its directory is a file): the encrypted code goes too.
echo x >"$WORK/out/notadir"
set +e
new --out "$WORK/out/notadir/ctx.mse" >"$WORK/fail.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "context new succeeded without a place for its context"
grep -q 'nothing was left behind' "$WORK/fail.out" || { cat "$WORK/fail.out"; fail "failure message"; }
[ ! -e app.code.enc ] || fail "encrypted code left without its context"
[ -z "$(leftovers)" ] || fail "temporary files left after a failure: $(leftovers)"
ok "a failure after encryption leaves nothing"

# 1b. A code tree whose context would be over the size a context may hold (2,400 files with
# 3,700-byte paths: two entries of that length each): refused with the limit named, nothing left.
big="$WORK/big"
deep=$(printf 'd%.0s' $(seq 1 240))
dir="$big"
for _ in $(seq 1 15); do dir="$dir/$deep"; done
mkdir -p "$dir"
(cd "$dir" && for i in $(seq 1 2400); do : >"$(printf 'f%0100d' "$i")"; done)
set +e
(cd "$WORK" && "$MSE" context new --code big --name big --san localhost --out "$WORK/out/big.mse" \
    --out-code "$WORK/out/big.code.enc" >"$WORK/big.out" 2>&1)
rc=$?
set -e
[ "$rc" = 3 ] || { cat "$WORK/big.out"; fail "oversized context: exit $rc, want 3 (MSE_ERR_LIMIT)"; }
grep -q 'the context of 2400 code file(s) would be over the 16 MiB a context may hold' "$WORK/big.out" ||
    { cat "$WORK/big.out"; fail "oversized context: message"; }
[ ! -e "$WORK/out/big.mse" ] && [ ! -e "$WORK/out/big.code.enc" ] || fail "oversized context: files left"
[ -z "$(leftovers)" ] || fail "temporary files left after an oversized context: $(leftovers)"
rm -rf "$big"
ok "a context over 16 MiB is refused with the limit named and leaves nothing"

# 2. kill -9 campaign: measure one run, then kill runs at random instants within it.
t0=$(date +%s%N)
new --out "$WORK/out/ctx.mse" >/dev/null || fail "a complete run"
run_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$run_ms" -ge 1 ] || run_ms=1
rm -rf app.code.enc ctx.mse
both=0 ctxonly=0 none=0 rounds=0
deadline=$(( $(date +%s) + 60 ))
for round in $(seq 1 30); do
    [ "$(date +%s)" -lt "$deadline" ] || break
    # mse itself in the background (not a function's subshell), so the kill reaches it.
    "${NEW[@]}" --out "$WORK/out/ctx.mse" >/dev/null 2>&1 &
    pid=$!
    delay=$(( RANDOM % (run_ms + run_ms / 5 + 1) ))
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ -e app.code.enc ]; then
        [ -e ctx.mse ] || fail "round $round (killed after $delay ms): encrypted code without its context"
        both=$((both + 1))
    elif [ -e ctx.mse ]; then ctxonly=$((ctxonly + 1))
    else none=$((none + 1)); fi
    rm -rf app.code.enc ctx.mse
    rounds=$round
done
[ "$rounds" -ge 5 ] || fail "only $rounds rounds in 60 s"
echo "context new kill -9 campaign: $rounds rounds (run ${run_ms} ms): $both complete," \
     "$ctxonly context only, $none nothing; $(leftovers | wc -l) temporary names left"
# The next run with the same outputs removes what the killed ones left: temporary code
# directories, and temporary context files (a killed run may stop inside the context's own
# write, leaving ctx.mse.tmp.*: only a run writing ctx.mse there knows that name).
new --out "$WORK/out/ctx.mse" >/dev/null || fail "the run after the campaign"
[ -d app.code.enc ] || fail "no encrypted code after a complete run"
[ -z "$(leftovers)" ] || fail "temporary names left after a complete run: $(leftovers)"
keys=$(grep -rl code_secret_key "$WORK/out" | grep -vx "$WORK/out/ctx.mse" || true)
[ -z "$keys" ] || fail "a file other than the context holds a code_secret_key: $keys"
ok "kill -9 campaign: never encrypted code without its context; the next run leaves no temporary name"

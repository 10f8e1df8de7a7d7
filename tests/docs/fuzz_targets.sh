#!/bin/bash
# Every libFuzzer target (tests/fuzz/fuzz_<name>.c) has its row in tests/fuzz/README.md,
# and every row names a target that exists: the table is the list of what is fuzzed.
# usage: fuzz_targets.sh SRC_DIR
set -u
src=${1:?usage: fuzz_targets.sh SRC_DIR}
readme="$src/tests/fuzz/README.md"
targets=$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
[ -n "$targets" ] || { echo "FAIL: no target in $src/tests/fuzz"; exit 1; }
fail=0
for t in $targets; do
    grep -q "^| \`$t\` |" "$readme" || { echo "FAIL: $t has no row in tests/fuzz/README.md"; fail=1; }
done
for t in $(grep -oE '^\| `fuzz_[a-z0-9_]+` \|' "$readme" | sed 's/^| `\(.*\)` |$/\1/'); do
    [ -f "$src/tests/fuzz/$t.c" ] || { echo "FAIL: README row for $t, which does not exist"; fail=1; }
done
exit $fail

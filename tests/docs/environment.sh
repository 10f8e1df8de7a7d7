#!/bin/bash
# Every variable a getenv in src/ reads is listed in docs/environment.md (the
# man pages' list is checked against that page by tests/unit/opt_docs_test.c).
# usage: environment.sh SRC_DIR
set -u
src=${1:?usage: environment.sh SRC_DIR}
page="$src/docs/environment.md"
names=$(grep -rhoE 'getenv\("[A-Za-z_][A-Za-z0-9_]*"\)' "$src/src" | sed 's/.*("\(.*\)")/\1/' | sort -u)
# Names given through a macro: getenv(MSE_..._ENV) and its #define.
for macro in $(grep -rhoE 'getenv\([A-Z_]+\)' "$src/src" | sed 's/getenv(\(.*\))/\1/' | sort -u); do
    value=$(grep -rhE "#define $macro \"" "$src/src" "$src/include" | sed 's/.*"\(.*\)".*/\1/' | head -1)
    [ -n "$value" ] || { echo "FAIL: getenv($macro): no #define found"; exit 1; }
    names="$names $value"
done
[ -n "$names" ] || { echo "FAIL: no getenv found in $src/src"; exit 1; }
fail=0
for name in $names; do
    grep -q "^| \`$name\` |" "$page" || { echo "FAIL: $name is read in src/ but not in docs/environment.md"; fail=1; }
done
exit $fail

#!/bin/sh
# The exported ABI equals the declared API.
#
# usage: abi-check.sh CC INCLUDE_DIR LIB.so...
#
# Declared: every function prototype in INCLUDE_DIR/mse/*.h, as the compiler
# sees it (gcc -aux-info lists each prototype with the header and line it
# comes from, so no C parsing here). Exported: `nm -D --defined-only` of the
# given shared libraries together. Fails, listing the names, when a library
# exports a symbol no header declares (an internal helper leaking into the
# ABI) or a header declares a function no library exports (a declaration
# missing MSE_EXTERN, or a function never written); also when two libraries
# export the same name. Needs GCC for -aux-info, whatever compiler built
# the libraries.
set -eu
cc=$1
inc=$2
shift 2
[ $# -gt 0 ] || { echo "abi-check: no library given" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for h in "$inc"/mse/*.h; do
    printf '#include <mse/%s>\n' "${h##*/}"
done >"$tmp/all.c"
"$cc" -std=gnu11 -fsyntax-only -I"$inc" -aux-info "$tmp/aux" "$tmp/all.c"
# A line reads: /* /path/include/mse/net.h:25:NC */ extern mse_err mse_endpoint_parse (...);
awk -v inc="$inc/mse/" '
    index($2, inc) == 1 {
        line = $0
        sub(/ \(.*$/, "", line)       # drop the parameter list
        n = split(line, w, /[ *]+/)   # the last word is the function name
        print w[n]
    }' "$tmp/aux" | sort -u >"$tmp/declared"

for lib in "$@"; do
    nm -D --defined-only "$lib" | awk -v lib="${lib##*/}" 'NF >= 3 { print $3, lib }'
done | sort >"$tmp/exported_by"
cut -d' ' -f1 "$tmp/exported_by" | sort -u >"$tmp/exported"

status=0
twice=$(cut -d' ' -f1 "$tmp/exported_by" | uniq -d)
if [ -n "$twice" ]; then
    echo "exported by more than one library:" $twice
    status=1
fi
leaked=$(comm -13 "$tmp/declared" "$tmp/exported")
if [ -n "$leaked" ]; then
    echo "exported but declared in no header of $inc/mse (make it static, or move it to a header of src/):"
    for s in $leaked; do grep "^$s " "$tmp/exported_by" | sed 's/^/  /'; done
    status=1
fi
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$missing" ]; then
    echo "declared in $inc/mse but exported by no library (missing MSE_EXTERN on the declaration?):"
    for s in $missing; do
        grep -F " $s (" "$tmp/aux" | sed -E 's@^/\* ([^ ]*) \*/.*@  '"$s"' (\1)@' | head -1
    done
    status=1
fi
[ $status -ne 0 ] || echo "abi-check: $(wc -l <"$tmp/declared") functions declared = exported by $#" \
    "libraries"
exit $status

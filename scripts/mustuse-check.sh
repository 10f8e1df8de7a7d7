#!/bin/sh
# Every function declared in a header that returns mse_err is MSE_MUST_USE
# (warn_unused_result), so an ignored error is a compiler warning, and with
# -Werror a build failure.
#
# usage: mustuse-check.sh [DIR...]      (default: include src)
#
# Reads declarations that start at column 0 (the tree's style): a line holding
# "mse_err name(" whose text before mse_err, or the line before it, lacks
# MSE_MUST_USE. Function-pointer types and members are not declarations of a
# function and are not checked. Lists the offenders; exits 1 if there is any.
set -eu
[ $# -gt 0 ] || set -- include src
bad=$(find "$@" -name '*.h' | sort | xargs awk '
    FNR == 1 { prev = "" }
    /^([A-Za-z_].*[^A-Za-z0-9_])?mse_err[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/ && !/^typedef/ {
        head = $0
        sub(/mse_err[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\(.*/, "", head)
        if (head !~ /MSE_MUST_USE/ && prev !~ /MSE_MUST_USE[ \t]*$/)
            printf "%s:%d: %s\n", FILENAME, FNR, $0
    }
    { prev = $0 }')
if [ -n "$bad" ]; then
    echo "functions returning mse_err without MSE_MUST_USE:"
    printf '%s\n' "$bad"
    exit 1
fi
echo "mustuse-check: every mse_err function declared in $* is MSE_MUST_USE"

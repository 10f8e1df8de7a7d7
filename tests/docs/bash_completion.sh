#!/bin/bash
# The generated bash completion (build/doc/bash-completion/mse), sourced in a
# bash subshell: it completes subcommand names, their options, and actions.
# usage: bash_completion.sh COMPLETION_FILE
set -u
file=${1:?usage: bash_completion.sh COMPLETION_FILE}
fail=0

# expect WANTED WORD...: completing the last WORD offers WANTED.
expect() {
    local wanted=$1
    shift
    local got
    got=$(bash --norc --noprofile -c '
        source "$1" || exit 1
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        _mse_complete
        printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$@") || { echo "FAIL: sourcing $file"; fail=1; return; }
    if ! grep -qx -- "$wanted" <<<"$got"; then
        echo "FAIL: completing '$*' offered [$(echo $got)], not $wanted"
        fail=1
    fi
}

expect --fingerprint mse verify --fi
expect verify mse ver
expect fingerprint mse fin
expect list mse trust l
expect --json mse trust list --j
expect --code mse context new --co
expect --pccs-url mse configure --pccs-u
# Options of one command are not offered for another.
got=$(bash --norc --noprofile -c 'source "$1"; COMP_WORDS=(mse inspect --fi); COMP_CWORD=2;
      _mse_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$file")
if grep -qx -- --fingerprint <<<"$got"; then
    echo "FAIL: mse inspect offered --fingerprint"
    fail=1
fi
exit $fail

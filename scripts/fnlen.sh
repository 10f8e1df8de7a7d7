#!/bin/sh
# Function lengths in C sources (house style: a function fits on a screen or two).
#
# usage: fnlen.sh [--check] [--max N] [DIR...]      (default: src, N = 120)
#
# Prints the longest function, then every function longer than N lines, as
# "LINES file:line name", longest first. With --check, exits 1 when there is
# any. A function is counted from the line that starts its signature (at
# column 0, holding the name and its opening parenthesis) to its closing brace,
# both included; the tree's style puts both braces of a function alone at
# column 0 (clang-format), which is what makes this awk reading reliable.
set -eu
check=0
max=120
while [ $# -gt 0 ]; do
    case $1 in
    --check) check=1; shift ;;
    --max) max=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fnlen.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || set -- src

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
find "$@" -name '*.c' | sort | while read -r f; do
    awk -v file="$f" '
        FNR == 1 { sig = 0; name = "" }
        # A signature line: starts at column 0 with an identifier and holds "name(".
        /^[A-Za-z_][A-Za-z0-9_ \t*]*\(/ && !/;[ \t]*$/ {
            s = $0
            sub(/\(.*/, "", s)
            n = split(s, w, /[ \t*]+/)
            name = w[n]
            sig = FNR
        }
        /^\{[ \t]*$/ && sig { start = sig; fname = name }
        /^\}[ \t]*$/ && start {
            printf "%d %s:%d %s\n", FNR - start + 1, file, start, fname
            start = 0; sig = 0
        }' "$f"
done | sort -rn >"$tmp"

[ -s "$tmp" ] || { echo "fnlen.sh: no function found under $*" >&2; exit 2; }
echo "longest: $(head -1 "$tmp")"
over=$(awk -v max="$max" '$1 > max' "$tmp")
if [ -n "$over" ]; then
    echo "over $max lines: $(printf '%s\n' "$over" | wc -l)"
    printf '%s\n' "$over"
    [ $check -eq 0 ] || exit 1
else
    echo "none over $max lines"
fi
exit 0

#!/bin/bash
# Every file README.md and docs/**/*.md point to exists: markdown links [text](target) relative to
# the page (web links and #anchors aside), and paths of this repository named in the text
# (`docs/formats/runtime.md`, src/sim/sim_tamper_cases.c, tests/...) relative to the top; and
# every docs page a comment in the code names (src, include, tests, scripts, ...) exists.
# A page renamed or never written fails here, not in a reader's hands.
# usage: links.sh SRC_DIR
set -u
src=${1:?usage: links.sh SRC_DIR}
cd "$src" || exit 1
fail=0
pages=(README.md)
while IFS= read -r page; do pages+=("$page"); done < <(find docs -name '*.md' | sort)
[ "${#pages[@]}" -ge 5 ] || { echo "FAIL: only ${#pages[@]} pages found under $src"; exit 1; }

# The repository's top-level entries: a path in the text counts when it starts with one of them.
tops=$(find . -mindepth 1 -maxdepth 1 ! -name '.git' ! -name 'build*' -printf '%f\n' |
       sed 's/\./\\./g' | paste -sd'|')
checked=0
for page in "${pages[@]}"; do
    dir=$(dirname "$page")
    # 1. Markdown links: [text](target "title"), target without a scheme or a leading #.
    while IFS= read -r target; do
        target=${target%% *}
        target=${target%%#*}
        case "$target" in '' | *://* | mailto:*) continue ;; esac
        checked=$((checked + 1))
        [ -e "$dir/$target" ] || { echo "FAIL: $page links to $target: no such file"; fail=1; }
    done < <(grep -oE '\]\([^)]+\)' "$page" | sed -e 's/^](//' -e 's/)$//')
    # 2. Repository paths in the text: docs/cmd/, src/sim/pccs.h, tests/unit/err_test.c ...
    #    Placeholders (<uuid>, NAME, *, $VAR) and paths inside other trees (/usr/..., build/...)
    #    are not this repository's files and are left alone.
    while IFS= read -r path; do
        path=${path%[.,:;]}
        case "$path" in *'<'* | *'*'* | *'$'* | *'{'*) continue ;; esac
        checked=$((checked + 1))
        [ -e "$path" ] || { echo "FAIL: $page names $path: no such file or directory"; fail=1; }
    done < <(grep -oE "(^|[[:space:]\`(\"])($tops)/[A-Za-z0-9_./<>*\${}-]*" "$page" |
             sed -E 's/^[[:space:]`("]//' | sort -u)
done
# 3. Docs pages named by the code (this script's own comments aside).
while IFS= read -r path; do
    path=${path%.}
    checked=$((checked + 1))
    [ -e "$path" ] || { echo "FAIL: the code names $path: no such page"; fail=1; }
done < <(grep -rhoE --exclude=links.sh 'docs/[A-Za-z0-9_./-]*\.md' src include tests scripts runtime \
             bench .ci CMakeLists.txt 2>/dev/null | sort -u)
[ "$checked" -ge 20 ] || { echo "FAIL: only $checked references found: is the extraction broken?"; fail=1; }
[ "$fail" = 0 ] && echo "ok: $checked references in ${#pages[@]} pages and the code resolve"
exit $fail

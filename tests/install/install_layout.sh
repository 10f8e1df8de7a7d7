#!/usr/bin/env bash
# `cmake --install` into a fresh prefix gives a usable tree (issue 14, acceptance 2; issue 10,
# acceptance 3): the three programs run, the pkg-config modules are relocatable, `mse` (the
# pure verifier) pulls no libcurl, and a small embedder program verifies the real evidence
# against libmse alone, shared and static; a man page for every command, and the completions.
set -euo pipefail
: "${MSE_BUILD_DIR:?}" "${MSE_SRC_DIR:?}" "${CMAKE_COMMAND:?}" "${MSE_CC:?}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
P="$WORK/prefix"   # a prefix nobody configured

"$CMAKE_COMMAND" --install "$MSE_BUILD_DIR" --prefix "$P" >"$WORK/install.log" ||
    { cat "$WORK/install.log" >&2; fail "cmake --install"; }
for prog in mse mse-enclave mse-sim; do
    [ -x "$P/bin/$prog" ] || fail "bin/$prog not installed"
done
# Outputs are captured before they are searched: `cmd | grep -q` under pipefail goes the wrong
# way when grep exits first and cmd dies of SIGPIPE (a `&& fail` check then never fails).
out=$("$P/bin/mse" --version) || fail "mse --version exited $?"
grep -qx 'mse [0-9.]*' <<<"$out" || fail "mse --version: $out"
out=$("$P/bin/mse-sim" --version) || fail "mse-sim --version exited $?"
grep -qx 'mse-sim [0-9.]*' <<<"$out" || fail "mse-sim --version: $out"
# No program links libcurl: mse opens it when it first makes a request (src/net/curl_api.h),
# so that commands that never fetch do not pay for loading it and its 30 dependencies.
for prog in mse mse-enclave mse-sim; do
    dyn=$(readelf -d "$P/bin/$prog") || fail "readelf -d $prog"
    grep -q 'NEEDED.*libcurl' <<<"$dyn" && fail "$prog links libcurl"
done
for h in "$MSE_SRC_DIR"/include/mse/*.h; do
    cmp -s "$h" "$P/include/mse/${h##*/}" || fail "include/mse/${h##*/} not installed"
done

pcdir=$(dirname "$(find "$P" -name mse.pc | head -1)")
[ -f "$pcdir/mse.pc" ] || fail "no mse.pc installed"
libdir=$(dirname "$pcdir")
for lib in mse mse-net mse-measure; do
    [ -f "$libdir/lib$lib.a" ] && [ -e "$libdir/lib$lib.so" ] || fail "lib$lib.a/.so not installed"
done
export PKG_CONFIG_PATH="$pcdir"
# The pkg-config file finds the tree from its own location, wherever it was installed.
cflags=$(pkg-config --cflags mse) || fail "pkg-config --cflags mse"
[[ $cflags == *"-I$P/"* ]] || fail "mse.pc cflags do not point into $P"
for mode in "" --static; do
    libs=$(pkg-config $mode --libs mse)
    case "$libs" in *curl*) fail "pkg-config $mode --libs mse lists libcurl: $libs" ;; esac
done
libs=$(pkg-config --libs mse-net) || fail "pkg-config --libs mse-net"
[[ $libs == *-lmse-net* ]] || fail "mse-net module: $libs"

# The embedder's program, linked with libmse.so alone.
ev="$MSE_SRC_DIR/tests/data/real/mse-home-evidence.json"
src="$MSE_SRC_DIR/tests/install/verify_embed.c"
# shellcheck disable=SC2046,SC2086  # word splitting of pkg-config output is intended
"$MSE_CC" $MSE_EMBED_CFLAGS -o "$WORK/embed" "$src" $(pkg-config --cflags --libs mse) ||
    fail "compile with pkg-config mse"
needed=$(readelf -d "$WORK/embed" | awk '/NEEDED/ { print $5 }' | tr -d '[]' | tr '\n' ' ')
case "$needed" in *libmse.so*) ;; *) fail "embed does not link libmse.so: $needed" ;; esac
deps=$(LD_LIBRARY_PATH="$libdir" ldd "$WORK/embed") || fail "ldd embed"
[[ $deps == *libcurl* ]] && fail "libcurl loaded by libmse"
out=$(LD_LIBRARY_PATH="$libdir" "$WORK/embed" "$ev") || fail "embed (shared) exited $?: $out"
[ "$out" = "ok MSE_OK OutOfDate" ] || fail "embed (shared) printed: $out"

# ... and with libmse.a: the static module's private requirements are complete.
# shellcheck disable=SC2046,SC2086
"$MSE_CC" $MSE_EMBED_CFLAGS -o "$WORK/embed-static" "$src" $(pkg-config --cflags mse) \
    "$libdir/libmse.a" $(pkg-config --static --libs mse | sed 's/-lmse\b//') ||
    fail "static link with pkg-config --static mse"
out=$("$WORK/embed-static" "$ev") || fail "embed (static) exited $?: $out"
[ "$out" = "ok MSE_OK OutOfDate" ] || fail "embed (static) printed: $out"

# Man pages (written by mse-gendoc from the option tables) and completions: a page for
# every command `mse --help` lists, found by man(1) itself (man-db is in .ci/packages).
cmds=$("$P/bin/mse" --help | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit }
                                 on { print $1 }')
[ -n "$cmds" ] || fail "mse --help lists no commands"
pages="mse mse-sim"
for cmd in $cmds; do pages="$pages mse-$cmd"; done
for page in $pages; do
    [ -f "$P/share/man/man1/$page.1" ] || fail "share/man/man1/$page.1 not installed"
done
[ -f "$P/share/man/man8/mse-enclave.8" ] || fail "share/man/man8/mse-enclave.8 not installed"
if command -v man >/dev/null; then
    for page in $pages mse-enclave; do
        MANPATH="$P/share/man" man -w "$page" >/dev/null 2>&1 || fail "man -w $page"
    done
else
    echo "note: man(1) absent: pages checked as files only"
fi
grep -q 'complete -F _mse_complete mse' "$P/share/bash-completion/completions/mse" ||
    fail "bash completion not installed"
[ "$(head -n 1 "$P/share/zsh/site-functions/_mse")" = '#compdef mse' ] ||
    fail "zsh completion not installed"
for doc in exit-codes.md environment.md; do   # the man pages point to these
    [ -f "$P/share/doc/mse/$doc" ] || fail "share/doc/mse/$doc not installed"
done
echo "ok: man pages for every command, bash and zsh completions"
echo "ok: install into a fresh prefix: programs, headers, libraries, relocatable pkg-config"

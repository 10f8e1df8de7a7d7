#!/usr/bin/env bash
# mse-enclave's proxy gives each request the app's response to it and nothing else, on the
# pooled keep-alive connection to the app (RFC 9112 9.3; response queue poisoning), with an
# app that answers each path with fixed bytes in one write, and requests one after the other
# so that each reuses the upstream connection of the one before:
#  - an interim response (103 Early Hints, 100 Continue) followed by the final one: 502
#    "app response: interim (1xx) response", logged; libevent 2.1 would take the 103 for the
#    final response and leave the final one to be read as the answer to the next request;
#  - more bytes than the Content-Length (a whole second response), a body to HEAD: the
#    client gets the response as framed, the upstream connection is closed and not reused
#    (logged with the count of bytes), and the next client gets its own response;
#  - the bytes past a response never reach any client;
#  - framing the client or the operator's proxy could read another way than evhttp did
#    (RFC 9112 6.3; the rule of client requests): two Content-Length fields (even equal),
#    a transfer coding other than chunked: 502 with the reason, logged, nothing passed on;
#    Content-Length beside Transfer-Encoding: chunked (either order) is failed by libevent
#    itself (as packaged in Debian 12) before the proxy sees the head: the generic 502.
source "$(dirname "$0")/libenclave.sh"
trap '' PIPE
command -v python3 >/dev/null || { echo "SKIP: needs python3 for raw HTTP exchanges"; exit 77; }

fake_attestation "$WORK/att"

mkdir -p "$WORK/app"
cat >"$WORK/app/app.py" <<'EOF'
STRAY = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nSTRAY\n"
RESPONSES = {
    "ready": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
    "own": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nown\n",
    "early": b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + STRAY,
    "continue": b"HTTP/1.1 100 Continue\r\n\r\n" + STRAY,
    "extra": b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfirst\n" + STRAY,
    "headbody": b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nSTRAY\n",
    "twocl": b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 50\r\n\r\nSTRAY\n",
    "samecl": b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 6\r\n\r\nSTRAY\n",
    "gzip": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nSTRAY\n",
    "clte": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"6\r\nSTRAY\n\r\n0\r\n\r\n",
    "tecl": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
        + b"6\r\nSTRAY\n\r\n0\r\n\r\n",
}
EOF
raw_responses_app
proxy_start

# next_own WHAT: a new client's request gets its own response, nothing left of another's.
next_own() {
    local out
    out=$(exchange "$P" 'GET /r/own HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    [ "$(head -1 <<<"$out")" = "HTTP/1.1 200 OK" ] && [ "$(tail -1 <<<"$out")" = own ] &&
        [ "$(grep -c '^HTTP/' <<<"$out")" = 1 ] || fail "$1: the next client got: $out"
}

# refused CASE WHY: the app's response to CASE gets 502 with WHY, logged, nothing of it passed
# on, and the next client gets its own response.
refused() {
    local out
    out=$(exchange "$P" "GET /r/$1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    [ "$(head -1 <<<"$out")" = "HTTP/1.1 502 Bad Gateway" ] || fail "$1: $out"
    grep -qx "{\"status\":502,\"message\":\"$2\"}" <<<"$out" || fail "$1: not '$2': $out"
    [ "$(grep -c '^HTTP/' <<<"$out")" = 1 ] && [[ $out != *STRAY* && $out != *Link:* ]] ||
        fail "$1: the app's response reached the client: $out"
    [ "$(grep -cF "GET /r/$1 -> 502 $2" "$WORK/proxy.log")" = 1 ] || fail "$1: not logged with '$2'"
    next_own "$1"
}

refused early "app response: interim (1xx) response"
refused continue "app response: interim (1xx) response"
ok "103 and 100 before the final response -> 502, logged; the final response reaches nobody"
refused twocl "app response: more than one Content-Length"
refused samecl "app response: more than one Content-Length"
refused gzip "app response: transfer coding other than chunked"
refused clte "the app is unreachable"
refused tecl "the app is unreachable"
ok "two Content-Length fields, a coding other than chunked, Content-Length with chunked -> 502"

out=$(exchange "$P" 'GET /r/extra HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
[ "$(head -1 <<<"$out")" = "HTTP/1.1 200 OK" ] && [ "$(tail -1 <<<"$out")" = first ] &&
    [ "$(grep -c '^HTTP/' <<<"$out")" = 1 ] || fail "extra: $out"
next_own extra
out=$(exchange "$P" 'HEAD /r/headbody HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
[ "$(head -1 <<<"$out")" = "HTTP/1.1 200 OK" ] && [[ $out != *STRAY* ]] || fail "headbody: $out"
next_own headbody
# The stray response of "extra" (44 bytes) and the body sent to HEAD (6 bytes).
grep -qF "the app sent 44 bytes after its response: upstream connection closed" "$WORK/proxy.log" &&
    grep -qF "the app sent 6 bytes after its response: upstream connection closed" "$WORK/proxy.log" ||
    fail "bytes after a response not logged: $(cat "$WORK/proxy.log")"
ok "bytes past a response (past Content-Length, a body to HEAD): upstream connection not reused, logged, reach nobody"

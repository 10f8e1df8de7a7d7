#!/usr/bin/env bash
# mse-enclave's proxy and the field lines of the app's responses (RFC 9110 5.1, 5.5, 5.6.2;
# RFC 9112 4, 5), on raw connections to an app that answers each path with fixed bytes:
#  - refused with 502 and the reason, logged once with it, nothing of the app's response
#    (status line, fields, body) passed on: a field name that is not a token (whitespace
#    before the colon, "Set-Cookie : ..."), SOH, DEL, or ESC in a value, a control character
#    in an obs-fold continuation line, the same in a chunked response of 300 kB (judged
#    before a byte of it is streamed), a control character or a bare CR in the reason phrase;
#  - evhttp's own refusal, before the proxy's rule is asked (the generic 502 "the app is
#    unreachable"): a bare CR in a value, a NUL in a name, a continuation line before any
#    field;
#  - passed on unchanged: obs-text (0x80 to 0xff) and HTAB in values, every tchar in a name;
#    an obs-fold as one SP; a NUL in a value ends it (evhttp: the rest never reaches the
#    client); a response without Content-Type gets none (evhttp's default text/html is off);
#  - after each refusal the pooled upstream connection is not reused half-read: the next
#    request gets its own response.
source "$(dirname "$0")/libenclave.sh"
trap '' PIPE
command -v python3 >/dev/null || { echo "SKIP: needs python3 for raw HTTP exchanges"; exit 77; }

fake_attestation "$WORK/att"

# The app: GET /r/NAME is answered with RESPONSES[NAME], raw; every secret marker
# ("SECRET", "APPBODY") is in a part of a response that must never reach the client.
mkdir -p "$WORK/app"
cat >"$WORK/app/app.py" <<'EOF'
OK = b"HTTP/1.1 200 OK\r\n"
BODY = b"Content-Length: 8\r\n\r\nAPPBODY\n"
big = b"A" * 300000
RESPONSES = {
    "ready": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
    "name_space": OK + b"Set-Cookie : SECRET=1\r\n" + BODY,
    "name_tab": OK + b"X-A\t: SECRET\r\n" + BODY,
    "soh": OK + b"X-A: SECRET\x01\r\n" + BODY,
    "del": OK + b"X-A: SECRET\x7f\r\n" + BODY,
    "esc": OK + b"X-A: \x1b[2JSECRET\r\n" + BODY,
    "fold_ctl": OK + b"X-A: a\r\n SECRET\x01\r\n" + BODY,
    "chunked_ctl": OK + b"X-A: SECRET\x01\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"8\r\nAPPBODY\n\r\n" + b"%x\r\n" % len(big) + big + b"\r\n0\r\n\r\n",
    "reason_ctl": b"HTTP/1.1 200 OK\x01SECRET\r\n" + BODY,
    "reason_cr": b"HTTP/1.1 200 OK\rX-Injected: SECRET\r\n" + BODY,
    "evhttp_cr": OK + b"X-A: a\rSECRET\r\n" + BODY,
    "evhttp_nul_name": OK + b"X-A\x00SECRET: v\r\n" + BODY,
    "evhttp_fold_first": OK + b" SECRET\r\n" + BODY,
    "valid": OK + b"X-Obs: caf\xc3\xa9 \x80\xff\r\nX-Tab: a\tb\r\n"
        + b"!#$%&'*+-.^_`|~09azAZ: v\r\nX-Fold: a\r\n\tb\r\nX-Nul: ok\x00SECRET\r\n"
        + b"Content-Length: 8\r\n\r\nvalid!!\n",
}
EOF
raw_responses_app
proxy_start

NAME_WHY="app response: field name not a token"
CTL_WHY="app response: control character in a field value"
REASON_WHY="app response: control character in the reason phrase"
EVHTTP_WHY="the app is unreachable"
CASES=(name_space name_tab soh del esc fold_ctl chunked_ctl reason_ctl reason_cr
       evhttp_cr evhttp_nul_name evhttp_fold_first)
WHYS=("$NAME_WHY" "$NAME_WHY" "$CTL_WHY" "$CTL_WHY" "$CTL_WHY" "$CTL_WHY" "$CTL_WHY"
      "$REASON_WHY" "$REASON_WHY" "$EVHTTP_WHY" "$EVHTTP_WHY" "$EVHTTP_WHY")

# Upstream failures logged so far (the app may have been slow to start listening).
failures=$(grep -c 'upstream request failed' "$WORK/proxy.log" || true)
for i in "${!CASES[@]}"; do
    c=${CASES[$i]}
    # Keep-alive: a served request after the refused one on the same client connection
    # would show a half-read upstream connection reused; Connection: close ends it.
    out=$(exchange "$P" "GET /r/$c HTTP/1.1\r\nHost: x\r\n\r\nGET /r/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    first=${out%%$'\n\n'*}
    [ "$(head -1 <<<"$out")" = "HTTP/1.1 502 Bad Gateway" ] || fail "$c: $out"
    grep -qx "{\"status\":502,\"message\":\"${WHYS[$i]}\"}" <<<"$out" || fail "$c: not '${WHYS[$i]}': $out"
    [[ $out == *SECRET* || $out == *APPBODY* || $out == *AAAA* ]] && fail "$c: the app's response reached the client: $out"
    grep -qi '^x-a:\|^set-cookie' <<<"$first" && fail "$c: a field of the app's response reached the client: $out"
    [ "$(grep -c '^HTTP/' <<<"$out")" = 2 ] && [ "$(tail -1 <<<"$out")" = ok ] ||
        fail "$c: the request after the refusal was not answered on its own: $out"
    [[ $out == *"<open>"* || $out == *"<reset>"* ]] && fail "$c: connection not closed after Connection: close: $out"
    [ "$(grep -cF "GET /r/$c -> 502 ${WHYS[$i]}" "$WORK/proxy.log")" = 1 ] ||
        fail "$c: not logged once with '${WHYS[$i]}'"
done
# One line per refusal: the proxy's own refusals are not also logged as upstream failures,
# evhttp's are (it refuses before the proxy sees the head).
[ "$(grep -c 'upstream request failed' "$WORK/proxy.log")" = $((failures + 3)) ] ||
    fail "upstream failures logged: $(grep 'upstream request failed' "$WORK/proxy.log")"
ok "${#CASES[@]} malformed app responses -> 502 with the reason, logged once, nothing of them passed on"

# Read as raw bytes: exchange's output is text, and obs-text must be compared byte for byte.
python3 - "$P" <<'EOF' || fail "valid response not passed on unchanged"
import sys
from fetch import fetch
out = fetch(int(sys.argv[1]), b"GET /r/valid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            tls=False, timeout=20).data
head, body = out.split(b"\r\n\r\n", 1)
lines = head.split(b"\r\n")
want = [b"X-Obs: caf\xc3\xa9 \x80\xff", b"X-Tab: a\tb", b"!#$%&'*+-.^_`|~09azAZ: v",
        b"X-Fold: a b", b"X-Nul: ok"]
good = lines[0] == b"HTTP/1.1 200 OK" and body == b"valid!!\n" and b"SECRET" not in out
# The app sent no Content-Type: none is made up for it.
good = good and not any(l.lower().startswith(b"content-type:") for l in lines)
if not (good and all(w in lines for w in want)):
    print(repr(out), file=sys.stderr)
    sys.exit(1)
EOF
ok "obs-text, HTAB, every tchar passed on unchanged; obs-fold as one SP; a value ends at a NUL; no Content-Type made up"

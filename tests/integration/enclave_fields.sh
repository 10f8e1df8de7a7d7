#!/usr/bin/env bash
# mse-enclave and the field lines of a request (RFC 9112 5, 5.1; RFC 9110 5.1, 5.5, 5.6.2) on
# raw connections, on every path a request can take: the hello app's own reader (srv_fast.c)
# and evhttp after it, the configuration endpoint, the RA-TLS endpoint and the proxy.
#  - refused with 400 and the reason, the connection closed, nothing after the request
#    served: a field name that is not a token, above all whitespace before the colon
#    ("Transfer-Encoding : chunked", "Content-Length : 5", "Host : x" in HTTP/1.0, which
#    evhttp keeps as fields named "Transfer-Encoding " and so on, and a front proxy that
#    trims names reads as framing or as the Host), an empty name, separators, DEL and
#    obs-text in a name; a control character other than HTAB in a value;
#  - evhttp's own 400 (no reason) for what it refuses itself: a bare CR in a value;
#  - served: HTAB and obs-text in values, every tchar in a name, obs-fold (the app sees one
#    SP instead), a NUL in a value (evhttp ends the value there: the app never sees the NUL);
#  - the app never sees a refused request, nor a field name that is not a token, nor a
#    control character in a value;
#  - a configuration with such a field is refused and not applied.
source "$(dirname "$0")/libenclave.sh"
trap '' PIPE
command -v python3 >/dev/null || { echo "SKIP: needs python3 for raw HTTP exchanges"; exit 77; }

fake_attestation "$WORK/att"

NAME_WHY="field name not a token"
CTL_WHY="control character in a field value"
# The refused heads (refused_all), each named; TARGET is replaced by the request's target.
REFUSED_NAMES=("Transfer-Encoding : chunked" "Content-Length : 5" "HTTP/1.0 Host : x"
               "HTAB before the colon" "empty name" "separator in a name" "DEL in a name"
               "obs-text in a name" "SOH in a value" "ESC in a value" "DEL in a value"
               "VT before a value" "FF in a value")
REFUSED_HEADS=('POST TARGET HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\nhello'
               'POST TARGET HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n'
               'GET TARGET HTTP/1.0\r\nHost : x\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX-A\t: b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX(a): b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX-A\x7f: b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX-\xe9: b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX-A: a\x1b[2J\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX-A: a\x7f\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX-A:\x0bb\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x\r\nX-A: a\x0cb\r\n\r\n')
REFUSED_WHY=("$NAME_WHY" "$NAME_WHY" "$NAME_WHY" "$NAME_WHY" "$NAME_WHY" "$NAME_WHY" "$NAME_WHY"
             "$NAME_WHY" "$CTL_WHY" "$CTL_WHY" "$CTL_WHY" "$CTL_WHY" "$CTL_WHY")

# evhttp_refuses PORT PATH: a bare CR in a value is evhttp's own 400 (it never reaches
# dispatch); the connection is closed and nothing after it served.
evhttp_refuses() {
    local out
    out=$(exchange "$1" "GET $2?refused=cr HTTP/1.1\r\nHost: x\r\nX-A: a\r b\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
    [ "$(head -1 <<<"$out")" = "HTTP/1.1 400 Bad Request" ] || fail "bare CR in a value on $2: $out"
    [ "$(grep -c '^HTTP/' <<<"$out")" = 1 ] || fail "bare CR in a value on $2: served on: $out"
    [[ $out == *"<open>"* ]] && fail "bare CR in a value on $2: connection left open: $out"
    ok "$2: a bare CR in a value -> evhttp's 400, connection closed"
}

# --- The hello app: its own reader, and evhttp for what it hands over.
hello_refuses_all
evhttp_refuses "$P" /hello
for req in 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\nConnection: close\r\n\r\n' \
    'GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9\r\nConnection: close\r\n\r\n' \
    "GET / HTTP/1.1\r\nHost: x\r\n!#\$%&'*+-.^_\`|~09azAZ: v\r\nConnection: close\r\n\r\n" \
    'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n' \
    'GET / HTTP/1.0\r\nHost: x\r\n\r\n'; do
    out=$(served "$P" "$req" "hello: $req")
    grep -q '^Hello from the enclave!$' <<<"$out" || fail "hello: $req: $out"
done
out=$(served "$P" 'GET /.well-known/mse/ratls.pem HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9\r\nConnection: close\r\n\r\n' "ratls.pem, obs-text value")
grep -q 'BEGIN CERTIFICATE' <<<"$out" || fail "ratls.pem, obs-text value: $out"
ok "hello, ratls.pem: HTAB and obs-text in values, every tchar in a name, obs-fold -> 200"
grep -qF "GET /hello?refused=3 -> 400 $NAME_WHY" "$WORK/hello.log" || fail "name refusal not logged"
grep -qF "GET /hello?refused=8 -> 400 $CTL_WHY" "$WORK/hello.log" || fail "value refusal not logged"

# --- The proxy to an app that records the raw field lines of every request it gets.
mkdir -p "$WORK/app"
cat >"$WORK/app/app.py" <<'EOF'
import json, os, socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            lines = []
            while True:
                line = self.rfile.readline(65536)
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                lines.append(line.rstrip(b"\r\n").decode("latin-1"))
            fields = [l.split(":", 1) for l in lines[1:]]
            n = sum(int(v) for k, v in fields if k.lower() == "content-length")
            self.rfile.read(n)
            with open("requests.log", "a") as f:
                f.write(json.dumps({"line": lines[0], "fields": fields}) + "\n")
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nseen\n")
class S(socketserver.ThreadingTCPServer):
    daemon_threads = True
S(("127.0.0.1", int(os.environ["MSE_APP_PORT"])), H).serve_forever()
EOF
proxy_start
refused_all "$P" /proxy
refused_all "$P" /proxy plain 'GET /first HTTP/1.1\r\nHost: x\r\n\r\n'
evhttp_refuses "$P" /proxy
for req in 'GET /tab HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\nConnection: close\r\n\r\n' \
    'GET /obstext HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9\r\nConnection: close\r\n\r\n' \
    "GET /tchar HTTP/1.1\r\nHost: x\r\n!#\$%&'*+-.^_\`|~09azAZ: v\r\nConnection: close\r\n\r\n" \
    'GET /fold HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n' \
    'GET /nul HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\nConnection: close\r\n\r\n' \
    'POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'; do
    out=$(served "$P" "$req" "proxy: $req")
    grep -q '^seen$' <<<"$out" || fail "proxy: $req: $out"
done
python3 - "$WORK/app/requests.log" <<'EOF' || fail "the app's view: $(cat "$WORK/app/requests.log")"
import json, re, sys
token = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
ctl = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
seen = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    target = r["line"].split(" ")[1]
    assert "refused=" not in target and "/after" not in target, ("refused request reached the app", r)
    for k, v in r["fields"]:
        assert token.match(k), ("field name not a token reached the app", r)
        assert not ctl.search(v), ("control character reached the app", r)
    seen[target] = {k.lower(): v.strip() for k, v in r["fields"]}
assert seen["/tab"]["x-a"] == "a\tb", seen["/tab"]
assert seen["/obstext"]["x-a"] == "caf\xc3\xa9", seen["/obstext"]
assert seen["/tchar"]["!#$%&'*+-.^_`|~09azaz"] == "v", seen["/tchar"]
assert seen["/fold"]["x-a"] == "a b", seen["/fold"]
assert seen["/nul"]["x-a"] == "a", seen["/nul"]
assert seen["/body"]["content-length"] == "5", seen["/body"]
EOF
ok "proxy: no refused request, no non-token name, no control character reached the app; HTAB, obs-text, every tchar, obs-fold (as SP) and a NUL (value ended there) as described"

# --- The configuration endpoint (TLS, RA-TLS certificate): a correct configuration with a
# field name that is not a token, or a control character in a value, is refused, not applied.
config_phase_start
out=$(exchange "$P" "$(config_head 'Host: x\r\nX-A : b\r\n')" tls)
[ "$(head -1 <<<"$out")" = "HTTP/1.1 400 Bad Request" ] || fail "configuration with 'X-A : b': $out"
grep -q "\"$NAME_WHY\"" <<<"$out" || fail "configuration with 'X-A : b': $out"
out=$(exchange "$P" "$(config_head 'Host: x\r\nX-A: \x01\r\n')" tls)
[ "$(head -1 <<<"$out")" = "HTTP/1.1 400 Bad Request" ] || fail "configuration with SOH in a value: $out"
grep -q "\"$CTL_WHY\"" <<<"$out" || fail "configuration with SOH in a value: $out"
ok "a correct configuration with 'X-A : b', with SOH in a value -> 400 each"
refused_all "$P" /.well-known/mse/configure tls
config_not_applied "the same configuration with token names only"

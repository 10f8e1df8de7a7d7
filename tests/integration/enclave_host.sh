#!/usr/bin/env bash
# mse-enclave and the Host field (RFC 9112 3.2, RFC 9110 7.2) on raw connections, on every
# path a request can take: the hello app's own reader (srv_fast.c) and evhttp after it, the
# configuration endpoint, the RA-TLS endpoint and the proxy to an app.
#  - refused with 400, the connection closed and nothing after the request served: an
#    HTTP/1.1 request without Host, two Host fields (even equal ones, even in HTTP/1.0), a
#    Host value that is not uri-host [":" port] ("a b", "x@y");
#  - served: HTTP/1.0 without Host, one valid Host (IPv6 literal and port included), an
#    empty Host;
#  - the app never sees a refused request, and each request it sees carries exactly one
#    Host: the client's, or an empty one for HTTP/1.0 without Host;
#  - a configuration in a request without Host is refused and not applied.
source "$(dirname "$0")/libenclave.sh"
trap '' PIPE
command -v python3 >/dev/null || { echo "SKIP: needs python3 for raw HTTP exchanges"; exit 77; }

fake_attestation "$WORK/att"

# The refused heads, each named; TARGET is replaced by the request's target.
REFUSED_NAMES=("HTTP/1.1 without Host" "two Host fields" "the same Host twice"
               "HTTP/1.0 with two Host fields" "Host: a b" "Host: x@y" "Host: [::1")
REFUSED_HEADS=('GET TARGET HTTP/1.1\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n'
               'GET TARGET HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: a b\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: x@y\r\n\r\n'
               'GET TARGET HTTP/1.1\r\nHost: [::1\r\n\r\n')
REFUSED_WHY=("no Host in an HTTP/1.1 request" "more than one Host" "more than one Host"
             "more than one Host" "invalid Host" "invalid Host" "invalid Host")

# --- The hello app: its own reader, and evhttp for what it hands over.
hello_refuses_all
out=$(served "$P" 'GET / HTTP/1.0\r\n\r\n' "hello: HTTP/1.0 without Host")
grep -q '^Hello from the enclave!$' <<<"$out" || fail "hello: HTTP/1.0 without Host: $out"
for host in 'localhost' '127.0.0.1:8443' '[::1]:8443' '' ' x '; do
    out=$(served "$P" "GET / HTTP/1.1\r\nHost:$host\r\nConnection: close\r\n\r\n" "hello: Host:$host")
    grep -q '^Hello from the enclave!$' <<<"$out" || fail "hello: Host:$host: $out"
done
out=$(served "$P" 'GET /.well-known/mse/ratls.pem HTTP/1.0\r\n\r\n' "ratls.pem, HTTP/1.0 without Host")
grep -q 'BEGIN CERTIFICATE' <<<"$out" || fail "ratls.pem, HTTP/1.0 without Host: $out"
ok "hello: HTTP/1.0 without Host, valid and empty Host values -> 200"
grep -qF 'GET /hello?refused=0 -> 400 no Host in an HTTP/1.1 request' "$WORK/hello.log" ||
    fail "refusal not logged"

# --- The proxy to an app that records every request it gets, with its Host fields.
mkdir -p "$WORK/app"
cat >"$WORK/app/app.py" <<'EOF'
import http.server, json, os
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def any(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        with open("requests.log", "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, json.dumps(self.headers.get_all("Host") or [])))
        out = b"seen\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = any
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["MSE_APP_PORT"])), H).serve_forever()
EOF
proxy_start
refused_all "$P" /proxy
refused_all "$P" /proxy plain 'GET /first HTTP/1.1\r\nHost: x\r\n\r\n'
grep -q 'refused=' "$WORK/app/requests.log" && fail "a refused request reached the app: $(cat "$WORK/app/requests.log")"
ok "proxy: no refused request reached the app"
for req in 'GET /v10 HTTP/1.0\r\n\r\n' 'GET /v10host HTTP/1.0\r\nHost: h10\r\n\r\n' \
    'POST /one HTTP/1.1\r\nHost: Example.COM:8443\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab' \
    'GET /v6 HTTP/1.1\r\nHost:\t[::1]:1 \r\nConnection: close\r\n\r\n' \
    'GET /empty HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n'; do
    out=$(served "$P" "$req" "proxy: $req")
    grep -q '^seen$' <<<"$out" || fail "proxy: $req: $out"
done
log=$(cat "$WORK/app/requests.log")
grep -qx 'GET /v10 \[""\]' <<<"$log" || fail "HTTP/1.0 without Host reached the app as: $log"
grep -qx 'GET /v10host \["h10"\]' <<<"$log" || fail "HTTP/1.0 with Host reached the app as: $log"
grep -qx 'POST /one \["Example.COM:8443"\]' <<<"$log" || fail "one Host reached the app as: $log"
grep -qx 'GET /v6 \["\\t\[::1\]:1"\]\|GET /v6 \["\[::1\]:1"\]' <<<"$log" || fail "IPv6 Host reached the app as: $log"
grep -qx 'GET /empty \[""\]' <<<"$log" || fail "empty Host reached the app as: $log"
ok "proxy: the app sees exactly one Host, the client's (empty for HTTP/1.0 without one)"

# --- The configuration endpoint (TLS, RA-TLS certificate): a correct configuration sent
# without Host is refused and not applied.
config_phase_start
out=$(exchange "$P" "$(config_head '')" tls)
[ "$(head -1 <<<"$out")" = "HTTP/1.1 400 Bad Request" ] || fail "configuration without Host: $out"
grep -q '"no Host in an HTTP/1.1 request"' <<<"$out" || fail "configuration without Host: $out"
out=$(exchange "$P" "$(config_head 'Host: a\r\nHost: b\r\n')" tls)
grep -q '"more than one Host"' <<<"$out" || fail "configuration with two Host fields: $out"
out=$(exchange "$P" "$(config_head 'Host: x@y\r\n')" tls)
grep -q '"invalid Host"' <<<"$out" || fail "configuration with an invalid Host: $out"
ok "a correct configuration without Host, with two, with an invalid one -> 400 each"
refused_all "$P" /.well-known/mse/configure tls
config_not_applied "the same configuration with its Host"

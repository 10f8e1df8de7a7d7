#!/usr/bin/env bash
# mse-enclave ends a TLS connection it closes with close_notify (RFC 8446, 6.1) when, and
# only when, its last response is complete, so that a client reading to the end of the
# stream can tell the end from a truncation (Python's ssl with suppress_ragged_eofs=False
# raises SSLEOFError at an end without close_notify):
#  - the hello app: `Connection: close`, HTTP/1.0, and a request evhttp answers (DELETE);
#    the last response, close_notify and FIN leave in one segment;
#  - the proxy: an app response delimited by the app's close, passed on to an HTTP/1.0
#    client as delimited by the close, ends with close_notify;
#  - the proxy: an app response cut short (the app closes inside a Content-Length body or
#    inside a chunk) ends without close_notify, for HTTP/1.0 and HTTP/1.1 clients alike
#    (an HTTP/1.0 client has nothing else to tell a chunked body cut short from a whole one).
source "$(dirname "$0")/libenclave.sh"
command -v python3 >/dev/null || { echo "SKIP: needs python3 for TLS exchanges"; exit 77; }

fake_attestation "$WORK/att"
OP="$WORK/op"
operator_cert "$OP"
TLS=(--mode untrusted-ssl --attestation-root "$WORK/att" --san localhost
     --ssl-cert "$OP/cert.pem" --ssl-key "$OP/key.pem")

# ends PORT EXPECTED PATH... : for each path ("GET /x", or "/x" for a GET) and each HTTP
# version, one request; succeeds when every stream ended as EXPECTED after a response.
cat >"$WORK/ends.py" <<'EOF'
import sys
from fetch import fetch
port, expected, paths = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
for path in paths:
    method, target = path.split(" ") if " " in path else ("GET", path)
    for version, extra in (("HTTP/1.1", "Connection: close\r\n"), ("HTTP/1.0", "")):
        req = f"{method} {target} {version}\r\nHost: localhost\r\n{extra}\r\n".encode()
        r = fetch(port, req)
        data, end = r.data, r.end
        if not data.startswith(b"HTTP/1."):
            sys.exit(f"{method} {target} {version}: no response: {data[:80]!r}")
        if end != expected:
            sys.exit(f"{method} {target} {version}: ended '{end}', expected '{expected}', "
                     f"after {len(data)} bytes: {data[:60]!r}")
EOF
ends() { python3 "$WORK/ends.py" "$@"; }

# The hello app: the fast path, and evhttp's.
start_enclave hello "${TLS[@]}" --hello
ends "$PORT" clean / "DELETE /" || fail "hello app"
ok "hello app: close_notify ends each connection the server closes (Connection: close, HTTP/1.0, evhttp)"
# ... and it leaves with the last response and the FIN (srv_cork.c): on a new TLS 1.3
# connection with one `Connection: close` request the client receives three segments with
# data, the server's handshake flight, its one session ticket, then the response and
# close_notify together (four when they part; nginx: five). Read from the client socket's
# TCP_INFO (tcpi_data_segs_in, Linux 4.6), on three connections.
python3 - "$PORT" <<'EOF' || fail "the last response, close_notify and FIN not in one segment"
import struct, sys
from fetch import fetch
seen = []
for attempt in range(3):
    r = fetch(int(sys.argv[1]), b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data, info = r.data, r.tcp_info
    if not data.startswith(b"HTTP/1.1 200 OK"):
        sys.exit(f"no response: {data[:80]!r}")
    if len(info) < 160:
        print("SKIP: no tcpi_data_segs_in in this kernel's TCP_INFO")
        sys.exit(0)
    seen.append(struct.unpack_from("I", info, 152)[0])
if seen != [3, 3, 3]:
    sys.exit(f"segments with data from the server, per connection: {seen}, expected 3 each")
EOF
ok "hello app: the last response, close_notify and FIN leave in one segment"

# The proxy, to an app that answers each path with fixed bytes and then closes.
mkdir -p "$WORK/app"
cat >"$WORK/app/app.py" <<'EOF'
import os, socketserver
body = b"x" * 100000
RESPONSES = {
    "ready": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
    "whole": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body,
    "cut-length": b"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + body,
    "cut-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % (2 * len(body)) + body,
}
class H(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(65536)
        while self.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
            pass
        name = line.split(b" ")[1].decode("latin-1").rsplit("/", 1)[-1]
        self.wfile.write(RESPONSES.get(name, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
class S(socketserver.ThreadingTCPServer):
    daemon_threads = True
S(("127.0.0.1", int(os.environ["MSE_APP_PORT"])), H).serve_forever()
EOF
start_enclave proxy "${TLS[@]}" --app-dir "$WORK/app" --app-port "$(free_port)" \
    --app-cmd 'exec python3 app.py'
wait_http "https://127.0.0.1:$PORT/ready" -k
python3 - "$PORT" <<'EOF' || fail "the app's close-delimited response not passed on whole"
import sys
from fetch import fetch
r = fetch(int(sys.argv[1]), b"GET /whole HTTP/1.0\r\nHost: localhost\r\n\r\n")
data, end = r.data, r.end
head, body = data.split(b"\r\n\r\n", 1)
if body != b"x" * 100000 or end != "clean":
    sys.exit(f"{len(body)} bytes of body, ended '{end}': {head!r}")
EOF
ends "$PORT" clean /whole || fail "proxy, whole response"
ends "$PORT" cut /cut-length /cut-chunk || fail "proxy, response cut short"
grep -q 'upstream failed mid-response' "$WORK/proxy.log" || fail "mid-response failure not logged"
ok "proxy: close_notify after a whole response delimited by the close, none after one cut short"

#!/usr/bin/env bash
# mse-enclave request and response framing on raw plain-HTTP connections
# (RFC 9112 6, RFC 9110 9.3.2), each exchange bounded in time:
#  - a response to HEAD has no content: HEAD then GET on one keep-alive
#    connection gives exactly two responses, the second the hello body;
#  - pipelined requests are answered in order; the connection stays open after
#    a response unless the request said close; the hello app's own request
#    reader (srv_fast.c) hands a request it does not take (a body, an unknown
#    method, a malformed or oversized head) to evhttp, which answers or refuses
#    it with its exact status; 40,000 pipelined requests sent before reading
#    any response are all answered, over plain HTTP past the server's
#    response backlog, and 1,000 over TLS; TLS records sent together in one
#    segment (the Finished with the first request, several requests, a POST
#    handed to evhttp between GETs) are all answered;
#  - requests whose framing two implementations can read differently are
#    refused with the exact status and the connection closed: two
#    Content-Length fields (400), Content-Length with Transfer-Encoding (400),
#    a transfer coding other than chunked (501);
#  - proxying: a chunked PATCH whose body holds a second request reaches the
#    app as one request with a Content-Length equal to its body (the app logs
#    every request line it parses).
source "$(dirname "$0")/libenclave.sh"
trap '' PIPE
command -v python3 >/dev/null || { echo "SKIP: needs python3 for raw HTTP exchanges"; exit 77; }

fake_attestation "$WORK/att"

start_enclave plain --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --hello
P=$PORT

out=$(exchange "$P" 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
[ "$(grep -c '^HTTP/1.1 200 OK$' <<<"$out")" = 2 ] || fail "HEAD then GET: $out"
[ "$(grep -c '^Hello from the enclave!$' <<<"$out")" = 1 ] || fail "HEAD response carried content: $out"
# The HEAD response's head is followed directly by the GET response's status line.
python3 - "$out" <<'EOF' || fail "HEAD response not followed by the next response: $out"
import sys
first, rest = sys.argv[1].split("\n\n", 1)
sys.exit(0 if first.startswith("HTTP/1.1 200") and rest.startswith("HTTP/1.1 200") else 1)
EOF
ok "HEAD: no content; the next response on the connection is intact"

out=$(exchange "$P" 'HEAD /.well-known/mse/ratls.pem HTTP/1.1\r\nHost: x\r\n\r\nGET /.well-known/mse/ratls.pem HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
[ "$(grep -c '^HTTP/1.1 200 OK$' <<<"$out")" = 2 ] || fail "ratls.pem HEAD then GET: $out"
[ "$(grep -c 'BEGIN CERTIFICATE' <<<"$out")" = 1 ] || fail "ratls.pem HEAD carried content: $out"
out=$(exchange "$P" 'HEAD /.well-known/mse/configure HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
grep -q '^HTTP/1.1 405 Method Not Allowed$' <<<"$out" || fail "HEAD on configure: $out"
grep -q '"status"' <<<"$out" && fail "an error response to HEAD carried content: $out"
grep -q '^Hello from the enclave!$' <<<"$out" || fail "request after a HEAD error: $out"
ok "HEAD on ratls.pem and on an error response: no content"

out=$(exchange "$P" 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n')
[ "$(grep -c '^Hello from the enclave!$' <<<"$out")" = 2 ] || fail "pipelined requests: $out"
[ "${out: -6}" = "<open>" ] || fail "keep-alive connection closed after its responses: $out"
ok "pipelined requests answered in order; the connection stays open"

# The hello loop's own reader (srv_fast.c) and its hand-over to evhttp, on one connection each.
out=$(exchange "$P" 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n')
[ "$(grep -c '^Hello from the enclave!$' <<<"$out")" = 1 ] || fail "Connection: close: $out"
grep -q '^Connection: close$' <<<"$out" || fail "Connection: close not answered in kind: $out"
[ "${out: -6}" = "<open>" ] && fail "connection left open after Connection: close: $out"
ok "Connection: close: one response, then the connection is closed"
out=$(exchange "$P" 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
[ "$(grep -c '^Hello from the enclave!$' <<<"$out")" = 3 ] || fail "GET, POST with a body, GET: $out"
ok "pipelined GET, POST with a body (evhttp's), GET: three responses in order"
out=$(exchange "$P" 'GET / HTTP/1.1\r\nHost: x\r\n\r\nBREW / HTTP/1.1\r\nHost: x\r\n\r\n')
[ "$(grep -c '^Hello from the enclave!$' <<<"$out")" = 1 ] || fail "GET then an unknown method: $out"
grep -q '^HTTP/1.1 501 Not Implemented$' <<<"$out" || fail "unknown method after a GET: $out"
out=$(exchange "$P" 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /\r\n\r\n')
grep -q '^HTTP/1.1 400 Bad Request$' <<<"$out" || fail "malformed request line after a GET: $out"
[ "${out: -6}" = "<open>" ] && fail "connection left open after a malformed request: $out"
big=$(head -c 20000 /dev/zero | tr '\0' a)
out=$(exchange "$P" "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n")
[ "$(grep -c '^Hello from the enclave!$' <<<"$out")" = 1 ] || fail "GET then an oversized head: $out"
grep -q '^HTTP/1.1 400 Bad Request$' <<<"$out" || fail "oversized head (20 KB > 16 KiB): $out"
ok "after a response: an unknown method -> 501, a malformed request line -> 400, a 20 KB head -> 400, each closing"
# 40,000 pipelined requests (1.1 MB) from a client with a 4 KiB receive buffer that reads
# only after a pause: their 6 MB of responses fill the kernel's send buffer (at most 4 MiB by
# default), so the server holds 64 KiB of them and stops reading requests until they are
# written (srv_fast.c). All are answered, in order, once the client reads.
python3 - "$P" <<'EOF' || fail "40,000 pipelined requests"
import socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(60)
s.connect(("127.0.0.1", int(sys.argv[1])))
n = 40000
data = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * (n - 1) + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
sender = threading.Thread(target=s.sendall, args=(data,))  # may block while the server stops reading
sender.start()
time.sleep(0.5)
out, deadline = bytearray(), time.monotonic() + 60
while time.monotonic() < deadline:
    d = s.recv(1 << 16)
    if not d:
        break
    out += d
sender.join(5)
got = out.count(b"Hello from the enclave!\n")
print("responses:", got, file=sys.stderr)
sys.exit(0 if got == n and out.count(b"HTTP/1.1 200 OK\r\n") == n else 1)
EOF
ok "40,000 pipelined requests answered once the client reads"

# refused STATUS REASON REQUEST: the exact status, the connection closed, nothing after it served.
refused() {
    local status="$1" what="$2" out
    out=$(exchange "$P" "$3"'GET /.well-known/mse/ratls.pem HTTP/1.1\r\nHost: x\r\n\r\n')
    [ "$(head -1 <<<"$out")" = "HTTP/1.1 $status" ] || fail "$what: $out"
    grep -q '^Connection: close$' <<<"$out" || fail "$what: connection not closed: $out"
    grep -q 'BEGIN CERTIFICATE\|<open>' <<<"$out" && fail "$what: served on after the refusal: $out"
    ok "$what -> $status, connection closed"
}
refused "400 Bad Request" "two Content-Length fields" \
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde'
refused "400 Bad Request" "Content-Length with Transfer-Encoding" \
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'
refused "501 Not Implemented" "a transfer coding other than chunked" \
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'
grep -q 'POST / -> 400 more than one Content-Length' "$WORK/plain.log" || fail "refusal not logged"

# Pipelining over TLS (bufferevent_openssl): 1,000 requests in records of 50 (38 KB, within the
# server's receive window), read only after a pause, all answered.
operator_cert "$WORK"
start_enclave tls --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --hello \
    --ssl-cert "$WORK/cert.pem" --ssl-key "$WORK/key.pem"
python3 - "$PORT" "$WORK/cert.pem" <<'EOF' || fail "1,000 pipelined requests over TLS"
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30),
                    server_hostname="localhost")
n, req = 1000, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
for i in range(0, n - 1, 50):
    s.sendall(req * min(50, n - 1 - i))
s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
time.sleep(0.5)
out, deadline = b"", time.monotonic() + 60
while time.monotonic() < deadline:
    d = s.recv(1 << 16)
    if not d:
        break
    out += d
got = out.count(b"Hello from the enclave!\n")
print("responses:", got, file=sys.stderr)
sys.exit(0 if got == n and out.count(b"HTTP/1.1 200 OK\r\n") == n else 1)
EOF
ok "1,000 pipelined requests over TLS answered once the client reads"
# Several TLS records in one segment (OpenSSL on the server reads ahead in the hello loop,
# srv_fast.c): the client's Finished with its first request; three requests as three
# records; a GET, then a POST whose head and body are records of their own (the connection
# handed to evhttp with records still undecrypted on the server), then a GET. Each
# exchange must be answered in full within its deadline, not left waiting for more bytes.
python3 - "$PORT" "$WORK/cert.pem" <<'EOF' || fail "TLS records sent together"
import socket, ssl, sys, time
port, ctx = int(sys.argv[1]), ssl.create_default_context(cafile=sys.argv[2])
get = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
last = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
post = b"POST /b HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\n"
def exchange(what, records, want):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, outg, server_hostname="localhost")
    deadline = time.monotonic() + 20
    while True:  # the handshake, up to the client's Finished, which is not sent yet
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        if outg.pending:
            sock.sendall(outg.read())
        d = sock.recv(1 << 16)
        if not d or time.monotonic() > deadline:
            sys.exit(what + ": handshake did not complete")
        inc.write(d)
    for r in records:
        tls.write(r)  # one record each
    sock.sendall(outg.read())  # with the Finished: one send
    out = b""
    while out.count(b"Hello from the enclave!\n") < want and time.monotonic() < deadline:
        try:
            out += tls.read(1 << 16)
            continue
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            break
        try:
            d = sock.recv(1 << 16)
        except socket.timeout:
            break
        if not d:
            break
        inc.write(d)
    got = out.count(b"Hello from the enclave!\n")
    if got != want:
        sys.exit("%s: %d of %d responses: %r" % (what, got, want, out[-300:]))
    sock.close()
exchange("the Finished and the first request in one segment", [last], 1)
exchange("three requests as three records in one segment", [get, get, last], 3)
exchange("GET, POST head, POST body, GET as four records in one segment",
         [get, post, b"abc", last], 3)
EOF
ok "TLS records sent together (Finished + request; 3 requests; a POST handed to evhttp between GETs): all answered"

# Proxying a chunked PATCH whose body is a complete second request.
mkdir -p "$WORK/app"
cat >"$WORK/app/app.py" <<'EOF'
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        with open("requests.log", "a") as f:
            f.write("%s %s %d %d\n" % (self.command, self.path, n, len(body)))
        out = b"seen\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_PATCH = do_POST = any
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["MSE_APP_PORT"])), H).serve_forever()
EOF
proxy_start
smuggled='GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'
len=$(printf '%b' "$smuggled" | wc -c)
out=$(exchange "$P" "PATCH /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n$(printf '%x' "$len")\r\n$smuggled\r\n0\r\n\r\n")
grep -q '^seen$' <<<"$out" || fail "chunked PATCH not proxied: $out"
# Another request on the pooled upstream connection must get its own answer.
[ "$(curl -s --max-time 10 "http://127.0.0.1:$P/after")" = seen ] || fail "request after the PATCH"
grep -q "^PATCH /p $len $len$" "$WORK/app/requests.log" || fail "app saw: $(cat "$WORK/app/requests.log")"
grep -q smuggled "$WORK/app/requests.log" && fail "the body reached the app as a request: $(cat "$WORK/app/requests.log")"
ok "a chunked PATCH reaches the app as one request, Content-Length $len"

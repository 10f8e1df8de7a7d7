# Helpers for the mse-enclave integration tests (sourced; not a test itself).
# Every server is started on 127.0.0.1 with an ephemeral port and killed on exit.
set -euo pipefail

: "${MSE_BUILD_DIR:?MSE_BUILD_DIR must be set (CTest sets it)}"
ENCLAVE="$MSE_BUILD_DIR/mse-enclave"
MSE="$MSE_BUILD_DIR/mse"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mse-enclave-test.XXXXXX")"
source "$(dirname "${BASH_SOURCE[0]}")/libcommon.sh"

# Emulated Gramine /dev/attestation whose "quote" is fixed bytes: fine for
# the server (it only embeds it); a verifier refuses it.
fake_attestation() {
    local dir="$1"
    mkdir -p "$dir"
    printf dcap >"$dir/attestation_type"
    : >"$dir/user_report_data"
    head -c 1200 /dev/urandom >"$dir/quote"
}

# operator_cert DIR [rsa]: a self-signed certificate for localhost, DIR/cert.pem and
# DIR/key.pem (an operator's or owner's certificate for --ssl-cert/--ssl-key): P-256, or
# RSA-2048 with "rsa".
operator_cert() {
    local key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
    [ "${2:-}" = rsa ] && key=(-newkey rsa:2048)
    mkdir -p "$1"
    openssl req -x509 "${key[@]}" -nodes -keyout "$1/key.pem" -out "$1/cert.pem" \
        -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" -days 2 >/dev/null 2>&1
}

# fetch.py, for the tests' Python (on PYTHONPATH): fetch(port, request, tls=True,
# session=None, timeout=30) sends REQUEST on a new connection to 127.0.0.1:PORT (TLS 1.3
# without certificate checks, offering SESSION; plain TCP with tls=False) and reads to the
# end of the stream. It returns .data (the bytes), .end ("clean"; "cut": TLS ended without
# close_notify), .tcp_info (the socket's TCP_INFO bytes), .session and .reused (TLS).
# client_context(version=None): a TLS client context without certificate checks, for TLS
# 1.3 (fetch's own) or for VERSION only.
cat >"$WORK/fetch.py" <<'EOF'
import socket, ssl, types
def client_context(version=None):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = version or ssl.TLSVersion.TLSv1_3
    if version is not None:
        c.maximum_version = version
    return c
# One context for every connection: a session resumes only on the context that made it.
ctx = client_context()
def fetch(port, request, tls=True, session=None, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        s = ctx.wrap_socket(s, server_hostname="localhost", session=session,
                            suppress_ragged_eofs=False)
    s.sendall(request)
    data, end = b"", "clean"
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except ssl.SSLEOFError:
        end = "cut"
    r = types.SimpleNamespace(data=data, end=end,
                              tcp_info=s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256),
                              session=s.session if tls else None,
                              reused=s.session_reused if tls else False)
    s.close()
    return r
EOF
export PYTHONPATH="$WORK${PYTHONPATH:+:$PYTHONPATH}"

# start_enclave NAME ARGS... : runs mse-enclave with --port 0 and waits for its port.
# Sets PORT and SERVER_PID; log in $WORK/NAME.log.
start_enclave() {
    local name="$1"
    shift
    rm -f "$WORK/$name.port"
    "$ENCLAVE" --host 127.0.0.1 --port 0 --port-file "$WORK/$name.port" --max-seconds 120 "$@" \
        >"$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_port "$name" "$SERVER_PID" "$WORK/$name.port" "$WORK/$name.log"
    PORT=$(cat "$WORK/$name.port")
}

# wait_port NAME PID PORT_FILE LOG: until the server PID (started with --port-file PORT_FILE,
# its output in LOG) has written its port there, bounded.
wait_port() {
    local name="$1" pid="$2" file="$3" log="$4"
    for _ in $(seq 1 300); do
        [ -s "$file" ] && break
        kill -0 "$pid" 2>/dev/null || fail "$name exited at start: $(tail -5 "$log")"
        sleep 0.05
    done
    [ -s "$file" ] || fail "$name did not report its port"
}

# wait_http URL CURL_ARGS... : until URL answers 200 (bounded).
wait_http() {
    local url="$1"
    shift
    for _ in $(seq 1 300); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" || true)
        [ "$code" = 200 ] && return 0
        sleep 0.1
    done
    fail "$url never answered 200 (last $code)"
}

# exchange PORT REQUEST [tls] : sends REQUEST (printf %b escapes) on one raw connection, over
# TLS without certificate checks with "tls", and prints the whole reply (CRLF as LF) until the
# server closes, with "<open>" appended if it keeps the connection open for 2 s after its last
# byte (or sends nothing in 20 s) and "<reset>" if it resets it; at most 20 s. Needs python3.
exchange() {
    [ -f "$WORK/exchange.py" ] || cat >"$WORK/exchange.py" <<'EOF'
import socket, ssl, sys, time
port, data, tls = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3] == "tls"
s = socket.create_connection(("127.0.0.1", port), timeout=20)
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s, server_hostname="localhost")
s.sendall(data)
out, deadline = b"", time.monotonic() + 20
while time.monotonic() < deadline:
    # The first byte may take long on a loaded machine; after it, 2 s of silence is "open".
    s.settimeout(2 if out else max(deadline - time.monotonic(), 0.1))
    try:
        d = s.recv(65536)
    except socket.timeout:
        out += b"<open>"
        break
    except ConnectionResetError:
        out += b"<reset>"
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode("latin-1").replace("\r\n", "\n"))
EOF
    python3 "$WORK/exchange.py" "$1" "$(printf '%b' "$2" | od -An -tx1 -v | tr -d ' \n')" "${3:-plain}"
}

# post_config URL BODY [CONTENT_TYPE] -> prints "<code> <body>"
post_config() {
    local url="$1" body="$2" ct="${3:-application/json}"
    curl -sk --max-time 10 -o "$WORK/resp" -w '%{http_code}' -X POST -H "Content-Type: $ct" \
        --data-binary "$body" "$url" || true
}

expect_code() {
    local want="$1" got="$2" what="$3"
    [ "$got" = "$want" ] || fail "$what: expected HTTP $want, got $got ($(cat "$WORK/resp" 2>/dev/null))"
    ok "$what -> $want"
}

# make_context NAME : plain code + mse context new; sets CTX, UUID, KEY, ENC.
make_context() {
    local name="$1"
    shift
    mkdir -p "$WORK/$name.code/static"
    echo "index of $name" >"$WORK/$name.code/index.html"
    echo "body{}" >"$WORK/$name.code/static/style.css"
    (cd "$WORK" && "$MSE" context new --code "$name.code" --name "$name" --san localhost \
        --out "$WORK/$name.context.toml" "$@" \
        >/dev/null) || fail "mse context new"
    CTX="$WORK/$name.context.toml"
    ENC="$WORK/$name.code.enc"
    UUID=$(sed -n 's/^id = "\(.*\)"$/\1/p' "$CTX")
    KEY=$(sed -n 's/^code_secret_key = "\(.*\)"$/\1/p' "$CTX")
    [ ${#UUID} = 36 ] && [ ${#KEY} = 64 ] || fail "context $CTX lacks id/code_secret_key"
}

# The certificate the server presents on PORT (PEM on stdout; retried: s_client
# under load occasionally gives up before the handshake completes).
presented_cert() {
    local out="$WORK/presented.$$.pem"
    for _ in 1 2 3 4 5; do
        openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>"$WORK/s_client.err" |
            openssl x509 -outform PEM >"$out" 2>/dev/null || true
        [ -s "$out" ] && { cat "$out"; return 0; }
        sleep 0.2
    done
    echo "presented_cert: no certificate from port $1: $(tail -3 "$WORK/s_client.err")" >&2
    return 1
}

# has_quote_ext CERT.pem: the certificate carries the SGX quote extension. The text is
# captured before it is searched: `openssl ... | grep -q` under pipefail fails whenever
# grep exits before openssl has written everything (SIGPIPE).
has_quote_ext() {
    local text
    text=$(openssl x509 -in "$1" -noout -text) && [[ $text == *1.2.840.113741.1337.6* ]]
}

# same_cert A.pem B.pem: the same certificate (DER equality).
same_cert() {
    cmp -s <(openssl x509 -in "$1" -outform DER) <(openssl x509 -in "$2" -outform DER)
}

# The configuration-phase abuse suite: every bad request is refused with its
# status and the server keeps waiting. Needs URL, UUID, KEY.
abuse_config() {
    local url="$1" extra="${2:-}"
    local good="{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\"$extra}"
    expect_code 400 "$(post_config "$url" '{bad json')" "bad JSON"
    expect_code 400 "$(post_config "$url" '[1,2]')" "JSON array"
    expect_code 400 "$(post_config "$url" "{\"uuid\":\"$UUID\",\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\"$extra}")" "duplicate key"
    expect_code 400 "$(post_config "$url" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"zz\"$extra}")" "bad hex key"
    expect_code 400 "$(post_config "$url" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\",\"x\":1$extra}")" "unknown field"
    expect_code 403 "$(post_config "$url" "{\"uuid\":\"00000000-0000-4000-8000-000000000000\",\"code_secret_key\":\"$KEY\"$extra}")" "wrong uuid"
    expect_code 415 "$(post_config "$url" "$good" text/plain)" "wrong content type"
    expect_code 415 "$(post_config "$url" "$good" application/jsonp)" "content type with a JSON prefix"
    expect_code 403 "$(post_config "$url" "{\"uuid\":\"00000000-0000-4000-8000-000000000000\",\"code_secret_key\":\"$KEY\"$extra}" 'application/json; charset=utf-8')" "JSON with a charset parameter (accepted, then wrong uuid)"
    head -c 100000 /dev/zero >"$WORK/big"
    expect_code 413 "$(post_config "$url" "@$WORK/big")" "oversized body"
    # A body beyond the hard cap is cut by libevent itself (413, not logged).
    head -c 3000000 /dev/zero >"$WORK/huge"
    expect_code 413 "$(post_config "$url" "@$WORK/huge")" "huge body"
    local wrongkey
    wrongkey=$(printf '%064d' 0)
    expect_code 400 "$(post_config "$url" "{\"uuid\":\"$UUID\",\"code_secret_key\":\"$wrongkey\"$extra}")" "key that does not decrypt the code"
    code=$(curl -sk -o "$WORK/resp" -w '%{http_code}' "$url")
    expect_code 405 "$code" "GET on the configuration endpoint"
    code=$(curl -sk -o "$WORK/resp" -w '%{http_code}' "${url%/.well-known/mse/configure}/app")
    expect_code 404 "$code" "app path before configuration"
}

# refused_all PORT PATH [tls] [FIRST]: every head of the caller's REFUSED_HEADS (TARGET
# replaced by PATH?refused=INDEX; named by REFUSED_NAMES) for PATH (after FIRST, a request
# that is served, on the same connection) gets 400 with its reason REFUSED_WHY and
# Connection: close, the connection is closed, and the request pipelined after it is not
# served. Needs python3 (exchange).
refused_all() {
    local port="$1" path="$2" tls="${3:-plain}" first="${4:-}" i head out
    for i in "${!REFUSED_HEADS[@]}"; do
        head="${REFUSED_HEADS[$i]//TARGET/$path?refused=$i}"
        out=$(exchange "$port" "$first$head"'GET /after HTTP/1.1\r\nHost: x\r\n\r\n' "$tls")
        [ "$(grep -c '^HTTP/1.[01] 400 Bad Request$' <<<"$out")" = 1 ] ||
            fail "${REFUSED_NAMES[$i]} on $path: $out"
        grep -q "^{\"status\":400,\"message\":\"${REFUSED_WHY[$i]}\"}$" <<<"$out" ||
            fail "${REFUSED_NAMES[$i]} on $path: not '${REFUSED_WHY[$i]}': $out"
        grep -q '^Connection: close$' <<<"$out" || fail "${REFUSED_NAMES[$i]} on $path: no Connection: close: $out"
        [[ $out == *"<open>"* ]] && fail "${REFUSED_NAMES[$i]} on $path: connection left open: $out"
        [ "$(grep -c '^HTTP/' <<<"$out")" = $((${first:+1} + 1)) ] ||
            fail "${REFUSED_NAMES[$i]} on $path: served on after the refusal: $out"
    done
    ok "$path ($tls${first:+, after a served request}): ${#REFUSED_HEADS[@]} heads refused with 400 and their reason, connection closed"
}

# served PORT REQUEST WHAT [tls]: one response, 200, prints it.
served() {
    local out
    out=$(exchange "$1" "$2" "${4:-plain}")
    [ "$(head -1 <<<"$out")" = "HTTP/1.1 200 OK" ] || [ "$(head -1 <<<"$out")" = "HTTP/1.0 200 OK" ] ||
        fail "$3: $out"
    [ "$(grep -c '^HTTP/' <<<"$out")" = 1 ] || fail "$3: $out"
    printf '%s\n' "$out"
}

# hello_refuses_all: mse-enclave "hello" with its hello app (its port in P); the caller's
# REFUSED_HEADS (refused_all) refused on /hello, on /hello after a request the hello loop
# answered itself (the hand-over to evhttp mid-connection), and on ratls.pem.
hello_refuses_all() {
    start_enclave hello --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost --hello
    P=$PORT
    refused_all "$P" /hello
    refused_all "$P" /hello plain 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
    refused_all "$P" /.well-known/mse/ratls.pem
}

# proxy_start: mse-enclave "proxy" in front of the app the caller wrote to $WORK/app/app.py
# (which listens on $MSE_APP_PORT), once it answers /ready; its port in P.
proxy_start() {
    local app_port
    app_port=$(free_port)
    start_enclave proxy --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
        --app-dir "$WORK/app" --app-port "$app_port" --app-cmd 'exec python3 app.py'
    P=$PORT
    wait_http "http://127.0.0.1:$P/ready"
}

# raw_responses_app: completes the Python app $WORK/app/app.py, which defines RESPONSES (the
# last segment of a request's path -> the raw bytes that answer it, in one write), with a
# server on MSE_APP_PORT that reads each request's head and answers it so, keep-alive.
raw_responses_app() {
    cat >>"$WORK/app/app.py" <<'EOF'
import os, socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            while self.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
                pass
            name = line.split(b" ")[1].decode("latin-1").rsplit("/", 1)[-1]
            try:
                self.wfile.write(RESPONSES.get(name, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
            except OSError:
                return  # the proxy closed a refused response's connection
class S(socketserver.ThreadingTCPServer):
    daemon_threads = True
S(("127.0.0.1", int(os.environ["MSE_APP_PORT"])), H).serve_forever()
EOF
}

# A simulated enclave in its configuration phase behind its RA-TLS certificate (untrusted-ssl
# mode, hello app), for requests to /.well-known/mse/configure: config_phase_start starts it
# (its port in P, the correct configuration in CONFIG_BODY); config_head HEADS prints a
# configuration request with the correct body and HEADS (printf escapes, each ending \r\n)
# before its Content-Type; config_not_applied WHAT checks that the refused configurations
# left it in its configuration phase with nothing decrypted, and that the correct
# configuration, sent as curl sends it (WHAT), is then applied.
config_phase_start() {
    make_context cfg
    mkdir "$WORK/cfgapp"
    start_enclave cfg --mode untrusted-ssl --attestation-root "$WORK/att" --san localhost \
        --uuid "$UUID" --code-dir "$ENC" --app-dir "$WORK/cfgapp" --hello
    P=$PORT
    CONFIG_BODY="{\"uuid\":\"$UUID\",\"code_secret_key\":\"$KEY\"}"
}

config_head() {
    printf 'POST /.well-known/mse/configure HTTP/1.1\\r\\n%sContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s' \
        "$1" "${#CONFIG_BODY}" "$CONFIG_BODY"
}

config_not_applied() {
    local code
    code=$(curl -sk -o "$WORK/resp" -w '%{http_code}' --max-time 10 "https://127.0.0.1:$P/")
    expect_code 404 "$code" "still in the configuration phase after the refused configurations"
    [ -z "$(ls -A "$WORK/cfgapp")" ] || fail "code decrypted by a refused configuration: $(ls -A "$WORK/cfgapp")"
    expect_code 200 "$(post_config "https://127.0.0.1:$P/.well-known/mse/configure" "$CONFIG_BODY")" "$1"
}

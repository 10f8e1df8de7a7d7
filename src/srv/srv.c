/*
 * mse-enclave server core: the listener, TLS contexts per phase, request
 * dispatch, the RA-TLS certificate endpoint, the built-in hello app, signals.
 * HTTP/1.1 parsing, limits and timeouts are libevent's evhttp, except for
 * the GET and HEAD requests of the built-in hello app, which srv_fast.c
 * answers itself; TLS is OpenSSL through bufferevent_openssl. See srv.h for
 * the phases.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <mse/guard.h>
#include <mse/rd.h>

#include "srv_int.h"
#include "util/util.h"

void srv_log(const char *fmt, ...)
{
    char ts[32];
    time_t now = (time_t)mse_time_now();
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s mse-enclave: ", ts);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void srv_peer(struct evhttp_request *req, char *out, size_t cap)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (evcon == NULL) {
        snprintf(out, cap, "-");
        return;
    }
    evhttp_connection_get_peer(evcon, &addr, &port);
    snprintf(out, cap, "%s:%u", addr ? addr : "?", (unsigned)port);
}

static const char *method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "?";
}

/* The request target as logged: at most 200 bytes, anything but printable ASCII
 * escaped, so a client cannot forge log lines or send terminal escapes. */
static void log_safe(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    struct mse_rd rd;
    mse_rd_init(&rd, in ? in : "", in ? strlen(in) : 0);
    size_t n = 0, shown = 0;
    uint8_t c;
    while (n + 5 < cap && mse_rd_u8(&rd, &c) == MSE_OK) {
        if (shown++ == 200) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[n++] = (char)c;
        } else {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
}

/*
 * RFC 9110 9.3.2: a response to HEAD has no content. evhttp leaves out its
 * Content-Length but still writes whatever the reply's buffer holds, which a
 * keep-alive client then reads as the start of the next response.
 */
bool srv_has_content(struct evhttp_request *req)
{
    return evhttp_request_get_command(req) != EVHTTP_REQ_HEAD;
}

void srv_reply(struct evhttp_request *req, int code, const char *reason, const char *message)
{
    char peer[80], target[256];
    srv_peer(req, peer, sizeof peer);
    log_safe(evhttp_request_get_uri(req), target, sizeof target);
    srv_log("%s %s %s -> %d %s", peer, method_name(evhttp_request_get_command(req)), target, code,
            message);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Cache-Control", "no-store");
    if (!srv_has_content(req)) {
        evhttp_send_reply(req, code, reason, NULL);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    /* message is one of our fixed strings: no JSON escaping needed, checked by tests. */
    evbuffer_add_printf(body, "{\"status\":%d,\"message\":\"%s\"}\n", code, message);
    evhttp_send_reply(req, code, reason, body);
    evbuffer_free(body);
}

static void handle_ratls_pem(struct srv *s, struct evhttp_request *req)
{
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        srv_reply(req, 405, "Method Not Allowed", "method not allowed");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/x-pem-file");
    if (!srv_has_content(req)) {
        evhttp_send_reply(req, HTTP_OK, "OK", NULL);
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (body == NULL) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evbuffer_add(body, s->ratls_pem, s->ratls_pem_len);
    evhttp_send_reply(req, HTTP_OK, "OK", body);
    evbuffer_free(body);
}

/*
 * evhttp queues the head and the body as separate buffer chains, and the TLS
 * layer writes one record (and one write(2)) per chain: joining them halves
 * the records and system calls per response. Then the write is started in
 * this loop iteration: a socket bufferevent only arms write interest when
 * output arrives and writes once epoll reports the socket writable, which
 * costs two epoll_ctl calls (arm, disarm) and one more epoll_wait round per
 * response although a keep-alive socket is nearly always writable. Running
 * the bufferevent's own write event now writes what the socket takes; if it
 * takes nothing, the event stays armed and the usual path goes on.
 */
void srv_write_now(struct bufferevent *bev)
{
    if (bev == NULL)
        return;
    struct evbuffer *out = bufferevent_get_output(bev);
    size_t len = evbuffer_get_length(out);
    if (len == 0)
        return;
    /* Only small responses: copying a large backlog would cost more than it saves. */
    if (len <= 16 * 1024)
        (void)evbuffer_pullup(out, -1);
    if (bufferevent_get_enabled(bev) & EV_WRITE)
        event_active(&bev->ev_write, EV_WRITE, 1);
}

static void handle_hello(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    /* Straight into the request's own output buffer: no buffer made and freed per request. */
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    if (srv_has_content(req) &&
        evbuffer_add_reference(out, SRV_HELLO_BODY, sizeof SRV_HELLO_BODY - 1, NULL, NULL) != 0) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    evhttp_send_reply(req, HTTP_OK, "OK", NULL);
    srv_write_now(evcon ? evhttp_connection_get_bufferevent(evcon) : NULL);
}

/*
 * Requests refused before any endpoint sees them, on every path, the
 * connection then closed: what follows a request read differently from its
 * sender cannot be trusted either. The field lines first: a name that is not
 * a token ("Host : x") would otherwise reach the framing and Host rules as
 * some other field. 0 or the HTTP status, with why.
 */
static int request_refusal(struct evhttp_request *req, const char **why)
{
    if ((*why = srv_fields_refusal(req)) != NULL)
        return 400;
    int status = srv_framing_refusal(req, why);
    if (status != 0)
        return status;
    if ((*why = srv_host_refusal(req)) != NULL)
        return 400;
    return 0;
}

static void dispatch(struct evhttp_request *req, void *arg)
{
    struct srv *s = arg;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    struct srv_conn *conn = bev ? srv_conn_find(s, bev) : NULL;
    if (conn == NULL || conn->refuse) {
        /* Not one of ours: evhttp made its own plain bufferevent because make_bev
         * failed. On a TLS port that would be plain HTTP: close instead. */
        if (evcon != NULL)
            evhttp_connection_free(evcon); /* frees req too */
        return;
    }
    srv_conn_first_request(s, conn);
    const char *why = NULL;
    int refusal = request_refusal(req, &why);
    if (refusal != 0) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        srv_reply(req, refusal, refusal == 400 ? "Bad Request" : "Not Implemented", why);
        return;
    }
    /*
     * In the configuration phase every answer ends its connection: each request
     * is then a connection's first, held to --request-deadline (a kept-alive
     * connection's next request is held only to the idle timeout, which a byte
     * now and then defeats), every configuration attempt costs a handshake, and
     * no connection of this phase, on the RA-TLS certificate, lives on into the
     * app phase (owner mode serves the owner's certificate there).
     */
    if (s->phase == SRV_PHASE_CONFIG)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (path == NULL || path[0] != '/') {
        srv_reply(req, 400, "Bad Request", "bad request target");
        return;
    }
    if (strcmp(path, SRV_PATH_RATLS) == 0) {
        handle_ratls_pem(s, req);
        return;
    }
    if (strcmp(path, SRV_PATH_CONFIGURE) == 0) {
        s->config_requests++;
        srv_config_handle(s, req); /* in either phase: 409 once configured */
        return;
    }
    if (s->phase == SRV_PHASE_CONFIG) {
        srv_reply(req, 404, "Not Found", "not configured yet; only the configuration endpoint");
        return;
    }
    if (s->cfg->hello)
        handle_hello(req);
    else
        srv_proxy_handle(s, req);
}

/*
 * One bufferevent per accepted connection: TLS with the phase's context, or
 * plain. Returning NULL would make evhttp create a plain one itself, so a
 * failed TLS session still gets a tracked plain bufferevent marked to be shut
 * down before anything is read from it.
 */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    struct srv *s = arg;
    struct bufferevent *bev = NULL;
    bool refuse = false;
    if (s->cur_ctx != NULL) {
        SSL *ssl = SSL_new(s->cur_ctx);
        if (ssl != NULL && s->phase == SRV_PHASE_CONFIG)
            SSL_set_options(ssl, SSL_OP_CLEANSE_PLAINTEXT);
        if (ssl != NULL) {
            bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                 BEV_OPT_CLOSE_ON_FREE);
            if (bev == NULL)
                SSL_free(ssl);
        }
        if (bev != NULL)
            /* Clients commonly close without close_notify; not an error for a server. */
            bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
        else
            refuse = true;
    }
    if (bev == NULL)
        bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev != NULL && srv_conn_new(s, bev, s->cur_ctx != NULL && !refuse, refuse) == NULL) {
        bufferevent_free(bev);
        bev = NULL;
    }
    return bev;
}

/*
 * Suites, in the server's order of preference. TLS 1.2: forward-secret AEAD only (ECDHE
 * with AES-GCM or ChaCha20-Poly1305, for ECDSA and RSA certificates): no CBC, no static
 * RSA key exchange. TLS 1.3: OpenSSL's three, all AEAD.
 * AES-128-GCM comes first: every suite here is at least as strong as the key exchange
 * (X25519 or P-256) and the certificate's key, about 128-bit security, so AES-256 adds
 * no strength a connection can keep, while SHA-384's key schedule costs both sides of
 * every handshake more (about 9% fewer handshakes per second with OpenSSL clients, which
 * ask for AES-256 first). A client that puts ChaCha20 first, a device without AES
 * instructions, gets ChaCha20 (SSL_OP_PRIORITIZE_CHACHA); one that needs AES-256
 * offers only it. Go's crypto/tls server, too, chooses by its own order, AES-128-GCM first.
 */
#define SRV_TLS12_CIPHERS                                                                      \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                               \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
#define SRV_TLS13_SUITES                                                                       \
    "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"

/* The session cache's bound (about 1 KiB of heap each, 4 MiB at the bound; the session
 * closest to its expiry is dropped first) and a session's lifetime, seconds (nginx's default). */
#define SRV_SESSION_CACHE_MAX 4096
#define SRV_SESSION_LIFETIME 300

MSE_MUST_USE static mse_err new_ctx(SSL_CTX **out)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    MSE_ENSURE(ctx != NULL, MSE_ERR_CRYPTO);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, SRV_TLS12_CIPHERS) != 1 ||
        SSL_CTX_set_ciphersuites(ctx, SRV_TLS13_SUITES) != 1) {
        SSL_CTX_free(ctx);
        return MSE_ERR_CRYPTO;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_PRIORITIZE_CHACHA);
    /* Give the 17 KiB read and write buffers back while a connection has nothing
     * pending: an idle keep-alive connection then holds no record buffers. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* Resumption from the server's own session cache: a TLS 1.3 ticket (a TLS 1.2
     * session ID) is then a reference into it, never the session's secrets encrypted
     * under a ticket key that lives as long as the process, so a session can be
     * resumed, and its secret read from this memory, for SRV_SESSION_LIFETIME at most
     * or until the bounded cache drops it. Resuming costs a lookup instead of the
     * ticket's decryption and decoding, and the new ticket its insertion instead of
     * its encoding and encryption: about 9% of a resumed handshake's instructions. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, SRV_SESSION_CACHE_MAX);
    SSL_CTX_set_timeout(ctx, SRV_SESSION_LIFETIME);
    /* One TLS 1.3 ticket per connection, as Go's server sends (OpenSSL's default is two
     * after a full handshake): it resumes the client's next connection, which brings
     * the next ticket; a second would be one more entry in the cache and one more TCP
     * segment per new client. */
    (void)SSL_CTX_set_num_tickets(ctx, 1);
    *out = ctx;
    return MSE_OK;
}

MSE_MUST_USE static mse_err make_ratls_ctx(struct srv *s)
{
    MSE_TRY(new_ctx(&s->ratls_ctx));
    MSE_ENSURE(SSL_CTX_use_certificate(s->ratls_ctx, s->cfg->ratls_cert) == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE(SSL_CTX_use_PrivateKey(s->ratls_ctx, s->cfg->ratls_key) == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE(SSL_CTX_check_private_key(s->ratls_ctx) == 1, MSE_ERR_CRYPTO);
    return MSE_OK;
}

MSE_MUST_USE static mse_err make_ratls_pem(struct srv *s)
{
    BIO *b = BIO_new(BIO_s_mem());
    MSE_ENSURE(b != NULL, MSE_ERR_NOMEM);
    mse_err err = MSE_OK;
    char *data = NULL;
    MSE_ENSURE_OUT(PEM_write_bio_X509(b, s->cfg->ratls_cert) == 1, MSE_ERR_CRYPTO);
    long len = BIO_get_mem_data(b, &data);
    MSE_ENSURE_OUT(len > 0, MSE_ERR_CRYPTO);
    s->ratls_pem = malloc((size_t)len);
    MSE_ENSURE_OUT(s->ratls_pem != NULL, MSE_ERR_NOMEM);
    memcpy(s->ratls_pem, data, (size_t)len);
    s->ratls_pem_len = (size_t)len;
out:
    BIO_free(b);
    return err;
}

/*
 * App-phase TLS context known at start: the operator's certificate and key
 * (untrusted-ssl), or the owner's chain (owner; its key arrives with the
 * configuration and is added by srv_config.c).
 */
MSE_MUST_USE static mse_err make_app_ctx(struct srv *s)
{
    const struct srv_config *c = s->cfg;
    if (c->mode == SRV_MODE_ZERO_TRUST)
        return MSE_OK;
    if (c->mode == SRV_MODE_UNTRUSTED_SSL && c->ssl_cert == NULL)
        return MSE_OK; /* plain HTTP behind the operator's proxy */
    MSE_TRY(new_ctx(&s->app_ctx));
    MSE_ENSURE(SSL_CTX_use_certificate_chain_file(s->app_ctx, c->ssl_cert) == 1, MSE_ERR_PEM);
    if (c->mode == SRV_MODE_UNTRUSTED_SSL) {
        MSE_ENSURE(SSL_CTX_use_PrivateKey_file(s->app_ctx, c->ssl_key, SSL_FILETYPE_PEM) == 1,
                   MSE_ERR_PEM);
        MSE_ENSURE(SSL_CTX_check_private_key(s->app_ctx) == 1, MSE_ERR_ARG);
    } else {
        /* Owner mode: the chain is checked now; the key comes with the configuration. */
        SSL_CTX_free(s->app_ctx);
        s->app_ctx = NULL;
    }
    return MSE_OK;
}

mse_err srv_owner_ctx(struct srv *s, EVP_PKEY *key)
{
    SSL_CTX *ctx = NULL;
    MSE_TRY(new_ctx(&ctx));
    /* A fresh context per attempt: a refused key leaves nothing half-installed. */
    if (SSL_CTX_use_certificate_chain_file(ctx, s->cfg->ssl_cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return MSE_ERR_ARG;
    }
    SSL_CTX_free(s->app_ctx);
    s->app_ctx = ctx;
    return MSE_OK;
}

mse_err srv_enter_app_phase(struct srv *s)
{
    const struct srv_config *c = s->cfg;
    if (c->mode == SRV_MODE_ZERO_TRUST)
        s->cur_ctx = s->ratls_ctx;
    else
        s->cur_ctx = s->app_ctx; /* NULL: plain HTTP (untrusted-ssl without a certificate) */
    s->phase = SRV_PHASE_APP;
    evhttp_set_max_body_size(s->http, (ev_ssize_t)c->max_body);
    srv_log("app phase: %s", c->mode == SRV_MODE_ZERO_TRUST  ? "HTTPS on the RA-TLS certificate"
                             : c->mode == SRV_MODE_OWNER     ? "HTTPS on the owner's certificate"
                             : s->cur_ctx                    ? "HTTPS on the operator's certificate"
                                                             : "plain HTTP");
    if (!c->hello)
        MSE_TRY(srv_app_start(s));
    return MSE_OK;
}

static void on_signal(evutil_socket_t sig, short events, void *arg)
{
    struct srv *s = arg;
    srv_log("signal %d: stopping", (int)sig);
    event_base_loopexit(s->base, NULL);
}

static void on_child(evutil_socket_t sig, short events, void *arg)
{
    srv_app_reap(arg);
}

static void on_deadline(evutil_socket_t fd, short events, void *arg)
{
    struct srv *s = arg;
    srv_log("--max-seconds reached: stopping");
    event_base_loopexit(s->base, NULL);
}

MSE_MUST_USE static mse_err write_port_file(const char *path, uint16_t port)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%u\n", (unsigned)port);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof buf, MSE_ERR_INTERNAL);
    return mse_file_write_atomic(path, buf, (size_t)n, 0644);
}

/*
 * accept(2) failing for lack of file descriptors (or memory) leaves the
 * listening socket readable: libevent would retry at once, forever, and log
 * each failure, a busy loop and a log flood any client can cause by holding
 * connections open. Pause accepting for 100 ms instead, and log rarely.
 */
/*
 * libevent hands the listener's error callback the listener's own argument,
 * which evhttp_bind_socket sets to the evhttp, and neither offers a way back
 * to the server nor lets a caller own the accept callback (evhttp_get_request
 * is not exported). The server is found instead through the SIGTERM event,
 * which carries it and stays added for as long as the loop runs: a lookup in
 * the event base, no state of our own. It costs a walk over the base's
 * events, once per accept error, and accept errors pause accepting 100 ms.
 */
static int find_srv(const struct event_base *base_unused, const struct event *ev, void *arg)
{
    if (event_get_callback(ev) != on_signal)
        return 0;
    *(struct srv **)arg = event_get_callback_arg(ev);
    return 1;
}

static void listener_resume(evutil_socket_t fd, short events, void *arg)
{
    struct srv *s = arg;
    s->accept_paused = false;
    srv_listener_update(s);
}

static void listener_error(struct evconnlistener *l, void *http_unused)
{
    int e = EVUTIL_SOCKET_ERROR();
    struct srv *s = NULL;
    (void)event_base_foreach_event(evconnlistener_get_base(l), find_srv, &s);
    if (s == NULL)
        return;
    s->accept_paused = true;
    srv_listener_update(s);
    if (s->accept_pauses++ % 100 == 0)
        srv_log("accept failed (%s): pausing new connections for 100 ms (%lu pause(s))",
                strerror(e), s->accept_pauses);
    struct timeval tv = {0, 100 * 1000};
    if (event_add(s->listener_resume, &tv) != 0) {
        s->accept_paused = false;
        srv_listener_update(s);
    }
}

MSE_MUST_USE static mse_err bind_listener(struct srv *s)
{
    const struct srv_config *c = s->cfg;
    struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(s->http, c->host, c->port);
    if (bound == NULL) {
        srv_log("cannot listen on %s:%u: %s", c->host, (unsigned)c->port, strerror(errno));
        return MSE_ERR_IO;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    evutil_socket_t fd = evhttp_bound_socket_get_fd(bound);
    /* Accepted sockets inherit TCP_NODELAY on Linux: without it a response
     * written in two TLS records waits for the client's delayed ACK (~40 ms). */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* evhttp listens with a backlog of 128: in a burst of connections the
     * kernel then drops SYNs and each client waits a 1 s retransmit. Queued
     * connections cost the kernel, not this process; the system's limit caps it. */
    (void)listen(fd, SOMAXCONN);
    MSE_ENSURE(getsockname(fd, (struct sockaddr *)&ss, &sl) == 0, MSE_ERR_IO);
    uint16_t port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    s->listener = evhttp_bound_socket_get_listener(bound);
    s->listener_resume = evtimer_new(s->base, listener_resume, s);
    MSE_ENSURE(s->listener != NULL && s->listener_resume != NULL, MSE_ERR_NOMEM);
    s->accepting = true; /* evhttp's listener starts enabled */
    evconnlistener_set_error_cb(s->listener, listener_error);
    srv_log("listening on %s:%u (at most %zu connections at once)", c->host, (unsigned)port,
            s->conn_max);
    if (c->port_file != NULL)
        MSE_TRY(write_port_file(c->port_file, port));
    return MSE_OK;
}

static void srv_free(struct srv *s)
{
    srv_app_stop(s);
    srv_proxy_free(s);
    s->stopping = true; /* evhttp_free frees the listener before the connections */
    if (s->http != NULL)
        evhttp_free(s->http);
    srv_conn_free(s);
    if (s->listener_resume != NULL)
        event_free(s->listener_resume);
    SSL_CTX_free(s->ratls_ctx);
    SSL_CTX_free(s->app_ctx);
    free(s->ratls_pem);
    if (s->base != NULL)
        event_base_free(s->base);
    /* Last: event_base_free runs the finalizers of bufferevents freed before, and so frees
     * their TLS sessions and the write filters made with this method. */
    srv_cork_free(s);
}

/*
 * --max-connections, or by default 1,024 within the descriptor limit: a
 * connection is one descriptor, and the listener, the log, the app and up to
 * SRV_UPSTREAM_MAX upstream connections need theirs.
 */
static size_t conn_max(const struct srv_config *cfg, const struct rlimit *rl)
{
    if (cfg->max_connections > 0)
        return cfg->max_connections;
    size_t reserve = 32 + (cfg->hello ? 0 : SRV_UPSTREAM_MAX);
    size_t max = SRV_DEFAULT_MAX_CONNECTIONS;
    if (rl->rlim_cur != RLIM_INFINITY && rl->rlim_cur < max + reserve)
        max = rl->rlim_cur > reserve + 16 ? (size_t)rl->rlim_cur - reserve : 16;
    return max;
}

/*
 * With a configuration phase (zero-trust, owner) the server receives the
 * owner's secrets: the code's key and, in owner mode, the owner's private
 * key. They must not reach a core file (crash collectors keep and ship
 * them) or another process of the host's user (ptrace, /proc/PID/mem):
 * non-dumpable stops both, and the core limit 0 also covers
 * fs.suid_dumpable=2, which still dumps non-dumpable processes. The app
 * gets its dumpable flag back at execve and keeps the core limit: it holds
 * the decrypted code. Without a configuration phase (untrusted-ssl) the
 * keys are the host's own, and its tools may inspect the server. Best
 * effort: Gramine may not implement these calls, and inside SGX the
 * enclave's memory is out of the host's reach anyway.
 */
static void keep_secrets_out_of_dumps(void)
{
    const struct rlimit no_core = {0, 0};
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        srv_log("note: cannot make the process non-dumpable: %s", strerror(errno));
    if (setrlimit(RLIMIT_CORE, &no_core) != 0)
        srv_log("note: cannot set the core file size limit to 0: %s", strerror(errno));
}

int srv_run(const struct srv_config *cfg)
{
    struct srv s;
    mse_err err = MSE_OK;
    struct event *ev_term = NULL, *ev_int = NULL, *ev_chld = NULL, *ev_deadline = NULL;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.exit_code = MSE_EXIT_OK;
    if (cfg->uuid != NULL)
        keep_secrets_out_of_dumps();
    srv_config_init();
    /* A client closing mid-write must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    /* As many connections as the system lets this process have. */
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            (void)getrlimit(RLIMIT_NOFILE, &rl);
    }

    /* Single-threaded loop; the epoll changelist folds the add/remove of
     * write interest each response causes into fewer epoll_ctl calls. */
    struct event_config *ecfg = event_config_new();
    MSE_ENSURE_OUT(ecfg != NULL, MSE_ERR_NOMEM);
    event_config_set_flag(ecfg, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    s.base = event_base_new_with_config(ecfg);
    event_config_free(ecfg);
    MSE_ENSURE_OUT(s.base != NULL, MSE_ERR_NOMEM);
    s.http = evhttp_new(s.base);
    MSE_ENSURE_OUT(s.http != NULL, MSE_ERR_NOMEM);
    MSE_CHECK_OUT(make_ratls_ctx(&s));
    MSE_CHECK_OUT(make_ratls_pem(&s));
    MSE_CHECK_OUT(make_app_ctx(&s));
    MSE_CHECK_OUT(srv_fast_init(&s));
    MSE_CHECK_OUT(srv_cork_init(&s));

    evhttp_set_gencb(s.http, dispatch, &s);
    evhttp_set_bevcb(s.http, make_bev, &s);
    evhttp_set_timeout(s.http, cfg->timeout);
    evhttp_set_max_headers_size(s.http, (ev_ssize_t)cfg->max_headers);
    evhttp_set_allowed_methods(s.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                           EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                           EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    /* Our own logged 413 is at SRV_CONFIG_BODY_MAX; libevent's hard cap stops bigger bodies
     * from being buffered at all. */
    evhttp_set_max_body_size(s.http, 16 * SRV_CONFIG_BODY_MAX);
    /* Our responses name their type; the app's reach the client as the app sent them:
     * evhttp would declare "text/html; charset=ISO-8859-1" for one without a type, and
     * a browser would render it as HTML even where the app forbade sniffing. */
    evhttp_set_default_content_type(s.http, NULL);

    ev_term = evsignal_new(s.base, SIGTERM, on_signal, &s);
    ev_int = evsignal_new(s.base, SIGINT, on_signal, &s);
    ev_chld = evsignal_new(s.base, SIGCHLD, on_child, &s);
    MSE_ENSURE_OUT(ev_term != NULL && ev_int != NULL && ev_chld != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(event_add(ev_term, NULL) == 0 && event_add(ev_int, NULL) == 0 &&
                       event_add(ev_chld, NULL) == 0,
                   MSE_ERR_INTERNAL);
    MSE_CHECK_OUT(srv_conn_init(&s, conn_max(cfg, &rl)));
    if (cfg->max_seconds > 0) {
        struct timeval tv = {cfg->max_seconds, 0};
        ev_deadline = evtimer_new(s.base, on_deadline, &s);
        MSE_ENSURE_OUT(ev_deadline != NULL && evtimer_add(ev_deadline, &tv) == 0, MSE_ERR_NOMEM);
    }

    if (cfg->uuid != NULL) {
        s.phase = SRV_PHASE_CONFIG;
        s.cur_ctx = s.ratls_ctx;
        srv_log("configuration phase: waiting for POST %s on the RA-TLS certificate",
                SRV_PATH_CONFIGURE);
    } else {
        MSE_CHECK_OUT(srv_enter_app_phase(&s));
    }
    MSE_CHECK_OUT(bind_listener(&s));

    event_base_dispatch(s.base);
    srv_log("stopped (%lu request(s) to the configuration endpoint, %lu connection(s) dropped "
            "by the request deadline, %lu refused at their first TLS record, %lu with their "
            "first TLS record in at accept, %lu accept pause(s), connection limit reached %lu "
            "time(s))",
            s.config_requests, s.deadline_drops, s.gate_refusals, s.gate_skips,
            s.accept_pauses, s.cap_reached);
out:
    if (err != MSE_OK) {
        srv_log("error: %s", mse_err_str(err));
        s.exit_code = (int)mse_err_exit(err);
    }
    if (ev_term)
        event_free(ev_term);
    if (ev_int)
        event_free(ev_int);
    if (ev_chld)
        event_free(ev_chld);
    if (ev_deadline)
        event_free(ev_deadline);
    int code = s.exit_code;
    srv_free(&s);
    return code;
}

/*
 * Reverse proxy to the app over HTTP/1.1 on loopback (RFC 9110, RFC 9112).
 *
 * Upstream connections are kept alive and reused from a bounded pool. Request
 * bodies are bounded by the server's body limit; the upstream's response is
 * streamed to the client as it arrives (libevent chunked callbacks), bounded
 * by SRV_UPSTREAM_BODY_MAX. Hop-by-hop headers (RFC 9110 7.6.1) are dropped
 * both ways. An upstream that cannot be reached or breaks the protocol gives
 * 502; one that does not answer within the upstream timeout gives 504. If the
 * failure comes after the response has started, the client connection is
 * closed so a truncated body is never mistaken for a complete one.
 *
 * The app's response head is judged once evhttp has read all of it and before
 * a byte of it reaches the client (on_headers): a field whose name is not a
 * token or whose value holds a control character but HTAB, framing that can
 * be read more than one way (the rules of client requests, srv_field.c), or
 * a reason phrase with such a character (RFC 9112 4: reason-phrase =
 * 1*( HTAB / SP / VCHAR / obs-text )), makes the whole response a 502 with
 * the reason, and the upstream connection is closed with the rest of it
 * unread. Dropping such a field instead would change what the app meant (a
 * "Set-Cookie " with a trailing space would vanish) without anyone seeing
 * it; passing it on would leave its reading to the client.
 *
 * An interim (1xx) response is refused the same way: libevent 2.1's client
 * takes any 1xx but 100 for the final response, and after 100 reads the next
 * head into the same fields, so the final response behind a 103 Early Hints
 * would stay on the pooled connection and be read as the answer to the next
 * request, perhaps another client's. The proxy removes Expect and the
 * Upgrade field, so an app has no reason to send one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include <mse/rd.h>

#include "srv_int.h"
#include "util/util.h"

#define SRV_UPSTREAM_BODY_MAX (256L * 1024 * 1024)
#define SRV_UPSTREAM_HEADERS_MAX (64L * 1024)

struct proxy_req {
    struct srv *s;
    struct evhttp_request *client;
    struct srv_upstream *up;
    bool started;      /* reply line and headers sent to the client */
    bool client_gone;  /* the client request was freed */
    enum evhttp_request_error error;
    bool failed;
    bool in_make;   /* inside evhttp_make_request: on_done must not free */
    bool done;      /* on_done ran */
    int64_t start_ms;      /* mse_monotonic_ms when the upstream request was made */
    const char *refusal;   /* why the app's response head is refused (a fixed message), or NULL */
};

/*
 * libevent 2.1 reports a refused connection as EVREQ_HTTP_TIMEOUT too, so a
 * timeout only counts as one (504) if the upstream timeout really elapsed.
 */
static bool timed_out(const struct proxy_req *p)
{
    double elapsed = (double)(mse_monotonic_ms() - p->start_ms) / 1000;
    return p->error == EVREQ_HTTP_TIMEOUT && elapsed + 0.5 >= (double)p->s->cfg->upstream_timeout;
}

static bool hop_by_hop(const char *name)
{
    static const char *const names[] = {"Connection",        "Keep-Alive", "Proxy-Connection",
                                        "Proxy-Authenticate", "Proxy-Authorization", "TE",
                                        "Trailer",           "Transfer-Encoding", "Upgrade"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

/*
 * Also drop headers the Connection header (conn, NULL when there is none)
 * names as hop-by-hop (RFC 9110 7.6.1). The header is client or app input:
 * read with the bounded reader, a comma-separated list of tokens with
 * optional whitespace.
 */
static bool listed_in_connection(const char *conn, const char *name)
{
    if (conn == NULL)
        return false;
    struct mse_rd rd;
    mse_rd_init(&rd, conn, strlen(conn));
    char token[64];
    size_t n = 0;
    bool overlong = false;
    for (;;) {
        uint8_t ch = 0;
        bool end = mse_rd_u8(&rd, &ch) != MSE_OK;
        if (end || ch == ',' || ch == ' ' || ch == '\t') {
            token[n] = '\0';
            if (n > 0 && !overlong && strcasecmp(token, name) == 0)
                return true;
            n = 0;
            overlong = false;
            if (end)
                return false;
            continue;
        }
        if (n + 1 < sizeof token)
            token[n++] = (char)ch;
        else
            overlong = true; /* no header name we forward is that long */
    }
}

void srv_proxy_copy_headers(struct evkeyvalq *from, struct evkeyvalq *to)
{
    /* Looked up once, not once per field (evhttp's lookup walks every field). */
    const char *conn = evhttp_find_header(from, "Connection");
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, from, next)
    {
        /* A name that is not a token never gets here: a client's request with one
         * is refused with 400 (dispatch), an app's response with one with 502
         * (on_headers), both by srv_fields_refusal. Dropping it here too keeps this
         * function's promise, only tokens out, whoever calls it. */
        if (!srv_token(kv->key, strlen(kv->key)) || hop_by_hop(kv->key) ||
            listed_in_connection(conn, kv->key))
            continue;
        evhttp_add_header(to, kv->key, kv->value);
    }
}

static struct evhttp_connection *upstream_connect(struct srv *s)
{
    struct evhttp_connection *evcon =
        evhttp_connection_base_new(s->base, NULL, "127.0.0.1", s->cfg->app_port);
    if (evcon == NULL)
        return NULL;
    evhttp_connection_set_timeout(evcon, s->cfg->upstream_timeout);
    evhttp_connection_set_retries(evcon, 0);
    evhttp_connection_set_max_headers_size(evcon, SRV_UPSTREAM_HEADERS_MAX);
    evhttp_connection_set_max_body_size(evcon, SRV_UPSTREAM_BODY_MAX);
    return evcon;
}

/*
 * An idle connection holding bytes the app sent past its last response (more
 * than its Content-Length, a body to HEAD) must not carry another request:
 * evhttp would read them as the response to it, which may be another
 * client's (response queue poisoning). Bytes that arrive while the connection
 * is idle make evhttp close it itself; these came in the same read as the
 * response, so nothing else sees them.
 */
static bool upstream_reusable(struct srv_upstream *up)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(up->evcon);
    size_t extra = bev != NULL ? evbuffer_get_length(bufferevent_get_input(bev)) : 0;
    if (extra > 0)
        srv_log("the app sent %zu bytes after its response: upstream connection closed", extra);
    return extra == 0;
}

static struct srv_upstream *upstream_take(struct srv *s)
{
    for (size_t i = 0; i < s->upstream_count; i++) {
        struct srv_upstream *up = &s->upstream[i];
        if (up->busy)
            continue;
        if (!upstream_reusable(up)) {
            struct evhttp_connection *fresh = upstream_connect(s);
            if (fresh == NULL)
                return NULL;
            evhttp_connection_free(up->evcon);
            up->evcon = fresh;
        }
        up->busy = true;
        return up;
    }
    if (s->upstream_count == SRV_UPSTREAM_MAX)
        return NULL;
    struct evhttp_connection *evcon = upstream_connect(s);
    if (evcon == NULL)
        return NULL;
    struct srv_upstream *up = &s->upstream[s->upstream_count++];
    up->evcon = evcon;
    up->busy = true;
    return up;
}

static bool client_alive(struct proxy_req *p)
{
    return !p->client_gone && evhttp_request_get_connection(p->client) != NULL;
}

static void fail_client(struct proxy_req *p)
{
    if (p->client_gone)
        return;
    p->client_gone = true;
    if (!p->started) {
        bool timeout = timed_out(p);
        if (evhttp_request_get_connection(p->client) == NULL) {
            /* Detached by libevent: sending frees it without writing. */
            evhttp_send_reply(p->client, 502, "Bad Gateway", NULL);
            return;
        }
        if (p->refusal != NULL) {
            /* Fixed messages only: srv_reply writes them into JSON unescaped. */
            char message[96];
            snprintf(message, sizeof message, "app response: %s", p->refusal);
            srv_reply(p->client, 502, "Bad Gateway", message);
            return;
        }
        srv_reply(p->client, timeout ? 504 : 502, timeout ? "Gateway Timeout" : "Bad Gateway",
                  timeout ? "the app did not answer in time" : "the app is unreachable");
        return;
    }
    struct evhttp_connection *evcon = evhttp_request_get_connection(p->client);
    if (evcon == NULL) {
        evhttp_send_reply_end(p->client); /* frees the detached request */
        return;
    }
    srv_log("upstream failed mid-response: closing the client connection");
    srv_conn_abort(evcon); /* frees p->client too */
}

/* Why the app's response head must not reach the client (see the top), or NULL. */
static const char *response_refusal(struct evhttp_request *ureq)
{
    const char *why = NULL;
    if (evhttp_request_get_response_code(ureq) < 200)
        return "interim (1xx) response";
    if ((why = srv_fields_refusal(ureq)) != NULL)
        return why;
    if (srv_framing_refusal(ureq, &why) != 0)
        return why; /* whatever status a request would get: 502 here */
    const char *line = evhttp_request_get_response_code_line(ureq);
    if (line != NULL && !srv_field_value_valid(line, strlen(line)))
        return "control character in the reason phrase";
    return NULL;
}

static int on_headers(struct evhttp_request *ureq, void *arg)
{
    struct proxy_req *p = arg;
    if (!client_alive(p))
        return -1; /* abandon the upstream response */
    int code = evhttp_request_get_response_code(ureq);
    if (code < 100 || code > 599)
        return -1;
    /* The verdict on the head, before the client sees its status line. */
    p->refusal = response_refusal(ureq);
    if (p->refusal != NULL)
        return -1; /* evhttp fails the upstream request: on_done answers 502 */
    struct evkeyvalq *out = evhttp_request_get_output_headers(p->client);
    srv_proxy_copy_headers(evhttp_request_get_input_headers(ureq), out);
    evhttp_send_reply_start(p->client, code, evhttp_request_get_response_code_line(ureq));
    p->started = true;
    return 0;
}

/*
 * Back-pressure: when more than SRV_CLIENT_BACKLOG_MAX bytes wait for a slow
 * client, stop reading from the app until they are written (or the client
 * connection closes), so a slow reader cannot make the server buffer a whole
 * large response. The argument is the pool slot, which outlives requests.
 */
#define SRV_CLIENT_BACKLOG_MAX (1u << 20)

void srv_proxy_resume(struct srv_upstream *up)
{
    /* NULL once the pool is freed at shutdown, before the client connections. */
    struct bufferevent *bev = up->evcon ? evhttp_connection_get_bufferevent(up->evcon) : NULL;
    if (bev != NULL)
        bufferevent_enable(bev, EV_READ);
}

static void resume_upstream(struct evhttp_connection *evcon_unused, void *arg)
{
    srv_proxy_resume(arg);
}

static void on_chunk(struct evhttp_request *ureq, void *arg)
{
    struct proxy_req *p = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(ureq);
    if (!p->started || !client_alive(p)) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    struct evhttp_connection *cevcon = evhttp_request_get_connection(p->client);
    struct bufferevent *cbev = evhttp_connection_get_bufferevent(cevcon);
    size_t backlog = evbuffer_get_length(in) +
                     (cbev != NULL ? evbuffer_get_length(bufferevent_get_output(cbev)) : 0);
    struct bufferevent *ubev = evhttp_connection_get_bufferevent(p->up->evcon);
    if (backlog > SRV_CLIENT_BACKLOG_MAX && ubev != NULL) {
        bufferevent_disable(ubev, EV_READ);
        /* The connection's close callback is srv_conn.c's; it resumes this upstream. */
        struct srv_conn *conn = srv_conn_find(p->s, cbev);
        if (conn != NULL)
            conn->resume = p->up;
        evhttp_send_reply_chunk_with_cb(p->client, in, resume_upstream, p->up);
    } else {
        evhttp_send_reply_chunk(p->client, in);
    }
}

static void on_error(enum evhttp_request_error error, void *arg)
{
    struct proxy_req *p = arg;
    p->failed = true;
    p->error = error;
}

static void on_done(struct evhttp_request *ureq, void *arg)
{
    struct proxy_req *p = arg;
    if (ureq == NULL || p->failed || evhttp_request_get_response_code(ureq) == 0) {
        if (p->refusal == NULL) /* else srv_reply's line says why */
            srv_log("upstream request failed (%s)",
                    timed_out(p) ? "timeout" : "connection refused, reset or protocol error");
        fail_client(p);
    } else if (!p->client_gone) {
        if (!p->started) {
            /* No header callback (should not happen): send what we have. */
            if (client_alive(p))
                evhttp_send_reply(p->client, evhttp_request_get_response_code(ureq), "OK",
                                  evhttp_request_get_input_buffer(ureq));
            else
                evhttp_send_reply(p->client, 502, "Bad Gateway", NULL);
        } else {
            struct evbuffer *in = evhttp_request_get_input_buffer(ureq);
            struct evhttp_connection *evcon = evhttp_request_get_connection(p->client);
            if (evbuffer_get_length(in) > 0 && client_alive(p))
                evhttp_send_reply_chunk(p->client, in);
            evhttp_send_reply_end(p->client);
            /* Small responses: head, body and chunk trailer leave in one record. */
            srv_write_now(evcon ? evhttp_connection_get_bufferevent(evcon) : NULL);
        }
    }
    p->up->busy = false;
    p->up->inflight = NULL;
    p->done = true;
    if (!p->in_make)
        free(p);
}

void srv_proxy_handle(struct srv *s, struct evhttp_request *req)
{
    const char *uri = evhttp_request_get_uri(req);
    if (uri == NULL || uri[0] != '/') {
        srv_reply(req, 400, "Bad Request", "only origin-form request targets");
        return;
    }
    struct proxy_req *p = calloc(1, sizeof *p);
    if (p == NULL) {
        srv_reply(req, 503, "Service Unavailable", "out of memory");
        return;
    }
    p->s = s;
    p->client = req;
    p->up = upstream_take(s);
    if (p->up == NULL) {
        free(p);
        srv_reply(req, 503, "Service Unavailable", "too many concurrent upstream requests");
        return;
    }
    struct evhttp_request *ureq = evhttp_request_new(on_done, p);
    if (ureq == NULL) {
        p->up->busy = false;
        free(p);
        srv_reply(req, 503, "Service Unavailable", "out of memory");
        return;
    }
    evhttp_request_set_header_cb(ureq, on_headers);
    evhttp_request_set_chunked_cb(ureq, on_chunk);
    evhttp_request_set_error_cb(ureq, on_error);

    struct evkeyvalq *in_h = evhttp_request_get_input_headers(req);
    struct evkeyvalq *up_h = evhttp_request_get_output_headers(ureq);
    srv_proxy_copy_headers(in_h, up_h);
    /* The body is already received in full: a 100-continue exchange with the
     * app would only confuse the client side of libevent. */
    evhttp_remove_header(up_h, "Expect");
    /* Exactly one Host, the client's (dispatch refused more than one or an invalid one).
     * An HTTP/1.0 client may send none: the app then gets an empty one (RFC 9110 7.2: no
     * authority was given), never a name the client did not send. */
    const char *host = evhttp_find_header(in_h, "Host");
    while (evhttp_remove_header(up_h, "Host") == 0)
        continue;
    evhttp_add_header(up_h, "Host", host != NULL ? host : "");
    char peer[80];
    srv_peer(req, peer, sizeof peer);
    char *colon = strrchr(peer, ':');
    if (colon)
        *colon = '\0';
    /* The app sees who connected; any client-supplied value is replaced. */
    evhttp_remove_header(up_h, "X-Forwarded-For");
    evhttp_remove_header(up_h, "X-Forwarded-Proto");
    evhttp_add_header(up_h, "X-Forwarded-For", peer);
    evhttp_add_header(up_h, "X-Forwarded-Proto", s->cur_ctx ? "https" : "http");
    /* The body's own length, never the client's field: the body arrives de-chunked
     * and evhttp adds a Content-Length of its own to POST and PUT only, so a
     * chunked PATCH would otherwise reach the app with no framing at all and its
     * body be read as the next request on the pooled upstream connection. */
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    size_t body_len = evbuffer_get_length(body);
    evhttp_remove_header(up_h, "Content-Length");
    if (body_len > 0) {
        char len[24];
        snprintf(len, sizeof len, "%zu", body_len);
        evhttp_add_header(up_h, "Content-Length", len);
    }
    evbuffer_add_buffer(evhttp_request_get_output_buffer(ureq), body);
    p->start_ms = mse_monotonic_ms();
    p->up->inflight = p;
    p->in_make = true;
    int rc = evhttp_make_request(p->up->evcon, ureq, evhttp_request_get_command(req), uri);
    p->in_make = false;
    if (p->done) {
        free(p);
        return;
    }
    if (rc != 0) {
        /* Refused synchronously without the completion callback: answer here. */
        p->failed = true;
        fail_client(p);
        p->up->busy = false;
        p->up->inflight = NULL;
        free(p);
    }
}

void srv_proxy_free(struct srv *s)
{
    for (size_t i = 0; i < s->upstream_count; i++) {
        /* Pending requests are dropped without their callbacks: free ours here. */
        evhttp_connection_free(s->upstream[i].evcon);
        s->upstream[i].evcon = NULL;
        free(s->upstream[i].inflight);
        s->upstream[i].inflight = NULL;
    }
    s->upstream_count = 0;
}

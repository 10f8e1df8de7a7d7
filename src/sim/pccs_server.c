/*
 * The simulated PCCS: a libevent evhttp server answering the PCS/PCCS v4
 * collateral endpoints from files written by `mse-sim pki init`, byte for
 * byte the way Intel's PCCS 1.23 answers them (QuoteGeneration/pccs in
 * SGXDataCenterAttestationPrimitives; Express on Node):
 *
 *   GET /sgx/certification/v4/tcb?fmspc=   body: the TCB info JSON as stored,
 *       Content-Type application/json, header TCB-Info-Issuer-Chain
 *   GET /sgx/certification/v4/qe/identity  body: the QE identity JSON,
 *       header SGX-Enclave-Identity-Issuer-Chain
 *   GET /sgx/certification/v4/pckcrl?ca=platform|processor[&encoding=der]
 *       body: lowercase hex of the DER (application/x-pem-file; charset=utf-8),
 *       or the raw DER with encoding=der (application/pkix-crl);
 *       header SGX-PCK-CRL-Issuer-Chain
 *   GET /sgx/certification/v4/rootcacrl    body: lowercase hex of the DER,
 *       application/pkix-crl; charset=utf-8, no chain header
 *
 * Issuer chains are the PEM files percent-encoded like encodeURIComponent
 * (PCCS relays PCS's header in that form). Every answer carries Request-ID
 * (the client's own if it sent a sane one, else 32 random hex digits, as
 * middleware/addRequestId.js). Errors are Express's: the PCCS status text
 * as a text/html body; unknown routes and methods get Express's 404 page.
 *
 * Files are read on every request, so a test may rewrite them between
 * requests. Only hex FMSPCs ever reach a file name.
 */
#define _GNU_SOURCE /* pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "sim/pccs.h"
#include "util/util.h"

/* Largest collateral file served; real ones are a few KiB (CRLs can grow to some 100 KiB). */
#define PCCS_FILE_LIMIT (8u << 20)

/* PCCS's status texts (constants/pccs_status_code.js). */
#define TEXT_400 "Invalid request parameters."
#define TEXT_404 "No cache data for this platform."
#define TEXT_500 "Internal server error occurred."
#define TEXT_429 "Too many requests."
/* What a captive portal or an intercepting proxy answers instead of the item. */
#define TEXT_PORTAL                                                                                \
    "<!DOCTYPE html><html><head><title>Network login</title></head>"                              \
    "<body><h1>Sign in to continue</h1><p>Please accept the terms of use.</p></body></html>"

enum route { ROUTE_NONE, ROUTE_TCB, ROUTE_QE_IDENTITY, ROUTE_PCKCRL, ROUTE_ROOTCACRL, ROUTE_STATS };

/* A request whose answer waits for the delay fault. */
struct pending {
    struct pending *prev, *next;
    struct mse_sim_pccs *s;
    struct evhttp_request *req;
    struct event *timer;
    struct mse_sim_pccs_faults faults;
    bool rate_limited; /* one of the first too_many requests: answered 429 */
};

struct mse_sim_pccs {
    char *dir;                    /* the directory holding tcb/, qe-identity.json, ... */
    bool quiet;
    uint64_t max_requests;
    uint32_t max_seconds;
    uint16_t port;
    struct event_base *base;
    struct evhttp *http;
    SSL_CTX *ssl_ctx;             /* NULL: plain HTTP */
    int stop_pipe[2];             /* mse_sim_pccs_stop writes a byte; the loop breaks */
    struct event *stop_ev;
    struct pending *pending;      /* delayed answers, freed (answered 503) on exit */
    pthread_mutex_t faults_lock;
    struct mse_sim_pccs_faults faults;
    bool ran;
    bool lock_ok;                 /* faults_lock initialised */
    bool limit_hit;               /* max_requests reached */
    _Atomic uint64_t requests;    /* counted requests received */
    _Atomic uint64_t answered;    /* counted requests whose handling finished */
    _Atomic uint64_t by_route[5]; /* indexed by enum route (ROUTE_NONE = other) */
};

/* What one request is answered with. */
struct reply {
    int code;
    const char *ctype;
    uint8_t *body;          /* malloc'd */
    size_t body_len;
    const char *chain_name; /* issuer-chain header name, NULL for none */
    int32_t retry_after;    /* Retry-After seconds, sent when >= 0 */
    char *chain;            /* malloc'd percent-encoded PEM chain */
    bool express_404;       /* Express's default 404 page headers */
    bool options;           /* answer to OPTIONS: Allow header */
};

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

/* ---- helpers ---------------------------------------------------------------- */

static const char *method_name(struct evhttp_request *req)
{
    static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE",
                                          "OPTIONS", "TRACE", "CONNECT", "PATCH"};
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (cmd == (enum evhttp_cmd_type)(1u << i))
            return methods[i];
    return "?";
}

static mse_err reply_text(struct reply *r, int code, const char *text)
{
    free(r->body);
    free(r->chain);
    r->chain = NULL;
    r->chain_name = NULL;
    r->code = code;
    /* Express's res.send(string) with no type set. */
    r->ctype = "text/html; charset=utf-8";
    r->body_len = strlen(text);
    r->body = malloc(r->body_len + 1);
    MSE_ENSURE(r->body != NULL, MSE_ERR_NOMEM);
    memcpy(r->body, text, r->body_len + 1);
    return MSE_OK;
}

/* A file under the served directory; MSE_ERR_FILE_NOT_FOUND when absent. */
static mse_err read_rel(const struct mse_sim_pccs *s, const char *rel, uint8_t **data, size_t *len)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", s->dir, rel);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof path, MSE_ERR_LIMIT);
    return mse_file_read(path, PCCS_FILE_LIMIT, data, len);
}

/* Percent-encoded contents of a chain file into r->chain. */
static mse_err load_chain(const struct mse_sim_pccs *s, const char *rel, const char *header,
                          struct reply *r)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    MSE_TRY(read_rel(s, rel, &pem, &len));
    r->chain = mse_sim_pccs_percent_encode(pem, len);
    free(pem);
    MSE_ENSURE(r->chain != NULL, MSE_ERR_NOMEM);
    r->chain_name = header;
    return MSE_OK;
}

/* The chain the wrong-chain fault sends with TCB info and QE identity: a PCK
 * CRL chain (well formed, same root, wrong signer), whichever CA the pki has. */
static mse_err load_wrong_chain(const struct mse_sim_pccs *s, const char *header, struct reply *r)
{
    mse_err err = load_chain(s, "pckcrl-platform-chain.pem", header, r);
    if (err == MSE_ERR_FILE_NOT_FOUND)
        err = load_chain(s, "pckcrl-processor-chain.pem", header, r);
    return err;
}

/* Map a file error to the answer PCCS gives: missing data is 404, anything else 500. */
static mse_err file_error(struct reply *r, mse_err err)
{
    if (err == MSE_ERR_FILE_NOT_FOUND)
        return reply_text(r, 404, TEXT_404);
    return reply_text(r, 500, TEXT_500);
}

/* ---- endpoints ---------------------------------------------------------------- */

/* A query parameter's first value (PCCS's filterDuplicatedParams). Names are
 * case-sensitive as in Express, unlike evhttp_find_header. */
static const char *param(const struct evkeyvalq *q, const char *name)
{
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, q, next)
        if (strcmp(kv->key, name) == 0)
            return kv->value;
    return NULL;
}

/* tcbinfoController.getTcbInfo: fmspc length, then update type. */
static mse_err answer_tcb(const struct mse_sim_pccs *s, const struct evkeyvalq *q, bool wrong_chain,
                          struct reply *r)
{
    bool is_hex = false;
    char fmspc[13];
    if (mse_sim_pccs_check_fmspc(param(q, "fmspc"), &is_hex, fmspc) != MSE_OK ||
        mse_sim_pccs_check_update(param(q, "update")) != MSE_OK)
        return reply_text(r, 400, TEXT_400);
    /* PCCS would ask PCS, which has no such platform: "no cache data". */
    if (!is_hex)
        return reply_text(r, 404, TEXT_404);
    char rel[64];
    int n = snprintf(rel, sizeof rel, "tcb/%s.json", fmspc);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof rel, MSE_ERR_INTERNAL);
    mse_err err = read_rel(s, rel, &r->body, &r->body_len);
    if (err != MSE_OK)
        return file_error(r, err);
    err = wrong_chain ? load_wrong_chain(s, "TCB-Info-Issuer-Chain", r)
                      : load_chain(s, "tcb-chain.pem", "TCB-Info-Issuer-Chain", r);
    if (err != MSE_OK)
        return file_error(r, err);
    r->code = 200;
    r->ctype = "application/json"; /* the stored Buffer: Express adds no charset */
    return MSE_OK;
}

/* identityController.getEnclaveIdentity (QE). */
static mse_err answer_qe_identity(const struct mse_sim_pccs *s, const struct evkeyvalq *q,
                                  bool wrong_chain, struct reply *r)
{
    /* PCCS 1.23 means 400 here (it forgot to import PccsError, so it actually says 500). */
    if (mse_sim_pccs_check_update(param(q, "update")) != MSE_OK)
        return reply_text(r, 400, TEXT_400);
    mse_err err = read_rel(s, "qe-identity.json", &r->body, &r->body_len);
    if (err != MSE_OK)
        return file_error(r, err);
    err = wrong_chain ? load_wrong_chain(s, "SGX-Enclave-Identity-Issuer-Chain", r)
                      : load_chain(s, "tcb-chain.pem", "SGX-Enclave-Identity-Issuer-Chain", r);
    if (err != MSE_OK)
        return file_error(r, err);
    r->code = 200;
    r->ctype = "application/json";
    return MSE_OK;
}

/* Replace r->body by its lowercase hex (PCCS: Buffer.toString('hex')). */
static mse_err body_to_hex(struct reply *r)
{
    char *hex = mse_sim_pccs_hex(r->body, r->body_len);
    MSE_ENSURE(hex != NULL, MSE_ERR_NOMEM);
    free(r->body);
    r->body_len = strlen(hex);
    r->body = (uint8_t *)hex;
    return MSE_OK;
}

/* pckcrlController + pckcrlService: hex unless encoding is "der" (any case). */
static mse_err answer_pckcrl(const struct mse_sim_pccs *s, const struct evkeyvalq *q,
                             bool wrong_chain, struct reply *r)
{
    bool processor = false;
    if (mse_sim_pccs_check_ca(param(q, "ca"), &processor) != MSE_OK)
        return reply_text(r, 400, TEXT_400);
    mse_err err = read_rel(s, processor ? "pckcrl-processor.der" : "pckcrl-platform.der", &r->body,
                           &r->body_len);
    if (err != MSE_OK)
        return file_error(r, err);
    const char *chain = processor ? "pckcrl-processor-chain.pem" : "pckcrl-platform-chain.pem";
    err = load_chain(s, wrong_chain ? "tcb-chain.pem" : chain, "SGX-PCK-CRL-Issuer-Chain", r);
    if (err != MSE_OK)
        return file_error(r, err);
    r->code = 200;
    if (mse_sim_pccs_encoding_is_der(param(q, "encoding"))) {
        r->ctype = "application/pkix-crl";
        return MSE_OK;
    }
    r->ctype = "application/x-pem-file; charset=utf-8";
    return body_to_hex(r);
}

/* rootcacrlController: hex string sent with type application/pkix-crl (Express adds charset). */
static mse_err answer_rootcacrl(const struct mse_sim_pccs *s, struct reply *r)
{
    mse_err err = read_rel(s, "rootcacrl.der", &r->body, &r->body_len);
    if (err != MSE_OK)
        return file_error(r, err);
    r->code = 200;
    r->ctype = "application/pkix-crl; charset=utf-8";
    return body_to_hex(r);
}

static mse_err answer_stats(struct mse_sim_pccs *s, struct reply *r)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "{\"requests\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"tcb\":%" PRIu64
                     ",\"qe_identity\":%" PRIu64 ",\"pckcrl\":%" PRIu64 ",\"rootcacrl\":%" PRIu64
                     ",\"other\":%" PRIu64 "}\n",
                     atomic_load(&s->requests), atomic_load(&s->answered),
                     atomic_load(&s->by_route[ROUTE_TCB]),
                     atomic_load(&s->by_route[ROUTE_QE_IDENTITY]),
                     atomic_load(&s->by_route[ROUTE_PCKCRL]),
                     atomic_load(&s->by_route[ROUTE_ROOTCACRL]),
                     atomic_load(&s->by_route[ROUTE_NONE]));
    MSE_ENSURE(n > 0 && (size_t)n < sizeof buf, MSE_ERR_INTERNAL);
    MSE_TRY(reply_text(r, 200, buf));
    r->ctype = "application/json";
    return MSE_OK;
}

/* Express's finalhandler page for an unmatched route or method. */
static mse_err answer_express_404(struct evhttp_request *req, const char *path, struct reply *r)
{
    const char *method = method_name(req);
    struct evbuffer *b = evbuffer_new();
    MSE_ENSURE(b != NULL, MSE_ERR_NOMEM);
    mse_err err = MSE_OK;
    char *esc = evhttp_htmlescape(path);
    MSE_ENSURE_OUT(esc != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(evbuffer_add_printf(b,
                                       "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                                       "<meta charset=\"utf-8\">\n<title>Error</title>\n"
                                       "</head>\n<body>\n<pre>Cannot %s %s</pre>\n"
                                       "</body>\n</html>\n",
                                       method, esc) > 0,
                   MSE_ERR_NOMEM);
    MSE_CHECK_OUT(reply_text(r, 404, ""));
    free(r->body);
    r->body_len = evbuffer_get_length(b);
    r->body = malloc(r->body_len + 1);
    MSE_ENSURE_OUT(r->body != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(evbuffer_remove(b, r->body, r->body_len) == (int)r->body_len, MSE_ERR_INTERNAL);
    r->express_404 = true;
out:
    free(esc);
    evbuffer_free(b);
    return err;
}

/* Express routing: case-insensitive, one optional trailing slash. */
static bool path_is(const char *path, const char *want)
{
    size_t n = strlen(want);
    if (strncasecmp(path, want, n) != 0)
        return false;
    return path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0');
}

static enum route route_of(const char *path)
{
    if (path_is(path, "/sgx/certification/v4/tcb"))
        return ROUTE_TCB;
    if (path_is(path, "/sgx/certification/v4/qe/identity"))
        return ROUTE_QE_IDENTITY;
    if (path_is(path, "/sgx/certification/v4/pckcrl"))
        return ROUTE_PCKCRL;
    if (path_is(path, "/sgx/certification/v4/rootcacrl"))
        return ROUTE_ROOTCACRL;
    if (path_is(path, "/mse-sim/stats"))
        return ROUTE_STATS;
    return ROUTE_NONE;
}

/* ---- sending ------------------------------------------------------------------ */

static void log_request(const struct mse_sim_pccs *s, struct evhttp_request *req, int code,
                        size_t len, const char *what)
{
    if (s->quiet)
        return;
    char uri[256];
    const char *u = evhttp_request_get_uri(req);
    size_t i = 0;
    /* The request line is the client's: print only printable ASCII. */
    for (; u != NULL && u[i] != '\0' && i < sizeof uri - 1; i++)
        uri[i] = (u[i] >= 0x20 && u[i] < 0x7f) ? u[i] : '?';
    uri[i] = '\0';
    char peer[64] = "-";
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon != NULL) {
        char *addr = NULL;
        ev_uint16_t port = 0;
        evhttp_connection_get_peer(evcon, &addr, &port);
        snprintf(peer, sizeof peer, "%s:%u", addr != NULL ? addr : "?", (unsigned)port);
    }
    fprintf(stderr, "mse-sim pccs: %s %s %s -> %d %zu bytes%s%s\n", peer, method_name(req), uri,
            code, len,
            what[0] ? " " : "", what);
}

static void finished(struct mse_sim_pccs *s)
{
    uint64_t done = atomic_fetch_add(&s->answered, 1) + 1;
    if (s->max_requests != 0 && done >= s->max_requests) {
        s->limit_hit = true;
        event_base_loopexit(s->base, NULL);
    }
}

static void on_complete(struct evhttp_request *req, void *arg)
{
    finished(arg);
}

/* The reset fault: FIN without a byte of answer. The reply queued afterwards
 * fails to write, which makes libevent free the connection and the request. */
static void send_reset(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon != NULL) {
        evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
        if (fd >= 0) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            (void)shutdown(fd, SHUT_RDWR);
        }
    }
    evhttp_send_reply(req, 500, reason(500), NULL);
}

static void set_request_id(struct evhttp_request *req)
{
    const char *theirs = evhttp_find_header(evhttp_request_get_input_headers(req), "Request-ID");
    char id[65];
    if (mse_sim_pccs_request_id_ok(theirs)) {
        snprintf(id, sizeof id, "%s", theirs);
    } else {
        uint8_t rnd[16];
        if (RAND_bytes(rnd, sizeof rnd) != 1)
            memset(rnd, 0, sizeof rnd); /* a test server: a fixed ID beats no answer */
        mse_hex_encode(rnd, sizeof rnd, id);
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Request-ID", id);
}

/* Send r; with `truncate`, a 200 body is cut in half under the full Content-Length. */
static void send_reply(struct mse_sim_pccs *s, struct evhttp_request *req, struct reply *r,
                       bool truncate, bool counted)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type", r->ctype);
    if (r->chain_name != NULL && r->chain != NULL)
        evhttp_add_header(out, r->chain_name, r->chain);
    if (r->express_404) {
        evhttp_add_header(out, "Content-Security-Policy", "default-src 'none'");
        evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    }
    if (r->options)
        evhttp_add_header(out, "Allow", "GET,HEAD");
    if (r->code == 429 && r->retry_after >= 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", (int)r->retry_after);
        evhttp_add_header(out, "Retry-After", ra);
    }
    if (counted)
        evhttp_request_set_on_complete_cb(req, on_complete, s);

    struct evbuffer *b = evbuffer_new();
    if (b == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    if (truncate && r->code == 200 && r->body_len > 0) {
        char cl[32];
        snprintf(cl, sizeof cl, "%zu", r->body_len);
        evhttp_add_header(out, "Content-Length", cl);
        evhttp_add_header(out, "Connection", "close");
        evhttp_send_reply_start(req, r->code, reason(r->code));
        evbuffer_add(b, r->body, r->body_len / 2);
        evhttp_send_reply_chunk(req, b);
        evhttp_send_reply_end(req);
    } else {
        if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
            /* Express announces the GET body's length; evhttp would leave it out. */
            char cl[32];
            snprintf(cl, sizeof cl, "%zu", r->body_len);
            evhttp_add_header(out, "Content-Length", cl);
        }
        evbuffer_add(b, r->body, r->body_len);
        evhttp_send_reply(req, r->code, reason(r->code), b);
    }
    evbuffer_free(b);
}

static void reply_free(struct reply *r)
{
    free(r->body);
    free(r->chain);
}

/* Build and send the answer to a counted (PCCS) request, faults applied. */
/* A route as the MSE_SIM_PCCS_ONLY_* bit that limits a fault to it. */
static unsigned route_bit(enum route r)
{
    switch (r) {
    case ROUTE_TCB: return MSE_SIM_PCCS_ONLY_TCB;
    case ROUTE_QE_IDENTITY: return MSE_SIM_PCCS_ONLY_QE_IDENTITY;
    case ROUTE_PCKCRL: return MSE_SIM_PCCS_ONLY_PCKCRL;
    case ROUTE_ROOTCACRL: return MSE_SIM_PCCS_ONLY_ROOTCACRL;
    default: return 0;
    }
}

/* The not-collateral fault: the same status and headers, another body. */
static mse_err replace_body(struct reply *r, const char *text)
{
    size_t n = strlen(text);
    uint8_t *b = malloc(n + 1);
    MSE_ENSURE(b != NULL, MSE_ERR_NOMEM);
    memcpy(b, text, n + 1);
    free(r->body);
    r->body = b;
    r->body_len = n;
    r->ctype = "text/html; charset=utf-8";
    return MSE_OK;
}

static void answer(struct mse_sim_pccs *s, struct evhttp_request *req,
                   const struct mse_sim_pccs_faults *f, bool rate_limited)
{
    if (f->reset) {
        log_request(s, req, 0, 0, "[reset]");
        send_reset(req);
        finished(s);
        return;
    }
    struct reply r = {0};
    mse_err err = MSE_OK;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    enum route route = route_of(path != NULL ? path : "");
    if (route == ROUTE_STATS)
        route = ROUTE_NONE; /* only GET reaches the stats page (on_request) */
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    /* A query evhttp cannot parse (e.g. `?a&fmspc=..`: a name without '=') counts as no
     * parameters; only routes that need one notice (400). Express would keep the rest. */
    if (query != NULL && evhttp_parse_query_str(query, &q) != 0)
        evhttp_clear_headers(&q);

    if (f->fail_500) {
        err = reply_text(&r, 500, TEXT_500);
    } else if (rate_limited) {
        err = reply_text(&r, 429, TEXT_429);
        r.retry_after = f->retry_after;
    } else if (route == ROUTE_NONE || (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD &&
                                       cmd != EVHTTP_REQ_OPTIONS)) {
        err = answer_express_404(req, path != NULL ? path : "", &r);
    } else if (cmd == EVHTTP_REQ_OPTIONS) {
        /* Express answers OPTIONS on a route itself, listing its methods. */
        err = reply_text(&r, 200, "GET,HEAD");
        r.options = true;
    } else if (route == ROUTE_TCB) {
        err = answer_tcb(s, &q, f->wrong_chain, &r);
    } else if (route == ROUTE_QE_IDENTITY) {
        err = answer_qe_identity(s, &q, f->wrong_chain, &r);
    } else if (route == ROUTE_PCKCRL) {
        err = answer_pckcrl(s, &q, f->wrong_chain, &r);
    } else {
        err = answer_rootcacrl(s, &r);
    }
    evhttp_clear_headers(&q);
    bool portal = (f->not_collateral & route_bit(route)) != 0 && r.code == 200 && !r.options;
    if (err == MSE_OK && portal)
        err = replace_body(&r, TEXT_PORTAL);
    if (err != MSE_OK && reply_text(&r, 500, TEXT_500) != MSE_OK) {
        log_request(s, req, 500, 0, "[out of memory]");
        evhttp_send_error(req, 500, NULL);
        finished(s);
        reply_free(&r);
        return;
    }
    bool truncate = f->truncate_body && r.code == 200 && r.body_len > 0;
    char what[96];
    snprintf(what, sizeof what, "%s%s%s%s%s", f->fail_500 ? "[fail-500]" : "",
             truncate ? "[truncated]" : "",
             f->wrong_chain && r.chain_name != NULL ? "[wrong-chain]" : "",
             rate_limited && !f->fail_500 ? "[too-many]" : "",
             portal ? "[not-collateral]" : "");
    log_request(s, req, r.code, truncate ? r.body_len / 2 : r.body_len, what);
    send_reply(s, req, &r, truncate, true);
    reply_free(&r);
}

static void pending_unlink(struct mse_sim_pccs *s, struct pending *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        s->pending = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    event_free(p->timer);
    free(p);
}

static void on_delay(evutil_socket_t fd, short what, void *arg)
{
    struct pending *p = arg;
    struct mse_sim_pccs *s = p->s;
    struct evhttp_request *req = p->req;
    struct mse_sim_pccs_faults f = p->faults;
    bool limited = p->rate_limited;
    pending_unlink(s, p);
    answer(s, req, &f, limited);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct mse_sim_pccs *s = arg;
    set_request_id(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    enum route route = route_of(path != NULL ? path : "");

    if (route == ROUTE_STATS && evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
        /* Test plumbing: not counted, no faults. */
        struct reply r = {0};
        if (answer_stats(s, &r) != MSE_OK) {
            evhttp_send_error(req, 500, NULL);
        } else {
            log_request(s, req, r.code, r.body_len, "[stats]");
            send_reply(s, req, &r, false, false);
        }
        reply_free(&r);
        return;
    }
    uint64_t index = atomic_fetch_add(&s->requests, 1);
    atomic_fetch_add(&s->by_route[route == ROUTE_STATS ? ROUTE_NONE : route], 1);

    struct mse_sim_pccs_faults f;
    pthread_mutex_lock(&s->faults_lock);
    f = s->faults;
    pthread_mutex_unlock(&s->faults_lock);
    bool limited = index < f.too_many;
    if (f.delay_ms == 0) {
        answer(s, req, &f, limited);
        return;
    }
    struct pending *p = calloc(1, sizeof *p);
    if (p != NULL)
        p->timer = evtimer_new(s->base, on_delay, p);
    if (p == NULL || p->timer == NULL) {
        free(p);
        f.delay_ms = 0;
        answer(s, req, &f, limited);
        return;
    }
    p->s = s;
    p->rate_limited = limited;
    p->req = req;
    p->faults = f;
    p->next = s->pending;
    if (s->pending != NULL)
        s->pending->prev = p;
    s->pending = p;
    struct timeval tv = {.tv_sec = f.delay_ms / 1000, .tv_usec = (f.delay_ms % 1000) * 1000};
    evtimer_add(p->timer, &tv);
}

/* ---- lifecycle ---------------------------------------------------------------- */

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct mse_sim_pccs *s = arg;
    char c;
    while (read(fd, &c, 1) > 0) {
    }
    event_base_loopbreak(s->base);
}

static struct bufferevent *tls_bevcb(struct event_base *base, void *arg)
{
    struct mse_sim_pccs *s = arg;
    SSL *ssl = SSL_new(s->ssl_ctx);
    if (ssl == NULL)
        return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL)
        SSL_free(ssl);
    return bev;
}

static mse_err tls_setup(struct mse_sim_pccs *s, const char *cert, const char *key)
{
    s->ssl_ctx = SSL_CTX_new(TLS_server_method());
    MSE_ENSURE(s->ssl_ctx != NULL, MSE_ERR_CRYPTO);
    MSE_ENSURE(SSL_CTX_set_min_proto_version(s->ssl_ctx, TLS1_2_VERSION) == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE(SSL_CTX_use_certificate_chain_file(s->ssl_ctx, cert) == 1, MSE_ERR_NET_TLS);
    MSE_ENSURE(SSL_CTX_use_PrivateKey_file(s->ssl_ctx, key, SSL_FILETYPE_PEM) == 1,
               MSE_ERR_NET_TLS);
    MSE_ENSURE(SSL_CTX_check_private_key(s->ssl_ctx) == 1, MSE_ERR_NET_TLS);
    evhttp_set_bevcb(s->http, tls_bevcb, s);
    return MSE_OK;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Only IP literals (and "localhost", taken as 127.0.0.1): no resolver surprises. */
static mse_err check_host(const char *host, bool allow_remote, const char **bind_to)
{
    if (strcmp(host, "localhost") == 0) {
        *bind_to = "127.0.0.1";
        return MSE_OK;
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        MSE_ENSURE(allow_remote || (ntohl(a4.s_addr) >> 24) == 127, MSE_ERR_ARG);
    } else if (inet_pton(AF_INET6, host, &a6) == 1) {
        MSE_ENSURE(allow_remote || IN6_IS_ADDR_LOOPBACK(&a6), MSE_ERR_ARG);
    } else {
        return MSE_ERR_ARG;
    }
    *bind_to = host;
    return MSE_OK;
}

static uint16_t bound_port(struct evhttp_bound_socket *h)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

mse_err mse_sim_pccs_start(const struct mse_sim_pccs_config *cfg, struct mse_sim_pccs **out)
{
    mse_err err = MSE_OK;
    MSE_ENSURE(cfg->dir != NULL, MSE_ERR_ARG_MISSING);
    MSE_ENSURE((cfg->tls_cert == NULL) == (cfg->tls_key == NULL), MSE_ERR_ARG);
    const char *bind_to = NULL;
    MSE_TRY(check_host(cfg->host != NULL ? cfg->host : "127.0.0.1", cfg->allow_remote, &bind_to));

    struct mse_sim_pccs *s = calloc(1, sizeof *s);
    MSE_ENSURE(s != NULL, MSE_ERR_NOMEM);
    s->stop_pipe[0] = s->stop_pipe[1] = -1;
    MSE_ENSURE_OUT(pthread_mutex_init(&s->faults_lock, NULL) == 0, MSE_ERR_INTERNAL);
    s->lock_ok = true;
    s->faults = cfg->faults;
    s->quiet = cfg->quiet;
    s->max_requests = cfg->max_requests;
    s->max_seconds = cfg->max_seconds;

    /* --dir may name the pki directory or its pccs/ subdirectory. */
    size_t dl = strlen(cfg->dir);
    s->dir = malloc(dl + sizeof "/pccs");
    MSE_ENSURE_OUT(s->dir != NULL, MSE_ERR_NOMEM);
    memcpy(s->dir, cfg->dir, dl);
    memcpy(s->dir + dl, "/pccs", sizeof "/pccs");
    if (!is_dir(s->dir))
        s->dir[dl] = '\0';
    MSE_ENSURE_OUT(is_dir(s->dir), MSE_ERR_FILE_NOT_FOUND);

    /* The reset fault writes to a socket it shut down: EPIPE, not death by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    s->base = event_base_new();
    MSE_ENSURE_OUT(s->base != NULL, MSE_ERR_NOMEM);
    s->http = evhttp_new(s->base);
    MSE_ENSURE_OUT(s->http != NULL, MSE_ERR_NOMEM);
    /* Every method reaches on_request, which answers as Express would (404 page). */
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(s->http, 64 * 1024);
    evhttp_set_max_body_size(s->http, 64 * 1024);
    evhttp_set_timeout(s->http, 60);
    evhttp_set_gencb(s->http, on_request, s);
    if (cfg->tls_cert != NULL)
        MSE_CHECK_OUT(tls_setup(s, cfg->tls_cert, cfg->tls_key));

    struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(s->http, bind_to, cfg->port);
    MSE_ENSURE_OUT(h != NULL, MSE_ERR_SERVER);
    s->port = bound_port(h);
    MSE_ENSURE_OUT(s->port != 0, MSE_ERR_SERVER);

    MSE_ENSURE_OUT(pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) == 0, MSE_ERR_IO);
    s->stop_ev = event_new(s->base, s->stop_pipe[0], EV_READ | EV_PERSIST, on_stop, s);
    MSE_ENSURE_OUT(s->stop_ev != NULL && event_add(s->stop_ev, NULL) == 0, MSE_ERR_NOMEM);
    *out = s;
    s = NULL;
out:
    mse_sim_pccs_free(s);
    return err;
}

uint16_t mse_sim_pccs_port(const struct mse_sim_pccs *s)
{
    return s->port;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct mse_sim_pccs *s = arg;
    if (!s->quiet)
        fprintf(stderr, "mse-sim pccs: signal %d, stopping\n", (int)sig);
    event_base_loopbreak(s->base);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct mse_sim_pccs *s = arg;
    if (!s->quiet)
        fprintf(stderr, "mse-sim pccs: --max-seconds %u reached, stopping\n", s->max_seconds);
    event_base_loopbreak(s->base);
}

mse_err mse_sim_pccs_run(struct mse_sim_pccs *s, bool handle_signals)
{
    mse_err err = MSE_OK;
    struct event *sigint = NULL, *sigterm = NULL, *deadline = NULL;
    MSE_ENSURE(!s->ran, MSE_ERR_ARG);
    s->ran = true;
    if (handle_signals) {
        sigint = evsignal_new(s->base, SIGINT, on_signal, s);
        sigterm = evsignal_new(s->base, SIGTERM, on_signal, s);
        MSE_ENSURE_OUT(sigint != NULL && sigterm != NULL, MSE_ERR_NOMEM);
        MSE_ENSURE_OUT(evsignal_add(sigint, NULL) == 0 && evsignal_add(sigterm, NULL) == 0,
                       MSE_ERR_INTERNAL);
        /* A stop that came before the handlers (blocked by the caller) is delivered now. */
        sigset_t stops;
        sigemptyset(&stops);
        sigaddset(&stops, SIGINT);
        sigaddset(&stops, SIGTERM);
        sigprocmask(SIG_UNBLOCK, &stops, NULL);
    }
    if (s->max_seconds != 0) {
        deadline = evtimer_new(s->base, on_deadline, s);
        MSE_ENSURE_OUT(deadline != NULL, MSE_ERR_NOMEM);
        struct timeval tv = {.tv_sec = s->max_seconds, .tv_usec = 0};
        MSE_ENSURE_OUT(evtimer_add(deadline, &tv) == 0, MSE_ERR_INTERNAL);
    }
    MSE_ENSURE_OUT(event_base_dispatch(s->base) >= 0, MSE_ERR_SERVER);
    if (s->limit_hit && !s->quiet)
        fprintf(stderr, "mse-sim pccs: --max-requests %" PRIu64 " reached, stopping\n",
                s->max_requests);
out:
    if (sigint != NULL)
        event_free(sigint);
    if (sigterm != NULL)
        event_free(sigterm);
    if (deadline != NULL)
        event_free(deadline);
    return err;
}

void mse_sim_pccs_stop(struct mse_sim_pccs *s)
{
    char c = 1;
    /* async-signal-safe; a full pipe already holds a stop request */
    ssize_t n = write(s->stop_pipe[1], &c, 1);
    (void)n;
}

uint64_t mse_sim_pccs_requests(const struct mse_sim_pccs *s)
{
    return atomic_load(&s->requests);
}

void mse_sim_pccs_set_faults(struct mse_sim_pccs *s, const struct mse_sim_pccs_faults *f)
{
    pthread_mutex_lock(&s->faults_lock);
    s->faults = *f;
    pthread_mutex_unlock(&s->faults_lock);
}

void mse_sim_pccs_free(struct mse_sim_pccs *s)
{
    if (s == NULL)
        return;
    /* Delayed requests still belong to us: answer them before evhttp frees their connections. */
    while (s->pending != NULL) {
        struct evhttp_request *req = s->pending->req;
        pending_unlink(s, s->pending);
        evhttp_send_error(req, 503, "Server stopping");
    }
    if (s->stop_ev != NULL)
        event_free(s->stop_ev);
    if (s->http != NULL)
        evhttp_free(s->http);
    if (s->base != NULL)
        event_base_free(s->base);
    if (s->ssl_ctx != NULL)
        SSL_CTX_free(s->ssl_ctx);
    if (s->stop_pipe[0] >= 0)
        close(s->stop_pipe[0]);
    if (s->stop_pipe[1] >= 0)
        close(s->stop_pipe[1]);
    if (s->lock_ok)
        pthread_mutex_destroy(&s->faults_lock);
    free(s->dir);
    free(s);
}

/* mse-enclave internals shared by srv.c, srv_config.c, srv_proxy.c and srv_app.c. */
#ifndef MSE_SRV_INT_H
#define MSE_SRV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "srv.h"

#define SRV_UPSTREAM_MAX 256 /* concurrent upstream connections */

enum srv_phase {
    SRV_PHASE_CONFIG,
    SRV_PHASE_APP,
};

struct srv_upstream {
    struct evhttp_connection *evcon;
    bool busy;
    void *inflight; /* the proxied request using it (srv_proxy.c), freed at shutdown */
};

#define SRV_CONN_BUCKETS 4096

/*
 * One client connection evhttp holds (srv_conn.c). Records come from a pool
 * of --max-connections entries made at start: tracking a connection never
 * allocates.
 */
struct srv_conn {
    struct srv *s;
    struct bufferevent *bev;         /* the connection's; evhttp owns it */
    struct evhttp_connection *evcon; /* set once adopted (see srv_conn.c) */
    int64_t deadline;                /* first-request deadline, mse_monotonic_ms() / 1000 */
    bool waiting;                    /* no complete request yet: on the deadline list */
    bool pending;                    /* not adopted yet: holds a reference on bev */
    bool refuse;                     /* no TLS session could be made: shut down when adopted */
    bool tls;                        /* a TLS connection: gated until its first record is in */
    bool gated;                      /* the gate's event is armed, the bufferevent not reading */
    struct event *gate;              /* the gate's event; storage made at start, kept on reuse */
    size_t gate_need;                /* the gate's current low-water mark, bytes; 0: the kernel's (one byte) */
    struct srv_upstream *resume;     /* proxy back-pressure: resume this upstream on close */
    bool closing;                    /* srv_fast.c: freed once its last response is written */
    bool backlogged;                 /* srv_fast.c: not reading until its responses are written */
    bufferevent_data_cb http_read;   /* evhttp's callbacks, given back on hand-over (srv_fast.c) */
    bufferevent_data_cb http_write;
    bufferevent_event_cb http_event;
    struct srv_conn *hnext;          /* hash chain by bev, or the free list */
    struct srv_conn *wprev, *wnext;  /* deadline list, oldest first */
    struct srv_conn *anext;          /* adoption list */
};

struct srv {
    const struct srv_config *cfg;
    struct event_base *base;
    struct evhttp *http;
    SSL_CTX *ratls_ctx; /* the RA-TLS certificate */
    SSL_CTX *app_ctx;   /* app phase: owner's or operator's certificate; NULL: see cur_ctx */
    SSL_CTX *cur_ctx;   /* used for new connections; NULL: plain HTTP */
    enum srv_phase phase;
    char *ratls_pem;
    size_t ratls_pem_len;
    pid_t app_pid;  /* the app (process group leader), 0 when none or reaped */
    pid_t app_pgid; /* its process group, 0 when none: stopped even if the leader died */
    struct srv_upstream upstream[SRV_UPSTREAM_MAX];
    size_t upstream_count;
    struct srv_conn *conn_pool;      /* conn_max records */
    void *gate_pool;                 /* conn_max events' storage (event_get_struct_event_size) */
    struct srv_conn *conn_free;      /* unused records */
    struct srv_conn *conn_hash[SRV_CONN_BUCKETS];
    struct srv_conn *wait_head, *wait_tail; /* connections before their first request */
    struct srv_conn *adopt_head;     /* made by make_bev, not adopted yet */
    struct event *adopt_ev;          /* activated at accept: adopts them */
    struct event *conn_tick;         /* once a second: deadlines, heap trim */
    size_t conn_count, conn_max;
    unsigned long closes_since_trim;
    unsigned long cap_reached;       /* times the listener stopped at the cap */
    int64_t cap_logged;              /* monotonic seconds of the last cap log line, 0: never */
    struct evconnlistener *listener;
    struct event *listener_resume; /* re-enables accepting after an accept error */
    bool accept_paused;            /* an accept error: waiting for listener_resume */
    bool accepting;                /* the listener is enabled */
    bool stopping;                 /* evhttp_free runs: leave the listener alone */
    unsigned long accept_pauses;
    unsigned long deadline_drops; /* connections dropped by the first-request deadline */
    unsigned long gate_refusals;  /* connections whose first record was refused (srv_gate.c) */
    unsigned long gate_refusals_logged;
    unsigned long gate_skips;     /* TLS connections whose first record passed at adoption */
    unsigned long config_requests; /* requests that reached the configuration endpoint */
    char fast_head[128];           /* srv_fast.c: the hello response's status and fixed fields */
    size_t fast_head_len;
    char fast_date[48];            /* srv_fast.c: its Date field line, remade once a second */
    size_t fast_date_len;
    time_t fast_date_at;           /* the second fast_date shows */
    BIO_METHOD *cork_method;       /* srv_cork.c: the write filter of closing TLS connections */
    int cork_type;                 /* its BIO type */
    int exit_code;
};

/* srv_config_msg.c: the configuration request body. */
struct srv_config_msg {
    char uuid[SRV_UUID_LEN + 1];
    uint8_t key[32];   /* code_secret_key */
    char *ssl_key_pem; /* owner mode: malloc'd, wiped by srv_config_msg_wipe */
    size_t ssl_key_pem_len;
};
/*
 * Parse and check a configuration body against the mode and the expected
 * uuid. 0 on success, else the HTTP status to answer (400, 403, 500) with a
 * fixed message in *why. *m must be zeroed before; always call
 * srv_config_msg_wipe afterwards (it may hold the key even on failure).
 */
int srv_config_parse(const char *body, size_t len, enum srv_mode mode, const char *expected_uuid,
                     struct srv_config_msg *m, const char **why);
void srv_config_msg_wipe(struct srv_config_msg *m);

/* srv_config.c: the configuration endpoint, in both phases (409 once configured). */
void srv_config_handle(struct srv *s, struct evhttp_request *req);
/* Makes jansson wipe what it frees (srv_config.c says why); once, before any request. */
void srv_config_init(void);

/* srv.c: switch to the app phase (after a successful configuration or at start). */
MSE_MUST_USE mse_err srv_enter_app_phase(struct srv *s);
/* srv.c: the owner-mode app context from the owner's chain and the key received. */
MSE_MUST_USE mse_err srv_owner_ctx(struct srv *s, EVP_PKEY *key);
/* srv.c: false for a request whose response must have no content (HEAD). */
bool srv_has_content(struct evhttp_request *req);
/* srv.c: a small JSON error/status body, logged. */
void srv_reply(struct evhttp_request *req, int code, const char *reason, const char *message);

/* srv_proxy.c */
void srv_proxy_handle(struct srv *s, struct evhttp_request *req);
void srv_proxy_free(struct srv *s);
/*
 * Headers forwarded from the client to the app, or from the app to the
 * client: all but the hop-by-hop ones (RFC 9110 7.6.1), including those the
 * Connection header names, and any name that is not a token (both callers
 * refuse those before: srv_fields_refusal). Both sides' bytes are untrusted
 * (fuzz_srv_headers).
 */
void srv_proxy_copy_headers(struct evkeyvalq *from, struct evkeyvalq *to);

/* srv_app.c */
MSE_MUST_USE mse_err srv_app_start(struct srv *s);
void srv_app_stop(struct srv *s);
/* SIGCHLD: reap, and log if it was the app. */
void srv_app_reap(struct srv *s);

/* srv_conn.c */
MSE_MUST_USE mse_err srv_conn_init(struct srv *s, size_t max);
void srv_conn_free(struct srv *s);
/* A record for a connection being made; NULL only if the pool is empty (never at the cap). */
struct srv_conn *srv_conn_new(struct srv *s, struct bufferevent *bev, bool tls, bool refuse);
struct srv_conn *srv_conn_find(struct srv *s, const struct bufferevent *bev);
/* Frees a client connection whose response is cut short: no close_notify on it. */
void srv_conn_abort(struct evhttp_connection *evcon);
/* The connection delivered a complete request: its first-request deadline no longer applies. */
void srv_conn_first_request(struct srv *s, struct srv_conn *c);
/* Enable or disable accepting from the cap and the accept-error pause. */
void srv_listener_update(struct srv *s);
/* Close a gated connection: its first record was refused (counted, logged once per tick)
 * or the client closed before completing it. */
void srv_conn_drop_gated(struct srv_conn *c, bool refused);

/* srv_gate.c: the first-record gate of TLS connections (why: see there). */
enum srv_gate_verdict {
    SRV_GATE_WAIT,   /* wait for *need bytes queued */
    SRV_GATE_PASS,   /* hand the connection to OpenSSL */
    SRV_GATE_REFUSE, /* close it */
};
/*
 * Judge the start of a connection's byte stream: bytes holds the `queued`
 * bytes waiting in the socket (as many as one peek takes). WAIT sets *need,
 * the byte count to wait for; it only grows from one call to the next as more
 * of the same flight is queued. Untrusted bytes (tests/unit/srv_gate_test.c;
 * fuzzed through the integration flood test).
 */
enum srv_gate_verdict srv_gate_check(const uint8_t *bytes, size_t queued, size_t *need);
/* Arm the gate of a just-adopted connection (its bufferevent stops reading), unless its
 * whole first record is queued already and passes. */
MSE_MUST_USE mse_err srv_gate_start(struct srv *s, struct srv_conn *c);
/* Hand the connection to its bufferevent (reading enabled again). */
void srv_gate_open(struct srv_conn *c);
/* Disarm without enabling reading (the connection is being freed). */
void srv_gate_close(struct srv_conn *c);

/* srv_cork.c: a closing TLS connection's last bytes leave with its FIN (why: see there). */
MSE_MUST_USE mse_err srv_cork_init(struct srv *s);
void srv_cork_free(struct srv *s);
/* The connection closes next: what it writes from now on leaves with its FIN. */
void srv_cork_hold(const struct srv *s, struct bufferevent *bev);

/* srv_proxy.c: read from this upstream again (its client connection drained or closed). */
void srv_proxy_resume(struct srv_upstream *up);

/* Join the queued response bytes of a connection into one TLS record and write them in this
 * loop iteration instead of after the next epoll round (srv.c). bev may be NULL. */
void srv_write_now(struct bufferevent *bev);

/* srv_head.c: the request heads srv_fast.c answers itself (the subset: see there). */
#define SRV_HEAD_FIELDS_MAX 64 /* field lines of one head */
enum srv_head_verdict {
    SRV_HEAD_MORE,  /* no complete head yet, and fewer than max bytes */
    SRV_HEAD_FAST,  /* a complete head in the subset */
    SRV_HEAD_OTHER, /* anything else: evhttp's to read */
};
struct srv_head {
    size_t len;     /* bytes of the head, through its empty line */
    bool head_only; /* HEAD: the response has no content */
    bool close;     /* Connection: close */
};
/*
 * Read the head at the start of buf (len bytes; at most max of them are
 * looked at: a head that does not end within max bytes is SRV_HEAD_OTHER).
 * Untrusted bytes (fuzz_srv_headers).
 */
enum srv_head_verdict srv_head_parse(const uint8_t *buf, size_t len, size_t max,
                                     struct srv_head *h);

/*
 * srv_field.c: field lines (RFC 9110 5.1, 5.5, 5.6.2; RFC 9112 5.1; the rules and
 * what evhttp hides from them: see there). A tchar, the one definition.
 */
bool srv_tchar(uint8_t c);
/* True iff name (len bytes) is a token: 1*tchar. Untrusted bytes (fuzz_srv_headers). */
bool srv_token(const void *name, size_t len);
/* True iff value (len bytes) holds no control character but HTAB (no CR, LF, NUL, DEL).
 * A reason phrase has the same characters (RFC 9112 4), so srv_proxy.c asks this too. */
bool srv_field_value_valid(const void *value, size_t len);
/*
 * NULL if every field evhttp read into req's input headers (a client's
 * request, or the app's response to an upstream request) has a token name and
 * a value without control characters, else why it must be refused (a fixed
 * message): 400 for a request, 502 for a response.
 */
const char *srv_fields_refusal(struct evhttp_request *req);
/*
 * 0 if the framing fields evhttp read into req's input headers can be read
 * only one way (at most one Content-Length, not beside Transfer-Encoding, no
 * transfer coding but exactly "chunked"), else the status a request is
 * refused with (400, 501; a response of the app: 502) and why (a fixed
 * message). Why the rule: see srv_field.c.
 */
int srv_framing_refusal(struct evhttp_request *req, const char **why);

/*
 * srv_host.c: the Host field (RFC 9112 3.2; the rules: see there). True iff a
 * Host field value, given with the optional whitespace around it, is empty or
 * uri-host [":" port] (RFC 3986 3.2.2, 3.2.3). Untrusted bytes (fuzz_srv_headers).
 */
bool srv_host_valid(const void *value, size_t len);
/*
 * NULL if a request evhttp read may be served as far as Host goes, else why it
 * must be refused with 400 (a fixed message): more than one Host field, none
 * in an HTTP/1.1 request, or an invalid value.
 */
const char *srv_host_refusal(struct evhttp_request *req);

/* srv_fast.c */
MSE_MUST_USE mse_err srv_fast_init(struct srv *s);
/* Take over a just-adopted connection's requests (--hello, app phase). */
void srv_fast_start(struct srv_conn *c);

/* The peer of a request, "ip:port", for logs. */
void srv_peer(struct evhttp_request *req, char *out, size_t cap);

#endif

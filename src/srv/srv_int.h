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

#define SRV_WATCH_BUCKETS 1024

/* A connection that has not yet delivered a complete first request (slowloris guard). */
struct srv_watch {
    struct bufferevent *bev; /* we hold a reference until the watch ends */
    time_t deadline;         /* CLOCK_MONOTONIC seconds */
    struct srv *s;
    struct srv_watch *next;
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
    struct srv_watch *watch[SRV_WATCH_BUCKETS];
    struct event *watch_tick; /* once a second: expire or release watches */
    struct evconnlistener *listener;
    struct event *listener_resume; /* re-enables accepting after an accept error */
    unsigned long accept_pauses;
    unsigned long deadline_drops; /* connections dropped by the first-request deadline */
    unsigned long config_requests; /* requests that reached the configuration endpoint */
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

/* srv_config.c: the configuration endpoint. */
void srv_config_handle(struct srv *s, struct evhttp_request *req);

/* srv.c: switch to the app phase (after a successful configuration or at start). */
MSE_MUST_USE mse_err srv_enter_app_phase(struct srv *s);
/* srv.c: the owner-mode app context from the owner's chain and the key received. */
MSE_MUST_USE mse_err srv_owner_ctx(struct srv *s, EVP_PKEY *key);
/* srv.c: a small JSON error/status body, logged. */
void srv_reply(struct evhttp_request *req, int code, const char *reason, const char *message);

/* srv_proxy.c */
void srv_proxy_handle(struct srv *s, struct evhttp_request *req);
void srv_proxy_free(struct srv *s);

/* srv_app.c */
MSE_MUST_USE mse_err srv_app_start(struct srv *s);
void srv_app_stop(struct srv *s);
/* SIGCHLD: reap, and log if it was the app. */
void srv_app_reap(struct srv *s);

/* Join the queued response bytes of a connection into one TLS record/write. */
void srv_coalesce_output(struct evhttp_connection *evcon);

/* The peer of a request, "ip:port", for logs. */
void srv_peer(struct evhttp_request *req, char *out, size_t cap);

#endif

/*
 * mse-enclave's client connections: a fixed pool of --max-connections
 * records, one per connection evhttp holds, so that
 *   - the server never holds more than the cap: reaching it disables the
 *     listener and the excess waits in the kernel's accept queue, allocating
 *     nothing here; a closed connection re-enables it at once;
 *   - a closed connection is released the moment evhttp frees it (its close
 *     callback), not at a periodic sweep: a flood of connect+RST then costs
 *     the connections in flight, never thousands kept for a second;
 *   - a new connection must deliver a complete first request within
 *     --request-deadline (slowloris guard: libevent's timeout is an idle
 *     timer every received byte resets). Connections wait in arrival order,
 *     which is also deadline order, so the once-a-second tick only looks at
 *     the head of the list;
 *   - mass events (deadline drops, the cap reached) are one log line per
 *     interval, and the heap freed by a flood is returned to the system.
 *
 * evhttp creates the connection object after asking us for its bufferevent
 * (make_bev in srv.c), so the record is adopted in a callback activated at
 * accept time, which runs before any byte is read from the socket: it finds
 * the evhttp connection (the bufferevent's callback argument) and installs
 * the close callback. Until then the record holds a reference on the
 * bufferevent so that a connection evhttp frees at once is not lost.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <mse/guard.h>

#include "srv_int.h"
#include "util/util.h"

/* Times here are whole seconds of the monotonic clock, mse_monotonic_ms() / 1000: the tick
 * that compares them runs once a second. */
/* Log the cap being reached at most this often, seconds. */
#define SRV_CAP_LOG_INTERVAL 10
/* Give freed heap back to the system once this many connections closed since the last time. */
#define SRV_TRIM_AFTER_CLOSES 256

static size_t conn_bucket(const struct bufferevent *bev)
{
    return (size_t)(((uintptr_t)bev >> 4) % SRV_CONN_BUCKETS);
}

static void wait_unlink(struct srv *s, struct srv_conn *c)
{
    if (!c->waiting)
        return;
    if (c->wprev != NULL)
        c->wprev->wnext = c->wnext;
    else
        s->wait_head = c->wnext;
    if (c->wnext != NULL)
        c->wnext->wprev = c->wprev;
    else
        s->wait_tail = c->wprev;
    c->wprev = c->wnext = NULL;
    c->waiting = false;
}

static void hash_unlink(struct srv *s, struct srv_conn *c)
{
    for (struct srv_conn **pp = &s->conn_hash[conn_bucket(c->bev)]; *pp != NULL;
         pp = &(*pp)->hnext)
        if (*pp == c) {
            *pp = c->hnext;
            return;
        }
}

struct srv_conn *srv_conn_find(struct srv *s, const struct bufferevent *bev)
{
    for (struct srv_conn *c = s->conn_hash[conn_bucket(bev)]; c != NULL; c = c->hnext)
        if (c->bev == bev)
            return c;
    return NULL;
}

/* Accept iff not paused after an accept error and below the cap. */
void srv_listener_update(struct srv *s)
{
    if (s->listener == NULL || s->stopping)
        return;
    bool want = !s->accept_paused && s->conn_count < s->conn_max;
    if (want == s->accepting)
        return;
    s->accepting = want;
    if (want) {
        evconnlistener_enable(s->listener);
        return;
    }
    evconnlistener_disable(s->listener);
    if (s->conn_count < s->conn_max)
        return;
    s->cap_reached++;
    int64_t now = mse_monotonic_ms() / 1000;
    if (s->cap_logged == 0 || now - s->cap_logged >= SRV_CAP_LOG_INTERVAL) {
        s->cap_logged = now;
        srv_log("connection limit (%zu) reached: new connections wait in the kernel's queue "
                "(%lu time(s) so far; logged at most every %d s)",
                s->conn_max, s->cap_reached, SRV_CAP_LOG_INTERVAL);
    }
}

/* Return the record to the pool (the connection is gone or was never evhttp's). */
static void conn_release(struct srv *s, struct srv_conn *c)
{
    srv_gate_close(c);
    wait_unlink(s, c);
    hash_unlink(s, c);
    struct event *gate = c->gate;
    memset(c, 0, sizeof *c);
    c->gate = gate;
    c->hnext = s->conn_free;
    s->conn_free = c;
    s->conn_count--;
    s->closes_since_trim++;
    srv_listener_update(s);
}

/*
 * TLS wants a close_notify before the write side closes (RFC 8446, 6.1): with it a
 * client that reads to the end of the stream (a response delimited by the close, as
 * an app behind the proxy may send) tells the end from a truncation by anyone who can
 * cut the TCP connection. Sent only after a completed handshake and when nothing waits
 * in the output buffer, so that OpenSSL holds no half-written record; it never blocks:
 * a full socket or a client already gone means no alert.
 */
static void send_close_notify(const struct srv *s, struct bufferevent *bev)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    if (ssl == NULL || !SSL_is_init_finished(ssl) ||
        evbuffer_get_length(bufferevent_get_output(bev)) != 0)
        return;
    srv_cork_hold(s, bev); /* evhttp's shutdown(2) follows: the alert leaves with the FIN */
    (void)SSL_shutdown(ssl);
    ERR_clear_error(); /* a write that failed is not this connection's error to report */
}

void srv_conn_abort(struct evhttp_connection *evcon)
{
    /* No close_notify: a client reading to the end of the stream must see a body cut
     * short, not a complete one. SSL_shutdown then marks the session closed, sending
     * nothing. */
    SSL *ssl = bufferevent_openssl_get_ssl(evhttp_connection_get_bufferevent(evcon));
    if (ssl != NULL)
        SSL_set_quiet_shutdown(ssl, 1);
    evhttp_connection_free(evcon);
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    struct srv_conn *c = arg;
    struct srv *s = c->s;
    if (c->tls && !c->refuse)
        send_close_notify(s, evhttp_connection_get_bufferevent(evcon));
    if (c->resume != NULL)
        srv_proxy_resume(c->resume);
    conn_release(s, c);
}

/*
 * Runs before the loop polls again, hence before any byte of the new
 * connections was read: find each one's evhttp connection and take over its
 * close callback, then drop the reference the pending record held.
 */
static void adopt_pending(evutil_socket_t fd_unused, short events_unused, void *arg)
{
    struct srv *s = arg;
    while (s->adopt_head != NULL) {
        struct srv_conn *c = s->adopt_head;
        s->adopt_head = c->anext;
        c->anext = NULL;
        c->pending = false;
        bufferevent_data_cb readcb = NULL;
        bufferevent_event_cb eventcb = NULL;
        void *cbarg = NULL;
        bufferevent_getcb(c->bev, &readcb, NULL, &eventcb, &cbarg);
        struct bufferevent *bev = c->bev;
        if (eventcb == NULL || cbarg == NULL) {
            /* evhttp already freed it (its callbacks are cleared on free). */
            conn_release(s, c);
        } else {
            c->evcon = cbarg;
            evhttp_connection_set_closecb(c->evcon, on_conn_close, c);
            if (c->refuse)
                shutdown(bufferevent_getfd(bev), SHUT_RDWR);
            else if (c->tls && srv_gate_start(s, c) != MSE_OK)
                srv_gate_open(c); /* cannot happen; if it did, the connection is served ungated */
            if (!c->refuse && s->phase == SRV_PHASE_APP && s->cfg->hello)
                srv_fast_start(c);
        }
        bufferevent_decref(bev);
    }
}

struct srv_conn *srv_conn_new(struct srv *s, struct bufferevent *bev, bool tls, bool refuse)
{
    struct srv_conn *c = s->conn_free;
    if (c == NULL)
        return NULL; /* cannot happen: the listener is off at the cap */
    s->conn_free = c->hnext;
    c->hnext = NULL;
    c->s = s;
    c->bev = bev;
    c->refuse = refuse;
    c->tls = tls;
    size_t b = conn_bucket(bev);
    c->hnext = s->conn_hash[b];
    s->conn_hash[b] = c;
    /* Deadlines are now + a constant: appending keeps the list in deadline order. */
    c->deadline = mse_monotonic_ms() / 1000 + s->cfg->request_deadline;
    c->waiting = true;
    c->wprev = s->wait_tail;
    if (s->wait_tail != NULL)
        s->wait_tail->wnext = c;
    else
        s->wait_head = c;
    s->wait_tail = c;
    bufferevent_incref(bev);
    c->pending = true;
    c->anext = s->adopt_head;
    s->adopt_head = c;
    event_active(s->adopt_ev, EV_READ, 0);
    s->conn_count++;
    srv_listener_update(s);
    return c;
}

void srv_conn_drop_gated(struct srv_conn *c, bool refused)
{
    if (refused)
        c->s->gate_refusals++;
    evhttp_connection_free(c->evcon); /* its close callback releases c */
}

void srv_conn_first_request(struct srv *s, struct srv_conn *c)
{
    wait_unlink(s, c);
}

/* Once a second: drop connections past their first-request deadline; trim the heap. */
static void conn_tick(evutil_socket_t fd_unused, short events_unused, void *arg)
{
    struct srv *s = arg;
    int64_t now = mse_monotonic_ms() / 1000;
    unsigned long dropped = 0;
    while (s->wait_head != NULL && now >= s->wait_head->deadline) {
        struct srv_conn *c = s->wait_head;
        wait_unlink(s, c);
        evutil_socket_t fd = bufferevent_getfd(c->bev);
        if (c->gated) {
            /* Its bufferevent is not reading and would never see a shutdown: free it here. */
            evhttp_connection_free(c->evcon);
            dropped++;
        } else if (fd >= 0) {
            /* evhttp sees the end of the stream and frees the connection itself. */
            shutdown(fd, SHUT_RDWR);
            dropped++;
        }
    }
    if (s->gate_refusals > s->gate_refusals_logged) {
        srv_log("%lu connection(s) refused at their first TLS record (not one complete "
                "ClientHello of at most 16 KiB; %lu so far; logged at most once a second)",
                s->gate_refusals - s->gate_refusals_logged, s->gate_refusals);
        s->gate_refusals_logged = s->gate_refusals;
    }
    if (dropped > 0) {
        s->deadline_drops += dropped;
        srv_log("%lu connection(s) without a complete request after %d s: dropped",
                dropped, s->cfg->request_deadline);
    }
    /* Also once the server is idle again: the last closes of a flood would otherwise
     * stay below the threshold and their heap be kept. */
    if (s->closes_since_trim >= SRV_TRIM_AFTER_CLOSES ||
        (s->closes_since_trim > 0 && s->conn_count == 0)) {
        s->closes_since_trim = 0;
        /* glibc keeps freed heap for reuse; after a flood that is megabytes nobody needs. */
        malloc_trim(0);
    }
}

mse_err srv_conn_init(struct srv *s, size_t max)
{
    MSE_ENSURE(max > 0, MSE_ERR_ARG);
    s->conn_pool = calloc(max, sizeof *s->conn_pool);
    MSE_ENSURE(s->conn_pool != NULL, MSE_ERR_NOMEM);
    s->conn_max = max;
    /* The gates' events are made now, so that a connection waiting for its first
     * record costs no allocation (event storage through libevent's size, ABI-safe). */
    size_t ev_size = event_get_struct_event_size();
    s->gate_pool = calloc(max, ev_size);
    MSE_ENSURE(s->gate_pool != NULL, MSE_ERR_NOMEM);
    for (size_t i = max; i-- > 0;) {
        s->conn_pool[i].gate = (struct event *)((char *)s->gate_pool + i * ev_size);
        s->conn_pool[i].hnext = s->conn_free;
        s->conn_free = &s->conn_pool[i];
    }
    s->adopt_ev = event_new(s->base, -1, 0, adopt_pending, s);
    MSE_ENSURE(s->adopt_ev != NULL, MSE_ERR_NOMEM);
    struct timeval tick = {1, 0};
    s->conn_tick = event_new(s->base, -1, EV_PERSIST, conn_tick, s);
    MSE_ENSURE(s->conn_tick != NULL && event_add(s->conn_tick, &tick) == 0, MSE_ERR_NOMEM);
    return MSE_OK;
}

/* After evhttp_free (which ran the close callbacks of the connections it had adopted). */
void srv_conn_free(struct srv *s)
{
    while (s->adopt_head != NULL) {
        struct srv_conn *c = s->adopt_head;
        s->adopt_head = c->anext;
        bufferevent_decref(c->bev);
    }
    if (s->adopt_ev != NULL)
        event_free(s->adopt_ev);
    if (s->conn_tick != NULL)
        event_free(s->conn_tick);
    free(s->conn_pool);
    s->conn_pool = NULL;
    free(s->gate_pool);
    s->gate_pool = NULL;
}

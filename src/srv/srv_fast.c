/*
 * The built-in hello app's own request loop, for the steady state of its
 * connections: GET and HEAD requests (the subset srv_head.c reads) are
 * answered here, straight from the connection's TLS bufferevent, without
 * evhttp's per-request objects (a request with its header lists and
 * buffers, a parsed URI, printf-formatted header lines, a stop and restart
 * of reading per response, which costs an epoll_ctl).
 *
 * A connection starts here when it is adopted (srv_conn.c) in the app phase
 * of --hello. The bufferevent's callbacks are evhttp's until then; they are
 * kept and this loop's installed instead. evhttp meanwhile waits for a
 * request line, as it does for any new connection. The first request that is
 * not in the subset (any other method, a body, the /.well-known/ endpoints,
 * anything malformed) hands the connection back for good: evhttp's callbacks
 * return and evhttp reads that request from the same unread bytes, so it
 * answers or refuses it exactly as before. End of stream, errors and the idle
 * timeout go to evhttp's event callback, which frees the connection (its
 * close callback releases the record, as for any connection).
 *
 * Bounds: a head is looked for in at most --max-headers bytes (else it goes
 * to evhttp, which applies its own limit); pipelined requests are answered in
 * order, but once SRV_FAST_BACKLOG bytes of responses wait for a client that
 * does not read them, its requests are not read either until they are
 * written. Each response is one evbuffer_add (one TLS record), written in the
 * loop iteration that made it (srv_write_now). Nothing is allocated per
 * request beyond the output buffer's own storage.
 *
 * Read-ahead (TLS connections of this loop): OpenSSL reads whatever the
 * socket holds into its record buffer at once, instead of a record's 5-byte
 * header and then its body: one read(2) per request instead of two, and a
 * third of the reads of a handshake. What it reads ahead is out of
 * libevent's sight: bufferevent_openssl reads again only when the socket is
 * readable, and stops when SSL_pending says no decrypted byte waits, while
 * whole records may wait undecrypted. So wherever records may wait in
 * OpenSSL's buffer with nothing more to come on the socket, this loop runs
 * the bufferevent's read event itself (read_buffered): when the handshake
 * completes (a client's Finished and its first request often come in one
 * read) and after each batch of requests served. A connection handed to
 * evhttp gets what OpenSSL holds moved to its input buffer first, and is
 * read record by record from then on (give_back_read_ahead).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <mse/guard.h>

#include "srv_int.h"
#include "util/util.h"

/* Response bytes waiting for the client before its requests are no longer read. */
#define SRV_FAST_BACKLOG (64 * 1024)
/* Bytes moved from OpenSSL's record buffer per SSL_read when a connection is handed over. */
#define SRV_FAST_UNREAD_CHUNK 4096

static const char connection_close[] = "Connection: close\r\n";

/* "Date: Sun, 06 Dec 2026 17:35:33 GMT\r\n" (RFC 9110 5.6.7, 6.6.1), remade once a second. */
static void refresh_date(struct srv *s)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = (time_t)mse_time_now();
    if (now == s->fast_date_at && s->fast_date_len > 0)
        return;
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
        tm.tm_mon > 11) {
        s->fast_date_len = 0;
        return;
    }
    int n = snprintf(s->fast_date, sizeof s->fast_date,
                     "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", days[tm.tm_wday], tm.tm_mday,
                     months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    s->fast_date_len = n > 0 && (size_t)n < sizeof s->fast_date ? (size_t)n : 0;
    s->fast_date_at = now;
}

mse_err srv_fast_init(struct srv *s)
{
    int n = snprintf(s->fast_head, sizeof s->fast_head,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n",
                     sizeof SRV_HELLO_BODY - 1);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof s->fast_head, MSE_ERR_INTERNAL);
    s->fast_head_len = (size_t)n;
    return MSE_OK;
}

/* Append n bytes to the response being built; false if it would not fit. */
static bool put(char *out, size_t cap, size_t *len, const void *bytes, size_t n)
{
    if (n > cap - *len)
        return false;
    memcpy(out + *len, bytes, n);
    *len += n;
    return true;
}

/* The hello response to h, queued as one piece (one TLS record). */
static bool respond(struct srv *s, struct evbuffer *out, const struct srv_head *h)
{
    char buf[sizeof s->fast_head + sizeof s->fast_date + sizeof connection_close +
             sizeof SRV_HELLO_BODY + 2];
    size_t len = 0;
    refresh_date(s);
    bool ok = put(buf, sizeof buf, &len, s->fast_head, s->fast_head_len) &&
              put(buf, sizeof buf, &len, s->fast_date, s->fast_date_len) &&
              (!h->close || put(buf, sizeof buf, &len, connection_close,
                                sizeof connection_close - 1)) &&
              put(buf, sizeof buf, &len, "\r\n", 2) &&
              (h->head_only || put(buf, sizeof buf, &len, SRV_HELLO_BODY,
                                   sizeof SRV_HELLO_BODY - 1));
    return ok && evbuffer_add(out, buf, len) == 0;
}

/*
 * Write what serve() queued, now. evhttp stops writing while it reads a
 * request; here writing is enabled with the first response and stays so
 * (an empty output buffer arms no write event). Not earlier: on a TLS
 * connection in its handshake an enabled write event runs the handshake at
 * once, and OpenSSL then takes its buffers before the client's first record
 * is in, which the first-record gate (srv_gate.c) exists to prevent.
 */
static void write_out(struct bufferevent *bev)
{
    if (!(bufferevent_get_enabled(bev) & EV_WRITE))
        bufferevent_enable(bev, EV_WRITE);
    srv_write_now(bev);
}

/* Records OpenSSL read ahead may wait undecrypted while the socket has nothing more:
 * run the bufferevent's read event, which decrypts them as if the socket had spoken. A
 * partial record costs one read(2) that finds nothing; the rest arrives as usual. */
static void read_buffered(struct srv_conn *c)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (ssl != NULL && SSL_has_pending(ssl) && (bufferevent_get_enabled(c->bev) & EV_READ))
        event_active(&c->bev->ev_read, EV_READ, 1);
}

/* Before evhttp takes the connection: no more read-ahead, and the records OpenSSL holds
 * decrypted into the input buffer, where evhttp looks (it reads the socket only when it
 * is readable). Bounded by what OpenSSL's buffer holds: without read-ahead a partial
 * record is completed from the socket and nothing more is read. Anything but data (a
 * partial record with nothing more on the socket, an alert, an error) is left to the
 * bufferevent's own read, run once more (read_buffered; reading is enabled here, as a
 * connection is handed over only from a batch being read). */
static void give_back_read_ahead(struct srv_conn *c)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (ssl == NULL)
        return;
    SSL_set_read_ahead(ssl, 0);
    struct evbuffer *in = bufferevent_get_input(c->bev);
    while (SSL_has_pending(ssl)) {
        struct evbuffer_iovec v;
        if (evbuffer_reserve_space(in, SRV_FAST_UNREAD_CHUNK, &v, 1) < 1)
            break;
        int r = SSL_read(ssl, v.iov_base, v.iov_len < INT_MAX ? (int)v.iov_len : INT_MAX);
        if (r <= 0) {
            ERR_clear_error(); /* what failed is the bufferevent's to meet, and report */
            break;
        }
        v.iov_len = (size_t)r;
        if (evbuffer_commit_space(in, &v, 1) != 0)
            break;
    }
    read_buffered(c);
}

/* Give the connection back to evhttp for good; it reads what is unread. c may be
 * released by the call. */
static void hand_over(struct srv_conn *c)
{
    give_back_read_ahead(c);
    bufferevent_setcb(c->bev, c->http_read, c->http_write, c->http_event, c->evcon);
    /* evhttp's reading state, unless answers of this loop still wait to be written
     * (evhttp enables writing again for its own answer in any case). */
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        bufferevent_disable(c->bev, EV_WRITE);
    c->http_read(c->bev, c->evcon);
}

/* Answer every complete request in the connection's input, in order. */
static void serve(struct srv_conn *c)
{
    struct srv *s = c->s;
    struct bufferevent *bev = c->bev;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer *out = bufferevent_get_output(bev);
    size_t max = s->cfg->max_headers;
    bool wrote = false;
    while (!c->closing) {
        size_t avail = evbuffer_get_length(in);
        if (avail == 0)
            break;
        if (evbuffer_get_length(out) > SRV_FAST_BACKLOG) {
            /* The client does not read its responses: read no more requests until they
             * are written (fast_written), so neither buffer grows without bound. */
            c->backlogged = true;
            bufferevent_disable(bev, EV_READ);
            break;
        }
        const uint8_t *head = evbuffer_pullup(in, (ev_ssize_t)(avail < max ? avail : max));
        struct srv_head h;
        enum srv_head_verdict v = head != NULL ? srv_head_parse(head, avail, max, &h)
                                               : SRV_HEAD_OTHER;
        if (v == SRV_HEAD_MORE)
            break;
        if (v == SRV_HEAD_OTHER) {
            if (wrote)
                write_out(bev);
            hand_over(c);
            return;
        }
        srv_conn_first_request(s, c);
        if (evbuffer_drain(in, h.len) != 0 || !respond(s, out, &h)) {
            srv_log("out of memory answering a request: closing the connection");
            evhttp_connection_free(c->evcon); /* its close callback releases c */
            return;
        }
        wrote = true;
        if (h.close) {
            /* Nothing after it is read; the connection is freed once the response is out,
             * which leaves with the close_notify and the FIN. */
            c->closing = true;
            srv_cork_hold(s, bev); /* no-op on a plain connection */
            bufferevent_disable(bev, EV_READ);
            (void)evbuffer_drain(in, evbuffer_get_length(in));
        }
    }
    if (wrote)
        write_out(bev);
    if (!c->closing && !c->backlogged)
        read_buffered(c);
}

static void fast_read(struct bufferevent *bev_unused, void *arg)
{
    serve(arg);
}

/* The output buffer was emptied: everything queued was handed to the socket. */
static void fast_written(struct bufferevent *bev, void *arg)
{
    struct srv_conn *c = arg;
    /* This callback may run late, after the last response was queued: the connection
     * closes once that is written too (this callback runs again then). */
    if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        evhttp_connection_free(c->evcon); /* its close callback releases c */
        return;
    }
    if (c->backlogged) {
        c->backlogged = false;
        bufferevent_enable(bev, EV_READ);
        serve(c);
    }
}

/* End of stream, an error or the idle timeout: evhttp frees the connection. */
static void fast_event(struct bufferevent *bev, short what, void *arg)
{
    struct srv_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED)
        read_buffered(c); /* the first request may have come with the client's Finished */
    c->http_event(bev, what, c->evcon);
}

void srv_fast_start(struct srv_conn *c)
{
    bufferevent_getcb(c->bev, &c->http_read, &c->http_write, &c->http_event, NULL);
    if (c->http_read == NULL || c->http_event == NULL)
        return; /* not evhttp's reading state: leave it to evhttp */
    bufferevent_setcb(c->bev, fast_read, fast_written, fast_event, c);
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (ssl != NULL)
        SSL_set_read_ahead(ssl, 1);
}

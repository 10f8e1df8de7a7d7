/*
 * A TLS 1.3 connection's session tickets leave with the next bytes the
 * server writes on it (RFC 8446 4.6.1: NewSessionTicket, sent after the
 * handshake).
 *
 * OpenSSL writes and flushes its tickets the moment it reads the client's
 * Finished. A client sends its first request with its Finished (curl,
 * browsers, wrk and OpenSSL's HTTP clients do), so the response follows a
 * moment later: each ticket was one TCP segment more for both hosts to
 * process and a wake-up more for the client, which has no use for a ticket
 * before its next connection.
 *
 * So the connection's write BIO is a filter over libevent's socket BIO that
 * sends the ticket records with MSG_MORE: the kernel queues them and sends
 * them with the next write without that flag (the response), on close, or
 * after at most about 200 ms (TCP's zero-window probe timer, the ceiling of
 * TCP_CORK), whichever comes first. Everything else passes through to the
 * socket BIO untouched. Only the records written while OpenSSL is in its
 * ticket-writing state are held; in TLS 1.2 that state is inside a flight
 * that is flushed after its last message, so nothing changes there.
 *
 * A connection the server is about to close (its last response queued, or
 * its close_notify) is held the same way from then on (srv_cork_hold): the
 * last response, the close_notify and the FIN of the shutdown(2) that follows
 * them leave in one segment instead of three, and the client reads its last
 * response and the end of the stream in one wake-up.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <mse/guard.h>

#include "srv_int.h"

/* A filter's own state. */
struct cork {
    const SSL *ssl; /* whose handshake state tells ticket records apart */
    bool hold;      /* closing: everything waits for the FIN */
};

static int cork_write(BIO *b, const char *data, int len)
{
    BIO *next = BIO_next(b);
    const struct cork *k = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (next == NULL || len <= 0)
        return 0;
    int fd = -1;
    bool more = k != NULL && (k->hold || (k->ssl != NULL &&
                                          SSL_get_state(k->ssl) == TLS_ST_SW_SESSION_TICKET));
    if (!more || BIO_get_fd(next, &fd) < 0 || fd < 0) {
        int n = BIO_write(next, data, len);
        BIO_copy_next_retry(b);
        return n;
    }
    ssize_t n = send(fd, data, (size_t)len, MSG_MORE | MSG_NOSIGNAL);
    if (n < 0) {
        if (BIO_sock_should_retry(-1))
            BIO_set_retry_write(b);
        return -1;
    }
    return (int)n;
}

/* The socket BIO below answers everything else (its descriptor, flushes, EOF). */
static long cork_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    BIO *next = BIO_next(b);
    return next != NULL ? BIO_ctrl(next, cmd, num, ptr) : 0;
}

static int cork_create(BIO *b)
{
    struct cork *k = calloc(1, sizeof *k);
    if (k == NULL)
        return 0;
    BIO_set_data(b, k);
    BIO_set_init(b, 1);
    return 1;
}

static int cork_destroy(BIO *b)
{
    free(BIO_get_data(b));
    BIO_set_data(b, NULL);
    BIO_set_init(b, 0);
    return 1;
}

mse_err srv_cork_init(struct srv *s)
{
    int type = BIO_get_new_index();
    MSE_ENSURE(type > 0, MSE_ERR_CRYPTO);
    s->cork_type = type | BIO_TYPE_FILTER;
    s->cork_method = BIO_meth_new(s->cork_type, "mse ticket cork");
    MSE_ENSURE(s->cork_method != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE(BIO_meth_set_write(s->cork_method, cork_write) == 1 &&
                   BIO_meth_set_ctrl(s->cork_method, cork_ctrl) == 1 &&
                   BIO_meth_set_create(s->cork_method, cork_create) == 1 &&
                   BIO_meth_set_destroy(s->cork_method, cork_destroy) == 1,
               MSE_ERR_CRYPTO);
    return MSE_OK;
}

void srv_cork_free(struct srv *s)
{
    BIO_meth_free(s->cork_method);
    s->cork_method = NULL;
}

void srv_cork_start(struct srv *s, struct srv_conn *c)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    BIO *sock = ssl != NULL ? SSL_get_wbio(ssl) : NULL;
    if (sock == NULL || s->cork_method == NULL)
        return;
    BIO *cork = BIO_new(s->cork_method);
    if (cork == NULL || BIO_up_ref(sock) != 1) {
        BIO_free(cork); /* served without it: tickets go out at once, as OpenSSL writes them */
        return;
    }
    ((struct cork *)BIO_get_data(cork))->ssl = ssl;
    BIO_push(cork, sock);
    /* The SSL now holds the socket BIO as its read BIO and through the filter as its write
     * BIO; libevent finds the descriptor to close through either. */
    SSL_set0_wbio(ssl, cork);
}

void srv_cork_hold(const struct srv *s, struct bufferevent *bev)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    BIO *b = ssl != NULL ? SSL_get_wbio(ssl) : NULL;
    if (b != NULL && s->cork_method != NULL && BIO_method_type(b) == s->cork_type)
        ((struct cork *)BIO_get_data(b))->hold = true;
}

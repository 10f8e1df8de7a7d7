/*
 * TLS client for certificate capture: non-blocking connect and handshake
 * with one deadline, OpenSSL 3. The server certificate is deliberately not
 * validated here (SSL_VERIFY_NONE): an RA-TLS certificate is self-signed and
 * is verified by mse_verify() against the SGX quote it carries. Callers must
 * not send application data before that verification succeeded.
 */
/* getaddrinfo_a (glibc >= 2.34 has it in libc). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mse/guard.h>
#include <mse/net.h>

#include "util/util.h"

struct mse_tls_conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    uint8_t *cert_der;
    size_t cert_len;
};

/*
 * Writing to a socket the peer has reset raises SIGPIPE, whose default action
 * kills the process without a word: a hostile or flaky server could turn a
 * clear MSE_ERR_NET_TLS into a silent death. A library must not change the
 * process's signal dispositions, so SIGPIPE is blocked in the calling thread
 * around every OpenSSL call that may write, and a SIGPIPE raised meanwhile is
 * consumed before the mask is restored (the write itself fails with EPIPE,
 * which OpenSSL reports as an error).
 */
struct sigpipe_guard {
    sigset_t old;
    bool was_pending; /* a SIGPIPE pending before us is not ours to consume */
};

static void sigpipe_block(struct sigpipe_guard *g)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
    g->was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE) == 1;
}

static void sigpipe_restore(const struct sigpipe_guard *g)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    if (!g->was_pending && sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE) == 1) {
        const struct timespec zero = {0, 0};
        int saved = errno;
        while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
            ;
        errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* Wait until fd is ready for `events` or the deadline passes. */
static mse_err wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mse_monotonic_ms();
        if (left <= 0)
            return MSE_ERR_NET_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return MSE_OK;
        if (r == 0)
            return MSE_ERR_NET_TIMEOUT;
        if (errno != EINTR)
            return MSE_ERR_NET_CONNECT;
    }
}

/*
 * getaddrinfo(3) has no timeout of its own (the resolver's can add up to tens
 * of seconds), so the lookup runs asynchronously (glibc getaddrinfo_a) and is
 * waited for only until the deadline. An abandoned lookup that the resolver
 * cannot cancel still references its request block: that block is then left
 * allocated on purpose (a few hundred bytes, once, on a timeout path).
 */
struct lookup {
    struct gaicb cb;
    struct addrinfo hints;
    char host[256];
    char port[6];
};

/* ThreadSanitizer cannot follow the thread glibc's getaddrinfo_a starts inside libc (it
 * crashes there): a TSan build resolves synchronously, without the deadline, so that the
 * rest of mse verify, its own threads included, can run under it. */
#if defined(__SANITIZE_THREAD__)
#define MSE_RESOLVE_SYNC 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MSE_RESOLVE_SYNC 1
#endif
#endif

static int resolve(const struct mse_endpoint *ep, int64_t deadline, struct addrinfo **res,
                   bool *timed_out)
{
#ifdef MSE_RESOLVE_SYNC
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    (void)deadline;
    *timed_out = false;
    return getaddrinfo(ep->host, ep->port, &hints, res);
#else
    struct lookup *l = calloc(1, sizeof *l);
    struct gaicb *list[1];
    int rc;
    *timed_out = false;
    if (!l)
        return EAI_MEMORY;
    snprintf(l->host, sizeof l->host, "%s", ep->host);
    snprintf(l->port, sizeof l->port, "%s", ep->port);
    l->hints.ai_socktype = SOCK_STREAM;
    l->hints.ai_family = AF_UNSPEC;
    l->cb.ar_name = l->host;
    l->cb.ar_service = l->port;
    l->cb.ar_request = &l->hints;
    list[0] = &l->cb;
    rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
    if (rc != 0) {
        free(l);
        return rc;
    }
    while (gai_error(&l->cb) == EAI_INPROGRESS) {
        int64_t left = deadline - mse_monotonic_ms();
        if (left <= 0)
            break;
        struct timespec ts = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};
        (void)gai_suspend((const struct gaicb *const *)list, 1, &ts); /* done, timeout or EINTR */
    }
    rc = gai_error(&l->cb);
    if (rc == EAI_INPROGRESS) {
        *timed_out = true;
        if (gai_cancel(&l->cb) == EAI_CANCELED)
            free(l);
        return EAI_AGAIN;
    }
    *res = rc == 0 ? l->cb.ar_result : NULL;
    free(l);
    return rc;
#endif
}

static mse_err connect_any(const struct mse_endpoint *ep, int64_t deadline, int *out, char *errbuf,
                           size_t errlen)
{
    struct addrinfo *res = NULL;
    mse_err err = MSE_ERR_NET_CONNECT;
    bool timed_out = false;
    int gai = resolve(ep, deadline, &res, &timed_out);
    if (timed_out) {
        return mse_say(errbuf, errlen, MSE_ERR_NET_TIMEOUT, "resolving %s timed out", ep->host);
    }
    if (gai != 0) {
        return mse_say(errbuf, errlen, MSE_ERR_NET_RESOLVE, "cannot resolve %s: %s", ep->host,
                       gai_strerror(gai));
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            *out = fd;
            err = MSE_OK;
            break;
        }
        if (errno == EINPROGRESS) {
            err = wait_fd(fd, POLLOUT, deadline);
            int so = 0;
            socklen_t sl = sizeof so;
            if (err == MSE_OK && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0) {
                *out = fd;
                break;
            }
            if (err == MSE_OK)
                err = MSE_ERR_NET_CONNECT;
            errno = so;
        }
        close(fd);
        if (err == MSE_ERR_NET_TIMEOUT)
            break;
    }
    freeaddrinfo(res);
    if (err == MSE_ERR_NET_TIMEOUT)
        return mse_say(errbuf, errlen, err, "connection to %s:%s timed out", ep->host, ep->port);
    if (err != MSE_OK)
        return mse_say(errbuf, errlen, err, "cannot connect to %s:%s", ep->host, ep->port);
    return MSE_OK;
}

/* Drive an SSL operation that may want I/O until it completes or the deadline passes. */
static mse_err ssl_wait(SSL *ssl, int fd, int rc, int64_t deadline)
{
    switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        return wait_fd(fd, POLLIN, deadline);
    case SSL_ERROR_WANT_WRITE:
        return wait_fd(fd, POLLOUT, deadline);
    default:
        return MSE_ERR_NET_TLS;
    }
}

void mse_tls_close(struct mse_tls_conn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        /* Best effort close_notify; never block on it. */
        struct sigpipe_guard g;
        sigpipe_block(&g);
        (void)SSL_shutdown(c->ssl);
        sigpipe_restore(&g);
        ERR_clear_error(); /* a shutdown refused mid-handshake leaves an error queued */
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    OPENSSL_free(c->cert_der);
    free(c);
}

mse_err mse_tls_connect(const struct mse_endpoint *ep, int timeout_ms, struct mse_tls_conn **out,
                        char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    int64_t deadline = mse_monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
    struct mse_tls_conn *c = calloc(1, sizeof *c);
    MSE_ENSURE(c != NULL, MSE_ERR_NOMEM);
    c->fd = -1;
    MSE_CHECK_OUT(connect_any(ep, deadline, &c->fd, errbuf, errlen));

    c->ctx = SSL_CTX_new(TLS_client_method());
    MSE_ENSURE_OUT(c->ctx != NULL, MSE_ERR_CRYPTO);
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    /* The certificate verified is the one of the first handshake: a TLS 1.2 server must not
     * switch to another by renegotiating while the caller uses the connection. */
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION);
    c->ssl = SSL_new(c->ctx);
    MSE_ENSURE_OUT(c->ssl != NULL && SSL_set_fd(c->ssl, c->fd) == 1, MSE_ERR_CRYPTO);
    if (!ep->host_is_ip)
        MSE_ENSURE_OUT(SSL_set_tlsext_host_name(c->ssl, ep->host) == 1, MSE_ERR_CRYPTO);
    for (;;) {
        struct sigpipe_guard g;
        sigpipe_block(&g);
        int rc = SSL_connect(c->ssl);
        sigpipe_restore(&g);
        if (rc == 1)
            break;
        err = ssl_wait(c->ssl, c->fd, rc, deadline);
        if (err != MSE_OK) {
            unsigned long e = ERR_peek_last_error();
            err = mse_say(errbuf, errlen, err == MSE_ERR_NET_TIMEOUT ? err : MSE_ERR_NET_TLS,
                          "TLS handshake with %s failed: %s", ep->host,
                          err == MSE_ERR_NET_TIMEOUT ? "timed out"
                          : e                        ? ERR_reason_error_string(e)
                                                     : "connection closed");
            ERR_clear_error();
            goto out;
        }
    }
    X509 *peer = SSL_get0_peer_certificate(c->ssl);
    if (!peer) {
        MSE_GOTO_OUT(mse_say(errbuf, errlen, MSE_ERR_NET_NO_CERT, "%s presented no certificate",
                             ep->host));
    }
    unsigned char *der = NULL;
    int n = i2d_X509(peer, &der);
    MSE_ENSURE_OUT(n > 0, MSE_ERR_CRYPTO);
    c->cert_der = der;
    c->cert_len = (size_t)n;
    *out = c;
    return MSE_OK;
out:
    mse_tls_close(c);
    return err;
}

void mse_tls_peer_cert(const struct mse_tls_conn *c, const uint8_t **der, size_t *len)
{
    *der = c->cert_der;
    *len = c->cert_len;
}

mse_err mse_tls_write(struct mse_tls_conn *c, const void *buf, size_t len, int timeout_ms)
{
    int64_t deadline = mse_monotonic_ms() + timeout_ms;
    const uint8_t *p = buf;
    while (len > 0) {
        size_t done = 0;
        struct sigpipe_guard g;
        sigpipe_block(&g);
        int rc = SSL_write_ex(c->ssl, p, len, &done);
        sigpipe_restore(&g);
        if (rc == 1) {
            p += done;
            len -= done;
            continue;
        }
        MSE_TRY(ssl_wait(c->ssl, c->fd, rc, deadline));
    }
    return MSE_OK;
}

mse_err mse_tls_read(struct mse_tls_conn *c, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    int64_t deadline = mse_monotonic_ms() + timeout_ms;
    *got = 0;
    for (;;) {
        /* Reads may write too (TLS 1.3 key updates, alerts). */
        struct sigpipe_guard g;
        sigpipe_block(&g);
        int rc = SSL_read_ex(c->ssl, buf, cap, got);
        sigpipe_restore(&g);
        if (rc == 1)
            return MSE_OK;
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_ZERO_RETURN)
            return MSE_OK;
        if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
            ERR_clear_error();
            return MSE_OK; /* EOF without close_notify: the caller checks framing */
        }
        MSE_TRY(ssl_wait(c->ssl, c->fd, rc, deadline));
    }
}

mse_err mse_tls_fetch_cert(const struct mse_endpoint *ep, int timeout_ms, uint8_t **der,
                           size_t *len, char *errbuf, size_t errlen)
{
    struct mse_tls_conn *c = NULL;
    MSE_TRY(mse_tls_connect(ep, timeout_ms, &c, errbuf, errlen));
    *der = malloc(c->cert_len);
    if (!*der) {
        mse_tls_close(c);
        return MSE_ERR_NOMEM;
    }
    memcpy(*der, c->cert_der, c->cert_len);
    *len = c->cert_len;
    mse_tls_close(c);
    return MSE_OK;
}

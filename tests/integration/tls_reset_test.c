/*
 * The TLS client against a server that completes the handshake and then
 * resets the connection (SO_LINGER 0): writes must fail with an error, never
 * kill the process with SIGPIPE (the default disposition is kept here on
 * purpose, as in any program that links libmse). Also: a server that closes
 * before the handshake is a TLS error, and a listener that never answers the
 * handshake is a timeout.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mse/net.h>

#include "testlib.h"

enum mode { HANDSHAKE_THEN_RESET, CLOSE_AT_ONCE, SILENT };

/* A listening socket on 127.0.0.1 with a kernel-chosen port. */
static int listen_any(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A throwaway self-signed P-256 certificate for the server. */
static SSL_CTX *server_ctx(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!key || !x || !ctx)
        _exit(3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    if (!X509_sign(x, key, EVP_sha256()) || SSL_CTX_use_certificate(ctx, x) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1)
        _exit(3);
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

/* Child: serve one connection the given way, bounded by alarm(). */
static void serve(int lfd, enum mode m)
{
    alarm(20);
    SSL_CTX *ctx = m == HANDSHAKE_THEN_RESET ? server_ctx() : NULL;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        _exit(4);
    if (m == SILENT) {
        pause(); /* killed by the parent or the alarm */
        _exit(0);
    }
    if (m == HANDSHAKE_THEN_RESET) {
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1)
            _exit(5);
    }
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd); /* RST */
    _exit(0);
}

static pid_t start(enum mode m, struct mse_endpoint *ep)
{
    int port = 0;
    int lfd = listen_any(&port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        serve(lfd, m);
    close(lfd);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    assert_int_equal(mse_endpoint_parse(target, ep), MSE_OK);
    return pid;
}

static void stop(pid_t pid)
{
    int st;
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

static void test_reset_after_handshake(void **state)
{
    (void)state;
    struct mse_endpoint ep;
    pid_t pid = start(HANDSHAKE_THEN_RESET, &ep);
    struct mse_tls_conn *c = NULL;
    char err[256] = "";
    assert_int_equal(mse_tls_connect(&ep, 5000, &c, err, sizeof err), MSE_OK);
    const uint8_t *der;
    size_t len;
    mse_tls_peer_cert(c, &der, &len);
    assert_true(len > 100);
    /* Wait for the server's exit: its RST is then on the wire. */
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* A read meets the reset first (ECONNRESET is consumed there), so later writes get
     * EPIPE from the kernel, which raises SIGPIPE unless it is blocked. */
    char buf[64];
    size_t got = 0;
    mse_err re = mse_tls_read(c, buf, sizeof buf, &got, 2000);
    (void)re; /* EOF (MSE_OK, 0 bytes) or an error: both mean the peer is gone */
    assert_int_equal(got, 0);
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    mse_err e = MSE_OK;
    for (int i = 0; i < 8 && e == MSE_OK; i++)
        e = mse_tls_write(c, req, sizeof req - 1, 2000);
    assert_int_not_equal(e, MSE_OK);
    /* The process is alive and SIGPIPE is not left pending or blocked. */
    sigset_t pend, mask;
    assert_int_equal(sigpending(&pend), 0);
    assert_int_equal(sigismember(&pend, SIGPIPE), 0);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
    assert_int_equal(sigismember(&mask, SIGPIPE), 0);
    mse_tls_close(c); /* close_notify onto a reset socket: no SIGPIPE either */
}

static void test_close_before_handshake(void **state)
{
    (void)state;
    struct mse_endpoint ep;
    pid_t pid = start(CLOSE_AT_ONCE, &ep);
    struct mse_tls_conn *c = NULL;
    char err[256] = "";
    /* The reset may reach the socket before the connect completes (then it is a refused
     * connection) or after (a failed handshake): both are a prompt, named failure. */
    mse_err e = mse_tls_connect(&ep, 5000, &c, err, sizeof err);
    assert_null(c);
    if (e == MSE_ERR_NET_TLS)
        assert_non_null(strstr(err, "TLS handshake with 127.0.0.1 failed"));
    else
        assert_int_equal(e, MSE_ERR_NET_CONNECT);
    assert_true(err[0] != '\0');
    stop(pid);
}

static void test_silent_server_times_out(void **state)
{
    (void)state;
    struct mse_endpoint ep;
    pid_t pid = start(SILENT, &ep);
    struct mse_tls_conn *c = NULL;
    char err[256] = "";
    assert_int_equal(mse_tls_connect(&ep, 300, &c, err, sizeof err), MSE_ERR_NET_TIMEOUT);
    assert_non_null(strstr(err, "timed out"));
    stop(pid);
}

int main(void)
{
    /* Keep SIGPIPE's default (fatal) disposition: that is what the test is about. */
    signal(SIGPIPE, SIG_DFL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_after_handshake),
        cmocka_unit_test(test_close_before_handshake),
        cmocka_unit_test(test_silent_server_times_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

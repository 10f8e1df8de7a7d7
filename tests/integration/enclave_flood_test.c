/*
 * mse-enclave under connection floods, bounded in count and time, loopback
 * only. Asserts memory and liveness, never speed:
 *   - 20,000 connect+RST with 64 in flight: the server's RSS stays under
 *     64 MB, a normal HTTPS request is answered every 1,000 connections, and
 *     afterwards sockets and RSS come back near the baseline;
 *   - idle and half-open connections (nothing sent, or an unfinished first
 *     TLS record) cost at most 32 KB each; one mid-handshake (a complete
 *     ClientHello and then nothing) at most 64 KB;
 *   - a first TLS record that does not start a ClientHello of at most 2^14
 *     bytes is refused at once (closed, counted in one log line per second);
 *     a ClientHello fragmented over up to 32 records is waited for whole
 *     and served, over more it is refused;
 *     one already in when the server takes the connection is judged then:
 *     a ClientHello served without the gate, anything else as before;
 *   - --max-connections N: the server holds at most N connections, the rest
 *     wait in the kernel's queue, are served once slots free, and reaching
 *     the limit is logged once per interval, not once per connection.
 * The server is started by the test on an ephemeral port (--port-file) and
 * killed at the end; every wait polls a condition with a bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mse/net.h>

#include "testlib.h"

/*
 * Under AddressSanitizer the server's memory is ASan's (redzones, a quarantine
 * of up to 256 MB of freed blocks): its RSS says nothing about the server.
 * There the memory figures are printed, not asserted; liveness, the cap and
 * the release of every connection still are.
 */
#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_ASSERTED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMORY_ASSERTED 0
#endif
#endif
#ifndef MEMORY_ASSERTED
#define MEMORY_ASSERTED 1
#endif

#define FLOOD_TOTAL 20000
#define FLOOD_INFLIGHT 64
#define FLOOD_PROBE_EVERY 1000
#define FLOOD_RSS_MAX_KB (64 * 1024)
#define PER_CONN_MAX_KB 32
/*
 * A connection mid-handshake (a ClientHello answered, the client silent) holds
 * OpenSSL's handshake state, none of it tunable from outside: the SSL object
 * (7.6 KiB), the handshake message buffer (21 KiB), the buffering BIO that
 * joins the server's flight (2 x 4 KiB), session and cipher contexts: about
 * 45 KiB measured with OpenSSL 3.0. Bounded by the connection cap and the
 * first-request deadline; the bound asserted is that, not 32 KB.
 */
#define MID_HANDSHAKE_MAX_KB 64
#define IDLE_CONNS 400

struct server {
    char *dir;
    pid_t pid;
    int port;
    int fds0; /* the server's sockets once listening, before any connection */
    bool halted; /* stopped and reaped (server_halt) */
};

/* The operator's certificate and key (untrusted-ssl mode): a throwaway P-256 pair. */
static void write_cert(const char *dir)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/cert.pem", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, x), 1);
    assert_int_equal(fclose(f), 0);
    snprintf(path, sizeof path, "%s/key.pem", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(fclose(f), 0);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long proc_status_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long kb = -1;
    size_t flen = strlen(field);
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, flen) == 0 && line[flen] == ':')
            kb = strtol(line + flen + 1, NULL, 10);
    fclose(f);
    assert_true(kb >= 0);
    return kb;
}

static long rss_kb(pid_t pid)
{
    return proc_status_kb(pid, "VmRSS");
}

/*
 * The server's sockets: the listener and the client connections. Other
 * descriptors are left out: the server opens and closes files of its own
 * (the port file is written atomically, with its directory synced after).
 */
static int nfds(pid_t pid)
{
    char path[64], link[400], target[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof link, "%s/%s", path, e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len > 0 && strncmp(target, "socket:", 7) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* Poll until the server holds at most (or, with at_least, at least) `want` sockets. */
static int wait_fds(pid_t pid, int want, bool at_least, int max_ms)
{
    int n = nfds(pid);
    for (int waited = 0; waited < max_ms && (at_least ? n < want : n > want); waited += 20) {
        sleep_ms(20);
        n = nfds(pid);
    }
    return n;
}

static void server_start(struct server *sv, const char *const *extra)
{
    memset(sv, 0, sizeof *sv);
    sv->dir = mse_test_tmpdir();
    char att[4096], port_file[4096], cert[4096], key[4096], log[4096];
    snprintf(att, sizeof att, "%s/att", sv->dir);
    assert_int_equal(mkdir(att, 0700), 0);
    /* Emulated Gramine attestation files: the server only embeds the quote. */
    mse_test_write(att, "attestation_type", "dcap", 4);
    mse_test_write(att, "user_report_data", "", 0);
    static const uint8_t quote[1200];
    mse_test_write(att, "quote", quote, sizeof quote);
    write_cert(sv->dir);
    snprintf(port_file, sizeof port_file, "%s/port", sv->dir);
    snprintf(cert, sizeof cert, "%s/cert.pem", sv->dir);
    snprintf(key, sizeof key, "%s/key.pem", sv->dir);
    snprintf(log, sizeof log, "%s/server.log", sv->dir);
    char *bin = mse_test_bin("mse-enclave");
    const char *argv[64] = {bin,         "--mode",   "untrusted-ssl", "--attestation-root",
                            att,         "--san",    "localhost",     "--hello",
                            "--ssl-cert", cert,      "--ssl-key",     key,
                            "--host",    "127.0.0.1", "--port",       "0",
                            "--port-file", port_file, "--max-seconds", "240"};
    size_t argc = 20;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    sv->pid = fork();
    assert_true(sv->pid >= 0);
    if (sv->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 2) < 0 || close(fd) != 0)
            _exit(126);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    free(bin);
    /* Wait (bounded) for the port the server reports once it listens. */
    for (int waited = 0; waited < 30000 && sv->port == 0; waited += 20) {
        FILE *f = fopen(port_file, "r");
        if (f != NULL) {
            if (fscanf(f, "%d", &sv->port) != 1)
                sv->port = 0;
            fclose(f);
        }
        if (sv->port == 0) {
            assert_int_equal(waitpid(sv->pid, NULL, WNOHANG), 0);
            sleep_ms(20);
        }
    }
    assert_true(sv->port > 0);
    sv->fds0 = nfds(sv->pid);
}

static bool hello_answered(int port);
static int log_count(const struct server *sv, const char *needle);

/* Stop the server (SIGTERM: it logs its counters) and reap it, once. */
static void server_halt(struct server *sv)
{
    if (sv->pid > 0 && !sv->halted) {
        kill(sv->pid, SIGTERM);
        waitpid(sv->pid, NULL, 0);
        sv->halted = true;
    }
}

/* Teardown of every case, also after a failed assertion: stop the server, remove its files. */
static int server_stop(void **state)
{
    struct server *sv = *state;
    if (sv == NULL)
        return 0;
    int rc = 0;
    if (sv->pid > 0) {
        server_halt(sv);
        /* Sanitizer builds: a report in the server's log (leaks are reported at exit) fails. */
        if (log_count(sv, "ERROR: AddressSanitizer") + log_count(sv, "ERROR: LeakSanitizer") +
                log_count(sv, "runtime error:") >
            0) {
            fprintf(stderr, "sanitizer report in %s/server.log (kept)\n", sv->dir);
            rc = -1;
        }
    }
    if (rc == 0)
        mse_test_rmtree(sv->dir);
    free(sv->dir);
    free(sv);
    *state = NULL;
    return rc;
}

static int server_alloc(void **state)
{
    *state = calloc(1, sizeof(struct server));
    return *state == NULL ? -1 : 0;
}

/* The sockets of the server once a normal request is answered and its connection gone. */
static int baseline_fds(const struct server *sv)
{
    assert_true(hello_answered(sv->port));
    int n = wait_fds(sv->pid, sv->fds0, false, 10000);
    assert_int_equal(n, sv->fds0);
    return n;
}

/* Lines of the server's log containing `needle`. */
static int log_count(const struct server *sv, const char *needle)
{
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/server.log", sv->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, needle) != NULL)
            n++;
    fclose(f);
    return n;
}

/* A normal HTTPS request, answered with the hello body within 10 s. */
static bool hello_answered(int port)
{
    struct mse_endpoint ep;
    char target[32], err[256] = "";
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    if (mse_endpoint_parse(target, &ep) != MSE_OK)
        return false;
    struct mse_tls_conn *c = NULL;
    if (mse_tls_connect(&ep, 10000, &c, err, sizeof err) != MSE_OK) {
        fprintf(stderr, "probe: %s\n", err);
        return false;
    }
    static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    char buf[2048];
    size_t have = 0, got = 0;
    bool ok = mse_tls_write(c, req, sizeof req - 1, 10000) == MSE_OK;
    while (ok && have + 1 < sizeof buf) {
        if (mse_tls_read(c, buf + have, sizeof buf - 1 - have, &got, 10000) != MSE_OK || got == 0)
            break;
        have += got;
    }
    buf[have] = '\0';
    mse_tls_close(c);
    return ok && strncmp(buf, "HTTP/1.1 200", 12) == 0 &&
           strstr(buf, "Hello from the enclave!") != NULL;
}

/* A non-blocking TCP connection to 127.0.0.1:port being made (connect in progress or done). */
static int connect_start(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    assert_true(rc == 0 || errno == EINPROGRESS);
    return fd;
}

/* Close with SO_LINGER 0: the peer gets a RST instead of a FIN. */
static void close_rst(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void test_flood_rst(void **state)
{
    struct server *sv = *state;
    server_start(sv, NULL);
    int fds0 = baseline_fds(sv);
    long rss0 = rss_kb(sv->pid), rss_max = rss0;

    struct pollfd slot[FLOOD_INFLIGHT];
    for (int i = 0; i < FLOOD_INFLIGHT; i++)
        slot[i] = (struct pollfd){.fd = -1, .events = POLLOUT};
    int started = 0, finished = 0, failed = 0;
    time_t t0 = time(NULL);
    while (finished < FLOOD_TOTAL) {
        assert_true(time(NULL) - t0 < 420); /* bounded even if the server stalls */
        for (int i = 0; i < FLOOD_INFLIGHT; i++)
            if (slot[i].fd < 0 && started < FLOOD_TOTAL) {
                slot[i].fd = connect_start(sv->port);
                started++;
            }
        int n = poll(slot, FLOOD_INFLIGHT, 1000);
        assert_true(n >= 0 || errno == EINTR);
        for (int i = 0; i < FLOOD_INFLIGHT; i++) {
            if (slot[i].fd < 0 || slot[i].revents == 0)
                continue;
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            (void)getsockopt(slot[i].fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            if (soerr != 0)
                failed++;
            close_rst(slot[i].fd);
            slot[i].fd = -1;
            if (++finished % FLOOD_PROBE_EVERY == 0) {
                long r = rss_kb(sv->pid);
                if (r > rss_max)
                    rss_max = r;
                if (!hello_answered(sv->port))
                    fail_msg("no answer to a normal request after %d flood connections",
                             finished);
            }
        }
    }
    long rss_end = rss_kb(sv->pid);
    if (rss_end > rss_max)
        rss_max = rss_end;
    /* Every reset connection is released (a probe may still be closing: +2). */
    int fds1 = wait_fds(sv->pid, fds0 + 2, false, 30000);
    /* The heap is given back at the server's next once-a-second tick: wait for it (bounded). */
    long rss1 = rss_kb(sv->pid);
    for (int waited = 0; waited < 10000 && rss1 >= rss0 + 8 * 1024; waited += 100) {
        sleep_ms(100);
        rss1 = rss_kb(sv->pid);
    }
    fprintf(stderr,
            "flood: %d connect+RST (%d refused by the kernel), %d in flight, %ld s; server RSS "
            "%ld kB at start, at most %ld kB, %ld kB after; sockets %d -> %d\n",
            FLOOD_TOTAL, failed, FLOOD_INFLIGHT, (long)(time(NULL) - t0), rss0, rss_max, rss1,
            fds0, fds1);
    assert_true(fds1 <= fds0 + 2);
    if (MEMORY_ASSERTED) {
        assert_true(rss_max < FLOOD_RSS_MAX_KB);
        /* The memory of the flood is given back (malloc_trim), not kept by the allocator. */
        assert_true(rss1 < rss0 + 8 * 1024);
    }
    assert_true(hello_answered(sv->port));
}

/*
 * Memory per idle connection: `count` connections held open, each having sent
 * `prefix` (possibly nothing), counted once the server accepted all of them.
 */
static void measure_idle(struct server *sv, const char *what, const void *prefix,
                         size_t prefix_len, long max_kb)
{
    server_start(sv, NULL);
    int fds0 = baseline_fds(sv);
    /* Twice: the second round shows the heap given back after the first is reused. */
    int fd[IDLE_CONNS];
    for (int round = 0; round < 2; round++) {
        long rss0 = rss_kb(sv->pid);
        for (int i = 0; i < IDLE_CONNS; i++) {
            fd[i] = connect_start(sv->port);
            struct pollfd p = {.fd = fd[i], .events = POLLOUT};
            assert_int_equal(poll(&p, 1, 10000), 1);
            if (prefix_len > 0)
                assert_int_equal(send(fd[i], prefix, prefix_len, MSG_NOSIGNAL), (ssize_t)prefix_len);
        }
        int held = wait_fds(sv->pid, fds0 + IDLE_CONNS, true, 30000);
        if (held < fds0 + IDLE_CONNS)
            fail_msg("%s: the server holds %d sockets, expected %d + %d", what, held, fds0,
                     IDLE_CONNS);
        /* Let the server read what was sent: a TLS record header makes it allocate. */
        sleep_ms(300);
        long rss1 = rss_kb(sv->pid);
        long per = (rss1 - rss0) * 1024 / IDLE_CONNS;
        fprintf(stderr, "%s, round %d: %d connections, server RSS %ld -> %ld kB (%ld bytes each)\n",
                what, round + 1, IDLE_CONNS, rss0, rss1, per);
        if (MEMORY_ASSERTED && per > max_kb * 1024)
            fail_msg("%s: %ld bytes per connection, more than %ld kB", what, per, max_kb);
        for (int i = 0; i < IDLE_CONNS; i++)
            close(fd[i]);
        assert_true(wait_fds(sv->pid, fds0 + 2, false, 30000) <= fds0 + 2);
    }
    assert_true(hello_answered(sv->port));
}

static void test_idle_memory(void **state)
{
    measure_idle(*state, "idle (no bytes sent)", NULL, 0, PER_CONN_MAX_KB);
}

static void test_half_open_memory(void **state)
{
    /*
     * The header of a TLS handshake record announcing 512 bytes that never come.
     * OpenSSL would hold its record and handshake buffers (about 48 KiB) while
     * waiting; the server's first-record gate leaves the bytes in the kernel.
     */
    static const uint8_t record_header[] = {0x16, 0x03, 0x01, 0x02, 0x00};
    measure_idle(*state, "half-open (TLS record header only)", record_header,
                 sizeof record_header, PER_CONN_MAX_KB);
}

/* OpenSSL's TLS client (1.2-1.3) over memory BIOs: the test carries its bytes. */
struct mem_tls {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio; /* what the server sent, what the client has to send */
};

/* A client started: its ClientHello (one record, as OpenSSL sends it) into out; its length. */
static size_t mem_tls_start(struct mem_tls *t, uint8_t *out, size_t cap)
{
    t->ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(t->ctx);
    t->ssl = SSL_new(t->ctx);
    assert_non_null(t->ssl);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    assert_non_null(t->rbio);
    assert_non_null(t->wbio);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_tlsext_host_name(t->ssl, "localhost");
    assert_true(SSL_connect(t->ssl) <= 0); /* waits for the server's answer */
    int n = BIO_read(t->wbio, out, (int)cap);
    assert_true(n > 9 && (size_t)n < cap && out[0] == 0x16 &&
                n == 5 + ((out[3] << 8) | out[4]));
    return (size_t)n;
}

static void mem_tls_free(struct mem_tls *t)
{
    SSL_free(t->ssl); /* and its BIOs */
    SSL_CTX_free(t->ctx);
}

/* A real ClientHello, in one record. */
static size_t client_hello(uint8_t *out, size_t cap)
{
    struct mem_tls t;
    size_t n = mem_tls_start(&t, out, cap);
    mem_tls_free(&t);
    return n;
}

static void test_client_hello_memory(void **state)
{
    /*
     * A complete ClientHello and then silence: the server has answered and waits
     * for the client's second flight, holding its handshake state (the record
     * buffers are released while empty).
     */
    uint8_t hello[4096];
    size_t len = client_hello(hello, sizeof hello);
    measure_idle(*state, "mid-handshake (ClientHello, then nothing)", hello, len,
                 MID_HANDSHAKE_MAX_KB);
}

/* True once the server closed (or reset) the connection, waiting at most 10 s. */
static bool closed_by_server(int fd)
{
    char buf[256];
    for (int waited = 0; waited < 10000; waited += 20) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) == 1) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                return true;
        }
    }
    return false;
}

/* Everything the client's TLS wrote, sent on fd (a non-blocking socket: poll for room). */
static void flush_to(BIO *wbio, int fd)
{
    uint8_t out[16384];
    int n;
    while ((n = BIO_read(wbio, out, sizeof out)) > 0) {
        for (int sent = 0; sent < n;) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            assert_int_equal(poll(&p, 1, 10000), 1);
            ssize_t k = send(fd, out + sent, (size_t)(n - sent), MSG_NOSIGNAL);
            assert_true(k > 0);
            sent += (int)k;
        }
    }
}

/*
 * OpenSSL's ClientHello fragmented over handshake records of `piece` bytes,
 * as some clients send it on purpose, sent in two writes cut inside a record
 * with a pause between (the server waits at its gate for the rest), then the
 * handshake and one request. Returns the answer's start ("" if the server
 * closed first), within 10 s per wait.
 */
static void fragmented_hello_request(int port, size_t piece, char *answer, size_t cap)
{
    struct mem_tls t;
    uint8_t hello[4096], flight[3 * 4096];
    size_t len = 0, body = mem_tls_start(&t, hello, sizeof hello) - 5;
    SSL *ssl = t.ssl;
    for (size_t off = 0; off < body; off += piece) {
        size_t k = body - off < piece ? body - off : piece;
        assert_true(len + 5 + k <= sizeof flight);
        const uint8_t header[5] = {0x16, hello[1], hello[2], (uint8_t)(k >> 8), (uint8_t)k};
        memcpy(flight + len, header, 5);
        memcpy(flight + len + 5, hello + 5 + off, k);
        len += 5 + k;
    }
    int fd = connect_start(port);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    assert_int_equal(poll(&p, 1, 10000), 1);
    size_t cut = len / 2 + 1;
    assert_int_equal(send(fd, flight, cut, MSG_NOSIGNAL), (ssize_t)cut);
    sleep_ms(100);
    /* Fails when the server refused the first part already: the answer tells. */
    (void)send(fd, flight + cut, len - cut, MSG_NOSIGNAL);
    static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    bool requested = false;
    size_t got = 0;
    for (int rounds = 0; rounds < 1000 && got + 1 < cap; rounds++) {
        int r = requested ? SSL_read(ssl, answer + got, (int)(cap - 1 - got)) : SSL_do_handshake(ssl);
        if (r > 0) {
            if (requested)
                got += (size_t)r;
            else
                requested = SSL_write(ssl, req, (int)sizeof req - 1) == (int)sizeof req - 1;
            flush_to(t.wbio, fd);
            continue;
        }
        flush_to(t.wbio, fd);
        if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ)
            break;
        uint8_t in[16384];
        p = (struct pollfd){.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10000) != 1)
            break;
        ssize_t k = recv(fd, in, sizeof in, 0);
        if (k <= 0)
            break;
        assert_int_equal(BIO_write(t.rbio, in, (int)k), (int)k);
    }
    answer[got] = '\0';
    close(fd);
    mem_tls_free(&t);
}

static void test_first_record_refused(void **state)
{
    struct server *sv = *state;
    server_start(sv, NULL);
    (void)baseline_fds(sv);
    uint8_t hello[4096];
    size_t len = client_hello(hello, sizeof hello);
    /* A ClientHello announcing 100,000 bytes (more than 2^14), in a record of 100. */
    uint8_t huge[5 + 100] = {0x16, 0x03, 0x01, 0x00, 100, 0x01, 0x01, 0x86, 0xa0};
    /* A record longer than 2^14 (RFC 8446 5.1: record_overflow). */
    static const uint8_t too_long[] = {0x16, 0x03, 0x01, 0x40, 0x01};
    /* A handshake record too short for a handshake message header (3 of 4 bytes). */
    static const uint8_t too_short[] = {0x16, 0x03, 0x01, 0x00, 0x03, 0x01, 0x00, 0x00};
    /* A handshake record whose first message is not a ClientHello. */
    uint8_t not_hello[5 + 40] = {0x16, 0x03, 0x01, 0x00, 40, 0x02, 0x00, 0x00, 36};
    const struct {
        const char *what;
        const uint8_t *bytes;
        size_t len;
    } bad[] = {
        {"ClientHello over 2^14 bytes", huge, sizeof huge},
        {"record over 2^14", too_long, sizeof too_long},
        {"record shorter than a handshake header", too_short, sizeof too_short},
        {"not a ClientHello", not_hello, sizeof not_hello},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = connect_start(sv->port);
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        assert_int_equal(poll(&p, 1, 10000), 1);
        assert_int_equal(send(fd, bad[i].bytes, bad[i].len, MSG_NOSIGNAL), (ssize_t)bad[i].len);
        if (!closed_by_server(fd))
            fail_msg("%s: the server kept the connection open", bad[i].what);
        close(fd);
    }
    /* The refusals are counted in one log line per second, not one per connection. */
    int lines = 0;
    for (int waited = 0; waited < 5000 && lines == 0; waited += 50) {
        sleep_ms(50);
        lines = log_count(sv, "refused at their first TLS record");
    }
    assert_true(lines >= 1 && lines <= 3);
    /* A ClientHello sent in two pieces (header, then the rest) is waited for and served. */
    int fd = connect_start(sv->port);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    assert_int_equal(poll(&p, 1, 10000), 1);
    assert_int_equal(send(fd, hello, 3, MSG_NOSIGNAL), 3);
    sleep_ms(100);
    assert_int_equal(send(fd, hello + 3, len - 3, MSG_NOSIGNAL), (ssize_t)(len - 3));
    uint8_t answer[5];
    p = (struct pollfd){.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 10000), 1);
    assert_int_equal(recv(fd, answer, sizeof answer, 0), (ssize_t)sizeof answer);
    assert_int_equal(answer[0], 0x16); /* the ServerHello's record */
    close(fd);
    /* A ClientHello fragmented over records of 64 bytes: waited for whole, and served. */
    char reply[2048];
    fragmented_hello_request(sv->port, 64, reply, sizeof reply);
    if (strncmp(reply, "HTTP/1.1 200", 12) != 0 || strstr(reply, "Hello from the enclave!") == NULL)
        fail_msg("fragmented ClientHello: answered \"%.40s\"", reply);
    /* Over records of 4 bytes: more than 32 records, refused. */
    fragmented_hello_request(sv->port, 4, reply, sizeof reply);
    assert_string_equal(reply, "");
    assert_true(hello_answered(sv->port));
}

/* Connections waiting in the kernel's accept queue of the server's listening socket
 * (/proc/net/tcp: rx_queue of the listening entry), or -1 if it is not found. */
static int accept_queue(int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[512];
    int n = -1;
    while (n < 0 && fgets(line, sizeof line, f) != NULL) {
        unsigned local_port = 0, state = 0, rx = 0;
        if (sscanf(line, " %*u: %*x:%x %*x:%*x %x %*x:%x", &local_port, &state, &rx) == 3 &&
            local_port == (unsigned)port && state == 0x0a /* TCP_LISTEN */)
            n = (int)rx;
    }
    fclose(f);
    return n;
}

static int wait_accept_queue(int port, int want)
{
    int n = accept_queue(port);
    for (int waited = 0; waited < 10000 && n != want; waited += 10) {
        sleep_ms(10);
        n = accept_queue(port);
    }
    return n;
}

/* Until what was sent on fd is acknowledged: in the peer socket's receive queue (10 s). */
static void wait_acked(int fd)
{
    int unacked = -1;
    for (int waited = 0; waited < 10000; waited += 5) {
        assert_int_equal(ioctl(fd, SIOCOUTQ, &unacked), 0);
        if (unacked == 0)
            return;
        sleep_ms(5);
    }
    fail_msg("%d bytes sent never acknowledged", unacked);
}

/* From the server's last line ("stopped (...)"): the counter logged before `label`. */
static unsigned long stop_counter(const struct server *sv, const char *label)
{
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/server.log", sv->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    unsigned long n = 0;
    bool found = false;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, "mse-enclave: stopped (") == NULL)
            continue;
        const char *at = strstr(line, label);
        assert_non_null(at);
        while (at > line && at[-1] == ' ')
            at--;
        while (at > line && at[-1] >= '0' && at[-1] <= '9')
            at--;
        n = strtoul(at, NULL, 10);
        found = true;
    }
    fclose(f);
    assert_true(found);
    return n;
}

/*
 * The first record judged when the server takes the connection (srv_gate.c).
 * The server is held at --max-connections 1 by an idle connection, so the next
 * one waits in the kernel's accept queue with its first bytes in (sent and
 * acknowledged); closing the idle one lets the server take it:
 *   - a whole ClientHello is answered (its ServerHello comes), without the gate;
 *   - a ClientHello record header alone is gated, and the ClientHello answered
 *     once the rest follows after a pause;
 *   - a handshake record that is no ClientHello is refused and closed, whole or
 *     header first (waited for through the gate, then refused).
 * The stop line counts the refusals exactly and the connections taken without
 * the gate: the whole ClientHello, and the header-first one only if its rest
 * came before the server took it (a race with the pause, never an error).
 */
static void test_first_record_at_accept(void **state)
{
    static const char *const extra[] = {"--max-connections", "1", NULL};
    struct server *sv = *state;
    server_start(sv, extra);
    uint8_t hello[4096];
    size_t len = client_hello(hello, sizeof hello);
    uint8_t not_hello[5 + 40] = {0x16, 0x03, 0x01, 0x00, 40, 0x02, 0x00, 0x00, 36};
    const struct {
        const char *what;
        const uint8_t *bytes;
        size_t len, first; /* first: bytes in before the server takes the connection */
        bool served;
    } cases[] = {
        {"whole ClientHello", hello, len, len, true},
        {"ClientHello record header, then the rest", hello, len, 5, true},
        {"whole record that is no ClientHello", not_hello, sizeof not_hello, sizeof not_hello,
         false},
        {"header of a record that is no ClientHello, then the rest", not_hello,
         sizeof not_hello, 9, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int hold = connect_start(sv->port);
        struct pollfd p = {.fd = hold, .events = POLLOUT};
        assert_int_equal(poll(&p, 1, 10000), 1);
        assert_true(wait_fds(sv->pid, sv->fds0 + 1, true, 10000) >= sv->fds0 + 1);
        assert_int_equal(wait_accept_queue(sv->port, 0), 0);
        int fd = connect_start(sv->port);
        p = (struct pollfd){.fd = fd, .events = POLLOUT};
        assert_int_equal(poll(&p, 1, 10000), 1);
        assert_int_equal(send(fd, cases[i].bytes, cases[i].first, MSG_NOSIGNAL),
                         (ssize_t)cases[i].first);
        wait_acked(fd);
        if (accept_queue(sv->port) != 1)
            fail_msg("%s: not waiting in the accept queue (%d)", cases[i].what,
                     accept_queue(sv->port));
        close(hold);
        assert_int_equal(wait_accept_queue(sv->port, 0), 0);
        if (cases[i].first < cases[i].len) {
            sleep_ms(100); /* a pause: the server has taken it and waits at its gate */
            size_t rest = cases[i].len - cases[i].first;
            assert_int_equal(send(fd, cases[i].bytes + cases[i].first, rest, MSG_NOSIGNAL),
                             (ssize_t)rest);
        }
        if (cases[i].served) {
            uint8_t answer[5];
            p = (struct pollfd){.fd = fd, .events = POLLIN};
            if (poll(&p, 1, 10000) != 1 || recv(fd, answer, sizeof answer, 0) != 5 ||
                answer[0] != 0x16)
                fail_msg("%s: no ServerHello", cases[i].what);
        } else if (!closed_by_server(fd)) {
            fail_msg("%s: the server kept the connection open", cases[i].what);
        }
        close(fd);
        assert_true(wait_fds(sv->pid, sv->fds0, false, 10000) <= sv->fds0);
    }
    server_halt(sv);
    assert_int_equal(stop_counter(sv, "refused at their first TLS record"), 2);
    unsigned long at_accept = stop_counter(sv, "with their first TLS record in at accept");
    fprintf(stderr, "first record at accept: %lu of 4 connection(s) taken without the gate\n",
            at_accept);
    if (at_accept < 1 || at_accept > 2)
        fail_msg("%lu connection(s) taken without the gate, expected 1 (or 2)", at_accept);
}

static void test_max_connections(void **state)
{
    enum { CAP = 16, EXTRA = 10 };
    static const char *const extra[] = {"--max-connections", "16", NULL};
    struct server *sv = *state;
    server_start(sv, extra);
    int fds0 = baseline_fds(sv);
    int fd[CAP + EXTRA];
    for (int i = 0; i < CAP + EXTRA; i++) {
        fd[i] = connect_start(sv->port);
        struct pollfd p = {.fd = fd[i], .events = POLLOUT};
        assert_int_equal(poll(&p, 1, 10000), 1); /* the kernel's queue completes the handshake */
    }
    /* Exactly CAP are taken by the server; the others wait unaccepted. */
    int held = wait_fds(sv->pid, fds0 + CAP, true, 30000);
    if (held < fds0 + CAP)
        fail_msg("the server holds %d sockets, expected %d + %d (log: %s/server.log)", held,
                 fds0, CAP, sv->dir);
    sleep_ms(300); /* give a wrong server the time to take more: it must not */
    assert_int_equal(nfds(sv->pid), fds0 + CAP);
    assert_true(log_count(sv, "connection limit (16) reached") == 1);
    /* Freed slots take the waiting connections, and requests are answered again. */
    for (int i = 0; i < CAP; i++)
        close(fd[i]);
    assert_true(wait_fds(sv->pid, fds0 + EXTRA, true, 30000) >= fds0 + EXTRA);
    for (int i = CAP; i < CAP + EXTRA; i++)
        close(fd[i]);
    assert_true(wait_fds(sv->pid, fds0 + 2, false, 30000) <= fds0 + 2);
    assert_true(hello_answered(sv->port));
}

int main(void)
{
    /* The whole run is bounded even if the server stops answering. */
    alarm(560); /* ctest's TIMEOUT for this test is 600 s (tests/CMakeLists.txt) */
    signal(SIGPIPE, SIG_IGN);
    /* One case at a time while debugging: MSE_TEST_FILTER=test_flood_rst. */
    if (getenv("MSE_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("MSE_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_max_connections, server_alloc, server_stop),
        cmocka_unit_test_setup_teardown(test_idle_memory, server_alloc, server_stop),
        cmocka_unit_test_setup_teardown(test_half_open_memory, server_alloc, server_stop),
        cmocka_unit_test_setup_teardown(test_client_hello_memory, server_alloc, server_stop),
        cmocka_unit_test_setup_teardown(test_first_record_refused, server_alloc, server_stop),
        cmocka_unit_test_setup_teardown(test_first_record_at_accept, server_alloc, server_stop),
        cmocka_unit_test_setup_teardown(test_flood_rst, server_alloc, server_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

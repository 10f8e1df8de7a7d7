/*
 * mse configure DOMAIN --context FILE [--ssl-key PEM]: send an enclave the
 * app's secrets, but only after verifying it (docs/cmd/mse-configure.md).
 *
 * Order, and why:
 *   1. Everything local first (context, owner key matches the owner's
 *      certificate, request body): no network round trip is wasted and
 *      nothing is half-sent on a local mistake.
 *   2. One TLS connection to the configuration server. Its certificate is
 *      taken from THAT connection and verified as `mse verify` does
 *      (configure_verify below). TLS's own PKI check is off on purpose: the
 *      RA-TLS verification replaces it, and it pins the exact certificate
 *      whose key the handshake proved.
 *   3. Only if every check passed, the secrets are written on the same
 *      connection. Reconnecting would let a second server (or a second
 *      certificate) receive them. On any failure not one byte of the
 *      request is written.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "cli.h"
#include "cli_configure.h"
#include "util/context.h"
#include "util/util.h"

#define CONFIG_PATH "/.well-known/mse/configure"
#define RESPONSE_MAX (64 * 1024)
#define KEY_FILE_MAX (64 * 1024)

struct configure_opts {
    const char *domain;
    const char *port;
    const char *connect_host; /* --connect HOST: where to dial instead of DOMAIN */
    const char *context;
    const char *ssl_key;
    const char *fingerprint;
    const char *code_dir; /* plain code, to compute the fingerprint from the context */
    int timeout;
    struct configure_verify_opts verify;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mse configure DOMAIN --context FILE [options]\n"
            "\n"
            "  --context FILE       the context made by `mse context new`\n"
            "  --ssl-key PEM        app owner trust: the private key of the owner's certificate\n"
            "  --port N             configuration server port (default 443)\n"
            "  --connect HOST       dial HOST instead of DOMAIN (SNI and checks still use DOMAIN)\n"
            "  --code DIR           the plain code: fingerprint computed from the context\n"
            "  --fingerprint HEX    expected MRENCLAVE (when not computed from the context)\n"
            "  --pccs URL           PCCS for the collateral (as mse verify)\n"
            "  --collateral FILE    collateral from an evidence bundle (offline) instead\n"
            "  --trust-root PEM     root CA instead of Intel's (simulator)\n"
            "  --timeout S          network timeout in seconds (default 30)\n");
}

/* The secrets as JSON; *body is wiped and freed by the caller. */
MSE_MUST_USE static mse_err build_body(const struct mse_context *ctx, const char *key_pem,
                                       char **body)
{
    char key_hex[2 * MSE_CODE_KEY_BYTES + 1];
    json_t *o = json_object();
    MSE_ENSURE(o != NULL, MSE_ERR_NOMEM);
    mse_hex_encode(ctx->code_secret_key, MSE_CODE_KEY_BYTES, key_hex);
    int rc = json_object_set_new(o, "uuid", json_string(ctx->instance_id));
    rc |= json_object_set_new(o, "code_secret_key", json_string(key_hex));
    mse_wipe(key_hex, sizeof key_hex);
    if (key_pem != NULL)
        rc |= json_object_set_new(o, "ssl_private_key", json_string(key_pem));
    *body = rc == 0 ? json_dumps(o, JSON_COMPACT) : NULL;
    /* jansson's copies of the secrets: wipe them before they are freed. */
    json_t *v = json_object_get(o, "code_secret_key");
    if (json_is_string(v))
        mse_wipe((char *)json_string_value(v), json_string_length(v));
    v = json_object_get(o, "ssl_private_key");
    if (json_is_string(v))
        mse_wipe((char *)json_string_value(v), json_string_length(v));
    json_decref(o);
    MSE_ENSURE(*body != NULL, MSE_ERR_NOMEM);
    return MSE_OK;
}

/* Owner mode: refuse locally a key that is not the owner certificate's. */
MSE_MUST_USE static mse_err check_owner_key(const char *cert_pem, const char *key_pem)
{
    mse_err err = MSE_OK;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    BIO *b = BIO_new_mem_buf(cert_pem, -1);
    x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    MSE_ENSURE_OUT(x != NULL, MSE_ERR_PEM);
    b = BIO_new_mem_buf(key_pem, -1);
    k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    MSE_ENSURE_OUT(k != NULL, MSE_ERR_PEM);
    MSE_ENSURE_OUT(X509_check_private_key(x, k) == 1, MSE_ERR_ARG);
out:
    ERR_clear_error();
    EVP_PKEY_free(k);
    X509_free(x);
    return err;
}

MSE_MUST_USE static mse_err dial(const char *host, const char *port, int timeout, int *fd_out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    MSE_ENSURE(getaddrinfo(host, port, &hints, &res) == 0 && res != NULL, MSE_ERR_NET_RESOLVE);
    mse_err err = MSE_ERR_NET_CONNECT;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {timeout, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            *fd_out = fd;
            err = MSE_OK;
            break;
        }
        err = errno == EINPROGRESS || errno == ETIMEDOUT ? MSE_ERR_NET_TIMEOUT : MSE_ERR_NET_CONNECT;
        close(fd);
    }
    freeaddrinfo(res);
    return err;
}

/* TLS to the configuration server; the peer certificate (DER) of this very session. */
MSE_MUST_USE static mse_err tls_open(const struct configure_opts *o, SSL_CTX **ctx_out,
                                     SSL **ssl_out, uint8_t **der, size_t *der_len)
{
    int fd = -1;
    mse_err err = MSE_OK;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    X509 *peer = NULL;
    MSE_TRY(dial(o->connect_host ? o->connect_host : o->domain, o->port, o->timeout, &fd));
    ctx = SSL_CTX_new(TLS_client_method());
    MSE_ENSURE_OUT(ctx != NULL, MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1, MSE_ERR_CRYPTO);
    /* Deliberately no PKI verification: see the file comment (step 2). */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    ssl = SSL_new(ctx);
    MSE_ENSURE_OUT(ssl != NULL, MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(SSL_set_tlsext_host_name(ssl, o->domain) == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(SSL_set_fd(ssl, fd) == 1, MSE_ERR_CRYPTO);
    fd = -1; /* closed with ssl (BIO_CLOSE is not set by SSL_set_fd: closed below) */
    MSE_ENSURE_OUT(SSL_connect(ssl) == 1, MSE_ERR_NET_TLS);
    peer = SSL_get1_peer_certificate(ssl);
    MSE_ENSURE_OUT(peer != NULL, MSE_ERR_NET_NO_CERT);
    int n = i2d_X509(peer, NULL);
    MSE_ENSURE_OUT(n > 0, MSE_ERR_CERT_PARSE);
    *der = malloc((size_t)n);
    MSE_ENSURE_OUT(*der != NULL, MSE_ERR_NOMEM);
    uint8_t *p = *der;
    MSE_ENSURE_OUT(i2d_X509(peer, &p) == n, MSE_ERR_CERT_PARSE);
    *der_len = (size_t)n;
    *ctx_out = ctx;
    *ssl_out = ssl;
    ctx = NULL;
    ssl = NULL;
out:
    X509_free(peer);
    if (ssl != NULL) {
        int sfd = SSL_get_fd(ssl);
        SSL_free(ssl);
        if (sfd >= 0)
            close(sfd);
    }
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    ERR_clear_error();
    return err;
}

MSE_MUST_USE static mse_err ssl_write_all(SSL *ssl, const char *p, size_t len)
{
    while (len > 0) {
        int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
        int n = SSL_write(ssl, p, chunk);
        MSE_ENSURE(n > 0, MSE_ERR_IO);
        p += n;
        len -= (size_t)n;
    }
    return MSE_OK;
}

/* Read the server's answer (Connection: close) and return its status code. */
MSE_MUST_USE static mse_err read_response(SSL *ssl, int *status, char *msg, size_t msg_cap)
{
    char *buf = malloc(RESPONSE_MAX + 1);
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    size_t used = 0;
    for (;;) {
        if (used == RESPONSE_MAX)
            break;
        int n = SSL_read(ssl, buf + used, (int)(RESPONSE_MAX - used));
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    int code = 0;
    mse_err err = MSE_OK;
    if (used < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || sscanf(buf + 9, "%3d", &code) != 1) {
        err = MSE_ERR_SERVER;
    } else {
        *status = code;
        const char *body = strstr(buf, "\r\n\r\n");
        snprintf(msg, msg_cap, "%s", body ? body + 4 : "");
        /* One line for humans. */
        for (char *q = msg; *q; q++)
            if (*q == '\n' || *q == '\r')
                *q = ' ';
    }
    free(buf);
    return err;
}

int mse_cli_configure(int argc, char **argv)
{
    struct mse_out out;
    mse_out_init(&out);
    struct configure_opts o;
    memset(&o, 0, sizeof o);
    o.port = "443";
    o.timeout = 30;
    static const struct option longopts[] = {
        {"context", required_argument, NULL, 'c'}, {"ssl-key", required_argument, NULL, 'k'},
        {"port", required_argument, NULL, 'p'},    {"connect", required_argument, NULL, 'C'},
        {"fingerprint", required_argument, NULL, 'f'}, {"pccs", required_argument, NULL, 'P'},
        {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"code", required_argument, NULL, 'D'},
        {"collateral", required_argument, NULL, 'E'},
        {"trust-root", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.context = optarg; break;
        case 'k': o.ssl_key = optarg; break;
        case 'p': o.port = optarg; break;
        case 'C': o.connect_host = optarg; break;
        case 'f': o.fingerprint = optarg; break;
        case 'D': o.code_dir = optarg; break;
        case 'E': o.verify.collateral = optarg; break;
        case 'R': o.verify.trust_root = optarg; break;
        case 'P': o.verify.pccs_url = optarg; break;
        case 't': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || v < 1 || v > 600)
                return mse_out_error(&out, MSE_ERR_ARG, "--timeout: 1 to 600 seconds");
            o.timeout = (int)v;
            break;
        }
        case 'h': usage(stdout); return MSE_EXIT_OK;
        default: usage(stderr); return MSE_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || o.context == NULL) {
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
    o.domain = argv[optind];
    o.verify.domain = o.domain;
    o.verify.timeout = o.timeout;

    struct mse_context ctx;
    memset(&ctx, 0, sizeof ctx);
    char *key_pem = NULL, *body = NULL, *request = NULL;
    size_t key_len = 0, body_len = 0, request_len = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    SSL_CTX *sctx = NULL;
    SSL *ssl = NULL;
    int rc = MSE_EXIT_OK;
    uint8_t mrenclave[32];
    char errbuf[256] = "", ctx_path[4096];
    /* --context takes a file, or the uuid of a context in the context directory. */
    const char *path = o.context;
    struct stat sb;
    if (stat(path, &sb) != 0 && mse_context_uuid_ok(path) &&
        mse_context_path(path, ctx_path, sizeof ctx_path) == MSE_OK)
        path = ctx_path;
    mse_err err = mse_context_load(path, &ctx, errbuf, sizeof errbuf);
    if (err == MSE_OK && (!ctx.has_instance || !ctx.has_key)) {
        err = MSE_ERR_CONTEXT;
        snprintf(errbuf, sizeof errbuf, "no [instance] id or no code_secret_key");
    }
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "--context %s: %s", o.context, errbuf);
        goto done;
    }
    /* The fingerprint: computed from the context and the plain code, else --fingerprint. */
    if (o.code_dir != NULL) {
        if (!ctx.has_runtime) {
            rc = mse_out_error(&out, MSE_ERR_CONTEXT,
                               "--code needs a context with a [runtime] section");
            goto done;
        }
        err = mse_fingerprint_context(&ctx, o.code_dir, mrenclave, NULL, NULL, errbuf,
                                      sizeof errbuf);
        if (err != MSE_OK) {
            rc = mse_out_error(&out, err, "fingerprint from the context: %s", errbuf);
            goto done;
        }
        if (o.fingerprint != NULL) {
            uint8_t given[32];
            if (mse_hex_decode(o.fingerprint, strlen(o.fingerprint), given, 32) != MSE_OK ||
                !mse_ct_eq(given, mrenclave, 32)) {
                rc = mse_out_error(&out, MSE_ERR_ARG_CONFLICT,
                                   "--fingerprint differs from the context's fingerprint");
                goto done;
            }
        }
        o.verify.mrenclave = mrenclave;
    } else if (o.fingerprint != NULL) {
        if (mse_hex_decode(o.fingerprint, strlen(o.fingerprint), mrenclave, 32) != MSE_OK) {
            rc = mse_out_error(&out, MSE_ERR_ARG_HEX, "--fingerprint: 64 hex digits");
            goto done;
        }
        o.verify.mrenclave = mrenclave;
    } else {
        mse_out_warn(&out, "no --code nor --fingerprint: the enclave's code (MRENCLAVE) will not "
                           "be checked");
    }
    const char *owner_cert = ctx.ssl_app_certificate;
    if ((owner_cert != NULL) != (o.ssl_key != NULL)) {
        rc = mse_out_error(&out, MSE_ERR_ARG_MISSING,
                           owner_cert ? "this context is app owner trust: give --ssl-key"
                                      : "--ssl-key is only for contexts with an owner certificate");
        goto done;
    }
    if (o.ssl_key != NULL) {
        err = mse_file_read(o.ssl_key, KEY_FILE_MAX, (uint8_t **)&key_pem, &key_len);
        if (err == MSE_OK)
            err = check_owner_key(owner_cert, key_pem);
        if (err != MSE_OK) {
            rc = mse_out_error(&out, err, "--ssl-key %s is not the key of the context's owner "
                                          "certificate", o.ssl_key);
            goto done;
        }
    }
    err = build_body(&ctx, key_pem, &body);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "configuration request");
        goto done;
    }
    body_len = strlen(body);

    err = tls_open(&o, &sctx, &ssl, &der, &der_len);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "%s:%s", o.connect_host ? o.connect_host : o.domain,
                           o.port);
        goto done;
    }
    char why[512] = "";
    err = mse_cli_configure_verify(der, der_len, &o.verify, why, sizeof why);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "%s was NOT verified; nothing was sent: %s", o.domain, why);
        goto done;
    }
    if (!out.quiet)
        fprintf(stderr, "%s verified; sending the configuration on the same connection\n",
                o.domain);

    FILE *f = open_memstream(&request, &request_len);
    if (f == NULL) {
        rc = mse_out_error(&out, MSE_ERR_NOMEM, "request");
        goto done;
    }
    fprintf(f,
            "POST " CONFIG_PATH " HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
            o.domain, body_len);
    fwrite(body, 1, body_len, f);
    if (fclose(f) != 0) {
        rc = mse_out_error(&out, MSE_ERR_NOMEM, "request");
        goto done;
    }
    err = ssl_write_all(ssl, request, request_len);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, MSE_ERR_IO, "sending the configuration");
        goto done;
    }
    int status = 0;
    char msg[512] = "";
    err = read_response(ssl, &status, msg, sizeof msg);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "no valid answer from the configuration server");
    } else if (status != 200) {
        rc = mse_out_error(&out, MSE_ERR_CONFIG_REFUSED, "HTTP %d: %s", status, msg);
    } else if (!out.quiet) {
        printf("configured %s: %s\n", o.domain, msg);
    }
done:
    if (ssl != NULL) {
        int sfd = SSL_get_fd(ssl);
        SSL_shutdown(ssl);
        SSL_free(ssl);
        if (sfd >= 0)
            close(sfd);
    }
    SSL_CTX_free(sctx);
    free(der);
    if (request != NULL) {
        mse_wipe(request, request_len);
        free(request);
    }
    if (body != NULL) {
        mse_wipe(body, body_len);
        free(body);
    }
    if (key_pem != NULL) {
        mse_wipe(key_pem, key_len);
        free(key_pem);
    }
    mse_context_free(&ctx);
    mse_wipe(mrenclave, sizeof mrenclave);
    return rc;
}

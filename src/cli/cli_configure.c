/*
 * mse configure DOMAIN --context FILE [--ssl-key PEM]: send an enclave the
 * app's secrets, but only after verifying it (docs/cmd/mse-configure.md).
 *
 * Order, and why:
 *   1. Everything local first (context, owner key matches the owner's
 *      certificate, policy and fingerprint, request body): nothing is
 *      half-sent on a local mistake.
 *   2. One TLS connection to the configuration server (mse_tls_connect; no
 *      web-PKI check, on purpose: the RA-TLS verification replaces it). Its
 *      certificate is taken from THAT connection, pre-checked locally
 *      (cli_configure_verify.c) and verified exactly as `mse verify` does
 *      (mse_verify_setup_init + mse_verify_online, cli_verify.h).
 *   3. Only if every check passed, the secrets are written on the same
 *      connection. Reconnecting would let another server, or another
 *      certificate, receive them. On any failure not one byte of the request
 *      is written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/net.h>
#include <mse/rd.h>

#include "cli.h"
#include "cli_configure.h"
#include "cli_verify.h"
#include "context/context.h"
#include "util/util.h"

#define CONFIG_PATH "/.well-known/mse/configure"
#define RESPONSE_MAX (64 * 1024)
#define KEY_FILE_MAX (64 * 1024)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mse configure DOMAIN[:PORT] --context FILE|UUID [options]\n"
            "\n"
            "Verifies DOMAIN's configuration server exactly as `mse verify` does, then sends\n"
            "it the app's secrets over that same TLS connection. Nothing is sent to a server\n"
            "that fails any check.\n"
            "\n"
            "  --context FILE|UUID        the context made by `mse context new`\n"
            "  --ssl-key PEM              app owner trust: the owner certificate's private key\n"
            "  --code DIR                 the plain code: expected MRENCLAVE from the context\n"
            "  --fingerprint HEX          expected MRENCLAVE (64 hex digits)\n"
            "  --signer-key PEM           operator's enclave signing public key (RSA-3072)\n"
            "  --mrsigner HEX             operator's MRSIGNER\n"
            "  --trust-root PEM           trust anchor instead of the Intel SGX Root CA (simulator)\n"
            "  --allow-debug              accept a debug enclave\n"
            "  --allow-tcb LIST           also accept these TCB statuses\n"
            "  --allow-expired-collateral go on past expired collateral\n"
            "  --pccs-url URL             PCCS / PCS base URL\n"
            "  --pccs-cacert FILE         CA certificate of the PCCS's TLS certificate\n"
            "  --pccs-insecure            do not validate the PCCS's TLS certificate\n"
            "  --offline                  use cached collateral only\n"
            "  --no-cache                 neither read nor write the collateral cache\n"
            "  --timeout SECONDS          network timeout (default 15)\n"
            "  --port N                   port, when DOMAIN has none (default 443)\n"
            "  --connect HOST             dial HOST instead of DOMAIN; the certificate must\n"
            "                             still be for DOMAIN\n"
            "  --quiet                    print only errors\n");
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

/*
 * The answer's status code and body (one line for humans, controls replaced).
 * The answer is the server's bytes: read with the bounded reader.
 */
MSE_MUST_USE static mse_err parse_response(const uint8_t *buf, size_t len, int *status, char *msg,
                                           size_t msg_cap)
{
    struct mse_rd rd;
    const uint8_t *p;
    uint8_t minor, sp, d[3];
    mse_rd_init(&rd, buf, len);
    MSE_TRY_AS(mse_rd_bytes(&rd, 7, &p), MSE_ERR_SERVER);
    MSE_ENSURE(memcmp(p, "HTTP/1.", 7) == 0, MSE_ERR_SERVER);
    MSE_TRY_AS(mse_rd_u8(&rd, &minor), MSE_ERR_SERVER);
    MSE_TRY_AS(mse_rd_u8(&rd, &sp), MSE_ERR_SERVER);
    MSE_ENSURE(sp == ' ', MSE_ERR_SERVER);
    MSE_TRY_AS(mse_rd_copy(&rd, d, 3), MSE_ERR_SERVER);
    for (int i = 0; i < 3; i++)
        MSE_ENSURE(d[i] >= '0' && d[i] <= '9', MSE_ERR_SERVER);
    *status = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    /* Skip the rest of the head: up to and including the blank line. */
    uint8_t c;
    unsigned state = 0; /* matched bytes of "\r\n\r\n" */
    while (state < 4 && mse_rd_u8(&rd, &c) == MSE_OK)
        state = (c == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (c == '\r' ? 1 : 0);
    size_t n = 0;
    while (n + 1 < msg_cap && mse_rd_u8(&rd, &c) == MSE_OK)
        msg[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    msg[n] = '\0';
    return MSE_OK;
}

/* Read the answer (the server closes after it) and return its status and body. */
MSE_MUST_USE static mse_err read_response(struct mse_tls_conn *c, int timeout_ms, int *status,
                                          char *msg, size_t msg_cap)
{
    uint8_t *buf = malloc(RESPONSE_MAX);
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    size_t used = 0;
    while (used < RESPONSE_MAX) {
        size_t got = 0;
        if (mse_tls_read(c, buf + used, RESPONSE_MAX - used, &got, timeout_ms) != MSE_OK ||
            got == 0)
            break;
        used += got;
    }
    mse_err err = parse_response(buf, used, status, msg, msg_cap);
    free(buf);
    return err;
}

int mse_cli_configure(int argc, char **argv)
{
    enum { O_CTX = 256, O_KEY, O_CODE, O_FP, O_SK, O_MRS, O_ROOT, O_DEBUG, O_TCB, O_EXPIRED,
           O_URL, O_CA, O_INSEC, O_OFFLINE, O_NOCACHE, O_TIMEOUT, O_QUIET, O_PORT, O_CONNECT };
    static const struct option longopts[] = {
        {"context", required_argument, NULL, O_CTX},
        {"ssl-key", required_argument, NULL, O_KEY},
        {"code", required_argument, NULL, O_CODE},
        {"fingerprint", required_argument, NULL, O_FP},
        {"signer-key", required_argument, NULL, O_SK},
        {"mrsigner", required_argument, NULL, O_MRS},
        {"trust-root", required_argument, NULL, O_ROOT},
        {"allow-debug", no_argument, NULL, O_DEBUG},
        {"allow-tcb", required_argument, NULL, O_TCB},
        {"allow-expired-collateral", no_argument, NULL, O_EXPIRED},
        {"pccs-url", required_argument, NULL, O_URL},
        {"pccs", required_argument, NULL, O_URL}, /* earlier spelling, kept */
        {"port", required_argument, NULL, O_PORT},
        {"connect", required_argument, NULL, O_CONNECT},
        {"pccs-cacert", required_argument, NULL, O_CA},
        {"pccs-insecure", no_argument, NULL, O_INSEC},
        {"offline", no_argument, NULL, O_OFFLINE},
        {"no-cache", no_argument, NULL, O_NOCACHE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct mse_out out;
    struct mse_verify_opts vo = {.timeout_ms = 15000};
    const char *context_arg = NULL, *ssl_key = NULL, *code = NULL, *port = NULL,
               *connect_host = NULL;
    int c;
    mse_out_init(&out);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_CTX: context_arg = optarg; break;
        case O_KEY: ssl_key = optarg; break;
        case O_CODE: code = optarg; break;
        case O_FP: vo.fingerprint = optarg; break;
        case O_SK: vo.signer_key = optarg; break;
        case O_MRS: vo.mrsigner = optarg; break;
        case O_ROOT: vo.trust_root = optarg; break;
        case O_DEBUG: vo.allow_debug = true; break;
        case O_TCB: vo.allow_tcb = optarg; break;
        case O_EXPIRED: vo.allow_expired = true; break;
        case O_URL: vo.pccs_url = optarg; break;
        case O_CA: vo.pccs_cacert = optarg; break;
        case O_INSEC: vo.pccs_insecure = true; break;
        case O_OFFLINE: vo.offline = true; break;
        case O_NOCACHE: vo.no_cache = true; break;
        case O_TIMEOUT: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || v < 1 || v > 600)
                return mse_out_error(&out, MSE_ERR_ARG, "--timeout takes 1 to 600 seconds");
            vo.timeout_ms = v * 1000;
            break;
        }
        case O_QUIET: out.quiet = true; break;
        case O_PORT: port = optarg; break;
        case O_CONNECT: connect_host = optarg; break;
        case 'h': usage(stdout); return MSE_EXIT_OK;
        default: usage(stderr); return MSE_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || context_arg == NULL) {
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
    const char *target = argv[optind];

    struct mse_context ctx;
    struct mse_verify_setup setup;
    struct mse_verify_result *result = NULL;
    struct mse_tls_conn *conn = NULL;
    struct mse_endpoint ep;
    bool setup_done = false;
    memset(&ctx, 0, sizeof ctx);
    char *key_pem = NULL, *body = NULL, *request = NULL;
    size_t key_len = 0, body_len = 0, request_len = 0;
    int rc = MSE_EXIT_OK;
    char errbuf[512] = "", ctx_path[4096];
    mse_err err;

    /* 1. Local: context (a file, or a uuid in the context directory), key, policy, body. */
    const char *path = context_arg;
    struct stat sb;
    if (stat(path, &sb) != 0 && mse_context_uuid_ok(path) &&
        mse_context_path(path, ctx_path, sizeof ctx_path) == MSE_OK)
        path = ctx_path;
    err = mse_context_load(path, &ctx, errbuf, sizeof errbuf);
    if (err == MSE_OK && (!ctx.has_instance || !ctx.has_key)) {
        err = MSE_ERR_CONTEXT;
        snprintf(errbuf, sizeof errbuf, "no [instance] id or no code_secret_key");
    }
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "--context %s: %s", context_arg, errbuf);
        goto done;
    }
    const char *owner_cert = ctx.ssl_app_certificate;
    if ((owner_cert != NULL) != (ssl_key != NULL)) {
        rc = mse_out_error(&out, MSE_ERR_ARG_MISSING,
                           owner_cert ? "this context is app owner trust: give --ssl-key"
                                      : "--ssl-key is only for contexts with an owner certificate");
        goto done;
    }
    if (ssl_key != NULL) {
        err = mse_file_read(ssl_key, KEY_FILE_MAX, (uint8_t **)&key_pem, &key_len);
        if (err == MSE_OK)
            err = check_owner_key(owner_cert, key_pem);
        if (err != MSE_OK) {
            rc = mse_out_error(&out, err,
                               "--ssl-key %s is not the key of the context's owner certificate",
                               ssl_key);
            goto done;
        }
    }
    if (code != NULL) {
        vo.context = path; /* the fingerprint from this context and the plain code */
        vo.code = code;
    }
    if ((rc = mse_verify_setup_init(&out, &vo, &setup)) != 0)
        goto done;
    setup_done = true;
    if (!setup.fingerprint_given && !out.quiet)
        mse_out_warn(&out, "no --code nor --fingerprint: the enclave's code (MRENCLAVE) is not "
                           "checked");
    err = build_body(&ctx, key_pem, &body);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "configuration request");
        goto done;
    }
    body_len = strlen(body);

    /* 2. One connection; its certificate is the one verified. */
    if (mse_endpoint_parse(target, &ep) != MSE_OK) {
        rc = mse_out_error(&out, MSE_ERR_ARG, "'%s' is not a host, host:port or URL", target);
        goto done;
    }
    char domain[sizeof ep.host];
    memcpy(domain, ep.host, sizeof domain);
    if (port != NULL) {
        char *end = NULL;
        long v = strtol(port, &end, 10);
        if (end == port || *end != '\0' || v < 1 || v > 65535) {
            rc = mse_out_error(&out, MSE_ERR_ARG, "--port: 1 to 65535");
            goto done;
        }
        snprintf(ep.port, sizeof ep.port, "%ld", v);
    }
    if (connect_host != NULL) {
        /* Dial elsewhere (tests, split DNS); the name checks still use DOMAIN. */
        struct mse_endpoint dial;
        if (mse_endpoint_parse(connect_host, &dial) != MSE_OK) {
            rc = mse_out_error(&out, MSE_ERR_ARG, "--connect '%s' is not a host", connect_host);
            goto done;
        }
        memcpy(ep.host, dial.host, sizeof ep.host);
        ep.host_is_ip = dial.host_is_ip;
    }
    err = mse_tls_connect(&ep, (int)vo.timeout_ms, &conn, errbuf, sizeof errbuf);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "%s: %s", target, errbuf[0] ? errbuf : mse_err_str(err));
        goto done;
    }
    const uint8_t *der = NULL;
    size_t der_len = 0;
    mse_tls_peer_cert(conn, &der, &der_len);
    struct configure_verify_opts pre = {domain,
                                        setup.fingerprint_given ? setup.mrenclave : NULL};
    err = mse_cli_configure_verify(der, der_len, &pre, errbuf, sizeof errbuf);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "%s was NOT verified; nothing was sent: %s", target, errbuf);
        goto done;
    }
    result = calloc(1, sizeof *result);
    if (result == NULL) {
        rc = mse_out_error(&out, MSE_ERR_NOMEM, "verification");
        goto done;
    }
    rc = mse_verify_online(&out, &vo, &setup, der, der_len, result);
    if (rc != 0 || !result->ok) {
        if (result->err != MSE_OK) {
            if (!out.quiet)
                mse_verify_print(&out, result);
            rc = mse_out_error(&out, result->err, "%s was NOT verified; nothing was sent: %s",
                               target, result->message);
        } else {
            /* Verification could not run (collateral, resources): already reported. */
            fprintf(stderr, "%s was NOT verified; nothing was sent\n", target);
            if (rc == 0)
                rc = MSE_EXIT_INTERNAL;
        }
        goto done;
    }
    if (!out.quiet)
        fprintf(stderr, "%s verified; sending the configuration on the same connection\n",
                target);

    /* 3. The secrets, on the verified connection. */
    FILE *f = open_memstream(&request, &request_len);
    if (f == NULL) {
        rc = mse_out_error(&out, MSE_ERR_NOMEM, "request");
        goto done;
    }
    fprintf(f,
            "POST " CONFIG_PATH " HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n",
            domain, body_len);
    fwrite(body, 1, body_len, f);
    if (fclose(f) != 0) {
        rc = mse_out_error(&out, MSE_ERR_NOMEM, "request");
        goto done;
    }
    err = mse_tls_write(conn, request, request_len, (int)vo.timeout_ms);
    if (err != MSE_OK) {
        rc = mse_out_error(&out, err, "sending the configuration");
        goto done;
    }
    int status = 0;
    char msg[512] = "";
    err = read_response(conn, (int)vo.timeout_ms, &status, msg, sizeof msg);
    if (err != MSE_OK)
        rc = mse_out_error(&out, err, "no valid answer from the configuration server");
    else if (status != 200)
        rc = mse_out_error(&out, MSE_ERR_CONFIG_REFUSED, "HTTP %d: %s", status, msg);
    else if (!out.quiet)
        printf("configured %s: %s\n", target, msg);
done:
    if (conn != NULL)
        mse_tls_close(conn);
    free(result);
    if (setup_done)
        mse_verify_setup_free(&setup);
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
    return rc;
}

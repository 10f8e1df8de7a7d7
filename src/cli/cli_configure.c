/*
 * mse configure DOMAIN --context FILE [--ssl-key PEM]: send an enclave the
 * app's secrets, but only after verifying it (docs/cmd/mse-configure.md).
 *
 * Three steps, and why in that order:
 *   1. configure_prepare: everything local first (context, owner key matches
 *      the owner's certificate, policy and fingerprint, request body): nothing
 *      is half-sent on a local mistake.
 *   2. configure_verify: one TLS connection to the configuration server
 *      (mse_tls_connect; no web-PKI check, on purpose: the RA-TLS
 *      verification replaces it). Its certificate is taken from THAT
 *      connection, pre-checked locally (cli_configure_verify.c) and verified
 *      exactly as `mse verify` does (cli_verify_setup_init +
 *      cli_verify_with_collateral, cli_policy.h).
 *   3. configure_send: only if every check passed, the secrets are written
 *      on the same connection. Reconnecting would let another server, or
 *      another certificate, receive them. On any failure not one byte of the
 *      request is written.
 */
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
#include "context/context.h"
#include "util/util.h"

#define CONFIG_PATH "/.well-known/mse/configure"
#define RESPONSE_MAX (64 * 1024)
#define KEY_FILE_MAX (64 * 1024)

enum configure_opt { C_CONTEXT = 1, C_SSL_KEY, C_PORT, C_CONNECT, C_QUIET, C_JSON };

static const struct mse_opt configure_app_options[] = {
    {"context", 0, "FILE|UUID", "the context made by `mse context new` (required)", C_CONTEXT,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_configure_args, context)},
    {"ssl-key", 0, "PEM", "app owner trust: the owner certificate's private key", C_SSL_KEY,
     MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct cli_configure_args, ssl_key)},
    {0},
};

static const struct mse_opt configure_connection_options[] = {
    {"port", 0, "N", "port, when DOMAIN has none (default 443)", C_PORT, 0,
     MSE_OPT_AT(MSE_OPT_STRING, struct cli_configure_args, port)},
    {"connect", 0, "HOST", "dial HOST instead of DOMAIN; the certificate must still be for DOMAIN",
     C_CONNECT, 0, MSE_OPT_AT(MSE_OPT_STRING, struct cli_configure_args, connect)},
    CLI_OPT_QUIET(struct cli_configure_args, C_QUIET, 0, "print only errors"),
    CLI_OPT_JSON(struct cli_configure_args, C_JSON, "print the outcome as one JSON object"),
    {0},
};

CLI_POLICY_ARGS_FIRST(struct cli_configure_args, policy);

static const struct mse_opt *const configure_tables[] = {
    configure_app_options, cli_policy_options, cli_collateral_options,
    configure_connection_options, NULL,
};

static const char *const configure_synopsis[] = {"DOMAIN[:PORT] --context FILE|UUID [options]",
                                                 NULL};

const struct mse_opt_cmd cli_configure_cmd = {
    .name = "mse configure",
    .summary = "verify an enclave, then send it the app's secrets",
    .synopsis = configure_synopsis,
    .description =
        "Verifies DOMAIN's configuration server exactly as `mse verify` does, then sends\n"
        "it the app's secrets over that same TLS connection. Nothing is sent to a server\n"
        "that fails any check. The policy and collateral options are those of mse verify.",
    .tables = configure_tables,
};

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
mse_err cli_configure_parse_response(const uint8_t *buf, size_t len, int *status, char *msg,
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
    /* The body's final newline is not part of the message (it ends the line it is printed on). */
    while (n > 0 && msg[n - 1] == ' ')
        n--;
    msg[n] = '\0';
    return MSE_OK;
}

/*
 * Read the answer (the server closes after it) and return its status and body.
 * The request is already sent: without an answer nobody knows whether it was
 * applied, and why says so and how to find out.
 */
MSE_MUST_USE static mse_err read_response(struct mse_tls_conn *c, int timeout_ms, int *status,
                                          char *msg, size_t msg_cap, char *why, size_t why_cap)
{
    uint8_t *buf = malloc(RESPONSE_MAX);
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    size_t used = 0;
    mse_err last = MSE_OK;
    /* One deadline for the whole answer: a server sending a byte now and then must not hold
     * the command for a timeout per read. */
    int64_t deadline = mse_monotonic_ms() + timeout_ms;
    while (used < RESPONSE_MAX) {
        size_t got = 0;
        int64_t left = deadline - mse_monotonic_ms();
        if (left <= 0) {
            last = MSE_ERR_NET_TIMEOUT;
            break;
        }
        last = mse_tls_read(c, buf + used, RESPONSE_MAX - used, &got, (int)left);
        if (last != MSE_OK || got == 0)
            break;
        used += got;
    }
    mse_err err = cli_configure_parse_response(buf, used, status, msg, msg_cap);
    free(buf);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err,
                       "the configuration was sent, but %s: whether the server applied it is "
                       "unknown (mse configure again answers HTTP 409 if it did)",
                       used > 0                      ? "its answer is not HTTP"
                       : last == MSE_ERR_NET_TIMEOUT ? "no answer came within the timeout"
                                                     : "the connection ended without an answer");
    return MSE_OK;
}

/* DOMAIN, --port and --connect: where to dial, and the name the certificate must carry. */
MSE_MUST_USE static mse_err parse_endpoint(struct cli_configure_args *a, char *why,
                                           size_t why_cap)
{
    if (mse_endpoint_parse(a->target, &a->dial) != MSE_OK)
        return mse_say(why, why_cap, MSE_ERR_ARG, "'%s' is not a host, host:port or URL",
                       a->target);
    memcpy(a->domain, a->dial.host, sizeof a->domain);
    if (a->port != NULL) {
        long v = 0;
        MSE_TRY(mse_opt_long("port", a->port, 1, 65535, "", &v, why, why_cap));
        snprintf(a->dial.port, sizeof a->dial.port, "%ld", v);
    }
    if (a->connect != NULL) {
        /* Dial elsewhere (tests, split DNS); the name checks still use DOMAIN. */
        struct mse_endpoint dial;
        if (mse_endpoint_parse(a->connect, &dial) != MSE_OK)
            return mse_say(why, why_cap, MSE_ERR_ARG, "--connect '%s' is not a host",
                           a->connect);
        memcpy(a->dial.host, dial.host, sizeof a->dial.host);
        a->dial.host_is_ip = dial.host_is_ip;
    }
    return MSE_OK;
}

/* The shared policy options (mse_opt_take_fn); the table stores the others. */
MSE_MUST_USE static mse_err configure_take(void *ctx, int id, const char *arg, char *why,
                                           size_t why_cap)
{
    struct cli_configure_args *a = ctx;
    return cli_policy_apply(&a->policy, id, arg, why, why_cap);
}

mse_err cli_configure_parse(int argc, char **argv, struct cli_configure_args *a, char *why,
                            size_t why_cap)
{
    memset(a, 0, sizeof *a);
    cli_policy_args_init(&a->policy);
    cli_out_init(&a->out);
    MSE_TRY(mse_opt_parse(&cli_configure_cmd, argc, argv, configure_take, a, &a->target, 1,
                          &a->help, why, why_cap));
    if (a->help)
        return MSE_OK;
    if (a->target == NULL)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "give the DOMAIN to configure");
    if (a->context == NULL)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--context FILE|UUID is required");
    a->policy.context = a->context; /* lets cli_policy_check accept --code */
    MSE_TRY(cli_policy_check(&a->policy, why, why_cap));
    return parse_endpoint(a, why, why_cap);
}

/* Step 1's product: everything local, made before any connection. */
struct configure_plan {
    struct mse_context ctx;
    char ctx_path[4096];
    struct cli_policy_args policy; /* the command's, with the context's resolved path */
    struct cli_verify_setup setup;
    bool setup_done;
    char *key_pem;                 /* --ssl-key's contents (a secret) */
    size_t key_len;
    char *body;                    /* the request body (secrets) */
    size_t body_len;
};

static void plan_free(struct configure_plan *p)
{
    if (p->setup_done)
        cli_verify_setup_free(&p->setup);
    if (p->body != NULL) {
        mse_wipe(p->body, p->body_len);
        free(p->body);
    }
    if (p->key_pem != NULL) {
        mse_wipe(p->key_pem, p->key_len);
        free(p->key_pem);
    }
    mse_context_free(&p->ctx);
}

/* The context: a file, or a uuid in the context directory. */
MSE_MUST_USE static mse_err load_context(const struct cli_configure_args *a,
                                         struct configure_plan *p, char *why, size_t why_cap)
{
    char reason[512] = "";
    struct stat sb;
    if (stat(a->context, &sb) == 0 || !mse_context_uuid_ok(a->context) ||
        mse_context_path(a->context, p->ctx_path, sizeof p->ctx_path) != MSE_OK)
        snprintf(p->ctx_path, sizeof p->ctx_path, "%s", a->context);
    mse_err err = mse_context_load(p->ctx_path, &p->ctx, reason, sizeof reason);
    if (err == MSE_OK && (!p->ctx.has_instance || !p->ctx.has_key))
        err = mse_say(reason, sizeof reason, MSE_ERR_CONTEXT,
                      "no [instance] id or no code_secret_key");
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "--context %s: %s", a->context, reason);
    return MSE_OK;
}

/* Step 1: context, owner key, policy and fingerprint, request body. */
MSE_MUST_USE static mse_err configure_prepare(const struct cli_configure_args *a, int64_t now,
                                              struct configure_plan *p, struct cli_notes *notes,
                                              char *why, size_t why_cap)
{
    MSE_TRY(load_context(a, p, why, why_cap));
    const char *owner_cert = p->ctx.ssl_app_certificate;
    if ((owner_cert != NULL) != (a->ssl_key != NULL))
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "%s",
                       owner_cert ? "this context is app owner trust: give --ssl-key"
                                  : "--ssl-key is only for contexts with an owner certificate");
    if (a->ssl_key != NULL) {
        mse_err err = mse_file_read(a->ssl_key, KEY_FILE_MAX, (uint8_t **)&p->key_pem,
                                    &p->key_len);
        if (err == MSE_OK)
            err = check_owner_key(owner_cert, p->key_pem);
        if (err != MSE_OK)
            return mse_say(why, why_cap, err,
                           "--ssl-key %s is not the key of the context's owner certificate",
                           a->ssl_key);
    }
    p->policy = a->policy;
    p->policy.context = p->ctx_path; /* with --code: the fingerprint from this context */
    MSE_TRY(cli_verify_setup_init(&p->policy, now, &p->setup, why, why_cap));
    p->setup_done = true;
    /* The pre-send check below needs the fingerprint: no overlap here. */
    MSE_TRY(cli_verify_setup_settle(&p->setup, why, why_cap));
    if (!p->setup.fingerprint_given)
        cli_note(notes, "no --code nor --fingerprint: the enclave's code (MRENCLAVE) is not "
                        "checked");
    mse_err err = build_body(&p->ctx, p->key_pem, &p->body);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "configuration request: %s", mse_err_str(err));
    p->body_len = strlen(p->body);
    return MSE_OK;
}

/* Step 2: one connection; its certificate is the one verified. */
MSE_MUST_USE static mse_err configure_verify(const struct cli_configure_args *a,
                                             struct configure_plan *p,
                                             cli_progress_fn progress,
                                             struct cli_configure_outcome *o,
                                             struct mse_tls_conn **conn, char *why,
                                             size_t why_cap)
{
    char reason[1024] = "";
    mse_err err = mse_tls_connect(&a->dial, (int)p->policy.timeout_ms, conn, reason,
                                  sizeof reason);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "%s: %s", a->target,
                       reason[0] ? reason : mse_err_str(err));
    const uint8_t *der = NULL;
    size_t der_len = 0;
    mse_tls_peer_cert(*conn, &der, &der_len);
    struct configure_verify_opts pre = {a->domain,
                                        p->setup.fingerprint_given ? p->setup.mrenclave : NULL};
    err = cli_configure_precheck(der, der_len, &pre, reason, sizeof reason);
    if (err == MSE_OK)
        err = cli_verify_with_collateral(&p->policy, &p->setup, der, der_len, progress,
                                         &o->result, &o->info, reason, sizeof reason);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "%s was NOT verified; nothing was sent: %s", a->target,
                       reason);
    o->verify_ran = true;
    if (!o->result.ok)
        return mse_say(why, why_cap, o->result.err != MSE_OK ? o->result.err : MSE_ERR_INTERNAL,
                       "%s was NOT verified; nothing was sent: %s", a->target,
                       o->result.message);
    o->verified = true;
    return MSE_OK;
}

/* Step 3: the secrets, on the verified connection, and the server's answer. */
MSE_MUST_USE static mse_err configure_send(const struct cli_configure_args *a,
                                           const struct configure_plan *p,
                                           struct mse_tls_conn *conn,
                                           struct cli_configure_outcome *o, char *why,
                                           size_t why_cap)
{
    char *request = NULL;
    size_t request_len = 0;
    FILE *f = open_memstream(&request, &request_len);
    if (f == NULL)
        return mse_say(why, why_cap, MSE_ERR_NOMEM, "request");
    /* Host is DOMAIN's authority, an IPv6 literal in brackets (RFC 9112 3.2, RFC 3986
     * 3.2.2; mse_endpoint_parse leaves a colon in DOMAIN only for one): mse-enclave refuses
     * "Host: ::1" as invalid, and with it a configuration already sent. */
    const bool ipv6 = strchr(a->domain, ':') != NULL;
    fprintf(f,
            "POST " CONFIG_PATH " HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
            "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
            ipv6 ? "[" : "", a->domain, ipv6 ? "]" : "", a->dial.port, p->body_len);
    fwrite(p->body, 1, p->body_len, f);
    mse_err err = fclose(f) == 0 ? MSE_OK : MSE_ERR_NOMEM;
    if (err == MSE_OK)
        err = mse_tls_write(conn, request, request_len, (int)p->policy.timeout_ms);
    if (request != NULL) {
        mse_wipe(request, request_len);
        free(request);
    }
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "sending the configuration: %s", mse_err_str(err));
    int status = 0;
    err = read_response(conn, (int)p->policy.timeout_ms, &status, o->answer, sizeof o->answer,
                        why, why_cap);
    if (err != MSE_OK)
        return err;
    if (status != 200)
        return mse_say(why, why_cap, MSE_ERR_CONFIG_REFUSED, "HTTP %d: %s", status, o->answer);
    o->configured = true;
    return MSE_OK;
}

mse_err cli_configure_run(const struct cli_configure_args *a, int64_t now,
                          cli_progress_fn progress, struct cli_configure_outcome *o, char *why,
                          size_t why_cap)
{
    struct configure_plan plan;
    struct mse_tls_conn *conn = NULL;
    memset(o, 0, sizeof *o);
    memset(&plan, 0, sizeof plan);
    mse_err err = configure_prepare(a, now, &plan, &o->info.notes, why, why_cap);
    if (err == MSE_OK)
        err = configure_verify(a, &plan, progress, o, &conn, why, why_cap);
    if (err == MSE_OK)
        err = configure_send(a, &plan, conn, o, why, why_cap);
    if (conn != NULL)
        mse_tls_close(conn);
    plan_free(&plan);
    return err;
}

/* --json: one object, {"configured", "answer"} or the error that decided. */
static void print_json(const struct cli_configure_args *a, const struct cli_configure_outcome *o,
                       mse_err err, const char *message)
{
    if (err != MSE_OK) {
        cli_json_error(err, message);
        return;
    }
    json_t *j = json_pack("{s:s, s:s}", "configured", a->target, "answer", o->answer);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text)
        puts(text);
    else
        cli_json_error(MSE_ERR_NOMEM, mse_err_str(MSE_ERR_NOMEM));
    free(text);
    json_decref(j);
}

void cli_configure_print(const struct cli_configure_args *a, const struct cli_configure_outcome *o,
                         mse_err err, const char *why)
{
    const struct cli_out *out = &a->out;
    const char *message = why[0] ? why : mse_err_str(err);
    if (out->json)
        print_json(a, o, err, message);
    cli_notes_print(out, &o->info.notes);
    if (o->verify_ran && !o->result.ok && !out->quiet)
        cli_verify_report_print(out, &o->result);
    if (o->verified && !out->quiet)
        fprintf(stderr, "%s verified; sending the configuration on the same connection\n",
                a->target);
    if (err != MSE_OK)
        cli_out_failure(out, err, message);
    else if (!out->quiet && !out->json)
        printf("configured %s: %s\n", a->target, o->answer);
}

int cli_configure_main(int argc, char **argv)
{
    struct cli_configure_args a;
    struct cli_configure_outcome o;
    char why[1024] = "";
    mse_err err = cli_configure_parse(argc, argv, &a, why, sizeof why);
    if (err != MSE_OK || a.help)
        return cli_parse_failed(&cli_configure_cmd, argc, argv, err, a.help, why);
    err = cli_configure_run(&a, mse_time_now(), cli_progress_for(&a.out), &o, why, sizeof why);
    cli_configure_print(&a, &o, err, why);
    return (int)mse_err_exit(err);
}

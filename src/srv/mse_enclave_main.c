/*
 * mse-enclave: command line of the enclave-side server (docs/cmd/mse-enclave.md).
 * Makes the RA-TLS key and certificate with the chosen quote provider, then
 * runs the server (srv.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/mse.h>
#include <mse/time.h>

#include "attester/attester.h"
#include "srv/srv.h"
#include "srv/srv_cmd.h"
#include "util/util.h"
#ifdef MSE_HAVE_SIM
#include "sim/sim.h"
#endif

#define DEFAULT_DAYS 365

static bool uuid_ok(const char *u)
{
    if (strlen(u) != SRV_UUID_LEN)
        return false;
    for (size_t i = 0; i < SRV_UUID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = u[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

MSE_MUST_USE static mse_err expiration(const char *s, int64_t now, int64_t *out)
{
    long days;
    char *end = NULL;
    errno = 0;
    days = strtol(s, &end, 10);
    if (errno == 0 && end != s && *end == '\0' && days >= 1 && days <= 3650) {
        *out = now + (int64_t)days * 86400;
        return MSE_OK;
    }
    MSE_TRY_AS(mse_time_parse(s, strlen(s), out), MSE_ERR_ARG_TIME);
    MSE_ENSURE(*out > now, MSE_ERR_ARG_TIME);
    return MSE_OK;
}

/* Option combinations per mode (docs/cmd/mse-enclave.md). */
MSE_MUST_USE static mse_err check_opts(struct srv_enclave_opts *o, const char **why)
{
    struct srv_config *c = &o->srv;
    *why = "--mode must be zero-trust, owner or untrusted-ssl";
    MSE_ENSURE(o->mode != NULL, MSE_ERR_ARG_MISSING);
    if (strcmp(o->mode, "zero-trust") == 0)
        c->mode = SRV_MODE_ZERO_TRUST;
    else if (strcmp(o->mode, "owner") == 0)
        c->mode = SRV_MODE_OWNER;
    else if (strcmp(o->mode, "untrusted-ssl") == 0)
        c->mode = SRV_MODE_UNTRUSTED_SSL;
    else
        return MSE_ERR_ARG;
    *why = "--san is required";
    MSE_ENSURE(o->san != NULL, MSE_ERR_ARG_MISSING);
    *why = "--app-socket is not supported by this build (libevent 2.1): use --app-port";
    MSE_ENSURE(o->app_socket == NULL, MSE_ERR_UNSUPPORTED);
    *why = "--uuid must be a lowercase RFC 4122 uuid";
    MSE_ENSURE(c->uuid == NULL || uuid_ok(c->uuid), MSE_ERR_ARG);
    *why = "--uuid and --code-dir go together (they enable the configuration phase)";
    MSE_ENSURE((c->uuid == NULL) == (c->code_dir == NULL), MSE_ERR_ARG_MISSING);
    *why = "zero-trust and owner modes need --uuid and --code-dir";
    MSE_ENSURE(c->mode == SRV_MODE_UNTRUSTED_SSL || c->uuid != NULL, MSE_ERR_ARG_MISSING);
    *why = "--app-dir is required with --code-dir or --app-cmd";
    MSE_ENSURE((c->code_dir == NULL && c->app_cmd == NULL) || c->app_dir != NULL,
               MSE_ERR_ARG_MISSING);
    *why = "give either --hello or --app-cmd with --app-port";
    MSE_ENSURE(c->hello ? c->app_cmd == NULL : (c->app_cmd != NULL && c->app_port != 0),
               MSE_ERR_ARG_CONFLICT);
    switch (c->mode) {
    case SRV_MODE_ZERO_TRUST:
        *why = "zero-trust mode serves the RA-TLS certificate only: no --ssl-cert/--ssl-key";
        MSE_ENSURE(c->ssl_cert == NULL && c->ssl_key == NULL, MSE_ERR_ARG_CONFLICT);
        break;
    case SRV_MODE_OWNER:
        *why = "owner mode needs --ssl-cert (the owner's chain); its key arrives with the "
               "configuration, never on the command line";
        MSE_ENSURE(c->ssl_cert != NULL && c->ssl_key == NULL, MSE_ERR_ARG_CONFLICT);
        break;
    case SRV_MODE_UNTRUSTED_SSL:
        *why = "--ssl-cert and --ssl-key go together";
        MSE_ENSURE((c->ssl_cert == NULL) == (c->ssl_key == NULL), MSE_ERR_ARG_MISSING);
        break;
    }
    *why = "--provider must be gramine or sim";
    MSE_ENSURE(strcmp(o->provider, "gramine") == 0 || strcmp(o->provider, "sim") == 0,
               MSE_ERR_ARG);
    return MSE_OK;
}

#ifdef MSE_HAVE_SIM
/* The simulator measures the runtime it runs, as Gramine would (src/attester/sim_measure.c). */
MSE_MUST_USE static mse_err sim_measure(const struct srv_enclave_opts *o, uint8_t mrenclave[32],
                                        const char **why)
{
    static char reason[600];
    char port[8] = "", hex[65];
    const struct srv_config *c = &o->srv;
    if (!c->hello)
        snprintf(port, sizeof port, "%u", (unsigned)c->app_port);
    const struct mse_sim_measure_in in = {
        .deployment = {.mode = o->mode, .san = o->san, .subject = o->subject,
                       .uuid = c->uuid ? c->uuid : "", .app_cmd = c->hello ? "" : c->app_cmd,
                       .app_port = port},
        .code_dir = c->code_dir,
        .owner_chain = c->mode == SRV_MODE_OWNER ? c->ssl_cert : NULL,
        .runtime_dir = o->runtime_dir};
    mse_err err = mse_sim_measure(&in, mrenclave, reason, sizeof reason);
    *why = reason;
    if (err == MSE_OK) {
        mse_hex_encode(mrenclave, 32, hex);
        fprintf(stderr, "mse-enclave: simulated enclave MRENCLAVE %s\n", hex);
    }
    return err;
}
#endif

/*
 * Paths and ports checked at start, so that a typo is refused with the path
 * named instead of surfacing when the owner configures the enclave (a code
 * directory that does not exist) or never (a port file nobody can write).
 */
static bool path_problem(const char *path, bool dir, bool writable, char *why, size_t cap,
                         const char *opt)
{
    struct stat st;
    const char *problem = NULL;
    if (stat(path, &st) != 0)
        problem = strerror(errno);
    else if (dir && !S_ISDIR(st.st_mode))
        problem = "not a directory";
    else if (!dir && S_ISDIR(st.st_mode))
        problem = "is a directory, not a file";
    else if (access(path, (writable ? W_OK : R_OK) | (dir ? X_OK : 0)) != 0)
        problem = strerror(errno);
    if (problem == NULL)
        return false;
    snprintf(why, cap, "%s %s: %s", opt, path, problem);
    return true;
}

MSE_MUST_USE static mse_err check_paths(const struct srv_enclave_opts *o, char *why, size_t cap)
{
    const struct srv_config *c = &o->srv;
    bool gramine = strcmp(o->provider, "gramine") == 0;
    MSE_ENSURE(c->code_dir == NULL || !path_problem(c->code_dir, true, false, why, cap,
                                                     "--code-dir"),
               MSE_ERR_ARG);
    MSE_ENSURE(c->app_dir == NULL ||
                   !path_problem(c->app_dir, true, true, why, cap, "--app-dir"),
               MSE_ERR_ARG);
    MSE_ENSURE(c->ssl_cert == NULL ||
                   !path_problem(c->ssl_cert, false, false, why, cap, "--ssl-cert"),
               MSE_ERR_ARG);
    MSE_ENSURE(c->ssl_key == NULL ||
                   !path_problem(c->ssl_key, false, false, why, cap, "--ssl-key"),
               MSE_ERR_ARG);
    MSE_ENSURE(!gramine || !path_problem(o->attestation_root, true, false, why, cap,
                                         "--attestation-root"),
               MSE_ERR_ARG);
    MSE_ENSURE(gramine || o->sim_pki == NULL ||
                   !path_problem(o->sim_pki, true, false, why, cap, "--sim-pki"),
               MSE_ERR_ARG);
    MSE_ENSURE(gramine || o->runtime_dir == NULL ||
                   !path_problem(o->runtime_dir, true, false, why, cap, "--runtime"),
               MSE_ERR_ARG);
    if (c->port_file != NULL) {
        /* The file is replaced atomically: its directory must be writable. */
        char dir[4096];
        const char *slash = strrchr(c->port_file, '/');
        size_t n = slash == NULL ? 1 : (slash == c->port_file ? 1 : (size_t)(slash - c->port_file));
        MSE_ENSURE(n < sizeof dir, MSE_ERR_ARG);
        memcpy(dir, slash == NULL ? "." : c->port_file, n);
        dir[n] = '\0';
        MSE_ENSURE(!path_problem(dir, true, true, why, cap, "--port-file directory"),
                   MSE_ERR_ARG);
    }
    if (c->app_port != 0 && c->app_port == c->port) {
        snprintf(why, cap, "--app-port %u is the server's own --port: it would proxy to itself",
                 (unsigned)c->app_port);
        return MSE_ERR_ARG_CONFLICT;
    }
    return MSE_OK;
}

MSE_MUST_USE static mse_err make_provider(const struct srv_enclave_opts *o,
                                          struct mse_quote_provider *qp, const char **why)
{
    if (strcmp(o->provider, "gramine") == 0) {
        *why = "Gramine attestation interface unusable (not in an SGX enclave with DCAP?)";
        return mse_quote_provider_gramine(o->attestation_root, qp);
    }
#ifdef MSE_HAVE_SIM
    struct mse_sim_enclave e;
    memset(&e, 0, sizeof e);
    *why = "--provider sim needs --sim-pki";
    MSE_ENSURE(o->sim_pki != NULL, MSE_ERR_ARG_MISSING);
    if (o->sim_mrenclave != NULL) {
        *why = "--sim-mrenclave must be 64 hex digits";
        MSE_TRY(mse_hex_decode(o->sim_mrenclave, strlen(o->sim_mrenclave), e.mrenclave, 32));
    } else {
        MSE_TRY(sim_measure(o, e.mrenclave, why));
    }
    if (o->sim_mrsigner != NULL) {
        *why = "--sim-mrsigner must be 64 hex digits";
        MSE_TRY(mse_hex_decode(o->sim_mrsigner, strlen(o->sim_mrsigner), e.mrsigner, 32));
        e.have_mrsigner = true;
    }
    e.debug = o->sim_debug;
    *why = "simulator PKI unusable";
    return mse_sim_quote_provider(o->sim_pki, &e, qp);
#else
    *why = "this build has no simulator";
    return MSE_ERR_UNSUPPORTED;
#endif
}

static void opts_default(struct srv_enclave_opts *o)
{
    memset(o, 0, sizeof *o);
    o->provider = "gramine";
    o->attestation_root = "/dev/attestation";
    o->expiration = "365";
    o->srv.host = "127.0.0.1";
    o->srv.port = 443;
    o->srv.timeout = 30;
    o->srv.request_deadline = 60;
    o->srv.upstream_timeout = 60;
    o->srv.max_body = 16u << 20;
    o->srv.max_headers = 16 * 1024;
}

/* The numeric options' ranges: each is checked by one call, then stored by number_opt. */
static const struct number_range {
    int id;
    long min, max;
    const char *unit;
} number_ranges[] = {
    {SRV_O_PORT, 0, 65535, ""},
    {SRV_O_APP_PORT, 1, 65535, ""},
    {SRV_O_TIMEOUT, 1, 3600, "seconds"},
    {SRV_O_DEADLINE, 1, 3600, "seconds"},
    {SRV_O_UP_TIMEOUT, 1, 3600, "seconds"},
    {SRV_O_MAX_BODY, 0, 1L << 30, "bytes"},
    {SRV_O_MAX_CONNS, 1, 1000000, ""},
    {SRV_O_MAX_SECONDS, 1, 86400 * 366, "seconds"},
};

/*
 * A numeric option: checked against its range, then stored where it goes
 * (mse_opt_take_fn; the table stores the other options itself).
 */
MSE_MUST_USE static mse_err number_opt(void *ctx, int id, const char *arg, char *why, size_t cap)
{
    struct srv_enclave_opts *o = ctx;
    const struct mse_opt *opt = mse_opt_find(&srv_enclave_cmd, id);
    const struct number_range *r = NULL;
    for (size_t i = 0; i < sizeof number_ranges / sizeof number_ranges[0]; i++)
        if (number_ranges[i].id == id)
            r = &number_ranges[i];
    if (!opt || !r)
        return mse_say(why, cap, MSE_ERR_INTERNAL, "option %d has no handler", id);
    long v = 0;
    MSE_TRY(mse_opt_long(opt->name, arg, r->min, r->max, r->unit, &v, why, cap));
    switch (id) {
    case SRV_O_PORT: o->srv.port = (uint16_t)v; break;
    case SRV_O_APP_PORT: o->srv.app_port = (uint16_t)v; break;
    case SRV_O_TIMEOUT: o->srv.timeout = (int)v; break;
    case SRV_O_DEADLINE: o->srv.request_deadline = (int)v; break;
    case SRV_O_UP_TIMEOUT: o->srv.upstream_timeout = (int)v; break;
    case SRV_O_MAX_BODY: o->srv.max_body = (size_t)v; break;
    case SRV_O_MAX_CONNS: o->srv.max_connections = (size_t)v; break;
    case SRV_O_MAX_SECONDS: o->srv.max_seconds = (int)v; break;
    }
    return MSE_OK;
}

/*
 * The command line into *o. Returns -1 to go on, else the exit code
 * (--help, --version, or a usage error already reported in one line).
 */
static int parse_cmdline(int argc, char **argv, struct srv_enclave_opts *o)
{
    struct mse_opt_parser p;
    char why[512];
    const char *arg = NULL;
    int id;
    mse_opt_init(&p, &srv_enclave_cmd, argc, argv);
    while ((id = mse_opt_next(&p, &arg, why, sizeof why)) != MSE_OPT_DONE) {
        if (id == MSE_OPT_HELP) {
            mse_opt_help(stdout, &srv_enclave_cmd);
            return MSE_EXIT_OK;
        }
        if (id == SRV_O_VERSION) {
            printf("mse-enclave %s\n", MSE_VERSION);
            return MSE_EXIT_OK;
        }
        mse_err err = MSE_OK;
        if (id == MSE_OPT_ERROR)
            err = p.error;
        else if (id == MSE_OPT_OPERAND)
            err = mse_say(why, sizeof why, MSE_ERR_ARG, "unexpected argument '%s'", arg);
        else
            err = mse_opt_store(&srv_enclave_cmd, number_opt, o, id, arg, why, sizeof why);
        if (err != MSE_OK) {
            mse_opt_usage_error(stderr, &srv_enclave_cmd, why);
            return (int)mse_err_exit(err);
        }
    }
    return -1;
}

/*
 * The RA-TLS key and certificate from the chosen quote provider. Returns -1
 * on success, else the exit code (the reason already printed).
 */
static int make_ratls(struct srv_enclave_opts *o, EVP_PKEY **key, X509 **cert)
{
    int64_t now = mse_time_now();
    struct mse_ratls_params params;
    memset(&params, 0, sizeof params);
    char default_subject[300];
    if (o->subject == NULL) {
        /* The SAN is a DNS name or an IP literal: no RFC 4514 specials to escape. */
        if (snprintf(default_subject, sizeof default_subject, "CN=%s", o->san) >=
            (int)sizeof default_subject) {
            fprintf(stderr, "mse-enclave: --san too long\n");
            return MSE_EXIT_USAGE;
        }
        o->subject = default_subject;
    }
    params.subject = o->subject;
    params.san = o->san;
    params.not_before = now - 60; /* tolerate small clock skew at the client */
    mse_err err = expiration(o->expiration, now, &params.not_after);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-enclave: --expiration: days (1-3650) or an RFC 3339 UTC instant\n");
        return (int)mse_err_exit(err);
    }
    struct mse_quote_provider qp;
    memset(&qp, 0, sizeof qp);
    const char *why = "";
    err = make_provider(o, &qp, &why);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-enclave: %s: %s\n", why, mse_err_str(err));
        return (int)mse_err_exit(err);
    }
    err = mse_ratls_cert_create(&qp, &params, key, cert);
    mse_quote_provider_close(&qp);
    if (o->subject == default_subject)
        o->subject = NULL; /* not to be used past this frame */
    if (err != MSE_OK) {
        fprintf(stderr, "mse-enclave: RA-TLS certificate: %s (check --subject and --san)\n",
                mse_err_str(err));
        return (int)mse_err_exit(err);
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct srv_enclave_opts o;
    opts_default(&o);
    int rc = parse_cmdline(argc, argv, &o);
    if (rc >= 0)
        return rc;
    const char *why = "";
    mse_err err = check_opts(&o, &why);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-enclave: %s\n", why);
        return (int)mse_err_exit(err);
    }
    char path_why[4200];
    err = check_paths(&o, path_why, sizeof path_why);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-enclave: %s\n", path_why);
        return (int)mse_err_exit(err);
    }
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    rc = make_ratls(&o, &key, &cert);
    if (rc >= 0)
        return rc;
    o.srv.ratls_key = key;
    o.srv.ratls_cert = cert;
    rc = srv_run(&o.srv);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

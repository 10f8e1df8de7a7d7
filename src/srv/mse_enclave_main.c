/*
 * mse-enclave: command line of the enclave-side server (docs/cmd/mse-enclave.md).
 * Makes the RA-TLS key and certificate with the chosen quote provider, then
 * runs the server (srv.c).
 */
#include <errno.h>
#include <getopt.h>
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
#include "util/util.h"
#ifdef MSE_HAVE_SIM
#include "sim/sim.h"
#endif

#define DEFAULT_DAYS 365

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mse-enclave --mode zero-trust|owner|untrusted-ssl --san NAME [options]\n"
            "\n"
            "  --mode MODE              zero-trust, owner or untrusted-ssl\n"
            "  --provider P             quote provider: gramine (default) or sim\n"
            "  --attestation-root DIR   Gramine attestation files (default /dev/attestation)\n"
            "  --sim-pki DIR            simulator PKI (mse-sim pki init), with --provider sim\n"
            "  --sim-mrenclave HEX      override the MRENCLAVE the simulator measures (for\n"
            "                           negative tests only; 64 hex digits)\n"
            "  --runtime DIR            with --provider sim: the runtime to measure (default:\n"
            "                           the runtime path, docs/formats/runtime.md)\n"
            "  --sim-mrsigner HEX       simulated MRSIGNER (default: the PKI's signer)\n"
            "  --sim-debug              simulate a debug enclave\n"
            "  --host ADDR              listen address (default 127.0.0.1)\n"
            "  --port N                 listen port (default 443; 0: ephemeral)\n"
            "  --port-file FILE         write the bound port to FILE\n"
            "  --subject RFC4514        certificate subject (default CN=<san>)\n"
            "  --san NAME               DNS name or IP address of the app\n"
            "  --expiration T           RFC 3339 UTC instant or a number of days (default 365)\n"
            "  --uuid UUID              the app's uuid; enables the configuration phase\n"
            "  --code-dir DIR           encrypted code (P.enc files)\n"
            "  --app-dir DIR            where the code is decrypted and the app runs\n"
            "  --app-cmd CMD            app command line (run with /bin/sh -c in --app-dir)\n"
            "  --app-port N             port the app listens on at 127.0.0.1\n"
            "  --hello                  serve the built-in hello app instead\n"
            "  --ssl-cert PEM           owner: owner's chain; untrusted-ssl: operator's chain\n"
            "  --ssl-key PEM            untrusted-ssl: operator's key (none: plain HTTP)\n"
            "  --timeout S              client read/write timeout (default 30)\n"
            "  --request-deadline S     a new connection's first request must be complete\n"
            "                           within S seconds (slowloris guard; default 60)\n"
            "  --upstream-timeout S     app response timeout, 504 after (default 60)\n"
            "  --max-body BYTES         request body limit in the app phase (default 16 MiB)\n"
            "  --max-connections N      client connections held at once; the rest wait in\n"
            "                           the kernel's queue (default 1024 within the\n"
            "                           descriptor limit)\n"
            "  --max-seconds N          stop after N seconds\n");
}

struct opts {
    struct srv_config srv;
    const char *provider;
    const char *attestation_root;
    const char *sim_pki;
    const char *sim_mrenclave;
    const char *runtime_dir;
    const char *sim_mrsigner;
    int sim_debug;
    const char *subject;
    const char *san;
    const char *expiration;
    const char *mode;
    const char *app_socket;
};

MSE_MUST_USE static mse_err parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    MSE_ENSURE(errno == 0 && end != s && *end == '\0' && v >= min && v <= max, MSE_ERR_ARG);
    *out = v;
    return MSE_OK;
}

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
    if (parse_long(s, 1, 3650, &days) == MSE_OK) {
        *out = now + (int64_t)days * 86400;
        return MSE_OK;
    }
    MSE_TRY_AS(mse_time_parse(s, strlen(s), out), MSE_ERR_ARG_TIME);
    MSE_ENSURE(*out > now, MSE_ERR_ARG_TIME);
    return MSE_OK;
}

/* Option combinations per mode (docs/cmd/mse-enclave.md). */
MSE_MUST_USE static mse_err check_opts(struct opts *o, const char **why)
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
MSE_MUST_USE static mse_err sim_measure(const struct opts *o, uint8_t mrenclave[32],
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

MSE_MUST_USE static mse_err check_paths(const struct opts *o, char *why, size_t cap)
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

MSE_MUST_USE static mse_err make_provider(const struct opts *o, struct mse_quote_provider *qp,
                                          const char **why)
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
    e.debug = o->sim_debug != 0;
    *why = "simulator PKI unusable";
    return mse_sim_quote_provider(o->sim_pki, &e, qp);
#else
    *why = "this build has no simulator";
    return MSE_ERR_UNSUPPORTED;
#endif
}

int main(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    o.provider = "gramine";
    o.attestation_root = "/dev/attestation";
    o.expiration = "365";
    o.srv.host = "127.0.0.1";
    o.srv.port = 443;
    o.srv.timeout = 30;
    o.srv.request_deadline = 60;
    o.srv.upstream_timeout = 60;
    o.srv.max_body = 16u << 20;
    o.srv.max_headers = 16 * 1024;

    enum {
        O_MODE = 256, O_PROVIDER, O_ATT_ROOT, O_SIM_PKI, O_SIM_MRENCLAVE, O_SIM_MRSIGNER,
        O_SIM_DEBUG, O_RUNTIME, O_HOST, O_PORT, O_PORT_FILE, O_SUBJECT, O_SAN, O_EXPIRATION, O_UUID,
        O_CODE_DIR, O_APP_DIR, O_APP_CMD, O_APP_PORT, O_APP_SOCKET, O_HELLO, O_SSL_CERT,
        O_SSL_KEY, O_TIMEOUT, O_DEADLINE, O_UP_TIMEOUT, O_MAX_BODY, O_MAX_CONNS, O_MAX_SECONDS, O_HELP, O_VERSION,
    };
    static const struct option longopts[] = {
        {"mode", required_argument, NULL, O_MODE},
        {"provider", required_argument, NULL, O_PROVIDER},
        {"attestation-root", required_argument, NULL, O_ATT_ROOT},
        {"sim-pki", required_argument, NULL, O_SIM_PKI},
        {"sim-mrenclave", required_argument, NULL, O_SIM_MRENCLAVE},
        {"sim-mrsigner", required_argument, NULL, O_SIM_MRSIGNER},
        {"sim-debug", no_argument, NULL, O_SIM_DEBUG},
        {"runtime", required_argument, NULL, O_RUNTIME},
        {"host", required_argument, NULL, O_HOST},
        {"port", required_argument, NULL, O_PORT},
        {"port-file", required_argument, NULL, O_PORT_FILE},
        {"subject", required_argument, NULL, O_SUBJECT},
        {"san", required_argument, NULL, O_SAN},
        {"expiration", required_argument, NULL, O_EXPIRATION},
        {"uuid", required_argument, NULL, O_UUID},
        {"code-dir", required_argument, NULL, O_CODE_DIR},
        {"app-dir", required_argument, NULL, O_APP_DIR},
        {"app-cmd", required_argument, NULL, O_APP_CMD},
        {"app-port", required_argument, NULL, O_APP_PORT},
        {"app-socket", required_argument, NULL, O_APP_SOCKET},
        {"hello", no_argument, NULL, O_HELLO},
        {"ssl-cert", required_argument, NULL, O_SSL_CERT},
        {"ssl-key", required_argument, NULL, O_SSL_KEY},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"request-deadline", required_argument, NULL, O_DEADLINE},
        {"upstream-timeout", required_argument, NULL, O_UP_TIMEOUT},
        {"max-body", required_argument, NULL, O_MAX_BODY},
        {"max-connections", required_argument, NULL, O_MAX_CONNS},
        {"max-seconds", required_argument, NULL, O_MAX_SECONDS},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;
    long v;
    const char *bad = NULL;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_MODE: o.mode = optarg; break;
        case O_PROVIDER: o.provider = optarg; break;
        case O_ATT_ROOT: o.attestation_root = optarg; break;
        case O_SIM_PKI: o.sim_pki = optarg; break;
        case O_SIM_MRENCLAVE: o.sim_mrenclave = optarg; break;
        case O_SIM_MRSIGNER: o.sim_mrsigner = optarg; break;
        case O_SIM_DEBUG: o.sim_debug = 1; break;
        case O_RUNTIME: o.runtime_dir = optarg; break;
        case O_HOST: o.srv.host = optarg; break;
        case O_PORT:
            if (parse_long(optarg, 0, 65535, &v) != MSE_OK)
                bad = "--port";
            o.srv.port = (uint16_t)v;
            break;
        case O_PORT_FILE: o.srv.port_file = optarg; break;
        case O_SUBJECT: o.subject = optarg; break;
        case O_SAN: o.san = optarg; break;
        case O_EXPIRATION: o.expiration = optarg; break;
        case O_UUID: o.srv.uuid = optarg; break;
        case O_CODE_DIR: o.srv.code_dir = optarg; break;
        case O_APP_DIR: o.srv.app_dir = optarg; break;
        case O_APP_CMD: o.srv.app_cmd = optarg; break;
        case O_APP_PORT:
            if (parse_long(optarg, 1, 65535, &v) != MSE_OK)
                bad = "--app-port";
            o.srv.app_port = (uint16_t)v;
            break;
        case O_APP_SOCKET: o.app_socket = optarg; break;
        case O_HELLO: o.srv.hello = true; break;
        case O_SSL_CERT: o.srv.ssl_cert = optarg; break;
        case O_SSL_KEY: o.srv.ssl_key = optarg; break;
        case O_TIMEOUT:
            if (parse_long(optarg, 1, 3600, &v) != MSE_OK)
                bad = "--timeout";
            o.srv.timeout = (int)v;
            break;
        case O_DEADLINE:
            if (parse_long(optarg, 1, 3600, &v) != MSE_OK)
                bad = "--request-deadline";
            o.srv.request_deadline = (int)v;
            break;
        case O_UP_TIMEOUT:
            if (parse_long(optarg, 1, 3600, &v) != MSE_OK)
                bad = "--upstream-timeout";
            o.srv.upstream_timeout = (int)v;
            break;
        case O_MAX_BODY:
            if (parse_long(optarg, 0, 1L << 30, &v) != MSE_OK)
                bad = "--max-body";
            o.srv.max_body = (size_t)v;
            break;
        case O_MAX_CONNS:
            if (parse_long(optarg, 1, 1000000, &v) != MSE_OK)
                bad = "--max-connections";
            o.srv.max_connections = (size_t)v;
            break;
        case O_MAX_SECONDS:
            if (parse_long(optarg, 1, 86400 * 366, &v) != MSE_OK)
                bad = "--max-seconds";
            o.srv.max_seconds = (int)v;
            break;
        case O_HELP: usage(stdout); return MSE_EXIT_OK;
        case O_VERSION: printf("mse-enclave %s\n", MSE_VERSION); return MSE_EXIT_OK;
        default: usage(stderr); return MSE_EXIT_USAGE;
        }
        if (bad != NULL) {
            fprintf(stderr, "mse-enclave: invalid value for %s: %s\n", bad, optarg);
            return MSE_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "mse-enclave: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
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

    int64_t now = mse_time_now();
    struct mse_ratls_params params;
    memset(&params, 0, sizeof params);
    char default_subject[300];
    if (o.subject == NULL) {
        /* The SAN is a DNS name or an IP literal: no RFC 4514 specials to escape. */
        if (snprintf(default_subject, sizeof default_subject, "CN=%s", o.san) >=
            (int)sizeof default_subject) {
            fprintf(stderr, "mse-enclave: --san too long\n");
            return MSE_EXIT_USAGE;
        }
        o.subject = default_subject;
    }
    params.subject = o.subject;
    params.san = o.san;
    params.not_before = now - 60; /* tolerate small clock skew at the client */
    err = expiration(o.expiration, now, &params.not_after);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-enclave: --expiration: days (1-3650) or an RFC 3339 UTC instant\n");
        return (int)mse_err_exit(err);
    }

    struct mse_quote_provider qp;
    memset(&qp, 0, sizeof qp);
    err = make_provider(&o, &qp, &why);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-enclave: %s: %s\n", why, mse_err_str(err));
        return (int)mse_err_exit(err);
    }
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    err = mse_ratls_cert_create(&qp, &params, &key, &cert);
    mse_quote_provider_close(&qp);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-enclave: RA-TLS certificate: %s (check --subject and --san)\n",
                mse_err_str(err));
        return (int)mse_err_exit(err);
    }
    o.srv.ratls_key = key;
    o.srv.ratls_cert = cert;
    int rc = srv_run(&o.srv);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

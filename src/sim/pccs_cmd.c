/*
 * `mse-sim pccs serve`: command-line front end of the simulated PCCS
 * (pccs_server.c). Options and exit codes: docs/cmd/mse-sim-pccs.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/err.h>
#include <mse/guard.h>

#include "sim/pccs.h"
#include "util/util.h"

static const char USAGE[] =
    "usage: mse-sim pccs serve --dir DIR --port PORT [options]\n"
    "\n"
    "Serve DIR/pccs (or DIR) as Intel's PCCS 1.23 serves the PCS v4 collateral API.\n"
    "\n"
    "  --dir DIR           pki directory (from `mse-sim pki init`) or its pccs/ subdirectory\n"
    "  --host ADDR         IP address to listen on (default 127.0.0.1; loopback only\n"
    "                      unless --allow-remote)\n"
    "  --port PORT         TCP port; 0 picks a free one\n"
    "  --port-file FILE    write the bound port (decimal, newline) to FILE once listening\n"
    "  --tls-cert FILE     serve HTTPS with this PEM certificate (chain) ...\n"
    "  --tls-key FILE      ... and this PEM private key\n"
    "  --allow-remote      permit a non-loopback --host\n"
    "  --max-requests N    exit after answering N requests (/mse-sim/stats not counted)\n"
    "  --max-seconds N     exit after N seconds\n"
    "  --quiet             no per-request log lines on stderr\n"
    "faults (for tests):\n"
    "  --delay-ms N        wait N ms before each answer\n"
    "  --fail-500          answer every request with 500\n"
    "  --truncate-body     send half of each 200 body under the full Content-Length\n"
    "  --wrong-chain       send another endpoint's issuer chain\n"
    "  --reset             close each connection without answering\n"
    "  --not-collateral WHICH  200 answers of WHICH (all, tcb, qe-identity, pckcrl, rootcacrl;\n"
    "                      comma-separated) carry a captive portal's HTML page, not the item\n"
    "  --too-many N        answer the first N requests 429 Too Many Requests ...\n"
    "  --retry-after S     ... with Retry-After: S (seconds; default: no such header)\n";

enum {
    OPT_DIR = 256, OPT_HOST, OPT_PORT, OPT_PORT_FILE, OPT_TLS_CERT, OPT_TLS_KEY,
    OPT_ALLOW_REMOTE, OPT_MAX_REQUESTS, OPT_MAX_SECONDS, OPT_QUIET, OPT_DELAY_MS,
    OPT_FAIL_500, OPT_TRUNCATE, OPT_WRONG_CHAIN, OPT_RESET, OPT_NOT_COLLATERAL, OPT_TOO_MANY,
    OPT_RETRY_AFTER, OPT_HELP,
};

static const struct option OPTIONS[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
    {"max-requests", required_argument, NULL, OPT_MAX_REQUESTS},
    {"max-seconds", required_argument, NULL, OPT_MAX_SECONDS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"delay-ms", required_argument, NULL, OPT_DELAY_MS},
    {"fail-500", no_argument, NULL, OPT_FAIL_500},
    {"truncate-body", no_argument, NULL, OPT_TRUNCATE},
    {"wrong-chain", no_argument, NULL, OPT_WRONG_CHAIN},
    {"reset", no_argument, NULL, OPT_RESET},
    {"not-collateral", required_argument, NULL, OPT_NOT_COLLATERAL},
    {"too-many", required_argument, NULL, OPT_TOO_MANY},
    {"retry-after", required_argument, NULL, OPT_RETRY_AFTER},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* A decimal number in [0, max]: digits only, no sign, no spaces. */
static MSE_MUST_USE mse_err parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    MSE_ENSURE(s[0] >= '0' && s[0] <= '9', MSE_ERR_ARG);
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    MSE_ENSURE(errno == 0 && *end == '\0' && v <= max, MSE_ERR_ARG);
    *out = v;
    return MSE_OK;
}

/* "all" or a comma-separated list of endpoint names -> MSE_SIM_PCCS_ONLY_* bits. */
static MSE_MUST_USE mse_err parse_endpoints(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"all", MSE_SIM_PCCS_ONLY_ALL},
                 {"tcb", MSE_SIM_PCCS_ONLY_TCB},
                 {"qe-identity", MSE_SIM_PCCS_ONLY_QE_IDENTITY},
                 {"pckcrl", MSE_SIM_PCCS_ONLY_PCKCRL},
                 {"rootcacrl", MSE_SIM_PCCS_ONLY_ROOTCACRL}};
    *out = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && strncmp(s, names[i].name, n) == 0)
                bit = names[i].bit;
        MSE_ENSURE(bit != 0, MSE_ERR_ARG);
        *out |= bit;
        s += n;
        if (*s == ',')
            s++;
    }
    MSE_ENSURE(*out != 0, MSE_ERR_ARG);
    return MSE_OK;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mse-sim pccs: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", USAGE);
    return MSE_EXIT_USAGE;
}

static int cmd_serve(int argc, char **argv)
{
    struct mse_sim_pccs_config cfg = {.faults = {.retry_after = -1}};
    const char *port_file = NULL;
    bool have_port = false;
    uint64_t v = 0;
    int c;
    optind = 0; /* GNU: full re-initialisation, the dispatcher may have used getopt */
    while ((c = getopt_long(argc, argv, "", OPTIONS, NULL)) != -1) {
        switch (c) {
        case OPT_DIR: cfg.dir = optarg; break;
        case OPT_HOST: cfg.host = optarg; break;
        case OPT_PORT:
            if (parse_uint(optarg, 65535, &v) != MSE_OK)
                return usage_error("bad --port %s", optarg);
            cfg.port = (uint16_t)v;
            have_port = true;
            break;
        case OPT_PORT_FILE: port_file = optarg; break;
        case OPT_TLS_CERT: cfg.tls_cert = optarg; break;
        case OPT_TLS_KEY: cfg.tls_key = optarg; break;
        case OPT_ALLOW_REMOTE: cfg.allow_remote = true; break;
        case OPT_MAX_REQUESTS:
            if (parse_uint(optarg, UINT64_MAX, &v) != MSE_OK || v == 0)
                return usage_error("bad --max-requests %s", optarg);
            cfg.max_requests = v;
            break;
        case OPT_MAX_SECONDS:
            if (parse_uint(optarg, 365u * 24 * 3600, &v) != MSE_OK || v == 0)
                return usage_error("bad --max-seconds %s", optarg);
            cfg.max_seconds = (uint32_t)v;
            break;
        case OPT_QUIET: cfg.quiet = true; break;
        case OPT_DELAY_MS:
            if (parse_uint(optarg, 24u * 3600 * 1000, &v) != MSE_OK)
                return usage_error("bad --delay-ms %s", optarg);
            cfg.faults.delay_ms = (uint32_t)v;
            break;
        case OPT_FAIL_500: cfg.faults.fail_500 = true; break;
        case OPT_TRUNCATE: cfg.faults.truncate_body = true; break;
        case OPT_WRONG_CHAIN: cfg.faults.wrong_chain = true; break;
        case OPT_RESET: cfg.faults.reset = true; break;
        case OPT_NOT_COLLATERAL:
            if (parse_endpoints(optarg, &cfg.faults.not_collateral) != MSE_OK)
                return usage_error("bad --not-collateral %s (all, tcb, qe-identity, pckcrl, "
                                   "rootcacrl)",
                                   optarg);
            break;
        case OPT_TOO_MANY:
            if (parse_uint(optarg, UINT32_MAX, &v) != MSE_OK)
                return usage_error("bad --too-many %s", optarg);
            cfg.faults.too_many = (uint32_t)v;
            break;
        case OPT_RETRY_AFTER:
            if (parse_uint(optarg, 24u * 3600, &v) != MSE_OK)
                return usage_error("bad --retry-after %s", optarg);
            cfg.faults.retry_after = (int32_t)v;
            break;
        case OPT_HELP: fputs(USAGE, stdout); return MSE_EXIT_OK;
        default: return usage_error("%s", "unknown option");
        }
    }
    if (optind != argc)
        return usage_error("unexpected argument %s", argv[optind]);
    if (cfg.dir == NULL)
        return usage_error("%s", "--dir is required");
    if (!have_port)
        return usage_error("%s", "--port is required (0 for any free port)");
    if ((cfg.tls_cert == NULL) != (cfg.tls_key == NULL))
        return usage_error("%s", "--tls-cert and --tls-key go together");

    struct mse_sim_pccs *s = NULL;
    mse_err err = mse_sim_pccs_start(&cfg, &s);
    if (err == MSE_ERR_ARG)
        return usage_error("refusing host %s (an IP address; loopback only without --allow-remote)",
                           cfg.host != NULL ? cfg.host : "127.0.0.1");
    if (err != MSE_OK) {
        fprintf(stderr, "mse-sim pccs: cannot serve %s on port %u: %s\n", cfg.dir,
                (unsigned)cfg.port, mse_err_str(err));
        return mse_err_exit(err);
    }
    uint16_t port = mse_sim_pccs_port(s);
    /*
     * Whoever reads the port file may stop the server at once: SIGINT and SIGTERM wait
     * (blocked) until mse_sim_pccs_run has its handlers, which unblocks them, so that an
     * early stop is a graceful one, not a kill by the default action.
     */
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, NULL);
    if (port_file != NULL) {
        char text[16];
        int n = snprintf(text, sizeof text, "%u\n", (unsigned)port);
        err = mse_file_write_atomic(port_file, text, (size_t)n, 0644);
        if (err != MSE_OK) {
            fprintf(stderr, "mse-sim pccs: cannot write %s: %s\n", port_file, mse_err_str(err));
            mse_sim_pccs_free(s);
            return mse_err_exit(err);
        }
    }
    if (!cfg.quiet)
        fprintf(stderr, "mse-sim pccs: serving %s on %s://%s:%u\n", cfg.dir,
                cfg.tls_cert != NULL ? "https" : "http", cfg.host != NULL ? cfg.host : "127.0.0.1",
                (unsigned)port);
    err = mse_sim_pccs_run(s, true);
    /* The request count is part of the contract: tests read this line. */
    fprintf(stderr, "mse-sim pccs: stopped, requests=%" PRIu64 "\n", mse_sim_pccs_requests(s));
    mse_sim_pccs_free(s);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-sim pccs: %s\n", mse_err_str(err));
        return mse_err_exit(err);
    }
    return MSE_EXIT_OK;
}

int mse_sim_cmd_pccs(int argc, char **argv)
{
    /* argv[0] is "pccs" (the dispatcher passes the subcommand's own name first). */
    if (argc >= 1 && strcmp(argv[0], "pccs") == 0) {
        argc--;
        argv++;
    }
    if (argc >= 1 && strcmp(argv[0], "serve") == 0)
        return cmd_serve(argc, argv);
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0)) {
        fputs(USAGE, stdout);
        return MSE_EXIT_OK;
    }
    fputs(USAGE, stderr);
    return MSE_EXIT_USAGE;
}

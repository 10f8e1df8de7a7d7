/*
 * `mse-sim pccs serve`: command-line front end of the simulated PCCS
 * (pccs_server.c). Its options are declared once, in the tables below: the
 * parser, `mse-sim pccs serve --help` and mse-sim(1) read them, and
 * docs/cmd/mse-sim-pccs.md (endpoints, faults, exit codes) is checked against
 * them by tests/unit/opt_docs_test.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/err.h>
#include <mse/guard.h>

#include "sim/pccs.h"
#include "sim/sim_commands.h"
#include "util/opt.h"
#include "util/util.h"

enum {
    SERVE_DIR = 1, SERVE_HOST, SERVE_PORT, SERVE_PORT_FILE, SERVE_TLS_CERT, SERVE_TLS_KEY,
    SERVE_ALLOW_REMOTE, SERVE_MAX_REQUESTS, SERVE_MAX_SECONDS, SERVE_QUIET, SERVE_DELAY_MS,
    SERVE_FAIL_500, SERVE_TRUNCATE, SERVE_WRONG_CHAIN, SERVE_RESET, SERVE_NOT_COLLATERAL,
    SERVE_TOO_MANY, SERVE_RETRY_AFTER,
};

/* What the command line says: the server's configuration and the front end's own options. */
struct serve_args {
    struct mse_sim_pccs_config cfg;
    const char *port_file; /* --port-file: where the bound port is written, or NULL */
    bool have_port;        /* --port was given (0 is a port request too: any free one) */
    bool help;
};

static const struct mse_opt serve_options[] = {
    {"dir", 0, "DIR", "pki directory (from `mse-sim pki init`) or its pccs/ subdirectory",
     SERVE_DIR, MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct serve_args, cfg.dir)},
    {"host", 0, "ADDR",
     "IP address to listen on (default 127.0.0.1; loopback unless --allow-remote)",
     SERVE_HOST, 0, MSE_OPT_AT(MSE_OPT_STRING, struct serve_args, cfg.host)},
    {"port", 0, "PORT", "TCP port; 0 picks a free one", SERVE_PORT, 0, MSE_OPT_TAKE, 0},
    {"port-file", 0, "FILE", "write the bound port (decimal, newline) to FILE once listening",
     SERVE_PORT_FILE, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct serve_args, port_file)},
    {"tls-cert", 0, "FILE", "serve HTTPS with this PEM certificate (chain), with --tls-key",
     SERVE_TLS_CERT, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct serve_args, cfg.tls_cert)},
    {"tls-key", 0, "FILE", "the PEM private key of --tls-cert",
     SERVE_TLS_KEY, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct serve_args, cfg.tls_key)},
    {"allow-remote", 0, NULL, "permit a non-loopback --host",
     SERVE_ALLOW_REMOTE, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct serve_args, cfg.allow_remote)},
    {"max-requests", 0, "N", "exit after answering N requests (/mse-sim/stats not counted)",
     SERVE_MAX_REQUESTS, 0, MSE_OPT_TAKE, 0},
    {"max-seconds", 0, "N", "exit after N seconds", SERVE_MAX_SECONDS, 0, MSE_OPT_TAKE, 0},
    {"quiet", 0, NULL, "no per-request log lines on stderr",
     SERVE_QUIET, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct serve_args, cfg.quiet)},
    {0}};

/* Deliberate misbehaviour, for clients' tests (struct mse_sim_pccs_faults). */
static const struct mse_opt serve_faults[] = {
    {"delay-ms", 0, "N", "fault: wait N ms before each answer", SERVE_DELAY_MS, 0, MSE_OPT_TAKE, 0},
    {"fail-500", 0, NULL, "fault: answer every request with 500",
     SERVE_FAIL_500, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct serve_args, cfg.faults.fail_500)},
    {"truncate-body", 0, NULL, "fault: send half of each 200 body under the full Content-Length",
     SERVE_TRUNCATE, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct serve_args, cfg.faults.truncate_body)},
    {"wrong-chain", 0, NULL, "fault: send another endpoint's issuer chain",
     SERVE_WRONG_CHAIN, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct serve_args, cfg.faults.wrong_chain)},
    {"reset", 0, NULL, "fault: close each connection without answering",
     SERVE_RESET, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct serve_args, cfg.faults.reset)},
    {"not-collateral", 0, "WHICH",
     "fault: 200 answers of WHICH (all, or some of tcb,qe-identity,pckcrl,rootcacrl) carry HTML",
     SERVE_NOT_COLLATERAL, 0, MSE_OPT_TAKE, 0},
    {"too-many", 0, "N", "fault: answer the first N requests 429 Too Many Requests",
     SERVE_TOO_MANY, 0, MSE_OPT_TAKE, 0},
    {"retry-after", 0, "S",
     "fault: the 429 answers carry Retry-After: S seconds (default: no such header)",
     SERVE_RETRY_AFTER, 0, MSE_OPT_TAKE, 0},
    {0}};

static const struct mse_opt *const serve_tables[] = {serve_options, serve_faults, NULL};
static const char *const serve_synopsis[] = {"--dir DIR --port PORT [options]", NULL};
const struct mse_opt_cmd mse_sim_pccs_serve_cmd = {
    .name = "mse-sim pccs serve",
    .summary = "serve the platform's collateral as Intel's PCCS does",
    .synopsis = serve_synopsis,
    .description = "Serves DIR/pccs (or DIR) as Intel's PCCS 1.23 serves the PCS v4 collateral API.\n"
                   "Its endpoints, faults and exit codes: docs/cmd/mse-sim-pccs.md.",
    .tables = serve_tables,
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

/* --NAME N with N in [min, max], else "bad --NAME N" in why. */
static MSE_MUST_USE mse_err number_arg(const char *name, const char *arg, uint64_t min,
                                       uint64_t max, uint64_t *out, char *why, size_t cap)
{
    if (parse_uint(arg, max, out) != MSE_OK || *out < min)
        return mse_say(why, cap, MSE_ERR_ARG, "bad --%s %s", name, arg);
    return MSE_OK;
}

/* One option of pccs serve that needs more than a store (mse_opt_take_fn). */
static mse_err serve_take(void *ctx, int id, const char *arg, char *why, size_t cap)
{
    struct serve_args *a = ctx;
    struct mse_sim_pccs_faults *f = &a->cfg.faults;
    uint64_t v = 0;
    switch (id) {
    case SERVE_PORT:
        MSE_TRY(number_arg("port", arg, 0, 65535, &v, why, cap));
        a->cfg.port = (uint16_t)v;
        a->have_port = true;
        return MSE_OK;
    case SERVE_MAX_REQUESTS:
        return number_arg("max-requests", arg, 1, UINT64_MAX, &a->cfg.max_requests, why, cap);
    case SERVE_MAX_SECONDS:
        MSE_TRY(number_arg("max-seconds", arg, 1, 365u * 24 * 3600, &v, why, cap));
        a->cfg.max_seconds = (uint32_t)v;
        return MSE_OK;
    case SERVE_DELAY_MS:
        MSE_TRY(number_arg("delay-ms", arg, 0, 24u * 3600 * 1000, &v, why, cap));
        f->delay_ms = (uint32_t)v;
        return MSE_OK;
    case SERVE_NOT_COLLATERAL:
        if (parse_endpoints(arg, &f->not_collateral) != MSE_OK)
            return mse_say(why, cap, MSE_ERR_ARG,
                           "bad --not-collateral %s (all, tcb, qe-identity, pckcrl, rootcacrl)",
                           arg);
        return MSE_OK;
    case SERVE_TOO_MANY:
        MSE_TRY(number_arg("too-many", arg, 0, UINT32_MAX, &v, why, cap));
        f->too_many = (uint32_t)v;
        return MSE_OK;
    case SERVE_RETRY_AFTER:
        MSE_TRY(number_arg("retry-after", arg, 0, 24u * 3600, &v, why, cap));
        f->retry_after = (int32_t)v;
        return MSE_OK;
    default: return mse_say(why, cap, MSE_ERR_INTERNAL, "internal: unhandled option %d", id);
    }
}

/* A usage error: one line naming it, the help hint, exit 2 (as every mse-sim command). */
static int usage_error(const char *why)
{
    mse_opt_usage_error(stderr, &mse_sim_pccs_serve_cmd, why);
    return MSE_EXIT_USAGE;
}

/* The command line into a: 0, or the exit status of its usage error. */
static int serve_parse(int argc, char **argv, struct serve_args *a)
{
    char why[256] = "";
    memset(a, 0, sizeof *a);
    a->cfg.faults.retry_after = -1; /* no Retry-After header unless asked */
    if (mse_opt_parse(&mse_sim_pccs_serve_cmd, argc, argv, serve_take, a, NULL, 0, &a->help, why,
                      sizeof why) != MSE_OK)
        return usage_error(why);
    if (a->help)
        return 0;
    if (a->cfg.dir == NULL)
        return usage_error("--dir is required");
    if (!a->have_port)
        return usage_error("--port is required (0 for any free port)");
    if ((a->cfg.tls_cert == NULL) != (a->cfg.tls_key == NULL))
        return usage_error("--tls-cert and --tls-key go together");
    return 0;
}

/* Serve as a says until stopped: the process's exit status. */
static int serve(const struct serve_args *a)
{
    const struct mse_sim_pccs_config *cfg = &a->cfg;
    struct mse_sim_pccs *s = NULL;
    mse_err err = mse_sim_pccs_start(cfg, &s);
    if (err == MSE_ERR_ARG) {
        char why[256];
        snprintf(why, sizeof why,
                 "refusing host %s (an IP address; loopback only without --allow-remote)",
                 cfg->host != NULL ? cfg->host : "127.0.0.1");
        return usage_error(why);
    }
    if (err != MSE_OK) {
        fprintf(stderr, "mse-sim pccs: cannot serve %s on port %u: %s\n", cfg->dir,
                (unsigned)cfg->port, mse_err_str(err));
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
    if (a->port_file != NULL) {
        char text[16];
        int n = snprintf(text, sizeof text, "%u\n", (unsigned)port);
        err = mse_file_write_atomic(a->port_file, text, (size_t)n, 0644);
        if (err != MSE_OK) {
            fprintf(stderr, "mse-sim pccs: cannot write %s: %s\n", a->port_file,
                    mse_err_str(err));
            mse_sim_pccs_free(s);
            return mse_err_exit(err);
        }
    }
    if (!cfg->quiet)
        fprintf(stderr, "mse-sim pccs: serving %s on %s://%s:%u\n", cfg->dir,
                cfg->tls_cert != NULL ? "https" : "http",
                cfg->host != NULL ? cfg->host : "127.0.0.1", (unsigned)port);
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

int mse_sim_pccs_serve_main(int argc, char **argv)
{
    struct serve_args a;
    int rc = serve_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    if (a.help) {
        mse_opt_help(stdout, &mse_sim_pccs_serve_cmd);
        return MSE_EXIT_OK;
    }
    return serve(&a);
}

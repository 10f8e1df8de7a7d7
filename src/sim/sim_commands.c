/*
 * mse-sim's commands (sim_commands.h): each one's option table, which drives
 * its parser and its --help, and its entry point (pccs serve's are in
 * pccs_cmd.c, beside the server it fronts). The list at the end feeds
 * the dispatcher and --help (mse_sim_main.c) and the man page (src/gendoc).
 * Usage errors print one line and a hint, exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include <mse/bytes.h>
#include <mse/mse.h>
#include <mse/time.h>

#include "sim.h"
#include "sim_cmd.h"
#include "sim_commands.h"
#include "util/opt.h"
#include "util/util.h"

static int fail(const char *what, mse_err err)
{
    fprintf(stderr, "mse-sim: %s: %s (%s)\n", what, mse_err_str(err), mse_err_name(err));
    return err == MSE_OK ? 0 : (int)mse_err_exit(err) ? (int)mse_err_exit(err) : 1;
}

/* A usage error: one line naming it, the help hint, exit 2. */
static int usage_error(const struct mse_opt_cmd *cmd, const char *why)
{
    mse_opt_usage_error(stderr, cmd, why);
    return MSE_EXIT_USAGE;
}

/* --NAME T: an RFC 3339 UTC time, else a usage error with its line in why. */
static mse_err time_arg(const char *name, const char *s, int64_t *t, char *why, size_t cap)
{
    if (mse_time_parse(s, strlen(s), t) == MSE_OK)
        return MSE_OK;
    return mse_say(why, cap, MSE_ERR_ARG,
                   "--%s needs an RFC 3339 UTC time, e.g. 2024-01-31T00:00:00Z (got '%s')", name, s);
}

static int parse_time(const struct mse_opt_cmd *cmd, const char *name, const char *s, int64_t *t)
{
    char why[160];
    return time_arg(name, s, t, why, sizeof why) == MSE_OK ? 0 : usage_error(cmd, why);
}

/* ---- pki init ------------------------------------------------------------------ */

enum { PKI_INTEL = 1, PKI_TCB, PKI_QETCB, PKI_ADV, PKI_RPCK, PKI_RCA, PKI_NOW, PKI_ISSUE,
       PKI_NEXT, PKI_PCKNA, PKI_DAYS, PKI_PCESVN };
struct pki_args {
    struct mse_sim_pki_opts o;
    const char *dir, *issue, *next, *pck_not_after;
    int64_t now;
    long days, pcesvn;
    bool help;
};

static const struct mse_opt pki_options[] = {
    {"intel-names", 0, NULL, "name the certificates as Intel's (else \"MSE Test ...\")",
     PKI_INTEL, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct pki_args, o.intel_names)},
    {"tcb-status", 0, "S", "the platform's TCB status in the TCB info (default UpToDate)",
     PKI_TCB, 0, MSE_OPT_TAKE, 0},
    {"qe-tcb-status", 0, "S", "the QE's TCB status in the QE identity (default UpToDate)",
     PKI_QETCB, 0, MSE_OPT_TAKE, 0},
    {"advisories", 0, "ID,...", "advisory IDs of the platform's TCB level",
     PKI_ADV, 0, MSE_OPT_AT(MSE_OPT_STRING, struct pki_args, o.advisories)},
    {"revoke-pck", 0, NULL, "list the PCK leaf in the PCK CRL",
     PKI_RPCK, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct pki_args, o.revoke_pck)},
    {"revoke-pck-ca", 0, NULL, "list the PCK Processor CA in the root CA CRL",
     PKI_RCA, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct pki_args, o.revoke_pck_ca)},
    {"now", 0, "T", "the instant everything is made for (default: now)",
     PKI_NOW, 0, MSE_OPT_TAKE, 0},
    {"issue-date", 0, "T", "the collateral's issueDate / thisUpdate",
     PKI_ISSUE, 0, MSE_OPT_AT(MSE_OPT_STRING, struct pki_args, issue)},
    {"next-update", 0, "T", "the collateral's nextUpdate",
     PKI_NEXT, 0, MSE_OPT_AT(MSE_OPT_STRING, struct pki_args, next)},
    {"pck-not-after", 0, "T", "the PCK leaf's notAfter",
     PKI_PCKNA, 0, MSE_OPT_AT(MSE_OPT_STRING, struct pki_args, pck_not_after)},
    {"valid-days", 0, "N", "every certificate expires after N days (1 to 36500)",
     PKI_DAYS, 0, MSE_OPT_TAKE, 0},
    {"pcesvn", 0, "N", "the PCK leaf's PCESVN (0 to 65535)", PKI_PCESVN, 0, MSE_OPT_TAKE, 0},
    {0}};
static const struct mse_opt *const pki_tables[] = {pki_options, NULL};
static const char *const pki_synopsis[] = {"DIR [options]", NULL};
static const struct mse_opt_cmd pki_cmd = {
    .name = "mse-sim pki init",
    .summary = "make a simulated SGX platform: test PKI and signed collateral",
    .synopsis = pki_synopsis,
    .description = "Writes into DIR a test root CA, the PCK chain, CRLs, TCB info, QE identity, the\n"
                   "enclave signer key, DIR/pccs for `mse-sim pccs serve`, and DIR/README.txt.\n" SIM_TEST_ONLY,
    .tables = pki_tables,
};

static mse_err tcb_status_arg(const char *arg, enum mse_tcb_status *out, char *why, size_t cap)
{
    if (mse_tcb_status_parse(arg, strlen(arg), out) == MSE_OK)
        return MSE_OK;
    return mse_say(why, cap, MSE_ERR_ARG,
                   "unknown TCB status '%s' (UpToDate, OutOfDate, Revoked, ...)", arg);
}

/* One option of pki init into its options struct (mse_opt_take_fn). */
static mse_err pki_take(void *ctx, int id, const char *arg, char *why, size_t cap)
{
    struct pki_args *a = ctx;
    switch (id) {
    case PKI_TCB: return tcb_status_arg(arg, &a->o.tcb_status, why, cap);
    case PKI_QETCB: return tcb_status_arg(arg, &a->o.qe_tcb_status, why, cap);
    case PKI_NOW: return time_arg("now", arg, &a->now, why, cap);
    case PKI_DAYS: return mse_opt_long("valid-days", arg, 1, 36500, "days", &a->days, why, cap);
    case PKI_PCESVN: return mse_opt_long("pcesvn", arg, 0, 0xffff, "", &a->pcesvn, why, cap);
    default: return mse_say(why, cap, MSE_ERR_INTERNAL, "internal: unhandled option %d", id);
    }
}

static int pki_parse(int argc, char **argv, struct pki_args *a)
{
    char why[256] = "";
    memset(a, 0, sizeof *a);
    a->now = mse_time_now();
    a->pcesvn = -1;
    mse_sim_pki_opts_default(&a->o, a->now);
    if (mse_opt_parse(&pki_cmd, argc, argv, pki_take, a, &a->dir, 1, &a->help, why,
                      sizeof why) != MSE_OK)
        return usage_error(&pki_cmd, why);
    if (a->help || a->dir)
        return 0;
    return usage_error(&pki_cmd, "which directory? (mse-sim pki init DIR)");
}

/* The dates: defaults for --now, then --valid-days and the explicit dates over them. */
static int pki_dates(struct pki_args *a)
{
    struct mse_sim_pki_opts d;
    mse_sim_pki_opts_default(&d, a->now);
    a->o.now = d.now;
    a->o.collateral_issue = d.collateral_issue;
    a->o.collateral_next = d.collateral_next;
    a->o.pck_not_after = d.pck_not_after;
    a->o.ca_not_after = d.ca_not_after;
    if (a->days) {
        /* Every certificate expires after `days`; the PCK leaf no later than its CA. */
        a->o.ca_not_after = a->now + (int64_t)a->days * 86400;
        a->o.pck_not_after = a->o.ca_not_after;
    }
    if (a->pcesvn >= 0)
        a->o.pcesvn = (uint16_t)a->pcesvn;
    int rc = 0;
    if (a->issue)
        rc = parse_time(&pki_cmd, "issue-date", a->issue, &a->o.collateral_issue);
    if (rc == 0 && a->next)
        rc = parse_time(&pki_cmd, "next-update", a->next, &a->o.collateral_next);
    if (rc == 0 && a->pck_not_after)
        rc = parse_time(&pki_cmd, "pck-not-after", a->pck_not_after, &a->o.pck_not_after);
    return rc;
}

static int cmd_pki_init(int argc, char **argv)
{
    struct pki_args a;
    int rc = pki_parse(argc, argv, &a);
    if (rc != 0 || a.help) {
        if (a.help)
            mse_opt_help(stdout, &pki_cmd);
        return rc;
    }
    if ((rc = pki_dates(&a)) != 0)
        return rc;
    char why[512] = "";
    mse_err err = mse_sim_pki_init(a.dir, &a.o, why, sizeof why);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-sim: %s\n", why);
        return fail("pki init", err);
    }
    printf("test PKI written to %s (trust anchor: %s/root.pem)\n", a.dir, a.dir);
    return 0;
}

/* ---- quote, ratls, evidence: the simulated enclave --------------------------------- */

enum { EN_PKI = 1, EN_OUT, EN_CERT, EN_KEY, EN_RD, EN_MRE, EN_MRS, EN_DEBUG, EN_PROD, EN_SVN,
       EN_SAN, EN_SUBJ, EN_DAYS, EN_X, EN_UNBIND };
struct enclave_args {
    const char *pki, *out, *cert, *key, *report_data, *san, *subject, *x25519;
    struct mse_sim_enclave e;
    long days;
    bool unbind;
    bool help;
};

/* Accepted by all three commands; each says which files it needs. */
static const struct mse_opt enclave_files[] = {
    {"pki", 0, "DIR", "the simulated platform (from `mse-sim pki init`)",
     EN_PKI, MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct enclave_args, pki)},
    {"out", 0, "FILE", "where the quote or evidence bundle goes",
     EN_OUT, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct enclave_args, out)},
    {"cert", 0, "FILE", "where the RA-TLS certificate goes (PEM)",
     EN_CERT, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct enclave_args, cert)},
    {"key", 0, "FILE", "where the certificate's private key goes (PEM, 0600)",
     EN_KEY, MSE_OPT_FILE, MSE_OPT_AT(MSE_OPT_STRING, struct enclave_args, key)},
    {"report-data", 0, "HEX", "the quote's REPORTDATA (128 hex digits)",
     EN_RD, 0, MSE_OPT_AT(MSE_OPT_STRING, struct enclave_args, report_data)},
    {0}};
static const struct mse_opt enclave_options[] = {
    {"mrenclave", 0, "HEX", "the enclave's MRENCLAVE (64 hex digits; default 11..11)",
     EN_MRE, 0, MSE_OPT_TAKE, 0},
    {"mrsigner", 0, "HEX", "its MRSIGNER (default: that of the PKI's signer key)",
     EN_MRS, 0, MSE_OPT_TAKE, 0},
    {"debug", 0, NULL, "a debug enclave",
     EN_DEBUG, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct enclave_args, e.debug)},
    {"isv-prod-id", 0, "N", "ISVPRODID (0 to 65535)", EN_PROD, 0, MSE_OPT_TAKE, 0},
    {"isv-svn", 0, "N", "ISVSVN (0 to 65535)", EN_SVN, 0, MSE_OPT_TAKE, 0},
    {"san", 0, "NAME", "the certificate's DNS name (default localhost)",
     EN_SAN, 0, MSE_OPT_AT(MSE_OPT_STRING, struct enclave_args, san)},
    {"subject", 0, "RFC4514", "its subject (default CN=localhost,O=MSE Test App)",
     EN_SUBJ, 0, MSE_OPT_AT(MSE_OPT_STRING, struct enclave_args, subject)},
    {"days", 0, "N", "its validity in days (1 to 36500, default 365)", EN_DAYS, 0, MSE_OPT_TAKE, 0},
    {"x25519", 0, "HEX", "the X25519 public key bound in REPORTDATA[32:64]",
     EN_X, 0, MSE_OPT_AT(MSE_OPT_STRING, struct enclave_args, x25519)},
    {"unbound-key", 0, NULL, "tamper: the quote binds another key than the certificate's",
     EN_UNBIND, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct enclave_args, unbind)},
    {0}};
static const struct mse_opt *const enclave_tables[] = {enclave_files, enclave_options, NULL};

static const char *const quote_synopsis[] = {"--pki DIR --report-data HEX --out FILE [options]", NULL};
static const char *const ratls_synopsis[] = {"--pki DIR --cert FILE --key FILE [options]", NULL};
static const char *const evidence_synopsis[] = {"--pki DIR --out FILE [--key FILE] [options]", NULL};
static const struct mse_opt_cmd quote_cmd = {
    .name = "mse-sim quote",
    .summary = "write an SGX quote of the simulated enclave",
    .synopsis = quote_synopsis,
    .description = SIM_TEST_ONLY,
    .tables = enclave_tables,
};
static const struct mse_opt_cmd ratls_cmd = {
    .name = "mse-sim ratls",
    .summary = "write an RA-TLS certificate and key any TLS server can present",
    .synopsis = ratls_synopsis,
    .description = SIM_TEST_ONLY,
    .tables = enclave_tables,
};
static const struct mse_opt_cmd evidence_cmd = {
    .name = "mse-sim evidence",
    .summary = "write an evidence bundle (certificate + collateral) for mse verify --evidence",
    .synopsis = evidence_synopsis,
    .description = SIM_TEST_ONLY,
    .tables = enclave_tables,
};

/* One option of quote, ratls or evidence into its options struct (mse_opt_take_fn). */
static mse_err enclave_take(void *ctx, int id, const char *arg, char *why, size_t cap)
{
    struct enclave_args *a = ctx;
    long v = 0;
    mse_err err = MSE_OK;
    switch (id) {
    case EN_MRE: err = mse_opt_hex("mrenclave", arg, a->e.mrenclave, 32, why, cap); break;
    case EN_MRS:
        err = mse_opt_hex("mrsigner", arg, a->e.mrsigner, 32, why, cap);
        a->e.have_mrsigner = true;
        break;
    case EN_PROD:
        err = mse_opt_long("isv-prod-id", arg, 0, 0xffff, "", &v, why, cap);
        a->e.isv_prod_id = (uint16_t)v;
        break;
    case EN_SVN:
        err = mse_opt_long("isv-svn", arg, 0, 0xffff, "", &v, why, cap);
        a->e.isv_svn = (uint16_t)v;
        break;
    case EN_DAYS: err = mse_opt_long("days", arg, 1, 36500, "days", &a->days, why, cap); break;
    default: return mse_say(why, cap, MSE_ERR_INTERNAL, "internal: unhandled option %d", id);
    }
    return err;
}

/* Parse a quote/ratls/evidence command line; --pki is always required. */
static int enclave_parse(const struct mse_opt_cmd *cmd, int argc, char **argv,
                         struct enclave_args *a)
{
    char why[256] = "";
    memset(a, 0, sizeof *a);
    a->days = 365;
    memset(a->e.mrenclave, 0x11, 32); /* recognisable default */
    if (mse_opt_parse(cmd, argc, argv, enclave_take, a, NULL, 0, &a->help, why, sizeof why) !=
        MSE_OK)
        return usage_error(cmd, why);
    if (a->help) {
        mse_opt_help(stdout, cmd);
        return 0;
    }
    return a->pki ? 0 : usage_error(cmd, "--pki DIR is required");
}

/* The command's required files: one usage line naming the first missing. */
static int enclave_need(const struct mse_opt_cmd *cmd, const char *value, const char *what)
{
    char why[128];
    if (value)
        return 0;
    snprintf(why, sizeof why, "%s is required", what);
    return usage_error(cmd, why);
}

static int make_cert(const struct enclave_args *a, EVP_PKEY **key, X509 **cert)
{
    uint8_t x[32];
    char why[160];
    int64_t now = mse_time_now();
    if (a->x25519 && mse_opt_hex("x25519", a->x25519, x, 32, why, sizeof why) != MSE_OK)
        return usage_error(&ratls_cmd, why);
    struct mse_ratls_params p = {
        .subject = a->subject ? a->subject : "CN=localhost,O=MSE Test App",
        .san = a->san ? a->san : "localhost",
        .not_before = now - 3600,
        .not_after = now + a->days * 86400,
        .x25519_public_key = a->x25519 ? x : NULL,
    };
    mse_err err = mse_sim_make_ratls(a->pki, &a->e, &p, a->unbind, key, cert);
    return err == MSE_OK ? 0 : fail("RA-TLS certificate", err);
}
static int write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
    BIO *b = BIO_new(BIO_s_mem());
    int ok = b && (key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
                       : PEM_write_bio_X509(b, cert)) == 1;
    char *data;
    long n = ok ? BIO_get_mem_data(b, &data) : 0;
    mse_err err = ok ? mse_file_write_atomic(path, data, (size_t)n, key ? 0600 : 0644) : MSE_ERR_CRYPTO;
    BIO_free(b);
    return err == MSE_OK ? 0 : fail(path, err);
}


static int cmd_ratls(int argc, char **argv)
{
    struct enclave_args a;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    int rc = enclave_parse(&ratls_cmd, argc, argv, &a);
    if (rc != 0 || a.help)
        return rc;
    if ((rc = enclave_need(&ratls_cmd, a.cert, "--cert FILE")) != 0 ||
        (rc = enclave_need(&ratls_cmd, a.key, "--key FILE")) != 0)
        return rc;
    rc = make_cert(&a, &key, &cert);
    if (rc == 0)
        rc = write_pem(a.key, key, NULL);
    if (rc == 0)
        rc = write_pem(a.cert, NULL, cert);
    EVP_PKEY_free(key);
    X509_free(cert);
    return rc;
}

static int cmd_evidence(int argc, char **argv)
{
    struct enclave_args a;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    char *json = NULL;
    int rc = enclave_parse(&evidence_cmd, argc, argv, &a);
    if (rc != 0 || a.help)
        return rc;
    if ((rc = enclave_need(&evidence_cmd, a.out, "--out FILE")) != 0)
        return rc;
    rc = make_cert(&a, &key, &cert);
    if (rc == 0) {
        mse_err err = mse_sim_evidence_json(a.pki, cert, a.san, &json);
        if (err == MSE_OK)
            err = mse_file_write_atomic(a.out, json, strlen(json), 0644);
        rc = err == MSE_OK ? 0 : fail("evidence", err);
    }
    if (rc == 0 && a.key)
        rc = write_pem(a.key, key, NULL);
    free(json);
    EVP_PKEY_free(key);
    X509_free(cert);
    return rc;
}

static int cmd_quote(int argc, char **argv)
{
    struct enclave_args a;
    struct mse_sim_pki pki;
    uint8_t rd[64] = {0}, *quote = NULL;
    size_t len = 0;
    char why[160];
    int rc = enclave_parse(&quote_cmd, argc, argv, &a);
    if (rc != 0 || a.help)
        return rc;
    if ((rc = enclave_need(&quote_cmd, a.out, "--out FILE")) != 0 ||
        (rc = enclave_need(&quote_cmd, a.report_data, "--report-data HEX")) != 0)
        return rc;
    if (mse_opt_hex("report-data", a.report_data, rd, 64, why, sizeof why) != MSE_OK)
        return usage_error(&quote_cmd, why);
    mse_err err = mse_sim_pki_load(a.pki, &pki);
    if (err != MSE_OK)
        return fail(a.pki, err);
    err = mse_sim_quote(&pki, &a.e, rd, &quote, &len);
    if (err == MSE_OK)
        err = mse_file_write_atomic(a.out, quote, len, 0644);
    free(quote);
    mse_sim_pki_free(&pki);
    return err == MSE_OK ? 0 : fail("quote", err);
}

/* ---- tamper ------------------------------------------------------------------------ */

enum { TA_OUT = 1, TA_NOW };
struct tamper_args {
    const char *out; /* --out DIR */
    int64_t now;     /* --now T, default now */
    bool help;
};

static const struct mse_opt tamper_options[] = {
    {"out", 0, "DIR", "where the cases and their MANIFEST go",
     TA_OUT, MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct tamper_args, out)},
    {"now", 0, "T", "the instant the cases are made for (default: now)",
     TA_NOW, 0, MSE_OPT_TAKE, 0},
    {0}};
static const struct mse_opt *const tamper_tables[] = {tamper_options, NULL};
static const char *const tamper_synopsis[] = {"--out DIR [--now T]", NULL};
static const struct mse_opt_cmd tamper_cmd = {
    .name = "mse-sim tamper",
    .summary = "write the verifier's negative matrix as evidence files",
    .synopsis = tamper_synopsis,
    .description = "One evidence bundle per tamper case, each with the error `mse verify` must\n"
                   "name, listed in DIR/MANIFEST.\n" SIM_TEST_ONLY,
    .tables = tamper_tables,
};

/* One option of tamper into its options struct (mse_opt_take_fn). */
static mse_err tamper_take(void *ctx, int id, const char *arg, char *why, size_t cap)
{
    struct tamper_args *a = ctx;
    if (id != TA_NOW)
        return mse_say(why, cap, MSE_ERR_INTERNAL, "internal: unhandled option %d", id);
    return time_arg("now", arg, &a->now, why, cap);
}

static int cmd_tamper(int argc, char **argv)
{
    struct tamper_args a = {.now = mse_time_now()};
    char why[512] = "";
    if (mse_opt_parse(&tamper_cmd, argc, argv, tamper_take, &a, NULL, 0, &a.help, why,
                      sizeof why) != MSE_OK)
        return usage_error(&tamper_cmd, why);
    if (a.help) {
        mse_opt_help(stdout, &tamper_cmd);
        return 0;
    }
    const char *out = a.out;
    int64_t now = a.now;
    if (!out)
        return usage_error(&tamper_cmd, "--out DIR is required");
    size_t n = 0;
    mse_err err = mse_sim_tamper_set(out, now, &n, why, sizeof why);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-sim: %s\n", why);
        return fail("tamper", err);
    }
    printf("%zu cases written to %s (see %s/MANIFEST)\n", n, out, out);
    return 0;
}

const struct mse_opt_sub mse_sim_commands[] = {
    {&pki_cmd, cmd_pki_init},
    {&quote_cmd, cmd_quote},
    {&ratls_cmd, cmd_ratls},
    {&evidence_cmd, cmd_evidence},
    {&tamper_cmd, cmd_tamper},
    {&mse_sim_pccs_serve_cmd, mse_sim_pccs_serve_main}, /* pccs_cmd.c */
    {NULL, NULL},
};

/*
 * mse-sim: the software SGX DCAP platform's command line.
 *
 *   mse-sim pki init DIR [options]          test PKI + collateral (+ DIR/pccs for the server)
 *   mse-sim quote --pki DIR --report-data HEX --out FILE [enclave options]
 *   mse-sim ratls --pki DIR --cert FILE --key FILE [enclave options]
 *   mse-sim evidence --pki DIR --out FILE [enclave options]
 *   mse-sim tamper --out DIR [--now T]     negative matrix as evidence files + MANIFEST
 *   mse-sim pccs serve --dir DIR ...        PCCS-compatible server (docs/cmd/mse-sim-pccs.md)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include <mse/bytes.h>
#include <mse/time.h>

#include "pccs.h"
#include "sim.h"
#include "sim_cmd.h"
#include "util/util.h"

static int usage(FILE *f, int rc)
{
    fputs("usage: mse-sim pki init DIR [--intel-names] [--tcb-status S] [--qe-tcb-status S]\n"
          "                [--advisories ID,...] [--revoke-pck] [--revoke-pck-ca]\n"
          "                [--now T] [--issue-date T] [--next-update T] [--pck-not-after T]\n"
          "                [--valid-days N] [--pcesvn N]\n"
          "       mse-sim quote --pki DIR --report-data HEX --out FILE [enclave options]\n"
          "       mse-sim ratls --pki DIR --cert FILE --key FILE [enclave options]\n"
          "       mse-sim evidence --pki DIR --out FILE [enclave options]\n"
          "       mse-sim tamper --out DIR [--now T]   (the verifier's negative matrix as files)\n"
          "       mse-sim pccs serve --dir DIR [--host H] --port P [...]\n"
          "\n"
          "enclave options: --mrenclave HEX --mrsigner HEX --debug --isv-prod-id N --isv-svn N\n"
          "                 --san NAME --subject RFC4514 --days N --x25519 HEX\n"
          "                 --unbound-key (tamper: the quote binds another key)\n"
          "Test only: every key made here is public. T is RFC 3339 UTC.\n",
          f);
    return rc;
}

static int fail(const char *what, mse_err err)
{
    fprintf(stderr, "mse-sim: %s: %s (%s)\n", what, mse_err_str(err), mse_err_name(err));
    return err == MSE_OK ? 0 : (int)mse_err_exit(err) ? (int)mse_err_exit(err) : 1;
}

static int parse_time(const char *s, int64_t *t)
{
    if (mse_time_parse(s, strlen(s), t) != MSE_OK) {
        fprintf(stderr, "mse-sim: '%s' is not an RFC 3339 UTC time\n", s);
        return 0;
    }
    return 1;
}

static int cmd_pki_init(int argc, char **argv)
{
    enum { O_INTEL = 256, O_TCB, O_QETCB, O_ADV, O_RPCK, O_RCA, O_NOW, O_ISSUE, O_NEXT, O_PCKNA, O_DAYS, O_PCESVN };
    static const struct option opts[] = {
        {"intel-names", no_argument, NULL, O_INTEL},   {"tcb-status", required_argument, NULL, O_TCB},
        {"qe-tcb-status", required_argument, NULL, O_QETCB},
        {"advisories", required_argument, NULL, O_ADV}, {"revoke-pck", no_argument, NULL, O_RPCK},
        {"revoke-pck-ca", no_argument, NULL, O_RCA},   {"now", required_argument, NULL, O_NOW},
        {"issue-date", required_argument, NULL, O_ISSUE},
        {"next-update", required_argument, NULL, O_NEXT},
        {"pck-not-after", required_argument, NULL, O_PCKNA},
        {"valid-days", required_argument, NULL, O_DAYS},
        {"pcesvn", required_argument, NULL, O_PCESVN},
        {NULL, 0, NULL, 0}};
    long pcesvn = -1;
    struct mse_sim_pki_opts o;
    long days = 0;
    char *end;
    int64_t now = mse_time_now(), t;
    const char *issue = NULL, *next = NULL, *pckna = NULL;
    mse_sim_pki_opts_default(&o, now);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_INTEL: o.intel_names = true; break;
        case O_TCB:
        case O_QETCB: {
            enum mse_tcb_status st;
            if (mse_tcb_status_parse(optarg, strlen(optarg), &st) != MSE_OK) {
                fprintf(stderr, "mse-sim: unknown TCB status '%s'\n", optarg);
                return 2;
            }
            if (c == O_TCB)
                o.tcb_status = st;
            else
                o.qe_tcb_status = st;
            break;
        }
        case O_ADV: o.advisories = optarg; break;
        case O_RPCK: o.revoke_pck = true; break;
        case O_RCA: o.revoke_pck_ca = true; break;
        case O_NOW:
            if (!parse_time(optarg, &t))
                return 2;
            now = t;
            break;
        case O_ISSUE: issue = optarg; break;
        case O_NEXT: next = optarg; break;
        case O_PCKNA: pckna = optarg; break;
        case O_DAYS:
            days = strtol(optarg, &end, 10);
            if (*optarg == 0 || *end != 0 || days < 1 || days > 36500) {
                fprintf(stderr, "mse-sim: --valid-days takes 1..36500\n");
                return 2;
            }
            break;
        case O_PCESVN:
            pcesvn = strtol(optarg, &end, 10);
            if (*optarg == 0 || *end != 0 || pcesvn < 0 || pcesvn > 0xffff) {
                fprintf(stderr, "mse-sim: --pcesvn takes 0..65535\n");
                return 2;
            }
            break;
        default: return usage(stderr, 2);
        }
    }
    if (optind + 1 != argc)
        return usage(stderr, 2);
    if (pcesvn >= 0)
        o.pcesvn = (uint16_t)pcesvn;
    struct mse_sim_pki_opts d;
    mse_sim_pki_opts_default(&d, now);
    o.now = d.now;
    o.collateral_issue = d.collateral_issue;
    o.collateral_next = d.collateral_next;
    o.pck_not_after = d.pck_not_after;
    o.ca_not_after = d.ca_not_after;
    if (days) {
        /* Every certificate expires after `days`; the PCK leaf no later than its CA. */
        o.ca_not_after = now + (int64_t)days * 86400;
        o.pck_not_after = o.ca_not_after;
    }
    if ((issue && !parse_time(issue, &o.collateral_issue)) ||
        (next && !parse_time(next, &o.collateral_next)) ||
        (pckna && !parse_time(pckna, &o.pck_not_after)))
        return 2;
    char why[512] = "";
    mse_err err = mse_sim_pki_init(argv[optind], &o, why, sizeof why);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-sim: %s\n", why);
        return fail("pki init", err);
    }
    printf("test PKI written to %s (trust anchor: %s/root.pem)\n", argv[optind], argv[optind]);
    return 0;
}

struct enclave_args {
    const char *pki, *out, *cert, *key, *report_data, *san, *subject, *x25519;
    struct mse_sim_enclave e;
    long days;
    bool unbind;
};

static int hex32(const char *name, const char *s, uint8_t *out, size_t n)
{
    if (mse_hex_decode(s, strlen(s), out, n) != MSE_OK) {
        fprintf(stderr, "mse-sim: %s must be %zu hex digits\n", name, 2 * n);
        return 0;
    }
    return 1;
}

static int parse_enclave_args(int argc, char **argv, struct enclave_args *a)
{
    enum { O_PKI = 256, O_OUT, O_CERT, O_KEY, O_RD, O_MRE, O_MRS, O_DEBUG, O_PROD, O_SVN, O_SAN,
           O_SUBJ, O_DAYS, O_X, O_UNBIND };
    static const struct option opts[] = {
        {"pki", required_argument, NULL, O_PKI},       {"out", required_argument, NULL, O_OUT},
        {"cert", required_argument, NULL, O_CERT},     {"key", required_argument, NULL, O_KEY},
        {"report-data", required_argument, NULL, O_RD},
        {"mrenclave", required_argument, NULL, O_MRE}, {"mrsigner", required_argument, NULL, O_MRS},
        {"debug", no_argument, NULL, O_DEBUG},
        {"isv-prod-id", required_argument, NULL, O_PROD},
        {"isv-svn", required_argument, NULL, O_SVN},   {"san", required_argument, NULL, O_SAN},
        {"subject", required_argument, NULL, O_SUBJ},  {"days", required_argument, NULL, O_DAYS},
        {"x25519", required_argument, NULL, O_X},
        {"unbound-key", no_argument, NULL, O_UNBIND},  {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->days = 365;
    memset(a->e.mrenclave, 0x11, 32); /* recognisable default */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_PKI: a->pki = optarg; break;
        case O_OUT: a->out = optarg; break;
        case O_CERT: a->cert = optarg; break;
        case O_KEY: a->key = optarg; break;
        case O_RD: a->report_data = optarg; break;
        case O_MRE:
            if (!hex32("--mrenclave", optarg, a->e.mrenclave, 32))
                return 0;
            break;
        case O_MRS:
            if (!hex32("--mrsigner", optarg, a->e.mrsigner, 32))
                return 0;
            a->e.have_mrsigner = true;
            break;
        case O_DEBUG: a->e.debug = true; break;
        case O_PROD: a->e.isv_prod_id = (uint16_t)strtoul(optarg, NULL, 0); break;
        case O_SVN: a->e.isv_svn = (uint16_t)strtoul(optarg, NULL, 0); break;
        case O_SAN: a->san = optarg; break;
        case O_SUBJ: a->subject = optarg; break;
        case O_DAYS: a->days = strtol(optarg, NULL, 10); break;
        case O_X: a->x25519 = optarg; break;
        case O_UNBIND: a->unbind = true; break;
        default: return 0;
        }
    }
    if (!a->pki || optind != argc) {
        fprintf(stderr, "mse-sim: --pki DIR is required\n");
        return 0;
    }
    return 1;
}

static int make_cert(const struct enclave_args *a, EVP_PKEY **key, X509 **cert)
{
    uint8_t x[32];
    int64_t now = mse_time_now();
    if (a->x25519 && !hex32("--x25519", a->x25519, x, 32))
        return 2;
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
    if (!parse_enclave_args(argc, argv, &a) || !a.cert || !a.key)
        return usage(stderr, 2);
    int rc = make_cert(&a, &key, &cert);
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
    if (!parse_enclave_args(argc, argv, &a) || !a.out)
        return usage(stderr, 2);
    int rc = make_cert(&a, &key, &cert);
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
    if (!parse_enclave_args(argc, argv, &a) || !a.out || !a.report_data)
        return usage(stderr, 2);
    if (!hex32("--report-data", a.report_data, rd, 64))
        return 2;
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

static int cmd_tamper(int argc, char **argv)
{
    enum { O_OUT = 256, O_NOW };
    static const struct option opts[] = {{"out", required_argument, NULL, O_OUT},
                                         {"now", required_argument, NULL, O_NOW},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int64_t now = mse_time_now();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_OUT: out = optarg; break;
        case O_NOW:
            if (!parse_time(optarg, &now))
                return 2;
            break;
        default: return usage(stderr, 2);
        }
    }
    if (!out || optind != argc)
        return usage(stderr, 2);
    char why[512] = "";
    size_t n = 0;
    mse_err err = mse_sim_tamper_set(out, now, &n, why, sizeof why);
    if (err != MSE_OK) {
        fprintf(stderr, "mse-sim: %s\n", why);
        return fail("tamper", err);
    }
    printf("%zu cases written to %s (see %s/MANIFEST)\n", n, out, out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr, 2);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
        return usage(stdout, 0);
    if (!strcmp(cmd, "pki") && argc >= 3 && !strcmp(argv[2], "init"))
        return cmd_pki_init(argc - 2, argv + 2);
    if (!strcmp(cmd, "quote"))
        return cmd_quote(argc - 1, argv + 1);
    if (!strcmp(cmd, "ratls"))
        return cmd_ratls(argc - 1, argv + 1);
    if (!strcmp(cmd, "evidence"))
        return cmd_evidence(argc - 1, argv + 1);
    if (!strcmp(cmd, "tamper"))
        return cmd_tamper(argc - 1, argv + 1);
    if (!strcmp(cmd, "pccs"))
        return mse_sim_cmd_pccs(argc - 1, argv + 1);
    fprintf(stderr, "mse-sim: unknown command '%s'\n", cmd);
    return usage(stderr, 2);
}

/*
 * mse verify: decide whether to trust a web app that claims to run in an SGX
 * enclave, and save its certificate only if every check passed.
 *
 *   mse verify DOMAIN            fetch the certificate over TLS, collateral from a PCCS
 *   mse verify --evidence FILE   an mse evidence bundle (certificate + collateral), offline
 *
 * The checks themselves are libmse's mse_verify(); this file turns options
 * into a policy, gathers inputs, prints the outcome and saves atomically.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <jansson.h>

#include <mse/mse.h>
#include <mse/net.h>

#include "cli_verify.h"
#include "net/cache.h"
#include "context/context.h"
#include "util/util.h"

#define EVIDENCE_MAX (8u << 20)
#define PEM_MAX (1u << 20)

static void usage(FILE *f)
{
    fputs("usage: mse verify DOMAIN [options]\n"
          "       mse verify --evidence FILE [options]\n"
          "\n"
          "Checks that DOMAIN runs in a genuine SGX enclave (Intel DCAP), that the enclave\n"
          "is the operator's (MRSIGNER) and that its code is the owner's (MRENCLAVE), then\n"
          "saves the verified certificate.\n"
          "\n"
          "  --fingerprint HEX          expected MRENCLAVE (64 hex digits)\n"
          "  --context FILE --code DIR  compute the expected MRENCLAVE from a context and the code\n"
          "  --signer-key PEM           operator's enclave signing public key (RSA-3072)\n"
          "  --mrsigner HEX             operator's MRSIGNER (64 hex digits)\n"
          "  --at RFC3339               verify as of this instant (default: now)\n"
          "  --trust-root PEM           trust anchor instead of the Intel SGX Root CA (simulator)\n"
          "  --allow-debug              accept a debug enclave\n"
          "  --allow-tcb LIST           also accept these TCB statuses (comma-separated)\n"
          "  --allow-expired-collateral go on past collateral past its end (reported as warnings)\n"
          "  --evidence FILE            verify an mse evidence bundle instead of a server\n"
          "  --pccs-url URL             PCCS / PCS base URL (else $MSE_PCCS_URL, QCNL config, Intel PCS)\n"
          "  --pccs-cacert FILE         CA certificate of the PCCS's TLS certificate\n"
          "  --pccs-insecure            do not validate the PCCS's TLS certificate\n"
          "  --offline                  use cached collateral only\n"
          "  --no-cache                 neither read nor write the collateral cache\n"
          "  --timeout SECONDS          network timeout (default 15)\n"
          "  --output PATH              where to save the certificate (default ./cert.pem)\n"
          "  --json                     print the result as one JSON object\n"
          "  --quiet                    print only errors\n"
          "\n"
          "See docs/cmd/mse-verify.md; exit codes in docs/exit-codes.md.\n",
          f);
}

static int read_pem_mrsigner(const struct mse_out *out, const char *path, uint8_t mr[32])
{
    uint8_t *pem = NULL;
    size_t len = 0;
    mse_err err = mse_file_read(path, PEM_MAX, &pem, &len);
    if (err != MSE_OK)
        return mse_out_error(out, err, "cannot read signer key %s: %s", path, mse_err_str(err));
    err = mse_mrsigner_from_pem(pem, len, mr);
    free(pem);
    if (err != MSE_OK)
        return mse_out_error(out, MSE_ERR_ARG,
                             "%s is not an SGX enclave signing key (RSA-3072, exponent 3): %s",
                             path, mse_err_str(err));
    return 0;
}

/* $MSE_CONF_PATH (default ~/.config/mse) /signers/ *.pem, if that directory exists. */
static int config_signers(const struct mse_out *out, struct mse_verify_setup *s, bool *found)
{
    char dir[4096];
    const char *conf = getenv("MSE_CONF_PATH");
    const char *home = getenv("HOME");
    *found = false;
    if (conf && *conf)
        snprintf(dir, sizeof dir, "%s/signers", conf);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.config/mse/signers", home);
    else
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL && rc == 0) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pem") != 0)
            continue;
        if (s->policy.mrsigner_count == MSE_MAX_SIGNERS) {
            rc = mse_out_error(out, MSE_ERR_LIMIT, "more than %d signers in %s", MSE_MAX_SIGNERS,
                               dir);
            break;
        }
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = read_pem_mrsigner(out, path, s->signers[s->policy.mrsigner_count]);
        if (rc == 0) {
            s->policy.mrsigner_count++;
            *found = true;
        }
    }
    closedir(d);
    return rc;
}

static int parse_allow_tcb(const struct mse_out *out, const char *list, uint32_t *mask)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        enum mse_tcb_status st;
        if (n == 0 || mse_tcb_status_parse(p, n, &st) != MSE_OK || st == MSE_TCB_UNKNOWN)
            return mse_out_error(out, MSE_ERR_ARG,
                                 "--allow-tcb: unknown TCB status '%.*s' (UpToDate, "
                                 "SWHardeningNeeded, ConfigurationNeeded, "
                                 "ConfigurationAndSWHardeningNeeded, OutOfDate, "
                                 "OutOfDateConfigurationNeeded)",
                                 (int)n, p);
        if (st == MSE_TCB_REVOKED)
            return mse_out_error(out, MSE_ERR_ARG, "--allow-tcb: a revoked TCB is never accepted");
        *mask |= MSE_TCB_MASK(st);
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int load_trust_root(const struct mse_out *out, const char *path, struct mse_verify_setup *s)
{
    BIO *bio = BIO_new_file(path, "r");
    if (!bio)
        return mse_out_error(out, MSE_ERR_FILE_NOT_FOUND, "cannot read trust root %s", path);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!x)
        return mse_out_error(out, MSE_ERR_PEM, "%s is not a PEM certificate", path);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    if (n <= 0)
        return mse_out_error(out, MSE_ERR_CRYPTO, "cannot encode %s", path);
    s->trust_root_der = malloc((size_t)n);
    memcpy(s->trust_root_der, der, (size_t)n);
    s->trust_root_len = (size_t)n;
    OPENSSL_free(der);
    return 0;
}

int mse_verify_setup_init(const struct mse_out *out, const struct mse_verify_opts *o,
                          struct mse_verify_setup *s)
{
    int rc;
    memset(s, 0, sizeof *s);
    mse_policy_init(&s->policy);
    s->policy.allow_debug = o->allow_debug;
    s->policy.allow_expired_collateral = o->allow_expired;

    if (o->at) {
        if (mse_time_parse(o->at, strlen(o->at), &s->at) != MSE_OK)
            return mse_out_error(out, MSE_ERR_ARG_TIME,
                                 "--at '%s' is not an RFC 3339 UTC time such as "
                                 "2023-06-25T00:00:00Z",
                                 o->at);
    } else {
        s->at = mse_time_now();
    }
    if (o->allow_tcb && (rc = parse_allow_tcb(out, o->allow_tcb, &s->policy.accepted_tcb)) != 0)
        return rc;

    /* Check 2: the operator. Explicit options replace the configured and built-in list. */
    if (o->signer_key && o->mrsigner)
        return mse_out_error(out, MSE_ERR_ARG_CONFLICT,
                             "--signer-key and --mrsigner are mutually exclusive");
    if (o->signer_key) {
        if ((rc = read_pem_mrsigner(out, o->signer_key, s->signers[0])) != 0)
            return rc;
        s->policy.mrsigner_count = 1;
    } else if (o->mrsigner) {
        if (mse_hex_decode(o->mrsigner, strlen(o->mrsigner), s->signers[0], 32) != MSE_OK)
            return mse_out_error(out, MSE_ERR_ARG_HEX, "--mrsigner must be exactly 64 hex digits");
        s->policy.mrsigner_count = 1;
    } else {
        bool found;
        if ((rc = config_signers(out, s, &found)) != 0)
            return rc;
        if (!found) {
            mse_err err = mse_mrsigner_from_pem((const uint8_t *)MSE_DEFAULT_SIGNER_COSMIAN,
                                                strlen(MSE_DEFAULT_SIGNER_COSMIAN), s->signers[0]);
            if (err != MSE_OK)
                return mse_out_error(out, err, "built-in signer key unreadable");
            s->policy.mrsigner_count = 1;
        }
    }
    s->policy.mrsigners = (const uint8_t(*)[32])s->signers;

    /* Check 3: the code. */
    if (o->fingerprint && (o->context || o->code))
        return mse_out_error(out, MSE_ERR_ARG_CONFLICT,
                             "--fingerprint and --context/--code are mutually exclusive");
    if (o->fingerprint) {
        if (mse_hex_decode(o->fingerprint, strlen(o->fingerprint), s->mrenclave, 32) != MSE_OK)
            return mse_out_error(out, MSE_ERR_ARG_HEX,
                                 "--fingerprint must be exactly 64 hex digits (an MRENCLAVE)");
        s->fingerprint_given = true;
    } else if (o->context || o->code) {
        if (!o->context || !o->code)
            return mse_out_error(out, MSE_ERR_ARG_MISSING, "--context and --code go together");
        char why[512] = "";
        mse_err err = mse_fingerprint_from_context(o->context, o->code, s->mrenclave, why,
                                                   sizeof why);
        if (err != MSE_OK)
            return mse_out_error(out, err, "cannot compute the code fingerprint: %s",
                                 why[0] ? why : mse_err_str(err));
        s->fingerprint_given = true;
    }
    if (s->fingerprint_given)
        s->policy.mrenclave = s->mrenclave;

    if (o->trust_root && (rc = load_trust_root(out, o->trust_root, s)) != 0)
        return rc;
    return 0;
}

void mse_verify_setup_free(struct mse_verify_setup *s)
{
    free(s->trust_root_der);
    s->trust_root_der = NULL;
}

/* --pccs-url, else $MSE_PCCS_URL, else QCNL's pccs_url, else Intel's PCS. */
static int resolve_pccs(const struct mse_out *out, const struct mse_verify_opts *o,
                        struct mse_pccs_opts *p, char **owned)
{
    *owned = NULL;
    p->cacert = o->pccs_cacert;
    p->insecure = o->pccs_insecure;
    p->timeout_ms = o->timeout_ms;
    const char *env = getenv("MSE_PCCS_URL");
    if (o->pccs_url) {
        p->url = o->pccs_url;
    } else if (env && *env) {
        p->url = env;
    } else {
        const char *conf = getenv("MSE_QCNL_CONF");
        uint8_t *text = NULL;
        size_t len = 0;
        bool secure = true;
        if (mse_file_read(conf && *conf ? conf : "/etc/sgx_default_qcnl.conf", 1u << 20, &text,
                          &len) == MSE_OK) {
            mse_err err = mse_qcnl_parse((const char *)text, len, owned, &secure);
            free(text);
            if (err != MSE_OK)
                return mse_out_error(out, err, "cannot read pccs_url from the QCNL configuration");
            p->url = *owned;
            if (!secure)
                p->insecure = true;
        } else {
            p->url = MSE_INTEL_PCS_URL;
        }
    }
    if (p->insecure && !out->quiet)
        mse_out_warn(out, "the PCCS TLS certificate is not checked (collateral signatures still are)");
    return 0;
}

static void status_line(const struct mse_out *out, const char *msg)
{
    /* Progress only for a person watching a terminal; never in pipes or logs. */
    if (!out->quiet && !out->json && isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K%s", msg);
}

/* The check that verifies each collateral item (indexed by enum mse_pccs_item_id). */
static const enum mse_check_id item_checks[MSE_PCCS_ITEM_COUNT] = {
    [MSE_PCCS_TCB_INFO] = MSE_CHECK_TCB_INFO,
    [MSE_PCCS_QE_IDENTITY] = MSE_CHECK_QE_IDENTITY,
    [MSE_PCCS_PCK_CRL] = MSE_CHECK_PCK_CRL,
    [MSE_PCCS_ROOT_CA_CRL] = MSE_CHECK_ROOT_CA_CRL,
};

int mse_verify_online(const struct mse_out *out, const struct mse_verify_opts *o,
                      const struct mse_verify_setup *s, const uint8_t *cert_der, size_t cert_len,
                      struct mse_verify_result *result)
{
    static uint8_t quote_buf[MSE_QUOTE_MAX_SIZE + 8192];
    struct mse_ratls ratls;
    struct mse_quote q;
    struct mse_collateral_id id;
    struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT];
    struct mse_pccs_opts popts = {0};
    struct mse_collateral view;
    char cache_dir[4096], why[1024] = "";
    char *owned_url = NULL;
    unsigned want = 0, requests = 0;
    bool use_cache = !o->no_cache;
    int rc = 0;
    mse_err err;

    memset(items, 0, sizeof items);
    err = mse_ratls_extract(cert_der, cert_len, quote_buf, sizeof quote_buf, &ratls);
    if (err == MSE_ERR_RATLS_NO_QUOTE)
        return mse_out_error(out, err,
                             "this app does not use an enclave-generated (RA-TLS) certificate: "
                             "its certificate carries no SGX quote, so there is nothing to "
                             "verify (app owner or operator certificate)");
    if (err == MSE_OK)
        err = mse_quote_parse(ratls.quote, ratls.quote_len, &q);
    if (err == MSE_OK)
        err = mse_collateral_id_from_quote(&q, &id);
    if (err != MSE_OK) {
        /* Let the verifier produce the precise verdict for a malformed certificate. */
        struct mse_verify_input in = {.cert_der = cert_der, .cert_len = cert_len,
                                      .trust_root_der = s->trust_root_der,
                                      .trust_root_len = s->trust_root_len, .at = s->at};
        err = mse_verify(&in, &s->policy, result);
        return err != MSE_OK ? mse_out_error(out, err, "verification failed: %s", mse_err_str(err))
                             : (int)mse_err_exit(result->err);
    }

    if ((rc = resolve_pccs(out, o, &popts, &owned_url)) != 0)
        goto out;
    /* One cache per collateral service: two PCCSs (a simulator and Intel's, say) never mix. */
    if (use_cache && mse_cache_dir(cache_dir, sizeof cache_dir, popts.url) != MSE_OK) {
        if (o->offline) {
            rc = mse_out_error(out, MSE_ERR_IO, "--offline: no cache directory");
            goto out;
        }
        use_cache = false;
    }
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        bool hit = false;
        if (use_cache &&
            mse_cache_load(cache_dir, (enum mse_pccs_item_id)i, &id, s->at, &items[i], &hit) !=
                MSE_OK)
            hit = false;
        if (!hit)
            want |= 1u << i;
    }
    if (want && o->offline) {
        for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++)
            if (want & (1u << i)) {
                rc = mse_out_error(out, MSE_ERR_CACHE_MISS,
                                   "--offline: %s is not in the cache or not valid at that time",
                                   mse_pccs_item_name((enum mse_pccs_item_id)i));
                goto out;
            }
    }
    if (want) {
        struct mse_pccs_item fetched[MSE_PCCS_ITEM_COUNT];
        status_line(out, "Fetching collateral...");
        err = mse_pccs_fetch(&popts, &id, want, fetched, &requests, why, sizeof why);
        status_line(out, "");
        if (err != MSE_OK) {
            rc = mse_out_error(out, err, "%s", why[0] ? why : mse_err_str(err));
            goto out;
        }
        for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++)
            if (want & (1u << i))
                items[i] = fetched[i];
    }
    if (getenv("MSE_DEBUG_REQUESTS"))
        fprintf(stderr, "pccs requests: %u\n", requests);

    mse_pccs_items_view(items, &view);
    struct mse_verify_input in = {.cert_der = cert_der, .cert_len = cert_len, .collateral = &view,
                                  .trust_root_der = s->trust_root_der,
                                  .trust_root_len = s->trust_root_len, .at = s->at};
    err = mse_verify(&in, &s->policy, result);
    if (err != MSE_OK) {
        rc = mse_out_error(out, err, "verification could not run: %s", mse_err_str(err));
        goto out;
    }
    rc = (int)mse_err_exit(result->err);
    /*
     * Cache a fetched item only once the verifier has checked it (signature,
     * issuer chain, platform match). Cached bytes are re-verified on every
     * run, so this is not about trust but about availability: an item that
     * failed (a PCCS fault, or bytes injected on an unauthenticated
     * --pccs-insecure link) would otherwise be served from the cache until
     * the nextUpdate it claims, refusing every later verification even after
     * the PCCS is fixed.
     */
    for (int i = 0; use_cache && i < MSE_PCCS_ITEM_COUNT; i++) {
        enum mse_outcome oc = result->checks[item_checks[i]].outcome;
        if (!(want & (1u << i)) || (oc != MSE_OUTCOME_PASS && oc != MSE_OUTCOME_WARN))
            continue;
        if (mse_cache_store(cache_dir, (enum mse_pccs_item_id)i, &id, &items[i]) != MSE_OK &&
            !out->quiet)
            mse_out_warn(out, "could not cache %s in %s",
                         mse_pccs_item_name((enum mse_pccs_item_id)i), cache_dir);
    }
out:
    mse_pccs_items_free(items);
    free(owned_url);
    return rc;
}

static const char *mark(const struct mse_out *out, enum mse_outcome o)
{
    switch (o) {
    case MSE_OUTCOME_PASS:
        return out->color ? "\033[32m  ok \033[0m" : "  ok ";
    case MSE_OUTCOME_FAIL:
        return out->color ? "\033[31mFAIL \033[0m" : "FAIL ";
    case MSE_OUTCOME_WARN:
        return out->color ? "\033[33mwarn \033[0m" : "warn ";
    case MSE_OUTCOME_SKIPPED:
        return "skip ";
    default:
        return "  -- ";
    }
}

void mse_verify_print(const struct mse_out *out, const struct mse_verify_result *r)
{
    if (out->quiet || out->json)
        return;
    for (int i = 0; i < MSE_CHECK_COUNT; i++) {
        const struct mse_check_result *c = &r->checks[i];
        printf("  %s %s", mark(out, c->outcome), mse_check_title((enum mse_check_id)i));
        if (c->detail[0] && c->outcome != MSE_OUTCOME_PASS)
            printf(": %s", c->detail);
        putchar('\n');
    }
    if (r->have_quote) {
        char hex[65];
        mse_hex_encode(r->enclave.mr_enclave, 32, hex);
        printf("  MRENCLAVE %s\n", hex);
        mse_hex_encode(r->enclave.mr_signer, 32, hex);
        printf("  MRSIGNER  %s\n", hex);
    }
    if (r->tcb_status != MSE_TCB_UNKNOWN) {
        printf("  TCB status %s", mse_tcb_status_name(r->tcb_status));
        for (size_t i = 0; i < r->advisory_count; i++)
            printf("%s%s", i ? ", " : " (advisories: ", r->advisories[i]);
        printf("%s\n", r->advisory_count ? ")" : "");
    }
    if (r->checks[MSE_CHECK_MRENCLAVE].outcome == MSE_OUTCOME_SKIPPED)
        mse_out_warn(out, "Code fingerprint check skipped! (give --fingerprint or --context/--code)");
    if (r->checks[MSE_CHECK_COLLATERAL_TIME].outcome == MSE_OUTCOME_WARN)
        mse_out_warn(out, "expired collateral tolerated by --allow-expired-collateral: %s",
                     r->checks[MSE_CHECK_COLLATERAL_TIME].detail);
    if (r->checks[MSE_CHECK_TCB_STATUS].outcome == MSE_OUTCOME_WARN)
        mse_out_warn(out, "TCB status accepted by --allow-tcb: %s",
                     r->checks[MSE_CHECK_TCB_STATUS].detail);
    if (r->ok)
        printf("Verification: %s\n", out->color ? "\033[32msuccess\033[0m" : "success");
    else
        printf("Verification: %s\n  %s: %s\n", out->color ? "\033[31mfailure\033[0m" : "failure",
               mse_err_name(r->err), r->message);
}

int mse_verify_save(const struct mse_out *out, const char *path, const char *target,
                    const uint8_t *der, size_t len, const struct mse_verify_result *r, int64_t at)
{
    mse_err err = MSE_OK;
    char *pem = NULL, *record = NULL, *result_json = NULL;
    long pem_len;
    json_t *rec = NULL, *res = NULL;
    uint8_t digest[32];
    char hex[65], now_s[21], at_s[21], rec_path[4096];

    /* Re-encode exactly the DER that was verified. */
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio(bio, "CERTIFICATE", "", der, (long)len) <= 0) {
        BIO_free(bio);
        return mse_out_error(out, MSE_ERR_CRYPTO, "cannot encode the certificate");
    }
    pem_len = BIO_get_mem_data(bio, &pem);
    EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL);
    mse_hex_encode(digest, 32, hex);
    mse_time_format(mse_time_now(), now_s);
    mse_time_format(at, at_s);
    if (mse_verify_result_json(r, &result_json) == MSE_OK)
        res = json_loads(result_json, 0, NULL);
    rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O?}", "sha256", hex, "verified_at", now_s, "at",
                    at_s, "target", target, "verdict", "success", "checks",
                    res ? json_object_get(res, "checks") : NULL);
    record = rec ? json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    snprintf(rec_path, sizeof rec_path, "%s.verify.json", path);
    if (!record) {
        err = MSE_ERR_NOMEM;
    } else {
        /* Record first: a certificate never appears without its record. */
        err = mse_file_write_atomic(rec_path, record, strlen(record), 0644);
        if (err == MSE_OK)
            err = mse_file_write_atomic(path, pem, (size_t)pem_len, 0644);
        if (err != MSE_OK)
            unlink(rec_path);
    }
    BIO_free(bio);
    json_decref(rec);
    json_decref(res);
    free(record);
    free(result_json);
    if (err != MSE_OK)
        return mse_out_error(out, err, "cannot save the certificate at %s: %s", path,
                             mse_err_str(err));
    if (!out->quiet && !out->json)
        printf("The verified certificate has been saved at: %s\n", path);
    return 0;
}

int mse_cli_verify(int argc, char **argv)
{
    enum { O_AT = 256, O_FP, O_CTX, O_CODE, O_SK, O_MRS, O_ROOT, O_DEBUG, O_TCB, O_EXPIRED,
           O_EVID, O_URL, O_CA, O_INSEC, O_OFFLINE, O_NOCACHE, O_TIMEOUT, O_OUT, O_JSON, O_QUIET };
    static const struct option opts[] = {
        {"at", required_argument, NULL, O_AT},
        {"fingerprint", required_argument, NULL, O_FP},
        {"context", required_argument, NULL, O_CTX},
        {"code", required_argument, NULL, O_CODE},
        {"signer-key", required_argument, NULL, O_SK},
        {"mrsigner", required_argument, NULL, O_MRS},
        {"trust-root", required_argument, NULL, O_ROOT},
        {"allow-debug", no_argument, NULL, O_DEBUG},
        {"allow-tcb", required_argument, NULL, O_TCB},
        {"allow-expired-collateral", no_argument, NULL, O_EXPIRED},
        {"evidence", required_argument, NULL, O_EVID},
        {"pccs-url", required_argument, NULL, O_URL},
        {"pccs-cacert", required_argument, NULL, O_CA},
        {"pccs-insecure", no_argument, NULL, O_INSEC},
        {"offline", no_argument, NULL, O_OFFLINE},
        {"no-cache", no_argument, NULL, O_NOCACHE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"output", required_argument, NULL, O_OUT},
        {"json", no_argument, NULL, O_JSON},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct mse_out out;
    struct mse_verify_opts o = {.timeout_ms = 15000};
    struct mse_verify_setup s;
    const char *evidence = NULL, *output = "./cert.pem";
    int c, rc;

    mse_out_init(&out);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_AT: o.at = optarg; break;
        case O_FP: o.fingerprint = optarg; break;
        case O_CTX: o.context = optarg; break;
        case O_CODE: o.code = optarg; break;
        case O_SK: o.signer_key = optarg; break;
        case O_MRS: o.mrsigner = optarg; break;
        case O_ROOT: o.trust_root = optarg; break;
        case O_DEBUG: o.allow_debug = true; break;
        case O_TCB: o.allow_tcb = optarg; break;
        case O_EXPIRED: o.allow_expired = true; break;
        case O_EVID: evidence = optarg; break;
        case O_URL: o.pccs_url = optarg; break;
        case O_CA: o.pccs_cacert = optarg; break;
        case O_INSEC: o.pccs_insecure = true; break;
        case O_OFFLINE: o.offline = true; break;
        case O_NOCACHE: o.no_cache = true; break;
        case O_TIMEOUT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 600)
                return mse_out_error(&out, MSE_ERR_ARG, "--timeout takes 1 to 600 seconds");
            o.timeout_ms = v * 1000;
            break;
        }
        case O_OUT: output = optarg; break;
        case O_JSON: out.json = true; break;
        case O_QUIET: out.quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return MSE_EXIT_USAGE;
        }
    }
    const char *target = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc || (!target == !evidence)) {
        usage(stderr);
        return mse_out_error(&out, MSE_ERR_ARG,
                             "give exactly one of DOMAIN or --evidence FILE");
    }
    if ((rc = mse_verify_setup_init(&out, &o, &s)) != 0)
        return rc;

    struct mse_verify_result result;
    memset(&result, 0, sizeof result);
    uint8_t *cert = NULL, *ev_json = NULL, *ev_buf = NULL;
    size_t cert_len = 0, ev_len = 0;
    bool ran = false;
    mse_err err;

    struct mse_endpoint ep;
    /* A malformed DOMAIN is a usage error, reported before any "Checking" output. */
    if (!evidence && mse_endpoint_parse(target, &ep) != MSE_OK) {
        rc = mse_out_error(&out, MSE_ERR_ARG, "'%s' is not a host, host:port or https:// URL",
                           target);
        goto done;
    }
    if (!out.quiet && !out.json)
        printf("Checking your app...\n");
    if (evidence) {
        struct mse_evidence ev;
        err = mse_file_read(evidence, EVIDENCE_MAX, &ev_json, &ev_len);
        if (err != MSE_OK) {
            rc = mse_out_error(&out, err, "cannot read %s: %s", evidence, mse_err_str(err));
            goto done;
        }
        ev_buf = malloc(EVIDENCE_MAX);
        err = ev_buf ? mse_evidence_parse(ev_json, ev_len, ev_buf, EVIDENCE_MAX, &ev)
                     : MSE_ERR_NOMEM;
        if (err != MSE_OK) {
            rc = mse_out_error(&out, err, "%s is not a valid evidence bundle: %s", evidence,
                               mse_err_str(err));
            goto done;
        }
        struct mse_verify_input in = {.cert_der = ev.ratls_cert.data,
                                      .cert_len = ev.ratls_cert.len,
                                      .collateral = &ev.collateral,
                                      .trust_root_der = s.trust_root_der,
                                      .trust_root_len = s.trust_root_len,
                                      .at = s.at};
        err = mse_verify(&in, &s.policy, &result);
        if (err != MSE_OK) {
            rc = mse_out_error(&out, err, "verification could not run: %s", mse_err_str(err));
            goto done;
        }
        cert = malloc(ev.ratls_cert.len);
        if (!cert) {
            rc = mse_out_error(&out, MSE_ERR_NOMEM, "%s", mse_err_str(MSE_ERR_NOMEM));
            goto done;
        }
        memcpy(cert, ev.ratls_cert.data, ev.ratls_cert.len);
        cert_len = ev.ratls_cert.len;
        ran = true;
        rc = (int)mse_err_exit(result.err);
    } else {
        char why[512] = "";
        status_line(&out, "Fetching the server certificate...");
        err = mse_tls_fetch_cert(&ep, (int)o.timeout_ms, &cert, &cert_len, why, sizeof why);
        status_line(&out, "");
        if (err != MSE_OK) {
            rc = mse_out_error(&out, err, "%s", why[0] ? why : mse_err_str(err));
            goto done;
        }
        rc = mse_verify_online(&out, &o, &s, cert, cert_len, &result);
        ran = result.checks[MSE_CHECK_CERT].outcome != MSE_OUTCOME_NOT_RUN;
    }
    if (!ran)
        goto done;
    if (out.json) {
        char *js = NULL;
        if (mse_verify_result_json(&result, &js) == MSE_OK) {
            puts(js);
            free(js);
        }
    }
    mse_verify_print(&out, &result);
    if (result.ok)
        rc = mse_verify_save(&out, output, evidence ? evidence : target, cert, cert_len, &result,
                             s.at);
    else if (out.quiet)
        fprintf(stderr, "error: %s: %s\n", mse_err_name(result.err), result.message);
done:
    free(cert);
    free(ev_json);
    free(ev_buf);
    mse_verify_setup_free(&s);
    return rc;
}

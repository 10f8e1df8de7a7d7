/*
 * mse configure's verification of the configuration server's certificate.
 *
 * 1. The certificate must be for the domain (SAN, RFC 6125 matching by
 *    OpenSSL).
 * 2. It must carry a quote that parses, whose REPORTDATA binds the
 *    certificate's key (mse_ratls_extract, mse_quote_parse,
 *    mse_ratls_check_binding): cheap local checks that stop most impostors
 *    before any network traffic.
 * 3. It must pass the whole RA-TLS verification of `mse verify`
 *    (mse_verify: Intel DCAP against the collateral, policy, code
 *    fingerprint) at the current time. The collateral comes from an evidence
 *    bundle given with --collateral (its certificate is ignored: the one
 *    verified is the connection's). Fetching it from a PCCS needs the
 *    collateral client, not linked into this build: then this step refuses,
 *    configure fails closed and sends nothing.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include <openssl/x509v3.h>

#include <openssl/pem.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/guard.h>
#include <mse/quote.h>
#include <mse/ratls.h>
#include <mse/verify.h>

#include "util/util.h"

#define EVIDENCE_MAX (8u << 20)

#include "cli_configure.h"

MSE_MUST_USE static mse_err check_name(const uint8_t *der, size_t der_len, const char *domain)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    MSE_ENSURE(x != NULL, MSE_ERR_CERT_PARSE);
    unsigned char addr[16];
    int ok;
    if (inet_pton(AF_INET, domain, addr) == 1 || inet_pton(AF_INET6, domain, addr) == 1)
        ok = X509_check_ip_asc(x, domain, 0);
    else
        ok = X509_check_host(x, domain, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
    X509_free(x);
    MSE_ENSURE(ok == 1, MSE_ERR_ARG);
    return MSE_OK;
}

/* A PEM certificate file as DER (malloc'd). */
MSE_MUST_USE static mse_err pem_file_der(const char *path, uint8_t **der, size_t *len)
{
    uint8_t *pem = NULL;
    size_t pem_len = 0;
    MSE_TRY(mse_file_read(path, 1u << 20, &pem, &pem_len));
    BIO *b = BIO_new_mem_buf(pem, (int)pem_len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    free(pem);
    MSE_ENSURE(x != NULL, MSE_ERR_PEM);
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    X509_free(x);
    MSE_ENSURE(n > 0, MSE_ERR_CERT_PARSE);
    *der = malloc((size_t)n);
    if (*der == NULL) {
        OPENSSL_free(d);
        return MSE_ERR_NOMEM;
    }
    memcpy(*der, d, (size_t)n);
    OPENSSL_free(d);
    *len = (size_t)n;
    return MSE_OK;
}

/* Step 3 with collateral from an evidence bundle. */
MSE_MUST_USE static mse_err dcap_verify(const uint8_t *der, size_t der_len,
                                        const struct configure_verify_opts *o, char *why,
                                        size_t why_cap)
{
    uint8_t *json = NULL, *ebuf = NULL, *root = NULL;
    size_t json_len = 0, root_len = 0;
    struct mse_evidence ev;
    struct mse_verify_result *res = calloc(1, sizeof *res);
    mse_err err = MSE_OK;
    MSE_ENSURE_OUT(res != NULL, MSE_ERR_NOMEM);
    err = mse_file_read(o->collateral, EVIDENCE_MAX, &json, &json_len);
    if (err != MSE_OK) {
        snprintf(why, why_cap, "--collateral %s: %s", o->collateral, mse_err_str(err));
        goto out;
    }
    ebuf = malloc(EVIDENCE_MAX);
    MSE_ENSURE_OUT(ebuf != NULL, MSE_ERR_NOMEM);
    err = mse_evidence_parse(json, json_len, ebuf, EVIDENCE_MAX, &ev);
    if (err != MSE_OK) {
        snprintf(why, why_cap, "--collateral %s: %s", o->collateral, mse_err_str(err));
        goto out;
    }
    if (o->trust_root != NULL) {
        err = pem_file_der(o->trust_root, &root, &root_len);
        if (err != MSE_OK) {
            snprintf(why, why_cap, "--trust-root %s: %s", o->trust_root, mse_err_str(err));
            goto out;
        }
    }
    struct mse_policy policy;
    mse_policy_init(&policy);
    policy.mrenclave = o->mrenclave;
    struct mse_verify_input in = {
        .cert_der = der, /* the connection's certificate, not the bundle's */
        .cert_len = der_len,
        .collateral = &ev.collateral,
        .trust_root_der = root,
        .trust_root_len = root_len,
        .at = mse_time_now(),
    };
    err = mse_verify(&in, &policy, res);
    if (err != MSE_OK) {
        snprintf(why, why_cap, "verifier: %s", mse_err_str(err));
        goto out;
    }
    if (!res->ok) {
        err = res->err != MSE_OK ? res->err : MSE_ERR_INTERNAL;
        snprintf(why, why_cap, "%s", res->message);
        goto out;
    }
out:
    free(res);
    free(ebuf);
    free(json);
    free(root);
    return err;
}

mse_err mse_cli_configure_verify(const uint8_t *der, size_t der_len, const struct configure_verify_opts *o,
                         char *why, size_t why_cap)
{
    if (check_name(der, der_len, o->domain) != MSE_OK) {
        snprintf(why, why_cap, "the certificate is not for %s", o->domain);
        return MSE_ERR_BINDING_MISMATCH;
    }
    uint8_t *buf = malloc(MSE_QUOTE_MAX_SIZE);
    if (buf == NULL)
        return MSE_ERR_NOMEM;
    struct mse_ratls r;
    struct mse_quote q;
    enum mse_binding form = MSE_BINDING_NONE;
    mse_err err = mse_ratls_extract(der, der_len, buf, MSE_QUOTE_MAX_SIZE, &r);
    if (err != MSE_OK) {
        snprintf(why, why_cap, "certificate: %s", mse_err_str(err));
        goto out;
    }
    err = mse_quote_parse(r.quote, r.quote_len, &q);
    if (err != MSE_OK) {
        snprintf(why, why_cap, "quote: %s", mse_err_str(err));
        goto out;
    }
    err = mse_ratls_check_binding(der, der_len, &r, q.body.report_data, &form, NULL);
    if (err != MSE_OK) {
        snprintf(why, why_cap, "key binding: %s", mse_err_str(err));
        goto out;
    }
    if (o->mrenclave != NULL && !mse_ct_eq(o->mrenclave, q.body.mr_enclave, 32)) {
        err = MSE_ERR_POLICY_MRENCLAVE;
        snprintf(why, why_cap, "MRENCLAVE differs from the code fingerprint");
        goto out;
    }
    if (o->collateral == NULL) {
        err = MSE_ERR_UNSUPPORTED;
        snprintf(why, why_cap, "quote and key binding fine, but fetching the DCAP collateral "
                               "from a PCCS is not linked into this build (use --collateral)");
        goto out;
    }
    err = dcap_verify(der, der_len, o, why, why_cap);
out:
    free(buf);
    return err;
}

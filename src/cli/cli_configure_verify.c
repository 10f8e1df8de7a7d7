/*
 * mse configure's local pre-checks of the configuration server's certificate,
 * before the full verification of `mse verify` (cli_verify_with_collateral):
 *   1. the certificate is for the domain (SAN, RFC 6125 matching by OpenSSL:
 *      `mse verify` pins a certificate, configure also names its server);
 *   2. it carries a quote that parses and whose REPORTDATA binds the
 *      certificate's key (mse_ratls_extract, mse_quote_parse,
 *      mse_ratls_check_binding);
 *   3. the quote's MRENCLAVE is the expected fingerprint, when one is known.
 * Cheap and offline: an impostor is refused before any collateral request,
 * with the precise reason. mse_verify() repeats 2 and 3 as part of the
 * complete verdict.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/quote.h>
#include <mse/ratls.h>

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

mse_err cli_configure_precheck(const uint8_t *der, size_t der_len, const struct configure_verify_opts *o,
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
out:
    free(buf);
    return err;
}

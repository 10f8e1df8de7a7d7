/*
 * mse configure's verification of the configuration server's certificate.
 *
 * 1. The certificate must be for the domain (SAN, RFC 6125 matching by
 *    OpenSSL).
 * 2. It must carry a quote that parses, whose REPORTDATA binds the
 *    certificate's key (mse_ratls_extract, mse_quote_parse,
 *    mse_ratls_check_binding): cheap local checks that stop most impostors
 *    before any network traffic.
 * 3. It must pass the whole RA-TLS verification of `mse verify` (Intel DCAP
 *    against the collateral, policy, code fingerprint). Until the collateral
 *    client is linked into this build, this step refuses: configure fails
 *    closed and sends nothing rather than trust an unverified enclave.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    err = MSE_ERR_UNSUPPORTED;
    snprintf(why, why_cap, "quote and key binding fine, but the DCAP verification of mse verify "
                           "(collateral client) is not linked into this build");
out:
    free(buf);
    return err;
}

/*
 * mse configure's local pre-checks of the configuration server's certificate,
 * before the full verification of `mse verify` (cli_verify_with_collateral):
 *   1. the certificate is for the domain (mse_cert_check_host, the same check
 *      `mse verify DOMAIN` makes before saving);
 *   2. it carries a quote that parses and whose REPORTDATA binds the
 *      certificate's key (mse_ratls_extract, mse_quote_parse,
 *      mse_ratls_check_binding);
 *   3. the quote's MRENCLAVE is the expected fingerprint, when one is known.
 * Cheap and offline: an impostor is refused before any collateral request,
 * with the precise reason. mse_verify() repeats 2 and 3 as part of the
 * complete verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/net.h>
#include <mse/quote.h>
#include <mse/ratls.h>

#include "cli_configure.h"

mse_err cli_configure_precheck(const uint8_t *der, size_t der_len, const struct configure_verify_opts *o,
                         char *why, size_t why_cap)
{
    char names[256];
    mse_err named = mse_cert_check_host(der, der_len, o->domain, names, sizeof names);
    if (named == MSE_ERR_CERT_NAME_MISMATCH) {
        snprintf(why, why_cap, "the certificate is for %s, not %s", names, o->domain);
        return named;
    }
    if (named != MSE_OK) {
        snprintf(why, why_cap, "certificate: %s", mse_err_str(named));
        return named;
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

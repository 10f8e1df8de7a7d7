/*
 * What a quote needs from a PCCS, and how long a collateral item claims to
 * be valid (<mse/collateral.h>). Neither decides trust: mse_verify re-reads
 * and verifies everything. They let the network layer ask for the right items
 * and reuse cached ones until their nextUpdate.
 */
#include <string.h>

#include <openssl/x509.h>

#include <mse/collateral.h>
#include <mse/guard.h>
#include <mse/quote.h>

#include "dcap.h"

mse_err mse_collateral_id_from_quote(const struct mse_quote *q, struct mse_collateral_id *out)
{
    mse_err err = MSE_OK;
    struct mse_certs chain = {0};
    struct mse_pck_ext ext;
    char cn[128];

    memset(out, 0, sizeof *out);
    MSE_ENSURE(q->cert_data_type == MSE_QUOTE_CERT_DATA_PCK_CHAIN && q->cert_data != NULL,
               MSE_ERR_QUOTE_CERT_DATA_TYPE);
    MSE_TRY_AS(mse_x509_pem_chain_partial(q->cert_data, q->cert_data_len, 1, &chain),
               MSE_ERR_QUOTE_PCK_CHAIN_FORMAT);
    MSE_CHECK_OUT(mse_pck_ext_from_cert(chain.c[0], &ext));
    memcpy(out->fmspc, ext.fmspc, sizeof out->fmspc);
    memcpy(out->pce_id, ext.pce_id, sizeof out->pce_id);
    int n = X509_NAME_get_text_by_NID(X509_get_issuer_name(chain.c[0]), NID_commonName, cn,
                                      sizeof cn);
    MSE_ENSURE_OUT(n > 0, MSE_ERR_QUOTE_PCK_CHAIN_FORMAT);
    /* Intel's issuer names: "Intel SGX PCK Processor CA" / "Intel SGX PCK Platform CA". */
    out->processor_ca = strstr(cn, "Processor") != NULL;
out:
    mse_certs_free(&chain);
    return err;
}

static mse_err json_window(const uint8_t *data, size_t len, const char *member, int64_t *nb,
                           int64_t *na)
{
    mse_err err = MSE_OK;
    struct mse_jdoc doc;
    MSE_TRY(mse_jdoc_parse(data, len, &doc));
    const struct mse_jval *inner = mse_jval_member(doc.v, member);
    MSE_ENSURE_OUT(inner != NULL && inner->type == MSE_JSON_OBJECT, MSE_ERR_JSON_FIELD);
    MSE_CHECK_OUT(mse_json_field_time(inner, "issueDate", nb, MSE_ERR_JSON_FIELD));
    MSE_CHECK_OUT(mse_json_field_time(inner, "nextUpdate", na, MSE_ERR_JSON_FIELD));
out:
    mse_jdoc_free(&doc);
    return err;
}

mse_err mse_collateral_window(enum mse_collateral_kind kind, const uint8_t *data, size_t len,
                              int64_t *not_before, int64_t *not_after)
{
    X509_CRL *crl = NULL;
    mse_err err;
    switch (kind) {
    case MSE_COLLATERAL_TCB_INFO:
        return json_window(data, len, "tcbInfo", not_before, not_after);
    case MSE_COLLATERAL_QE_IDENTITY:
        return json_window(data, len, "enclaveIdentity", not_before, not_after);
    case MSE_COLLATERAL_PCK_CRL:
    case MSE_COLLATERAL_ROOT_CA_CRL:
        MSE_TRY(mse_crl_load(data, len, &crl));
        err = mse_crl_validity(crl, not_before, not_after);
        X509_CRL_free(crl);
        return err;
    }
    return MSE_ERR_ARG;
}

/*
 * The three signatures and bindings inside an SGX ECDSA quote (Intel SGX
 * ECDSA Quote Library API, A.4; Intel QVL QuoteVerifier.cpp):
 *
 *   QE report      384 bytes, ECDSA-P256 by the PCK leaf key: the quoting
 *                  enclave ran on the certified platform;
 *   QE REPORTDATA  [0:32] = SHA-256(attestation key x||y || QE auth data),
 *                  [32:64] = 0: the QE vouches for this attestation key;
 *   quote          header || ISV report body, ECDSA-P256 by that key: the
 *                  enclave's report is what the QE attested.
 * Each link stops a different substitution; all three are needed.
 */
#include <string.h>

#include <openssl/evp.h>

#include <mse/guard.h>

#include "dcap.h"

mse_err mse_quote_verify_qe_report(const struct mse_quote *q, EVP_PKEY *pck_key)
{
    bool valid = false;
    MSE_ENSURE(q->qe_report.raw != NULL && pck_key != NULL, MSE_ERR_QE_REPORT_SIGNATURE);
    MSE_TRY(mse_ecdsa_p256_verify(pck_key, q->qe_report.raw, MSE_REPORT_BODY_SIZE,
                                  q->qe_report_signature, &valid));
    MSE_ENSURE(valid, MSE_ERR_QE_REPORT_SIGNATURE);
    return MSE_OK;
}

mse_err mse_quote_verify_qe_report_data(const struct mse_quote *q)
{
    uint8_t h[32];
    unsigned int hl = 0;
    static const uint8_t zero[32] = {0};
    const uint8_t *rd = q->qe_report.report_data;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    MSE_ENSURE(md != NULL, MSE_ERR_NOMEM);
    int ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(md, q->att_public_key, 64) == 1 &&
             (q->qe_auth_len == 0 || EVP_DigestUpdate(md, q->qe_auth_data, q->qe_auth_len) == 1) &&
             EVP_DigestFinal_ex(md, h, &hl) == 1 && hl == 32;
    EVP_MD_CTX_free(md);
    MSE_ENSURE(ok, MSE_ERR_CRYPTO);
    /* Public values: plain comparison is fine. */
    MSE_ENSURE(memcmp(h, rd, 32) == 0 && memcmp(rd + 32, zero, 32) == 0, MSE_ERR_QE_REPORT_DATA);
    return MSE_OK;
}

mse_err mse_quote_verify_signature_by(const struct mse_quote *q, EVP_PKEY *att_key)
{
    EVP_PKEY *ak = NULL;
    bool valid = false;
    MSE_ENSURE(q->signed_data != NULL, MSE_ERR_QUOTE_SIGNATURE);
    /* A key that is not a curve point cannot have signed anything. */
    if (att_key == NULL)
        MSE_TRY_AS(mse_ec_p256_key(q->att_public_key, &ak), MSE_ERR_QUOTE_SIGNATURE);
    mse_err e = mse_ecdsa_p256_verify(att_key != NULL ? att_key : ak, q->signed_data, q->signed_len,
                                      q->quote_signature, &valid);
    EVP_PKEY_free(ak);
    MSE_TRY(e);
    MSE_ENSURE(valid, MSE_ERR_QUOTE_SIGNATURE);
    return MSE_OK;
}

mse_err mse_quote_verify_signature(const struct mse_quote *q)
{
    return mse_quote_verify_signature_by(q, NULL);
}

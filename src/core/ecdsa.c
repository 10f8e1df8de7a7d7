/*
 * ECDSA P-256 / SHA-256 in the raw encodings Intel DCAP uses: public keys as
 * x||y (64 bytes, the quote's attestation key) and signatures as r||s
 * (64 bytes: quote, QE report, TCB info and QE identity signatures). All the
 * arithmetic is OpenSSL's; this file only converts encodings.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include <mse/guard.h>

#include "dcap.h"

mse_err mse_ec_key_from_domain(const EVP_PKEY *domain, const uint8_t *point, size_t point_len,
                               EVP_PKEY **out)
{
    EVP_PKEY *k = EVP_PKEY_dup((EVP_PKEY *)domain);
    MSE_ENSURE(k != NULL, MSE_ERR_NOMEM);
    if (EVP_PKEY_set1_encoded_public_key(k, point, point_len) != 1) {
        EVP_PKEY_free(k);
        ERR_clear_error();
        return MSE_ERR_DER;
    }
    *out = k;
    return MSE_OK;
}

mse_err mse_ec_p256_key(const uint8_t xy[64], EVP_PKEY **out)
{
    uint8_t point[65];
    EVP_PKEY *k = NULL;
    mse_err err = MSE_OK;
    char group[] = "prime256v1";
    point[0] = 0x04; /* uncompressed (SEC 1, 2.3.3) */
    memcpy(point + 1, xy, 64);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
        OSSL_PARAM_construct_end(),
    };
    /*
     * A copy of the P-256 parameters made once per process, given the point,
     * or else an import from parameters: both cheaper than the DER decoders in
     * OpenSSL 3.0 (the copy spares building the curve's group), and both
     * decode the point with EC_POINT_oct2point, which refuses one off the curve.
     */
    const EVP_PKEY *domain = mse_x509_p256_domain();
    if (domain != NULL)
        return mse_ec_key_from_domain(domain, point, sizeof point, out);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    MSE_ENSURE(ctx != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(EVP_PKEY_fromdata_init(ctx) == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) == 1 && k != NULL,
                   MSE_ERR_DER);
    *out = k;
out:
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    return err;
}

mse_err mse_ec_p256_domain(EVP_PKEY **out)
{
    mse_err err = MSE_OK;
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_end(),
    };
    *out = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    MSE_ENSURE(ctx != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(EVP_PKEY_fromdata_init(ctx) == 1 &&
                       EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEY_PARAMETERS, params) == 1 &&
                       *out != NULL,
                   MSE_ERR_CRYPTO);
out:
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    return err;
}

bool mse_ec_is_p256(const EVP_PKEY *key)
{
    char group[32];
    size_t glen = 0;
    if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        return false;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &glen) != 1)
        return false;
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

mse_err mse_ecdsa_p256_verify(EVP_PKEY *key, const uint8_t *msg, size_t len,
                              const uint8_t sig[64], bool *valid)
{
    mse_err err = MSE_OK;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    EVP_MD_CTX *md = NULL;
    *valid = false;
    /* A key of another type or curve never validates a DCAP signature. */
    if (!mse_ec_is_p256(key))
        return MSE_OK;
    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, 32, NULL);
    s = BN_bin2bn(sig + 32, 32, NULL);
    MSE_ENSURE_OUT(es && r && s, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(ECDSA_SIG_set0(es, r, s) == 1, MSE_ERR_CRYPTO);
    r = s = NULL;
    int der_len = i2d_ECDSA_SIG(es, &der);
    MSE_ENSURE_OUT(der_len > 0, MSE_ERR_CRYPTO);
    md = EVP_MD_CTX_new();
    MSE_ENSURE_OUT(md != NULL, MSE_ERR_NOMEM);
    /* In the key's own library context, so OpenSSL need not copy the key to another provider. */
    MSE_ENSURE_OUT(EVP_DigestVerifyInit_ex(md, NULL, "SHA256", mse_x509_libctx_of(key), NULL, key,
                                           NULL) == 1,
                   MSE_ERR_CRYPTO);
    /* 1 = valid, 0 = invalid, <0 = malformed signature (also invalid: r or s out of range). */
    *valid = EVP_DigestVerify(md, der, (size_t)der_len, msg, len) == 1;
out:
    /* Leave no stale entries on OpenSSL's thread error queue for the caller. */
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    return err;
}

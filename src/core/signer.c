/*
 * MRSIGNER of an enclave signing key: SHA-256 of the RSA modulus written as
 * 384 little-endian bytes (Intel SDM vol. 3D, 38.13 SIGSTRUCT: MODULUS is
 * little-endian; EINIT sets MRSIGNER to its SHA-256). SGX only accepts
 * RSA-3072 with exponent 3, so any other key cannot be an enclave signer.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <mse/guard.h>
#include <mse/verify.h>

/* Any PEM form of the key: SubjectPublicKeyInfo, PKCS#1 public, or a private key. */
static EVP_PKEY *read_key(const uint8_t *pem, size_t len)
{
    EVP_PKEY *key = NULL;
    const unsigned char *p = pem;
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(
        &key, "PEM", NULL, NULL, 0, NULL, NULL);
    if (!dctx)
        return NULL;
    if (OSSL_DECODER_from_data(dctx, &p, &len) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    return key;
}

mse_err mse_mrsigner_from_pem(const uint8_t *pem, size_t len, uint8_t out[32])
{
    mse_err err = MSE_OK;
    BIGNUM *n = NULL, *e = NULL;
    uint8_t modulus[384];
    unsigned int dlen = 0;

    MSE_ENSURE(len > 0 && len < (1u << 20), MSE_ERR_PEM);
    EVP_PKEY *key = read_key(pem, len);
    MSE_ENSURE(key != NULL, MSE_ERR_PEM);
    MSE_ENSURE_OUT(EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA, MSE_ERR_ARG);
    MSE_ENSURE_OUT(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
                       EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1,
                   MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(BN_num_bits(n) == 3072 && BN_is_word(e, 3), MSE_ERR_ARG);
    MSE_ENSURE_OUT(BN_bn2lebinpad(n, modulus, sizeof modulus) == (int)sizeof modulus,
                   MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(EVP_Digest(modulus, sizeof modulus, out, &dlen, EVP_sha256(), NULL) == 1,
                   MSE_ERR_CRYPTO);
out:
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(key);
    return err;
}

/* MRSIGNER from a signer key: Cosmian's real key, and the keys SGX cannot use. */
#include <stdlib.h>
#include <string.h>

#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <mse/bytes.h>
#include <mse/verify.h>

#include "testlib.h"

static void test_cosmian_signer(void **state)
{
    size_t len;
    uint8_t *pem = mse_test_data("real/cosmian-mse-signer.pem", &len);
    uint8_t mr[32];
    char hex[65];
    assert_int_equal(mse_mrsigner_from_pem(pem, len, mr), MSE_OK);
    mse_hex_encode(mr, 32, hex);
    assert_string_equal(hex, "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5");
    free(pem);
}

static uint8_t *key_pem(EVP_PKEY *k, bool private_key, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (private_key)
        assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
    else
        assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    uint8_t *out = malloc((size_t)n);
    memcpy(out, p, (size_t)n);
    *len = (size_t)n;
    BIO_free(b);
    return out;
}

static void test_private_and_public_agree(void **state)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *k = NULL;
    BIGNUM *e = BN_new();
    BN_set_word(e, 3);
    assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e), 1);
    assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
    size_t l1, l2;
    uint8_t *pub = key_pem(k, false, &l1), *priv = key_pem(k, true, &l2);
    uint8_t a[32], b[32];
    assert_int_equal(mse_mrsigner_from_pem(pub, l1, a), MSE_OK);
    assert_int_equal(mse_mrsigner_from_pem(priv, l2, b), MSE_OK);
    assert_memory_equal(a, b, 32);
    free(pub);
    free(priv);
    EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(ctx);
    BN_free(e);
}

/* An RSA key with e = 3 of the given size. */
static EVP_PKEY *rsa_e3(unsigned bits)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *k = NULL;
    BIGNUM *e = BN_new();
    BN_set_word(e, 3);
    assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e), 1);
    assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
    EVP_PKEY_CTX_free(ctx);
    BN_free(e);
    return k;
}

/* "BEGIN RSA PUBLIC KEY" (PKCS#1) gives the same MRSIGNER as the SPKI form, and the
 * MRSIGNER is SHA-256 of the modulus little-endian, recomputed here independently. */
static void test_pkcs1_public_key(void **state)
{
    EVP_PKEY *k = rsa_e3(3072);
    OSSL_ENCODER_CTX *ectx =
        OSSL_ENCODER_CTX_new_for_pkey(k, EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);
    unsigned char *pem = NULL;
    size_t len = 0;
    assert_int_equal(OSSL_ENCODER_to_data(ectx, &pem, &len), 1);
    OSSL_ENCODER_CTX_free(ectx);
    assert_non_null(strstr((const char *)pem, "BEGIN RSA PUBLIC KEY"));
    uint8_t a[32], b[32], expect[32], le[384];
    assert_int_equal(mse_mrsigner_from_pem(pem, len, a), MSE_OK);
    size_t spki_len;
    uint8_t *spki = key_pem(k, false, &spki_len);
    assert_int_equal(mse_mrsigner_from_pem(spki, spki_len, b), MSE_OK);
    assert_memory_equal(a, b, 32);
    BIGNUM *n = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, "n", &n), 1);
    uint8_t be[384];
    assert_int_equal(BN_bn2binpad(n, be, sizeof be), 384);
    for (size_t i = 0; i < 384; i++)
        le[i] = be[383 - i];
    assert_int_equal(EVP_Digest(le, sizeof le, expect, NULL, EVP_sha256(), NULL), 1);
    assert_memory_equal(a, expect, 32);
    BN_free(n);
    free(spki);
    OPENSSL_free(pem);
    EVP_PKEY_free(k);
}

/* RSA-3072 with the usual exponent 65537, and e = 3 at 2048 bits: SGX signs with neither. */
static void test_wrong_exponent_or_size(void **state)
{
    uint8_t mr[32];
    size_t len;
    EVP_PKEY *k = EVP_RSA_gen(3072);
    uint8_t *pem = key_pem(k, false, &len);
    assert_int_equal(mse_mrsigner_from_pem(pem, len, mr), MSE_ERR_ARG);
    free(pem);
    EVP_PKEY_free(k);
    k = rsa_e3(2048);
    pem = key_pem(k, true, &len);
    assert_int_equal(mse_mrsigner_from_pem(pem, len, mr), MSE_ERR_ARG);
    free(pem);
    EVP_PKEY_free(k);
    /* Empty input and a truncated real PEM. */
    assert_int_equal(mse_mrsigner_from_pem((const uint8_t *)"", 0, mr), MSE_ERR_PEM);
    uint8_t *real = mse_test_data("real/cosmian-mse-signer.pem", &len);
    assert_int_equal(mse_mrsigner_from_pem(real, len / 2, mr), MSE_ERR_PEM);
    free(real);
}

static void test_unusable_keys_refused(void **state)
{
    uint8_t mr[32];
    size_t len;
    EVP_PKEY *rsa2048 = EVP_RSA_gen(2048); /* exponent 65537, 2048 bits */
    uint8_t *pem = key_pem(rsa2048, false, &len);
    assert_int_equal(mse_mrsigner_from_pem(pem, len, mr), MSE_ERR_ARG);
    free(pem);
    EVP_PKEY_free(rsa2048);
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    pem = key_pem(ec, false, &len);
    assert_int_equal(mse_mrsigner_from_pem(pem, len, mr), MSE_ERR_ARG);
    free(pem);
    EVP_PKEY_free(ec);
    assert_int_equal(mse_mrsigner_from_pem((const uint8_t *)"garbage", 7, mr), MSE_ERR_PEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cosmian_signer),
        cmocka_unit_test(test_private_and_public_agree),
        cmocka_unit_test(test_unusable_keys_refused),
        cmocka_unit_test(test_pkcs1_public_key),
        cmocka_unit_test(test_wrong_exponent_or_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

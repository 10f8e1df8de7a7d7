/* MRSIGNER from a signer key: Cosmian's real key, and the keys SGX cannot use. */
#include <stdlib.h>
#include <string.h>

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

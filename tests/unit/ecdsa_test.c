/* ECDSA-P256 raw encodings: x||y keys (on-curve only), r||s signatures, wrong keys. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "dcap.h"
#include "testlib.h"

static void key_xy(EVP_PKEY *k, uint8_t xy[64])
{
    uint8_t pub[65];
    size_t n = 0;
    assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub,
                                                     &n),
                     1);
    assert_int_equal(n, 65);
    memcpy(xy, pub + 1, 64);
}

static void test_round_trip(void **state)
{
    EVP_PKEY *k = mse_test_key(), *imported = NULL, *other = mse_test_key();
    uint8_t xy[64], sig[64];
    static const char msg[] = "header || report body";
    bool valid = false;
    key_xy(k, xy);
    assert_int_equal(mse_ec_p256_key(xy, &imported), MSE_OK);
    assert_true(mse_ec_is_p256(imported));
    assert_int_equal(mse_sim_sign_raw(k, msg, sizeof msg, sig), MSE_OK);
    assert_int_equal(mse_ecdsa_p256_verify(imported, (const uint8_t *)msg, sizeof msg, sig, &valid),
                     MSE_OK);
    assert_true(valid);
    /* Every single-bit change of the signature or message fails. */
    for (int i = 0; i < 64; i++) {
        sig[i] ^= 0x10;
        assert_int_equal(
            mse_ecdsa_p256_verify(imported, (const uint8_t *)msg, sizeof msg, sig, &valid), MSE_OK);
        assert_false(valid);
        sig[i] ^= 0x10;
    }
    assert_int_equal(mse_ecdsa_p256_verify(imported, (const uint8_t *)msg, sizeof msg - 1, sig,
                                           &valid),
                     MSE_OK);
    assert_false(valid);
    /* Another key. */
    assert_int_equal(mse_ecdsa_p256_verify(other, (const uint8_t *)msg, sizeof msg, sig, &valid),
                     MSE_OK);
    assert_false(valid);
    /* r = 0 or s = 0, and r = n (out of range). */
    uint8_t zero[64] = {0};
    assert_int_equal(mse_ecdsa_p256_verify(imported, (const uint8_t *)msg, sizeof msg, zero, &valid),
                     MSE_OK);
    assert_false(valid);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
    EVP_PKEY_free(imported);
}

static void test_off_curve_and_other_curves(void **state)
{
    EVP_PKEY *k = NULL;
    uint8_t xy[64];
    memset(xy, 0x01, sizeof xy);
    assert_int_equal(mse_ec_p256_key(xy, &k), MSE_ERR_DER);
    memset(xy, 0, sizeof xy);
    assert_int_equal(mse_ec_p256_key(xy, &k), MSE_ERR_DER);
    /* A valid point with y flipped is off the curve. */
    EVP_PKEY *good = mse_test_key();
    key_xy(good, xy);
    xy[63] ^= 1;
    assert_int_equal(mse_ec_p256_key(xy, &k), MSE_ERR_DER);
    /* A P-384 key never validates a DCAP signature. */
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    bool valid = true;
    uint8_t sig[64] = {1};
    assert_false(mse_ec_is_p256(p384));
    assert_int_equal(mse_ecdsa_p256_verify(p384, sig, 1, sig, &valid), MSE_OK);
    assert_false(valid);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_off_curve_and_other_curves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

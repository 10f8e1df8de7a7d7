/* The built-in anchor is the genuine Intel SGX Root CA: fingerprint and file identity. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/verify.h>

#include "dcap.h"
#include "testlib.h"

static void test_fingerprint(void **state)
{
    size_t len;
    const uint8_t *der = mse_intel_root_ca_der(&len);
    uint8_t h[32];
    char hex[65];
    unsigned int hl = 0;
    assert_int_equal(EVP_Digest(der, len, h, &hl, EVP_sha256(), NULL), 1);
    mse_hex_encode(h, 32, hex);
    assert_string_equal(hex, "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
}

static void test_same_as_pem(void **state)
{
    size_t len, plen;
    const uint8_t *der = mse_intel_root_ca_der(&len);
    uint8_t *pem = mse_test_data("real/intel-sgx-root-ca.pem", &plen);
    struct mse_certs cs = {0};
    X509 *a = NULL;
    assert_int_equal(mse_x509_pem_chain(pem, plen, &cs), MSE_OK);
    assert_int_equal(cs.n, 1);
    assert_int_equal(mse_x509_from_der(der, len, &a), MSE_OK);
    assert_true(mse_x509_same(a, cs.c[0]));
    assert_true(mse_x509_subject_cn_is(a, "Intel SGX Root CA"));
    X509_free(a);
    mse_certs_free(&cs);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_same_as_pem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

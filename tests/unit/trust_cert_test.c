/*
 * mse trust: reading the certificate to trust. The hash must be that of the
 * exact DER in the file (what `mse verify` recorded), whether the file is PEM
 * or DER; a second certificate or trailing bytes are refused, not ignored;
 * CA:TRUE, missing SAN and validity are reported. Validity is checked at
 * pinned instants, never the clock.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/time.h>

#include "cli/cli_trust.h"
#include "testlib.h"

static int64_t at(const char *s)
{
    int64_t t = 0;
    assert_int_equal(mse_time_parse(s, strlen(s), &t), MSE_OK);
    return t;
}

/* SHA-256 of tests/data/trust/leaf.der (openssl dgst -sha256). */
static const char LEAF_SHA256[] = "d180e0fe80b79a002bb79c46e1dd6aaf811675e8a1fa8321facb7f0864461918";

static void load(const char *name, int64_t now, mse_err want, struct cli_trust_cert *c)
{
    size_t len = 0;
    uint8_t *data = mse_test_data(name, &len);
    assert_int_equal(cli_trust_cert_load(data, len, now, c), want);
    free(data);
}

static void test_leaf_pem_and_der_same_hash(void **state)
{
    struct cli_trust_cert pem, der;
    char hex[65];
    load("trust/leaf.pem", at("2030-01-01T00:00:00Z"), MSE_OK, &pem);
    load("trust/leaf.der", at("2030-01-01T00:00:00Z"), MSE_OK, &der);
    mse_hex_encode(pem.sha256, 32, hex);
    assert_string_equal(hex, LEAF_SHA256);
    assert_memory_equal(pem.sha256, der.sha256, 32);
    assert_int_equal(pem.der_len, der.der_len);
    assert_false(pem.is_ca);
    assert_true(pem.self_signed);
    assert_false(pem.expired);
    assert_false(pem.not_yet_valid);
    assert_string_equal(pem.san, "DNS:localhost, IP:127.0.0.1");
    cli_trust_cert_free(&pem);
    cli_trust_cert_free(&der);
}

static void test_ca_true_reported(void **state)
{
    struct cli_trust_cert c;
    load("trust/ca.pem", at("2030-01-01T00:00:00Z"), MSE_OK, &c);
    assert_true(c.is_ca);
    cli_trust_cert_free(&c);
}

static void test_no_san_reported(void **state)
{
    struct cli_trust_cert c;
    load("trust/nosan.pem", at("2030-01-01T00:00:00Z"), MSE_OK, &c);
    assert_string_equal(c.san, "");
    assert_false(c.is_ca);
    cli_trust_cert_free(&c);
}

static void test_real_mse_certificate(void **state)
{
    struct cli_trust_cert c;
    load("trust/mse-real-ratls.pem", at("2023-06-01T00:00:00Z"), MSE_OK, &c);
    assert_false(c.is_ca);
    assert_true(c.self_signed);
    assert_false(c.expired);
    assert_string_equal(c.san, "DNS:localhost");
    assert_string_equal(c.not_before, "2023-05-17T09:38:42Z");
    assert_string_equal(c.not_after, "2024-04-26T09:38:33Z");
    cli_trust_cert_free(&c);
    /* One second either side of its validity. */
    load("trust/mse-real-ratls.pem", at("2024-04-26T09:38:34Z"), MSE_OK, &c);
    assert_true(c.expired);
    cli_trust_cert_free(&c);
    load("trust/mse-real-ratls.pem", at("2024-04-26T09:38:33Z"), MSE_OK, &c);
    assert_false(c.expired);
    cli_trust_cert_free(&c);
    load("trust/mse-real-ratls.pem", at("2023-05-17T09:38:41Z"), MSE_OK, &c);
    assert_true(c.not_yet_valid);
    cli_trust_cert_free(&c);
    load("trust/mse-real-ratls.pem", at("2023-05-17T09:38:42Z"), MSE_OK, &c);
    assert_false(c.not_yet_valid);
    cli_trust_cert_free(&c);
}

static void test_two_certificates_refused(void **state)
{
    struct cli_trust_cert c;
    load("trust/two.pem", at("2030-01-01T00:00:00Z"), MSE_ERR_TRAILING_BYTES, &c);
}

static void test_der_trailing_byte_refused(void **state)
{
    size_t len = 0;
    uint8_t *data = mse_test_data("trust/leaf.der", &len);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, data, len);
    longer[len] = 0;
    struct cli_trust_cert c;
    assert_int_equal(cli_trust_cert_load(longer, len + 1, 0, &c), MSE_ERR_TRAILING_BYTES);
    /* Every truncation is refused too. */
    for (size_t cut = 0; cut < len; cut += 7)
        assert_int_not_equal(cli_trust_cert_load(data, cut, 0, &c), MSE_OK);
    free(longer);
    free(data);
}

static void test_not_a_certificate(void **state)
{
    struct cli_trust_cert c;
    const char *key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_int_equal(cli_trust_cert_load((const uint8_t *)key, strlen(key), 0, &c), MSE_ERR_PEM);
    const char *junk = "hello";
    assert_int_equal(cli_trust_cert_load((const uint8_t *)junk, strlen(junk), 0, &c),
                     MSE_ERR_CERT_PARSE);
    const char *bad64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert_int_equal(cli_trust_cert_load((const uint8_t *)bad64, strlen(bad64), 0, &c),
                     MSE_ERR_PEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf_pem_and_der_same_hash),
        cmocka_unit_test(test_ca_true_reported),
        cmocka_unit_test(test_no_san_reported),
        cmocka_unit_test(test_real_mse_certificate),
        cmocka_unit_test(test_two_certificates_refused),
        cmocka_unit_test(test_der_trailing_byte_refused),
        cmocka_unit_test(test_not_a_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

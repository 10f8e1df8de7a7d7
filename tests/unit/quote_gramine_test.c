/*
 * Gramine quote provider against a directory of plain files standing in for
 * /dev/attestation: type check, report data written, quote read, limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/quote.h>

#include "attester/attester.h"
#include "testlib.h"

static void put(const char *dir, const char *leaf, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, leaf);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static uint8_t *get(const char *dir, const char *leaf, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, leaf);
    return mse_test_file(path, len);
}

static void test_quote(void **state)
{
    char *dir = mse_test_tmpdir();
    static uint8_t quote[1500];
    for (size_t i = 0; i < sizeof quote; i++)
        quote[i] = (uint8_t)i;
    put(dir, "attestation_type", "dcap", 4);
    put(dir, "user_report_data", "", 0);
    put(dir, "quote", quote, sizeof quote);

    struct mse_quote_provider qp;
    assert_int_equal(mse_quote_provider_gramine(dir, &qp), MSE_OK);
    assert_string_equal(qp.name, "gramine");
    uint8_t rd[64];
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)(0x40 + i);
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(qp.get_quote(qp.ctx, rd, &q, &qlen), MSE_OK);
    assert_int_equal(qlen, sizeof quote);
    assert_memory_equal(q, quote, sizeof quote);
    free(q);
    size_t n;
    uint8_t *written = get(dir, "user_report_data", &n);
    assert_int_equal(n, 64);
    assert_memory_equal(written, rd, 64);
    free(written);

    /* A quote file shorter than any quote is refused. */
    put(dir, "quote", quote, 100);
    assert_int_equal(qp.get_quote(qp.ctx, rd, &q, &qlen), MSE_ERR_QUOTE_TRUNCATED);
    /* The type is checked on every quote, not only at start-up. */
    put(dir, "quote", quote, sizeof quote);
    put(dir, "attestation_type", "epid", 4);
    assert_int_equal(qp.get_quote(qp.ctx, rd, &q, &qlen), MSE_ERR_UNSUPPORTED);
    mse_quote_provider_close(&qp);
    assert_null(qp.ctx);
    mse_test_rmtree(dir);
    free(dir);
}

static void test_refusals(void **state)
{
    char *dir = mse_test_tmpdir();
    struct mse_quote_provider qp;
    /* No attestation interface at all (not running under Gramine). */
    assert_int_equal(mse_quote_provider_gramine(dir, &qp), MSE_ERR_FILE_NOT_FOUND);
    put(dir, "attestation_type", "none", 4);
    assert_int_equal(mse_quote_provider_gramine(dir, &qp), MSE_ERR_UNSUPPORTED);
    put(dir, "attestation_type", "dcapx", 5);
    assert_int_equal(mse_quote_provider_gramine(dir, &qp), MSE_ERR_UNSUPPORTED);
    put(dir, "attestation_type", "dcap\n", 5);
    assert_int_equal(mse_quote_provider_gramine(dir, &qp), MSE_OK);
    /* user_report_data missing: no quote. */
    uint8_t rd[64] = {0}, *q = NULL;
    size_t qlen;
    assert_int_equal(qp.get_quote(qp.ctx, rd, &q, &qlen), MSE_ERR_FILE_NOT_FOUND);
    /* An oversized quote file is refused. */
    put(dir, "user_report_data", "", 0);
    size_t big = MSE_QUOTE_MAX_SIZE + 1;
    uint8_t *blob = calloc(1, big);
    assert_non_null(blob);
    put(dir, "quote", blob, big);
    free(blob);
    assert_int_equal(qp.get_quote(qp.ctx, rd, &q, &qlen), MSE_ERR_LIMIT);
    mse_quote_provider_close(&qp);
    assert_int_equal(mse_quote_provider_gramine("", &qp), MSE_ERR_ARG);
    mse_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

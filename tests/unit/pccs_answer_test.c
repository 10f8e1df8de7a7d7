/*
 * One PCCS answer (src/net/pccs_answer.c): header lines and body chunks are
 * bounded, a repeated issuer chain is refused, Retry-After is read in both
 * RFC 9110 forms, and an answer that is not the collateral asked for is a
 * PCCS failure that names the item and what came instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/pccs_answer.h"
#include "testlib.h"

#define URL "http://pccs.test/sgx/certification/v4/x"
#define NOW 1790000000 /* 2026-09-21T14:13:20Z */

static void feed(struct mse_pccs_answer *a, const char *line)
{
    assert_true(mse_pccs_answer_header(a, line, strlen(line)));
}

static void test_headers(void **state)
{
    struct mse_pccs_answer a = {.id = MSE_PCCS_TCB_INFO};
    feed(&a, "HTTP/1.1 200 OK\r\n");
    feed(&a, "Content-Type: application/json\r\n");
    feed(&a, "tcb-info-issuer-chain:  %2D%2D%2D%2D \r\n"); /* case-insensitive name */
    assert_non_null(a.chain);
    assert_int_equal(a.chain_len, strlen("%2D%2D%2D%2D"));
    assert_memory_equal(a.chain, "%2D%2D%2D%2D", a.chain_len);
    assert_false(a.chain_bad);
    /* Another item's chain header is not this one's. */
    feed(&a, "SGX-PCK-CRL-Issuer-Chain: x\r\n");
    assert_false(a.chain_bad);
    /* A second chain header is ambiguous. */
    feed(&a, "TCB-Info-Issuer-Chain: other\r\n");
    assert_true(a.chain_bad);
    /* A name that only starts like the header is another header. */
    struct mse_pccs_answer b = {.id = MSE_PCCS_TCB_INFO};
    feed(&b, "TCB-Info-Issuer-Chain-Extra: x\r\n");
    feed(&b, "TCB-Info-Issuer-Chain\r\n");
    assert_null(b.chain);
    /* Oversized: refused, not stored. */
    size_t big = MSE_PCCS_CHAIN_MAX + 100;
    char *line = malloc(big);
    memset(line, 'A', big);
    memcpy(line, "TCB-Info-Issuer-Chain: ", 23);
    assert_true(mse_pccs_answer_header(&b, line, big));
    assert_true(b.chain_bad);
    assert_null(b.chain);
    free(line);
    /* The root CA CRL has no chain header at all. */
    struct mse_pccs_answer r = {.id = MSE_PCCS_ROOT_CA_CRL};
    feed(&r, "TCB-Info-Issuer-Chain: x\r\n");
    assert_null(r.chain);
    assert_false(r.chain_bad);
    mse_pccs_answer_reset(&a);
    assert_int_equal(a.id, MSE_PCCS_TCB_INFO);
    assert_null(a.chain);
    mse_pccs_answer_reset(&b);
    mse_pccs_answer_reset(&r);
}

static void test_body_limit(void **state)
{
    struct mse_pccs_answer a = {.id = MSE_PCCS_PCK_CRL};
    char *chunk = calloc(1, 1u << 20);
    for (int i = 0; i < 4; i++)
        assert_true(mse_pccs_answer_body(&a, chunk, 1u << 20));
    assert_int_equal(a.body_len, MSE_PCCS_BODY_MAX);
    assert_false(mse_pccs_answer_body(&a, chunk, 1));
    assert_true(a.body_over);
    free(chunk);
    mse_pccs_answer_reset(&a);
}

/* A body sent a byte at a time: every byte kept, in order, in a buffer grown by doubling
 * (a few reallocations, never more than twice the body). */
static void test_body_in_small_pieces(void **state)
{
    struct mse_pccs_answer a = {.id = MSE_PCCS_TCB_INFO};
    size_t grows = 0, cap = 0;
    for (size_t i = 0; i < 100000; i++) {
        char c = (char)('a' + i % 26);
        assert_true(mse_pccs_answer_body(&a, &c, 1));
        if (a.body_cap != cap) {
            grows++;
            cap = a.body_cap;
        }
    }
    assert_int_equal(a.body_len, 100000);
    for (size_t i = 0; i < 100000; i++)
        assert_int_equal(a.body[i], 'a' + i % 26);
    assert_int_equal(a.body[100000], 0);
    assert_true(a.body_cap > a.body_len && a.body_cap <= 2 * (a.body_len + 1));
    assert_true(grows <= 6); /* 4 KiB, 8, 16, 32, 64, 128 */
    mse_pccs_answer_reset(&a);
    assert_null(a.body);
    assert_int_equal(a.body_cap, 0);
}

static void test_retry_after(void **state)
{
    assert_int_equal(mse_pccs_retry_after_seconds("", NOW), -1);
    assert_int_equal(mse_pccs_retry_after_seconds("0", NOW), 0);
    assert_int_equal(mse_pccs_retry_after_seconds("120", NOW), 120);
    assert_int_equal(mse_pccs_retry_after_seconds("99999999999999999999", NOW), 1000000);
    assert_int_equal(mse_pccs_retry_after_seconds("-5", NOW), -1);
    assert_int_equal(mse_pccs_retry_after_seconds("soon", NOW), -1);
    /* HTTP-date: in 100 s, in the past (retry at once), far away (capped). */
    assert_int_equal(mse_pccs_retry_after_seconds("Mon, 21 Sep 2026 14:15:00 GMT", NOW), 100);
    assert_int_equal(mse_pccs_retry_after_seconds("Mon, 21 Sep 2026 14:00:00 GMT", NOW), 0);
    assert_int_equal(mse_pccs_retry_after_seconds("Fri, 01 Jan 2100 00:00:00 GMT", NOW), 1000000);
    struct mse_pccs_answer a = {.id = MSE_PCCS_QE_IDENTITY};
    feed(&a, "retry-after: 7\r\n");
    assert_string_equal(a.retry_after, "7");
    feed(&a, "Retry-After: 12345678901234567890123456789012345678901234567890123456789012345\r\n");
    assert_string_equal(a.retry_after, "");
}

static mse_err check(const struct mse_pccs_answer *a, long status, long waited, char *why)
{
    return mse_pccs_answer_check(a, status, URL, waited, NOW, why, 512);
}

static void test_check(void **state)
{
    char why[512];
    const char *portal = "<html><title>Network login</title></html>";
    struct mse_pccs_answer a = {.id = MSE_PCCS_ROOT_CA_CRL};
    assert_true(mse_pccs_answer_body(&a, portal, strlen(portal)));
    /* Not the collateral asked for: class 21, the item and what it should be named. */
    assert_int_equal(check(&a, 200, -1, why), MSE_ERR_PCCS_BODY);
    assert_int_equal(mse_err_exit(MSE_ERR_PCCS_BODY), MSE_EXIT_PCCS);
    assert_non_null(strstr(why, "PCCS answer for Root CA CRL is not a CRL: "));
    assert_non_null(strstr(why, "Network login"));
    assert_non_null(strstr(why, URL));
    /* A real CRL is one. */
    EVP_PKEY *key = mse_test_key();
    X509 *ca = mse_test_cert("CA", key, NULL, NULL, 0, 4000000000LL, true, 1);
    X509_CRL *crl = mse_test_crl(ca, key, NOW - 10, NOW + 1000, NULL, 0);
    size_t der_len;
    uint8_t *der = mse_test_crl_der(crl, &der_len);
    struct mse_pccs_answer ok = {.id = MSE_PCCS_ROOT_CA_CRL};
    assert_true(mse_pccs_answer_body(&ok, (const char *)der, der_len));
    assert_int_equal(check(&ok, 200, -1, why), MSE_OK);
    /* ... but as the PCK CRL it lacks its issuer chain header. */
    ok.id = MSE_PCCS_PCK_CRL;
    assert_int_equal(check(&ok, 200, -1, why), MSE_ERR_PCCS_BODY);
    assert_non_null(strstr(why, "lacks the SGX-PCK-CRL-Issuer-Chain header"));
    feed(&ok, "SGX-PCK-CRL-Issuer-Chain: x\r\n");
    assert_int_equal(check(&ok, 200, -1, why), MSE_OK);
    feed(&ok, "SGX-PCK-CRL-Issuer-Chain: x\r\n");
    assert_int_equal(check(&ok, 200, -1, why), MSE_ERR_PCCS_BODY);
    assert_non_null(strstr(why, "repeated or oversized"));
    /* TCB info and QE identity: JSON of their own kind, not each other's. */
    struct mse_pccs_answer t = {.id = MSE_PCCS_TCB_INFO};
    feed(&t, "TCB-Info-Issuer-Chain: x\r\n");
    const char *qe = "{\"enclaveIdentity\":{\"issueDate\":\"2026-09-01T00:00:00Z\","
                     "\"nextUpdate\":\"2026-10-01T00:00:00Z\"},\"signature\":\"00\"}";
    assert_true(mse_pccs_answer_body(&t, qe, strlen(qe)));
    assert_int_equal(check(&t, 200, -1, why), MSE_ERR_PCCS_BODY);
    assert_non_null(strstr(why, "PCCS answer for TCB info is not TCB info JSON"));
    /* Empty. */
    struct mse_pccs_answer e = {.id = MSE_PCCS_ROOT_CA_CRL};
    assert_int_equal(check(&e, 200, -1, why), MSE_ERR_PCCS_BODY);
    assert_non_null(strstr(why, "empty Root CA CRL"));
    /* Status codes. */
    assert_int_equal(check(&a, 404, -1, why), MSE_ERR_PCCS_NOT_FOUND);
    assert_int_equal(check(&a, 500, -1, why), MSE_ERR_PCCS_HTTP);
    assert_non_null(strstr(why, "HTTP 500 for Root CA CRL"));
    feed(&a, "Retry-After: 30\r\n");
    assert_int_equal(check(&a, 429, -1, why), MSE_ERR_PCCS_HTTP);
    assert_non_null(strstr(why, "Retry-After 30 s does not fit in the timeout"));
    assert_int_equal(check(&a, 429, 1, why), MSE_ERR_PCCS_HTTP);
    assert_non_null(strstr(why, "again after waiting 1 s"));
    /* A body with control bytes is shown printable. */
    struct mse_pccs_answer c = {.id = MSE_PCCS_ROOT_CA_CRL};
    assert_true(mse_pccs_answer_body(&c, "\x1b[31mred\n", 9));
    assert_int_equal(check(&c, 200, -1, why), MSE_ERR_PCCS_BODY);
    assert_null(strchr(why, '\x1b'));
    assert_null(strchr(why, '\n'));
    mse_pccs_answer_reset(&a);
    mse_pccs_answer_reset(&ok);
    mse_pccs_answer_reset(&t);
    mse_pccs_answer_reset(&c);
    free(der);
    X509_CRL_free(crl);
    X509_free(ca);
    EVP_PKEY_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_body_in_small_pieces),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

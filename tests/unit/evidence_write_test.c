/*
 * mse_evidence_write is the inverse of mse_evidence_parse: the real bundle,
 * parsed, written and parsed again, gives byte for byte the same certificate
 * and collateral, and the same verdict; missing items are refused.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/collateral.h>
#include <mse/verify.h>

#include "testlib.h"

#define CAP (1u << 20)

static void assert_same_blob(const struct mse_blob *a, const struct mse_blob *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
}

static void test_round_trip(void **state)
{
    size_t len;
    uint8_t *json = mse_test_data("real/mse-home-evidence.json", &len);
    uint8_t *buf1 = malloc(CAP), *buf2 = malloc(CAP);
    struct mse_evidence a, b;
    char *out = NULL;
    assert_int_equal(mse_evidence_parse(json, len, buf1, CAP, &a), MSE_OK);
    assert_int_equal(mse_evidence_write(a.ratls_cert.data, a.ratls_cert.len, &a.collateral, false,
                                        1687651200, &out),
                     MSE_OK);
    assert_non_null(strstr(out, "\"captured_at\": \"2023-06-25T00:00:00Z\""));
    assert_int_equal(mse_evidence_parse((const uint8_t *)out, strlen(out), buf2, CAP, &b), MSE_OK);
    assert_same_blob(&a.ratls_cert, &b.ratls_cert);
    assert_same_blob(&a.collateral.tcb_info, &b.collateral.tcb_info);
    assert_same_blob(&a.collateral.qe_identity, &b.collateral.qe_identity);
    assert_same_blob(&a.collateral.root_ca_crl, &b.collateral.root_ca_crl);
    assert_same_blob(&a.collateral.pck_crl, &b.collateral.pck_crl);

    struct mse_policy p;
    struct mse_verify_result *ra = calloc(1, sizeof *ra), *rb = calloc(1, sizeof *rb);
    mse_policy_init(&p);
    p.allow_expired_collateral = true;
    struct mse_verify_input ia = {.cert_der = a.ratls_cert.data, .cert_len = a.ratls_cert.len,
                                  .collateral = &a.collateral, .at = 1687651200};
    struct mse_verify_input ib = {.cert_der = b.ratls_cert.data, .cert_len = b.ratls_cert.len,
                                  .collateral = &b.collateral, .at = 1687651200};
    assert_int_equal(mse_verify(&ia, &p, ra), MSE_OK);
    assert_int_equal(mse_verify(&ib, &p, rb), MSE_OK);
    assert_int_equal(ra->err, MSE_ERR_TCB_STATUS);
    assert_int_equal(rb->err, ra->err);
    assert_string_equal(rb->message, ra->message);
    free(ra);
    free(rb);

    /* The PCK CRL under the processor name when the PCK's CA says so. */
    free(out);
    assert_int_equal(mse_evidence_write(a.ratls_cert.data, a.ratls_cert.len, &a.collateral, true,
                                        0, &out),
                     MSE_OK);
    assert_non_null(strstr(out, "\"pck_processor_crl\""));
    free(out);
    /* An item missing is refused, not written as an empty string. */
    struct mse_collateral c = a.collateral;
    c.qe_identity.len = 0;
    assert_int_equal(mse_evidence_write(a.ratls_cert.data, a.ratls_cert.len, &c, false, 0, &out),
                     MSE_ERR_COLLATERAL_MISSING);
    free(buf1);
    free(buf2);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

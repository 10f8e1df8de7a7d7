/*
 * The quote's internal links on the REAL quote (from the real evidence's
 * RA-TLS certificate): QE report signed by the real PCK key, QE REPORTDATA
 * binding the attestation key, quote signed by it. Then one flipped byte in
 * each signed region, the signature, the key, and the QE auth data, each
 * with its own code.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/collateral.h>
#include <mse/quote.h>
#include <mse/ratls.h>

#include "dcap.h"
#include "testlib.h"

struct fx {
    uint8_t *json, *buf, *qbuf, *copy;
    size_t qlen;
    struct mse_evidence ev;
    struct mse_quote q;
    struct mse_certs chain;
};

static void fx_load(struct fx *f)
{
    size_t len;
    struct mse_ratls ratls;
    memset(f, 0, sizeof *f);
    f->json = mse_test_data("real/mse-home-evidence.json", &len);
    f->buf = malloc(1 << 20);
    f->qbuf = malloc(MSE_QUOTE_MAX_SIZE);
    assert_int_equal(mse_evidence_parse(f->json, len, f->buf, 1 << 20, &f->ev), MSE_OK);
    assert_int_equal(mse_ratls_extract(f->ev.ratls_cert.data, f->ev.ratls_cert.len, f->qbuf,
                                       MSE_QUOTE_MAX_SIZE, &ratls),
                     MSE_OK);
    f->qlen = ratls.quote_len;
    f->copy = malloc(f->qlen);
    memcpy(f->copy, ratls.quote, f->qlen);
    assert_int_equal(mse_quote_parse(f->copy, f->qlen, &f->q), MSE_OK);
    assert_int_equal(mse_x509_pem_chain(f->q.cert_data, f->q.cert_data_len, &f->chain), MSE_OK);
}

static void fx_free(struct fx *f)
{
    mse_certs_free(&f->chain);
    free(f->json);
    free(f->buf);
    free(f->qbuf);
    free(f->copy);
}

/* Re-parse after the caller changed f->copy. */
static void reparse(struct fx *f)
{
    assert_int_equal(mse_quote_parse(f->copy, f->qlen, &f->q), MSE_OK);
}

static void test_real_quote_links(void **state)
{
    struct fx f;
    fx_load(&f);
    EVP_PKEY *pck = X509_get0_pubkey(f.chain.c[0]);
    assert_int_equal(mse_quote_verify_qe_report(&f.q, pck), MSE_OK);
    assert_int_equal(mse_quote_verify_qe_report_data(&f.q), MSE_OK);
    assert_int_equal(mse_quote_verify_signature(&f.q), MSE_OK);
    /* The PCK CA's key did not sign the QE report. */
    assert_int_equal(mse_quote_verify_qe_report(&f.q, X509_get0_pubkey(f.chain.c[1])),
                     MSE_ERR_QE_REPORT_SIGNATURE);
    fx_free(&f);
}

/* Offsets in the quote (Quote Library API A.4). */
#define OFF_BODY 48
#define OFF_SIG 436
#define OFF_AK (OFF_SIG + 64)
#define OFF_QE_REPORT (OFF_AK + 64)
#define OFF_QE_SIG (OFF_QE_REPORT + 384)
#define OFF_AUTH_LEN (OFF_QE_SIG + 64)

static void test_flips(void **state)
{
    struct fx f;
    fx_load(&f);
    EVP_PKEY *pck = X509_get0_pubkey(f.chain.c[0]);
    static const struct {
        size_t off;
        mse_err qe_report, qe_data, quote_sig;
    } cases[] = {
        {OFF_BODY + 64, MSE_OK, MSE_OK, MSE_ERR_QUOTE_SIGNATURE},       /* MRENCLAVE */
        {OFF_BODY + 320, MSE_OK, MSE_OK, MSE_ERR_QUOTE_SIGNATURE},      /* REPORTDATA */
        {OFF_SIG + 5, MSE_OK, MSE_OK, MSE_ERR_QUOTE_SIGNATURE},         /* quote signature */
        {OFF_AK + 7, MSE_OK, MSE_ERR_QE_REPORT_DATA, MSE_ERR_QUOTE_SIGNATURE}, /* attestation key */
        {OFF_QE_REPORT + 64, MSE_ERR_QE_REPORT_SIGNATURE, MSE_OK, MSE_OK},    /* QE MRENCLAVE */
        {OFF_QE_REPORT + 320, MSE_ERR_QE_REPORT_SIGNATURE, MSE_ERR_QE_REPORT_DATA, MSE_OK},
        {OFF_QE_SIG + 1, MSE_ERR_QE_REPORT_SIGNATURE, MSE_OK, MSE_OK},  /* QE report signature */
        {OFF_AUTH_LEN + 2, MSE_OK, MSE_ERR_QE_REPORT_DATA, MSE_OK},     /* first QE auth data byte */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f.copy[cases[i].off] ^= 0x01;
        reparse(&f);
        assert_int_equal(mse_quote_verify_qe_report(&f.q, pck), cases[i].qe_report);
        assert_int_equal(mse_quote_verify_qe_report_data(&f.q), cases[i].qe_data);
        mse_err qs = mse_quote_verify_signature(&f.q);
        assert_int_equal(qs, cases[i].quote_sig);
        f.copy[cases[i].off] ^= 0x01;
    }
    /* The user data in the header (signed by the attestation key). */
    f.copy[28 + 3] ^= 0x80;
    reparse(&f);
    assert_int_equal(mse_quote_verify_signature(&f.q), MSE_ERR_QUOTE_SIGNATURE);
    f.copy[28 + 3] ^= 0x80;
    reparse(&f);
    assert_int_equal(mse_quote_verify_signature(&f.q), MSE_OK);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_quote_links),
        cmocka_unit_test(test_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * mse_verify_quote on the real quote with collateral files made from the
 * real MSE evidence (tests/data/real/qvl, tests/data/real/dcap-qvl-collateral.json):
 * the same verdict as the evidence bundle, the tamper list of issue 12 each
 * with its code (tests/testlib/qvl_cases.c), REPORTDATA policy, CERT and
 * BINDING marked not applicable, TDX quotes named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/time.h>
#include <mse/verify.h>

#include "qvl_cases.h"
#include "testlib.h"
#include "util/collateral_files.h"

static int64_t at(void)
{
    int64_t t;
    assert_int_equal(mse_time_parse(QVL_AT, strlen(QVL_AT), &t), MSE_OK);
    return t;
}

static void tolerant(struct mse_policy *p)
{
    mse_policy_init(p);
    p->allow_expired_collateral = true;
    p->accepted_tcb = MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE);
}

/* Verify dir/quote.dat against dir/collateral the way the CLI does. */
static mse_err run_dir(const char *dir, const struct mse_policy *p, struct mse_verify_result *r)
{
    char path[4096], why[512] = "";
    struct mse_collateral_files f;
    size_t qlen, rootlen;
    snprintf(path, sizeof path, "%s/quote.dat", dir);
    uint8_t *quote = mse_test_file(path, &qlen);
    snprintf(path, sizeof path, "%s/collateral", dir);
    mse_err err = mse_collateral_files_load(path, &f, why, sizeof why);
    const uint8_t *root = mse_intel_root_ca_der(&rootlen);
    if (err == MSE_OK)
        err = mse_collateral_files_check(&f, quote, qlen, root, rootlen, why, sizeof why);
    if (err == MSE_OK) {
        struct mse_verify_quote_input in = {.quote = quote, .quote_len = qlen,
                                            .collateral = &f.collateral, .at = at()};
        assert_int_equal(mse_verify_quote(&in, p, r), MSE_OK);
        err = r->ok ? MSE_OK : r->err;
    }
    mse_collateral_files_free(&f);
    free(quote);
    return err;
}

static void evidence_verdict(const struct mse_policy *p, struct mse_verify_result *r)
{
    size_t len;
    uint8_t *json = mse_test_data("real/mse-home-evidence.json", &len);
    uint8_t *buf = malloc(1u << 20);
    struct mse_evidence ev;
    assert_int_equal(mse_evidence_parse(json, len, buf, 1u << 20, &ev), MSE_OK);
    struct mse_verify_input in = {.cert_der = ev.ratls_cert.data, .cert_len = ev.ratls_cert.len,
                                  .collateral = &ev.collateral, .at = at()};
    assert_int_equal(mse_verify(&in, p, r), MSE_OK);
    free(buf);
    free(json);
}

static void assert_same_verdict(const struct mse_verify_result *a,
                                const struct mse_verify_result *b)
{
    assert_int_equal(a->ok, b->ok);
    assert_int_equal(a->err, b->err);
    assert_int_equal(a->tcb_status, b->tcb_status);
    assert_int_equal(a->advisory_count, b->advisory_count);
    assert_memory_equal(a->enclave.mr_enclave, b->enclave.mr_enclave, 32);
    assert_memory_equal(a->enclave.mr_signer, b->enclave.mr_signer, 32);
    for (int id = MSE_CHECK_QUOTE; id < MSE_CHECK_COUNT; id++)
        if (id != MSE_CHECK_BINDING && id != MSE_CHECK_CERT_TIME) /* certificate-only checks */
            assert_int_equal(a->checks[id].outcome, b->checks[id].outcome);
}

static void test_same_verdict_as_evidence(void **state)
{
    struct qvl_set s;
    struct mse_policy p;
    struct mse_verify_result *rq = calloc(1, sizeof *rq), *re = calloc(1, sizeof *re);
    char *dir = mse_test_tmpdir();
    qvl_set_load(&s);
    qvl_set_write(&s, dir);

    /* Tolerant policy: both accept; strict default: both refuse for the same reason. */
    tolerant(&p);
    assert_int_equal(run_dir(dir, &p, rq), MSE_OK);
    evidence_verdict(&p, re);
    assert_true(re->ok);
    assert_same_verdict(rq, re);
    assert_int_equal(rq->checks[MSE_CHECK_CERT].outcome, MSE_OUTCOME_NOT_APPLICABLE);
    assert_int_equal(rq->checks[MSE_CHECK_CERT_TIME].outcome, MSE_OUTCOME_NOT_APPLICABLE);
    assert_int_equal(rq->checks[MSE_CHECK_BINDING].outcome, MSE_OUTCOME_NOT_APPLICABLE);
    assert_non_null(strstr(rq->checks[MSE_CHECK_BINDING].detail,
                           "nothing binds the quote to a channel"));
    assert_int_equal(rq->binding, MSE_BINDING_NONE);
    /* No RA-TLS certificate among the validity items. */
    assert_int_equal(rq->validity_count + 1, re->validity_count);

    mse_policy_init(&p);
    assert_int_equal(run_dir(dir, &p, rq), MSE_ERR_CRL_EXPIRED);
    evidence_verdict(&p, re);
    assert_same_verdict(rq, re);
    p.allow_expired_collateral = true;
    assert_int_equal(run_dir(dir, &p, rq), MSE_ERR_TCB_STATUS);
    evidence_verdict(&p, re);
    assert_same_verdict(rq, re);

    mse_test_rmtree(dir);
    free(dir);
    qvl_set_free(&s);
    free(rq);
    free(re);
}

static void test_dcap_qvl_json(void **state)
{
    size_t qlen, jlen;
    uint8_t *quote = mse_test_data("real/mse-quote.dat", &qlen);
    uint8_t *json = mse_test_data("real/dcap-qvl-collateral.json", &jlen);
    uint8_t *buf = malloc(jlen + 1024);
    struct mse_collateral c;
    struct mse_blob chain;
    struct mse_policy p;
    struct mse_verify_result *r = calloc(1, sizeof *r), *re = calloc(1, sizeof *re);
    char why[256];
    assert_int_equal(mse_collateral_dcap_qvl_parse(json, jlen, buf, jlen + 1024, &c, &chain, why,
                                                   sizeof why),
                     MSE_OK);
    assert_null(chain.data);
    /* The envelope is rebuilt byte for byte: it is the QVL file. */
    size_t tlen;
    uint8_t *tcb = mse_test_data("real/qvl/tcbInfo.json", &tlen);
    assert_int_equal(c.tcb_info.len, tlen);
    assert_memory_equal(c.tcb_info.data, tcb, tlen);
    tolerant(&p);
    struct mse_verify_quote_input in = {.quote = quote, .quote_len = qlen, .collateral = &c,
                                        .at = at()};
    assert_int_equal(mse_verify_quote(&in, &p, r), MSE_OK);
    evidence_verdict(&p, re);
    assert_same_verdict(r, re);
    assert_true(r->ok);

    /* Unknown members and wrong types are refused with the member named. */
    const char *bad = "{\"tcb_info\":\"{}\",\"surprise\":1}";
    assert_int_equal(mse_collateral_dcap_qvl_parse((const uint8_t *)bad, strlen(bad), buf,
                                                   jlen + 1024, &c, &chain, why, sizeof why),
                     MSE_ERR_JSON_FIELD);
    assert_non_null(strstr(why, "surprise"));
    free(tcb);
    free(buf);
    free(json);
    free(quote);
    free(r);
    free(re);
}

static void test_tamper_list(void **state)
{
    char rd_hex[129];
    uint8_t rd[64];
    struct mse_verify_result *r = calloc(1, sizeof *r);
    qvl_report_data_hex(rd_hex);
    assert_int_equal(mse_hex_decode(rd_hex, 128, rd, 64), MSE_OK);
    for (size_t i = 0; i < qvl_case_count; i++) {
        const struct qvl_case *c = &qvl_cases[i];
        struct qvl_set s;
        struct mse_policy p;
        char *dir = mse_test_tmpdir();
        qvl_set_load(&s);
        c->apply(&s);
        qvl_set_write(&s, dir);
        tolerant(&p);
        if (c->with_report_data) {
            p.report_data = rd;
            p.report_data_len = 64;
        }
        mse_err got = run_dir(dir, &p, r);
        if (got != c->expect)
            fail_msg("%s: got %s, want %s", c->name, mse_err_name(got), mse_err_name(c->expect));
        mse_test_rmtree(dir);
        free(dir);
        qvl_set_free(&s);
    }
    free(r);
}

static void test_report_data_policy(void **state)
{
    struct qvl_set s;
    struct mse_policy p;
    char rd_hex[129];
    uint8_t rd[64];
    struct mse_verify_result *r = calloc(1, sizeof *r);
    char *dir = mse_test_tmpdir();
    qvl_set_load(&s);
    qvl_set_write(&s, dir);
    qvl_report_data_hex(rd_hex);
    assert_int_equal(mse_hex_decode(rd_hex, 128, rd, 64), MSE_OK);
    tolerant(&p);
    p.report_data = rd;
    p.report_data_len = 64;
    assert_int_equal(run_dir(dir, &p, r), MSE_OK);
    assert_int_equal(r->checks[MSE_CHECK_BINDING].outcome, MSE_OUTCOME_PASS);
    assert_int_equal(r->binding, MSE_BINDING_REPORT_DATA);
    /* A prefix. */
    p.report_data_len = 32;
    assert_int_equal(run_dir(dir, &p, r), MSE_OK);
    /* Another value: refused before any signature is looked at, named. */
    rd[0] ^= 1;
    assert_int_equal(run_dir(dir, &p, r), MSE_ERR_POLICY_REPORT_DATA);
    assert_int_equal(r->checks[MSE_CHECK_BINDING].outcome, MSE_OUTCOME_FAIL);
    assert_int_equal(mse_err_exit(MSE_ERR_POLICY_REPORT_DATA), MSE_EXIT_BINDING);
    mse_test_rmtree(dir);
    free(dir);
    qvl_set_free(&s);
    free(r);
}

/* A certificate ignores the REPORTDATA policy: its REPORTDATA binds the certificate key. */
static void test_certificate_ignores_report_data(void **state)
{
    struct mse_policy p;
    uint8_t rd[64] = {0};
    struct mse_verify_result *r = calloc(1, sizeof *r);
    tolerant(&p);
    p.report_data = rd;
    p.report_data_len = 64;
    evidence_verdict(&p, r);
    assert_true(r->ok);
    assert_int_equal(r->binding, MSE_BINDING_MSE);
    free(r);
}

static void test_empty_quote_is_a_verdict(void **state)
{
    struct mse_policy p;
    struct mse_verify_result *r = calloc(1, sizeof *r);
    mse_policy_init(&p);
    struct mse_verify_quote_input in = {.quote = NULL, .quote_len = 0, .at = at()};
    assert_int_equal(mse_verify_quote(&in, &p, r), MSE_OK);
    assert_false(r->ok);
    assert_int_equal(r->err, MSE_ERR_QUOTE_TRUNCATED);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_verdict_as_evidence),
        cmocka_unit_test(test_dcap_qvl_json),
        cmocka_unit_test(test_tamper_list),
        cmocka_unit_test(test_report_data_policy),
        cmocka_unit_test(test_certificate_ignores_report_data),
        cmocka_unit_test(test_empty_quote_is_a_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

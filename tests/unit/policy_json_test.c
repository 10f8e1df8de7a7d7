/*
 * The policy document (docs/formats/policy.md) and the accepted-advisories
 * rule: to_json then from_json gives the same policy; every reading error
 * names its key; the rule accepts a status only when every advisory is
 * listed and there is at least one, never Revoked.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/verify.h>

#include "dcap.h"
#include "testlib.h"

static void assert_same_policy(const struct mse_policy *a, const struct mse_policy *b)
{
    assert_int_equal(a->allow_debug, b->allow_debug);
    assert_int_equal(a->allow_expired_collateral, b->allow_expired_collateral);
    assert_int_equal(a->accepted_tcb | MSE_TCB_MASK(MSE_TCB_UP_TO_DATE),
                     b->accepted_tcb | MSE_TCB_MASK(MSE_TCB_UP_TO_DATE));
    assert_int_equal(a->mrsigner_count, b->mrsigner_count);
    for (size_t i = 0; i < a->mrsigner_count; i++)
        assert_memory_equal(a->mrsigners[i], b->mrsigners[i], 32);
    assert_int_equal(a->mrenclave == NULL, b->mrenclave == NULL);
    if (a->mrenclave)
        assert_memory_equal(a->mrenclave, b->mrenclave, 32);
    assert_int_equal(a->check_isv_prod_id, b->check_isv_prod_id);
    assert_int_equal(a->isv_prod_id, b->isv_prod_id);
    assert_int_equal(a->check_min_isv_svn, b->check_min_isv_svn);
    assert_int_equal(a->min_isv_svn, b->min_isv_svn);
    assert_int_equal(a->accepted_advisory_count, b->accepted_advisory_count);
    for (size_t i = 0; i < a->accepted_advisory_count; i++)
        assert_string_equal(a->accepted_advisories[i], b->accepted_advisories[i]);
    assert_int_equal(a->report_data_len, b->report_data_len);
    if (a->report_data_len)
        assert_memory_equal(a->report_data, b->report_data, a->report_data_len);
}

static void round_trip(const struct mse_policy *p)
{
    char *js = NULL;
    struct mse_policy_store *st = malloc(sizeof *st);
    struct mse_policy back;
    char why[256] = "";
    assert_int_equal(mse_policy_to_json(p, &js), MSE_OK);
    assert_int_equal(mse_policy_from_json((const uint8_t *)js, strlen(js), st, &back, why,
                                          sizeof why),
                     MSE_OK);
    assert_same_policy(p, &back);
    free(js);
    free(st);
}

static void test_round_trip(void **state)
{
    struct mse_policy p;
    uint8_t signers[2][32], mre[32], rd[20];
    const char *adv[] = {"INTEL-SA-00615", "INTEL-SA-00657"};
    mse_policy_init(&p);
    round_trip(&p);
    memset(signers, 0xc1, sizeof signers);
    signers[1][0] = 2;
    memset(mre, 0x0e, sizeof mre);
    memset(rd, 0x77, sizeof rd);
    p.mrsigners = (const uint8_t(*)[32])signers;
    p.mrsigner_count = 2;
    p.mrenclave = mre;
    p.allow_debug = true;
    p.allow_expired_collateral = true;
    p.accepted_tcb = MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE) | MSE_TCB_MASK(MSE_TCB_SW_HARDENING_NEEDED);
    p.accepted_advisories = adv;
    p.accepted_advisory_count = 2;
    p.check_isv_prod_id = true;
    p.isv_prod_id = 0;
    p.check_min_isv_svn = true;
    p.min_isv_svn = 65535;
    p.report_data = rd;
    p.report_data_len = sizeof rd;
    round_trip(&p);
}

static void expect_bad(const char *text, const char *key_named)
{
    struct mse_policy_store *st = malloc(sizeof *st);
    struct mse_policy p;
    char why[256] = "";
    assert_int_equal(mse_policy_from_json((const uint8_t *)text, strlen(text), st, &p, why,
                                          sizeof why),
                     MSE_ERR_POLICY_FORMAT);
    if (strstr(why, key_named) == NULL)
        fail_msg("%s: reason '%s' does not name %s", text, why, key_named);
    /* A refused file leaves the strict default. */
    assert_false(p.allow_debug);
    assert_int_equal(p.mrsigner_count, 0);
    free(st);
}

static void test_strict_reading(void **state)
{
    expect_bad("{\"mrsigner\":[]}", "\"mrsigner\"");
    expect_bad("{\"allow_debug\":true,\"allow_debug\":false}", "duplicate");
    expect_bad("{\"allow_debug\":1}", "\"allow_debug\"");
    expect_bad("{\"mrsigners\":[\"abcd\"]}", "\"mrsigners\"");
    expect_bad("{\"mrenclave\":\"zz\"}", "\"mrenclave\"");
    expect_bad("{\"accepted_tcb_statuses\":[\"Revoked\"]}", "never accepted");
    expect_bad("{\"accepted_tcb_statuses\":[\"Fine\"]}", "\"accepted_tcb_statuses\"");
    expect_bad("{\"accepted_advisories\":[\"SA 1\"]}", "\"accepted_advisories\"");
    expect_bad("{\"isv_prod_id\":65536}", "\"isv_prod_id\"");
    expect_bad("{\"min_isv_svn\":-1}", "\"min_isv_svn\"");
    expect_bad("{\"report_data\":\"\"}", "\"report_data\"");
    expect_bad("{\"version\":2}", "\"version\"");
    expect_bad("[]", "not a JSON object");
    expect_bad("{", "line 1");
    /* Missing keys are the strict defaults. */
    struct mse_policy_store *st = malloc(sizeof *st);
    struct mse_policy p;
    assert_int_equal(mse_policy_from_json((const uint8_t *)"{}", 2, st, &p, NULL, 0), MSE_OK);
    assert_int_equal(p.accepted_tcb, MSE_TCB_MASK(MSE_TCB_UP_TO_DATE));
    assert_null(p.mrenclave);
    free(st);
}

/* The accepted-advisories rule on a result as the verifier leaves it. */
static enum mse_outcome tcb_outcome(enum mse_tcb_status st, const char *const *have, size_t nhave,
                                    const char *const *listed, size_t nlisted)
{
    struct mse_policy p;
    struct mse_verify_result *r = calloc(1, sizeof *r);
    mse_policy_init(&p);
    p.accepted_advisories = listed;
    p.accepted_advisory_count = nlisted;
    r->tcb_status = r->platform_tcb_status = st;
    r->qe_tcb_status = MSE_TCB_UP_TO_DATE;
    for (size_t i = 0; i < nhave; i++)
        strcpy(r->advisories[i], have[i]);
    r->advisory_count = nhave;
    mse_policy_evaluate(&p, r);
    enum mse_outcome o = r->checks[MSE_CHECK_TCB_STATUS].outcome;
    free(r);
    return o;
}

static void test_accepted_advisories(void **state)
{
    const char *two[] = {"INTEL-SA-00615", "INTEL-SA-00657"};
    const char *one[] = {"INTEL-SA-00615"};
    assert_int_equal(tcb_outcome(MSE_TCB_SW_HARDENING_NEEDED, two, 2, two, 2), MSE_OUTCOME_WARN);
    assert_int_equal(tcb_outcome(MSE_TCB_SW_HARDENING_NEEDED, two, 2, one, 1), MSE_OUTCOME_FAIL);
    assert_int_equal(tcb_outcome(MSE_TCB_SW_HARDENING_NEEDED, one, 1, two, 2), MSE_OUTCOME_WARN);
    /* No advisory at all: nothing was assessed. */
    assert_int_equal(tcb_outcome(MSE_TCB_OUT_OF_DATE, NULL, 0, two, 2), MSE_OUTCOME_FAIL);
    /* Revoked is never accepted. */
    assert_int_equal(tcb_outcome(MSE_TCB_REVOKED, one, 1, one, 1), MSE_OUTCOME_FAIL);
    /* Without a list, the status alone decides, as before. */
    assert_int_equal(tcb_outcome(MSE_TCB_OUT_OF_DATE, one, 1, NULL, 0), MSE_OUTCOME_FAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_strict_reading),
        cmocka_unit_test(test_accepted_advisories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

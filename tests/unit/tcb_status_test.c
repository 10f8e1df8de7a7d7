/* TCB status names and QVL's convergence of platform and QE statuses (every pair). */
#include <string.h>

#include <mse/verify.h>

#include "dcap.h"
#include "testlib.h"

static void test_names_round_trip(void **state)
{
    for (int s = 0; s < MSE_TCB_UNKNOWN; s++) {
        enum mse_tcb_status back;
        const char *n = mse_tcb_status_name((enum mse_tcb_status)s);
        assert_int_equal(mse_tcb_status_parse(n, strlen(n), &back), MSE_OK);
        assert_int_equal(back, s);
    }
    enum mse_tcb_status x;
    assert_int_equal(mse_tcb_status_parse("Unknown", 7, &x), MSE_ERR_ARG);
    assert_int_equal(mse_tcb_status_parse("uptodate", 8, &x), MSE_ERR_ARG);
    assert_int_equal(mse_tcb_status_parse("UpToDat", 7, &x), MSE_ERR_ARG);
    assert_string_equal(mse_tcb_status_name((enum mse_tcb_status)99), "Unknown");
}

static void test_converge(void **state)
{
    /* QE UpToDate: the platform status stands. */
    for (int p = 0; p < MSE_TCB_UNKNOWN; p++)
        assert_int_equal(mse_tcb_status_converge((enum mse_tcb_status)p, MSE_TCB_UP_TO_DATE), p);
    /* QE OutOfDate. */
    static const enum mse_tcb_status ood[] = {
        [MSE_TCB_UP_TO_DATE] = MSE_TCB_OUT_OF_DATE,
        [MSE_TCB_SW_HARDENING_NEEDED] = MSE_TCB_OUT_OF_DATE,
        [MSE_TCB_CONFIGURATION_NEEDED] = MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
        [MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
        [MSE_TCB_OUT_OF_DATE] = MSE_TCB_OUT_OF_DATE,
        [MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
        [MSE_TCB_REVOKED] = MSE_TCB_REVOKED,
    };
    for (int p = 0; p < MSE_TCB_UNKNOWN; p++)
        assert_int_equal(mse_tcb_status_converge((enum mse_tcb_status)p, MSE_TCB_OUT_OF_DATE),
                         ood[p]);
    /* QE Revoked: everything Revoked. */
    for (int p = 0; p < MSE_TCB_UNKNOWN; p++)
        assert_int_equal(mse_tcb_status_converge((enum mse_tcb_status)p, MSE_TCB_REVOKED),
                         MSE_TCB_REVOKED);
    /* Not evaluated stays unknown. */
    assert_int_equal(mse_tcb_status_converge(MSE_TCB_UP_TO_DATE, MSE_TCB_UNKNOWN),
                     MSE_TCB_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_converge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Every error value has a name, a message and an exit class; values are unique and in range. */
#include <string.h>

#include <mse/err.h>

#include "testlib.h"

static const int all_values[] = {
#define V_(name, value, exit_class, msg) value,
    MSE_ERR_LIST(V_)
#undef V_
};

static void test_every_value_has_text(void **state)
{
    size_t n = sizeof all_values / sizeof all_values[0];
    assert_true(n > 50);
    for (size_t i = 0; i < n; i++) {
        mse_err e = (mse_err)all_values[i];
        assert_true(mse_err_known(all_values[i]));
        assert_string_not_equal(mse_err_name(e), "MSE_ERR_UNKNOWN");
        assert_string_not_equal(mse_err_str(e), "unknown error");
        assert_true(strlen(mse_err_str(e)) > 3);
        /* Ranges: 0 ok, otherwise 100..599. */
        assert_true(all_values[i] == 0 || (all_values[i] >= 100 && all_values[i] < 700));
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(all_values[i], all_values[j]);
    }
}

static void test_unknown_value(void **state)
{
    assert_false(mse_err_known(99999));
    assert_string_equal(mse_err_name((mse_err)99999), "MSE_ERR_UNKNOWN");
    assert_int_equal(mse_err_exit((mse_err)99999), MSE_EXIT_INTERNAL);
}

static void test_exit_classes(void **state)
{
    assert_int_equal(mse_err_exit(MSE_OK), MSE_EXIT_OK);
    assert_int_equal(mse_err_exit(MSE_ERR_ARG), MSE_EXIT_USAGE);
    assert_int_equal(mse_err_exit(MSE_ERR_PCK_REVOKED), MSE_EXIT_NOT_GENUINE);
    assert_int_equal(mse_err_exit(MSE_ERR_CRL_EXPIRED), MSE_EXIT_COLLATERAL);
    assert_int_equal(mse_err_exit(MSE_ERR_POLICY_MRSIGNER), MSE_EXIT_SIGNER);
    assert_int_equal(mse_err_exit(MSE_ERR_POLICY_MRENCLAVE), MSE_EXIT_FINGERPRINT);
    assert_int_equal(mse_err_exit(MSE_ERR_POLICY_DEBUG), MSE_EXIT_DEBUG);
    assert_int_equal(mse_err_exit(MSE_ERR_RATLS_NO_QUOTE), MSE_EXIT_NO_ENCLAVE);
    assert_string_equal(mse_err_name(MSE_ERR_QUOTE_SIGNATURE), "MSE_ERR_QUOTE_SIGNATURE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_value_has_text),
        cmocka_unit_test(test_unknown_value),
        cmocka_unit_test(test_exit_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

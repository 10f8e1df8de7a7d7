/*
 * `mse verify --quote FILE --collateral DIR` (issue 12, acceptance 2): the real
 * quote with QVL-layout collateral made from the real MSE evidence verifies
 * as the evidence bundle does, and every change of the tamper list
 * (tests/testlib/qvl_cases.c, shared with tests/unit/verify_quote_test.c) is
 * refused with its exit class and its code named in the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <mse/err.h>

#include "qvl_cases.h"
#include "testlib.h"

/* Run mse with args (a shell-safe string), output in dir/out; the exit status. */
static int run_mse(const char *dir, const char *args)
{
    const char *bin = getenv("MSE_BIN");
    char cmd[8192];
    assert_non_null(bin);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s/out' 2>&1", bin, args, dir);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static char *output(const char *dir)
{
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/out", dir);
    return (char *)mse_test_file(path, &len);
}

static void verify_args(char *buf, size_t cap, const char *dir, const char *extra)
{
    snprintf(buf, cap,
             "verify --quote '%s/quote.dat' --collateral '%s/collateral' --at " QVL_AT
             " --allow-expired-collateral --allow-tcb " QVL_ALLOW_TCB " %s",
             dir, dir, extra);
}

static void test_untampered(void **state)
{
    struct qvl_set s;
    char args[8192], rd[129], extra[200];
    char *dir = mse_test_tmpdir();
    qvl_set_load(&s);
    qvl_set_write(&s, dir);
    verify_args(args, sizeof args, dir, "--json");
    assert_int_equal(run_mse(dir, args), 0);
    char *out = output(dir);
    assert_non_null(strstr(out, "\"verdict\": \"ok\""));
    assert_non_null(strstr(out, "\"certificate\": {\n      \"outcome\": \"not_applicable\""));
    assert_non_null(strstr(out, "\"tcb_status\": \"OutOfDate\""));
    assert_non_null(strstr(out, "\"policy\": {"));
    free(out);
    /* The same collateral as dcap-qvl JSON. */
    snprintf(args, sizeof args,
             "verify --quote '%s/quote.dat' --collateral '%s/dcap-qvl-collateral.json' --at " QVL_AT
             " --allow-expired-collateral --allow-tcb " QVL_ALLOW_TCB,
             dir, MSE_TEST_DATA "/real");
    assert_int_equal(run_mse(dir, args), 0);
    /* With the quote's own REPORTDATA, and a prefix of it. */
    qvl_report_data_hex(rd);
    snprintf(extra, sizeof extra, "--report-data %s", rd);
    verify_args(args, sizeof args, dir, extra);
    assert_int_equal(run_mse(dir, args), 0);
    rd[16] = '\0';
    snprintf(extra, sizeof extra, "--report-data-prefix %s", rd);
    verify_args(args, sizeof args, dir, extra);
    assert_int_equal(run_mse(dir, args), 0);
    /* Strict policy: the same refusal as the evidence bundle (expired PCK CRL). */
    snprintf(args, sizeof args,
             "verify --quote '%s/quote.dat' --collateral '%s/collateral' --at " QVL_AT, dir, dir);
    assert_int_equal(run_mse(dir, args), MSE_EXIT_COLLATERAL);
    out = output(dir);
    assert_non_null(strstr(out, "MSE_ERR_CRL_EXPIRED"));
    free(out);
    mse_test_rmtree(dir);
    free(dir);
    qvl_set_free(&s);
}

static void test_tamper_list(void **state)
{
    char rd[129], extra[200], args[8192];
    qvl_report_data_hex(rd);
    for (size_t i = 0; i < qvl_case_count; i++) {
        const struct qvl_case *c = &qvl_cases[i];
        struct qvl_set s;
        char *dir = mse_test_tmpdir();
        qvl_set_load(&s);
        c->apply(&s);
        qvl_set_write(&s, dir);
        snprintf(extra, sizeof extra, "%s%s", c->with_report_data ? "--report-data " : "",
                 c->with_report_data ? rd : "");
        verify_args(args, sizeof args, dir, extra);
        int rc = run_mse(dir, args);
        char *out = output(dir);
        if (rc != (int)mse_err_exit(c->expect) || strstr(out, mse_err_name(c->expect)) == NULL)
            fail_msg("%s: exit %d, want %d (%s); output:\n%s", c->name, rc,
                     (int)mse_err_exit(c->expect), mse_err_name(c->expect), out);
        free(out);
        mse_test_rmtree(dir);
        free(dir);
        qvl_set_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untampered),
        cmocka_unit_test(test_tamper_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* mse trust: the NSS nickname rule (no option-like, empty, long or odd names reach certutil). */
#include <string.h>

#include "cli/cli_trust.h"
#include "testlib.h"

static void test_accepted(void **state)
{
    const char *good[] = {"a", "my_app", "app-1.example", "A9", "0", "x.y_z-w",
                          "a234567890123456789012345678901234567890123456789012345678901234"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(cli_trust_name_ok(good[i]));
}

static void test_refused(void **state)
{
    const char *bad[] = {"",      "-n",      "--force", ".hidden", "_x",     "a b",   "a/b",
                         "a;rm",  "a$b",     "a\nb",    "a\tb",    "é",      "a:b",   "a,b",
                         "a\"b",  "a'b",     "a*",      "sql:x",
                         /* 65 characters */
                         "a2345678901234567890123456789012345678901234567890123456789012345"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(cli_trust_name_ok(bad[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

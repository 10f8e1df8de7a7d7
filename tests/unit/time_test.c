/* RFC 3339 parsing and formatting, including the dates the real evidence hinges on. */
#include <string.h>

#include <mse/time.h>

#include "testlib.h"

static int64_t parse(const char *s)
{
    int64_t t = -1;
    assert_int_equal(mse_time_parse(s, strlen(s), &t), MSE_OK);
    return t;
}

static void test_known_instants(void **state)
{
    assert_true(parse("1970-01-01T00:00:00Z") == 0);
    assert_true(parse("2023-06-15T23:55:41Z") == 1686873341);
    assert_true(parse("2023-06-20T00:24:02Z") == 1687220642);
    assert_true(parse("2000-02-29T12:00:00.123456Z") == 951825600);
    assert_true(parse("2023-06-15T23:55:41+00:00") == 1686873341);
}

static void test_format_round_trip(void **state)
{
    char out[21];
    const char *samples[] = {"1970-01-01T00:00:00Z", "2023-06-15T23:55:41Z",
                             "2024-02-29T23:59:59Z", "2099-12-31T00:00:01Z"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        mse_time_format(parse(samples[i]), out);
        assert_string_equal(out, samples[i]);
    }
}

static void test_refused(void **state)
{
    const char *bad[] = {"", "2023-06-15", "2023-06-15T23:55:41", "2023-13-01T00:00:00Z",
                         "2023-02-29T00:00:00Z", "2023-06-31T00:00:00Z", "2023-06-15T24:00:00Z",
                         "2023-06-15T23:55:41+01:00", "2023-06-15T23:55:41Zx",
                         "2023-06-15 23:55:41Z", "2023-06-15T23:55:41.Z", "20a3-06-15T23:55:41Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t;
        assert_int_equal(mse_time_parse(bad[i], strlen(bad[i]), &t), MSE_ERR_TIME_FORMAT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

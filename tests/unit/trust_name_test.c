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

/* certutil -L's table: a nickname is the whole first column, spaces included. */
static void test_listed_flags(void **state)
{
    static const char listing[] =
        "\n"
        "Certificate Nickname                                         Trust Attributes\n"
        "                                                             SSL,S/MIME,JAR/XPI\n"
        "\n"
        "leaf x                                                       C,,  \n"
        "leaf2                                                        CT,C,C\r\n"
        "leaf                                                         P,,  \n"
        "leaf                                                         C,,  \n"
        "Corp Root CA                                                 c,,";
    char flags[32];
    cli_nss_listed_flags(listing, "leaf", flags, sizeof flags);
    assert_string_equal(flags, "P,,"); /* the first line of the name, not "leaf x"'s "x" */
    cli_nss_listed_flags(listing, "leaf2", flags, sizeof flags);
    assert_string_equal(flags, "CT,C,C");
    cli_nss_listed_flags(listing, "leaf x", flags, sizeof flags);
    assert_string_equal(flags, "C,,");
    cli_nss_listed_flags(listing, "Corp Root CA", flags, sizeof flags);
    assert_string_equal(flags, "c,,");
    const char *absent[] = {"lea", "x", "Corp", "Certificate", "Certificate Nickname", ""};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        cli_nss_listed_flags(listing, absent[i], flags, sizeof flags);
        assert_string_equal(flags, "");
    }
    cli_nss_listed_flags("", "leaf", flags, sizeof flags);
    assert_string_equal(flags, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_listed_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

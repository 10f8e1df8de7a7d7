/* The raw byte span of a top-level JSON member: what Intel signs. */
#include <string.h>

#include "dcap.h"
#include "testlib.h"

static void span_is(const char *text, const char *key, const char *want)
{
    size_t off = 0, n = 0;
    assert_int_equal(mse_json_member_span((const uint8_t *)text, strlen(text), key, &off, &n),
                     MSE_OK);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(text + off, want, n);
}

static void test_spans(void **state)
{
    span_is("{\"a\":{\"b\":[1,2,{\"c\":\"}\"}]},\"s\":\"x\"}", "a", "{\"b\":[1,2,{\"c\":\"}\"}]}");
    span_is("{\"s\":\"x\",\"a\":{}}", "a", "{}");
    span_is(" { \"a\" :  { \"k\" : \"v\\\"}\" }  , \"s\":1 } ", "a", "{ \"k\" : \"v\\\"}\" }");
    span_is("{\"a\":123,\"b\":true}", "a", "123");
    span_is("{\"a\":123,\"b\":true}", "b", "true");
    span_is("{\"a\":\"str\\\\\"}", "a", "\"str\\\\\"");
    /* A key that merely contains the name, or appears inside a value, is not the member. */
    span_is("{\"xa\":1,\"v\":{\"a\":2},\"a\":3}", "a", "3");
}

static void test_refused(void **state)
{
    size_t off, n;
    const char *bad[] = {"", "[]", "{}", "{\"b\":1}", "{\"a\"", "{\"a\":", "{\"a\":{", "{\"a\":1,",
                         "{\"a\":1 \"b\":2}", "{\"a\":\"", "{\"a\\u0061\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(
            mse_json_member_span((const uint8_t *)bad[i], strlen(bad[i]), "a", &off, &n), MSE_OK);
    /* The raw key twice (the caller's jansson pass refuses this too). */
    assert_int_equal(mse_json_member_span((const uint8_t *)"{\"a\":1,\"a\":2}", 13, "a", &off, &n),
                     MSE_ERR_JSON_DUPLICATE_KEY);
}


static mse_err env(const char *t, size_t *off, size_t *n, size_t *so, size_t *sn)
{
    return mse_json_signed_envelope((const uint8_t *)t, strlen(t), "tcbInfo", off, n, so, sn);
}

static void test_envelope(void **state)
{
    size_t off, n, so, sn;
    const char *t = " {\"tcbInfo\" : {\"a\":\"}\"} , \"signature\":\"0aF9\"}\n";
    assert_int_equal(env(t, &off, &n, &so, &sn), MSE_OK);
    assert_int_equal(n, 9);
    assert_memory_equal(t + off, "{\"a\":\"}\"}", 9);
    assert_int_equal(sn, 4);
    assert_memory_equal(t + so, "0aF9", 4);
    /* Reversed order. */
    t = "{\"signature\":\"00\",\"tcbInfo\":{}}";
    assert_int_equal(env(t, &off, &n, &so, &sn), MSE_OK);
    assert_int_equal(n, 2);
    const char *bad[] = {
        "{\"tcbInfo\":{}}",                                   /* no signature */
        "{\"tcbInfo\":{},\"signature\":\"00\",\"x\":1}",        /* third member */
        "{\"tcbInfo\":{},\"tcbInfo\":{}}",                      /* repeated */
        "{\"tcbInfo\":[],\"signature\":\"00\"}",               /* not an object */
        "{\"tcbInfo\":{},\"signature\":\"0\\u0030\"}",          /* escape in signature */
        "{\"tcbInfo\":{},\"signature\":00}",                    /* not a string */
        "{\"tcb\\u0049nfo\":{},\"signature\":\"00\"}",          /* escaped key */
        "{\"tcbInfo\":{},\"signature\":\"00\"} {}",              /* trailing */
        "{\"tcbInfo\":{\"a\":1,\"signature\":\"00\"}",            /* unbalanced */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (env(bad[i], &off, &n, &so, &sn) == MSE_OK)
            fail_msg("accepted: %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_envelope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The field-line rules of mse-enclave (srv_field.c): tchar on every byte
 * against RFC 9110 5.6.2's list, tokens and values on each way out of them,
 * and the request rule evhttp's requests are refused by: any field name that
 * is not a token (whitespace before the colon above all), any control
 * character but HTAB in a value, each with its message.
 */
#include <string.h>

#include <event2/http.h>

#include "srv/srv_int.h"
#include "testlib.h"

static void test_tchar_every_byte(void **state)
{
    static const char listed[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t taken = 0;
    for (unsigned c = 0; c < 256; c++) {
        bool want = c != 0 && memchr(listed, (int)c, sizeof listed - 1) != NULL;
        if (srv_tchar((uint8_t)c) != want)
            fail_msg("srv_tchar(0x%02x) is %d", c, !want);
        taken += want;
    }
    assert_int_equal(taken, 15 + 10 + 26 + 26);
}

static bool token(const char *s)
{
    return srv_token(s, strlen(s));
}

static void test_token(void **state)
{
    assert_true(token("Transfer-Encoding"));
    assert_true(token("x"));
    assert_true(token("!#$%&'*+-.^_`|~09azAZ"));
    static const char *const bad[] = {
        "",                     /* 1*tchar */
        "Transfer-Encoding ",   /* whitespace before the colon (RFC 9112 5.1) */
        "Transfer-Encoding\t",
        " Host",
        "X A",
        "X(a)", "X\"a", "X,a", "X/a", "X:a", "X;a", "X<a", "X=a", "X?a", "X@a", "X[a",
        "X\\a", "X]a", "X{a", "X}a", /* the separators of RFC 9110 5.6.2 */
        "X\x01", "X\x7f",       /* CTL, DEL */
        "X-\xc3\xa9",           /* obs-text */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (token(bad[i]))
            fail_msg("not a token taken: \"%s\"", bad[i]);
    /* The length is the name's, not the string's: a NUL inside is a byte like any other. */
    assert_false(srv_token("a\0b", 3));
    assert_true(srv_token("a\0b", 1));
}

static bool value_valid(const char *s)
{
    return srv_field_value_valid(s, strlen(s));
}

static void test_value(void **state)
{
    assert_true(value_valid(""));
    assert_true(value_valid("chunked"));
    assert_true(value_valid("a\tb c"));          /* HTAB and SP */
    assert_true(value_valid(" \t"));
    assert_true(value_valid("caf\xc3\xa9 \x80\xff")); /* obs-text */
    assert_true(value_valid("!~\"(),/:;<=>?@[\\]{}"));
    for (unsigned c = 0; c < 0x20; c++) {
        char v[] = {'a', (char)c, 'b'};
        if (srv_field_value_valid(v, sizeof v) != (c == '\t'))
            fail_msg("value with 0x%02x: %d", c, c != '\t');
    }
    assert_false(value_valid("a\x7f"));
    assert_false(value_valid("a\r b"));
    assert_false(value_valid("a\n b"));
    assert_false(srv_field_value_valid("a\0b", 3));
    assert_true(srv_field_value_valid("a\0b", 1));
}

/* The request rule on a request as evhttp hands it to dispatch, with one extra field. */
static void expect(const char *name, const char *value, const char *why)
{
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    assert_non_null(req);
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    assert_int_equal(evhttp_add_header(h, "Host", "x"), 0);
    assert_int_equal(evhttp_add_header(h, name, value), 0);
    assert_int_equal(evhttp_add_header(h, "Accept", "*/*"), 0);
    const char *got = srv_fields_refusal(req);
    evhttp_request_free(req);
    if (why == NULL && got != NULL)
        fail_msg("\"%s: %s\" refused: %s", name, value, got);
    if (why != NULL && (got == NULL || strcmp(got, why) != 0))
        fail_msg("\"%s: %s\": expected \"%s\", got \"%s\"", name, value, why,
                 got ? got : "(served)");
}

static void test_request_rule(void **state)
{
    const char *name = "field name not a token";
    const char *ctl = "control character in a field value";
    expect("Transfer-Encoding", "chunked", NULL);
    expect("X-A", "a\tb caf\xc3\xa9", NULL);
    expect("X-A", "", NULL);
    /* evhttp keeps these names with the whitespace ("Transfer-Encoding : chunked"). */
    expect("Transfer-Encoding ", "chunked", name);
    expect("Content-Length ", "5", name);
    expect("Host ", "x", name);
    expect("Host\t", "x", name);
    expect("", "x", name); /* ": x" */
    expect("X(a)", "b", name);
    expect("X-\xe9", "b", name);
    expect("X-A", "a\x01", ctl);
    expect("X-A", "\x0b" "b", ctl);
    expect("X-A", "a\x7f", ctl);
    expect("X-A", "a\x1b[2J", ctl);
    /* A request without fields (HTTP/1.0) has nothing to refuse. */
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    assert_non_null(req);
    assert_null(srv_fields_refusal(req));
    evhttp_request_free(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tchar_every_byte),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_request_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

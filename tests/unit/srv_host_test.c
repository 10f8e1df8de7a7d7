/*
 * The Host field rules of mse-enclave (srv_host.c, RFC 9112 3.2): the value
 * grammar (uri-host [":" port], RFC 3986 3.2.2) on values it takes and on
 * each way out of it, and the request rule evhttp's requests are refused by:
 * more than one Host, none in HTTP/1.1, an invalid value, each with its
 * message; HTTP/1.0 without Host served.
 */
#include <string.h>

#include <event2/http.h>
#include <event2/http_struct.h>

#include "srv/srv_int.h"
#include "testlib.h"

static bool valid(const char *value)
{
    return srv_host_valid(value, strlen(value));
}

static void test_valid_values(void **state)
{
    static const char *const good[] = {
        "",                           /* no authority (RFC 9110 7.2) */
        "x",
        "example.com",
        "example.com:443",
        "EXAMPLE.com:",               /* port = *DIGIT: may be empty */
        ":8443",                      /* reg-name may be empty */
        "127.0.0.1",
        "127.0.0.1:8443",
        "1.2.3.999",                  /* not an IPv4address, a valid reg-name */
        "a-b.c_d~e",                  /* unreserved */
        "!$&'()*+,;=",                /* sub-delims */
        "caf%C3%A9.example",          /* pct-encoded */
        "[::1]",
        "[::1]:8443",
        "[2001:db8::8:800:200c:417a]",
        "[::ffff:192.0.2.1]:80",      /* ls32 as an IPv4address */
        "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]", /* the longest IPv6address */
        "[v1.x]",                     /* IPvFuture */
        "[VaB.x:y!]:1",
        " x ",                        /* the field's optional whitespace */
        "\t x:1\t ",
        " ",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!valid(good[i]))
            fail_msg("valid Host refused: \"%s\"", good[i]);
}

static void test_invalid_values(void **state)
{
    static const char *const bad[] = {
        "a b",            /* whitespace inside */
        "x@y",            /* userinfo */
        "user:pw@x",
        "x/y",            /* a path, a query, a fragment */
        "x?y",
        "x#y",
        "x\\y",
        "\"x\"",
        "x:8a",           /* port */
        "x:80:80",
        "x: 80",
        "::1",            /* IPv6 without brackets */
        "a%2",            /* pct-encoded */
        "a%zz",
        "a%",
        "[::1",           /* IP-literal */
        "::1]",
        "[::1]x",
        "[::1]:a",
        "[]",
        "[zz::1]",
        "[1.2.3.4]",
        "[::1%25eth0]",   /* RFC 6874 zone IDs are not in RFC 3986's grammar */
        "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555]", /* one over the longest */
        "[:::1]",
        "[v1.]",          /* IPvFuture */
        "[v.x]",
        "[vg.x]",
        "[v1.x",
        "[v1.x y]",
        "x\x01",          /* control bytes, DEL, obs-text */
        "x\x7f",
        "caf\xc3\xa9",
        "\r\nx",
        "x,\ty",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (valid(bad[i]))
            fail_msg("invalid Host accepted: \"%s\"", bad[i]);
    /* The length is the value's, not the string's: a NUL inside is a byte like any other. */
    assert_false(srv_host_valid("a\0b", 3));
    assert_true(srv_host_valid("a\0b", 1));
}

/* A request as evhttp hands it to dispatch: version major.minor and the given Host values. */
static struct evhttp_request *request(char major, char minor, const char *const *hosts,
                                      size_t n)
{
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    assert_non_null(req);
    req->major = major;
    req->minor = minor;
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    assert_int_equal(evhttp_add_header(h, "Accept", "*/*"), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(evhttp_add_header(h, i % 2 ? "host" : "Host", hosts[i]), 0);
    return req;
}

static void expect_refusal(char major, char minor, const char *const *hosts, size_t n,
                           const char *why)
{
    struct evhttp_request *req = request(major, minor, hosts, n);
    const char *got = srv_host_refusal(req);
    evhttp_request_free(req);
    if (why == NULL && got != NULL)
        fail_msg("HTTP/%d.%d with %zu Host(s) refused: %s", major, minor, n, got);
    if (why != NULL && (got == NULL || strcmp(got, why) != 0))
        fail_msg("HTTP/%d.%d with %zu Host(s): expected \"%s\", got \"%s\"", major, minor, n,
                 why, got ? got : "(served)");
}

static void test_request_rule(void **state)
{
    static const char *const one[] = {"example.com:8443"};
    static const char *const empty[] = {""};
    static const char *const same_twice[] = {"x", "x"};
    static const char *const two[] = {"x", "y"};
    static const char *const space[] = {"a b"};
    static const char *const at[] = {"x@y"};
    static const char *const none = NULL;
    const char *no_host = "no Host in an HTTP/1.1 request";
    const char *more = "more than one Host";
    const char *invalid = "invalid Host";

    expect_refusal(1, 1, one, 1, NULL);
    expect_refusal(1, 1, empty, 1, NULL);
    expect_refusal(1, 0, &none, 0, NULL); /* HTTP/1.0 may come without */
    expect_refusal(1, 0, one, 1, NULL);

    expect_refusal(1, 1, &none, 0, no_host);
    expect_refusal(1, 2, &none, 0, no_host); /* a later 1.x is read as 1.1 */
    expect_refusal(0, 9, &none, 0, no_host);
    expect_refusal(1, 1, two, 2, more);
    expect_refusal(1, 1, same_twice, 2, more); /* even the same value twice */
    expect_refusal(1, 0, two, 2, more);        /* in any version */
    expect_refusal(1, 1, space, 1, invalid);
    expect_refusal(1, 1, at, 1, invalid);
    expect_refusal(1, 0, at, 1, invalid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_values),
        cmocka_unit_test(test_invalid_values),
        cmocka_unit_test(test_request_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The request heads mse-enclave's hello loop answers itself (srv_head.c):
 * the subset accepted with its length and flags, every proper prefix of an
 * accepted head waiting for more, the size limit at max and max - 1, and
 * every head outside the subset (left to evhttp) named by what puts it
 * outside.
 */
#include <stdio.h>
#include <string.h>

#include "srv/srv_int.h"
#include "testlib.h"

#define MAX 16384

static enum srv_head_verdict parse_max(const char *text, size_t max, struct srv_head *h)
{
    return srv_head_parse((const uint8_t *)text, strlen(text), max, h);
}

static enum srv_head_verdict parse(const char *text, struct srv_head *h)
{
    return parse_max(text, MAX, h);
}

static void test_accepted(void **state)
{
    struct srv_head h;
    const char *get = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n\r\n";
    assert_int_equal(parse(get, &h), SRV_HEAD_FAST);
    assert_int_equal(h.len, strlen(get));
    assert_false(h.head_only);
    assert_false(h.close);

    assert_int_equal(parse("HEAD /a/b?c=d&e=%20f HTTP/1.1\r\nhost:x\r\n"
                           "Connection: \t close \t\r\nUser-Agent: wrk\r\n\r\n",
                           &h),
                     SRV_HEAD_FAST);
    assert_true(h.head_only);
    assert_true(h.close);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nconnection: Keep-Alive\r\n\r\n", &h),
                     SRV_HEAD_FAST);
    assert_false(h.close);
    /* Host values srv_host_valid takes, its optional whitespace included. */
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: [::1]:8443 \t\r\n\r\n", &h), SRV_HEAD_FAST);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n", &h), SRV_HEAD_FAST);

    /* Pipelined: the length covers the first head only. */
    const char *two = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(parse(two, &h), SRV_HEAD_FAST);
    assert_int_equal(h.len, strlen(two) / 2);
    /* Followed by the start of a request evhttp will read: still this head. */
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST", &h), SRV_HEAD_FAST);
}

static void test_prefixes_wait(void **state)
{
    const char *get = "HEAD /x?y HTTP/1.1\r\nHost: x\r\nConnection: close\r\nA: b c\r\n\r\n";
    struct srv_head h;
    for (size_t n = 0; n < strlen(get); n++) {
        assert_int_equal(srv_head_parse((const uint8_t *)get, n, MAX, &h), SRV_HEAD_MORE);
    }
    assert_int_equal(srv_head_parse((const uint8_t *)get, strlen(get), MAX, &h), SRV_HEAD_FAST);
}

static void test_limits(void **state)
{
    struct srv_head h;
    const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    size_t n = strlen(get);
    assert_int_equal(parse_max(get, n, &h), SRV_HEAD_FAST);
    assert_int_equal(h.len, n);
    /* No end within max bytes: evhttp's, however many bytes follow. */
    assert_int_equal(parse_max(get, n - 1, &h), SRV_HEAD_OTHER);
    assert_int_equal(srv_head_parse((const uint8_t *)get, n - 1, n - 1, &h), SRV_HEAD_OTHER);
    assert_int_equal(srv_head_parse((const uint8_t *)get, n - 1, n, &h), SRV_HEAD_MORE);

    char many[8192];
    size_t len = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 1; i < SRV_HEAD_FIELDS_MAX; i++)
        len += (size_t)snprintf(many + len, sizeof many - len, "X-%d: %d\r\n", i, i);
    snprintf(many + len, sizeof many - len, "\r\n");
    assert_int_equal(parse(many, &h), SRV_HEAD_FAST); /* exactly SRV_HEAD_FIELDS_MAX fields */
    snprintf(many + len, sizeof many - len, "X-last: 1\r\n\r\n");
    assert_int_equal(parse(many, &h), SRV_HEAD_OTHER);
}

static void test_others(void **state)
{
    static const char *const others[] = {
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", /* method */
        "get / HTTP/1.1\r\nHost: x\r\n\r\n",                        /* methods are case-sensitive */
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.0\r\nHost: x\r\n\r\n",                        /* version */
        "GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",                       /* request line shape */
        "GET /\r\n\r\n",
        "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",                /* absolute-form */
        "GET /a\"b HTTP/1.1\r\nHost: x\r\n\r\n",                    /* target characters */
        "GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /.well-known/mse/ratls.pem HTTP/1.1\r\nHost: x\r\n\r\n", /* evhttp's endpoints */
        "GET /.well-known/mse/configure HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\n",                              /* bare LF */
        "GET / HTTP/1.1\r\nHost: x\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",                                   /* Host: none, two */
        "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",                      /* Host: invalid */
        "GET / HTTP/1.1\r\nHost: x@y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",   /* a body */
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close, upgrade\r\n\r\n", /* Connection */
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nConnection:\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nA : b\r\n\r\n",               /* field syntax */
        "GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nA b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n",          /* obs-fold */
        "GET / HTTP/1.1\r\nHost: x\r\nA: b\x01\r\n\r\n",            /* control byte */
        "GET / HTTP/1.1\r\nHost: x\r\nA: \xc3\xa9\r\n\r\n",         /* obs-text */
    };
    struct srv_head h;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        if (parse(others[i], &h) != SRV_HEAD_OTHER)
            fail_msg("case %zu not left to evhttp: %s", i, others[i]);
    }
    static const uint8_t nul[] = "GET / HTTP/1.1\r\nHo\0st: x\r\n\r\n"; /* a NUL in a name */
    assert_int_equal(srv_head_parse(nul, sizeof nul - 1, MAX, &h), SRV_HEAD_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_prefixes_wait),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_others),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

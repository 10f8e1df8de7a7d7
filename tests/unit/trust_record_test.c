/*
 * mse trust: the verification record (<cert>.verify.json) must name this
 * exact certificate and a successful verdict; anything else is refused.
 */
#include <stdio.h>
#include <string.h>

#include <mse/bytes.h>

#include "cli/cli_trust.h"
#include "testlib.h"

static const char SHA[] = "d180e0fe80b79a002bb79c46e1dd6aaf811675e8a1fa8321facb7f0864461918";

static mse_err check(const char *json, struct cli_record *r)
{
    uint8_t sha[32];
    assert_int_equal(mse_hex_decode(SHA, 64, sha, 32), MSE_OK);
    return cli_record_check(json, strlen(json), sha, r);
}

static void test_good_record(void **state)
{
    struct cli_record r;
    assert_int_equal(check("{\"sha256\":\"d180e0fe80b79a002bb79c46e1dd6aaf811675e8a1fa8321facb7f"
                           "0864461918\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"at\":\"2026-11-"
                           "23T01:00:00Z\",\"target\":\"localhost:4433\",\"verdict\":\"success\","
                           "\"checks\":{\"genuine\":\"ok\",\"signer\":true,\"fingerprint\":"
                           "\"ok\"}}",
                           &r),
                     MSE_OK);
    assert_string_equal(r.target, "localhost:4433");
    assert_string_equal(r.verified_at, "2026-11-23T01:00:00Z");
    assert_string_equal(r.checks, "genuine=ok, signer=true, fingerprint=ok");
    /* mse verify's form: one object per check, summarised by outcome. */
    char json[1024];
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":\"success\","
             "\"checks\":{\"quote\":{\"outcome\":\"pass\",\"title\":\"q\"},\"isv\":{\"outcome\":"
             "\"skipped\"},\"mrenclave\":{\"outcome\":\"pass\"}}}",
             SHA);
    assert_int_equal(check(json, &r), MSE_OK);
    assert_string_equal(r.checks, "2 pass, 1 skipped");
    /* Upper-case hex names the same bytes. */
    assert_int_equal(check("{\"sha256\":\"D180E0FE80B79A002BB79C46E1DD6AAF811675E8A1FA8321FACB7F"
                           "0864461918\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":"
                           "\"success\"}",
                           &r),
                     MSE_OK);
    assert_string_equal(r.target, "");
}

static void test_other_certificate(void **state)
{
    struct cli_record r;
    /* Last hex digit changed. */
    assert_int_equal(check("{\"sha256\":\"d180e0fe80b79a002bb79c46e1dd6aaf811675e8a1fa8321facb7f"
                           "0864461919\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":"
                           "\"success\"}",
                           &r),
                     MSE_ERR_UNVERIFIED_CERT);
}

static void test_not_a_success(void **state)
{
    struct cli_record r;
    const char *verdicts[] = {"failure", "Success", "success ", "", "successful"};
    for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":\"%s\"}",
                 SHA, verdicts[i]);
        assert_int_equal(check(json, &r), MSE_ERR_UNVERIFIED_CERT);
    }
    /* An embedded NUL must not pass as "success" (jansson refuses \u0000 outright). */
    char nul[512];
    snprintf(nul, sizeof nul,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":"
             "\"success\\u0000x\"}",
             SHA);
    assert_int_not_equal(check(nul, &r), MSE_OK);
}

static void test_malformed(void **state)
{
    struct cli_record r;
    char json[512];
    assert_int_equal(check("", &r), MSE_ERR_JSON);
    assert_int_equal(check("{", &r), MSE_ERR_JSON);
    assert_int_equal(check("[]", &r), MSE_ERR_JSON_FIELD);
    /* Duplicate key: a second "verdict" must not override the first. */
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":\"failure\","
             "\"verdict\":\"success\"}",
             SHA);
    assert_int_equal(check(json, &r), MSE_ERR_JSON_DUPLICATE_KEY);
    /* Missing or mistyped fields. */
    snprintf(json, sizeof json, "{\"sha256\":\"%s\",\"verdict\":\"success\"}", SHA);
    assert_int_equal(check(json, &r), MSE_ERR_JSON_FIELD);
    assert_int_equal(check("{\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":\"success\"}", &r),
                     MSE_ERR_JSON_FIELD);
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":true}", SHA);
    assert_int_equal(check(json, &r), MSE_ERR_JSON_FIELD);
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"yesterday\",\"verdict\":\"success\"}", SHA);
    assert_int_equal(check(json, &r), MSE_ERR_JSON_FIELD);
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":\"success\","
             "\"target\":5}",
             SHA);
    assert_int_equal(check(json, &r), MSE_ERR_JSON_FIELD);
    /* Hash of the wrong length or not hex. */
    assert_int_equal(check("{\"sha256\":\"d180\",\"verified_at\":\"2026-11-23T01:00:00Z\","
                           "\"verdict\":\"success\"}",
                           &r),
                     MSE_ERR_JSON_FIELD);
    assert_int_equal(check("{\"sha256\":\"z180e0fe80b79a002bb79c46e1dd6aaf811675e8a1fa8321facb7f"
                           "0864461918\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":"
                           "\"success\"}",
                           &r),
                     MSE_ERR_JSON_FIELD);
}

static void test_target_sanitized(void **state)
{
    struct cli_record r;
    char json[512];
    /* A record's text goes to a terminal: control characters are replaced. */
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":\"success\","
             "\"target\":\"a\\u001b[31mb\"}",
             SHA);
    assert_int_equal(check(json, &r), MSE_OK);
    assert_string_equal(r.target, "a?[31mb");
}

/* Whether the record shows the code fingerprint checked: exactly "pass". */
static void test_code_checked(void **state)
{
    static const char *const shapes[][2] = {
        {"{\"mrenclave\":{\"outcome\":\"pass\"}}", "1"},
        {"{\"mrenclave\":{\"outcome\":\"skipped\"}}", "0"},
        {"{\"mrenclave\":{\"outcome\":\"warn\"}}", "0"},
        {"{\"mrenclave\":{\"outcome\":\"passed\"}}", "0"},
        {"{\"mrenclave\":\"pass\"}", "0"},
        {"{\"MRENCLAVE\":{\"outcome\":\"pass\"}}", "0"},
        {"{\"fingerprint\":\"ok\"}", "0"},
        {"[]", "0"},
    };
    struct cli_record r;
    char json[512];
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":"
                 "\"success\",\"checks\":%s}",
                 SHA, shapes[i][0]);
        assert_int_equal(check(json, &r), MSE_OK);
        assert_int_equal(r.code_checked, shapes[i][1][0] == '1');
    }
    /* The debug check likewise: only "pass" shows a production enclave. */
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":"
             "\"success\",\"checks\":{\"debug\":{\"outcome\":\"warn\"},\"mrenclave\":"
             "{\"outcome\":\"pass\"}}}",
             SHA);
    assert_int_equal(check(json, &r), MSE_OK);
    assert_true(r.code_checked);
    assert_false(r.not_debug);
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":"
             "\"success\",\"checks\":{\"debug\":{\"outcome\":\"pass\"}}}",
             SHA);
    assert_int_equal(check(json, &r), MSE_OK);
    assert_false(r.code_checked);
    assert_true(r.not_debug);
    /* No checks at all: not checked. */
    snprintf(json, sizeof json,
             "{\"sha256\":\"%s\",\"verified_at\":\"2026-11-23T01:00:00Z\",\"verdict\":"
             "\"success\"}",
             SHA);
    assert_int_equal(check(json, &r), MSE_OK);
    assert_false(r.code_checked);
    assert_false(r.not_debug);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_record),     cmocka_unit_test(test_other_certificate),
        cmocka_unit_test(test_not_a_success),   cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_target_sanitized), cmocka_unit_test(test_code_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Simulated PCCS helpers: percent-encoding against encodeURIComponent's
 * known outputs, its inverse, lowercase hex, and PCCS 1.23's parameter rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/pccs.h"
#include "testlib.h"

static void expect_encode(const char *in, const char *want)
{
    char *got = mse_sim_pccs_percent_encode((const uint8_t *)in, strlen(in));
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* Outputs of Node's encodeURIComponent for the same inputs. */
static void test_percent_encode_vectors(void **state)
{
    expect_encode("", "");
    expect_encode("-----BEGIN CERTIFICATE-----\nMIIB+/=\n-----END CERTIFICATE-----\n",
                  "-----BEGIN%20CERTIFICATE-----%0AMIIB%2B%2F%3D%0A-----END%20CERTIFICATE-----%0A");
    expect_encode("a b&c=d/e?f#g", "a%20b%26c%3Dd%2Fe%3Ff%23g");
    expect_encode("!'()*~-_.", "!'()*~-_.");
    expect_encode("[]@$,;:+%\"<>\\^`{|}", "%5B%5D%40%24%2C%3B%3A%2B%25%22%3C%3E%5C%5E%60%7B%7C%7D");
    expect_encode("\xc3\xa9\r\t", "%C3%A9%0D%09");
    expect_encode("AZaz09", "AZaz09");
}

/* Every byte: kept exactly when it is in encodeURIComponent's unescaped set. */
static void test_percent_encode_all_bytes(void **state)
{
    static const char keep[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                               "-_.!~*'()";
    for (int c = 0; c < 256; c++) {
        uint8_t b = (uint8_t)c;
        char *got = mse_sim_pccs_percent_encode(&b, 1);
        assert_non_null(got);
        if (c != 0 && strchr(keep, c) != NULL) {
            assert_int_equal(strlen(got), 1);
            assert_int_equal((uint8_t)got[0], c);
        } else {
            char want[4];
            snprintf(want, sizeof want, "%%%02X", c);
            assert_string_equal(got, want);
        }
        free(got);
    }
}

static void test_percent_decode(void **state)
{
    uint8_t *out = NULL;
    size_t n = 0;
    const char *enc = "-----BEGIN%20CERTIFICATE-----%0aMIIB%2B%2f%3D+x";
    assert_int_equal(mse_sim_pccs_percent_decode(enc, strlen(enc), &out, &n), MSE_OK);
    assert_int_equal(n, strlen("-----BEGIN CERTIFICATE-----\nMIIB+/=+x"));
    assert_memory_equal(out, "-----BEGIN CERTIFICATE-----\nMIIB+/=+x", n);
    free(out);

    /* Round trip of every byte value. */
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char *e = mse_sim_pccs_percent_encode(all, sizeof all);
    assert_non_null(e);
    assert_int_equal(mse_sim_pccs_percent_decode(e, strlen(e), &out, &n), MSE_OK);
    assert_int_equal(n, sizeof all);
    assert_memory_equal(out, all, sizeof all);
    free(out);
    free(e);

    assert_int_equal(mse_sim_pccs_percent_decode("", 0, &out, &n), MSE_OK);
    assert_int_equal(n, 0);
    free(out);
    const char *bad[] = {"%", "%4", "ab%", "%G0", "%0g", "x%-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        out = NULL;
        assert_int_equal(mse_sim_pccs_percent_decode(bad[i], strlen(bad[i]), &out, &n),
                         MSE_ERR_HEX);
        assert_null(out);
    }
}

static void test_hex(void **state)
{
    const uint8_t der[] = {0x30, 0x81, 0xa8, 0x00, 0xff, 0x0f};
    char *h = mse_sim_pccs_hex(der, sizeof der);
    assert_non_null(h);
    assert_string_equal(h, "3081a800ff0f");
    free(h);
    h = mse_sim_pccs_hex(der, 0);
    assert_non_null(h);
    assert_string_equal(h, "");
    free(h);
}

static void test_fmspc(void **state)
{
    bool hex = false;
    char lower[13];
    assert_int_equal(mse_sim_pccs_check_fmspc("00906ED50000", &hex, lower), MSE_OK);
    assert_true(hex);
    assert_string_equal(lower, "00906ed50000");
    assert_int_equal(mse_sim_pccs_check_fmspc("00906ed50000", &hex, lower), MSE_OK);
    assert_string_equal(lower, "00906ed50000");
    /* 12 characters but not hex: PCCS has no data (404), and no file name is made. */
    assert_int_equal(mse_sim_pccs_check_fmspc("../../etc/pa", &hex, lower), MSE_OK);
    assert_false(hex);
    assert_string_equal(lower, "");
    assert_int_equal(mse_sim_pccs_check_fmspc("00906ED5000g", &hex, lower), MSE_OK);
    assert_false(hex);
    /* Wrong length or absent: 400. */
    assert_int_equal(mse_sim_pccs_check_fmspc(NULL, &hex, lower), MSE_ERR_ARG);
    assert_int_equal(mse_sim_pccs_check_fmspc("", &hex, lower), MSE_ERR_ARG);
    assert_int_equal(mse_sim_pccs_check_fmspc("00906ED5000", &hex, lower), MSE_ERR_ARG);
    assert_int_equal(mse_sim_pccs_check_fmspc("00906ED500000", &hex, lower), MSE_ERR_ARG);
}

static void test_ca_update_encoding(void **state)
{
    bool proc = true;
    assert_int_equal(mse_sim_pccs_check_ca("platform", &proc), MSE_OK);
    assert_false(proc);
    assert_int_equal(mse_sim_pccs_check_ca("PROCESSOR", &proc), MSE_OK);
    assert_true(proc);
    assert_int_equal(mse_sim_pccs_check_ca("Platform", &proc), MSE_OK);
    assert_false(proc);
    assert_int_equal(mse_sim_pccs_check_ca(NULL, &proc), MSE_ERR_ARG);
    assert_int_equal(mse_sim_pccs_check_ca("", &proc), MSE_ERR_ARG);
    assert_int_equal(mse_sim_pccs_check_ca("platforms", &proc), MSE_ERR_ARG);
    assert_int_equal(mse_sim_pccs_check_ca("root", &proc), MSE_ERR_ARG);

    assert_int_equal(mse_sim_pccs_check_update(NULL), MSE_OK);
    assert_int_equal(mse_sim_pccs_check_update(""), MSE_OK);
    assert_int_equal(mse_sim_pccs_check_update("early"), MSE_OK);
    assert_int_equal(mse_sim_pccs_check_update("STANDARD"), MSE_OK);
    assert_int_equal(mse_sim_pccs_check_update("all"), MSE_ERR_ARG);
    assert_int_equal(mse_sim_pccs_check_update("earlyx"), MSE_ERR_ARG);

    assert_true(mse_sim_pccs_encoding_is_der("der"));
    assert_true(mse_sim_pccs_encoding_is_der("DER"));
    assert_false(mse_sim_pccs_encoding_is_der(NULL));
    assert_false(mse_sim_pccs_encoding_is_der("pem"));
    assert_false(mse_sim_pccs_encoding_is_der("ders"));
}

static void test_request_id(void **state)
{
    assert_true(mse_sim_pccs_request_id_ok("0123456789abcdef0123456789ABCDEF"));
    assert_true(mse_sim_pccs_request_id_ok("a-b_c"));
    assert_false(mse_sim_pccs_request_id_ok(NULL));
    assert_false(mse_sim_pccs_request_id_ok(""));
    assert_false(mse_sim_pccs_request_id_ok("a b"));
    assert_false(mse_sim_pccs_request_id_ok("a\r\nX-Evil: 1"));
    char long_id[66];
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    assert_false(mse_sim_pccs_request_id_ok(long_id));
    long_id[64] = '\0';
    assert_true(mse_sim_pccs_request_id_ok(long_id));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_encode_vectors),
        cmocka_unit_test(test_percent_encode_all_bytes),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_fmspc),
        cmocka_unit_test(test_ca_update_encoding),
        cmocka_unit_test(test_request_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

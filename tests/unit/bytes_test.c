/* Hex and base64 codecs: round trips, every malformed form refused. */
#include <string.h>

#include <mse/bytes.h>

#include "testlib.h"

static void test_hex(void **state)
{
    uint8_t out[4];
    char text[9];
    size_t n;
    assert_int_equal(mse_hex_decode("00fFa5", 6, out, 3), MSE_OK);
    assert_int_equal(out[1], 0xff);
    mse_hex_encode(out, 3, text);
    assert_string_equal(text, "00ffa5");
    assert_int_equal(mse_hex_decode("00ff", 4, out, 3), MSE_ERR_HEX);   /* too short */
    assert_int_equal(mse_hex_decode("00ffa5", 6, out, 2), MSE_ERR_HEX); /* too long */
    assert_int_equal(mse_hex_decode("0g", 2, out, 1), MSE_ERR_HEX);
    assert_int_equal(mse_hex_decode(" 0", 2, out, 1), MSE_ERR_HEX);
    assert_int_equal(mse_hex_decode_var("abc", 3, out, 4, &n), MSE_ERR_HEX);
    assert_int_equal(mse_hex_decode_var("aabbccddee", 10, out, 4, &n), MSE_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(mse_hex_decode_var("aabb", 4, out, 4, &n), MSE_OK);
    assert_int_equal(n, 2);
}

/* Every byte, in each position of a pair: the value of 0-9, a-f and A-F, refused otherwise (the
 * decoder folds case with c | 0x20, which must map no other byte into a-f). */
static void test_hex_every_byte(void **state)
{
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        assert_int_equal(mse_hex_digit((unsigned char)c), want);
        char pair[2] = {(char)c, '7'};
        uint8_t out = 0;
        assert_int_equal(mse_hex_decode(pair, 2, &out, 1), want < 0 ? MSE_ERR_HEX : MSE_OK);
        if (want >= 0)
            assert_int_equal(out, (uint8_t)(want << 4 | 7));
        pair[0] = 'B';
        pair[1] = (char)c;
        assert_int_equal(mse_hex_decode(pair, 2, &out, 1), want < 0 ? MSE_ERR_HEX : MSE_OK);
        if (want >= 0)
            assert_int_equal(out, (uint8_t)(0xb0 | want));
    }
}

static void test_base64(void **state)
{
    uint8_t out[16];
    size_t n;
    assert_int_equal(mse_b64_decode("aGVsbG8=", 8, out, sizeof out, &n), MSE_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(mse_b64_decode("aGVs\nbG8h", 9, out, sizeof out, &n), MSE_OK);
    assert_int_equal(n, 6);
    assert_int_equal(mse_b64_decode("", 0, out, sizeof out, &n), MSE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mse_b64_decode("aGVsbG8", 7, out, sizeof out, &n), MSE_ERR_BASE64);
    assert_int_equal(mse_b64_decode("aGVsbG8=x", 9, out, sizeof out, &n), MSE_ERR_BASE64);
    assert_int_equal(mse_b64_decode("a===", 4, out, sizeof out, &n), MSE_ERR_BASE64);
    assert_int_equal(mse_b64_decode("aGVsbG9=", 8, out, sizeof out, &n), MSE_ERR_BASE64);
    assert_int_equal(mse_b64_decode("aGV*bG8=", 8, out, sizeof out, &n), MSE_ERR_BASE64);
    assert_int_equal(mse_b64_decode("aGVsbG8=", 8, out, 4, &n), MSE_ERR_BUFFER_TOO_SMALL);
}

static void test_ct_eq(void **state)
{
    assert_true(mse_ct_eq("abcd", "abcd", 4));
    assert_false(mse_ct_eq("abcd", "abce", 4));
    uint8_t secret[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    mse_wipe(secret, sizeof secret);
    for (size_t i = 0; i < sizeof secret; i++)
        assert_int_equal(secret[i], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_hex_every_byte),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_ct_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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

/*
 * The decoder as it was written before its table and four-digit step: one byte at a time, each
 * class tested by range. The decoder must agree with it on every input below: code, length and
 * bytes.
 */
static mse_err reference_b64(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                             size_t *out_len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    size_t nbits = 0, n = 0, pad = 0, digits = 0;
    for (size_t i = 0; i < in_len; i++) {
        char c = in[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            if (++pad > 2)
                return MSE_ERR_BASE64;
            continue;
        }
        const char *at = c != '\0' ? strchr(alphabet, c) : NULL;
        if (pad != 0 || at == NULL)
            return MSE_ERR_BASE64;
        digits++;
        acc = (acc << 6) | (uint32_t)(at - alphabet);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            if (n >= out_cap)
                return MSE_ERR_BUFFER_TOO_SMALL;
            out[n++] = (uint8_t)(acc >> nbits);
        }
    }
    if ((digits + pad) % 4 != 0 || digits % 4 == 1 || (acc & ((1u << nbits) - 1)) != 0)
        return MSE_ERR_BASE64;
    *out_len = n;
    return MSE_OK;
}

static void same_as_reference(const char *in, size_t len, size_t cap)
{
    uint8_t got[64], want[64];
    size_t got_n = 0, want_n = 0;
    assert_true(cap <= sizeof got);
    mse_err e = mse_b64_decode(in, len, got, cap, &got_n);
    assert_int_equal(e, reference_b64(in, len, want, cap, &want_n));
    if (e == MSE_OK) {
        assert_int_equal(got_n, want_n);
        assert_memory_equal(got, want, got_n);
    }
}

/* Every byte value at every position of two quanta, with room for all, one byte short, none. */
static void test_base64_every_byte(void **state)
{
    for (int c = 0; c < 256; c++) {
        for (size_t at = 0; at < 8; at++) {
            char text[8];
            memcpy(text, "QUJDREVG", 8);
            text[at] = (char)c;
            for (size_t cap = 0; cap <= 7; cap++)
                same_as_reference(text, 8, cap);
        }
    }
}

/* Random texts of digits, whitespace, padding and a stray byte, at every buffer size. */
static void test_base64_random(void **state)
{
    static const char pool[] = "AQZaz09+/AQgw \n\r\t==*-";
    uint32_t seed = 12345;
    for (int round = 0; round < 20000; round++) {
        char text[40];
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % sizeof text;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            /* Mostly digits, as real PEM bodies are. */
            size_t k = (seed >> 16) % 4 != 0 ? (seed >> 20) % 13 : (seed >> 20) % (sizeof pool - 1);
            text[i] = pool[k];
        }
        same_as_reference(text, len, (seed >> 8) % 33);
    }
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
        cmocka_unit_test(test_base64_every_byte),
        cmocka_unit_test(test_base64_random),
        cmocka_unit_test(test_ct_eq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Hex and base64 codecs, constant-time compare and wipe (see <mse/bytes.h>). */
#include <string.h>

#include <openssl/crypto.h>

#include <mse/bytes.h>
#include <mse/guard.h>

/* mse_hex_digit, in a form the decoding loop inlines (a call per digit was most of its cost). */
static inline int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20; /* 'A'-'F' -> 'a'-'f'; no other byte becomes one of them */
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int mse_hex_digit(unsigned char c)
{
    return hex_value(c);
}

mse_err mse_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len)
{
    MSE_ENSURE(hex != NULL && out_len <= SIZE_MAX / 2 && hex_len == 2 * out_len, MSE_ERR_HEX);
    for (size_t i = 0; i < out_len; i++) {
        int hi = hex_value((unsigned char)hex[2 * i]);
        int lo = hex_value((unsigned char)hex[2 * i + 1]);
        MSE_ENSURE(hi >= 0 && lo >= 0, MSE_ERR_HEX);
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return MSE_OK;
}

mse_err mse_hex_decode_var(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap,
                           size_t *out_len)
{
    MSE_ENSURE(hex_len % 2 == 0, MSE_ERR_HEX);
    MSE_ENSURE(hex_len / 2 <= out_cap, MSE_ERR_BUFFER_TOO_SMALL);
    MSE_TRY(mse_hex_decode(hex, hex_len, out, hex_len / 2));
    *out_len = hex_len / 2;
    return MSE_OK;
}

void mse_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

/*
 * What each byte is in base64 text: a digit's value plus one (so the
 * unlisted bytes, 0, are refused), whitespace (skipped) or padding. One
 * load per byte instead of a chain of range tests: the PEM certificates
 * and CRLs of one verification are ~16 KB of base64.
 */
enum { B64_SPACE = 65, B64_PAD = 66 };
static const uint8_t B64_CODE[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23,
    ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
    ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44,
    ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51,
    ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58,
    ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
    [' '] = B64_SPACE, ['\n'] = B64_SPACE, ['\r'] = B64_SPACE, ['\t'] = B64_SPACE,
    ['='] = B64_PAD,
};

/* A digit's value (0-63), or 64 or more for any other byte. */
static inline unsigned b64_digit(char c)
{
    return (unsigned)B64_CODE[(unsigned char)c] - 1u;
}

mse_err mse_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                       size_t *out_len)
{
    uint32_t acc = 0;
    size_t nbits = 0, n = 0, pad = 0, digits = 0, i = 0;
    while (i < in_len) {
        /*
         * Four digits at once while there is room for their three bytes: the
         * same bits and bytes as four turns of the loop below, which handles
         * everything else (whitespace, padding, errors) in input order.
         */
        if (pad == 0 && in_len - i >= 4 && out_cap - n >= 3) {
            unsigned a = b64_digit(in[i]), b = b64_digit(in[i + 1]);
            unsigned c = b64_digit(in[i + 2]), d = b64_digit(in[i + 3]);
            if ((a | b | c | d) < 64) {
                acc = acc << 24 | a << 18 | b << 12 | c << 6 | d; /* <= 6 bits were pending */
                out[n++] = (uint8_t)(acc >> (nbits + 16));
                out[n++] = (uint8_t)(acc >> (nbits + 8));
                out[n++] = (uint8_t)(acc >> nbits);
                digits += 4;
                i += 4;
                continue;
            }
        }
        unsigned code = B64_CODE[(unsigned char)in[i++]];
        if (code == B64_SPACE)
            continue;
        if (code == B64_PAD) {
            pad++;
            MSE_ENSURE(pad <= 2, MSE_ERR_BASE64);
            continue;
        }
        /* Data after padding is not base64. */
        MSE_ENSURE(pad == 0, MSE_ERR_BASE64);
        MSE_ENSURE(code != 0, MSE_ERR_BASE64);
        digits++;
        acc = (acc << 6) | (code - 1);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            MSE_ENSURE(n < out_cap, MSE_ERR_BUFFER_TOO_SMALL);
            out[n++] = (uint8_t)(acc >> nbits);
        }
    }
    /* Canonical length: digits plus padding form whole quanta; leftover bits are zero. */
    MSE_ENSURE((digits + pad) % 4 == 0, MSE_ERR_BASE64);
    MSE_ENSURE(digits % 4 != 1, MSE_ERR_BASE64);
    MSE_ENSURE((acc & ((1u << nbits) - 1)) == 0, MSE_ERR_BASE64);
    *out_len = n;
    return MSE_OK;
}

bool mse_ct_eq(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void mse_wipe(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
}

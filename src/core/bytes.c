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
 * Each byte's base64 digit value placed at its position in a quantum of
 * four digits (bits 18, 12, 6, 0), or B64_NOT_DIGIT: four loads and an OR
 * give a quantum's 24 bits, or show that one of its bytes is not a digit.
 * The PEM certificates and CRLs of one verification are ~8 KB of base64.
 */
#define B64_NOT_DIGIT 0x80000000u
#define B64_VALUE(c)                                                                               \
    ((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                                        \
     : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                                                   \
     : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                                                   \
     : (c) == '+'               ? 62                                                               \
     : (c) == '/'               ? 63                                                               \
                                : -1)
#define B64_AT(c, shift) (B64_VALUE(c) < 0 ? B64_NOT_DIGIT : (uint32_t)B64_VALUE(c) << (shift))
#define B64_4(c, s) B64_AT(c, s), B64_AT((c) + 1, s), B64_AT((c) + 2, s), B64_AT((c) + 3, s)
#define B64_16(c, s) B64_4(c, s), B64_4((c) + 4, s), B64_4((c) + 8, s), B64_4((c) + 12, s)
#define B64_64(c, s) B64_16(c, s), B64_16((c) + 16, s), B64_16((c) + 32, s), B64_16((c) + 48, s)
#define B64_256(s) {B64_64(0, s), B64_64(64, s), B64_64(128, s), B64_64(192, s)}
static const uint32_t B64_DIGIT[4][256] = {B64_256(18), B64_256(12), B64_256(6), B64_256(0)};

mse_err mse_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                       size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)in;
    uint32_t acc = 0;
    size_t nbits = 0, n = 0, pad = 0, digits = 0, i = 0;
    while (i < in_len) {
        /*
         * Four digits at once while there is room for their three bytes: the
         * same bits and bytes as four turns of the loop below, which handles
         * everything else (whitespace, padding, errors) in input order.
         */
        while (pad == 0 && in_len - i >= 4 && out_cap - n >= 3) {
            uint32_t q = B64_DIGIT[0][u[i]] | B64_DIGIT[1][u[i + 1]] | B64_DIGIT[2][u[i + 2]] |
                         B64_DIGIT[3][u[i + 3]];
            if (q & B64_NOT_DIGIT)
                break;
            acc = acc << 24 | q; /* <= 6 bits were pending */
            out[n++] = (uint8_t)(acc >> (nbits + 16));
            out[n++] = (uint8_t)(acc >> (nbits + 8));
            out[n++] = (uint8_t)(acc >> nbits);
            digits += 4;
            i += 4;
        }
        if (i == in_len)
            break;
        unsigned char c = u[i++];
        uint32_t v = B64_DIGIT[3][c];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            MSE_ENSURE(pad <= 2, MSE_ERR_BASE64);
            continue;
        }
        /* Data after padding is not base64. */
        MSE_ENSURE(pad == 0, MSE_ERR_BASE64);
        MSE_ENSURE(v != B64_NOT_DIGIT, MSE_ERR_BASE64);
        digits++;
        acc = (acc << 6) | v;
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

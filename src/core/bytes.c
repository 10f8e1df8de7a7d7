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

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

mse_err mse_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                       size_t *out_len)
{
    uint32_t acc = 0;
    size_t nbits = 0, n = 0, pad = 0, digits = 0;
    for (size_t i = 0; i < in_len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            MSE_ENSURE(pad <= 2, MSE_ERR_BASE64);
            continue;
        }
        /* Data after padding is not base64. */
        MSE_ENSURE(pad == 0, MSE_ERR_BASE64);
        int v = b64_value(c);
        MSE_ENSURE(v >= 0, MSE_ERR_BASE64);
        digits++;
        acc = (acc << 6) | (uint32_t)v;
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

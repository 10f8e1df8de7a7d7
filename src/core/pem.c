/*
 * A strict PEM scanner (RFC 7468, "strict" textual encoding, without
 * explanatory text) for certificates and CRLs from quotes, PCS issuer-chain
 * headers and evidence bundles.
 *
 * OpenSSL's PEM reader skips any text before a BEGIN line; an attacker could
 * then hide one certificate among others and make two parsers disagree about
 * what was presented. Here only whitespace and NUL bytes (the quote's
 * certification data is NUL-terminated) may surround blocks, and the block
 * body must be canonical base64. The PCS sends issuer chains percent-encoded
 * (RFC 3986) in HTTP headers; mse_percent_decode undoes that, for those
 * headers only: a quote's certification data is read as PEM as it stands
 * (as Intel's QVL reads it), so "%2D----BEGIN" there is not a PEM block.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "dcap.h"

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

/* Whether the reader's next bytes are s (does not consume). */
static bool rd_peek_is(const struct mse_rd *rd, const char *s)
{
    struct mse_rd tmp = *rd;
    const uint8_t *p;
    size_t n = strlen(s);
    if (mse_rd_bytes(&tmp, n, &p) != MSE_OK)
        return false;
    return memcmp(p, s, n) == 0;
}

static void rd_skip_space(struct mse_rd *rd)
{
    struct mse_rd tmp = *rd;
    uint8_t c;
    while (mse_rd_u8(&tmp, &c) == MSE_OK && is_space(c))
        *rd = tmp;
}

bool mse_pem_sniff(const uint8_t *data, size_t len)
{
    struct mse_rd rd;
    mse_rd_init(&rd, data, len);
    rd_skip_space(&rd);
    return rd_peek_is(&rd, "-----BEGIN ");
}

mse_err mse_pem_next(struct mse_rd *rd, const char *label, uint8_t *der, size_t cap,
                     size_t *der_len, bool *found)
{
    char begin[64], end[64];
    size_t lab = strlen(label);
    *found = false;
    MSE_ENSURE(lab + 16 < sizeof begin, MSE_ERR_ARG);
    memcpy(begin, "-----BEGIN ", 11);
    memcpy(begin + 11, label, lab);
    memcpy(begin + 11 + lab, "-----", 6);
    memcpy(end, "-----END ", 9);
    memcpy(end + 9, label, lab);
    memcpy(end + 9 + lab, "-----", 6);

    rd_skip_space(rd);
    if (mse_rd_left(rd) == 0)
        return MSE_OK;
    MSE_ENSURE(rd_peek_is(rd, begin), MSE_ERR_PEM);
    MSE_TRY_AS(mse_rd_skip(rd, strlen(begin)), MSE_ERR_PEM);

    /* The body runs to the END line: only a '-' can start it (base64 has none). */
    struct mse_rd rest = *rd;
    const uint8_t *body;
    size_t left = mse_rd_left(rd);
    MSE_TRY_AS(mse_rd_bytes(&rest, left, &body), MSE_ERR_PEM);
    const uint8_t *dash = memchr(body, '-', left);
    MSE_ENSURE(dash != NULL, MSE_ERR_PEM);
    size_t body_len = (size_t)(dash - body);
    MSE_TRY_AS(mse_rd_skip(rd, body_len), MSE_ERR_PEM);
    MSE_ENSURE(rd_peek_is(rd, end), MSE_ERR_PEM);
    MSE_TRY_AS(mse_rd_skip(rd, strlen(end)), MSE_ERR_PEM);
    /* An empty body or one with headers (':' is not base64) is refused by the decoder. */
    MSE_TRY_AS(mse_b64_decode((const char *)body, body_len, der, cap, der_len), MSE_ERR_PEM);
    MSE_ENSURE(*der_len > 0, MSE_ERR_PEM);
    *found = true;
    return MSE_OK;
}

mse_err mse_percent_decode(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    struct mse_rd rd;
    uint8_t *buf = malloc(len + 1);
    size_t n = 0;
    mse_err err = MSE_OK;
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    mse_rd_init(&rd, in, len);
    while (mse_rd_left(&rd) > 0) {
        uint8_t c, h, l;
        MSE_CHECK_OUT(mse_rd_u8(&rd, &c));
        if (c == '%') {
            MSE_ENSURE_OUT(mse_rd_u8(&rd, &h) == MSE_OK && mse_rd_u8(&rd, &l) == MSE_OK,
                           MSE_ERR_PEM);
            MSE_ENSURE_OUT(mse_hex_digit(h) >= 0 && mse_hex_digit(l) >= 0, MSE_ERR_PEM);
            c = (uint8_t)(mse_hex_digit(h) << 4 | mse_hex_digit(l));
        }
        buf[n++] = c;
    }
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    buf = NULL;
out:
    free(buf);
    return err;
}

/*
 * The exact bytes of one top-level member value of a JSON object.
 *
 * Intel signs TCB info and QE identity as the raw text of the "tcbInfo" /
 * "enclaveIdentity" value as served (PCS API v4, "TCB Info" and "Enclave
 * Identity" models: "signature ... calculated over tcbInfo body without
 * whitespaces"). Re-serialising a parsed object would depend on key order,
 * number formatting and escaping, and could make a verifier accept text it
 * did not check or refuse genuine text. So the signature is verified over
 * the span found here, and the fields the verifier uses are parsed from that
 * same span (see tcb_info.c): what is used is exactly what was signed.
 *
 * The scanner follows string and nesting boundaries only; it never reads
 * past the end. It is not a JSON validator: the span it returns is then
 * parsed by jansson, which accepts it only if it is exactly one complete
 * JSON value, so a scanner mistake can only cause a refusal.
 */
#include <string.h>

#include <mse/guard.h>

#include "dcap.h"

#define J MSE_ERR_JSON

static mse_err expect(struct mse_rd *rd, uint8_t want)
{
    uint8_t c;
    MSE_TRY_AS(mse_rd_u8(rd, &c), J);
    MSE_ENSURE(c == want, J);
    return MSE_OK;
}

/* After the opening quote: consume through the closing quote. */
static mse_err skip_string_body(struct mse_rd *rd)
{
    uint8_t c;
    for (;;) {
        MSE_TRY_AS(mse_rd_u8(rd, &c), J);
        if (c == '"')
            return MSE_OK;
        if (c == '\\')
            MSE_TRY_AS(mse_rd_skip(rd, 1), J);
    }
}

static mse_err skip_value(struct mse_rd *rd)
{
    struct mse_rd t = *rd;
    uint8_t c;
    size_t depth = 0;
    MSE_TRY_AS(mse_rd_u8(&t, &c), J);
    if (c == '"') {
        MSE_TRY(skip_string_body(&t));
        *rd = t;
        return MSE_OK;
    }
    if (c != '{' && c != '[') {
        /* Scalar: runs to the next delimiter. */
        for (;;) {
            struct mse_rd u = t;
            if (mse_rd_u8(&u, &c) != MSE_OK || mse_json_is_ws(c) || c == ',' || c == '}' ||
                c == ']')
                break;
            t = u;
        }
        *rd = t;
        return MSE_OK;
    }
    depth = 1;
    while (depth > 0) {
        MSE_TRY_AS(mse_rd_u8(&t, &c), J);
        if (c == '"')
            MSE_TRY(skip_string_body(&t));
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
    }
    *rd = t;
    return MSE_OK;
}

/*
 * An object member's key and the colon after it: *key points at its raw
 * bytes (escapes left as written, so a key with an escape matches no plain
 * name), and the reader is left at the value.
 */
MSE_MUST_USE static mse_err member_key(struct mse_rd *rd, const uint8_t **key, size_t *key_len)
{
    mse_json_skip_ws(rd);
    MSE_TRY(expect(rd, '"'));
    const uint8_t *start = mse_rd_pos(rd);
    size_t kstart = rd->off;
    MSE_TRY(skip_string_body(rd));
    *key = start;
    *key_len = rd->off - kstart - 1;
    mse_json_skip_ws(rd);
    MSE_TRY(expect(rd, ':'));
    mse_json_skip_ws(rd);
    return MSE_OK;
}

mse_err mse_json_member_span(const uint8_t *text, size_t len, const char *key, size_t *off,
                             size_t *span_len)
{
    struct mse_rd rd;
    size_t klen = strlen(key);
    bool found = false;
    mse_rd_init(&rd, text, len);
    mse_json_skip_ws(&rd);
    MSE_TRY(expect(&rd, '{'));
    mse_json_skip_ws(&rd);
    {
        struct mse_rd t = rd;
        uint8_t c;
        if (mse_rd_u8(&t, &c) == MSE_OK && c == '}')
            return J;
    }
    for (;;) {
        const uint8_t *kp;
        size_t kraw;
        MSE_TRY(member_key(&rd, &kp, &kraw));
        size_t vstart = rd.off;
        MSE_TRY(skip_value(&rd));
        if (kraw == klen && memcmp(kp, key, klen) == 0) {
            MSE_ENSURE(!found, MSE_ERR_JSON_DUPLICATE_KEY);
            found = true;
            *off = vstart;
            *span_len = rd.off - vstart;
        }
        mse_json_skip_ws(&rd);
        uint8_t c;
        MSE_TRY_AS(mse_rd_u8(&rd, &c), J);
        if (c == '}')
            break;
        MSE_ENSURE(c == ',', J);
    }
    MSE_ENSURE(found, J);
    return MSE_OK;
}

/* A JSON string of hex digits only (no escapes possible), after its opening quote. */
static mse_err hex_string_body(struct mse_rd *rd, size_t *start, size_t *n)
{
    uint8_t c;
    *start = rd->off;
    *n = 0;
    for (;;) {
        MSE_TRY_AS(mse_rd_u8(rd, &c), J);
        if (c == '"')
            return MSE_OK;
        MSE_ENSURE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'), J);
        (*n)++;
    }
}

mse_err mse_json_signed_envelope(const uint8_t *text, size_t len, const char *member,
                                 size_t *span_off, size_t *span_len, size_t *sig_off,
                                 size_t *sig_len)
{
    struct mse_rd rd;
    bool have_member = false, have_sig = false;
    size_t mlen = strlen(member);
    mse_rd_init(&rd, text, len);
    mse_json_skip_ws(&rd);
    MSE_TRY(expect(&rd, '{'));
    for (int i = 0; i < 2; i++) {
        const uint8_t *kp;
        size_t kraw;
        MSE_TRY(member_key(&rd, &kp, &kraw));
        if (kraw == mlen && memcmp(kp, member, mlen) == 0 && !have_member) {
            uint8_t c;
            struct mse_rd t = rd;
            MSE_TRY_AS(mse_rd_u8(&t, &c), J);
            MSE_ENSURE(c == '{', J);
            *span_off = rd.off;
            MSE_TRY(skip_value(&rd));
            *span_len = rd.off - *span_off;
            have_member = true;
        } else if (kraw == 9 && memcmp(kp, "signature", 9) == 0 && !have_sig) {
            MSE_TRY(expect(&rd, '"'));
            MSE_TRY(hex_string_body(&rd, sig_off, sig_len));
            have_sig = true;
        } else {
            /* Any other key, an escaped spelling, or a repeat. */
            return J;
        }
        mse_json_skip_ws(&rd);
        MSE_TRY(expect(&rd, i == 0 ? ',' : '}'));
    }
    mse_json_skip_ws(&rd);
    MSE_ENSURE(mse_rd_left(&rd) == 0, J);
    return MSE_OK;
}

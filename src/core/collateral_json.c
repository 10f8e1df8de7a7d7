/*
 * Strict reading of Intel's signed JSON collateral (PCS API v4: "TCB Info"
 * v2/v3 and "Enclave Identity" v2 models): the shared shape
 * {"<member>":{...},"signature":"<hex r||s>"} and typed field accessors.
 *
 * Every field is required to have exactly the documented JSON type; a
 * wrong type is a format error, never a default. Duplicate keys are refused
 * at every depth (JSON_REJECT_DUPLICATES): with duplicates, two parsers can
 * read different values from one signed text.
 */
#include <string.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/time.h>

#include "dcap.h"

mse_err mse_json_load_strict(const uint8_t *text, size_t len, json_t **out)
{
    json_error_t e;
    MSE_ENSURE(text != NULL, MSE_ERR_JSON);
    MSE_ENSURE(len <= MSE_COLLATERAL_JSON_MAX, MSE_ERR_LIMIT);
    json_t *j = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &e);
    if (j == NULL)
        return json_error_code(&e) == json_error_duplicate_key ? MSE_ERR_JSON_DUPLICATE_KEY
                                                                : MSE_ERR_JSON;
    *out = j;
    return MSE_OK;
}

mse_err mse_collateral_signed_body(const uint8_t *body, size_t len, const char *member, mse_err fmt,
                                   struct mse_jdoc *signed_doc, const uint8_t **span,
                                   size_t *span_len, uint8_t sig[64])
{
    size_t off = 0, n = 0, soff = 0, sn = 0;
    const uint8_t *sig_hex;
    struct mse_rd rd;
    MSE_ENSURE(len <= MSE_COLLATERAL_JSON_MAX, MSE_ERR_LIMIT);
    /*
     * The envelope is checked by a strict scanner (two keys, spelled plainly,
     * a hex signature); the signed object is exactly the span it found, and
     * that span alone is what is parsed (json_tree.c: jansson's verdicts)
     * and what the signature covers. So the fields used are, byte for
     * byte, the bytes signed.
     */
    MSE_TRY_AS(mse_json_signed_envelope(body, len, member, &off, &n, &soff, &sn), fmt);
    mse_rd_init(&rd, body, len);
    MSE_TRY_AS(mse_rd_skip(&rd, soff), fmt);
    MSE_TRY_AS(mse_rd_bytes(&rd, sn, &sig_hex), fmt);
    MSE_TRY_AS(mse_hex_decode((const char *)sig_hex, sn, sig, 64), fmt);
    mse_rd_init(&rd, body, len);
    MSE_TRY_AS(mse_rd_skip(&rd, off), fmt);
    MSE_TRY_AS(mse_rd_bytes(&rd, n, span), fmt);
    *span_len = n;
    MSE_TRY(mse_jdoc_parse(*span, n, signed_doc));
    if (signed_doc->v[0].type != MSE_JSON_OBJECT) {
        mse_jdoc_free(signed_doc);
        return fmt;
    }
    return MSE_OK;
}

mse_err mse_json_field_str(const struct mse_jval *o, const char *key, const char **out, mse_err fmt)
{
    const struct mse_jval *v = mse_jval_member(o, key);
    MSE_ENSURE(v != NULL && v->type == MSE_JSON_STRING, fmt);
    /* An embedded NUL would make C and JSON disagree about the value. */
    MSE_ENSURE(strlen(v->str) == v->len, fmt);
    *out = v->str;
    return MSE_OK;
}

mse_err mse_json_field_hex(const struct mse_jval *o, const char *key, uint8_t *out, size_t n,
                           mse_err fmt)
{
    const char *s = NULL;
    MSE_TRY(mse_json_field_str(o, key, &s, fmt));
    MSE_TRY_AS(mse_hex_decode(s, strlen(s), out, n), fmt);
    return MSE_OK;
}

mse_err mse_json_field_uint(const struct mse_jval *o, const char *key, uint32_t max, uint32_t *out,
                            mse_err fmt)
{
    const struct mse_jval *v = mse_jval_member(o, key);
    MSE_ENSURE(v != NULL && v->type == MSE_JSON_INTEGER, fmt);
    int64_t x = v->integer;
    MSE_ENSURE(x >= 0 && (uint64_t)x <= max, fmt);
    *out = (uint32_t)x;
    return MSE_OK;
}

mse_err mse_json_field_time(const struct mse_jval *o, const char *key, int64_t *out, mse_err fmt)
{
    const char *s = NULL;
    MSE_TRY(mse_json_field_str(o, key, &s, fmt));
    MSE_TRY_AS(mse_time_parse(s, strlen(s), out), fmt);
    return MSE_OK;
}

mse_err mse_tcb_level_parse(const struct mse_jval *level, uint32_t allowed,
                            struct mse_tcb_level_match *out, mse_err fmt)
{
    const char *status = NULL, *date = NULL;
    int64_t t;
    memset(out, 0, sizeof *out);
    MSE_ENSURE(level != NULL && level->type == MSE_JSON_OBJECT, fmt);
    MSE_TRY(mse_json_field_str(level, "tcbStatus", &status, fmt));
    MSE_TRY_AS(mse_tcb_status_parse(status, strlen(status), &out->status), fmt);
    MSE_ENSURE(allowed & MSE_TCB_MASK(out->status), fmt);
    MSE_TRY(mse_json_field_str(level, "tcbDate", &date, fmt));
    MSE_TRY(mse_json_field_time(level, "tcbDate", &t, fmt));
    MSE_ENSURE(strlen(date) < sizeof out->tcb_date, fmt);
    memcpy(out->tcb_date, date, strlen(date) + 1);
    const struct mse_jval *adv = mse_jval_member(level, "advisoryIDs");
    if (adv == NULL)
        return MSE_OK;
    MSE_ENSURE(adv->type == MSE_JSON_ARRAY, fmt);
    MSE_ENSURE(adv->count <= MSE_MAX_ADVISORIES, fmt);
    const struct mse_jval *a = adv + 1;
    for (size_t i = 0; i < adv->count; i++, a += a->size) {
        MSE_ENSURE(a->type == MSE_JSON_STRING, fmt);
        size_t n = a->len;
        MSE_ENSURE(n > 0 && n < sizeof out->advisories[0] && strlen(a->str) == n, fmt);
        memcpy(out->advisories[i], a->str, n + 1);
        out->advisory_count++;
    }
    return MSE_OK;
}

/*
 * TCB info for SGX, versions 2 and 3 (Intel PCS API v4, "TCB Info V2/V3"
 * models; Intel QVL TCBInfoVerifier.cpp and QuoteVerifier.cpp for the
 * evaluation).
 *
 *   {"tcbInfo":{"id":"SGX"(v3 only),"version":2|3,"issueDate","nextUpdate",
 *               "fmspc":"<12 hex>","pceId":"<4 hex>","tcbType":0,
 *               "tcbEvaluationDataNumber":n,
 *               "tcbLevels":[{"tcb":{...},"tcbDate","tcbStatus","advisoryIDs"?}]},
 *    "signature":"<128 hex: r||s>"}
 *   v2 level tcb: {"sgxtcbcomp01svn".."sgxtcbcomp16svn","pcesvn"}
 *   v3 level tcb: {"sgxtcbcomponents":[16 x {"svn",...}],"pcesvn"}
 *
 * Checks and the attacks they stop:
 *  - ECDSA-P256 signature by the TCB signing key over the raw "tcbInfo"
 *    text: forged or edited TCB info (a level relabelled UpToDate).
 *  - fmspc and pceId equal to the PCK's: TCB info of another, better
 *    patched platform family presented for this one.
 *  - level order: strictly decreasing by (16 component SVNs, then PCESVN)
 *    compared in that order, as QVL orders its level set; an unsorted list
 *    or a duplicate level is a format error (two verifiers must not pick
 *    different levels from the same signed data).
 *  - level selection: the first level (so the highest) whose 16 component
 *    SVNs and PCESVN are all <= the PCK's. A platform matching no level is
 *    refused (TCB not supported) rather than given a default status.
 * The issueDate/nextUpdate window is evaluated by the coordinator (freshness
 * is a check of its own).
 */
#include <string.h>

#include <mse/guard.h>

#include "dcap.h"

#define F MSE_ERR_TCB_INFO_FORMAT

/* All seven statuses are valid in TCB info. */
#define TCB_INFO_STATUSES                                                                          \
    (MSE_TCB_MASK(MSE_TCB_UP_TO_DATE) | MSE_TCB_MASK(MSE_TCB_SW_HARDENING_NEEDED) |                \
     MSE_TCB_MASK(MSE_TCB_CONFIGURATION_NEEDED) |                                                  \
     MSE_TCB_MASK(MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED) |                                 \
     MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE) | MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) |  \
     MSE_TCB_MASK(MSE_TCB_REVOKED))

/* The 16 component SVNs and PCESVN of one level. */
static mse_err level_tcb(const struct mse_jval *level, int version, uint8_t comp[16],
                         uint16_t *pcesvn)
{
    const struct mse_jval *tcb = mse_jval_member(level, "tcb");
    uint32_t v;
    MSE_ENSURE(tcb != NULL && tcb->type == MSE_JSON_OBJECT, F);
    if (version == 2) {
        for (int i = 0; i < 16; i++) {
            char key[20] = "sgxtcbcomp00svn";
            key[10] = (char)('0' + (i + 1) / 10);
            key[11] = (char)('0' + (i + 1) % 10);
            MSE_TRY(mse_json_field_uint(tcb, key, 255, &v, F));
            comp[i] = (uint8_t)v;
        }
    } else {
        const struct mse_jval *comps = mse_jval_member(tcb, "sgxtcbcomponents");
        MSE_ENSURE(comps != NULL && comps->type == MSE_JSON_ARRAY && comps->count == 16, F);
        const struct mse_jval *c = comps + 1;
        for (size_t i = 0; i < 16; i++, c += c->size) {
            MSE_ENSURE(c->type == MSE_JSON_OBJECT, F);
            MSE_TRY(mse_json_field_uint(c, "svn", 255, &v, F));
            comp[i] = (uint8_t)v;
        }
    }
    MSE_TRY(mse_json_field_uint(tcb, "pcesvn", 65535, &v, F));
    *pcesvn = (uint16_t)v;
    return MSE_OK;
}

void mse_tcb_info_free(struct mse_tcb_info *t)
{
    mse_jdoc_free(&t->doc);
}

mse_err mse_tcb_info_parse(const uint8_t *body, size_t len, struct mse_tcb_info *out)
{
    mse_err err = MSE_OK;
    uint32_t v;
    memset(out, 0, sizeof *out);
    MSE_CHECK_OUT(mse_collateral_signed_body(body, len, "tcbInfo", F, &out->doc, &out->signed_data,
                                             &out->signed_len, out->signature));
    const struct mse_jval *o = out->doc.v;
    MSE_CHECK_OUT(mse_json_field_uint(o, "version", 1000, &v, F));
    MSE_ENSURE_OUT(v == 2 || v == 3, MSE_ERR_TCB_INFO_VERSION);
    out->version = (int)v;
    if (v == 3) {
        /* v3 also describes TDX ("TDX"); only SGX TCB info applies to an SGX quote. */
        const char *id;
        MSE_CHECK_OUT(mse_json_field_str(o, "id", &id, F));
        MSE_ENSURE_OUT(strcmp(id, "SGX") == 0, MSE_ERR_TCB_INFO_VERSION);
    }
    MSE_CHECK_OUT(mse_json_field_time(o, "issueDate", &out->issue_date, F));
    MSE_CHECK_OUT(mse_json_field_time(o, "nextUpdate", &out->next_update, F));
    MSE_CHECK_OUT(mse_json_field_hex(o, "fmspc", out->fmspc, 6, F));
    MSE_CHECK_OUT(mse_json_field_hex(o, "pceId", out->pce_id, 2, F));
    MSE_CHECK_OUT(mse_json_field_uint(o, "tcbType", 0, &v, F));
    MSE_CHECK_OUT(mse_json_field_uint(o, "tcbEvaluationDataNumber", UINT32_MAX,
                                      &out->tcb_evaluation_data_number, F));
    const struct mse_jval *levels = mse_jval_member(o, "tcbLevels");
    MSE_ENSURE_OUT(levels != NULL && levels->type == MSE_JSON_ARRAY && levels->count > 0, F);
    /* Validate every level now, so a malformed level is a format error whatever the PCK. */
    uint8_t prev_comp[16];
    uint16_t prev_pcesvn = 0;
    const struct mse_jval *lvl = levels + 1;
    for (size_t i = 0; i < levels->count; i++, lvl += lvl->size) {
        uint8_t comp[16];
        uint16_t pcesvn;
        struct mse_tcb_level_match m;
        MSE_CHECK_OUT(level_tcb(lvl, out->version, comp, &pcesvn));
        MSE_CHECK_OUT(mse_tcb_level_parse(lvl, TCB_INFO_STATUSES, &m, F));
        /*
         * Strictly decreasing (QVL: a level set ordered by components, then
         * PCESVN, duplicates refused): "first match" then means "highest
         * match", and two levels cannot give one TCB two statuses.
         */
        int order = i == 0 ? -1 : memcmp(comp, prev_comp, sizeof comp);
        if (order == 0)
            order = pcesvn < prev_pcesvn ? -1 : pcesvn > prev_pcesvn;
        MSE_ENSURE_OUT(order < 0, F);
        memcpy(prev_comp, comp, sizeof comp);
        prev_pcesvn = pcesvn;
    }
out:
    if (err != MSE_OK)
        mse_tcb_info_free(out);
    return err;
}

mse_err mse_tcb_info_verify_signature(const struct mse_tcb_info *t, EVP_PKEY *key)
{
    bool valid = false;
    MSE_TRY(mse_ecdsa_p256_verify(key, t->signed_data, t->signed_len, t->signature, &valid));
    MSE_ENSURE(valid, MSE_ERR_TCB_INFO_SIGNATURE);
    return MSE_OK;
}

mse_err mse_tcb_info_match(const struct mse_tcb_info *t, const struct mse_pck_ext *pck,
                           struct mse_tcb_level_match *out)
{
    MSE_ENSURE(memcmp(t->fmspc, pck->fmspc, 6) == 0, MSE_ERR_TCB_INFO_FMSPC_MISMATCH);
    MSE_ENSURE(memcmp(t->pce_id, pck->pce_id, 2) == 0, MSE_ERR_TCB_INFO_PCEID_MISMATCH);
    const struct mse_jval *levels = mse_jval_member(t->doc.v, "tcbLevels");
    size_t count = levels != NULL && levels->type == MSE_JSON_ARRAY ? levels->count : 0;
    const struct mse_jval *lvl = levels != NULL ? levels + 1 : NULL;
    for (size_t i = 0; i < count; i++, lvl += lvl->size) {
        uint8_t comp[16];
        uint16_t pcesvn;
        MSE_TRY(level_tcb(lvl, t->version, comp, &pcesvn));
        bool ok = pck->pcesvn >= pcesvn;
        for (int c = 0; c < 16 && ok; c++)
            ok = pck->comp_svn[c] >= comp[c];
        if (ok)
            return mse_tcb_level_parse(lvl, TCB_INFO_STATUSES, out, F);
    }
    return MSE_ERR_TCB_NOT_SUPPORTED;
}

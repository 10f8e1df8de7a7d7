/*
 * QE identity, enclave identity model version 2 (Intel PCS API v4,
 * "Enclave Identity V2"; Intel QVL EnclaveIdentityV2.cpp and
 * EnclaveReportVerifier.cpp for the evaluation).
 *
 *   {"enclaveIdentity":{"id":"QE","version":2,"issueDate","nextUpdate",
 *     "tcbEvaluationDataNumber","miscselect":"<8 hex>","miscselectMask",
 *     "attributes":"<32 hex>","attributesMask","mrsigner":"<64 hex>",
 *     "isvprodid":n,"tcbLevels":[{"tcb":{"isvsvn":n},"tcbDate","tcbStatus",
 *     "advisoryIDs"?}]},
 *    "signature":"<128 hex>"}
 *
 * Checks and the attacks they stop:
 *  - signature by the TCB signing key over the raw "enclaveIdentity" text:
 *    a forged identity admitting a rogue quoting enclave;
 *  - the QE report's MRSIGNER (Intel's QE signing key), ISVPRODID,
 *    MISCSELECT and ATTRIBUTES (under the masks; e.g. DEBUG must be clear)
 *    against the identity: a quote produced by a non-Intel or debug
 *    "quoting enclave" that holds a PCK-certified report is refused;
 *  - the QE TCB level for its ISVSVN: a QE with known vulnerabilities is
 *    reported OutOfDate / Revoked; an ISVSVN below every level is refused.
 *
 * Encodings: miscselect is the hex of the 32-bit value (big-endian digits)
 * compared with the report's little-endian MISCSELECT as a number;
 * attributes is the hex of the 16 raw report bytes (FLAGS then XFRM, each
 * little-endian as in the report), compared byte by byte.
 */
#include <string.h>

#include <mse/guard.h>

#include "dcap.h"

#define F MSE_ERR_QE_IDENTITY_FORMAT

/* Enclave identity levels use UpToDate, OutOfDate and Revoked only. */
#define QE_STATUSES                                                                                \
    (MSE_TCB_MASK(MSE_TCB_UP_TO_DATE) | MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE) |                        \
     MSE_TCB_MASK(MSE_TCB_REVOKED))

void mse_qe_identity_free(struct mse_qe_identity *q)
{
    mse_jdoc_free(&q->doc);
}

static mse_err level_isvsvn(const struct mse_jval *lvl, uint16_t *out)
{
    uint32_t v;
    MSE_ENSURE(lvl->type == MSE_JSON_OBJECT, F);
    const struct mse_jval *tcb = mse_jval_member(lvl, "tcb");
    MSE_ENSURE(tcb != NULL && tcb->type == MSE_JSON_OBJECT, F);
    MSE_TRY(mse_json_field_uint(tcb, "isvsvn", 65535, &v, F));
    *out = (uint16_t)v;
    return MSE_OK;
}

mse_err mse_qe_identity_parse(const uint8_t *body, size_t len, struct mse_qe_identity *out)
{
    mse_err err = MSE_OK;
    uint32_t v;
    uint8_t b4[4];
    const char *id;
    memset(out, 0, sizeof *out);
    MSE_CHECK_OUT(mse_collateral_signed_body(body, len, "enclaveIdentity", F, &out->doc,
                                             &out->signed_data, &out->signed_len, out->signature));
    const struct mse_jval *o = out->doc.v;
    MSE_CHECK_OUT(mse_json_field_uint(o, "version", 1000, &v, F));
    MSE_ENSURE_OUT(v == 2, MSE_ERR_QE_IDENTITY_VERSION);
    /* The QvE and TD QE identities are signed the same way; only the QE's applies here. */
    MSE_CHECK_OUT(mse_json_field_str(o, "id", &id, F));
    MSE_ENSURE_OUT(strcmp(id, "QE") == 0, F);
    MSE_CHECK_OUT(mse_json_field_time(o, "issueDate", &out->issue_date, F));
    MSE_CHECK_OUT(mse_json_field_time(o, "nextUpdate", &out->next_update, F));
    MSE_CHECK_OUT(mse_json_field_uint(o, "tcbEvaluationDataNumber", UINT32_MAX,
                                      &out->tcb_evaluation_data_number, F));
    MSE_CHECK_OUT(mse_json_field_hex(o, "miscselect", b4, 4, F));
    out->miscselect = (uint32_t)b4[0] << 24 | (uint32_t)b4[1] << 16 | (uint32_t)b4[2] << 8 | b4[3];
    MSE_CHECK_OUT(mse_json_field_hex(o, "miscselectMask", b4, 4, F));
    out->miscselect_mask =
        (uint32_t)b4[0] << 24 | (uint32_t)b4[1] << 16 | (uint32_t)b4[2] << 8 | b4[3];
    MSE_CHECK_OUT(mse_json_field_hex(o, "attributes", out->attributes, 16, F));
    MSE_CHECK_OUT(mse_json_field_hex(o, "attributesMask", out->attributes_mask, 16, F));
    MSE_CHECK_OUT(mse_json_field_hex(o, "mrsigner", out->mrsigner, 32, F));
    MSE_CHECK_OUT(mse_json_field_uint(o, "isvprodid", 65535, &v, F));
    out->isvprodid = (uint16_t)v;
    const struct mse_jval *levels = mse_jval_member(o, "tcbLevels");
    MSE_ENSURE_OUT(levels != NULL && levels->type == MSE_JSON_ARRAY && levels->count > 0, F);
    const struct mse_jval *lvl = levels + 1;
    for (size_t i = 0; i < levels->count; i++, lvl += lvl->size) {
        uint16_t isvsvn;
        struct mse_tcb_level_match m;
        MSE_CHECK_OUT(level_isvsvn(lvl, &isvsvn));
        MSE_CHECK_OUT(mse_tcb_level_parse(lvl, QE_STATUSES, &m, F));
    }
out:
    if (err != MSE_OK)
        mse_qe_identity_free(out);
    return err;
}

mse_err mse_qe_identity_verify_signature(const struct mse_qe_identity *q, EVP_PKEY *key)
{
    bool valid = false;
    MSE_TRY(mse_ecdsa_p256_verify(key, q->signed_data, q->signed_len, q->signature, &valid));
    MSE_ENSURE(valid, MSE_ERR_QE_IDENTITY_SIGNATURE);
    return MSE_OK;
}

mse_err mse_qe_identity_match(const struct mse_qe_identity *q,
                              const struct mse_report_body *qe,
                              struct mse_tcb_level_match *out)
{
    uint8_t attrs[16];
    for (int i = 0; i < 8; i++) {
        attrs[i] = (uint8_t)(qe->attributes_flags >> (8 * i));
        attrs[8 + i] = (uint8_t)(qe->attributes_xfrm >> (8 * i));
    }
    MSE_ENSURE(memcmp(qe->mr_signer, q->mrsigner, 32) == 0, MSE_ERR_QE_IDENTITY_MRSIGNER);
    MSE_ENSURE(qe->isv_prod_id == q->isvprodid, MSE_ERR_QE_IDENTITY_ISVPRODID);
    MSE_ENSURE((qe->misc_select & q->miscselect_mask) == (q->miscselect & q->miscselect_mask),
               MSE_ERR_QE_IDENTITY_MISCSELECT);
    for (int i = 0; i < 16; i++)
        MSE_ENSURE((attrs[i] & q->attributes_mask[i]) == (q->attributes[i] & q->attributes_mask[i]),
                   MSE_ERR_QE_IDENTITY_ATTRIBUTES);
    const struct mse_jval *levels = mse_jval_member(q->doc.v, "tcbLevels");
    size_t count = levels != NULL && levels->type == MSE_JSON_ARRAY ? levels->count : 0;
    const struct mse_jval *lvl = levels != NULL ? levels + 1 : NULL;
    for (size_t i = 0; i < count; i++, lvl += lvl->size) {
        uint16_t isvsvn;
        MSE_TRY(level_isvsvn(lvl, &isvsvn));
        if (qe->isv_svn >= isvsvn)
            return mse_tcb_level_parse(lvl, QE_STATUSES, out, F);
    }
    return MSE_ERR_QE_TCB_NOT_SUPPORTED;
}

/*
 * Quote reader for display (mse inspect): SGX quote v3, and the v4/v5
 * layouts of Intel's TDX DCAP Quote Generation Library ("Quote Format",
 * appendix of the TDX DCAP Quoting Library API; v5 adds a typed body
 * descriptor). Layouts in <mse/quote.h>.
 *
 * This is not the verifier's parser: mse_quote_parse (quote.c) accepts only
 * what mse_verify can check and names a TDX quote MSE_ERR_QUOTE_TDX. Here
 * every layout is read so a person can see what a quote claims, and every
 * failure names the offset and the field where it happened, because a user
 * holding a broken quote needs to know which part is broken.
 *
 * Same length rule as quote.c: running past the buffer in the header, the
 * body or the outer sig_data_len is MSE_ERR_QUOTE_TRUNCATED; a nested
 * length running past its enclosing frame is MSE_ERR_QUOTE_LENGTH; bytes
 * after the quote are MSE_ERR_QUOTE_TRAILING. Only mse_rd_* touches input.
 */
#include <string.h>

#include <mse/guard.h>
#include <mse/quote.h>
#include <mse/rd.h>

/* v5 body descriptor types. */
#define BODY_SGX 1
#define BODY_TD10 2
#define BODY_TD15 3

/* A reader that knows where its view starts in the whole quote. */
struct qrd {
    struct mse_rd rd;
    size_t origin;      /* offset of rd.base in the input */
    mse_err short_code; /* what running out of bytes means in this frame */
    struct mse_parse_where *where;
};

/* Record that `field`, starting at offset `at` of this frame, is where parsing stopped. */
static mse_err fail_at(const struct qrd *r, size_t at, const char *field, mse_err code)
{
    r->where->offset = r->origin + at;
    r->where->field = field;
    return code;
}

static mse_err fail(const struct qrd *r, const char *field, mse_err code)
{
    return fail_at(r, r->rd.off, field, code);
}

/* Each read names its field; a short read is the frame's error at that field. */
#define Q_READ(r, field, call)                                                                     \
    do {                                                                                           \
        if ((call) != MSE_OK)                                                                      \
            return fail((r), (field), (r)->short_code);                                            \
    } while (0)

static mse_err sub(struct qrd *r, const char *field, size_t n, mse_err short_code, struct qrd *out)
{
    size_t at = r->rd.off;
    Q_READ(r, field, mse_rd_sub(&r->rd, n, &out->rd));
    out->origin = r->origin + at;
    out->short_code = short_code;
    out->where = r->where;
    return MSE_OK;
}

static mse_err read_sgx_body(struct qrd *r, const char *name, struct mse_report_body *o)
{
    /* Field names are the SDM's; the prefix says which report. */
    struct mse_rd *rd = &r->rd;
    o->raw = mse_rd_pos(rd);
    Q_READ(r, name, mse_rd_copy(rd, o->cpu_svn, sizeof o->cpu_svn));
    Q_READ(r, name, mse_rd_u32le(rd, &o->misc_select));
    Q_READ(r, name, mse_rd_skip(rd, 12));
    Q_READ(r, name, mse_rd_copy(rd, o->isv_ext_prod_id, sizeof o->isv_ext_prod_id));
    Q_READ(r, name, mse_rd_u64le(rd, &o->attributes_flags));
    Q_READ(r, name, mse_rd_u64le(rd, &o->attributes_xfrm));
    Q_READ(r, name, mse_rd_copy(rd, o->mr_enclave, sizeof o->mr_enclave));
    Q_READ(r, name, mse_rd_skip(rd, 32));
    Q_READ(r, name, mse_rd_copy(rd, o->mr_signer, sizeof o->mr_signer));
    Q_READ(r, name, mse_rd_skip(rd, 32));
    Q_READ(r, name, mse_rd_copy(rd, o->config_id, sizeof o->config_id));
    Q_READ(r, name, mse_rd_u16le(rd, &o->isv_prod_id));
    Q_READ(r, name, mse_rd_u16le(rd, &o->isv_svn));
    Q_READ(r, name, mse_rd_u16le(rd, &o->config_svn));
    Q_READ(r, name, mse_rd_skip(rd, 42));
    Q_READ(r, name, mse_rd_copy(rd, o->isv_family_id, sizeof o->isv_family_id));
    Q_READ(r, name, mse_rd_copy(rd, o->report_data, sizeof o->report_data));
    return MSE_OK;
}

static mse_err read_td_body(struct qrd *r, bool td15, struct mse_td_report *o)
{
    struct mse_rd *rd = &r->rd;
    Q_READ(r, "td_report.tee_tcb_svn", mse_rd_copy(rd, o->tee_tcb_svn, 16));
    Q_READ(r, "td_report.mr_seam", mse_rd_copy(rd, o->mr_seam, 48));
    Q_READ(r, "td_report.mr_signer_seam", mse_rd_copy(rd, o->mr_signer_seam, 48));
    Q_READ(r, "td_report.seam_attributes", mse_rd_u64le(rd, &o->seam_attributes));
    Q_READ(r, "td_report.td_attributes", mse_rd_u64le(rd, &o->td_attributes));
    Q_READ(r, "td_report.xfam", mse_rd_u64le(rd, &o->xfam));
    Q_READ(r, "td_report.mr_td", mse_rd_copy(rd, o->mr_td, 48));
    Q_READ(r, "td_report.mr_config_id", mse_rd_copy(rd, o->mr_config_id, 48));
    Q_READ(r, "td_report.mr_owner", mse_rd_copy(rd, o->mr_owner, 48));
    Q_READ(r, "td_report.mr_owner_config", mse_rd_copy(rd, o->mr_owner_config, 48));
    for (int i = 0; i < 4; i++)
        Q_READ(r, "td_report.rtmr", mse_rd_copy(rd, o->rtmr[i], 48));
    Q_READ(r, "td_report.report_data", mse_rd_copy(rd, o->report_data, 64));
    if (td15) {
        o->is_td15 = true;
        Q_READ(r, "td_report.tee_tcb_svn2", mse_rd_copy(rd, o->tee_tcb_svn2, 16));
        Q_READ(r, "td_report.mr_service_td", mse_rd_copy(rd, o->mr_service_td, 48));
    }
    return MSE_OK;
}

static mse_err read_header(struct qrd *r, struct mse_quote_any *q)
{
    struct mse_rd *rd = &r->rd;
    Q_READ(r, "header.version", mse_rd_u16le(rd, &q->version));
    if (q->version != MSE_QUOTE_VERSION_3 && q->version != MSE_QUOTE_VERSION_4 &&
        q->version != MSE_QUOTE_VERSION_5)
        return fail_at(r, 0, "header.version", MSE_ERR_QUOTE_VERSION);
    Q_READ(r, "header.att_key_type", mse_rd_u16le(rd, &q->att_key_type));
    if (q->att_key_type != MSE_QUOTE_ATT_KEY_ECDSA_P256)
        return fail_at(r, 2, "header.att_key_type", MSE_ERR_QUOTE_KEY_TYPE);
    Q_READ(r, "header.tee_type", mse_rd_u32le(rd, &q->tee_type));
    bool tee_ok = q->tee_type == MSE_QUOTE_TEE_SGX ||
                  (q->tee_type == MSE_QUOTE_TEE_TDX && q->version != MSE_QUOTE_VERSION_3);
    if (!tee_ok)
        return fail_at(r, 4, "header.tee_type", MSE_ERR_QUOTE_TEE_TYPE);
    Q_READ(r, "header.qe_svn", mse_rd_u16le(rd, &q->qe_svn));
    Q_READ(r, "header.pce_svn", mse_rd_u16le(rd, &q->pce_svn));
    Q_READ(r, "header.qe_vendor_id", mse_rd_copy(rd, q->qe_vendor_id, 16));
    Q_READ(r, "header.user_data", mse_rd_copy(rd, q->user_data, 20));
    return MSE_OK;
}

static mse_err read_body(struct qrd *r, struct mse_quote_any *q)
{
    if (q->version == MSE_QUOTE_VERSION_5) {
        uint32_t size = 0;
        struct qrd b;
        size_t at = r->rd.off;
        Q_READ(r, "body_descriptor.type", mse_rd_u16le(&r->rd, &q->body_type));
        Q_READ(r, "body_descriptor.size", mse_rd_u32le(&r->rd, &size));
        /* The descriptor's type must agree with the header's TEE and its size with the type. */
        size_t want = q->body_type == BODY_SGX    ? MSE_REPORT_BODY_SIZE
                      : q->body_type == BODY_TD10 ? MSE_TD_REPORT10_SIZE
                      : q->body_type == BODY_TD15 ? MSE_TD_REPORT15_SIZE
                                                  : 0;
        bool tee_match = (q->body_type == BODY_SGX) == (q->tee_type == MSE_QUOTE_TEE_SGX);
        if (want == 0 || !tee_match)
            return fail_at(r, at, "body_descriptor.type", MSE_ERR_QUOTE_TEE_TYPE);
        if (size != want)
            return fail_at(r, at + 2, "body_descriptor.size", MSE_ERR_QUOTE_LENGTH);
        MSE_TRY(sub(r, "body", size, MSE_ERR_QUOTE_TRUNCATED, &b));
        q->is_td = q->body_type != BODY_SGX;
        return q->is_td ? read_td_body(&b, q->body_type == BODY_TD15, &q->td)
                        : read_sgx_body(&b, "report_body", &q->sgx);
    }
    q->is_td = q->tee_type == MSE_QUOTE_TEE_TDX;
    q->body_type = q->is_td ? BODY_TD10 : BODY_SGX;
    return q->is_td ? read_td_body(r, false, &q->td) : read_sgx_body(r, "report_body", &q->sgx);
}

/* QE report, its signature, QE auth data and the PCK chain: common to all versions. */
static mse_err read_qe_part(struct qrd *r, struct mse_quote_any *q)
{
    struct mse_rd *rd = &r->rd;
    uint16_t auth_len = 0;
    uint32_t cert_len = 0;
    MSE_TRY(read_sgx_body(r, "qe_report", &q->qe_report));
    Q_READ(r, "qe_report_signature", mse_rd_copy(rd, q->qe_report_signature, 64));
    Q_READ(r, "qe_auth_data.size", mse_rd_u16le(rd, &auth_len));
    Q_READ(r, "qe_auth_data", mse_rd_bytes(rd, auth_len, &q->qe_auth_data));
    q->qe_auth_len = auth_len;
    size_t at = r->rd.off;
    Q_READ(r, "certification_data.type", mse_rd_u16le(rd, &q->cert_data_type));
    if (q->cert_data_type != MSE_QUOTE_CERT_DATA_PCK_CHAIN)
        return fail_at(r, at, "certification_data.type", MSE_ERR_QUOTE_CERT_DATA_TYPE);
    Q_READ(r, "certification_data.size", mse_rd_u32le(rd, &cert_len));
    Q_READ(r, "certification_data", mse_rd_bytes(rd, cert_len, &q->cert_data));
    q->cert_data_len = cert_len;
    return MSE_OK;
}

static mse_err read_sig_data(struct qrd *sd, struct mse_quote_any *q)
{
    struct mse_rd *rd = &sd->rd;
    Q_READ(sd, "quote_signature", mse_rd_copy(rd, q->quote_signature, 64));
    Q_READ(sd, "attestation_key", mse_rd_copy(rd, q->att_public_key, 64));
    if (q->version == MSE_QUOTE_VERSION_3)
        return read_qe_part(sd, q);
    /* v4/v5: the QE part is itself typed certification data (type 6). */
    uint16_t type = 0;
    uint32_t size = 0;
    struct qrd inner;
    size_t at = sd->rd.off;
    Q_READ(sd, "qe_certification_data.type", mse_rd_u16le(rd, &type));
    if (type != MSE_QUOTE_CERT_DATA_QE_REPORT)
        return fail_at(sd, at, "qe_certification_data.type", MSE_ERR_QUOTE_CERT_DATA_TYPE);
    Q_READ(sd, "qe_certification_data.size", mse_rd_u32le(rd, &size));
    MSE_TRY(sub(sd, "qe_certification_data", size, MSE_ERR_QUOTE_LENGTH, &inner));
    MSE_TRY(read_qe_part(&inner, q));
    if (mse_rd_end(&inner.rd) != MSE_OK)
        return fail(&inner, "qe_certification_data (bytes after the PCK chain)",
                    MSE_ERR_QUOTE_LENGTH);
    return MSE_OK;
}

mse_err mse_quote_any_parse(const uint8_t *buf, size_t len, struct mse_quote_any *q,
                            struct mse_parse_where *where)
{
    mse_err err = MSE_OK;
    struct mse_parse_where ignored;
    struct qrd r = {.origin = 0, .short_code = MSE_ERR_QUOTE_TRUNCATED};
    struct qrd sd;
    uint32_t sig_len = 0;

    memset(q, 0, sizeof *q);
    r.where = where != NULL ? where : &ignored;
    r.where->offset = 0;
    r.where->field = NULL;
    mse_rd_init(&r.rd, buf, len);
    if (len > MSE_QUOTE_MAX_SIZE)
        return fail_at(&r, 0, "quote (larger than 64 KiB)", MSE_ERR_LIMIT);
    MSE_CHECK_OUT(read_header(&r, q));
    MSE_CHECK_OUT(read_body(&r, q));
    if (mse_rd_u32le(&r.rd, &sig_len) != MSE_OK)
        MSE_GOTO_OUT(fail(&r, "signature_data.size", MSE_ERR_QUOTE_TRUNCATED));
    MSE_CHECK_OUT(sub(&r, "signature_data", sig_len, MSE_ERR_QUOTE_LENGTH, &sd));
    MSE_CHECK_OUT(read_sig_data(&sd, q));
    if (mse_rd_end(&sd.rd) != MSE_OK)
        MSE_GOTO_OUT(fail(&sd, "signature_data (bytes after the PCK chain)", MSE_ERR_QUOTE_LENGTH));
    if (mse_rd_end(&r.rd) != MSE_OK)
        MSE_GOTO_OUT(fail(&r, "after the quote", MSE_ERR_QUOTE_TRAILING));
    q->total_len = len;
    return MSE_OK;
out:
    memset(q, 0, sizeof *q);
    return err;
}

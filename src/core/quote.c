/*
 * SGX ECDSA quote v3 parser (Intel SGX ECDSA Quote Library API, appendix A.4
 * "Quote Format"; the report body is sgx_report_body_t, Intel SDM vol. 3D
 * 34.18.1). Layout in <mse/quote.h>.
 *
 * Parsing only: nothing here is trusted until src/core/verify.c has checked
 * the signatures, and the QE vendor ID is the verifier's to judge.
 *
 * Length rule. sig_data_len frames the signature data; the buffer frames the
 * quote. Each error names which frame was broken, whatever follows:
 *   - MSE_ERR_QUOTE_TRUNCATED: the buffer ends before the end the quote
 *     declares: the header, body or sig_data_len runs past the buffer, or
 *     sig_data_len is larger than the bytes left. So every proper prefix of a
 *     well-formed quote is TRUNCATED (a quote cut in transit), and a
 *     sig_data_len of 0xffffffff is too.
 *   - MSE_ERR_QUOTE_LENGTH: inside the signature data, a fixed field,
 *     qe_auth_len or cert_data_len runs past sig_data_len, or the content
 *     ends before sig_data_len: the nested lengths contradict the outer one
 *     (a forged or corrupted length, never a cut), even when the buffer
 *     happens to hold the bytes the inner length asks for.
 *   - MSE_ERR_QUOTE_TRAILING: a well-formed quote followed by more bytes.
 * The type fields (version, key type, TEE type, cert data type) are judged as
 * soon as they are read, so a quote of another kind gets its specific error
 * even when it is also short.
 */
#include <string.h>

#include <mse/guard.h>
#include <mse/quote.h>
#include <mse/rd.h>

const uint8_t MSE_INTEL_QE_VENDOR_ID[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

static mse_err read_report_body(struct mse_rd *rd, struct mse_report_body *o)
{
    const uint8_t *raw = mse_rd_pos(rd);
    MSE_TRY(mse_rd_copy(rd, o->cpu_svn, sizeof o->cpu_svn));
    MSE_TRY(mse_rd_u32le(rd, &o->misc_select));
    MSE_TRY(mse_rd_skip(rd, 12)); /* reserved1 */
    MSE_TRY(mse_rd_copy(rd, o->isv_ext_prod_id, sizeof o->isv_ext_prod_id));
    MSE_TRY(mse_rd_u64le(rd, &o->attributes_flags));
    MSE_TRY(mse_rd_u64le(rd, &o->attributes_xfrm));
    MSE_TRY(mse_rd_copy(rd, o->mr_enclave, sizeof o->mr_enclave));
    MSE_TRY(mse_rd_skip(rd, 32)); /* reserved2 */
    MSE_TRY(mse_rd_copy(rd, o->mr_signer, sizeof o->mr_signer));
    MSE_TRY(mse_rd_skip(rd, 32)); /* reserved3 */
    MSE_TRY(mse_rd_copy(rd, o->config_id, sizeof o->config_id));
    MSE_TRY(mse_rd_u16le(rd, &o->isv_prod_id));
    MSE_TRY(mse_rd_u16le(rd, &o->isv_svn));
    MSE_TRY(mse_rd_u16le(rd, &o->config_svn));
    MSE_TRY(mse_rd_skip(rd, 42)); /* reserved4 */
    MSE_TRY(mse_rd_copy(rd, o->isv_family_id, sizeof o->isv_family_id));
    MSE_TRY(mse_rd_copy(rd, o->report_data, sizeof o->report_data));
    o->raw = raw;
    return MSE_OK;
}

mse_err mse_report_body_parse(const uint8_t *buf, size_t len, struct mse_report_body *out)
{
    struct mse_rd rd;
    memset(out, 0, sizeof *out);
    mse_rd_init(&rd, buf, len);
    MSE_TRY(read_report_body(&rd, out));
    return mse_rd_end(&rd);
}

static mse_err parse_header(struct mse_rd *rd, struct mse_quote *q)
{
    MSE_TRY(mse_rd_u16le(rd, &q->version));
    if (q->version == MSE_QUOTE_VERSION_4 || q->version == MSE_QUOTE_VERSION_5) {
        /* Name a TDX quote as such: it is not a malformed SGX one (mse inspect shows it). */
        uint16_t key_type = 0;
        uint32_t tee = 0;
        bool tdx = mse_rd_u16le(rd, &key_type) == MSE_OK && mse_rd_u32le(rd, &tee) == MSE_OK &&
                   tee == MSE_QUOTE_TEE_TDX;
        return tdx ? MSE_ERR_QUOTE_TDX : MSE_ERR_QUOTE_VERSION;
    }
    MSE_ENSURE(q->version == MSE_QUOTE_VERSION_3, MSE_ERR_QUOTE_VERSION);
    MSE_TRY(mse_rd_u16le(rd, &q->att_key_type));
    MSE_ENSURE(q->att_key_type == MSE_QUOTE_ATT_KEY_ECDSA_P256, MSE_ERR_QUOTE_KEY_TYPE);
    MSE_TRY(mse_rd_u32le(rd, &q->tee_type));
    MSE_ENSURE(q->tee_type == MSE_QUOTE_TEE_SGX, MSE_ERR_QUOTE_TEE_TYPE);
    MSE_TRY(mse_rd_u16le(rd, &q->qe_svn));
    MSE_TRY(mse_rd_u16le(rd, &q->pce_svn));
    MSE_TRY(mse_rd_copy(rd, q->qe_vendor_id, sizeof q->qe_vendor_id));
    MSE_TRY(mse_rd_copy(rd, q->user_data, sizeof q->user_data));
    return MSE_OK;
}

/* The signature data, read from a sub-reader bounded by sig_data_len. */
static mse_err parse_sig_data(struct mse_rd *sd, struct mse_quote *q)
{
    uint16_t auth_len;
    uint32_t cert_len;
    MSE_TRY(mse_rd_copy(sd, q->quote_signature, sizeof q->quote_signature));
    MSE_TRY(mse_rd_copy(sd, q->att_public_key, sizeof q->att_public_key));
    MSE_TRY(read_report_body(sd, &q->qe_report));
    MSE_TRY(mse_rd_copy(sd, q->qe_report_signature, sizeof q->qe_report_signature));
    MSE_TRY(mse_rd_u16le(sd, &auth_len));
    MSE_TRY(mse_rd_bytes(sd, auth_len, &q->qe_auth_data));
    q->qe_auth_len = auth_len;
    MSE_TRY(mse_rd_u16le(sd, &q->cert_data_type));
    MSE_ENSURE(q->cert_data_type == MSE_QUOTE_CERT_DATA_PCK_CHAIN, MSE_ERR_QUOTE_CERT_DATA_TYPE);
    MSE_TRY(mse_rd_u32le(sd, &cert_len));
    MSE_TRY(mse_rd_bytes(sd, cert_len, &q->cert_data));
    q->cert_data_len = cert_len;
    return MSE_OK;
}

mse_err mse_quote_parse(const uint8_t *buf, size_t len, struct mse_quote *q)
{
    mse_err err = MSE_OK;
    struct mse_rd rd, sd;
    uint32_t sig_len;

    memset(q, 0, sizeof *q);
    MSE_ENSURE(len <= MSE_QUOTE_MAX_SIZE, MSE_ERR_LIMIT);
    mse_rd_init(&rd, buf, len);

    err = parse_header(&rd, q);
    MSE_ENSURE_OUT(err != MSE_ERR_TRUNCATED, MSE_ERR_QUOTE_TRUNCATED);
    MSE_CHECK_OUT(err);
    MSE_ENSURE_OUT(read_report_body(&rd, &q->body) == MSE_OK, MSE_ERR_QUOTE_TRUNCATED);
    q->signed_data = buf;
    q->signed_len = MSE_QUOTE_HEADER_SIZE + MSE_REPORT_BODY_SIZE;

    /* The outer frame against the buffer. */
    MSE_ENSURE_OUT(mse_rd_u32le(&rd, &sig_len) == MSE_OK, MSE_ERR_QUOTE_TRUNCATED);
    MSE_ENSURE_OUT(mse_rd_sub(&rd, sig_len, &sd) == MSE_OK, MSE_ERR_QUOTE_TRUNCATED);

    /* The nested fields against the outer frame. */
    err = parse_sig_data(&sd, q);
    MSE_ENSURE_OUT(err != MSE_ERR_TRUNCATED, MSE_ERR_QUOTE_LENGTH);
    MSE_CHECK_OUT(err);
    MSE_ENSURE_OUT(mse_rd_end(&sd) == MSE_OK, MSE_ERR_QUOTE_LENGTH);
    MSE_ENSURE_OUT(mse_rd_end(&rd) == MSE_OK, MSE_ERR_QUOTE_TRAILING);
    q->total_len = len;
    return MSE_OK;
out:
    memset(q, 0, sizeof *q);
    return err;
}

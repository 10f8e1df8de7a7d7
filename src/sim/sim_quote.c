/*
 * Simulated quoting: an SGX ECDSA quote v3 exactly as Intel's Quoting
 * Enclave lays it out (see <mse/quote.h>), signed with the test PKI's keys.
 * The writer below is bounded; every field goes through put_*.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <mse/guard.h>
#include <mse/quote.h>

#include "sim.h"
#include "sim_tamper.h"

struct wr {
    uint8_t *b;
    size_t cap, n;
    bool overflow;
};

static void put(struct wr *w, const void *p, size_t n)
{
    if (n > w->cap - w->n) {
        w->overflow = true;
        return;
    }
    if (p)
        memcpy(w->b + w->n, p, n);
    else
        memset(w->b + w->n, 0, n);
    w->n += n;
}

static void put_le(struct wr *w, uint64_t v, size_t bytes)
{
    uint8_t b[8];
    for (size_t i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, bytes);
}

/* sgx_report_body_t, 384 bytes. */
static void put_report_body(struct wr *w, const uint8_t cpusvn[16], uint32_t miscselect,
                            uint64_t flags, uint64_t xfrm, const uint8_t mrenclave[32],
                            const uint8_t mrsigner[32], uint16_t prod_id, uint16_t svn,
                            const uint8_t report_data[64])
{
    put(w, cpusvn, 16);
    put_le(w, miscselect, 4);
    put(w, NULL, 12); /* reserved1 */
    put(w, NULL, 16); /* isv_ext_prod_id */
    put_le(w, flags, 8);
    put_le(w, xfrm, 8);
    put(w, mrenclave, 32);
    put(w, NULL, 32); /* reserved2 */
    put(w, mrsigner, 32);
    put(w, NULL, 32); /* reserved3 */
    put(w, NULL, 64); /* config_id */
    put_le(w, prod_id, 2);
    put_le(w, svn, 2);
    put_le(w, 0, 2);  /* config_svn */
    put(w, NULL, 42); /* reserved4 */
    put(w, NULL, 16); /* isv_family_id */
    put(w, report_data, 64);
}

static mse_err public_xy(EVP_PKEY *key, uint8_t xy[64])
{
    uint8_t point[65];
    size_t n = 0;
    MSE_ENSURE(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                               sizeof point, &n) == 1 &&
                   n == 65 && point[0] == 4,
               MSE_ERR_CRYPTO);
    memcpy(xy, point + 1, 64);
    return MSE_OK;
}

/* The QE's fixed auth data. */
static void qe_auth_data(uint8_t out[32])
{
    for (size_t i = 0; i < 32; i++)
        out[i] = (uint8_t)i;
}

/* The QE report: REPORTDATA = SHA-256(attestation key || QE auth data) || zeros. */
static mse_err qe_report_build(const struct mse_sim_pki *p, uint8_t out[MSE_REPORT_BODY_SIZE])
{
    uint8_t att_xy[64], qe_rd[64] = {0}, qe_auth[32], qe_mrenclave[32];
    struct wr w = {.b = out, .cap = MSE_REPORT_BODY_SIZE};
    qe_auth_data(qe_auth);
    MSE_TRY(public_xy(p->att_key, att_xy));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int dl = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(md, att_xy, 64) == 1 &&
             EVP_DigestUpdate(md, qe_auth, sizeof qe_auth) == 1 &&
             EVP_DigestFinal_ex(md, qe_rd, &dl) == 1;
    EVP_MD_CTX_free(md);
    MSE_ENSURE(ok, MSE_ERR_CRYPTO);
    memset(qe_mrenclave, 0x9e, sizeof qe_mrenclave);
    put_report_body(&w, p->cpusvn, 0, MSE_SGX_FLAGS_INIT | MSE_SGX_FLAGS_MODE64BIT |
                                          MSE_SGX_FLAGS_PROVISION_KEY,
                    0xe7, qe_mrenclave, MSE_SIM_QE_MRSIGNER, MSE_SIM_QE_ISVPRODID, p->qe_isvsvn,
                    qe_rd);
    MSE_ENSURE(!w.overflow && w.n == MSE_REPORT_BODY_SIZE, MSE_ERR_INTERNAL);
    return MSE_OK;
}

mse_err mse_sim_qe_report_sign(struct mse_sim_pki *p)
{
    MSE_TRY(qe_report_build(p, p->qe_report));
    MSE_TRY(mse_sim_sign_raw(p->pck_key, p->qe_report, MSE_REPORT_BODY_SIZE, p->qe_report_sig));
    p->have_qe_report = true;
    return MSE_OK;
}

mse_err mse_sim_quote(const struct mse_sim_pki *p, const struct mse_sim_enclave *e,
                      const uint8_t report_data[64], uint8_t **quote, size_t *len)
{
    mse_err err = MSE_OK;
    uint8_t att_xy[64], sig[64], qe_auth[32], qe_report[MSE_REPORT_BODY_SIZE];
    size_t chain_len = strlen(p->pck_pem) + strlen(p->ca_pem) + strlen(p->root_pem);
    struct wr w = {.cap = 48 + 384 + 4 + 64 + 64 + 384 + 64 + 2 + 32 + 2 + 4 + chain_len + 1};
    w.b = calloc(1, w.cap);
    MSE_ENSURE(w.b != NULL, MSE_ERR_NOMEM);

    qe_auth_data(qe_auth);
    MSE_CHECK_OUT(public_xy(p->att_key, att_xy));

    /* Header. */
    put_le(&w, MSE_QUOTE_VERSION_3, 2);
    put_le(&w, MSE_QUOTE_ATT_KEY_ECDSA_P256, 2);
    put_le(&w, MSE_QUOTE_TEE_SGX, 4);
    put_le(&w, p->qe_isvsvn, 2);
    put_le(&w, p->pcesvn, 2);
    put(&w, MSE_INTEL_QE_VENDOR_ID, 16);
    put(&w, NULL, 20); /* user_data */
    /* ISV enclave report body. */
    uint64_t flags = MSE_SGX_FLAGS_INIT | MSE_SGX_FLAGS_MODE64BIT |
                     (e->debug ? MSE_SGX_FLAGS_DEBUG : 0);
    put_report_body(&w, p->cpusvn, 0, flags, 0x3 /* x87 | SSE */, e->mrenclave,
                    e->have_mrsigner ? e->mrsigner : p->signer_mrsigner, e->isv_prod_id,
                    e->isv_svn, report_data);
    MSE_ENSURE_OUT(!w.overflow, MSE_ERR_INTERNAL);
    /* The attestation key signs header || body. */
    MSE_CHECK_OUT(mse_sim_sign_raw(p->att_key, w.b, 48 + 384, sig));

    size_t sig_len = 64 + 64 + 384 + 64 + 2 + sizeof qe_auth + 2 + 4 + chain_len;
    put_le(&w, sig_len, 4);
    put(&w, sig, 64);
    put(&w, att_xy, 64);
    MSE_CHECK_OUT(qe_report_build(p, qe_report));
    put(&w, qe_report, sizeof qe_report);
    /* Signed once per platform, like Intel's QE; fresh only if the platform was edited since. */
    if (p->have_qe_report && memcmp(qe_report, p->qe_report, sizeof qe_report) == 0)
        memcpy(sig, p->qe_report_sig, sizeof sig);
    else
        MSE_CHECK_OUT(mse_sim_sign_raw(p->pck_key, qe_report, sizeof qe_report, sig));
    put(&w, sig, 64);
    put_le(&w, sizeof qe_auth, 2);
    put(&w, qe_auth, sizeof qe_auth);
    put_le(&w, MSE_QUOTE_CERT_DATA_PCK_CHAIN, 2);
    put_le(&w, chain_len, 4);
    put(&w, p->pck_pem, strlen(p->pck_pem));
    put(&w, p->ca_pem, strlen(p->ca_pem));
    put(&w, p->root_pem, strlen(p->root_pem));
    MSE_ENSURE_OUT(!w.overflow, MSE_ERR_INTERNAL);
    *quote = w.b;
    *len = w.n;
    return MSE_OK;
out:
    free(w.b);
    return err;
}

mse_err mse_sim_quote_set_chain(uint8_t **q, size_t *len, const char *const *parts, size_t n)
{
    size_t chain_len = 0;
    for (size_t i = 0; i < n; i++)
        chain_len += strlen(parts[i]);
    MSE_ENSURE(*len >= Q_CERT_DATA, MSE_ERR_INTERNAL);
    struct wr w = {.cap = Q_CERT_DATA + chain_len};
    w.b = malloc(w.cap);
    MSE_ENSURE(w.b != NULL, MSE_ERR_NOMEM);
    put(&w, *q, Q_SIG_LEN);
    put_le(&w, Q_CERT_DATA + chain_len - Q_SIG, 4);
    put(&w, *q + Q_SIG, Q_CERT_LEN - Q_SIG);
    put_le(&w, chain_len, 4);
    for (size_t i = 0; i < n; i++)
        put(&w, parts[i], strlen(parts[i]));
    if (w.overflow) {
        free(w.b);
        return MSE_ERR_INTERNAL;
    }
    free(*q);
    *q = w.b;
    *len = w.n;
    return MSE_OK;
}

/* ---- TDX ------------------------------------------------------------------------ */

static void put_run(struct wr *w, uint8_t v, size_t n)
{
    uint8_t b[64];
    memset(b, v, sizeof b);
    for (size_t done = 0; done < n; done += sizeof b)
        put(w, b, n - done < sizeof b ? n - done : sizeof b);
}

/* The TD report body: 1.0, or 1.5 (version 5) with tee_tcb_svn2 and mr_servicetd. */
static void put_td_report(struct wr *w, int version)
{
    put_run(w, 0x01, 16); /* tee_tcb_svn */
    put_run(w, 0x02, 48); /* mr_seam */
    put(w, NULL, 48);     /* mr_signer_seam */
    put_le(w, 0, 8);      /* seam_attributes */
    put_le(w, MSE_TD_ATTRIBUTES_DEBUG, 8);
    put_le(w, 0xe7, 8);   /* xfam */
    put_run(w, MSE_SIM_TDX_MRTD_BYTE, 48);
    put(w, NULL, 48 * 3); /* mr_config_id, mr_owner, mr_owner_config */
    for (int i = 0; i < 4; i++)
        put_run(w, (uint8_t)MSE_SIM_TDX_RTMR_BYTE(i), 48);
    put_run(w, MSE_SIM_TDX_REPORT_DATA_BYTE, 64);
    if (version == 5) {
        put(w, NULL, 16);     /* tee_tcb_svn2 */
        put_run(w, 0x33, 48); /* mr_servicetd */
    }
}

mse_err mse_sim_tdx_quote(int version, const uint8_t *sgx_quote, size_t sgx_len,
                          uint8_t **quote, size_t *len)
{
    struct mse_quote sgx;
    MSE_ENSURE(version == 4 || version == 5, MSE_ERR_ARG);
    MSE_TRY(mse_quote_parse(sgx_quote, sgx_len, &sgx));
    struct wr w = {.cap = MSE_QUOTE_MAX_SIZE};
    w.b = malloc(w.cap);
    MSE_ENSURE(w.b != NULL, MSE_ERR_NOMEM);
    put_le(&w, (uint64_t)version, 2);
    put_le(&w, MSE_QUOTE_ATT_KEY_ECDSA_P256, 2);
    put_le(&w, MSE_QUOTE_TEE_TDX, 4);
    put(&w, NULL, 4); /* reserved */
    put(&w, MSE_INTEL_QE_VENDOR_ID, 16);
    put(&w, NULL, 20); /* user_data */
    if (version == 5) {
        put_le(&w, 3, 2); /* body type: TD report 1.5 */
        put_le(&w, MSE_TD_REPORT15_SIZE, 4);
    }
    put_td_report(&w, version);
    /* Signature data: signature, key, then certification data type 6 wrapping the QE part. */
    size_t inner = MSE_REPORT_BODY_SIZE + 64 + 2 + sgx.qe_auth_len + 2 + 4 + sgx.cert_data_len;
    put_le(&w, 64 + 64 + 2 + 4 + inner, 4);
    put(&w, sgx.quote_signature, 64);
    put(&w, sgx.att_public_key, 64);
    put_le(&w, MSE_QUOTE_CERT_DATA_QE_REPORT, 2);
    put_le(&w, inner, 4);
    put(&w, sgx.qe_report.raw, MSE_REPORT_BODY_SIZE);
    put(&w, sgx.qe_report_signature, 64);
    put_le(&w, sgx.qe_auth_len, 2);
    put(&w, sgx.qe_auth_data, sgx.qe_auth_len);
    put_le(&w, MSE_QUOTE_CERT_DATA_PCK_CHAIN, 2);
    put_le(&w, sgx.cert_data_len, 4);
    put(&w, sgx.cert_data, sgx.cert_data_len);
    if (w.overflow) {
        free(w.b);
        return MSE_ERR_INTERNAL;
    }
    *quote = w.b;
    *len = w.n;
    return MSE_OK;
}

/* ---- quote provider ---------------------------------------------------------- */

struct sim_provider {
    struct mse_sim_pki pki;
    struct mse_sim_enclave enclave;
};

static mse_err sim_get_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                             size_t *quote_len)
{
    struct sim_provider *s = ctx;
    return mse_sim_quote(&s->pki, &s->enclave, report_data, quote, quote_len);
}

static void sim_close(void *ctx)
{
    struct sim_provider *s = ctx;
    if (!s)
        return;
    mse_sim_pki_free(&s->pki);
    free(s);
}

mse_err mse_sim_quote_provider(const char *pki_dir, const struct mse_sim_enclave *e,
                               struct mse_quote_provider *out)
{
    struct sim_provider *s = calloc(1, sizeof *s);
    MSE_ENSURE(s != NULL, MSE_ERR_NOMEM);
    mse_err err = mse_sim_pki_load(pki_dir, &s->pki);
    if (err != MSE_OK) {
        free(s);
        return err;
    }
    s->enclave = *e;
    out->name = "sim";
    out->get_quote = sim_get_quote;
    out->close = sim_close;
    out->ctx = s;
    return MSE_OK;
}

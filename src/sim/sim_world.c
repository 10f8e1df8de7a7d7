/*
 * The simulated platform in memory, for in-process tests of the verifier:
 * the PKI and collateral of `mse-sim pki init` (sim_pki.c), a v3 quote
 * (sim_quote.c) and the RA-TLS certificate carrying it (the product's
 * mse_ratls_cert_create). Each knob of struct mse_sim_world_opts makes one
 * thing wrong and keeps every signature over the rest genuine, so the
 * verifier's refusal can only name that one thing. Offsets follow the v3
 * quote layout of include/mse/quote.h (sim_tamper.h's Q_* names).
 *
 * Test-only: every key here is fresh and public to its caller.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/guard.h>
#include <mse/quote.h>

#include "sim.h"
#include "sim_tamper.h"

/* Offsets inside an SGX report body (sgx_report_body_t). */
enum {
    R_MISCSELECT = 16,
    R_ATTRIBUTES = 48,
    R_MRSIGNER = 128,
    R_ISV_PROD_ID = 256,
    R_REPORT_DATA = 320,
};

void mse_sim_world_opts_default(struct mse_sim_world_opts *o, int64_t now)
{
    memset(o, 0, sizeof *o);
    mse_sim_pki_opts_default(&o->pki, now);
    o->pki.intel_names = true;
    o->pki.no_signer_key = true;
    o->enclave.have_mrsigner = true;
    memset(o->enclave.mrsigner, 0x51, 32);
    memset(o->enclave.mrenclave, 0xe1, 32);
    o->enclave.isv_prod_id = 1;
    o->enclave.isv_svn = 3;
}

/* The collateral knobs, on the signed JSON texts. */
static mse_err edit_collateral(const struct mse_sim_world_opts *o, struct mse_sim_world *w)
{
    if (o->tcb_info_fmspc_other)
        MSE_TRY(mse_sim_resign_member(&w->tcb_info, "tcbInfo", "\"fmspc\":\"00906ed50000\"",
                                      "\"fmspc\":\"00906ed50001\"", w->pki.tcb_key));
    if (o->tcb_info_byte_flipped)
        MSE_TRY(mse_sim_flip_edn(w->tcb_info));
    w->col.tcb_info = (struct mse_blob){(const uint8_t *)w->tcb_info, strlen(w->tcb_info)};
    return MSE_OK;
}

static bool qe_report_edited(const struct mse_sim_world_opts *o)
{
    return o->qe_mrsigner_other || o->qe_isvprodid_other || o->qe_attributes_debug ||
           o->qe_miscselect_other || o->qe_report_data_padding;
}

/* The QE report knobs: the report changed, then re-signed by the PCK key as the QE would. */
static mse_err edit_qe_report(const struct mse_sim_world_opts *o, const struct mse_sim_pki *p,
                              uint8_t *q)
{
    uint8_t *r = q + Q_QE_REPORT;
    if (!qe_report_edited(o))
        return MSE_OK;
    if (o->qe_mrsigner_other)
        r[R_MRSIGNER] ^= 0x01;
    if (o->qe_isvprodid_other)
        r[R_ISV_PROD_ID] = MSE_SIM_QE_ISVPRODID + 1;
    if (o->qe_attributes_debug)
        r[R_ATTRIBUTES] |= (uint8_t)MSE_SGX_FLAGS_DEBUG;
    if (o->qe_miscselect_other)
        r[R_MISCSELECT] ^= 0x01;
    if (o->qe_report_data_padding)
        r[R_REPORT_DATA + 40] = 0x01; /* the upper 32 bytes must be zero */
    return mse_sim_sign_raw(p->pck_key, r, MSE_REPORT_BODY_SIZE, q + Q_QE_SIG);
}

/* The certification data knobs: a chain of another length, or a PEM block of garbage. */
static mse_err edit_chain(const struct mse_sim_world_opts *o, const struct mse_sim_pki *p,
                          uint8_t **q, size_t *len)
{
    static const char *const garbage[] = {"-----BEGIN CERTIFICATE-----\n!!not base64!!\n"
                                          "-----END CERTIFICATE-----\n"};
    const char *const two[] = {p->pck_pem, p->root_pem};
    const char *const four[] = {p->pck_pem, p->ca_pem, p->ca_pem, p->root_pem};
    if (o->chain_garbage)
        return mse_sim_quote_set_chain(q, len, garbage, 1);
    if (o->chain_len == 2)
        return mse_sim_quote_set_chain(q, len, two, 2);
    if (o->chain_len == 4)
        return mse_sim_quote_set_chain(q, len, four, 4);
    return MSE_OK;
}

/* The quote of the world's enclave for report_data, with the quote knobs applied. */
static mse_err world_quote(const struct mse_sim_world_opts *o, const struct mse_sim_pki *p,
                           const uint8_t report_data[64], uint8_t **q, size_t *len)
{
    uint8_t rd[64];
    memcpy(rd, report_data, 64);
    if (o->binding_other)
        rd[0] ^= 0xff; /* the certificate's key is then not the one REPORTDATA names */
    MSE_TRY(mse_sim_quote(p, &o->enclave, rd, q, len));
    mse_err err = MSE_OK;
    if (o->qe_vendor_other) {
        (*q)[12 + 15] ^= 0x01; /* last byte of the header's QE vendor ID */
        MSE_CHECK_OUT(mse_sim_sign_raw(p->att_key, *q, 48 + MSE_REPORT_BODY_SIZE, *q + Q_SIG));
    }
    MSE_CHECK_OUT(edit_qe_report(o, p, *q));
    if (o->qe_report_sig_flipped)
        (*q)[Q_QE_SIG + 10] ^= 0x01;
    if (o->quote_sig_flipped)
        (*q)[Q_SIG + 10] ^= 0x01;
    MSE_CHECK_OUT(edit_chain(o, p, q, len));
    return MSE_OK;
out:
    free(*q);
    *q = NULL;
    return err;
}

struct world_provider {
    const struct mse_sim_world_opts *o;
    const struct mse_sim_pki *p;
};

static mse_err world_get_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                               size_t *len)
{
    const struct world_provider *wp = ctx;
    return world_quote(wp->o, wp->p, report_data, quote, len);
}

/* The RA-TLS certificate, valid from a day before now for a year. */
static mse_err world_cert(const struct mse_sim_world_opts *o, struct mse_sim_world *w)
{
    struct world_provider wp = {o, &w->pki};
    struct mse_quote_provider qp = {.name = "sim-world", .get_quote = world_get_quote, .ctx = &wp};
    struct mse_ratls_params params = {.subject = "CN=localhost,O=MSE Test App",
                                      .san = "localhost",
                                      .not_before = o->pki.now - 86400,
                                      .not_after = o->pki.now + 365 * 86400};
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    mse_err err = mse_ratls_cert_create(&qp, &params, &key, &x);
    if (err == MSE_OK)
        err = mse_sim_cert_der(x, &w->cert_der, &w->cert_len);
    X509_free(x);
    EVP_PKEY_free(key);
    return err;
}

mse_err mse_sim_world_make(const struct mse_sim_world_opts *o, struct mse_sim_world *w)
{
    MSE_ENSURE(o->enclave.have_mrsigner || !o->pki.no_signer_key, MSE_ERR_ARG);
    MSE_ENSURE(o->chain_len == 0 || (o->chain_len >= 2 && o->chain_len <= 4), MSE_ERR_ARG);
    MSE_TRY(mse_sim_pki_make(&o->pki, &o->faults, w));
    mse_err err = edit_collateral(o, w);
    if (err == MSE_OK)
        err = world_cert(o, w);
    if (err != MSE_OK)
        mse_sim_world_free(w);
    return err;
}

void mse_sim_world_free(struct mse_sim_world *w)
{
    mse_sim_pki_free(&w->pki);
    char *texts[] = {w->root_ca_crl, w->pck_crl, w->tcb_info, w->qe_identity, w->tcb_chain};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        free(texts[i]);
    free(w->root_der);
    free(w->cert_der);
    memset(w, 0, sizeof *w);
}

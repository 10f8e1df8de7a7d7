/*
 * `mse-sim ratls` and `mse-sim evidence`: an RA-TLS certificate made with the
 * simulated quote provider, and the mse evidence bundle around it (the JSON
 * format of a real MSE deployment, see docs/formats/evidence.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "sim.h"
#include "sim_cmd.h"
#include "sim_files.h"
#include "util/util.h"

/* A provider that quotes other REPORTDATA than asked: the certificate key is then unbound. */
struct unbound {
    struct mse_quote_provider inner;
};

static mse_err unbound_get_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                                 size_t *len)
{
    struct unbound *u = ctx;
    uint8_t other[64];
    memcpy(other, report_data, 64);
    other[0] ^= 0xff;
    return u->inner.get_quote(u->inner.ctx, other, quote, len);
}

mse_err mse_sim_make_ratls(const char *pki_dir, const struct mse_sim_enclave *e,
                           const struct mse_ratls_params *params, bool unbind, EVP_PKEY **key,
                           X509 **cert)
{
    struct unbound u;
    MSE_TRY(mse_sim_quote_provider(pki_dir, e, &u.inner));
    struct mse_quote_provider qp = u.inner;
    if (unbind) {
        qp.get_quote = unbound_get_quote;
        qp.ctx = &u;
    }
    mse_err err = mse_ratls_cert_create(&qp, params, key, cert);
    mse_quote_provider_close(&u.inner);
    return err;
}

static char *read_text(const char *dir, const char *name)
{
    char path[4096];
    uint8_t *d = NULL;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (mse_file_read(path, 1u << 20, &d, &n) != MSE_OK)
        return NULL;
    return (char *)d;
}

static char *b64(const uint8_t *p, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

mse_err mse_sim_evidence_parts_load(const char *pki_dir, struct mse_sim_evidence_parts *p)
{
    memset(p, 0, sizeof *p);
    p->root_ca_crl = read_text(pki_dir, MSE_SIM_ROOT_CRL ".pem");
    p->pck_crl = read_text(pki_dir, MSE_SIM_PCK_CRL ".pem");
    p->tcb_info = read_text(pki_dir, MSE_SIM_TCB_INFO);
    p->qe_identity = read_text(pki_dir, MSE_SIM_QE_IDENTITY);
    p->tcb_cert = read_text(pki_dir, MSE_SIM_TCB_SIGNING_CERT);
    p->signer_pk = read_text(pki_dir, MSE_SIM_SIGNER_PUB);
    if (p->root_ca_crl && p->pck_crl && p->tcb_info && p->qe_identity && p->tcb_cert &&
        p->signer_pk)
        return MSE_OK;
    mse_sim_evidence_parts_free(p);
    return MSE_ERR_FILE_NOT_FOUND;
}

void mse_sim_evidence_parts_free(struct mse_sim_evidence_parts *p)
{
    char **all[] = {&p->cert_pem,  &p->root_ca_crl, &p->pck_crl,   &p->tcb_info,
                    &p->qe_identity, &p->tcb_cert,  &p->signer_pk};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
}

mse_err mse_sim_evidence_json_parts(const struct mse_sim_evidence_parts *p, const char *san,
                                    char **out)
{
    mse_err err = MSE_OK;
    char *tcb_hex = NULL, *tcb_b64 = NULL, *qe_b64 = NULL;
    json_t *root = NULL;

    *out = NULL;
    MSE_ENSURE_OUT(p->cert_pem && p->root_ca_crl && p->pck_crl && p->tcb_info && p->qe_identity &&
                       p->tcb_cert && p->signer_pk,
                   MSE_ERR_ARG);
    /* TCB info travels as base64 of the hex of its text, as MSE deployments ship it. */
    size_t tl = strlen(p->tcb_info);
    tcb_hex = malloc(2 * tl + 1);
    MSE_ENSURE_OUT(tcb_hex != NULL, MSE_ERR_NOMEM);
    mse_hex_encode((const uint8_t *)p->tcb_info, tl, tcb_hex);
    tcb_b64 = b64((const uint8_t *)tcb_hex, strlen(tcb_hex));
    qe_b64 = b64((const uint8_t *)p->qe_identity, strlen(p->qe_identity));
    MSE_ENSURE_OUT(tcb_b64 && qe_b64, MSE_ERR_NOMEM);
    root = json_pack("{s:{s:s, s:s, s:i}, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "input_args",
                     "subject", "CN=localhost,O=MSE Test", "subject_alternative_name",
                     san ? san : "localhost", "size", 4096, "ratls_certificate", p->cert_pem,
                     "root_ca_crl", p->root_ca_crl, "pck_processor_crl", p->pck_crl, "tcb_info",
                     tcb_b64, "qe_identity", qe_b64, "tcb_cert", p->tcb_cert, "signer_pk",
                     p->signer_pk);
    MSE_ENSURE_OUT(root != NULL, MSE_ERR_NOMEM);
    *out = json_dumps(root, JSON_INDENT(4));
    MSE_ENSURE_OUT(*out != NULL, MSE_ERR_NOMEM);
out:
    json_decref(root);
    free(tcb_hex);
    free(tcb_b64);
    free(qe_b64);
    return err;
}

mse_err mse_sim_evidence_json(const char *pki_dir, X509 *cert, const char *san, char **out)
{
    struct mse_sim_evidence_parts p;
    MSE_TRY(mse_sim_evidence_parts_load(pki_dir, &p));
    mse_err err = mse_sim_cert_pem(cert, &p.cert_pem);
    if (err == MSE_OK)
        err = mse_sim_evidence_json_parts(&p, san, out);
    mse_sim_evidence_parts_free(&p);
    return err;
}

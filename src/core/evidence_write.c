/*
 * Writing the mse evidence bundle (docs/formats/evidence.md): the inverse of
 * mse_evidence_parse (collateral.c), so that `mse verify --save-evidence`
 * keeps exactly the certificate verified and exactly the collateral used,
 * and `mse verify --evidence` replays them.
 *
 * Byte-exactness is what makes a replay the same verification: the TCB info
 * and QE identity texts are stored as base64 of the very bytes Intel signed,
 * CRLs as given (PEM or hex text kept, DER as base64), certificates as PEM of
 * their DER. Issuer chains are normalised to PEM (a PCCS sends them
 * percent-encoded); the bundle has one TCB signing chain for both JSON
 * items, so collateral whose two items name different signers is refused
 * (MSE_ERR_UNSUPPORTED) rather than written in a form that would replay
 * differently.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <mse/collateral.h>
#include <mse/guard.h>
#include <mse/time.h>

#include "dcap.h"

/* base64 of data, NUL-terminated, in a fresh buffer; wrapped at 64 columns when `pem`. */
static mse_err b64(const uint8_t *data, size_t len, bool pem, char **out)
{
    MSE_ENSURE(len <= (16u << 20), MSE_ERR_LIMIT);
    size_t enc = 4 * ((len + 2) / 3);
    unsigned char *flat = malloc(enc + 1);
    char *wrapped = malloc(enc + enc / 64 + 2);
    if (flat == NULL || wrapped == NULL) {
        free(flat);
        free(wrapped);
        return MSE_ERR_NOMEM;
    }
    int n = EVP_EncodeBlock(flat, data, (int)len);
    size_t w = 0;
    for (int i = 0; i < n; i++) {
        wrapped[w++] = (char)flat[i];
        if (pem && (i % 64 == 63 || i == n - 1))
            wrapped[w++] = '\n';
    }
    wrapped[w] = '\0';
    free(flat);
    *out = wrapped;
    return MSE_OK;
}

static mse_err pem_block(const char *label, const uint8_t *der, size_t len, char **out)
{
    char *body = NULL;
    MSE_TRY(b64(der, len, true, &body));
    size_t n = strlen(label) * 2 + strlen(body) + 40;
    char *s = malloc(n);
    if (s == NULL) {
        free(body);
        return MSE_ERR_NOMEM;
    }
    s[0] = '\0';
    strcat(s, "-----BEGIN ");
    strcat(s, label);
    strcat(s, "-----\n");
    strcat(s, body);
    strcat(s, "-----END ");
    strcat(s, label);
    strcat(s, "-----\n");
    free(body);
    *out = s;
    return MSE_OK;
}

static bool is_text_crl(const struct mse_blob *b)
{
    if (mse_pem_sniff(b->data, b->len))
        return true;
    for (size_t i = 0; i < b->len; i++) {
        uint8_t c = b->data[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return b->len > 0;
}

/* A CRL as the parser reads it back: PEM/hex text unchanged, DER as base64. */
static mse_err crl_json(const struct mse_blob *b, json_t **out)
{
    MSE_ENSURE(b->data != NULL && b->len > 0, MSE_ERR_COLLATERAL_MISSING);
    if (is_text_crl(b)) {
        *out = json_stringn((const char *)b->data, b->len);
        return *out != NULL ? MSE_OK : MSE_ERR_NOMEM;
    }
    char *s = NULL;
    MSE_TRY(b64(b->data, b->len, false, &s));
    *out = json_string(s);
    free(s);
    return *out != NULL ? MSE_OK : MSE_ERR_NOMEM;
}

static mse_err text_b64_json(const struct mse_blob *b, json_t **out)
{
    char *s = NULL;
    MSE_ENSURE(b->data != NULL && b->len > 0, MSE_ERR_COLLATERAL_MISSING);
    MSE_TRY(b64(b->data, b->len, false, &s));
    *out = json_string(s);
    free(s);
    return *out != NULL ? MSE_OK : MSE_ERR_NOMEM;
}

/* The TCB signing chain as clean PEM; the QE identity's chain must name the same signer. */
static mse_err tcb_chain_pem(const struct mse_collateral *c, json_t **out)
{
    struct mse_certs tcb = {0}, qe = {0};
    mse_err err = MSE_OK;
    char *pem = NULL, *acc = NULL;
    MSE_ENSURE(c->tcb_info_chain.data != NULL && c->tcb_info_chain.len > 0,
               MSE_ERR_COLLATERAL_MISSING);
    MSE_CHECK_OUT(
        mse_x509_issuer_chain_partial(c->tcb_info_chain.data, c->tcb_info_chain.len, 0, &tcb));
    if (c->qe_identity_chain.data != NULL && c->qe_identity_chain.len > 0) {
        const uint8_t *a, *b;
        size_t al, bl;
        MSE_CHECK_OUT(mse_x509_issuer_chain_partial(c->qe_identity_chain.data,
                                                    c->qe_identity_chain.len, 0, &qe));
        mse_certs_der(&tcb, 0, &a, &al);
        mse_certs_der(&qe, 0, &b, &bl);
        MSE_ENSURE_OUT(al == bl && memcmp(a, b, al) == 0, MSE_ERR_UNSUPPORTED);
    }
    size_t total = 1;
    acc = calloc(1, 1);
    MSE_ENSURE_OUT(acc != NULL, MSE_ERR_NOMEM);
    for (size_t i = 0; i < tcb.n; i++) {
        const uint8_t *der;
        size_t len;
        mse_certs_der(&tcb, i, &der, &len);
        MSE_CHECK_OUT(pem_block("CERTIFICATE", der, len, &pem));
        total += strlen(pem);
        char *grown = realloc(acc, total);
        MSE_ENSURE_OUT(grown != NULL, MSE_ERR_NOMEM);
        acc = grown;
        strcat(acc, pem);
        free(pem);
        pem = NULL;
    }
    *out = json_string(acc);
    MSE_ENSURE_OUT(*out != NULL, MSE_ERR_NOMEM);
out:
    free(pem);
    free(acc);
    mse_certs_free(&tcb);
    mse_certs_free(&qe);
    return err;
}

static void put(json_t *o, const char *k, json_t *v, bool *ok)
{
    if (v == NULL || json_object_set_new(o, k, v) != 0)
        *ok = false;
}

mse_err mse_evidence_write(const uint8_t *cert_der, size_t cert_len,
                           const struct mse_collateral *c, bool processor_ca, int64_t captured_at,
                           char **out)
{
    mse_err err = MSE_OK;
    bool ok = true;
    char *cert_pem = NULL;
    char at[21];
    json_t *o = json_object(), *v = NULL;
    *out = NULL;
    MSE_ENSURE(o != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(cert_der != NULL && cert_len > 0, MSE_ERR_ARG);
    MSE_CHECK_OUT(pem_block("CERTIFICATE", cert_der, cert_len, &cert_pem));
    put(o, "ratls_certificate", json_string(cert_pem), &ok);
    MSE_CHECK_OUT(crl_json(&c->root_ca_crl, &v));
    put(o, "root_ca_crl", v, &ok);
    MSE_CHECK_OUT(crl_json(&c->pck_crl, &v));
    put(o, processor_ca ? "pck_processor_crl" : "pck_platform_crl", v, &ok);
    MSE_CHECK_OUT(text_b64_json(&c->tcb_info, &v));
    put(o, "tcb_info", v, &ok);
    MSE_CHECK_OUT(text_b64_json(&c->qe_identity, &v));
    put(o, "qe_identity", v, &ok);
    MSE_CHECK_OUT(tcb_chain_pem(c, &v));
    put(o, "tcb_cert", v, &ok);
    mse_time_format(captured_at, at);
    put(o, "captured_at", json_string(at), &ok);
    MSE_ENSURE_OUT(ok, MSE_ERR_NOMEM);
    *out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    MSE_ENSURE_OUT(*out != NULL, MSE_ERR_NOMEM);
out:
    free(cert_pem);
    json_decref(o);
    return err;
}

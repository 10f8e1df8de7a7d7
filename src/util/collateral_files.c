/*
 * Collateral from files (collateral_files.h): the two layouts people already
 * hold collateral in.
 *
 * Intel QVL sample app (SGX-TDX-DCAP-QuoteVerificationLibrary, Src/AppCore
 * sample application's default file names), one directory:
 *   tcbInfo.json            PCS body {"tcbInfo":{...},"signature":"..."}
 *   qeIdentity.json         PCS body {"enclaveIdentity":{...},"signature":"..."}
 *   tcbSignChain.pem        TCB signing certificate + root
 *   rootCaCrl.der|.pem      Root CA CRL
 *   intermediateCaCrl.der|.pem   CRL of the PCK CA that issued the PCK
 *   pckCert.pem + pckSignChain.pem   optional (both or neither): PCK leaf; PCK CA + root
 *   trustedRootCaCert.pem   optional: must be the anchor mse uses
 * Phala dcap-qvl: one JSON file (mse_collateral_dcap_qvl_parse).
 *
 * Reading files is all this does; every byte is verified by mse_verify_quote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <mse/guard.h>

#include "util/collateral_files.h"
#include "util/util.h"

#define ITEM_MAX (4u << 20) /* real items are a few KiB; a PCS-sized CRL under 1 MiB */

static mse_err keep(struct mse_collateral_files *f, uint8_t *p)
{
    if (f->owned_count == MSE_COLLATERAL_FILES_MAX) {
        free(p);
        return MSE_ERR_INTERNAL;
    }
    f->owned[f->owned_count++] = p;
    return MSE_OK;
}

/* dir/name into *out; a missing optional file leaves *out empty. */
static mse_err load_one(struct mse_collateral_files *f, const char *dir, const char *name,
                        bool required, struct mse_blob *out, char *why, size_t why_len)
{
    char path[4096];
    uint8_t *data = NULL;
    size_t len = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return mse_say(why, why_len, MSE_ERR_ARG, "path too long: %s/%s", dir, name);
    mse_err err = mse_file_read(path, ITEM_MAX, &data, &len);
    if (err == MSE_ERR_FILE_NOT_FOUND && !required)
        return MSE_OK;
    if (err == MSE_ERR_FILE_NOT_FOUND)
        return mse_say(why, why_len, MSE_ERR_COLLATERAL_MISSING, "%s: missing (QVL layout)", path);
    if (err != MSE_OK)
        return mse_say(why, why_len, err, "%s: %s", path, mse_err_str(err));
    MSE_TRY(keep(f, data));
    out->data = data;
    out->len = len;
    return MSE_OK;
}

/* name.der, else name.pem. */
static mse_err load_crl(struct mse_collateral_files *f, const char *dir, const char *stem,
                        struct mse_blob *out, char *why, size_t why_len)
{
    char der[64], pem[64];
    snprintf(der, sizeof der, "%s.der", stem);
    snprintf(pem, sizeof pem, "%s.pem", stem);
    MSE_TRY(load_one(f, dir, der, false, out, why, why_len));
    if (out->data == NULL)
        MSE_TRY(load_one(f, dir, pem, false, out, why, why_len));
    if (out->data == NULL)
        return mse_say(why, why_len, MSE_ERR_COLLATERAL_MISSING,
                       "%s/%s.der (or .pem): missing (QVL layout)", dir, stem);
    return MSE_OK;
}

static mse_err load_dir(const char *dir, struct mse_collateral_files *f, char *why, size_t why_len)
{
    struct mse_collateral *c = &f->collateral;
    struct mse_blob leaf = {0}, sign_chain = {0};
    MSE_TRY(load_one(f, dir, "tcbInfo.json", true, &c->tcb_info, why, why_len));
    MSE_TRY(load_one(f, dir, "qeIdentity.json", true, &c->qe_identity, why, why_len));
    MSE_TRY(load_one(f, dir, "tcbSignChain.pem", true, &c->tcb_info_chain, why, why_len));
    c->qe_identity_chain = c->tcb_info_chain;
    MSE_TRY(load_crl(f, dir, "rootCaCrl", &c->root_ca_crl, why, why_len));
    MSE_TRY(load_crl(f, dir, "intermediateCaCrl", &c->pck_crl, why, why_len));
    MSE_TRY(load_one(f, dir, "pckCert.pem", false, &leaf, why, why_len));
    MSE_TRY(load_one(f, dir, "pckSignChain.pem", false, &sign_chain, why, why_len));
    MSE_TRY(load_one(f, dir, "trustedRootCaCert.pem", false, &f->trusted_root, why, why_len));
    if ((leaf.data == NULL) != (sign_chain.data == NULL))
        return mse_say(why, why_len, MSE_ERR_COLLATERAL_MISSING,
                       "%s: pckCert.pem and pckSignChain.pem go together", dir);
    if (leaf.data != NULL) {
        /* The CRL issuer chain is the PCK CA's; the whole chain is compared with the quote's. */
        c->pck_crl_chain = sign_chain;
        uint8_t *both = malloc(leaf.len + sign_chain.len + 2);
        if (both == NULL)
            return MSE_ERR_NOMEM;
        memcpy(both, leaf.data, leaf.len);
        both[leaf.len] = '\n';
        memcpy(both + leaf.len + 1, sign_chain.data, sign_chain.len);
        MSE_TRY(keep(f, both));
        f->pck_chain.data = both;
        f->pck_chain.len = leaf.len + 1 + sign_chain.len;
    }
    return MSE_OK;
}

static mse_err load_json(const char *path, struct mse_collateral_files *f, char *why,
                         size_t why_len)
{
    uint8_t *text = NULL, *buf = NULL;
    size_t len = 0;
    char detail[256] = "";
    mse_err err = mse_file_read(path, ITEM_MAX, &text, &len);
    if (err != MSE_OK)
        return mse_say(why, why_len, err, "%s: %s", path, mse_err_str(err));
    MSE_TRY(keep(f, text));
    /* Decoded items are never larger than their JSON spelling plus the two envelopes. */
    size_t cap = len + 1024;
    buf = malloc(cap);
    if (buf == NULL)
        return MSE_ERR_NOMEM;
    MSE_TRY(keep(f, buf));
    err = mse_collateral_dcap_qvl_parse(text, len, buf, cap, &f->collateral, &f->pck_chain,
                                        detail, sizeof detail);
    if (err != MSE_OK)
        return mse_say(why, why_len, err, "%s is not dcap-qvl collateral JSON: %s", path,
                       detail[0] ? detail : mse_err_str(err));
    return MSE_OK;
}

mse_err mse_collateral_files_load(const char *path, struct mse_collateral_files *out, char *why,
                                  size_t why_len)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (stat(path, &st) != 0)
        return mse_say(why, why_len, errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO,
                       "%s: %s", path, strerror(errno));
    return S_ISDIR(st.st_mode) ? load_dir(path, out, why, why_len)
                               : load_json(path, out, why, why_len);
}

static mse_err pem_to_der(const struct mse_blob *pem, uint8_t **der, size_t *len)
{
    BIO *bio = BIO_new_mem_buf(pem->data, (int)pem->len);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    unsigned char *d = NULL;
    int n = x != NULL ? i2d_X509(x, &d) : -1;
    BIO_free(bio);
    X509_free(x);
    if (n <= 0)
        return MSE_ERR_PEM;
    *der = d;
    *len = (size_t)n;
    return MSE_OK;
}

mse_err mse_collateral_files_check(const struct mse_collateral_files *f, const uint8_t *quote,
                                   size_t quote_len, const uint8_t *anchor_der, size_t anchor_len,
                                   char *why, size_t why_len)
{
    if (f->trusted_root.data != NULL) {
        uint8_t *der = NULL;
        size_t len = 0;
        if (pem_to_der(&f->trusted_root, &der, &len) != MSE_OK)
            return mse_say(why, why_len, MSE_ERR_PEM,
                           "trustedRootCaCert.pem is not a PEM certificate");
        bool same = len == anchor_len && memcmp(der, anchor_der, len) == 0;
        OPENSSL_free(der);
        if (!same)
            return mse_say(why, why_len, MSE_ERR_ROOT_UNTRUSTED,
                           "trustedRootCaCert.pem is not the trust anchor (the Intel SGX Root CA, "
                           "or --trust-root): a collateral directory cannot choose its own root");
    }
    if (f->pck_chain.data != NULL) {
        struct mse_quote q;
        /* A quote that does not parse gets its verdict from the verifier itself. */
        if (mse_quote_parse(quote, quote_len, &q) != MSE_OK)
            return MSE_OK;
        mse_err err = mse_quote_pck_chain_agrees(&q, f->pck_chain.data, f->pck_chain.len);
        if (err == MSE_ERR_COLLATERAL_PCK_MISMATCH)
            return mse_say(why, why_len, err,
                           "the PCK certificate chain given as collateral (pckCert.pem, "
                           "pckSignChain.pem or pck_certificate_chain) is not the quote's");
        if (err != MSE_OK)
            return mse_say(why, why_len, err, "PCK chain given as collateral: %s",
                           mse_err_str(err));
    }
    return MSE_OK;
}

void mse_collateral_files_free(struct mse_collateral_files *f)
{
    for (size_t i = 0; i < f->owned_count; i++)
        free(f->owned[i]);
    memset(f, 0, sizeof *f);
}

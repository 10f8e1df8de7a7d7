/*
 * libFuzzer, differential: certificates and CRLs decoded where mse decodes
 * them (src/core/x509_ctx.c: the dcap library context with mse's own P-256
 * key decoder, OpenSSL's default context for other keys) must give exactly
 * the verdicts of decoding them in OpenSSL's default context with d2i_X509 /
 * d2i_X509_CRL, as mse did before x509_ctx.c. Compared: decoding, the key
 * (present, EVP_PKEY_eq), path validation (OpenSSL's error and path length,
 * and mse_x509_chain_verify's code), the CRL's issuer and signature check,
 * an ECDSA verification by the key, and mse_ec_p256_key against an import
 * from parameters (what it did before).
 *
 * The RA-TLS certificate is now decoded in the "keyless" context (only the
 * null provider) instead of OpenSSL's default one: its extraction and
 * binding check (which verifies its self-signature) must give the same codes.
 *
 * Input: u16 big-endian length of A, A, B. A is decoded as a certificate; B
 * as a certificate (A its issuer, or its intermediate under the Intel root),
 * as a CRL (A its issuer) and as an RA-TLS certificate. A's P-256 point (as
 * is and with a bit flipped) and the last 64 bytes of the input are x||y
 * points.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mse/quote.h>
#include <mse/ratls.h>

#include "dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

/* One certificate decoded both ways: `plain` as d2i_X509 did, `mse` as mse does now. */
struct both {
    X509 *plain, *mse;
};

static X509 *plain_cert(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *c = d2i_X509(NULL, &p, (long)len);
    if (c != NULL && (size_t)(p - der) != len) {
        X509_free(c);
        c = NULL;
    }
    ERR_clear_error();
    return c;
}

/* Both decoded or neither; the same key or none in both. */
static struct both decode_both(const uint8_t *der, size_t len)
{
    struct both b = {plain_cert(der, len), NULL};
    if (len == 0 || mse_x509_from_der(der, len, &b.mse) != MSE_OK)
        b.mse = NULL;
    ERR_clear_error();
    CHECK((b.plain == NULL) == (b.mse == NULL));
    if (b.plain == NULL)
        return b;
    EVP_PKEY *kp = X509_get0_pubkey(b.plain), *km = X509_get0_pubkey(b.mse);
    ERR_clear_error();
    CHECK((kp == NULL) == (km == NULL));
    if (kp != NULL) {
        CHECK(EVP_PKEY_eq(kp, km) == 1);
        CHECK(EVP_PKEY_get_base_id(kp) == EVP_PKEY_get_base_id(km));
        CHECK(EVP_PKEY_get_bits(kp) == EVP_PKEY_get_bits(km));
    }
    ERR_clear_error();
    return b;
}

static void free_both(struct both *b)
{
    X509_free(b->plain);
    X509_free(b->mse);
}

/*
 * OpenSSL's path validation as mse_x509_chain_verify sets it up, in the
 * given library context: its error and the path's length.
 */
static int path_error(OSSL_LIB_CTX *libctx, X509 *leaf, X509 *intermediate, X509 *anchor,
                      int *path_len)
{
    int error = -1;
    *path_len = -1;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new_ex(libctx, NULL);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (store == NULL || ctx == NULL || untrusted == NULL ||
        X509_STORE_add_cert(store, anchor) != 1 ||
        (intermediate != NULL && sk_X509_push(untrusted, intermediate) <= 0) ||
        X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1)
        __builtin_trap();
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_X509_STRICT);
    X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) == 1) {
        error = X509_V_OK;
        *path_len = sk_X509_num(X509_STORE_CTX_get0_chain(ctx));
    } else {
        error = X509_STORE_CTX_get_error(ctx);
    }
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return error;
}

/* leaf <- [intermediate] <- anchor: the same verdict in both worlds. */
static void chain_same(X509 *plain_leaf, X509 *plain_inter, X509 *plain_anchor, X509 *mse_leaf,
                       X509 *mse_inter, X509 *mse_anchor)
{
    int len_plain, len_mse;
    int e_plain = path_error(NULL, plain_leaf, plain_inter, plain_anchor, &len_plain);
    int e_mse =
        path_error(mse_x509_dcap_libctx(), mse_leaf, mse_inter, mse_anchor, &len_mse);
    CHECK(e_plain == e_mse && len_plain == len_mse);
    mse_err m_plain = mse_x509_chain_verify(plain_leaf, plain_inter, plain_anchor, 0);
    mse_err m_mse = mse_x509_chain_verify(mse_leaf, mse_inter, mse_anchor, 0);
    CHECK(m_plain == m_mse);
    CHECK((m_mse == MSE_OK) == (e_mse == X509_V_OK && len_mse == (mse_inter ? 3 : 2) &&
                                X509_check_ca(mse_leaf) == 0));
    ERR_clear_error();
}

/* B as a CRL issued by A: decoded and checked alike. */
static void crl_same(const uint8_t *der, size_t len, const struct both *issuer)
{
    const unsigned char *p = der;
    X509_CRL *plain = d2i_X509_CRL(NULL, &p, (long)len);
    if (plain != NULL && (size_t)(p - der) != len) {
        X509_CRL_free(plain);
        plain = NULL;
    }
    ERR_clear_error();
    X509_CRL *crl = NULL;
    mse_err loaded = len > 0 && der[0] == 0x30 ? mse_crl_load(der, len, &crl) : MSE_ERR_CRL_FORMAT;
    ERR_clear_error();
    /* mse_crl_load takes DER as it is (within its size limit). */
    CHECK((loaded == MSE_OK) == (plain != NULL) || loaded == MSE_ERR_LIMIT);
    if (loaded == MSE_OK && issuer->plain != NULL) {
        CHECK(mse_crl_check_issuer(plain, issuer->plain) ==
              mse_crl_check_issuer(crl, issuer->mse));
        CHECK(mse_crl_lists(plain, issuer->plain) == mse_crl_lists(crl, issuer->mse));
    }
    ERR_clear_error();
    X509_CRL_free(crl);
    X509_CRL_free(plain);
}

/* What mse_ec_p256_key did before: an import from parameters in OpenSSL's default context. */
static EVP_PKEY *p256_import(const uint8_t xy[64])
{
    uint8_t point[65] = {0x04};
    memcpy(point + 1, xy, 64);
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1)
        __builtin_trap();
    if (EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return k;
}

static void ecdsa_same(const struct both *a, const uint8_t *msg, size_t len,
                       const uint8_t sig[64])
{
    EVP_PKEY *kp = X509_get0_pubkey(a->plain), *km = X509_get0_pubkey(a->mse);
    ERR_clear_error();
    if (kp == NULL)
        return;
    bool vp = false, vm = false;
    mse_err ep = mse_ecdsa_p256_verify(kp, msg, len, sig, &vp);
    mse_err em = mse_ecdsa_p256_verify(km, msg, len, sig, &vm);
    CHECK(ep == em && (ep != MSE_OK || vp == vm));
    ERR_clear_error();
}

static void point_same(const uint8_t xy[64])
{
    EVP_PKEY *before = p256_import(xy), *now = NULL;
    mse_err err = mse_ec_p256_key(xy, &now);
    CHECK((err == MSE_OK) == (before != NULL));
    CHECK(err == MSE_OK || err == MSE_ERR_DER);
    if (now != NULL)
        CHECK(EVP_PKEY_eq(before, now) == 1);
    EVP_PKEY_free(now);
    EVP_PKEY_free(before);
    ERR_clear_error();
}

/* A's key as x||y when it is P-256 with an uncompressed point (as a PCK leaf's). */
static void key_point_same(const struct both *a)
{
    const unsigned char *bits = NULL;
    int bits_len = 0;
    X509_PUBKEY *pub = X509_get_X509_PUBKEY(a->plain);
    if (pub == NULL || X509_PUBKEY_get0_param(NULL, &bits, &bits_len, NULL, pub) != 1 ||
        bits_len != 65 || bits[0] != 0x04)
        return;
    uint8_t xy[64];
    memcpy(xy, bits + 1, 64);
    point_same(xy);
    xy[63] ^= 0x01;
    point_same(xy);
}

static uint8_t ratls_buf[2][MSE_QUOTE_MAX_SIZE + 4096];

/* B as the RA-TLS certificate, decoded in OpenSSL's default context and (as now) in keyless. */
static void ratls_same(const uint8_t *der, size_t len)
{
    X509 *x[2] = {NULL, NULL};
    mse_err load[2] = {mse_ratls_load(der, len, OSSL_LIB_CTX_get0_global_default(), &x[0]),
                       mse_ratls_load(der, len, NULL, &x[1])};
    ERR_clear_error();
    CHECK(load[0] == load[1]);
    if (load[0] != MSE_OK)
        return;
    EVP_PKEY *domain = NULL;
    CHECK(mse_ec_p256_domain(&domain) == MSE_OK);
    const EVP_PKEY *domains[2] = {domain, NULL};
    struct mse_ratls r[2];
    mse_err got[2], bound[2] = {MSE_OK, MSE_OK};
    enum mse_binding form[2] = {MSE_BINDING_NONE, MSE_BINDING_NONE};
    for (int i = 0; i < 2; i++) {
        got[i] = mse_ratls_extract_x509(x[i], ratls_buf[i], sizeof ratls_buf[i], &r[i]);
        ERR_clear_error();
        if (got[i] != MSE_OK)
            continue;
        uint8_t report_data[64] = {0};
        struct mse_quote q;
        if (mse_quote_parse(r[i].quote, r[i].quote_len, &q) == MSE_OK)
            memcpy(report_data, q.body.report_data, 64);
        uint8_t x25519[32];
        bound[i] = mse_ratls_check_binding_x509(x[i], domains[i], &r[i], report_data, &form[i],
                                                x25519);
        ERR_clear_error();
    }
    CHECK(got[0] == got[1] && bound[0] == bound[1] && form[0] == form[1]);
    if (got[0] == MSE_OK)
        CHECK(r[0].carrier == r[1].carrier && r[0].quote_len == r[1].quote_len &&
              memcmp(r[0].quote, r[1].quote, r[0].quote_len) == 0);
    EVP_PKEY_free(domain);
    X509_free(x[1]);
    X509_free(x[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t a_len = (size_t)data[0] << 8 | data[1];
    if (a_len > size - 2)
        a_len = size - 2;
    const uint8_t *a_der = data + 2, *b_der = a_der + a_len;
    size_t b_len = size - 2 - a_len;

    struct both a = decode_both(a_der, a_len);
    struct both b = decode_both(b_der, b_len);
    crl_same(b_der, b_len, &a);
    if (a.plain != NULL) {
        static const uint8_t zero_sig[64] = {0};
        ecdsa_same(&a, b_der, b_len, b_len >= 64 ? b_der + b_len - 64 : zero_sig);
        key_point_same(&a);
    }
    ratls_same(b_der, b_len);
    if (a.plain != NULL && b.plain != NULL) {
        chain_same(b.plain, NULL, a.plain, b.mse, NULL, a.mse);
        /* B under A under the Intel root, decoded once in dcap (and as before). */
        size_t root_len;
        const uint8_t *root_der = mse_intel_root_ca_der(&root_len);
        X509 *root_plain = plain_cert(root_der, root_len);
        X509 *root = mse_x509_intel_root();
        CHECK(root_plain != NULL && root != NULL);
        chain_same(b.plain, a.plain, root_plain, b.mse, a.mse, root);
        X509_free(root_plain);
    }
    if (size >= 64)
        point_same(data + size - 64);
    free_both(&b);
    free_both(&a);
    return 0;
}

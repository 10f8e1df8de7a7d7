/*
 * The OpenSSL library contexts the DCAP certificates and CRLs are decoded
 * and verified in, made once per process (STYLE.md 12: an init that is
 * idempotent and thread-safe, as OpenSSL's own default context is; nothing
 * in it changes afterwards).
 *
 * Why: OpenSSL 3.0 decodes a certificate's public key through its provider
 * decoders and, for every certificate, builds a decoder chain from every
 * decoder and key manager its library context holds, then builds the
 * curve's group for the key: about 1.3 M instructions, more than the ECDSA
 * verification of the certificate's signature, and five certificates per
 * verification (issue 13's cold-path target).
 *
 *  - dcap: a context whose one provider ("mse-dcap", built in) hands out
 *    OpenSSL's own default provider implementations (loaded in a private
 *    context) but offers one key manager (EC), one decoder and no encoder or
 *    store. The decoder (spki_decode) takes exactly the DER of a P-256
 *    SubjectPublicKeyInfo with an uncompressed point (RFC 5480) and makes the
 *    key with that key manager from P-256 parameters made once, given the
 *    point, which OpenSSL checks is on the curve. OpenSSL's path validation
 *    and CRL signature checks run unchanged in this context. Any other key is
 *    left undecoded there (mse_x509_from_der then decodes the certificate in
 *    OpenSSL's default context, as before).
 *  - keyless: only OpenSSL's "null" provider. A certificate decoded there
 *    keeps its key undecoded: the RA-TLS certificate, whose key ratls.c
 *    builds from the SubjectPublicKeyInfo itself.
 *  - the built-in Intel SGX Root CA decoded in dcap, and the P-256 domain
 *    parameters (mse_ec_p256_domain), both only ever read.
 * When any of it cannot be made, or the process asks OpenSSL for FIPS
 * implementations (default properties "fips=yes"), each accessor returns
 * NULL and its caller uses OpenSSL's default context: the same verdicts,
 * more slowly.
 */
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include <mse/verify.h>

#include "dcap.h"

#define DCAP_PROVIDER "mse-dcap"

/*
 * DER of a P-256 SubjectPublicKeyInfo up to its point: SEQUENCE { SEQUENCE {
 * id-ecPublicKey, prime256v1 }, BIT STRING (no unused bits) { point } }.
 */
static const uint8_t P256_SPKI_PREFIX[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
#define P256_POINT_LEN 65 /* 0x04 || X || Y */
#define P256_SPKI_LEN (sizeof P256_SPKI_PREFIX + P256_POINT_LEN)

struct x509_ctx {
    bool ready;
    OSSL_LIB_CTX *private_ctx; /* holds OpenSSL's default provider */
    OSSL_PROVIDER *default_provider;
    OSSL_ALGORITHM keymgmt[2]; /* the default EC key manager, then a zeroed end */
    OSSL_FUNC_keymgmt_dup_fn *key_dup;
    OSSL_FUNC_keymgmt_free_fn *key_free;
    OSSL_FUNC_keymgmt_set_params_fn *key_set_params;
    void *p256_params; /* that key manager's P-256 parameters, without a key */
    OSSL_FUNC_BIO_read_ex_fn *bio_read; /* the core's, for the decoder's input */
    OSSL_LIB_CTX *dcap, *keyless;
    OSSL_PROVIDER *dcap_provider; /* mse-dcap, loaded in dcap */
    OSSL_PROVIDER *null_provider; /* loaded in keyless */
    X509 *intel_root;
    EVP_PKEY *p256_domain;
};

/* Written only inside CRYPTO_THREAD_run_once; read-only once `ready`. */
static struct x509_ctx shared;
static CRYPTO_ONCE shared_once = CRYPTO_ONCE_STATIC_INIT;

/* ---- the decoder: a P-256 SubjectPublicKeyInfo, DER ------------------------ */

static void *spki_newctx(void *provctx)
{
    (void)provctx;
    return &shared; /* no state of its own: any non-NULL pointer */
}

static void spki_freectx(void *ctx)
{
    (void)ctx;
}

/* A public key (with its parameters), never a private key. */
static int spki_does_selection(void *provctx, int selection)
{
    (void)provctx;
    if (selection == 0)
        return 1;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
        return 0;
    return (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0;
}

/* Hands the key to OpenSSL, whose key manager load takes it (and clears `key`). */
static int hand_over(void *key, OSSL_CALLBACK *data_cb, void *data_cbarg)
{
    int type = OSSL_OBJECT_PKEY;
    OSSL_PARAM object[] = {
        OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &type),
        OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, (char *)"EC", 0),
        OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &key, sizeof key),
        OSSL_PARAM_construct_end(),
    };
    int ok = data_cb(object, data_cbarg);
    shared.key_free(key);
    return ok;
}

/*
 * Returns 1 without an object for input that is not exactly such a key
 * (OpenSSL then leaves the key undecoded), 0 only when OpenSSL's callback
 * fails.
 */
static int spki_decode(void *ctx, OSSL_CORE_BIO *in, int selection, OSSL_CALLBACK *data_cb,
                       void *data_cbarg, OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    uint8_t der[P256_SPKI_LEN + 1]; /* one byte more: a longer input is not such a key */
    size_t got = 0, n = 0;
    (void)ctx;
    (void)pw_cb;
    (void)pw_cbarg;
    if (!spki_does_selection(NULL, selection))
        return 1;
    while (got < sizeof der && shared.bio_read(in, der + got, sizeof der - got, &n) == 1 && n > 0)
        got += n;
    /* Uncompressed points only (0x04): other forms are left to OpenSSL's default decoder. */
    if (got != P256_SPKI_LEN || memcmp(der, P256_SPKI_PREFIX, sizeof P256_SPKI_PREFIX) != 0 ||
        der[sizeof P256_SPKI_PREFIX] != 0x04)
        return 1;
    void *key = shared.key_dup(shared.p256_params, OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS);
    if (key == NULL)
        return 1;
    OSSL_PARAM point[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                          der + sizeof P256_SPKI_PREFIX, P256_POINT_LEN),
        OSSL_PARAM_construct_end(),
    };
    /* EC_POINT_oct2point refuses a point that is not on the curve. */
    if (shared.key_set_params(key, point) != 1) {
        shared.key_free(key);
        return 1;
    }
    return hand_over(key, data_cb, data_cbarg);
}

static const OSSL_DISPATCH spki_decoder_dispatch[] = {
    {OSSL_FUNC_DECODER_NEWCTX, (void (*)(void))spki_newctx},
    {OSSL_FUNC_DECODER_FREECTX, (void (*)(void))spki_freectx},
    {OSSL_FUNC_DECODER_DOES_SELECTION, (void (*)(void))spki_does_selection},
    {OSSL_FUNC_DECODER_DECODE, (void (*)(void))spki_decode},
    {0, NULL},
};

static const OSSL_ALGORITHM dcap_decoders[] = {
    {"EC", "input=der,structure=SubjectPublicKeyInfo", spki_decoder_dispatch,
     "P-256 SubjectPublicKeyInfo"},
    {NULL, NULL, NULL, NULL},
};

/* ---- the provider ------------------------------------------------------------ */

static const OSSL_ALGORITHM *dcap_query(void *provctx, int op, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    switch (op) {
    case OSSL_OP_KEYMGMT: return shared.keymgmt;
    case OSSL_OP_DECODER: return dcap_decoders;
    case OSSL_OP_ENCODER:
    case OSSL_OP_STORE: return NULL;
    default: {
        int unused = 0;
        return OSSL_PROVIDER_query_operation(shared.default_provider, op, &unused);
    }
    }
}

static const OSSL_DISPATCH dcap_dispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))dcap_query},
    {0, NULL},
};

/*
 * The algorithms handed out are the default provider's, so they get its
 * provider context, as they would in the default provider itself.
 */
static int dcap_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                              const OSSL_DISPATCH **out, void **provctx)
{
    (void)handle;
    for (; in->function_id != 0; in++)
        if (in->function_id == OSSL_FUNC_BIO_READ_EX)
            shared.bio_read = OSSL_FUNC_BIO_read_ex(in);
    *provctx = OSSL_PROVIDER_get0_provider_ctx(shared.default_provider);
    *out = dcap_dispatch;
    return *provctx != NULL && shared.bio_read != NULL;
}

/* ---- making it once ------------------------------------------------------------ */

/* The default provider's EC key manager, its functions and P-256 parameters made with it. */
static bool take_ec_keymgmt(void)
{
    int no_cache = 0;
    const OSSL_ALGORITHM *a =
        OSSL_PROVIDER_query_operation(shared.default_provider, OSSL_OP_KEYMGMT, &no_cache);
    for (; a != NULL && a->algorithm_names != NULL; a++)
        if (strncmp(a->algorithm_names, "EC:", 3) == 0)
            break;
    if (a == NULL || a->algorithm_names == NULL)
        return false;
    shared.keymgmt[0] = *a;
    OSSL_FUNC_keymgmt_new_fn *key_new = NULL;
    OSSL_FUNC_keymgmt_import_fn *key_import = NULL;
    for (const OSSL_DISPATCH *f = a->implementation; f->function_id != 0; f++) {
        switch (f->function_id) {
        case OSSL_FUNC_KEYMGMT_NEW: key_new = OSSL_FUNC_keymgmt_new(f); break;
        case OSSL_FUNC_KEYMGMT_IMPORT: key_import = OSSL_FUNC_keymgmt_import(f); break;
        case OSSL_FUNC_KEYMGMT_DUP: shared.key_dup = OSSL_FUNC_keymgmt_dup(f); break;
        case OSSL_FUNC_KEYMGMT_FREE: shared.key_free = OSSL_FUNC_keymgmt_free(f); break;
        case OSSL_FUNC_KEYMGMT_SET_PARAMS:
            shared.key_set_params = OSSL_FUNC_keymgmt_set_params(f);
            break;
        default: break;
        }
    }
    if (key_new == NULL || key_import == NULL || shared.key_dup == NULL ||
        shared.key_free == NULL || shared.key_set_params == NULL)
        return false;
    shared.p256_params = key_new(OSSL_PROVIDER_get0_provider_ctx(shared.default_provider));
    OSSL_PARAM group[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
        OSSL_PARAM_construct_end(),
    };
    return shared.p256_params != NULL &&
           key_import(shared.p256_params, OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, group) == 1;
}

static bool make_contexts(void)
{
    shared.private_ctx = OSSL_LIB_CTX_new();
    if (shared.private_ctx == NULL)
        return false;
    shared.default_provider = OSSL_PROVIDER_load(shared.private_ctx, "default");
    if (shared.default_provider == NULL || !take_ec_keymgmt())
        return false;
    shared.dcap = OSSL_LIB_CTX_new();
    if (shared.dcap == NULL ||
        OSSL_PROVIDER_add_builtin(shared.dcap, DCAP_PROVIDER, dcap_provider_init) != 1)
        return false;
    shared.dcap_provider = OSSL_PROVIDER_load(shared.dcap, DCAP_PROVIDER);
    if (shared.dcap_provider == NULL)
        return false;
    shared.keyless = OSSL_LIB_CTX_new();
    /* Loading "null" also keeps OpenSSL from loading its default provider there. */
    if (shared.keyless == NULL)
        return false;
    shared.null_provider = OSSL_PROVIDER_load(shared.keyless, "null");
    return shared.null_provider != NULL;
}

/* After a failure nothing is kept: the accessors then answer NULL. */
static void drop_shared(void)
{
    X509_free(shared.intel_root);
    EVP_PKEY_free(shared.p256_domain);
    /* Each load holds its provider until unloaded: freeing the context does not. */
    if (shared.null_provider != NULL)
        OSSL_PROVIDER_unload(shared.null_provider);
    if (shared.dcap_provider != NULL)
        OSSL_PROVIDER_unload(shared.dcap_provider);
    OSSL_LIB_CTX_free(shared.keyless);
    OSSL_LIB_CTX_free(shared.dcap);
    if (shared.p256_params != NULL)
        shared.key_free(shared.p256_params);
    if (shared.default_provider != NULL)
        OSSL_PROVIDER_unload(shared.default_provider);
    OSSL_LIB_CTX_free(shared.private_ctx);
    memset(&shared, 0, sizeof shared);
}

static void make_shared(void)
{
    size_t len = 0;
    const uint8_t *der = mse_intel_root_ca_der(&len);
    const unsigned char *p = der;
    /*
     * A process that asks OpenSSL for FIPS implementations keeps them: dcap
     * hands out the default provider's, so it is not made (the same verdicts
     * in OpenSSL's default context, more slowly).
     */
    if (EVP_default_properties_is_fips_enabled(NULL) || !make_contexts())
        goto out;
    shared.intel_root =
        (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)len, ASN1_ITEM_rptr(X509), shared.dcap, NULL);
    if (shared.intel_root == NULL || X509_get0_pubkey(shared.intel_root) == NULL ||
        mse_ec_p256_domain(&shared.p256_domain) != MSE_OK)
        goto out;
    /* OpenSSL caches a certificate's extensions on first use: do it now, before any sharing. */
    if (X509_check_purpose(shared.intel_root, -1, 0) != 1)
        goto out;
    shared.ready = true;
out:
    if (!shared.ready)
        drop_shared();
    ERR_clear_error();
}

static const struct x509_ctx *get_shared(void)
{
    if (CRYPTO_THREAD_run_once(&shared_once, make_shared) != 1 || !shared.ready)
        return NULL;
    return &shared;
}

OSSL_LIB_CTX *mse_x509_dcap_libctx(void)
{
    const struct x509_ctx *s = get_shared();
    return s != NULL ? s->dcap : NULL;
}

OSSL_LIB_CTX *mse_x509_keyless_libctx(void)
{
    const struct x509_ctx *s = get_shared();
    return s != NULL ? s->keyless : NULL;
}

X509 *mse_x509_intel_root(void)
{
    const struct x509_ctx *s = get_shared();
    return s != NULL ? s->intel_root : NULL;
}

const EVP_PKEY *mse_x509_p256_domain(void)
{
    const struct x509_ctx *s = get_shared();
    return s != NULL ? s->p256_domain : NULL;
}

OSSL_LIB_CTX *mse_x509_libctx_of(const EVP_PKEY *key)
{
    const struct x509_ctx *s = get_shared();
    /* The provider object itself, not its name: only the one loaded in dcap is meant. */
    if (s == NULL || key == NULL || EVP_PKEY_get0_provider(key) != s->dcap_provider)
        return NULL;
    return s->dcap;
}

/*
 * The OpenSSL library contexts the DCAP certificates and CRLs are decoded
 * and verified in, made once per process (STYLE.md 12: an init that is
 * idempotent and thread-safe, as OpenSSL's own default context is; nothing
 * in it changes afterwards).
 *
 * Why: OpenSSL 3.0 decodes a certificate's public key through its provider
 * decoders and, for every certificate, builds a decoder chain from every
 * decoder and key manager its library context holds: about 1 M instructions,
 * more than the ECDSA verification of the certificate's signature, and five
 * certificates per verification (issue 13's cold-path target).
 *
 *  - dcap: a context whose one provider ("mse-dcap", built in) hands out
 *    OpenSSL's own default provider implementations (loaded in a private
 *    context), except that it offers one key manager (EC) and one decoder
 *    (EC SubjectPublicKeyInfo, DER), and no encoder or store. A certificate
 *    decoded there gets the very key the default provider's decoder makes,
 *    and OpenSSL's path validation and CRL signature checks run unchanged;
 *    a key of another type is left undecoded, so a certificate needing it
 *    fails those checks (every key of the DCAP PKI is an EC P-256 key).
 *  - keyless: only OpenSSL's "null" provider. A certificate decoded there
 *    keeps its key undecoded: the RA-TLS certificate, whose key ratls.c
 *    builds from the SubjectPublicKeyInfo itself.
 *  - the built-in Intel SGX Root CA decoded in dcap, and the P-256 domain
 *    parameters (mse_ec_p256_domain), both only ever read.
 * When any of it cannot be made, each accessor returns NULL and its caller
 * uses OpenSSL's default context: the same verdicts, more slowly.
 */
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include <mse/verify.h>

#include "dcap.h"

#define DCAP_PROVIDER "mse-dcap"
/* Generous: OpenSSL 3.0's default provider offers one of each kept kind. */
#define KEPT_MAX 4

struct x509_ctx {
    bool ready;
    OSSL_LIB_CTX *private_ctx; /* holds OpenSSL's default provider */
    OSSL_PROVIDER *default_provider;
    OSSL_ALGORITHM keymgmt[KEPT_MAX + 1]; /* each list ends with a zeroed entry */
    OSSL_ALGORITHM decoder[KEPT_MAX + 1];
    OSSL_LIB_CTX *dcap, *keyless;
    X509 *intel_root;
    EVP_PKEY *p256_domain;
};

/* Written only inside CRYPTO_THREAD_run_once; read-only once `ready`. */
static struct x509_ctx shared;
static CRYPTO_ONCE shared_once = CRYPTO_ONCE_STATIC_INIT;

/* The first name of an algorithm ("EC:id-ecPublicKey:..." -> "EC") is `name`. */
static bool first_name_is(const char *names, const char *name)
{
    size_t n = strlen(name);
    return strncmp(names, name, n) == 0 && (names[n] == '\0' || names[n] == ':');
}

static bool has_property(const char *definition, const char *property)
{
    size_t n = strlen(property);
    for (const char *p = definition; p != NULL; p = strchr(p, ',')) {
        if (*p == ',')
            p++;
        if (strncmp(p, property, n) == 0 && (p[n] == '\0' || p[n] == ','))
            return true;
    }
    return false;
}

/* Copies into kept[] the default provider's algorithms of `op` that keep() accepts. */
static bool keep_algorithms(int op, bool (*keep)(const OSSL_ALGORITHM *), OSSL_ALGORITHM *kept)
{
    int no_cache = 0;
    size_t n = 0;
    const OSSL_ALGORITHM *a = OSSL_PROVIDER_query_operation(shared.default_provider, op, &no_cache);
    for (; a != NULL && a->algorithm_names != NULL; a++) {
        if (!keep(a))
            continue;
        if (n == KEPT_MAX)
            return false;
        kept[n++] = *a;
    }
    memset(&kept[n], 0, sizeof kept[n]);
    return n > 0;
}

static bool is_ec_keymgmt(const OSSL_ALGORITHM *a)
{
    return first_name_is(a->algorithm_names, "EC");
}

static bool is_ec_spki_decoder(const OSSL_ALGORITHM *a)
{
    return first_name_is(a->algorithm_names, "EC") && a->property_definition != NULL &&
           has_property(a->property_definition, "input=der") &&
           has_property(a->property_definition, "structure=SubjectPublicKeyInfo");
}

static const OSSL_ALGORITHM *dcap_query(void *provctx, int op, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    switch (op) {
    case OSSL_OP_KEYMGMT: return shared.keymgmt;
    case OSSL_OP_DECODER: return shared.decoder;
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
    (void)in;
    *provctx = OSSL_PROVIDER_get0_provider_ctx(shared.default_provider);
    *out = dcap_dispatch;
    return *provctx != NULL;
}

static bool make_contexts(void)
{
    shared.private_ctx = OSSL_LIB_CTX_new();
    if (shared.private_ctx == NULL)
        return false;
    shared.default_provider = OSSL_PROVIDER_load(shared.private_ctx, "default");
    if (shared.default_provider == NULL ||
        !keep_algorithms(OSSL_OP_KEYMGMT, is_ec_keymgmt, shared.keymgmt) ||
        !keep_algorithms(OSSL_OP_DECODER, is_ec_spki_decoder, shared.decoder))
        return false;
    shared.dcap = OSSL_LIB_CTX_new();
    if (shared.dcap == NULL ||
        OSSL_PROVIDER_add_builtin(shared.dcap, DCAP_PROVIDER, dcap_provider_init) != 1 ||
        OSSL_PROVIDER_load(shared.dcap, DCAP_PROVIDER) == NULL)
        return false;
    shared.keyless = OSSL_LIB_CTX_new();
    /* Loading "null" also keeps OpenSSL from loading its default provider there. */
    return shared.keyless != NULL && OSSL_PROVIDER_load(shared.keyless, "null") != NULL;
}

/* After a failure nothing is kept: the accessors then answer NULL. */
static void drop_shared(void)
{
    X509_free(shared.intel_root);
    EVP_PKEY_free(shared.p256_domain);
    OSSL_LIB_CTX_free(shared.keyless);
    OSSL_LIB_CTX_free(shared.dcap);
    OSSL_LIB_CTX_free(shared.private_ctx);
    memset(&shared, 0, sizeof shared);
}

static void make_shared(void)
{
    size_t len = 0;
    const uint8_t *der = mse_intel_root_ca_der(&len);
    const unsigned char *p = der;
    if (!make_contexts())
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
    const OSSL_PROVIDER *p = key != NULL ? EVP_PKEY_get0_provider(key) : NULL;
    if (s == NULL || p == NULL || strcmp(OSSL_PROVIDER_get0_name(p), DCAP_PROVIDER) != 0)
        return NULL;
    return s->dcap;
}

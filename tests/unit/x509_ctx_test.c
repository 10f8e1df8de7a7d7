/*
 * The library contexts made once per process (src/core/x509_ctx.c): made
 * when first needed, by whichever thread comes first; certificates decoded
 * in dcap carry the key OpenSSL's default context would give them (and one
 * it does not decode falls back to that context); keyless leaves the key
 * undecoded; the shared Intel root is the built-in anchor.
 */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/verify.h>

#include "dcap.h"
#include "testlib.h"

#define THREADS 4
#define CAP (1u << 20)
#define AT 1687651200 /* 2023-06-25T00:00:00Z: every item of the real evidence was issued */

struct racer {
    pthread_barrier_t *start;
    const struct mse_verify_input *in;
    const struct mse_policy *pol;
    struct mse_verify_result r;
    mse_err err;
};

static void *race(void *arg)
{
    struct racer *t = arg;
    pthread_barrier_wait(t->start);
    t->err = mse_verify(t->in, t->pol, &t->r);
    return NULL;
}

/*
 * First in this process: THREADS verifications start together, so the
 * contexts are made while the others wait for them (CRYPTO_THREAD_run_once).
 */
static void test_first_use_from_threads(void **state)
{
    (void)state;
    size_t len;
    uint8_t *json = mse_test_data("real/mse-home-evidence.json", &len);
    uint8_t *buf = malloc(CAP);
    struct mse_evidence ev;
    assert_int_equal(mse_evidence_parse(json, len, buf, CAP, &ev), MSE_OK);
    struct mse_verify_input in = {.cert_der = ev.ratls_cert.data,
                                  .cert_len = ev.ratls_cert.len,
                                  .collateral = &ev.collateral,
                                  .at = AT};
    struct mse_policy pol;
    mse_policy_init(&pol);
    pol.allow_expired_collateral = true;
    pol.accepted_tcb = ~0u;
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
    struct racer t[THREADS];
    pthread_t id[THREADS];
    for (int i = 0; i < THREADS; i++) {
        t[i] = (struct racer){.start = &start, .in = &in, .pol = &pol};
        assert_int_equal(pthread_create(&id[i], NULL, race, &t[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(id[i], NULL), 0);
        assert_int_equal(t[i].err, MSE_OK);
        assert_true(t[i].r.ok);
        assert_memory_equal(t[i].r.enclave.mr_enclave, t[0].r.enclave.mr_enclave, 32);
    }
    pthread_barrier_destroy(&start);
    free(buf);
    free(json);
}

static void test_contexts_and_shared_root(void **state)
{
    (void)state;
    OSSL_LIB_CTX *dcap = mse_x509_dcap_libctx();
    assert_non_null(dcap);
    assert_non_null(mse_x509_keyless_libctx());
    assert_ptr_not_equal(mse_x509_keyless_libctx(), dcap);
    assert_non_null(mse_x509_p256_domain());
    /* The same objects on every call: made once. */
    assert_ptr_equal(mse_x509_dcap_libctx(), dcap);
    X509 *root = mse_x509_intel_root();
    assert_non_null(root);
    assert_ptr_equal(mse_x509_intel_root(), root);
    size_t len;
    const uint8_t *builtin = mse_intel_root_ca_der(&len);
    size_t root_len;
    uint8_t *root_der = mse_test_cert_der(root, &root_len);
    assert_int_equal(root_len, len);
    assert_memory_equal(root_der, builtin, len);
    free(root_der);
    EVP_PKEY *key = X509_get0_pubkey(root);
    assert_non_null(key);
    assert_ptr_equal(mse_x509_libctx_of(key), dcap);
}

/* The key decoded in dcap is the one OpenSSL's default context decodes. */
static void test_dcap_key_is_default_key(void **state)
{
    (void)state;
    size_t len;
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &len);
    struct mse_certs cs = {0};
    assert_int_equal(mse_x509_pem_chain(pem, len, &cs), MSE_OK);
    assert_int_equal(cs.n, 3);
    for (size_t i = 0; i < cs.n; i++) {
        const uint8_t *der;
        size_t der_len;
        mse_certs_der(&cs, i, &der, &der_len);
        const unsigned char *p = der;
        X509 *plain = d2i_X509(NULL, &p, (long)der_len);
        assert_non_null(plain);
        EVP_PKEY *key = X509_get0_pubkey(cs.c[i]);
        assert_non_null(key);
        assert_ptr_equal(mse_x509_libctx_of(key), mse_x509_dcap_libctx());
        assert_int_equal(EVP_PKEY_eq(key, X509_get0_pubkey(plain)), 1);
        X509_free(plain);
    }
    /* A key made elsewhere is not dcap's. */
    EVP_PKEY *other = mse_test_key();
    assert_null(mse_x509_libctx_of(other));
    EVP_PKEY_free(other);
    mse_certs_free(&cs);
    free(pem);
}

/* A key dcap does not decode (RSA): decoded in the default context, as before. */
static void test_other_key_type_falls_back(void **state)
{
    (void)state;
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    assert_non_null(rsa);
    X509 *c = mse_test_cert("rsa", rsa, NULL, NULL, 1500000000, 2500000000, true, 3);
    size_t len;
    uint8_t *der = mse_test_cert_der(c, &len);
    X509 *decoded = NULL;
    assert_int_equal(mse_x509_from_der(der, len, &decoded), MSE_OK);
    EVP_PKEY *key = X509_get0_pubkey(decoded);
    assert_non_null(key);
    assert_null(mse_x509_libctx_of(key));
    assert_int_equal(EVP_PKEY_eq(key, rsa), 1);
    assert_int_equal(ERR_peek_error(), 0);
    X509_free(decoded);
    free(der);
    X509_free(c);
    EVP_PKEY_free(rsa);
}

static X509 *decode(X509 *c)
{
    size_t len;
    uint8_t *der = mse_test_cert_der(c, &len);
    X509 *decoded = NULL;
    assert_int_equal(mse_x509_from_der(der, len, &decoded), MSE_OK);
    free(der);
    return decoded;
}

/*
 * dcap's decoder takes only a P-256 key with an uncompressed point; a
 * compressed point or another curve is decoded in OpenSSL's default
 * context, to the same key.
 */
static void test_other_ec_forms_fall_back(void **state)
{
    (void)state;
    EVP_PKEY *compressed = mse_test_key();
    assert_int_equal(EVP_PKEY_set_utf8_string_param(
                         compressed, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"),
                     1);
    EVP_PKEY *p384 = EVP_EC_gen("secp384r1");
    assert_non_null(p384);
    EVP_PKEY *keys[] = {compressed, p384};
    for (size_t i = 0; i < 2; i++) {
        X509 *c = mse_test_cert("other form", keys[i], NULL, NULL, 1500000000, 2500000000, true, 4);
        X509 *decoded = decode(c);
        EVP_PKEY *key = X509_get0_pubkey(decoded);
        assert_non_null(key);
        assert_null(mse_x509_libctx_of(key));
        assert_int_equal(EVP_PKEY_eq(key, keys[i]), 1);
        X509_free(decoded);
        X509_free(c);
    }
    /* The usual form is dcap's own. */
    EVP_PKEY *usual = mse_test_key();
    X509 *c = mse_test_cert("usual", usual, NULL, NULL, 1500000000, 2500000000, true, 5);
    X509 *decoded = decode(c);
    assert_ptr_equal(mse_x509_libctx_of(X509_get0_pubkey(decoded)), mse_x509_dcap_libctx());
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(decoded), usual), 1);
    X509_free(decoded);
    X509_free(c);
    EVP_PKEY_free(usual);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(compressed);
}

/*
 * A certificate and a CRL decoded in dcap, issued by a key dcap does not
 * decode (RSA, so the issuer is decoded in OpenSSL's default context): OpenSSL
 * checks a signature in the library context of what is signed (dcap), which
 * has no RSA key manager. The verdicts must still be those of d2i_X509 /
 * d2i_X509_CRL: the chain and the CRL accepted, nothing left on the error queue.
 */
static void test_dcap_item_signed_by_other_key_type(void **state)
{
    (void)state;
    EVP_PKEY *root_key = mse_test_key();
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    EVP_PKEY *leaf_key = mse_test_key();
    assert_non_null(rsa);
    X509 *root = mse_test_cert("root", root_key, NULL, NULL, 1500000000, 2500000000, true, 10);
    X509 *ca = mse_test_cert("rsa ca", rsa, root, root_key, 1500000000, 2500000000, true, 11);
    X509 *leaf = mse_test_cert("leaf", leaf_key, ca, rsa, 1500000000, 2500000000, false, 12);
    X509 *root_d = decode(root), *ca_d = decode(ca), *leaf_d = decode(leaf);
    assert_ptr_equal(mse_x509_libctx_of(X509_get0_pubkey(leaf_d)), mse_x509_dcap_libctx());
    assert_null(mse_x509_libctx_of(X509_get0_pubkey(ca_d)));
    assert_int_equal(mse_x509_chain_verify(leaf_d, ca_d, root_d, 0), MSE_OK);
    X509_CRL *crl = mse_test_crl(ca, rsa, 1500000000, 2500000000, NULL, 0);
    size_t len;
    uint8_t *der = mse_test_crl_der(crl, &len);
    X509_CRL *crl_d = NULL;
    assert_int_equal(mse_crl_load(der, len, &crl_d), MSE_OK);
    assert_int_equal(mse_crl_check_issuer(crl_d, ca_d), MSE_OK);
    assert_int_equal(ERR_peek_error(), 0);
    X509_CRL_free(crl_d);
    free(der);
    X509_CRL_free(crl);
    X509_free(leaf_d);
    X509_free(ca_d);
    X509_free(root_d);
    X509_free(leaf);
    X509_free(ca);
    X509_free(root);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(root_key);
}

/* A point off the curve gives no key in either context: the certificate cannot verify anything. */
static void test_point_off_curve_gives_no_key(void **state)
{
    (void)state;
    static const uint8_t p256_spki[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                        0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                        0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
    EVP_PKEY *k = mse_test_key();
    X509 *c = mse_test_cert("off curve", k, NULL, NULL, 1500000000, 2500000000, true, 6);
    size_t len;
    uint8_t *der = mse_test_cert_der(c, &len);
    uint8_t *at = memmem(der, len, p256_spki, sizeof p256_spki);
    assert_non_null(at);
    at[sizeof p256_spki + 63] ^= 0x01; /* the last byte of Y */
    X509 *decoded = NULL;
    assert_int_equal(mse_x509_from_der(der, len, &decoded), MSE_OK);
    assert_null(X509_get0_pubkey(decoded));
    ERR_clear_error();
    X509_free(decoded);
    free(der);
    X509_free(c);
    EVP_PKEY_free(k);
}

/* The RA-TLS certificate is decoded without its key: ratls.c builds it. */
static void test_keyless_leaves_key_undecoded(void **state)
{
    (void)state;
    size_t len;
    uint8_t *der = mse_test_data("real/mse-ratls-cert.der", &len);
    X509 *x = NULL;
    assert_int_equal(mse_ratls_load(der, len, NULL, &x), MSE_OK);
    assert_null(X509_get0_pubkey(x));
    ERR_clear_error();
    X509_free(x);
    free(der);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_use_from_threads),
        cmocka_unit_test(test_contexts_and_shared_root),
        cmocka_unit_test(test_dcap_key_is_default_key),
        cmocka_unit_test(test_other_key_type_falls_back),
        cmocka_unit_test(test_other_ec_forms_fall_back),
        cmocka_unit_test(test_point_off_curve_gives_no_key),
        cmocka_unit_test(test_dcap_item_signed_by_other_key_type),
        cmocka_unit_test(test_keyless_leaves_key_undecoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* RA-TLS extraction and key binding: the real MSE certificate, then synthetic certificates for
 * every carrier, binding form and refusal. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/quote.h>
#include <mse/ratls.h>

#include "dcap.h"
#include "testlib.h"

/* The OID Gramine's mbedTLS writer really emits for the SGX quote (see src/core/ratls.c). */
#define GRAMINE_LEGACY_OID "0.6.9.42.840.113741.1337.6"

static uint8_t quote_buf[MSE_QUOTE_MAX_SIZE + 4096];

static void sha256(const uint8_t *d, size_t n, uint8_t out[32])
{
    assert_int_equal(EVP_Digest(d, n, out, NULL, EVP_sha256(), NULL), 1);
}

static EVP_PKEY *new_key(const char *curve)
{
    EVP_PKEY *k = EVP_EC_gen(curve);
    assert_non_null(k);
    return k;
}

static void add_ext(X509 *x, const char *oid, const uint8_t *value, size_t len)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    assert_int_equal(ASN1_OCTET_STRING_set(os, value, (int)len), 1);
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
}

/* The unsigned skeleton every test certificate shares: CN=localhost, self-issued, 1 h, key. */
static X509 *cert_for(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    return x;
}

/* A self-signed certificate for key (signed by signer) with up to two extensions. */
static uint8_t *make_cert(EVP_PKEY *key, EVP_PKEY *signer, const char *oid1, const uint8_t *v1,
                          size_t l1, const char *oid2, const uint8_t *v2, size_t l2, size_t *len)
{
    X509 *x = cert_for(key);
    if (oid1)
        add_ext(x, oid1, v1, l1);
    if (oid2)
        add_ext(x, oid2, v2, l2);
    /* Ed25519 signs the message itself: no separate digest. */
    const EVP_MD *md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
    assert_true(X509_sign(x, signer, md) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    X509_free(x);
    *len = (size_t)n;
    uint8_t *copy = malloc((size_t)n);
    memcpy(copy, der, (size_t)n);
    OPENSSL_free(der);
    return copy;
}

static void mse_report_data(EVP_PKEY *key, uint8_t rd[64])
{
    uint8_t point[65];
    size_t plen = 0;
    assert_int_equal(EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", point, 65, &plen), 1);
    sha256(point, plen, rd);
    memset(rd + 32, 0x5a, 32);
}

static void spki_hash(EVP_PKEY *key, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key, &der);
    sha256(der, (size_t)n, out);
    OPENSSL_free(der);
}

static void test_real_mse_certificate(void **state)
{
    size_t len;
    uint8_t *der = mse_test_data("real/mse-ratls-cert.der", &len);
    size_t qlen;
    uint8_t *expected_quote = mse_test_data("real/mse-quote.dat", &qlen);
    struct mse_ratls r;
    struct mse_quote q;
    enum mse_binding form;
    uint8_t x25519[32];

    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_SGX_QUOTE_OID);
    assert_int_equal(r.quote_len, qlen);
    assert_memory_equal(r.quote, expected_quote, qlen);
    assert_int_equal(mse_quote_parse(r.quote, r.quote_len, &q), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, q.body.report_data, &form, x25519),
                     MSE_OK);
    assert_int_equal(form, MSE_BINDING_MSE);
    assert_memory_equal(x25519, q.body.report_data + 32, 32);

    /* One flipped REPORTDATA bit breaks the binding. */
    uint8_t rd[64];
    memcpy(rd, q.body.report_data, 64);
    rd[5] ^= 1;
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                     MSE_ERR_BINDING_MISMATCH);
    assert_int_equal(form, MSE_BINDING_NONE);

    /* A flipped byte inside the signed part breaks the self-signature (or the parse). */
    uint8_t *bad = malloc(len);
    memcpy(bad, der, len);
    bad[200] ^= 0x01;
    mse_err err = mse_ratls_check_binding(bad, len, &r, q.body.report_data, &form, NULL);
    assert_true(err == MSE_ERR_CERT_SIGNATURE || err == MSE_ERR_CERT_PARSE);
    free(bad);
    free(expected_quote);
    free(der);
}

/* From the evidence bundle as MSE wrote it to the enclave's identity, through this module. */
static void test_real_evidence_certificate(void **state)
{
    size_t jlen, dlen;
    uint8_t *json = mse_test_data("real/mse-home-evidence.json", &jlen);
    uint8_t *der_file = mse_test_data("real/mse-ratls-cert.der", &dlen);
    static uint8_t store[1 << 20];
    struct mse_evidence ev;
    struct mse_ratls r;
    struct mse_quote q;
    enum mse_binding form;
    uint8_t x25519[32] = {0xff};
    char hex[65];
    assert_int_equal(mse_evidence_parse(json, jlen, store, sizeof store, &ev), MSE_OK);
    assert_int_equal(ev.ratls_cert.len, dlen);
    assert_memory_equal(ev.ratls_cert.data, der_file, dlen);
    assert_int_equal(mse_ratls_extract(ev.ratls_cert.data, ev.ratls_cert.len, quote_buf,
                                       sizeof quote_buf, &r),
                     MSE_OK);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_SGX_QUOTE_OID);
    assert_false(r.legacy_quote_ignored);
    assert_null(r.claims);
    assert_int_equal(r.quote_len, 4734);
    assert_int_equal(mse_quote_parse(r.quote, r.quote_len, &q), MSE_OK);
    mse_hex_encode(q.body.mr_enclave, 32, hex);
    assert_string_equal(hex, "0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b");
    mse_hex_encode(q.body.mr_signer, 32, hex);
    assert_string_equal(hex, "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5");
    assert_false(q.body.attributes_flags & MSE_SGX_FLAGS_DEBUG);
    assert_int_equal(mse_ratls_check_binding(ev.ratls_cert.data, ev.ratls_cert.len, &r,
                                             q.body.report_data, &form, x25519),
                     MSE_OK);
    assert_int_equal(form, MSE_BINDING_MSE);
    /* REPORTDATA[0:32] is SHA-256 of the certificate's uncompressed point; [32:64] is zero. */
    mse_hex_encode(q.body.report_data, 32, hex);
    assert_string_equal(hex, "8d88360ed0eb149b40a220b2a9eb2f2d7de55952fb8b4759edf343a49e8df81c");
    static const uint8_t zero[32];
    assert_memory_equal(x25519, zero, 32);
    free(der_file);
    free(json);
}

static void test_no_quote_and_garbage(void **state)
{
    EVP_PKEY *k = new_key("P-256");
    size_t len;
    uint8_t *der = make_cert(k, k, NULL, NULL, 0, NULL, NULL, 0, &len);
    struct mse_ratls r;
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_NO_QUOTE);
    assert_int_equal(mse_ratls_extract(der, len - 1, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_CERT_PARSE);
    uint8_t garbage[64] = {0x30, 0x82, 0xff, 0xff};
    assert_int_equal(mse_ratls_extract(garbage, sizeof garbage, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_CERT_PARSE);
    free(der);
    EVP_PKEY_free(k);
}

/* The real MSE quote with REPORTDATA replaced (test code: fixed offsets of the v3 layout). */
#define OFF_REPORT_DATA (48 + 320)
static uint8_t *real_quote_with_rd(const uint8_t rd32[32], size_t *len)
{
    uint8_t *q = mse_test_data("real/mse-quote.dat", len);
    memcpy(q + OFF_REPORT_DATA, rd32, 32);
    memset(q + OFF_REPORT_DATA + 32, 0, 32);
    return q;
}

static void test_one_carrier_twice_refused(void **state)
{
    EVP_PKEY *k = new_key("P-256");
    uint8_t blob[16] = {3};
    size_t len;
    struct mse_ratls r;
    uint8_t *der = make_cert(k, k, MSE_OID_SGX_QUOTE, blob, sizeof blob, MSE_OID_SGX_QUOTE, blob,
                             sizeof blob, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_MULTIPLE);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_NONE);
    free(der);
    /* The proper OID and Gramine's encoding of it are one carrier. */
    der = make_cert(k, k, MSE_OID_SGX_QUOTE, blob, sizeof blob, GRAMINE_LEGACY_OID, blob,
                    sizeof blob, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_MULTIPLE);
    free(der);
    der = make_cert(k, k, MSE_OID_DICE_TAGGED_EVIDENCE, blob, sizeof blob,
                    MSE_OID_DICE_TAGGED_EVIDENCE, blob, sizeof blob, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_MULTIPLE);
    free(der);
    EVP_PKEY_free(k);
}

/* Gramine's writer emits the SGX quote OID with its DER tag and length inside the content. */
static void test_gramine_legacy_oid(void **state)
{
    EVP_PKEY *k = new_key("P-384");
    uint8_t rd[64] = {0};
    size_t qlen, len;
    struct mse_ratls r;
    struct mse_quote q;
    enum mse_binding form;
    spki_hash(k, rd);
    uint8_t *quote = real_quote_with_rd(rd, &qlen);
    uint8_t *der = make_cert(k, k, GRAMINE_LEGACY_OID, quote, qlen, NULL, NULL, 0, &len);
    /* Check the encoding really is the one Gramine produces: 06 0B 06 09 2A 86 48 ... */
    static const uint8_t enc[] = {0x06, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                  0x86, 0xf8, 0x4d, 0x8a, 0x39, 0x06};
    assert_non_null(memmem(der, len, enc, sizeof enc));
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_SGX_QUOTE_OID);
    assert_int_equal(r.quote_len, qlen);
    assert_int_equal(mse_quote_parse(r.quote, r.quote_len, &q), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, q.body.report_data, &form, NULL),
                     MSE_OK);
    assert_int_equal(form, MSE_BINDING_GRAMINE);
    free(der);
    free(quote);
    EVP_PKEY_free(k);
}

/* A genuine quote pasted into a certificate for another key: the attack the binding stops. */
static void test_real_quote_in_attacker_cert(void **state)
{
    size_t qlen, len;
    uint8_t *quote = mse_test_data("real/mse-quote.dat", &qlen);
    struct mse_ratls r;
    struct mse_quote q;
    enum mse_binding form = MSE_BINDING_MSE;
    const char *curves[] = {"P-256", "P-384"};
    for (size_t i = 0; i < 2; i++) {
        EVP_PKEY *k = new_key(curves[i]);
        uint8_t *der = make_cert(k, k, MSE_OID_SGX_QUOTE, quote, qlen, NULL, NULL, 0, &len);
        assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
        assert_int_equal(mse_quote_parse(r.quote, r.quote_len, &q), MSE_OK);
        assert_int_equal(mse_ratls_check_binding(der, len, &r, q.body.report_data, &form, NULL),
                         MSE_ERR_BINDING_MISMATCH);
        assert_int_equal(form, MSE_BINDING_NONE);
        free(der);
        EVP_PKEY_free(k);
    }
    free(quote);
}

static void test_other_key_types_refused(void **state)
{
    EVP_PKEY *keys[] = {new_key("P-521"), new_key("secp256k1"), EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")};
    uint8_t blob[8] = {3, 0, 2, 0};
    uint8_t rd[64] = {0};
    size_t len;
    struct mse_ratls r;
    enum mse_binding form;
    for (size_t i = 0; i < 3; i++) {
        assert_non_null(keys[i]);
        uint8_t *der = make_cert(keys[i], keys[i], MSE_OID_SGX_QUOTE, blob, sizeof blob, NULL,
                                 NULL, 0, &len);
        assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
        /* Even a REPORTDATA that hashes the SPKI does not make it an RA-TLS key. */
        spki_hash(keys[i], rd);
        assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                         MSE_ERR_RATLS_KEY_TYPE);
        free(der);
        EVP_PKEY_free(keys[i]);
    }
}

/*
 * The key is read from the SubjectPublicKeyInfo (RFC 5480): a P-256 point
 * sent compressed binds as the same uncompressed point; explicit curve
 * parameters (RFC 5480 2.1.1: not in certificates) are refused as a key type,
 * even for P-256's own parameters.
 */
static void test_key_encodings(void **state)
{
    uint8_t blob[8] = {3, 0, 2, 0};
    uint8_t rd[64];
    size_t len;
    struct mse_ratls r;
    enum mse_binding form;
    EVP_PKEY *k = new_key("P-256");
    mse_report_data(k, rd); /* SHA-256 of the uncompressed point */
    assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                    "compressed"),
                     1);
    uint8_t *der = make_cert(k, k, MSE_OID_SGX_QUOTE, blob, sizeof blob, NULL, NULL, 0, &len);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x);
    /* The certificate really carries the compressed form (0x02/0x03 || X). */
    assert_int_equal(ASN1_STRING_length(X509_get0_pubkey_bitstr(x)), 33);
    X509_free(x);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL), MSE_OK);
    assert_int_equal(form, MSE_BINDING_MSE);
    free(der);

    assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING, "explicit"), 1);
    der = make_cert(k, k, MSE_OID_SGX_QUOTE, blob, sizeof blob, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                     MSE_ERR_RATLS_KEY_TYPE);
    assert_int_equal(form, MSE_BINDING_NONE);
    free(der);
    EVP_PKEY_free(k);
}

/*
 * A cert for key k whose SubjectPublicKeyInfo carries `point` (len bytes) on
 * `curve_nid` instead of k's own encoding; signed by k.
 */
static uint8_t *cert_with_point(EVP_PKEY *k, int curve_nid, const uint8_t *point, size_t plen,
                                size_t *len)
{
    uint8_t blob[8] = {3, 0, 2, 0};
    X509 *x = cert_for(k);
    unsigned char *penc = OPENSSL_malloc(plen > 0 ? plen : 1);
    memcpy(penc, point, plen);
    assert_int_equal(X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x),
                                            OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                                            V_ASN1_OBJECT, OBJ_nid2obj(curve_nid), penc,
                                            (int)plen),
                     1);
    add_ext(x, MSE_OID_SGX_QUOTE, blob, sizeof blob);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    X509_free(x);
    uint8_t *copy = malloc((size_t)n);
    memcpy(copy, der, (size_t)n);
    OPENSSL_free(der);
    *len = (size_t)n;
    return copy;
}

/*
 * The binding verdict the public way, and a verifier's way: the certificate
 * decoded in a library context without key decoders (only the null
 * provider), its key built from P-256 domain parameters. Both must agree.
 */
static mse_err binding_both_ways(const uint8_t *der, size_t len, EVP_PKEY *domain,
                                 const uint8_t rd[64], enum mse_binding *form)
{
    struct mse_ratls r;
    enum mse_binding cold_form, warm_form;
    X509 *x = NULL;
    OSSL_LIB_CTX *keyless = OSSL_LIB_CTX_new();
    assert_non_null(keyless);
    OSSL_PROVIDER *null_provider = OSSL_PROVIDER_load(keyless, "null");
    assert_non_null(null_provider);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    mse_err cold = mse_ratls_check_binding(der, len, &r, rd, &cold_form, NULL);
    assert_int_equal(mse_ratls_load(der, len, keyless, &x), MSE_OK);
    assert_null(X509_get0_pubkey(x)); /* really decoded without its key */
    mse_err warm = mse_ratls_check_binding_x509(x, domain, &r, rd, &warm_form, NULL);
    X509_free(x);
    OSSL_PROVIDER_unload(null_provider);
    OSSL_LIB_CTX_free(keyless);
    assert_int_equal(cold, warm);
    assert_int_equal(cold_form, warm_form);
    *form = warm_form;
    return warm;
}

/*
 * A verifier builds P-256 certificate keys from kept domain parameters
 * (mse_ec_p256_domain) instead of from the group name: every encoding of
 * the point gets the same verdict both ways, and a point off the curve, the
 * point at infinity, a hybrid or cut encoding are refused as a key type
 * before the signature is looked at.
 */
static void test_key_from_domain_same_verdicts(void **state)
{
    EVP_PKEY *k = new_key("P-256"), *k384 = new_key("P-384"), *domain = NULL;
    uint8_t rd[64], point[65], pt[65];
    size_t plen = 0, len;
    enum mse_binding form;
    assert_int_equal(mse_ec_p256_domain(&domain), MSE_OK);
    assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                                     sizeof point, &plen),
                     1);
    assert_int_equal(plen, 65);
    mse_report_data(k, rd);

    uint8_t *der = cert_with_point(k, NID_X9_62_prime256v1, point, 65, &len);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_OK);
    assert_int_equal(form, MSE_BINDING_MSE);
    free(der);

    /* Compressed: 0x02 | (y & 1), then x. */
    pt[0] = (uint8_t)(0x02 | (point[64] & 1));
    memcpy(pt + 1, point + 1, 32);
    der = cert_with_point(k, NID_X9_62_prime256v1, pt, 33, &len);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_OK);
    assert_int_equal(form, MSE_BINDING_MSE);
    free(der);

    /* Off the curve: one bit of y. */
    memcpy(pt, point, 65);
    pt[64] ^= 0x01;
    der = cert_with_point(k, NID_X9_62_prime256v1, pt, 65, &len);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_ERR_RATLS_KEY_TYPE);
    assert_int_equal(form, MSE_BINDING_NONE);
    free(der);

    /*
     * The point at infinity (a lone zero octet), the hybrid encoding of the
     * right point (0x06/0x07: RFC 5480 2.2 says reject; OpenSSL would take
     * it), a cut point.
     */
    pt[0] = 0x00;
    der = cert_with_point(k, NID_X9_62_prime256v1, pt, 1, &len);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_ERR_RATLS_KEY_TYPE);
    free(der);
    memcpy(pt, point, 65);
    pt[0] = (uint8_t)(0x06 | (point[64] & 1));
    der = cert_with_point(k, NID_X9_62_prime256v1, pt, 65, &len);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_ERR_RATLS_KEY_TYPE);
    free(der);
    der = cert_with_point(k, NID_X9_62_prime256v1, point, 64, &len);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_ERR_RATLS_KEY_TYPE);
    free(der);

    /* Another valid point than the signer's: the self-signature fails. */
    EVP_PKEY *other = new_key("P-256");
    assert_int_equal(EVP_PKEY_get_octet_string_param(other, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                     pt, sizeof pt, &plen),
                     1);
    der = cert_with_point(k, NID_X9_62_prime256v1, pt, 65, &len);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_ERR_CERT_SIGNATURE);
    free(der);
    EVP_PKEY_free(other);

    /* The certificate's own signature altered (its last byte: the end of s). */
    der = cert_with_point(k, NID_X9_62_prime256v1, point, 65, &len);
    der[len - 1] ^= 0x01;
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_ERR_CERT_SIGNATURE);
    free(der);

    /* A P-384 point named as P-256 is not a P-256 point. */
    uint8_t p384[97];
    assert_int_equal(EVP_PKEY_get_octet_string_param(k384, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                     p384, sizeof p384, &plen),
                     1);
    der = cert_with_point(k, NID_X9_62_prime256v1, p384, plen, &len);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_ERR_RATLS_KEY_TYPE);
    free(der);
    /* P-384 keys are built as before, domain or not (Gramine form: SHA-256 of the SPKI). */
    der = make_cert(k384, k384, MSE_OID_SGX_QUOTE, (const uint8_t[8]){3, 0, 2, 0}, 8, NULL, NULL,
                    0, &len);
    memset(rd, 0, sizeof rd);
    spki_hash(k384, rd);
    assert_int_equal(binding_both_ways(der, len, domain, rd, &form), MSE_OK);
    assert_int_equal(form, MSE_BINDING_GRAMINE);
    free(der);

    EVP_PKEY_free(domain);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k384);
}

/* Every proper prefix of the real certificate is refused as unparsable, without a crash. */
static void test_real_cert_truncated_everywhere(void **state)
{
    size_t len;
    uint8_t *der = mse_test_data("real/mse-ratls-cert.der", &len);
    struct mse_ratls r;
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, der, n);
        mse_err err = mse_ratls_extract(copy, n, quote_buf, sizeof quote_buf, &r);
        if (err != MSE_ERR_CERT_PARSE) {
            fprintf(stderr, "prefix %zu: %s\n", n, mse_err_name(err));
            fail();
        }
        free(copy);
    }
    free(der);
}

/* The PEM file of the real certificate is the evidence bundle's, and the DER file its decoding. */
static void test_real_cert_pem_matches_der(void **state)
{
    size_t plen, dlen;
    uint8_t *pem = mse_test_data("real/mse-ratls-cert.pem", &plen);
    uint8_t *der = mse_test_data("real/mse-ratls-cert.der", &dlen);
    BIO *b = BIO_new_mem_buf(pem, (int)plen);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    assert_non_null(x);
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    assert_int_equal((size_t)n, dlen);
    assert_memory_equal(d, der, dlen);
    OPENSSL_free(d);
    X509_free(x);
    BIO_free(b);
    free(pem);
    free(der);
}

static void test_mse_and_gramine_forms(void **state)
{
    EVP_PKEY *k = new_key("P-256"), *other = new_key("P-256");
    uint8_t blob[8] = {3, 0, 2, 0};
    size_t len;
    struct mse_ratls r;
    enum mse_binding form;
    uint8_t rd[64] = {0}, x[32];
    uint8_t *der = make_cert(k, k, MSE_OID_SGX_QUOTE, blob, sizeof blob, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(r.quote_len, sizeof blob);

    mse_report_data(k, rd);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, x), MSE_OK);
    assert_int_equal(form, MSE_BINDING_MSE);
    assert_int_equal(x[0], 0x5a);

    memset(rd, 0, sizeof rd);
    spki_hash(k, rd);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL), MSE_OK);
    assert_int_equal(form, MSE_BINDING_GRAMINE);

    /* REPORTDATA of another key: a quote copied into an attacker's certificate. */
    mse_report_data(other, rd);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                     MSE_ERR_BINDING_MISMATCH);
    free(der);

    /* Signed by another key than the one it carries. */
    mse_report_data(k, rd);
    der = make_cert(k, other, MSE_OID_SGX_QUOTE, blob, sizeof blob, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                     MSE_ERR_CERT_SIGNATURE);
    free(der);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

static void test_rsa_key_refused(void **state)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    uint8_t blob[8] = {3, 0, 2, 0};
    uint8_t rd[64] = {0};
    size_t len;
    struct mse_ratls r;
    enum mse_binding form;
    uint8_t *der = make_cert(k, k, MSE_OID_SGX_QUOTE, blob, sizeof blob, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                     MSE_ERR_RATLS_KEY_TYPE);
    free(der);
    EVP_PKEY_free(k);
}

/* Serialize a CBOR item into a malloc'd buffer. */
static uint8_t *cbor_bytes(cbor_item_t *item, size_t *len)
{
    unsigned char *buf = NULL;
    size_t cap = 0;
    *len = cbor_serialize_alloc(item, &buf, &cap);
    assert_true(*len > 0);
    return buf;
}

/* Gramine's DICE evidence: tag 60000 [quote, claims{"pubkey-hash": [1, sha256(spki)]}]. */
static uint8_t *dice_evidence(EVP_PKEY *key, uint64_t alg, const uint8_t *quote, size_t qlen,
                              uint8_t claims_hash[32], size_t *len)
{
    uint8_t h[32];
    size_t entry_len, claims_len;
    spki_hash(key, h);
    cbor_item_t *entry = cbor_new_definite_array(2);
    assert_true(cbor_array_push(entry, cbor_move(cbor_build_uint8((uint8_t)alg))));
    assert_true(cbor_array_push(entry, cbor_move(cbor_build_bytestring(h, 32))));
    uint8_t *entry_bytes = cbor_bytes(entry, &entry_len);
    cbor_item_t *claims = cbor_new_definite_map(2);
    assert_true(cbor_map_add(claims, (struct cbor_pair){cbor_move(cbor_build_string("nonce")),
                                                        cbor_move(cbor_build_uint8(7))}));
    assert_true(cbor_map_add(
        claims, (struct cbor_pair){cbor_move(cbor_build_string("pubkey-hash")),
                                   cbor_move(cbor_build_bytestring(entry_bytes, entry_len))}));
    uint8_t *claims_bytes = cbor_bytes(claims, &claims_len);
    sha256(claims_bytes, claims_len, claims_hash);
    cbor_item_t *arr = cbor_new_definite_array(2);
    assert_true(cbor_array_push(arr, cbor_move(cbor_build_bytestring(quote, qlen))));
    assert_true(cbor_array_push(arr, cbor_move(cbor_build_bytestring(claims_bytes, claims_len))));
    cbor_item_t *tag = cbor_new_tag(60000);
    cbor_tag_set_item(tag, arr);
    uint8_t *out = cbor_bytes(tag, len);
    cbor_decref(&arr);
    cbor_decref(&tag);
    cbor_decref(&claims);
    cbor_decref(&entry);
    free(entry_bytes);
    free(claims_bytes);
    return out;
}

static void test_dice_form(void **state)
{
    EVP_PKEY *k = new_key("P-384"), *other = new_key("P-384");
    uint8_t quote[8] = {3, 0, 2, 0, 9, 9, 9, 9};
    uint8_t rd[64] = {0};
    size_t ev_len, len;
    struct mse_ratls r;
    enum mse_binding form;
    uint8_t *ev = dice_evidence(k, 1, quote, sizeof quote, rd, &ev_len);
    uint8_t *der =
        make_cert(k, k, MSE_OID_DICE_TAGGED_EVIDENCE, ev, ev_len, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_DICE);
    assert_int_equal(r.quote_len, sizeof quote);
    assert_memory_equal(r.quote, quote, sizeof quote);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL), MSE_OK);
    assert_int_equal(form, MSE_BINDING_DICE);
    rd[0] ^= 1; /* REPORTDATA does not hash the claims */
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                     MSE_ERR_BINDING_MISMATCH);
    free(der);
    free(ev);

    /* Claims hashing another key. */
    ev = dice_evidence(other, 1, quote, sizeof quote, rd, &ev_len);
    der = make_cert(k, k, MSE_OID_DICE_TAGGED_EVIDENCE, ev, ev_len, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                     MSE_ERR_BINDING_MISMATCH);
    free(der);
    free(ev);

    /* Unknown hash algorithm. */
    ev = dice_evidence(k, 99, quote, sizeof quote, rd, &ev_len);
    der = make_cert(k, k, MSE_OID_DICE_TAGGED_EVIDENCE, ev, ev_len, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                     MSE_ERR_RATLS_DICE_FORMAT);
    free(der);

    /* Wrong tag, truncated CBOR, trailing byte. */
    uint8_t *bad = malloc(ev_len + 1);
    memcpy(bad, ev, ev_len);
    bad[ev_len] = 0;
    der = make_cert(k, k, MSE_OID_DICE_TAGGED_EVIDENCE, bad, ev_len + 1, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_DICE_FORMAT);
    free(der);
    der = make_cert(k, k, MSE_OID_DICE_TAGGED_EVIDENCE, bad, ev_len - 3, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_DICE_FORMAT);
    free(der);
    bad[2] ^= 0x01; /* tag 60000 = 0xd9 0xea 0x60: now 0xea 0x61 */
    der = make_cert(k, k, MSE_OID_DICE_TAGGED_EVIDENCE, bad, ev_len, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_DICE_FORMAT);
    free(der);
    free(bad);
    free(ev);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

/* Tag 60000 [quote, claims] around given bytes. */
static uint8_t *dice_wrap(const uint8_t *quote, size_t qlen, const uint8_t *claims, size_t clen,
                          size_t *len)
{
    cbor_item_t *arr = cbor_new_definite_array(2);
    assert_true(cbor_array_push(arr, cbor_move(cbor_build_bytestring(quote, qlen))));
    assert_true(cbor_array_push(arr, cbor_move(cbor_build_bytestring(claims, clen))));
    cbor_item_t *tag = cbor_new_tag(60000);
    cbor_tag_set_item(tag, arr);
    uint8_t *out = cbor_bytes(tag, len);
    cbor_decref(&arr);
    cbor_decref(&tag);
    return out;
}

enum claims_variant { CLAIMS_OK, CLAIMS_NO_PUBKEY_HASH, CLAIMS_PUBKEY_HASH_TWICE, CLAIMS_INT_KEY };

/* Gramine's claims map {"pubkey-hash": bstr([1, sha256(spki)])}, or a broken variant. */
static uint8_t *claims_bytes(EVP_PKEY *key, enum claims_variant v, size_t *len)
{
    uint8_t h[32];
    size_t entry_len;
    spki_hash(key, h);
    cbor_item_t *entry = cbor_new_definite_array(2);
    assert_true(cbor_array_push(entry, cbor_move(cbor_build_uint8(1))));
    assert_true(cbor_array_push(entry, cbor_move(cbor_build_bytestring(h, 32))));
    uint8_t *entry_bytes = cbor_bytes(entry, &entry_len);
    cbor_item_t *claims = cbor_new_definite_map(2);
    cbor_item_t *k1 = v == CLAIMS_NO_PUBKEY_HASH ? cbor_build_string("nonce")
                      : v == CLAIMS_INT_KEY      ? cbor_build_uint8(1)
                                                 : cbor_build_string("pubkey-hash");
    assert_true(cbor_map_add(claims, (struct cbor_pair){
                                         cbor_move(k1),
                                         cbor_move(cbor_build_bytestring(entry_bytes, entry_len))}));
    if (v == CLAIMS_PUBKEY_HASH_TWICE)
        assert_true(cbor_map_add(
            claims, (struct cbor_pair){cbor_move(cbor_build_string("pubkey-hash")),
                                       cbor_move(cbor_build_bytestring(entry_bytes, entry_len))}));
    uint8_t *out = cbor_bytes(claims, len);
    cbor_decref(&claims);
    cbor_decref(&entry);
    free(entry_bytes);
    return out;
}

static void test_dice_claims_refused(void **state)
{
    EVP_PKEY *k = new_key("P-384");
    uint8_t quote[8] = {3, 0, 2, 0, 9, 9, 9, 9};
    enum claims_variant variants[] = {CLAIMS_NO_PUBKEY_HASH, CLAIMS_PUBKEY_HASH_TWICE,
                                      CLAIMS_INT_KEY};
    for (size_t i = 0; i < 3; i++) {
        size_t clen, ev_len, len;
        struct mse_ratls r;
        enum mse_binding form;
        uint8_t rd[64] = {0};
        uint8_t *claims = claims_bytes(k, variants[i], &clen);
        sha256(claims, clen, rd); /* REPORTDATA does hash these claims */
        uint8_t *ev = dice_wrap(quote, sizeof quote, claims, clen, &ev_len);
        uint8_t *der =
            make_cert(k, k, MSE_OID_DICE_TAGGED_EVIDENCE, ev, ev_len, NULL, NULL, 0, &len);
        assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
        assert_int_equal(mse_ratls_check_binding(der, len, &r, rd, &form, NULL),
                         MSE_ERR_RATLS_DICE_FORMAT);
        free(der);
        free(ev);
        free(claims);
    }
    EVP_PKEY_free(k);
}

/*
 * What Gramine >= 1.8 emits: a P-384 key, the SGX quote under Gramine's OID
 * encoding (RD = SHA-256(SPKI)) and DICE evidence with a second quote of the
 * same enclave (RD = SHA-256(claims)). Both made here from the real quote.
 */
static uint8_t *gramine_cert(EVP_PKEY *k, bool tamper_dice_mrenclave, bool garbage_legacy,
                             size_t *len)
{
    uint8_t rd[32];
    size_t qlen, q2len, clen, ev_len;
    spki_hash(k, rd);
    uint8_t *legacy = real_quote_with_rd(rd, &qlen);
    uint8_t *claims = claims_bytes(k, CLAIMS_OK, &clen);
    sha256(claims, clen, rd);
    uint8_t *dice_quote = real_quote_with_rd(rd, &q2len);
    if (tamper_dice_mrenclave)
        dice_quote[48 + 64] ^= 0x01; /* first MRENCLAVE byte */
    if (garbage_legacy)
        legacy[0] = 4; /* version 4: not a quote mse parses */
    uint8_t *ev = dice_wrap(dice_quote, q2len, claims, clen, &ev_len);
    uint8_t *der = make_cert(k, k, GRAMINE_LEGACY_OID, legacy, qlen, MSE_OID_DICE_TAGGED_EVIDENCE,
                             ev, ev_len, len);
    free(ev);
    free(dice_quote);
    free(claims);
    free(legacy);
    return der;
}

static void test_gramine_two_carriers(void **state)
{
    EVP_PKEY *k = new_key("P-384");
    size_t len;
    struct mse_ratls r;
    struct mse_quote q;
    enum mse_binding form;
    uint8_t *der = gramine_cert(k, false, false, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_DICE);
    assert_true(r.legacy_quote_ignored);
    assert_non_null(r.claims);
    assert_int_equal(mse_quote_parse(r.quote, r.quote_len, &q), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, q.body.report_data, &form, NULL),
                     MSE_OK);
    assert_int_equal(form, MSE_BINDING_DICE);
    free(der);

    /* The two quotes show different enclaves: refused, whichever a tool would pick. */
    der = gramine_cert(k, true, false, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_MULTIPLE);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_NONE);
    free(der);
    der = gramine_cert(k, false, true, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_MULTIPLE);
    free(der);
    EVP_PKEY_free(k);
}

/* A Gramine-shaped certificate made by the openssl command and hand-written CBOR (see
 * tests/data/synthetic/README.md): an encoder other than libcbor and OpenSSL's C API. */
static void test_gramine_shaped_file(void **state)
{
    size_t len;
    uint8_t *der = mse_test_data("synthetic/gramine-ratls-cert.der", &len);
    struct mse_ratls r;
    struct mse_quote q;
    enum mse_binding form;
    uint8_t x25519[32] = {1};
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_DICE);
    assert_true(r.legacy_quote_ignored);
    assert_int_equal(r.quote_len, 4734);
    assert_int_equal(mse_quote_parse(r.quote, r.quote_len, &q), MSE_OK);
    assert_int_equal(mse_ratls_check_binding(der, len, &r, q.body.report_data, &form, x25519),
                     MSE_OK);
    assert_int_equal(form, MSE_BINDING_DICE);
    assert_int_equal(x25519[0], 1); /* untouched: only the MSE form carries an X25519 key */
    /* The claims bytes themselves are what REPORTDATA hashes: one byte changed, refused. */
    uint8_t claims[256];
    assert_true(r.claims_len <= sizeof claims);
    memcpy(claims, r.claims, r.claims_len);
    claims[r.claims_len - 1] ^= 1;
    struct mse_ratls r2 = r;
    r2.claims = claims;
    assert_int_equal(mse_ratls_check_binding(der, len, &r2, q.body.report_data, &form, NULL),
                     MSE_ERR_BINDING_MISMATCH);
    free(der);
}

static void test_small_buffer(void **state)
{
    size_t len;
    uint8_t *der = mse_test_data("real/mse-ratls-cert.der", &len);
    struct mse_ratls r;
    uint8_t small[100];
    assert_int_equal(mse_ratls_extract(der, len, small, sizeof small, &r),
                     MSE_ERR_BUFFER_TOO_SMALL);
    free(der);

    /* An SGX quote extension over the quote size limit is refused before any copy. */
    EVP_PKEY *k = new_key("P-256");
    uint8_t *big = calloc(1, MSE_QUOTE_MAX_SIZE + 1);
    der = make_cert(k, k, MSE_OID_SGX_QUOTE, big, MSE_QUOTE_MAX_SIZE + 1, NULL, NULL, 0, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_ERR_LIMIT);
    der = (free(der), make_cert(k, k, MSE_OID_SGX_QUOTE, big, MSE_QUOTE_MAX_SIZE, NULL, NULL, 0,
                                &len));
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r), MSE_OK);
    assert_int_equal(r.quote_len, MSE_QUOTE_MAX_SIZE);
    free(der);
    free(big);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_mse_certificate),
        cmocka_unit_test(test_real_evidence_certificate),
        cmocka_unit_test(test_no_quote_and_garbage),
        cmocka_unit_test(test_one_carrier_twice_refused),
        cmocka_unit_test(test_gramine_legacy_oid),
        cmocka_unit_test(test_real_quote_in_attacker_cert),
        cmocka_unit_test(test_other_key_types_refused),
        cmocka_unit_test(test_key_encodings),
        cmocka_unit_test(test_key_from_domain_same_verdicts),
        cmocka_unit_test(test_real_cert_truncated_everywhere),
        cmocka_unit_test(test_real_cert_pem_matches_der),
        cmocka_unit_test(test_mse_and_gramine_forms),
        cmocka_unit_test(test_rsa_key_refused),
        cmocka_unit_test(test_dice_form),
        cmocka_unit_test(test_dice_claims_refused),
        cmocka_unit_test(test_gramine_two_carriers),
        cmocka_unit_test(test_gramine_shaped_file),
        cmocka_unit_test(test_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

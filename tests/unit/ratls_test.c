/* RA-TLS extraction and key binding: the real MSE certificate, then synthetic certificates for
 * every carrier, binding form and refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/quote.h>
#include <mse/ratls.h>

#include "testlib.h"

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

/* A self-signed certificate for key (signed by signer) with up to two extensions. */
static uint8_t *make_cert(EVP_PKEY *key, EVP_PKEY *signer, const char *oid1, const uint8_t *v1,
                          size_t l1, const char *oid2, const uint8_t *v2, size_t l2, size_t *len)
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
    if (oid1)
        add_ext(x, oid1, v1, l1);
    if (oid2)
        add_ext(x, oid2, v2, l2);
    assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
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

static void test_multiple_carriers_refused(void **state)
{
    EVP_PKEY *k = new_key("P-256");
    uint8_t blob[16] = {3};
    size_t len;
    struct mse_ratls r;
    uint8_t *der = make_cert(k, k, MSE_OID_SGX_QUOTE, blob, sizeof blob, MSE_OID_SGX_QUOTE, blob,
                             sizeof blob, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_MULTIPLE);
    free(der);
    der = make_cert(k, k, MSE_OID_SGX_QUOTE, blob, sizeof blob, MSE_OID_DICE_TAGGED_EVIDENCE, blob,
                    sizeof blob, &len);
    assert_int_equal(mse_ratls_extract(der, len, quote_buf, sizeof quote_buf, &r),
                     MSE_ERR_RATLS_MULTIPLE);
    free(der);
    EVP_PKEY_free(k);
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

static void test_small_buffer(void **state)
{
    size_t len;
    uint8_t *der = mse_test_data("real/mse-ratls-cert.der", &len);
    struct mse_ratls r;
    uint8_t small[100];
    assert_int_equal(mse_ratls_extract(der, len, small, sizeof small, &r),
                     MSE_ERR_BUFFER_TOO_SMALL);
    free(der);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_mse_certificate),
        cmocka_unit_test(test_no_quote_and_garbage),
        cmocka_unit_test(test_multiple_carriers_refused),
        cmocka_unit_test(test_mse_and_gramine_forms),
        cmocka_unit_test(test_rsa_key_refused),
        cmocka_unit_test(test_dice_form),
        cmocka_unit_test(test_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

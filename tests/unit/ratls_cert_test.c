/*
 * RA-TLS certificate creation: the certificate's fields and extensions, the
 * REPORTDATA binding, the strict RFC 4514 subject parser and the SAN kinds.
 * A fake quote provider returns a fixed-size blob carrying the report data at
 * the quote's REPORTDATA offset (48-byte header + 320 into the report body).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <mse/ratls.h>

#include "attester/attester.h"
#include "testlib.h"

#define FAKE_QUOTE_LEN 1200
#define RD_OFFSET (48 + 320)

struct fake {
    int calls;
    uint8_t last_rd[64];
    mse_err fail;
};

static mse_err fake_get_quote(void *ctx, const uint8_t rd[64], uint8_t **quote, size_t *len)
{
    struct fake *f = ctx;
    f->calls++;
    memcpy(f->last_rd, rd, 64);
    if (f->fail != MSE_OK)
        return f->fail;
    uint8_t *q = malloc(FAKE_QUOTE_LEN);
    assert_non_null(q);
    for (size_t i = 0; i < FAKE_QUOTE_LEN; i++)
        q[i] = (uint8_t)(i * 7);
    memcpy(q + RD_OFFSET, rd, 64);
    *quote = q;
    *len = FAKE_QUOTE_LEN;
    return MSE_OK;
}

static struct mse_quote_provider fake_provider(struct fake *f)
{
    struct mse_quote_provider qp = {"fake", fake_get_quote, NULL, f};
    return qp;
}

static const struct mse_ratls_params default_params = {
    .subject = "CN=localhost,O=MyApp Company,C=FR,L=Paris,ST=Ile-de-France",
    .san = "localhost",
    .not_before = 1700000000,
    .not_after = 1800000000,
    .x25519_public_key = NULL,
};

static X509 *make(const struct mse_ratls_params *p, EVP_PKEY **key, struct fake *f)
{
    struct mse_quote_provider qp = fake_provider(f);
    X509 *cert = NULL;
    assert_int_equal(mse_ratls_cert_create(&qp, p, key, &cert), MSE_OK);
    assert_non_null(cert);
    return cert;
}

static X509_EXTENSION *ext_by_nid(X509 *c, int nid, int *crit)
{
    int idx = X509_get_ext_by_NID(c, nid, -1);
    assert_true(idx >= 0);
    assert_int_equal(X509_get_ext_by_NID(c, nid, idx), -1); /* exactly once */
    X509_EXTENSION *e = X509_get_ext(c, idx);
    *crit = X509_EXTENSION_get_critical(e);
    return e;
}

static void test_fields(void **state)
{
    struct fake f = {0};
    EVP_PKEY *key = NULL;
    X509 *c = make(&default_params, &key, &f);
    assert_non_null(key);
    assert_int_equal(f.calls, 1);
    assert_int_equal(X509_get_version(c), X509_VERSION_3);

    /* Self-signed with ECDSA-SHA256 by the returned key. */
    assert_int_equal(X509_get_signature_nid(c), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_verify(c, key), 1);
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)), 0);

    /* RFC 4514 order is reversed in DER: ST first, CN last. */
    X509_NAME *n = X509_get_subject_name(c);
    assert_int_equal(X509_NAME_entry_count(n), 5);
    int want[] = {NID_stateOrProvinceName, NID_localityName, NID_countryName,
                  NID_organizationName, NID_commonName};
    for (int i = 0; i < 5; i++)
        assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(n, i))),
                         want[i]);
    char cn[64];
    assert_int_equal(X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof cn), 9);
    assert_string_equal(cn, "localhost");

    /* Serial: 16 bytes, positive. */
    const ASN1_INTEGER *serial = X509_get0_serialNumber(c);
    assert_int_equal(ASN1_STRING_length(serial), 16);
    assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER);

    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(c), 1700000000), 0);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(c), 1800000000), 0);

    int crit;
    ext_by_nid(c, NID_basic_constraints, &crit);
    assert_int_equal(crit, 1);
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(c, NID_basic_constraints, NULL, NULL);
    assert_non_null(bc);
    assert_int_equal(bc->ca, 0);
    BASIC_CONSTRAINTS_free(bc);
    ext_by_nid(c, NID_key_usage, &crit);
    assert_int_equal(crit, 1);
    assert_int_equal(X509_get_key_usage(c), KU_DIGITAL_SIGNATURE);
    ext_by_nid(c, NID_ext_key_usage, &crit);
    assert_int_equal(crit, 0);
    assert_int_equal(X509_get_extended_key_usage(c), XKU_SSL_SERVER);
    ext_by_nid(c, NID_subject_key_identifier, &crit);
    assert_non_null(X509_get0_subject_key_id(c));
    ext_by_nid(c, NID_subject_alt_name, &crit);
    assert_int_equal(crit, 0);
    assert_int_equal(X509_check_host(c, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(c, "example.com", 0, 0, NULL), 0);

    X509_free(c);
    EVP_PKEY_free(key);
}

static void test_quote_extension_and_binding(void **state)
{
    struct fake f = {0};
    EVP_PKEY *key = NULL;
    uint8_t x25519[32];
    for (int i = 0; i < 32; i++)
        x25519[i] = (uint8_t)(0xa0 + i);
    struct mse_ratls_params p = default_params;
    p.x25519_public_key = x25519;
    X509 *c = make(&p, &key, &f);

    /* The extension: OID 1.2.840.113741.1337.6, non-critical, extnValue = raw quote. */
    ASN1_OBJECT *oid = OBJ_txt2obj(MSE_OID_SGX_QUOTE, 1);
    int idx = X509_get_ext_by_OBJ(c, oid, -1);
    assert_true(idx >= 0);
    assert_int_equal(X509_get_ext_by_OBJ(c, oid, idx), -1);
    X509_EXTENSION *e = X509_get_ext(c, idx);
    assert_int_equal(X509_EXTENSION_get_critical(e), 0);
    ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(e);
    assert_int_equal(ASN1_STRING_length(v), FAKE_QUOTE_LEN);
    const uint8_t *q = ASN1_STRING_get0_data(v);
    assert_memory_equal(q + RD_OFFSET, f.last_rd, 64);

    /* REPORTDATA = SHA-256(uncompressed point) || X25519 key. */
    uint8_t point[65], h[32];
    size_t plen = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, 65, &plen),
        1);
    assert_int_equal(plen, 65);
    assert_int_equal(point[0], 0x04);
    SHA256(point, 65, h);
    assert_memory_equal(f.last_rd, h, 32);
    assert_memory_equal(f.last_rd + 32, x25519, 32);
    ASN1_OBJECT_free(oid);
    X509_free(c);

    /* Without an X25519 key the second half is zeros; a given key is reused. */
    memset(&f, 0, sizeof f);
    EVP_PKEY *same = key;
    c = make(&default_params, &same, &f);
    assert_ptr_equal(same, key);
    assert_int_equal(X509_verify(c, key), 1);
    uint8_t zeros[32] = {0};
    assert_memory_equal(f.last_rd, h, 32);
    assert_memory_equal(f.last_rd + 32, zeros, 32);
    X509_free(c);
    EVP_PKEY_free(key);
}

/* Round trip through the verifier's RA-TLS parser: extract and binding check. */
static void test_verifier_round_trip(void **state)
{
    struct fake f = {0};
    EVP_PKEY *key = NULL;
    uint8_t x25519[32];
    for (int i = 0; i < 32; i++)
        x25519[i] = (uint8_t)(0x11 * (i % 15));
    struct mse_ratls_params p = default_params;
    p.x25519_public_key = x25519;
    X509 *c = make(&p, &key, &f);
    unsigned char *der = NULL;
    int der_len = i2d_X509(c, &der);
    assert_true(der_len > 0);
    static uint8_t buf[MSE_QUOTE_MAX_SIZE];
    struct mse_ratls r;
    assert_int_equal(mse_ratls_extract(der, (size_t)der_len, buf, sizeof buf, &r), MSE_OK);
    assert_int_equal(r.carrier, MSE_RATLS_CARRIER_SGX_QUOTE_OID);
    assert_int_equal(r.quote_len, FAKE_QUOTE_LEN);
    enum mse_binding form = MSE_BINDING_NONE;
    uint8_t x_out[32];
    assert_int_equal(mse_ratls_check_binding(der, (size_t)der_len, &r, f.last_rd, &form, x_out),
                     MSE_OK);
    assert_int_equal(form, MSE_BINDING_MSE);
    assert_memory_equal(x_out, x25519, 32);
    /* Another key's report data does not bind this certificate. */
    uint8_t other[64];
    memcpy(other, f.last_rd, 64);
    other[0] ^= 1;
    assert_int_not_equal(mse_ratls_check_binding(der, (size_t)der_len, &r, other, &form, x_out),
                         MSE_OK);
    OPENSSL_free(der);
    X509_free(c);
    EVP_PKEY_free(key);
}

static void test_serials_differ(void **state)
{
    struct fake f = {0};
    EVP_PKEY *k1 = NULL, *k2 = NULL;
    X509 *a = make(&default_params, &k1, &f);
    X509 *b = make(&default_params, &k2, &f);
    assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)),
                         0);
    assert_int_not_equal(EVP_PKEY_eq(k1, k2), 1);
    X509_free(a);
    X509_free(b);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}

static void test_san_ip(void **state)
{
    struct fake f = {0};
    EVP_PKEY *key = NULL;
    struct mse_ratls_params p = default_params;
    p.san = "127.0.0.1";
    X509 *c = make(&p, &key, &f);
    assert_int_equal(X509_check_ip_asc(c, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_host(c, "127.0.0.1", 0, 0, NULL), 0);
    X509_free(c);
    p.san = "::1";
    c = make(&p, &key, &f);
    assert_int_equal(X509_check_ip_asc(c, "::1", 0), 1);
    X509_free(c);
    EVP_PKEY_free(key);
}

static void test_subject_escapes(void **state)
{
    struct fake f = {0};
    EVP_PKEY *key = NULL;
    struct mse_ratls_params p = default_params;
    p.subject = "CN=a\\,b\\+c\\\\d\\3de\\ ,O=x=y+OU=multi\\ ";
    X509 *c = make(&p, &key, &f);
    X509_NAME *n = X509_get_subject_name(c);
    /* Reversed: O and OU (one multi-valued RDN) first, then CN. */
    assert_int_equal(X509_NAME_entry_count(n), 3);
    char buf[64];
    assert_true(X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof buf) > 0);
    assert_string_equal(buf, "a,b+c\\d=e ");
    assert_true(X509_NAME_get_text_by_NID(n, NID_organizationName, buf, sizeof buf) > 0);
    assert_string_equal(buf, "x=y");
    assert_true(X509_NAME_get_text_by_NID(n, NID_organizationalUnitName, buf, sizeof buf) > 0);
    assert_string_equal(buf, "multi ");
    X509_NAME_ENTRY *e0 = X509_NAME_get_entry(n, 0), *e1 = X509_NAME_get_entry(n, 1),
                    *e2 = X509_NAME_get_entry(n, 2);
    assert_int_equal(X509_NAME_ENTRY_set(e0), X509_NAME_ENTRY_set(e1));
    assert_int_not_equal(X509_NAME_ENTRY_set(e1), X509_NAME_ENTRY_set(e2));
    /* UTF-8 multibyte kept as is. */
    p.subject = "CN=\xc3\xa9t\xc3\xa9";
    X509_free(c);
    c = make(&p, &key, &f);
    X509_free(c);
    EVP_PKEY_free(key);
}

static void test_bad_inputs(void **state)
{
    static const char *bad_subjects[] = {
        "",
        "CN",
        "CN=",
        "=x",
        "XX=unknown",
        "CN=a,",
        ",CN=a",
        "CN=a,,O=b",
        "CN=a+",
        "CN= leading",
        "CN=trailing ",
        "CN=#0403616263",
        "CN=a\"b",
        "CN=a;b",
        "CN=a<b",
        "CN=a\\",
        "CN=a\\4",
        "CN=a\\zz",
        "CN=a\\00b",
        "CN=ctl\x01",
        "C=FRA",          /* countryName is exactly two letters */
        "CN=\xff\xfe",    /* not UTF-8 */
        "CN=a;O=b",
    };
    struct fake f = {0};
    struct mse_quote_provider qp = fake_provider(&f);
    for (size_t i = 0; i < sizeof bad_subjects / sizeof bad_subjects[0]; i++) {
        struct mse_ratls_params p = default_params;
        p.subject = bad_subjects[i];
        EVP_PKEY *key = NULL;
        X509 *c = NULL;
        mse_err err = mse_ratls_cert_create(&qp, &p, &key, &c);
        if (err == MSE_OK)
            fail_msg("subject accepted: %s", bad_subjects[i]);
        assert_null(c);
        assert_null(key);
    }
    /* No quote is asked for when the parameters are bad. */
    assert_int_equal(f.calls, 0);

    static const char *bad_sans[] = {"", "a..b", "-a.com", "a-.com", "a b", "*.example.com",
                                     "exa_mple.com", "1.2.3.4.5:80"};
    for (size_t i = 0; i < sizeof bad_sans / sizeof bad_sans[0]; i++) {
        struct mse_ratls_params p = default_params;
        p.san = bad_sans[i];
        EVP_PKEY *key = NULL;
        X509 *c = NULL;
        if (mse_ratls_cert_create(&qp, &p, &key, &c) == MSE_OK)
            fail_msg("SAN accepted: %s", bad_sans[i]);
        assert_null(c);
        EVP_PKEY_free(key);
    }

    struct mse_ratls_params p = default_params;
    p.not_after = p.not_before;
    EVP_PKEY *key = NULL;
    X509 *c = NULL;
    assert_int_equal(mse_ratls_cert_create(&qp, &p, &key, &c), MSE_ERR_ARG);

    /* A provider failure is passed up and nothing is returned. */
    f.fail = MSE_ERR_IO;
    key = NULL;
    assert_int_equal(mse_ratls_cert_create(&qp, &default_params, &key, &c), MSE_ERR_IO);
    assert_null(key);
    assert_null(c);

    /* A caller key that is not P-256 is refused. */
    f.fail = MSE_OK;
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    assert_non_null(p384);
    assert_int_equal(mse_ratls_cert_create(&qp, &default_params, &p384, &c),
                     MSE_ERR_RATLS_KEY_TYPE);
    assert_null(c);
    EVP_PKEY_free(p384);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_quote_extension_and_binding),
        cmocka_unit_test(test_verifier_round_trip),
        cmocka_unit_test(test_serials_differ),
        cmocka_unit_test(test_san_ip),
        cmocka_unit_test(test_subject_escapes),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

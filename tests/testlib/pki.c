/* Test-only PKI helpers (see pki.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>

#include "pki.h"
#include "sim/sim.h"
#include "testlib.h"

EVP_PKEY *pki_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

void pki_sign_raw(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[64])
{
    assert_int_equal(mse_sim_sign_raw(key, msg, len, sig), MSE_OK);
}

void pki_sign_hex(EVP_PKEY *key, const char *text, size_t len, char out[129])
{
    uint8_t sig[64];
    pki_sign_raw(key, text, len, sig);
    mse_hex_encode(sig, 64, out);
}

static X509_NAME *intel_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Intel Corporation",
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "L", MBSTRING_ASC, (const unsigned char *)"Santa Clara", -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(n, "ST", MBSTRING_ASC, (const unsigned char *)"CA", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
    return n;
}

static void add_ext(X509 *c, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, c, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(c, e, -1), 1);
    X509_EXTENSION_free(e);
}

X509 *pki_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t nb,
               int64_t na, bool ca, long serial)
{
    return pki_cert_ext(cn, key, issuer, issuer_key, nb, na, ca, serial, NULL, NULL, 0);
}

X509 *pki_cert_ext(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t nb,
                   int64_t na, bool ca, long serial, const char *ext_oid, const uint8_t *ext_der,
                   size_t ext_len)
{
    X509 *c = X509_new();
    X509_NAME *name = intel_name(cn);
    assert_int_equal(X509_set_version(c, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
    X509_set_subject_name(c, name);
    X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
    X509_NAME_free(name);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(c), (time_t)nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(c), (time_t)na));
    X509_set_pubkey(c, key);
    X509 *iss = issuer ? issuer : c;
    add_ext(c, iss, NID_subject_key_identifier, "hash");
    add_ext(c, iss, NID_authority_key_identifier, "keyid:always");
    if (ca) {
        add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(c, iss, NID_key_usage, "critical,digitalSignature,nonRepudiation");
    }
    if (ext_oid != NULL) {
        ASN1_OBJECT *o = OBJ_txt2obj(ext_oid, 1);
        ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
        assert_int_equal(ASN1_OCTET_STRING_set(v, ext_der, (int)ext_len), 1);
        X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, v);
        assert_non_null(e);
        assert_int_equal(X509_add_ext(c, e, -1), 1);
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(v);
        ASN1_OBJECT_free(o);
    }
    assert_true(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return c;
}

X509_CRL *pki_crl(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
                  const long *revoked, size_t nrevoked)
{
    X509_CRL *crl = X509_CRL_new();
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
    ASN1_TIME *t = ASN1_TIME_new();
    ASN1_TIME_set(t, (time_t)this_update);
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set(t, (time_t)next_update);
    X509_CRL_set1_nextUpdate(crl, t);
    for (size_t i = 0; i < nrevoked; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ASN1_INTEGER_set(s, revoked[i]);
        X509_REVOKED_set_serialNumber(r, s);
        ASN1_TIME_set(t, (time_t)this_update);
        X509_REVOKED_set_revocationDate(r, t);
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(t);
    X509_CRL_sort(crl);
    assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
    return crl;
}

uint8_t *pki_cert_der(X509 *c, size_t *len)
{
    unsigned char *d = NULL;
    int n = i2d_X509(c, &d);
    assert_true(n > 0);
    uint8_t *out = malloc((size_t)n);
    memcpy(out, d, (size_t)n);
    OPENSSL_free(d);
    *len = (size_t)n;
    return out;
}

uint8_t *pki_crl_der(X509_CRL *c, size_t *len)
{
    unsigned char *d = NULL;
    int n = i2d_X509_CRL(c, &d);
    assert_true(n > 0);
    uint8_t *out = malloc((size_t)n);
    memcpy(out, d, (size_t)n);
    OPENSSL_free(d);
    *len = (size_t)n;
    return out;
}

static char *bio_string(BIO *b)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *out = malloc((size_t)n + 1);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    BIO_free(b);
    return out;
}

char *pki_cert_pem(X509 *c)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(b, c), 1);
    return bio_string(b);
}

char *pki_crl_pem(X509_CRL *c)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509_CRL(b, c), 1);
    return bio_string(b);
}

/*
 * The simulator's certificate and CRL maker: one place that shapes every
 * X.509 object of the test PKI (`mse-sim pki init`) and of the unit tests
 * that need a certificate with chosen names, dates, serial or extension.
 * Profile as in Intel's SGX PKI (RFC 5280): subject key identifier always,
 * authority key identifier when issued by another certificate, critical
 * basicConstraints and keyUsage, ECDSA-P256 with SHA-256.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <mse/guard.h>

#include "sim.h"

mse_err mse_sim_key(EVP_PKEY **out)
{
    *out = EVP_EC_gen("P-256");
    MSE_ENSURE(*out != NULL, MSE_ERR_CRYPTO);
    return MSE_OK;
}

/* CN=<cn>, O=<Intel Corporation | MSE Test>, L=Santa Clara, ST=CA, C=US. */
static mse_err name_set(X509_NAME *n, const char *cn, bool intel)
{
    const char *o = intel ? "Intel Corporation" : "MSE Test";
    const char *fields[][2] = {{"CN", cn}, {"O", o}, {"L", "Santa Clara"}, {"ST", "CA"}, {"C", "US"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        MSE_ENSURE(X509_NAME_add_entry_by_txt(n, fields[i][0], MBSTRING_ASC,
                                              (const unsigned char *)fields[i][1], -1, -1, 0) == 1,
                   MSE_ERR_CRYPTO);
    return MSE_OK;
}

static mse_err add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    MSE_ENSURE(e != NULL, MSE_ERR_CRYPTO);
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    MSE_ENSURE(ok == 1, MSE_ERR_CRYPTO);
    return MSE_OK;
}

/* The spec's extra extension, non-critical, value taken as given. */
static mse_err add_raw_ext(X509 *x, const char *oid_text, const uint8_t *der, size_t len)
{
    ASN1_OBJECT *oid = OBJ_txt2obj(oid_text, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    int ok = oid && os && len <= 0x7fffffff && ASN1_OCTET_STRING_set(os, der, (int)len) == 1;
    X509_EXTENSION *e = ok ? X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os) : NULL;
    ok = e && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(oid);
    MSE_ENSURE(ok, MSE_ERR_CRYPTO);
    return MSE_OK;
}

static mse_err add_profile(X509 *x, const struct mse_sim_cert_spec *s)
{
    char bc[64];
    MSE_TRY(add_ext(x, s->issuer, NID_subject_key_identifier, "hash"));
    if (s->issuer)
        MSE_TRY(add_ext(x, s->issuer, NID_authority_key_identifier, "keyid:always"));
    if (!s->ca)
        snprintf(bc, sizeof bc, "critical,CA:FALSE");
    else if (s->path_len < 0)
        snprintf(bc, sizeof bc, "critical,CA:TRUE");
    else
        snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", s->path_len);
    MSE_TRY(add_ext(x, s->issuer, NID_basic_constraints, bc));
    return add_ext(x, s->issuer, NID_key_usage,
                   s->ca ? "critical,keyCertSign,cRLSign"
                         : "critical,digitalSignature,nonRepudiation");
}

mse_err mse_sim_cert_make(const struct mse_sim_cert_spec *s, X509 **out)
{
    mse_err err = MSE_OK;
    X509 *x = X509_new();
    MSE_ENSURE(x != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(s->key && (s->issuer == NULL) == (s->issuer_key == NULL), MSE_ERR_ARG);
    MSE_ENSURE_OUT(X509_set_version(x, 2) == 1 &&
                       ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial) == 1 &&
                       ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) &&
                       ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after),
                   MSE_ERR_CRYPTO);
    MSE_CHECK_OUT(name_set(X509_get_subject_name(x), s->cn, s->intel_names));
    MSE_ENSURE_OUT(X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer)
                                                     : X509_get_subject_name(x)) == 1 &&
                       X509_set_pubkey(x, s->key) == 1,
                   MSE_ERR_CRYPTO);
    MSE_CHECK_OUT(add_profile(x, s));
    if (s->ext_oid)
        MSE_CHECK_OUT(add_raw_ext(x, s->ext_oid, s->ext_der, s->ext_len));
    MSE_ENSURE_OUT(X509_sign(x, s->issuer_key ? s->issuer_key : s->key, EVP_sha256()) > 0,
                   MSE_ERR_CRYPTO);
    *out = x;
    return MSE_OK;
out:
    X509_free(x);
    return err;
}

/* One CRL entry: serial, revoked at `when`. */
static mse_err crl_add_revoked(X509_CRL *crl, long serial, const ASN1_TIME *when)
{
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_INTEGER *s = ASN1_INTEGER_new();
    int ok = r && s && ASN1_INTEGER_set(s, serial) == 1 &&
             X509_REVOKED_set_serialNumber(r, s) == 1 &&
             X509_REVOKED_set_revocationDate(r, (ASN1_TIME *)when) == 1 &&
             X509_CRL_add0_revoked(crl, r) == 1;
    ASN1_INTEGER_free(s);
    if (!ok)
        X509_REVOKED_free(r);
    MSE_ENSURE(ok, MSE_ERR_CRYPTO);
    return MSE_OK;
}

mse_err mse_sim_crl_make(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
                         const long *revoked, size_t nrevoked, X509_CRL **out)
{
    mse_err err = MSE_OK;
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)this_update);
    ASN1_TIME *t2 = ASN1_TIME_set(NULL, (time_t)next_update);
    MSE_ENSURE_OUT(crl && t1 && t2, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(X509_CRL_set_version(crl, 1) == 1 &&
                       X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) == 1 &&
                       X509_CRL_set1_lastUpdate(crl, t1) == 1 &&
                       X509_CRL_set1_nextUpdate(crl, t2) == 1,
                   MSE_ERR_CRYPTO);
    for (size_t i = 0; i < nrevoked; i++)
        MSE_CHECK_OUT(crl_add_revoked(crl, revoked[i], t1));
    X509_CRL_sort(crl);
    MSE_ENSURE_OUT(X509_CRL_sign(crl, key, EVP_sha256()) > 0, MSE_ERR_CRYPTO);
    *out = crl;
    crl = NULL;
out:
    X509_CRL_free(crl);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    return err;
}

/* Copy OpenSSL's DER buffer into one the caller frees with free(). */
static mse_err der_copy(unsigned char *d, int n, uint8_t **der, size_t *len)
{
    MSE_ENSURE(n > 0, MSE_ERR_CRYPTO);
    *der = malloc((size_t)n);
    if (*der)
        memcpy(*der, d, (size_t)n);
    OPENSSL_free(d);
    MSE_ENSURE(*der != NULL, MSE_ERR_NOMEM);
    *len = (size_t)n;
    return MSE_OK;
}

mse_err mse_sim_cert_der(X509 *x, uint8_t **der, size_t *len)
{
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    return der_copy(d, n, der, len);
}

mse_err mse_sim_crl_der(X509_CRL *crl, uint8_t **der, size_t *len)
{
    unsigned char *d = NULL;
    int n = i2d_X509_CRL(crl, &d);
    return der_copy(d, n, der, len);
}

mse_err mse_sim_crl_pem(X509_CRL *crl, char **out)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    if (!b || PEM_write_bio_X509_CRL(b, crl) != 1) {
        BIO_free(b);
        return MSE_ERR_CRYPTO;
    }
    long n = BIO_get_mem_data(b, &pem);
    *out = strndup(pem, (size_t)n);
    BIO_free(b);
    return *out ? MSE_OK : MSE_ERR_NOMEM;
}

mse_err mse_sim_cert_pem(X509 *x, char **out)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    if (!b || PEM_write_bio_X509(b, x) != 1) {
        BIO_free(b);
        return MSE_ERR_CRYPTO;
    }
    long n = BIO_get_mem_data(b, &pem);
    *out = strndup(pem, (size_t)n);
    BIO_free(b);
    return *out ? MSE_OK : MSE_ERR_NOMEM;
}

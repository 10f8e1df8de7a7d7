/*
 * Certificate revocation lists of the Intel SGX PKI (RFC 5280 section 5):
 * the Root CA CRL (revokes PCK CAs and the TCB signing certificate) and the
 * PCK Platform/Processor CA CRL (revokes PCK leaf certificates).
 *
 * Encodings are sniffed from the bytes, never from a Content-Type: the PCS
 * returns DER, PCCS by default the lowercase hex text of the DER, evidence
 * bundles carry PEM. Each is parsed strictly (every byte consumed).
 *
 * A CRL proves nothing unless it is signed by the CA that issued the
 * certificate being checked: mse_crl_check_issuer compares the issuer name
 * and verifies the signature with that CA's key. Without it a CRL from
 * another (or a forged) CA could be substituted to hide a revocation.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "dcap.h"

#define CRL_MAX (4u << 20)

static bool is_lower_hex_text(const uint8_t *d, size_t len)
{
    struct mse_rd rd;
    uint8_t c;
    size_t digits = 0;
    mse_rd_init(&rd, d, len);
    while (mse_rd_u8(&rd, &c) == MSE_OK) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
            digits++;
        else if (!(c == '\n' || c == '\r' || c == ' ' || c == '\t'))
            return false;
    }
    return digits > 0;
}

/* Hex text without surrounding whitespace. */
static mse_err trimmed(const uint8_t *d, size_t len, const uint8_t **out, size_t *out_len)
{
    struct mse_rd rd;
    size_t start = 0, end = 0, i = 0;
    uint8_t c;
    bool seen = false;
    mse_rd_init(&rd, d, len);
    while (mse_rd_u8(&rd, &c) == MSE_OK) {
        bool sp = c == '\n' || c == '\r' || c == ' ' || c == '\t';
        if (!sp) {
            if (!seen)
                start = i;
            seen = true;
            end = i + 1;
        }
        i++;
    }
    MSE_ENSURE(seen, MSE_ERR_CRL_FORMAT);
    mse_rd_init(&rd, d, len);
    MSE_TRY_AS(mse_rd_skip(&rd, start), MSE_ERR_CRL_FORMAT);
    MSE_TRY_AS(mse_rd_bytes(&rd, end - start, out), MSE_ERR_CRL_FORMAT);
    *out_len = end - start;
    return MSE_OK;
}

static mse_err crl_from_der(const uint8_t *der, size_t len, X509_CRL **out)
{
    const unsigned char *p = der;
    OSSL_LIB_CTX *dcap = mse_x509_dcap_libctx();
    /*
     * Decoded where its signature is checked fastest (x509_ctx.c), into a CRL
     * made there: the decoder leaves the CRL's own context, in which
     * X509_CRL_verify works, unset (x509.c decode_in). Freed on failure.
     */
    X509_CRL *crl = X509_CRL_new_ex(dcap, NULL);
    MSE_ENSURE(crl != NULL, MSE_ERR_NOMEM);
    if (ASN1_item_d2i_ex((ASN1_VALUE **)&crl, &p, (long)len, ASN1_ITEM_rptr(X509_CRL), dcap,
                         NULL) == NULL) {
        ERR_clear_error();
        return MSE_ERR_CRL_FORMAT;
    }
    if ((size_t)(p - der) != len) {
        X509_CRL_free(crl);
        return MSE_ERR_CRL_FORMAT;
    }
    *out = crl;
    return MSE_OK;
}

mse_err mse_crl_load(const uint8_t *data, size_t len, X509_CRL **out)
{
    mse_err err = MSE_OK;
    uint8_t *der = NULL;
    size_t der_len = 0;
    MSE_ENSURE(data != NULL && len > 0, MSE_ERR_CRL_FORMAT);
    MSE_ENSURE(len <= CRL_MAX, MSE_ERR_LIMIT);
    if (mse_pem_sniff(data, len)) {
        struct mse_rd rd;
        bool found = false;
        der = malloc(len);
        MSE_ENSURE(der != NULL, MSE_ERR_NOMEM);
        mse_rd_init(&rd, data, len);
        MSE_CHECK_OUT(mse_pem_next(&rd, "X509 CRL", der, len, &der_len, &found));
        MSE_ENSURE_OUT(found, MSE_ERR_CRL_FORMAT);
        /* Exactly one CRL: a second block would be unchecked input. */
        bool more = false;
        size_t more_len = 0;
        MSE_CHECK_OUT(mse_pem_next(&rd, "X509 CRL", der + der_len, len - der_len, &more_len,
                                   &more));
        MSE_ENSURE_OUT(!more, MSE_ERR_CRL_FORMAT);
        MSE_CHECK_OUT(crl_from_der(der, der_len, out));
    } else if (data[0] == 0x30) {
        MSE_CHECK_OUT(crl_from_der(data, len, out));
    } else if (is_lower_hex_text(data, len)) {
        const uint8_t *hex;
        size_t hex_len;
        MSE_CHECK_OUT(trimmed(data, len, &hex, &hex_len));
        der = malloc(hex_len / 2 + 1);
        MSE_ENSURE(der != NULL, MSE_ERR_NOMEM);
        MSE_ENSURE_OUT(mse_hex_decode_var((const char *)hex, hex_len, der, hex_len / 2 + 1,
                                          &der_len) == MSE_OK,
                       MSE_ERR_CRL_FORMAT);
        MSE_CHECK_OUT(crl_from_der(der, der_len, out));
    } else {
        MSE_GOTO_OUT(MSE_ERR_CRL_FORMAT);
    }
out:
    if (err == MSE_ERR_PEM)
        err = MSE_ERR_CRL_FORMAT;
    free(der);
    return err;
}

mse_err mse_crl_check_issuer(X509_CRL *crl, X509 *issuer)
{
    MSE_ENSURE(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) == 0,
               MSE_ERR_CRL_ISSUER);
    EVP_PKEY *key = X509_get0_pubkey(issuer);
    MSE_ENSURE(key != NULL, MSE_ERR_CRL_SIGNATURE);
    int ok = X509_CRL_verify(crl, key);
    ERR_clear_error();
    MSE_ENSURE(ok == 1, MSE_ERR_CRL_SIGNATURE);
    return MSE_OK;
}

mse_err mse_crl_validity(X509_CRL *crl, int64_t *this_update, int64_t *next_update)
{
    const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
    /* A CRL without nextUpdate never expires; Intel always sets it and so must any input. */
    MSE_ENSURE(nu != NULL, MSE_ERR_CRL_FORMAT);
    MSE_TRY_AS(mse_asn1_time(X509_CRL_get0_lastUpdate(crl), this_update), MSE_ERR_CRL_FORMAT);
    MSE_TRY_AS(mse_asn1_time(nu, next_update), MSE_ERR_CRL_FORMAT);
    return MSE_OK;
}

bool mse_crl_lists(X509_CRL *crl, X509 *cert)
{
    X509_REVOKED *rev = NULL;
    /* 1: revoked; 2: listed as removeFromCRL (delta CRLs; not revoked). */
    int r = X509_CRL_get0_by_cert(crl, &rev, cert);
    return r == 1;
}

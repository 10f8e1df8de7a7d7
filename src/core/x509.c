/*
 * X.509 certificates of the DCAP trust chain: loading (DER, strict PEM; PCS
 * issuer-chain headers percent-decoded first, quote certification data never), validity windows as UTC seconds,
 * and path validation against one pinned anchor (RFC 5280 section 6 as
 * OpenSSL implements it).
 *
 * Security notes for reviewers:
 *  - The anchor is the only trusted certificate in the store. A root that
 *    merely carries Intel's names is not trusted: callers also require the
 *    presented root to equal the anchor byte for byte.
 *  - Validity windows are not enforced inside OpenSSL's path validation
 *    (X509_V_FLAG_NO_CHECK_TIME) because every window is evaluated at the
 *    caller's time T by the coordinator, reported per item and, only when the
 *    policy says so, tolerated. This keeps "is it genuine" apart from "is it
 *    current", so a forgery is named as such even when also expired.
 *  - X509_V_FLAG_X509_STRICT makes OpenSSL enforce the RFC 5280 profile
 *    checks (basicConstraints on CAs, key usage, AKID/SKID consistency).
 *  - Partial chains are not allowed: the path must end at the anchor.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <mse/guard.h>
#include <mse/time.h>

#include "dcap.h"

void mse_certs_free(struct mse_certs *cs)
{
    for (size_t i = 0; i < MSE_CERTS_MAX; i++) {
        X509_free(cs->c[i]);
        cs->c[i] = NULL;
    }
    free(cs->der);
    cs->der = NULL;
    cs->n = 0;
}

void mse_certs_der(const struct mse_certs *cs, size_t i, const uint8_t **der, size_t *len)
{
    struct mse_rd rd;
    *der = NULL;
    *len = 0;
    if (i >= cs->n || cs->der == NULL)
        return;
    /* The offsets were recorded by mse_x509_pem_chain_partial within the buffer it sized. */
    mse_rd_init(&rd, cs->der, cs->der_off[i] + cs->der_len[i]);
    if (mse_rd_skip(&rd, cs->der_off[i]) == MSE_OK && mse_rd_bytes(&rd, cs->der_len[i], der) == MSE_OK)
        *len = cs->der_len[i];
}

static mse_err decode_in(OSSL_LIB_CTX *libctx, const uint8_t *der, size_t len, X509 **out)
{
    const unsigned char *p = der;
    /*
     * The decoder decodes the key in libctx but leaves the certificate's own
     * context unset, and X509_verify works in that one: the issuer's key was
     * then copied into OpenSSL's default context on every verification. So
     * an object made in libctx is decoded into (freed and NULL on failure).
     */
    X509 *c = X509_new_ex(libctx, NULL);
    MSE_ENSURE(c != NULL, MSE_ERR_NOMEM);
    if (ASN1_item_d2i_ex((ASN1_VALUE **)&c, &p, (long)len, ASN1_ITEM_rptr(X509), libctx, NULL) ==
        NULL) {
        ERR_clear_error();
        return MSE_ERR_CERT_PARSE;
    }
    /* Trailing bytes after the certificate would be bytes nobody checked. */
    if ((size_t)(p - der) != len) {
        X509_free(c);
        return MSE_ERR_CERT_PARSE;
    }
    *out = c;
    return MSE_OK;
}

mse_err mse_x509_from_der(const uint8_t *der, size_t len, X509 **out)
{
    MSE_ENSURE(der != NULL && len > 0 && len < (1u << 24), MSE_ERR_CERT_PARSE);
    OSSL_LIB_CTX *dcap = mse_x509_dcap_libctx();
    MSE_TRY(decode_in(dcap, der, len, out));
    if (dcap == NULL || X509_get0_pubkey(*out) != NULL)
        return MSE_OK;
    /*
     * A key dcap does not decode (not EC): decoded as OpenSSL's default
     * context would, so such a certificate meets the checks it always met.
     */
    ERR_clear_error();
    X509_free(*out);
    *out = NULL;
    return decode_in(NULL, der, len, out);
}

/* Whether der is byte-equal to one of known[]. */
static bool is_known(const uint8_t *der, size_t len, const struct mse_blob *known, size_t nknown)
{
    for (size_t i = 0; i < nknown; i++)
        if (known[i].data != NULL && known[i].len == len && memcmp(known[i].data, der, len) == 0)
            return true;
    return false;
}

static mse_err pem_chain(const uint8_t *data, size_t len, size_t decode,
                         const struct mse_blob *known, size_t nknown, struct mse_certs *out)
{
    mse_err err = MSE_OK;
    const uint8_t *text = data;
    size_t text_len = len, used = 0;
    struct mse_rd rd;
    memset(out, 0, sizeof *out);
    MSE_ENSURE(data != NULL && len > 0, MSE_ERR_PEM);
    /* Base64 only shrinks: all DER fits in text_len bytes. */
    out->der = malloc(text_len + 1);
    MSE_ENSURE_OUT(out->der != NULL, MSE_ERR_NOMEM);
    mse_rd_init(&rd, text, text_len);
    for (;;) {
        size_t der_len = 0;
        bool found = false;
        MSE_CHECK_OUT(mse_pem_next(&rd, "CERTIFICATE", out->der + used, text_len - used, &der_len,
                                   &found));
        if (!found)
            break;
        MSE_ENSURE_OUT(out->n < MSE_CERTS_MAX, MSE_ERR_LIMIT);
        out->der_off[out->n] = used;
        out->der_len[out->n] = der_len;
        used += der_len;
        out->n++;
    }
    MSE_ENSURE_OUT(out->n > 0, MSE_ERR_PEM);
    for (size_t i = 0; i < out->n; i++) {
        const uint8_t *der;
        size_t dl;
        mse_certs_der(out, i, &der, &dl);
        if (i < decode && is_known(der, dl, known, nknown)) {
            /* Decoded before by mse_x509_from_der, byte for byte: it would decode again. */
            continue;
        } else if (i < decode) {
            MSE_CHECK_OUT(mse_x509_from_der(der, dl, &out->c[i]));
        } else {
            /* Not decoded, but still a well-formed certificate as far as its validity goes. */
            int64_t nb, na;
            MSE_CHECK_OUT(mse_x509_der_validity(der, dl, &nb, &na));
        }
    }
out:
    if (err != MSE_OK)
        mse_certs_free(out);
    return err;
}

mse_err mse_x509_pem_chain_partial(const uint8_t *data, size_t len, size_t decode,
                                   struct mse_certs *out)
{
    return pem_chain(data, len, decode, NULL, 0, out);
}

mse_err mse_x509_pem_chain(const uint8_t *data, size_t len, struct mse_certs *out)
{
    return pem_chain(data, len, MSE_CERTS_MAX, NULL, 0, out);
}


mse_err mse_x509_issuer_chain_partial(const uint8_t *data, size_t len, size_t decode,
                                      struct mse_certs *out)
{
    uint8_t *text = NULL;
    size_t text_len = 0;
    memset(out, 0, sizeof *out);
    MSE_ENSURE(data != NULL && len > 0, MSE_ERR_PEM);
    MSE_TRY(mse_percent_decode(data, len, &text, &text_len));
    mse_err err = mse_x509_pem_chain_partial(text, text_len, decode, out);
    free(text);
    return err;
}

mse_err mse_x509_issuer_chain_known(const uint8_t *data, size_t len, const struct mse_blob *known,
                                    size_t nknown, struct mse_certs *out)
{
    uint8_t *text = NULL;
    size_t text_len = 0;
    memset(out, 0, sizeof *out);
    MSE_ENSURE(data != NULL && len > 0, MSE_ERR_PEM);
    MSE_TRY(mse_percent_decode(data, len, &text, &text_len));
    mse_err err = pem_chain(text, text_len, MSE_CERTS_MAX, known, nknown, out);
    free(text);
    return err;
}

/* UTCTime or GeneralizedTime (RFC 5280 4.1.2.5: always UTC, seconds, 'Z'). */
static mse_err der_time(struct mse_rd *rd, int64_t *out)
{
    uint8_t tag, z;
    struct mse_rd v;
    char iso[21] = "YYYY-MM-DDTHH:MM:SSZ";
    MSE_TRY_AS(mse_der_peek_tag(rd, &tag), MSE_ERR_CERT_PARSE);
    MSE_ENSURE(tag == 0x17 || tag == 0x18, MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_der_tlv(rd, tag, &v), MSE_ERR_CERT_PARSE);
    MSE_ENSURE(mse_rd_left(&v) == (tag == 0x17 ? 13u : 15u), MSE_ERR_CERT_PARSE);
    if (tag == 0x17) {
        /* Two-digit years: 50-99 are 19xx, 00-49 are 20xx. */
        MSE_TRY_AS(mse_rd_copy(&v, iso + 2, 2), MSE_ERR_CERT_PARSE);
        MSE_ENSURE(iso[2] >= '0' && iso[2] <= '9', MSE_ERR_CERT_PARSE);
        memcpy(iso, iso[2] >= '5' ? "19" : "20", 2);
    } else {
        MSE_TRY_AS(mse_rd_copy(&v, iso, 4), MSE_ERR_CERT_PARSE);
    }
    /* MM DD HH MM SS into their places; mse_time_parse checks digits and ranges. */
    static const size_t at[5] = {5, 8, 11, 14, 17};
    for (size_t i = 0; i < 5; i++)
        MSE_TRY_AS(mse_rd_copy(&v, iso + at[i], 2), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_rd_u8(&v, &z), MSE_ERR_CERT_PARSE);
    MSE_ENSURE(z == 'Z', MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_time_parse(iso, 20, out), MSE_ERR_CERT_PARSE);
    return MSE_OK;
}

mse_err mse_x509_der_validity(const uint8_t *der, size_t len, int64_t *not_before,
                              int64_t *not_after)
{
    struct mse_rd rd, cert, tbs, skip, validity;
    uint8_t tag;
    mse_rd_init(&rd, der, len);
    MSE_TRY_AS(mse_der_tlv(&rd, 0x30, &cert), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_rd_end(&rd), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_der_tlv(&cert, 0x30, &tbs), MSE_ERR_CERT_PARSE);
    /* [0] EXPLICIT version OPTIONAL, serialNumber, signature, issuer, validity. */
    MSE_TRY_AS(mse_der_peek_tag(&tbs, &tag), MSE_ERR_CERT_PARSE);
    if (tag == 0xa0)
        MSE_TRY_AS(mse_der_tlv(&tbs, 0xa0, &skip), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_der_tlv(&tbs, 0x02, &skip), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_der_tlv(&tbs, 0x30, &skip), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_der_tlv(&tbs, 0x30, &skip), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_der_tlv(&tbs, 0x30, &validity), MSE_ERR_CERT_PARSE);
    MSE_TRY(der_time(&validity, not_before));
    MSE_TRY(der_time(&validity, not_after));
    MSE_TRY_AS(mse_rd_end(&validity), MSE_ERR_CERT_PARSE);
    return MSE_OK;
}

bool mse_x509_same(X509 *a, X509 *b)
{
    unsigned char *da = NULL, *db = NULL;
    int la = i2d_X509(a, &da), lb = i2d_X509(b, &db);
    bool same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
    OPENSSL_free(da);
    OPENSSL_free(db);
    return same;
}

mse_err mse_asn1_time(const ASN1_TIME *t, int64_t *out)
{
    mse_err err = MSE_OK;
    int days = 0, secs = 0;
    /* Difference from the epoch, computed by OpenSSL without the C library's time zone. */
    ASN1_TIME *epoch = ASN1_TIME_new();
    MSE_ENSURE(epoch != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(t != NULL && ASN1_TIME_check(t) == 1, MSE_ERR_TIME_FORMAT);
    MSE_ENSURE_OUT(ASN1_TIME_set_string(epoch, "19700101000000Z") == 1, MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(ASN1_TIME_diff(&days, &secs, epoch, t) == 1, MSE_ERR_TIME_FORMAT);
    *out = (int64_t)days * 86400 + secs;
out:
    ASN1_TIME_free(epoch);
    return err;
}

mse_err mse_x509_validity(X509 *c, int64_t *not_before, int64_t *not_after)
{
    MSE_TRY(mse_asn1_time(X509_get0_notBefore(c), not_before));
    MSE_TRY(mse_asn1_time(X509_get0_notAfter(c), not_after));
    return MSE_OK;
}

bool mse_x509_subject_cn_is(X509 *c, const char *cn)
{
    X509_NAME *name = X509_get_subject_name(c);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0)
        return false;
    /* Exactly one commonName: a second one could show a different name to another tool. */
    if (X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0)
        return false;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    size_t n = strlen(cn);
    return s != NULL && (size_t)ASN1_STRING_length(s) == n &&
           memcmp(ASN1_STRING_get0_data(s), cn, n) == 0;
}

/* OpenSSL's verdict mapped to mse's three chain failure classes. */
static mse_err map_verify_error(int e)
{
    switch (e) {
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        return MSE_ERR_PCK_CHAIN_SIGNATURE;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_INVALID_NON_CA:
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
        return MSE_ERR_PCK_CHAIN_CA;
    default:
        /* Issuer not found, self-signed in chain, name mismatches, ... */
        return MSE_ERR_PCK_CHAIN_ISSUER;
    }
}

mse_err mse_x509_chain_verify(X509 *leaf, X509 *intermediate, X509 *anchor, int64_t at)
{
    mse_err err = MSE_OK;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new_ex(mse_x509_dcap_libctx(), NULL);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    MSE_ENSURE_OUT(store && ctx && untrusted, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(X509_STORE_add_cert(store, anchor) == 1, MSE_ERR_CRYPTO);
    if (intermediate != NULL)
        MSE_ENSURE_OUT(sk_X509_push(untrusted, intermediate) > 0, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1, MSE_ERR_CRYPTO);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    /*
     * No time checks at all: OpenSSL gives X509_V_FLAG_USE_CHECK_TIME (set by
     * X509_VERIFY_PARAM_set_time) precedence over NO_CHECK_TIME, so the time
     * is deliberately not set; with NO_CHECK_TIME OpenSSL never reads the
     * clock either (no CRL checking is enabled here: crl.c does that).
     */
    (void)at;
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_X509_STRICT);
    X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) != 1) {
        MSE_GOTO_OUT(map_verify_error(X509_STORE_CTX_get_error(ctx)));
    }
    /* The path must use the intermediate we were given, not some other route. */
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    size_t want = intermediate != NULL ? 3 : 2;
    MSE_ENSURE_OUT(path != NULL && (size_t)sk_X509_num(path) == want, MSE_ERR_PCK_CHAIN_ISSUER);
    /* A leaf that is itself a CA is not a PCK (or TCB signing) certificate. */
    MSE_ENSURE_OUT(X509_check_ca(leaf) == 0, MSE_ERR_PCK_CHAIN_CA);
out:
    ERR_clear_error();
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return err;
}

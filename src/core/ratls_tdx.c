/*
 * The TDX carrier of RA-TLS certificates: extension 1.2.840.113741.1337.8,
 * whose OCTET STRING value is a raw TDX quote (v4 or v5, TEE type 0x81), as
 * Gramine-TDX and other TDX RA-TLS writers emit it.
 *
 * mse does not verify TDX yet. This file exists so that such a certificate
 * is named for what it is (MSE_ERR_QUOTE_TDX, and `mse inspect` shows its TD
 * report) instead of "no SGX quote extension", which would send the user
 * looking for a certificate problem that is not there.
 *
 * The certificate is walked with the DER reader (RFC 5280 4.1: Certificate,
 * TBSCertificate, [3] Extensions) so the returned quote is a view into the
 * caller's bytes; a certificate that is not well-formed DER has no TDX quote.
 */
#include <stdbool.h>

#include <mse/guard.h>
#include <mse/quote.h>
#include <mse/rd.h>

#include "dcap.h"

/* Content octets of 1.2.840.113741.1337.8. */
static const uint8_t OID_TDX_QUOTE[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x8a, 0x39, 0x08};

static bool rd_equals(const struct mse_rd *rd, const uint8_t *want, size_t n)
{
    struct mse_rd t = *rd;
    const uint8_t *p;
    if (mse_rd_left(&t) != n || mse_rd_bytes(&t, n, &p) != MSE_OK)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] != want[i])
            return false;
    return true;
}

/* The [3] EXPLICIT Extensions of a TBSCertificate, or *found = false. */
static mse_err find_extensions(struct mse_rd *tbs, struct mse_rd *exts, bool *found)
{
    struct mse_rd skip;
    uint8_t tag = 0;
    *found = false;
    MSE_TRY(mse_der_peek_tag(tbs, &tag));
    if (tag == 0xa0)
        MSE_TRY(mse_der_tlv(tbs, 0xa0, &skip)); /* version */
    MSE_TRY(mse_der_tlv(tbs, 0x02, &skip));     /* serialNumber */
    for (int i = 0; i < 5; i++)                 /* signature, issuer, validity, subject, SPKI */
        MSE_TRY(mse_der_tlv(tbs, 0x30, &skip));
    while (mse_rd_left(tbs) > 0) {
        MSE_TRY(mse_der_peek_tag(tbs, &tag));
        if (tag == 0xa3) {
            struct mse_rd wrapper;
            MSE_TRY(mse_der_tlv(tbs, 0xa3, &wrapper));
            MSE_TRY(mse_der_tlv(&wrapper, 0x30, exts));
            *found = true;
            return MSE_OK;
        }
        MSE_TRY(mse_der_tlv(tbs, tag, &skip)); /* issuerUniqueID [1], subjectUniqueID [2] */
    }
    return MSE_OK;
}

mse_err mse_cert_tdx_quote(const uint8_t *der, size_t len, const uint8_t **quote,
                           size_t *quote_len, bool *found)
{
    struct mse_rd rd, cert, tbs, exts;
    bool have_exts = false;
    *found = false;
    *quote = NULL;
    *quote_len = 0;
    mse_rd_init(&rd, der, len);
    MSE_TRY_AS(mse_der_tlv(&rd, 0x30, &cert), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(mse_der_tlv(&cert, 0x30, &tbs), MSE_ERR_CERT_PARSE);
    MSE_TRY_AS(find_extensions(&tbs, &exts, &have_exts), MSE_ERR_CERT_PARSE);
    while (have_exts && mse_rd_left(&exts) > 0) {
        struct mse_rd ext, oid, value;
        uint8_t tag = 0;
        MSE_TRY_AS(mse_der_tlv(&exts, 0x30, &ext), MSE_ERR_CERT_PARSE);
        MSE_TRY_AS(mse_der_tlv(&ext, 0x06, &oid), MSE_ERR_CERT_PARSE);
        MSE_TRY_AS(mse_der_peek_tag(&ext, &tag), MSE_ERR_CERT_PARSE);
        if (tag == 0x01) {
            struct mse_rd critical;
            MSE_TRY_AS(mse_der_tlv(&ext, 0x01, &critical), MSE_ERR_CERT_PARSE);
        }
        MSE_TRY_AS(mse_der_tlv(&ext, 0x04, &value), MSE_ERR_CERT_PARSE);
        if (!rd_equals(&oid, OID_TDX_QUOTE, sizeof OID_TDX_QUOTE))
            continue;
        /* Two TDX quotes would leave it open which one counts. */
        MSE_ENSURE(!*found, MSE_ERR_RATLS_MULTIPLE);
        *quote_len = mse_rd_left(&value);
        MSE_TRY_AS(mse_rd_bytes(&value, *quote_len, quote), MSE_ERR_CERT_PARSE);
        *found = true;
    }
    return MSE_OK;
}

/*
 * A minimal DER TLV reader on top of the bounds-checked reader (ITU-T X.690
 * section 10: definite, minimal lengths). Used where mse reads ASN.1 itself
 * (the PCK SGX extension, a certificate's validity) instead of via OpenSSL.
 * Only single-byte tags and lengths below 2^24 are accepted: nothing mse
 * reads needs more, and refusing more keeps the arithmetic trivially safe.
 */
#include <mse/guard.h>

#include "dcap.h"

mse_err mse_der_tlv(struct mse_rd *rd, uint8_t want_tag, struct mse_rd *value)
{
    struct mse_rd t = *rd;
    uint8_t tag, l0;
    size_t len = 0;
    MSE_TRY_AS(mse_rd_u8(&t, &tag), MSE_ERR_DER);
    MSE_ENSURE(tag == want_tag, MSE_ERR_DER);
    MSE_TRY_AS(mse_rd_u8(&t, &l0), MSE_ERR_DER);
    if (l0 < 0x80) {
        len = l0;
    } else {
        size_t nbytes = l0 & 0x7f;
        MSE_ENSURE(nbytes >= 1 && nbytes <= 3, MSE_ERR_DER);
        for (size_t i = 0; i < nbytes; i++) {
            uint8_t b;
            MSE_TRY_AS(mse_rd_u8(&t, &b), MSE_ERR_DER);
            MSE_ENSURE(!(i == 0 && b == 0), MSE_ERR_DER); /* minimal: no leading zero */
            len = (len << 8) | b;
        }
        MSE_ENSURE(len >= 0x80, MSE_ERR_DER); /* minimal: long form only when needed */
    }
    MSE_TRY_AS(mse_rd_sub(&t, len, value), MSE_ERR_DER);
    *rd = t;
    return MSE_OK;
}

mse_err mse_der_peek_tag(const struct mse_rd *rd, uint8_t *tag)
{
    struct mse_rd t = *rd;
    MSE_TRY_AS(mse_rd_u8(&t, tag), MSE_ERR_DER);
    return MSE_OK;
}

/*
 * RA-TLS certificates: where the quote sits and how it binds the key.
 *
 * Two carriers are recognised:
 *   - the legacy Gramine / MSE extension, OID 1.2.840.113741.1337.6, whose
 *     OCTET STRING value is the raw quote;
 *   - TCG DICE tagged evidence, OID 2.23.133.5.4.9, a CBOR tag 60000 holding
 *     [quote, claims] as Gramine emits it (claims: a map whose "pubkey-hash"
 *     entry is [hash-alg, hash]).
 * A certificate carrying both, or one carrier twice, is refused.
 *
 * Bindings of the certificate public key to REPORTDATA (enum mse_binding):
 *   MSE      RD[0:32] = SHA-256(X9.62 uncompressed EC point), RD[32:64] = X25519 key
 *   GRAMINE  RD[0:32] = SHA-256(DER SubjectPublicKeyInfo), RD[32:64] = 0
 *   DICE     the claims' pubkey hash over the SPKI, and RD[0:32] = SHA-256 of the
 *            claims as Gramine defines it
 */
#ifndef MSE_RATLS_H
#define MSE_RATLS_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/quote.h>
#include <mse/verify.h>

#define MSE_OID_SGX_QUOTE "1.2.840.113741.1337.6"
#define MSE_OID_DICE_TAGGED_EVIDENCE "2.23.133.5.4.9"

enum mse_ratls_carrier {
    MSE_RATLS_CARRIER_NONE = 0,
    MSE_RATLS_CARRIER_SGX_QUOTE_OID,
    MSE_RATLS_CARRIER_DICE,
};

struct mse_ratls {
    enum mse_ratls_carrier carrier;
    const uint8_t *quote; /* view into the caller's storage (see mse_ratls_extract) */
    size_t quote_len;
    const uint8_t *claims; /* DICE only: the CBOR claims bytes (view), else NULL */
    size_t claims_len;
};

/*
 * Find the quote in a DER certificate. The quote (and DICE claims) are copied
 * into caller storage `buf` of capacity `cap` (a quote is at most
 * MSE_QUOTE_MAX_SIZE); out's views point into buf.
 * Errors: MSE_ERR_CERT_PARSE, MSE_ERR_RATLS_NO_QUOTE, MSE_ERR_RATLS_MULTIPLE,
 * MSE_ERR_RATLS_DICE_FORMAT, MSE_ERR_BUFFER_TOO_SMALL.
 */
MSE_MUST_USE mse_err mse_ratls_extract(const uint8_t *der, size_t der_len, uint8_t *buf,
                                       size_t cap, struct mse_ratls *out) MSE_NONNULL(1, 3, 5);

/*
 * Check that the certificate's public key is the one REPORTDATA binds, trying
 * the forms the carrier allows, and report which one matched. For the MSE form
 * x25519_out (32 bytes, may be NULL) receives REPORTDATA[32:64].
 * Also checks the certificate's self-signature (MSE_ERR_CERT_SIGNATURE).
 * Errors: MSE_ERR_CERT_PARSE, MSE_ERR_RATLS_KEY_TYPE, MSE_ERR_BINDING_MISMATCH,
 * MSE_ERR_CERT_SIGNATURE.
 */
MSE_MUST_USE mse_err mse_ratls_check_binding(const uint8_t *der, size_t der_len,
                                             const struct mse_ratls *ratls,
                                             const uint8_t report_data[64],
                                             enum mse_binding *form, uint8_t *x25519_out)
    MSE_NONNULL(1, 3, 4, 5);

#endif

/*
 * RA-TLS certificates: where the quote sits and how it binds the key.
 * Format, bindings and the attack each check stops: docs/formats/ratls.md.
 *
 * Two carriers are recognised:
 *   - the SGX quote extension, whose OCTET STRING value is the raw quote:
 *     OID 1.2.840.113741.1337.6 (MSE), or the OID Gramine's writer actually
 *     emits for it, content octets 06 09 2A 86 48 86 F8 4D 8A 39 06
 *     (0.6.9.42.840.113741.1337.6: Gramine passes the DER tag and length as
 *     part of the OID);
 *   - TCG DICE tagged evidence, OID 2.23.133.5.4.9, a CBOR tag 60000 holding
 *     a definite array [quote: bstr, claims: bstr] as Gramine emits it
 *     (claims: a serialized map whose "pubkey-hash" entry is a serialized
 *     array [IANA hash id 1|7|8, hash of the DER SubjectPublicKeyInfo]).
 * One carrier twice is refused (MSE_ERR_RATLS_MULTIPLE). Both carriers at once
 * is what Gramine >= 1.8 emits: the DICE quote is the one verified against
 * collateral, as Gramine's verifier does, and only if both quotes parse,
 * agree on header and report body up to REPORTDATA and carry byte-equal
 * platform evidence (attestation key, QE report and signature, QE auth data,
 * PCK chain) (else MSE_ERR_RATLS_MULTIPLE); legacy_quote_ignored is set and
 * legacy_quote is a view of the other quote. mse_verify then checks the
 * legacy quote's own signature and key binding too: nothing in either
 * carrier goes unchecked.
 *
 * Bindings of the certificate public key to REPORTDATA (enum mse_binding):
 *   MSE      RD[0:32] = SHA-256(X9.62 uncompressed point 04||X||Y), P-256 only;
 *            RD[32:64] = the enclave's X25519 key (returned)
 *   GRAMINE  RD[0:32] = SHA-256(DER SubjectPublicKeyInfo as in the certificate),
 *            P-256 or P-384; RD[32:64] not read (Gramine leaves it zero)
 *   DICE     RD[0:32] = SHA-256(claims bytes) and claims["pubkey-hash"] =
 *            [alg, alg(SPKI)], P-256 or P-384
 * The SGX quote carrier tries MSE then GRAMINE; the DICE carrier only DICE.
 */
#ifndef MSE_RATLS_H
#define MSE_RATLS_H

#include <stdbool.h>
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
    bool legacy_quote_ignored; /* DICE used; an agreeing SGX quote extension was also present */
    const uint8_t *legacy_quote; /* that SGX quote extension's quote (view), else NULL */
    size_t legacy_quote_len;
};

/* Storage mse_ratls_extract needs at most: DICE quote and claims plus a legacy quote. */
#define MSE_RATLS_BUF_SIZE (2 * MSE_QUOTE_MAX_SIZE + 8192)

/*
 * Find the quote in a DER certificate. The quote (and DICE claims) are copied
 * into caller storage `buf` of capacity `cap` (a quote is at most
 * MSE_QUOTE_MAX_SIZE); out's views point into buf.
 * The certificate must be exactly der_len bytes of DER (at most 1 MiB).
 * Errors: MSE_ERR_CERT_PARSE, MSE_ERR_RATLS_NO_QUOTE, MSE_ERR_RATLS_MULTIPLE,
 * MSE_ERR_RATLS_DICE_FORMAT, MSE_ERR_BUFFER_TOO_SMALL, MSE_ERR_LIMIT (SGX
 * quote extension larger than MSE_QUOTE_MAX_SIZE). On error *out is zeroed.
 * Does not parse the quote, except to compare the two in a Gramine
 * two-carrier certificate.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_ratls_extract(const uint8_t *der, size_t der_len, uint8_t *buf,
                                       size_t cap, struct mse_ratls *out) MSE_NONNULL(1, 3, 5);

/*
 * Check that the certificate's public key is the one REPORTDATA binds, trying
 * the forms the carrier allows, and report which one matched. For the MSE form
 * x25519_out (32 bytes, may be NULL) receives REPORTDATA[32:64].
 * Checks, in order: key type (EC P-256 or P-384, else MSE_ERR_RATLS_KEY_TYPE),
 * the certificate's self-signature (MSE_ERR_CERT_SIGNATURE), the binding.
 * *form is MSE_BINDING_NONE unless MSE_OK.
 * Errors: MSE_ERR_ARG (no carrier in ratls), MSE_ERR_CERT_PARSE,
 * MSE_ERR_RATLS_KEY_TYPE, MSE_ERR_CERT_SIGNATURE, MSE_ERR_BINDING_MISMATCH,
 * MSE_ERR_RATLS_DICE_FORMAT (claims malformed, no or two "pubkey-hash",
 * unknown hash id), MSE_ERR_CRYPTO.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_ratls_check_binding(const uint8_t *der, size_t der_len,
                                             const struct mse_ratls *ratls,
                                             const uint8_t report_data[64],
                                             enum mse_binding *form, uint8_t *x25519_out)
    MSE_NONNULL(1, 3, 4, 5);

#endif

/*
 * DCAP collateral as the verifier consumes it: raw bytes exactly as a
 * PCS/PCCS v4 service or an mse evidence bundle delivers them. The verifier
 * sniffs encodings itself (CRL as DER, PEM, or lowercase hex of DER; issuer
 * chains as PEM, optionally percent-encoded) and never trusts a Content-Type.
 *
 * All pointers are caller-owned views; nothing is copied or freed by libmse.
 */
#ifndef MSE_COLLATERAL_H
#define MSE_COLLATERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

struct mse_blob {
    const uint8_t *data;
    size_t len;
};

struct mse_collateral {
    struct mse_blob root_ca_crl;        /* GET /rootcacrl body */
    struct mse_blob pck_crl;            /* GET /pckcrl?ca=platform|processor body */
    struct mse_blob pck_crl_chain;      /* SGX-PCK-CRL-Issuer-Chain header (may be empty) */
    struct mse_blob tcb_info;           /* GET /tcb?fmspc= body: {"tcbInfo":{...},"signature":"..."} */
    struct mse_blob tcb_info_chain;     /* TCB-Info-Issuer-Chain header: signer PEM [+ root PEM] */
    struct mse_blob qe_identity;        /* GET /qe/identity body: {"enclaveIdentity":{...},"signature":"..."} */
    struct mse_blob qe_identity_chain;  /* SGX-Enclave-Identity-Issuer-Chain header */
};

/*
 * The mse evidence bundle (JSON; see docs/formats/evidence.md):
 *   ratls_certificate  PEM
 *   root_ca_crl        PEM, DER-hex or base64
 *   pck_platform_crl   (or pck_processor_crl) same
 *   tcb_info           base64 of the hex of the TCB info JSON text, or base64 of the text
 *   qe_identity        base64 of the JSON text (or of its hex)
 *   tcb_cert           PEM: the TCB signing certificate (chain for both JSON items)
 *   signer_pk          PEM: the enclave signer's RSA-3072 public key (optional)
 *   input_args         object (optional, reported, not verified)
 *
 * mse_evidence_parse decodes into caller-owned storage `buf` (capacity
 * `cap`, a limit set by the caller) and fills views into it.
 */
struct mse_evidence {
    struct mse_blob ratls_cert;   /* DER */
    struct mse_blob signer_pk;    /* PEM text or empty */
    struct mse_blob input_args;   /* compact JSON text or empty */
    struct mse_collateral collateral;
};

MSE_EXTERN MSE_MUST_USE mse_err mse_evidence_parse(const uint8_t *json, size_t json_len, uint8_t *buf,
                                        size_t cap, struct mse_evidence *out) MSE_NONNULL(1, 3, 5);

/*
 * Write a bundle mse_evidence_parse reads back to the same bytes: the
 * certificate (DER in), the collateral exactly as verified, the PCK CRL under
 * pck_processor_crl or pck_platform_crl, and captured_at (the verification
 * time, RFC 3339; informational). *out is JSON text the caller frees.
 * Errors: MSE_ERR_ARG, MSE_ERR_COLLATERAL_MISSING (an item empty),
 * MSE_ERR_UNSUPPORTED (TCB info and QE identity signed by different
 * certificates: the bundle holds one), MSE_ERR_PEM/_CERT_PARSE (issuer chain
 * malformed), MSE_ERR_NOMEM.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_evidence_write(const uint8_t *cert_der, size_t cert_len,
                                        const struct mse_collateral *c, bool processor_ca,
                                        int64_t captured_at, char **out) MSE_NONNULL(3, 6);

/*
 * Which collateral a quote needs, read (not verified) from the PCK leaf in
 * its certification data: the FMSPC and PCE-ID of the platform and whether
 * the leaf was issued by the PCK Processor CA (else the Platform CA). Used to
 * ask a PCCS for the right items before verification.
 * Errors: those of mse_quote_parse, MSE_ERR_QUOTE_PCK_CHAIN_FORMAT,
 * MSE_ERR_PCK_EXT_FORMAT.
 */
struct mse_quote;
struct mse_collateral_id {
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    int processor_ca; /* 1: "Intel SGX PCK Processor CA" issued the leaf; 0: Platform CA */
};
MSE_EXTERN MSE_MUST_USE mse_err mse_collateral_id_from_quote(const struct mse_quote *q,
                                                  struct mse_collateral_id *out) MSE_NONNULL(1, 2);

/* Kinds of collateral items, as a PCCS serves them. */
enum mse_collateral_kind {
    MSE_COLLATERAL_TCB_INFO,
    MSE_COLLATERAL_QE_IDENTITY,
    MSE_COLLATERAL_PCK_CRL,
    MSE_COLLATERAL_ROOT_CA_CRL,
};
/*
 * The validity window an item claims for itself (issueDate/thisUpdate,
 * nextUpdate), read without verifying signatures: enough to decide whether
 * a cached copy may still be used. Verification re-checks everything.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_collateral_window(enum mse_collateral_kind kind, const uint8_t *data,
                                           size_t len, int64_t *not_before, int64_t *not_after)
    MSE_NONNULL(2, 4, 5);

/*
 * Phala dcap-qvl's collateral JSON (QuoteCollateralV3 under serde_json; members
 * in src/core/collateral_dcap_qvl.c) into collateral views in caller storage
 * `buf` (capacity `cap`, the caller's limit). TCB info and QE identity are
 * put back into PCS's signed envelope, byte for byte. *pck_chain receives the
 * optional pck_certificate_chain (PEM) or is empty. Unknown members, wrong
 * types: MSE_ERR_JSON_FIELD (the member named in why, may be NULL);
 * MSE_ERR_JSON, MSE_ERR_JSON_DUPLICATE_KEY, MSE_ERR_LIMIT,
 * MSE_ERR_BUFFER_TOO_SMALL. On error *out and *pck_chain are zeroed.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_collateral_dcap_qvl_parse(const uint8_t *json, size_t len, uint8_t *buf,
                                                   size_t cap, struct mse_collateral *out,
                                                   struct mse_blob *pck_chain, char *why,
                                                   size_t why_len) MSE_NONNULL(1, 3, 5, 6);

/*
 * A PCK chain given beside a quote (QVL's pckCert.pem + pckSignChain.pem,
 * dcap-qvl's pck_certificate_chain) must be the quote's own: leaf, PCK CA and
 * optionally the root, byte for byte and in that order. Two chains that
 * disagree mean one of them describes another platform.
 * Errors: MSE_ERR_COLLATERAL_PCK_MISMATCH, MSE_ERR_CHAIN_FORMAT (pem is not
 * PEM certificates), MSE_ERR_QUOTE_PCK_CHAIN_FORMAT, MSE_ERR_NOMEM.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_quote_pck_chain_agrees(const struct mse_quote *q, const uint8_t *pem,
                                                size_t len) MSE_NONNULL(1, 2);

#endif

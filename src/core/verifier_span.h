/*
 * Between the coordinator (verify.c) and the verifier context (verifier.c):
 * the "platform span" of checks PCK_CHAIN .. QE_REPORT, what they read and
 * what they write, so that a verifier can remember a span that passed and
 * replay it. verify.c alone fills and applies a span (it knows the checks);
 * verifier.c alone stores and finds them (it knows the memory).
 */
#ifndef MSE_CORE_VERIFIER_SPAN_H
#define MSE_CORE_VERIFIER_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <mse/collateral.h>
#include <mse/verifier.h>
#include <mse/verify.h>

#define MSE_SPAN_FIRST MSE_CHECK_PCK_CHAIN
#define MSE_SPAN_LAST MSE_CHECK_QE_REPORT
#define MSE_SPAN_CHECKS (MSE_SPAN_LAST - MSE_SPAN_FIRST + 1)

/*
 * Every input the span's checks read besides the anchor (fixed per
 * verifier): the quote header, certification data, QE report and its
 * signature, and the seven collateral items, in this order.
 */
#define MSE_SPAN_PARTS 11

/* What the span's checks write into a result. */
struct mse_span {
    struct mse_check_result checks[MSE_SPAN_CHECKS];
    struct mse_validity_item validity[MSE_MAX_VALIDITY_ITEMS]; /* the span's items, in order */
    unsigned char kind[MSE_MAX_VALIDITY_ITEMS];                /* verify.c's item kind of each */
    size_t validity_count;
    uint8_t fmspc[6];
    uint16_t pce_id;
    uint8_t pck_cpusvn[16];
    uint16_t pck_pcesvn;
    enum mse_tcb_status platform_tcb_status, qe_tcb_status;
    char tcb_date[32];
    char advisories[MSE_MAX_ADVISORIES][24];
    size_t advisory_count;
};

/*
 * The coordinator behind mse_verify, mse_verify_quote and the verifier's
 * forms of both; raw_quote non-NULL verifies that quote instead of
 * in->cert_der. With a verifier, its anchor is used (not decoded again) and
 * its memory consulted and fed; without one (NULL) nothing is remembered.
 */
MSE_MUST_USE mse_err mse_verify_drive(const struct mse_verify_input *in, const uint8_t *raw_quote,
                                      size_t raw_quote_len, const struct mse_policy *policy,
                                      struct mse_verify_result *r, struct mse_verifier *memory)
    MSE_NONNULL(1, 4, 5);

/*
 * verify_quote.c: a raw quote (struct mse_verify_quote_input) through
 * mse_verify_drive, with the memory of a verifier or without (NULL:
 * mse_verify_quote).
 */
MSE_MUST_USE mse_err mse_verify_quote_drive(const struct mse_verify_quote_input *in,
                                            const struct mse_policy *policy,
                                            struct mse_verify_result *result,
                                            struct mse_verifier *memory) MSE_NONNULL(1, 2, 3);

/* verifier.c: the anchor (borrowed, lives as long as the verifier) and its DER. */
X509 *mse_verifier_anchor(const struct mse_verifier *v, const uint8_t **der, size_t *len)
    MSE_NONNULL(1, 2, 3);
/*
 * verifier.c: a library context without key decoders, for mse_ratls_load
 * (borrowed, lives as long as the verifier).
 */
OSSL_LIB_CTX *mse_verifier_keyless(const struct mse_verifier *v) MSE_NONNULL(1);
/*
 * verifier.c: P-256 domain parameters without a key (mse_ec_p256_domain),
 * from which certificate keys are built (borrowed, lives as long as the
 * verifier).
 */
const EVP_PKEY *mse_verifier_p256_domain(const struct mse_verifier *v) MSE_NONNULL(1);
/*
 * The attestation key x||y decoded (mse_ec_p256_key), remembered for the
 * next quote of the platform; borrowed, valid until the next call on the
 * verifier. NULL when xy is not a P-256 point (or memory is short): the
 * caller then decodes it itself and reports as mse_verify does.
 */
EVP_PKEY *mse_verifier_att_key(struct mse_verifier *v, const uint8_t xy[64]) MSE_NONNULL(1, 2);
/*
 * The span remembered for exactly these parts with `at` inside its window,
 * or NULL. The pointer is valid until the next call on the verifier.
 */
const struct mse_span *mse_verifier_recall(struct mse_verifier *v,
                                           const struct mse_blob parts[MSE_SPAN_PARTS],
                                           int64_t at) MSE_NONNULL(1, 2);
/*
 * Remember a span that passed, if every one of its items is valid at `at`
 * (its window is then the intersection of theirs). Best effort: nothing is
 * remembered when memory is short.
 */
void mse_verifier_remember(struct mse_verifier *v, const struct mse_blob parts[MSE_SPAN_PARTS],
                           int64_t at, const struct mse_span *span) MSE_NONNULL(1, 2, 4);

#endif

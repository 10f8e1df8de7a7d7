/*
 * A reusable verifier: mse_verify() with a memory of the platforms it has
 * already verified.
 *
 * mse_verify() starts from nothing every time: it decodes the anchor, the
 * PCK chain and the TCB signing certificate, and checks both CRLs, the TCB
 * info and the QE identity again, although for one platform these are the
 * same bytes verification after verification. A verifier remembers the
 * outcome of those platform checks (PCK_CHAIN .. QE_REPORT of
 * MSE_CHECK_LIST) once they all passed, keyed by
 *   - the EXACT bytes they read: the quote header, the quote's
 *     certification data (PCK chain), its QE report and QE report
 *     signature, and every collateral item (CRLs, issuer chains, TCB info,
 *     QE identity), compared byte for byte, never by a digest; and
 *   - the time window in which every item those checks looked at is valid
 *     (latest notBefore/thisUpdate/issueDate to earliest
 *     notAfter/nextUpdate): a remembered outcome is used only for an
 *     instant inside that window.
 * Anything else (other bytes, an instant outside the window, a platform
 * check that failed) runs the checks exactly as mse_verify() does; failures
 * are never remembered. What is checked per verification whatever the
 * memory holds: the RA-TLS certificate, its self-signature and key binding,
 * the quote format, QE REPORTDATA, the quote signature, the freshness of
 * every item at the given time and the whole policy. So another quote of
 * a remembered platform costs about the certificate and quote signatures,
 * and a raw quote (mse_verifier_verify_quote: no certificate) about its
 * quote signature.
 * Besides verdicts, a verifier keeps decodings that are no verdicts: its
 * anchor, the last attestation key (the exact 64 bytes of the quote and the
 * key OpenSSL made of them; the quote's signature is verified every time),
 * the P-256 domain parameters (the RA-TLS certificate's key is a copy of
 * them given the certificate's point, checked to be on the curve, instead
 * of a group OpenSSL builds anew for every key) and an OpenSSL library
 * context without key decoders, in which the RA-TLS
 * certificate is decoded without its key (the key is built from the
 * certificate's SubjectPublicKeyInfo on both paths, so this changes no
 * verdict: OpenSSL 3.0's provider key decoding alone costs about one ECDSA
 * verification).
 *
 * The result is the one mse_verify() gives for the same input, check by
 * check and message by message (tests/integration/negative_matrix_test.c
 * runs every case both ways).
 *
 * Ownership and threads: the caller owns the verifier (mse_verifier_new /
 * mse_verifier_free). It copies what it remembers and keeps no pointer to
 * the caller's input. It is not safe to use one verifier from two threads
 * at once (mse_verifier_verify changes its memory and its cached key, and
 * even mse_verifier_stats reads them): give each thread its own, or
 * serialise every call on it with a lock. Distinct verifiers share nothing
 * of mse's and may be used from different threads at the same time
 * (OpenSSL's own shared state is thread-safe).
 * Memory: at most MSE_VERIFIER_PLATFORMS platforms, holding at most
 * MSE_VERIFIER_MEMORY_BYTES of key bytes together, are remembered (the
 * oldest are forgotten first); each holds a copy of its key bytes (tens of
 * KiB for Intel's collateral). A platform whose bytes alone exceed the
 * bound is verified without being remembered. So a caller feeding many
 * platforms, or huge collateral, cannot make a verifier grow without bound.
 */
#ifndef MSE_VERIFIER_H
#define MSE_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/verify.h>

#define MSE_VERIFIER_PLATFORMS 8
#define MSE_VERIFIER_MEMORY_BYTES (4u << 20)

struct mse_verifier; /* opaque */

/* Counters, for benchmarks and tests: how often the memory answered. */
struct mse_verifier_stats {
    uint64_t verifications; /* calls to mse_verifier_verify(_quote) that ran to a verdict */
    uint64_t hits;          /* the platform checks were replayed from memory */
    uint64_t stored;        /* platform outcomes remembered */
    size_t platforms;       /* platforms remembered now (<= MSE_VERIFIER_PLATFORMS) */
    size_t bytes;           /* their key bytes now (<= MSE_VERIFIER_MEMORY_BYTES) */
};

/*
 * A verifier for one trust anchor: trust_root_der (a DER certificate, copied)
 * or NULL for the built-in Intel SGX Root CA. The anchor is decoded once
 * here. Errors: MSE_ERR_ARG (not one DER certificate), MSE_ERR_NOMEM.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_verifier_new(const uint8_t *trust_root_der,
                                                 size_t trust_root_len, struct mse_verifier **out)
    MSE_NONNULL(3);

/* Free the verifier and everything it remembers. NULL is fine. */
MSE_EXTERN void mse_verifier_free(struct mse_verifier *v);

/*
 * mse_verify() (<mse/verify.h>: same input, policy, result and errors) with
 * the verifier's anchor and memory. in->trust_root_der must be NULL or the
 * verifier's anchor, byte for byte (else MSE_ERR_ARG: a verifier never
 * mixes anchors).
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_verifier_verify(struct mse_verifier *v,
                                                    const struct mse_verify_input *in,
                                                    const struct mse_policy *policy,
                                                    struct mse_verify_result *result)
    MSE_NONNULL(1, 2, 3, 4);

/*
 * mse_verify_quote() (<mse/verify.h>: a raw quote; same input, policy, result
 * and errors) with the verifier's anchor and memory: quotes of a platform
 * already verified cost about their own signature. in->trust_root_der as for
 * mse_verifier_verify.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_verifier_verify_quote(struct mse_verifier *v,
                                                          const struct mse_verify_quote_input *in,
                                                          const struct mse_policy *policy,
                                                          struct mse_verify_result *result)
    MSE_NONNULL(1, 2, 3, 4);

/* The counters so far. */
MSE_EXTERN void mse_verifier_stats(const struct mse_verifier *v, struct mse_verifier_stats *out)
    MSE_NONNULL(1, 2);

#endif

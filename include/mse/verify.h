/*
 * Complete verification of an RA-TLS certificate: Intel DCAP (the QVL
 * algorithm) against a pinned trust anchor, then the mse policy.
 *
 * Pure: certificate bytes + collateral + policy + time in, result out. No
 * files, sockets, clock or environment. The result says which check decided
 * the verdict, with a stable code (mse_err) and a precise message.
 */
#ifndef MSE_VERIFY_H
#define MSE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/collateral.h>
#include <mse/err.h>
#include <mse/quote.h>

/* TCB statuses of Intel's TCB info / QE identity models. */
enum mse_tcb_status {
    MSE_TCB_UP_TO_DATE = 0,
    MSE_TCB_SW_HARDENING_NEEDED = 1,
    MSE_TCB_CONFIGURATION_NEEDED = 2,
    MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED = 3,
    MSE_TCB_OUT_OF_DATE = 4,
    MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED = 5,
    MSE_TCB_REVOKED = 6,
    MSE_TCB_UNKNOWN = 7, /* not evaluated */
    MSE_TCB_STATUS_COUNT
};
/* "UpToDate", ... as Intel spells them; mse_tcb_status_parse is the inverse. */
MSE_EXTERN const char *mse_tcb_status_name(enum mse_tcb_status s);
MSE_EXTERN MSE_MUST_USE mse_err mse_tcb_status_parse(const char *name, size_t len, enum mse_tcb_status *out);
#define MSE_TCB_MASK(s) (1u << (s))

/* How the certificate public key is bound to the quote's REPORTDATA. */
enum mse_binding {
    MSE_BINDING_NONE = 0,
    MSE_BINDING_MSE,     /* RD[0:32] = SHA-256(X9.62 uncompressed point); RD[32:64] = X25519 key */
    MSE_BINDING_GRAMINE, /* RD[0:32] = SHA-256(DER SubjectPublicKeyInfo) */
    MSE_BINDING_DICE,    /* TCG DICE claims hash entry over the SPKI */
};
MSE_EXTERN const char *mse_binding_name(enum mse_binding b);

/* The checks, in the order the verifier runs them. Never renumbered. */
#define MSE_CHECK_LIST(X)                                                                          \
    X(CERT, "certificate", "RA-TLS certificate and quote extension")                               \
    X(QUOTE, "quote", "quote format")                                                              \
    X(BINDING, "key_binding", "certificate key bound by REPORTDATA")                               \
    X(PCK_CHAIN, "pck_chain", "PCK certificate chain to the trusted root")                         \
    X(ROOT_CA_CRL, "root_ca_crl", "Root CA CRL")                                                   \
    X(PCK_CRL, "pck_crl", "PCK CA CRL")                                                            \
    X(TCB_INFO, "tcb_info", "TCB info signature and platform match")                               \
    X(QE_IDENTITY, "qe_identity", "QE identity")                                                   \
    X(QE_REPORT, "qe_report", "QE report signed by the PCK key")                                   \
    X(QE_REPORT_DATA, "qe_report_data", "QE report data binds the attestation key")                \
    X(QUOTE_SIGNATURE, "quote_signature", "quote signed by the attestation key")                   \
    X(COLLATERAL_TIME, "collateral_time", "every collateral item valid at the given time")         \
    X(TCB_STATUS, "tcb_status", "platform and QE TCB status accepted")                             \
    X(DEBUG, "debug", "enclave is not in debug mode")                                              \
    X(MRSIGNER, "mrsigner", "MRSIGNER is the operator's")                                          \
    X(MRENCLAVE, "mrenclave", "MRENCLAVE is the code fingerprint")                                 \
    X(ISV, "isv", "ISVPRODID and minimum ISVSVN")

enum mse_check_id {
#define MSE_CHECK_ENUM_(id, key, title) MSE_CHECK_##id,
    MSE_CHECK_LIST(MSE_CHECK_ENUM_)
#undef MSE_CHECK_ENUM_
        MSE_CHECK_COUNT
};
/* "pck_chain"... (JSON key) and a short title for humans. */
MSE_EXTERN const char *mse_check_key(enum mse_check_id id);
MSE_EXTERN const char *mse_check_title(enum mse_check_id id);

enum mse_outcome {
    MSE_OUTCOME_NOT_RUN = 0, /* an earlier check failed, or the verifier stopped */
    MSE_OUTCOME_PASS,
    MSE_OUTCOME_FAIL,
    MSE_OUTCOME_WARN,    /* passed only because the policy tolerates it (expired, TCB status) */
    MSE_OUTCOME_SKIPPED, /* not requested by the policy (e.g. no fingerprint given) */
};
MSE_EXTERN const char *mse_outcome_name(enum mse_outcome o);

struct mse_check_result {
    enum mse_outcome outcome;
    mse_err err;         /* MSE_OK unless FAIL or WARN */
    char detail[512];    /* precise, human: which item, which value, which date */
};

/* One collateral item's validity window, as evaluated at the given time. */
struct mse_validity_item {
    char name[48];       /* "PCK CRL", "QE identity", "TCB signing certificate", ... */
    int64_t not_before;  /* UTC seconds (issueDate, thisUpdate, notBefore) */
    int64_t not_after;   /* UTC seconds (nextUpdate, notAfter) */
    bool valid;          /* not_before <= at < not_after */
};
#define MSE_MAX_VALIDITY_ITEMS 16
#define MSE_MAX_ADVISORIES 32

struct mse_policy {
    bool allow_debug;
    bool allow_expired_collateral; /* go on past expired items, reported as WARN */
    uint32_t accepted_tcb;         /* MSE_TCB_MASK(...) bits; UpToDate is always accepted,
                                      Revoked never */
    /* Accept any of these MRSIGNERs (operator signer list); none = check skipped. */
    const uint8_t (*mrsigners)[32];
    size_t mrsigner_count;
    const uint8_t *mrenclave;      /* 32 bytes, or NULL = check skipped with a warning */
    bool check_isv_prod_id;
    uint16_t isv_prod_id;
    bool check_min_isv_svn;
    uint16_t min_isv_svn;
};
/* Default policy: no debug, UpToDate only, no expired collateral, no identity checks. */
MSE_EXTERN void mse_policy_init(struct mse_policy *p) MSE_NONNULL(1);

/* MRSIGNER of an RSA-3072 signer public key: SHA-256 of the little-endian modulus. */
MSE_EXTERN MSE_MUST_USE mse_err mse_mrsigner_from_pem(const uint8_t *pem, size_t len, uint8_t out[32])
    MSE_NONNULL(1, 3);

/* The built-in anchor: the genuine Intel SGX Root CA, DER. */
MSE_EXTERN const uint8_t *mse_intel_root_ca_der(size_t *len) MSE_NONNULL(1);

struct mse_verify_input {
    const uint8_t *cert_der; /* the RA-TLS certificate presented by the server */
    size_t cert_len;
    const struct mse_collateral *collateral;
    const uint8_t *trust_root_der; /* NULL = the built-in Intel SGX Root CA */
    size_t trust_root_len;
    int64_t at; /* verification time, UTC seconds */
};

struct mse_verify_result {
    bool ok;                   /* every check passed (WARNs allowed by policy) */
    mse_err err;               /* decisive failure, MSE_OK if ok */
    char message[1024];        /* human sentence for err: which check, what value */
    struct mse_check_result checks[MSE_CHECK_COUNT];

    /* Identity from the quote (valid once the QUOTE check passed). */
    bool have_quote;
    struct mse_report_body enclave; /* the ISV enclave's report; enclave.raw is NULL */
    bool debug;
    enum mse_binding binding;
    uint8_t x25519_public_key[32]; /* MSE binding only: REPORTDATA[32:64] */

    /* Platform (valid once the PCK chain check passed). */
    uint8_t fmspc[6];
    uint16_t pce_id;
    uint8_t pck_cpusvn[16];
    uint16_t pck_pcesvn;

    /* TCB (valid once TCB_INFO / QE_IDENTITY passed). */
    enum mse_tcb_status tcb_status;          /* combined, as QVL combines them */
    enum mse_tcb_status platform_tcb_status; /* from TCB info */
    enum mse_tcb_status qe_tcb_status;       /* from QE identity */
    char tcb_date[32];                       /* tcbDate of the matched level */
    char advisories[MSE_MAX_ADVISORIES][24]; /* "INTEL-SA-00615", ... */
    size_t advisory_count;

    struct mse_validity_item validity[MSE_MAX_VALIDITY_ITEMS];
    size_t validity_count;
};

/*
 * Run every check. Returns MSE_OK when the verification ran to a verdict
 * (read result->ok), or an error for a caller mistake (trust root that is
 * not a DER certificate: MSE_ERR_ARG) or resource failure (MSE_ERR_NOMEM,
 * MSE_ERR_CRYPTO). A refused certificate is result->ok == false with
 * result->err and result->message set.
 *
 * Decisive failure: checks CERT..QUOTE_SIGNATURE run in order and stop at
 * the first failure. Only if all pass is COLLATERAL_TIME judged: every item
 * of result->validity[] must satisfy not_before <= at < not_after; an
 * invalid item refuses (naming each invalid item and its date) unless
 * policy->allow_expired_collateral (then WARN). Then all policy checks are
 * evaluated and the first failing one decides. in->collateral may be NULL
 * (every collateral check then fails as missing). Nothing is retained:
 * result holds copies only (result->enclave.raw is NULL).
 * See docs/verification.md.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_verify(const struct mse_verify_input *in, const struct mse_policy *policy,
                                struct mse_verify_result *result) MSE_NONNULL(1, 2, 3);

/*
 * The result as one JSON object (keys documented in docs/cmd/mse-verify.md):
 * verdict, checks, tcb_status, advisories, mrenclave, mrsigner, isv_prod_id,
 * isv_svn, debug, binding, error {code, message}. Caller frees with free().
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_verify_result_json(const struct mse_verify_result *r, char **out)
    MSE_NONNULL(1, 2);

#endif

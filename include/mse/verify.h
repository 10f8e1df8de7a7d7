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
    MSE_BINDING_REPORT_DATA, /* raw quote: REPORTDATA is (starts with) the value the policy expects */
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
    X(CERT_TIME, "certificate_time", "RA-TLS certificate valid at the given time")                 \
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
    MSE_OUTCOME_NOT_APPLICABLE, /* the input has nothing to check here (a raw quote has no
                                   certificate, hence no certificate key to bind) */
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
    bool allow_expired_collateral; /* go on past collateral items past their end, reported as
                                      WARN; never not-yet-valid items, never the RA-TLS
                                      certificate's own window */
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
    /*
     * Advisory IDs ("INTEL-SA-00615") the caller has assessed. A TCB status
     * that accepted_tcb does not accept is accepted (WARN) when it carries
     * at least one advisory and every advisory of the matched TCB levels is
     * listed here. Revoked never is.
     */
    const char *const *accepted_advisories;
    size_t accepted_advisory_count;
    /*
     * Raw quotes only (mse_verify_quote): the expected REPORTDATA, all 64
     * bytes (report_data_len 64) or a prefix (1..63). NULL: nothing binds
     * the quote to a channel, and the result says so. Ignored for
     * certificates, whose REPORTDATA binds the certificate key.
     */
    const uint8_t *report_data;
    size_t report_data_len;
};
/* Default policy: no debug, UpToDate only, no expired collateral, no identity checks. */
MSE_EXTERN void mse_policy_init(struct mse_policy *p) MSE_NONNULL(1);

/*
 * The policy as JSON (docs/formats/policy.md): every key, defaults included,
 * so that mse_policy_from_json of the text gives the same policy. Caller
 * frees *out with free(). MSE_ERR_NOMEM.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_policy_to_json(const struct mse_policy *p, char **out) MSE_NONNULL(1, 2);

/* Storage a policy read from JSON points into; placed by the caller, outlives the policy. */
#define MSE_POLICY_MAX_SIGNERS 32
struct mse_policy_store {
    uint8_t mrsigners[MSE_POLICY_MAX_SIGNERS][32];
    uint8_t mrenclave[32];
    uint8_t report_data[64];
    char advisories[MSE_MAX_ADVISORIES][24];
    const char *advisory_ptrs[MSE_MAX_ADVISORIES];
};
/*
 * Read a policy document strictly: unknown or duplicate keys, wrong types,
 * malformed hex, a Revoked status: MSE_ERR_POLICY_FORMAT, with the key named
 * in why (may be NULL); larger than 256 KiB: MSE_ERR_LIMIT. Missing keys
 * keep mse_policy_init's defaults. On error *out is the default policy.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_policy_from_json(const uint8_t *text, size_t len,
                                          struct mse_policy_store *store, struct mse_policy *out,
                                          char *why, size_t why_len) MSE_NONNULL(1, 3, 4);
/* Whether id has the shape of an advisory ID (letters, digits, '-', < 24 chars): MSE_ERR_ARG. */
MSE_EXTERN MSE_MUST_USE mse_err mse_policy_advisory_id_ok(const char *id, size_t len) MSE_NONNULL(1);

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
 * the first failure. Only if all pass is freshness judged: COLLATERAL_TIME
 * (every collateral item of result->validity[] must satisfy
 * not_before <= at < not_after; an invalid item refuses, naming each invalid
 * item and its date, except that policy->allow_expired_collateral turns items
 * past their end only into a WARN; a not-yet-valid item always refuses), then
 * CERT_TIME (the RA-TLS certificate's own window, never tolerated); the first
 * failing one decides. Then all policy checks are
 * evaluated and the first failing one decides. in->collateral may be NULL
 * (every collateral check then fails as missing). Nothing is retained:
 * result holds copies only (result->enclave.raw is NULL).
 * See docs/verification.md.
 *
 * Cold: each call decodes the anchor and re-checks the whole chain and all
 * collateral. A caller verifying many quotes (a server's clients, a fleet
 * of one platform) can keep a struct mse_verifier (<mse/verifier.h>):
 * same verdicts, with the platform checks remembered between calls.
 * Thread safety: mse_verify keeps no state and may run in many threads at
 * once.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_verify(const struct mse_verify_input *in, const struct mse_policy *policy,
                                struct mse_verify_result *result) MSE_NONNULL(1, 2, 3);

/*
 * Verify a raw quote (as QVL's sample app or dcap-qvl take it) with the same
 * checks, collateral, policy and time as mse_verify, into the same result.
 * A raw quote has no certificate: the CERT check is NOT_APPLICABLE, and so is
 * BINDING unless policy->report_data is set, when BINDING compares REPORTDATA
 * with it (MSE_ERR_POLICY_REPORT_DATA; binding MSE_BINDING_REPORT_DATA on
 * success). No RA-TLS certificate appears in result->validity. Returns as
 * mse_verify; a quote that is not a verifiable SGX quote is a verdict
 * (QUOTE check FAIL, e.g. MSE_ERR_QUOTE_TDX for a TDX quote).
 */
struct mse_verify_quote_input {
    const uint8_t *quote; /* the raw quote bytes (v3 ECDSA-P256, PCK chain inside) */
    size_t quote_len;
    const struct mse_collateral *collateral;
    const uint8_t *trust_root_der; /* NULL = the built-in Intel SGX Root CA */
    size_t trust_root_len;
    int64_t at; /* verification time, UTC seconds */
};
MSE_EXTERN MSE_MUST_USE mse_err mse_verify_quote(const struct mse_verify_quote_input *in,
                                      const struct mse_policy *policy,
                                      struct mse_verify_result *result) MSE_NONNULL(1, 2, 3);

/*
 * Evaluate the policy checks (step 3: TCB status, debug, MRSIGNER, MRENCLAVE,
 * ISV) of `result` again under `policy`, as mse_verify / mse_verify_quote
 * would have with it: same outcomes, verdict, err and message. For a result
 * those functions reached a verdict on with a policy that differs from this
 * one ONLY in mrenclave (the other fields decide earlier checks too): so a
 * caller can verify the quote while the expected MRENCLAVE is still being
 * computed, with a placeholder that cannot match (random bytes: a result
 * left unevaluated refuses), and decide check 3 once it is known. A result
 * that a DCAP or freshness check decided (its policy checks NOT_RUN) is left
 * as it is: no policy changes that verdict.
 */
MSE_EXTERN void mse_verify_result_repolicy(const struct mse_policy *policy,
                                           struct mse_verify_result *result) MSE_NONNULL(1, 2);

/*
 * The result as one JSON object (keys documented in docs/cmd/mse-verify.md):
 * verdict, checks, tcb_status, advisories, mrenclave, mrsigner, isv_prod_id,
 * isv_svn, debug, binding, error {code, message}. Caller frees with free().
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_verify_result_json(const struct mse_verify_result *r, char **out)
    MSE_NONNULL(1, 2);

#endif

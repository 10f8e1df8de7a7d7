/*
 * What `mse verify`, `mse configure` (and every command that decides whether
 * to trust an enclave) share: one table of policy options, one table of
 * collateral options, one parser for both, and the one verification path
 * (policy and trust anchor resolved from the options, collateral from the
 * cache or a PCCS, libmse's mse_verify, the human report).
 *
 * A command lists cli_policy_options and cli_collateral_options among its
 * tables (struct mse_opt_cmd) and hands every id >= CLI_OPT_SHARED that
 * reaches its take function to cli_policy_apply. The plain values are stored
 * by the tables themselves, at their offset in struct cli_policy_args: so the
 * command's options struct must begin with its struct cli_policy_args
 * (CLI_POLICY_ARGS_FIRST checks it at compile time).
 */
#ifndef MSE_CLI_POLICY_H
#define MSE_CLI_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/net.h>
#include <mse/verify.h>

#include "cli.h"
#include "context/context.h"

extern const char cli_default_signer_cosmian[];

#define CLI_MAX_SIGNERS 32

/* Ids of the shared options; a command's own option ids stay below CLI_OPT_SHARED. */
enum cli_shared_opt {
    CLI_OPT_SHARED = 100,
    CLI_OPT_FINGERPRINT = CLI_OPT_SHARED,
    CLI_OPT_CODE,
    CLI_OPT_SIGNER_KEY,
    CLI_OPT_MRSIGNER,
    CLI_OPT_TRUST_ROOT,
    CLI_OPT_ALLOW_DEBUG,
    CLI_OPT_ALLOW_TCB,
    CLI_OPT_ALLOW_EXPIRED,
    CLI_OPT_PCCS_URL,
    CLI_OPT_PCCS_CACERT,
    CLI_OPT_PCCS_INSECURE,
    CLI_OPT_OFFLINE,
    CLI_OPT_NO_CACHE,
    CLI_OPT_TIMEOUT,
    CLI_OPT_AT,
    CLI_OPT_ISV_PROD_ID,
    CLI_OPT_MIN_ISV_SVN,
    CLI_OPT_ACCEPT_ADVISORIES,
    CLI_OPT_POLICY,
};

extern const struct mse_opt cli_policy_options[];     /* which enclave to accept */
extern const struct mse_opt cli_collateral_options[]; /* where collateral comes from */
extern const struct mse_opt cli_time_options[];       /* --at: verify as of another instant */

/* The shared options as parsed (values checked, nothing read from disk yet). */
struct cli_policy_args {
    /* check 3, the code: a fingerprint, or one computed from context + code */
    bool fingerprint_given;
    uint8_t fingerprint[32];
    const char *context;  /* a context file; set by the command's own option */
    const char *code;     /* the plain code directory */
    /* check 2, the operator: replaces the configured and built-in signers */
    const char *signer_key; /* PEM public key file */
    bool mrsigner_given;
    uint8_t mrsigner[32];
    /* check 1 */
    const char *trust_root; /* PEM file replacing the Intel root (simulator) */
    bool allow_debug;
    uint32_t allow_tcb;     /* MSE_TCB_MASK of the statuses accepted besides UpToDate */
    bool allow_expired;
    bool at_given;          /* verify as of `at` instead of now */
    int64_t at;             /* UTC seconds */
    bool isv_prod_id_given;
    uint16_t isv_prod_id;
    bool min_isv_svn_given;
    uint16_t min_isv_svn;
    char advisories[MSE_MAX_ADVISORIES][24]; /* --accept-advisories, each checked in shape */
    size_t advisory_count;
    const char *policy_file; /* --policy: the whole policy from a file (docs/formats/policy.md) */
    /* collateral */
    const char *pccs_url;
    const char *pccs_cacert;
    bool pccs_insecure;
    bool offline;
    bool no_cache;
    long timeout_ms;
};

void cli_policy_args_init(struct cli_policy_args *a);

/*
 * The shared tables store plain values at offsetof(struct cli_policy_args, x)
 * into the command's options struct ARGS: true only when ARGS begins with it.
 */
#define CLI_POLICY_ARGS_FIRST(ARGS, member)                                                        \
    _Static_assert(offsetof(ARGS, member) == 0,                                                    \
                   #ARGS " must begin with its struct cli_policy_args (the shared option tables)")

/* A shared option that needs checking (id >= CLI_OPT_SHARED). MSE_ERR_ARG* + why. */
MSE_MUST_USE mse_err cli_policy_apply(struct cli_policy_args *a, int id, const char *arg,
                                      char *why, size_t why_cap);

/* After the last option: options that exclude or need each other. */
MSE_MUST_USE mse_err cli_policy_check(const struct cli_policy_args *a, char *why, size_t why_cap);

struct cli_fingerprint_task; /* a --context/--code fingerprint being computed (cli_policy.c) */

/* Policy and anchor resolved from the options; owns its storage. */
struct cli_verify_setup {
    struct mse_policy policy;
    struct mse_policy_store store; /* what a --policy file's policy (and the advisories) point into */
    uint8_t signers[CLI_MAX_SIGNERS][32];
    uint8_t mrenclave[32];
    uint8_t *trust_root_der;
    size_t trust_root_len;
    int64_t at;             /* the verification instant, UTC seconds */
    bool fingerprint_given; /* policy.mrenclave is set */
    struct cli_fingerprint_task *fingerprint_task; /* --context/--code: see _settle */
    struct mse_code_diff code_diff; /* --context/--code, once settled: files not as claimed */
};

/*
 * Read what the options name (signer keys, $MSE_CONF_PATH/signers, trust
 * root, the context and code for a computed fingerprint) into s; `now` is
 * the instant used without --at. On error s needs no free.
 * With --context/--code the fingerprint is computed on a thread of its own,
 * beside the caller's network work and verification: until
 * cli_verify_setup_settle() has returned MSE_OK, policy.mrenclave holds 32
 * random bytes, so a verdict reached too early can only refuse, until
 * cli_verify_setup_decide() decides its check 3 with the fingerprint.
 */
MSE_MUST_USE mse_err cli_verify_setup_init(const struct cli_policy_args *a, int64_t now,
                                           struct cli_verify_setup *s, char *why, size_t why_cap);

/*
 * Wait for the fingerprint (if any) and put it into policy.mrenclave. Its
 * error, the same on every call, says why it could not be computed.
 */
MSE_MUST_USE mse_err cli_verify_setup_settle(struct cli_verify_setup *s, char *why,
                                             size_t why_cap);

/*
 * cli_verify_setup_settle, then, when it succeeded and result is not NULL,
 * check 3 of that verdict decided with the fingerprint: the policy checks of
 * a verdict reached while it was being computed (on the placeholder) are
 * evaluated again (mse_verify_result_repolicy), as if it had been known from
 * the start. Every verdict reached before cli_verify_setup_settle() returned
 * (mse verify's) goes through here before it is used; mse configure settles
 * first and verifies with the fingerprint itself.
 */
MSE_MUST_USE mse_err cli_verify_setup_decide(struct cli_verify_setup *s,
                                             struct mse_verify_result *result, char *why,
                                             size_t why_cap);

/*
 * With a fingerprint being computed beside: wait until the code is hashed
 * (or the computation ended), so that the caller's CPU work (the quote's
 * verification) runs beside the enclave's measurement, on the core the
 * hashing no longer needs, rather than taking one from it. When the
 * measurement runs beside the hashing (a context that claims the files'
 * hashes), there is nothing to wait for. Returns at once otherwise.
 */
void cli_verify_setup_await_hashed(struct cli_verify_setup *s);

/* Waits for a fingerprint still being computed, then frees. */
void cli_verify_setup_free(struct cli_verify_setup *s);

/* What cli_verify_with_collateral saw besides the verdict. */
struct cli_collateral_info {
    unsigned requests;       /* PCCS requests made (MSE_DEBUG_REQUESTS prints it) */
    struct cli_notes notes;  /* warnings for the print function */
    bool capture;            /* in: keep the evidence verified (--save-evidence) */
    char *evidence;          /* out, with capture: the evidence bundle JSON once verification
                                ran (a verdict either way); the caller frees it */
};

/*
 * Obtain the collateral for cert_der (cache, then PCCS) and verify it.
 * MSE_OK when verification ran: the verdict is in *result (result->err).
 * Otherwise the reason it could not run (MSE_ERR_RATLS_NO_QUOTE, a PCCS or
 * cache error) in why, and *result holds nothing. Prints nothing; progress
 * (may be NULL) is told what it waits for.
 */
MSE_MUST_USE mse_err cli_verify_with_collateral(const struct cli_policy_args *a,
                                                struct cli_verify_setup *s,
                                                const uint8_t *cert_der, size_t cert_len,
                                                cli_progress_fn progress,
                                                struct mse_verify_result *result,
                                                struct cli_collateral_info *info, char *why,
                                                size_t why_cap);

/*
 * The same for a raw quote (mse_verify_quote): collateral for the quote's
 * FMSPC and PCK CA from the cache or a PCCS. Evidence capture is not
 * available (a bundle holds a certificate).
 */
MSE_MUST_USE mse_err cli_verify_quote_with_collateral(const struct cli_policy_args *a,
                                                      struct cli_verify_setup *s,
                                                      const uint8_t *quote, size_t quote_len,
                                                      cli_progress_fn progress,
                                                      struct mse_verify_result *result,
                                                      struct cli_collateral_info *info, char *why,
                                                      size_t why_cap);

/* The effective policy (docs/formats/policy.md) added to a --json result as "policy". */
MSE_MUST_USE mse_err cli_result_json_with_policy(const struct mse_verify_result *r,
                                                 const struct mse_policy *p, char **out);

/* The human report: one line per check, warnings, verdict (nothing with --quiet/--json). */
void cli_verify_report_print(const struct cli_out *out, const struct mse_verify_result *r);

#endif

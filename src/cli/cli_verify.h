/* Shared between `mse verify`, `mse configure` and `mse demo`: one verification path. */
#ifndef MSE_CLI_VERIFY_H
#define MSE_CLI_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/net.h>
#include <mse/verify.h>

#include "cli.h"

extern const char MSE_DEFAULT_SIGNER_COSMIAN[];

#define MSE_MAX_SIGNERS 32

/* Everything `mse verify` needs besides the target; filled from the command line. */
struct mse_verify_opts {
    const char *at;          /* RFC 3339 or NULL (now) */
    const char *fingerprint; /* 64 hex or NULL */
    const char *context;     /* with code: compute the fingerprint */
    const char *code;
    const char *signer_key;  /* PEM file */
    const char *mrsigner;    /* 64 hex */
    const char *trust_root;  /* PEM file, replaces the Intel root */
    bool allow_debug;
    const char *allow_tcb;   /* "SWHardeningNeeded,OutOfDate" */
    bool allow_expired;
    const char *pccs_url;
    const char *pccs_cacert;
    bool pccs_insecure;
    bool offline;
    bool no_cache;
    long timeout_ms;
};

/* Policy and anchor resolved from the options; owns its storage. */
struct mse_verify_setup {
    struct mse_policy policy;
    uint8_t signers[MSE_MAX_SIGNERS][32];
    uint8_t mrenclave[32];
    uint8_t *trust_root_der;
    size_t trust_root_len;
    int64_t at;
    bool fingerprint_given;
};

/* Returns an exit code (0 on success), printing the reason on failure. */
int mse_verify_setup_init(const struct mse_out *out, const struct mse_verify_opts *o,
                          struct mse_verify_setup *s);
void mse_verify_setup_free(struct mse_verify_setup *s);

/*
 * Obtain the collateral for cert_der (cache, then PCCS) and verify it.
 * Returns an exit code; *result is filled when verification ran (then the
 * exit code follows result->err).
 */
int mse_verify_online(const struct mse_out *out, const struct mse_verify_opts *o,
                      const struct mse_verify_setup *s, const uint8_t *cert_der, size_t cert_len,
                      struct mse_verify_result *result);

/* The human report: one line per check, warnings, verdict. */
void mse_verify_print(const struct mse_out *out, const struct mse_verify_result *r);

/* Save the verified DER as PEM at path, with the record at <path>.verify.json. */
int mse_verify_save(const struct mse_out *out, const char *path, const char *target,
                    const uint8_t *der, size_t len, const struct mse_verify_result *r, int64_t at);

#endif

/*
 * mse verify, shaped parse -> run -> print (cli.h). The policy and
 * collateral options and the verification path it shares with other
 * commands are in cli_policy.h.
 */
#ifndef MSE_CLI_VERIFY_H
#define MSE_CLI_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/net.h>
#include <mse/verify.h>

#include "cli_policy.h"

extern const struct mse_opt_cmd cli_verify_cmd;

/* The command line of `mse verify`, checked. */
struct cli_verify_args {
    struct cli_policy_args policy;
    struct cli_out out;          /* --json, --quiet */
    const char *target;          /* DOMAIN as given, or NULL with --evidence */
    struct mse_endpoint endpoint; /* target parsed */
    const char *evidence;        /* an evidence bundle file, or NULL */
    const char *quote;           /* a raw quote file, or NULL */
    const char *collateral;      /* with quote: QVL directory or dcap-qvl JSON, else a PCCS */
    uint8_t report_data[64];     /* with quote: expected REPORTDATA (or its prefix) */
    size_t report_data_len;      /* 0: none given */
    const char *cert;            /* a saved RA-TLS certificate file, or NULL */
    const char *ratls_path;      /* with DOMAIN: fetch the RA-TLS certificate from this path */
    const char *cacert;          /* with ratls_path: CA of the app's HTTPS certificate */
    const char *save_evidence;   /* write the evidence verified here (bundle format) */
    const char *output;          /* where the certificate is saved */
    bool no_name_check;          /* --no-name-check: DOMAIN's host need not be in the SAN */
    bool help;                   /* --help: print it, do nothing else */
};

/* What running it produced, for the print function. */
struct cli_verify_outcome {
    bool started;                  /* the local checks passed: inputs were being gathered */
    bool ran;                      /* mse_verify ran: result holds the verdict */
    bool online;                   /* collateral came from the cache or a PCCS */
    bool saved;                    /* the certificate and its record were written */
    bool raw_quote;                /* a raw quote was verified: nothing to save */
    bool evidence_saved;           /* --save-evidence written */
    char *json;                    /* with --json: result and effective policy (free with
                                      cli_verify_outcome_free) */
    struct mse_verify_result result;
    struct cli_collateral_info info;
};

/* Usage errors (MSE_ERR_ARG*) with one line in why. */
MSE_MUST_USE mse_err cli_verify_parse(int argc, char **argv, struct cli_verify_args *a, char *why,
                                      size_t why_cap);

/*
 * Verify and, only on success, save. Returns MSE_OK when saved, the verdict's
 * error when verification refused, else the reason it could not run or save
 * (in why). Prints nothing.
 */
MSE_MUST_USE mse_err cli_verify_run(const struct cli_verify_args *a, int64_t now,
                                    cli_progress_fn progress, struct cli_verify_outcome *o,
                                    char *why, size_t why_cap);

void cli_verify_outcome_free(struct cli_verify_outcome *o);

void cli_verify_print(const struct cli_verify_args *a, const struct cli_verify_outcome *o,
                      mse_err err, const char *why);

#endif

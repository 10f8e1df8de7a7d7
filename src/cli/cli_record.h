/*
 * The verification record <cert>.verify.json (docs/formats/verify-record.md):
 * its writer (mse verify) and its reader (mse trust add), one module.
 */
#ifndef MSE_CLI_RECORD_H
#define MSE_CLI_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/verify.h>

/* What a matching verification record says (for the user's information). */
struct cli_record {
    char target[256];      /* "" when absent */
    char verified_at[32];  /* RFC 3339 */
    char checks[512];      /* "name=value, ..." of the record's checks object, shortened */
    bool code_checked;     /* checks.mrenclave.outcome is "pass": the code fingerprint matched */
    bool not_debug;        /* checks.debug.outcome is "pass": not a debug enclave */
};

/*
 * Check a verification record (`<cert>.verify.json`, written by a successful
 * `mse verify`, see docs/cmd/mse-trust.md) against the certificate's SHA-256:
 * JSON object without duplicate keys, "sha256" 64 hex digits equal to
 * `sha256`, "verdict" exactly "success", "verified_at" an RFC 3339 UTC
 * instant. code_checked tells whether the record shows the code fingerprint
 * (MRENCLAVE) checked and matched; without it the verification accepted any
 * code the signer signed, which the caller decides about; not_debug likewise
 * whether the enclave was shown not to be a debug one. Errors: MSE_ERR_JSON, MSE_ERR_JSON_DUPLICATE_KEY,
 * MSE_ERR_JSON_FIELD, MSE_ERR_UNVERIFIED_CERT (other certificate, or a
 * verdict other than success).
 */
MSE_MUST_USE mse_err cli_record_check(const char *json, size_t len, const uint8_t sha256[32],
                                      struct cli_record *out);

/*
 * Save the verified DER as PEM at path, with its record at <path>.verify.json
 * written last and the old record removed first, so a record never sits
 * beside another certificate (mse_file_write_with_record). target is what
 * was verified (DOMAIN or the evidence file), at the verification instant;
 * name_check_skipped: the record says --no-name-check was used. On error the
 * certificate may be left without a record, never with a wrong one; the
 * reason is in why.
 */
MSE_MUST_USE mse_err cli_record_save(const char *path, const char *target, const uint8_t *der,
                                     size_t len, const struct mse_verify_result *r, int64_t at,
                                     bool name_check_skipped, char *why, size_t why_cap);

/*
 * Whether a file can be saved at path, checked before any network work so
 * that a verification is never run for nothing: the parent directory exists,
 * is a directory and is writable, and path and <path>.verify.json
 * (with_record) are each a regular file or absent (never a directory,
 * symbolic link, FIFO, socket or device). MSE_ERR_FILE_WRITE with the reason.
 */
MSE_MUST_USE mse_err cli_record_output_check(const char *path, bool with_record, char *why,
                                             size_t why_cap);

#endif

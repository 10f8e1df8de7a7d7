/*
 * The testable parts of `mse trust` (cli_trust.c): the nickname rule, the
 * certificate checks and the verification record check. See
 * docs/cmd/mse-trust.md.
 */
#ifndef MSE_CLI_TRUST_H
#define MSE_CLI_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

/* Largest certificate or record file `mse trust` reads. */
#define MSE_TRUST_FILE_LIMIT (1u << 20)

/*
 * An NSS nickname `mse trust` accepts: 1 to 64 characters from [A-Za-z0-9._-],
 * starting with a letter or digit (never "-", so it can never read as an
 * option to certutil even by mistake).
 */
bool mse_trust_name_ok(const char *name);

/* A certificate file as `mse trust add` sees it. */
struct mse_trust_cert {
    uint8_t *der;        /* the certificate's exact DER bytes (malloc'd) */
    size_t der_len;
    uint8_t sha256[32];  /* SHA-256 of der: what the verification record names */
    bool is_ca;          /* BasicConstraints cA = TRUE */
    bool self_signed;    /* subject == issuer */
    bool expired;        /* notAfter is in the past (checked against `now`) */
    bool not_yet_valid;  /* notBefore is in the future */
    char san[512];       /* "DNS:localhost, IP:127.0.0.1" or "" when there is no SAN */
};

/*
 * Parse one certificate from `data`: PEM holding exactly one CERTIFICATE
 * block (nothing but whitespace around it), or raw DER with no trailing byte.
 * `now` is UTC seconds for the validity flags. Errors: MSE_ERR_PEM,
 * MSE_ERR_CERT_PARSE, MSE_ERR_TRAILING_BYTES (a second certificate or extra
 * bytes), MSE_ERR_NOMEM, MSE_ERR_CRYPTO. Free with mse_trust_cert_free.
 */
MSE_MUST_USE mse_err mse_trust_cert_load(const uint8_t *data, size_t len, int64_t now,
                                         struct mse_trust_cert *out);
void mse_trust_cert_free(struct mse_trust_cert *c);

/* What a matching verification record says (for the user's information). */
struct mse_trust_record {
    char target[256];      /* "" when absent */
    char verified_at[32];  /* RFC 3339 */
    char checks[512];      /* "name=value, ..." of the record's checks object, shortened */
};

/*
 * Check a verification record (`<cert>.verify.json`, written by a successful
 * `mse verify`, see docs/cmd/mse-trust.md) against the certificate's SHA-256:
 * JSON object without duplicate keys, "sha256" 64 hex digits equal to
 * `sha256`, "verdict" exactly "success", "verified_at" an RFC 3339 UTC
 * instant. Errors: MSE_ERR_JSON, MSE_ERR_JSON_DUPLICATE_KEY,
 * MSE_ERR_JSON_FIELD, MSE_ERR_UNVERIFIED_CERT (other certificate, or a
 * verdict other than success).
 */
MSE_MUST_USE mse_err mse_trust_record_check(const char *json, size_t len,
                                            const uint8_t sha256[32],
                                            struct mse_trust_record *out);

#endif

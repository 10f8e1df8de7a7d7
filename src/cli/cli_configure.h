/*
 * mse configure's local pre-checks of the certificate taken from the
 * configuration connection (name, quote format, key binding, fingerprint),
 * run before the full verification shared with `mse verify`.
 */
#ifndef MSE_CLI_CONFIGURE_H
#define MSE_CLI_CONFIGURE_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

struct configure_verify_opts {
    const char *domain;       /* the name (or IP literal) the certificate must be for */
    const uint8_t *mrenclave; /* 32 bytes, or NULL (not checked here) */
};

/*
 * MSE_OK only if every check passed; otherwise the error and a sentence in
 * why. Must not have side effects on the configuration connection.
 */
MSE_MUST_USE mse_err mse_cli_configure_verify(const uint8_t *der, size_t der_len,
                                      const struct configure_verify_opts *o, char *why,
                                      size_t why_cap);

#endif

/*
 * mse configure's verification step: is the certificate taken from the
 * configuration connection one `mse verify` would accept for this domain?
 */
#ifndef MSE_CLI_CONFIGURE_H
#define MSE_CLI_CONFIGURE_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

struct configure_verify_opts {
    const char *domain;       /* the name the certificate must be for */
    const char *pccs_url;     /* NULL: mse verify's default */
    const char *collateral;   /* evidence bundle (docs/formats/evidence.md) whose collateral is
                                 used offline instead of the PCCS; NULL: fetch */
    const char *trust_root;   /* PEM root CA instead of the built-in Intel SGX root (simulator) */
    const uint8_t *mrenclave; /* 32 bytes, or NULL (not checked, warned) */
    int timeout;              /* seconds, for collateral fetches */
};

/*
 * MSE_OK only if every check passed; otherwise the error and a sentence in
 * why. Must not have side effects on the configuration connection.
 */
MSE_MUST_USE mse_err mse_cli_configure_verify(const uint8_t *der, size_t der_len,
                                      const struct configure_verify_opts *o, char *why,
                                      size_t why_cap);

#endif

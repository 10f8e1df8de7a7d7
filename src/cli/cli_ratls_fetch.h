/* An RA-TLS certificate from a file or from an app's HTTPS path (cli_ratls_fetch.c). */
#ifndef MSE_CLI_RATLS_FETCH_H
#define MSE_CLI_RATLS_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/net.h>

/*
 * GET https://<ep>/<path> validated with the system CAs (or cacert), at most
 * 1 MiB, HTTP 200, a PEM or DER certificate: its DER in *der (caller frees).
 * Errors: MSE_ERR_ARG (path), MSE_ERR_NET_* (connection, TLS), MSE_ERR_SERVER
 * (HTTP status), MSE_ERR_LIMIT, MSE_ERR_CERT_PARSE; one line in why.
 */
MSE_MUST_USE mse_err cli_ratls_fetch(const struct mse_endpoint *ep, const char *path,
                                     const char *cacert, long timeout_ms, uint8_t **der,
                                     size_t *der_len, char *why, size_t why_cap);

/* A saved certificate (PEM or DER) as DER. MSE_ERR_FILE_NOT_FOUND, _IO, _CERT_PARSE. */
MSE_MUST_USE mse_err cli_cert_file_read(const char *path, uint8_t **der, size_t *der_len,
                                        char *why, size_t why_cap);

#endif

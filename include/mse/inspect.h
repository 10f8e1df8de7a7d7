/*
 * What a certificate, a quote or an evidence bundle claims, without
 * verifying it (`mse inspect`; docs/cmd/mse-inspect.md).
 */
#ifndef MSE_INSPECT_H
#define MSE_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>
#include <mse/export.h>
#include <mse/quote.h>

/*
 * Recognise data (an mse evidence bundle, a PEM or DER certificate, or a raw
 * quote v3/v4/v5, SGX or TDX) and describe it as one JSON object whose
 * "notice" member says that nothing is verified. Keys are listed in
 * docs/cmd/mse-inspect.md. *out is JSON text the caller frees.
 * On a parse error nothing is returned but the error, and *where (may be
 * NULL) names the offset and field (offsets into the quote for a quote inside
 * a certificate). Errors: those of mse_quote_any_parse, mse_evidence_parse,
 * MSE_ERR_CERT_PARSE, MSE_ERR_PEM, MSE_ERR_RATLS_*, MSE_ERR_NOMEM.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_inspect_json(const uint8_t *data, size_t len, char **out,
                                      struct mse_parse_where *where) MSE_NONNULL(1, 3);

#endif

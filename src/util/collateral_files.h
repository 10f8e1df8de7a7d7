/*
 * Collateral from files, for `mse verify --quote FILE --collateral PATH`:
 * a directory in Intel QVL's sample-app layout, or the collateral JSON of
 * Phala's dcap-qvl. Layouts in docs/cmd/mse-verify.md.
 */
#ifndef MSE_UTIL_COLLATERAL_FILES_H
#define MSE_UTIL_COLLATERAL_FILES_H

#include <stddef.h>
#include <stdint.h>

#include <mse/collateral.h>
#include <mse/quote.h>

#define MSE_COLLATERAL_FILES_MAX 12

struct mse_collateral_files {
    struct mse_collateral collateral; /* views into owned storage */
    struct mse_blob pck_chain;        /* PCK leaf + CA [+ root] given beside the quote, or empty */
    struct mse_blob trusted_root;     /* QVL's trustedRootCaCert.pem, or empty */
    uint8_t *owned[MSE_COLLATERAL_FILES_MAX];
    size_t owned_count;
};

/*
 * Load `path`: a directory (QVL layout) or a JSON file (dcap-qvl). A
 * required item missing: MSE_ERR_COLLATERAL_MISSING naming the file; file
 * errors: MSE_ERR_FILE_NOT_FOUND, MSE_ERR_IO, MSE_ERR_LIMIT; JSON errors as
 * mse_collateral_dcap_qvl_parse. why (may be NULL) gets one line.
 * Free with mse_collateral_files_free even on error.
 */
MSE_MUST_USE mse_err mse_collateral_files_load(const char *path, struct mse_collateral_files *out,
                                               char *why, size_t why_len);

/*
 * What files add beside the quote must agree with it: the PCK chain is the
 * quote's own (MSE_ERR_COLLATERAL_PCK_MISMATCH), and a trustedRootCaCert.pem
 * is the anchor in use, DER anchor_der (MSE_ERR_ROOT_UNTRUSTED: a directory
 * must not choose its own root; --trust-root does that).
 */
MSE_MUST_USE mse_err mse_collateral_files_check(const struct mse_collateral_files *f,
                                                const uint8_t *quote, size_t quote_len,
                                                const uint8_t *anchor_der, size_t anchor_len,
                                                char *why, size_t why_len);

void mse_collateral_files_free(struct mse_collateral_files *f);

#endif

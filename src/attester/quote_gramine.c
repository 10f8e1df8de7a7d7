/*
 * Quote provider over Gramine's /dev/attestation pseudo-filesystem
 * (Gramine documentation, "Attestation and Secret Provisioning": the
 * attestation_type, user_report_data and quote files). Writing 64 bytes to
 * user_report_data makes Gramine ask the Quoting Enclave for a quote over a
 * report carrying them; reading quote returns it. The root directory is
 * configurable so tests can stand in plain files for the pseudo-files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mse/guard.h>
#include <mse/quote.h>

#include "attester.h"
#include "util/util.h"

#define ROOT_MAX 4096

struct gramine_ctx {
    char root[ROOT_MAX];
};

MSE_MUST_USE static mse_err path_join(const struct gramine_ctx *g, const char *leaf, char *out,
                                      size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", g->root, leaf);
    MSE_ENSURE(n > 0 && (size_t)n < cap, MSE_ERR_LIMIT);
    return MSE_OK;
}

/* Gramine reports "none", "epid" or "dcap"; only DCAP quotes are verifiable by mse. */
MSE_MUST_USE static mse_err check_type(const struct gramine_ctx *g)
{
    char path[ROOT_MAX + 32];
    uint8_t *data = NULL;
    size_t len = 0;
    MSE_TRY(path_join(g, "attestation_type", path, sizeof path));
    mse_err err = mse_file_read(path, 64, &data, &len);
    if (err != MSE_OK)
        return err == MSE_ERR_LIMIT ? MSE_ERR_UNSUPPORTED : err;
    /* Tolerate one trailing newline (plain files written by shell tools). */
    if (len > 0 && data[len - 1] == '\n')
        len--;
    bool ok = len == 4 && memcmp(data, "dcap", 4) == 0;
    free(data);
    MSE_ENSURE(ok, MSE_ERR_UNSUPPORTED);
    return MSE_OK;
}

MSE_MUST_USE static mse_err write_report_data(const struct gramine_ctx *g, const uint8_t rd[64])
{
    char path[ROOT_MAX + 32];
    MSE_TRY(path_join(g, "user_report_data", path, sizeof path));
    /* No O_TRUNC/O_CREAT: the pseudo-file exists and takes exactly 64 bytes. */
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    MSE_ENSURE(fd >= 0, errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO);
    size_t done = 0;
    mse_err err = MSE_OK;
    while (done < 64) {
        ssize_t n = write(fd, rd + done, 64 - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = MSE_ERR_IO;
            break;
        }
        done += (size_t)n;
    }
    if (close(fd) != 0 && err == MSE_OK)
        err = MSE_ERR_IO;
    return err;
}

MSE_MUST_USE static mse_err gramine_get_quote(void *ctx, const uint8_t report_data[64],
                                              uint8_t **quote, size_t *quote_len)
{
    const struct gramine_ctx *g = ctx;
    char path[ROOT_MAX + 32];
    uint8_t *data = NULL;
    size_t len = 0;
    MSE_ENSURE(g != NULL && quote != NULL && quote_len != NULL, MSE_ERR_ARG);
    MSE_TRY(check_type(g));
    MSE_TRY(write_report_data(g, report_data));
    MSE_TRY(path_join(g, "quote", path, sizeof path));
    MSE_TRY(mse_file_read(path, MSE_QUOTE_MAX_SIZE, &data, &len));
    if (len < MSE_QUOTE_MIN_SIZE) {
        free(data);
        return MSE_ERR_QUOTE_TRUNCATED;
    }
    *quote = data;
    *quote_len = len;
    return MSE_OK;
}

static void gramine_close(void *ctx)
{
    free(ctx);
}

mse_err mse_quote_provider_gramine(const char *root, struct mse_quote_provider *out)
{
    MSE_ENSURE(root != NULL && out != NULL, MSE_ERR_ARG);
    size_t len = strlen(root);
    MSE_ENSURE(len > 0 && len < ROOT_MAX, MSE_ERR_ARG);
    struct gramine_ctx *g = calloc(1, sizeof *g);
    MSE_ENSURE(g != NULL, MSE_ERR_NOMEM);
    memcpy(g->root, root, len + 1);
    out->name = "gramine";
    out->get_quote = gramine_get_quote;
    out->close = gramine_close;
    out->ctx = g;
    /* Fail early (at start-up, not at the first certificate) on a non-DCAP platform. */
    mse_err err = check_type(g);
    if (err != MSE_OK) {
        free(g);
        memset(out, 0, sizeof *out);
    }
    return err;
}

void mse_quote_provider_close(struct mse_quote_provider *qp)
{
    if (qp == NULL)
        return;
    if (qp->close != NULL)
        qp->close(qp->ctx);
    memset(qp, 0, sizeof *qp);
}

/*
 * Installing the encrypted code in the enclave (docs/formats/code-encryption.md):
 * list the P.enc files (mse_code_list), decrypt and authenticate all of them,
 * then write the plain files. All-or-nothing on a wrong key or tampering.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "codecrypt/code_install.h"
#include "util/util.h"

#define PATH_CAP 4096

struct plain_file {
    uint8_t *data;
    size_t len;
};

/* mkdir -p the parent directories of out_dir/rel (rel comes from mse_code_list). */
MSE_MUST_USE static mse_err make_parents(const char *out_dir, const char *rel)
{
    char path[PATH_CAP];
    int n = snprintf(path, sizeof path, "%s/%s", out_dir, rel);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof path, MSE_ERR_LIMIT);
    for (size_t i = strlen(out_dir) + 1; path[i] != '\0'; i++) {
        if (path[i] != '/')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return MSE_ERR_FILE_WRITE;
        path[i] = '/';
    }
    return MSE_OK;
}

mse_err mse_code_install(const uint8_t key[MSE_CODE_KEY_BYTES], const char *enc_dir,
                         const char *out_dir, size_t *count)
{
    MSE_ENSURE(key != NULL && enc_dir != NULL && out_dir != NULL, MSE_ERR_ARG);
    char errbuf[256];
    char **paths = NULL;
    size_t n = 0;
    struct plain_file *plain = NULL;
    mse_err err = MSE_OK;
    MSE_TRY(mse_code_list(enc_dir, &paths, &n, errbuf, sizeof errbuf));
    plain = calloc(n ? n : 1, sizeof *plain);
    MSE_ENSURE_OUT(plain != NULL, MSE_ERR_NOMEM);
    for (size_t i = 0; i < n; i++) {
        size_t rl = strlen(paths[i]);
        char full[PATH_CAP];
        uint8_t *enc = NULL;
        size_t enc_len = 0;
        MSE_ENSURE_OUT(rl > 4 && strcmp(paths[i] + rl - 4, ".enc") == 0, MSE_ERR_CONTEXT);
        int w = snprintf(full, sizeof full, "%s/%s", enc_dir, paths[i]);
        MSE_ENSURE_OUT(w > 0 && (size_t)w < sizeof full, MSE_ERR_LIMIT);
        MSE_CHECK_OUT(mse_file_read(full, MSE_CODE_FILE_LIMIT + MSE_CODE_NONCE_BYTES +
                                              MSE_CODE_MAC_BYTES,
                                    &enc, &enc_len));
        err = mse_code_decrypt(key, enc, enc_len, NULL, &plain[i].data, &plain[i].len);
        free(enc);
        if (err != MSE_OK)
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char out_path[PATH_CAP];
        size_t rl = strlen(paths[i]);
        int w = snprintf(out_path, sizeof out_path, "%s/%.*s", out_dir, (int)(rl - 4), paths[i]);
        MSE_ENSURE_OUT(w > 0 && (size_t)w < sizeof out_path, MSE_ERR_LIMIT);
        MSE_CHECK_OUT(make_parents(out_dir, paths[i]));
        MSE_CHECK_OUT(mse_file_write_atomic(out_path, plain[i].data, plain[i].len, 0600));
    }
    if (count != NULL)
        *count = n;
out:
    if (plain != NULL) {
        /* The plain code is the owner's secret. */
        for (size_t i = 0; i < n; i++)
            if (plain[i].data != NULL) {
                mse_wipe(plain[i].data, plain[i].len);
                free(plain[i].data);
            }
        free(plain);
    }
    mse_code_list_free(paths, n);
    return err;
}

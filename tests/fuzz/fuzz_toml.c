/*
 * libFuzzer target: the TOML parser, the tomli-w writer and the manifest
 * defaults. Whatever parses must serialize (floats aside), and the output
 * must parse back and serialize to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/manifest.h>
#include <mse/toml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_toml *t = NULL, *t2 = NULL;
    char *out = NULL, *out2 = NULL;
    size_t len = 0, len2 = 0;
    if (mse_toml_parse(data, size, &t, NULL) != MSE_OK)
        return 0;
    mse_err err = mse_toml_write(t, &out, &len);
    if (err == MSE_OK) {
        if (mse_toml_parse(out, len, &t2, NULL) != MSE_OK)
            abort();
        if (mse_toml_write(t2, &out2, &len2) != MSE_OK || len2 != len || memcmp(out, out2, len))
            abort();
    } else if (err != MSE_ERR_UNSUPPORTED && err != MSE_ERR_LIMIT) {
        abort();
    }
    struct mse_enclave_attrs a;
    (void)mse_manifest_attrs(t, &a);
    free(out);
    free(out2);
    mse_toml_free(t);
    mse_toml_free(t2);
    return 0;
}

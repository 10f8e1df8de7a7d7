/*
 * libFuzzer target: Intel's QCNL configuration (JSON with // comments), as
 * mse verify reads /etc/sgx_default_qcnl.conf or $MSE_QCNL_CONF. A parse
 * either fails with a format error or yields a NUL-terminated URL.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/net.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = NULL;
    bool secure = true;
    mse_err err = mse_qcnl_parse((const char *)data, size, &url, &secure);
    if (err == MSE_OK) {
        if (url == NULL)
            abort();
        (void)strlen(url);
        free(url);
    } else if (err != MSE_ERR_JSON && err != MSE_ERR_JSON_FIELD && err != MSE_ERR_NOMEM) {
        abort();
    }
    return 0;
}

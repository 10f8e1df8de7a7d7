/*
 * libFuzzer target: the context reader (src/context/context.h) and the
 * runtime checks it applies to [runtime] (src/measure/runtime.h). Whatever
 * reads as a context serializes, and the serialized file reads back to a
 * context that serializes to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "context/context.h"
#include "measure/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mse_context c, d;
    char err[256], *out = NULL, *out2 = NULL;
    size_t len = 0, len2 = 0;
    if (mse_context_parse(data, size, &c, err, sizeof err) != MSE_OK)
        return 0;
    if (c.has_runtime && mse_runtime_check(c.runtime, false, err, sizeof err) != MSE_OK)
        abort();
    mse_err rc = mse_context_serialize(&c, &out, &len);
    if (rc == MSE_OK) {
        if (mse_context_parse((const uint8_t *)out, len, &d, err, sizeof err) != MSE_OK)
            abort();
        if (mse_context_serialize(&d, &out2, &len2) != MSE_OK || len2 != len ||
            memcmp(out, out2, len) != 0)
            abort();
        mse_context_free(&d);
    } else if (rc != MSE_ERR_UNSUPPORTED && rc != MSE_ERR_LIMIT) {
        abort();
    }
    free(out);
    free(out2);
    mse_context_free(&c);
    return 0;
}

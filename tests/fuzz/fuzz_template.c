/*
 * libFuzzer target: the manifest template language (src/measure/template.h).
 * Any input renders or is refused with MSE_ERR_TEMPLATE (or a resource
 * limit), and a rendered output never holds template syntax it did not copy
 * from plain text: rendering a template made of plain text only is the
 * identity.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "measure/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct mse_template_var VARS[] = {
    {"mode", "owner"}, {"san", "app.example.com"}, {"empty", ""},
    {"gramine.libos", "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so"},
    {"gramine.runtimedir()", "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = NULL, err[256];
    size_t len = 0;
    mse_err rc = mse_template_render((const char *)data, size, VARS, sizeof VARS / sizeof VARS[0],
                                     &out, &len, err, sizeof err);
    if (rc == MSE_OK) {
        if (strlen(out) != len)
            abort();
        bool plain = true;
        for (size_t k = 0; k + 1 < size; k++)
            if (data[k] == '{' && (data[k + 1] == '{' || data[k + 1] == '%' || data[k + 1] == '#'))
                plain = false;
        if (plain && (len != size || memcmp(out, data, size) != 0))
            abort();
    } else if (rc != MSE_ERR_TEMPLATE && rc != MSE_ERR_LIMIT && rc != MSE_ERR_NOMEM) {
        abort();
    }
    free(out);
    return 0;
}

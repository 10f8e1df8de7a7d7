/* Growable byte buffer with a hard size limit (see toml_buf.h). */
#include <stdlib.h>
#include <string.h>

#include <mse/guard.h>

#include "toml_buf.h"

mse_err mse_toml_buf_put(struct mse_toml_buf *b, const void *data, size_t len)
{
    MSE_ENSURE(len <= MSE_TOML_BUF_MAX - b->n, MSE_ERR_LIMIT);
    if (b->cap - b->n < len) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap - b->n < len)
            ncap *= 2;
        uint8_t *np = realloc(b->p, ncap);
        MSE_ENSURE(np != NULL, MSE_ERR_NOMEM);
        b->p = np;
        b->cap = ncap;
    }
    if (len)
        memcpy(b->p + b->n, data, len);
    b->n += len;
    return MSE_OK;
}

mse_err mse_toml_buf_str(struct mse_toml_buf *b, const char *s)
{
    return mse_toml_buf_put(b, s, strlen(s));
}

void mse_toml_buf_free(struct mse_toml_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

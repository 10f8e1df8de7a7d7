/*
 * A growable byte buffer for the TOML parser and writer (internal to libmse).
 * It refuses to grow past MSE_TOML_BUF_MAX so a hostile document cannot make
 * the writer allocate without bound.
 */
#ifndef MSE_TOML_BUF_H
#define MSE_TOML_BUF_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

#define MSE_TOML_BUF_MAX (256u << 20)

struct mse_toml_buf {
    uint8_t *p;
    size_t n, cap;
};

MSE_MUST_USE mse_err mse_toml_buf_put(struct mse_toml_buf *b, const void *data, size_t len);
MSE_MUST_USE mse_err mse_toml_buf_str(struct mse_toml_buf *b, const char *s);
void mse_toml_buf_free(struct mse_toml_buf *b);

#endif

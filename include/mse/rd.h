/*
 * The one bounds-checked reader for untrusted bytes.
 *
 * A reader is a view of caller-owned bytes (base, len) and an offset. Every
 * accessor checks the remaining length first; a failed read returns
 * MSE_ERR_TRUNCATED and leaves the offset unchanged, so callers can map the
 * error to a more precise one with MSE_TRY_AS. Views returned by
 * mse_rd_bytes()/mse_rd_sub() point into the caller's buffer and live as long
 * as it does. Parsers finish with mse_rd_end() so trailing bytes are an error.
 *
 * Only the reader does arithmetic on pointers into input: src/core/rd.c and
 * mse_rd_u8 below.
 */
#ifndef MSE_RD_H
#define MSE_RD_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

struct mse_rd {
    const uint8_t *base; /* first byte of the view */
    size_t len;          /* bytes in the view */
    size_t off;          /* bytes consumed, 0 <= off <= len */
};

MSE_EXTERN void mse_rd_init(struct mse_rd *rd, const void *data, size_t len) MSE_NONNULL(1);
MSE_EXTERN size_t mse_rd_left(const struct mse_rd *rd) MSE_NONNULL(1);

/* The next byte. Defined here as a C99 inline function (src/core/rd.c holds its one
 * exported definition) because text parsers call it once per byte of input: HTTP
 * request heads, TOML, PEM; a call through the library costs ten times the read. */
MSE_EXTERN MSE_MUST_USE inline mse_err mse_rd_u8(struct mse_rd *rd, uint8_t *out) MSE_NONNULL(1, 2);
MSE_MUST_USE inline mse_err mse_rd_u8(struct mse_rd *rd, uint8_t *out)
{
    if (rd->len - rd->off == 0)
        return MSE_ERR_TRUNCATED;
    *out = rd->base[rd->off];
    rd->off++;
    return MSE_OK;
}
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_u16le(struct mse_rd *rd, uint16_t *out) MSE_NONNULL(1, 2);
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_u32le(struct mse_rd *rd, uint32_t *out) MSE_NONNULL(1, 2);
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_u64le(struct mse_rd *rd, uint64_t *out) MSE_NONNULL(1, 2);
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_u16be(struct mse_rd *rd, uint16_t *out) MSE_NONNULL(1, 2);
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_u32be(struct mse_rd *rd, uint32_t *out) MSE_NONNULL(1, 2);
/* Copy n bytes into dst. */
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_copy(struct mse_rd *rd, void *dst, size_t n) MSE_NONNULL(1);
/* A view of the next n bytes (no copy). */
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_bytes(struct mse_rd *rd, size_t n, const uint8_t **out)
    MSE_NONNULL(1, 3);
/* Split off the next n bytes as a reader of their own. */
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_sub(struct mse_rd *rd, size_t n, struct mse_rd *sub) MSE_NONNULL(1, 3);
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_skip(struct mse_rd *rd, size_t n) MSE_NONNULL(1);
/* Pointer to the current position (for recording where a signed region starts). */
MSE_EXTERN const uint8_t *mse_rd_pos(const struct mse_rd *rd) MSE_NONNULL(1);
/* MSE_ERR_TRAILING_BYTES unless everything was consumed. */
MSE_EXTERN MSE_MUST_USE mse_err mse_rd_end(const struct mse_rd *rd) MSE_NONNULL(1);

#endif

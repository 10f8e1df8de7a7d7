/*
 * The bounds-checked reader (see <mse/rd.h>). With the inline mse_rd_u8 there,
 * the only place in mse that does arithmetic on pointers into untrusted input.
 * Every length test is written as `n > left` so it cannot overflow.
 */
#include <stdbool.h>
#include <string.h>

#include <mse/guard.h>
#include <mse/rd.h>

void mse_rd_init(struct mse_rd *rd, const void *data, size_t len)
{
    rd->base = data;
    rd->len = data ? len : 0;
    rd->off = 0;
}

size_t mse_rd_left(const struct mse_rd *rd)
{
    return rd->len - rd->off;
}

const uint8_t *mse_rd_pos(const struct mse_rd *rd)
{
    return rd->base + rd->off;
}

mse_err mse_rd_bytes(struct mse_rd *rd, size_t n, const uint8_t **out)
{
    MSE_ENSURE(n <= mse_rd_left(rd), MSE_ERR_TRUNCATED);
    *out = rd->base + rd->off;
    rd->off += n;
    return MSE_OK;
}

mse_err mse_rd_copy(struct mse_rd *rd, void *dst, size_t n)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, n, &p));
    if (n > 0)
        memcpy(dst, p, n);
    return MSE_OK;
}

mse_err mse_rd_skip(struct mse_rd *rd, size_t n)
{
    const uint8_t *p;
    return mse_rd_bytes(rd, n, &p);
}

mse_err mse_rd_sub(struct mse_rd *rd, size_t n, struct mse_rd *sub)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, n, &p));
    mse_rd_init(sub, p, n);
    return MSE_OK;
}

/*
 * An unsigned integer of n bytes (1 to 8) in the given byte order: the one
 * reader behind the fixed-width ones below, which only narrow its result.
 */
MSE_MUST_USE static mse_err rd_uint(struct mse_rd *rd, size_t n, bool big_endian, uint64_t *out)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, n, &p));
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[big_endian ? i : n - 1 - i];
    *out = v;
    return MSE_OK;
}

/* mse_rd_u16le, mse_rd_u32le, ...: rd_uint at the width of type; *out untouched on a short read. */
#define RD_FIXED_WIDTH(name, type, big_endian)                                                     \
    mse_err name(struct mse_rd *rd, type *out)                                                     \
    {                                                                                              \
        uint64_t v;                                                                                \
        MSE_TRY(rd_uint(rd, sizeof(type), big_endian, &v));                                        \
        *out = (type)v;                                                                            \
        return MSE_OK;                                                                             \
    }

RD_FIXED_WIDTH(mse_rd_u16le, uint16_t, false)
RD_FIXED_WIDTH(mse_rd_u32le, uint32_t, false)
RD_FIXED_WIDTH(mse_rd_u64le, uint64_t, false)
RD_FIXED_WIDTH(mse_rd_u16be, uint16_t, true)
RD_FIXED_WIDTH(mse_rd_u32be, uint32_t, true)

/* The exported definition of the inline byte reader in <mse/rd.h>. */
extern inline mse_err mse_rd_u8(struct mse_rd *rd, uint8_t *out);

mse_err mse_rd_end(const struct mse_rd *rd)
{
    MSE_ENSURE(mse_rd_left(rd) == 0, MSE_ERR_TRAILING_BYTES);
    return MSE_OK;
}

/*
 * The bounds-checked reader (see <mse/rd.h>). The only place in mse that does
 * arithmetic on pointers into untrusted input. Every length test is written
 * as `n > left` so it cannot overflow.
 */
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

mse_err mse_rd_u8(struct mse_rd *rd, uint8_t *out)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, 1, &p));
    *out = p[0];
    return MSE_OK;
}

mse_err mse_rd_u16le(struct mse_rd *rd, uint16_t *out)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, 2, &p));
    *out = (uint16_t)(p[0] | (p[1] << 8));
    return MSE_OK;
}

mse_err mse_rd_u32le(struct mse_rd *rd, uint32_t *out)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, 4, &p));
    *out = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    return MSE_OK;
}

mse_err mse_rd_u64le(struct mse_rd *rd, uint64_t *out)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, 8, &p));
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    *out = v;
    return MSE_OK;
}

mse_err mse_rd_u16be(struct mse_rd *rd, uint16_t *out)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, 2, &p));
    *out = (uint16_t)((p[0] << 8) | p[1]);
    return MSE_OK;
}

mse_err mse_rd_u32be(struct mse_rd *rd, uint32_t *out)
{
    const uint8_t *p;
    MSE_TRY(mse_rd_bytes(rd, 4, &p));
    *out = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
    return MSE_OK;
}

mse_err mse_rd_end(const struct mse_rd *rd)
{
    MSE_ENSURE(mse_rd_left(rd) == 0, MSE_ERR_TRAILING_BYTES);
    return MSE_OK;
}

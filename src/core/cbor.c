/*
 * A CBOR reader (RFC 8949) for the TCG DICE tagged evidence of RA-TLS
 * certificates, on the bounded reader: it decodes item heads and skips
 * items, and allocates nothing.
 *
 * Why not a general decoder: a decoder that builds a tree allocates for what
 * an item declares before it has seen the items (libcbor's cbor_load takes
 * 8 bytes per declared array element, so 11 bytes declaring 50 million
 * elements cost 400 MB). The certificate comes from the server being
 * verified, so every length it declares is checked against the bytes
 * actually present before anything is read, and nothing is built: callers
 * walk the items they need and skip the rest.
 *
 * Accepted: every well-formed encoding (any argument width, indefinite
 * lengths inside skipped items) up to MSE_CBOR_MAX_DEPTH nested levels.
 * Refused (MSE_ERR_RATLS_DICE_FORMAT): reserved additional information
 * values 28-30, a "break" outside an indefinite item, indefinite-length
 * integers or tags, chunks of an indefinite string of another major type,
 * lengths past the end of the input, deeper nesting.
 */
#include <mse/guard.h>

#include "dcap.h"

#define F MSE_ERR_RATLS_DICE_FORMAT
#define CBOR_AI_INDEFINITE 31
#define CBOR_BREAK 0xff

mse_err mse_cbor_head(struct mse_rd *rd, struct mse_cbor_head *h)
{
    struct mse_rd t = *rd;
    uint8_t ib, b;
    MSE_TRY_AS(mse_rd_u8(&t, &ib), F);
    h->major = (uint8_t)(ib >> 5);
    h->indefinite = false;
    h->arg = 0;
    uint8_t ai = ib & 0x1f;
    if (ai < 24) {
        h->arg = ai;
    } else if (ai <= 27) {
        /* 24..27: a 1, 2, 4 or 8 byte big-endian argument follows. */
        for (int i = 0; i < 1 << (ai - 24); i++) {
            MSE_TRY_AS(mse_rd_u8(&t, &b), F);
            h->arg = h->arg << 8 | b;
        }
    } else {
        /* 28-30 are reserved; 31 means "indefinite" only for strings, arrays and maps. */
        MSE_ENSURE(ai == CBOR_AI_INDEFINITE && h->major >= 2 && h->major <= 5, F);
        h->indefinite = true;
    }
    *rd = t;
    return MSE_OK;
}

static bool at_break(const struct mse_rd *rd)
{
    struct mse_rd t = *rd;
    uint8_t b;
    return mse_rd_u8(&t, &b) == MSE_OK && b == CBOR_BREAK;
}

/* Chunks of an indefinite string: definite strings of the same major type, then a break. */
static mse_err skip_chunks(struct mse_rd *rd, uint8_t major)
{
    while (!at_break(rd)) {
        struct mse_cbor_head h;
        MSE_TRY(mse_cbor_head(rd, &h));
        MSE_ENSURE(h.major == major && !h.indefinite, F);
        MSE_ENSURE(h.arg <= mse_rd_left(rd), F);
        MSE_TRY_AS(mse_rd_skip(rd, (size_t)h.arg), F);
    }
    return mse_rd_skip(rd, 1);
}

static mse_err skip_at(struct mse_rd *rd, unsigned depth);

/*
 * `count` items (definite) or items up to a break (indefinite). Every item
 * takes at least one byte, so a count larger than what is left is refused
 * at once rather than found out item by item.
 */
static mse_err skip_items(struct mse_rd *rd, const struct mse_cbor_head *h, uint64_t per_entry,
                          unsigned depth)
{
    if (h->indefinite) {
        while (!at_break(rd))
            MSE_TRY(skip_at(rd, depth + 1));
        return mse_rd_skip(rd, 1);
    }
    MSE_ENSURE(h->arg <= mse_rd_left(rd) / per_entry, F);
    for (uint64_t i = 0; i < h->arg * per_entry; i++)
        MSE_TRY(skip_at(rd, depth + 1));
    return MSE_OK;
}

static mse_err skip_at(struct mse_rd *rd, unsigned depth)
{
    struct mse_cbor_head h;
    MSE_ENSURE(depth < MSE_CBOR_MAX_DEPTH, F);
    MSE_TRY(mse_cbor_head(rd, &h));
    switch (h.major) {
    case 0: /* unsigned integer */
    case 1: /* negative integer */
        return MSE_OK;
    case 2: /* byte string */
    case 3: /* text string (UTF-8 validity is not needed to skip it) */
        if (h.indefinite)
            return skip_chunks(rd, h.major);
        MSE_ENSURE(h.arg <= mse_rd_left(rd), F);
        return mse_rd_skip(rd, (size_t)h.arg);
    case 4: return skip_items(rd, &h, 1, depth);
    case 5: return skip_items(rd, &h, 2, depth);
    case 6: return skip_at(rd, depth + 1); /* tag: one tagged item */
    default:
        /* 7: simple values and floats; their bytes were the argument (a stray break
         * never gets here: mse_cbor_head refuses it). */
        return MSE_OK;
    }
}

mse_err mse_cbor_skip(struct mse_rd *rd)
{
    struct mse_rd t = *rd;
    MSE_TRY(skip_at(&t, 0));
    *rd = t;
    return MSE_OK;
}

mse_err mse_cbor_string(struct mse_rd *rd, uint8_t major, const uint8_t **data, size_t *len)
{
    struct mse_rd t = *rd;
    struct mse_cbor_head h;
    MSE_TRY(mse_cbor_head(&t, &h));
    MSE_ENSURE(h.major == major && (major == 2 || major == 3) && !h.indefinite, F);
    MSE_ENSURE(h.arg <= mse_rd_left(&t), F);
    MSE_TRY_AS(mse_rd_bytes(&t, (size_t)h.arg, data), F);
    *len = (size_t)h.arg;
    *rd = t;
    return MSE_OK;
}

mse_err mse_cbor_container(struct mse_rd *rd, uint8_t major, uint64_t *count)
{
    struct mse_rd t = *rd;
    struct mse_cbor_head h;
    MSE_TRY(mse_cbor_head(&t, &h));
    MSE_ENSURE(h.major == major && (major == 4 || major == 5) && !h.indefinite, F);
    MSE_ENSURE(h.arg <= mse_rd_left(&t) / (major == 5 ? 2 : 1), F);
    *count = h.arg;
    *rd = t;
    return MSE_OK;
}

/*
 * Open-addressing index of keyed entries (see keyindex.h): linear probing in
 * a power-of-two table kept at most half full.
 */
#include <stdlib.h>

#include <mse/guard.h>

#include "measure/keyindex.h"

uint64_t mse_keyindex_hash(const void *owner, const void *key, size_t len)
{
    /* FNV-1a over the key, then the owner's address mixed in (splitmix64 finaliser). */
    const unsigned char *p = key;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t k = 0; k < len; k++) {
        h ^= p[k];
        h *= UINT64_C(0x100000001b3);
    }
    h ^= (uint64_t)(uintptr_t)owner;
    h ^= h >> 30;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h *= UINT64_C(0x94d049bb133111eb);
    h ^= h >> 31;
    return h;
}

static void place(struct mse_keyindex_slot *slot, size_t cap, struct mse_keyindex_slot s)
{
    size_t i = (size_t)s.hash & (cap - 1);
    while (slot[i].entry != 0)
        i = (i + 1) & (cap - 1);
    slot[i] = s;
}

mse_err mse_keyindex_reserve(struct mse_keyindex *x)
{
    if (2 * (x->used + 1) <= x->cap)
        return MSE_OK;
    size_t ncap = x->cap ? x->cap * 2 : 64;
    MSE_ENSURE(ncap > x->cap && ncap < SIZE_MAX / sizeof *x->slot, MSE_ERR_LIMIT);
    struct mse_keyindex_slot *ns = calloc(ncap, sizeof *ns);
    MSE_ENSURE(ns != NULL, MSE_ERR_NOMEM);
    for (size_t i = 0; i < x->cap; i++)
        if (x->slot[i].entry != 0)
            place(ns, ncap, x->slot[i]);
    free(x->slot);
    x->slot = ns;
    x->cap = ncap;
    return MSE_OK;
}

void mse_keyindex_put(struct mse_keyindex *x, const void *owner, uint64_t hash, size_t entry)
{
    place(x->slot, x->cap, (struct mse_keyindex_slot){owner, entry + 1, hash});
    x->used++;
}

bool mse_keyindex_find(const struct mse_keyindex *x, const void *owner, uint64_t hash,
                       mse_keyindex_eq eq, void *arg, size_t *entry)
{
    if (x->cap == 0)
        return false;
    for (size_t i = (size_t)hash & (x->cap - 1); x->slot[i].entry != 0; i = (i + 1) & (x->cap - 1)) {
        const struct mse_keyindex_slot *s = &x->slot[i];
        if (s->hash == hash && s->owner == owner && eq(arg, owner, s->entry - 1)) {
            *entry = s->entry - 1;
            return true;
        }
    }
    return false;
}

void mse_keyindex_free(struct mse_keyindex *x)
{
    free(x->slot);
    *x = (struct mse_keyindex){0};
}

/*
 * An index from keys to entry numbers for the TOML parser (duplicate keys)
 * and the manifest expansion (duplicate trusted-file URIs), internal to
 * libmse-measure. Both used to scan every earlier entry for each new one,
 * n^2/2 comparisons: 2 M for a 2,000-file code tree, on every verification.
 *
 * The index only stores (owner, entry, hash); the caller keeps the keys and
 * answers "is entry e of owner o this key?" through a callback, so the index
 * never holds a second copy that could disagree with the data. Open
 * addressing, at most half full. The hash is not keyed: a crafted set of
 * colliding keys brings back the scan the index replaced, no worse.
 */
#ifndef MSE_MEASURE_KEYINDEX_H
#define MSE_MEASURE_KEYINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

struct mse_keyindex_slot {
    const void *owner; /* the table (TOML) or NULL; part of the key */
    size_t entry;      /* the caller's entry number, + 1 (0: empty slot) */
    uint64_t hash;
};

struct mse_keyindex {
    struct mse_keyindex_slot *slot;
    size_t cap;  /* power of two, or 0 */
    size_t used;
};

/* Does entry `entry` of `owner` have the key being looked up? */
typedef bool (*mse_keyindex_eq)(void *arg, const void *owner, size_t entry);

uint64_t mse_keyindex_hash(const void *owner, const void *key, size_t len);

/* Room for one more entry, so that the mse_keyindex_put that follows cannot fail. */
MSE_MUST_USE mse_err mse_keyindex_reserve(struct mse_keyindex *x);

/* Record entry `entry` of `owner` under `hash`; mse_keyindex_reserve first. */
void mse_keyindex_put(struct mse_keyindex *x, const void *owner, uint64_t hash, size_t entry);

/* The entry of `owner` with this hash for which eq says yes, or false. */
bool mse_keyindex_find(const struct mse_keyindex *x, const void *owner, uint64_t hash,
                       mse_keyindex_eq eq, void *arg, size_t *entry);

void mse_keyindex_free(struct mse_keyindex *x);

#endif

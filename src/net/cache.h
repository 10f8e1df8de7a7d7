/*
 * On-disk collateral cache: $XDG_CACHE_HOME/mse (default ~/.cache/mse), per
 * collateral service, one
 * body file and one issuer-chain file per item, keyed by item and platform
 * (tcb-<fmspc>, qe-identity, pckcrl-<ca>, rootcacrl). An item is reused
 * while its own claimed window contains the verification time; the verifier
 * re-checks every signature, so a tampered cache can only cause a refusal;
 * the caller then evicts the entry (mse_cache_evict) and fetches it again, so
 * a damaged entry costs one request instead of failing until its nextUpdate.
 */
#ifndef MSE_CACHE_H
#define MSE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <mse/net.h>

/*
 * The cache directory for collateral from service_url (created 0700 if
 * missing): $XDG_CACHE_HOME/mse/<first 16 hex digits of SHA-256(url)>.
 */
MSE_MUST_USE mse_err mse_cache_dir(char *buf, size_t len, const char *service_url);
/* Cache key of an item for this platform, e.g. "tcb-00906ed50000". */
void mse_cache_key(enum mse_pccs_item_id item, const struct mse_collateral_id *id, char *out,
                   size_t cap);
/*
 * Load an item if cached and valid at `at`: *hit tells. A missing, unreadable
 * or expired entry is a miss, not an error.
 */
MSE_MUST_USE mse_err mse_cache_load(const char *dir, enum mse_pccs_item_id item,
                                    const struct mse_collateral_id *id, int64_t at,
                                    struct mse_pccs_item *out, bool *hit);
/* Store an item atomically (0600). */
MSE_MUST_USE mse_err mse_cache_store(const char *dir, enum mse_pccs_item_id item,
                                     const struct mse_collateral_id *id,
                                     const struct mse_pccs_item *in);
/* Remove an item (body and chain); a missing entry is not an error. MSE_ERR_IO. */
MSE_MUST_USE mse_err mse_cache_evict(const char *dir, enum mse_pccs_item_id item,
                                     const struct mse_collateral_id *id);
/* Whether an item's claimed window [nb, na) contains at (pure; unit-tested). */
bool mse_cache_fresh(int64_t not_before, int64_t not_after, int64_t at);

#endif

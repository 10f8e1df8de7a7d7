/*
 * Collateral for one online verification: the cache first, the PCCS for
 * what the cache lacks, the verdict, then the cache healed and refilled.
 *
 * A cached item is only an availability shortcut: its bytes are verified on
 * every run exactly like fetched ones. When a cached item fails its check
 * (a flipped digit, an edited field, a damaged chain file) it is evicted and
 * fetched once more in the same run, and the verdict is given again on the
 * fresh bytes; so a damaged cache costs one request instead of refusing
 * every verification until the item's nextUpdate, and a refusal is never
 * blamed on the collateral when the cache was at fault. The verdict's
 * message says where a failing item came from.
 */
#ifndef MSE_COLLATERAL_GET_H
#define MSE_COLLATERAL_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/net.h>
#include <mse/verify.h>

/* Where collateral comes from. */
struct mse_collateral_source {
    struct mse_pccs_opts pccs;          /* the service, also naming the cache */
    const char *cache_dir;              /* from mse_cache_dir, or NULL: no cache */
    bool offline;                       /* the cache only: a missing item is MSE_ERR_CACHE_MISS */
    void (*progress)(const char *line); /* around each fetch ("" when done), or NULL */
};

/*
 * The verification to run on a set of collateral: mse_verify for a
 * certificate, mse_verify_quote for a raw quote. Returns that function's
 * error (MSE_OK once a verdict is in result).
 */
typedef mse_err (*mse_collateral_verifier)(void *ctx, const struct mse_collateral *c,
                                           struct mse_verify_result *result);

/* What happened, per item: bit (1u << enum mse_pccs_item_id). */
struct mse_collateral_report {
    unsigned requests;   /* HTTP requests made to the PCCS */
    unsigned from_cache; /* items the verdict used from the cache */
    unsigned healed;     /* cached items that failed, were evicted and fetched again */
    unsigned not_stored; /* verified fetched items the cache could not store */
};

/*
 * Run `verify` with the collateral of platform `id` valid at `at`: cached
 * items first, the rest fetched, damaged cached items healed as above.
 * items[] receives the collateral of the final verdict (the caller frees it
 * with mse_pccs_items_free, also on error). Returns MSE_OK when a verdict was
 * reached (read result->ok), or the error that prevented one, with a
 * one-line reason in why: those of mse_pccs_fetch, MSE_ERR_CACHE_MISS
 * (offline), and those of the verifier. rep is always filled.
 */
MSE_MUST_USE mse_err mse_collateral_verify(const struct mse_collateral_source *src,
                                           const struct mse_collateral_id *id, int64_t at,
                                           mse_collateral_verifier verify, void *ctx,
                                           struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT],
                                           struct mse_verify_result *result,
                                           struct mse_collateral_report *rep, char *why,
                                           size_t why_len);

#endif

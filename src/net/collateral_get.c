/* Collateral for one online verification: cache, PCCS, verdict, healing (see collateral_get.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/guard.h>

#include "net/cache.h"
#include "net/collateral_get.h"
#include "util/util.h"

/* The check that verifies each item (indexed by enum mse_pccs_item_id). */
static const enum mse_check_id item_checks[MSE_PCCS_ITEM_COUNT] = {
    [MSE_PCCS_TCB_INFO] = MSE_CHECK_TCB_INFO,
    [MSE_PCCS_QE_IDENTITY] = MSE_CHECK_QE_IDENTITY,
    [MSE_PCCS_PCK_CRL] = MSE_CHECK_PCK_CRL,
    [MSE_PCCS_ROOT_CA_CRL] = MSE_CHECK_ROOT_CA_CRL,
};

/* Items whose own check failed in this verdict. */
static unsigned failed_items(const struct mse_verify_result *r)
{
    unsigned mask = 0;
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++)
        if (r->checks[item_checks[i]].outcome == MSE_OUTCOME_FAIL)
            mask |= 1u << i;
    return mask;
}

/* Fetch the items in `want` into items[] (replacing nothing: they must be empty). */
static mse_err fetch_into(const struct mse_collateral_source *src,
                          const struct mse_collateral_id *id, unsigned want,
                          struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT],
                          struct mse_collateral_report *rep, char *why, size_t why_len)
{
    struct mse_pccs_item fetched[MSE_PCCS_ITEM_COUNT];
    unsigned n = 0;
    if (src->progress)
        src->progress("Fetching collateral...");
    mse_err err = mse_pccs_fetch(&src->pccs, id, want, fetched, &n, why, why_len);
    if (src->progress)
        src->progress("");
    rep->requests += n;
    MSE_TRY(err);
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++)
        if (want & (1u << i))
            items[i] = fetched[i];
    return MSE_OK;
}

/* Say, after the verdict's message, where the failing item came from. */
static void name_source(struct mse_verify_result *r, const struct mse_collateral_report *rep,
                        bool offline)
{
    unsigned failed = failed_items(r);
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        unsigned bit = 1u << i;
        if (!(failed & bit))
            continue;
        const char *name = mse_pccs_item_name((enum mse_pccs_item_id)i);
        size_t used = strlen(r->message);
        if (rep->healed & bit)
            snprintf(r->message + used, sizeof r->message - used,
                     " (%s as the PCCS sends it: the cached copy failed too, was evicted and "
                     "fetched again; not a cache fault)",
                     name);
        else if (rep->from_cache & bit)
            snprintf(r->message + used, sizeof r->message - used,
                     " (%s from the cache%s; the entry was evicted)", name,
                     offline ? ", --offline" : "");
        else
            snprintf(r->message + used, sizeof r->message - used,
                     " (%s as fetched from the PCCS just now, not from the cache)", name);
    }
}

mse_err mse_collateral_verify(const struct mse_collateral_source *src,
                              const struct mse_collateral_id *id, int64_t at,
                              mse_collateral_verifier verify, void *ctx,
                              struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT],
                              struct mse_verify_result *result, struct mse_collateral_report *rep,
                              char *why, size_t why_len)
{
    mse_err err = MSE_OK;
    struct mse_collateral view;
    unsigned want = 0;
    memset(items, 0, sizeof(struct mse_pccs_item) * MSE_PCCS_ITEM_COUNT);
    memset(rep, 0, sizeof *rep);

    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        bool hit = false;
        if (src->cache_dir &&
            mse_cache_load(src->cache_dir, (enum mse_pccs_item_id)i, id, at, &items[i], &hit) !=
                MSE_OK)
            hit = false;
        if (hit)
            rep->from_cache |= 1u << i;
        else
            want |= 1u << i;
    }
    for (int i = 0; src->offline && i < MSE_PCCS_ITEM_COUNT; i++)
        if (want & (1u << i))
            MSE_GOTO_OUT(mse_say(why, why_len, MSE_ERR_CACHE_MISS,
                                 "--offline: %s is not in the cache or not valid at that time",
                                 mse_pccs_item_name((enum mse_pccs_item_id)i)));
    if (want)
        MSE_CHECK_OUT(fetch_into(src, id, want, items, rep, why, why_len));

    /*
     * Each round takes at least one item out of from_cache, so there are at
     * most MSE_PCCS_ITEM_COUNT + 1 verdicts and each item is fetched at most
     * once. An item that did not run in a round (an earlier check failed)
     * may fail in the next one and be healed then.
     */
    for (;;) {
        mse_pccs_items_view(items, &view);
        err = verify(ctx, &view, result);
        if (err != MSE_OK)
            MSE_GOTO_OUT(mse_say(why, why_len, err, "verification could not run: %s",
                                 mse_err_str(err)));
        unsigned stale = failed_items(result) & rep->from_cache;
        if (!stale)
            break;
        /*
         * An eviction that fails (read-only cache) is harmless: a fresh copy
         * that verifies is stored over the entry below, and a damaged entry
         * that stays is healed again by each run.
         */
        for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++)
            if ((stale & (1u << i)) &&
                mse_cache_evict(src->cache_dir, (enum mse_pccs_item_id)i, id) != MSE_OK)
                continue;
        if (src->offline)
            break;
        for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
            if (!(stale & (1u << i)))
                continue;
            free(items[i].body);
            free(items[i].chain);
            memset(&items[i], 0, sizeof items[i]);
        }
        rep->from_cache &= ~stale;
        rep->healed |= stale;
        want |= stale;
        char fetch_why[768] = "";
        err = fetch_into(src, id, stale, items, rep, fetch_why, sizeof fetch_why);
        if (err != MSE_OK)
            MSE_GOTO_OUT(mse_say(why, why_len, err,
                                 "a cached collateral item failed verification and was evicted; "
                                 "fetching it again: %s",
                                 fetch_why[0] ? fetch_why : mse_err_str(err)));
    }
    name_source(result, rep, src->offline);

    /*
     * Store a fetched item only once the verifier has checked it (signature,
     * issuer chain, platform match): an item that failed (a PCCS fault, or
     * bytes injected on an unauthenticated --pccs-insecure link) would
     * otherwise be served from the cache until the nextUpdate it claims.
     */
    for (int i = 0; src->cache_dir && i < MSE_PCCS_ITEM_COUNT; i++) {
        enum mse_outcome oc = result->checks[item_checks[i]].outcome;
        if (!(want & (1u << i)) || (oc != MSE_OUTCOME_PASS && oc != MSE_OUTCOME_WARN))
            continue;
        if (mse_cache_store(src->cache_dir, (enum mse_pccs_item_id)i, id, &items[i]) != MSE_OK)
            rep->not_stored |= 1u << i;
    }
out:
    return err;
}

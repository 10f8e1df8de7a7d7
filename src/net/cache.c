/* The collateral cache (see cache.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/guard.h>

#include "net/cache.h"
#include "util/util.h"

#define CACHE_ITEM_MAX (4u << 20)

static const enum mse_collateral_kind kinds[MSE_PCCS_ITEM_COUNT] = {
    MSE_COLLATERAL_TCB_INFO, MSE_COLLATERAL_QE_IDENTITY, MSE_COLLATERAL_PCK_CRL,
    MSE_COLLATERAL_ROOT_CA_CRL};

bool mse_cache_fresh(int64_t not_before, int64_t not_after, int64_t at)
{
    return not_before <= at && at < not_after;
}

static mse_err mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int rc = mkdir(path, 0700);
        *p = '/';
        MSE_ENSURE(rc == 0 || errno == EEXIST, MSE_ERR_IO);
    }
    MSE_ENSURE(mkdir(path, 0700) == 0 || errno == EEXIST, MSE_ERR_IO);
    return MSE_OK;
}

mse_err mse_cache_dir(char *buf, size_t len, const char *service_url)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    uint8_t digest[32];
    char hex[65];
    int n;
    MSE_ENSURE(EVP_Digest(service_url, strlen(service_url), digest, NULL, EVP_sha256(), NULL) == 1,
               MSE_ERR_CRYPTO);
    mse_hex_encode(digest, 32, hex);
    hex[16] = 0;
    if (xdg && *xdg == '/')
        n = snprintf(buf, len, "%s/mse/%s", xdg, hex);
    else if (home && *home)
        n = snprintf(buf, len, "%s/.cache/mse/%s", home, hex);
    else
        return MSE_ERR_IO;
    MSE_ENSURE(n > 0 && (size_t)n < len, MSE_ERR_LIMIT);
    MSE_TRY(mkdir_p(buf));
    /* Writes a killed run left half-done (any item's, not only those this run stores). */
    mse_file_sweep_tmp(buf, NULL);
    return MSE_OK;
}

void mse_cache_key(enum mse_pccs_item_id item, const struct mse_collateral_id *id, char *out,
                   size_t cap)
{
    char fmspc[13];
    mse_hex_encode(id->fmspc, 6, fmspc);
    switch (item) {
    case MSE_PCCS_TCB_INFO:
        snprintf(out, cap, "tcb-%s", fmspc);
        break;
    case MSE_PCCS_QE_IDENTITY:
        snprintf(out, cap, "qe-identity");
        break;
    case MSE_PCCS_PCK_CRL:
        snprintf(out, cap, "pckcrl-%s", id->processor_ca ? "processor" : "platform");
        break;
    default:
        snprintf(out, cap, "rootcacrl");
        break;
    }
}

static void paths(const char *dir, enum mse_pccs_item_id item, const struct mse_collateral_id *id,
                  char body[4096], char chain[4096])
{
    char key[64];
    mse_cache_key(item, id, key, sizeof key);
    snprintf(body, 4096, "%s/%s.body", dir, key);
    snprintf(chain, 4096, "%s/%s.chain", dir, key);
}

mse_err mse_cache_load(const char *dir, enum mse_pccs_item_id item,
                       const struct mse_collateral_id *id, int64_t at, struct mse_pccs_item *out,
                       bool *hit)
{
    char bp[4096], cp[4096];
    int64_t nb, na;
    memset(out, 0, sizeof *out);
    *hit = false;
    paths(dir, item, id, bp, cp);
    if (mse_file_read(bp, CACHE_ITEM_MAX, &out->body, &out->body_len) != MSE_OK)
        return MSE_OK;
    if (item != MSE_PCCS_ROOT_CA_CRL &&
        mse_file_read(cp, CACHE_ITEM_MAX, &out->chain, &out->chain_len) != MSE_OK)
        goto miss;
    if (mse_collateral_window(kinds[item], out->body, out->body_len, &nb, &na) != MSE_OK ||
        !mse_cache_fresh(nb, na, at))
        goto miss;
    *hit = true;
    return MSE_OK;
miss:
    free(out->body);
    free(out->chain);
    memset(out, 0, sizeof *out);
    return MSE_OK;
}

mse_err mse_cache_store(const char *dir, enum mse_pccs_item_id item,
                        const struct mse_collateral_id *id, const struct mse_pccs_item *in)
{
    char bp[4096], cp[4096];
    paths(dir, item, id, bp, cp);
    if (in->chain)
        MSE_TRY(mse_file_write_atomic(cp, in->chain, in->chain_len, 0600));
    return mse_file_write_atomic(bp, in->body, in->body_len, 0600);
}

mse_err mse_cache_evict(const char *dir, enum mse_pccs_item_id item,
                        const struct mse_collateral_id *id)
{
    char bp[4096], cp[4096];
    paths(dir, item, id, bp, cp);
    /* The body first: without it the entry is a miss even if the chain stays. */
    MSE_ENSURE(unlink(bp) == 0 || errno == ENOENT, MSE_ERR_IO);
    MSE_ENSURE(unlink(cp) == 0 || errno == ENOENT, MSE_ERR_IO);
    return MSE_OK;
}

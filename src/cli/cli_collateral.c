/*
 * The collateral half of the one verification path (cli_policy.h): which
 * collateral service to ask (--pccs-url, $MSE_PCCS_URL, Intel's QCNL
 * configuration, Intel's PCS), then the per-service cache, the fetch of what
 * it lacks and the verdict, with damaged cache entries healed
 * (src/net/collateral_get.c). Prints nothing: warnings
 * go to the caller's notes, progress to its callback.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/guard.h>
#include <mse/mse.h>
#include <mse/net.h>

#include "cli_policy.h"
#include "net/cache.h"
#include "net/collateral_get.h"
#include "util/util.h"

#define QCNL_CONF_DEFAULT "/etc/sgx_default_qcnl.conf"
#define QCNL_CONF_MAX (1u << 20)

/* --pccs-url, else $MSE_PCCS_URL, else QCNL's pccs_url, else Intel's PCS. */
MSE_MUST_USE static mse_err resolve_pccs(const struct cli_policy_args *a,
                                         struct mse_pccs_opts *p, char **owned,
                                         struct cli_notes *notes, char *why, size_t why_cap)
{
    *owned = NULL;
    p->cacert = a->pccs_cacert;
    p->insecure = a->pccs_insecure;
    p->timeout_ms = a->timeout_ms;
    const char *env = getenv("MSE_PCCS_URL");
    if (a->pccs_url) {
        p->url = a->pccs_url;
    } else if (env && *env) {
        p->url = env;
    } else {
        const char *conf = getenv("MSE_QCNL_CONF");
        uint8_t *text = NULL;
        size_t len = 0;
        bool secure = true;
        if (mse_file_read(conf && *conf ? conf : QCNL_CONF_DEFAULT, QCNL_CONF_MAX, &text, &len) ==
            MSE_OK) {
            mse_err err = mse_qcnl_parse((const char *)text, len, owned, &secure);
            free(text);
            if (err != MSE_OK)
                return mse_say(why, why_cap, err,
                               "cannot read pccs_url from the QCNL configuration");
            p->url = *owned;
            if (!secure)
                p->insecure = true;
        } else {
            p->url = MSE_INTEL_PCS_URL;
        }
    }
    if (p->insecure)
        cli_note(notes, "the PCCS TLS certificate is not checked (collateral signatures still are)");
    return MSE_OK;
}


/* The platform's collateral id from the raw quote, or from the certificate's quote. */
MSE_MUST_USE static mse_err collateral_id(const uint8_t *cert_der, size_t cert_len,
                                          const uint8_t *quote, size_t quote_len,
                                          struct mse_collateral_id *id)
{
    const size_t cap = MSE_QUOTE_MAX_SIZE + 8192;
    uint8_t *quote_buf = NULL;
    struct mse_ratls ratls = {.quote = quote, .quote_len = quote_len};
    struct mse_quote q;
    mse_err err = MSE_OK;
    if (quote == NULL) {
        quote_buf = malloc(cap);
        MSE_ENSURE(quote_buf != NULL, MSE_ERR_NOMEM);
        err = mse_ratls_extract(cert_der, cert_len, quote_buf, cap, &ratls);
    }
    if (err == MSE_OK)
        err = mse_quote_parse(ratls.quote, ratls.quote_len, &q);
    if (err == MSE_OK)
        err = mse_collateral_id_from_quote(&q, id);
    free(quote_buf);
    return err;
}

/* A certificate without an SGX quote that carries a TDX one gets the verifier's verdict. */
static bool carries_tdx_quote(const uint8_t *der, size_t len)
{
    const uint8_t *q = NULL;
    size_t n = 0;
    bool found = false;
    return mse_cert_tdx_quote(der, len, &q, &n, &found) == MSE_OK && found;
}

/* The verifier for a certificate, or for a raw quote when quote is not NULL. */
MSE_MUST_USE static mse_err run_verifier(struct cli_verify_setup *s, const uint8_t *cert_der,
                                         size_t cert_len, const uint8_t *quote, size_t quote_len,
                                         const struct mse_collateral *c,
                                         struct mse_verify_result *result)
{
    /* Not waiting for a fingerprint still being computed (only for its code to be hashed):
     * until cli_verify_setup_decide() the policy's MRENCLAVE is a placeholder, and this
     * verdict refuses on it at worst. */
    cli_verify_setup_await_hashed(s);
    if (quote != NULL) {
        struct mse_verify_quote_input qin = {.quote = quote, .quote_len = quote_len,
                                             .collateral = c, .trust_root_der = s->trust_root_der,
                                             .trust_root_len = s->trust_root_len, .at = s->at};
        return mse_verify_quote(&qin, &s->policy, result);
    }
    struct mse_verify_input in = {.cert_der = cert_der, .cert_len = cert_len, .collateral = c,
                                  .trust_root_der = s->trust_root_der,
                                  .trust_root_len = s->trust_root_len, .at = s->at};
    return mse_verify(&in, &s->policy, result);
}

/* What run_verifier needs besides the collateral. */
struct verifier_ctx {
    struct cli_verify_setup *s;
    const uint8_t *cert_der;
    size_t cert_len;
    const uint8_t *quote;
    size_t quote_len;
};

static mse_err verifier_cb(void *ctx, const struct mse_collateral *c,
                           struct mse_verify_result *result)
{
    const struct verifier_ctx *v = ctx;
    return run_verifier(v->s, v->cert_der, v->cert_len, v->quote, v->quote_len, c, result);
}

/* Notes for what the cache did: damaged entries healed, verified items it could not keep. */
static void note_cache(const struct mse_collateral_report *rep, const char *cache_dir,
                       struct cli_notes *notes)
{
    for (int i = 0; i < MSE_PCCS_ITEM_COUNT; i++) {
        const char *name = mse_pccs_item_name((enum mse_pccs_item_id)i);
        if (rep->healed & (1u << i))
            cli_note(notes, "the cached %s failed verification: evicted and fetched again", name);
        if (rep->not_stored & (1u << i))
            cli_note(notes, "could not cache %s in %s", name, cache_dir);
    }
}

MSE_MUST_USE static mse_err verify_with_collateral(const struct cli_policy_args *a,
                                                   struct cli_verify_setup *s,
                                                   const uint8_t *cert_der, size_t cert_len,
                                                   const uint8_t *quote, size_t quote_len,
                                                   cli_progress_fn progress,
                                                   struct mse_verify_result *result,
                                                   struct cli_collateral_info *info, char *why,
                                                   size_t why_cap)
{
    struct mse_collateral_id id;
    struct mse_pccs_item items[MSE_PCCS_ITEM_COUNT];
    struct mse_collateral_source src = {.offline = a->offline, .progress = progress};
    struct mse_collateral_report rep;
    struct verifier_ctx vc = {s, cert_der, cert_len, quote, quote_len};
    char cache_dir[4096] = "";
    char *owned_url = NULL;

    memset(items, 0, sizeof items);
    mse_err err = collateral_id(cert_der, cert_len, quote, quote_len, &id);
    if (err == MSE_ERR_RATLS_NO_QUOTE && !carries_tdx_quote(cert_der, cert_len))
        return mse_say(why, why_cap, err,
                       "this app does not use an enclave-generated (RA-TLS) certificate: "
                       "its certificate carries no SGX quote, so there is nothing to "
                       "verify (app owner or operator certificate; its RA-TLS certificate may "
                       "be published at /.well-known/mse/ratls.pem: see --ratls-path)");
    if (err != MSE_OK) {
        /* Let the verifier produce the precise verdict (malformed, TDX, ...). */
        err = run_verifier(s, cert_der, cert_len, quote, quote_len, NULL, result);
        return err != MSE_OK ? mse_say(why, why_cap, err, "verification failed: %s",
                                       mse_err_str(err))
                             : MSE_OK;
    }
    err = resolve_pccs(a, &src.pccs, &owned_url, &info->notes, why, why_cap);
    if (err != MSE_OK)
        goto out;
    /* One cache per collateral service: two PCCSs (a simulator and Intel's, say) never mix. */
    if (!a->no_cache && mse_cache_dir(cache_dir, sizeof cache_dir, src.pccs.url) == MSE_OK)
        src.cache_dir = cache_dir;
    else if (!a->no_cache && a->offline) {
        err = mse_say(why, why_cap, MSE_ERR_IO, "--offline: no cache directory");
        goto out;
    }
    err = mse_collateral_verify(&src, &id, s->at, verifier_cb, &vc, items, result, &rep, why,
                                why_cap);
    info->requests = rep.requests;
    note_cache(&rep, cache_dir, &info->notes);
    /* Exactly what was verified, kept only once there is a verdict. */
    if (err == MSE_OK && info->capture && quote == NULL) {
        struct mse_collateral view;
        mse_pccs_items_view(items, &view);
        if (mse_evidence_write(cert_der, cert_len, &view, id.processor_ca != 0, s->at,
                               &info->evidence) != MSE_OK)
            cli_note(&info->notes, "could not build the evidence bundle");
    }
out:
    mse_pccs_items_free(items);
    free(owned_url);
    return err;
}

mse_err cli_verify_with_collateral(const struct cli_policy_args *a,
                                   struct cli_verify_setup *s, const uint8_t *cert_der,
                                   size_t cert_len, cli_progress_fn progress,
                                   struct mse_verify_result *result,
                                   struct cli_collateral_info *info, char *why, size_t why_cap)
{
    return verify_with_collateral(a, s, cert_der, cert_len, NULL, 0, progress, result, info, why,
                                  why_cap);
}

mse_err cli_verify_quote_with_collateral(const struct cli_policy_args *a,
                                         struct cli_verify_setup *s, const uint8_t *quote,
                                         size_t quote_len, cli_progress_fn progress,
                                         struct mse_verify_result *result,
                                         struct cli_collateral_info *info, char *why,
                                         size_t why_cap)
{
    static const uint8_t empty[1];
    return verify_with_collateral(a, s, NULL, 0, quote != NULL ? quote : empty, quote_len,
                                  progress, result, info, why, why_cap);
}

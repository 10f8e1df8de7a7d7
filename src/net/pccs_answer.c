/* One PCCS answer: accumulate bounded, then judge (see pccs_answer.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mse/guard.h>

#include "net/curl_api.h"
#include "net/pccs_answer.h"
#include "util/util.h"

#define RETRY_AFTER_CAP 1000000L /* longer than any timeout: means "no retry" */

static const char *const chain_headers[MSE_PCCS_ITEM_COUNT] = {
    "TCB-Info-Issuer-Chain", "SGX-Enclave-Identity-Issuer-Chain", "SGX-PCK-CRL-Issuer-Chain",
    NULL};

/* What each answer must be, and the words for an answer that is not it. */
static const enum mse_collateral_kind item_kinds[MSE_PCCS_ITEM_COUNT] = {
    MSE_COLLATERAL_TCB_INFO, MSE_COLLATERAL_QE_IDENTITY, MSE_COLLATERAL_PCK_CRL,
    MSE_COLLATERAL_ROOT_CA_CRL};
static const char *const item_expected[MSE_PCCS_ITEM_COUNT] = {
    "TCB info JSON", "QE identity JSON", "a CRL", "a CRL"};

const char *mse_pccs_chain_header(enum mse_pccs_item_id id)
{
    return (unsigned)id < MSE_PCCS_ITEM_COUNT ? chain_headers[id] : NULL;
}

/* Header "Name: value" -> value without surrounding blanks, or NULL if another name. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vl)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return NULL;
    const char *v = line + nl + 1;
    *vl = len - nl - 1;
    while (*vl && (*v == ' ' || *v == '\t'))
        v++, (*vl)--;
    while (*vl && (v[*vl - 1] == '\r' || v[*vl - 1] == '\n' || v[*vl - 1] == ' ' ||
                   v[*vl - 1] == '\t'))
        (*vl)--;
    return v;
}

bool mse_pccs_answer_header(struct mse_pccs_answer *a, const char *line, size_t len)
{
    size_t vl;
    const char *v = header_value(line, len, "Retry-After", &vl);
    if (v) {
        /* An over-long value is no delay we can read: kept empty, so no retry. */
        a->retry_after[0] = 0;
        if (vl <= MSE_PCCS_RETRY_AFTER_MAX) {
            memcpy(a->retry_after, v, vl);
            a->retry_after[vl] = 0;
        }
        return true;
    }
    const char *name = mse_pccs_chain_header(a->id);
    v = name ? header_value(line, len, name, &vl) : NULL;
    if (!v)
        return true;
    if (vl > MSE_PCCS_CHAIN_MAX || a->chain) {
        a->chain_bad = true; /* a repeated chain header is ambiguous: refuse */
        return true;
    }
    a->chain = malloc(vl + 1);
    if (!a->chain)
        return false;
    memcpy(a->chain, v, vl);
    a->chain[vl] = 0;
    a->chain_len = vl;
    return true;
}

bool mse_pccs_answer_body(struct mse_pccs_answer *a, const char *data, size_t len)
{
    if (len > MSE_PCCS_BODY_MAX - a->body_len) {
        a->body_over = true;
        return false;
    }
    size_t want = a->body_len + len + 1, cap = a->body ? a->body_cap : 0;
    if (want > cap) {
        /*
         * Doubling: a body that arrives in many small pieces (a server can send
         * one byte per segment) costs a linear number of copies, not a
         * quadratic one. want <= MSE_PCCS_BODY_MAX + 1, so cap cannot overflow.
         */
        cap = cap ? cap : 4096;
        while (cap < want)
            cap *= 2;
        uint8_t *nb = realloc(a->body, cap);
        if (!nb)
            return false;
        a->body = nb;
        a->body_cap = cap;
    }
    if (len)
        memcpy(a->body + a->body_len, data, len);
    a->body_len += len;
    a->body[a->body_len] = 0;
    return true;
}

void mse_pccs_answer_reset(struct mse_pccs_answer *a)
{
    enum mse_pccs_item_id id = a->id;
    free(a->body);
    free(a->chain);
    memset(a, 0, sizeof *a);
    a->id = id;
}

long mse_pccs_retry_after_seconds(const char *v, int64_t now)
{
    size_t n = strlen(v);
    if (n == 0)
        return -1;
    if (strspn(v, "0123456789") == n) {
        if (n > 6)
            return RETRY_AFTER_CAP;
        return strtol(v, NULL, 10);
    }
    /* An HTTP-date: only in an answer, so libcurl is loaded already. */
    const struct mse_curl *cu = NULL;
    if (mse_curl_api(&cu, NULL, 0) != MSE_OK)
        return -1;
    time_t when = cu->getdate(v, NULL);
    if (when < 0)
        return -1;
    if ((int64_t)when <= now)
        return 0;
    return (int64_t)when - now > RETRY_AFTER_CAP ? RETRY_AFTER_CAP : (long)((int64_t)when - now);
}

/* A short printable excerpt of an answer body, for the reason. */
static void excerpt(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; b && i < n && j + 1 < cap && i < 200; i++)
        out[j++] = isprint(b[i]) ? (char)b[i] : ' ';
    out[j] = 0;
}

/*
 * An answer that is not the collateral asked for (a proxy's or captive
 * portal's page, another endpoint's item, an error text sent with 200) is a
 * PCCS failure, said as such, not a malformed-collateral verdict. The test is
 * whether the item yields the validity window it must claim; the verifier
 * still checks everything else.
 */
static mse_err check_kind(const struct mse_pccs_answer *a, const char *url, char *why,
                          size_t why_len)
{
    int64_t nb, na;
    mse_err e = mse_collateral_window(item_kinds[a->id], a->body, a->body_len, &nb, &na);
    if (e == MSE_OK)
        return MSE_OK;
    char text[256];
    excerpt(a->body, a->body_len, text, sizeof text);
    return mse_say(why, why_len, MSE_ERR_PCCS_BODY, "PCCS answer for %s is not %s: %s (%s): %s",
                   mse_pccs_item_name(a->id), item_expected[a->id], mse_err_str(e), url, text);
}

mse_err mse_pccs_answer_check(const struct mse_pccs_answer *a, long status, const char *url,
                              long waited_s, int64_t now, char *why, size_t why_len)
{
    const char *what = mse_pccs_item_name(a->id);
    char text[256];
    MSE_ENSURE((unsigned)a->id < MSE_PCCS_ITEM_COUNT, MSE_ERR_ARG);
    if (status == 200) {
        const char *name = chain_headers[a->id];
        if (a->body_len == 0)
            return mse_say(why, why_len, MSE_ERR_PCCS_BODY, "PCCS sent an empty %s (%s)", what,
                           url);
        if (a->chain_bad)
            return mse_say(why, why_len, MSE_ERR_PCCS_BODY,
                           "PCCS answer for %s has a repeated or oversized %s header (%s)", what,
                           name, url);
        if (name && !a->chain)
            return mse_say(why, why_len, MSE_ERR_PCCS_BODY,
                           "PCCS answer for %s lacks the %s header (%s)", what, name, url);
        return check_kind(a, url, why, why_len);
    }
    excerpt(a->body, a->body_len, text, sizeof text);
    char retry[128] = "";
    long asked = mse_pccs_retry_after_seconds(a->retry_after, now);
    if (status == 429 && waited_s >= 0)
        snprintf(retry, sizeof retry, " (again after waiting %ld s as Retry-After asked)",
                 waited_s);
    else if (status == 429 && asked >= 0)
        snprintf(retry, sizeof retry, " (Retry-After %ld s does not fit in the timeout)", asked);
    return mse_say(why, why_len, status == 404 ? MSE_ERR_PCCS_NOT_FOUND : MSE_ERR_PCCS_HTTP,
                   "PCCS answered HTTP %ld for %s (%s)%s%s%s", status, what, url, retry,
                   text[0] ? ": " : "", text);
}

/*
 * The reusable verifier (<mse/verifier.h>): one pre-decoded trust anchor and
 * a small memory of platform spans that passed (verifier_span.h).
 *
 * Security notes for reviewers:
 *  - A span is found only by comparing every byte of every part it read
 *    (lengths first, then memcmp of the stored copy): no digest, so no
 *    collision question, and nothing borrowed from the caller.
 *  - A span is stored only when all of its checks passed and every item
 *    they looked at is valid at the instant of that verification; it is
 *    found only for an instant in [latest start, earliest end) of those
 *    items. Outside it, the checks run again and report as mse_verify does.
 *  - Failures are never stored: a refused platform is refused by running
 *    its checks, every time.
 *  - The anchor is fixed at creation; a call naming another anchor is
 *    refused (MSE_ERR_ARG) rather than answered from memory made under the
 *    first one.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/provider.h>
#include <openssl/x509.h>

#include <mse/guard.h>
#include <mse/verifier.h>

#include "dcap.h"
#include "verifier_span.h"

struct platform {
    bool used;
    uint8_t *key; /* the parts back to back (owned) */
    size_t key_len;
    size_t part_len[MSE_SPAN_PARTS];
    int64_t not_before, not_after; /* window: not_before <= at < not_after */
    struct mse_span span;
};

struct mse_verifier {
    /*
     * A library context holding only OpenSSL's "null" provider: certificates
     * decoded in it (the RA-TLS certificate, mse_ratls_load) keep their key
     * undecoded, which costs OpenSSL 3.0 more than an ECDSA verification;
     * the key is built from the SubjectPublicKeyInfo instead.
     */
    OSSL_LIB_CTX *keyless;
    OSSL_PROVIDER *null_provider;
    /*
     * The last attestation key (x||y, quote bytes) and its decoded form:
     * every quote of a platform carries the same one. Not a verdict: only
     * the decoding of these exact 64 bytes, which is all EVP_PKEY_fromdata
     * does with them; the signature is verified on every quote.
     */
    uint8_t att_xy[64];
    EVP_PKEY *att_key;
    /* P-256 without a key: RA-TLS certificate keys are copies of it given their point. */
    EVP_PKEY *p256_domain;
    X509 *anchor;
    uint8_t *anchor_der; /* copy of the caller's anchor */
    size_t anchor_len;
    struct platform platforms[MSE_VERIFIER_PLATFORMS];
    size_t next; /* the slot the next platform goes to (oldest first) */
    struct mse_verifier_stats stats;
};

mse_err mse_verifier_new(const uint8_t *trust_root_der, size_t trust_root_len,
                         struct mse_verifier **out)
{
    mse_err err = MSE_OK;
    *out = NULL;
    if (trust_root_der == NULL)
        trust_root_der = mse_intel_root_ca_der(&trust_root_len);
    struct mse_verifier *v = calloc(1, sizeof *v);
    MSE_ENSURE(v != NULL, MSE_ERR_NOMEM);
    v->keyless = OSSL_LIB_CTX_new();
    MSE_ENSURE_OUT(v->keyless != NULL, MSE_ERR_NOMEM);
    /* Loading "null" also keeps OpenSSL from loading its default provider there. */
    v->null_provider = OSSL_PROVIDER_load(v->keyless, "null");
    MSE_ENSURE_OUT(v->null_provider != NULL, MSE_ERR_CRYPTO);
    /* Decoded with the same strictness as mse_verify: a bad anchor is the caller's mistake. */
    MSE_ENSURE_OUT(mse_x509_from_der(trust_root_der, trust_root_len, &v->anchor) == MSE_OK,
                   MSE_ERR_ARG);
    v->anchor_der = malloc(trust_root_len);
    MSE_ENSURE_OUT(v->anchor_der != NULL, MSE_ERR_NOMEM);
    memcpy(v->anchor_der, trust_root_der, trust_root_len);
    v->anchor_len = trust_root_len;
    MSE_CHECK_OUT(mse_ec_p256_domain(&v->p256_domain));
    *out = v;
    v = NULL;
out:
    mse_verifier_free(v);
    return err;
}

static void forget(struct platform *p)
{
    free(p->key);
    memset(p, 0, sizeof *p);
}

void mse_verifier_free(struct mse_verifier *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < MSE_VERIFIER_PLATFORMS; i++)
        forget(&v->platforms[i]);
    X509_free(v->anchor);
    free(v->anchor_der);
    EVP_PKEY_free(v->att_key);
    EVP_PKEY_free(v->p256_domain);
    OSSL_PROVIDER_unload(v->null_provider);
    OSSL_LIB_CTX_free(v->keyless);
    free(v);
}

X509 *mse_verifier_anchor(const struct mse_verifier *v, const uint8_t **der, size_t *len)
{
    *der = v->anchor_der;
    *len = v->anchor_len;
    return v->anchor;
}

OSSL_LIB_CTX *mse_verifier_keyless(const struct mse_verifier *v)
{
    return v->keyless;
}

const EVP_PKEY *mse_verifier_p256_domain(const struct mse_verifier *v)
{
    return v->p256_domain;
}

EVP_PKEY *mse_verifier_att_key(struct mse_verifier *v, const uint8_t xy[64])
{
    if (v->att_key != NULL && memcmp(v->att_xy, xy, 64) == 0)
        return v->att_key;
    EVP_PKEY *k = NULL;
    if (mse_ec_p256_key(xy, &k) != MSE_OK)
        return NULL;
    EVP_PKEY_free(v->att_key);
    v->att_key = k;
    memcpy(v->att_xy, xy, 64);
    return k;
}

static size_t remembered_bytes(const struct mse_verifier *v)
{
    size_t n = 0;
    for (size_t i = 0; i < MSE_VERIFIER_PLATFORMS; i++)
        n += v->platforms[i].key_len;
    return n;
}

static bool same_parts(const struct platform *p, const struct mse_blob parts[MSE_SPAN_PARTS])
{
    for (size_t i = 0; i < MSE_SPAN_PARTS; i++)
        if (p->part_len[i] != parts[i].len)
            return false;
    size_t off = 0;
    for (size_t i = 0; i < MSE_SPAN_PARTS; i++) {
        if (parts[i].len > 0 && memcmp(p->key + off, parts[i].data, parts[i].len) != 0)
            return false;
        off += parts[i].len;
    }
    return true;
}

const struct mse_span *mse_verifier_recall(struct mse_verifier *v,
                                           const struct mse_blob parts[MSE_SPAN_PARTS],
                                           int64_t at)
{
    for (size_t i = 0; i < MSE_VERIFIER_PLATFORMS; i++) {
        const struct platform *p = &v->platforms[i];
        if (p->used && p->not_before <= at && at < p->not_after && same_parts(p, parts)) {
            v->stats.hits++;
            return &p->span;
        }
    }
    return NULL;
}

void mse_verifier_remember(struct mse_verifier *v, const struct mse_blob parts[MSE_SPAN_PARTS],
                           int64_t at, const struct mse_span *span)
{
    int64_t nb = INT64_MIN, na = INT64_MAX;
    size_t total = 0;
    if (span->validity_count == 0)
        return; /* nothing bounds it in time: never reuse */
    for (size_t i = 0; i < span->validity_count; i++) {
        if (span->validity[i].not_before > nb)
            nb = span->validity[i].not_before;
        if (span->validity[i].not_after < na)
            na = span->validity[i].not_after;
    }
    if (!(nb <= at && at < na))
        return; /* passed only with items outside their window: not remembered */
    for (size_t i = 0; i < MSE_SPAN_PARTS; i++) {
        if (parts[i].len > 0 && parts[i].data == NULL)
            return;
        if (parts[i].len > SIZE_MAX - total)
            return;
        total += parts[i].len;
    }
    if (total > MSE_VERIFIER_MEMORY_BYTES)
        return; /* more than the whole memory may hold: verified, never remembered */
    uint8_t *key = malloc(total > 0 ? total : 1);
    if (key == NULL)
        return;
    /* Oldest first: the slot this one takes, then as many more as the byte bound needs. */
    struct platform *p = &v->platforms[v->next];
    forget(p);
    for (size_t k = 1; k < MSE_VERIFIER_PLATFORMS &&
                       remembered_bytes(v) + total > MSE_VERIFIER_MEMORY_BYTES;
         k++)
        forget(&v->platforms[(v->next + k) % MSE_VERIFIER_PLATFORMS]);
    v->next = (v->next + 1) % MSE_VERIFIER_PLATFORMS;
    size_t off = 0;
    for (size_t i = 0; i < MSE_SPAN_PARTS; i++) {
        if (parts[i].len > 0)
            memcpy(key + off, parts[i].data, parts[i].len);
        p->part_len[i] = parts[i].len;
        off += parts[i].len;
    }
    p->key = key;
    p->key_len = total;
    p->not_before = nb;
    p->not_after = na;
    p->span = *span;
    p->used = true;
    v->stats.stored++;
}

/*
 * One verifier, one anchor: memory made under it must not answer for another.
 * Whether the caller's anchor (NULL: the verifier's) is the verifier's; if
 * not, result says MSE_ERR_ARG.
 */
static bool own_anchor(const struct mse_verifier *v, const uint8_t *der, size_t len,
                       struct mse_verify_result *result)
{
    if (der == NULL || (len == v->anchor_len && memcmp(der, v->anchor_der, len) == 0))
        return true;
    memset(result, 0, sizeof *result);
    result->err = MSE_ERR_ARG;
    return false;
}

mse_err mse_verifier_verify(struct mse_verifier *v, const struct mse_verify_input *in,
                            const struct mse_policy *policy, struct mse_verify_result *result)
{
    if (!own_anchor(v, in->trust_root_der, in->trust_root_len, result))
        return MSE_ERR_ARG;
    mse_err err = mse_verify_drive(in, NULL, 0, policy, result, v);
    if (err == MSE_OK)
        v->stats.verifications++;
    return err;
}

mse_err mse_verifier_verify_quote(struct mse_verifier *v, const struct mse_verify_quote_input *in,
                                  const struct mse_policy *policy,
                                  struct mse_verify_result *result)
{
    if (!own_anchor(v, in->trust_root_der, in->trust_root_len, result))
        return MSE_ERR_ARG;
    mse_err err = mse_verify_quote_drive(in, policy, result, v);
    if (err == MSE_OK)
        v->stats.verifications++;
    return err;
}

void mse_verifier_stats(const struct mse_verifier *v, struct mse_verifier_stats *out)
{
    *out = v->stats;
    out->platforms = 0;
    for (size_t i = 0; i < MSE_VERIFIER_PLATFORMS; i++)
        out->platforms += v->platforms[i].used ? 1 : 0;
    out->bytes = remembered_bytes(v);
}

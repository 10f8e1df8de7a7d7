/*
 * `mse-sim tamper`: the verifier's negative matrix as files. Each case of the
 * table in sim_tamper_cases.c becomes an mse evidence bundle
 * (docs/formats/evidence.md) made from the test PKI with exactly one thing
 * wrong, plus a MANIFEST line naming the mse_err (include/mse/err.h) that
 * must decide it. Quote offsets follow the v3 quote layout of
 * include/mse/quote.h (Intel "SGX ECDSA Quote Library API" A.4).
 *
 * Test-only: every key used here is public (see `mse-sim pki init`).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/quote.h>
#include <mse/ratls.h>
#include <mse/time.h>
#include <mse/verify.h>

#include "sim.h"
#include "sim_cmd.h"
#include "sim_tamper.h"
#include "util/util.h"

struct pki_case {
    char path[4096];
    struct mse_sim_pki pki;
};

struct ctx {
    const char *dir;
    int64_t now;
    FILE *manifest;
    size_t count;
    char *why;
    size_t whylen;
    struct pki_case good, other;
    char *good_cert_pem;     /* the reference certificate, reused by collateral cases */
    char identity_args[256]; /* identity.args: --mrsigner, --fingerprint of every case */
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

__attribute__((format(printf, 2, 3))) static void say(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->whylen, fmt, ap);
    va_end(ap);
}

/* ---- quotes and certificates ---------------------------------------------------- */

/* Replace the PEM chain in the certification data by n certificates (2: leaf, root; 4: CA twice). */
static mse_err replace_chain(uint8_t **q, size_t *len, const struct mse_sim_pki *p, size_t n,
                             const char *ca_pem)
{
    const char *parts[4];
    size_t k = 0;
    parts[k++] = p->pck_pem;
    if (n >= 3)
        parts[k++] = ca_pem ? ca_pem : p->ca_pem;
    if (n >= 4)
        parts[k++] = p->ca_pem;
    parts[k++] = p->root_pem;
    return mse_sim_quote_set_chain(q, len, parts, k);
}

/* The chain's first byte ('-') written as "%2D": PEM only after percent-decoding. */
static mse_err percent_chain(uint8_t **q, size_t *len)
{
    MSE_ENSURE(*len > Q_CERT_DATA && (*q)[Q_CERT_DATA] == '-', MSE_ERR_INTERNAL);
    uint8_t *out = malloc(*len + 2);
    MSE_ENSURE(out != NULL, MSE_ERR_NOMEM);
    memcpy(out, *q, Q_CERT_DATA);
    memcpy(out + Q_CERT_DATA, "%2D", 3);
    memcpy(out + Q_CERT_DATA + 3, *q + Q_CERT_DATA + 1, *len - Q_CERT_DATA - 1);
    put_le(out + Q_CERT_LEN, *len - Q_CERT_DATA + 2, 4);
    put_le(out + Q_SIG_LEN, *len + 2 - Q_SIG, 4);
    free(*q);
    *q = out;
    *len += 2;
    return MSE_OK;
}

struct tamper_provider {
    struct mse_quote_provider inner;
    const struct tamper_case *k;
    const struct ctx *c;
    const struct mse_sim_pki *pki;
};

/* The intermediate a Q_CHAIN case puts in the chain (malloc'd copy in *owned if read). */
static mse_err chain_ca(const struct tamper_provider *tp, const char **pem, uint8_t **owned)
{
    char path[4096];
    size_t n;
    *owned = NULL;
    *pem = tp->k->q.ca == CA_OTHER_PKI ? tp->c->other.pki.ca_pem : NULL;
    if (tp->k->q.ca != CA_INTEL_NAMED)
        return MSE_OK;
    snprintf(path, sizeof path, "%s/forged-intel-root.pki/pck-ca.pem", tp->c->dir);
    MSE_TRY(mse_file_read(path, 1u << 16, owned, &n));
    *pem = (const char *)*owned;
    return MSE_OK;
}

static mse_err tamper_get_quote(void *ctx, const uint8_t rd[64], uint8_t **q, size_t *len)
{
    struct tamper_provider *tp = ctx;
    const struct tamper_case *k = tp->k;
    const char *ca;
    uint8_t *owned;
    MSE_TRY(tp->inner.get_quote(tp->inner.ctx, rd, q, len));
    switch (k->q.op) {
    case Q_NONE: break;
    case Q_FLIP:
        MSE_ENSURE(k->q.off < *len, MSE_ERR_INTERNAL);
        (*q)[k->q.off] ^= 0x01;
        break;
    case Q_TRUNCATE:
        MSE_ENSURE(k->q.off <= *len, MSE_ERR_INTERNAL);
        *len = k->q.off;
        break;
    case Q_SET:
        MSE_ENSURE(k->q.off + (size_t)k->q.width <= *len, MSE_ERR_INTERNAL);
        put_le(*q + k->q.off, k->q.value, k->q.width);
        break;
    case Q_CHAIN: {
        MSE_TRY(chain_ca(tp, &ca, &owned));
        mse_err err = replace_chain(q, len, tp->pki, k->q.off, ca);
        free(owned);
        return err;
    }
    case Q_PERCENT: return percent_chain(q, len);
    }
    return MSE_OK;
}

/*
 * Add TCG DICE evidence as Gramine >= 1.8 does beside the legacy quote:
 * tag 60000 [quote, claims], claims {"pubkey-hash": [1, SHA-256(SPKI)]}, the
 * quote's REPORTDATA[0:32] = SHA-256(claims), from the untampered provider.
 * Then re-sign the certificate.
 */
static mse_err add_dice(X509 *x, EVP_PKEY *key, const struct mse_quote_provider *qp)
{
    static const char KEY[] = "pubkey-hash";
    uint8_t claims[64], rd[64] = {0}, *quote = NULL, *ev = NULL;
    unsigned char *spki = NULL;
    size_t n = 0, qlen = 0;
    mse_err err = MSE_OK;
    ASN1_OCTET_STRING *os = NULL;
    ASN1_OBJECT *oid = NULL;
    X509_EXTENSION *ext = NULL;
    int spki_len = i2d_PUBKEY(key, &spki);
    MSE_ENSURE_OUT(spki_len > 0, MSE_ERR_CRYPTO);
    claims[n++] = 0xa1;                       /* map of 1 */
    claims[n++] = 0x60 + sizeof KEY - 1;      /* text of 11 */
    memcpy(claims + n, KEY, sizeof KEY - 1);
    n += sizeof KEY - 1;
    claims[n++] = 0x58, claims[n++] = 36;     /* bytes of 36: the serialized entry */
    claims[n++] = 0x82, claims[n++] = 0x01;   /* [1 (SHA-256), */
    claims[n++] = 0x58, claims[n++] = 32;     /*  bytes of 32] */
    SHA256(spki, (size_t)spki_len, claims + n);
    n += 32;
    SHA256(claims, n, rd);
    MSE_CHECK_OUT(qp->get_quote(qp->ctx, rd, &quote, &qlen));
    MSE_ENSURE_OUT(qlen < 65536, MSE_ERR_INTERNAL);
    ev = malloc(qlen + n + 16);
    MSE_ENSURE_OUT(ev != NULL, MSE_ERR_NOMEM);
    size_t e = 0;
    memcpy(ev, "\xd9\xea\x60\x82\x59", 5); /* tag 60000, array of 2, bytes of 2-byte length */
    e = 5;
    ev[e++] = (uint8_t)(qlen >> 8), ev[e++] = (uint8_t)qlen;
    memcpy(ev + e, quote, qlen);
    e += qlen;
    ev[e++] = 0x58, ev[e++] = (uint8_t)n;
    memcpy(ev + e, claims, n);
    e += n;
    os = ASN1_OCTET_STRING_new();
    oid = OBJ_txt2obj(MSE_OID_DICE_TAGGED_EVIDENCE, 1);
    MSE_ENSURE_OUT(os && oid && ASN1_OCTET_STRING_set(os, ev, (int)e) == 1, MSE_ERR_NOMEM);
    ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
    MSE_ENSURE_OUT(ext && X509_add_ext(x, ext, -1) == 1 && X509_sign(x, key, EVP_sha256()) > 0,
                   MSE_ERR_CRYPTO);
out:
    X509_EXTENSION_free(ext);
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(os);
    OPENSSL_free(spki);
    free(quote);
    free(ev);
    return err;
}

/* The RA-TLS certificate PEM of a simulated enclave, as case k makes it (NULL: the reference). */
static mse_err make_cert_pem(const struct ctx *c, const struct pki_case *pc,
                             const struct tamper_case *k, char **pem)
{
    static const struct tamper_case reference = {.kind = T_QUOTE};
    k = k ? k : &reference;
    unsigned f = k->q.flags;
    struct mse_sim_enclave e = {.debug = (f & TF_DEBUG) != 0};
    struct mse_ratls_params params = {.subject = "CN=localhost,O=MSE Test App",
                                      .san = "localhost",
                                      .not_before = c->now - 3600,
                                      .not_after = c->now + 365 * 86400};
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    mse_err err;
    if (f & TF_CERT_EXPIRED) {
        params.not_before = c->now - 7200;
        params.not_after = c->now - 60;
    }
    memset(e.mrenclave, 0x11, 32);
    if (f & TF_UNBIND) {
        err = mse_sim_make_ratls(pc->path, &e, &params, true, &key, &x);
    } else {
        struct tamper_provider tp = {.k = k, .c = c, .pki = &pc->pki};
        MSE_TRY(mse_sim_quote_provider(pc->path, &e, &tp.inner));
        struct mse_quote_provider qp = tp.inner;
        qp.get_quote = tamper_get_quote;
        qp.ctx = &tp;
        err = mse_ratls_cert_create(&qp, &params, &key, &x);
        if (err == MSE_OK && (f & TF_DUAL))
            err = add_dice(x, key, &tp.inner);
        mse_quote_provider_close(&tp.inner);
    }
    if (err == MSE_OK)
        err = mse_sim_cert_pem(x, pem);
    X509_free(x);
    EVP_PKEY_free(key);
    return err;
}

/* ---- output --------------------------------------------------------------------- */

static mse_err write_text(const struct ctx *c, const char *name, const char *suffix,
                          const char *text)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s%s", c->dir, name, suffix);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof path, MSE_ERR_ARG);
    return mse_file_write_atomic(path, text, strlen(text), 0644);
}

/* The verify arguments of case k when they are not identity.args (else NULL). */
static const char *case_args(const struct ctx *c, const struct tamper_case *k, char *buf,
                             size_t cap)
{
    char mrs[65], mre[65];
    uint8_t v[32];
    if (k->kind == T_IDENTITY) {
        memcpy(v, c->good.pki.signer_mrsigner, 32);
        v[0] ^= k->identity == I_MRSIGNER;
        mse_hex_encode(v, 32, mrs);
        memset(v, 0x11, 32);
        v[31] ^= k->identity == I_MRENCLAVE;
        mse_hex_encode(v, 32, mre);
        snprintf(buf, cap, "--mrsigner\n%s\n--fingerprint\n%s\n", mrs, mre);
        return buf;
    }
    if (k->extra_args == NULL)
        return NULL;
    snprintf(buf, cap, "%s%s", c->identity_args, k->extra_args);
    return buf;
}

/* Write one case: bundle, optional anchor and verify arguments, manifest line. */
static mse_err emit(struct ctx *c, const struct tamper_case *k,
                    const struct mse_sim_evidence_parts *p, const char *root_pem)
{
    char *json = NULL, args[512];
    const char *a = case_args(c, k, args, sizeof args);
    mse_err err = mse_sim_evidence_json_parts(p, "localhost", &json);
    if (err == MSE_OK)
        err = write_text(c, k->name, ".json", json);
    free(json);
    if (err == MSE_OK && root_pem)
        err = write_text(c, k->name, ".root.pem", root_pem);
    if (err == MSE_OK && a)
        err = write_text(c, k->name, ".args", a);
    if (err != MSE_OK) {
        say(c, "case %s: %s", k->name, mse_err_name(err));
        return err;
    }
    fprintf(c->manifest, "%s.json %s %s\n", k->name, mse_err_name(k->want), k->desc);
    c->count++;
    return MSE_OK;
}

static mse_err replace_item(char **item, const char *text)
{
    char *d = strdup(text);
    MSE_ENSURE(d != NULL, MSE_ERR_NOMEM);
    free(*item);
    *item = d;
    return MSE_OK;
}

/* ---- cases ---------------------------------------------------------------------- */

/* A case whose only change is in the quote or the certificate. */
static mse_err quote_case(struct ctx *c, const struct tamper_case *k)
{
    struct mse_sim_evidence_parts p;
    MSE_TRY(mse_sim_evidence_parts_load(c->good.path, &p));
    free(p.cert_pem);
    p.cert_pem = NULL;
    mse_err err = make_cert_pem(c, &c->good, k, &p.cert_pem);
    if (err == MSE_OK)
        err = emit(c, k, &p, NULL);
    else
        say(c, "case %s: certificate: %s", k->name, mse_err_name(err));
    mse_sim_evidence_parts_free(&p);
    return err;
}

static mse_err no_extension_case(struct ctx *c, const struct tamper_case *k)
{
    struct mse_sim_evidence_parts p;
    MSE_TRY(mse_sim_evidence_parts_load(c->good.path, &p));
    mse_err err = replace_item(&p.cert_pem, c->good.pki.root_pem);
    if (err == MSE_OK)
        err = emit(c, k, &p, NULL);
    mse_sim_evidence_parts_free(&p);
    return err;
}

static mse_err identity_case(struct ctx *c, const struct tamper_case *k)
{
    struct mse_sim_evidence_parts p;
    MSE_TRY(mse_sim_evidence_parts_load(c->good.path, &p));
    mse_err err = replace_item(&p.cert_pem, c->good_cert_pem);
    if (err == MSE_OK)
        err = emit(c, k, &p, NULL);
    mse_sim_evidence_parts_free(&p);
    return err;
}
/*
 * Replace `from` by `to` inside the signed member of a PCS JSON body and
 * re-sign it with key, so only the edited value is wrong.
 */
mse_err mse_sim_resign_member(char **body, const char *member, const char *from, const char *to,
                              EVP_PKEY *key)
{
    mse_err err = MSE_OK;
    char prefix[64], hex[129];
    uint8_t raw[64];
    char *text = strdup(*body), *edited = NULL, *out = NULL;
    snprintf(prefix, sizeof prefix, "{\"%s\":", member);
    MSE_ENSURE_OUT(text != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(strncmp(text, prefix, strlen(prefix)) == 0, MSE_ERR_INTERNAL);
    char *sig = strstr(text, ",\"signature\":\"");
    MSE_ENSURE_OUT(sig != NULL, MSE_ERR_INTERNAL);
    *sig = 0;
    const char *inner = text + strlen(prefix);
    const char *hit = strstr(inner, from);
    MSE_ENSURE_OUT(hit != NULL, MSE_ERR_INTERNAL);
    size_t cap = strlen(inner) + strlen(to) + 1;
    edited = malloc(cap);
    MSE_ENSURE_OUT(edited != NULL, MSE_ERR_NOMEM);
    snprintf(edited, cap, "%.*s%s%s", (int)(hit - inner), inner, to, hit + strlen(from));
    MSE_CHECK_OUT(mse_sim_sign_raw(key, edited, strlen(edited), raw));
    mse_hex_encode(raw, 64, hex);
    size_t out_cap = strlen(edited) + 256;
    out = malloc(out_cap);
    MSE_ENSURE_OUT(out != NULL, MSE_ERR_NOMEM);
    snprintf(out, out_cap, "%s%s,\"signature\":\"%s\"}", prefix, edited, hex);
    free(*body);
    *body = out;
    out = NULL;
out:
    free(text);
    free(edited);
    free(out);
    return err;
}

/* A PCK CA CRL whose nextUpdate has passed, properly signed. */
static mse_err expired_crl_pem(const struct ctx *c, const struct mse_sim_pki *p, char **out)
{
    mse_err err = MSE_OK;
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)(c->now - 7200));
    ASN1_TIME *t2 = ASN1_TIME_set(NULL, (time_t)(c->now - 60));
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    MSE_ENSURE_OUT(crl && t1 && t2 && b, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(X509_CRL_set_version(crl, 1) == 1 &&
                       X509_CRL_set_issuer_name(crl, X509_get_subject_name(p->ca)) == 1 &&
                       X509_CRL_set1_lastUpdate(crl, t1) == 1 &&
                       X509_CRL_set1_nextUpdate(crl, t2) == 1 &&
                       X509_CRL_sign(crl, p->ca_key, EVP_sha256()) > 0 &&
                       PEM_write_bio_X509_CRL(b, crl) == 1,
                   MSE_ERR_CRYPTO);
    long n = BIO_get_mem_data(b, &pem);
    *out = strndup(pem, (size_t)n);
    MSE_ENSURE_OUT(*out != NULL, MSE_ERR_NOMEM);
out:
    X509_CRL_free(crl);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    BIO_free(b);
    return err;
}

static char **field_of(struct mse_sim_evidence_parts *p, enum collateral_field f)
{
    return f == F_ROOT_CRL ? &p->root_ca_crl : f == F_PCK_CRL ? &p->pck_crl : &p->tcb_cert;
}

mse_err mse_sim_flip_edn(char *text)
{
    /* "tcbEvaluationDataNumber":16 -> 17: one byte, still valid JSON. */
    char *edn = strstr(text, "\"tcbEvaluationDataNumber\":16");
    MSE_ENSURE(edn != NULL, MSE_ERR_INTERNAL);
    edn[strlen("\"tcbEvaluationDataNumber\":1")] ^= 0x01;
    return MSE_OK;
}

static mse_err make_pki(struct ctx *c, struct pki_case *pc, const char *name,
                        const struct mse_sim_pki_opts *o)
{
    char why[256] = "";
    int n = snprintf(pc->path, sizeof pc->path, "%s/%s", c->dir, name);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof pc->path, MSE_ERR_ARG);
    mse_err err = mse_sim_pki_init(pc->path, o, why, sizeof why);
    if (err == MSE_OK)
        err = mse_sim_pki_load(pc->path, &pc->pki);
    if (err != MSE_OK)
        say(c, "PKI %s: %s %s", name, mse_err_name(err), why);
    return err;
}

static mse_err intel_root_pem(char **out)
{
    size_t len;
    const unsigned char *der = mse_intel_root_ca_der(&len);
    X509 *x = d2i_X509(NULL, &der, (long)len);
    MSE_ENSURE(x != NULL, MSE_ERR_INTERNAL);
    mse_err err = mse_sim_cert_pem(x, out);
    X509_free(x);
    return err;
}

/* Sign text (the member's object) with key: {"<member>":<text>,"signature":"<hex>"}. */
static mse_err wrap_signed(const char *member, const char *text, EVP_PKEY *key, char **body)
{
    uint8_t raw[64];
    char hex[129];
    MSE_TRY(mse_sim_sign_raw(key, text, strlen(text), raw));
    mse_hex_encode(raw, 64, hex);
    size_t cap = strlen(text) + strlen(member) + 256;
    char *out = malloc(cap);
    MSE_ENSURE(out != NULL, MSE_ERR_NOMEM);
    snprintf(out, cap, "{\"%s\":%s,\"signature\":\"%s\"}", member, text, hex);
    free(*body);
    *body = out;
    return MSE_OK;
}

/* Reorder the signed TCB levels (swap the first two, or repeat the first) and re-sign. */
static mse_err edit_levels(char **body, bool duplicate, EVP_PKEY *key)
{
    mse_err err = MSE_OK;
    char *text = NULL;
    json_t *root = json_loads(*body, 0, NULL);
    json_t *tcb = json_object_get(root, "tcbInfo");
    json_t *levels = json_object_get(tcb, "tcbLevels");
    MSE_ENSURE_OUT(json_array_size(levels) >= 2, MSE_ERR_INTERNAL);
    json_t *first = json_incref(json_array_get(levels, 0));
    if (duplicate) {
        MSE_ENSURE_OUT(json_array_insert_new(levels, 1, json_deep_copy(first)) == 0, MSE_ERR_NOMEM);
    } else {
        MSE_ENSURE_OUT(json_array_remove(levels, 0) == 0 &&
                           json_array_insert(levels, 1, first) == 0,
                       MSE_ERR_NOMEM);
    }
    json_decref(first);
    text = json_dumps(tcb, JSON_COMPACT | JSON_PRESERVE_ORDER);
    MSE_ENSURE_OUT(text != NULL, MSE_ERR_NOMEM);
    MSE_CHECK_OUT(wrap_signed("tcbInfo", text, key, body));
out:
    free(text);
    json_decref(root);
    return err;
}

/* tcbInfo's nextUpdate one minute before now, re-signed. */
static mse_err expire_tcb_info(const struct ctx *c, char **body, EVP_PKEY *key)
{
    char from[64], to[64], t[21];
    const char *q = strstr(*body, "\"nextUpdate\":\"");
    MSE_ENSURE(q != NULL, MSE_ERR_INTERNAL);
    snprintf(from, sizeof from, "%.35s", q);
    mse_time_format(c->now - 60, t);
    snprintf(to, sizeof to, "\"nextUpdate\":\"%s\"", t);
    return mse_sim_resign_member(body, "tcbInfo", from, to, key);
}

/* Apply case k's change to the collateral parts p. */
static mse_err edit_collateral(struct ctx *c, const struct tamper_case *k,
                               struct mse_sim_evidence_parts *p, struct mse_sim_evidence_parts *o)
{
    EVP_PKEY *tk = c->good.pki.tcb_key;
    switch (k->col.op) {
    case C_FROM_OTHER:
        MSE_TRY(mse_sim_evidence_parts_load(c->other.path, o));
        return replace_item(field_of(p, k->col.field), *field_of(o, k->col.field));
    case C_RESIGN_TCB: return mse_sim_resign_member(&p->tcb_info, "tcbInfo", k->col.from, k->col.to, tk);
    case C_RESIGN_QE:
        return mse_sim_resign_member(&p->qe_identity, "enclaveIdentity", k->col.from, k->col.to, tk);
    case C_FLIP_TCB: return mse_sim_flip_edn(p->tcb_info);
    case C_FLIP_QE: return mse_sim_flip_edn(p->qe_identity);
    case C_TCB_EXPIRED: return expire_tcb_info(c, &p->tcb_info, tk);
    case C_TCB_SWAP_LEVELS: return edit_levels(&p->tcb_info, false, tk);
    case C_TCB_DUP_LEVEL: return edit_levels(&p->tcb_info, true, tk);
    case C_EXPIRED_PCK_CRL:
        free(p->pck_crl);
        p->pck_crl = NULL;
        return expired_crl_pem(c, &c->good.pki, &p->pck_crl);
    case C_GARBAGE_TCB_CERT:
        return replace_item(&p->tcb_cert, "-----BEGIN CERTIFICATE-----\nnot base64!\n"
                                          "-----END CERTIFICATE-----\n");
    }
    return MSE_ERR_INTERNAL;
}

/* A collateral case: the good certificate, one collateral item changed. */
static mse_err collateral_case(struct ctx *c, const struct tamper_case *k)
{
    struct mse_sim_evidence_parts p, o;
    mse_err err;
    MSE_TRY(mse_sim_evidence_parts_load(c->good.path, &p));
    memset(&o, 0, sizeof o);
    MSE_CHECK_OUT(replace_item(&p.cert_pem, c->good_cert_pem));
    MSE_CHECK_OUT(edit_collateral(c, k, &p, &o));
    err = emit(c, k, &p, NULL);
out:
    if (err != MSE_OK && c->why[0] == 0)
        say(c, "case %s: %s", k->name, mse_err_name(err));
    mse_sim_evidence_parts_free(&p);
    mse_sim_evidence_parts_free(&o);
    return err;
}

static void pki_opts(const struct ctx *c, const struct tamper_case *k, struct mse_sim_pki_opts *o)
{
    mse_sim_pki_opts_default(o, c->now);
    switch (k->pki.edit) {
    case P_INTEL_NAMES: o->intel_names = true; break;
    case P_REVOKE_PCK: o->revoke_pck = true; break;
    case P_REVOKE_CA: o->revoke_pck_ca = true; break;
    case P_PCK_EXPIRED: o->pck_not_after = c->now - 60; break;
    case P_PCESVN: o->pcesvn = (uint16_t)(MSE_SIM_PCESVN - k->pki.value); break;
    case P_TCB_STATUS:
        o->tcb_status = (enum mse_tcb_status)k->pki.value;
        if (o->tcb_status != MSE_TCB_REVOKED)
            o->advisories = "INTEL-SA-00001,INTEL-SA-00002";
        break;
    case P_QE_STATUS: o->qe_tcb_status = (enum mse_tcb_status)k->pki.value; break;
    case P_NOT_YET_ISSUED:
        o->collateral_issue = c->now + 3600;
        o->collateral_next = c->now + 30 * 86400;
        break;
    }
}

/* A whole case from a PKI of its own shape, verified against that PKI's root (or Intel's). */
static mse_err pki_case(struct ctx *c, const struct tamper_case *k)
{
    struct pki_case pc;
    struct mse_sim_pki_opts o;
    struct mse_sim_evidence_parts p;
    char pki_name[256], *intel = NULL;
    memset(&pc, 0, sizeof pc);
    pki_opts(c, k, &o);
    snprintf(pki_name, sizeof pki_name, "%s.pki", k->name);
    MSE_TRY(make_pki(c, &pc, pki_name, &o));
    mse_err err = mse_sim_evidence_parts_load(pc.path, &p);
    if (err == MSE_OK)
        err = make_cert_pem(c, &pc, NULL, &p.cert_pem);
    if (err == MSE_OK && k->pki.edit == P_INTEL_NAMES)
        err = intel_root_pem(&intel);
    if (err == MSE_OK)
        err = emit(c, k, &p, intel ? intel : pc.pki.root_pem);
    if (err != MSE_OK && c->why[0] == 0)
        say(c, "case %s: %s", k->name, mse_err_name(err));
    free(intel);
    mse_sim_evidence_parts_free(&p);
    mse_sim_pki_free(&pc.pki);
    return err;
}

static mse_err one_case(struct ctx *c, const struct tamper_case *k)
{
    switch (k->kind) {
    case T_QUOTE: return quote_case(c, k);
    case T_PKI: return pki_case(c, k);
    case T_COLLATERAL: return collateral_case(c, k);
    case T_IDENTITY: return identity_case(c, k);
    case T_NO_EXTENSION: return no_extension_case(c, k);
    }
    return MSE_ERR_INTERNAL;
}

/* The two PKIs, the anchor and the expected identity every case shares. */
static mse_err prepare(struct ctx *c)
{
    struct mse_sim_pki_opts o;
    char mrs[65], mre[65];
    uint8_t v[32];
    mse_sim_pki_opts_default(&o, c->now);
    MSE_TRY(make_pki(c, &c->good, "pki", &o));
    MSE_TRY(make_pki(c, &c->other, "pki-other", &o));
    MSE_TRY(write_text(c, "root", ".pem", c->good.pki.root_pem));
    /* Every case's enclave: MRENCLAVE 11..11, signed by the PKI's signer key. */
    mse_hex_encode(c->good.pki.signer_mrsigner, 32, mrs);
    memset(v, 0x11, 32);
    mse_hex_encode(v, 32, mre);
    snprintf(c->identity_args, sizeof c->identity_args, "--mrsigner\n%s\n--fingerprint\n%s\n",
             mrs, mre);
    MSE_TRY(write_text(c, "identity", ".args", c->identity_args));
    return make_cert_pem(c, &c->good, NULL, &c->good_cert_pem);
}

mse_err mse_sim_tamper_set(const char *dir, int64_t now, size_t *count, char *why, size_t whylen)
{
    struct ctx c = {.dir = dir, .now = now, .why = why, .whylen = whylen};
    char path[4096];
    mse_err err = MSE_OK;

    why[0] = 0;
    *count = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        say(&c, "%s: %s", dir, strerror(errno));
        return MSE_ERR_FILE_WRITE;
    }
    MSE_CHECK_OUT(prepare(&c));
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    c.manifest = fopen(path, "w");
    MSE_ENSURE_OUT(c.manifest != NULL, MSE_ERR_FILE_WRITE);
    fprintf(c.manifest, "# mse-sim tamper set: <file> <expected mse_err> <description>\n"
                        "# anchor: <case>.root.pem if present, else root.pem; expected identity\n"
                        "# (mse verify arguments, one per line): <case>.args if present, else\n"
                        "# identity.args\n");
    for (size_t i = 0; i < mse_sim_tamper_case_count; i++)
        MSE_CHECK_OUT(one_case(&c, &mse_sim_tamper_cases[i]));
    *count = c.count;
out:
    if (c.manifest && fclose(c.manifest) != 0 && err == MSE_OK)
        err = MSE_ERR_FILE_WRITE;
    free(c.good_cert_pem);
    mse_sim_pki_free(&c.good.pki);
    mse_sim_pki_free(&c.other.pki);
    return err;
}

/*
 * `mse-sim tamper`: the verifier's negative matrix as files. Each case is an
 * mse evidence bundle (docs/formats/evidence.md) made from the test PKI with
 * exactly one thing wrong, plus a MANIFEST line naming the mse_err
 * (include/mse/err.h) that must decide it. Quote offsets follow the v3 quote
 * layout of include/mse/quote.h (Intel "SGX ECDSA Quote Library API" A.4).
 *
 * Test-only: every key used here is public (see `mse-sim pki init`).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/quote.h>
#include <mse/time.h>
#include <mse/verify.h>

#include "sim.h"
#include "sim_cmd.h"
#include "util/util.h"

/* Offsets in the simulator's quotes (32-byte QE auth data): see include/mse/quote.h. */
enum {
    Q_SIG_LEN = 432,
    Q_SIG = 436,
    Q_ATT = Q_SIG + 64,
    Q_QE_REPORT = Q_ATT + 64,
    Q_QE_SIG = Q_QE_REPORT + 384,
    Q_AUTH_LEN = Q_QE_SIG + 64,
    Q_AUTH = Q_AUTH_LEN + 2,
    Q_CERT_TYPE = Q_AUTH + 32,
    Q_CERT_LEN = Q_CERT_TYPE + 2,
    Q_CERT_DATA = Q_CERT_LEN + 4,
};

/* One change to the quote before the certificate embeds it. */
enum qop { Q_NONE, Q_FLIP, Q_TRUNCATE, Q_SET, Q_CHAIN };
struct qtamper {
    enum qop op;
    size_t off;     /* FLIP, SET: where; TRUNCATE: new length; CHAIN: certificate count */
    uint64_t value; /* SET: the value (little-endian) */
    int width;      /* SET: bytes */
    const char *ca_pem; /* CHAIN: the intermediate to use instead of the PKI's own */
};

struct ctx {
    const char *dir;
    int64_t now;
    FILE *manifest;
    size_t count;
    char *why;
    size_t whylen;
};

struct pki_case {
    char path[4096];
    struct mse_sim_pki pki;
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Replace the PEM chain in the certification data by n certificates (2: leaf, root; 4: CA twice). */
static mse_err replace_chain(uint8_t **q, size_t *len, const struct mse_sim_pki *p, size_t n,
                             const char *ca_pem)
{
    const char *parts[4];
    size_t k = 0, chain_len = 0;
    parts[k++] = p->pck_pem;
    if (n >= 3)
        parts[k++] = ca_pem ? ca_pem : p->ca_pem;
    if (n >= 4)
        parts[k++] = p->ca_pem;
    parts[k++] = p->root_pem;
    for (size_t i = 0; i < k; i++)
        chain_len += strlen(parts[i]);
    MSE_ENSURE(*len >= Q_CERT_DATA, MSE_ERR_INTERNAL);
    uint8_t *out = malloc(Q_CERT_DATA + chain_len);
    MSE_ENSURE(out != NULL, MSE_ERR_NOMEM);
    memcpy(out, *q, Q_CERT_DATA);
    size_t off = Q_CERT_DATA;
    for (size_t i = 0; i < k; i++) {
        memcpy(out + off, parts[i], strlen(parts[i]));
        off += strlen(parts[i]);
    }
    put_le(out + Q_CERT_LEN, chain_len, 4);
    put_le(out + Q_SIG_LEN, Q_CERT_DATA + chain_len - Q_SIG, 4);
    free(*q);
    *q = out;
    *len = Q_CERT_DATA + chain_len;
    return MSE_OK;
}

struct tamper_provider {
    struct mse_quote_provider inner;
    const struct qtamper *t;
    const struct mse_sim_pki *pki;
};

static mse_err tamper_get_quote(void *c, const uint8_t rd[64], uint8_t **q, size_t *len)
{
    struct tamper_provider *tp = c;
    const struct qtamper *t = tp->t;
    MSE_TRY(tp->inner.get_quote(tp->inner.ctx, rd, q, len));
    switch (t->op) {
    case Q_NONE: break;
    case Q_FLIP:
        MSE_ENSURE(t->off < *len, MSE_ERR_INTERNAL);
        (*q)[t->off] ^= 0x01;
        break;
    case Q_TRUNCATE:
        MSE_ENSURE(t->off <= *len, MSE_ERR_INTERNAL);
        *len = t->off;
        break;
    case Q_SET:
        MSE_ENSURE(t->off + (size_t)t->width <= *len, MSE_ERR_INTERNAL);
        put_le(*q + t->off, t->value, t->width);
        break;
    case Q_CHAIN: return replace_chain(q, len, tp->pki, t->off, t->ca_pem);
    }
    return MSE_OK;
}

/* The RA-TLS certificate PEM of a simulated enclave, its quote changed by t. */
static mse_err make_cert_pem(const struct ctx *c, const struct pki_case *pc, bool debug,
                             bool unbind, const struct qtamper *t, char **pem)
{
    struct mse_sim_enclave e = {.debug = debug};
    struct mse_ratls_params params = {.subject = "CN=localhost,O=MSE Test App",
                                      .san = "localhost",
                                      .not_before = c->now - 3600,
                                      .not_after = c->now + 365 * 86400};
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    mse_err err;
    memset(e.mrenclave, 0x11, 32);
    if (unbind) {
        err = mse_sim_make_ratls(pc->path, &e, &params, true, &key, &x);
    } else {
        struct tamper_provider tp = {.t = t, .pki = &pc->pki};
        MSE_TRY(mse_sim_quote_provider(pc->path, &e, &tp.inner));
        struct mse_quote_provider qp = tp.inner;
        qp.get_quote = tamper_get_quote;
        qp.ctx = &tp;
        err = mse_ratls_cert_create(&qp, &params, &key, &x);
        mse_quote_provider_close(&tp.inner);
    }
    if (err == MSE_OK)
        err = mse_sim_cert_pem(x, pem);
    X509_free(x);
    EVP_PKEY_free(key);
    return err;
}

__attribute__((format(printf, 2, 3))) static void say(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->whylen, fmt, ap);
    va_end(ap);
}

static mse_err write_text(const struct ctx *c, const char *name, const char *suffix,
                          const char *text)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s%s", c->dir, name, suffix);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof path, MSE_ERR_ARG);
    return mse_file_write_atomic(path, text, strlen(text), 0644);
}

/* Write one case: bundle, optional anchor and verify arguments, manifest line. */
static mse_err emit(struct ctx *c, const char *name, const struct mse_sim_evidence_parts *p,
                    mse_err want, const char *desc, const char *root_pem, const char *args)
{
    char *json = NULL;
    mse_err err = mse_sim_evidence_json_parts(p, "localhost", &json);
    if (err == MSE_OK)
        err = write_text(c, name, ".json", json);
    free(json);
    if (err == MSE_OK && root_pem)
        err = write_text(c, name, ".root.pem", root_pem);
    if (err == MSE_OK && args)
        err = write_text(c, name, ".args", args);
    if (err != MSE_OK) {
        say(c, "case %s: %s", name, mse_err_name(err));
        return err;
    }
    fprintf(c->manifest, "%s.json %s %s\n", name, mse_err_name(want), desc);
    c->count++;
    return MSE_OK;
}

/* A case whose only change is in the quote (or the enclave's debug flag / key binding). */
static mse_err quote_case(struct ctx *c, const struct pki_case *pc, const char *name,
                          const struct qtamper *t, bool debug, bool unbind, mse_err want,
                          const char *desc)
{
    struct mse_sim_evidence_parts p;
    MSE_TRY(mse_sim_evidence_parts_load(pc->path, &p));
    struct qtamper none = {.op = Q_NONE};
    mse_err err = make_cert_pem(c, pc, debug, unbind, t ? t : &none, &p.cert_pem);
    if (err == MSE_OK)
        err = emit(c, name, &p, want, desc, NULL, NULL);
    else
        say(c, "case %s: certificate: %s", name, mse_err_name(err));
    mse_sim_evidence_parts_free(&p);
    return err;
}

/*
 * Replace `from` by `to` inside the signed member of a PCS JSON body and
 * re-sign it with key, so only the edited value is wrong.
 */
static mse_err resign(char **body, const char *member, const char *from, const char *to,
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

static mse_err replace_item(char **item, const char *text)
{
    char *d = strdup(text);
    MSE_ENSURE(d != NULL, MSE_ERR_NOMEM);
    free(*item);
    *item = d;
    return MSE_OK;
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

/* A collateral case: the good certificate, one collateral item changed by `edit`. */
enum cop {
    C_FROM_OTHER, /* take item `field` from another PKI */
    C_RESIGN_TCB, /* edit tcbInfo and re-sign */
    C_RESIGN_QE,  /* edit enclaveIdentity and re-sign */
    C_FLIP_TCB,   /* flip one byte of tcbInfo, keep the signature */
    C_FLIP_QE,
    C_EXPIRED_PCK_CRL,
    C_GARBAGE_TCB_CERT,
};
enum field { F_ROOT_CRL, F_PCK_CRL, F_TCB_CERT };

struct ccase {
    const char *name;
    enum cop op;
    enum field field;
    const char *from, *to;
    mse_err want;
    const char *desc;
};

static char **field_of(struct mse_sim_evidence_parts *p, enum field f)
{
    return f == F_ROOT_CRL ? &p->root_ca_crl : f == F_PCK_CRL ? &p->pck_crl : &p->tcb_cert;
}

static mse_err flip_edn(char *text)
{
    /* "tcbEvaluationDataNumber":16 -> 17: one byte, still valid JSON. */
    char *edn = strstr(text, "\"tcbEvaluationDataNumber\":16");
    MSE_ENSURE(edn != NULL, MSE_ERR_INTERNAL);
    edn[strlen("\"tcbEvaluationDataNumber\":1")] ^= 0x01;
    return MSE_OK;
}

static mse_err collateral_case(struct ctx *c, const struct pki_case *good,
                               const struct pki_case *other, const char *cert_pem,
                               const struct ccase *k)
{
    struct mse_sim_evidence_parts p, o;
    mse_err err;
    MSE_TRY(mse_sim_evidence_parts_load(good->path, &p));
    memset(&o, 0, sizeof o);
    MSE_CHECK_OUT(replace_item(&p.cert_pem, cert_pem));
    switch (k->op) {
    case C_FROM_OTHER:
        MSE_CHECK_OUT(mse_sim_evidence_parts_load(other->path, &o));
        MSE_CHECK_OUT(replace_item(field_of(&p, k->field), *field_of(&o, k->field)));
        break;
    case C_RESIGN_TCB:
        MSE_CHECK_OUT(resign(&p.tcb_info, "tcbInfo", k->from, k->to, good->pki.tcb_key));
        break;
    case C_RESIGN_QE:
        MSE_CHECK_OUT(
            resign(&p.qe_identity, "enclaveIdentity", k->from, k->to, good->pki.tcb_key));
        break;
    case C_FLIP_TCB: MSE_CHECK_OUT(flip_edn(p.tcb_info)); break;
    case C_FLIP_QE: MSE_CHECK_OUT(flip_edn(p.qe_identity)); break;
    case C_EXPIRED_PCK_CRL:
        free(p.pck_crl);
        p.pck_crl = NULL;
        MSE_CHECK_OUT(expired_crl_pem(c, &good->pki, &p.pck_crl));
        break;
    case C_GARBAGE_TCB_CERT:
        MSE_CHECK_OUT(replace_item(&p.tcb_cert, "-----BEGIN CERTIFICATE-----\nnot base64!\n"
                                                "-----END CERTIFICATE-----\n"));
        break;
    }
    err = emit(c, k->name, &p, k->want, k->desc, NULL, NULL);
out:
    if (err != MSE_OK && c->why[0] == 0)
        say(c, "case %s: %s", k->name, mse_err_name(err));
    mse_sim_evidence_parts_free(&p);
    mse_sim_evidence_parts_free(&o);
    return err;
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

/* A whole case from a PKI of its own shape, verified against that PKI's root. */
static mse_err pki_case(struct ctx *c, const char *name, const struct mse_sim_pki_opts *o,
                        mse_err want, const char *desc, const char *root_pem)
{
    struct pki_case pc;
    char pki_name[256];
    memset(&pc, 0, sizeof pc);
    snprintf(pki_name, sizeof pki_name, "%s.pki", name);
    MSE_TRY(make_pki(c, &pc, pki_name, o));
    struct mse_sim_evidence_parts p;
    mse_err err = mse_sim_evidence_parts_load(pc.path, &p);
    struct qtamper none = {.op = Q_NONE};
    if (err == MSE_OK)
        err = make_cert_pem(c, &pc, false, false, &none, &p.cert_pem);
    if (err == MSE_OK)
        err = emit(c, name, &p, want, desc, root_pem ? root_pem : pc.pki.root_pem, NULL);
    if (err != MSE_OK && c->why[0] == 0)
        say(c, "case %s: %s", name, mse_err_name(err));
    mse_sim_evidence_parts_free(&p);
    mse_sim_pki_free(&pc.pki);
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

static mse_err all_cases(struct ctx *c, struct pki_case *good, struct pki_case *other)
{
    struct mse_sim_pki_opts o;
    char *cert_pem = NULL, *intel = NULL, args[256];
    mse_err err = MSE_OK;

    /* The reference: everything right. */
    MSE_TRY(quote_case(c, good, "good", NULL, false, false, MSE_OK,
                       "reference case (verifies with --trust-root root.pem only)"));

    /* PKI shapes. */
    MSE_TRY(intel_root_pem(&intel));
    mse_sim_pki_opts_default(&o, c->now);
    o.intel_names = true;
    err = pki_case(c, "forged-intel-root", &o, MSE_ERR_ROOT_UNTRUSTED,
                   "test root with Intel's names, checked against the genuine Intel root", intel);
    free(intel);
    MSE_TRY(err);
    mse_sim_pki_opts_default(&o, c->now);
    o.revoke_pck = true;
    MSE_TRY(pki_case(c, "revoked-pck", &o, MSE_ERR_PCK_REVOKED, "PCK leaf listed in the PCK CRL",
                     NULL));
    mse_sim_pki_opts_default(&o, c->now);
    o.revoke_pck_ca = true;
    MSE_TRY(pki_case(c, "revoked-pck-ca", &o, MSE_ERR_PCK_CA_REVOKED,
                     "PCK CA listed in the root CA CRL", NULL));
    mse_sim_pki_opts_default(&o, c->now);
    o.pck_not_after = c->now - 60;
    MSE_TRY(pki_case(c, "expired-pck", &o, MSE_ERR_PCK_CHAIN_VALIDITY,
                     "PCK leaf notAfter one minute ago", NULL));
    /* A platform below every TCB level, and one matching only the lower (OutOfDate) level. */
    mse_sim_pki_opts_default(&o, c->now);
    o.pcesvn = MSE_SIM_PCESVN - 2;
    MSE_TRY(pki_case(c, "tcb-not-supported", &o, MSE_ERR_TCB_NOT_SUPPORTED,
                     "PCK PCESVN below every TCB level", NULL));
    mse_sim_pki_opts_default(&o, c->now);
    o.pcesvn = MSE_SIM_PCESVN - 1;
    MSE_TRY(pki_case(c, "tcb-lower-level", &o, MSE_ERR_TCB_STATUS,
                     "PCK PCESVN matches only the older, OutOfDate TCB level", NULL));
    /* Every TCB status but UpToDate, platform and QE. */
    static const struct {
        const char *name;
        enum mse_tcb_status st;
        bool qe;
        mse_err want;
    } st[] = {
        {"tcb-sw-hardening-needed", MSE_TCB_SW_HARDENING_NEEDED, false, MSE_ERR_TCB_STATUS},
        {"tcb-configuration-needed", MSE_TCB_CONFIGURATION_NEEDED, false, MSE_ERR_TCB_STATUS},
        {"tcb-configuration-and-sw-hardening-needed",
         MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, false, MSE_ERR_TCB_STATUS},
        {"tcb-out-of-date", MSE_TCB_OUT_OF_DATE, false, MSE_ERR_TCB_STATUS},
        {"tcb-out-of-date-configuration-needed", MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, false,
         MSE_ERR_TCB_STATUS},
        {"tcb-revoked", MSE_TCB_REVOKED, false, MSE_ERR_TCB_REVOKED},
        {"qe-tcb-out-of-date", MSE_TCB_OUT_OF_DATE, true, MSE_ERR_QE_TCB_STATUS},
        {"qe-tcb-revoked", MSE_TCB_REVOKED, true, MSE_ERR_QE_TCB_REVOKED},
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        char desc[128];
        mse_sim_pki_opts_default(&o, c->now);
        if (st[i].qe)
            o.qe_tcb_status = st[i].st;
        else
            o.tcb_status = st[i].st;
        if (!st[i].qe && st[i].st != MSE_TCB_REVOKED)
            o.advisories = "INTEL-SA-00001,INTEL-SA-00002";
        snprintf(desc, sizeof desc, "%s TCB status %s", st[i].qe ? "QE" : "platform",
                 mse_tcb_status_name(st[i].st));
        MSE_TRY(pki_case(c, st[i].name, &o, st[i].want, desc, NULL));
    }

    /* Collateral, around the good certificate. */
    struct qtamper none = {.op = Q_NONE};
    MSE_TRY(make_cert_pem(c, good, false, false, &none, &cert_pem));
    char next_from[64] = "", next_to[64], tbuf[21];
    {
        struct mse_sim_evidence_parts p;
        err = mse_sim_evidence_parts_load(good->path, &p);
        if (err == MSE_OK) {
            const char *q = strstr(p.tcb_info, "\"nextUpdate\":\"");
            if (q)
                snprintf(next_from, sizeof next_from, "%.35s", q);
            mse_sim_evidence_parts_free(&p);
        }
    }
    mse_time_format(c->now - 60, tbuf);
    snprintf(next_to, sizeof next_to, "\"nextUpdate\":\"%s\"", tbuf);
    const struct ccase cc[] = {
        {"pck-crl-wrong-signer", C_FROM_OTHER, F_PCK_CRL, NULL, NULL, MSE_ERR_CRL_SIGNATURE,
         "PCK CRL signed by another PKI's CA of the same name"},
        {"root-crl-wrong-signer", C_FROM_OTHER, F_ROOT_CRL, NULL, NULL, MSE_ERR_CRL_SIGNATURE,
         "root CA CRL signed by another root of the same name"},
        {"tcb-cert-other-root", C_FROM_OTHER, F_TCB_CERT, NULL, NULL, MSE_ERR_TCB_SIGNING_CHAIN,
         "TCB signing certificate issued by another root"},
        {"tcbinfo-byte-flipped", C_FLIP_TCB, 0, NULL, NULL, MSE_ERR_TCB_INFO_SIGNATURE,
         "one byte of the signed tcbInfo changed"},
        {"qeidentity-byte-flipped", C_FLIP_QE, 0, NULL, NULL, MSE_ERR_QE_IDENTITY_SIGNATURE,
         "one byte of the signed enclaveIdentity changed"},
        {"fmspc-mismatch", C_RESIGN_TCB, 0, "\"fmspc\":\"00906ed50000\"",
         "\"fmspc\":\"00906ed50001\"", MSE_ERR_TCB_INFO_FMSPC_MISMATCH,
         "TCB info for another FMSPC, properly signed"},
        {"pceid-mismatch", C_RESIGN_TCB, 0, "\"pceId\":\"0000\"", "\"pceId\":\"0100\"",
         MSE_ERR_TCB_INFO_PCEID_MISMATCH, "TCB info for another PCE ID, properly signed"},
        {"tcbinfo-expired", C_RESIGN_TCB, 0, next_from, next_to, MSE_ERR_TCB_INFO_EXPIRED,
         "TCB info nextUpdate one minute ago, properly signed"},
        {"pck-crl-expired", C_EXPIRED_PCK_CRL, 0, NULL, NULL, MSE_ERR_CRL_EXPIRED,
         "PCK CRL nextUpdate one minute ago, properly signed"},
        {"qe-mrsigner-mismatch", C_RESIGN_QE, 0, "\"mrsigner\":\"8C4F", "\"mrsigner\":\"9C4F",
         MSE_ERR_QE_IDENTITY_MRSIGNER, "QE identity names another QE MRSIGNER"},
        {"qe-isvprodid-mismatch", C_RESIGN_QE, 0, "\"isvprodid\":1", "\"isvprodid\":2",
         MSE_ERR_QE_IDENTITY_ISVPRODID, "QE identity names ISVPRODID 2"},
        {"qe-attributes-mismatch", C_RESIGN_QE, 0, "\"attributes\":\"11", "\"attributes\":\"13",
         MSE_ERR_QE_IDENTITY_ATTRIBUTES, "QE identity expects other ATTRIBUTES"},
        {"qe-miscselect-mismatch", C_RESIGN_QE, 0, "\"miscselect\":\"00000000\"",
         "\"miscselect\":\"00000001\"", MSE_ERR_QE_IDENTITY_MISCSELECT,
         "QE identity expects another MISCSELECT"},
        {"garbage-pem", C_GARBAGE_TCB_CERT, 0, NULL, NULL, MSE_ERR_CHAIN_FORMAT,
         "TCB signing certificate PEM whose body is not base64"},
    };
    for (size_t i = 0; i < sizeof cc / sizeof cc[0] && err == MSE_OK; i++) {
        MSE_ENSURE_OUT(next_from[0] != 0, MSE_ERR_INTERNAL);
        err = collateral_case(c, good, other, cert_pem, &cc[i]);
    }
    MSE_CHECK_OUT(err);

    /* Quote signatures and bindings. */
    const struct {
        const char *name;
        struct qtamper t;
        mse_err want;
        const char *desc;
    } qc[] = {
        {"bad-qe-report-signature", {Q_FLIP, Q_QE_SIG + 5, 0, 0, NULL}, MSE_ERR_QE_REPORT_SIGNATURE,
         "one bit of the QE report signature flipped"},
        {"wrong-qe-report-data", {Q_FLIP, Q_AUTH + 3, 0, 0, NULL}, MSE_ERR_QE_REPORT_DATA,
         "QE auth data changed: the QE report data no longer binds the attestation key"},
        {"bad-quote-signature", {Q_FLIP, Q_SIG + 7, 0, 0, NULL}, MSE_ERR_QUOTE_SIGNATURE,
         "one bit of the quote signature flipped"},
        {"mrenclave-edited", {Q_FLIP, 48 + 64 + 3, 0, 0, NULL}, MSE_ERR_QUOTE_SIGNATURE,
         "MRENCLAVE changed after signing"},
        {"attestation-key-swapped", {Q_FLIP, Q_ATT + 10, 0, 0, NULL}, MSE_ERR_QE_REPORT_DATA,
         "attestation public key changed"},
        {"sig-data-len-max", {Q_SET, Q_SIG_LEN, 0xffffffffu, 4, NULL}, MSE_ERR_QUOTE_TRUNCATED,
         "signature data length 2^32-1"},
        {"sig-data-len-zero", {Q_SET, Q_SIG_LEN, 0, 4, NULL}, MSE_ERR_QUOTE_LENGTH,
         "signature data length 0"},
        {"qe-auth-len-max", {Q_SET, Q_AUTH_LEN, 0xffff, 2, NULL}, MSE_ERR_QUOTE_LENGTH,
         "QE auth data length 65535"},
        {"cert-data-len-max", {Q_SET, Q_CERT_LEN, 0xffffffffu, 4, NULL}, MSE_ERR_QUOTE_LENGTH,
         "certification data length 2^32-1"},
        {"quote-version-4", {Q_SET, 0, 4, 2, NULL}, MSE_ERR_QUOTE_VERSION, "quote version 4"},
        {"att-key-type-3", {Q_SET, 2, 3, 2, NULL}, MSE_ERR_QUOTE_KEY_TYPE, "attestation key type 3"},
        {"tee-type-tdx", {Q_SET, 4, 0x81, 4, NULL}, MSE_ERR_QUOTE_TEE_TYPE, "TEE type 0x81 (TDX)"},
        {"cert-data-type-6", {Q_SET, Q_CERT_TYPE, 6, 2, NULL}, MSE_ERR_QUOTE_CERT_DATA_TYPE,
         "certification data type 6"},
        {"pck-chain-2", {Q_CHAIN, 2, 0, 0, NULL}, MSE_ERR_QUOTE_PCK_CHAIN_LENGTH,
         "PCK chain of 2 certificates (leaf, root)"},
        {"pck-chain-4", {Q_CHAIN, 4, 0, 0, NULL}, MSE_ERR_QUOTE_PCK_CHAIN_LENGTH,
         "PCK chain of 4 certificates (CA twice)"},
    };
    for (size_t i = 0; i < sizeof qc / sizeof qc[0]; i++)
        MSE_CHECK_OUT(quote_case(c, good, qc[i].name, &qc[i].t, false, false, qc[i].want,
                                 qc[i].desc));
    /* Wrong PCK issuer: the intermediate of another PKI, by name and by key. */
    {
        struct qtamper t = {.op = Q_CHAIN, .off = 3, .ca_pem = other->pki.ca_pem};
        MSE_CHECK_OUT(quote_case(c, good, "pck-ca-other-key", &t, false, false,
                                 MSE_ERR_PCK_CHAIN_ISSUER,
                                 "PCK chain's CA has the right name but another key (and its "
                                 "authority key ID names another root)"));
        char path[4096];
        uint8_t *intel_ca = NULL;
        size_t n;
        snprintf(path, sizeof path, "%s/forged-intel-root.pki/pck-ca.pem", c->dir);
        MSE_CHECK_OUT(mse_file_read(path, 1u << 16, &intel_ca, &n));
        t.ca_pem = (const char *)intel_ca;
        err = quote_case(c, good, "pck-issuer-other-name", &t, false, false,
                         MSE_ERR_PCK_CHAIN_ISSUER,
                         "PCK leaf's issuer is not the chain CA's subject (Intel-named CA)");
        free(intel_ca);
        MSE_CHECK_OUT(err);
    }

    /* Truncated at each field boundary (0: the extension is empty, so there is no quote). */
    const size_t bounds[] = {0,           2,         4,          8,           10,
                             12,          28,        48,         Q_SIG_LEN,   Q_SIG,
                             Q_ATT,       Q_QE_REPORT, Q_QE_SIG, Q_AUTH_LEN,  Q_AUTH,
                             Q_CERT_TYPE, Q_CERT_LEN, Q_CERT_DATA, Q_CERT_DATA + 10};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        char name[64], desc[96];
        struct qtamper t = {.op = Q_TRUNCATE, .off = bounds[i]};
        snprintf(name, sizeof name, "quote-truncated-%zu", bounds[i]);
        snprintf(desc, sizeof desc, "quote cut after %zu bytes (a field boundary)", bounds[i]);
        MSE_CHECK_OUT(quote_case(c, good, name, &t, false, false,
                                 bounds[i] == 0 ? MSE_ERR_RATLS_NO_QUOTE : MSE_ERR_QUOTE_TRUNCATED,
                                 desc));
    }

    /* Certificate and policy. */
    MSE_CHECK_OUT(quote_case(c, good, "key-binding-mismatch", NULL, false, true,
                             MSE_ERR_BINDING_MISMATCH,
                             "REPORTDATA binds another key than the certificate's"));
    MSE_CHECK_OUT(quote_case(c, good, "debug-enclave", NULL, true, false, MSE_ERR_POLICY_DEBUG,
                             "ATTRIBUTES.DEBUG set"));
    {
        struct mse_sim_evidence_parts p;
        MSE_CHECK_OUT(mse_sim_evidence_parts_load(good->path, &p));
        err = replace_item(&p.cert_pem, good->pki.root_pem);
        if (err == MSE_OK)
            err = emit(c, "missing-extension", &p, MSE_ERR_RATLS_NO_QUOTE,
                       "a certificate without the SGX quote extension", NULL, NULL);
        mse_sim_evidence_parts_free(&p);
        MSE_CHECK_OUT(err);
    }
    /* Identity mismatches: the expected values in <case>.args replace identity.args. */
    {
        char good_mrs[65], good_mre[65], bad[65];
        uint8_t v[32];
        mse_hex_encode(good->pki.signer_mrsigner, 32, good_mrs);
        memset(v, 0x11, 32);
        mse_hex_encode(v, 32, good_mre);
        memcpy(v, good->pki.signer_mrsigner, 32);
        v[0] ^= 1;
        mse_hex_encode(v, 32, bad);
        struct mse_sim_evidence_parts p;
        MSE_CHECK_OUT(mse_sim_evidence_parts_load(good->path, &p));
        err = replace_item(&p.cert_pem, cert_pem);
        snprintf(args, sizeof args, "--mrsigner\n%s\n--fingerprint\n%s\n", bad, good_mre);
        if (err == MSE_OK)
            err = emit(c, "mrsigner-mismatch", &p, MSE_ERR_POLICY_MRSIGNER,
                       "expected MRSIGNER differs in one bit", NULL, args);
        memset(v, 0x11, 32);
        v[31] ^= 1;
        mse_hex_encode(v, 32, bad);
        snprintf(args, sizeof args, "--mrsigner\n%s\n--fingerprint\n%s\n", good_mrs, bad);
        if (err == MSE_OK)
            err = emit(c, "mrenclave-mismatch", &p, MSE_ERR_POLICY_MRENCLAVE,
                       "expected MRENCLAVE (fingerprint) differs in one bit", NULL, args);
        mse_sim_evidence_parts_free(&p);
        MSE_CHECK_OUT(err);
    }
out:
    free(cert_pem);
    return err;
}

mse_err mse_sim_tamper_set(const char *dir, int64_t now, size_t *count, char *why, size_t whylen)
{
    struct ctx c = {.dir = dir, .now = now, .why = why, .whylen = whylen};
    struct pki_case good, other;
    struct mse_sim_pki_opts o;
    char path[4096];
    mse_err err = MSE_OK;

    memset(&good, 0, sizeof good);
    memset(&other, 0, sizeof other);
    why[0] = 0;
    *count = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        say(&c, "%s: %s", dir, strerror(errno));
        return MSE_ERR_FILE_WRITE;
    }
    mse_sim_pki_opts_default(&o, now);
    MSE_CHECK_OUT(make_pki(&c, &good, "pki", &o));
    MSE_CHECK_OUT(make_pki(&c, &other, "pki-other", &o));
    MSE_CHECK_OUT(write_text(&c, "root", ".pem", good.pki.root_pem));
    {
        /* Every case's enclave: MRENCLAVE 11..11, signed by the PKI's signer key. */
        char mrs[65], mre[65], args[256];
        uint8_t v[32];
        mse_hex_encode(good.pki.signer_mrsigner, 32, mrs);
        memset(v, 0x11, 32);
        mse_hex_encode(v, 32, mre);
        snprintf(args, sizeof args, "--mrsigner\n%s\n--fingerprint\n%s\n", mrs, mre);
        MSE_CHECK_OUT(write_text(&c, "identity", ".args", args));
    }
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    c.manifest = fopen(path, "w");
    MSE_ENSURE_OUT(c.manifest != NULL, MSE_ERR_FILE_WRITE);
    fprintf(c.manifest, "# mse-sim tamper set: <file> <expected mse_err> <description>\n"
                        "# anchor: <case>.root.pem if present, else root.pem; expected identity\n"
                        "# (mse verify arguments, one per line): <case>.args if present, else\n"
                        "# identity.args\n");
    MSE_CHECK_OUT(all_cases(&c, &good, &other));
    *count = c.count;
out:
    if (c.manifest && fclose(c.manifest) != 0 && err == MSE_OK)
        err = MSE_ERR_FILE_WRITE;
    mse_sim_pki_free(&good.pki);
    mse_sim_pki_free(&other.pki);
    return err;
}

/*
 * The verifier's negative matrix (issue 2, acceptance 3): every way a quote,
 * certificate, collateral item or policy can be wrong, made with the
 * simulator's test PKI, each asserting the exact mse_err that decides.
 * The positive case runs first so that each refusal is known to come from
 * its one change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <mse/guard.h>
#include <mse/mse.h>

#include "sim/sim.h"
#include "sim/sim_cmd.h"
#include "testlib.h"
#include "util/util.h"

#define MRE_BYTE 0xab

/* One PKI directory per platform shape, made once. */
struct pki_dir {
    char path[512];
    struct mse_sim_pki pki;
    uint8_t *root_der;
    size_t root_len;
};

static char *tmp;
static struct pki_dir good, revoked_pck, revoked_ca, expired_pck, intel_forged, other;
static int64_t now_t;

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return mse_test_file(path, len);
}

static void make_pki(struct pki_dir *d, const char *name, void (*tweak)(struct mse_sim_pki_opts *))
{
    struct mse_sim_pki_opts o;
    char why[256];
    mse_sim_pki_opts_default(&o, now_t);
    if (tweak)
        tweak(&o);
    snprintf(d->path, sizeof d->path, "%s/%s", tmp, name);
    assert_int_equal(mse_sim_pki_init(d->path, &o, why, sizeof why), MSE_OK);
    assert_int_equal(mse_sim_pki_load(d->path, &d->pki), MSE_OK);
    unsigned char *der = NULL;
    int n = i2d_X509(d->pki.root, &der);
    d->root_der = malloc((size_t)n);
    memcpy(d->root_der, der, (size_t)n);
    d->root_len = (size_t)n;
    OPENSSL_free(der);
}

static void t_revoke_pck(struct mse_sim_pki_opts *o) { o->revoke_pck = true; }
static void t_revoke_ca(struct mse_sim_pki_opts *o) { o->revoke_pck_ca = true; }
static void t_expired_pck(struct mse_sim_pki_opts *o) { o->pck_not_after = o->now - 60; }
static void t_intel(struct mse_sim_pki_opts *o) { o->intel_names = true; }

/* ---- a case: certificate + collateral + policy + anchor ---------------------- */

struct kase {
    uint8_t *cert;
    size_t cert_len;
    uint8_t *items[7];
    size_t lens[7];
    struct mse_collateral col;
    struct mse_policy policy;
    uint8_t mrsigner[1][32];
    uint8_t mrenclave[32];
    const uint8_t *anchor;
    size_t anchor_len;
    int64_t at;
};

enum { I_ROOT_CRL, I_PCK_CRL, I_PCK_CRL_CHAIN, I_TCB, I_TCB_CHAIN, I_QE, I_QE_CHAIN };

static void bind_collateral(struct kase *k)
{
    struct mse_blob *b[7] = {&k->col.root_ca_crl, &k->col.pck_crl, &k->col.pck_crl_chain,
                             &k->col.tcb_info, &k->col.tcb_info_chain, &k->col.qe_identity,
                             &k->col.qe_identity_chain};
    for (int i = 0; i < 7; i++)
        *b[i] = (struct mse_blob){k->items[i], k->lens[i]};
}

static void load_collateral(struct kase *k, const struct pki_dir *d)
{
    static const char *names[7] = {"root-ca-crl.der", "pck-crl.der",
                                   "pccs/pckcrl-processor-chain.pem", "tcb-info.json",
                                   "pccs/tcb-chain.pem", "qe-identity.json", "pccs/tcb-chain.pem"};
    for (int i = 0; i < 7; i++) {
        free(k->items[i]);
        k->items[i] = slurp(d->path, names[i], &k->lens[i]);
    }
    bind_collateral(k);
}

/* Optional quote mutation applied by the provider before the certificate embeds it. */
typedef void (*quote_tamper)(uint8_t **q, size_t *len, const struct pki_dir *d);

struct tamper_provider {
    struct mse_quote_provider inner;
    quote_tamper fn;
    const struct pki_dir *dir;
};

static mse_err tamper_get_quote(void *ctx, const uint8_t rd[64], uint8_t **q, size_t *len)
{
    struct tamper_provider *t = ctx;
    MSE_TRY(t->inner.get_quote(t->inner.ctx, rd, q, len));
    t->fn(q, len, t->dir);
    return MSE_OK;
}

static void make_cert(struct kase *k, const struct pki_dir *d, bool debug, quote_tamper fn)
{
    struct mse_sim_enclave e = {.debug = debug};
    memset(e.mrenclave, MRE_BYTE, 32);
    struct tamper_provider t = {.fn = fn, .dir = d};
    assert_int_equal(mse_sim_quote_provider(d->path, &e, &t.inner), MSE_OK);
    struct mse_quote_provider qp = t.inner;
    if (fn) {
        qp.get_quote = tamper_get_quote;
        qp.ctx = &t;
    }
    struct mse_ratls_params p = {.subject = "CN=localhost", .san = "localhost",
                                 .not_before = now_t - 3600, .not_after = now_t + 365 * 86400};
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    assert_int_equal(mse_ratls_cert_create(&qp, &p, &key, &x), MSE_OK);
    mse_quote_provider_close(&t.inner);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    free(k->cert);
    k->cert = malloc((size_t)n);
    memcpy(k->cert, der, (size_t)n);
    k->cert_len = (size_t)n;
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* The reference case: everything right, verified with the PKI's own root. */
static void base_case(struct kase *k, const struct pki_dir *d)
{
    memset(k, 0, sizeof *k);
    make_cert(k, d, false, NULL);
    load_collateral(k, d);
    mse_policy_init(&k->policy);
    memcpy(k->mrsigner[0], d->pki.signer_mrsigner, 32);
    k->policy.mrsigners = (const uint8_t(*)[32])k->mrsigner;
    k->policy.mrsigner_count = 1;
    memset(k->mrenclave, MRE_BYTE, 32);
    k->policy.mrenclave = k->mrenclave;
    k->anchor = d->root_der;
    k->anchor_len = d->root_len;
    k->at = now_t;
}

static void free_case(struct kase *k)
{
    free(k->cert);
    for (int i = 0; i < 7; i++)
        free(k->items[i]);
}

/*
 * Every case also runs through a verifier context (<mse/verifier.h>), one per
 * anchor, kept across cases: the platforms remembered from earlier good cases
 * are in its memory when a tampered case comes. Each case runs twice through
 * it (the second run may be answered from memory) and both must give the cold
 * result, check by check and message by message.
 */
#define VERIFIERS_MAX 32
static struct {
    uint8_t *anchor; /* copy; NULL = the Intel root */
    size_t len;
    struct mse_verifier *v;
} verifiers[VERIFIERS_MAX];
static size_t verifier_count;

static void verifiers_free(void)
{
    for (size_t i = 0; i < verifier_count; i++) {
        mse_verifier_free(verifiers[i].v);
        free(verifiers[i].anchor);
    }
    verifier_count = 0;
}

static struct mse_verifier *verifier_for(const uint8_t *anchor, size_t len)
{
    for (size_t i = 0; i < verifier_count; i++)
        if ((anchor == NULL) == (verifiers[i].anchor == NULL) &&
            (anchor == NULL || (len == verifiers[i].len && memcmp(anchor, verifiers[i].anchor, len) == 0)))
            return verifiers[i].v;
    if (verifier_count == VERIFIERS_MAX)
        verifiers_free();
    size_t i = verifier_count++;
    verifiers[i].anchor = anchor ? malloc(len) : NULL;
    if (anchor)
        memcpy(verifiers[i].anchor, anchor, len);
    verifiers[i].len = len;
    assert_int_equal(mse_verifier_new(anchor, len, &verifiers[i].v), MSE_OK);
    return verifiers[i].v;
}

static void assert_same_result(const struct mse_verify_result *a,
                               const struct mse_verify_result *b, const char *label)
{
    if (a->ok != b->ok || a->err != b->err || strcmp(a->message, b->message) != 0)
        fprintf(stderr, "case '%s': verifier says %s (%s), cold path %s (%s)\n", label,
                mse_err_name(b->err), b->message, mse_err_name(a->err), a->message);
    assert_int_equal(a->ok, b->ok);
    assert_int_equal(a->err, b->err);
    assert_string_equal(a->message, b->message);
    for (int i = 0; i < MSE_CHECK_COUNT; i++) {
        assert_int_equal(a->checks[i].outcome, b->checks[i].outcome);
        assert_int_equal(a->checks[i].err, b->checks[i].err);
        assert_string_equal(a->checks[i].detail, b->checks[i].detail);
    }
    assert_int_equal(a->have_quote, b->have_quote);
    assert_memory_equal(a->enclave.mr_enclave, b->enclave.mr_enclave, 32);
    assert_memory_equal(a->enclave.mr_signer, b->enclave.mr_signer, 32);
    assert_memory_equal(a->enclave.report_data, b->enclave.report_data, 64);
    assert_int_equal(a->debug, b->debug);
    assert_int_equal(a->binding, b->binding);
    assert_memory_equal(a->x25519_public_key, b->x25519_public_key, 32);
    assert_memory_equal(a->fmspc, b->fmspc, 6);
    assert_int_equal(a->pce_id, b->pce_id);
    assert_memory_equal(a->pck_cpusvn, b->pck_cpusvn, 16);
    assert_int_equal(a->pck_pcesvn, b->pck_pcesvn);
    assert_int_equal(a->tcb_status, b->tcb_status);
    assert_int_equal(a->platform_tcb_status, b->platform_tcb_status);
    assert_int_equal(a->qe_tcb_status, b->qe_tcb_status);
    assert_string_equal(a->tcb_date, b->tcb_date);
    assert_int_equal(a->advisory_count, b->advisory_count);
    for (size_t i = 0; i < a->advisory_count; i++)
        assert_string_equal(a->advisories[i], b->advisories[i]);
    assert_int_equal(a->validity_count, b->validity_count);
    for (size_t i = 0; i < a->validity_count; i++) {
        assert_string_equal(a->validity[i].name, b->validity[i].name);
        assert_true(a->validity[i].not_before == b->validity[i].not_before);
        assert_true(a->validity[i].not_after == b->validity[i].not_after);
        assert_int_equal(a->validity[i].valid, b->validity[i].valid);
    }
}

static mse_err run(struct kase *k, const char *label)
{
    static struct mse_verify_result r, warm;
    bind_collateral(k);
    struct mse_verify_input in = {.cert_der = k->cert, .cert_len = k->cert_len,
                                  .collateral = &k->col, .trust_root_der = k->anchor,
                                  .trust_root_len = k->anchor_len, .at = k->at};
    assert_int_equal(mse_verify(&in, &k->policy, &r), MSE_OK);
    struct mse_verifier *v = verifier_for(k->anchor, k->anchor_len);
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(mse_verifier_verify(v, &in, &k->policy, &warm), MSE_OK);
        assert_same_result(&r, &warm, label);
    }
    if (r.ok)
        return MSE_OK;
    if (getenv("MSE_TEST_VERBOSE"))
        fprintf(stderr, "%-40s %s: %s\n", label, mse_err_name(r.err), r.message);
    assert_true(r.message[0] != '\0'); /* every refusal says why */
    return r.err;
}

static unsigned cases_run;
#define EXPECT(k, want, label)                                                                     \
    do {                                                                                           \
        mse_err got_ = run((k), (label));                                                          \
        if (got_ != (want))                                                                        \
            fprintf(stderr, "case '%s': got %s, want %s\n", (label), mse_err_name(got_),         \
                    mse_err_name(want));                                                           \
        assert_int_equal(got_, (want));                                                            \
        cases_run++;                                                                               \
    } while (0)

/* ---- JSON collateral re-signed after an edit -------------------------------------- */

/* Replace `from` by `to` inside the signed member of body, then re-sign with key. */
static void resign(uint8_t **body, size_t *len, const char *member, const char *from,
                   const char *to, EVP_PKEY *key)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "{\"%s\":", member);
    char *text = strndup((const char *)*body, *len);
    assert_memory_equal(text, prefix, strlen(prefix));
    char *sig = strstr(text, ",\"signature\":\"");
    assert_non_null(sig);
    *sig = 0;
    const char *inner = text + strlen(prefix);
    const char *hit = strstr(inner, from);
    assert_non_null(hit);
    size_t cap = strlen(inner) + strlen(to) + 1;
    char *edited = malloc(cap);
    snprintf(edited, cap, "%.*s%s%s", (int)(hit - inner), inner, to, hit + strlen(from));
    uint8_t raw[64];
    char hex[129];
    assert_int_equal(mse_sim_sign_raw(key, edited, strlen(edited), raw), MSE_OK);
    mse_hex_encode(raw, 64, hex);
    size_t out_cap = strlen(edited) + 256;
    char *out = malloc(out_cap);
    snprintf(out, out_cap, "%s%s,\"signature\":\"%s\"}", prefix, edited, hex);
    free(*body);
    *body = (uint8_t *)out;
    *len = strlen(out);
    free(edited);
    free(text);
}

/* ---- quote tampering ---------------------------------------------------------------- */

static struct mse_quote parsed(const uint8_t *q, size_t len)
{
    struct mse_quote p;
    assert_int_equal(mse_quote_parse(q, len, &p), MSE_OK);
    return p;
}

static size_t tamper_offset; /* set before make_cert */
static uint8_t tamper_xor;
static size_t truncate_to;

static void flip_at(uint8_t **q, size_t *len, const struct pki_dir *d)
{
    (*q)[tamper_offset] ^= tamper_xor;
}

static void truncate_quote(uint8_t **q, size_t *len, const struct pki_dir *d)
{
    *len = truncate_to;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t field_value;
static int field_width;
static void set_field(uint8_t **q, size_t *len, const struct pki_dir *d)
{
    put_le(*q + tamper_offset, field_value, field_width);
}

/* Replace the PEM chain in the certification data by `chain_n` certificates. */
static int chain_n;
static void replace_chain(uint8_t **q, size_t *len, const struct pki_dir *d)
{
    struct mse_quote p = parsed(*q, *len);
    size_t head = (size_t)(p.cert_data - *q); /* up to the chain bytes */
    const char *parts[4];
    int n = 0;
    parts[n++] = d->pki.pck_pem;
    if (chain_n >= 3)
        parts[n++] = d->pki.ca_pem;
    if (chain_n >= 4)
        parts[n++] = d->pki.ca_pem;
    parts[n++] = d->pki.root_pem;
    size_t chain_len = 0;
    for (int i = 0; i < n; i++)
        chain_len += strlen(parts[i]);
    uint8_t *out = malloc(head + chain_len);
    memcpy(out, *q, head);
    size_t off = head;
    for (int i = 0; i < n; i++) {
        memcpy(out + off, parts[i], strlen(parts[i]));
        off += strlen(parts[i]);
    }
    put_le(out + head - 4, chain_len, 4);
    put_le(out + 432, head + chain_len - 436, 4);
    free(*q);
    *q = out;
    *len = head + chain_len;
}

/* ---- the matrix --------------------------------------------------------------------- */

static void test_positive_and_anchor(void **state)
{
    struct kase k;
    base_case(&k, &good);
    EXPECT(&k, MSE_OK, "reference case");
    k.anchor = NULL; /* the genuine Intel root is the default anchor */
    k.anchor_len = 0;
    EXPECT(&k, MSE_ERR_ROOT_UNTRUSTED, "sim evidence under the Intel root");
    free_case(&k);
}

static void test_pki_cases(void **state)
{
    struct kase k;
    base_case(&k, &intel_forged);
    k.anchor = NULL;
    k.anchor_len = 0;
    EXPECT(&k, MSE_ERR_ROOT_UNTRUSTED, "forged root with Intel's names");
    free_case(&k);

    base_case(&k, &revoked_pck);
    EXPECT(&k, MSE_ERR_PCK_REVOKED, "revoked PCK");
    free_case(&k);
    base_case(&k, &revoked_ca);
    EXPECT(&k, MSE_ERR_PCK_CA_REVOKED, "revoked PCK CA");
    free_case(&k);
    base_case(&k, &expired_pck);
    EXPECT(&k, MSE_ERR_PCK_CHAIN_VALIDITY, "expired PCK");
    free_case(&k);

    /* Quote from one platform, collateral from another with the same names. */
    base_case(&k, &good);
    load_collateral(&k, &other);
    EXPECT(&k, MSE_ERR_CRL_SIGNATURE, "all collateral from another PKI");
    free_case(&k);

    /* Wrong PCK issuer: the chain's CA is another PKI's CA of the same name. */
    base_case(&k, &good);
    {
        size_t len;
        free(k.items[I_PCK_CRL]);
        k.items[I_PCK_CRL] = slurp(other.path, "pck-crl.der", &k.lens[I_PCK_CRL]);
        EXPECT(&k, MSE_ERR_CRL_SIGNATURE, "PCK CRL by the wrong signer");
        load_collateral(&k, &good);
        free(k.items[I_ROOT_CRL]);
        k.items[I_ROOT_CRL] = slurp(other.path, "root-ca-crl.der", &len);
        k.lens[I_ROOT_CRL] = len;
        EXPECT(&k, MSE_ERR_CRL_SIGNATURE, "root CA CRL by the wrong signer");
        load_collateral(&k, &good);
        free(k.items[I_TCB_CHAIN]);
        k.items[I_TCB_CHAIN] = slurp(other.path, "pccs/tcb-chain.pem", &k.lens[I_TCB_CHAIN]);
        EXPECT(&k, MSE_ERR_TCB_SIGNING_CHAIN, "TCB signing chain of another root");
    }
    free_case(&k);
}

static void test_collateral_cases(void **state)
{
    struct kase k;
    EVP_PKEY *tk;
    base_case(&k, &good);
    tk = good.pki.tcb_key;

    /*
     * The PCK CRL issuer chain adds no trust, but must start with the quote's
     * PCK CA and be well-formed certificates throughout (those already
     * decoded, the PCK CA and the anchor, are compared byte for byte).
     */
    {
        static const char junk[] = "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n";
        const char *chains[][2] = {
            {other.pki.ca_pem, other.pki.root_pem}, /* another PKI's CA */
            {good.pki.root_pem, good.pki.ca_pem},   /* the anchor first */
            {junk, good.pki.root_pem},              /* not a certificate */
            {good.pki.ca_pem, junk},                /* the right CA, then not a certificate */
            {good.pki.ca_pem, good.pki.root_pem},   /* as PCCS sends it */
        };
        const mse_err want[] = {MSE_ERR_CRL_ISSUER, MSE_ERR_CRL_ISSUER, MSE_ERR_CHAIN_FORMAT,
                                MSE_ERR_CHAIN_FORMAT, MSE_OK};
        const char *labels[] = {"PCK CRL chain of another CA", "PCK CRL chain starting at the root",
                                "PCK CRL chain not a certificate",
                                "PCK CRL chain with a bad second certificate",
                                "PCK CRL chain CA then root"};
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            size_t a = strlen(chains[i][0]), b = strlen(chains[i][1]);
            free(k.items[I_PCK_CRL_CHAIN]);
            k.items[I_PCK_CRL_CHAIN] = malloc(a + b);
            memcpy(k.items[I_PCK_CRL_CHAIN], chains[i][0], a);
            memcpy(k.items[I_PCK_CRL_CHAIN] + a, chains[i][1], b);
            k.lens[I_PCK_CRL_CHAIN] = a + b;
            EXPECT(&k, want[i], labels[i]);
        }
        load_collateral(&k, &good);
    }

    /* One byte of the signed text, keeping it valid JSON: "tcbEvaluationDataNumber":16 -> 17. */
    char *edn = strstr((char *)k.items[I_TCB], "\"tcbEvaluationDataNumber\":16");
    assert_non_null(edn);
    edn[strlen("\"tcbEvaluationDataNumber\":1")] ^= 0x01;
    EXPECT(&k, MSE_ERR_TCB_INFO_SIGNATURE, "one byte flipped in tcbInfo");
    load_collateral(&k, &good);
    edn = strstr((char *)k.items[I_QE], "\"tcbEvaluationDataNumber\":16");
    assert_non_null(edn);
    edn[strlen("\"tcbEvaluationDataNumber\":1")] ^= 0x01;
    EXPECT(&k, MSE_ERR_QE_IDENTITY_SIGNATURE, "one byte flipped in enclaveIdentity");
    load_collateral(&k, &good);

    resign(&k.items[I_TCB], &k.lens[I_TCB], "tcbInfo", "\"fmspc\":\"00906ed50000\"",
           "\"fmspc\":\"00906ed50001\"", tk);
    EXPECT(&k, MSE_ERR_TCB_INFO_FMSPC_MISMATCH, "fmspc mismatch");
    load_collateral(&k, &good);
    resign(&k.items[I_TCB], &k.lens[I_TCB], "tcbInfo", "\"pceId\":\"0000\"", "\"pceId\":\"0100\"",
           tk);
    EXPECT(&k, MSE_ERR_TCB_INFO_PCEID_MISMATCH, "pceId mismatch");
    load_collateral(&k, &good);

    /* Expired TCB info (nextUpdate in the past, still properly signed). */
    {
        char t[21], from[64], to[64];
        const char *p = strstr((const char *)k.items[I_TCB], "\"nextUpdate\":\"");
        assert_non_null(p);
        snprintf(from, sizeof from, "%.35s", p);
        mse_time_format(now_t - 60, t);
        snprintf(to, sizeof to, "\"nextUpdate\":\"%s\"", t);
        resign(&k.items[I_TCB], &k.lens[I_TCB], "tcbInfo", from, to, tk);
        EXPECT(&k, MSE_ERR_TCB_INFO_EXPIRED, "expired tcbInfo");
    }
    load_collateral(&k, &good);

    /* Every collateral item a second past nextUpdate, and a second before issue. */
    k.at = now_t + 30 * 86400;
    EXPECT(&k, MSE_ERR_COLLATERAL_EXPIRED, "collateral one second past nextUpdate");
    k.at = now_t + 30 * 86400 - 1;
    EXPECT(&k, MSE_OK, "collateral one second before nextUpdate");
    k.at = now_t;

    /* Only the PCK CRL expired (properly signed by the PCK CA): its own code and date. */
    {
        X509_CRL *crl = X509_CRL_new();
        ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)(now_t - 7200));
        ASN1_TIME *t2 = ASN1_TIME_set(NULL, (time_t)(now_t - 1));
        X509_CRL_set_version(crl, 1);
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(good.pki.ca));
        X509_CRL_set1_lastUpdate(crl, t1);
        X509_CRL_set1_nextUpdate(crl, t2);
        assert_true(X509_CRL_sign(crl, good.pki.ca_key, EVP_sha256()) > 0);
        unsigned char *der = NULL;
        int n = i2d_X509_CRL(crl, &der);
        free(k.items[I_PCK_CRL]);
        k.items[I_PCK_CRL] = malloc((size_t)n);
        memcpy(k.items[I_PCK_CRL], der, (size_t)n);
        k.lens[I_PCK_CRL] = (size_t)n;
        OPENSSL_free(der);
        X509_CRL_free(crl);
        ASN1_TIME_free(t1);
        ASN1_TIME_free(t2);
        EXPECT(&k, MSE_ERR_CRL_EXPIRED, "expired PCK CRL");
        k.policy.allow_expired_collateral = true;
        EXPECT(&k, MSE_OK, "expired PCK CRL tolerated");
        k.policy.allow_expired_collateral = false;
    }
    load_collateral(&k, &good);

    /* QE identity mismatches. */
    static const struct {
        const char *from, *to;
        mse_err want;
        const char *label;
    } qe[] = {
        {"\"mrsigner\":\"8C4F", "\"mrsigner\":\"9C4F", MSE_ERR_QE_IDENTITY_MRSIGNER, "QE mrsigner"},
        {"\"isvprodid\":1", "\"isvprodid\":2", MSE_ERR_QE_IDENTITY_ISVPRODID, "QE isvprodid"},
        {"\"attributes\":\"11", "\"attributes\":\"13", MSE_ERR_QE_IDENTITY_ATTRIBUTES,
         "QE attributes"},
        {"\"miscselect\":\"00000000\"", "\"miscselect\":\"00000001\"",
         MSE_ERR_QE_IDENTITY_MISCSELECT, "QE miscselect"},
        {"{\"isvsvn\":8}", "{\"isvsvn\":9}", MSE_ERR_QE_TCB_STATUS,
         "QE ISVSVN below the current QE level (OutOfDate)"},
    };
    for (size_t i = 0; i < sizeof qe / sizeof qe[0]; i++) {
        resign(&k.items[I_QE], &k.lens[I_QE], "enclaveIdentity", qe[i].from, qe[i].to, tk);
        EXPECT(&k, qe[i].want, qe[i].label);
        load_collateral(&k, &good);
    }

    /* Garbage where PEM is expected. */
    free(k.items[I_TCB_CHAIN]);
    k.items[I_TCB_CHAIN] = (uint8_t *)strdup("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END "
                                             "CERTIFICATE-----\n");
    k.lens[I_TCB_CHAIN] = strlen((char *)k.items[I_TCB_CHAIN]);
    mse_err got = run(&k, "garbage PEM");
    assert_true(got == MSE_ERR_PEM || got == MSE_ERR_CHAIN_FORMAT);
    cases_run++;
    free_case(&k);
}

static void tcb_case(enum mse_tcb_status st, bool qe, mse_err want, const char *label)
{
    struct pki_dir d;
    struct mse_sim_pki_opts o;
    char why[256];
    struct kase k;
    mse_sim_pki_opts_default(&o, now_t);
    if (qe)
        o.qe_tcb_status = st;
    else
        o.tcb_status = st;
    memset(&d, 0, sizeof d);
    snprintf(d.path, sizeof d.path, "%s/tcb-%d-%d", tmp, (int)st, (int)qe);
    assert_int_equal(mse_sim_pki_init(d.path, &o, why, sizeof why), MSE_OK);
    assert_int_equal(mse_sim_pki_load(d.path, &d.pki), MSE_OK);
    unsigned char *der = NULL;
    int n = i2d_X509(d.pki.root, &der);
    d.root_der = der;
    d.root_len = (size_t)n;
    base_case(&k, &d);
    EXPECT(&k, want, label);
    if (want == MSE_ERR_TCB_STATUS || want == MSE_ERR_QE_TCB_STATUS) {
        /* Opting in to the combined status makes the same evidence pass. */
        struct mse_verify_result r;
        struct mse_verify_input in = {.cert_der = k.cert, .cert_len = k.cert_len,
                                      .collateral = &k.col, .trust_root_der = k.anchor,
                                      .trust_root_len = k.anchor_len, .at = k.at};
        assert_int_equal(mse_verify(&in, &k.policy, &r), MSE_OK);
        k.policy.accepted_tcb = MSE_TCB_MASK(r.tcb_status);
        EXPECT(&k, MSE_OK, "opted-in TCB status");
    }
    free_case(&k);
    OPENSSL_free(der);
    mse_sim_pki_free(&d.pki);
}

static void test_tcb_statuses(void **state)
{
    tcb_case(MSE_TCB_SW_HARDENING_NEEDED, false, MSE_ERR_TCB_STATUS, "SWHardeningNeeded");
    tcb_case(MSE_TCB_CONFIGURATION_NEEDED, false, MSE_ERR_TCB_STATUS, "ConfigurationNeeded");
    tcb_case(MSE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, false, MSE_ERR_TCB_STATUS,
             "ConfigurationAndSWHardeningNeeded");
    tcb_case(MSE_TCB_OUT_OF_DATE, false, MSE_ERR_TCB_STATUS, "OutOfDate");
    tcb_case(MSE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED, false, MSE_ERR_TCB_STATUS,
             "OutOfDateConfigurationNeeded");
    tcb_case(MSE_TCB_REVOKED, false, MSE_ERR_TCB_REVOKED, "platform TCB Revoked");
    tcb_case(MSE_TCB_OUT_OF_DATE, true, MSE_ERR_QE_TCB_STATUS, "QE TCB OutOfDate");
    tcb_case(MSE_TCB_REVOKED, true, MSE_ERR_QE_TCB_REVOKED, "QE TCB Revoked");
}

static void quote_case(quote_tamper fn, mse_err want, const char *label)
{
    struct kase k;
    base_case(&k, &good);
    make_cert(&k, &good, false, fn);
    EXPECT(&k, want, label);
    free_case(&k);
}

static void test_quote_cases(void **state)
{
    /* Offsets in our quotes: header 0, body 48, sig len 432, signature data 436. */
    size_t sig = 436, att = sig + 64, qe_report = att + 64, qe_sig = qe_report + 384;
    size_t auth_len = qe_sig + 64, auth = auth_len + 2, cert_type = auth + 32;
    size_t cert_len = cert_type + 2, cert_data = cert_len + 4;

    tamper_xor = 0x01;
    tamper_offset = qe_sig + 5;
    quote_case(flip_at, MSE_ERR_QE_REPORT_SIGNATURE, "bad QE report signature");
    tamper_offset = auth + 3;
    quote_case(flip_at, MSE_ERR_QE_REPORT_DATA, "wrong QE report data");
    tamper_offset = sig + 7;
    quote_case(flip_at, MSE_ERR_QUOTE_SIGNATURE, "bad quote signature");
    tamper_offset = 48 + 64 + 3; /* MRENCLAVE */
    quote_case(flip_at, MSE_ERR_QUOTE_SIGNATURE, "MRENCLAVE edited after signing");
    tamper_offset = att + 10;
    quote_case(flip_at, MSE_ERR_QE_REPORT_DATA, "attestation key swapped");

    /* Truncated at each field boundary. */
    const size_t bounds[] = {0, 2, 4, 8, 10, 12, 28, 48, 432, 436, att, qe_report, qe_sig,
                             auth_len, auth, cert_type, cert_len, cert_data, cert_data + 10};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        char label[64];
        truncate_to = bounds[i];
        snprintf(label, sizeof label, "quote truncated at %zu", bounds[i]);
        quote_case(truncate_quote, bounds[i] == 0 ? MSE_ERR_RATLS_NO_QUOTE : MSE_ERR_QUOTE_TRUNCATED,
                   label);
    }
    /* Overflowing length fields. */
    field_width = 4;
    field_value = 0xffffffffu;
    tamper_offset = 432;
    quote_case(set_field, MSE_ERR_QUOTE_TRUNCATED, "sig_data_len = 2^32-1");
    field_value = 0;
    quote_case(set_field, MSE_ERR_QUOTE_LENGTH, "sig_data_len = 0");
    field_width = 2;
    field_value = 0xffff;
    tamper_offset = auth_len;
    quote_case(set_field, MSE_ERR_QUOTE_LENGTH, "qe_auth_len = 65535");
    field_width = 4;
    field_value = 0xffffffffu;
    tamper_offset = cert_len;
    quote_case(set_field, MSE_ERR_QUOTE_LENGTH, "cert_data_len = 2^32-1");
    /* Wrong version, key type, TEE type, certification data type. */
    field_width = 2;
    field_value = 4;
    tamper_offset = 0;
    quote_case(set_field, MSE_ERR_QUOTE_VERSION, "quote version 4");
    field_value = 3;
    tamper_offset = 2;
    quote_case(set_field, MSE_ERR_QUOTE_KEY_TYPE, "attestation key type 3");
    field_width = 4;
    field_value = 0x81;
    tamper_offset = 4;
    quote_case(set_field, MSE_ERR_QUOTE_TEE_TYPE, "TEE type TDX");
    field_width = 2;
    field_value = 6;
    tamper_offset = cert_type;
    quote_case(set_field, MSE_ERR_QUOTE_CERT_DATA_TYPE, "certification data type 6");
    /* PCK chains of 2 and 4 certificates. */
    chain_n = 2;
    quote_case(replace_chain, MSE_ERR_QUOTE_PCK_CHAIN_LENGTH, "PCK chain of 2 certificates");
    chain_n = 4;
    quote_case(replace_chain, MSE_ERR_QUOTE_PCK_CHAIN_LENGTH, "PCK chain of 4 certificates");
}

static void test_certificate_and_policy_cases(void **state)
{
    struct kase k;
    base_case(&k, &good);

    /* Key binding: the same quote in a certificate for another key. */
    {
        struct mse_sim_enclave e = {0};
        memset(e.mrenclave, MRE_BYTE, 32);
        struct mse_ratls_params p = {.subject = "CN=localhost", .san = "localhost",
                                     .not_before = now_t - 60, .not_after = now_t + 3600};
        EVP_PKEY *key = NULL;
        X509 *x = NULL;
        assert_int_equal(mse_sim_make_ratls(good.path, &e, &p, true, &key, &x), MSE_OK);
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);
        free(k.cert);
        k.cert = malloc((size_t)n);
        memcpy(k.cert, der, (size_t)n);
        k.cert_len = (size_t)n;
        OPENSSL_free(der);
        X509_free(x);
        EVP_PKEY_free(key);
        EXPECT(&k, MSE_ERR_BINDING_MISMATCH, "key binding mismatch");
    }
    /* A certificate without the quote extension. */
    {
        size_t len;
        uint8_t *pem = slurp(good.path, "root.pem", &len);
        BIO *b = BIO_new_mem_buf(pem, (int)len);
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);
        free(k.cert);
        k.cert = malloc((size_t)n);
        memcpy(k.cert, der, (size_t)n);
        k.cert_len = (size_t)n;
        OPENSSL_free(der);
        X509_free(x);
        BIO_free(b);
        free(pem);
        EXPECT(&k, MSE_ERR_RATLS_NO_QUOTE, "missing extension");
        k.cert_len = 10;
        EXPECT(&k, MSE_ERR_CERT_PARSE, "garbage certificate");
    }
    free_case(&k);

    /* Policy. */
    base_case(&k, &good);
    make_cert(&k, &good, true, NULL);
    EXPECT(&k, MSE_ERR_POLICY_DEBUG, "debug enclave");
    k.policy.allow_debug = true;
    EXPECT(&k, MSE_OK, "debug enclave allowed");
    free_case(&k);

    base_case(&k, &good);
    k.mrsigner[0][0] ^= 1;
    EXPECT(&k, MSE_ERR_POLICY_MRSIGNER, "MRSIGNER mismatch");
    k.mrsigner[0][0] ^= 1;
    k.mrenclave[31] ^= 1;
    EXPECT(&k, MSE_ERR_POLICY_MRENCLAVE, "MRENCLAVE mismatch");
    k.mrenclave[31] ^= 1;
    k.policy.check_isv_prod_id = true;
    k.policy.isv_prod_id = 7;
    EXPECT(&k, MSE_ERR_POLICY_ISVPRODID, "ISVPRODID mismatch");
    k.policy.check_isv_prod_id = false;
    k.policy.check_min_isv_svn = true;
    k.policy.min_isv_svn = 1;
    EXPECT(&k, MSE_ERR_POLICY_ISVSVN, "ISVSVN below minimum");
    free_case(&k);
    fprintf(stderr, "negative matrix: %u cases\n", cases_run);
    assert_true(cases_run >= 30);
    /* The memory did answer: the cases above also ran against remembered platforms. */
    uint64_t hits = 0;
    for (size_t i = 0; i < verifier_count; i++) {
        struct mse_verifier_stats st;
        mse_verifier_stats(verifiers[i].v, &st);
        hits += st.hits;
    }
    fprintf(stderr, "negative matrix: %llu verifications answered from a verifier's memory\n",
            (unsigned long long)hits);
    assert_true(hits >= 20);
}

static int setup(void **state)
{
    tmp = mse_test_tmpdir();
    now_t = mse_time_now();
    make_pki(&good, "good", NULL);
    make_pki(&other, "other", NULL);
    make_pki(&revoked_pck, "revoked-pck", t_revoke_pck);
    make_pki(&revoked_ca, "revoked-ca", t_revoke_ca);
    make_pki(&expired_pck, "expired-pck", t_expired_pck);
    make_pki(&intel_forged, "intel-forged", t_intel);
    return 0;
}

static int teardown(void **state)
{
    verifiers_free();
    struct pki_dir *all[] = {&good, &other, &revoked_pck, &revoked_ca, &expired_pck, &intel_forged};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        mse_sim_pki_free(&all[i]->pki);
        free(all[i]->root_der);
    }
    mse_test_rmtree(tmp);
    free(tmp);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positive_and_anchor),
        cmocka_unit_test(test_pki_cases),
        cmocka_unit_test(test_collateral_cases),
        cmocka_unit_test(test_tcb_statuses),
        cmocka_unit_test(test_quote_cases),
        cmocka_unit_test(test_certificate_and_policy_cases),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

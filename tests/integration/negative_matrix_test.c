/*
 * The verifier's negative matrix in process (issue 2, acceptance 3). The
 * cases are the simulator's tamper table (src/sim/sim_tamper_cases.c, the
 * one list also behind `mse-sim tamper` and tests/integration/
 * sim_tamper_set.sh): the set is written with mse_sim_tamper_set and every
 * bundle of its MANIFEST is verified here with mse_verify and a verifier
 * context, asserting the exact mse_err that decides. A few cases that need
 * an API-only input (the verification time, ISV policy, a cut certificate)
 * follow. The positive case runs first so that each refusal is known to come
 * from its one change.
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
#include "sim/sim_tamper.h"
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
static struct pki_dir good, other;
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
    bool col_given; /* col holds views into an evidence bundle, items are unused */
};

enum { I_ROOT_CRL, I_PCK_CRL, I_PCK_CRL_CHAIN, I_TCB, I_TCB_CHAIN, I_QE, I_QE_CHAIN };

static void bind_collateral(struct kase *k)
{
    if (k->col_given)
        return; /* a bundle's collateral, set by the caller */
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
 * result, check by check and message by message; so does the case's quote as
 * a raw quote (mse_verify_quote against mse_verifier_verify_quote).
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

/*
 * The case's quote, when its certificate has one, as a raw quote: through
 * mse_verify_quote and twice through the verifier (mse_verifier_verify_quote),
 * with the same result. (A raw quote's verdict is not the certificate's: no
 * CERT check, no key binding.)
 */
static void same_as_raw_quote(struct kase *k, struct mse_verifier *v, const char *label)
{
    static uint8_t buf[MSE_RATLS_BUF_SIZE];
    static struct mse_verify_result cold, warm;
    struct mse_ratls ratls;
    if (mse_ratls_extract(k->cert, k->cert_len, buf, sizeof buf, &ratls) != MSE_OK)
        return;
    struct mse_verify_quote_input in = {.quote = ratls.quote, .quote_len = ratls.quote_len,
                                        .collateral = &k->col, .trust_root_der = k->anchor,
                                        .trust_root_len = k->anchor_len, .at = k->at};
    assert_int_equal(mse_verify_quote(&in, &k->policy, &cold), MSE_OK);
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(mse_verifier_verify_quote(v, &in, &k->policy, &warm), MSE_OK);
        assert_same_result(&cold, &warm, label);
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
    same_as_raw_quote(k, v, label);
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

/* ---- the tamper table, through the same verifier as the API cases ------------------ */

/* The expected identity and tolerances of a case: its .args file, else identity.args. */
static void case_policy(const char *dir, const char *name, struct kase *k)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.args", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(path, sizeof path, "%s/identity.args", dir);
        f = fopen(path, "r");
    }
    assert_non_null(f);
    mse_policy_init(&k->policy);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (strcmp(line, "--allow-expired-collateral") == 0) {
            k->policy.allow_expired_collateral = true;
        } else if (strcmp(line, "--allow-debug") == 0) {
            k->policy.allow_debug = true;
        } else {
            bool mrs = strcmp(line, "--mrsigner") == 0;
            if (!mrs && strcmp(line, "--fingerprint") != 0)
                fail_msg("%s: argument '%s' not understood by this test", path, line);
            assert_non_null(fgets(line, sizeof line, f));
            assert_int_equal(mse_hex_decode(line, 64, mrs ? k->mrsigner[0] : k->mrenclave, 32),
                             MSE_OK);
        }
    }
    fclose(f);
    k->policy.mrsigners = (const uint8_t(*)[32])k->mrsigner;
    k->policy.mrsigner_count = 1;
    k->policy.mrenclave = k->mrenclave;
}

/* The anchor of a case: <name>.root.pem, else root.pem (as DER in *der). */
static void case_anchor(const char *dir, const char *name, uint8_t **der, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.root.pem", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(path, sizeof path, "%s/root.pem", dir);
        f = fopen(path, "r");
    }
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    assert_true(n > 0);
    *der = malloc((size_t)n);
    memcpy(*der, d, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(d);
    X509_free(x);
}

static void table_case(const char *dir, const char *file, mse_err want)
{
    char name[256], path[4096];
    size_t json_len, cap = 1u << 20;
    snprintf(name, sizeof name, "%.*s", (int)(strlen(file) - 5), file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    uint8_t *json = mse_test_file(path, &json_len), *buf = malloc(cap), *anchor;
    struct mse_evidence ev;
    struct kase k;
    memset(&k, 0, sizeof k);
    assert_int_equal(mse_evidence_parse(json, json_len, buf, cap, &ev), MSE_OK);
    case_policy(dir, name, &k);
    case_anchor(dir, name, &anchor, &k.anchor_len);
    k.anchor = anchor;
    k.at = now_t;
    k.cert = malloc(ev.ratls_cert.len);
    memcpy(k.cert, ev.ratls_cert.data, ev.ratls_cert.len);
    k.cert_len = ev.ratls_cert.len;
    k.col = ev.collateral;
    k.col_given = true;
    EXPECT(&k, want, name);
    free(k.cert);
    free(anchor);
    free(buf);
    free(json);
}

static void test_tamper_table(void **state)
{
    char dir[2048], why[512], path[4096], line[512];
    size_t count = 0, seen = 0;
    snprintf(dir, sizeof dir, "%s/tamper", tmp);
    if (mse_sim_tamper_set(dir, now_t, &count, why, sizeof why) != MSE_OK)
        fail_msg("mse_sim_tamper_set: %s", why);
    assert_int_equal(count, mse_sim_tamper_case_count);
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        char file[256], code[128];
        if (line[0] == '#' || sscanf(line, "%255s %127s", file, code) != 2)
            continue;
        const struct tamper_case *k = &mse_sim_tamper_cases[seen++];
        assert_true(strlen(file) == strlen(k->name) + 5 && strncmp(file, k->name, strlen(k->name)) == 0);
        assert_string_equal(code, mse_err_name(k->want));
        table_case(dir, file, k->want);
    }
    fclose(f);
    assert_int_equal(seen, mse_sim_tamper_case_count);
}

/* ---- cases only the API can express ------------------------------------------------ */

static void test_positive_and_anchor(void **state)
{
    struct kase k;
    base_case(&k, &good);
    EXPECT(&k, MSE_OK, "reference case");
    k.anchor = NULL; /* the genuine Intel root is the default anchor */
    k.anchor_len = 0;
    EXPECT(&k, MSE_ERR_ROOT_UNTRUSTED, "sim evidence under the Intel root");
    free_case(&k);

    /* Quote from one platform, collateral from another with the same names. */
    base_case(&k, &good);
    load_collateral(&k, &other);
    EXPECT(&k, MSE_ERR_CRL_SIGNATURE, "all collateral from another PKI");
    free_case(&k);
}

static void test_time_and_qe_level(void **state)
{
    struct kase k;
    base_case(&k, &good);
    /* Every collateral item a second past nextUpdate, and a second before. */
    k.at = now_t + 30 * 86400;
    EXPECT(&k, MSE_ERR_COLLATERAL_EXPIRED, "collateral one second past nextUpdate");
    k.at = now_t + 30 * 86400 - 1;
    EXPECT(&k, MSE_OK, "collateral one second before nextUpdate");
    k.at = now_t;
    resign(&k.items[I_QE], &k.lens[I_QE], "enclaveIdentity", "{\"isvsvn\":8}", "{\"isvsvn\":9}",
           good.pki.tcb_key);
    EXPECT(&k, MSE_ERR_QE_TCB_STATUS, "QE ISVSVN below the current QE level (OutOfDate)");
    free_case(&k);
}

/*
 * The PCK CRL issuer chain adds no trust, but must start with the quote's PCK
 * CA and be well-formed certificates throughout (those already decoded, the
 * PCK CA and the anchor, are compared byte for byte instead of decoded again).
 */
static void test_pck_crl_chain(void **state)
{
    struct kase k;
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
    base_case(&k, &good);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t a = strlen(chains[i][0]), b = strlen(chains[i][1]);
        free(k.items[I_PCK_CRL_CHAIN]);
        k.items[I_PCK_CRL_CHAIN] = malloc(a + b);
        memcpy(k.items[I_PCK_CRL_CHAIN], chains[i][0], a);
        memcpy(k.items[I_PCK_CRL_CHAIN] + a, chains[i][1], b);
        k.lens[I_PCK_CRL_CHAIN] = a + b;
        EXPECT(&k, want[i], labels[i]);
    }
    free_case(&k);
}

static void test_certificate_and_isv(void **state)
{
    struct kase k;
    base_case(&k, &good);
    k.cert_len = 10;
    EXPECT(&k, MSE_ERR_CERT_PARSE, "garbage certificate");
    free_case(&k);

    base_case(&k, &good);
    k.policy.check_isv_prod_id = true;
    k.policy.isv_prod_id = 7;
    EXPECT(&k, MSE_ERR_POLICY_ISVPRODID, "ISVPRODID mismatch");
    k.policy.check_isv_prod_id = false;
    k.policy.check_min_isv_svn = true;
    k.policy.min_isv_svn = 1;
    EXPECT(&k, MSE_ERR_POLICY_ISVSVN, "ISVSVN below minimum");
    free_case(&k);
    fprintf(stderr, "negative matrix: %u cases\n", cases_run);
    assert_true(cases_run >= 80);
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
    return 0;
}

static int teardown(void **state)
{
    verifiers_free();
    struct pki_dir *all[] = {&good, &other};
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
        cmocka_unit_test(test_tamper_table),
        cmocka_unit_test(test_time_and_qe_level),
        cmocka_unit_test(test_pck_crl_chain),
        cmocka_unit_test(test_certificate_and_isv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

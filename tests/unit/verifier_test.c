/*
 * The reusable verifier (<mse/verifier.h>): what its memory may answer and
 * what it must not. The whole negative matrix also runs through verifiers
 * (tests/integration/negative_matrix_test.c); here, the memory's own rules:
 * another quote of a remembered platform is answered from memory; other
 * bytes, an instant outside the window, another anchor are not; a tampered
 * quote after a good one is still refused, with the cold path's verdict;
 * raw quotes (mse_verifier_verify_quote) share that memory; verifiers in two
 * threads at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include <mse/guard.h>
#include <mse/mse.h>

#include "sim/sim.h"
#include "testlib.h"
#include "util/util.h"

#define DAY 86400

static char *tmp;
static char pki_dir[512];
static struct mse_sim_pki pki;
static uint8_t *root_der;
static size_t root_len;
static int64_t now_t;

struct evidence {
    uint8_t *items[7];
    size_t lens[7];
    struct mse_collateral col;
};

static void load_collateral(struct evidence *e)
{
    static const char *names[7] = {"root-ca-crl.der", "pck-crl.der",
                                   "pccs/pckcrl-processor-chain.pem", "tcb-info.json",
                                   "pccs/tcb-chain.pem", "qe-identity.json", "pccs/tcb-chain.pem"};
    for (int i = 0; i < 7; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", pki_dir, names[i]);
        e->items[i] = mse_test_file(path, &e->lens[i]);
    }
    struct mse_blob *b[7] = {&e->col.root_ca_crl, &e->col.pck_crl, &e->col.pck_crl_chain,
                             &e->col.tcb_info, &e->col.tcb_info_chain, &e->col.qe_identity,
                             &e->col.qe_identity_chain};
    for (int i = 0; i < 7; i++)
        *b[i] = (struct mse_blob){e->items[i], e->lens[i]};
}

static void free_collateral(struct evidence *e)
{
    for (int i = 0; i < 7; i++)
        free(e->items[i]);
}

/* Quote mutation before the certificate embeds it: byte `flip_offset` ^= 0x01 (0 = none). */
static size_t flip_offset;
/*
 * Or, when set, a letter of the quote's certification data (the PEM PCK
 * chain) changes case, 20 characters before the leaf's END line: still
 * base64, another byte of the leaf's signature.
 */
static bool flip_cert_data;

/*
 * Quote v3: header 48, body 384, signature length 4, signature 64, key 64,
 * QE report 384, its signature 64, then the QE auth data's size.
 */
#define AUTH_SIZE_OFFSET (48 + 384 + 4 + 64 + 64 + 384 + 64)

static void flip_in_cert_data(uint8_t *q, size_t len)
{
    static const char end[] = "-----END";
    assert_true(len > AUTH_SIZE_OFFSET + 2);
    size_t auth = (size_t)q[AUTH_SIZE_OFFSET] | (size_t)q[AUTH_SIZE_OFFSET + 1] << 8;
    size_t at = AUTH_SIZE_OFFSET + 2 + auth + 2 + 4;
    while (at + sizeof end - 1 < len && memcmp(q + at, end, sizeof end - 1) != 0)
        at++;
    assert_true(at + sizeof end - 1 < len);
    at -= 20;
    while (!((q[at] >= 'a' && q[at] <= 'z') || (q[at] >= 'A' && q[at] <= 'Z')))
        at--;
    q[at] ^= 0x20;
}

struct flip_provider {
    struct mse_quote_provider inner;
};

static mse_err flip_get_quote(void *ctx, const uint8_t rd[64], uint8_t **q, size_t *len)
{
    struct flip_provider *f = ctx;
    MSE_TRY(f->inner.get_quote(f->inner.ctx, rd, q, len));
    if (flip_offset > 0 && flip_offset < *len)
        (*q)[flip_offset] ^= 0x01;
    if (flip_cert_data)
        flip_in_cert_data(*q, *len);
    return MSE_OK;
}

/* A fresh RA-TLS certificate (new key, new quote) of the test platform. */
static uint8_t *make_cert(size_t *len)
{
    struct mse_sim_enclave e = {0};
    memset(e.mrenclave, 0xab, 32);
    struct flip_provider f;
    assert_int_equal(mse_sim_quote_provider(pki_dir, &e, &f.inner), MSE_OK);
    struct mse_quote_provider qp = f.inner;
    qp.get_quote = flip_get_quote;
    qp.ctx = &f;
    struct mse_ratls_params p = {.subject = "CN=localhost", .san = "localhost",
                                 .not_before = now_t - 3600, .not_after = now_t + 365 * DAY};
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    assert_int_equal(mse_ratls_cert_create(&qp, &p, &key, &x), MSE_OK);
    mse_quote_provider_close(&f.inner);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    uint8_t *out = malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

static struct mse_policy policy(void)
{
    static uint8_t mrenclave[32];
    static uint8_t mrsigner[1][32];
    struct mse_policy p;
    mse_policy_init(&p);
    memset(mrenclave, 0xab, 32);
    memcpy(mrsigner[0], pki.signer_mrsigner, 32);
    p.mrenclave = mrenclave;
    p.mrsigners = (const uint8_t(*)[32])mrsigner;
    p.mrsigner_count = 1;
    return p;
}

/* The verifier's result is the cold path's, check by check. Returns the verdict's code. */
static mse_err agreed(const struct mse_verify_result *cold, const struct mse_verify_result *warm)
{
    assert_int_equal(cold->ok, warm->ok);
    assert_int_equal(cold->err, warm->err);
    assert_string_equal(cold->message, warm->message);
    for (int i = 0; i < MSE_CHECK_COUNT; i++) {
        assert_int_equal(cold->checks[i].outcome, warm->checks[i].outcome);
        assert_string_equal(cold->checks[i].detail, warm->checks[i].detail);
    }
    assert_int_equal(cold->binding, warm->binding);
    assert_memory_equal(cold->enclave.report_data, warm->enclave.report_data, 64);
    assert_int_equal(cold->validity_count, warm->validity_count);
    return warm->ok ? MSE_OK : warm->err;
}

/* Verify through v and cold; they must agree. Returns the verdict's code. */
static mse_err both(struct mse_verifier *v, const uint8_t *cert, size_t len,
                    const struct mse_collateral *col, int64_t at)
{
    static struct mse_verify_result cold, warm;
    struct mse_policy p = policy();
    struct mse_verify_input in = {.cert_der = cert, .cert_len = len, .collateral = col,
                                  .trust_root_der = root_der, .trust_root_len = root_len,
                                  .at = at};
    assert_int_equal(mse_verify(&in, &p, &cold), MSE_OK);
    assert_int_equal(mse_verifier_verify(v, &in, &p, &warm), MSE_OK);
    return agreed(&cold, &warm);
}

static struct mse_verifier_stats stats(const struct mse_verifier *v)
{
    struct mse_verifier_stats s;
    mse_verifier_stats(v, &s);
    return s;
}

static void test_second_quote_from_memory(void **state)
{
    struct evidence ev;
    struct mse_verifier *v = NULL;
    size_t la, lb;
    load_collateral(&ev);
    uint8_t *a = make_cert(&la), *b = make_cert(&lb);
    assert_true(la != lb || memcmp(a, b, la) != 0); /* two certificates, two quotes */
    assert_int_equal(mse_verifier_new(root_der, root_len, &v), MSE_OK);

    assert_int_equal(both(v, a, la, &ev.col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 0);
    assert_int_equal(stats(v).stored, 1);
    assert_int_equal(both(v, b, lb, &ev.col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 1);
    /* Anywhere inside the window too. */
    assert_int_equal(both(v, b, lb, &ev.col, now_t + 20 * DAY), MSE_OK);
    assert_int_equal(stats(v).hits, 2);
    assert_int_equal(stats(v).stored, 1);
    assert_int_equal(stats(v).platforms, 1);
    assert_int_equal(stats(v).verifications, 3);

    mse_verifier_free(v);
    free(a);
    free(b);
    free_collateral(&ev);
}

static void test_other_bytes_not_reused(void **state)
{
    struct evidence ev;
    struct mse_verifier *v = NULL;
    size_t la;
    load_collateral(&ev);
    uint8_t *a = make_cert(&la);
    assert_int_equal(mse_verifier_new(root_der, root_len, &v), MSE_OK);
    assert_int_equal(both(v, a, la, &ev.col, now_t), MSE_OK);

    /* The same TCB info with one more trailing newline: still valid, other bytes. */
    uint8_t *longer = malloc(ev.lens[3] + 1);
    memcpy(longer, ev.items[3], ev.lens[3]);
    longer[ev.lens[3]] = '\n';
    struct mse_collateral col = ev.col;
    col.tcb_info = (struct mse_blob){longer, ev.lens[3] + 1};
    assert_int_equal(both(v, a, la, &col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 0);
    assert_int_equal(stats(v).stored, 2);

    /* One byte of the TCB info's signed part changed: refused, never from memory. */
    longer[ev.lens[3] / 2] ^= 0x01;
    assert_int_not_equal(both(v, a, la, &col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 0);
    assert_int_equal(stats(v).stored, 2);

    /* A missing QE identity is refused although the rest is remembered. */
    col = ev.col;
    col.qe_identity = (struct mse_blob){NULL, 0};
    assert_int_equal(both(v, a, la, &col, now_t), MSE_ERR_COLLATERAL_MISSING);
    assert_int_equal(stats(v).hits, 0);

    mse_verifier_free(v);
    free(longer);
    free(a);
    free_collateral(&ev);
}

static void test_outside_window_not_reused(void **state)
{
    struct evidence ev;
    struct mse_verifier *v = NULL;
    size_t la;
    load_collateral(&ev);
    uint8_t *a = make_cert(&la);
    assert_int_equal(mse_verifier_new(root_der, root_len, &v), MSE_OK);
    assert_int_equal(both(v, a, la, &ev.col, now_t), MSE_OK);
    assert_int_equal(stats(v).stored, 1);

    /* The collateral's nextUpdate is now + 30 days (mse_sim_pki_opts_default). */
    assert_int_equal(both(v, a, la, &ev.col, now_t + 30 * DAY - 1), MSE_OK);
    assert_int_equal(stats(v).hits, 1);
    assert_int_equal(both(v, a, la, &ev.col, now_t + 30 * DAY), MSE_ERR_COLLATERAL_EXPIRED);
    assert_int_equal(stats(v).hits, 1);
    /* Before the collateral was issued (now - 1 hour). */
    assert_int_equal(both(v, a, la, &ev.col, now_t - 2 * 3600),
                     MSE_ERR_COLLATERAL_NOT_YET_VALID);
    assert_int_equal(stats(v).hits, 1);
    /* A pass past the window is not remembered either. */
    assert_int_equal(stats(v).stored, 1);

    mse_verifier_free(v);
    free(a);
    free_collateral(&ev);
}

static void test_tampered_after_good(void **state)
{
    struct evidence ev;
    struct mse_verifier *v = NULL;
    size_t la, lq, lr, lc;
    load_collateral(&ev);
    uint8_t *a = make_cert(&la);
    assert_int_equal(mse_verifier_new(root_der, root_len, &v), MSE_OK);
    assert_int_equal(both(v, a, la, &ev.col, now_t), MSE_OK);
    /* The same certificate again: from memory, the same verdict. */
    assert_int_equal(both(v, a, la, &ev.col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 1);

    /* Quote v3 layout: header 48, body 384, signature length 4, then the quote signature. */
    flip_offset = 48 + 384 + 4 + 10;
    uint8_t *bad_quote_sig = make_cert(&lq);
    /* ... attestation key 64, then the QE report: flip a byte of its CPUSVN. */
    flip_offset = 48 + 384 + 4 + 64 + 64 + 1;
    uint8_t *bad_qe_report = make_cert(&lr);
    /* ... and, after the QE auth data, the PEM PCK chain: a byte of the leaf's signature. */
    flip_offset = 0;
    flip_cert_data = true;
    uint8_t *bad_cert_data = make_cert(&lc);
    flip_cert_data = false;

    assert_int_equal(both(v, bad_quote_sig, lq, &ev.col, now_t), MSE_ERR_QUOTE_SIGNATURE);
    assert_int_equal(stats(v).hits, 2); /* the platform was remembered; the quote still failed */
    assert_int_equal(both(v, bad_qe_report, lr, &ev.col, now_t), MSE_ERR_QE_REPORT_SIGNATURE);
    assert_int_equal(stats(v).hits, 2); /* another QE report: not the remembered platform */
    assert_int_equal(both(v, bad_cert_data, lc, &ev.col, now_t), MSE_ERR_PCK_CHAIN_SIGNATURE);
    assert_int_equal(stats(v).hits, 2); /* another PCK chain: not the remembered platform */
    /* The good one still passes afterwards, from memory. */
    assert_int_equal(both(v, a, la, &ev.col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 3);

    mse_verifier_free(v);
    free(a);
    free(bad_quote_sig);
    free(bad_qe_report);
    free(bad_cert_data);
    free_collateral(&ev);
}

/* A copy of b with `pad` more bytes of `fill` after it (JSON and PEM allow trailing whitespace). */
static struct mse_blob padded(struct mse_blob b, size_t pad, uint8_t fill, uint8_t **owned)
{
    uint8_t *d = malloc(b.len + pad);
    assert_non_null(d);
    memcpy(d, b.data, b.len);
    memset(d + b.len, fill, pad);
    *owned = d;
    return (struct mse_blob){d, b.len + pad};
}

/*
 * What a verifier remembers is bounded in bytes too: platforms whose bytes
 * together pass MSE_VERIFIER_MEMORY_BYTES push the oldest out, and one that
 * alone passes it is verified, never remembered.
 */
static void test_memory_bounded(void **state)
{
    struct evidence ev;
    struct mse_verifier *v = NULL;
    size_t la;
    uint8_t *owned[5];
    load_collateral(&ev);
    uint8_t *a = make_cert(&la);
    assert_int_equal(mse_verifier_new(root_der, root_len, &v), MSE_OK);
    /* Five platforms of about 0.9 MiB each (their TCB info padded): at most four fit. */
    for (size_t i = 0; i < 5; i++) {
        struct mse_collateral col = ev.col;
        col.tcb_info = padded(ev.col.tcb_info, (900u << 10) + i, ' ', &owned[i]);
        assert_int_equal(both(v, a, la, &col, now_t), MSE_OK);
        assert_int_equal(stats(v).stored, i + 1);
        assert_true(stats(v).bytes <= MSE_VERIFIER_MEMORY_BYTES);
    }
    assert_int_equal(stats(v).platforms, 4);
    assert_true(stats(v).bytes > 4 * (900u << 10));
    /* The newest four are remembered, the oldest is not. */
    struct mse_collateral col = ev.col;
    col.tcb_info = (struct mse_blob){owned[4], ev.col.tcb_info.len + (900u << 10) + 4};
    assert_int_equal(both(v, a, la, &col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 1);
    col.tcb_info = (struct mse_blob){owned[0], ev.col.tcb_info.len + (900u << 10)};
    assert_int_equal(both(v, a, la, &col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 1);
    assert_int_equal(stats(v).stored, 6);
    for (size_t i = 0; i < 5; i++)
        free(owned[i]);

    /* One platform of more than the whole bound: passes, is not remembered, evicts nothing. */
    size_t before = stats(v).platforms;
    uint8_t *big[3];
    col = ev.col;
    col.pck_crl_chain = padded(ev.col.pck_crl_chain, 3u << 19, '\n', &big[0]);
    col.tcb_info_chain = padded(ev.col.tcb_info_chain, 3u << 19, '\n', &big[1]);
    col.qe_identity_chain = padded(ev.col.qe_identity_chain, 3u << 19, '\n', &big[2]);
    assert_int_equal(both(v, a, la, &col, now_t), MSE_OK);
    assert_int_equal(both(v, a, la, &col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 1);
    assert_int_equal(stats(v).stored, 6);
    assert_int_equal(stats(v).platforms, before);
    for (size_t i = 0; i < 3; i++)
        free(big[i]);

    mse_verifier_free(v);
    free(a);
    free_collateral(&ev);
}

static void test_anchor_fixed(void **state)
{
    struct mse_verifier *v = NULL;
    static struct mse_verify_result r;
    struct mse_policy p = policy();
    static const uint8_t junk[4] = {0x30, 0x02, 0x05, 0x00};
    assert_int_equal(mse_verifier_new(junk, sizeof junk, &v), MSE_ERR_ARG);
    assert_null(v);
    /* The Intel anchor by default; naming the test root to it is a caller mistake. */
    assert_int_equal(mse_verifier_new(NULL, 0, &v), MSE_OK);
    size_t la;
    uint8_t *a = make_cert(&la);
    struct mse_verify_input in = {.cert_der = a, .cert_len = la, .trust_root_der = root_der,
                                  .trust_root_len = root_len, .at = now_t};
    assert_int_equal(mse_verifier_verify(v, &in, &p, &r), MSE_ERR_ARG);
    assert_false(r.ok);
    /* Without naming one, the Intel anchor is used: the test chain is not trusted. */
    in.trust_root_der = NULL;
    in.trust_root_len = 0;
    assert_int_equal(mse_verifier_verify(v, &in, &p, &r), MSE_OK);
    assert_false(r.ok);
    assert_int_equal(r.err, MSE_ERR_ROOT_UNTRUSTED);
    mse_verifier_free(v);
    mse_verifier_free(NULL);
    free(a);
}

/* The quote inside a certificate made by make_cert (malloc'd copy). */
static uint8_t *quote_of(const uint8_t *cert, size_t cert_len, size_t *len)
{
    static uint8_t buf[MSE_RATLS_BUF_SIZE];
    struct mse_ratls r;
    assert_int_equal(mse_ratls_extract(cert, cert_len, buf, sizeof buf, &r), MSE_OK);
    uint8_t *q = malloc(r.quote_len);
    assert_non_null(q);
    memcpy(q, r.quote, r.quote_len);
    *len = r.quote_len;
    return q;
}

/* A raw quote through v and cold (mse_verify_quote); they must agree. Returns the verdict's code. */
static mse_err both_quote(struct mse_verifier *v, const uint8_t *quote, size_t len,
                          const struct mse_collateral *col, const uint8_t *report_data,
                          int64_t at)
{
    static struct mse_verify_result cold, warm;
    struct mse_policy p = policy();
    p.report_data = report_data;
    p.report_data_len = report_data ? 64 : 0;
    struct mse_verify_quote_input in = {.quote = quote, .quote_len = len, .collateral = col,
                                        .trust_root_der = root_der, .trust_root_len = root_len,
                                        .at = at};
    assert_int_equal(mse_verify_quote(&in, &p, &cold), MSE_OK);
    assert_int_equal(mse_verifier_verify_quote(v, &in, &p, &warm), MSE_OK);
    return agreed(&cold, &warm);
}

/*
 * Raw quotes (mse_verifier_verify_quote) share the memory with certificates:
 * a platform remembered from either answers for the other's next quote, and
 * what is checked per quote (its signature, the expected REPORTDATA, the
 * anchor) is checked every time.
 */
static void test_raw_quotes_from_memory(void **state)
{
    struct evidence ev;
    struct mse_verifier *v = NULL;
    static struct mse_verify_result r;
    size_t la, lb, lbad, qa, qb, qbad;
    load_collateral(&ev);
    uint8_t *a = make_cert(&la), *b = make_cert(&lb);
    flip_offset = 48 + 384 + 4 + 10; /* a byte of the quote signature */
    uint8_t *bad = make_cert(&lbad);
    flip_offset = 0;
    uint8_t *quote_a = quote_of(a, la, &qa), *quote_b = quote_of(b, lb, &qb),
            *quote_bad = quote_of(bad, lbad, &qbad);
    assert_int_equal(mse_verifier_new(root_der, root_len, &v), MSE_OK);

    assert_int_equal(both_quote(v, quote_a, qa, &ev.col, NULL, now_t), MSE_OK);
    assert_int_equal(stats(v).stored, 1);
    assert_int_equal(stats(v).hits, 0);
    assert_int_equal(both_quote(v, quote_b, qb, &ev.col, NULL, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 1);
    /* The certificate of a quote already seen raw: the platform from memory. */
    assert_int_equal(both(v, a, la, &ev.col, now_t), MSE_OK);
    assert_int_equal(stats(v).hits, 2);

    /* Per quote, whatever the memory holds: its signature ... */
    assert_int_equal(both_quote(v, quote_bad, qbad, &ev.col, NULL, now_t),
                     MSE_ERR_QUOTE_SIGNATURE);
    assert_int_equal(stats(v).hits, 3);
    /* ... and the REPORTDATA the caller expects (quote a's is not quote b's). */
    struct mse_verify_result *cold = &r;
    struct mse_verify_quote_input in = {.quote = quote_a, .quote_len = qa, .collateral = &ev.col,
                                        .trust_root_der = root_der, .trust_root_len = root_len,
                                        .at = now_t};
    struct mse_policy p = policy();
    assert_int_equal(mse_verify_quote(&in, &p, cold), MSE_OK);
    uint8_t rd_a[64];
    memcpy(rd_a, cold->enclave.report_data, 64);
    assert_int_equal(both_quote(v, quote_a, qa, &ev.col, rd_a, now_t), MSE_OK);
    assert_int_equal(both_quote(v, quote_b, qb, &ev.col, rd_a, now_t),
                     MSE_ERR_POLICY_REPORT_DATA);
    /* Outside the collateral's window nothing is answered from memory. */
    size_t hits = stats(v).hits;
    assert_int_equal(both_quote(v, quote_b, qb, &ev.col, NULL, now_t + 30 * DAY),
                     MSE_ERR_COLLATERAL_EXPIRED);
    assert_int_equal(stats(v).hits, hits);
    /* Another anchor is the caller's mistake, as for certificates. */
    mse_verifier_free(v);
    assert_int_equal(mse_verifier_new(NULL, 0, &v), MSE_OK);
    assert_int_equal(mse_verifier_verify_quote(v, &in, &p, &r), MSE_ERR_ARG);
    assert_false(r.ok);
    assert_int_equal(stats(v).verifications, 0);

    mse_verifier_free(v);
    free(quote_a);
    free(quote_b);
    free(quote_bad);
    free(a);
    free(b);
    free(bad);
    free_collateral(&ev);
}

static int setup(void **state)
{
    struct mse_sim_pki_opts o;
    char why[256];
    tmp = mse_test_tmpdir();
    now_t = mse_time_now();
    mse_sim_pki_opts_default(&o, now_t);
    snprintf(pki_dir, sizeof pki_dir, "%s/pki", tmp);
    assert_int_equal(mse_sim_pki_init(pki_dir, &o, why, sizeof why), MSE_OK);
    assert_int_equal(mse_sim_pki_load(pki_dir, &pki), MSE_OK);
    unsigned char *der = NULL;
    int n = i2d_X509(pki.root, &der);
    root_der = malloc((size_t)n);
    memcpy(root_der, der, (size_t)n);
    root_len = (size_t)n;
    OPENSSL_free(der);
    return 0;
}

static int teardown(void **state)
{
    mse_sim_pki_free(&pki);
    free(root_der);
    mse_test_rmtree(tmp);
    free(tmp);
    return 0;
}

/*
 * Verifiers in two threads at once, one each, as <mse/verifier.h> allows, beside
 * the cold path in the same threads: every verdict is the good one. CI runs this
 * test under ThreadSanitizer too, where a race between them (in mse or in what
 * they share: the anchor's bytes, the collateral, OpenSSL) fails it.
 */
struct worker {
    const uint8_t *cert;
    size_t len;
    const struct mse_collateral *col;
    const struct mse_policy *policy;
    int warm_ok, cold_ok; /* counted here: cmocka's asserts belong to the main thread */
};

#define WORKER_ROUNDS 10

static void *verify_rounds(void *arg)
{
    struct worker *w = arg;
    struct mse_verifier *v = NULL;
    struct mse_verify_result r;
    struct mse_verify_input in = {.cert_der = w->cert, .cert_len = w->len, .collateral = w->col,
                                  .trust_root_der = root_der, .trust_root_len = root_len,
                                  .at = now_t};
    if (mse_verifier_new(root_der, root_len, &v) != MSE_OK)
        return NULL;
    for (int i = 0; i < WORKER_ROUNDS; i++) {
        if (mse_verifier_verify(v, &in, w->policy, &r) == MSE_OK && r.ok)
            w->warm_ok++;
        if (mse_verify(&in, w->policy, &r) == MSE_OK && r.ok)
            w->cold_ok++;
    }
    mse_verifier_free(v);
    return NULL;
}

static void test_verifiers_in_threads(void **state)
{
    struct evidence ev;
    load_collateral(&ev);
    struct mse_policy p = policy(); /* made once here: policy() fills static arrays */
    struct worker w[2] = {{0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        w[i].cert = make_cert(&w[i].len);
        w[i].col = &ev.col;
        w[i].policy = &p;
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(mse_thread_start(&th[i], verify_rounds, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(w[i].warm_ok, WORKER_ROUNDS);
        assert_int_equal(w[i].cold_ok, WORKER_ROUNDS);
        free((void *)w[i].cert);
    }
    free_collateral(&ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_quote_from_memory),
        cmocka_unit_test(test_other_bytes_not_reused),
        cmocka_unit_test(test_outside_window_not_reused),
        cmocka_unit_test(test_tampered_after_good),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_anchor_fixed),
        cmocka_unit_test(test_raw_quotes_from_memory),
        cmocka_unit_test(test_verifiers_in_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

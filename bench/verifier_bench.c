/*
 * bench/verifier: complete verifications per second on one core with a
 * reusable verifier (<mse/verifier.h>), next to the bare ECDSA-P256 rate.
 *
 * Quotes of one platform: a test PKI from the simulator and CERTS distinct
 * RA-TLS certificates (each its own key and quote, one QE report, as on a
 * real platform), verified in turn by one verifier with every check on
 * (MRSIGNER and MRENCLAVE included). Prints, from one run:
 *  - the bare rate: ECDSA-P256/SHA-256 verifications per second of a
 *    432-byte message with OpenSSL alone, key decoded beforehand;
 *  - warm quotes: mse_verifier_verify_quote per second on the CERTS raw
 *    quotes inside those certificates (target: >= 8,000/s; the per-quote
 *    floor is the quote signature, 1 ECDSA), and mse_verify_quote cold;
 *  - warm certificates: mse_verifier_verify per second, and what one costs
 *    in bare ECDSA verifications (the per-certificate floor is its
 *    self-signature and the quote signature, 2 ECDSA);
 *  - cold: mse_verify per second on the same certificates, for scale;
 *  - warm on the real evidence (Intel's collateral; one certificate, at
 *    an instant where all its collateral is valid).
 * Rates are per second of this thread's CPU time, measured interleaved.
 * Usage: verifier_bench [seconds-per-measure]. Never a test.
 *
 * verifier_bench --count N runs exactly N bare ECDSA verifications
 * (count_bare), N warm certificate verifications (count_warm) and N warm
 * raw quote verifications (count_warm_quote) and prints no rates:
 * for instruction counts, which hold on a noisy machine, e.g.
 *   valgrind --tool=callgrind --toggle-collect=count_warm verifier_bench --count 200
 * (and the same with count_bare, count_warm_quote); divide the total by N.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mse/mse.h>

#include "sim/sim.h"
#include "util/util.h"

#define CERTS 64
#define SLICES 10
#define MRE_BYTE 0xab

static double now_s(void)
{
    struct timespec ts;
    /* CPU time of this thread: what other processes on a loaded machine take is not counted. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "verifier_bench: %s\n", what);
    exit(1);
}

/* Work done and time spent, summed over slices. */
struct tally {
    long n;
    double s;
};

/* A signed message and its key, for the bare rate. */
struct bare {
    EVP_PKEY *key;
    uint8_t msg[432];
    unsigned char sig[80];
    size_t sig_len;
};

static void bare_init(struct bare *b)
{
    b->key = EVP_EC_gen("P-256");
    b->sig_len = sizeof b->sig;
    memset(b->msg, 0x5a, sizeof b->msg);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!b->key || !md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, b->key) != 1 ||
        EVP_DigestSign(md, b->sig, &b->sig_len, b->msg, sizeof b->msg) != 1)
        die("cannot sign");
    EVP_MD_CTX_free(md);
}

/* n bare ECDSA-P256/SHA-256 verifications, key decoded beforehand. */
static void bare_verify(const struct bare *b, long n)
{
    for (long i = 0; i < n; i++) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, b->key) != 1 ||
            EVP_DigestVerify(md, b->sig, b->sig_len, b->msg, sizeof b->msg) != 1)
            die("bare verification failed");
        EVP_MD_CTX_free(md);
    }
}

/* Bare verifications for about `seconds`, added to *out. */
static void bare_rate(const struct bare *b, double seconds, struct tally *out)
{
    long n = 0;
    double start = now_s(), end = start + seconds, t = start;
    while (t < end) {
        bare_verify(b, 64);
        n += 64;
        t = now_s();
    }
    out->n += n;
    out->s += t - start;
}

/* A certificate's DER, or a raw quote's bytes (quotes_of). */
struct cert {
    uint8_t *der;
    size_t len;
};

static void make_cert(const char *pki_dir, int64_t now, struct cert *c)
{
    struct mse_sim_enclave e = {0};
    memset(e.mrenclave, MRE_BYTE, 32);
    struct mse_quote_provider qp;
    if (mse_sim_quote_provider(pki_dir, &e, &qp) != MSE_OK)
        die("no quote provider");
    struct mse_ratls_params p = {.subject = "CN=localhost", .san = "localhost",
                                 .not_before = now - 3600, .not_after = now + 86400};
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    if (mse_ratls_cert_create(&qp, &p, &key, &x) != MSE_OK)
        die("cannot make a certificate");
    mse_quote_provider_close(&qp);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0)
        die("cannot encode a certificate");
    c->der = malloc((size_t)n);
    memcpy(c->der, der, (size_t)n);
    c->len = (size_t)n;
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);
}

typedef mse_err (*verify_fn)(void *ctx, const struct mse_verify_input *in,
                             const struct mse_policy *p, struct mse_verify_result *r);

static mse_err cold(void *ctx, const struct mse_verify_input *in, const struct mse_policy *p,
                    struct mse_verify_result *r)
{
    (void)ctx;
    return mse_verify(in, p, r);
}

static mse_err warm(void *ctx, const struct mse_verify_input *in, const struct mse_policy *p,
                    struct mse_verify_result *r)
{
    return mse_verifier_verify(ctx, in, p, r);
}

/* rate() hands every item over in in->cert_der; for these two it is a raw quote. */
static struct mse_verify_quote_input as_quote(const struct mse_verify_input *in)
{
    return (struct mse_verify_quote_input){.quote = in->cert_der, .quote_len = in->cert_len,
                                           .collateral = in->collateral,
                                           .trust_root_der = in->trust_root_der,
                                           .trust_root_len = in->trust_root_len, .at = in->at};
}

static mse_err cold_quote(void *ctx, const struct mse_verify_input *in,
                          const struct mse_policy *p, struct mse_verify_result *r)
{
    (void)ctx;
    struct mse_verify_quote_input q = as_quote(in);
    return mse_verify_quote(&q, p, r);
}

static mse_err warm_quote(void *ctx, const struct mse_verify_input *in,
                          const struct mse_policy *p, struct mse_verify_result *r)
{
    struct mse_verify_quote_input q = as_quote(in);
    return mse_verifier_verify_quote(ctx, &q, p, r);
}

/* The raw quote inside each certificate (copies). */
static void quotes_of(const struct cert *certs, struct cert *quotes, size_t n)
{
    static uint8_t buf[MSE_RATLS_BUF_SIZE];
    for (size_t i = 0; i < n; i++) {
        struct mse_ratls r;
        if (mse_ratls_extract(certs[i].der, certs[i].len, buf, sizeof buf, &r) != MSE_OK)
            die("no quote in a certificate");
        quotes[i].der = malloc(r.quote_len);
        if (quotes[i].der == NULL)
            die("out of memory");
        memcpy(quotes[i].der, r.quote, r.quote_len);
        quotes[i].len = r.quote_len;
    }
}

/* Complete verifications for about `seconds`, cycling through the certificates, added to *out. */
static void rate(verify_fn fn, void *ctx, const struct cert *certs, size_t n,
                 struct mse_verify_input in, const struct mse_policy *pol, double seconds,
                 struct tally *out)
{
    static struct mse_verify_result r;
    long done = out->n;
    double start = now_s(), end = start + seconds, t = start;
    while (t < end) {
        for (int i = 0; i < 16; i++) {
            in.cert_der = certs[done % (long)n].der;
            in.cert_len = certs[done % (long)n].len;
            if (fn(ctx, &in, pol, &r) != MSE_OK || !r.ok) {
                fprintf(stderr, "verifier_bench: refused: %s\n", r.message);
                exit(1);
            }
            done++;
        }
        t = now_s();
    }
    out->n = done;
    out->s += t - start;
}

/* --count: exactly n of each, in functions of their own for callgrind's --toggle-collect. */
__attribute__((noinline)) static void count_bare(const struct bare *b, long n)
{
    bare_verify(b, n);
}

__attribute__((noinline)) static void count_warm(struct mse_verifier *v, const struct cert *certs,
                                                 size_t n_certs, struct mse_verify_input in,
                                                 const struct mse_policy *pol, long n)
{
    static struct mse_verify_result r;
    for (long i = 0; i < n; i++) {
        in.cert_der = certs[i % (long)n_certs].der;
        in.cert_len = certs[i % (long)n_certs].len;
        if (mse_verifier_verify(v, &in, pol, &r) != MSE_OK || !r.ok)
            die("refused");
    }
}

__attribute__((noinline)) static void count_warm_quote(struct mse_verifier *v,
                                                       const struct cert *quotes, size_t n_quotes,
                                                       struct mse_verify_input in,
                                                       const struct mse_policy *pol, long n)
{
    static struct mse_verify_result r;
    for (long i = 0; i < n; i++) {
        in.cert_der = quotes[i % (long)n_quotes].der;
        in.cert_len = quotes[i % (long)n_quotes].len;
        if (warm_quote(v, &in, pol, &r) != MSE_OK || !r.ok)
            die("refused");
    }
}

static double per_second(const struct tally *t)
{
    return t->s > 0 ? (double)t->n / t->s : 0;
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    uint8_t *d = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (mse_file_read(path, 1u << 22, &d, len) != MSE_OK)
        die(path);
    return d;
}

int main(int argc, char **argv)
{
    long count = argc > 2 && strcmp(argv[1], "--count") == 0 ? atol(argv[2]) : 0;
    double seconds = argc > 1 && count == 0 ? atof(argv[1]) : 2.0;
    if (seconds <= 0)
        seconds = 2.0;
    int64_t now = mse_time_now();
    char dir[] = "/tmp/mse-verifier-bench-XXXXXX";
    if (mkdtemp(dir) == NULL)
        die("no temporary directory");
    char pki_dir[sizeof dir + 8], why[256];
    snprintf(pki_dir, sizeof pki_dir, "%s/pki", dir);
    struct mse_sim_pki_opts o;
    struct mse_sim_pki pki;
    mse_sim_pki_opts_default(&o, now);
    if (mse_sim_pki_init(pki_dir, &o, why, sizeof why) != MSE_OK ||
        mse_sim_pki_load(pki_dir, &pki) != MSE_OK)
        die(why);

    static struct cert certs[CERTS], quotes[CERTS];
    for (size_t i = 0; i < CERTS; i++)
        make_cert(pki_dir, now, &certs[i]);
    quotes_of(certs, quotes, CERTS);
    static const char *names[7] = {"root-ca-crl.der", "pck-crl.der",
                                   "pccs/pckcrl-processor-chain.pem", "tcb-info.json",
                                   "pccs/tcb-chain.pem", "qe-identity.json", "pccs/tcb-chain.pem"};
    uint8_t *items[7];
    size_t lens[7];
    for (int i = 0; i < 7; i++)
        items[i] = slurp(pki_dir, names[i], &lens[i]);
    struct mse_collateral col = {
        {items[0], lens[0]}, {items[1], lens[1]}, {items[2], lens[2]}, {items[3], lens[3]},
        {items[4], lens[4]}, {items[5], lens[5]}, {items[6], lens[6]},
    };
    unsigned char *root_der = NULL;
    int root_len = i2d_X509(pki.root, &root_der);
    if (root_len <= 0)
        die("cannot encode the test root");

    static uint8_t signer[1][32], mrenclave[32];
    struct mse_policy pol;
    mse_policy_init(&pol);
    memcpy(signer[0], pki.signer_mrsigner, 32);
    memset(mrenclave, MRE_BYTE, 32);
    pol.mrsigners = (const uint8_t(*)[32])signer;
    pol.mrsigner_count = 1;
    pol.mrenclave = mrenclave;
    struct mse_verify_input in = {.collateral = &col, .trust_root_der = root_der,
                                  .trust_root_len = (size_t)root_len, .at = now};

    struct mse_verifier *v = NULL;
    if (mse_verifier_new(root_der, (size_t)root_len, &v) != MSE_OK)
        die("cannot make a verifier");

    /*
     * Interleaved in SLICES slices, so the three rates see the same load on a
     * noisy machine. The warm rate counts from the second verification on:
     * the first one fills the memory (that is the cold rate's business).
     */
    struct bare b;
    bare_init(&b);
    struct tally tb = {0}, tw = {0}, tc = {0}, tqw = {0}, tqc = {0};
    static struct mse_verify_result first;
    in.cert_der = certs[CERTS - 1].der;
    in.cert_len = certs[CERTS - 1].len;
    if (mse_verifier_verify(v, &in, &pol, &first) != MSE_OK || !first.ok)
        die("the first verification was refused");
    if (count > 0) {
        count_bare(&b, count);
        count_warm(v, certs, CERTS, in, &pol, count);
        count_warm_quote(v, quotes, CERTS, in, &pol, count);
        printf("ran %ld bare ECDSA verifications (count_bare), %ld warm certificate"
               " verifications (count_warm) and %ld warm raw quote verifications"
               " (count_warm_quote)\n", count, count, count);
        goto out;
    }
    for (int i = 0; i < SLICES; i++) {
        bare_rate(&b, seconds / SLICES, &tb);
        rate(warm, v, certs, CERTS, in, &pol, seconds / SLICES, &tw);
        rate(cold, NULL, certs, CERTS, in, &pol, seconds / SLICES, &tc);
        rate(warm_quote, v, quotes, CERTS, in, &pol, seconds / SLICES, &tqw);
        rate(cold_quote, NULL, quotes, CERTS, in, &pol, seconds / SLICES, &tqc);
    }
    double bare = per_second(&tb), w = per_second(&tw), c = per_second(&tc);
    double qw = per_second(&tqw), qc = per_second(&tqc);
    struct mse_verifier_stats st;
    mse_verifier_stats(v, &st);
    if (st.hits + 1 < st.verifications)
        die("the verifier's memory did not answer");

    printf("bare ECDSA-P256 verify (OpenSSL alone):   %9.0f /s\n", bare);
    printf("warm mse_verifier_verify_quote, %d raw quotes of one platform: %7.0f /s"
           "  (target >= 8000)  = %.2f bare ECDSA each\n",
           CERTS, qw, bare / qw);
    printf("floor: 1 bare ECDSA per new quote (its signature): %.0f /s\n", bare);
    printf("cold mse_verify_quote, same quotes:       %9.0f /s  = %.2f bare ECDSA each\n", qc,
           bare / qc);
    printf("warm mse_verifier_verify, the %d RA-TLS certificates of those quotes: %7.0f /s"
           "  = %.2f bare ECDSA each\n",
           CERTS, w, bare / w);
    printf("floor: 2 bare ECDSA per new certificate (its self-signature, the quote's): %.0f /s\n",
           bare / 2);
    printf("cold mse_verify, same certificates:       %9.0f /s  = %.2f bare ECDSA each\n", c,
           bare / c);
    printf("warm / cold:                              %9.2f x\n", w / c);
    printf("verifier memory: %llu hits in %llu verifications, %zu platforms\n",
           (unsigned long long)st.hits, (unsigned long long)st.verifications, st.platforms);

    /* Real evidence: Intel's collateral, one certificate verified again and again. */
    char src[4096], path[4096];
    snprintf(src, sizeof src, "%s", __FILE__);
    snprintf(path, sizeof path, "%s/../tests/data/real/mse-home-evidence.json", dirname(src));
    uint8_t *json = NULL;
    size_t json_len = 0;
    static uint8_t buf[1 << 20];
    struct mse_evidence ev;
    if (mse_file_read(path, 1u << 24, &json, &json_len) == MSE_OK &&
        mse_evidence_parse(json, json_len, buf, sizeof buf, &ev) == MSE_OK) {
        struct mse_verifier *iv = NULL;
        struct mse_policy rp;
        mse_policy_init(&rp);
        rp.accepted_tcb = ~0u;
        struct cert real = {(uint8_t *)ev.ratls_cert.data, ev.ratls_cert.len};
        struct mse_verify_input rin = {.collateral = &ev.collateral, .at = 1687651200};
        /*
         * An instant at which every collateral item is valid, if there is one
         * (else nothing is remembered); the certificate itself may have
         * expired by then, tolerated like the bench of the cold path does.
         */
        static struct mse_verify_result r0;
        rin.cert_der = real.der;
        rin.cert_len = real.len;
        rp.allow_expired_collateral = true;
        int64_t nb = INT64_MIN, na = INT64_MAX;
        if (mse_verify(&rin, &rp, &r0) == MSE_OK)
            for (size_t i = 0; i < r0.validity_count; i++) {
                /* The certificate's own window is checked per verification, not remembered. */
                if (strcmp(r0.validity[i].name, "RA-TLS certificate") == 0)
                    continue;
                nb = r0.validity[i].not_before > nb ? r0.validity[i].not_before : nb;
                na = r0.validity[i].not_after < na ? r0.validity[i].not_after : na;
            }
        rin.at = nb;
        if (nb < na && mse_verifier_new(NULL, 0, &iv) == MSE_OK) {
            struct tally trw = {0}, trc = {0};
            for (int i = 0; i < SLICES; i++) {
                rate(warm, iv, &real, 1, rin, &rp, seconds / SLICES, &trw);
                rate(cold, NULL, &real, 1, rin, &rp, seconds / SLICES, &trc);
            }
            double rw = per_second(&trw), rc = per_second(&trc);
            printf("real evidence (Intel collateral), warm:   %9.0f /s  = %.2f bare ECDSA each;"
                   " cold %.0f /s = %.2f\n",
                   rw, bare / rw, rc, bare / rc);
            mse_verifier_free(iv);
        } else {
            printf("real evidence: no instant at which every item is valid; not measured\n");
        }
    }
    free(json);

out:
    EVP_PKEY_free(b.key);
    mse_verifier_free(v);
    OPENSSL_free(root_der);
    for (int i = 0; i < 7; i++)
        free(items[i]);
    for (size_t i = 0; i < CERTS; i++) {
        free(certs[i].der);
        free(quotes[i].der);
    }
    mse_sim_pki_free(&pki);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "verifier_bench: could not remove %s\n", dir);
    return 0;
}

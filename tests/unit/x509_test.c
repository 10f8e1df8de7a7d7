/*
 * PEM chains and PCK chain verification: the real quote chain (leaf,
 * Platform CA, Intel root) verifies against the built-in anchor; forged
 * roots, wrong issuers, broken signatures and CA-constraint violations each
 * give their own code.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/verify.h>

#include "dcap.h"
#include "testlib.h"

static X509 *builtin_anchor(void)
{
    size_t len;
    const uint8_t *der = mse_intel_root_ca_der(&len);
    X509 *a = NULL;
    assert_int_equal(mse_x509_from_der(der, len, &a), MSE_OK);
    return a;
}

static void load_real_chain(struct mse_certs *cs)
{
    size_t len;
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &len);
    /* The quote's certification data ends with a NUL byte; it must be accepted. */
    assert_int_equal(pem[len - 1], 0);
    assert_int_equal(mse_x509_pem_chain(pem, len, cs), MSE_OK);
    free(pem);
}

static void test_real_chain_verifies(void **state)
{
    struct mse_certs cs = {0};
    X509 *anchor = builtin_anchor();
    load_real_chain(&cs);
    assert_int_equal(cs.n, 3);
    assert_true(mse_x509_subject_cn_is(cs.c[0], "Intel SGX PCK Certificate"));
    assert_true(mse_x509_subject_cn_is(cs.c[1], "Intel SGX PCK Platform CA"));
    assert_true(mse_x509_subject_cn_is(cs.c[2], "Intel SGX Root CA"));
    assert_false(mse_x509_subject_cn_is(cs.c[2], "Intel SGX Root C"));
    assert_true(mse_x509_same(cs.c[2], anchor));
    assert_false(mse_x509_same(cs.c[1], anchor));
    /* 2023-06-25T00:00:00Z */
    assert_int_equal(mse_x509_chain_verify(cs.c[0], cs.c[1], anchor, 1687651200), MSE_OK);
    /* Validity is not enforced here (reported per item): far future still verifies. */
    assert_int_equal(mse_x509_chain_verify(cs.c[0], cs.c[1], anchor, 4102444800), MSE_OK);
    int64_t nb, na;
    assert_int_equal(mse_x509_validity(cs.c[0], &nb, &na), MSE_OK);
    assert_int_equal(nb, 1674120402); /* 2023-01-19T09:26:42Z */
    assert_int_equal(na, 1895045202); /* 2030-01-19T09:26:42Z */
    /* Leaf without its CA does not reach the anchor. */
    assert_int_equal(mse_x509_chain_verify(cs.c[0], NULL, anchor, 1687651200),
                     MSE_ERR_PCK_CHAIN_ISSUER);
    /* The CA as the leaf: a CA is not a PCK certificate. */
    assert_int_equal(mse_x509_chain_verify(cs.c[1], NULL, anchor, 1687651200),
                     MSE_ERR_PCK_CHAIN_CA);
    mse_certs_free(&cs);
    X509_free(anchor);
}

static void test_percent_encoded_chain(void **state)
{
    size_t len;
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &len);
    /* Encode as the PCS does in its issuer-chain headers. */
    char *enc = malloc(3 * len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len - 1; i++) {
        char c = (char)pem[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            enc[n++] = c;
        } else {
            static const char hx[] = "0123456789ABCDEF";
            enc[n++] = '%';
            enc[n++] = hx[(uint8_t)c >> 4];
            enc[n++] = hx[(uint8_t)c & 15];
        }
    }
    struct mse_certs a = {0}, b = {0};
    /* Quote certification data is never percent-decoded (as in Intel's QVL)... */
    assert_int_equal(mse_x509_pem_chain((uint8_t *)enc, n, &a), MSE_ERR_PEM);
    /* ...PCS issuer-chain headers are. */
    assert_int_equal(mse_x509_issuer_chain_partial((uint8_t *)enc, n, MSE_CERTS_MAX, &a), MSE_OK);
    assert_int_equal(mse_x509_pem_chain(pem, len, &b), MSE_OK);
    assert_int_equal(a.n, 3);
    for (int i = 0; i < 3; i++)
        assert_true(mse_x509_same(a.c[i], b.c[i]));
    /* A broken escape is refused. */
    mse_certs_free(&a);
    enc[n - 1] = '%';
    assert_int_equal(mse_x509_issuer_chain_partial((uint8_t *)enc, n, MSE_CERTS_MAX, &a),
                     MSE_ERR_PEM);
    mse_certs_free(&a);
    mse_certs_free(&b);
    free(enc);
    free(pem);
}

/* One escaped byte is enough: "%2D----BEGIN" is not a PEM block in certification data. */
static void test_one_escape_refused(void **state)
{
    size_t len;
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &len);
    char *enc = malloc(len + 3);
    memcpy(enc, "%2D", 3);
    memcpy(enc + 3, pem + 1, len - 1);
    struct mse_certs cs = {0};
    assert_int_equal(mse_x509_pem_chain((uint8_t *)enc, len + 2, &cs), MSE_ERR_PEM);
    assert_int_equal(mse_x509_pem_chain_partial((uint8_t *)enc, len + 2, 2, &cs), MSE_ERR_PEM);
    assert_int_equal(mse_x509_issuer_chain_partial((uint8_t *)enc, len + 2, 2, &cs), MSE_OK);
    mse_certs_free(&cs);
    free(enc);
    free(pem);
}

static void test_garbage_pem(void **state)
{
    struct mse_certs cs = {0};
    const char *bad[] = {
        "",
        "hello",
        "-----BEGIN CERTIFICATE-----\nAAAA\n",
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END CERTIFICATE-----\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mse_x509_pem_chain((const uint8_t *)bad[i], strlen(bad[i]), &cs),
                         MSE_ERR_PEM);
    /* Well-formed base64 that is not a certificate. */
    const char *notcert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_int_equal(mse_x509_pem_chain((const uint8_t *)notcert, strlen(notcert), &cs),
                     MSE_ERR_CERT_PARSE);

    /* Text hidden before or between blocks is refused, not skipped. */
    size_t len;
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &len);
    char *with = malloc(len + 16);
    memcpy(with, "x\n", 2);
    memcpy(with + 2, pem, len);
    assert_int_equal(mse_x509_pem_chain((uint8_t *)with, len + 2, &cs), MSE_ERR_PEM);
    free(with);
    free(pem);
}

static void test_der_trailing(void **state)
{
    EVP_PKEY *k = mse_test_key();
    X509 *c = mse_test_cert("x", k, NULL, NULL, 0, 4102444800, true, 1), *out = NULL;
    size_t len;
    uint8_t *der = mse_test_cert_der(c, &len);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, der, len);
    longer[len] = 0;
    assert_int_equal(mse_x509_from_der(longer, len + 1, &out), MSE_ERR_CERT_PARSE);
    assert_int_equal(mse_x509_from_der(der, len - 1, &out), MSE_ERR_CERT_PARSE);
    assert_int_equal(mse_x509_from_der(der, len, &out), MSE_OK);
    X509_free(out);
    free(longer);
    free(der);
    X509_free(c);
    EVP_PKEY_free(k);
}

/* A complete look-alike PKI using Intel's names. */
struct fake {
    EVP_PKEY *rk, *ck, *lk;
    X509 *root, *ca, *leaf;
};

static void fake_make(struct fake *f)
{
    f->rk = mse_test_key();
    f->ck = mse_test_key();
    f->lk = mse_test_key();
    f->root = mse_test_cert("Intel SGX Root CA", f->rk, NULL, NULL, 0, 4102444800, true, 1);
    f->ca =
        mse_test_cert("Intel SGX PCK Platform CA", f->ck, f->root, f->rk, 0, 4102444800, true, 2);
    f->leaf =
        mse_test_cert("Intel SGX PCK Certificate", f->lk, f->ca, f->ck, 0, 4102444800, false, 3);
}

static void fake_free(struct fake *f)
{
    X509_free(f->root);
    X509_free(f->ca);
    X509_free(f->leaf);
    EVP_PKEY_free(f->rk);
    EVP_PKEY_free(f->ck);
    EVP_PKEY_free(f->lk);
}

static void test_forged_root(void **state)
{
    struct fake f;
    X509 *anchor = builtin_anchor();
    fake_make(&f);
    /* Against its own root the look-alike chain is fine (the simulator's case)... */
    assert_int_equal(mse_x509_chain_verify(f.leaf, f.ca, f.root, 1687651200), MSE_OK);
    /* ...against the Intel anchor it is not, although every name matches. */
    assert_false(mse_x509_same(f.root, anchor));
    assert_int_equal(mse_x509_chain_verify(f.leaf, f.ca, anchor, 1687651200),
                     MSE_ERR_PCK_CHAIN_ISSUER);
    fake_free(&f);
    X509_free(anchor);
}

static void test_wrong_issuer_and_signature(void **state)
{
    struct fake f, g;
    fake_make(&f);
    fake_make(&g);
    /* Leaf of one CA presented with another CA (same names, other key): no issuer found. */
    assert_int_equal(mse_x509_chain_verify(f.leaf, g.ca, f.root, 1687651200),
                     MSE_ERR_PCK_CHAIN_ISSUER);
    /* A leaf issued by a differently named CA. */
    EVP_PKEY *k = mse_test_key();
    X509 *other =
        mse_test_cert("Intel SGX PCK Processor CA", k, f.root, f.rk, 0, 4102444800, true, 9);
    assert_int_equal(mse_x509_chain_verify(f.leaf, other, f.root, 1687651200),
                     MSE_ERR_PCK_CHAIN_ISSUER);
    /* One bit of the leaf's signature flipped. */
    size_t len;
    uint8_t *der = mse_test_cert_der(f.leaf, &len);
    der[len - 3] ^= 0x01;
    X509 *bad = NULL;
    assert_int_equal(mse_x509_from_der(der, len, &bad), MSE_OK);
    assert_int_equal(mse_x509_chain_verify(bad, f.ca, f.root, 1687651200),
                     MSE_ERR_PCK_CHAIN_SIGNATURE);
    X509_free(bad);
    free(der);
    X509_free(other);
    EVP_PKEY_free(k);
    fake_free(&f);
    fake_free(&g);
}

static void test_ca_constraints(void **state)
{
    struct fake f;
    fake_make(&f);
    /* An intermediate that is not a CA cannot issue the leaf. */
    EVP_PKEY *k = mse_test_key(), *lk = mse_test_key();
    X509 *notca =
        mse_test_cert("Intel SGX PCK Platform CA", k, f.root, f.rk, 0, 4102444800, false, 5);
    X509 *leaf = mse_test_cert("Intel SGX PCK Certificate", lk, notca, k, 0, 4102444800, false, 6);
    assert_int_equal(mse_x509_chain_verify(leaf, notca, f.root, 1687651200),
                     MSE_ERR_PCK_CHAIN_CA);
    /* A leaf that is a CA. */
    X509 *caleaf =
        mse_test_cert("Intel SGX PCK Certificate", lk, f.ca, f.ck, 0, 4102444800, true, 7);
    assert_int_equal(mse_x509_chain_verify(caleaf, f.ca, f.root, 1687651200),
                     MSE_ERR_PCK_CHAIN_CA);
    X509_free(notca);
    X509_free(leaf);
    X509_free(caleaf);
    EVP_PKEY_free(k);
    EVP_PKEY_free(lk);
    fake_free(&f);
}


/* Validity read from DER equals OpenSSL's, for UTCTime and GeneralizedTime (>= 2050). */
static void test_der_validity(void **state)
{
    struct mse_certs cs = {0};
    load_real_chain(&cs);
    for (size_t i = 0; i < cs.n; i++) {
        const uint8_t *der;
        size_t len;
        int64_t a, b, c, d;
        mse_certs_der(&cs, i, &der, &len);
        assert_int_equal(mse_x509_der_validity(der, len, &a, &b), MSE_OK);
        assert_int_equal(mse_x509_validity(cs.c[i], &c, &d), MSE_OK);
        assert_int_equal(a, c);
        assert_int_equal(b, d);
        /* Truncated anywhere: refused. */
        for (size_t n = 0; n < len; n += 37)
            assert_int_equal(mse_x509_der_validity(der, n, &a, &b), MSE_ERR_CERT_PARSE);
    }
    mse_certs_free(&cs);
    EVP_PKEY *k = mse_test_key();
    X509 *c =
        mse_test_cert("x", k, NULL, NULL, 946684800 /* 2000 */, 4102444800 /* 2100 */, true, 1);
    size_t len;
    uint8_t *der = mse_test_cert_der(c, &len);
    int64_t nb, na;
    assert_int_equal(mse_x509_der_validity(der, len, &nb, &na), MSE_OK);
    assert_int_equal(nb, 946684800);
    assert_int_equal(na, 4102444800);
    free(der);
    X509_free(c);
    EVP_PKEY_free(k);
    /* Partial decoding: only the first certificate is an X509, all have DER. */
    size_t plen;
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &plen);
    assert_int_equal(mse_x509_pem_chain_partial(pem, plen, 1, &cs), MSE_OK);
    assert_int_equal(cs.n, 3);
    assert_non_null(cs.c[0]);
    assert_null(cs.c[1]);
    assert_null(cs.c[2]);
    const uint8_t *root;
    size_t root_len, anchor_len;
    mse_certs_der(&cs, 2, &root, &root_len);
    const uint8_t *anchor = mse_intel_root_ca_der(&anchor_len);
    assert_int_equal(root_len, anchor_len);
    assert_memory_equal(root, anchor, anchor_len);
    mse_certs_free(&cs);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_chain_verifies),
        cmocka_unit_test(test_percent_encoded_chain),
        cmocka_unit_test(test_one_escape_refused),
        cmocka_unit_test(test_garbage_pem),
        cmocka_unit_test(test_der_trailing),
        cmocka_unit_test(test_forged_root),
        cmocka_unit_test(test_wrong_issuer_and_signature),
        cmocka_unit_test(test_ca_constraints),
        cmocka_unit_test(test_der_validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

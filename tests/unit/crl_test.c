/*
 * CRLs: the real Intel Root CA and PCK Platform CA CRLs in every encoding
 * the PCS/PCCS and bundles use, their issuers, dates and revocation
 * lookups; CRLs by the wrong signer or of the wrong issuer are refused.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/verify.h>

#include "dcap.h"
#include "testlib.h"

struct real {
    uint8_t *json, *buf;
    struct mse_evidence ev;
    struct mse_certs chain;
    X509 *anchor;
};

static void real_load(struct real *r)
{
    size_t len, alen;
    r->json = mse_test_data("real/mse-home-evidence.json", &len);
    r->buf = malloc(1 << 20);
    assert_int_equal(mse_evidence_parse(r->json, len, r->buf, 1 << 20, &r->ev), MSE_OK);
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &alen);
    assert_int_equal(mse_x509_pem_chain(pem, alen, &r->chain), MSE_OK);
    free(pem);
    const uint8_t *a = mse_intel_root_ca_der(&alen);
    assert_int_equal(mse_x509_from_der(a, alen, &r->anchor), MSE_OK);
}

static void real_free(struct real *r)
{
    mse_certs_free(&r->chain);
    X509_free(r->anchor);
    free(r->json);
    free(r->buf);
}

static void test_real_crls(void **state)
{
    struct real r;
    X509_CRL *root = NULL, *pck = NULL;
    int64_t tu, nu;
    real_load(&r);
    assert_int_equal(mse_crl_load(r.ev.collateral.root_ca_crl.data, r.ev.collateral.root_ca_crl.len,
                                  &root),
                     MSE_OK);
    assert_int_equal(mse_crl_load(r.ev.collateral.pck_crl.data, r.ev.collateral.pck_crl.len, &pck),
                     MSE_OK);
    assert_int_equal(mse_crl_check_issuer(root, r.anchor), MSE_OK);
    assert_int_equal(mse_crl_check_issuer(pck, r.chain.c[1]), MSE_OK);
    /* Swapped issuers. */
    assert_int_equal(mse_crl_check_issuer(root, r.chain.c[1]), MSE_ERR_CRL_ISSUER);
    assert_int_equal(mse_crl_check_issuer(pck, r.anchor), MSE_ERR_CRL_ISSUER);
    assert_int_equal(mse_crl_validity(pck, &tu, &nu), MSE_OK);
    assert_int_equal(tu, 1684281341); /* 2023-05-16T23:55:41Z */
    assert_int_equal(nu, 1686873341); /* 2023-06-15T23:55:41Z */
    assert_int_equal(mse_crl_validity(root, &tu, &nu), MSE_OK);
    assert_int_equal(tu, 1680517371); /* 2023-04-03T10:22:51Z */
    assert_int_equal(nu, 1712053371); /* 2024-04-02T10:22:51Z */
    /* The genuine PCK and PCK CA are not revoked. */
    assert_false(mse_crl_lists(pck, r.chain.c[0]));
    assert_false(mse_crl_lists(root, r.chain.c[1]));
    X509_CRL_free(root);
    X509_CRL_free(pck);
    real_free(&r);
}

static void test_encodings(void **state)
{
    struct real r;
    X509_CRL *crl = NULL, *again = NULL;
    real_load(&r);
    assert_int_equal(mse_crl_load(r.ev.collateral.pck_crl.data, r.ev.collateral.pck_crl.len, &crl),
                     MSE_OK);
    size_t der_len;
    uint8_t *der = mse_test_crl_der(crl, &der_len);
    /* Raw DER (PCS). */
    assert_int_equal(mse_crl_load(der, der_len, &again), MSE_OK);
    assert_int_equal(X509_CRL_cmp(crl, again), 0);
    X509_CRL_free(again);
    /* Lowercase hex of the DER, with a trailing newline (PCCS default). */
    char *hex = malloc(2 * der_len + 2);
    mse_hex_encode(der, der_len, hex);
    hex[2 * der_len] = '\n';
    assert_int_equal(mse_crl_load((uint8_t *)hex, 2 * der_len + 1, &again), MSE_OK);
    assert_int_equal(mse_crl_check_issuer(again, r.chain.c[1]), MSE_OK);
    X509_CRL_free(again);
    /* Odd hex, trailing DER bytes, truncated DER, garbage. */
    assert_int_equal(mse_crl_load((uint8_t *)hex, 2 * der_len - 1, &again), MSE_ERR_CRL_FORMAT);
    uint8_t *longer = malloc(der_len + 1);
    memcpy(longer, der, der_len);
    longer[der_len] = 0;
    assert_int_equal(mse_crl_load(longer, der_len + 1, &again), MSE_ERR_CRL_FORMAT);
    assert_int_equal(mse_crl_load(der, der_len - 1, &again), MSE_ERR_CRL_FORMAT);
    assert_int_equal(mse_crl_load((const uint8_t *)"garbage!", 8, &again), MSE_ERR_CRL_FORMAT);
    /* Two PEM CRLs in one item. */
    char *pem = mse_test_crl_pem(crl);
    size_t pl = strlen(pem);
    char *two = malloc(2 * pl + 1);
    memcpy(two, pem, pl);
    memcpy(two + pl, pem, pl + 1);
    assert_int_equal(mse_crl_load((uint8_t *)two, 2 * pl, &again), MSE_ERR_CRL_FORMAT);
    assert_int_equal(mse_crl_load((uint8_t *)pem, pl, &again), MSE_OK);
    X509_CRL_free(again);
    free(two);
    free(pem);
    free(longer);
    free(hex);
    free(der);
    X509_CRL_free(crl);
    real_free(&r);
}

static void test_wrong_signer_and_revocation(void **state)
{
    struct real r;
    real_load(&r);
    EVP_PKEY *k = mse_test_key();
    /* A CRL naming the real PCK CA as issuer but signed by another key: it must not count. */
    long serial = 42;
    X509_CRL *forged = mse_test_crl(r.chain.c[1], k, 1684281341, 1686873341, &serial, 1);
    assert_int_equal(mse_crl_check_issuer(forged, r.chain.c[1]), MSE_ERR_CRL_SIGNATURE);

    /* A test CA revoking serial 42 but not 43. */
    EVP_PKEY *lk = mse_test_key();
    X509 *ca = mse_test_cert("Intel SGX PCK Platform CA", k, NULL, NULL, 0, 4102444800, true, 1);
    X509 *l42 = mse_test_cert("Intel SGX PCK Certificate", lk, ca, k, 0, 4102444800, false, 42);
    X509 *l43 = mse_test_cert("Intel SGX PCK Certificate", lk, ca, k, 0, 4102444800, false, 43);
    X509_CRL *crl = mse_test_crl(ca, k, 1000, 2000, &serial, 1);
    assert_int_equal(mse_crl_check_issuer(crl, ca), MSE_OK);
    assert_true(mse_crl_lists(crl, l42));
    assert_false(mse_crl_lists(crl, l43));
    int64_t tu, nu;
    assert_int_equal(mse_crl_validity(crl, &tu, &nu), MSE_OK);
    assert_int_equal(tu, 1000);
    assert_int_equal(nu, 2000);
    X509_CRL_free(crl);
    X509_CRL_free(forged);
    X509_free(ca);
    X509_free(l42);
    X509_free(l43);
    EVP_PKEY_free(k);
    EVP_PKEY_free(lk);
    real_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_crls),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_wrong_signer_and_revocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

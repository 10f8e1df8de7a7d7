/*
 * The PCK SGX extension: real leaves from both Intel PCK CAs parse to the
 * values openssl asn1parse shows; every truncation and a set of DER
 * mutations of the real extension are refused with MSE_ERR_PCK_EXT_FORMAT.
 */
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>

#include "dcap.h"
#include "testlib.h"

static X509 *load_leaf(const char *name)
{
    size_t len;
    uint8_t *pem = mse_test_data(name, &len);
    struct mse_certs cs = {0};
    assert_int_equal(mse_x509_pem_chain(pem, len, &cs), MSE_OK);
    free(pem);
    X509 *leaf = cs.c[0];
    cs.c[0] = NULL;
    mse_certs_free(&cs);
    return leaf;
}

static void hex_is(const uint8_t *b, size_t n, const char *want)
{
    char h[129];
    mse_hex_encode(b, n, h);
    assert_string_equal(h, want);
}

static void test_platform_leaf(void **state)
{
    struct mse_pck_ext e;
    X509 *leaf = load_leaf("real/pck-leaf-from-platform-ca.pem");
    assert_int_equal(mse_pck_ext_from_cert(leaf, &e), MSE_OK);
    hex_is(e.ppid, 16, "d23804c16b628d9159831d2f37c07367");
    hex_is(e.comp_svn, 16, "04040303ffff00000000000000000000");
    hex_is(e.cpusvn, 16, "04040303ffff00000000000000000000");
    assert_int_equal(e.pcesvn, 11);
    hex_is(e.pce_id, 2, "0000");
    hex_is(e.fmspc, 6, "30606a000000");
    assert_int_equal(e.sgx_type, MSE_SGX_TYPE_SCALABLE);
    assert_true(e.have_platform_instance_id);
    hex_is(e.platform_instance_id, 16, "4e7f3e1b4c174ac2369869d1018d8171");
    X509_free(leaf);
}

static void test_processor_leaf(void **state)
{
    struct mse_pck_ext e;
    X509 *leaf = load_leaf("real/pck-leaf-from-processor-ca.pem");
    assert_int_equal(mse_pck_ext_from_cert(leaf, &e), MSE_OK);
    hex_is(e.comp_svn, 16, "1515020401800e000000000000000000");
    hex_is(e.cpusvn, 16, "1515020401800e000000000000000000");
    assert_int_equal(e.pcesvn, 13);
    hex_is(e.fmspc, 6, "00906ed50000");
    assert_int_equal(e.sgx_type, MSE_SGX_TYPE_STANDARD);
    assert_false(e.have_platform_instance_id);
    X509_free(leaf);
}

static uint8_t *ext_bytes(X509 *leaf, size_t *len)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = X509_get_ext_by_OBJ(leaf, oid, -1);
    ASN1_OBJECT_free(oid);
    assert_true(idx >= 0);
    const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
    *len = (size_t)ASN1_STRING_length(v);
    uint8_t *out = malloc(*len);
    memcpy(out, ASN1_STRING_get0_data(v), *len);
    return out;
}

static void test_truncation_and_mutation(void **state)
{
    struct mse_pck_ext e;
    size_t len;
    X509 *leaf = load_leaf("real/pck-leaf-from-processor-ca.pem");
    uint8_t *der = ext_bytes(leaf, &len);
    assert_int_equal(mse_pck_ext_parse(der, len, &e), MSE_OK);
    /* Every truncation. */
    for (size_t n = 0; n < len; n++)
        assert_int_equal(mse_pck_ext_parse(der, n, &e), MSE_ERR_PCK_EXT_FORMAT);
    /* Trailing byte. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, der, len);
    longer[len] = 0;
    assert_int_equal(mse_pck_ext_parse(longer, len + 1, &e), MSE_ERR_PCK_EXT_FORMAT);
    /*
     * Flip each byte: the result must either be refused or still parse (a
     * changed value inside an OCTET STRING); never crash. Structural bytes
     * (tags, lengths, OIDs) must be refused: count that most flips are.
     */
    size_t refused = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(longer, der, len);
        longer[i] ^= 0x80;
        if (mse_pck_ext_parse(longer, len, &e) != MSE_OK)
            refused++;
    }
    assert_true(refused > len / 2);
    /* The outer SEQUENCE tag changed. */
    memcpy(longer, der, len);
    longer[0] = 0x31;
    assert_int_equal(mse_pck_ext_parse(longer, len, &e), MSE_ERR_PCK_EXT_FORMAT);
    free(longer);
    free(der);
    X509_free(leaf);
}

/* Handmade extensions: duplicates, missing entries and bad integers. */
static void test_handmade(void **state)
{
    struct mse_pck_ext e;
    /* SEQUENCE { SEQUENCE { OID .1, OCTET STRING(16) } } only: mandatory entries missing. */
    static const uint8_t ppid_only[] = {0x30, 0x1f, 0x30, 0x1d, 0x06, 0x0a, 0x2a, 0x86, 0x48,
                                        0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x01, 0x04, 0x0f,
                                        1,    2,    3,    4,    5,    6,    7,    8,    9,
                                        10,   11,   12,   13,   14,   15};
    assert_int_equal(mse_pck_ext_parse(ppid_only, sizeof ppid_only, &e), MSE_ERR_PCK_EXT_FORMAT);
    /* Long-form length used for a short value is not DER. */
    static const uint8_t nonminimal[] = {0x30, 0x81, 0x00};
    assert_int_equal(mse_pck_ext_parse(nonminimal, sizeof nonminimal, &e), MSE_ERR_PCK_EXT_FORMAT);
    static const uint8_t empty[] = {0x30, 0x00};
    assert_int_equal(mse_pck_ext_parse(empty, sizeof empty, &e), MSE_ERR_PCK_EXT_FORMAT);
}

static void test_missing_extension(void **state)
{
    struct mse_pck_ext e;
    size_t len;
    uint8_t *pem = mse_test_data("real/intel-sgx-root-ca.pem", &len);
    struct mse_certs cs = {0};
    assert_int_equal(mse_x509_pem_chain(pem, len, &cs), MSE_OK);
    assert_int_equal(mse_pck_ext_from_cert(cs.c[0], &e), MSE_ERR_PCK_EXT_FORMAT);
    mse_certs_free(&cs);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_platform_leaf),
        cmocka_unit_test(test_processor_leaf),
        cmocka_unit_test(test_truncation_and_mutation),
        cmocka_unit_test(test_handmade),
        cmocka_unit_test(test_missing_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * A second, independent reading of the SGX quote v3 layout (Intel SGX ECDSA
 * Quote Library API, appendix A.4; report body: Intel SDM vol. 3D 34.18.1),
 * written only here: every field is read at its fixed offset from the
 * table below, without struct mse_rd, and compared with mse_quote_parse()
 * field by field on the real quotes. Two readings of one spec agree, or one
 * of them is wrong.
 *
 * The offsets are also confirmed by the cryptography they carry, with
 * OpenSSL and nothing from libmse: the quote signature (offset 436) verifies
 * over bytes 0..431 with the attestation key (offset 500), and the QE
 * report's REPORTDATA[0:32] is SHA-256(attestation key || QE auth data).
 *
 * Then the same on quotes from the simulator (src/sim/sim.h), which writes
 * the layout with its own code: three independent readings must agree, and
 * the values the simulator was asked for must sit at Intel's offsets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <mse/bytes.h>
#include <mse/quote.h>

#include "sim/sim.h"
#include "testlib.h"

/* Quote v3: header. */
#define L_VERSION 0
#define L_ATT_KEY_TYPE 2
#define L_TEE_TYPE 4
#define L_QE_SVN 8
#define L_PCE_SVN 10
#define L_QE_VENDOR_ID 12
#define L_USER_DATA 28
#define L_BODY 48
/* Report body, relative to its start (384 bytes). */
#define R_CPU_SVN 0
#define R_MISC_SELECT 16
#define R_ISV_EXT_PROD_ID 32
#define R_ATTR_FLAGS 48
#define R_ATTR_XFRM 56
#define R_MR_ENCLAVE 64
#define R_MR_SIGNER 128
#define R_CONFIG_ID 192
#define R_ISV_PROD_ID 256
#define R_ISV_SVN 258
#define R_CONFIG_SVN 260
#define R_ISV_FAMILY_ID 304
#define R_REPORT_DATA 320
#define R_SIZE 384
/* Signature data. */
#define L_SIG_DATA_LEN 432
#define L_QUOTE_SIG 436
#define L_ATT_KEY 500
#define L_QE_REPORT 564
#define L_QE_REPORT_SIG 948
#define L_QE_AUTH_LEN 1012
#define L_QE_AUTH 1014

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

/* The report body at raw, compared with what the parser made of it. */
static void compare_body(const uint8_t *raw, const struct mse_report_body *b)
{
    assert_ptr_equal(b->raw, raw);
    assert_memory_equal(b->cpu_svn, raw + R_CPU_SVN, 16);
    assert_int_equal(b->misc_select, le32(raw + R_MISC_SELECT));
    assert_memory_equal(b->isv_ext_prod_id, raw + R_ISV_EXT_PROD_ID, 16);
    assert_true(b->attributes_flags == le64(raw + R_ATTR_FLAGS));
    assert_true(b->attributes_xfrm == le64(raw + R_ATTR_XFRM));
    assert_memory_equal(b->mr_enclave, raw + R_MR_ENCLAVE, 32);
    assert_memory_equal(b->mr_signer, raw + R_MR_SIGNER, 32);
    assert_memory_equal(b->config_id, raw + R_CONFIG_ID, 64);
    assert_int_equal(b->isv_prod_id, le16(raw + R_ISV_PROD_ID));
    assert_int_equal(b->isv_svn, le16(raw + R_ISV_SVN));
    assert_int_equal(b->config_svn, le16(raw + R_CONFIG_SVN));
    assert_memory_equal(b->isv_family_id, raw + R_ISV_FAMILY_ID, 16);
    assert_memory_equal(b->report_data, raw + R_REPORT_DATA, 64);
}

/* Everything mse_quote_parse exposes, against the fixed offsets. */
static void compare_quote(const uint8_t *buf, size_t len)
{
    struct mse_quote q;
    assert_int_equal(mse_quote_parse(buf, len, &q), MSE_OK);
    assert_int_equal(q.version, le16(buf + L_VERSION));
    assert_int_equal(q.att_key_type, le16(buf + L_ATT_KEY_TYPE));
    assert_int_equal(q.tee_type, le32(buf + L_TEE_TYPE));
    assert_int_equal(q.qe_svn, le16(buf + L_QE_SVN));
    assert_int_equal(q.pce_svn, le16(buf + L_PCE_SVN));
    assert_memory_equal(q.qe_vendor_id, buf + L_QE_VENDOR_ID, 16);
    assert_memory_equal(q.user_data, buf + L_USER_DATA, 20);
    compare_body(buf + L_BODY, &q.body);
    assert_ptr_equal(q.signed_data, buf);
    assert_int_equal(q.signed_len, L_SIG_DATA_LEN);

    assert_int_equal(le32(buf + L_SIG_DATA_LEN), len - L_QUOTE_SIG);
    assert_memory_equal(q.quote_signature, buf + L_QUOTE_SIG, 64);
    assert_memory_equal(q.att_public_key, buf + L_ATT_KEY, 64);
    compare_body(buf + L_QE_REPORT, &q.qe_report);
    assert_memory_equal(q.qe_report_signature, buf + L_QE_REPORT_SIG, 64);
    size_t auth_len = le16(buf + L_QE_AUTH_LEN);
    assert_int_equal(q.qe_auth_len, auth_len);
    assert_ptr_equal(q.qe_auth_data, buf + L_QE_AUTH);
    size_t off_type = L_QE_AUTH + auth_len;
    assert_int_equal(q.cert_data_type, le16(buf + off_type));
    assert_int_equal(q.cert_data_len, le32(buf + off_type + 2));
    assert_ptr_equal(q.cert_data, buf + off_type + 6);
    assert_int_equal(off_type + 6 + q.cert_data_len, len);
    assert_int_equal(q.total_len, len);
}

/* P-256 key from the quote's 64-byte x||y. */
static EVP_PKEY *att_key(const uint8_t xy[64])
{
    uint8_t point[65];
    point[0] = 0x04;
    memcpy(point + 1, xy, 64);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                                     "prime256v1", 0), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                      sizeof point), 1);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

/* ECDSA-P256-SHA256 verification of a raw r||s signature. */
static int ecdsa_ok(EVP_PKEY *key, const uint8_t *msg, size_t n, const uint8_t rs[64])
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    assert_int_equal(ECDSA_SIG_set0(sig, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL)), 1);
    unsigned char *der = NULL;
    int dlen = i2d_ECDSA_SIG(sig, &der);
    assert_true(dlen > 0);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
    int ok = EVP_DigestVerify(md, der, (size_t)dlen, msg, n);
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    return ok;
}

/* The signatures and the QE hash sit where the table says: they check out. */
static void confirm_offsets_by_crypto(const uint8_t *buf, size_t len)
{
    EVP_PKEY *key = att_key(buf + L_ATT_KEY);
    assert_int_equal(ecdsa_ok(key, buf, L_SIG_DATA_LEN, buf + L_QUOTE_SIG), 1);
    /* One bit off in the signed region and it does not. */
    uint8_t *copy = malloc(L_SIG_DATA_LEN);
    memcpy(copy, buf, L_SIG_DATA_LEN);
    copy[L_BODY + R_MR_ENCLAVE] ^= 1;
    assert_int_not_equal(ecdsa_ok(key, copy, L_SIG_DATA_LEN, buf + L_QUOTE_SIG), 1);
    free(copy);
    EVP_PKEY_free(key);

    size_t auth_len = le16(buf + L_QE_AUTH_LEN);
    uint8_t *hashed = malloc(64 + auth_len);
    memcpy(hashed, buf + L_ATT_KEY, 64);
    memcpy(hashed + 64, buf + L_QE_AUTH, auth_len);
    uint8_t h[32];
    assert_int_equal(EVP_Digest(hashed, 64 + auth_len, h, NULL, EVP_sha256(), NULL), 1);
    assert_memory_equal(h, buf + L_QE_REPORT + R_REPORT_DATA, 32);
    free(hashed);
}

static void expect_hex(const uint8_t *bytes, size_t n, const char *hex)
{
    char text[129];
    mse_hex_encode(bytes, n, text);
    assert_string_equal(text, hex);
}

static void test_real_mse_quote(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/mse-quote.dat", &len);
    compare_quote(buf, len);
    confirm_offsets_by_crypto(buf, len);
    /* Values read by offset, known from the MSE deployment and Intel's QE. */
    expect_hex(buf + L_BODY + R_MR_ENCLAVE, 32,
               "0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b");
    expect_hex(buf + L_BODY + R_MR_SIGNER, 32,
               "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5");
    /* Intel's Quoting Enclave signer, ISVPRODID 1. */
    expect_hex(buf + L_QE_REPORT + R_MR_SIGNER, 32,
               "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff");
    assert_int_equal(le16(buf + L_QE_REPORT + R_ISV_PROD_ID), 1);
    assert_memory_equal(buf + L_QE_VENDOR_ID, MSE_INTEL_QE_VENDOR_ID, 16);
    assert_false(le64(buf + L_BODY + R_ATTR_FLAGS) & MSE_SGX_FLAGS_DEBUG);
    free(buf);
}

static void test_real_intel_sgx_ra_quote(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/intel-sgx-ra-quote.dat", &len);
    assert_int_equal(len, 4734);
    compare_quote(buf, len);
    confirm_offsets_by_crypto(buf, len);
    expect_hex(buf + L_BODY + R_MR_SIGNER, 32,
               "ac2c9fa87e4c91768b1d0c47169466c50d5a98c790639fbaefe7352a59919980");
    assert_memory_equal(buf + L_QE_AUTH + le16(buf + L_QE_AUTH_LEN) + 6,
                        "-----BEGIN CERTIFICATE-----", 27);
    free(buf);
}

/* Random bytes in every field the parser does not judge: both readings still agree. */
static void test_random_fields_agree(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/mse-quote.dat", &len);
    uint32_t x = 0x12345678u;
    for (int round = 0; round < 64; round++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, buf, len);
        /* Everything after the three type fields of the header, up to sig_data_len... */
        for (size_t i = 8; i < L_SIG_DATA_LEN; i++) {
            x = x * 1103515245u + 12345u;
            copy[i] = (uint8_t)(x >> 16);
        }
        /* ... and the fixed part of the signature data. */
        for (size_t i = L_QUOTE_SIG; i < L_QE_AUTH_LEN; i++) {
            x = x * 1103515245u + 12345u;
            copy[i] = (uint8_t)(x >> 16);
        }
        compare_quote(copy, len);
        free(copy);
    }
    free(buf);
}

/* A PCK-key signature over the QE report at its offset (the simulator's chain). */
static void confirm_qe_report_signature(EVP_PKEY *pck, const uint8_t *buf)
{
    assert_int_equal(ecdsa_ok(pck, buf + L_QE_REPORT, R_SIZE, buf + L_QE_REPORT_SIG), 1);
}

static void test_simulator_quotes(void **state)
{
    char *dir = mse_test_tmpdir();
    struct mse_sim_pki_opts o;
    struct mse_sim_pki pki;
    char errbuf[256] = "";
    mse_sim_pki_opts_default(&o, 1700000000);
    assert_int_equal(mse_sim_pki_init(dir, &o, errbuf, sizeof errbuf), MSE_OK);
    assert_int_equal(mse_sim_pki_load(dir, &pki), MSE_OK);
    uint32_t x = 0xdecafbadu;
    for (int round = 0; round < 8; round++) {
        struct mse_sim_enclave e;
        uint8_t rd[64];
        memset(&e, 0, sizeof e);
        for (size_t i = 0; i < 32; i++) {
            x = x * 1103515245u + 12345u;
            e.mrenclave[i] = (uint8_t)(x >> 16);
            e.mrsigner[i] = (uint8_t)(x >> 8);
        }
        for (size_t i = 0; i < 64; i++) {
            x = x * 1103515245u + 12345u;
            rd[i] = (uint8_t)(x >> 16);
        }
        e.have_mrsigner = round % 2 == 1;
        e.debug = round % 3 == 0;
        e.isv_prod_id = (uint16_t)(0x1234 + round);
        e.isv_svn = (uint16_t)(0xfff0 + round);
        uint8_t *quote = NULL;
        size_t len = 0;
        assert_int_equal(mse_sim_quote(&pki, &e, rd, &quote, &len), MSE_OK);
        compare_quote(quote, len);
        confirm_offsets_by_crypto(quote, len);
        confirm_qe_report_signature(pki.pck_key, quote);
        /* What the simulator was asked for, read at Intel's offsets. */
        assert_memory_equal(quote + L_BODY + R_MR_ENCLAVE, e.mrenclave, 32);
        assert_memory_equal(quote + L_BODY + R_MR_SIGNER,
                            e.have_mrsigner ? e.mrsigner : pki.signer_mrsigner, 32);
        assert_memory_equal(quote + L_BODY + R_REPORT_DATA, rd, 64);
        assert_int_equal(le16(quote + L_BODY + R_ISV_PROD_ID), e.isv_prod_id);
        assert_int_equal(le16(quote + L_BODY + R_ISV_SVN), e.isv_svn);
        assert_int_equal((le64(quote + L_BODY + R_ATTR_FLAGS) & MSE_SGX_FLAGS_DEBUG) != 0, e.debug);
        assert_memory_equal(quote + L_BODY + R_CPU_SVN, pki.cpusvn, 16);
        assert_int_equal(le16(quote + L_PCE_SVN), pki.pcesvn);
        assert_memory_equal(quote + L_QE_REPORT + R_MR_SIGNER, MSE_SIM_QE_MRSIGNER, 32);
        assert_int_equal(le16(quote + L_QE_REPORT + R_ISV_PROD_ID), MSE_SIM_QE_ISVPRODID);
        assert_int_equal(le16(quote + L_QE_REPORT + R_ISV_SVN), pki.qe_isvsvn);
        /* The simulator's quotes are cut anywhere like real ones: always TRUNCATED. */
        for (size_t n = 0; n < len; n += 97) {
            struct mse_quote q;
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, quote, n);
            assert_int_equal(mse_quote_parse(copy, n, &q), MSE_ERR_QUOTE_TRUNCATED);
            free(copy);
        }
        free(quote);
    }
    mse_sim_pki_free(&pki);
    mse_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_mse_quote),
        cmocka_unit_test(test_real_intel_sgx_ra_quote),
        cmocka_unit_test(test_random_fields_agree),
        cmocka_unit_test(test_simulator_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * mse-sim's test PKI and quotes, checked with OpenSSL alone (not with the
 * verifier): TCB info and QE identity signed the way Intel signs them
 * (ECDSA-P256-SHA256 over the exact bytes of the signed member, r||s as 128
 * lowercase hex, compact body), the pccs/ directory layout the PCCS server
 * reads, the signer key, and a v3 quote whose three signatures and QE report
 * data binding hold at the offsets of Intel's quote layout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <mse/mse.h>

#include "sim/sim.h"
#include "testlib.h"

static char *tmp;
static char dir[1024];
static struct mse_sim_pki pki;
static int64_t now_t;

static uint8_t *slurp(const char *name, size_t *len)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return mse_test_file(path, len);
}

static int setup(void **state)
{
    (void)state;
    struct mse_sim_pki_opts o;
    char why[256];
    tmp = mse_test_tmpdir();
    assert_int_equal(mse_time_parse("2026-06-01T12:00:00Z", 20, &now_t), MSE_OK);
    mse_sim_pki_opts_default(&o, now_t);
    o.tcb_status = MSE_TCB_SW_HARDENING_NEEDED;
    o.advisories = "INTEL-SA-00615,INTEL-SA-00657";
    snprintf(dir, sizeof dir, "%s/pki", tmp);
    assert_int_equal(mse_sim_pki_init(dir, &o, why, sizeof why), MSE_OK);
    assert_int_equal(mse_sim_pki_load(dir, &pki), MSE_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mse_sim_pki_free(&pki);
    mse_test_rmtree(tmp);
    free(tmp);
    return 0;
}

/* Verify a raw r||s ECDSA-P256-SHA256 signature with the public key of cert. */
static int verify_raw(X509 *cert, const void *msg, size_t len, const uint8_t sig[64])
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(s, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY *key = X509_get0_pubkey(cert);
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(md, der, (size_t)der_len, msg, len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    return ok;
}

/* {"<member>":{...},"signature":"<128 hex>"}: the signature covers exactly {...}. */
static void check_signed_body(const char *name, const char *member)
{
    size_t len;
    char *body = (char *)slurp(name, &len);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "{\"%s\":{", member);
    assert_memory_equal(body, prefix, strlen(prefix));
    assert_null(strchr(body, '\n')); /* compact, as PCS serves it */
    assert_null(strstr(body, "\": "));
    const char *sig = strstr(body, "},\"signature\":\"");
    assert_non_null(sig);
    sig += strlen("},\"signature\":\"");
    assert_int_equal(strlen(sig), 128 + 2);
    assert_string_equal(sig + 128, "\"}");
    for (int i = 0; i < 128; i++)
        assert_non_null(strchr("0123456789abcdef", sig[i]));
    uint8_t raw[64];
    assert_int_equal(mse_hex_decode(sig, 128, raw, 64), MSE_OK);
    const char *inner = body + strlen(prefix) - 1;
    size_t inner_len = (size_t)(sig - strlen("},\"signature\":\"") + 1 - inner);
    assert_true(verify_raw(pki.tcb, inner, inner_len, raw));
    /* One byte changed: refused, so the check above means something. */
    body[strlen(prefix) + 3] ^= 1;
    assert_false(verify_raw(pki.tcb, inner, inner_len, raw));
    free(body);
}

static void test_collateral_signed_like_intel(void **state)
{
    (void)state;
    check_signed_body("tcb-info.json", "tcbInfo");
    check_signed_body("qe-identity.json", "enclaveIdentity");
    size_t len;
    char *tcb = (char *)slurp("tcb-info.json", &len);
    assert_non_null(strstr(tcb, "\"version\":3"));
    assert_non_null(strstr(tcb, "\"fmspc\":\"00906ed50000\""));
    assert_non_null(strstr(tcb, "\"issueDate\":\"2026-06-01T11:00:00Z\""));
    /* The platform's level: the configured status and advisories. */
    const char *lvl = strstr(tcb, "\"tcbStatus\":\"");
    assert_non_null(lvl);
    assert_memory_equal(lvl, "\"tcbStatus\":\"SWHardeningNeeded\"", 31);
    assert_non_null(strstr(tcb, "\"advisoryIDs\":[\"INTEL-SA-00615\",\"INTEL-SA-00657\"]"));
    free(tcb);
    char *qe = (char *)slurp("qe-identity.json", &len);
    assert_non_null(strstr(qe, "\"id\":\"QE\""));
    assert_non_null(strstr(qe, "\"version\":2"));
    assert_non_null(strstr(qe, "\"isvprodid\":1"));
    free(qe);
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *pa = slurp(a, &la), *pb = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pb, la);
    free(pa);
    free(pb);
}

static void test_pccs_layout(void **state)
{
    (void)state;
    assert_same_file("pccs/tcb/00906ed50000.json", "tcb-info.json");
    assert_same_file("pccs/qe-identity.json", "qe-identity.json");
    assert_same_file("pccs/pckcrl-processor.der", "pck-crl.der");
    assert_same_file("pccs/rootcacrl.der", "root-ca-crl.der");
    /* Issuer chains: signer first, then the root. */
    size_t len, tl, rl, cl;
    char *chain = (char *)slurp("pccs/tcb-chain.pem", &len);
    char *tcb = (char *)slurp("tcb-signing.pem", &tl);
    char *root = (char *)slurp("root.pem", &rl);
    char *ca = (char *)slurp("pck-ca.pem", &cl);
    assert_int_equal(len, tl + rl);
    assert_memory_equal(chain, tcb, tl);
    assert_memory_equal(chain + tl, root, rl);
    free(chain);
    chain = (char *)slurp("pccs/pckcrl-processor-chain.pem", &len);
    assert_int_equal(len, cl + rl);
    assert_memory_equal(chain, ca, cl);
    assert_memory_equal(chain + cl, root, rl);
    free(chain);
    /* The platform CRL is a DER CRL issued by a Platform CA under the same root. */
    uint8_t *der = slurp("pccs/pckcrl-platform.der", &len);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    assert_non_null(crl);
    char name[256];
    X509_NAME_oneline(X509_CRL_get_issuer(crl), name, sizeof name);
    assert_non_null(strstr(name, "MSE Test SGX PCK Platform CA"));
    X509_CRL_free(crl);
    free(der);
    free(tcb);
    free(root);
    free(ca);
    char *readme = (char *)slurp("README.txt", &len);
    assert_non_null(strstr(readme, "TEST ONLY"));
    assert_non_null(strstr(readme, "signer.key"));
    free(readme);
}

static void test_names_say_test(void **state)
{
    (void)state;
    X509 *certs[] = {pki.root, pki.ca, pki.pck, pki.tcb};
    for (size_t i = 0; i < 4; i++) {
        char name[256];
        X509_NAME_oneline(X509_get_subject_name(certs[i]), name, sizeof name);
        assert_non_null(strstr(name, "CN=MSE Test SGX "));
        assert_null(strstr(name, "Intel"));
    }
}

static void test_signer_key(void **state)
{
    (void)state;
    size_t len;
    uint8_t *pem = slurp("signer.pem", &len);
    uint8_t mrsigner[32];
    assert_int_equal(mse_mrsigner_from_pem(pem, len, mrsigner), MSE_OK);
    assert_memory_equal(mrsigner, pki.signer_mrsigner, 32);
    BIGNUM *e = NULL;
    assert_int_equal(EVP_PKEY_get_bits(pki.signer_key), 3072);
    assert_int_equal(EVP_PKEY_get_bn_param(pki.signer_key, OSSL_PKEY_PARAM_RSA_E, &e), 1);
    assert_true(BN_is_word(e, 3));
    BN_free(e);
    free(pem);
}

static void le16(const uint8_t *p, uint16_t want)
{
    assert_int_equal(p[0] | (p[1] << 8), want);
}

static void test_quote(void **state)
{
    (void)state;
    struct mse_sim_enclave e = {.debug = true, .isv_prod_id = 7, .isv_svn = 3};
    uint8_t rd[64], *q = NULL;
    size_t len;
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)i;
    memset(e.mrenclave, 0xab, 32);
    assert_int_equal(mse_sim_quote(&pki, &e, rd, &q, &len), MSE_OK);

    /* Intel's layout, read at fixed offsets (A.4): header. */
    le16(q + 0, 3);
    le16(q + 2, 2);
    assert_int_equal(q[4] | q[5] | q[6] | q[7], 0);
    /* PCESVN as the PCK leaf's SGX extension says (read back by mse_sim_pki_load). */
    assert_int_equal(pki.pcesvn, MSE_SIM_PCESVN);
    le16(q + 10, MSE_SIM_PCESVN);
    static const uint8_t vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                       0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
    assert_memory_equal(q + 12, vendor, 16);
    /* ISV report body. */
    const uint8_t *body = q + 48;
    assert_int_equal(body[48] & 0x02, 0x02); /* ATTRIBUTES.DEBUG */
    assert_memory_equal(body + 64, e.mrenclave, 32);
    assert_memory_equal(body + 128, pki.signer_mrsigner, 32); /* default: the PKI's signer */
    le16(body + 256, 7);
    le16(body + 258, 3);
    assert_memory_equal(body + 320, rd, 64);
    /* Signature data. */
    uint32_t sig_len = q[432] | (q[433] << 8) | ((uint32_t)q[434] << 16) | ((uint32_t)q[435] << 24);
    assert_int_equal(sig_len, len - 436);
    const uint8_t *qsig = q + 436, *att = q + 500, *qe = q + 564, *qe_sig = q + 948;
    uint16_t auth_len = (uint16_t)(q[1012] | (q[1013] << 8));
    const uint8_t *auth = q + 1014;
    const uint8_t *ct = auth + auth_len;
    le16(ct, 5);
    uint32_t cert_len = ct[2] | (ct[3] << 8) | ((uint32_t)ct[4] << 16) | ((uint32_t)ct[5] << 24);
    assert_int_equal(1014 + auth_len + 6 + cert_len, len);

    /* Quote signed by the attestation key over header || body. */
    X509 *att_cert = X509_new(); /* carrier for the key, to reuse verify_raw */
    assert_int_equal(X509_set_pubkey(att_cert, pki.att_key), 1);
    assert_true(verify_raw(att_cert, q, 432, qsig));
    /* QE report signed by the PCK leaf key. */
    assert_true(verify_raw(pki.pck, qe, 384, qe_sig));
    assert_false(verify_raw(pki.pck, q, 384, qe_sig));
    /* QE REPORTDATA = SHA-256(attestation key || QE auth data) || 32 zeros. */
    uint8_t h[32], zero[32] = {0}, buf[64 + 512];
    assert_true(auth_len <= 512);
    memcpy(buf, att, 64);
    memcpy(buf + 64, auth, auth_len);
    EVP_Digest(buf, 64 + (size_t)auth_len, h, NULL, EVP_sha256(), NULL);
    assert_memory_equal(qe + 320, h, 32);
    assert_memory_equal(qe + 352, zero, 32);
    le16(qe + 256, MSE_SIM_QE_ISVPRODID);
    assert_memory_equal(qe + 128, MSE_SIM_QE_MRSIGNER, 32);
    /* Certification data: leaf, CA, root PEM. */
    size_t pl = strlen(pki.pck_pem), cl = strlen(pki.ca_pem), rl = strlen(pki.root_pem);
    assert_int_equal(cert_len, pl + cl + rl);
    assert_memory_equal(ct + 6, pki.pck_pem, pl);
    assert_memory_equal(ct + 6 + pl, pki.ca_pem, cl);
    assert_memory_equal(ct + 6 + pl + cl, pki.root_pem, rl);

    /* And the project's parser reads the same. */
    struct mse_quote pq;
    assert_int_equal(mse_quote_parse(q, len, &pq), MSE_OK);
    assert_memory_equal(pq.body.report_data, rd, 64);
    assert_memory_equal(pq.att_public_key, att, 64);
    assert_int_equal(pq.total_len, len);
    X509_free(att_cert);
    free(q);
}

/* Requests the simulator cannot honour are refused, not half-made. */
static void test_refused_requests(void **state)
{
    (void)state;
    struct mse_sim_pki_opts o;
    char why[256], sub[1100];
    mse_sim_pki_opts_default(&o, now_t);
    o.no_signer_key = true; /* a directory's quotes need the signer key */
    snprintf(sub, sizeof sub, "%s/unsigned", tmp);
    assert_int_equal(mse_sim_pki_init(sub, &o, why, sizeof why), MSE_ERR_ARG);

    struct mse_sim_world_opts wo;
    struct mse_sim_world w;
    mse_sim_world_opts_default(&wo, now_t);
    wo.enclave.have_mrsigner = false; /* no signer key to take it from */
    assert_int_equal(mse_sim_world_make(&wo, &w), MSE_ERR_ARG);
    mse_sim_world_opts_default(&wo, now_t);
    wo.chain_len = 5;
    assert_int_equal(mse_sim_world_make(&wo, &w), MSE_ERR_ARG);

    uint8_t *q = NULL;
    size_t len = 0;
    assert_int_equal(mse_sim_tdx_quote(3, NULL, 0, &q, &len), MSE_ERR_ARG);
    assert_null(q);

    EVP_PKEY *k = mse_test_key();
    X509 *x = NULL;
    struct mse_sim_cert_spec s = {.cn = "x", .key = k, .issuer = pki.root, .serial = 1};
    assert_int_equal(mse_sim_cert_make(&s, &x), MSE_ERR_ARG); /* an issuer without its key */
    assert_null(x);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collateral_signed_like_intel),
        cmocka_unit_test(test_pccs_layout),
        cmocka_unit_test(test_names_say_test),
        cmocka_unit_test(test_signer_key),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_refused_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

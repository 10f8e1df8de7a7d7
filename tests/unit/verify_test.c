/*
 * End-to-end verification of the REAL evidence bundle (Azure SGX machine,
 * May-June 2023), against the built-in Intel root:
 *  (a) 2023-06-25T00:00:00Z, strict: every cryptographic check passes and the
 *      expired PCK CRL (nextUpdate 2023-06-15T23:55:41Z) is the decisive
 *      failure; no instant makes all collateral valid (QE identity issueDate
 *      2023-06-20T00:24:02Z is after it);
 *  (b) same with expired collateral tolerated: MRENCLAVE, MRSIGNER, the real
 *      TCB status OutOfDate (platform level 2021-11-10, QE UpToDate) and its
 *      advisories; the default TCB policy refuses naming OutOfDate, accepting
 *      OutOfDate passes;
 *  (c) 2026-11-23: refused as collateral expired, naming each expired item.
 * Plus freshness one second either side of nextUpdate / notAfter, policy
 * checks, tampered collateral, and the JSON result.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/verify.h>

#include "testlib.h"

#define AT_A 1687651200   /* 2023-06-25T00:00:00Z */
#define AT_TODAY 1795392000 /* 2026-11-23T00:00:00Z */
#define CAP (1u << 20)

static const char MRENCLAVE[] = "0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b";
static const char MRSIGNER[] = "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5";

struct fx {
    uint8_t *json, *buf;
    struct mse_evidence ev;
    struct mse_verify_input in;
    struct mse_policy pol;
    uint8_t mrsigner[1][32];
    uint8_t mrenclave[32];
    struct mse_verify_result r;
};

static struct fx *fx_new(int64_t at)
{
    struct fx *f = calloc(1, sizeof *f);
    size_t len;
    f->json = mse_test_data("real/mse-home-evidence.json", &len);
    f->buf = malloc(CAP);
    assert_int_equal(mse_evidence_parse(f->json, len, f->buf, CAP, &f->ev), MSE_OK);
    f->in.cert_der = f->ev.ratls_cert.data;
    f->in.cert_len = f->ev.ratls_cert.len;
    f->in.collateral = &f->ev.collateral;
    f->in.at = at;
    mse_policy_init(&f->pol);
    assert_int_equal(mse_hex_decode(MRSIGNER, 64, f->mrsigner[0], 32), MSE_OK);
    assert_int_equal(mse_hex_decode(MRENCLAVE, 64, f->mrenclave, 32), MSE_OK);
    f->pol.mrsigners = (const uint8_t(*)[32])f->mrsigner;
    f->pol.mrsigner_count = 1;
    f->pol.mrenclave = f->mrenclave;
    return f;
}

static void fx_free(struct fx *f)
{
    free(f->json);
    free(f->buf);
    free(f);
}

static void run(struct fx *f)
{
    assert_int_equal(mse_verify(&f->in, &f->pol, &f->r), MSE_OK);
}

static void assert_dcap_passed(const struct mse_verify_result *r)
{
    for (int id = MSE_CHECK_CERT; id <= MSE_CHECK_QUOTE_SIGNATURE; id++) {
        if (r->checks[id].outcome != MSE_OUTCOME_PASS)
            fail_msg("%s: %s", mse_check_key((enum mse_check_id)id), r->checks[id].detail);
    }
}

static void test_a_strict_refuses_expired_pck_crl(void **state)
{
    struct fx *f = fx_new(AT_A);
    run(f);
    assert_false(f->r.ok);
    assert_dcap_passed(&f->r);
    assert_int_equal(f->r.err, MSE_ERR_CRL_EXPIRED);
    assert_int_equal(f->r.checks[MSE_CHECK_COLLATERAL_TIME].outcome, MSE_OUTCOME_FAIL);
    assert_string_equal(f->r.checks[MSE_CHECK_COLLATERAL_TIME].detail,
                        "PCK CRL expired: nextUpdate 2023-06-15T23:55:41Z");
    assert_non_null(strstr(f->r.message, "PCK CRL expired: nextUpdate 2023-06-15T23:55:41Z"));
    /* Policy did not run. */
    assert_int_equal(f->r.checks[MSE_CHECK_TCB_STATUS].outcome, MSE_OUTCOME_NOT_RUN);
    /* Identity is still reported. */
    char hex[65];
    mse_hex_encode(f->r.enclave.mr_enclave, 32, hex);
    assert_string_equal(hex, MRENCLAVE);
    /* No instant makes everything valid: just after QE identity issueDate the CRL is stale too. */
    f->in.at = 1687220642; /* 2023-06-20T00:24:02Z */
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_CRL_EXPIRED);
    /* Just before it, the QE identity is not yet valid as well: two items, generic code. */
    f->in.at = 1687220641;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_COLLATERAL_EXPIRED);
    assert_non_null(strstr(f->r.message, "QE identity not yet valid: issueDate 2023-06-20T00:24:02Z"));
    assert_non_null(strstr(f->r.message, "PCK CRL expired"));
    fx_free(f);
}

static void test_b_tolerated_reports_real_tcb(void **state)
{
    struct fx *f = fx_new(AT_A);
    char hex[65];
    f->pol.allow_expired_collateral = true;
    run(f);
    assert_dcap_passed(&f->r);
    assert_int_equal(f->r.checks[MSE_CHECK_COLLATERAL_TIME].outcome, MSE_OUTCOME_WARN);
    assert_non_null(strstr(f->r.checks[MSE_CHECK_COLLATERAL_TIME].detail,
                           "PCK CRL expired: nextUpdate 2023-06-15T23:55:41Z"));
    mse_hex_encode(f->r.enclave.mr_enclave, 32, hex);
    assert_string_equal(hex, MRENCLAVE);
    mse_hex_encode(f->r.enclave.mr_signer, 32, hex);
    assert_string_equal(hex, MRSIGNER);
    assert_false(f->r.debug);
    assert_int_equal(f->r.platform_tcb_status, MSE_TCB_OUT_OF_DATE);
    assert_int_equal(f->r.qe_tcb_status, MSE_TCB_UP_TO_DATE);
    assert_int_equal(f->r.tcb_status, MSE_TCB_OUT_OF_DATE);
    assert_string_equal(f->r.tcb_date, "2021-11-10T00:00:00Z");
    static const char *const adv[] = {"INTEL-SA-00586", "INTEL-SA-00614", "INTEL-SA-00615",
                                      "INTEL-SA-00657", "INTEL-SA-00730", "INTEL-SA-00738",
                                      "INTEL-SA-00767"};
    assert_int_equal(f->r.advisory_count, 7);
    for (int i = 0; i < 7; i++)
        assert_string_equal(f->r.advisories[i], adv[i]);
    mse_hex_encode(f->r.fmspc, 6, hex);
    assert_string_equal(hex, "30606a000000");
    /* Default policy: UpToDate only. */
    assert_false(f->r.ok);
    assert_int_equal(f->r.err, MSE_ERR_TCB_STATUS);
    assert_non_null(strstr(f->r.message, "OutOfDate"));
    assert_non_null(strstr(f->r.message, "INTEL-SA-00615"));
    assert_int_equal(f->r.checks[MSE_CHECK_MRSIGNER].outcome, MSE_OUTCOME_PASS);
    assert_int_equal(f->r.checks[MSE_CHECK_MRENCLAVE].outcome, MSE_OUTCOME_PASS);
    assert_int_equal(f->r.checks[MSE_CHECK_DEBUG].outcome, MSE_OUTCOME_PASS);
    /* The operator's signer key (Cosmian's), as `--signer-key` gives it. */
    size_t klen;
    uint8_t *key = mse_test_data("real/cosmian-mse-signer.pem", &klen);
    assert_int_equal(mse_mrsigner_from_pem(key, klen, f->mrsigner[0]), MSE_OK);
    free(key);
    mse_hex_encode(f->mrsigner[0], 32, hex);
    assert_string_equal(hex, MRSIGNER);
    /* OutOfDate accepted: passes, with the status as a warning. */
    f->pol.accepted_tcb |= MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE);
    run(f);
    assert_true(f->r.ok);
    assert_int_equal(f->r.err, MSE_OK);
    assert_int_equal(f->r.checks[MSE_CHECK_TCB_STATUS].outcome, MSE_OUTCOME_WARN);
    /* Accepting some other status does not help. */
    f->pol.accepted_tcb = MSE_TCB_MASK(MSE_TCB_SW_HARDENING_NEEDED);
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_TCB_STATUS);
    fx_free(f);
}

static void test_c_today_names_each_expired_item(void **state)
{
    struct fx *f = fx_new(AT_TODAY);
    run(f);
    assert_false(f->r.ok);
    assert_dcap_passed(&f->r);
    assert_int_equal(f->r.err, MSE_ERR_COLLATERAL_EXPIRED);
    static const char *const expired[] = {
        "Root CA CRL expired: nextUpdate 2024-04-02T10:22:51Z",
        "PCK CRL expired: nextUpdate 2023-06-15T23:55:41Z",
        "TCB signing certificate expired: notAfter 2025-05-21T10:50:10Z",
        "TCB info expired: nextUpdate 2023-06-29T00:45:00Z",
        "QE identity expired: nextUpdate 2023-07-20T00:24:02Z",
    };
    for (size_t i = 0; i < sizeof expired / sizeof expired[0]; i++)
        if (strstr(f->r.message, expired[i]) == NULL)
            fail_msg("missing \"%s\" in \"%s\"", expired[i], f->r.message);
    /* Items still valid are not named. */
    assert_null(strstr(f->r.message, "PCK certificate"));
    assert_null(strstr(f->r.message, "root CA certificate"));
    /* The RA-TLS certificate is not collateral: its own check, its own code, also reported. */
    assert_null(strstr(f->r.message, "RA-TLS certificate"));
    assert_int_equal(f->r.checks[MSE_CHECK_CERT_TIME].outcome, MSE_OUTCOME_FAIL);
    assert_int_equal(f->r.checks[MSE_CHECK_CERT_TIME].err, MSE_ERR_RATLS_CERT_VALIDITY);
    assert_string_equal(f->r.checks[MSE_CHECK_CERT_TIME].detail,
                        "RA-TLS certificate expired: notAfter 2024-04-26T09:38:33Z");
    size_t invalid = 0;
    for (size_t i = 0; i < f->r.validity_count; i++)
        invalid += !f->r.validity[i].valid;
    assert_int_equal(invalid, 6);
    /* Expired collateral tolerated (WARN naming it all), the expired RA-TLS certificate never. */
    f->pol.allow_expired_collateral = true;
    run(f);
    assert_int_equal(f->r.checks[MSE_CHECK_COLLATERAL_TIME].outcome, MSE_OUTCOME_WARN);
    assert_non_null(strstr(f->r.checks[MSE_CHECK_COLLATERAL_TIME].detail, "QE identity expired"));
    assert_int_equal(f->r.err, MSE_ERR_RATLS_CERT_VALIDITY);
    assert_non_null(strstr(f->r.message, "RA-TLS certificate not valid at 2026-11-23T00:00:00Z: "
                                         "RA-TLS certificate expired: notAfter 2024-04-26T09:38:33Z"));
    assert_int_equal(f->r.checks[MSE_CHECK_TCB_STATUS].outcome, MSE_OUTCOME_NOT_RUN);
    fx_free(f);
}

/* Before every item was issued: expiry tolerance does not cover items not yet valid. */
static void test_not_yet_valid_never_tolerated(void **state)
{
    struct fx *f = fx_new(1609459200); /* 2021-01-01T00:00:00Z */
    f->pol.allow_expired_collateral = true;
    f->pol.accepted_tcb |= MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE);
    run(f);
    assert_false(f->r.ok);
    assert_dcap_passed(&f->r);
    assert_int_equal(f->r.err, MSE_ERR_COLLATERAL_NOT_YET_VALID);
    assert_int_equal(f->r.checks[MSE_CHECK_COLLATERAL_TIME].outcome, MSE_OUTCOME_FAIL);
    assert_non_null(strstr(f->r.message, "QE identity not yet valid: issueDate 2023-06-20T00:24:02Z"));
    assert_non_null(strstr(f->r.message, "never tolerated"));
    /* Mixed (one expired, one not yet valid) under tolerance: the untolerated kind decides. */
    f->in.at = 1687220641; /* QE identity issued one second later; PCK CRL already expired */
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_COLLATERAL_NOT_YET_VALID);
    /* ...and strict, the generic code for several kinds, as before. */
    f->pol.allow_expired_collateral = false;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_COLLATERAL_EXPIRED);
    fx_free(f);
}

/* One second either side of a nextUpdate and a notAfter. */
static void test_boundaries(void **state)
{
    struct fx *f = fx_new(0);
    f->pol.accepted_tcb |= MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE);
    /* PCK CRL nextUpdate 2023-06-15T23:55:41Z = 1686873341. At T-1 only it is fine... */
    f->in.at = 1686873340;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_COLLATERAL_NOT_YET_VALID); /* QE identity not yet issued */
    assert_null(strstr(f->r.message, "PCK CRL"));
    f->in.at = 1686873341;
    run(f);
    assert_non_null(strstr(f->r.message, "PCK CRL expired"));
    /* RA-TLS certificate notAfter 2024-04-26T09:38:33Z = 1714124313. */
    f->in.at = 1714124312;
    run(f);
    assert_int_equal(f->r.checks[MSE_CHECK_CERT_TIME].outcome, MSE_OUTCOME_PASS);
    f->in.at = 1714124313;
    run(f);
    assert_string_equal(f->r.checks[MSE_CHECK_CERT_TIME].detail,
                        "RA-TLS certificate expired: notAfter 2024-04-26T09:38:33Z");
    fx_free(f);
}

static void test_policy_checks(void **state)
{
    struct fx *f = fx_new(AT_A);
    f->pol.allow_expired_collateral = true;
    f->pol.accepted_tcb |= MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE);
    /* Wrong MRSIGNER. */
    f->mrsigner[0][0] ^= 1;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_POLICY_MRSIGNER);
    f->mrsigner[0][0] ^= 1;
    /* Wrong MRENCLAVE. */
    f->mrenclave[31] ^= 1;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_POLICY_MRENCLAVE);
    assert_non_null(strstr(f->r.message, MRENCLAVE));
    f->mrenclave[31] ^= 1;
    /* No fingerprint: skipped with a warning, still ok. */
    f->pol.mrenclave = NULL;
    run(f);
    assert_true(f->r.ok);
    assert_int_equal(f->r.checks[MSE_CHECK_MRENCLAVE].outcome, MSE_OUTCOME_SKIPPED);
    assert_non_null(strstr(f->r.checks[MSE_CHECK_MRENCLAVE].detail, "warning"));
    /* ISV: the real enclave is ISVPRODID 1, ISVSVN 10. */
    f->pol.check_isv_prod_id = true;
    f->pol.isv_prod_id = 1;
    f->pol.check_min_isv_svn = true;
    f->pol.min_isv_svn = 10;
    run(f);
    assert_true(f->r.ok);
    f->pol.min_isv_svn = 11;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_POLICY_ISVSVN);
    f->pol.isv_prod_id = 2;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_POLICY_ISVPRODID);
    fx_free(f);
}

/* The verdict a caller reaches on mse_verify_result_repolicy equals mse_verify's, field by field. */
static void assert_same_verdict(const struct mse_verify_result *a, const struct mse_verify_result *b)
{
    assert_int_equal(a->ok, b->ok);
    assert_int_equal(a->err, b->err);
    assert_string_equal(a->message, b->message);
    for (int id = 0; id < MSE_CHECK_COUNT; id++) {
        assert_int_equal(a->checks[id].outcome, b->checks[id].outcome);
        assert_int_equal(a->checks[id].err, b->checks[id].err);
        assert_string_equal(a->checks[id].detail, b->checks[id].detail);
    }
}

/*
 * Verified on a placeholder MRENCLAVE (random bytes: refused on it), then the policy applied
 * again once the expected value is known (mse verify --context --code): the same verdict as
 * verifying with it from the start, whichever check decides.
 */
static void placeholder_then_repolicy(struct fx *f, const uint8_t expected[32])
{
    static const uint8_t placeholder[32] = {0x5a, 0xa5, 0x3c};
    struct mse_verify_result direct;
    f->pol.mrenclave = expected;
    assert_int_equal(mse_verify(&f->in, &f->pol, &direct), MSE_OK);
    f->pol.mrenclave = placeholder;
    run(f);
    if (f->r.checks[MSE_CHECK_TCB_STATUS].outcome != MSE_OUTCOME_NOT_RUN) {
        /* Left as it is, the placeholder verdict refuses. */
        assert_false(f->r.ok);
        assert_int_equal(f->r.checks[MSE_CHECK_MRENCLAVE].err, MSE_ERR_POLICY_MRENCLAVE);
    }
    f->pol.mrenclave = expected;
    mse_verify_result_repolicy(&f->pol, &f->r);
    assert_same_verdict(&f->r, &direct);
    /* Applying it twice changes nothing. */
    mse_verify_result_repolicy(&f->pol, &f->r);
    assert_same_verdict(&f->r, &direct);
}

static void test_repolicy_after_placeholder(void **state)
{
    struct fx *f = fx_new(AT_A);
    uint8_t expected[32], other[32];
    memcpy(expected, f->mrenclave, 32);
    memcpy(other, f->mrenclave, 32);
    other[31] ^= 1;
    f->pol.allow_expired_collateral = true;
    f->pol.accepted_tcb |= MSE_TCB_MASK(MSE_TCB_OUT_OF_DATE);
    /* Accepted. */
    placeholder_then_repolicy(f, expected);
    assert_true(f->r.ok);
    assert_int_equal(f->r.checks[MSE_CHECK_MRENCLAVE].outcome, MSE_OUTCOME_PASS);
    /* Another fingerprint: MRENCLAVE decides (exit 16). */
    placeholder_then_repolicy(f, other);
    assert_int_equal(f->r.err, MSE_ERR_POLICY_MRENCLAVE);
    assert_non_null(strstr(f->r.message, MRENCLAVE));
    /* A policy check before MRENCLAVE still decides first, MRENCLAVE reported too. */
    f->mrsigner[0][0] ^= 1;
    placeholder_then_repolicy(f, other);
    assert_int_equal(f->r.err, MSE_ERR_POLICY_MRSIGNER);
    assert_int_equal(f->r.checks[MSE_CHECK_MRENCLAVE].outcome, MSE_OUTCOME_FAIL);
    f->mrsigner[0][0] ^= 1;
    /* One after it does not: ISVSVN below the minimum, MRENCLAVE wrong: MRENCLAVE decides. */
    f->pol.check_min_isv_svn = true;
    f->pol.min_isv_svn = 11;
    placeholder_then_repolicy(f, other);
    assert_int_equal(f->r.err, MSE_ERR_POLICY_MRENCLAVE);
    placeholder_then_repolicy(f, expected);
    assert_int_equal(f->r.err, MSE_ERR_POLICY_ISVSVN);
    f->pol.check_min_isv_svn = false;
    /* The TCB status refused by the policy decides before MRENCLAVE. */
    f->pol.accepted_tcb = MSE_TCB_MASK(MSE_TCB_UP_TO_DATE);
    placeholder_then_repolicy(f, other);
    assert_int_equal(f->r.err, MSE_ERR_TCB_STATUS);
    /* Freshness decided (expired collateral not tolerated): no policy changes the verdict. */
    f->pol.allow_expired_collateral = false;
    placeholder_then_repolicy(f, expected);
    assert_int_equal(f->r.err, MSE_ERR_CRL_EXPIRED);
    assert_int_equal(f->r.checks[MSE_CHECK_MRENCLAVE].outcome, MSE_OUTCOME_NOT_RUN);
    /* A DCAP check decided (no collateral at all): the same. */
    f->in.collateral = NULL;
    placeholder_then_repolicy(f, expected);
    assert_false(f->r.ok);
    assert_int_equal(f->r.checks[MSE_CHECK_MRENCLAVE].outcome, MSE_OUTCOME_NOT_RUN);
    fx_free(f);
}

static void test_tampered_collateral(void **state)
{
    struct fx *f = fx_new(AT_A);
    struct mse_collateral col = f->ev.collateral;
    f->in.collateral = &col;
    /* One digit of the TCB info changed. */
    uint8_t *tcb = malloc(col.tcb_info.len);
    memcpy(tcb, col.tcb_info.data, col.tcb_info.len);
    char *p = strstr((char *)tcb, "\"pcesvn\":13");
    assert_non_null(p);
    p[10] = '2';
    col.tcb_info.data = tcb;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_TCB_INFO_SIGNATURE);
    assert_int_equal(f->r.checks[MSE_CHECK_TCB_INFO].outcome, MSE_OUTCOME_FAIL);
    assert_int_equal(f->r.checks[MSE_CHECK_QE_IDENTITY].outcome, MSE_OUTCOME_NOT_RUN);
    col = f->ev.collateral;
    /* CRLs swapped: wrong issuer. */
    col.root_ca_crl = f->ev.collateral.pck_crl;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_CRL_ISSUER);
    col = f->ev.collateral;
    /* Missing CRL, missing TCB info. */
    col.pck_crl.len = 0;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_CRL_MISSING);
    col = f->ev.collateral;
    col.tcb_info.len = 0;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_COLLATERAL_MISSING);
    col = f->ev.collateral;
    /* The TCB signing certificate replaced by the PCK CA certificate (a real Intel cert). */
    size_t len;
    uint8_t *chain = mse_test_data("real/quote-pck-chain.pem", &len);
    col.tcb_info_chain.data = chain;
    col.tcb_info_chain.len = len;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_CHAIN_FORMAT); /* three certificates */
    free(chain);
    col = f->ev.collateral;
    /* Another trust anchor (with Intel's name): the genuine chain does not end there. */
    EVP_PKEY *k = mse_test_key();
    X509 *fake = mse_test_cert("Intel SGX Root CA", k, NULL, NULL, 0, 4102444800, true, 1);
    size_t fake_len;
    uint8_t *fake_der = mse_test_cert_der(fake, &fake_len);
    f->in.trust_root_der = fake_der;
    f->in.trust_root_len = fake_len;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_ROOT_UNTRUSTED);
    assert_int_equal(f->r.checks[MSE_CHECK_PCK_CHAIN].outcome, MSE_OUTCOME_FAIL);
    f->in.trust_root_der = NULL;
    free(fake_der);
    X509_free(fake);
    EVP_PKEY_free(k);
    /* Garbage certificate. */
    f->in.cert_der = (const uint8_t *)"nope";
    f->in.cert_len = 4;
    run(f);
    assert_int_equal(f->r.checks[MSE_CHECK_CERT].outcome, MSE_OUTCOME_FAIL);
    assert_false(f->r.ok);
    free(tcb);
    fx_free(f);
}


/* Collateral forged with Intel's names but other keys: each is caught at its own check. */
static void test_forged_collateral(void **state)
{
    struct fx *f = fx_new(AT_A);
    struct mse_collateral col = f->ev.collateral;
    size_t len;
    f->in.collateral = &col;
    const uint8_t *root_der = mse_intel_root_ca_der(&len);
    const unsigned char *p = root_der;
    X509 *intel_root = d2i_X509(NULL, &p, (long)len);
    uint8_t *chain_pem = mse_test_data("real/quote-pck-chain.pem", &len);
    BIO *bio = BIO_new_mem_buf(chain_pem, (int)len);
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    X509 *pck_ca = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    EVP_PKEY *k = mse_test_key();

    /* Root CA CRL with the root's name, signed by another key. */
    X509_CRL *crl = mse_test_crl(intel_root, k, AT_A - 86400, AT_A + 86400, NULL, 0);
    char *pem = mse_test_crl_pem(crl);
    col.root_ca_crl.data = (uint8_t *)pem;
    col.root_ca_crl.len = strlen(pem);
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_CRL_SIGNATURE);
    assert_int_equal(f->r.checks[MSE_CHECK_ROOT_CA_CRL].outcome, MSE_OUTCOME_FAIL);
    X509_CRL_free(crl);
    free(pem);
    col = f->ev.collateral;

    /* PCK CRL with the PCK CA's name revoking the real PCK's serial, signed by another key. */
    long serial = 1; /* any: the signature fails first */
    crl = mse_test_crl(pck_ca, k, AT_A - 86400, AT_A + 86400, &serial, 1);
    size_t der_len;
    uint8_t *der = mse_test_crl_der(crl, &der_len);
    col.pck_crl.data = der;
    col.pck_crl.len = der_len;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_CRL_SIGNATURE);
    assert_int_equal(f->r.checks[MSE_CHECK_PCK_CRL].outcome, MSE_OUTCOME_FAIL);
    X509_CRL_free(crl);
    free(der);
    col = f->ev.collateral;

    /* A TCB signing certificate with Intel's names, not issued by the Intel root. */
    X509 *tcb = mse_test_cert("Intel SGX TCB Signing", k, intel_root, k, 0, 4102444800, false, 7);
    pem = mse_test_cert_pem(tcb);
    col.tcb_info_chain.data = (uint8_t *)pem;
    col.tcb_info_chain.len = strlen(pem);
    col.qe_identity_chain = col.tcb_info_chain;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_TCB_SIGNING_CHAIN);
    assert_int_equal(f->r.checks[MSE_CHECK_TCB_INFO].outcome, MSE_OUTCOME_FAIL);
    free(pem);
    X509_free(tcb);
    col = f->ev.collateral;

    /* A QE identity issuer chain that is a different (forged) signer. */
    tcb = mse_test_cert("Intel SGX TCB Signing", k, NULL, NULL, 0, 4102444800, false, 8);
    pem = mse_test_cert_pem(tcb);
    col.qe_identity_chain.data = (uint8_t *)pem;
    col.qe_identity_chain.len = strlen(pem);
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_TCB_SIGNING_CHAIN);
    assert_int_equal(f->r.checks[MSE_CHECK_QE_IDENTITY].outcome, MSE_OUTCOME_FAIL);
    free(pem);
    X509_free(tcb);
    col = f->ev.collateral;

    /* The QE identity signature replaced. */
    uint8_t *qe = malloc(col.qe_identity.len + 1);
    memcpy(qe, col.qe_identity.data, col.qe_identity.len);
    qe[col.qe_identity.len] = 0;
    char *sig = strstr((char *)qe, "\"signature\":\"");
    assert_non_null(sig);
    sig[14] = sig[14] == '0' ? '1' : '0';
    col.qe_identity.data = qe;
    run(f);
    assert_int_equal(f->r.err, MSE_ERR_QE_IDENTITY_SIGNATURE);
    free(qe);

    EVP_PKEY_free(k);
    X509_free(leaf);
    X509_free(pck_ca);
    X509_free(intel_root);
    free(chain_pem);
    fx_free(f);
}

static void test_json(void **state)
{
    struct fx *f = fx_new(AT_A);
    char *s = NULL;
    run(f);
    assert_int_equal(mse_verify_result_json(&f->r, &s), MSE_OK);
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "refused");
    assert_string_equal(json_string_value(json_object_get(j, "mrenclave")), MRENCLAVE);
    assert_string_equal(json_string_value(json_object_get(j, "mrsigner")), MRSIGNER);
    json_t *err = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(err, "code")), "MSE_ERR_CRL_EXPIRED");
    assert_non_null(strstr(json_string_value(json_object_get(err, "message")),
                           "PCK CRL expired: nextUpdate 2023-06-15T23:55:41Z"));
    json_t *checks = json_object_get(j, "checks");
    assert_int_equal(json_object_size(checks), MSE_CHECK_COUNT);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(checks, "collateral_time"), "outcome")),
        "fail");
    assert_true(json_is_array(json_object_get(j, "validity")));
    assert_true(json_is_false(json_object_get(j, "debug")));
    json_decref(j);
    free(s);
    fx_free(f);
}

static void test_bad_anchor_is_caller_error(void **state)
{
    struct fx *f = fx_new(AT_A);
    f->in.trust_root_der = (const uint8_t *)"x";
    f->in.trust_root_len = 1;
    assert_int_equal(mse_verify(&f->in, &f->pol, &f->r), MSE_ERR_ARG);
    assert_false(f->r.ok);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_strict_refuses_expired_pck_crl),
        cmocka_unit_test(test_b_tolerated_reports_real_tcb),
        cmocka_unit_test(test_c_today_names_each_expired_item),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_not_yet_valid_never_tolerated),
        cmocka_unit_test(test_policy_checks),
        cmocka_unit_test(test_repolicy_after_placeholder),
        cmocka_unit_test(test_tampered_collateral),
        cmocka_unit_test(test_forged_collateral),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_bad_anchor_is_caller_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * QE identity v2: the real identity verifies with the real TCB signing key
 * and matches the real QE report (ISVSVN 9 -> UpToDate); every mismatch
 * (MRSIGNER, ISVPRODID, MISCSELECT, ATTRIBUTES under masks) and the QE TCB
 * levels, on identities signed by a test key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/collateral.h>
#include <mse/verify.h>

#include "dcap.h"
#include "testlib.h"

/* The real QE report's identity fields (from the real quote in mse-home-evidence.json). */
static void real_qe_report(struct mse_report_body *qe)
{
    memset(qe, 0, sizeof *qe);
    assert_int_equal(mse_hex_decode("8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff",
                                    64, qe->mr_signer, 32),
                     MSE_OK);
    qe->isv_prod_id = 1;
    qe->isv_svn = 9;
    qe->misc_select = 0;
    qe->attributes_flags = 0x11; /* INIT | PROVISION_KEY */
    qe->attributes_xfrm = 0xe7;
}

static void test_real(void **state)
{
    size_t len;
    uint8_t *json = mse_test_data("real/mse-home-evidence.json", &len);
    uint8_t *buf = malloc(1 << 20);
    struct mse_evidence ev;
    struct mse_certs cs = {0};
    struct mse_qe_identity q;
    struct mse_tcb_level_match m;
    struct mse_report_body qe;
    assert_int_equal(mse_evidence_parse(json, len, buf, 1 << 20, &ev), MSE_OK);
    assert_int_equal(mse_x509_pem_chain(ev.collateral.qe_identity_chain.data,
                                        ev.collateral.qe_identity_chain.len, &cs),
                     MSE_OK);
    assert_int_equal(mse_qe_identity_parse(ev.collateral.qe_identity.data,
                                           ev.collateral.qe_identity.len, &q),
                     MSE_OK);
    assert_int_equal(q.issue_date, 1687220642); /* 2023-06-20T00:24:02Z */
    assert_int_equal(q.next_update, 1689812642); /* 2023-07-20T00:24:02Z */
    assert_int_equal(q.isvprodid, 1);
    assert_int_equal(q.miscselect_mask, 0xffffffffu);
    assert_int_equal(mse_qe_identity_verify_signature(&q, X509_get0_pubkey(cs.c[0])), MSE_OK);
    real_qe_report(&qe);
    assert_int_equal(mse_qe_identity_match(&q, &qe, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_UP_TO_DATE);
    assert_string_equal(m.tcb_date, "2023-02-15T00:00:00Z");
    /* ISVSVN 7 falls to the 2021-11-10 OutOfDate level; 0 to none. */
    qe.isv_svn = 7;
    assert_int_equal(mse_qe_identity_match(&q, &qe, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_OUT_OF_DATE);
    assert_int_equal(m.advisory_count, 1);
    qe.isv_svn = 0;
    assert_int_equal(mse_qe_identity_match(&q, &qe, &m), MSE_ERR_QE_TCB_NOT_SUPPORTED);
    /* Mismatches. */
    real_qe_report(&qe);
    qe.mr_signer[31] ^= 1;
    assert_int_equal(mse_qe_identity_match(&q, &qe, &m), MSE_ERR_QE_IDENTITY_MRSIGNER);
    real_qe_report(&qe);
    qe.isv_prod_id = 2;
    assert_int_equal(mse_qe_identity_match(&q, &qe, &m), MSE_ERR_QE_IDENTITY_ISVPRODID);
    real_qe_report(&qe);
    qe.misc_select = 1;
    assert_int_equal(mse_qe_identity_match(&q, &qe, &m), MSE_ERR_QE_IDENTITY_MISCSELECT);
    real_qe_report(&qe);
    qe.attributes_flags |= MSE_SGX_FLAGS_DEBUG; /* a debug QE */
    assert_int_equal(mse_qe_identity_match(&q, &qe, &m), MSE_ERR_QE_IDENTITY_ATTRIBUTES);
    /* Masked-out bits do not matter: MODE64BIT (mask byte 0 is FB) and XFRM (mask 0). */
    real_qe_report(&qe);
    qe.attributes_flags |= MSE_SGX_FLAGS_MODE64BIT;
    qe.attributes_xfrm = 0x3;
    assert_int_equal(mse_qe_identity_match(&q, &qe, &m), MSE_OK);
    mse_qe_identity_free(&q);

    /* One byte changed in the signed text. */
    uint8_t *copy = malloc(ev.collateral.qe_identity.len);
    memcpy(copy, ev.collateral.qe_identity.data, ev.collateral.qe_identity.len);
    char *p = strstr((char *)copy, "\"isvprodid\":1");
    assert_non_null(p);
    p[12] = '2';
    assert_int_equal(mse_qe_identity_parse(copy, ev.collateral.qe_identity.len, &q), MSE_OK);
    assert_int_equal(mse_qe_identity_verify_signature(&q, X509_get0_pubkey(cs.c[0])),
                     MSE_ERR_QE_IDENTITY_SIGNATURE);
    mse_qe_identity_free(&q);
    free(copy);
    mse_certs_free(&cs);
    free(buf);
    free(json);
}

static char *identity(EVP_PKEY *k, const char *id, int version, const char *misc,
                      const char *miscmask, const char *levels)
{
    char inner[4096], sig[129];
    snprintf(inner, sizeof inner,
             "{\"id\":\"%s\",\"version\":%d,\"issueDate\":\"2023-06-20T00:24:02Z\","
             "\"nextUpdate\":\"2023-07-20T00:24:02Z\",\"tcbEvaluationDataNumber\":15,"
             "\"miscselect\":\"%s\",\"miscselectMask\":\"%s\","
             "\"attributes\":\"11000000000000000000000000000000\","
             "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
             "\"mrsigner\":\"8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF\","
             "\"isvprodid\":1,\"tcbLevels\":[%s]}",
             id, version, misc, miscmask, levels);
    mse_test_sign_hex(k, inner, strlen(inner), sig);
    char *b = malloc(8192);
    snprintf(b, 8192, "{\"enclaveIdentity\":%s,\"signature\":\"%s\"}", inner, sig);
    return b;
}

static const char LEVELS[] =
    "{\"tcb\":{\"isvsvn\":8},\"tcbDate\":\"2023-02-15T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
    "{\"tcb\":{\"isvsvn\":6},\"tcbDate\":\"2021-11-10T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
    "\"advisoryIDs\":[\"INTEL-SA-00615\"]},"
    "{\"tcb\":{\"isvsvn\":3},\"tcbDate\":\"2019-01-01T00:00:00Z\",\"tcbStatus\":\"Revoked\"}";

static mse_err run(const char *body, EVP_PKEY *k, const struct mse_report_body *qe,
                   struct mse_tcb_level_match *m)
{
    struct mse_qe_identity q;
    mse_err e = mse_qe_identity_parse((const uint8_t *)body, strlen(body), &q);
    if (e != MSE_OK)
        return e;
    e = mse_qe_identity_verify_signature(&q, k);
    if (e == MSE_OK)
        e = mse_qe_identity_match(&q, qe, m);
    mse_qe_identity_free(&q);
    return e;
}

static void test_synthetic(void **state)
{
    EVP_PKEY *k = mse_test_key(), *other = mse_test_key();
    struct mse_report_body qe;
    struct mse_tcb_level_match m;
    char *b = identity(k, "QE", 2, "00000000", "FFFFFFFF", LEVELS);
    real_qe_report(&qe);
    assert_int_equal(run(b, k, &qe, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_UP_TO_DATE);
    qe.isv_svn = 6;
    assert_int_equal(run(b, k, &qe, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_OUT_OF_DATE);
    qe.isv_svn = 3;
    assert_int_equal(run(b, k, &qe, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_REVOKED);
    qe.isv_svn = 2;
    assert_int_equal(run(b, k, &qe, &m), MSE_ERR_QE_TCB_NOT_SUPPORTED);
    /* Signed by someone else. */
    real_qe_report(&qe);
    assert_int_equal(run(b, other, &qe, &m), MSE_ERR_QE_IDENTITY_SIGNATURE);
    free(b);
    /* MISCSELECT is a number in hex: bit 0 expected set under the mask. */
    b = identity(k, "QE", 2, "00000001", "00000001", LEVELS);
    assert_int_equal(run(b, k, &qe, &m), MSE_ERR_QE_IDENTITY_MISCSELECT);
    qe.misc_select = 0xff00ff01u;
    assert_int_equal(run(b, k, &qe, &m), MSE_OK);
    free(b);
    /* Other enclave identities and versions. */
    b = identity(k, "QVE", 2, "00000000", "FFFFFFFF", LEVELS);
    assert_int_equal(run(b, k, &qe, &m), MSE_ERR_QE_IDENTITY_FORMAT);
    free(b);
    b = identity(k, "QE", 1, "00000000", "FFFFFFFF", LEVELS);
    assert_int_equal(run(b, k, &qe, &m), MSE_ERR_QE_IDENTITY_VERSION);
    free(b);
    /* A platform-only status is not valid for a QE. */
    b = identity(k, "QE", 2, "00000000", "FFFFFFFF",
                 "{\"tcb\":{\"isvsvn\":8},\"tcbDate\":\"2023-02-15T00:00:00Z\","
                 "\"tcbStatus\":\"SWHardeningNeeded\"}");
    assert_int_equal(run(b, k, &qe, &m), MSE_ERR_QE_IDENTITY_FORMAT);
    free(b);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real),
        cmocka_unit_test(test_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * TCB info v2/v3: the real Intel TCB info verifies with the real TCB
 * signing key and gives this PCK its real level (OutOfDate, 2021-11-10,
 * seven advisories); one changed byte breaks the signature; FMSPC / PCE-ID
 * mismatches, every status, level selection edges, version/id checks and
 * JSON strictness, on TCB info signed by a test key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/collateral.h>
#include <mse/verify.h>

#include "dcap.h"
#include "testlib.h"

struct real {
    uint8_t *json, *buf;
    struct mse_evidence ev;
    X509 *signer;
    struct mse_pck_ext pck;
};

static void real_load(struct real *r)
{
    size_t len;
    struct mse_certs cs = {0};
    r->json = mse_test_data("real/mse-home-evidence.json", &len);
    r->buf = malloc(1 << 20);
    assert_int_equal(mse_evidence_parse(r->json, len, r->buf, 1 << 20, &r->ev), MSE_OK);
    assert_int_equal(mse_x509_pem_chain(r->ev.collateral.tcb_info_chain.data,
                                        r->ev.collateral.tcb_info_chain.len, &cs),
                     MSE_OK);
    r->signer = cs.c[0];
    cs.c[0] = NULL;
    mse_certs_free(&cs);
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &len);
    assert_int_equal(mse_x509_pem_chain(pem, len, &cs), MSE_OK);
    assert_int_equal(mse_pck_ext_from_cert(cs.c[0], &r->pck), MSE_OK);
    mse_certs_free(&cs);
    free(pem);
}

static void real_free(struct real *r)
{
    X509_free(r->signer);
    free(r->json);
    free(r->buf);
}

static void test_real(void **state)
{
    struct real r;
    struct mse_tcb_info t;
    struct mse_tcb_level_match m;
    real_load(&r);
    assert_int_equal(mse_tcb_info_parse(r.ev.collateral.tcb_info.data, r.ev.collateral.tcb_info.len,
                                        &t),
                     MSE_OK);
    assert_int_equal(t.version, 3);
    assert_int_equal(t.issue_date, 1685407500); /* 2023-05-30T00:45:00Z */
    assert_int_equal(t.next_update, 1687999500); /* 2023-06-29T00:45:00Z */
    assert_int_equal(t.tcb_evaluation_data_number, 15);
    assert_int_equal(mse_tcb_info_verify_signature(&t, X509_get0_pubkey(r.signer)), MSE_OK);
    assert_int_equal(mse_tcb_info_match(&t, &r.pck, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_OUT_OF_DATE);
    assert_string_equal(m.tcb_date, "2021-11-10T00:00:00Z");
    assert_int_equal(m.advisory_count, 7);
    assert_string_equal(m.advisories[0], "INTEL-SA-00586");
    assert_string_equal(m.advisories[6], "INTEL-SA-00767");

    /* Wrong FMSPC / PCE ID. */
    struct mse_pck_ext other = r.pck;
    other.fmspc[5] ^= 1;
    assert_int_equal(mse_tcb_info_match(&t, &other, &m), MSE_ERR_TCB_INFO_FMSPC_MISMATCH);
    other = r.pck;
    other.pce_id[1] = 1;
    assert_int_equal(mse_tcb_info_match(&t, &other, &m), MSE_ERR_TCB_INFO_PCEID_MISMATCH);
    /* A PCK below every level. */
    other = r.pck;
    other.pcesvn = 0;
    assert_int_equal(mse_tcb_info_match(&t, &other, &m), MSE_ERR_TCB_NOT_SUPPORTED);
    /* A newer microcode moves the platform up to the first level. */
    other = r.pck;
    memset(other.comp_svn, 255, 16);
    other.pcesvn = 13;
    assert_int_equal(mse_tcb_info_match(&t, &other, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_SW_HARDENING_NEEDED);
    mse_tcb_info_free(&t);

    /* Another key does not verify Intel's signature. */
    EVP_PKEY *k = mse_test_key();
    assert_int_equal(mse_tcb_info_parse(r.ev.collateral.tcb_info.data, r.ev.collateral.tcb_info.len,
                                        &t),
                     MSE_OK);
    assert_int_equal(mse_tcb_info_verify_signature(&t, k), MSE_ERR_TCB_INFO_SIGNATURE);
    mse_tcb_info_free(&t);
    EVP_PKEY_free(k);
    real_free(&r);
}

static void test_real_flipped_byte(void **state)
{
    struct real r;
    struct mse_tcb_info t;
    real_load(&r);
    size_t len = r.ev.collateral.tcb_info.len;
    uint8_t *copy = malloc(len);
    memcpy(copy, r.ev.collateral.tcb_info.data, len);
    /* Every digit inside the signed object changed to another digit: still JSON, never valid. */
    size_t tried = 0;
    for (size_t i = 0; i < len && tried < 200; i += 7) {
        if (copy[i] < '0' || copy[i] > '8' || i > len - 150)
            continue;
        copy[i]++;
        if (mse_tcb_info_parse(copy, len, &t) == MSE_OK) {
            assert_int_equal(mse_tcb_info_verify_signature(&t, X509_get0_pubkey(r.signer)),
                             MSE_ERR_TCB_INFO_SIGNATURE);
            mse_tcb_info_free(&t);
            tried++;
        }
        copy[i]--;
    }
    assert_true(tried > 20);
    free(copy);
    real_free(&r);
}

/* ---- synthetic TCB info signed by a test key ---- */

static char *level_v3(const uint8_t comp[16], int pcesvn, const char *status, const char *adv)
{
    char *s = malloc(2048);
    int n = snprintf(s, 2048, "{\"tcb\":{\"sgxtcbcomponents\":[");
    for (int i = 0; i < 16; i++)
        n += snprintf(s + n, 2048 - (size_t)n, "%s{\"svn\":%d}", i ? "," : "", comp[i]);
    snprintf(s + n, 2048 - (size_t)n,
             "],\"pcesvn\":%d},\"tcbDate\":\"2023-02-15T00:00:00Z\",\"tcbStatus\":\"%s\"%s}",
             pcesvn, status, adv);
    return s;
}

static char *level_v2(const uint8_t comp[16], int pcesvn, const char *status)
{
    char *s = malloc(2048);
    int n = snprintf(s, 2048, "{\"tcb\":{");
    for (int i = 0; i < 16; i++)
        n += snprintf(s + n, 2048 - (size_t)n, "\"sgxtcbcomp%02dsvn\":%d,", i + 1, comp[i]);
    snprintf(s + n, 2048 - (size_t)n,
             "\"pcesvn\":%d},\"tcbDate\":\"2023-02-15T00:00:00Z\",\"tcbStatus\":\"%s\"}", pcesvn,
             status);
    return s;
}

/* Body with given inner text, signed over exactly `inner`. */
static char *signed_body(EVP_PKEY *k, const char *inner)
{
    char sig[129];
    mse_test_sign_hex(k, inner, strlen(inner), sig);
    size_t n = strlen(inner) + 200;
    char *b = malloc(n);
    snprintf(b, n, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", inner, sig);
    return b;
}

static char *inner_info(int version, const char *id, const char *fmspc, const char *levels)
{
    size_t n = strlen(levels) + 512;
    char *s = malloc(n);
    snprintf(s, n,
             "{%s%s%s\"version\":%d,\"issueDate\":\"2023-05-30T00:45:00Z\","
             "\"nextUpdate\":\"2023-06-29T00:45:00Z\",\"fmspc\":\"%s\",\"pceId\":\"0000\","
             "\"tcbType\":0,\"tcbEvaluationDataNumber\":15,\"tcbLevels\":[%s]}",
             id ? "\"id\":\"" : "", id ? id : "", id ? "\"," : "", version, fmspc, levels);
    return s;
}

static mse_err eval(EVP_PKEY *k, int version, const char *levels, const struct mse_pck_ext *pck,
                    struct mse_tcb_level_match *m)
{
    char *inner = inner_info(version, version == 3 ? "SGX" : NULL, "30606A000000", levels);
    char *body = signed_body(k, inner);
    struct mse_tcb_info t;
    mse_err e = mse_tcb_info_parse((uint8_t *)body, strlen(body), &t);
    if (e == MSE_OK) {
        e = mse_tcb_info_verify_signature(&t, k);
        if (e == MSE_OK)
            e = mse_tcb_info_match(&t, pck, m);
        mse_tcb_info_free(&t);
    }
    free(inner);
    free(body);
    return e;
}

static void test_each_status(void **state)
{
    static const char *const names[] = {"UpToDate",
                                        "SWHardeningNeeded",
                                        "ConfigurationNeeded",
                                        "ConfigurationAndSWHardeningNeeded",
                                        "OutOfDate",
                                        "OutOfDateConfigurationNeeded",
                                        "Revoked"};
    EVP_PKEY *k = mse_test_key();
    struct mse_pck_ext pck = {0};
    uint8_t comp[16] = {4, 4, 3, 3, 255, 255};
    memcpy(pck.comp_svn, comp, 16);
    pck.pcesvn = 11;
    memcpy(pck.fmspc, "\x30\x60\x6a\x00\x00\x00", 6);
    for (int v = 2; v <= 3; v++) {
        for (int s = 0; s < 7; s++) {
            struct mse_tcb_level_match m;
            char *lvl = v == 3 ? level_v3(comp, 11, names[s], ",\"advisoryIDs\":[\"INTEL-SA-00001\"]")
                               : level_v2(comp, 11, names[s]);
            assert_int_equal(eval(k, v, lvl, &pck, &m), MSE_OK);
            assert_int_equal(m.status, (enum mse_tcb_status)s);
            assert_int_equal(m.advisory_count, v == 3 ? 1 : 0);
            free(lvl);
        }
    }
    /* An unknown status is a format error, not a default. */
    struct mse_tcb_level_match m;
    char *lvl = level_v3(comp, 11, "Fine", "");
    assert_int_equal(eval(k, 3, lvl, &pck, &m), MSE_ERR_TCB_INFO_FORMAT);
    free(lvl);
    EVP_PKEY_free(k);
}

static void test_level_selection(void **state)
{
    EVP_PKEY *k = mse_test_key();
    struct mse_pck_ext pck = {0};
    uint8_t hi[16] = {5, 5, 3, 3}, lo[16] = {4, 4, 3, 3};
    memcpy(pck.fmspc, "\x30\x60\x6a\x00\x00\x00", 6);
    char *l1 = level_v3(hi, 12, "UpToDate", "");
    char *l2 = level_v3(lo, 11, "OutOfDate", "");
    char levels[8192];
    snprintf(levels, sizeof levels, "%s,%s", l1, l2);
    struct mse_tcb_level_match m;
    /* Exactly the first level. */
    memcpy(pck.comp_svn, hi, 16);
    pck.pcesvn = 12;
    assert_int_equal(eval(k, 3, levels, &pck, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_UP_TO_DATE);
    /* One component one below: second level. */
    pck.comp_svn[1] = 4;
    assert_int_equal(eval(k, 3, levels, &pck, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_OUT_OF_DATE);
    /* PCESVN one below: second level. */
    memcpy(pck.comp_svn, hi, 16);
    pck.pcesvn = 11;
    assert_int_equal(eval(k, 3, levels, &pck, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_OUT_OF_DATE);
    /* Below both: not supported. */
    pck.pcesvn = 10;
    assert_int_equal(eval(k, 3, levels, &pck, &m), MSE_ERR_TCB_NOT_SUPPORTED);
    /* The sixteenth component counts too. */
    memcpy(pck.comp_svn, hi, 16);
    pck.pcesvn = 12;
    char *l3 = level_v3((const uint8_t[16]){5, 5, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 12,
                        "UpToDate", "");
    snprintf(levels, sizeof levels, "%s,%s", l3, l2);
    assert_int_equal(eval(k, 3, levels, &pck, &m), MSE_OK);
    assert_int_equal(m.status, MSE_TCB_OUT_OF_DATE);
    free(l1);
    free(l2);
    free(l3);
    EVP_PKEY_free(k);
}

static mse_err parse_text(const char *body)
{
    struct mse_tcb_info t;
    mse_err e = mse_tcb_info_parse((const uint8_t *)body, strlen(body), &t);
    if (e == MSE_OK)
        mse_tcb_info_free(&t);
    return e;
}

static void test_strictness(void **state)
{
    EVP_PKEY *k = mse_test_key();
    uint8_t comp[16] = {0};
    char *lvl = level_v3(comp, 0, "UpToDate", "");
    char *inner, *body;
    char buf[16384];

    /* Unsupported version, TDX id. */
    inner = inner_info(4, "SGX", "30606A000000", lvl);
    body = signed_body(k, inner);
    assert_int_equal(parse_text(body), MSE_ERR_TCB_INFO_VERSION);
    free(inner);
    free(body);
    inner = inner_info(3, "TDX", "30606A000000", lvl);
    body = signed_body(k, inner);
    assert_int_equal(parse_text(body), MSE_ERR_TCB_INFO_VERSION);
    free(inner);
    free(body);
    /* Bad FMSPC hex. */
    inner = inner_info(3, "SGX", "30606A00000", lvl);
    body = signed_body(k, inner);
    assert_int_equal(parse_text(body), MSE_ERR_TCB_INFO_FORMAT);
    free(inner);
    free(body);

    inner = inner_info(3, "SGX", "30606A000000", lvl);
    body = signed_body(k, inner);
    assert_int_equal(parse_text(body), MSE_OK);
    /* Extra top-level member. */
    snprintf(buf, sizeof buf, "{\"x\":1,%s", body + 1);
    assert_int_equal(parse_text(buf), MSE_ERR_TCB_INFO_FORMAT);
    /* Duplicate key at the top (a third member: the envelope is refused) and inside. */
    snprintf(buf, sizeof buf, "{\"tcbInfo\":{},%s", body + 1);
    assert_int_equal(parse_text(buf), MSE_ERR_TCB_INFO_FORMAT);
    snprintf(buf, sizeof buf, "{\"tcbInfo\":{\"version\":3,%s", body + 12);
    assert_int_equal(parse_text(buf), MSE_ERR_JSON_DUPLICATE_KEY);
    /* Escaped spelling of the signed member's key. */
    snprintf(buf, sizeof buf, "{\"tcb\\u0049nfo\":%s", body + 11);
    assert_int_equal(parse_text(buf), MSE_ERR_TCB_INFO_FORMAT);
    /* Not JSON; too short signature; empty levels. */
    assert_int_equal(parse_text("{"), MSE_ERR_TCB_INFO_FORMAT);
    /* Trailing bytes after the envelope; a signature with an escape. */
    snprintf(buf, sizeof buf, "%s x", body);
    assert_int_equal(parse_text(buf), MSE_ERR_TCB_INFO_FORMAT);
    snprintf(buf, sizeof buf, "{\"tcbInfo\":%s,\"signature\":\"00\"}", inner);
    assert_int_equal(parse_text(buf), MSE_ERR_TCB_INFO_FORMAT);
    free(inner);
    free(body);
    inner = inner_info(3, "SGX", "30606A000000", "");
    body = signed_body(k, inner);
    assert_int_equal(parse_text(body), MSE_ERR_TCB_INFO_FORMAT);
    free(inner);
    free(body);
    free(lvl);
    EVP_PKEY_free(k);
}

/* The signature covers the raw text: whitespace Intel did not send breaks it, and vice versa. */
static void test_exact_bytes(void **state)
{
    EVP_PKEY *k = mse_test_key();
    uint8_t comp[16] = {0};
    char *lvl = level_v3(comp, 0, "UpToDate", "");
    char *inner = inner_info(3, "SGX", "30606A000000", lvl);
    char spaced[8192], sig[129], body[16384];
    struct mse_tcb_info t;
    /* Signed with a space after the first brace: verifies only over those bytes. */
    snprintf(spaced, sizeof spaced, "{ %s", inner + 1);
    mse_test_sign_hex(k, spaced, strlen(spaced), sig);
    snprintf(body, sizeof body, "{\"tcbInfo\" : %s ,\"signature\":\"%s\"}", spaced, sig);
    assert_int_equal(mse_tcb_info_parse((uint8_t *)body, strlen(body), &t), MSE_OK);
    assert_int_equal(t.signed_len, strlen(spaced));
    assert_int_equal(mse_tcb_info_verify_signature(&t, k), MSE_OK);
    mse_tcb_info_free(&t);
    /* Same signature, whitespace removed: the JSON is equal, the bytes are not. */
    snprintf(body, sizeof body, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", inner, sig);
    assert_int_equal(mse_tcb_info_parse((uint8_t *)body, strlen(body), &t), MSE_OK);
    assert_int_equal(mse_tcb_info_verify_signature(&t, k), MSE_ERR_TCB_INFO_SIGNATURE);
    mse_tcb_info_free(&t);
    free(inner);
    free(lvl);
    EVP_PKEY_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real),
        cmocka_unit_test(test_real_flipped_byte),
        cmocka_unit_test(test_each_status),
        cmocka_unit_test(test_level_selection),
        cmocka_unit_test(test_strictness),
        cmocka_unit_test(test_exact_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

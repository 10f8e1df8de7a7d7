/*
 * Quotes of every layout for display (mse_quote_any_parse), TDX named
 * everywhere (issue 12, acceptance 1 and 5): v3 read as the verifier reads
 * it; every prefix of a v3, v4 and v5 quote refused with the offset and
 * field named; TDX v4/v5 TD report fields; a TDX quote refused by the
 * verifier with MSE_ERR_QUOTE_TDX in a 1337.8 certificate, in the SGX
 * extension and as a raw quote; mse inspect's model of both.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <mse/inspect.h>
#include <mse/quote.h>
#include <mse/verify.h>

#include "sim/sim.h"
#include "testlib.h"

/* A TDX quote of `version` around the real SGX quote's QE part (the simulator's maker). */
static uint8_t *tdx_test_quote(int version, size_t *len)
{
    size_t real_len;
    uint8_t *real = mse_test_data("real/mse-quote.dat", &real_len), *quote = NULL;
    assert_int_equal(mse_sim_tdx_quote(version, real, real_len, &quote, len), MSE_OK);
    free(real);
    return quote;
}

/* A self-signed certificate with the quote in extension `oid` (DER, malloc'd). */
static uint8_t *cert_with(const char *oid, const uint8_t *quote, size_t quote_len, size_t *len)
{
    EVP_PKEY *k = mse_test_key();
    const struct mse_sim_cert_spec s = {.cn = "tdx.example", .intel_names = true, .key = k,
                                        .not_before = 1600000000, .not_after = 2500000000,
                                        .serial = 42, .ext_oid = oid, .ext_der = quote,
                                        .ext_len = quote_len};
    X509 *c = NULL;
    assert_int_equal(mse_sim_cert_make(&s, &c), MSE_OK);
    uint8_t *der = mse_test_cert_der(c, len);
    X509_free(c);
    EVP_PKEY_free(k);
    return der;
}

static void test_v3_as_verifier_reads_it(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/mse-quote.dat", &len);
    struct mse_quote q;
    struct mse_quote_any a;
    struct mse_parse_where w;
    assert_int_equal(mse_quote_parse(buf, len, &q), MSE_OK);
    assert_int_equal(mse_quote_any_parse(buf, len, &a, &w), MSE_OK);
    assert_false(a.is_td);
    assert_int_equal(a.version, 3);
    assert_memory_equal(a.sgx.mr_enclave, q.body.mr_enclave, 32);
    assert_memory_equal(a.sgx.report_data, q.body.report_data, 64);
    assert_memory_equal(a.qe_report.mr_signer, q.qe_report.mr_signer, 32);
    assert_ptr_equal(a.cert_data, q.cert_data);
    assert_int_equal(a.cert_data_len, q.cert_data_len);
    assert_int_equal(a.qe_auth_len, q.qe_auth_len);
    free(buf);
}

/* Every proper prefix is refused, names a field and an offset inside the input. */
static void every_prefix_named(const uint8_t *buf, size_t len)
{
    struct mse_quote_any a;
    for (size_t n = 0; n < len; n++) {
        struct mse_parse_where w = {0};
        mse_err e = mse_quote_any_parse(buf, n, &a, &w);
        if (e != MSE_ERR_QUOTE_TRUNCATED)
            fail_msg("prefix %zu: %s", n, mse_err_name(e));
        assert_non_null(w.field);
        assert_true(w.offset <= n);
        assert_int_equal(a.version, 0); /* zeroed */
    }
    assert_int_equal(mse_quote_any_parse(buf, len, &a, NULL), MSE_OK);
}

static void test_prefixes(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/mse-quote.dat", &len);
    every_prefix_named(buf, len);
    free(buf);
    for (int v = 4; v <= 5; v++) {
        buf = tdx_test_quote(v, &len);
        every_prefix_named(buf, len);
        free(buf);
    }
}

static void test_fields_named(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/mse-quote.dat", &len);
    struct mse_quote_any a;
    struct mse_parse_where w;
    /* Cut inside the signature data: the outer frame is short. */
    assert_int_equal(mse_quote_any_parse(buf, 1000, &a, &w), MSE_ERR_QUOTE_TRUNCATED);
    assert_string_equal(w.field, "signature_data");
    assert_int_equal(w.offset, 436);
    /* Version. */
    buf[0] = 2;
    assert_int_equal(mse_quote_any_parse(buf, len, &a, &w), MSE_ERR_QUOTE_VERSION);
    assert_string_equal(w.field, "header.version");
    assert_int_equal(w.offset, 0);
    buf[0] = 3;
    /* A QE auth data length past its frame. */
    buf[1012] = 0xff;
    buf[1013] = 0xff;
    assert_int_equal(mse_quote_any_parse(buf, len, &a, &w), MSE_ERR_QUOTE_LENGTH);
    assert_string_equal(w.field, "qe_auth_data");
    assert_int_equal(w.offset, 1014);
    /* Trailing bytes. */
    buf[1012] = 0x20;
    buf[1013] = 0;
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    assert_int_equal(mse_quote_any_parse(longer, len + 1, &a, &w), MSE_ERR_QUOTE_TRAILING);
    assert_int_equal(w.offset, len);
    free(longer);
    free(buf);
}

static void test_tdx_fields(void **state)
{
    for (int v = 4; v <= 5; v++) {
        size_t len;
        uint8_t *buf = tdx_test_quote(v, &len);
        struct mse_quote_any a;
        struct mse_quote q;
        uint8_t want[64];
        assert_int_equal(mse_quote_any_parse(buf, len, &a, NULL), MSE_OK);
        assert_true(a.is_td);
        assert_int_equal(a.version, v);
        assert_int_equal(a.tee_type, MSE_QUOTE_TEE_TDX);
        memset(want, MSE_SIM_TDX_MRTD_BYTE, 48);
        assert_memory_equal(a.td.mr_td, want, 48);
        for (int i = 0; i < 4; i++) {
            memset(want, MSE_SIM_TDX_RTMR_BYTE(i), 48);
            assert_memory_equal(a.td.rtmr[i], want, 48);
        }
        memset(want, MSE_SIM_TDX_REPORT_DATA_BYTE, 64);
        assert_memory_equal(a.td.report_data, want, 64);
        assert_true(a.td.td_attributes & MSE_TD_ATTRIBUTES_DEBUG);
        assert_int_equal(a.td.is_td15, v == 5);
        assert_int_equal(a.cert_data_type, MSE_QUOTE_CERT_DATA_PCK_CHAIN);
        /* The verifier's parser names it rather than calling it malformed. */
        assert_int_equal(mse_quote_parse(buf, len, &q), MSE_ERR_QUOTE_TDX);
        assert_int_equal(mse_err_exit(MSE_ERR_QUOTE_TDX), MSE_EXIT_TDX);
        free(buf);
    }
}

static void verify_cert(const uint8_t *der, size_t len, struct mse_verify_result *r)
{
    struct mse_policy p;
    mse_policy_init(&p);
    struct mse_verify_input in = {.cert_der = der, .cert_len = len, .at = 1700000000};
    assert_int_equal(mse_verify(&in, &p, r), MSE_OK);
}

static void test_tdx_refused_everywhere(void **state)
{
    size_t qlen, clen;
    uint8_t *quote = tdx_test_quote(4, &qlen);
    struct mse_verify_result *r = calloc(1, sizeof *r);
    struct mse_policy p;
    /* In its own extension, 1.2.840.113741.1337.8. */
    uint8_t *cert = cert_with(MSE_OID_TDX_QUOTE, quote, qlen, &clen);
    const uint8_t *view;
    size_t vlen;
    bool found;
    assert_int_equal(mse_cert_tdx_quote(cert, clen, &view, &vlen, &found), MSE_OK);
    assert_true(found);
    assert_int_equal(vlen, qlen);
    assert_memory_equal(view, quote, qlen);
    verify_cert(cert, clen, r);
    assert_false(r->ok);
    assert_int_equal(r->err, MSE_ERR_QUOTE_TDX);
    assert_int_equal(r->checks[MSE_CHECK_CERT].outcome, MSE_OUTCOME_FAIL);
    assert_non_null(strstr(r->message, "TDX"));
    free(cert);
    /* In the SGX extension. */
    cert = cert_with("1.2.840.113741.1337.6", quote, qlen, &clen);
    verify_cert(cert, clen, r);
    assert_int_equal(r->err, MSE_ERR_QUOTE_TDX);
    assert_int_equal(r->checks[MSE_CHECK_QUOTE].outcome, MSE_OUTCOME_FAIL);
    free(cert);
    /* As a raw quote. */
    mse_policy_init(&p);
    struct mse_verify_quote_input in = {.quote = quote, .quote_len = qlen, .at = 1700000000};
    assert_int_equal(mse_verify_quote(&in, &p, r), MSE_OK);
    assert_int_equal(r->err, MSE_ERR_QUOTE_TDX);
    free(quote);
    free(r);
}

static json_t *inspect(const uint8_t *data, size_t len)
{
    char *js = NULL;
    assert_int_equal(mse_inspect_json(data, len, &js, NULL), MSE_OK);
    json_t *o = json_loads(js, 0, NULL);
    assert_non_null(o);
    free(js);
    assert_non_null(strstr(json_string_value(json_object_get(o, "notice")), "nothing here is verified"));
    return o;
}

static void test_inspect(void **state)
{
    size_t len, qlen;
    uint8_t *pem = mse_test_data("real/mse-ratls-cert.pem", &len);
    json_t *o = inspect(pem, len);
    json_t *rep = json_object_get(json_object_get(o, "quote"), "report");
    assert_string_equal(json_string_value(json_object_get(o, "key_binding")), "mse");
    assert_string_equal(json_string_value(json_object_get(rep, "mrsigner")),
                        "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5");
    assert_string_equal(json_string_value(json_object_get(rep, "mrenclave")),
                        "0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b");
    assert_true(json_is_false(json_object_get(rep, "debug")));
    json_t *pck = json_object_get(json_object_get(o, "quote"), "pck");
    assert_string_equal(json_string_value(json_object_get(pck, "fmspc")), "30606a000000");
    json_decref(o);
    free(pem);

    uint8_t *quote = tdx_test_quote(4, &qlen);
    uint8_t *cert = cert_with(MSE_OID_TDX_QUOTE, quote, qlen, &len);
    o = inspect(cert, len);
    json_t *td = json_object_get(json_object_get(o, "quote"), "td_report");
    assert_non_null(td);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "quote"), "tee")),
                        "TDX");
    char want[97];
    memset(want, '1', 96);
    want[96] = '\0';
    assert_string_equal(json_string_value(json_object_get(td, "mr_td")), want);
    for (int i = 0; i < 4; i++) {
        char key[6] = "rtmr0";
        key[4] = (char)('0' + i);
        assert_non_null(json_object_get(td, key));
    }
    assert_true(json_is_true(json_object_get(td, "debug")));
    json_decref(o);
    free(cert);

    /* A truncated quote names the field. */
    struct mse_parse_where w;
    char *js = NULL;
    assert_int_equal(mse_inspect_json(quote, 600, &js, &w), MSE_ERR_QUOTE_TRUNCATED);
    assert_null(js);
    assert_string_equal(w.field, "td_report.report_data");
    free(quote);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v3_as_verifier_reads_it),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_fields_named),
        cmocka_unit_test(test_tdx_fields),
        cmocka_unit_test(test_tdx_refused_everywhere),
        cmocka_unit_test(test_inspect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

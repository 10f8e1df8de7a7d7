/* Test TDX quotes and certificates; see tdx_quote.h. */
#include <stdlib.h>
#include <string.h>

#include <mse/quote.h>

#include "tdx_quote.h"
#include "testlib.h"

struct w {
    uint8_t *b;
    size_t n, cap;
};

static void put(struct w *w, const void *p, size_t n)
{
    assert_true(n <= w->cap - w->n);
    if (p)
        memcpy(w->b + w->n, p, n);
    else
        memset(w->b + w->n, 0, n);
    w->n += n;
}

static void put_le(struct w *w, uint64_t v, size_t bytes)
{
    uint8_t b[8];
    for (size_t i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, bytes);
}

static void put_byte_run(struct w *w, uint8_t v, size_t n)
{
    uint8_t b[64];
    memset(b, v, sizeof b);
    put(w, b, n);
}

static void put_td_body(struct w *w, int version)
{
    put_byte_run(w, 0x01, 16); /* tee_tcb_svn */
    put_byte_run(w, 0x02, 48); /* mr_seam */
    put(w, NULL, 48);          /* mr_signer_seam */
    put_le(w, 0, 8);           /* seam_attributes */
    put_le(w, MSE_TD_ATTRIBUTES_DEBUG, 8);
    put_le(w, 0xe7, 8); /* xfam */
    put_byte_run(w, TDX_TEST_MRTD_BYTE, 48);
    put(w, NULL, 48 * 3); /* mr_config_id, mr_owner, mr_owner_config */
    for (int i = 0; i < 4; i++)
        put_byte_run(w, (uint8_t)TDX_TEST_RTMR_BYTE(i), 48);
    put_byte_run(w, TDX_TEST_REPORT_DATA_BYTE, 64);
    if (version == 5) {
        put(w, NULL, 16);          /* tee_tcb_svn2 */
        put_byte_run(w, 0x33, 48); /* mr_service_td */
    }
}

uint8_t *tdx_test_quote(int version, size_t *len)
{
    size_t real_len;
    uint8_t *real = mse_test_data("real/mse-quote.dat", &real_len);
    struct mse_quote sgx;
    assert_int_equal(mse_quote_parse(real, real_len, &sgx), MSE_OK);
    struct w w = {.b = malloc(MSE_QUOTE_MAX_SIZE), .cap = MSE_QUOTE_MAX_SIZE};
    /* header */
    put_le(&w, (uint64_t)version, 2);
    put_le(&w, MSE_QUOTE_ATT_KEY_ECDSA_P256, 2);
    put_le(&w, MSE_QUOTE_TEE_TDX, 4);
    put(&w, NULL, 4);
    put(&w, MSE_INTEL_QE_VENDOR_ID, 16);
    put(&w, NULL, 20);
    if (version == 5) {
        put_le(&w, 3, 2); /* TD 1.5 */
        put_le(&w, MSE_TD_REPORT15_SIZE, 4);
    }
    put_td_body(&w, version);
    /* signature data: sig, key, then certification data type 6 wrapping the QE part */
    size_t inner = MSE_REPORT_BODY_SIZE + 64 + 2 + sgx.qe_auth_len + 2 + 4 + sgx.cert_data_len;
    put_le(&w, 64 + 64 + 2 + 4 + inner, 4);
    put(&w, sgx.quote_signature, 64);
    put(&w, sgx.att_public_key, 64);
    put_le(&w, MSE_QUOTE_CERT_DATA_QE_REPORT, 2);
    put_le(&w, inner, 4);
    put(&w, sgx.qe_report.raw, MSE_REPORT_BODY_SIZE);
    put(&w, sgx.qe_report_signature, 64);
    put_le(&w, sgx.qe_auth_len, 2);
    put(&w, sgx.qe_auth_data, sgx.qe_auth_len);
    put_le(&w, MSE_QUOTE_CERT_DATA_PCK_CHAIN, 2);
    put_le(&w, sgx.cert_data_len, 4);
    put(&w, sgx.cert_data, sgx.cert_data_len);
    free(real);
    *len = w.n;
    return w.b;
}

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

uint8_t *tdx_test_cert(const uint8_t *quote, size_t quote_len, size_t *len)
{
    return cert_with(MSE_OID_TDX_QUOTE, quote, quote_len, len);
}

uint8_t *tdx_test_cert_in_sgx_ext(const uint8_t *quote, size_t quote_len, size_t *len)
{
    return cert_with("1.2.840.113741.1337.6", quote, quote_len, len);
}

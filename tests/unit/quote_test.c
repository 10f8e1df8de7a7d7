/* SGX quote v3 parser: real quotes, truncation at every offset, every malformed length and type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/bytes.h>
#include <mse/quote.h>

#include "testlib.h"

/* Offsets in a v3 quote (Intel layout). */
#define OFF_VERSION 0
#define OFF_KEY_TYPE 2
#define OFF_TEE_TYPE 4
#define OFF_SIG_LEN 432
#define OFF_SIG_DATA 436
#define OFF_AUTH_LEN (OFF_SIG_DATA + 64 + 64 + 384 + 64)

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
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
    struct mse_quote q;
    assert_int_equal(mse_quote_parse(buf, len, &q), MSE_OK);
    assert_int_equal(q.version, 3);
    assert_int_equal(q.att_key_type, 2);
    assert_int_equal(q.tee_type, 0);
    assert_memory_equal(q.qe_vendor_id, MSE_INTEL_QE_VENDOR_ID, 16);
    expect_hex(q.body.mr_enclave, 32,
               "0e4ec55e690b06a574af59dfd51baa3866ac4c8d37896effc0f1fad17b31cf3b");
    expect_hex(q.body.mr_signer, 32,
               "c1c161d0dd996e8a9847de67ea2c00226761f7715a2c422d3012ac10795a1ef5");
    assert_false(q.body.attributes_flags & MSE_SGX_FLAGS_DEBUG);
    assert_true(q.body.attributes_flags & MSE_SGX_FLAGS_INIT);
    assert_int_equal(q.signed_len, 432);
    assert_ptr_equal(q.signed_data, buf);
    assert_ptr_equal(q.body.raw, buf + 48);
    assert_int_equal(q.cert_data_type, 5);
    assert_true(q.cert_data_len > 1000);
    assert_memory_equal(q.cert_data, "-----BEGIN CERTIFICATE-----", 27);
    assert_int_equal(q.total_len, len);
    free(buf);
}

static void test_real_intel_sgx_ra_quote(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/intel-sgx-ra-quote.dat", &len);
    struct mse_quote q;
    char hex[65];
    assert_int_equal(len, 4734);
    assert_int_equal(mse_quote_parse(buf, len, &q), MSE_OK);
    mse_hex_encode(q.body.mr_signer, 32, hex);
    assert_memory_equal(hex, "ac2c9fa8", 8);
    assert_string_equal(hex + 56, "59919980");
    free(buf);
}

/* Every proper prefix of a valid quote is refused as truncated, never crashes. */
static void test_truncated_at_every_offset(void **state)
{
    const char *files[] = {"real/mse-quote.dat", "real/intel-sgx-ra-quote.dat"};
    for (size_t f = 0; f < 2; f++) {
        size_t len;
        uint8_t *buf = mse_test_data(files[f], &len);
        for (size_t n = 0; n < len; n++) {
            /* An exact-size copy, so ASan sees any read past the prefix. */
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, buf, n);
            struct mse_quote q;
            memset(&q, 0xa5, sizeof q);
            mse_err err = mse_quote_parse(copy, n, &q);
            if (err != MSE_ERR_QUOTE_TRUNCATED) {
                fprintf(stderr, "%s prefix %zu: %s\n", files[f], n, mse_err_name(err));
                fail();
            }
            assert_int_equal(q.version, 0); /* zeroed on error */
            assert_null(q.cert_data);
            free(copy);
        }
        free(buf);
    }
}

static mse_err parse_mutated(const uint8_t *orig, size_t len, size_t off, const uint8_t *bytes,
                             size_t n, size_t new_len)
{
    uint8_t *copy = calloc(1, new_len > len ? new_len : len);
    memcpy(copy, orig, len);
    memcpy(copy + off, bytes, n);
    struct mse_quote q;
    mse_err err = mse_quote_parse(copy, new_len, &q);
    free(copy);
    return err;
}

static void test_types_refused(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/mse-quote.dat", &len);
    uint8_t v[4];
    put_u16(v, 4);
    assert_int_equal(parse_mutated(buf, len, OFF_VERSION, v, 2, len), MSE_ERR_QUOTE_VERSION);
    put_u16(v, 2);
    assert_int_equal(parse_mutated(buf, len, OFF_VERSION, v, 2, len), MSE_ERR_QUOTE_VERSION);
    put_u16(v, 3); /* ECDSA-P384: not what SGX DCAP quotes use */
    assert_int_equal(parse_mutated(buf, len, OFF_KEY_TYPE, v, 2, len), MSE_ERR_QUOTE_KEY_TYPE);
    put_u32(v, 0x81); /* TDX */
    assert_int_equal(parse_mutated(buf, len, OFF_TEE_TYPE, v, 4, len), MSE_ERR_QUOTE_TEE_TYPE);
    size_t auth_len = get_u16(buf + OFF_AUTH_LEN);
    size_t off_cert_type = OFF_AUTH_LEN + 2 + auth_len;
    for (uint16_t t = 1; t <= 7; t++) {
        if (t == 5)
            continue;
        put_u16(v, t);
        assert_int_equal(parse_mutated(buf, len, off_cert_type, v, 2, len),
                         MSE_ERR_QUOTE_CERT_DATA_TYPE);
    }
    free(buf);
}

/*
 * Each length field at 0, its largest consistent value ("max"), max+1 and the
 * largest value its width holds. The rule (src/core/quote.c): sig_data_len
 * against the buffer is TRUNCATED; nested lengths against sig_data_len are
 * LENGTH, whatever bytes follow.
 */
static void test_length_fields(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/mse-quote.dat", &len);
    uint8_t v[4];
    uint32_t sig_len = (uint32_t)(len - OFF_SIG_DATA);
    size_t auth_len = get_u16(buf + OFF_AUTH_LEN);
    size_t off_cert_len = OFF_AUTH_LEN + 2 + auth_len + 2;
    uint32_t cert_len = (uint32_t)(len - (off_cert_len + 4));

    /* sig_data_len: 0 and one short leave the nested fields outside the frame. */
    put_u32(v, 0);
    assert_int_equal(parse_mutated(buf, len, OFF_SIG_LEN, v, 4, len), MSE_ERR_QUOTE_LENGTH);
    put_u32(v, sig_len - 1);
    assert_int_equal(parse_mutated(buf, len, OFF_SIG_LEN, v, 4, len), MSE_ERR_QUOTE_LENGTH);
    /* max (the real value) parses; max+1 and 0xffffffff claim bytes the buffer lacks. */
    put_u32(v, sig_len);
    assert_int_equal(parse_mutated(buf, len, OFF_SIG_LEN, v, 4, len), MSE_OK);
    put_u32(v, sig_len + 1);
    assert_int_equal(parse_mutated(buf, len, OFF_SIG_LEN, v, 4, len), MSE_ERR_QUOTE_TRUNCATED);
    put_u32(v, 0xffffffffu);
    assert_int_equal(parse_mutated(buf, len, OFF_SIG_LEN, v, 4, len), MSE_ERR_QUOTE_TRUNCATED);
    /* max+1 with the extra byte present: the frame now holds a byte its content does not use. */
    put_u32(v, sig_len + 1);
    assert_int_equal(parse_mutated(buf, len, OFF_SIG_LEN, v, 4, len + 1), MSE_ERR_QUOTE_LENGTH);

    /* qe_auth_len. 0 makes the first QE auth bytes (00 01) the cert data type 0x100. */
    put_u16(v, 0);
    assert_int_equal(parse_mutated(buf, len, OFF_AUTH_LEN, v, 2, len),
                     MSE_ERR_QUOTE_CERT_DATA_TYPE);
    /* max leaves exactly 6 bytes for type and length (type then reads PEM text). */
    size_t auth_max = len - (OFF_AUTH_LEN + 2) - 6;
    put_u16(v, (uint16_t)auth_max);
    assert_int_equal(parse_mutated(buf, len, OFF_AUTH_LEN, v, 2, len),
                     MSE_ERR_QUOTE_CERT_DATA_TYPE);
    put_u16(v, (uint16_t)(len - (OFF_AUTH_LEN + 2) + 1)); /* past the frame */
    assert_int_equal(parse_mutated(buf, len, OFF_AUTH_LEN, v, 2, len), MSE_ERR_QUOTE_LENGTH);
    put_u16(v, 0xffff);
    assert_int_equal(parse_mutated(buf, len, OFF_AUTH_LEN, v, 2, len), MSE_ERR_QUOTE_LENGTH);
    /* ... also when the buffer goes on long enough to hold what it asks for. */
    put_u16(v, (uint16_t)(len - (OFF_AUTH_LEN + 2) + 100));
    assert_int_equal(parse_mutated(buf, len, OFF_AUTH_LEN, v, 2, len + 200), MSE_ERR_QUOTE_LENGTH);

    /* cert_data_len: 0 and one short leave unused bytes in the frame; max+1 overruns it. */
    put_u32(v, 0);
    assert_int_equal(parse_mutated(buf, len, off_cert_len, v, 4, len), MSE_ERR_QUOTE_LENGTH);
    put_u32(v, cert_len - 1);
    assert_int_equal(parse_mutated(buf, len, off_cert_len, v, 4, len), MSE_ERR_QUOTE_LENGTH);
    put_u32(v, cert_len);
    assert_int_equal(parse_mutated(buf, len, off_cert_len, v, 4, len), MSE_OK);
    put_u32(v, cert_len + 1);
    assert_int_equal(parse_mutated(buf, len, off_cert_len, v, 4, len), MSE_ERR_QUOTE_LENGTH);
    assert_int_equal(parse_mutated(buf, len, off_cert_len, v, 4, len + 1), MSE_ERR_QUOTE_LENGTH);
    put_u32(v, 0xffffffffu);
    assert_int_equal(parse_mutated(buf, len, off_cert_len, v, 4, len), MSE_ERR_QUOTE_LENGTH);

    /* Both lengths shrunk together by one, cut short by one: consistent again, so the
     * stray byte after the quote is trailing, not a length error. */
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    put_u32(copy + OFF_SIG_LEN, sig_len - 1);
    put_u32(copy + off_cert_len, cert_len - 1);
    struct mse_quote q;
    assert_int_equal(mse_quote_parse(copy, len, &q), MSE_ERR_QUOTE_TRAILING);
    assert_int_equal(mse_quote_parse(copy, len - 1, &q), MSE_OK);
    assert_int_equal(q.cert_data_len, cert_len - 1);
    free(copy);
    free(buf);
}

/* A quote of another kind gets its own error even when it is also cut short. */
static void test_type_before_truncation(void **state)
{
    uint8_t hdr[8] = {4, 0, 2, 0, 0, 0, 0, 0};
    struct mse_quote q;
    assert_int_equal(mse_quote_parse(hdr, 2, &q), MSE_ERR_QUOTE_VERSION);
    hdr[0] = 3;
    hdr[2] = 3;
    assert_int_equal(mse_quote_parse(hdr, 4, &q), MSE_ERR_QUOTE_KEY_TYPE);
    hdr[2] = 2;
    hdr[4] = 0x81;
    assert_int_equal(mse_quote_parse(hdr, 8, &q), MSE_ERR_QUOTE_TEE_TYPE);
    hdr[4] = 0;
    assert_int_equal(mse_quote_parse(hdr, 8, &q), MSE_ERR_QUOTE_TRUNCATED);
    assert_int_equal(mse_quote_parse(hdr, 0, &q), MSE_ERR_QUOTE_TRUNCATED);
}

static void test_trailing_and_limit(void **state)
{
    size_t len;
    uint8_t *buf = mse_test_data("real/mse-quote.dat", &len);
    uint8_t zero = 0;
    assert_int_equal(parse_mutated(buf, len, len, &zero, 1, len + 1), MSE_ERR_QUOTE_TRAILING);
    uint8_t *big = calloc(1, MSE_QUOTE_MAX_SIZE + 1);
    struct mse_quote q;
    assert_int_equal(mse_quote_parse(big, MSE_QUOTE_MAX_SIZE + 1, &q), MSE_ERR_LIMIT);
    free(big);
    free(buf);
}

static void test_report_body(void **state)
{
    uint8_t body[MSE_REPORT_BODY_SIZE] = {0};
    struct mse_report_body r;
    body[48] = 0x07; /* attributes.flags: INIT | DEBUG | MODE64BIT */
    body[256] = 0x34;
    body[257] = 0x12; /* isv_prod_id */
    body[383] = 0xaa; /* last byte of report_data */
    assert_int_equal(mse_report_body_parse(body, sizeof body, &r), MSE_OK);
    assert_true(r.attributes_flags == 7);
    assert_int_equal(r.isv_prod_id, 0x1234);
    assert_int_equal(r.report_data[63], 0xaa);
    assert_int_equal(mse_report_body_parse(body, sizeof body - 1, &r), MSE_ERR_TRUNCATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_mse_quote),
        cmocka_unit_test(test_real_intel_sgx_ra_quote),
        cmocka_unit_test(test_truncated_at_every_offset),
        cmocka_unit_test(test_types_refused),
        cmocka_unit_test(test_length_fields),
        cmocka_unit_test(test_type_before_truncation),
        cmocka_unit_test(test_trailing_and_limit),
        cmocka_unit_test(test_report_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

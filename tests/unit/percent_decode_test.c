/*
 * Issuer-chain headers as PCS/PCCS v4 send them: the PEM chain percent-encoded
 * (RFC 3986, as JavaScript's encodeURIComponent does in Intel's PCCS). The
 * network layer keeps the header value as sent; the core decodes it with
 * mse_percent_decode before reading the PEM. These tests pin that decoding
 * and show that an encoded and a plain chain load the same certificates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcap.h"
#include "testlib.h"

static void expect_decode(const char *in, const char *want)
{
    uint8_t *out = NULL;
    size_t n = 0;
    assert_int_equal(mse_percent_decode((const uint8_t *)in, strlen(in), &out, &n), MSE_OK);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    assert_int_equal(out[n], 0);
    free(out);
}

static void test_vectors(void **state)
{
    (void)state;
    expect_decode("", "");
    expect_decode("plain", "plain");
    expect_decode("-----BEGIN%20CERTIFICATE-----%0AMIIB%2B%2f%3D%0A",
                  "-----BEGIN CERTIFICATE-----\nMIIB+/=\n");
    /* '+' is a literal plus in RFC 3986 (not form encoding's space). */
    expect_decode("a+b", "a+b");
    expect_decode("%25%32%30", "%20"); /* decoded once, never twice */
    uint8_t *out = NULL;
    size_t n = 0;
    assert_int_equal(mse_percent_decode((const uint8_t *)"%00x", 4, &out, &n), MSE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 'x');
    free(out);
}

static void test_bad_escapes(void **state)
{
    (void)state;
    const char *bad[] = {"%", "%2", "abc%", "abc%4", "%zz", "%g0", "%0g", "% 20", "x%-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *out = (uint8_t *)"untouched";
        size_t n = 7;
        assert_int_equal(mse_percent_decode((const uint8_t *)bad[i], strlen(bad[i]), &out, &n),
                         MSE_ERR_PEM);
        /* Outputs are left alone on failure: nothing half-decoded escapes. */
        assert_string_equal((const char *)out, "untouched");
        assert_int_equal(n, 7);
    }
}

/* encodeURIComponent's unreserved set: A-Z a-z 0-9 - _ . ! ~ * ' ( ) */
static char *encode_uri_component(const uint8_t *in, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(len * 3 + 1);
    size_t j = 0;
    assert_non_null(out);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            (c != 0 && strchr("-_.!~*'()", c) != NULL)) {
            out[j++] = (char)c;
        } else {
            out[j++] = '%';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        }
    }
    out[j] = 0;
    return out;
}

static void test_real_chain_header(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *pem = mse_test_data("real/quote-pck-chain.pem", &len);
    char *enc = encode_uri_component(pem, len);
    /* Every byte round-trips. */
    uint8_t *dec = NULL;
    size_t dn = 0;
    assert_int_equal(mse_percent_decode((const uint8_t *)enc, strlen(enc), &dec, &dn), MSE_OK);
    assert_int_equal(dn, len);
    assert_memory_equal(dec, pem, len);
    free(dec);

    /* The core loads the same three certificates from the header as from the PEM. */
    struct mse_certs plain, header;
    assert_int_equal(mse_x509_pem_chain(pem, len, &plain), MSE_OK);
    assert_int_equal(mse_x509_issuer_chain_partial((const uint8_t *)enc, strlen(enc), MSE_CERTS_MAX,
                                                   &header),
                     MSE_OK);
    assert_int_equal(plain.n, 3);
    assert_int_equal(header.n, plain.n);
    for (size_t i = 0; i < plain.n; i++) {
        const uint8_t *a, *b;
        size_t al, bl;
        mse_certs_der(&plain, i, &a, &al);
        mse_certs_der(&header, i, &b, &bl);
        assert_int_equal(al, bl);
        assert_memory_equal(a, b, al);
    }
    mse_certs_free(&plain);
    mse_certs_free(&header);

    /* A header cut inside an escape is refused, not read as a shorter chain. */
    size_t el = strlen(enc);
    char *pct = strrchr(enc, '%');
    assert_non_null(pct);
    struct mse_certs cut;
    assert_int_equal(mse_x509_issuer_chain_partial((const uint8_t *)enc, (size_t)(pct - enc) + 2,
                                                   MSE_CERTS_MAX, &cut),
                     MSE_ERR_PEM);
    assert_true((size_t)(pct - enc) + 2 < el);
    free(enc);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_bad_escapes),
        cmocka_unit_test(test_real_chain_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

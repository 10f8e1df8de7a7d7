/*
 * Memory the verifier spends on a hostile certificate (issue 13, acceptance
 * 1): a TCG DICE extension of 11 bytes declaring a 50-million-element CBOR
 * array made the old decoder allocate 400 MB before refusing. Each case runs
 * mse_verify in a child process and reads the child's peak RSS
 * (ru_maxrss) from wait4; the refusal must cost under 32 MB. A control child
 * that touches 64 MB shows the measurement sees an allocation of that size.
 * The same inputs seed tests/fuzz/corpus/ratls/.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <mse/verify.h>

#include "testlib.h"

#define PEAK_LIMIT_KB (32 * 1024)
#define NOW 1780000000

/* tag(60000) array(50,000,000) followed by three empty byte strings: 11 bytes. */
static const uint8_t HUGE_ARRAY[] = {0xd9, 0xea, 0x60, 0x9a, 0x02, 0xfa,
                                     0xf0, 0x80, 0x40, 0x40, 0x40};
/* The same declaration nested in the quote position, then a map declaring 2^64-1 pairs. */
static const uint8_t HUGE_NESTED[] = {0xd9, 0xea, 0x60, 0x82, 0x9a, 0x02, 0xfa, 0xf0, 0x80, 0x40,
                                      0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
/* A byte string declaring 4 GiB. */
static const uint8_t HUGE_BSTR[] = {0xd9, 0xea, 0x60, 0x82, 0x5a, 0xff, 0xff, 0xff, 0xff, 0x00};

/* A self-signed P-256 certificate whose only extension is DICE evidence `ev`. */
static uint8_t *dice_cert(const uint8_t *ev, size_t ev_len, size_t *len)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, NULL);
    X509_time_adj_ex(X509_getm_notAfter(x), 1, 0, NULL);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"dice", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    ASN1_OBJECT *oid = OBJ_txt2obj("2.23.133.5.4.9", 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    assert_true(ASN1_OCTET_STRING_set(os, ev, (int)ev_len) == 1);
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
    assert_non_null(ext);
    assert_true(X509_add_ext(x, ext, -1) == 1);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    uint8_t *out = malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(oid);
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

/* Child: verify the certificate, exit with 0 if refused with want, 1 otherwise. */
static void child_verify(const uint8_t *der, size_t len, mse_err want)
{
    struct mse_policy p;
    struct mse_verify_result *r = calloc(1, sizeof *r);
    struct mse_verify_input in = {.cert_der = der, .cert_len = len, .at = NOW};
    mse_policy_init(&p);
    mse_err e = r ? mse_verify(&in, &p, r) : MSE_ERR_NOMEM;
    _exit(e == MSE_OK && !r->ok && r->err == want ? 0 : 1);
}

/* Child: the control, 64 MB written so every page counts. */
static void child_touch(void)
{
    size_t n = 64u << 20;
    volatile uint8_t *b = malloc(n);
    for (size_t i = 0; b != NULL && i < n; i += 4096)
        b[i] = 1;
    _exit(b != NULL ? 0 : 1);
}

/* Peak RSS of a child running fn, in KiB; the child's exit status must be 0. */
static long peak_kb(const uint8_t *der, size_t len, mse_err want)
{
    struct rusage ru;
    int status = 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (der)
            child_verify(der, len, want);
        child_touch();
    }
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return ru.ru_maxrss;
}

/* Sanitizers add their own resident memory: there the limit counts above a benign refusal. */
#if defined(__SANITIZE_ADDRESS__)
#define MSE_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MSE_TEST_SANITIZED 1
#endif
#endif

static void check(const uint8_t *ev, size_t ev_len, const char *label)
{
    static const uint8_t EMPTY_ARRAY[] = {0xd9, 0xea, 0x60, 0x80}; /* refused as well, cheaply */
    size_t len, base_len;
    uint8_t *der = dice_cert(ev, ev_len, &len);
    uint8_t *base = dice_cert(EMPTY_ARRAY, sizeof EMPTY_ARRAY, &base_len);
    long base_kb = peak_kb(base, base_len, MSE_ERR_RATLS_DICE_FORMAT);
    long kb = peak_kb(der, len, MSE_ERR_RATLS_DICE_FORMAT);
    long limit = PEAK_LIMIT_KB;
#ifdef MSE_TEST_SANITIZED
    limit += base_kb;
#endif
    print_message("%s: refused, peak RSS %ld KiB (a benign refusal: %ld KiB)\n", label, kb,
                  base_kb);
    if (kb >= limit)
        fail_msg("%s: peak RSS %ld KiB, limit %ld KiB", label, kb, limit);
    free(der);
    free(base);
}

static void test_measure_sees_64mb(void **state)
{
    long kb = peak_kb(NULL, 0, MSE_OK);
    print_message("control: peak RSS %ld KiB\n", kb);
    assert_true(kb >= 64 * 1024);
}

static void test_huge_array(void **state)
{
    check(HUGE_ARRAY, sizeof HUGE_ARRAY, "array of 50 million");
}

static void test_huge_nested(void **state)
{
    check(HUGE_NESTED, sizeof HUGE_NESTED, "nested array and map");
}

static void test_huge_bstr(void **state)
{
    check(HUGE_BSTR, sizeof HUGE_BSTR, "byte string of 4 GiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measure_sees_64mb),
        cmocka_unit_test(test_huge_array),
        cmocka_unit_test(test_huge_nested),
        cmocka_unit_test(test_huge_bstr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

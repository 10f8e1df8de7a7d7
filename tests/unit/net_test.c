/* Pure parts of the network layer: DOMAIN parsing, Intel's QCNL configuration, cache freshness. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include <mse/net.h>

#include "testlib.h"
#include "net/cache.h"

static void expect_ep(const char *in, const char *host, const char *port, bool ip)
{
    struct mse_endpoint ep;
    assert_int_equal(mse_endpoint_parse(in, &ep), MSE_OK);
    assert_string_equal(ep.host, host);
    assert_string_equal(ep.port, port);
    assert_int_equal(ep.host_is_ip, ip);
}

static void test_endpoints(void **state)
{
    expect_ep("my_app.example", "my_app.example", "443", false);
    expect_ep("my-app.example:8443", "my-app.example", "8443", false);
    expect_ep("https://app.example/path?q=1", "app.example", "443", false);
    expect_ep("https://app.example:444/", "app.example", "444", false);
    expect_ep("127.0.0.1:4433", "127.0.0.1", "4433", true);
    expect_ep("[::1]:4433", "::1", "4433", true);
    expect_ep("[2001:db8::1]", "2001:db8::1", "443", true);
    const char *bad[] = {"", "http://app.example", "ftp://x", "app.example:0", "app.example:65536",
                         "app.example:12a", "app.example:", "[::1", "[::1]x", "a b.example",
                         "::1:443", "app.example:123456", "ex\"ample"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mse_endpoint ep;
        if (mse_endpoint_parse(bad[i], &ep) != MSE_ERR_ARG) {
            fprintf(stderr, "accepted: '%s'\n", bad[i]);
            fail();
        }
    }
}

static void test_qcnl(void **state)
{
    /* The shape Intel ships: JSON with // comments, a leading-comma style. */
    const char *conf = "{\n  // *** ATTENTION : keys are case sensitive.\n"
                       "  \"pccs_url\": \"https://localhost:8081/sgx/certification/v4/\"\n"
                       "  // To accept insecure HTTPS certificate, set this option to false\n"
                       "  ,\"use_secure_cert\": false\n"
                       "  //,\"collateral_service\": \"https://api.trustedservices.intel.com/x\"\n"
                       "  ,\"retry_times\": 6\n}\n";
    char *url = NULL;
    bool secure = true;
    assert_int_equal(mse_qcnl_parse(conf, strlen(conf), &url, &secure), MSE_OK);
    assert_string_equal(url, "https://localhost:8081/sgx/certification/v4/");
    assert_false(secure);
    free(url);
    /* collateral_service wins over pccs_url; a // inside a string is not a comment. */
    const char *conf2 = "{\"pccs_url\": \"https://a//b\", \"collateral_service\": \"https://c//d\"}";
    assert_int_equal(mse_qcnl_parse(conf2, strlen(conf2), &url, &secure), MSE_OK);
    assert_string_equal(url, "https://c//d");
    assert_true(secure);
    free(url);
    const char *dup = "{\"pccs_url\": \"https://a\", \"pccs_url\": \"https://b\"}";
    assert_int_equal(mse_qcnl_parse(dup, strlen(dup), &url, &secure), MSE_ERR_JSON);
    const char *none = "{\"use_secure_cert\": true}";
    assert_int_equal(mse_qcnl_parse(none, strlen(none), &url, &secure), MSE_ERR_JSON_FIELD);
    const char *badtype = "{\"pccs_url\": \"https://a\", \"use_secure_cert\": \"no\"}";
    assert_int_equal(mse_qcnl_parse(badtype, strlen(badtype), &url, &secure), MSE_ERR_JSON_FIELD);
}

static void test_cache_freshness(void **state)
{
    /* [issue, nextUpdate): the instant of nextUpdate is already stale. */
    assert_true(mse_cache_fresh(100, 200, 100));
    assert_true(mse_cache_fresh(100, 200, 199));
    assert_false(mse_cache_fresh(100, 200, 200));
    assert_false(mse_cache_fresh(100, 200, 99));
}

static void test_cache_keys(void **state)
{
    struct mse_collateral_id id = {.fmspc = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00}, .processor_ca = 1};
    char key[64];
    mse_cache_key(MSE_PCCS_TCB_INFO, &id, key, sizeof key);
    assert_string_equal(key, "tcb-00906ed50000");
    mse_cache_key(MSE_PCCS_PCK_CRL, &id, key, sizeof key);
    assert_string_equal(key, "pckcrl-processor");
    id.processor_ca = 0;
    mse_cache_key(MSE_PCCS_PCK_CRL, &id, key, sizeof key);
    assert_string_equal(key, "pckcrl-platform");
    mse_cache_key(MSE_PCCS_QE_IDENTITY, &id, key, sizeof key);
    assert_string_equal(key, "qe-identity");
    mse_cache_key(MSE_PCCS_ROOT_CA_CRL, &id, key, sizeof key);
    assert_string_equal(key, "rootcacrl");
}

static void test_cache_dirs_per_service(void **state)
{
    char *tmp = mse_test_tmpdir();
    char a[4096], b[4096], a2[4096];
    setenv("XDG_CACHE_HOME", tmp, 1);
    assert_int_equal(mse_cache_dir(a, sizeof a, "http://127.0.0.1:1"), MSE_OK);
    assert_int_equal(mse_cache_dir(b, sizeof b, "http://127.0.0.1:2"), MSE_OK);
    assert_int_equal(mse_cache_dir(a2, sizeof a2, "http://127.0.0.1:1"), MSE_OK);
    assert_string_not_equal(a, b);
    assert_string_equal(a, a2);
    assert_memory_equal(a, tmp, strlen(tmp));
    mse_test_rmtree(tmp);
    free(tmp);
}

/* A self-signed certificate for CN=cn with this subjectAltName (OpenSSL config syntax, or NULL). */
static uint8_t *cert_with_san(const char *cn, const char *san, size_t *len)
{
    EVP_PKEY *key = mse_test_key();
    X509 *c = mse_test_cert(cn, key, NULL, NULL, 0, 4000000000LL, false, 1);
    if (san) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(c, ext, -1), 1);
        X509_EXTENSION_free(ext);
        assert_true(X509_sign(c, key, EVP_sha256()) > 0);
    }
    uint8_t *der = mse_test_cert_der(c, len);
    X509_free(c);
    EVP_PKEY_free(key);
    return der;
}

static void test_cert_names(void **state)
{
    size_t len;
    char names[256];
    uint8_t *der = cert_with_san("localhost", "DNS:localhost,DNS:*.apps.example,IP:10.0.0.1", &len);
    assert_int_equal(mse_cert_check_host(der, len, "localhost", names, sizeof names), MSE_OK);
    assert_int_equal(mse_cert_check_host(der, len, "LOCALHOST", NULL, 0), MSE_OK);
    assert_int_equal(mse_cert_check_host(der, len, "a.apps.example", NULL, 0), MSE_OK);
    assert_int_equal(mse_cert_check_host(der, len, "10.0.0.1", NULL, 0), MSE_OK);
    /* The attack: a certificate for one name saved for another target. */
    assert_int_equal(mse_cert_check_host(der, len, "127.0.0.1", names, sizeof names),
                     MSE_ERR_CERT_NAME_MISMATCH);
    assert_string_equal(names, "DNS:localhost, DNS:*.apps.example, IP:10.0.0.1");
    /* Wildcards cover one label only, never the bare domain. */
    assert_int_equal(mse_cert_check_host(der, len, "a.b.apps.example", NULL, 0),
                     MSE_ERR_CERT_NAME_MISMATCH);
    assert_int_equal(mse_cert_check_host(der, len, "apps.example", NULL, 0),
                     MSE_ERR_CERT_NAME_MISMATCH);
    /* An IP literal is matched against IP entries only, a name against DNS entries only. */
    assert_int_equal(mse_cert_check_host(der, len, "10.0.0.2", NULL, 0), MSE_ERR_CERT_NAME_MISMATCH);
    free(der);

    der = cert_with_san("x", "IP:::1", &len);
    assert_int_equal(mse_cert_check_host(der, len, "::1", NULL, 0), MSE_OK);
    assert_int_equal(mse_cert_check_host(der, len, "localhost", names, sizeof names),
                     MSE_ERR_CERT_NAME_MISMATCH);
    assert_string_equal(names, "IP:::1");
    free(der);

    /* The subject CN is not a name browsers accept: never used. */
    der = cert_with_san("app.example", NULL, &len);
    assert_int_equal(mse_cert_check_host(der, len, "app.example", names, sizeof names),
                     MSE_ERR_CERT_NAME_MISMATCH);
    assert_non_null(strstr(names, "no usable subjectAltName"));
    free(der);

    /* Many or odd names: the description stays bounded and printable. */
    char san[2048] = "DNS:ok.example";
    for (int i = 0; i < 40; i++)
        strcat(san, ",DNS:a-rather-long-name-to-fill-the-buffer.example");
    der = cert_with_san("x", san, &len);
    assert_int_equal(mse_cert_check_host(der, len, "other.example", names, 64),
                     MSE_ERR_CERT_NAME_MISMATCH);
    assert_true(strlen(names) < 64);
    assert_non_null(strstr(names, "..."));
    free(der);

    /* Not a certificate, or trailing bytes. */
    uint8_t junk[4] = {0x30, 0x02, 0x01, 0x00};
    assert_int_equal(mse_cert_check_host(junk, sizeof junk, "x", NULL, 0), MSE_ERR_CERT_PARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_cert_names),
        cmocka_unit_test(test_qcnl),
        cmocka_unit_test(test_cache_freshness),
        cmocka_unit_test(test_cache_keys),
        cmocka_unit_test(test_cache_dirs_per_service),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

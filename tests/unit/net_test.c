/* Pure parts of the network layer: DOMAIN parsing, Intel's QCNL configuration, cache freshness. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_qcnl),
        cmocka_unit_test(test_cache_freshness),
        cmocka_unit_test(test_cache_keys),
        cmocka_unit_test(test_cache_dirs_per_service),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

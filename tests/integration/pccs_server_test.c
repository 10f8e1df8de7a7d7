/*
 * The simulated PCCS through its C API (src/sim/pccs.h), as another test
 * would embed it: start on an ephemeral loopback port, serve from a thread,
 * switch faults at run time, read the counter, stop from another thread,
 * stop on max_requests. Fetches go through libcurl.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/pccs.h"
#include "testlib.h"

struct fixture {
    char *dir;
    struct mse_sim_pccs *srv;
    pthread_t thread;
    bool joined;            /* thread started and joined (or never started) */
    atomic_bool done;
    mse_err run_err;
};

static const uint8_t ROOT_CRL[] = {0x30, 0x03, 0x02, 0x01, 0xfe};
static const char TCB_JSON[] = "{\"tcbInfo\":{\"fmspc\":\"00906ed50000\"},\"signature\":\"00\"}";
static const char CHAIN[] = "-----BEGIN CERTIFICATE-----\nAB+/=\n-----END CERTIFICATE-----\n";

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->joined = true;
    fx->dir = mse_test_tmpdir();
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/pccs", fx->dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(sub, sizeof sub, "%s/pccs/tcb", fx->dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(sub, sizeof sub, "%s/pccs", fx->dir);
    mse_test_write(sub, "rootcacrl.der", ROOT_CRL, sizeof ROOT_CRL);
    mse_test_write(sub, "tcb/00906ed50000.json", TCB_JSON, strlen(TCB_JSON));
    mse_test_write(sub, "tcb-chain.pem", CHAIN, strlen(CHAIN));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    if (!fx->joined) {
        /* a failed assertion left the server thread running */
        mse_sim_pccs_stop(fx->srv);
        pthread_join(fx->thread, NULL);
    }
    mse_sim_pccs_free(fx->srv);
    mse_test_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

static void *serve(void *arg)
{
    struct fixture *fx = arg;
    fx->run_err = mse_sim_pccs_run(fx->srv, false);
    atomic_store(&fx->done, true);
    return NULL;
}

/* Join the server thread, waiting at most 10 s for it to end by itself. */
static bool join_bounded(struct fixture *fx)
{
    for (int i = 0; i < 1000 && !atomic_load(&fx->done); i++)
        usleep(10 * 1000);
    bool ended = atomic_load(&fx->done);
    if (!ended)
        mse_sim_pccs_stop(fx->srv);
    pthread_join(fx->thread, NULL);
    fx->joined = true;
    return ended;
}

struct body {
    char data[4096];
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t len = size * n;
    if (len > sizeof b->data - 1 - b->len)
        return 0;
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

/* GET a path; returns the curl code, sets *status and the body. */
static CURLcode fetch(uint16_t port, const char *path, long *status, struct body *b)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
    memset(b, 0, sizeof *b);
    *status = 0;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    return rc;
}

static void test_config_refused(void **state)
{
    struct fixture *fx = *state;
    struct mse_sim_pccs *s = NULL;
    struct mse_sim_pccs_config cfg = {.dir = fx->dir, .host = "0.0.0.0", .quiet = true};
    assert_int_equal(mse_sim_pccs_start(&cfg, &s), MSE_ERR_ARG);
    cfg.host = "10.1.2.3";
    assert_int_equal(mse_sim_pccs_start(&cfg, &s), MSE_ERR_ARG);
    cfg.host = "pccs.example";
    assert_int_equal(mse_sim_pccs_start(&cfg, &s), MSE_ERR_ARG);
    cfg.host = NULL;
    cfg.tls_cert = "cert.pem";
    assert_int_equal(mse_sim_pccs_start(&cfg, &s), MSE_ERR_ARG);
    cfg.tls_cert = NULL;
    cfg.dir = "/nonexistent/mse-pccs";
    assert_int_equal(mse_sim_pccs_start(&cfg, &s), MSE_ERR_FILE_NOT_FOUND);
    cfg.dir = NULL;
    assert_int_equal(mse_sim_pccs_start(&cfg, &s), MSE_ERR_ARG_MISSING);
    assert_null(s);
}

static void test_serve_faults_stop(void **state)
{
    struct fixture *fx = *state;
    struct mse_sim_pccs_config cfg = {.dir = fx->dir, .quiet = true};
    assert_int_equal(mse_sim_pccs_start(&cfg, &fx->srv), MSE_OK);
    uint16_t port = mse_sim_pccs_port(fx->srv);
    assert_int_not_equal(port, 0);
    assert_int_equal(pthread_create(&fx->thread, NULL, serve, fx), 0);
    fx->joined = false;

    long status = 0;
    struct body b;
    assert_int_equal(fetch(port, "/sgx/certification/v4/rootcacrl", &status, &b), CURLE_OK);
    assert_int_equal(status, 200);
    assert_string_equal(b.data, "30030201fe");
    assert_int_equal(fetch(port, "/sgx/certification/v4/tcb?fmspc=00906ED50000", &status, &b),
                     CURLE_OK);
    assert_int_equal(status, 200);
    assert_string_equal(b.data, TCB_JSON);
    assert_int_equal(mse_sim_pccs_requests(fx->srv), 2);

    struct mse_sim_pccs_faults f = {.fail_500 = true};
    mse_sim_pccs_set_faults(fx->srv, &f);
    assert_int_equal(fetch(port, "/sgx/certification/v4/rootcacrl", &status, &b), CURLE_OK);
    assert_int_equal(status, 500);
    assert_string_equal(b.data, "Internal server error occurred.");

    f = (struct mse_sim_pccs_faults){.reset = true};
    mse_sim_pccs_set_faults(fx->srv, &f);
    assert_int_equal(fetch(port, "/sgx/certification/v4/rootcacrl", &status, &b),
                     CURLE_GOT_NOTHING);

    f = (struct mse_sim_pccs_faults){.truncate_body = true};
    mse_sim_pccs_set_faults(fx->srv, &f);
    assert_int_equal(fetch(port, "/sgx/certification/v4/rootcacrl", &status, &b),
                     CURLE_PARTIAL_FILE);

    f = (struct mse_sim_pccs_faults){0};
    mse_sim_pccs_set_faults(fx->srv, &f);
    assert_int_equal(fetch(port, "/sgx/certification/v4/rootcacrl", &status, &b), CURLE_OK);
    assert_int_equal(status, 200);
    /* the stats page is not counted */
    assert_int_equal(fetch(port, "/mse-sim/stats", &status, &b), CURLE_OK);
    assert_int_equal(status, 200);
    assert_non_null(strstr(b.data, "\"requests\":6,"));
    assert_int_equal(mse_sim_pccs_requests(fx->srv), 6);

    mse_sim_pccs_stop(fx->srv);
    assert_true(join_bounded(fx));
    assert_int_equal(fx->run_err, MSE_OK);
    /* run() is once only */
    assert_int_equal(mse_sim_pccs_run(fx->srv, false), MSE_ERR_ARG);
}

static void test_max_requests(void **state)
{
    struct fixture *fx = *state;
    struct mse_sim_pccs_config cfg = {.dir = fx->dir, .quiet = true, .max_requests = 2};
    assert_int_equal(mse_sim_pccs_start(&cfg, &fx->srv), MSE_OK);
    uint16_t port = mse_sim_pccs_port(fx->srv);
    assert_int_equal(pthread_create(&fx->thread, NULL, serve, fx), 0);
    fx->joined = false;
    long status = 0;
    struct body b;
    assert_int_equal(fetch(port, "/sgx/certification/v4/pckcrl?ca=bogus", &status, &b), CURLE_OK);
    assert_int_equal(status, 400);
    assert_int_equal(fetch(port, "/sgx/certification/v4/qe/identity", &status, &b), CURLE_OK);
    assert_int_equal(status, 404); /* no qe-identity.json in this directory */
    assert_true(join_bounded(fx));  /* ended by itself */
    assert_int_equal(fx->run_err, MSE_OK);
    assert_int_equal(mse_sim_pccs_requests(fx->srv), 2);
}

static void test_stop_before_run(void **state)
{
    struct fixture *fx = *state;
    struct mse_sim_pccs_config cfg = {.dir = fx->dir, .quiet = true};
    assert_int_equal(mse_sim_pccs_start(&cfg, &fx->srv), MSE_OK);
    mse_sim_pccs_stop(fx->srv);
    assert_int_equal(pthread_create(&fx->thread, NULL, serve, fx), 0);
    fx->joined = false;
    assert_true(join_bounded(fx));
    assert_int_equal(fx->run_err, MSE_OK);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_faults_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_before_run, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}

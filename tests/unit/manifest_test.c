/*
 * Manifest expansion like gramine-sgx-sign 1.9: every vector's app.manifest
 * expands to Gramine's app.manifest.sgx byte for byte and measures the same;
 * Gramine's refusals are refusals here too.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mse/bytes.h>
#include <mse/manifest.h>
#include <mse/measure.h>

#include "testlib.h"
#include "measure/manifest_expand.h"

static void expand_vector(const char *dir, const char *root, const char *mr_hex)
{
    char cwd[PATH_MAX], path[PATH_MAX], err[512];
    size_t ml, gl, el, ol;
    char *out = NULL;
    uint8_t mr[32], want[32];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(path, sizeof path, "%s/%s", MSE_TEST_DATA, dir);
    assert_int_equal(chdir(path), 0);
    uint8_t *m = mse_test_file("app.manifest", &ml);
    uint8_t *g = mse_test_file("gramine-output/app.manifest.sgx", &gl);
    uint8_t *e = mse_test_file("libpal.so", &el);
    /* The attributes of the tree written are those read back from its bytes (the runtime
     * measures with the former while it parses the latter). */
    struct mse_enclave_attrs written = {0}, parsed = {0};
    struct mse_expand_opts o = {.root = root, .attrs = &written};
    mse_err rc = mse_manifest_expand(m, ml, &o, &out, &ol, err, sizeof err);
    if (rc != MSE_OK)
        fprintf(stderr, "%s: %s\n", dir, err);
    assert_int_equal(rc, MSE_OK);
    assert_int_equal(ol, gl);
    assert_memory_equal(out, g, gl);
    assert_int_equal(mse_measure_manifest_sgx((uint8_t *)out, ol, e, el, mr, &parsed), MSE_OK);
    assert_int_equal(written.enclave_size, parsed.enclave_size);
    assert_int_equal(written.max_threads, parsed.max_threads);
    assert_int_equal(written.edmm, parsed.edmm);
    assert_int_equal(mse_hex_decode(mr_hex, 64, want, 32), MSE_OK);
    assert_memory_equal(mr, want, 32);
    free(out);
    free(m);
    free(g);
    free(e);
    assert_int_equal(chdir(cwd), 0);
}

static void test_official_vectors(void **state)
{
    expand_vector("mrenclave/v01-minimal", NULL,
                  "23b07122455912cb50f40e229f71e24284ba6829bcbe5452d142351177a073ae");
    expand_vector("mrenclave/v02-typical", NULL,
                  "c7d498ff5434c19c8015d741f10da0e1fa800d84397746471ed2cba330c56520");
    expand_vector("mrenclave/v03-8g-16t", NULL,
                  "f53e60aa55896a97ff309a9913117b5cd4723af1275d43b23f63dc12d99b0051");
}

static void test_extra_vectors(void **state)
{
    static const char *cases[] = {"edmm", "defaults", "dirs", "chroot", "fixed", "palb", "odd", "floats"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char dir[256], p[300];
        size_t len;
        snprintf(dir, sizeof dir, "mrenclave-extra/%s", cases[k]);
        snprintf(p, sizeof p, "%s/mrenclave.txt", dir);
        char *hex = (char *)mse_test_data(p, &len);
        hex[64] = '\0';
        expand_vector(dir, strcmp(cases[k], "chroot") == 0 ? "rootfs" : NULL, hex);
        free(hex);
    }
}

/* Expand `manifest` in tests/data/<dir>; returns the error. */
static mse_err try_expand(const char *dir, const char *manifest, const char *root)
{
    char cwd[PATH_MAX], path[PATH_MAX], err[512];
    char *out = NULL;
    size_t ol;
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(path, sizeof path, "%s/%s", MSE_TEST_DATA, dir);
    assert_int_equal(chdir(path), 0);
    struct mse_expand_opts o = {.root = root};
    mse_err rc = mse_manifest_expand((const uint8_t *)manifest, strlen(manifest), &o, &out, &ol,
                                     err, sizeof err);
    if (rc != MSE_OK)
        assert_true(err[0] != '\0'); /* every refusal says why */
    free(out);
    assert_int_equal(chdir(cwd), 0);
    return rc;
}

#define ENTRY "loader.entrypoint.uri = \"file:libsysdb.so\"\n"

static void test_refusals(void **state)
{
    const char *d = "mrenclave/v02-typical";
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [\"file:files/app.py\"]\n", NULL),
                     MSE_OK);
    /* missing trusted file */
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [\"file:files/nope\"]\n", NULL),
                     MSE_ERR_FILE_NOT_FOUND);
    /* a directory needs a trailing slash, a file must not have one */
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [\"file:files\"]\n", NULL),
                     MSE_ERR_MANIFEST);
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [\"file:files/app.py/\"]\n", NULL),
                     MSE_ERR_MANIFEST);
    /* a directory with a sha256 */
    assert_int_equal(
        try_expand(d, ENTRY "sgx.trusted_files = [{uri = \"file:files/\", sha256 = \"00\"}]\n",
                   NULL),
        MSE_ERR_MANIFEST);
    /* two different hashes for one URI */
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [{uri = \"file:a\", sha256 = \"00\"},"
                                         " {uri = \"file:a\", sha256 = \"11\"}]\n",
                                NULL),
                     MSE_ERR_MANIFEST);
    /* unknown keys in an entry, a non-file URI, a non-list */
    assert_int_equal(
        try_expand(d, ENTRY "sgx.trusted_files = [{uri = \"file:a\", sha = \"00\"}]\n", NULL),
        MSE_ERR_MANIFEST);
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [\"dev:tty\"]\n", NULL),
                     MSE_ERR_MANIFEST);
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = \"file:a\"\n", NULL),
                     MSE_ERR_MANIFEST);
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [1]\n", NULL), MSE_ERR_MANIFEST);
    /* in a chroot, URIs must be absolute */
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [\"file:files/app.py\"]\n", "."),
                     MSE_ERR_MANIFEST);
    assert_int_equal(try_expand(d, ENTRY "sgx.trusted_files = [\"file:/files/app.py\"]\n", "."),
                     MSE_OK);
    /* the LibOS must exist (hashed on the host) */
    assert_int_equal(try_expand(d, "loader.entrypoint.uri = \"file:nope.so\"\n", NULL),
                     MSE_ERR_FILE_NOT_FOUND);
    assert_int_equal(try_expand(d, "loader.entrypoint = \"file:libsysdb.so\"\n", NULL),
                     MSE_ERR_MANIFEST);
    /* not TOML */
    assert_int_equal(try_expand(d, "a = \n", NULL), MSE_ERR_TOML);
}

static void test_parse_size(void **state)
{
    static const struct {
        const char *s;
        uint64_t v;
    } ok[] = {{"256M", 256u << 20}, {"8G", UINT64_C(8) << 30}, {"4096", 4096},
              {"0x1000", 4096},     {"1_024K", 1024 * 1024},  {" 64M", 64u << 20},
              {"0o10K", 8192},      {"0b1G", 1u << 30},       {"0x_10", 16}};
    static const char *bad[] = {"", "M", "12X", "-1M", "0", "01M", "1__0", "_1", "1_", "64M ",
                                "0x", "1.5G", "99999999999999999999", "16777216G0"};
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        uint64_t v = 0;
        assert_int_equal(mse_manifest_parse_size(ok[k].s, strlen(ok[k].s), &v), MSE_OK);
        assert_true(v == ok[k].v);
    }
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        uint64_t v = 0;
        assert_int_equal(mse_manifest_parse_size(bad[k], strlen(bad[k]), &v), MSE_ERR_MANIFEST);
    }
}

static void test_defaults_order(void **state)
{
    /* Defaults land after the user's keys, in Manifest.__init__'s order. */
    static const char src[] = "sgx.isvsvn = 7\nloader.entrypoint.sha256 = \"ab\"\n"
                              "loader.entrypoint.uri = \"file:x\"\n";
    struct mse_toml *root = NULL, *entry = NULL;
    assert_int_equal(mse_toml_parse(src, strlen(src), &root, NULL), MSE_OK);
    assert_int_equal(mse_manifest_defaults(root, "file:libos", &entry), MSE_OK);
    assert_null(entry); /* sha256 given: nothing to hash */
    struct mse_toml *sgx = mse_toml_get(root, "sgx");
    assert_string_equal(sgx->kv[0].key, "isvsvn");
    assert_string_equal(sgx->kv[1].key, "trusted_files");
    assert_string_equal(sgx->kv[2].key, "max_threads");
    assert_string_equal(mse_toml_get(sgx, "enclave_size")->s, "256M");
    char *out;
    size_t len;
    assert_int_equal(mse_toml_write(root, &out, &len), MSE_OK);
    assert_non_null(strstr(out, "[sgx]\nisvsvn = 7\ntrusted_files = []\nmax_threads = 4\n"));
    free(out);
    mse_toml_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_official_vectors),
        cmocka_unit_test(test_extra_vectors),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_defaults_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The runtime (src/measure/runtime.h): the build's simulated runtime
 * (runtime.lock + the shipped template + libpal) measures in every mode the
 * template knows, its lock covers exactly the runtime files the template
 * trusts, deployment values are checked before they reach the template, and
 * what is missing is named: a trusted file outside the lock, a libpal that is
 * not the pinned one, a malformed lock entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mse/guard.h>

#include "testlib.h"
#include "measure/runtime.h"

static struct mse_toml *build_runtime(struct mse_runtime_path *path)
{
    struct mse_toml *rt = NULL;
    char err[512] = "";
    assert_int_equal(mse_runtime_path_init(path, MSE_BUILD_DIR "/runtime"), MSE_OK);
    mse_err rc = mse_runtime_load(path, &rt, err, sizeof err);
    if (rc != MSE_OK)
        fail_msg("%s", err);
    return rt;
}

static const struct mse_known_file CODE[] = {
    {"/var/lib/mse/code/app.py.enc", "1111111111111111111111111111111111111111111111111111111111111111"},
    {"/var/lib/mse/code/static/a.css.enc", "2222222222222222222222222222222222222222222222222222222222222222"},
    {"/var/lib/mse/owner/chain.pem", "3333333333333333333333333333333333333333333333333333333333333333"},
};

static mse_err measure(struct mse_toml *rt, const struct mse_runtime_path *path, const char *mode,
                       const char *app_cmd, const char *app_port, uint8_t mr[32], char **msgx,
                       char *err, size_t errlen)
{
    size_t len = 0;
    const struct mse_runtime_deployment d = {mode, "app.example.com", "CN=app.example.com",
                                             "d17a9cbd-e2ff-4f77-ba03-e9d8ea58ca2e", app_cmd,
                                             app_port};
    MSE_TRY(mse_runtime_set_deployment(rt, &d, err, errlen));
    return mse_runtime_fingerprint(rt, path, CODE, 3, mr, msgx, &len, err, errlen);
}

static void test_shipped_template_measures_in_every_mode(void **state)
{
    struct mse_runtime_path path;
    struct mse_toml *rt = build_runtime(&path);
    static const char *const modes[][3] = {
        {"zero-trust", "", ""}, {"owner", "", ""}, {"untrusted-ssl", "", ""},
        {"zero-trust", "exec ./app.py", "8000"}, {"owner", "python3 -m http.server 8000", "8000"},
    };
    uint8_t mr[5][32];
    char err[512] = "";
    for (size_t k = 0; k < 5; k++) {
        char *msgx = NULL;
        mse_err rc = measure(rt, &path, modes[k][0], modes[k][1], modes[k][2], mr[k], &msgx, err,
                             sizeof err);
        if (rc != MSE_OK)
            fail_msg("%s %s: %s", modes[k][0], modes[k][1], err);
        /* every file of the lock is trusted, each one by its own URI */
        const struct mse_toml *files = mse_toml_get(rt, "files");
        for (size_t f = 0; f < files->n; f++) {
            char line[600];
            snprintf(line, sizeof line, "uri = \"%s\"\nsha256 = \"%s\"\n",
                     mse_toml_get(files->items[f], "uri")->s,
                     mse_toml_get(files->items[f], "sha256")->s);
            if (!strstr(msgx, line))
                fail_msg("%s: lock entry not trusted as pinned: %s", modes[k][0], line);
        }
        assert_non_null(strstr(msgx, "file:/var/lib/mse/code/static/a.css.enc"));
        assert_true((strstr(msgx, "file:/var/lib/mse/owner/chain.pem") != NULL) ==
                    (strcmp(modes[k][0], "owner") == 0));
        free(msgx);
        for (size_t j = 0; j < k; j++)
            assert_memory_not_equal(mr[j], mr[k], 32);
    }
    /* the same inputs, the same measurement */
    uint8_t again[32];
    assert_int_equal(measure(rt, &path, "zero-trust", "", "", again, NULL, err, sizeof err),
                     MSE_OK);
    assert_memory_equal(again, mr[0], 32);
    mse_toml_free(rt);
    mse_runtime_path_free(&path);
}

static void test_missing_and_wrong_runtime_files_are_named(void **state)
{
    struct mse_runtime_path path;
    struct mse_toml *rt = build_runtime(&path);
    uint8_t mr[32];
    char err[512] = "";
    /* a runtime file the template trusts but the lock does not pin */
    struct mse_toml *files = mse_toml_get(rt, "files");
    struct mse_toml *last = files->items[files->n - 1];
    char *uri = strdup(mse_toml_get(last, "uri")->s);
    files->n--;
    assert_int_equal(measure(rt, &path, "zero-trust", "", "", mr, NULL, err, sizeof err),
                     MSE_ERR_RUNTIME);
    assert_non_null(strstr(err, uri + 5));
    files->n++;
    free(uri);
    /* a libpal nowhere in the path */
    struct mse_toml *lp = mse_toml_get(rt, "libpal_sha256");
    char saved = lp->s[10];
    lp->s[10] = saved == 'a' ? 'b' : 'a';
    assert_int_equal(measure(rt, &path, "zero-trust", "", "", mr, NULL, err, sizeof err),
                     MSE_ERR_RUNTIME_FILE);
    assert_non_null(strstr(err, "libpal.so"));
    assert_non_null(strstr(err, lp->s));
    lp->s[10] = saved;
    /* libpal bytes that are not the pinned ones */
    static const uint8_t other[] = "not the pinned libpal";
    assert_int_equal(mse_runtime_measure(rt, CODE, 3, other, sizeof other, mr, NULL, NULL, err,
                                         sizeof err),
                     MSE_ERR_RUNTIME_FILE);
    mse_toml_free(rt);
    mse_runtime_path_free(&path);
}

static void test_deployment_values_are_checked(void **state)
{
    struct mse_runtime_path path;
    struct mse_toml *rt = build_runtime(&path);
    uint8_t mr[32];
    char err[512] = "";
    /* A value that would end or escape the TOML string it is inserted in. */
    static const char *const bad[] = {"a\"b", "a\\b", "a\nb", "a\tb", "\x7f"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(measure(rt, &path, "zero-trust", bad[k], "1", mr, NULL, err, sizeof err),
                         MSE_ERR_ARG);
    /* A runtime without its deployment values cannot be measured. */
    struct mse_runtime_path p2;
    struct mse_toml *bare = build_runtime(&p2);
    assert_int_equal(mse_runtime_fingerprint(bare, &p2, NULL, 0, mr, NULL, NULL, err, sizeof err),
                     MSE_ERR_RUNTIME);
    assert_non_null(strstr(err, "deployment value"));
    mse_toml_free(bare);
    mse_runtime_path_free(&p2);
    mse_toml_free(rt);
    mse_runtime_path_free(&path);
}

#define HEX "abababababababababababababababababababababababababababababababab"
#define UPPER "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"

static void test_lock_shape(void **state)
{
    /* '@' stands for 64 hex digits, '#' for 63 */
    static const char *const bad[] = {
        "libpal_sha256 = \"00\"\n[values]\n[[files]]\nuri = \"file:/a\"\nsha256 = \"@\"\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[[files]]\nuri = \"file:/a\"\nsha256 = \"@\"\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[values]\nv = 1\n[[files]]\nuri = \"file:/a\"\nsha256 = \"@\"\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[values]\n[[files]]\nuri = \"file:a\"\nsha256 = \"@\"\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[values]\n[[files]]\nuri = \"file:/a/\"\nsha256 = \"@\"\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[values]\n[[files]]\nuri = \"file:/a/../b\"\nsha256 = \"@\"\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[values]\n[[files]]\nuri = \"file:/a//b\"\nsha256 = \"@\"\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[values]\n[[files]]\nuri = \"file:/a\"\nsha256 = \"#\"\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[values]\n[[files]]\nuri = \"file:/a\"\nsha256 = \"@\"\nx = 1\n",
        "name = \"x\"\nlibpal_sha256 = \"@\"\n[values]\nfiles = 1\n",
        "name = \"x\"\nlibpal_sha256 = \"%\"\n[values]\nfiles = []\n",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char text[1024], err[256] = "";
        struct mse_toml *t = NULL;
        size_t line = 0, n = 0;
        for (const char *c = bad[k]; *c; c++) {
            const char *rep = *c == '@' ? HEX : *c == '#' ? &HEX[1] : *c == '%' ? UPPER : NULL;
            size_t rl = rep ? strlen(rep) : 1;
            memcpy(text + n, rep ? rep : c, rl);
            n += rl;
        }
        text[n] = '\0';
        assert_int_equal(mse_toml_parse(text, n, &t, &line), MSE_OK);
        assert_int_equal(mse_runtime_check(t, true, err, sizeof err), MSE_ERR_RUNTIME);
        assert_true(err[0] != '\0');
        mse_toml_free(t);
    }
    char text[512], err[256];
    struct mse_toml *t = NULL;
    size_t line = 0;
    snprintf(text, sizeof text,
             "name = \"x\"\nlibpal_sha256 = \"%s\"\n[values]\n[[files]]\nuri = \"file:/a\"\n"
             "sha256 = \"%s\"\n",
             HEX, HEX);
    assert_int_equal(mse_toml_parse(text, strlen(text), &t, &line), MSE_OK);
    assert_int_equal(mse_runtime_check(t, true, err, sizeof err), MSE_OK);
    /* a lock is not a runtime: no template, no deployment values */
    assert_int_equal(mse_runtime_check(t, false, err, sizeof err), MSE_ERR_RUNTIME);
    mse_toml_free(t);
}

static void test_no_runtime_in_the_path(void **state)
{
    struct mse_runtime_path path = {0};
    struct mse_toml *rt = NULL;
    char err[512] = "";
    char *dir = mse_test_tmpdir();
    path.dirs[0] = dir;
    path.n = 1;
    assert_int_equal(mse_runtime_load(&path, &rt, err, sizeof err), MSE_ERR_RUNTIME_FILE);
    assert_non_null(strstr(err, "runtime.lock"));
    assert_non_null(strstr(err, dir));
    mse_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_template_measures_in_every_mode),
        cmocka_unit_test(test_missing_and_wrong_runtime_files_are_named),
        cmocka_unit_test(test_deployment_values_are_checked),
        cmocka_unit_test(test_lock_shape),
        cmocka_unit_test(test_no_runtime_in_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

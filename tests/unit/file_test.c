/* Atomic writes: replace regular files only, leave nothing behind on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "util/util.h"

static void test_write_and_replace(void **state)
{
    char *dir = mse_test_tmpdir();
    char path[4096];
    uint8_t *data;
    size_t len;
    struct stat st;
    snprintf(path, sizeof path, "%s/out.pem", dir);
    assert_int_equal(mse_file_write_atomic(path, "one", 3, 0600), MSE_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(mse_file_write_atomic(path, "second", 6, 0644), MSE_OK);
    assert_int_equal(mse_file_read(path, 100, &data, &len), MSE_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(data, "second", 6);
    free(data);
    assert_int_equal(mse_file_read(path, 3, &data, &len), MSE_ERR_LIMIT);
    mse_test_rmtree(dir);
    free(dir);
}

static void test_refuses_special_files_and_links(void **state)
{
    char *dir = mse_test_tmpdir();
    char link[4096], target[4096];
    struct stat st;
    /* A device is never replaced by a regular file. */
    assert_int_equal(mse_file_write_atomic("/dev/null", "x", 1, 0644), MSE_ERR_FILE_WRITE);
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* Nor is a symbolic link (which would redirect the write). */
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    assert_int_equal(mse_file_write_atomic(target, "t", 1, 0644), MSE_OK);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(mse_file_write_atomic(link, "x", 1, 0644), MSE_ERR_FILE_WRITE);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* A missing directory: error, and no temporary file left anywhere. */
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/nope/out.pem", dir);
    assert_int_not_equal(mse_file_write_atomic(missing, "x", 1, 0644), MSE_OK);
    mse_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_and_replace),
        cmocka_unit_test(test_refuses_special_files_and_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Installing encrypted code in the enclave: round trip through
 * mse_code_encrypt_dir, all-or-nothing on a wrong key or a tampered file,
 * stray files refused.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "codecrypt/code_install.h"
#include "util/util.h"

static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static mse_err nonce_for(void *arg, const char *rel, uint8_t nonce[MSE_CODE_NONCE_BYTES])
{
    int *counter = arg;
    memset(nonce, 0, MSE_CODE_NONCE_BYTES);
    nonce[0] = (uint8_t)++*counter;
    return MSE_OK;
}

static void put(const char *path, const char *text)
{
    assert_int_equal(mse_file_write_atomic(path, text, strlen(text), 0644), MSE_OK);
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void test_install(void **state)
{
    char *root = mse_test_tmpdir();
    char code[1024], enc[1024], out[1024], p[4096], errbuf[256];
    snprintf(code, sizeof code, "%s/code", root);
    snprintf(enc, sizeof enc, "%s/enc", root);
    snprintf(out, sizeof out, "%s/out", root);
    mkdir(code, 0700);
    mkdir(out, 0700);
    snprintf(p, sizeof p, "%s/static", code);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/static/style.css", code);
    put(p, "body{}");
    snprintf(p, sizeof p, "%s/app.py", code);
    put(p, "print('hi')\n");
    int counter = 0;
    assert_int_equal(mse_code_encrypt_dir(code, enc, key, nonce_for, NULL, &counter, errbuf,
                                          sizeof errbuf),
                     MSE_OK);

    /* A wrong key installs nothing. */
    uint8_t wrong[32] = {0};
    assert_int_equal(mse_code_install(wrong, enc, out, NULL), MSE_ERR_CRYPTO);
    assert_int_equal(entries(out), 0);

    /* One flipped byte in one file: nothing installed either. */
    uint8_t *data;
    size_t len;
    snprintf(p, sizeof p, "%s/static/style.css.enc", enc);
    assert_int_equal(mse_file_read(p, 1 << 20, &data, &len), MSE_OK);
    data[len - 1] ^= 1;
    assert_int_equal(mse_file_write_atomic(p, data, len, 0644), MSE_OK);
    assert_int_equal(mse_code_install(key, enc, out, NULL), MSE_ERR_CRYPTO);
    assert_int_equal(entries(out), 0);
    data[len - 1] ^= 1;
    assert_int_equal(mse_file_write_atomic(p, data, len, 0644), MSE_OK);
    free(data);

    size_t count = 0;
    assert_int_equal(mse_code_install(key, enc, out, &count), MSE_OK);
    assert_int_equal(count, 2);
    snprintf(p, sizeof p, "%s/static/style.css", out);
    assert_int_equal(mse_file_read(p, 100, &data, &len), MSE_OK);
    assert_string_equal((char *)data, "body{}");
    free(data);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A stray plain file in the shipped directory is refused. */
    snprintf(p, sizeof p, "%s/stray", enc);
    put(p, "x");
    assert_int_equal(mse_code_install(key, enc, out, NULL), MSE_ERR_CONTEXT);
    unlink(p);
    /* So is a symbolic link. */
    snprintf(p, sizeof p, "%s/link.enc", enc);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    assert_int_not_equal(mse_code_install(key, enc, out, NULL), MSE_OK);
    mse_test_rmtree(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

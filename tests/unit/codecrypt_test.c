/*
 * Encrypted app code: round trip, the nonce || tag || ciphertext layout,
 * tampering and truncation refused, nonce mismatch, directory walk order and
 * refusal of symbolic links, directory decryption.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "testlib.h"
#include "util/codecrypt.h"
#include "util/util.h"

static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t nonce[24] = {0xaa, 0xbb, 0xcc};

static void test_round_trip(void **state)
{
    const char *msg = "print('hello')\n";
    uint8_t *enc = NULL, *plain = NULL;
    size_t enc_len = 0, plain_len = 0;
    assert_int_equal(mse_code_encrypt(key, nonce, (const uint8_t *)msg, strlen(msg), &enc, &enc_len),
                     MSE_OK);
    assert_int_equal(enc_len, 24 + 16 + strlen(msg));
    assert_memory_equal(enc, nonce, 24);
    /* Same bytes as libsodium's secretbox with the tag first (PyNaCl's layout). */
    uint8_t ref[64];
    assert_int_equal(crypto_secretbox_easy(ref, (const uint8_t *)msg, strlen(msg), nonce, key), 0);
    assert_memory_equal(enc + 24, ref, 16 + strlen(msg));

    assert_int_equal(mse_code_decrypt(key, nonce, enc, enc_len, &plain, &plain_len), MSE_OK);
    assert_int_equal(plain_len, strlen(msg));
    assert_memory_equal(plain, msg, plain_len);
    free(plain);
    plain = NULL;

    /* Every single-byte flip is refused, with no output. */
    for (size_t i = 0; i < enc_len; i++) {
        enc[i] ^= 0x01;
        mse_err err = mse_code_decrypt(key, NULL, enc, enc_len, &plain, &plain_len);
        assert_int_equal(err, MSE_ERR_CRYPTO);
        assert_null(plain);
        enc[i] ^= 0x01;
    }
    /* Truncation at every length is refused. */
    for (size_t n = 0; n < enc_len; n++)
        assert_int_equal(mse_code_decrypt(key, NULL, enc, n, &plain, &plain_len), MSE_ERR_CRYPTO);
    uint8_t other_nonce[24] = {0};
    assert_int_equal(mse_code_decrypt(key, other_nonce, enc, enc_len, &plain, &plain_len),
                     MSE_ERR_CONTEXT);
    uint8_t wrong_key[32] = {0};
    assert_int_equal(mse_code_decrypt(wrong_key, NULL, enc, enc_len, &plain, &plain_len),
                     MSE_ERR_CRYPTO);
    free(enc);

    /* Empty files are fine. */
    assert_int_equal(mse_code_encrypt(key, nonce, NULL, 0, &enc, &enc_len), MSE_OK);
    assert_int_equal(mse_code_decrypt(key, NULL, enc, enc_len, &plain, &plain_len), MSE_OK);
    assert_int_equal(plain_len, 0);
    free(plain);
    free(enc);
}

static void put(const char *path, const char *text)
{
    assert_int_equal(mse_file_write_atomic(path, text, strlen(text), 0644), MSE_OK);
}

struct seen {
    char list[512];
};

static mse_err record(void *arg, const char *rel, const char *full)
{
    struct seen *s = arg;
    strncat(s->list, rel, sizeof s->list - strlen(s->list) - 2);
    strcat(s->list, ";");
    return MSE_OK;
}

struct enc_arg {
    const char *out;
};

static mse_err encrypt_to(void *arg, const char *rel, const char *full)
{
    struct enc_arg *a = arg;
    uint8_t *data = NULL, *enc = NULL;
    size_t len = 0, enc_len = 0;
    char path[4096];
    assert_int_equal(mse_file_read(full, 1 << 20, &data, &len), MSE_OK);
    assert_int_equal(mse_code_encrypt(key, nonce, data, len, &enc, &enc_len), MSE_OK);
    /* flat output is enough for the test: a/b -> a_b */
    snprintf(path, sizeof path, "%s/%s.enc", a->out, rel);
    char *slash = strrchr(path, '/');
    for (char *p = path + strlen(a->out) + 1; p <= slash; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    assert_int_equal(mse_file_write_atomic(path, enc, enc_len, 0644), MSE_OK);
    free(data);
    free(enc);
    return MSE_OK;
}

static void test_dirs(void **state)
{
    char *root = mse_test_tmpdir();
    char code[1024], enc[1024], out[1024], p[4096];
    snprintf(code, sizeof code, "%s/code", root);
    snprintf(enc, sizeof enc, "%s/enc", root);
    snprintf(out, sizeof out, "%s/out", root);
    mkdir(code, 0700);
    mkdir(enc, 0700);
    mkdir(out, 0700);
    snprintf(p, sizeof p, "%s/static", code);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/static/style.css", code);
    put(p, "body{}");
    snprintf(p, sizeof p, "%s/app.py", code);
    put(p, "app");
    snprintf(p, sizeof p, "%s/b.txt", code);
    put(p, "b");

    struct seen s = {{0}};
    assert_int_equal(mse_code_walk(code, record, &s), MSE_OK);
    assert_string_equal(s.list, "app.py;b.txt;static/style.css;");

    struct enc_arg a = {enc};
    assert_int_equal(mse_code_walk(code, encrypt_to, &a), MSE_OK);
    size_t count = 0;
    assert_int_equal(mse_code_decrypt_dir(key, enc, out, &count), MSE_OK);
    assert_int_equal(count, 3);
    uint8_t *data;
    size_t len;
    snprintf(p, sizeof p, "%s/static/style.css", out);
    assert_int_equal(mse_file_read(p, 100, &data, &len), MSE_OK);
    assert_string_equal((char *)data, "body{}");
    free(data);

    /* A wrong key decrypts nothing usable. */
    uint8_t wrong[32] = {0};
    assert_int_equal(mse_code_decrypt_dir(wrong, enc, out, NULL), MSE_ERR_CRYPTO);
    /* A file without .enc in the encrypted directory is refused. */
    snprintf(p, sizeof p, "%s/stray", enc);
    put(p, "x");
    assert_int_equal(mse_code_decrypt_dir(key, enc, out, NULL), MSE_ERR_ARG);
    unlink(p);
    /* Symbolic links are refused when walking. */
    snprintf(p, sizeof p, "%s/link", code);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    assert_int_equal(mse_code_walk(code, record, &s), MSE_ERR_ARG);
    assert_int_equal(mse_code_walk("/nonexistent/mse", record, &s), MSE_ERR_FILE_NOT_FOUND);
    mse_test_rmtree(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The hash of an encrypted code file computed without writing it
 * (mse_code_encrypted_sha256) equals the SHA-256 of what mse_code_encrypt
 * writes, for every size around the buffer's boundaries, with one scratch
 * reused from large files to small ones; links, missing files and files past
 * the limit are refused with their own error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "testlib.h"
#include "codecrypt/codecrypt.h"
#include "util/util.h"

static const uint8_t key[MSE_CODE_KEY_BYTES] = {3, 1, 4, 1, 5, 9, 2, 6};

static void expect_same(const char *path, const uint8_t *plain, size_t len, uint8_t nonce_byte,
                        struct mse_code_scratch *s)
{
    uint8_t nonce[MSE_CODE_NONCE_BYTES] = {nonce_byte}, want[32], got[32], *enc = NULL;
    size_t elen = 0;
    assert_int_equal(mse_file_write_atomic(path, plain, len, 0600), MSE_OK);
    assert_int_equal(mse_code_encrypt(key, nonce, plain, len, &enc, &elen), MSE_OK);
    assert_int_equal(EVP_Digest(enc, elen, want, NULL, EVP_sha256(), NULL), 1);
    free(enc);
    assert_int_equal(mse_code_encrypted_sha256(key, nonce, path, s, got), MSE_OK);
    assert_memory_equal(got, want, 32);
}

static void test_hash_equals_encrypt_then_hash(void **state)
{
    char *dir = mse_test_tmpdir(), path[4096];
    snprintf(path, sizeof path, "%s/f.py", dir);
    static const size_t sizes[] = {0,         1,         15,        16,        17,
                                   4095,      4096,      65535,     65536,     65537,
                                   131071,    131072,    131073,    1000003,   3 << 20};
    uint8_t *plain = malloc((3 << 20) + 7); /* the second pass starts 7 bytes in */
    assert_non_null(plain);
    for (size_t i = 0; i < (size_t)(3 << 20) + 7; i++)
        plain[i] = (uint8_t)(i * 131 + (i >> 9));
    struct mse_code_scratch s = {0};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        expect_same(path, plain, sizes[k], (uint8_t)k, &s);
    /* Large to small with the same scratch: nothing of the earlier file leaks in. */
    for (size_t k = sizeof sizes / sizeof sizes[0]; k-- > 0;)
        expect_same(path, plain + 7, sizes[k], (uint8_t)(k + 100), &s);
    /* A changed byte or another nonce is another hash. */
    uint8_t nonce[MSE_CODE_NONCE_BYTES] = {1}, a[32], b[32], c[32];
    assert_int_equal(mse_file_write_atomic(path, plain, 5000, 0600), MSE_OK);
    assert_int_equal(mse_code_encrypted_sha256(key, nonce, path, &s, a), MSE_OK);
    plain[4999] ^= 1;
    assert_int_equal(mse_file_write_atomic(path, plain, 5000, 0600), MSE_OK);
    assert_int_equal(mse_code_encrypted_sha256(key, nonce, path, &s, b), MSE_OK);
    nonce[23] = 1;
    assert_int_equal(mse_code_encrypted_sha256(key, nonce, path, &s, c), MSE_OK);
    assert_memory_not_equal(a, b, 32);
    assert_memory_not_equal(b, c, 32);
    mse_code_scratch_free(&s);
    assert_null(s.buf.data);
    free(plain);
    mse_test_rmtree(dir);
    free(dir);
}

/*
 * The tag comes from OpenSSL's Poly1305 keyed from libsodium's XSalsa20 (codecrypt.c): the
 * hash equals libsodium's whole secretbox (mse_code_encrypt) on every length from 0 to 600
 * (the 32 bytes padded from keystream block 0, every 64-byte block boundary, Poly1305's
 * 16-byte blocks) under random keys and nonces, and equals the hash made with the fallback
 * (libsodium's secretbox, when OpenSSL has no Poly1305).
 */
static void test_tag_from_openssl_poly1305(void **state)
{
    char *dir = mse_test_tmpdir(), path[4096];
    snprintf(path, sizeof path, "%s/f.py", dir);
    uint8_t plain[600], k[MSE_CODE_KEY_BYTES], nonce[MSE_CODE_NONCE_BYTES];
    uint8_t want[32], got[32], fallback[32], *enc = NULL;
    size_t elen = 0;
    struct mse_code_scratch s = {0}, sodium_only = {.poly1305_looked_up = true};
    for (size_t len = 0; len <= sizeof plain; len++) {
        assert_int_equal(RAND_bytes(plain, sizeof plain), 1);
        assert_int_equal(RAND_bytes(k, sizeof k), 1);
        assert_int_equal(RAND_bytes(nonce, sizeof nonce), 1);
        assert_int_equal(mse_file_write_atomic(path, plain, len, 0600), MSE_OK);
        assert_int_equal(mse_code_encrypt(k, nonce, plain, len, &enc, &elen), MSE_OK);
        assert_int_equal(EVP_Digest(enc, elen, want, NULL, EVP_sha256(), NULL), 1);
        free(enc);
        assert_int_equal(mse_code_encrypted_sha256(k, nonce, path, &s, got), MSE_OK);
        assert_int_equal(mse_code_encrypted_sha256(k, nonce, path, &sodium_only, fallback),
                         MSE_OK);
        if (memcmp(got, want, 32) != 0 || memcmp(fallback, want, 32) != 0)
            fail_msg("length %zu: not the hash of libsodium's secretbox", len);
    }
    assert_non_null(s.mac); /* the OpenSSL path ran */
    assert_null(sodium_only.mac);
    mse_code_scratch_free(&s);
    mse_code_scratch_free(&sodium_only);
    mse_test_rmtree(dir);
    free(dir);
}

static void test_refusals(void **state)
{
    char *dir = mse_test_tmpdir(), file[4096], link[4096], missing[4096];
    uint8_t nonce[MSE_CODE_NONCE_BYTES] = {0}, md[32];
    struct mse_code_scratch s = {0};
    snprintf(file, sizeof file, "%s/f.py", dir);
    snprintf(link, sizeof link, "%s/l.py", dir);
    snprintf(missing, sizeof missing, "%s/none.py", dir);
    assert_int_equal(mse_file_write_atomic(file, "x", 1, 0600), MSE_OK);
    assert_int_equal(symlink(file, link), 0);
    assert_int_equal(mse_code_encrypted_sha256(key, nonce, missing, &s, md), MSE_ERR_FILE_NOT_FOUND);
    /* A link swapped in after the code was listed is not followed. */
    assert_int_equal(mse_code_encrypted_sha256(key, nonce, link, &s, md), MSE_ERR_IO);
    /* A directory is not a code file. */
    assert_int_equal(mse_code_encrypted_sha256(key, nonce, dir, &s, md), MSE_ERR_IO);
    /* Past the limit, refused from its size before anything is read. */
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fseeko(f, (off_t)MSE_CODE_FILE_LIMIT, SEEK_SET), 0);
    assert_int_equal(fputc('x', f), 'x');
    assert_int_equal(fclose(f), 0);
    assert_int_equal(mse_code_encrypted_sha256(key, nonce, file, &s, md), MSE_ERR_LIMIT);
    assert_true(s.buf.cap < MSE_CODE_FILE_LIMIT);
    mse_code_scratch_free(&s);
    mse_test_rmtree(dir);
    free(dir);
}

/* The listing takes each entry's type from the directory: a link (to a file or to a
 * directory) or a special file is refused by name, a plain tree is listed in order. */
static void test_list_refuses_links_and_special_files(void **state)
{
    char *dir = mse_test_tmpdir(), p[4096], sub[4096], why[512];
    char **paths = NULL;
    size_t n = 0;
    snprintf(sub, sizeof sub, "%s/d", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    mse_test_write(dir, "d/b.py", "b", 1);
    mse_test_write(dir, "a.py", "a", 1);
    assert_int_equal(mse_code_list(dir, &paths, &n, why, sizeof why), MSE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(paths[0], "a.py");
    assert_string_equal(paths[1], "d/b.py");
    mse_code_list_free(paths, n);
    const char *kinds[] = {"file link", "dir link", "fifo"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s/d/x", dir);
        if (k == 0)
            assert_int_equal(symlink("../a.py", p), 0);
        else if (k == 1)
            assert_int_equal(symlink(dir, p), 0);
        else
            assert_int_equal(mkfifo(p, 0600), 0);
        why[0] = '\0';
        paths = NULL;
        n = 0;
        assert_int_equal(mse_code_list(dir, &paths, &n, why, sizeof why), MSE_ERR_CONTEXT);
        if (strstr(why, "/d/x is a symbolic link or special file") == NULL)
            fail_msg("%s: %s", kinds[k], why);
        assert_null(paths);
        assert_int_equal(unlink(p), 0);
    }
    mse_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_equals_encrypt_then_hash),
        cmocka_unit_test(test_tag_from_openssl_poly1305),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_list_refuses_links_and_special_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Encrypted app code, per docs/formats/code-encryption.md: libsodium
 * crypto_secretbox_easy (XSalsa20-Poly1305), file layout nonce || tag || ct.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "codecrypt.h"
#include "util.h"

#define WALK_DEPTH_MAX 32

mse_err mse_code_encrypt(const uint8_t key[MSE_CODE_KEY_SIZE],
                         const uint8_t nonce[MSE_CODE_NONCE_SIZE], const uint8_t *plain,
                         size_t len, uint8_t **out, size_t *out_len)
{
    MSE_ENSURE(key != NULL && nonce != NULL && out != NULL && out_len != NULL, MSE_ERR_ARG);
    MSE_ENSURE(plain != NULL || len == 0, MSE_ERR_ARG);
    MSE_ENSURE(len <= MSE_CODE_FILE_MAX, MSE_ERR_LIMIT);
    MSE_ENSURE(sodium_init() >= 0, MSE_ERR_CRYPTO);
    size_t total = MSE_CODE_NONCE_SIZE + crypto_secretbox_MACBYTES + len;
    uint8_t *buf = malloc(total);
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    memcpy(buf, nonce, MSE_CODE_NONCE_SIZE);
    if (crypto_secretbox_easy(buf + MSE_CODE_NONCE_SIZE, plain ? plain : (const uint8_t *)"", len,
                              nonce, key) != 0) {
        free(buf);
        return MSE_ERR_CRYPTO;
    }
    *out = buf;
    *out_len = total;
    return MSE_OK;
}

mse_err mse_code_decrypt(const uint8_t key[MSE_CODE_KEY_SIZE], const uint8_t *expected_nonce,
                         const uint8_t *enc, size_t enc_len, uint8_t **plain, size_t *plain_len)
{
    MSE_ENSURE(key != NULL && enc != NULL && plain != NULL && plain_len != NULL, MSE_ERR_ARG);
    MSE_ENSURE(enc_len >= MSE_CODE_NONCE_SIZE + crypto_secretbox_MACBYTES, MSE_ERR_CRYPTO);
    MSE_ENSURE(sodium_init() >= 0, MSE_ERR_CRYPTO);
    /* The nonce is public; a mismatch means the file is not the one the context describes. */
    if (expected_nonce != NULL)
        MSE_ENSURE(memcmp(enc, expected_nonce, MSE_CODE_NONCE_SIZE) == 0, MSE_ERR_CONTEXT);
    size_t len = enc_len - MSE_CODE_NONCE_SIZE - crypto_secretbox_MACBYTES;
    uint8_t *buf = malloc(len + 1);
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    /* enc is our own file buffer (already read whole), not a wire parser input. */
    if (crypto_secretbox_open_easy(buf, enc + MSE_CODE_NONCE_SIZE,
                                   enc_len - MSE_CODE_NONCE_SIZE, enc, key) != 0) {
        free(buf);
        return MSE_ERR_CRYPTO;
    }
    buf[len] = '\0';
    *plain = buf;
    *plain_len = len;
    return MSE_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool plain_name(const char *n)
{
    return strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && strchr(n, '\n') == NULL && n[0] != '\0';
}

/* Sorted entries of one directory, "." and ".." excluded. */
MSE_MUST_USE static mse_err list_dir(const char *path, char ***names, size_t *count)
{
    mse_err err = MSE_OK;
    DIR *d = opendir(path);
    char **v = NULL;
    size_t n = 0, cap = 0;
    MSE_ENSURE(d != NULL, errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        MSE_ENSURE_OUT(plain_name(e->d_name), MSE_ERR_ARG);
        MSE_ENSURE_OUT(n < MSE_CODE_FILES_MAX, MSE_ERR_LIMIT);
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(v, ncap * sizeof *nv);
            MSE_ENSURE_OUT(nv != NULL, MSE_ERR_NOMEM);
            v = nv;
            cap = ncap;
        }
        v[n] = strdup(e->d_name);
        MSE_ENSURE_OUT(v[n] != NULL, MSE_ERR_NOMEM);
        n++;
    }
    if (n > 0)
        qsort(v, n, sizeof *v, cmp_names);
    *names = v;
    *count = n;
    v = NULL;
out:
    if (v != NULL) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
    }
    closedir(d);
    return err;
}

struct walk {
    mse_code_file_cb cb;
    void *arg;
    size_t files;
};

MSE_MUST_USE static mse_err walk_rec(struct walk *w, const char *root, const char *rel, int depth)
{
    mse_err err = MSE_OK;
    char full[PATH_MAX];
    char **names = NULL;
    size_t n = 0;
    MSE_ENSURE(depth < WALK_DEPTH_MAX, MSE_ERR_LIMIT);
    int len = rel[0] ? snprintf(full, sizeof full, "%s/%s", root, rel)
                     : snprintf(full, sizeof full, "%s", root);
    MSE_ENSURE(len > 0 && (size_t)len < sizeof full, MSE_ERR_LIMIT);
    MSE_TRY(list_dir(full, &names, &n));
    for (size_t i = 0; i < n; i++) {
        char child_rel[PATH_MAX], child_full[PATH_MAX];
        struct stat st;
        int a = rel[0] ? snprintf(child_rel, sizeof child_rel, "%s/%s", rel, names[i])
                       : snprintf(child_rel, sizeof child_rel, "%s", names[i]);
        int b = snprintf(child_full, sizeof child_full, "%s/%s", full, names[i]);
        MSE_ENSURE_OUT(a > 0 && (size_t)a < sizeof child_rel && b > 0 &&
                           (size_t)b < sizeof child_full,
                       MSE_ERR_LIMIT);
        /* lstat: a symbolic link could point outside the code directory. */
        MSE_ENSURE_OUT(lstat(child_full, &st) == 0, MSE_ERR_IO);
        if (S_ISDIR(st.st_mode)) {
            MSE_CHECK_OUT(walk_rec(w, root, child_rel, depth + 1));
        } else {
            MSE_ENSURE_OUT(S_ISREG(st.st_mode), MSE_ERR_ARG);
            MSE_ENSURE_OUT(++w->files <= MSE_CODE_FILES_MAX, MSE_ERR_LIMIT);
            MSE_CHECK_OUT(w->cb(w->arg, child_rel, child_full));
        }
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return err;
}

mse_err mse_code_walk(const char *dir, mse_code_file_cb cb, void *arg)
{
    MSE_ENSURE(dir != NULL && cb != NULL, MSE_ERR_ARG);
    struct walk w = {cb, arg, 0};
    return walk_rec(&w, dir, "", 0);
}

struct decrypt_dir {
    const uint8_t *key;
    const char *out_dir;
    size_t count;
};

/* mkdir -p for the parent directories of out_dir/rel (rel already validated). */
MSE_MUST_USE static mse_err make_parents(const char *out_dir, const char *rel)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", out_dir, rel);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof path, MSE_ERR_LIMIT);
    size_t base = strlen(out_dir) + 1;
    for (size_t i = base; path[i] != '\0'; i++) {
        if (path[i] != '/')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return MSE_ERR_FILE_WRITE;
        path[i] = '/';
    }
    return MSE_OK;
}

MSE_MUST_USE static mse_err decrypt_one(void *arg, const char *rel, const char *full)
{
    struct decrypt_dir *d = arg;
    mse_err err = MSE_OK;
    uint8_t *enc = NULL, *plain = NULL;
    size_t enc_len = 0, plain_len = 0;
    size_t rl = strlen(rel);
    char out_path[PATH_MAX];
    MSE_ENSURE(rl > 4 && strcmp(rel + rl - 4, ".enc") == 0, MSE_ERR_ARG);
    int n = snprintf(out_path, sizeof out_path, "%s/%.*s", d->out_dir, (int)(rl - 4), rel);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof out_path, MSE_ERR_LIMIT);
    MSE_TRY(mse_file_read(full, MSE_CODE_FILE_MAX + MSE_CODE_NONCE_SIZE + MSE_CODE_MAC_SIZE,
                          &enc, &enc_len));
    MSE_CHECK_OUT(mse_code_decrypt(d->key, NULL, enc, enc_len, &plain, &plain_len));
    MSE_CHECK_OUT(make_parents(d->out_dir, rel));
    MSE_CHECK_OUT(mse_file_write_atomic(out_path, plain, plain_len, 0600));
    d->count++;
out:
    free(enc);
    if (plain != NULL) {
        /* The plaintext is the owner's secret code. */
        mse_wipe(plain, plain_len);
        free(plain);
    }
    return err;
}

mse_err mse_code_decrypt_dir(const uint8_t key[MSE_CODE_KEY_SIZE], const char *enc_dir,
                             const char *out_dir, size_t *count)
{
    MSE_ENSURE(key != NULL && enc_dir != NULL && out_dir != NULL, MSE_ERR_ARG);
    struct decrypt_dir d = {key, out_dir, 0};
    MSE_TRY(mse_code_walk(enc_dir, decrypt_one, &d));
    if (count != NULL)
        *count = d.count;
    return MSE_OK;
}

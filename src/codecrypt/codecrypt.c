/*
 * Encrypted app code, docs/formats/code-encryption.md (see codecrypt.h):
 * libsodium crypto_secretbox_easy (XSalsa20-Poly1305), output
 * nonce || tag || ciphertext as PyNaCl's SecretBox.encrypt writes it.
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

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/rd.h>
#include <mse/toml.h>

#include "codecrypt/codecrypt.h"
#include "util/util.h"


mse_err mse_code_encrypt(const uint8_t key[MSE_CODE_KEY_BYTES],
                         const uint8_t nonce[MSE_CODE_NONCE_BYTES], const uint8_t *plain,
                         size_t len, uint8_t **out, size_t *out_len)
{
    MSE_ENSURE(sodium_init() >= 0, MSE_ERR_CRYPTO);
    MSE_ENSURE(len <= MSE_CODE_FILE_LIMIT, MSE_ERR_LIMIT);
    size_t n = MSE_CODE_NONCE_BYTES + crypto_secretbox_MACBYTES + len;
    uint8_t *buf = malloc(n);
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    memcpy(buf, nonce, MSE_CODE_NONCE_BYTES);
    if (crypto_secretbox_easy(buf + MSE_CODE_NONCE_BYTES, plain ? plain : (const uint8_t *)"", len,
                              nonce, key) != 0) {
        free(buf);
        return MSE_ERR_CRYPTO;
    }
    *out = buf;
    *out_len = n;
    return MSE_OK;
}

mse_err mse_code_decrypt(const uint8_t key[MSE_CODE_KEY_BYTES], const uint8_t *enc, size_t enc_len,
                         const uint8_t *expect_nonce, uint8_t **plain, size_t *plain_len)
{
    struct mse_rd rd;
    const uint8_t *nonce, *box;
    MSE_ENSURE(sodium_init() >= 0, MSE_ERR_CRYPTO);
    mse_rd_init(&rd, enc, enc_len);
    MSE_TRY(mse_rd_bytes(&rd, MSE_CODE_NONCE_BYTES, &nonce));
    size_t box_len = mse_rd_left(&rd);
    MSE_ENSURE(box_len >= crypto_secretbox_MACBYTES, MSE_ERR_TRUNCATED);
    MSE_TRY(mse_rd_bytes(&rd, box_len, &box));
    /* A file encrypted under another nonce is another file, or a replay. */
    MSE_ENSURE(!expect_nonce || mse_ct_eq(nonce, expect_nonce, MSE_CODE_NONCE_BYTES),
               MSE_ERR_CONTEXT);
    size_t n = box_len - crypto_secretbox_MACBYTES;
    uint8_t *buf = malloc(n ? n : 1);
    MSE_ENSURE(buf != NULL, MSE_ERR_NOMEM);
    if (crypto_secretbox_open_easy(buf, box, box_len, nonce, key) != 0) {
        mse_wipe(buf, n);
        free(buf);
        return MSE_ERR_CRYPTO;
    }
    *plain = buf;
    *plain_len = n;
    return MSE_OK;
}

void mse_code_scratch_free(struct mse_code_scratch *s)
{
    mse_buf_free(&s->buf);
    EVP_MD_CTX_free(s->md);
    EVP_MD_free(s->sha256);
    EVP_MAC_CTX_free(s->mac);
    EVP_MAC_free(s->poly1305);
    *s = (struct mse_code_scratch){0};
}

/*
 * crypto_secretbox_detached(buf, tag, buf, len, nonce, key), in place, with the
 * Poly1305 of OpenSSL: libsodium's (SSE2) takes twice the time of OpenSSL's
 * (AVX2/AVX-512) and the fingerprint computes the tag of every code file at
 * each verification. The construction is NaCl's secretbox, as libsodium
 * writes it: XSalsa20 keystream block 0 gives the one-time Poly1305 key
 * (bytes 0-31) and the pad of the first 32 bytes of the message (bytes
 * 32-63); the rest is XORed from block 1 on; the tag is Poly1305 of the
 * ciphertext. Both primitives are the libraries' own. This tag authenticates
 * nothing here: it is bytes of P.enc, whose hash the enclave measures, so a
 * mistake could only change the fingerprint (a refusal); codecrypt_test pins
 * it to crypto_secretbox_detached and to mse_code_encrypt on every length
 * around the block boundaries.
 */
static mse_err secretbox_in_place(const uint8_t key[MSE_CODE_KEY_BYTES],
                                  const uint8_t nonce[MSE_CODE_NONCE_BYTES], uint8_t *buf,
                                  size_t len, uint8_t tag[MSE_CODE_MAC_BYTES],
                                  struct mse_code_scratch *s)
{
    if (!s->poly1305_looked_up) {
        s->poly1305_looked_up = true;
        s->poly1305 = EVP_MAC_fetch(NULL, "POLY1305", NULL);
        s->mac = s->poly1305 ? EVP_MAC_CTX_new(s->poly1305) : NULL;
        ERR_clear_error(); /* none: libsodium's secretbox below */
    }
    if (s->mac == NULL)
        return crypto_secretbox_detached(buf, tag, buf, len, nonce, key) == 0 ? MSE_OK
                                                                              : MSE_ERR_CRYPTO;
    uint8_t block0[64];
    size_t head = len < 32 ? len : 32, taglen = 0;
    mse_err err = MSE_OK;
    MSE_ENSURE_OUT(crypto_stream_xsalsa20(block0, sizeof block0, nonce, key) == 0,
                   MSE_ERR_CRYPTO);
    for (size_t i = 0; i < head; i++)
        buf[i] ^= block0[32 + i];
    if (len > 32)
        MSE_ENSURE_OUT(crypto_stream_xsalsa20_xor_ic(buf + 32, buf + 32, len - 32, nonce, 1,
                                                     key) == 0,
                       MSE_ERR_CRYPTO);
    MSE_ENSURE_OUT(EVP_MAC_init(s->mac, block0, 32, NULL) == 1 &&
                       EVP_MAC_update(s->mac, buf, len) == 1 &&
                       EVP_MAC_final(s->mac, tag, &taglen, MSE_CODE_MAC_BYTES) == 1 &&
                       taglen == MSE_CODE_MAC_BYTES,
                   MSE_ERR_CRYPTO);
out:
    sodium_memzero(block0, sizeof block0); /* the one-time key */
    return err;
}

/*
 * The whole regular file at path into s->buf, sized from fstat so that the read needs no
 * reallocation (the buffer only grows, wiping its old copy, when the file outgrows it).
 */
static mse_err read_into(const char *path, struct mse_code_scratch *s, size_t *len)
{
    mse_err err = MSE_OK;
    struct stat st;
    /* The code list refused links; one swapped in since then is refused too. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO;
    MSE_ENSURE_OUT(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), MSE_ERR_IO);
    MSE_ENSURE_OUT((uint64_t)st.st_size <= MSE_CODE_FILE_LIMIT, MSE_ERR_LIMIT);
    /* One byte more than the size, so that reaching the end needs no second buffer. */
    MSE_CHECK_OUT(mse_buf_grow(&s->buf, (size_t)st.st_size + 1, MSE_CODE_FILE_LIMIT));
    MSE_CHECK_OUT(mse_fd_read_into(fd, MSE_CODE_FILE_LIMIT, &s->buf, len));
out:
    close(fd);
    return err;
}

mse_err mse_code_encrypted_sha256(const uint8_t key[MSE_CODE_KEY_BYTES],
                                  const uint8_t nonce[MSE_CODE_NONCE_BYTES], const char *path,
                                  struct mse_code_scratch *s, uint8_t md[32])
{
    uint8_t tag[crypto_secretbox_MACBYTES];
    size_t len = 0;
    unsigned int dlen = 0;
    MSE_ENSURE(sodium_init() >= 0, MSE_ERR_CRYPTO);
    if (!s->md)
        s->md = EVP_MD_CTX_new();
    MSE_ENSURE(s->md != NULL, MSE_ERR_NOMEM);
    if (!s->sha256)
        s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    MSE_ENSURE(s->sha256 != NULL, MSE_ERR_CRYPTO);
    MSE_TRY(read_into(path, s, &len));
    MSE_TRY(secretbox_in_place(key, nonce, s->buf.data, len, tag, s));
    /* P.enc is nonce || tag || ciphertext (mse_code_encrypt). */
    MSE_ENSURE(EVP_DigestInit_ex2(s->md, s->sha256, NULL) == 1 &&
                   EVP_DigestUpdate(s->md, nonce, MSE_CODE_NONCE_BYTES) == 1 &&
                   EVP_DigestUpdate(s->md, tag, sizeof tag) == 1 &&
                   EVP_DigestUpdate(s->md, s->buf.data, len) == 1 &&
                   EVP_DigestFinal_ex(s->md, md, &dlen) == 1 && dlen == 32,
               MSE_ERR_CRYPTO);
    return MSE_OK;
}

struct list {
    char **v;
    size_t n, cap;
};

static mse_err list_push(struct list *l, char *s)
{
    if (!s)
        return MSE_ERR_NOMEM;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        char **nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) {
            free(s);
            return MSE_ERR_NOMEM;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = s;
    return MSE_OK;
}

struct entry {
    char *name;
    bool dir;
};

/* Gramine sorts the encrypted directory: files are named "<name>.enc", directories keep theirs. */
static int cmp_entries(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    const char *p = x->name, *q = y->name;
    const char *ps = x->dir ? "" : ".enc", *qs = y->dir ? "" : ".enc";
    for (;;) {
        unsigned char cp = (unsigned char)(*p ? *p : *ps);
        unsigned char cq = (unsigned char)(*q ? *q : *qs);
        if (cp != cq)
            return cp < cq ? -1 : 1;
        if (cp == 0)
            return 0;
        if (*p)
            p++;
        else
            ps++;
        if (*q)
            q++;
        else
            qs++;
    }
}

static mse_err walk(const char *root, const char *rel, struct list *out, int depth, char *errbuf,
                    size_t errlen)
{
    mse_err err = MSE_OK;
    struct entry *ents = NULL;
    size_t n = 0, cap = 0;
    char path[PATH_MAX];
    int pn = snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    MSE_ENSURE(pn > 0 && (size_t)pn < sizeof path, MSE_ERR_LIMIT);
    MSE_ENSURE(depth < 64, mse_say(errbuf, errlen, MSE_ERR_LIMIT, "%s: nested too deep", path));
    DIR *d = opendir(path);
    MSE_ENSURE(d != NULL, mse_say(errbuf, errlen, errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO,
                              "cannot list %s: %s", path, strerror(errno)));
    /* path "/" name, written for each entry by copying the name only: snprintf of the whole
     * path took most of the listing's time. */
    char full[PATH_MAX];
    size_t plen = (size_t)pn;
    memcpy(full, path, plen);
    full[plen++] = '/';
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t nlen = strlen(e->d_name);
        MSE_ENSURE_OUT(nlen < sizeof full - plen, MSE_ERR_LIMIT);
        memcpy(full + plen, e->d_name, nlen + 1);
        MSE_ENSURE_OUT(mse_toml_utf8_valid(e->d_name, nlen),
                       mse_say(errbuf, errlen, MSE_ERR_CONTEXT, "file name is not UTF-8: %s", full));
        /* The entry's own type, as lstat(2) would give it; only a file system that does
         * not record it in the directory (DT_UNKNOWN) costs a lstat per entry. */
        bool is_dir = e->d_type == DT_DIR, is_reg = e->d_type == DT_REG;
        if (e->d_type == DT_UNKNOWN) {
            MSE_ENSURE_OUT(lstat(full, &st) == 0,
                           mse_say(errbuf, errlen, MSE_ERR_IO, "cannot stat %s", full));
            is_dir = S_ISDIR(st.st_mode);
            is_reg = S_ISREG(st.st_mode);
        }
        /* A link could point outside the code; its target would be encrypted unseen. */
        MSE_ENSURE_OUT(is_dir || is_reg,
                       mse_say(errbuf, errlen, MSE_ERR_CONTEXT,
                           "%s is a symbolic link or special file; only regular files and "
                           "directories are allowed in the code",
                           full));
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            struct entry *nv = realloc(ents, ncap * sizeof *nv);
            MSE_ENSURE_OUT(nv != NULL, MSE_ERR_NOMEM);
            ents = nv;
            cap = ncap;
        }
        ents[n].name = strdup(e->d_name);
        ents[n].dir = is_dir;
        MSE_ENSURE_OUT(ents[n].name != NULL, MSE_ERR_NOMEM);
        n++;
    }
    if (n)
        qsort(ents, n, sizeof *ents, cmp_entries);
    char sub[PATH_MAX];
    size_t rlen = strlen(rel);
    MSE_ENSURE_OUT(rlen + 1 < sizeof sub, MSE_ERR_LIMIT);
    memcpy(sub, rel, rlen);
    if (rlen)
        sub[rlen++] = '/';
    for (size_t k = 0; k < n; k++) {
        size_t nlen = strlen(ents[k].name);
        MSE_ENSURE_OUT(nlen < sizeof sub - rlen, MSE_ERR_LIMIT);
        memcpy(sub + rlen, ents[k].name, nlen + 1);
        if (ents[k].dir)
            MSE_CHECK_OUT(walk(root, sub, out, depth + 1, errbuf, errlen));
        else
            MSE_CHECK_OUT(list_push(out, strdup(sub)));
    }
out:
    closedir(d);
    for (size_t k = 0; k < n; k++)
        free(ents[k].name);
    free(ents);
    return err;
}

mse_err mse_code_list(const char *dir, char ***paths, size_t *n, char *errbuf, size_t errlen)
{
    struct list out = {0};
    mse_err err = walk(dir, "", &out, 0, errbuf, errlen);
    if (err != MSE_OK) {
        mse_code_list_free(out.v, out.n);
        return err;
    }
    *paths = out.v;
    *n = out.n;
    return MSE_OK;
}

void mse_code_list_free(char **paths, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(paths[k]);
    free(paths);
}

mse_err mse_code_encrypt_dir(const char *src_dir, const char *dst_dir,
                             const uint8_t key[MSE_CODE_KEY_BYTES], mse_code_nonce_fn nonce_for,
                             mse_code_written_fn written, void *arg, char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    char **paths = NULL;
    size_t n = 0;
    MSE_TRY(mse_code_list(src_dir, &paths, &n, errbuf, errlen));
    for (size_t k = 0; k < n; k++) {
        char in[PATH_MAX], out[PATH_MAX];
        uint8_t nonce[MSE_CODE_NONCE_BYTES], *plain = NULL, *enc = NULL;
        size_t plen = 0, elen = 0;
        int a = snprintf(in, sizeof in, "%s/%s", src_dir, paths[k]);
        int b = snprintf(out, sizeof out, "%s/%s.enc", dst_dir, paths[k]);
        MSE_ENSURE_OUT(a > 0 && (size_t)a < sizeof in && b > 0 && (size_t)b < sizeof out,
                       MSE_ERR_LIMIT);
        MSE_CHECK_OUT(mse_mkdir_parents(out));
        MSE_CHECK_OUT(nonce_for(arg, paths[k], nonce));
        MSE_CHECK_OUT(mse_file_read(in, MSE_CODE_FILE_LIMIT, &plain, &plen));
        err = mse_code_encrypt(key, nonce, plain, plen, &enc, &elen);
        mse_wipe(plain, plen);
        free(plain);
        if (err == MSE_OK)
            err = mse_file_write_atomic(out, enc, elen, 0644);
        if (err == MSE_OK && written) {
            uint8_t md[32];
            err = EVP_Digest(enc, elen, md, NULL, EVP_sha256(), NULL) == 1 ? MSE_OK
                                                                          : MSE_ERR_CRYPTO;
            if (err == MSE_OK)
                err = written(arg, paths[k], md);
        }
        free(enc);
        if (err != MSE_OK) {
            err = mse_say(errbuf, errlen, err, "cannot encrypt %s to %s", in, out);
            goto out;
        }
    }
out:
    mse_code_list_free(paths, n);
    return err;
}

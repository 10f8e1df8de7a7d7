/*
 * Encrypted app code (docs/formats/code-encryption.md): each regular file P
 * of the code directory becomes P.enc = nonce (24) || crypto_secretbox_easy
 * (XSalsa20-Poly1305) of its bytes under code_secret_key, with the file's
 * own nonce from the context ([instance.nonces], keyed by P with '/').
 * Used by `mse fingerprint --context` (hash the .enc files), `mse context
 * new` (encrypt before upload) and the enclave server (decrypt).
 */
#ifndef MSE_UTIL_CODECRYPT_H
#define MSE_UTIL_CODECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <mse/err.h>

#include "util/util.h"

#define MSE_CODE_KEY_BYTES 32
#define MSE_CODE_NONCE_BYTES 24
#define MSE_CODE_MAC_BYTES 16
#define MSE_CODE_FILE_LIMIT (1u << 30) /* largest plain file accepted */

/* nonce || secretbox(plain). *out malloc'd, len + 40 bytes. */
MSE_MUST_USE mse_err mse_code_encrypt(const uint8_t key[MSE_CODE_KEY_BYTES],
                                      const uint8_t nonce[MSE_CODE_NONCE_BYTES],
                                      const uint8_t *plain, size_t len, uint8_t **out,
                                      size_t *out_len);

/*
 * Inverse of mse_code_encrypt. If expect_nonce is not NULL the embedded nonce
 * must equal it (MSE_ERR_CONTEXT otherwise). Authentication failure:
 * MSE_ERR_CRYPTO, and nothing is returned. *plain malloc'd.
 */
MSE_MUST_USE mse_err mse_code_decrypt(const uint8_t key[MSE_CODE_KEY_BYTES], const uint8_t *enc,
                                      size_t enc_len, const uint8_t *expect_nonce,
                                      uint8_t **plain, size_t *plain_len);

/*
 * One worker's reusable state for mse_code_encrypted_sha256: the buffer that
 * holds one file at a time (grown to the largest file seen) and a SHA-256
 * context. Zero-initialise; release with mse_code_scratch_free, which wipes
 * the buffer. Not shared between threads.
 */
struct mse_code_scratch {
    struct mse_buf buf;
    EVP_MD_CTX *md;
    EVP_MD *sha256; /* fetched once: EVP_sha256() looks it up again at every init */
    /* OpenSSL's Poly1305 for the tag (see codecrypt.c); looked up once, at the first file:
     * when OpenSSL has none (a FIPS-only configuration), libsodium's whole secretbox. */
    bool poly1305_looked_up;
    EVP_MAC *poly1305;
    EVP_MAC_CTX *mac;
};
void mse_code_scratch_free(struct mse_code_scratch *s);

/*
 * SHA-256 of the P.enc that mse_code_encrypt would make of the regular file at
 * path, without making it: the file is read once into s->buf, encrypted there
 * in place (the tag comes out separately) and hashed as nonce || tag ||
 * ciphertext, so no second buffer, copy or plaintext wipe is needed per file.
 * Errors: MSE_ERR_FILE_NOT_FOUND, MSE_ERR_IO (also for a symbolic link or a
 * special file), MSE_ERR_LIMIT (larger than MSE_CODE_FILE_LIMIT),
 * MSE_ERR_NOMEM, MSE_ERR_CRYPTO.
 */
MSE_MUST_USE mse_err mse_code_encrypted_sha256(const uint8_t key[MSE_CODE_KEY_BYTES],
                                               const uint8_t nonce[MSE_CODE_NONCE_BYTES],
                                               const char *path, struct mse_code_scratch *s,
                                               uint8_t md[32]);

/*
 * The regular files under dir, as paths relative to it with '/' separators,
 * in the order Gramine expands the *encrypted* directory (in each directory,
 * entries sorted byte-wise by their encrypted name: "<file>.enc" for files,
 * the plain name for directories; depth first). Symbolic links and special files are refused
 * (MSE_ERR_CONTEXT, path in errbuf). Free with mse_code_list_free.
 */
MSE_MUST_USE mse_err mse_code_list(const char *dir, char ***paths, size_t *n, char *errbuf,
                                   size_t errlen);
void mse_code_list_free(char **paths, size_t n);

/* Supplies the nonce of a relative path; may create one (mse context new). */
typedef mse_err (*mse_code_nonce_fn)(void *arg, const char *relpath,
                                     uint8_t nonce[MSE_CODE_NONCE_BYTES]);

/* Receives the SHA-256 of <relpath>.enc as it was written. */
typedef mse_err (*mse_code_written_fn)(void *arg, const char *relpath, const uint8_t sha256[32]);

/*
 * Encrypt every file of src_dir into dst_dir (created 0700 if missing) as
 * <relpath>.enc, with nonces from nonce_for; written (may be NULL) hears the
 * hash of each file written. Files are written atomically.
 */
MSE_MUST_USE mse_err mse_code_encrypt_dir(const char *src_dir, const char *dst_dir,
                                          const uint8_t key[MSE_CODE_KEY_BYTES],
                                          mse_code_nonce_fn nonce_for,
                                          mse_code_written_fn written, void *arg, char *errbuf,
                                          size_t errlen);

#endif

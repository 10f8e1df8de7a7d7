/*
 * Encrypted app code (docs/formats/code-encryption.md): each file P of the
 * code directory ships as P.enc = nonce (24) || crypto_secretbox_easy(P,
 * nonce, code_secret_key), i.e. XSalsa20-Poly1305 with the tag first.
 * Used by `mse context new` (encrypt), `mse fingerprint` (deterministic
 * re-encryption with the context's nonces) and mse-enclave (decrypt).
 */
#ifndef MSE_CODECRYPT_H
#define MSE_CODECRYPT_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

#define MSE_CODE_KEY_SIZE 32
#define MSE_CODE_NONCE_SIZE 24
#define MSE_CODE_MAC_SIZE 16
#define MSE_CODE_FILE_MAX (256u << 20) /* largest single code file, bytes */
#define MSE_CODE_FILES_MAX 10000       /* files in one code directory */

/* out (malloc'd, *out_len = MSE_CODE_NONCE_SIZE + MSE_CODE_MAC_SIZE + len) = nonce || box. */
MSE_MUST_USE mse_err mse_code_encrypt(const uint8_t key[MSE_CODE_KEY_SIZE],
                                      const uint8_t nonce[MSE_CODE_NONCE_SIZE],
                                      const uint8_t *plain, size_t len, uint8_t **out,
                                      size_t *out_len);

/*
 * Decrypt nonce || box. If expected_nonce is not NULL the embedded nonce must
 * equal it (MSE_ERR_CONTEXT). A forged or truncated file is MSE_ERR_CRYPTO and
 * yields no output. *plain is malloc'd (NUL-terminated, not counted).
 */
MSE_MUST_USE mse_err mse_code_decrypt(const uint8_t key[MSE_CODE_KEY_SIZE],
                                      const uint8_t *expected_nonce, const uint8_t *enc,
                                      size_t enc_len, uint8_t **plain, size_t *plain_len);

/* Called once per regular file of a code directory, in sorted path order.
 * rel is the path relative to the directory with '/' separators. */
typedef mse_err (*mse_code_file_cb)(void *arg, const char *rel, const char *full_path);

/*
 * Walk `dir` recursively in a deterministic (sorted) order calling cb for each
 * regular file. Symbolic links, special files and names that are not plain
 * (".", "..", containing '\n') are refused with MSE_ERR_ARG.
 */
MSE_MUST_USE mse_err mse_code_walk(const char *dir, mse_code_file_cb cb, void *arg);

/*
 * mse-enclave side: decrypt every file P.enc of enc_dir into out_dir/P
 * (directories made as needed, mode 0700; files 0600; out_dir must exist).
 * A file not ending in ".enc" is refused (MSE_ERR_ARG). On error some files
 * may already be written: the caller must not start the app and should
 * remove out_dir. *count (may be NULL) receives the number of files.
 */
MSE_MUST_USE mse_err mse_code_decrypt_dir(const uint8_t key[MSE_CODE_KEY_SIZE],
                                          const char *enc_dir, const char *out_dir,
                                          size_t *count);

#endif

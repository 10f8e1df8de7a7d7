/*
 * mse-enclave's side of the encrypted code (docs/formats/code-encryption.md):
 * decrypt a shipped directory of P.enc files into the app directory.
 */
#ifndef MSE_UTIL_CODE_INSTALL_H
#define MSE_UTIL_CODE_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

#include "codecrypt/codecrypt.h"

/*
 * Decrypt every regular file P.enc under enc_dir into out_dir/P (out_dir must
 * exist; subdirectories made 0700, files written atomically with mode 0600).
 * The nonce is the one each file embeds: the enclave has no context. A file
 * not ending in ".enc" or a symbolic link is refused (MSE_ERR_CONTEXT), a
 * file that does not authenticate under key is MSE_ERR_CRYPTO. Every file is
 * decrypted and authenticated in memory before the first one is written, so
 * a wrong key or a tampered file leaves out_dir untouched. *count (may be
 * NULL) receives the number of files.
 */
MSE_MUST_USE mse_err mse_code_install(const uint8_t key[MSE_CODE_KEY_BYTES], const char *enc_dir,
                                      const char *out_dir, size_t *count);

#endif

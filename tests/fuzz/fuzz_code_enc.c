/*
 * libFuzzer target: an encrypted code file (P.enc, docs/formats/code-encryption.md)
 * as the enclave server decrypts it. Random bytes never authenticate under
 * the fixed key; a file this target encrypts itself always decrypts back to
 * the same bytes, and refuses any other expected nonce.
 */
#include <stdlib.h>
#include <string.h>

#include "codecrypt/codecrypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[MSE_CODE_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint8_t nonce[MSE_CODE_NONCE_BYTES] = {0}, other[MSE_CODE_NONCE_BYTES] = {0};
    uint8_t *plain = NULL, *enc = NULL, *back = NULL;
    size_t plen = 0, elen = 0, blen = 0;
    mse_err rc = mse_code_decrypt(key, data, size, NULL, &plain, &plen);
    if (rc == MSE_OK)
        abort(); /* a forgery of a 16-byte Poly1305 tag */
    memcpy(nonce, data, size < sizeof nonce ? size : sizeof nonce);
    other[0] = (uint8_t)(nonce[0] ^ 1);
    if (mse_code_encrypt(key, nonce, data, size, &enc, &elen) != MSE_OK)
        return 0;
    if (mse_code_decrypt(key, enc, elen, nonce, &back, &blen) != MSE_OK || blen != size ||
        (size && memcmp(back, data, size) != 0))
        abort();
    free(back);
    back = NULL;
    if (mse_code_decrypt(key, enc, elen, other, &back, &blen) == MSE_OK)
        abort();
    free(back);
    free(enc);
    free(plain);
    return 0;
}

/*
 * Small byte helpers shared by the library, the CLI and the servers:
 * hex and base64 codecs, constant-time comparison, secure wipe.
 */
#ifndef MSE_BYTES_H
#define MSE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

/*
 * Decode exactly `out_len` bytes from `hex` (2*out_len hex digits, either case,
 * no separators, nothing after). MSE_ERR_HEX otherwise.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_len);
/*
 * Decode a hex string of any even length into out (capacity out_cap), setting
 * *out_len. MSE_ERR_HEX, MSE_ERR_BUFFER_TOO_SMALL.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_hex_decode_var(const char *hex, size_t hex_len, uint8_t *out,
                                        size_t out_cap, size_t *out_len);
/* Value of one hex digit (either case), or -1. */
MSE_EXTERN int mse_hex_digit(unsigned char c);
/* Write 2*len lowercase hex digits and a NUL to out (capacity >= 2*len+1). */
MSE_EXTERN void mse_hex_encode(const uint8_t *in, size_t len, char *out);

/*
 * Standard base64 (RFC 4648, with padding; whitespace ignored). out capacity
 * out_cap; MSE_ERR_BASE64, MSE_ERR_BUFFER_TOO_SMALL.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                                    size_t *out_len);

/* Constant-time equality of two equal-length buffers; for MACs, keys, measurements. */
MSE_EXTERN bool mse_ct_eq(const void *a, const void *b, size_t len);
/* Zero memory in a way the compiler cannot elide. */
MSE_EXTERN void mse_wipe(void *p, size_t len);

#endif

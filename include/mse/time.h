/*
 * UTC instants as int64 seconds since 1970-01-01T00:00:00Z, and their RFC 3339
 * text. Pure arithmetic: no C library time zone or locale.
 */
#ifndef MSE_TIME_H
#define MSE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.frac](Z|+00:00)" (exactly `len` bytes) to UTC
 * seconds; fractions are truncated. Other offsets are refused: every
 * timestamp mse consumes (Intel collateral, --at) is UTC. MSE_ERR_TIME_FORMAT.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_time_parse(const char *s, size_t len, int64_t *out) MSE_NONNULL(1, 3);
/* Format as "YYYY-MM-DDTHH:MM:SSZ" (20 characters and a NUL). */
MSE_EXTERN void mse_time_format(int64_t t, char out[21]) MSE_NONNULL(2);

#endif
